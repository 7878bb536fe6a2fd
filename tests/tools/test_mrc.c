// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_mrc.c - the analyzer's LRU miss-ratio curves: the exact curve
 * against a brute-force LRU cache simulation (must match exactly), block
 * splitting, --reads-only, kernel-sampled traces, SHARDS (fixed rate and
 * fixed size) within their stated error, and the helpers they sit on
 * (byte sizes, the u64 map, the distance histogram).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "restack_test.h"
#include "analyze/restack_mrc.h"
#include "trace/restack_trace.h"
#include "../../lib/restack_sample.h"

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

/* ---- deterministic PRNG (splitmix64) ---- */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
	return (rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- brute-force LRU: a recency array, one cache size at a time ---- */

static uint64_t brute_lru_hits(const uint64_t *refs, size_t n, size_t cap)
{
	uint64_t *lru = calloc(cap + 1, sizeof(*lru));
	size_t used = 0, i, j;
	uint64_t hits = 0;

	assert_non_null(lru);
	for (i = 0; i < n; i++) {
		for (j = 0; j < used && lru[j] != refs[i]; j++)
			;
		if (j < used) {
			hits++;
		} else {
			if (used < cap)
				used++;
			j = used - 1;	/* the LRU entry falls off if full */
		}
		memmove(lru + 1, lru, j * sizeof(*lru));
		lru[0] = refs[i];
	}
	free(lru);
	return hits;
}

static struct restack_mrc *mrc_new(enum restack_mrc_method method,
				   uint32_t block_bytes, uint32_t threshold,
				   uint32_t smax)
{
	struct restack_mrc_params p = {
		.method = method, .block_bytes = block_bytes,
		.threshold = threshold, .smax = smax,
	};
	struct restack_err err = { "" };
	struct restack_mrc *m = NULL;

	if (restack_mrc_create(&p, &m, &err)) {
		print_error("create: %s\n", err.msg);
		fail();
	}
	return m;
}

/* Compare exact MRC and brute force at every size 1..distinct+1. */
static void check_exact_vs_brute(const uint64_t *refs, size_t n)
{
	struct restack_mrc *m = mrc_new(RESTACK_MRC_EXACT, 4096, 0, 0);
	uint64_t distinct, c;
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(restack_mrc_access(m, refs[i]), 0);
	distinct = (uint64_t)restack_mrc_distinct(m);
	assert_true(restack_mrc_refs(m) == n);
	for (c = 1; c <= distinct + 1; c++) {
		uint64_t hits = brute_lru_hits(refs, n, c);
		double mr = restack_mrc_miss_ratio(m, c);
		double misses = mr * (double)n;

		if (fabs(misses - (double)(n - hits)) > 1e-6) {
			print_error("cache %llu: exact %.6f misses, brute %llu\n",
				    (unsigned long long)c, misses,
				    (unsigned long long)(n - hits));
			fail();
		}
	}
	assert_true(restack_mrc_miss_ratio(m, 0) == 1.0);
	restack_mrc_destroy(m);
}

static void test_exact_vs_brute_random(void **state)
{
	uint64_t seed = 42, *refs;
	size_t n = 3000, i;
	int round;

	(void)state;
	refs = calloc(n, sizeof(*refs));
	assert_non_null(refs);
	for (round = 0; round < 12; round++) {
		uint64_t universe = 8 + rng_next(&seed) % 400;

		for (i = 0; i < n; i++) {
			/* a mix of uniform, skewed and short loops */
			double u = rng_unit(&seed);

			if (round % 3 == 0)
				refs[i] = rng_next(&seed) % universe;
			else if (round % 3 == 1)
				refs[i] = (uint64_t)(universe * u * u * u);
			else
				refs[i] = (i % (universe / 2 + 1)) ^
					  (rng_next(&seed) % 4 == 0 ? 7 : 0);
			/* some huge block numbers, as from a large volume */
			if (rng_next(&seed) % 50 == 0)
				refs[i] += UINT64_MAX - universe;
		}
		check_exact_vs_brute(refs, n);
	}
	free(refs);
}

/* Enough references that the time axis compacts and grows many times. */
static void test_exact_vs_brute_long(void **state)
{
	uint64_t seed = 7, *refs;
	size_t n = under_valgrind() ? 6000 : 60000, i;

	(void)state;
	refs = calloc(n, sizeof(*refs));
	assert_non_null(refs);
	for (i = 0; i < n; i++)
		refs[i] = rng_next(&seed) % 300;
	check_exact_vs_brute(refs, n);
	/* a growing working set: compaction must grow the time axis */
	for (i = 0; i < n; i++)
		refs[i] = i % 3 ? rng_next(&seed) % (i / 8 + 1) : i;
	{
		struct restack_mrc *m = mrc_new(RESTACK_MRC_EXACT, 4096, 0, 0);
		uint64_t sizes[] = { 1, 10, 100, 1000, 5000, 20000 };

		for (i = 0; i < n; i++)
			assert_int_equal(restack_mrc_access(m, refs[i]), 0);
		for (i = 0; i < 6; i++) {
			uint64_t hits = brute_lru_hits(refs, n, sizes[i]);

			assert_true(fabs(restack_mrc_miss_ratio(m, sizes[i]) * n -
					 (double)(n - hits)) < 1e-6);
		}
		restack_mrc_destroy(m);
	}
	free(refs);
}

static void test_exact_edge_cases(void **state)
{
	struct restack_mrc *m = mrc_new(RESTACK_MRC_EXACT, 4096, 0, 0);
	int i;

	(void)state;
	assert_true(isnan(restack_mrc_miss_ratio(m, 10)));
	for (i = 0; i < 10; i++)
		restack_mrc_access(m, 5);
	/* one cold miss, nine hits at distance 1 */
	assert_true(fabs(restack_mrc_miss_ratio(m, 1) - 0.1) < 1e-12);
	assert_true(restack_mrc_miss_ratio(m, 0) == 1.0);
	restack_mrc_destroy(m);

	/* a cyclic scan one larger than the cache misses every time */
	m = mrc_new(RESTACK_MRC_EXACT, 4096, 0, 0);
	for (i = 0; i < 1000; i++)
		restack_mrc_access(m, (uint64_t)(i % 10));
	assert_true(restack_mrc_miss_ratio(m, 9) == 1.0);
	assert_true(fabs(restack_mrc_miss_ratio(m, 10) - 0.01) < 1e-12);
	restack_mrc_destroy(m);
}

/* ---- records: block splitting and --reads-only ---- */

static struct dm_restack_trace_record io(uint8_t op, uint64_t sector,
					 uint32_t sectors)
{
	struct dm_restack_trace_record r;

	memset(&r, 0, sizeof(r));
	r.type = DM_RESTACK_REC_IO;
	r.op = op;
	r.virt_sector = sector;
	r.sectors = sectors;
	return r;
}

static void test_record_splitting(void **state)
{
	struct restack_mrc_params p = {
		.method = RESTACK_MRC_EXACT, .block_bytes = 4096,
	};
	struct dm_restack_trace_record recs[] = {
		io(DM_RESTACK_OP_READ, 0, 8),	/* block 0 */
		io(DM_RESTACK_OP_WRITE, 4, 16),	/* blocks 0, 1, 2 */
		io(DM_RESTACK_OP_READ, 8, 1),	/* block 1 */
		io(DM_RESTACK_OP_DISCARD, 0, 64), /* ignored */
		io(DM_RESTACK_OP_FLUSH, 0, 0),	/* ignored */
		io(DM_RESTACK_OP_READ, 0, 0),	/* no data: ignored */
	};
	struct restack_err err;
	struct restack_mrc *m;
	size_t i;

	(void)state;
	recs[5].type = DM_RESTACK_REC_COMM;
	assert_int_equal(restack_mrc_create(&p, &m, &err), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(restack_mrc_record(m, &recs[i]), 0);
	/* refs: 0 | 0 1 2 | 1  -> cold 0,1,2; hits: 0 at d=1, 1 at d=2 */
	assert_true(restack_mrc_refs(m) == 5);
	assert_true(fabs(restack_mrc_miss_ratio(m, 1) - 4.0 / 5) < 1e-12);
	assert_true(fabs(restack_mrc_miss_ratio(m, 2) - 3.0 / 5) < 1e-12);
	restack_mrc_destroy(m);

	p.reads_only = true;
	assert_int_equal(restack_mrc_create(&p, &m, &err), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(restack_mrc_record(m, &recs[i]), 0);
	/* reads: block 0, block 1 -> two cold misses */
	assert_true(restack_mrc_refs(m) == 2);
	assert_true(restack_mrc_miss_ratio(m, 100) == 1.0);
	restack_mrc_destroy(m);

	/* 512-byte blocks: the write covers sectors 4..19 */
	p.reads_only = false;
	p.block_bytes = 512;
	assert_int_equal(restack_mrc_create(&p, &m, &err), 0);
	assert_int_equal(restack_mrc_record(m, &recs[1]), 0);
	assert_true(restack_mrc_refs(m) == 16);
	restack_mrc_destroy(m);

	/* a request at the very end of a 64-bit sector space */
	p.block_bytes = 4096;
	assert_int_equal(restack_mrc_create(&p, &m, &err), 0);
	recs[0] = io(DM_RESTACK_OP_READ, UINT64_MAX - 3, 8);
	assert_int_equal(restack_mrc_record(m, &recs[0]), 0);
	assert_int_equal(restack_mrc_record(m, &recs[0]), 0);
	assert_true(restack_mrc_refs(m) == 2);
	assert_true(fabs(restack_mrc_miss_ratio(m, 1) - 0.5) < 1e-12);
	restack_mrc_destroy(m);
}

static void test_params_rejected(void **state)
{
	struct restack_mrc_params p = {
		.method = RESTACK_MRC_EXACT, .block_bytes = 3000,
	};
	struct restack_err err;
	struct restack_mrc *m = (void *)1;

	(void)state;
	assert_int_equal(restack_mrc_create(&p, &m, &err), -EINVAL);
	assert_null(m);
	assert_contains(err.msg, "power of two");
	p.block_bytes = 256;
	assert_int_equal(restack_mrc_create(&p, &m, &err), -EINVAL);
	p.block_bytes = 4096;
	p.method = RESTACK_MRC_FIXED_RATE;
	p.threshold = 0;
	assert_int_equal(restack_mrc_create(&p, &m, &err), -EINVAL);
	assert_contains(err.msg, "threshold");
	p.threshold = DM_RESTACK_SAMPLE_MODULUS + 1;
	assert_int_equal(restack_mrc_create(&p, &m, &err), -EINVAL);
	p.method = RESTACK_MRC_FIXED_SIZE;
	p.smax = 10;
	assert_int_equal(restack_mrc_create(&p, &m, &err), -EINVAL);
	assert_contains(err.msg, "fixed-size");
	p.smax = RESTACK_MRC_SMAX_MAX + 1;
	assert_int_equal(restack_mrc_create(&p, &m, &err), -EINVAL);
	/* a kernel-sampled trace fixes the block size */
	p.method = RESTACK_MRC_EXACT;
	p.trace_threshold = 1000;
	p.trace_block_sectors = 16;
	assert_int_equal(restack_mrc_create(&p, &m, &err), -EINVAL);
	assert_contains(err.msg, "8192");
	p.method = 77;
	p.trace_threshold = 0;
	assert_int_equal(restack_mrc_create(&p, &m, &err), -EINVAL);
}

/* ---- helpers ---- */

static void test_parse_bytes(void **state)
{
	static const struct {
		const char *in;
		int ret;
		uint64_t val;
	} c[] = {
		{ "0", 0, 0 }, { "4096", 0, 4096 }, { "4K", 0, 4096 },
		{ "64KiB", 0, 65536 }, { "1M", 0, 1 << 20 },
		{ "1G", 0, 1ULL << 30 }, { "3GiB", 0, 3ULL << 30 },
		{ "2T", 0, 2ULL << 40 },
		{ "16777216T", -ERANGE, 0 },
		{ "", -EINVAL, 0 }, { "K", -EINVAL, 0 }, { "01K", -EINVAL, 0 },
		{ "4k", -EINVAL, 0 }, { "4 K", -EINVAL, 0 }, { "-4", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 }, { "4KB", -EINVAL, 0 },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "99999999999T", -ERANGE, 0 },
	};
	struct restack_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint64_t v = 12345;
		int r = restack_parse_bytes("size", c[i].in, &v, &err);

		if (r != c[i].ret) {
			print_error("\"%s\": %d, expected %d\n", c[i].in, r,
				    c[i].ret);
			fail();
		}
		if (!r)
			assert_true(v == c[i].val);
		else
			assert_contains(err.msg, "size: ");
	}
}

static void test_u64map(void **state)
{
	struct restack_u64map m;
	uint64_t seed = 3, *present, i, pos = 0, k, v, n = 0;

	(void)state;
	present = calloc(5000, sizeof(*present));	/* key -> value + 1 */
	assert_non_null(present);
	assert_int_equal(restack_u64map_init(&m, 0), 0);
	for (i = 0; i < 200000; i++) {
		uint64_t key = rng_next(&seed) % 5000, *p;
		bool created;

		switch (rng_next(&seed) % 3) {
		case 0:
			p = restack_u64map_upsert(&m, key, &created);
			assert_non_null(p);
			assert_true(created == !present[key]);
			*p = i;
			present[key] = i + 1;
			break;
		case 1:
			assert_true(restack_u64map_remove(&m, key) ==
				    !!present[key]);
			present[key] = 0;
			break;
		default:
			p = restack_u64map_find(&m, key);
			if (present[key])
				assert_true(p && *p == present[key] - 1);
			else
				assert_null(p);
		}
	}
	for (i = 0; i < 5000; i++)
		n += !!present[i];
	assert_true(m.count == n);
	i = 0;
	while (restack_u64map_next(&m, &pos, &k, &v)) {
		assert_true(k < 5000 && present[k] == v + 1);
		i++;
	}
	assert_true(i == n);
	/* the all-ones key lives outside the table */
	{
		bool created;
		uint64_t *p = restack_u64map_upsert(&m, UINT64_MAX, &created);

		assert_true(p && created);
		*p = 9;
		assert_true(*restack_u64map_find(&m, UINT64_MAX) == 9);
		assert_true(restack_u64map_remove(&m, UINT64_MAX));
		assert_null(restack_u64map_find(&m, UINT64_MAX));
	}
	restack_u64map_release(&m);
	restack_u64map_release(&m);	/* safe twice */
	free(present);
}

static void test_dhist(void **state)
{
	struct restack_dhist h;
	int i;

	(void)state;
	assert_int_equal(restack_dhist_init(&h, 1, 4), 0);
	for (i = 1; i <= 4; i++)
		assert_int_equal(restack_dhist_add(&h, i, 1), 0);
	assert_true(restack_dhist_hits(&h, 2) == 2);
	/* 8 does not fit 4 bins of width 1: width 2, then bins of 4 */
	assert_int_equal(restack_dhist_add(&h, 8, 1), 0);
	assert_true(h.width == 2);
	assert_true(restack_dhist_hits(&h, 4) == 4);
	assert_true(restack_dhist_hits(&h, 3) == 3);	/* interpolated */
	assert_true(restack_dhist_hits(&h, 100) == 5);
	restack_dhist_add_cold(&h, 2);
	assert_true(h.total == 7);
	restack_dhist_release(&h);
	assert_int_equal(restack_dhist_init(&h, 0, 4), -EINVAL);
}

static void test_auto_sizes(void **state)
{
	uint64_t b[64];
	unsigned int n, i;

	(void)state;
	n = restack_mrc_auto_sizes(100000, b, 64);
	assert_true(n > 40 && n <= 64);
	assert_true(b[0] == 1 && b[n - 1] == 100000);
	for (i = 1; i < n; i++)
		assert_true(b[i] > b[i - 1]);
	n = restack_mrc_auto_sizes(0, b, 64);
	assert_true(n == 2 && b[0] == 1 && b[1] == 2);
}

/* ---- SHARDS ---- */

/* A synthetic trace of block references. */
enum gen_kind { GEN_ZIPF, GEN_UNIFORM, GEN_SCAN_MIX };

static uint64_t *gen_refs(enum gen_kind kind, size_t n, uint64_t universe,
			  uint64_t seed)
{
	uint64_t *refs = calloc(n, sizeof(*refs)), scan = 0;
	double *cdf = NULL;
	size_t i;

	assert_non_null(refs);
	if (kind != GEN_UNIFORM) {
		double s = 0;

		cdf = calloc(universe, sizeof(*cdf));
		assert_non_null(cdf);
		for (i = 0; i < universe; i++)
			cdf[i] = s += 1.0 / pow((double)(i + 1), 0.9);
		for (i = 0; i < universe; i++)
			cdf[i] /= s;
	}
	for (i = 0; i < n; i++) {
		if (kind == GEN_UNIFORM) {
			refs[i] = rng_next(&seed) % universe;
		} else if (kind == GEN_SCAN_MIX && rng_next(&seed) % 10 < 3) {
			refs[i] = universe + 1000 + scan++;	/* never reused */
		} else {
			double u = rng_unit(&seed);
			size_t lo = 0, hi = universe - 1;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (cdf[mid] < u)
					lo = mid + 1;
				else
					hi = mid;
			}
			/* scatter ranks over the block space */
			refs[i] = restack_hash64(lo) % (universe * 16);
		}
	}
	free(cdf);
	return refs;
}

