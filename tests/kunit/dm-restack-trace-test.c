// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the restack tracer's records and sampling
 * (drivers/md/dm-restack-trace-record.c, lib/restack_sample.h): how a bio's
 * context is packed into a record, and that spatial sampling selects the
 * rate it is asked for, uniformly, with nested samples.
 */
#include <kunit/test.h>
#include <linux/blk_types.h>

#include "dm-restack-trace-record.h"
#include "lib/restack_sample.h"

#define NOT_FOUND	U64_MAX

static void io_fill(struct dm_restack_io *io, blk_opf_t opf, sector_t sector,
		    u32 sectors)
{
	memset(io, 0, sizeof(*io));
	io->start_ns = 123456789;
	io->virt_sector = sector;
	io->phys_sector = sector + 2048;
	io->cgroup_id = 42;
	io->pid = 777;
	io->phys_dev = MKDEV(8, 16);
	io->nr_sectors = sectors;
	io->inflight = 5;
	io->opf = opf;
	io->result = DM_RESTACK_RESULT_HIT;
}

static void pack_fields_test(struct kunit *test)
{
	struct dm_restack_trace_record rec;
	struct dm_restack_io io;

	io_fill(&io, REQ_OP_WRITE | REQ_FUA | REQ_SYNC, 1000, 8);
	memset(&rec, 0xa5, sizeof(rec));
	restack_trace_pack_io(&rec, MKDEV(253, 3), &io, 5555, -5, true);

	KUNIT_EXPECT_EQ(test, rec.type, DM_RESTACK_REC_IO);
	KUNIT_EXPECT_EQ(test, rec.ts_ns, 123456789ULL);
	KUNIT_EXPECT_EQ(test, rec.virt_sector, 1000ULL);
	KUNIT_EXPECT_EQ(test, rec.phys_sector, 3048ULL);
	KUNIT_EXPECT_EQ(test, rec.latency_ns, 5555ULL);
	KUNIT_EXPECT_EQ(test, rec.cgroup_id, 42ULL);
	KUNIT_EXPECT_EQ(test, rec.volume, (u32)MKDEV(253, 3));
	KUNIT_EXPECT_EQ(test, rec.volume >> 20, 253U);
	KUNIT_EXPECT_EQ(test, rec.volume & 0xfffff, 3U);
	KUNIT_EXPECT_EQ(test, rec.phys_dev, (u32)MKDEV(8, 16));
	KUNIT_EXPECT_EQ(test, rec.pid, 777U);
	KUNIT_EXPECT_EQ(test, rec.sectors, 8U);
	KUNIT_EXPECT_EQ(test, rec.inflight, 5);
	KUNIT_EXPECT_EQ(test, rec.error, -5);
	KUNIT_EXPECT_EQ(test, rec.op, DM_RESTACK_OP_WRITE);
	KUNIT_EXPECT_EQ(test, rec.flags, DM_RESTACK_F_FUA | DM_RESTACK_F_SYNC |
			DM_RESTACK_F_SAMPLED);
	KUNIT_EXPECT_EQ(test, rec.result, DM_RESTACK_RESULT_HIT);
}

static void pack_inflight_saturates_test(struct kunit *test)
{
	struct dm_restack_trace_record rec;
	struct dm_restack_io io;

	io_fill(&io, REQ_OP_READ, 0, 8);
	io.inflight = 70000;
	restack_trace_pack_io(&rec, 1, &io, 0, 0, false);
	KUNIT_EXPECT_EQ(test, rec.inflight, 65535);
	KUNIT_EXPECT_EQ(test, rec.flags, 0);
}

