// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_analyze_replace.c - the replacement code shared with the kernel
 * cache policy (lib/restack_replace.c): each algorithm against an
 * independent, array-based reference written from the papers'
 * pseudocode (hit/miss sequences must match exactly), structural
 * invariants after random operations, admission after n misses,
 * pinning, invalidation, warm restore, sequential detection and the
 * cache-mode decisions.
 */
#include <errno.h>
#include <stdio.h>

#include "restack_test.h"
#include "../../lib/restack_replace.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- an instance on malloc'ed memory ---- */

struct inst {
	struct rs_repl r;
	void *mem;
};

static void inst_init(struct inst *in, enum rs_repl_kind kind, uint32_t blocks,
		      uint32_t promote_hits)
{
	struct rs_repl_params p = {
		.kind = kind, .nr_blocks = blocks, .promote_hits = promote_hits,
	};
	size_t sz = rs_repl_mem_size(&p);

	assert_true(sz > 0);
	in->mem = malloc(sz);
	assert_non_null(in->mem);
	assert_int_equal(rs_repl_init(&in->r, &p, in->mem, sz), 0);
}

static void inst_free(struct inst *in)
{
	free(in->mem);
	in->mem = NULL;
}

/* One reference through the library: true on a hit. */
static bool lib_access(struct rs_repl *r, uint64_t key)
{
	struct rs_repl_fill f;

	if (rs_repl_hit(r, key) != RS_REPL_NONE)
		return true;
	rs_repl_miss(r, key, false, &f);
	return false;
}

/* ---- reference implementations: arrays, index 0 = oldest ---- */

struct vec {
	uint64_t k[4096];
	int f[4096];		/* freq / visited */
	int n;
};

static int vfind(const struct vec *v, uint64_t key)
{
	int i;

	for (i = 0; i < v->n; i++)
		if (v->k[i] == key)
			return i;
	return -1;
}

static void vdel(struct vec *v, int i)
{
	memmove(v->k + i, v->k + i + 1, (v->n - i - 1) * sizeof(v->k[0]));
	memmove(v->f + i, v->f + i + 1, (v->n - i - 1) * sizeof(v->f[0]));
	v->n--;
}

static void vpush(struct vec *v, uint64_t key, int f)	/* newest */
{
	v->k[v->n] = key;
	v->f[v->n] = f;
	v->n++;
}

struct ref {
	enum rs_repl_kind kind;
	int c;
	struct vec a, b, g1, g2;	/* LRU:a  SIEVE:a  S3:S=a M=b G=g1 */
	int hand;			/* SIEVE: index into a, -1 none */
	int p;				/* ARC: T1=a T2=b B1=g1 B2=g2 */
};					/* 2Q: A1in=a Am=b A1out=g1 */

static int imax(int a, int b) { return a > b ? a : b; }
static int imin(int a, int b) { return a < b ? a : b; }

static void ref_sieve_evict(struct ref *R)
{
	struct vec *q = &R->a;

	if (R->hand < 0)
		R->hand = 0;
	while (q->f[R->hand]) {
		q->f[R->hand] = 0;
		R->hand++;
		if (R->hand == q->n)
			R->hand = 0;
	}
	vdel(q, R->hand);
	if (R->hand == q->n)
		R->hand = -1;
}

static void ref_s3_evict(struct ref *R)
{
	int small = imax(R->c / 10, 1), gcap = imax(R->c - R->c / 10, 1);

	for (;;) {
		if (R->a.n && (R->a.n >= small || !R->b.n)) {
			uint64_t k = R->a.k[0];
			int f = R->a.f[0];

			vdel(&R->a, 0);
			if (f >= 1) {
				vpush(&R->b, k, f);
				continue;
			}
			if (R->g1.n == gcap)
				vdel(&R->g1, 0);
			vpush(&R->g1, k, 0);
			return;
		}
		{
			uint64_t k = R->b.k[0];
			int f = R->b.f[0];

			vdel(&R->b, 0);
			if (f) {
				vpush(&R->b, k, f - 1);
				continue;
			}
			return;
		}
	}
}