/*
 * Mean absolute error over 100 cache sizes evenly spaced from 1% to 100%
 * of the exact working set (the grid the bench and the documentation
 * use too).
 */
static double mae_vs_exact(struct restack_mrc *exact, struct restack_mrc *est)
{
	double wss = restack_mrc_distinct(exact), sum = 0;
	int i;

	for (i = 1; i <= 100; i++) {
		uint64_t c = (uint64_t)(wss * i / 100);

		sum += fabs(restack_mrc_miss_ratio(exact, c) -
			    restack_mrc_miss_ratio(est, c));
	}
	return sum / 100;
}

/*
 * Stated error (Documentation/analyzer.rst): with SHARDS_adj the mean
 * absolute error against the exact curve shrinks as 1/sqrt(S) for S
 * sampled distinct blocks: within 0.02 from S = 10K, 0.03 from S = 2K;
 * fixed-size SHARDS with the default 32K samples within 0.01, with 8K
 * within 0.02.  (The bench holds R = 0.01 to 0.01 on large traces.)
 */
static void test_shards_accuracy(void **state)
{
	static const struct {
		const char *name;
		enum gen_kind kind;
		uint64_t universe;
	} cases[] = {
		{ "zipf", GEN_ZIPF, 200000 },
		{ "uniform", GEN_UNIFORM, 200000 },
		{ "scan-mix", GEN_SCAN_MIX, 200000 },
	};
	static const struct {
		enum restack_mrc_method method;
		uint32_t threshold, smax;
		double bound;
	} est[] = {
		{ RESTACK_MRC_FIXED_RATE, DM_RESTACK_SAMPLE_MODULUS / 20, 0, 0.02 },
		{ RESTACK_MRC_FIXED_RATE, DM_RESTACK_SAMPLE_MODULUS / 100, 0, 0.03 },
		{ RESTACK_MRC_FIXED_SIZE, 0, 0, 0.01 },
		{ RESTACK_MRC_FIXED_SIZE, 0, 8192, 0.02 },
	};
	size_t n = under_valgrind() ? 50000 : 1000000, i, c, e;

	(void)state;
	for (c = 0; c < 3; c++) {
		uint64_t *refs = gen_refs(cases[c].kind, n, cases[c].universe,
					  c + 11);
		struct restack_mrc *exact = mrc_new(RESTACK_MRC_EXACT, 4096, 0, 0);
		struct restack_mrc *m[4];

		for (e = 0; e < 4; e++)
			m[e] = mrc_new(est[e].method, 4096, est[e].threshold,
				       est[e].smax);
		for (i = 0; i < n; i++) {
			restack_mrc_access(exact, refs[i]);
			for (e = 0; e < 4; e++)
				restack_mrc_access(m[e], refs[i]);
		}
		for (e = 0; e < 4; e++) {
			double mae = mae_vs_exact(exact, m[e]);

			print_message("%s: %s T=%u: MAE %.4f (bound %.2f)\n",
				      cases[c].name,
				      est[e].method == RESTACK_MRC_FIXED_RATE ?
				      "fixed-rate" : "fixed-size",
				      restack_mrc_threshold(m[e]), mae,
				      est[e].bound);
			if (!under_valgrind()) {
				assert_true(mae <= est[e].bound);
				/* distinct-block estimate within 10% */
				assert_true(fabs(restack_mrc_distinct(m[e]) /
						 restack_mrc_distinct(exact) - 1) < 0.1);
			}
			if (est[e].method == RESTACK_MRC_FIXED_SIZE &&
			    !under_valgrind()) {
				/* the sample set is bounded */
				assert_true(restack_mrc_threshold(m[e]) <
					    DM_RESTACK_SAMPLE_MODULUS);
				assert_true(restack_mrc_peak_bytes(m[e]) <
					    8u << 20);
			}
			restack_mrc_destroy(m[e]);
		}
		restack_mrc_destroy(exact);
		free(refs);
	}
}

