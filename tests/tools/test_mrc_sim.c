// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_mrc_sim.c - mini-simulation of the shared replacement code and the
 * synthetic trace generator: a full-rate LRU simulation equals the exact
 * stack-distance curve; scaled-down simulations stay within their stated
 * error of full ones; write-back, sequential cutoff, write-around and
 * discard accounting; kernel-sampled traces.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "restack_test.h"
#include "analyze/restack_analyze_gen.h"
#include "analyze/restack_minisim.h"
#include "analyze/restack_mrc.h"

#define M DM_RESTACK_SAMPLE_MODULUS

/*
 * Under `make valgrind` (RESTACK_VALGRIND set) the accuracy tests run on
 * a twentieth of the references and do not check the error bounds,
 * which need the full size: they then only exercise the code for memory
 * errors.
 */
static bool under_valgrind(void)
{
	return getenv("RESTACK_VALGRIND") != NULL;
}

static struct dm_restack_trace_record *gen_trace(enum restack_gen_kind kind,
						 uint64_t universe, size_t n,
						 double reads, uint32_t req_blocks,
						 uint64_t seed)
{
	struct restack_gen_params p = {
		.kind = kind, .universe = universe, .read_fraction = reads,
		.req_blocks = req_blocks, .seed = seed, .scan_fraction = 0.05,
		.scan_blocks = 4096,
	};
	struct dm_restack_trace_record *t = calloc(n, sizeof(*t));
	struct restack_err err;
	struct restack_gen g;
	size_t i;

	assert_non_null(t);
	assert_int_equal(restack_gen_init(&g, &p, &err), 0);
	for (i = 0; i < n; i++)
		restack_gen_next(&g, &t[i]);
	return t;
}

static struct restack_simset *simset_new(uint32_t block, uint32_t trace_t,
					 uint32_t trace_bs)
{
	struct restack_simset *s = NULL;
	struct restack_err err = { "" };

	if (restack_simset_create(block, trace_t, trace_bs, false, &s, &err)) {
		print_error("simset: %s\n", err.msg);
		fail();
	}
	return s;
}

static int sim_add(struct restack_simset *s, enum rs_repl_kind kind,
		   enum rs_cache_mode mode, uint32_t promote, uint64_t seq,
		   uint64_t blocks, uint32_t threshold)
{
	struct restack_sim_config c = {
		.kind = kind, .mode = mode, .promote_hits = promote,
		.seq_cutoff = seq,
	};
	struct restack_err err = { "" };
	int r = restack_simset_add(s, &c, blocks, threshold, &err);

	if (r < 0) {
		print_error("add: %s\n", err.msg);
		fail();
	}
	return r;
}

static double sim_mr(struct restack_simset *s, int idx)
{
	struct restack_sim_result res;

	restack_simset_result(s, (unsigned int)idx, &res);
	return restack_sim_miss_ratio(&res);
}

/* ---- generator ---- */

static void test_gen_zipf_distribution(void **state)
{
	struct restack_gen_params p = { .kind = RESTACK_GEN_ZIPF,
					.universe = 1000, .alpha = 1.0, .seed = 1 };
	struct restack_gen g;
	struct restack_err err;
	uint64_t counts[4] = { 0 };
	int i, n = 1000000;
	double hn = 0;

	(void)state;
	assert_int_equal(restack_gen_init(&g, &p, &err), 0);
	for (i = 1; i <= 1000; i++)
		hn += 1.0 / i;
	for (i = 0; i < n; i++) {
		uint64_t k = restack_gen_zipf(&g);

		assert_true(k >= 1 && k <= 1000);
		if (k <= 3)
			counts[k]++;
	}
	/* P(k) = 1/(k H_n): within 1% relative */
	for (i = 1; i <= 3; i++)
		assert_true(fabs(counts[i] / (n / (i * hn)) - 1) < 0.01);
	p.universe = 0;
	p.block_bytes = 1000;
	assert_int_equal(restack_gen_init(&g, &p, &err), -EINVAL);
}