static void ref_arc_replace(struct ref *R, bool in_b2)
{
	if (R->a.n >= 1 && ((in_b2 && R->a.n == R->p) || R->a.n > R->p)) {
		vpush(&R->g1, R->a.k[0], 0);
		vdel(&R->a, 0);
	} else {
		vpush(&R->g2, R->b.k[0], 0);
		vdel(&R->b, 0);
	}
}

/* Returns true on a hit. */
static bool ref_access(struct ref *R, uint64_t key)
{
	int i, j;

	switch (R->kind) {
	case RS_REPL_LRU:
		i = vfind(&R->a, key);
		if (i >= 0) {
			vdel(&R->a, i);
			vpush(&R->a, key, 0);
			return true;
		}
		if (R->a.n == R->c)
			vdel(&R->a, 0);
		vpush(&R->a, key, 0);
		return false;
	case RS_REPL_SIEVE:
		i = vfind(&R->a, key);
		if (i >= 0) {
			R->a.f[i] = 1;
			return true;
		}
		if (R->a.n == R->c)
			ref_sieve_evict(R);
		vpush(&R->a, key, 0);
		return false;
	case RS_REPL_S3FIFO:
		i = vfind(&R->a, key);
		if (i >= 0) {
			R->a.f[i] = imin(R->a.f[i] + 1, 3);
			return true;
		}
		i = vfind(&R->b, key);
		if (i >= 0) {
			R->b.f[i] = imin(R->b.f[i] + 1, 3);
			return true;
		}
		if (R->a.n + R->b.n == R->c)
			ref_s3_evict(R);
		j = vfind(&R->g1, key);
		if (j >= 0) {
			vdel(&R->g1, j);
			vpush(&R->b, key, 0);
		} else {
			vpush(&R->a, key, 0);
		}
		return false;
	case RS_REPL_ARC:
		/* Megiddo & Modha, Fig. 4 */
		i = vfind(&R->a, key);
		j = vfind(&R->b, key);
		if (i >= 0 || j >= 0) {
			if (i >= 0)
				vdel(&R->a, i);
			else
				vdel(&R->b, j);
			vpush(&R->b, key, 0);
			return true;
		}
		i = vfind(&R->g1, key);
		if (i >= 0) {
			R->p = imin(R->c, R->p + imax(R->g2.n / R->g1.n, 1));
			ref_arc_replace(R, false);
			vdel(&R->g1, vfind(&R->g1, key));
			vpush(&R->b, key, 0);
			return false;
		}
		i = vfind(&R->g2, key);
		if (i >= 0) {
			R->p = imax(0, R->p - imax(R->g1.n / R->g2.n, 1));
			ref_arc_replace(R, true);
			vdel(&R->g2, vfind(&R->g2, key));
			vpush(&R->b, key, 0);
			return false;
		}
		if (R->a.n + R->g1.n == R->c) {
			if (R->a.n < R->c) {
				vdel(&R->g1, 0);
				ref_arc_replace(R, false);
			} else {
				vdel(&R->a, 0);
			}
		} else {
			int total = R->a.n + R->b.n + R->g1.n + R->g2.n;

			if (total >= R->c) {
				if (total == 2 * R->c)
					vdel(&R->g2, 0);
				ref_arc_replace(R, false);
			}
		}
		vpush(&R->a, key, 0);
		return false;
	case RS_REPL_2Q:
	default:
		/* Johnson & Shasha, full 2Q: Kin = c/4, Kout = c/2 */
		i = vfind(&R->b, key);
		if (i >= 0) {
			vdel(&R->b, i);
			vpush(&R->b, key, 0);
			return true;
		}
		if (vfind(&R->a, key) >= 0)
			return true;
		/* X leaves A1out as it is found, before reclaimfor(X) */
		j = vfind(&R->g1, key);
		if (j >= 0)
			vdel(&R->g1, j);
		if (R->a.n + R->b.n == R->c) {
			if (R->a.n > imax(R->c / 4, 1) || !R->b.n) {
				if (R->g1.n == imax(R->c / 2, 1))
					vdel(&R->g1, 0);
				vpush(&R->g1, R->a.k[0], 0);
				vdel(&R->a, 0);
			} else {
				vdel(&R->b, 0);
			}
		}
		vpush(j >= 0 ? &R->b : &R->a, key, 0);
		return false;
	}
}

