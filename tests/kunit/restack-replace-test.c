// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the replacement and admission code shared by the cache
 * policy and the analyzer (lib/restack_replace.c), run as kernel code:
 * LRU order, SIEVE's second chance, S3-FIFO's filtering of one-hit
 * wonders and its ghost queue, pinning, admission after n misses.
 * The exhaustive checks against reference implementations live in
 * tests/tools/test_analyze_replace.c; these make sure the same file
 * behaves the same when built into the kernel.
 */
#include <kunit/test.h>
#include <linux/slab.h>

#include "lib/restack_replace.h"

static struct rs_repl *repl_new(struct kunit *test, enum rs_repl_kind kind,
				u32 nr_blocks, u32 promote_hits)
{
	struct rs_repl_params p = {
		.kind = kind,
		.nr_blocks = nr_blocks,
		.promote_hits = promote_hits,
	};
	struct rs_repl *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	size_t size = rs_repl_mem_size(&p);
	void *mem;

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_GT(test, size, (size_t)0);
	mem = kunit_kzalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	KUNIT_ASSERT_EQ(test, rs_repl_init(r, &p, mem, size), 0);
	return r;
}

/* Reference @key: true on a hit; a miss inserts it (if admitted). */
static bool ref(struct rs_repl *r, u64 key)
{
	struct rs_repl_fill f;

	if (rs_repl_hit(r, key) != RS_REPL_NONE)
		return true;
	rs_repl_miss(r, key, false, &f);
	return false;
}

static void lru_order_test(struct kunit *test)
{
	struct rs_repl *r = repl_new(test, RS_REPL_LRU, 3, 0);

	ref(r, 1);
	ref(r, 2);
	ref(r, 3);
	KUNIT_EXPECT_TRUE(test, ref(r, 1));	/* 1 is now most recent */
	KUNIT_EXPECT_FALSE(test, ref(r, 4));	/* evicts 2, the least recent */
	KUNIT_EXPECT_EQ(test, rs_repl_peek(r, 2), RS_REPL_NONE);
	KUNIT_EXPECT_NE(test, rs_repl_peek(r, 1), RS_REPL_NONE);
	KUNIT_EXPECT_NE(test, rs_repl_peek(r, 3), RS_REPL_NONE);
	KUNIT_EXPECT_EQ(test, rs_repl_used(r), 3U);
}

static void sieve_second_chance_test(struct kunit *test)
{
	struct rs_repl *r = repl_new(test, RS_REPL_SIEVE, 3, 0);

	ref(r, 1);
	ref(r, 2);
	ref(r, 3);
	KUNIT_EXPECT_TRUE(test, ref(r, 1));	/* visited: spared once */
	KUNIT_EXPECT_FALSE(test, ref(r, 4));	/* the hand skips 1, evicts 2 */
	KUNIT_EXPECT_NE(test, rs_repl_peek(r, 1), RS_REPL_NONE);
	KUNIT_EXPECT_EQ(test, rs_repl_peek(r, 2), RS_REPL_NONE);
}

/*
 * S3-FIFO: a scan of keys seen once passes through the small queue and
 * does not displace keys that were hit again (they are in the main queue).
 */
static void s3fifo_scan_resistance_test(struct kunit *test)
{
	struct rs_repl *r = repl_new(test, RS_REPL_S3FIFO, 100, 0);
	unsigned int hot = 0;
	u64 k;

	for (k = 0; k < 50; k++)
		ref(r, k);
	for (k = 0; k < 50; k++)
		ref(r, k);	/* hit: promoted towards the main queue */
	for (k = 1000; k < 1000 + 500; k++)
		ref(r, k);	/* a one-time scan, 5x the cache */
	for (k = 0; k < 50; k++)
		hot += rs_repl_peek(r, k) != RS_REPL_NONE;
	KUNIT_EXPECT_GE(test, hot, 45U);

	/* The same against LRU, which the scan flushes out entirely. */
	r = repl_new(test, RS_REPL_LRU, 100, 0);
	hot = 0;
	for (k = 0; k < 50; k++)
		ref(r, k);
	for (k = 0; k < 50; k++)
		ref(r, k);
	for (k = 1000; k < 1000 + 500; k++)
		ref(r, k);
	for (k = 0; k < 50; k++)
		hot += rs_repl_peek(r, k) != RS_REPL_NONE;
	KUNIT_EXPECT_EQ(test, hot, 0U);
}