static void op_test(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, restack_trace_op(REQ_OP_READ, 8), DM_RESTACK_OP_READ);
	KUNIT_EXPECT_EQ(test, restack_trace_op(REQ_OP_WRITE, 8), DM_RESTACK_OP_WRITE);
	/* An empty flush is a flush, not a write. */
	KUNIT_EXPECT_EQ(test, restack_trace_op(REQ_OP_WRITE | REQ_PREFLUSH, 0),
			DM_RESTACK_OP_FLUSH);
	/* A write with data and a preflush is a write (flag set). */
	KUNIT_EXPECT_EQ(test, restack_trace_op(REQ_OP_WRITE | REQ_PREFLUSH, 8),
			DM_RESTACK_OP_WRITE);
	KUNIT_EXPECT_EQ(test, restack_trace_flags(REQ_OP_WRITE | REQ_PREFLUSH),
			DM_RESTACK_F_PREFLUSH);
	KUNIT_EXPECT_EQ(test, restack_trace_op(REQ_OP_DISCARD, 2048), DM_RESTACK_OP_DISCARD);
	KUNIT_EXPECT_EQ(test, restack_trace_op(REQ_OP_SECURE_ERASE, 8),
			DM_RESTACK_OP_SECURE_ERASE);
	KUNIT_EXPECT_EQ(test, restack_trace_op(REQ_OP_WRITE_ZEROES, 8),
			DM_RESTACK_OP_WRITE_ZEROES);
	KUNIT_EXPECT_EQ(test, restack_trace_op(REQ_OP_FLUSH, 0), DM_RESTACK_OP_OTHER);
	KUNIT_EXPECT_EQ(test, restack_trace_flags(REQ_OP_READ | REQ_META), DM_RESTACK_F_META);
}

/* Blocks sampled among @n consecutive blocks from @start at @threshold. */
static u64 count_sampled(u64 start, u64 n, u32 threshold)
{
	u64 b, k = 0;

	for (b = start; b < start + n; b++)
		k += restack_block_sampled(b, threshold, DM_RESTACK_SAMPLE_BITS);
	return k;
}

/*
 * The sampled fraction of 2^20 consecutive blocks is the rate asked for,
 * within 5 binomial standard deviations (sequential block numbers are the
 * hard case for a hash).
 */
static void sample_rate_test(struct kunit *test)
{
	static const u32 per_mille[] = { 500, 100, 10, 1 };
	const u64 n = 1 << 20;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(per_mille); i++) {
		u32 threshold = div_u64((u64)per_mille[i] * DM_RESTACK_SAMPLE_MODULUS,
					1000);
		u64 expect = div_u64(n * threshold, DM_RESTACK_SAMPLE_MODULUS);
		/* sigma = sqrt(n p (1-p)) < sqrt(expect) + 1 */
		u64 tolerance = 5 * (int_sqrt64(expect) + 1);
		u64 got = count_sampled(1000000, n, threshold);

		KUNIT_EXPECT_LE_MSG(test, got, expect + tolerance, "rate %u/1000", per_mille[i]);
		KUNIT_EXPECT_GE_MSG(test, got + tolerance, expect, "rate %u/1000", per_mille[i]);
	}
	KUNIT_EXPECT_EQ(test, count_sampled(0, 4096, DM_RESTACK_SAMPLE_MODULUS), 4096ULL);
	KUNIT_EXPECT_EQ(test, count_sampled(0, 4096, 0), 0ULL);
}

/*
 * The low 24 bits of the hash are uniform: a chi-square test over 64
 * buckets of 2^18 sequential blocks stays below 120 (63 degrees of
 * freedom: the 99.99th percentile is about 111; a biased hash lands in
 * the thousands).
 */
static void hash_uniform_test(struct kunit *test)
{
	const u64 n = 1 << 18, expect = n / 64;
	u32 *buckets = kunit_kcalloc(test, 64, sizeof(u32), GFP_KERNEL);
	u64 b, chi = 0;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, buckets);
	for (b = 0; b < n; b++)
		buckets[(restack_hash64(b) & (DM_RESTACK_SAMPLE_MODULUS - 1)) >> 18]++;
	for (i = 0; i < 64; i++) {
		s64 d = (s64)buckets[i] - (s64)expect;

		chi += div_u64(d * d * 1000, expect);
	}
	KUNIT_EXPECT_LT(test, chi, 120ULL * 1000);
}

/*
 * Neighbouring blocks are sampled independently: at rate 1/16, pairs of
 * adjacent blocks both in the sample occur at 1/256, not 1/16 as they would
 * if the hash kept sequential blocks together (an identity "hash" passes
 * the two tests above but fails this one).
 */
