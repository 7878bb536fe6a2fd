// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzzing of the restack cache's metadata loader
 * (drivers/md/dm-restack-cache-meta.c): the fast device's superblocks,
 * metadata pages and entry tables are untrusted input.  A deterministic
 * PRNG (xorshift64*, fixed seeds) mutates valid images: bit flips, byte
 * sets, and fields set to extremes, most of them re-sealed with a valid
 * checksum so that they reach the checks behind it.  Every image goes
 * through the loader's pure functions, and whatever they accept must
 * satisfy the bounds the policy relies on (alloc_state() and the I/O
 * paths of dm-restack-cache-main.c).  Each case counts its images and
 * the suite reports the total.
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "dm-restack-cache-meta.h"

#define PAGE_BYTES	RESTACK_CACHE_PAGE_SIZE
#define SB_IMAGES	50000
#define PAGE_IMAGES	50000
#define TABLE_IMAGES	40000

struct fuzz_rng {
	u64 x;
};

static u64 rng_next(struct fuzz_rng *r)
{
	r->x ^= r->x >> 12;
	r->x ^= r->x << 25;
	r->x ^= r->x >> 27;
	return r->x * 0x2545f4914f6cdd1dULL;
}

static u32 rng_below(struct fuzz_rng *r, u32 n)
{
	return (u32)(rng_next(r) >> 32) % n;
}

/* Values that break careless arithmetic. */
static u64 extreme(struct fuzz_rng *r)
{
	static const u64 values[] = {
		0, 1, 2, 7, 8, 9, 254, 255, 2048, 4096, S32_MAX,
		(u64)S32_MAX + 1, U32_MAX - 1, U32_MAX, (u64)U32_MAX + 1,
		S64_MAX - 1, S64_MAX, (u64)S64_MAX + 1, U64_MAX - 1, U64_MAX,
	};
	u32 i = rng_below(r, ARRAY_SIZE(values) + 2);

	if (i == ARRAY_SIZE(values))
		return rng_next(r);
	if (i == ARRAY_SIZE(values) + 1)
		return rng_next(r) >> rng_below(r, 64);
	return values[i];
}

struct field {
	u16 offset, size;
};

static void set_field(u8 *buf, struct field f, u64 v)
{
	if (f.size == 8)
		*(__le64 *)(buf + f.offset) = cpu_to_le64(v);
	else
		*(__le32 *)(buf + f.offset) = cpu_to_le32((u32)v);
}

/* Field sizes are checked against the structures in field_sizes_test. */
static const struct field sb_fields[] = {
	{ offsetof(struct restack_cache_sb_disk, crc), 4 },
	{ offsetof(struct restack_cache_sb_disk, version), 4 },
	{ offsetof(struct restack_cache_sb_disk, magic), 8 },
	{ offsetof(struct restack_cache_sb_disk, commit_seq), 8 },
	{ offsetof(struct restack_cache_sb_disk, nr_blocks), 8 },
	{ offsetof(struct restack_cache_sb_disk, data_start), 8 },
	{ offsetof(struct restack_cache_sb_disk, origin_sectors), 8 },
	{ offsetof(struct restack_cache_sb_disk, block_sectors), 4 },
	{ offsetof(struct restack_cache_sb_disk, meta_pages), 4 },
	{ offsetof(struct restack_cache_sb_disk, clean), 4 },
	{ offsetof(struct restack_cache_sb_disk, reserved), 4 },
	{ offsetof(struct restack_cache_sb_disk, format_id), 8 },
};

static const struct field page_fields[] = {
	{ offsetof(struct restack_cache_page_disk, crc), 4 },
	{ offsetof(struct restack_cache_page_disk, page_index), 4 },
	{ offsetof(struct restack_cache_page_disk, seq), 8 },
	{ offsetof(struct restack_cache_page_disk, format_id), 8 },
};

/*
 * 1 to 4 mutations of @buf, most of them in its first @hot bytes (the
 * fields), then usually a valid checksum over the result.
 */
