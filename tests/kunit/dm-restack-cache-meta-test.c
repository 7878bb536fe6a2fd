// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the restack cache's metadata encoding and crash
 * recovery (drivers/md/dm-restack-cache-meta.c): geometry, superblock and
 * page round trips, and recovery from torn, stale, foreign and missing
 * copies.
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "dm-restack-cache-meta.h"

#define PAGE_BYTES RESTACK_CACHE_PAGE_SIZE

static void *page_alloc(struct kunit *test)
{
	void *p = kunit_kzalloc(test, PAGE_BYTES, GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	return p;
}

static struct restack_cache_entry_disk *entries_alloc(struct kunit *test,
						      u64 base)
{
	struct restack_cache_entry_disk *e;
	u32 i;

	e = kunit_kcalloc(test, RESTACK_CACHE_ENTRIES_PER_PAGE, sizeof(*e),
			  GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, e);
	for (i = 0; i < RESTACK_CACHE_ENTRIES_PER_PAGE; i++) {
		e[i].oblock = cpu_to_le64(base + i);
		e[i].flags = cpu_to_le32(i % 3 ? RESTACK_CACHE_ENTRY_VALID :
					 RESTACK_CACHE_ENTRY_VALID |
					 RESTACK_CACHE_ENTRY_DIRTY);
	}
	return e;
}

/* Where the data of @n blocks would end, by the layout's own rules. */
static sector_t layout_end(u64 n, u32 block_sectors)
{
	u32 pages = DIV_ROUND_UP_ULL(n, RESTACK_CACHE_ENTRIES_PER_PAGE);

	return round_up(restack_cache_page_sector(pages, 0),
			(sector_t)block_sectors) + n * block_sectors;
}

static void geometry_fits_test(struct kunit *test)
{
	static const sector_t sizes[] = { 24, 64, 4096, 1 << 20, 123457, 1ULL << 31 };
	static const u32 blocks[] = { 8, 64, 2048 };
	struct restack_cache_geometry geo;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (j = 0; j < ARRAY_SIZE(blocks); j++) {
			sector_t end;
			int r = restack_cache_geometry(sizes[i], blocks[j], &geo);

			if (r) {
				KUNIT_EXPECT_EQ(test, r, -ENOSPC);
				continue;
			}
			end = geo.data_start + geo.nr_blocks * blocks[j];
			/* It fits, metadata covers every block, data aligned. */
			KUNIT_EXPECT_LE(test, end, sizes[i]);
			KUNIT_EXPECT_GE(test, (u64)geo.meta_pages *
					RESTACK_CACHE_ENTRIES_PER_PAGE, geo.nr_blocks);
			KUNIT_EXPECT_EQ(test, geo.data_start % blocks[j], 0);
			KUNIT_EXPECT_GE(test, geo.data_start,
					restack_cache_page_sector(geo.meta_pages, 0));
			/* And one more block would not. */
			KUNIT_EXPECT_GT(test, layout_end(geo.nr_blocks + 1, blocks[j]),
					sizes[i]);
		}
	}
	KUNIT_EXPECT_EQ(test, restack_cache_geometry(16, 8, &geo), -ENOSPC);
	KUNIT_EXPECT_EQ(test, restack_cache_geometry(1 << 20, 0, &geo), -ENOSPC);
}

static void geometry_exact_test(struct kunit *test)
{
	struct restack_cache_geometry geo;

	/* 64 MiB, 4 KiB blocks: 16254 blocks in 64 pages (as seen in a guest). */
	KUNIT_ASSERT_EQ(test, restack_cache_geometry(131072, 8, &geo), 0);
	KUNIT_EXPECT_EQ(test, geo.nr_blocks, 16254);
	KUNIT_EXPECT_EQ(test, geo.meta_pages, 64);
	KUNIT_EXPECT_EQ(test, geo.data_start, 16 + 2 * 64 * 8);
}