/* A sampler can fail the test: a wrong scale gives a shifted curve. */
static void test_shards_scaling_matters(void **state)
{
	size_t n = 400000, i;
	uint64_t *refs = gen_refs(GEN_UNIFORM, n, 20000, 5);
	struct restack_mrc *exact = mrc_new(RESTACK_MRC_EXACT, 4096, 0, 0);
	struct restack_mrc *fr = mrc_new(RESTACK_MRC_FIXED_RATE, 4096,
					 DM_RESTACK_SAMPLE_MODULUS / 10, 0);

	(void)state;
	for (i = 0; i < n; i++) {
		restack_mrc_access(exact, refs[i]);
		restack_mrc_access(fr, refs[i]);
	}
	/* uniform over 20000 blocks: miss ratio at 10000 blocks ~ 0.5 */
	assert_true(fabs(restack_mrc_miss_ratio(exact, 10000) -
			 restack_mrc_miss_ratio(fr, 10000)) < 0.02);
	/* the sampled curve read at the unscaled size would be ~0.95 */
	assert_true(restack_mrc_miss_ratio(fr, 1000) > 0.9);
	restack_mrc_destroy(exact);
	restack_mrc_destroy(fr);
	free(refs);
}

/*
 * A trace the kernel sampled at R0 contains only records touching
 * sampled blocks; EXACT on it equals fixed-rate at R0 on the full trace.
 */