static void mutate(struct fuzz_rng *r, u8 *buf, size_t hot,
		   const struct field *fields, size_t nr_fields)
{
	u32 n = 1 + rng_below(r, 4);

	while (n--) {
		u32 span = rng_below(r, 4) ? hot : PAGE_BYTES;

		switch (rng_below(r, 4)) {
		case 0:
			buf[rng_below(r, span)] ^= 1 << rng_below(r, 8);
			break;
		case 1:
			buf[rng_below(r, span)] = rng_next(r);
			break;
		default:
			set_field(buf, fields[rng_below(r, nr_fields)], extreme(r));
			break;
		}
	}
	if (rng_below(r, 8))
		restack_cache_meta_seal(buf);
}

/* Does @buf carry a valid checksum?  (Sealing a copy changes nothing.) */
static bool sealed(const u8 *buf, u8 *scratch)
{
	memcpy(scratch, buf, PAGE_BYTES);
	restack_cache_meta_seal(scratch);
	return !memcmp(scratch, buf, PAGE_BYTES);
}

/* Fast device sizes the fuzzed superblocks are decoded against. */
static sector_t fast_size(struct fuzz_rng *r, sector_t formatted)
{
	switch (rng_below(r, 8)) {
	case 0:
		return extreme(r) >> rng_below(r, 9);
	case 1:
		return formatted - 1 - rng_below(r, 64);
	case 2:
		return formatted + rng_below(r, 1 << 20);
	default:
		return formatted;
	}
}

/*
 * What the policy relies on from a decoded superblock: the bounds of
 * restack_cache_sb_decode()'s contract, checked here from first
 * principles (no call into the code under test but the geometry).
 */
static void check_decoded(struct kunit *test, sector_t fast,
			  const struct restack_cache_geometry *g, u64 seq)
{
	struct restack_cache_geometry fit;
	u64 meta_end;

	KUNIT_ASSERT_GE(test, g->block_sectors, 8);
	KUNIT_ASSERT_LE(test, g->block_sectors, 2048);
	KUNIT_ASSERT_EQ(test, g->block_sectors & (g->block_sectors - 1), 0);
	KUNIT_ASSERT_GE(test, g->nr_blocks, 1);
	KUNIT_ASSERT_EQ(test, restack_cache_geometry(fast, g->block_sectors, &fit), 0);
	KUNIT_ASSERT_LE(test, g->nr_blocks, fit.nr_blocks);
	/* So tables sized by it are bounded by the device: one per block. */
	KUNIT_ASSERT_LE(test, g->nr_blocks, fast / g->block_sectors);
	KUNIT_ASSERT_EQ(test, (u64)g->meta_pages,
			DIV_ROUND_UP_ULL(g->nr_blocks, RESTACK_CACHE_ENTRIES_PER_PAGE));
	meta_end = restack_cache_page_sector(g->meta_pages, 0);
	KUNIT_ASSERT_GE(test, g->data_start, meta_end);
	KUNIT_ASSERT_LT(test, g->data_start - meta_end, (u64)g->block_sectors);
	KUNIT_ASSERT_EQ(test, g->data_start % g->block_sectors, 0);
	KUNIT_ASSERT_LE(test, g->data_start, fast);
	KUNIT_ASSERT_LE(test, g->nr_blocks,
			div_u64(fast - g->data_start, g->block_sectors));
	KUNIT_ASSERT_LT(test, seq, (u64)S64_MAX);
}

static unsigned long fuzz_images;