static void sb_round_trip_test(struct kunit *test)
{
	struct restack_cache_geometry geo, out;
	void *buf = page_alloc(test);
	sector_t origin;
	bool clean;
	u64 seq;

	KUNIT_ASSERT_EQ(test, restack_cache_geometry(1 << 20, 64, &geo), 0);
	geo.format_id = 0x1234567890abcdefULL;
	restack_cache_sb_encode(buf, &geo, 999999, 42, true);
	KUNIT_ASSERT_EQ(test, restack_cache_sb_decode(buf, 1 << 20, &out,
						      &origin, &seq, &clean), 0);
	KUNIT_EXPECT_EQ(test, out.nr_blocks, geo.nr_blocks);
	KUNIT_EXPECT_EQ(test, out.block_sectors, 64);
	KUNIT_EXPECT_EQ(test, out.meta_pages, geo.meta_pages);
	KUNIT_EXPECT_EQ(test, out.data_start, geo.data_start);
	KUNIT_EXPECT_EQ(test, out.format_id, geo.format_id);
	KUNIT_EXPECT_EQ(test, origin, 999999);
	KUNIT_EXPECT_EQ(test, seq, 42);
	KUNIT_EXPECT_TRUE(test, clean);

	/* A device grown since formatting still decodes; a shrunk one not. */
	KUNIT_EXPECT_EQ(test, restack_cache_sb_decode(buf, 1 << 21, &out,
						      &origin, &seq, &clean), 0);
	KUNIT_EXPECT_EQ(test, restack_cache_sb_decode(buf, (1 << 20) - 64, &out,
						      &origin, &seq, &clean),
			-EUCLEAN);
}

static void sb_corrupt_test(struct kunit *test)
{
	struct restack_cache_geometry geo, out;
	u8 *buf = page_alloc(test);
	sector_t origin;
	bool clean;
	u64 seq;

	KUNIT_ASSERT_EQ(test, restack_cache_geometry(1 << 20, 8, &geo), 0);
	restack_cache_sb_encode(buf, &geo, 100, 1, false);
	buf[100] ^= 1;	/* a flipped bit past the fields is still caught */
	KUNIT_EXPECT_EQ(test, restack_cache_sb_decode(buf, 1 << 20, &out,
						      &origin, &seq, &clean),
			-EUCLEAN);

	/* Valid checksum but impossible geometry (a buggy writer). */
	geo.meta_pages++;
	restack_cache_sb_encode(buf, &geo, 100, 1, false);
	KUNIT_EXPECT_EQ(test, restack_cache_sb_decode(buf, 1 << 20, &out,
						      &origin, &seq, &clean),
			-EUCLEAN);
}

static void sb_pick_test(struct kunit *test)
{
	struct restack_cache_geometry geo;
	u8 *a = page_alloc(test), *b = page_alloc(test), *zero = page_alloc(test);

	KUNIT_ASSERT_EQ(test, restack_cache_geometry(1 << 20, 8, &geo), 0);
	restack_cache_sb_encode(a, &geo, 100, 7, false);
	restack_cache_sb_encode(b, &geo, 100, 8, false);

	KUNIT_EXPECT_EQ(test, restack_cache_sb_pick(a, b), 1);
	KUNIT_EXPECT_EQ(test, restack_cache_sb_pick(b, a), 0);
	/* The newer copy torn: the older one wins. */
	b[64] ^= 0x80;
	KUNIT_EXPECT_EQ(test, restack_cache_sb_pick(a, b), 0);
	/* Unreadable copies. */
	KUNIT_EXPECT_EQ(test, restack_cache_sb_pick(NULL, a), 1);
	KUNIT_EXPECT_EQ(test, restack_cache_sb_pick(a, NULL), 0);
	/* A fresh device, and one whose only copies are damaged. */
	KUNIT_EXPECT_EQ(test, restack_cache_sb_pick(zero, zero), -ENODATA);
	KUNIT_EXPECT_EQ(test, restack_cache_sb_pick(NULL, NULL), -ENODATA);
	KUNIT_EXPECT_EQ(test, restack_cache_sb_pick(b, zero), -EUCLEAN);
}

static void page_round_trip_test(struct kunit *test)
{
	struct restack_cache_entry_disk *e = entries_alloc(test, 1000);
	void *buf = page_alloc(test);

	restack_cache_page_encode(buf, 5, 77, 3, e);
	KUNIT_EXPECT_EQ(test, restack_cache_page_pick(buf, NULL, 5, 77, 3), 0);
	KUNIT_EXPECT_EQ(test, memcmp(restack_cache_page_entries(buf), e,
				     RESTACK_CACHE_ENTRIES_PER_PAGE * sizeof(*e)), 0);
}