static void test_kernel_sampled_trace(void **state)
{
	uint32_t t0 = DM_RESTACK_SAMPLE_MODULUS / 20;
	size_t n = 200000, i;
	uint64_t *refs = gen_refs(GEN_ZIPF, n, 50000, 9), sizes[] = {
		100, 1000, 5000, 20000, 60000 };
	struct restack_mrc_params p = {
		.method = RESTACK_MRC_EXACT, .block_bytes = 4096,
		.trace_threshold = t0, .trace_block_sectors = 8,
		.no_adjust = true,
	};
	struct restack_mrc_params pf = {
		.method = RESTACK_MRC_FIXED_RATE, .block_bytes = 4096,
		.threshold = t0, .no_adjust = true,
	};
	struct restack_mrc *full, *ks, *ks_rate;
	struct restack_err err;

	(void)state;
	assert_int_equal(restack_mrc_create(&pf, &full, &err), 0);
	assert_int_equal(restack_mrc_create(&p, &ks, &err), 0);
	assert_int_equal(restack_mrc_threshold(ks), t0);
	p.method = RESTACK_MRC_FIXED_RATE;
	p.threshold = DM_RESTACK_SAMPLE_MODULUS / 2;	/* capped at t0 */
	assert_int_equal(restack_mrc_create(&p, &ks_rate, &err), 0);
	assert_int_equal(restack_mrc_threshold(ks_rate), t0);
	for (i = 0; i < n; i++) {
		struct dm_restack_trace_record r =
			io(DM_RESTACK_OP_READ, refs[i] * 8, 16);

		/* a 2-block bio; both blocks feed the full-trace sampler */
		restack_mrc_access(full, refs[i]);
		restack_mrc_access(full, refs[i] + 1);
		/* the kernel keeps the bio when either block is sampled */
		if (restack_block_sampled(refs[i], t0, DM_RESTACK_SAMPLE_BITS) ||
		    restack_block_sampled(refs[i] + 1, t0,
					  DM_RESTACK_SAMPLE_BITS)) {
			restack_mrc_record(ks, &r);
			restack_mrc_record(ks_rate, &r);
		}
	}
	/* both saw exactly the full trace's sampled references */
	assert_true(restack_mrc_sampled_refs(ks) ==
		    restack_mrc_sampled_refs(full));
	for (i = 0; i < 5; i++) {
		double a = restack_mrc_miss_ratio(ks, sizes[i]);

		assert_true(fabs(a - restack_mrc_miss_ratio(ks_rate, sizes[i])) < 1e-12);
		assert_true(fabs(a - restack_mrc_miss_ratio(full, sizes[i])) < 1e-12);
	}
	assert_true(restack_mrc_miss_ratio(ks, 20000) < 0.9);
	restack_mrc_destroy(full);
	restack_mrc_destroy(ks);
	restack_mrc_destroy(ks_rate);
	free(refs);
}