static void test_gen_records(void **state)
{
	struct dm_restack_trace_record *t =
		gen_trace(RESTACK_GEN_SCANMIX, 5000, 20000, 0.7, 2, 3);
	size_t i, reads = 0;

	(void)state;
	for (i = 0; i < 20000; i++) {
		assert_int_equal(t[i].type, DM_RESTACK_REC_IO);
		assert_int_equal(t[i].sectors, 16);
		assert_true(t[i].virt_sector % 8 == 0);
		assert_true(i == 0 || t[i].ts_ns > t[i - 1].ts_ns);
		reads += t[i].op == DM_RESTACK_OP_READ;
	}
	assert_true(fabs(reads / 20000.0 - 0.7) < 0.02);
	free(t);
}

/* ---- full-rate LRU simulation == exact stack distances ---- */

static void test_full_lru_equals_exact(void **state)
{
	size_t n = 50000, i;
	struct dm_restack_trace_record *t =
		gen_trace(RESTACK_GEN_SCANMIX, 3000, n, 0.6, 3, 5);
	struct restack_mrc_params mp = { .method = RESTACK_MRC_EXACT,
					 .block_bytes = 4096 };
	uint64_t sizes[] = { 1, 7, 50, 300, 1000, 2999, 10000 };
	struct restack_simset *s = simset_new(4096, 0, 0);
	struct restack_err err;
	struct restack_mrc *m;
	int idx[7];

	(void)state;
	assert_int_equal(restack_mrc_create(&mp, &m, &err), 0);
	for (i = 0; i < 7; i++)
		idx[i] = sim_add(s, RS_REPL_LRU, RS_MODE_WT, 0, 0, sizes[i], M);
	for (i = 0; i < n; i++) {
		restack_mrc_record(m, &t[i]);
		restack_simset_record(s, &t[i]);
	}
	for (i = 0; i < 7; i++) {
		double a = restack_mrc_miss_ratio(m, sizes[i]);
		double b = sim_mr(s, idx[i]);

		if (fabs(a - b) > 1e-12) {
			print_error("size %llu: exact %.6f sim %.6f\n",
				    (unsigned long long)sizes[i], a, b);
			fail();
		}
	}
	restack_mrc_destroy(m);
	restack_simset_destroy(s);
	free(t);
}

/*
 * Stated error: a mini-simulation at R = 0.01 with at least 256 emulated
 * slots is within 0.02 (mean absolute error over the sizes) of the full
 * simulation, for every algorithm.
 */
static void test_minisim_accuracy(void **state)
{
	static const enum restack_gen_kind kinds[] = {
		RESTACK_GEN_ZIPF, RESTACK_GEN_SCANMIX, RESTACK_GEN_UNIFORM,
	};
	uint64_t sizes[] = { 2000, 8000, 20000, 40000, 70000, 100000 };
	size_t n = under_valgrind() ? 15000 : 300000, i, k, z;
	int alg;

	(void)state;
	for (k = 0; k < 3; k++) {
		struct dm_restack_trace_record *t =
			gen_trace(kinds[k], 100000, n, 0.8, 1, 20 + k);
		struct restack_simset *s = simset_new(4096, 0, 0);
		int full[RS_REPL_NR_KINDS][6], mini[RS_REPL_NR_KINDS][6];

		for (alg = 0; alg < RS_REPL_NR_KINDS; alg++)
			for (z = 0; z < 6; z++) {
				full[alg][z] = sim_add(s, alg, RS_MODE_WT, 0, 0,
						       sizes[z], M);
				mini[alg][z] = sim_add(s, alg, RS_MODE_WT, 0, 0,
						       sizes[z],
						       restack_sim_threshold(sizes[z], 0.01,
									     RESTACK_SIM_MIN_SLOTS));
			}
		for (i = 0; i < n; i++)
			restack_simset_record(s, &t[i]);
		for (alg = 0; alg < RS_REPL_NR_KINDS; alg++) {
			double mae = 0;

			for (z = 0; z < 6; z++)
				mae += fabs(sim_mr(s, full[alg][z]) -
					    sim_mr(s, mini[alg][z]));
			mae /= 6;
			print_message("gen %zu %s: minisim MAE %.4f\n", k,
				      rs_repl_name(alg), mae);
			if (!under_valgrind())
				assert_true(mae <= 0.02);
		}
		restack_simset_destroy(s);
		free(t);
	}
}