/* Structural invariants of the library's state. */
static void check_invariants(const struct rs_repl *r)
{
	uint32_t l, i, n, total = 0, nfree = 0;

	for (l = 0; l < 4; l++) {
		uint32_t prev = RS_REPL_NONE;

		n = 0;
		for (i = r->lists[l].head; i != RS_REPL_NONE; i = r->nodes[i].next) {
			assert_true(r->nodes[i].prev == prev);
			assert_true(r->nodes[i].list == l);
			assert_true(rs_repl_peek(r, r->nodes[i].key) ==
				    (i < r->p.nr_blocks ? i : RS_REPL_NONE));
			prev = i;
			n++;
			assert_true(n <= r->nr_nodes);
		}
		assert_true(r->lists[l].tail == prev);
		assert_true(r->lists[l].size == n);
		total += n;
	}
	for (i = r->free_slot; i != RS_REPL_NONE; i = r->nodes[i].next) {
		assert_true(r->nodes[i].list == 0xff && i < r->p.nr_blocks);
		nfree++;
	}
	assert_true(nfree + r->used == r->p.nr_blocks);
	assert_true(r->used <= r->p.nr_blocks);
	(void)total;
}

static void compare_with_reference(enum rs_repl_kind kind, int c,
				   uint64_t universe, int n, uint64_t seed)
{
	struct ref *R = calloc(1, sizeof(*R));
	struct inst in;
	int i, hits = 0;

	assert_non_null(R);
	R->kind = kind;
	R->c = c;
	R->hand = -1;
	inst_init(&in, kind, (uint32_t)c, 0);
	for (i = 0; i < n; i++) {
		/* skewed keys with bursts of new ones: ghosts get hit */
		uint64_t x = rng_next(&seed);
		uint64_t key = (x & 3) ? (x >> 8) % universe
				       : (x >> 8) % (universe / 8 + 1);
		bool a = lib_access(&in.r, key), b = ref_access(R, key);

		if (a != b) {
			print_error("%s c=%d: reference %d: library %s, reference %s\n",
				    rs_repl_name(kind), c, i, a ? "hit" : "miss",
				    b ? "hit" : "miss");
			fail();
		}
		hits += a;
		if (i % 997 == 0)
			check_invariants(&in.r);
	}
	check_invariants(&in.r);
	assert_true(hits > 0 && hits < n);
	assert_true(in.r.stats.hits == (uint64_t)hits);
	inst_free(&in);
	free(R);
}

static void test_vs_reference(void **state)
{
	static const int caps[] = { 1, 2, 3, 7, 10, 64, 333 };
	int k;
	size_t c;

	(void)state;
	for (k = 0; k < RS_REPL_NR_KINDS; k++)
		for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++)
			compare_with_reference(k, caps[c], caps[c] * 3 + 5,
					       20000, 100 + k * 10 + c);
}

static void test_names(void **state)
{
	int k;

	(void)state;
	for (k = 0; k < RS_REPL_NR_KINDS; k++)
		assert_int_equal(rs_repl_lookup(rs_repl_name(k)), k);
	assert_int_equal(rs_repl_lookup("LRU"), -EINVAL);
	assert_int_equal(rs_repl_lookup(""), -EINVAL);
	assert_null(rs_repl_name(RS_REPL_NR_KINDS));
	assert_int_equal(rs_cache_mode_lookup("wb"), RS_MODE_WB);
	assert_int_equal(rs_cache_mode_lookup("writeback"), -EINVAL);
	assert_string_equal(rs_cache_mode_name(RS_MODE_WA), "wa");
}