/* ---- restack_mrc_from_trace: the daemon's and the CLI's curve ---- */

/*
 * A new temporary trace @path of @n requests of one 4 KiB block each, a
 * quarter of them writes, over 4096 blocks skewed towards the low ones
 * (the smaller of two uniform draws) so that the curve has a shape.
 */
static void write_skewed_trace(char *path, size_t n)
{
	struct dm_restack_trace_header h = { .flags = DM_RESTACK_TH_SORTED };
	struct restack_trace_writer *w = NULL;
	struct restack_err err = { "" };
	uint64_t seed = 7, x, y;
	int fd = mkstemp(path);
	size_t i;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(restack_trace_create(path, false, &h, &w, &err), 0);
	for (i = 0; i < n; i++) {
		struct dm_restack_trace_record rec = {
			.type = DM_RESTACK_REC_IO,
			.result = DM_RESTACK_RESULT_PASSTHROUGH,
			.ts_ns = (uint64_t)i * 1000,
			.sectors = 8, .latency_ns = 500, .inflight = 1,
		};

		x = rng_next(&seed) % 4096;
		y = rng_next(&seed) % 4096;
		rec.virt_sector = (x < y ? x : y) * 8;
		rec.op = rng_next(&seed) % 4 ? DM_RESTACK_OP_READ :
					       DM_RESTACK_OP_WRITE;
		assert_int_equal(restack_trace_write(w, &rec, &err), 0);
	}
	assert_int_equal(restack_trace_finish(w, (uint64_t)n * 1000, n, 0, &err), 0);
}