/* The recovery cases of the commit protocol, one page at a time. */
static void page_pick_test(struct kunit *test)
{
	struct restack_cache_entry_disk *old = entries_alloc(test, 0);
	struct restack_cache_entry_disk *new = entries_alloc(test, 5000);
	u8 *s0 = page_alloc(test), *s1 = page_alloc(test);
	const u64 id = 0xfeed;

	/* Commit 4 wrote slot 0; commit 5 wrote slot 1. */
	restack_cache_page_encode(s0, 2, id, 4, old);
	restack_cache_page_encode(s1, 2, id, 5, new);
	KUNIT_EXPECT_EQ(test, restack_cache_page_pick(s0, s1, 2, id, 5), 1);

	/* Commit 5's superblock never landed: slot 1 is stale. */
	KUNIT_EXPECT_EQ(test, restack_cache_page_pick(s0, s1, 2, id, 4), 0);

	/* Slot 1 torn mid-write: fall back to the committed slot 0. */
	s1[2000] ^= 0xff;
	KUNIT_EXPECT_EQ(test, restack_cache_page_pick(s0, s1, 2, id, 5), 0);

	/* The page at another index (a misdirected write) does not count. */
	restack_cache_page_encode(s1, 3, id, 5, new);
	KUNIT_EXPECT_EQ(test, restack_cache_page_pick(s0, s1, 2, id, 5), 0);

	/* A slot from an earlier format, checksum intact, does not count. */
	restack_cache_page_encode(s1, 2, id + 1, 5, new);
	KUNIT_EXPECT_EQ(test, restack_cache_page_pick(s0, s1, 2, id, 9), 0);

	/* Nothing usable at all. */
	s0[100] ^= 1;
	KUNIT_EXPECT_EQ(test, restack_cache_page_pick(s0, s1, 2, id, 9), -EUCLEAN);
	KUNIT_EXPECT_EQ(test, restack_cache_page_pick(NULL, NULL, 2, id, 9), -EUCLEAN);

	/* A zeroed page never validates (the checksum is seeded). */
	memset(s0, 0, PAGE_BYTES);
	KUNIT_EXPECT_EQ(test, restack_cache_page_pick(s0, NULL, 0, 0, 0), -EUCLEAN);
}

/*
 * A cache of SIM_PAGES metadata pages simulated on in-memory images, with
 * the commit protocol of __cache_commit() and the recovery of
 * load_device() (dm-restack-cache-main.c), to replay crashes between
 * commits.
 */
#define SIM_PAGES	2
#define SIM_FAST	2448	/* 300 blocks of 8 sectors in 2 pages */
#define SIM_ENTRIES	RESTACK_CACHE_ENTRIES_PER_PAGE

struct sim_dev {
	u8 sb[2][PAGE_BYTES];
	u8 slot[SIM_PAGES][2][PAGE_BYTES];
};

struct sim_cache {
	struct restack_cache_geometry geo;
	u64 commit_seq;
	u8 latest_slot[SIM_PAGES];
	bool dirty[SIM_PAGES];
	struct restack_cache_entry_disk entries[SIM_PAGES][SIM_ENTRIES];
	/* What the last durable commit holds, to compare recoveries with. */
	struct restack_cache_entry_disk committed[SIM_PAGES][SIM_ENTRIES];
};

/* Fill page @page of the live entries with an image named by @base. */
static void sim_set_page(struct sim_cache *c, u32 page, u64 base)
{
	u32 i;

	for (i = 0; i < SIM_ENTRIES; i++) {
		c->entries[page][i].oblock = cpu_to_le64(base + i);
		c->entries[page][i].flags = cpu_to_le32(RESTACK_CACHE_ENTRY_VALID |
							RESTACK_CACHE_ENTRY_DIRTY);
		c->entries[page][i].reserved = 0;
	}
	c->dirty[page] = true;
}

static void sim_format(struct kunit *test, struct sim_dev *d, struct sim_cache *c)
{
	u32 page;

	memset(d, 0, sizeof(*d));
	memset(c, 0, sizeof(*c));
	KUNIT_ASSERT_EQ(test, restack_cache_geometry(SIM_FAST, 8, &c->geo), 0);
	KUNIT_ASSERT_EQ(test, c->geo.meta_pages, SIM_PAGES);
	c->geo.format_id = 0x5eed;
	for (page = 0; page < SIM_PAGES; page++)
		restack_cache_page_encode(d->slot[page][0], page, c->geo.format_id,
					  0, c->entries[page]);
	restack_cache_sb_encode(d->sb[0], &c->geo, 1 << 20, 0, true);
	restack_cache_sb_encode(d->sb[1], &c->geo, 1 << 20, 0, true);
}