/* A pinned slot (I/O in flight) is never the victim. */
static void pin_test(struct kunit *test)
{
	struct rs_repl *r = repl_new(test, RS_REPL_LRU, 2, 0);
	struct rs_repl_fill f;
	u32 slot1;

	ref(r, 1);
	ref(r, 2);
	slot1 = rs_repl_peek(r, 1);
	rs_repl_pin(r, slot1, true);
	KUNIT_EXPECT_EQ(test, rs_repl_miss(r, 3, false, &f), RS_FILL_ADMIT);
	KUNIT_EXPECT_TRUE(test, f.evicted);
	KUNIT_EXPECT_EQ(test, f.victim_key, 2ULL);
	/* Both remaining slots pinned: no space. */
	rs_repl_pin(r, rs_repl_peek(r, 3), true);
	KUNIT_EXPECT_EQ(test, rs_repl_miss(r, 4, false, &f), RS_FILL_NOSPACE);
	KUNIT_EXPECT_EQ(test, rs_repl_peek(r, 4), RS_REPL_NONE);
	rs_repl_pin(r, slot1, false);
	KUNIT_EXPECT_EQ(test, rs_repl_miss(r, 4, false, &f), RS_FILL_ADMIT);
	KUNIT_EXPECT_EQ(test, f.victim_key, 1ULL);
}

/*
 * Victim searches pass over at most RS_REPL_PINNED_WALK pinned nodes per
 * list (the kernel searches with interrupts off): with every slot but one
 * pinned, each miss passes over a bounded number of them, and the
 * searches still reach the unpinned one after a few misses.  That one
 * is the 328th oldest: an unbounded search passes over 327 pinned slots.
 * (Older than S3-FIFO's small queue is at its target size: S3-FIFO takes
 * no victim from a small queue below its target.)
 */
static void pinned_walk_bounded_test(struct kunit *test)
{
	const u32 nr = 1024, misses = 2 * nr / RS_REPL_PINNED_WALK + 8;
	const u64 spare_key = 5 * RS_REPL_PINNED_WALK + 7;
	u32 kind, k, spare;

	for (kind = 0; kind < RS_REPL_NR_KINDS; kind++) {
		struct rs_repl *r = repl_new(test, kind, nr, 0);
		enum rs_fill_result res = RS_FILL_NOSPACE;
		struct rs_repl_fill f = {};
		u64 key, before, most = 0;

		for (key = 0; key < nr; key++)
			ref(r, key);
		KUNIT_ASSERT_EQ(test, rs_repl_used(r), nr);
		/* Its slot is the only candidate victim. */
		spare = rs_repl_peek(r, spare_key);
		for (k = 0; k < nr; k++)
			if (k != spare)
				rs_repl_pin(r, k, true);
		for (k = 0; k < misses && res != RS_FILL_ADMIT; k++) {
			before = r->stats.pinned_skipped;
			res = rs_repl_miss(r, nr + k, false, &f);
			most = max(most, r->stats.pinned_skipped - before);
		}
		/* arc searches T1 up to three times in one miss, 2q A1in twice. */
		KUNIT_EXPECT_LE_MSG(test, most, 3ULL * RS_REPL_PINNED_WALK,
				    "%s", rs_repl_name(kind));
		KUNIT_EXPECT_GT_MSG(test, most, 0ULL, "%s", rs_repl_name(kind));
		KUNIT_EXPECT_EQ_MSG(test, res, RS_FILL_ADMIT, "%s after %u misses",
				    rs_repl_name(kind), k);
		KUNIT_EXPECT_EQ_MSG(test, f.victim_key, spare_key, "%s",
				    rs_repl_name(kind));
		KUNIT_EXPECT_EQ_MSG(test, f.slot, spare, "%s", rs_repl_name(kind));
	}
}

/* promote_hits = 2: admitted on the third miss; bypass never admits. */
static void admission_test(struct kunit *test)
{
	struct rs_repl *r = repl_new(test, RS_REPL_LRU, 8, 2);
	struct rs_repl_fill f;

	KUNIT_EXPECT_EQ(test, rs_repl_miss(r, 7, false, &f), RS_FILL_REJECT);
	KUNIT_EXPECT_EQ(test, rs_repl_miss(r, 7, false, &f), RS_FILL_REJECT);
	KUNIT_EXPECT_EQ(test, rs_repl_miss(r, 7, false, &f), RS_FILL_ADMIT);
	KUNIT_EXPECT_EQ(test, rs_repl_peek(r, 7), f.slot);
	KUNIT_EXPECT_EQ(test, rs_repl_miss(r, 9, true, &f), RS_FILL_BYPASS);
	KUNIT_EXPECT_EQ(test, rs_repl_peek(r, 9), RS_REPL_NONE);
}