/*
 * The curve restack_mrc_from_trace() draws is the one of feeding every
 * record by hand, with the trace's sampling taken from its header; the
 * reader is left at the end of the file.
 */
static void test_mrc_from_trace(void **state)
{
	struct restack_mrc_params p = { .method = RESTACK_MRC_EXACT,
					.block_bytes = 4096, .reads_only = true };
	char path[] = "/tmp/restack-test-mrc-XXXXXX";
	struct restack_trace_reader *rd = NULL;
	struct dm_restack_trace_record rec;
	struct restack_mrc *m = NULL, *ref;
	struct restack_err err = { "" };
	uint64_t sizes[16];
	unsigned int i, n;

	(void)state;
	write_skewed_trace(path, 20000);
	ref = mrc_new(RESTACK_MRC_EXACT, 4096, 0, 0);
	assert_int_equal(restack_trace_open(path, &rd, &err), 0);
	while (restack_trace_next(rd, &rec, &err) == 1)
		if (rec.op == DM_RESTACK_OP_READ)
			assert_int_equal(restack_mrc_record(ref, &rec), 0);
	restack_trace_close(rd);

	assert_int_equal(restack_trace_open(path, &rd, &err), 0);
	assert_int_equal(restack_mrc_from_trace(rd, &p, &m, &err), 0);
	assert_non_null(m);
	assert_int_equal(restack_trace_next(rd, &rec, &err), 0);
	restack_trace_close(rd);
	assert_true(restack_mrc_refs(ref) > 1000);
	assert_int_equal(restack_mrc_refs(m), restack_mrc_refs(ref));
	n = restack_mrc_auto_sizes(restack_mrc_distinct(m), sizes, 16);
	assert_true(n >= 2);
	for (i = 0; i < n; i++)
		assert_true(restack_mrc_miss_ratio(m, sizes[i]) ==
			    restack_mrc_miss_ratio(ref, sizes[i]));
	restack_mrc_destroy(m);
	restack_mrc_destroy(ref);
	unlink(path);
}