/*
 * One commit: dirty pages into the slot not holding their newest copy,
 * then the superblock.  @pages_written: how many of the dirty pages reach
 * the device before a crash, or -1 for all of them and the superblock
 * (a durable commit).
 */
static void sim_commit(struct sim_dev *d, struct sim_cache *c, int pages_written)
{
	u64 seq = c->commit_seq + 1;
	int written = 0;
	u32 page;

	for (page = 0; page < SIM_PAGES; page++) {
		if (!c->dirty[page])
			continue;
		if (pages_written >= 0 && written++ >= pages_written)
			return;
		restack_cache_page_encode(d->slot[page][!c->latest_slot[page]],
					  page, c->geo.format_id, seq,
					  c->entries[page]);
	}
	if (pages_written >= 0)
		return;		/* crash before the superblock */
	restack_cache_sb_encode(d->sb[seq % 2], &c->geo, 1 << 20, seq, false);
	for (page = 0; page < SIM_PAGES; page++) {
		if (!c->dirty[page])
			continue;
		c->latest_slot[page] = !c->latest_slot[page];
		c->dirty[page] = false;
	}
	c->commit_seq = seq;
	memcpy(c->committed, c->entries, sizeof(c->entries));
}

/* Recovery after a crash: the memory state is rebuilt from @d alone. */
static void sim_recover(struct kunit *test, struct sim_dev *d,
			struct sim_cache *c)
{
	struct restack_cache_geometry geo;
	sector_t origin;
	bool clean;
	u64 seq;
	u32 page;
	int pick;

	pick = restack_cache_sb_pick(d->sb[0], d->sb[1]);
	KUNIT_ASSERT_GE(test, pick, 0);
	KUNIT_ASSERT_EQ(test, restack_cache_sb_decode(d->sb[pick], SIM_FAST, &geo,
						      &origin, &seq, &clean), 0);
	c->commit_seq = seq;
	for (page = 0; page < SIM_PAGES; page++) {
		int s = restack_cache_page_pick(d->slot[page][0], d->slot[page][1],
						page, geo.format_id, seq);

		KUNIT_ASSERT_GE(test, s, 0);
		c->latest_slot[page] = s;
		c->dirty[page] = restack_cache_page_needs_rewrite(d->slot[page][0],
								  d->slot[page][1],
								  s, page,
								  geo.format_id,
								  seq);
		memcpy(c->entries[page], restack_cache_page_entries(d->slot[page][s]),
		       sizeof(c->entries[page]));
	}
}

static void sim_expect_committed(struct kunit *test, struct sim_cache *c,
				 const char *when)
{
	u32 page;

	for (page = 0; page < SIM_PAGES; page++)
		KUNIT_EXPECT_TRUE_MSG(test, !memcmp(c->entries[page],
						    c->committed[page],
						    sizeof(c->entries[page])),
				      "page %u is not the committed image %s",
				      page, when);
}

/*
 * Issue 12: commit N; commit N+1 torn after its page 0 landed, before its
 * superblock; recover (N); commit N+1 again touching page 1 only; crash;
 * recover.  The aborted page 0 (seq N+1) must not come back.
 */
static void double_crash_test(struct kunit *test)
{
	struct sim_dev *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	struct sim_cache *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	sim_format(test, d, c);

	sim_set_page(c, 0, 1000);
	sim_set_page(c, 1, 2000);
	sim_commit(d, c, -1);				/* commit 1 */
	KUNIT_ASSERT_EQ(test, c->commit_seq, 1);

	sim_set_page(c, 0, 9000);			/* never committed */
	sim_commit(d, c, 1);				/* torn commit 2 */
	sim_recover(test, d, c);
	KUNIT_EXPECT_EQ(test, c->commit_seq, 1);
	sim_expect_committed(test, c, "after the first crash");

	sim_set_page(c, 1, 3000);
	sim_commit(d, c, -1);				/* commit 2, again */
	KUNIT_ASSERT_EQ(test, c->commit_seq, 2);
	sim_recover(test, d, c);			/* the second crash */
	KUNIT_EXPECT_EQ(test, c->commit_seq, 2);
	sim_expect_committed(test, c, "after the second crash");
	KUNIT_EXPECT_EQ(test, le64_to_cpu(c->entries[0][0].oblock), 1000);
}