static void sb_fuzz_test(struct kunit *test)
{
	static const sector_t sizes[] = {
		24 + 8, 2448, 131072, 1 << 20, 123457, 1ULL << 31, 1ULL << 40,
	};
	static const u32 blocks[] = { 8, 16, 64, 256, 2048 };
	struct fuzz_rng r = { 0x243f6a8885a308d3ULL };
	u8 *buf = kunit_kzalloc(test, PAGE_BYTES, GFP_KERNEL);
	u8 *good = kunit_kzalloc(test, PAGE_BYTES, GFP_KERNEL);
	unsigned int i, accepted = 0;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, good);
	for (i = 0; i < SB_IMAGES; i++) {
		sector_t formatted = sizes[rng_below(&r, ARRAY_SIZE(sizes))];
		u32 bs = blocks[rng_below(&r, ARRAY_SIZE(blocks))];
		struct restack_cache_geometry geo, out;
		sector_t origin, fast;
		bool clean;
		u64 seq;
		int pick;

		if (restack_cache_geometry(formatted, bs, &geo))
			continue;
		geo.format_id = rng_next(&r);
		restack_cache_sb_encode(good, &geo, rng_next(&r) >> 20,
					rng_next(&r) >> 24, rng_below(&r, 2));
		memcpy(buf, good, PAGE_BYTES);
		mutate(&r, buf, sizeof(struct restack_cache_sb_disk), sb_fields,
		       ARRAY_SIZE(sb_fields));
		fuzz_images++;

		pick = restack_cache_sb_pick(buf, good);
		KUNIT_ASSERT_TRUE(test, pick == 0 || pick == 1);
		pick = restack_cache_sb_pick(buf, NULL);
		KUNIT_ASSERT_TRUE(test, pick == 0 || pick == -ENODATA ||
				  pick == -EUCLEAN);
		fast = fast_size(&r, formatted);
		if (restack_cache_sb_decode(buf, fast, &out, &origin, &seq, &clean))
			continue;
		KUNIT_ASSERT_EQ(test, pick, 0);	/* decodable, so pickable */
		check_decoded(test, fast, &out, seq);
		accepted++;
	}
	kunit_info(test, "%u superblocks, %u accepted", SB_IMAGES, accepted);
	/* The fuzzing reached past the checks, not only the checksum. */
	KUNIT_EXPECT_GT(test, accepted, SB_IMAGES / 100);
}

/* Reference: may this slot hold state committed by @commit_seq? */
static bool slot_ok(const u8 *buf, u8 *scratch, u32 index, u64 format_id,
		    u64 commit_seq, u64 *seq)
{
	const struct restack_cache_page_disk *p = (const void *)buf;

	if (!buf || !sealed(buf, scratch) ||
	    le32_to_cpu(p->page_index) != index ||
	    le64_to_cpu(p->format_id) != format_id)
		return false;
	*seq = le64_to_cpu(p->seq);
	return *seq <= commit_seq;
}

static void page_fuzz_test(struct kunit *test)
{
	struct fuzz_rng r = { 0x13198a2e03707344ULL };
	struct restack_cache_entry_disk *e;
	u8 *slot[2], *scratch;
	unsigned int i, picked = 0;

	e = kunit_kcalloc(test, RESTACK_CACHE_ENTRIES_PER_PAGE, sizeof(*e),
			  GFP_KERNEL);
	slot[0] = kunit_kzalloc(test, PAGE_BYTES, GFP_KERNEL);
	slot[1] = kunit_kzalloc(test, PAGE_BYTES, GFP_KERNEL);
	scratch = kunit_kzalloc(test, PAGE_BYTES, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, e);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, slot[0]);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, slot[1]);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, scratch);
	for (i = 0; i < PAGE_IMAGES; i++) {
		u32 index = rng_below(&r, 4) ? rng_below(&r, 64) : extreme(&r);
		u64 id = rng_next(&r), older = rng_next(&r) >> (2 + rng_below(&r, 62));
		u64 commit, s0 = 0, s1 = 0;
		const u8 *in[2];
		bool ok0, ok1;
		int s, k;

		for (k = 0; k < RESTACK_CACHE_ENTRIES_PER_PAGE; k++) {
			e[k].oblock = cpu_to_le64(rng_next(&r) >> 40);
			e[k].flags = cpu_to_le32(rng_below(&r, 4));
		}
		/* A legitimate pair: two commits of this page, in either order. */
		k = rng_below(&r, 2);
		restack_cache_page_encode(slot[k], index, id, older, e);
		restack_cache_page_encode(slot[!k], index, id,
					  older + 1 + rng_below(&r, 3), e);
		for (k = 0; k < 2; k++)
			if (rng_below(&r, 2))
				mutate(&r, slot[k],
				       sizeof(struct restack_cache_page_disk) + 32,
				       page_fields, ARRAY_SIZE(page_fields));
		switch (rng_below(&r, 4)) {
		case 0:
			/* Decoding admits no commit_seq from S64_MAX on. */
			commit = min_t(u64, extreme(&r), S64_MAX - 1);
			break;
		case 1:
			commit = older;
			break;
		default:
			commit = older + rng_below(&r, 5);
			break;
		}
		in[0] = rng_below(&r, 16) ? slot[0] : NULL;
		in[1] = rng_below(&r, 16) ? slot[1] : NULL;
		fuzz_images++;

		s = restack_cache_page_pick(in[0], in[1], index, id, commit);
		ok0 = slot_ok(in[0], scratch, index, id, commit, &s0);
		ok1 = slot_ok(in[1], scratch, index, id, commit, &s1);
		if (!ok0 && !ok1) {
			KUNIT_ASSERT_EQ(test, s, -EUCLEAN);
			continue;
		}
		KUNIT_ASSERT_TRUE_MSG(test, s == 0 || s == 1,
				      "pick %d, seqs %llu/%llu ok %d/%d, commit %llu",
				      s, s0, s1, ok0, ok1, commit);
		KUNIT_ASSERT_TRUE(test, s ? ok1 : ok0);
		if (ok0 && ok1)
			KUNIT_ASSERT_EQ(test, s ? s1 : s0, max(s0, s1));
		picked++;

		/* The slot the next commit writes, if it may ever outrank s. */
		if (!in[!s]) {
			KUNIT_ASSERT_TRUE(test,
					  restack_cache_page_needs_rewrite(in[0], in[1], s,
									   index, id, commit));
		} else {
			const struct restack_cache_page_disk *o = (const void *)in[!s];
			bool newer = sealed(in[!s], scratch) &&
				le32_to_cpu(o->page_index) == index &&
				le64_to_cpu(o->format_id) == id &&
				le64_to_cpu(o->seq) > commit;

			KUNIT_ASSERT_EQ(test, newer,
					restack_cache_page_needs_rewrite(in[0], in[1], s,
									 index, id, commit));
		}
	}
	kunit_info(test, "%u slot pairs, %u with a slot picked", PAGE_IMAGES, picked);
	KUNIT_EXPECT_GT(test, picked, PAGE_IMAGES / 10);
}