static void test_params(void **state)
{
	struct rs_repl_params p = { .kind = RS_REPL_LRU, .nr_blocks = 10 };
	struct rs_repl r;
	uint64_t mem[64];

	(void)state;
	assert_true(rs_repl_mem_size(&p) > 0);
	p.nr_blocks = 0;
	assert_true(rs_repl_mem_size(&p) == 0);
	p.nr_blocks = RS_REPL_MAX_BLOCKS + 1;
	assert_true(rs_repl_mem_size(&p) == 0);
	p.nr_blocks = 10;
	p.kind = RS_REPL_NR_KINDS;
	assert_true(rs_repl_mem_size(&p) == 0);
	p.kind = RS_REPL_ARC;
	p.promote_hits = 256;
	assert_true(rs_repl_mem_size(&p) == 0);
	p.promote_hits = 1;
	p.filter_entries = 100;		/* not a power of two */
	assert_true(rs_repl_mem_size(&p) == 0);
	p.filter_entries = 128;
	assert_true(rs_repl_mem_size(&p) > 0);
	/* too little memory, misaligned memory */
	assert_int_equal(rs_repl_init(&r, &p, mem, 16), -EINVAL);
	p.kind = RS_REPL_LRU;
	p.nr_blocks = 2;
	p.promote_hits = 0;
	assert_true(rs_repl_mem_size(&p) <= sizeof(mem) - 8);
	assert_int_equal(rs_repl_init(&r, &p, (char *)mem + 4, sizeof(mem) - 8),
			 -EINVAL);
	assert_int_equal(rs_repl_init(&r, &p, mem, sizeof(mem)), 0);
}

/* promote_hits = n: admitted on the (n+1)-th miss. */
static void test_promote_hits(void **state)
{
	int k, n, i;

	(void)state;
	for (k = 0; k < RS_REPL_NR_KINDS; k++) {
		for (n = 0; n <= 3; n++) {
			struct inst in;
			struct rs_repl_fill f;

			inst_init(&in, k, 100, (uint32_t)n);
			for (i = 0; i < n; i++) {
				assert_int_equal(rs_repl_miss(&in.r, 42, false, &f),
						 RS_FILL_REJECT);
				assert_true(rs_repl_peek(&in.r, 42) == RS_REPL_NONE);
			}
			assert_int_equal(rs_repl_miss(&in.r, 42, false, &f),
					 RS_FILL_ADMIT);
			assert_true(rs_repl_peek(&in.r, 42) == f.slot);
			assert_true(in.r.stats.rejected == (uint64_t)n);
			/* a bypassed miss is neither admitted nor counted */
			assert_int_equal(rs_repl_miss(&in.r, 43, true, &f),
					 RS_FILL_BYPASS);
			assert_true(rs_repl_peek(&in.r, 43) == RS_REPL_NONE);
			inst_free(&in);
		}
	}
}

/* promote_hits keeps one-hit scans out of a warm cache. */
static void test_promote_hits_scan_resistance(void **state)
{
	struct inst plain, filt;
	uint64_t key;
	int round, hits_plain = 0, hits_filt = 0;

	(void)state;
	inst_init(&plain, RS_REPL_LRU, 100, 0);
	inst_init(&filt, RS_REPL_LRU, 100, 1);
	for (round = 0; round < 50; round++) {
		for (key = 0; key < 80; key++) {	/* hot set */
			hits_plain += lib_access(&plain.r, key);
			hits_filt += lib_access(&filt.r, key);
		}
		for (key = 0; key < 200; key++) {	/* a one-time scan */
			lib_access(&plain.r, 1000000 + round * 1000 + key);
			lib_access(&filt.r, 1000000 + round * 1000 + key);
		}
	}
	assert_true(hits_filt > 2 * hits_plain);
	inst_free(&plain);
	inst_free(&filt);
}