/* Invalidation frees the slot; a warm restore refills it. */
static void invalidate_restore_test(struct kunit *test)
{
	struct rs_repl *r = repl_new(test, RS_REPL_S3FIFO, 4, 0);
	u32 slot;

	ref(r, 11);
	slot = rs_repl_peek(r, 11);
	KUNIT_EXPECT_EQ(test, rs_repl_invalidate(r, 11), slot);
	KUNIT_EXPECT_EQ(test, rs_repl_used(r), 0U);
	KUNIT_EXPECT_EQ(test, rs_repl_restore(r, 12, slot), 0);
	KUNIT_EXPECT_EQ(test, rs_repl_peek(r, 12), slot);
	KUNIT_EXPECT_EQ(test, rs_repl_restore(r, 13, slot), -ENOSPC);
	KUNIT_EXPECT_EQ(test, rs_repl_restore(r, 12, slot ^ 1), -EINVAL);
}

/*
 * The cache looks a block up once and then calls rs_repl_touch() on its
 * slot: that must leave every algorithm exactly where rs_repl_hit() does.
 * Two instances get the same skewed reference stream, one each way.
 */
static void touch_equals_hit_test(struct kunit *test)
{
	enum rs_repl_kind kind;
	u32 n, seed, k, hits_a, hits_b;

	for (kind = 0; kind < RS_REPL_NR_KINDS; kind++) {
		struct rs_repl *a = repl_new(test, kind, 16, 1);
		struct rs_repl *b = repl_new(test, kind, 16, 1);
		struct rs_repl_fill f;

		hits_a = 0;
		hits_b = 0;
		seed = 12345;
		for (n = 0; n < 4000; n++) {
			u32 slot;

			seed = seed * 1103515245 + 12345;
			/* keys 0-63, low keys far more often */
			k = (seed >> 16) % 64;
			k = k * k / 64;
			if (rs_repl_hit(a, k) != RS_REPL_NONE)
				hits_a++;
			else
				rs_repl_miss(a, k, false, &f);
			slot = rs_repl_peek(b, k);
			if (slot != RS_REPL_NONE) {
				rs_repl_touch(b, slot);
				hits_b++;
			} else {
				rs_repl_miss(b, k, false, &f);
			}
		}
		KUNIT_EXPECT_EQ_MSG(test, hits_a, hits_b, "kind %s", rs_repl_name(kind));
		KUNIT_EXPECT_GT_MSG(test, hits_a, 0U, "kind %s", rs_repl_name(kind));
		for (k = 0; k < 64; k++)
			KUNIT_EXPECT_EQ_MSG(test, rs_repl_peek(a, k), rs_repl_peek(b, k),
					    "kind %s key %u", rs_repl_name(kind), k);
	}
}

/* Without a cutoff nothing is sequential, however long the run. */
static void seq_no_cutoff_test(struct kunit *test)
{
	struct rs_seq s;
	u32 i;

	rs_seq_init(&s, 0);
	for (i = 0; i < 10000; i++)
		KUNIT_EXPECT_FALSE(test, rs_seq_observe(&s, (u64)i * 8, 8));
	rs_seq_init(&s, 4096 * 4);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_FALSE(test, rs_seq_observe(&s, (u64)i * 8, 8));
	KUNIT_EXPECT_TRUE(test, rs_seq_observe(&s, 3 * 8, 8));
}

static struct kunit_case replace_cases[] = {
	KUNIT_CASE(lru_order_test),
	KUNIT_CASE(sieve_second_chance_test),
	KUNIT_CASE(s3fifo_scan_resistance_test),
	KUNIT_CASE(pin_test),
	KUNIT_CASE(pinned_walk_bounded_test),
	KUNIT_CASE(admission_test),
	KUNIT_CASE(invalidate_restore_test),
	KUNIT_CASE(touch_equals_hit_test),
	KUNIT_CASE(seq_no_cutoff_test),
	{}
};

static struct kunit_suite replace_suite = {
	.name = "restack-replace",
	.test_cases = replace_cases,
};

kunit_test_suite(replace_suite);

MODULE_LICENSE("GPL");