#define TABLE_MAX	64

/* Reference for restack_cache_entries_check(), written the slow way. */
static int table_reference(const struct restack_cache_entry_disk *t, u32 n,
			   u64 origin_blocks, u64 nr_slots, bool dups)
{
	u64 valid = 0;
	u32 i, j;

	for (i = n; i-- > 0;) {
		u32 f = le32_to_cpu(t[i].flags);

		if (t[i].reserved || f > 3 || f == RESTACK_CACHE_ENTRY_DIRTY)
			return -EUCLEAN;
		if (!f)
			continue;
		if (le64_to_cpu(t[i].oblock) >= origin_blocks)
			return -EUCLEAN;
		if ((f & RESTACK_CACHE_ENTRY_DIRTY) && valid >= nr_slots)
			return -EUCLEAN;
		valid++;
	}
	for (i = 0; dups && i < n; i++)
		for (j = i + 1; j < n; j++)
			if ((le32_to_cpu(t[i].flags) & RESTACK_CACHE_ENTRY_VALID) &&
			    (le32_to_cpu(t[j].flags) & RESTACK_CACHE_ENTRY_VALID) &&
			    t[i].oblock == t[j].oblock)
				return -EUCLEAN;
	return 0;
}

static void table_fuzz_test(struct kunit *test)
{
	struct fuzz_rng r = { 0xa4093822299f31d0ULL };
	struct restack_cache_entry_disk *t;
	unsigned int i, accepted = 0;
	u64 *seen;

	t = kunit_kcalloc(test, TABLE_MAX, sizeof(*t), GFP_KERNEL);
	seen = kunit_kcalloc(test, TABLE_MAX, sizeof(*seen), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, seen);
	for (i = 0; i < TABLE_IMAGES; i++) {
		u32 n = 1 + rng_below(&r, TABLE_MAX), k, m;
		u64 origin = rng_below(&r, 8) ? n + rng_below(&r, 4 * n) : extreme(&r);
		u64 slots = rng_below(&r, 8) ? n - n / 32 - 1 : rng_below(&r, n + 2);
		int got, want;

		/* A valid table: distinct origin blocks, some dirty. */
		for (k = 0; k < n; k++) {
			u32 f = rng_below(&r, 3);

			t[k].oblock = cpu_to_le64(f ? k * (origin / n) : 0);
			t[k].flags = cpu_to_le32(f == 2 ? 3 : f);
			t[k].reserved = 0;
		}
		for (m = rng_below(&r, 4); m-- > 0;) {
			k = rng_below(&r, n);
			switch (rng_below(&r, 5)) {
			case 0:
				t[k].oblock = cpu_to_le64(extreme(&r));
				break;
			case 1:	/* the same block as another entry */
				t[k].oblock = t[rng_below(&r, n)].oblock;
				break;
			case 2:
				t[k].flags = cpu_to_le32(rng_below(&r, 3) ?
							 rng_below(&r, 4) : extreme(&r));
				break;
			case 3:
				t[k].reserved = cpu_to_le32(rng_below(&r, 2));
				break;
			default:
				((u8 *)t)[rng_below(&r, n * sizeof(*t))] ^=
					1 << rng_below(&r, 8);
				break;
			}
		}
		fuzz_images++;

		got = restack_cache_entries_check(t, n, origin, slots, seen);
		want = table_reference(t, n, origin, slots, true);
		KUNIT_ASSERT_EQ(test, got, want);
		got = restack_cache_entries_check(t, n, origin, slots, NULL);
		want = table_reference(t, n, origin, slots, false);
		KUNIT_ASSERT_EQ(test, got, want);
		accepted += !got;
	}
	kunit_info(test, "%u entry tables, %u accepted", TABLE_IMAGES, accepted);
	KUNIT_EXPECT_GT(test, accepted, TABLE_IMAGES / 10);
}