static void test_pin_invalidate_restore(void **state)
{
	int k;

	(void)state;
	for (k = 0; k < RS_REPL_NR_KINDS; k++) {
		struct inst in;
		struct rs_repl_fill f;
		uint32_t s0, s;
		uint64_t key, i;

		inst_init(&in, k, 4, 0);
		for (key = 0; key < 4; key++)
			assert_int_equal(rs_repl_miss(&in.r, key, false, &f),
					 RS_FILL_ADMIT);
		/* pin every slot: no victim */
		for (s = 0; s < 4; s++)
			rs_repl_pin(&in.r, s, true);
		assert_int_equal(rs_repl_miss(&in.r, 99, false, &f),
				 RS_FILL_NOSPACE);
		check_invariants(&in.r);
		/* unpin one: it must be the victim, whatever the algorithm */
		s0 = rs_repl_peek(&in.r, 2);
		rs_repl_pin(&in.r, s0, false);
		assert_int_equal(rs_repl_miss(&in.r, 99, false, &f),
				 RS_FILL_ADMIT);
		assert_true(f.evicted && f.victim_key == 2 && f.slot == s0);
		for (s = 0; s < 4; s++)
			rs_repl_pin(&in.r, s, false);
		/* invalidate frees the slot; the next fill reuses it */
		s = rs_repl_invalidate(&in.r, 99);
		assert_true(s == s0);
		assert_true(rs_repl_invalidate(&in.r, 99) == RS_REPL_NONE);
		assert_true(rs_repl_used(&in.r) == 3);
		assert_int_equal(rs_repl_miss(&in.r, 7, false, &f), RS_FILL_ADMIT);
		assert_true(!f.evicted && f.slot == s0);
		check_invariants(&in.r);
		/* slot_key */
		assert_true(rs_repl_slot_key(&in.r, s0, &key) && key == 7);
		assert_false(rs_repl_slot_key(&in.r, 4, &key));
		/* restore into a fresh instance */
		inst_free(&in);
		inst_init(&in, k, 4, 0);
		assert_int_equal(rs_repl_restore(&in.r, 500, 3), 0);
		assert_int_equal(rs_repl_restore(&in.r, 500, 2), -EINVAL);
		assert_int_equal(rs_repl_restore(&in.r, 501, 3), -ENOSPC);
		assert_int_equal(rs_repl_restore(&in.r, 501, 4), -EINVAL);
		assert_true(rs_repl_peek(&in.r, 500) == 3);
		assert_int_equal(rs_repl_miss(&in.r, 1, false, &f), RS_FILL_ADMIT);
		assert_true(f.slot == 0);
		check_invariants(&in.r);
		/* a long random run with pins and invalidations */
		for (i = 0; i < 20000; i++) {
			uint64_t x = rng_next(&key);

			switch (x % 8) {
			case 0:
				rs_repl_pin(&in.r, (x >> 8) % 4, (x >> 16) & 1);
				break;
			case 1:
				rs_repl_invalidate(&in.r, (x >> 8) % 12);
				break;
			default:
				lib_access(&in.r, (x >> 8) % 12);
			}
		}
		check_invariants(&in.r);
		inst_free(&in);
	}
}

static void test_seq(void **state)
{
	struct rs_seq s;
	int i;

	(void)state;
	rs_seq_init(&s, 64 << 10);
	/* 16 sequential 4 KiB requests: the 16th reaches 64 KiB */
	for (i = 0; i < 15; i++)
		assert_false(rs_seq_observe(&s, 1000 + i * 8, 8));
	assert_true(rs_seq_observe(&s, 1000 + 15 * 8, 8));
	/* an interleaved random request does not break the stream */
	assert_false(rs_seq_observe(&s, 5, 8));
	assert_true(rs_seq_observe(&s, 1000 + 16 * 8, 8));
	/* many random requests do not push it out: they replace each other */
	for (i = 0; i < 10 * RS_SEQ_STREAMS; i++)
		assert_false(rs_seq_observe(&s, 100000 + i * 1000, 8));
	assert_true(rs_seq_observe(&s, 1000 + 17 * 8, 8));
	/* 15 more established streams do not either: all 16 fit */
	for (i = 0; i < RS_SEQ_STREAMS - 1; i++) {
		assert_false(rs_seq_observe(&s, 200000 + i * 1000, 8));
		assert_false(rs_seq_observe(&s, 200000 + i * 1000 + 8, 8));
	}
	assert_true(rs_seq_observe(&s, 1000 + 18 * 8, 8));
	/* unused for RS_SEQ_STALE requests, a stream is over */
	for (i = 0; i <= RS_SEQ_STALE; i++)
		rs_seq_observe(&s, 300000 + i * 1000, 8);
	assert_false(rs_seq_observe(&s, 1000 + 19 * 8, 8));
	/* cutoff 0: never sequential */
	rs_seq_init(&s, 0);
	for (i = 0; i < 100; i++)
		assert_false(rs_seq_observe(&s, i * 8, 8));
	/* one large request is a stream by itself */
	rs_seq_init(&s, 1 << 20);
	assert_true(rs_seq_observe(&s, 0, 2048));
}