/* The scaled cache really is scaled: simulated at R but not scaled down. */
static void test_minisim_scaling_matters(void **state)
{
	size_t n = 300000, i;
	struct dm_restack_trace_record *t =
		gen_trace(RESTACK_GEN_UNIFORM, 100000, n, 1, 1, 4);
	struct restack_simset *s = simset_new(4096, 0, 0);
	int a = sim_add(s, RS_REPL_S3FIFO, RS_MODE_WT, 0, 0, 50000, M / 10);
	int f = sim_add(s, RS_REPL_S3FIFO, RS_MODE_WT, 0, 0, 50000, M);
	int b = sim_add(s, RS_REPL_S3FIFO, RS_MODE_WT, 0, 0, 5000, M);
	struct restack_sim_result res;

	(void)state;
	for (i = 0; i < n; i++)
		restack_simset_record(s, &t[i]);
	restack_simset_result(s, (unsigned int)a, &res);
	assert_true(res.slots == 5000);
	assert_true(fabs(restack_sim_miss_ratio(&res) - sim_mr(s, f)) < 0.02);
	/* a 5000-block cache is much worse */
	assert_true(sim_mr(s, b) > sim_mr(s, f) + 0.2);
	restack_simset_destroy(s);
	free(t);
}

/* ---- accounting: write-back, write-around, sequential, discard ---- */

static struct dm_restack_trace_record io(uint8_t op, uint64_t block,
					 uint32_t blocks)
{
	struct dm_restack_trace_record r;

	memset(&r, 0, sizeof(r));
	r.type = DM_RESTACK_REC_IO;
	r.op = op;
	r.virt_sector = block * 8;
	r.sectors = blocks * 8;
	return r;
}

static void test_writeback_accounting(void **state)
{
	struct restack_simset *s = simset_new(4096, 0, 0);
	int wb = sim_add(s, RS_REPL_LRU, RS_MODE_WB, 0, 0, 2, M);
	int wt = sim_add(s, RS_REPL_LRU, RS_MODE_WT, 0, 0, 2, M);
	int wa = sim_add(s, RS_REPL_LRU, RS_MODE_WA, 0, 0, 2, M);
	struct dm_restack_trace_record t[] = {
		io(DM_RESTACK_OP_WRITE, 1, 1),	/* fill, dirty(wb) */
		io(DM_RESTACK_OP_WRITE, 1, 1),	/* hit */
		io(DM_RESTACK_OP_READ, 2, 1),	/* fill */
		io(DM_RESTACK_OP_READ, 3, 1),	/* fill, evicts 1: writeback */
		io(DM_RESTACK_OP_WRITE, 2, 1),	/* hit; wa: invalidate */
		io(DM_RESTACK_OP_DISCARD, 2, 1), /* drops 2 without writeback */
		io(DM_RESTACK_OP_READ, 2, 1),	/* miss again */
	};
	struct restack_sim_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		restack_simset_record(s, &t[i]);
	restack_simset_result(s, (unsigned int)wb, &r);
	assert_true(r.write_refs == 3 && r.write_hits == 2 && r.write_fills == 1);
	assert_true(r.read_refs == 3 && r.read_hits == 0 && r.read_fills == 3);
	assert_true(r.writebacks == 1);
	assert_true(r.dirty_end == 0);	/* block 2's dirt was discarded */
	restack_simset_result(s, (unsigned int)wt, &r);
	assert_true(r.write_hits == 2 && r.writebacks == 0 && r.dirty_end == 0);
	restack_simset_result(s, (unsigned int)wa, &r);
	assert_true(r.write_hits == 0 && r.write_fills == 0);
	assert_true(r.invalidations == 1);	/* the write to cached 2 */
	assert_true(r.read_fills == 3);
	restack_simset_destroy(s);
}