static void sample_independent_test(struct kunit *test)
{
	u32 threshold = DM_RESTACK_SAMPLE_MODULUS / 16;
	const u64 n = 1 << 18, expect = n / 256;
	u64 b, pairs = 0;
	bool prev = false;

	for (b = 0; b < n; b++) {
		bool cur = restack_block_sampled(b, threshold, DM_RESTACK_SAMPLE_BITS);

		pairs += prev && cur;
		prev = cur;
	}
	KUNIT_EXPECT_LE(test, pairs, expect + 5 * int_sqrt64(expect));
	KUNIT_EXPECT_GE(test, pairs + 5 * int_sqrt64(expect), expect);
}

/* Samples at a lower rate are contained in samples at a higher rate. */
static void sample_nested_test(struct kunit *test)
{
	u32 lo = DM_RESTACK_SAMPLE_MODULUS / 100, hi = DM_RESTACK_SAMPLE_MODULUS / 10;
	u64 b;

	for (b = 0; b < 100000; b++)
		if (restack_block_sampled(b, lo, DM_RESTACK_SAMPLE_BITS))
			KUNIT_ASSERT_TRUE(test, restack_block_sampled(b, hi,
								      DM_RESTACK_SAMPLE_BITS));
}

/* A bio is sampled iff any block it touches is; flushes always are. */
static void io_sampled_test(struct kunit *test)
{
	u32 threshold = DM_RESTACK_SAMPLE_MODULUS / 100;
	struct dm_restack_io io;
	u64 b, in = NOT_FOUND, out = NOT_FOUND;

	/* From block 1: the straddling case below needs a block before. */
	for (b = 1; b < 10000 && (in == NOT_FOUND || out == NOT_FOUND); b++) {
		if (restack_block_sampled(b, threshold, DM_RESTACK_SAMPLE_BITS))
			in = b;
		else if (!restack_block_sampled(b + 1, threshold, DM_RESTACK_SAMPLE_BITS))
			out = b;
	}
	KUNIT_ASSERT_NE(test, in, NOT_FOUND);
	KUNIT_ASSERT_NE(test, out, NOT_FOUND);

	io_fill(&io, REQ_OP_READ, in * 8, 8);
	KUNIT_EXPECT_TRUE(test, restack_trace_io_sampled(&io, threshold, 3));
	io_fill(&io, REQ_OP_READ, out * 8, 8);
	KUNIT_EXPECT_FALSE(test, restack_trace_io_sampled(&io, threshold, 3));
	/* Two blocks, neither sampled. */
	io_fill(&io, REQ_OP_READ, out * 8, 16);
	KUNIT_EXPECT_FALSE(test, restack_trace_io_sampled(&io, threshold, 3));
	/* Straddling into the sampled block counts. */
	io_fill(&io, REQ_OP_READ, in * 8 - 4, 8);
	KUNIT_EXPECT_TRUE(test, restack_trace_io_sampled(&io, threshold, 3));
	/* An empty flush, a huge discard, full tracing. */
	io_fill(&io, REQ_OP_WRITE | REQ_PREFLUSH, out * 8, 0);
	KUNIT_EXPECT_TRUE(test, restack_trace_io_sampled(&io, threshold, 3));
	io_fill(&io, REQ_OP_DISCARD, out * 8, 8 * (RESTACK_TRACE_SAMPLE_MAX_BLOCKS + 1));
	KUNIT_EXPECT_TRUE(test, restack_trace_io_sampled(&io, threshold, 3));
	io_fill(&io, REQ_OP_READ, out * 8, 8);
	KUNIT_EXPECT_TRUE(test, restack_trace_io_sampled(&io, DM_RESTACK_SAMPLE_MODULUS, 3));
}

static struct kunit_case trace_cases[] = {
	KUNIT_CASE(pack_fields_test),
	KUNIT_CASE(pack_inflight_saturates_test),
	KUNIT_CASE(op_test),
	KUNIT_CASE(sample_rate_test),
	KUNIT_CASE(hash_uniform_test),
	KUNIT_CASE(sample_independent_test),
	KUNIT_CASE(sample_nested_test),
	KUNIT_CASE(io_sampled_test),
	{}
};

static struct kunit_suite trace_suite = {
	.name = "dm-restack-trace",
	.test_cases = trace_cases,
};

kunit_test_suite(trace_suite);

MODULE_LICENSE("GPL");