/* The aborted slot of a clean page is marked; others are not. */
static void needs_rewrite_test(struct kunit *test)
{
	struct restack_cache_entry_disk *e = entries_alloc(test, 0);
	u8 *s0 = page_alloc(test), *s1 = page_alloc(test);
	const u64 id = 0xfeed;

	restack_cache_page_encode(s0, 2, id, 4, e);
	restack_cache_page_encode(s1, 2, id, 5, e);
	/* Both committed: nothing to rewrite. */
	KUNIT_EXPECT_FALSE(test, restack_cache_page_needs_rewrite(s0, s1, 1, 2, id, 5));
	/* Slot 1 from an aborted commit 5. */
	KUNIT_EXPECT_TRUE(test, restack_cache_page_needs_rewrite(s0, s1, 0, 2, id, 4));
	/* The other slot unreadable: its seq is unknown. */
	KUNIT_EXPECT_TRUE(test, restack_cache_page_needs_rewrite(s0, NULL, 0, 2, id, 4));
	/* Torn, foreign or misplaced slots are never trusted anyway. */
	s1[3000] ^= 4;
	KUNIT_EXPECT_FALSE(test, restack_cache_page_needs_rewrite(s0, s1, 0, 2, id, 4));
	restack_cache_page_encode(s1, 2, id + 1, 5, e);
	KUNIT_EXPECT_FALSE(test, restack_cache_page_needs_rewrite(s0, s1, 0, 2, id, 4));
	restack_cache_page_encode(s1, 3, id, 5, e);
	KUNIT_EXPECT_FALSE(test, restack_cache_page_needs_rewrite(s0, s1, 0, 2, id, 4));
}

/*
 * Random histories of commits, torn commits (some pages landed, some
 * torn in half, superblock missing or torn) and recoveries: every
 * recovery must yield exactly the last durable commit's image.
 */
static void crash_history_test(struct kunit *test)
{
	struct sim_dev *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	struct sim_cache *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	u64 x = 0x9e3779b97f4a7c15ULL, image = 1;
	unsigned int step;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, d);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c);
	sim_format(test, d, c);
	for (step = 0; step < 3000; step++) {
		u32 page, r;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = x;
		for (page = 0; page < SIM_PAGES; page++)
			if (r & (1 << page))
				sim_set_page(c, page, ++image * 1000);
		if (r & 0x100) {
			sim_commit(d, c, -1);
			continue;
		}
		/* A crash in the middle of the next commit. */
		sim_commit(d, c, (r >> 4) % (SIM_PAGES + 1));
		if (r & 0x200) {
			/* A half-written page: the first half is new. */
			page = (r >> 10) % SIM_PAGES;
			memset(d->slot[page][!c->latest_slot[page]], r >> 16,
			       PAGE_BYTES / 2);
		}
		if (r & 0x400)	/* a torn superblock of that commit */
			memset(d->sb[(c->commit_seq + 1) % 2] + PAGE_BYTES / 2,
			       r >> 24, PAGE_BYTES / 2);
		sim_recover(test, d, c);
		sim_expect_committed(test, c, "after a crash");
		if (test->status == KUNIT_FAILURE) {
			kunit_info(test, "first failure at step %u", step);
			return;
		}
	}
}

static struct kunit_case cache_meta_cases[] = {
	KUNIT_CASE(geometry_fits_test),
	KUNIT_CASE(geometry_exact_test),
	KUNIT_CASE(sb_round_trip_test),
	KUNIT_CASE(sb_corrupt_test),
	KUNIT_CASE(sb_pick_test),
	KUNIT_CASE(page_round_trip_test),
	KUNIT_CASE(page_pick_test),
	KUNIT_CASE(needs_rewrite_test),
	KUNIT_CASE(double_crash_test),
	KUNIT_CASE(crash_history_test),
	{}
};

static struct kunit_suite cache_meta_suite = {
	.name = "dm-restack-cache-meta",
	.test_cases = cache_meta_cases,
};

kunit_test_suite(cache_meta_suite);

MODULE_LICENSE("GPL");