static void test_seq_cutoff(void **state)
{
	struct restack_simset *s = simset_new(4096, 0, 0);
	int plain = sim_add(s, RS_REPL_LRU, RS_MODE_WT, 0, 0, 100, M);
	int cut = sim_add(s, RS_REPL_LRU, RS_MODE_WT, 0, 64 << 10, 100, M);
	struct restack_sim_result r;
	struct dm_restack_trace_record rec;
	uint64_t b;
	int round;

	(void)state;
	for (round = 0; round < 10; round++) {
		/* hot set of 60 blocks, random order-ish */
		for (b = 0; b < 60; b++) {
			rec = io(DM_RESTACK_OP_READ, (b * 37) % 60, 1);
			restack_simset_record(s, &rec);
		}
		/* a sequential scan of 200 blocks in 4 KiB requests */
		for (b = 0; b < 200; b++) {
			rec = io(DM_RESTACK_OP_READ, 100000 + round * 1000 + b, 1);
			restack_simset_record(s, &rec);
		}
	}
	/* without a cutoff the scan flushes the hot set every round */
	restack_simset_result(s, (unsigned int)plain, &r);
	assert_true(r.read_hits == 0);
	/* with it, only the first 16 blocks of each scan are cached */
	restack_simset_result(s, (unsigned int)cut, &r);
	assert_true(r.read_hits >= 9 * 60);
	assert_true(r.bypassed == 10 * (200 - 15));
	restack_simset_destroy(s);
}

static void test_promote_hits_sim(void **state)
{
	struct restack_simset *s = simset_new(4096, 0, 0);
	int p0 = sim_add(s, RS_REPL_SIEVE, RS_MODE_WT, 0, 0, 10, M);
	int p2 = sim_add(s, RS_REPL_SIEVE, RS_MODE_WT, 2, 0, 10, M);
	struct dm_restack_trace_record rec = io(DM_RESTACK_OP_READ, 5, 1);
	struct restack_sim_result r;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		restack_simset_record(s, &rec);
	restack_simset_result(s, (unsigned int)p0, &r);
	assert_true(r.read_hits == 4 && r.rejected == 0);
	restack_simset_result(s, (unsigned int)p2, &r);
	assert_true(r.read_hits == 2 && r.rejected == 2 && r.read_fills == 1);
	restack_simset_destroy(s);
}

/* ---- kernel-sampled traces and bad parameters ---- */

static void test_sampled_trace(void **state)
{
	struct restack_simset *s = NULL;
	struct restack_sim_config c = { .kind = RS_REPL_ARC, .mode = RS_MODE_WT };
	struct restack_err err;
	struct restack_sim_result r;
	int idx;

	(void)state;
	assert_int_equal(restack_simset_create(4096, M / 8, 16, false, &s, &err),
			 -EINVAL);
	assert_contains(err.msg, "8192");
	assert_int_equal(restack_simset_create(3000, 0, 0, false, &s, &err),
			 -EINVAL);
	s = simset_new(4096, M / 8, 8);
	idx = restack_simset_add(s, &c, 8000, M, &err);
	assert_true(idx == 0);
	restack_simset_result(s, 0, &r);
	assert_true(r.threshold == M / 8 && r.slots == 1000);
	c.kind = RS_REPL_NR_KINDS;
	assert_true(restack_simset_add(s, &c, 8000, M, &err) == -EINVAL);
	c.kind = RS_REPL_LRU;
	assert_true(restack_simset_add(s, &c, 0, M, &err) == -EINVAL);
	c.promote_hits = 256;
	assert_true(restack_simset_add(s, &c, 10, M, &err) == -EINVAL);
	c.promote_hits = 0;
	/* adding after the trace started is refused */
	{
		struct dm_restack_trace_record rec = io(DM_RESTACK_OP_READ, 1, 1);

		restack_simset_record(s, &rec);
		assert_true(restack_simset_add(s, &c, 10, M, &err) == -EBUSY);
	}
	restack_simset_destroy(s);
	/* thresholds */
	assert_true(restack_sim_threshold(100, 0.01, 256) == M);
	assert_true(restack_sim_threshold(1 << 20, 0.01, 256) ==
		    (uint32_t)(0.01 * M));
	assert_true(restack_sim_threshold(51200, 0.001, 256) ==
		    (uint32_t)ceil(256.0 * M / 51200));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_zipf_distribution),
		cmocka_unit_test(test_gen_records),
		cmocka_unit_test(test_full_lru_equals_exact),
		cmocka_unit_test(test_minisim_accuracy),
		cmocka_unit_test(test_minisim_scaling_matters),
		cmocka_unit_test(test_writeback_accounting),
		cmocka_unit_test(test_seq_cutoff),
		cmocka_unit_test(test_promote_hits_sim),
		cmocka_unit_test(test_sampled_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