/* Every field of a valid superblock, set to every extreme, re-sealed. */
static void sb_field_sweep_test(struct kunit *test)
{
	struct fuzz_rng r = { 0x082efa98ec4e6c89ULL };
	u8 *buf = kunit_kzalloc(test, PAGE_BYTES, GFP_KERNEL);
	struct restack_cache_geometry geo, out;
	unsigned int f, v;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, restack_cache_geometry(131072, 8, &geo), 0);
	for (f = 0; f < ARRAY_SIZE(sb_fields); f++) {
		for (v = 0; v < 200; v++) {
			sector_t origin;
			bool clean;
			u64 seq;

			restack_cache_sb_encode(buf, &geo, 1 << 20, 5, true);
			set_field(buf, sb_fields[f], extreme(&r));
			restack_cache_meta_seal(buf);
			fuzz_images++;
			if (!restack_cache_sb_decode(buf, 131072, &out, &origin,
						     &seq, &clean))
				check_decoded(test, 131072, &out, seq);
		}
	}
}

/* The field tables cover the on-disk headers exactly, field by field. */
static void field_sizes_test(struct kunit *test)
{
	unsigned int i;

	for (i = 1; i < ARRAY_SIZE(sb_fields); i++)
		KUNIT_EXPECT_EQ(test, sb_fields[i].offset,
				sb_fields[i - 1].offset + sb_fields[i - 1].size);
	for (i = 1; i < ARRAY_SIZE(page_fields); i++)
		KUNIT_EXPECT_EQ(test, page_fields[i].offset,
				page_fields[i - 1].offset + page_fields[i - 1].size);
	i = ARRAY_SIZE(sb_fields) - 1;
	KUNIT_EXPECT_EQ(test, sb_fields[i].offset + sb_fields[i].size,
			sizeof(struct restack_cache_sb_disk));
	i = ARRAY_SIZE(page_fields) - 1;
	KUNIT_EXPECT_EQ(test, page_fields[i].offset + page_fields[i].size,
			sizeof(struct restack_cache_page_disk));
}

static void fuzz_total_test(struct kunit *test)
{
	kunit_info(test, "%lu mutated images, no crash", fuzz_images);
	KUNIT_EXPECT_GE(test, fuzz_images, 100000UL);
}

static struct kunit_case cache_fuzz_cases[] = {
	KUNIT_CASE(field_sizes_test),
	KUNIT_CASE(sb_field_sweep_test),
	KUNIT_CASE(sb_fuzz_test),
	KUNIT_CASE(page_fuzz_test),
	KUNIT_CASE(table_fuzz_test),
	KUNIT_CASE(fuzz_total_test),
	{}
};

static struct kunit_suite cache_fuzz_suite = {
	.name = "dm-restack-cache-meta-fuzz",
	.test_cases = cache_fuzz_cases,
};

kunit_test_suite(cache_fuzz_suite);

MODULE_LICENSE("GPL");