/* Bad parameters: an error, no curve, nothing leaked. */
static void test_mrc_from_trace_rejects(void **state)
{
	struct restack_mrc_params p = { .method = RESTACK_MRC_EXACT,
					.block_bytes = 1000 };
	char path[] = "/tmp/restack-test-mrc-XXXXXX";
	struct restack_trace_reader *rd = NULL;
	struct restack_mrc *m = (struct restack_mrc *)&p;
	struct restack_err err = { "" };

	(void)state;
	write_skewed_trace(path, 10);
	assert_int_equal(restack_trace_open(path, &rd, &err), 0);
	assert_int_equal(restack_mrc_from_trace(rd, &p, &m, &err), -EINVAL);
	assert_null(m);
	assert_true(err.msg[0] != '\0');
	restack_trace_close(rd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_vs_brute_random),
		cmocka_unit_test(test_exact_vs_brute_long),
		cmocka_unit_test(test_exact_edge_cases),
		cmocka_unit_test(test_record_splitting),
		cmocka_unit_test(test_params_rejected),
		cmocka_unit_test(test_parse_bytes),
		cmocka_unit_test(test_u64map),
		cmocka_unit_test(test_dhist),
		cmocka_unit_test(test_auto_sizes),
		cmocka_unit_test(test_shards_accuracy),
		cmocka_unit_test(test_shards_scaling_matters),
		cmocka_unit_test(test_kernel_sampled_trace),
		cmocka_unit_test(test_mrc_from_trace),
		cmocka_unit_test(test_mrc_from_trace_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