static void test_modes(void **state)
{
	struct inst in;
	struct rs_access a;

	(void)state;
	inst_init(&in, RS_REPL_LRU, 2, 0);
	/* wt/wb: writes allocate */
	rs_cache_access(&in.r, RS_MODE_WB, true, 1, false, &a);
	assert_int_equal(a.action, RS_ACT_FILL);
	rs_cache_access(&in.r, RS_MODE_WT, false, 1, false, &a);
	assert_int_equal(a.action, RS_ACT_HIT);
	rs_cache_access(&in.r, RS_MODE_WT, true, 1, false, &a);
	assert_int_equal(a.action, RS_ACT_HIT);
	/* wa: a write invalidates, a write miss just misses */
	rs_cache_access(&in.r, RS_MODE_WA, true, 1, false, &a);
	assert_int_equal(a.action, RS_ACT_INVALIDATE);
	rs_cache_access(&in.r, RS_MODE_WA, false, 1, false, &a);
	assert_int_equal(a.action, RS_ACT_FILL);
	rs_cache_access(&in.r, RS_MODE_WA, true, 9, false, &a);
	assert_int_equal(a.action, RS_ACT_MISS);
	assert_true(rs_repl_peek(&in.r, 9) == RS_REPL_NONE);
	/* sequential misses bypass; sequential hits still hit */
	rs_cache_access(&in.r, RS_MODE_WT, false, 5, true, &a);
	assert_int_equal(a.action, RS_ACT_MISS);
	assert_int_equal(a.fill_result, RS_FILL_BYPASS);
	rs_cache_access(&in.r, RS_MODE_WT, false, 1, true, &a);
	assert_int_equal(a.action, RS_ACT_HIT);
	/* eviction is reported */
	rs_cache_access(&in.r, RS_MODE_WT, false, 2, false, &a);
	rs_cache_access(&in.r, RS_MODE_WT, false, 3, false, &a);
	assert_int_equal(a.action, RS_ACT_FILL);
	assert_true(a.fill.evicted && a.fill.victim_key == 1);
	inst_free(&in);
}

/*
 * Scan resistance: a hot set referenced twice per round, then a one-time
 * scan larger than the cache.  LRU loses the hot set every round (only
 * the second pass hits); SIEVE, S3-FIFO and ARC keep it.  2Q does not
 * here: a hit in A1in does not promote (correlated references), and the
 * scan flushes A1out (half the cache) before the next round.
 */
static void test_scan_resistance(void **state)
{
	int k;

	(void)state;
	for (k = 0; k < RS_REPL_NR_KINDS; k++) {
		struct inst in;
		uint64_t key, scan = 1 << 20;
		int round, pass, hits = 0;

		inst_init(&in, k, 1000, 0);
		for (round = 0; round < 20; round++) {
			for (pass = 0; pass < 2; pass++)
				for (key = 0; key < 500; key++)
					hits += lib_access(&in.r, key);
			for (key = 0; key < 1500; key++)
				lib_access(&in.r, scan++);
		}
		print_message("%s: %d of 20000 hot references hit across scans\n",
			      rs_repl_name(k), hits);
		if (k == RS_REPL_LRU || k == RS_REPL_2Q)
			assert_true(hits == 10000);
		else
			assert_true(hits > 15000);
		inst_free(&in);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_vs_reference),
		cmocka_unit_test(test_promote_hits),
		cmocka_unit_test(test_promote_hits_scan_resistance),
		cmocka_unit_test(test_pin_invalidate_restore),
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_scan_resistance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
