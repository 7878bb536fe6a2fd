// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_mrc.c - exact and SHARDS LRU miss-ratio curves.
 *
 * Stack distance of a reference at time t to a block last touched at
 * time p: the number of distinct blocks touched in (p, t), plus one.
 * Every tracked block has a mark at its last access time in a Fenwick
 * tree, so that count is (marks in total) - (marks at or before p), in
 * O(log n).  When the time axis fills up, live marks are renumbered
 * 0..live-1 in order (compaction), which keeps the tree proportional to
 * the number of tracked blocks rather than to the trace length.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/restack_mrc.h"
#include "trace/restack_trace.h"

/*
 * The share of the sample's deviation from N * R that block-sampling
 * noise explains: ADJ_K standard deviations (see restack_mrc_miss_ratio).
 */
#define ADJ_K	1.0

#define MRC_TIME_CAP_MIN	(1u << 12)
#define MRC_FIXED_RATE_BINS	(1u << 20)
#define MRC_FIXED_SIZE_BINS	(1u << 16)

struct mrc_heap_ent {
	uint32_t hash;
	uint64_t block;
};

struct restack_mrc {
	struct restack_mrc_params p;
	unsigned int shift;
	uint32_t T;			/* current threshold, of 2^24 */
	bool sampling;			/* T < 2^24: filter by hash */
	bool adjust;
	double adj_k;			/* noise allowance, in sigmas */

	struct restack_u64map map;	/* block -> last access time */
	uint32_t *tree;			/* Fenwick, 1-based, cap + 1 */
	uint64_t *owner;		/* time -> block */
	uint32_t cap;			/* times available */
	uint32_t now;			/* next time */
	uint32_t live;			/* marks set */

	struct mrc_heap_ent *heap;	/* FIXED_SIZE: max-heap by hash */
	uint32_t heap_n, heap_cap;

	struct restack_dhist hist;
	uint64_t refs;			/* block references fed */
	uint64_t sampled;		/* block references tracked */
	size_t peak;
};

static size_t mrc_bytes_now(const struct restack_mrc *m)
{
	return sizeof(*m) + restack_u64map_bytes(&m->map) +
	       (size_t)(m->cap + 1) * sizeof(*m->tree) +
	       (size_t)m->cap * sizeof(*m->owner) +
	       (size_t)m->heap_cap * sizeof(*m->heap) +
	       (size_t)m->hist.cap * sizeof(*m->hist.bins);
}

static void mrc_note_peak(struct restack_mrc *m)
{
	size_t b = mrc_bytes_now(m);

	if (b > m->peak)
		m->peak = b;
}

int restack_mrc_create(const struct restack_mrc_params *p,
		       struct restack_mrc **out, struct restack_err *err)
{
	struct restack_mrc *m;
	uint32_t tt = p->trace_threshold;
	double width = 1;
	uint32_t bins = 0;
	int r;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return restack_err_set(err, -ENOMEM, "out of memory");
	m->p = *p;
	r = restack_block_shift("block size", p->block_bytes, &m->shift, err);
	if (r)
		goto fail;
	if (tt == 0 || tt > DM_RESTACK_SAMPLE_MODULUS)
		tt = DM_RESTACK_SAMPLE_MODULUS;
	if (tt < DM_RESTACK_SAMPLE_MODULUS &&
	    (uint64_t)p->trace_block_sectors * 512 != p->block_bytes) {
		r = restack_err_set(err, -EINVAL,
				    "the trace was sampled in %llu-byte blocks: the block size must be %llu, not %u",
				    (unsigned long long)p->trace_block_sectors * 512,
				    (unsigned long long)p->trace_block_sectors * 512,
				    p->block_bytes);
		goto fail;
	}
	switch (p->method) {
	case RESTACK_MRC_EXACT:
		m->T = tt;
		break;
	case RESTACK_MRC_FIXED_RATE:
		if (p->threshold == 0 || p->threshold > DM_RESTACK_SAMPLE_MODULUS) {
			r = restack_err_set(err, -EINVAL,
					    "sampling threshold %u: must be 1..%u",
					    p->threshold, DM_RESTACK_SAMPLE_MODULUS);
			goto fail;
		}
		m->T = p->threshold < tt ? p->threshold : tt;
		bins = MRC_FIXED_RATE_BINS;
		break;
	case RESTACK_MRC_FIXED_SIZE:
		if (!m->p.smax)
			m->p.smax = RESTACK_MRC_SMAX_DEFAULT;
		if (m->p.smax < 64 || m->p.smax > RESTACK_MRC_SMAX_MAX) {
			r = restack_err_set(err, -EINVAL,
					    "fixed-size sample of %u blocks: must be 64..%u",
					    m->p.smax, RESTACK_MRC_SMAX_MAX);
			goto fail;
		}
		m->T = tt;
		bins = MRC_FIXED_SIZE_BINS;
		m->heap_cap = m->p.smax + 1;
		m->heap = malloc(m->heap_cap * sizeof(*m->heap));
		if (!m->heap)
			goto nomem;
		break;
	default:
		r = restack_err_set(err, -EINVAL, "unknown MRC method %d",
				    (int)p->method);
		goto fail;
	}
	m->adj_k = ADJ_K;
	m->sampling = m->T < DM_RESTACK_SAMPLE_MODULUS;
	/* Without the unsampled count N, SHARDS_adj has nothing to go on. */
	m->adjust = m->sampling && !p->no_adjust &&
		    tt == DM_RESTACK_SAMPLE_MODULUS;
	if (p->method == RESTACK_MRC_FIXED_SIZE)
		m->adjust = !p->no_adjust && tt == DM_RESTACK_SAMPLE_MODULUS;
	/* Sampled distances are multiples of 1/R: one bin each. */
	if (p->method != RESTACK_MRC_FIXED_SIZE && m->sampling) {
		width = (double)DM_RESTACK_SAMPLE_MODULUS / m->T;
		bins = MRC_FIXED_RATE_BINS;
	}
	if (restack_dhist_init(&m->hist, width, bins))
		goto nomem;
	if (restack_u64map_init(&m->map, p->method == RESTACK_MRC_FIXED_SIZE ?
				m->p.smax : 1024))
		goto nomem;
	m->cap = MRC_TIME_CAP_MIN;
	m->tree = calloc(m->cap + 1, sizeof(*m->tree));
	m->owner = malloc(m->cap * sizeof(*m->owner));
	if (!m->tree || !m->owner)
		goto nomem;
	mrc_note_peak(m);
	*out = m;
	return 0;
nomem:
	r = restack_err_set(err, -ENOMEM, "out of memory");
fail:
	restack_mrc_destroy(m);
	return r;
}

void restack_mrc_destroy(struct restack_mrc *m)
{
	if (!m)
		return;
	restack_u64map_release(&m->map);
	restack_dhist_release(&m->hist);
	free(m->tree);
	free(m->owner);
	free(m->heap);
	free(m);
}

/* ---- Fenwick tree over times (position = time + 1) ---- */

static inline void fw_add(uint32_t *tree, uint32_t cap, uint32_t t, int d)
{
	uint32_t i;

	for (i = t + 1; i <= cap; i += i & -i)
		tree[i] += (uint32_t)d;
}

/* Marks at times 0..t. */
static inline uint32_t fw_prefix(const uint32_t *tree, uint32_t t)
{
	uint32_t i, s = 0;

	for (i = t + 1; i; i -= i & -i)
		s += tree[i];
	return s;
}

/* Renumber live marks 0..live-1 (growing the axis if it is half full). */
static int mrc_compact(struct restack_mrc *m)
{
	uint32_t t, j = 0, i, ncap = m->cap;

	for (t = 0; t < m->now; t++) {
		uint64_t *v = restack_u64map_find(&m->map, m->owner[t]);

		if (!v || *v != t)
			continue;	/* stale: re-accessed or forgotten */
		*v = j;
		m->owner[j++] = m->owner[t];
	}
	if (j != m->live)
		return -EIO;	/* internal inconsistency */
	if ((uint64_t)j * 2 > m->cap) {
		uint32_t *nt;
		uint64_t *no;

		if (m->cap > UINT32_MAX / 4)
			return -ENOMEM;
		ncap = m->cap * 2;
		nt = realloc(m->tree, (ncap + 1) * sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		m->tree = nt;
		no = realloc(m->owner, ncap * sizeof(*no));
		if (!no)
			return -ENOMEM;
		m->owner = no;
		m->cap = ncap;
	}
	/* Marks at positions 1..j: node i covers (i - lowbit(i), i]. */
	for (i = 1; i <= m->cap; i++) {
		uint32_t lo = i - (i & -i), hi = i;

		hi = hi < j ? hi : j;
		lo = lo < j ? lo : j;
		m->tree[i] = hi - lo;
	}
	m->now = j;
	mrc_note_peak(m);
	return 0;
}

/* ---- fixed-size sample set: max-heap of (hash, block) ---- */

static void heap_push(struct restack_mrc *m, uint32_t hash, uint64_t block)
{
	uint32_t i = m->heap_n++;

	while (i) {
		uint32_t parent = (i - 1) / 2;

		if (m->heap[parent].hash >= hash)
			break;
		m->heap[i] = m->heap[parent];
		i = parent;
	}
	m->heap[i].hash = hash;
	m->heap[i].block = block;
}

static struct mrc_heap_ent heap_pop(struct restack_mrc *m)
{
	struct mrc_heap_ent top = m->heap[0], last = m->heap[--m->heap_n];
	uint32_t i = 0;

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= m->heap_n)
			break;
		if (c + 1 < m->heap_n && m->heap[c + 1].hash > m->heap[c].hash)
			c++;
		if (m->heap[c].hash <= last.hash)
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (m->heap_n)
		m->heap[i] = last;
	return top;
}

/* Lower T to the largest hash tracked, forgetting the blocks with it. */
static void mrc_shrink(struct restack_mrc *m)
{
	uint32_t tmax = m->heap[0].hash;

	while (m->heap_n && m->heap[0].hash == tmax) {
		struct mrc_heap_ent e = heap_pop(m);
		uint64_t *v = restack_u64map_find(&m->map, e.block);

		if (v) {
			fw_add(m->tree, m->cap, (uint32_t)*v, -1);
			m->live--;
			restack_u64map_remove(&m->map, e.block);
		}
	}
	m->T = tmax;
}

/* One tracked reference to @block (hash already checked). */
static int mrc_track(struct restack_mrc *m, uint64_t block, uint32_t hash)
{
	double weight = (double)DM_RESTACK_SAMPLE_MODULUS / m->T;
	uint64_t *v;
	bool created;
	int r;

	if (m->now == m->cap) {
		r = mrc_compact(m);
		if (r)
			return r;
	}
	v = restack_u64map_upsert(&m->map, block, &created);
	if (!v)
		return -ENOMEM;
	m->sampled++;
	if (created) {
		restack_dhist_add_cold(&m->hist, weight);
	} else {
		uint32_t p = (uint32_t)*v;
		uint32_t d = m->live - fw_prefix(m->tree, p) + 1;

		fw_add(m->tree, m->cap, p, -1);
		m->live--;
		r = restack_dhist_add(&m->hist, d * weight, weight);
		if (r)
			return r;
	}
	*v = m->now;
	m->owner[m->now] = block;
	fw_add(m->tree, m->cap, m->now, 1);
	m->now++;
	m->live++;
	if (created && m->p.method == RESTACK_MRC_FIXED_SIZE) {
		heap_push(m, hash, block);
		if (m->map.count > m->p.smax)
			mrc_shrink(m);
	}
	if (created && (m->map.count & 0xffff) == 0)
		mrc_note_peak(m);
	return 0;
}

int restack_mrc_access_hashed(struct restack_mrc *m, uint64_t block,
			      uint32_t hash24)
{
	m->refs++;
	if ((m->sampling || m->p.method == RESTACK_MRC_FIXED_SIZE) &&
	    hash24 >= m->T)
		return 0;
	return mrc_track(m, block, hash24);
}

int restack_mrc_access(struct restack_mrc *m, uint64_t block)
{
	uint32_t h = 0;

	m->refs++;
	if (m->sampling || m->p.method == RESTACK_MRC_FIXED_SIZE) {
		h = restack_block_hash24(block);
		if (h >= m->T)
			return 0;
	}
	return mrc_track(m, block, h);
}

int restack_mrc_record(struct restack_mrc *m,
		       const struct dm_restack_trace_record *rec)
{
	uint64_t first, last, b;
	int r;

	if (!restack_rec_is_data(rec))
		return 0;
	if (m->p.reads_only && rec->op != DM_RESTACK_OP_READ)
		return 0;
	restack_rec_blocks(rec, m->shift, &first, &last);
	for (b = first;; b++) {
		r = restack_mrc_access(m, b);
		if (r)
			return r;
		if (b == last)
			break;
	}
	return 0;
}

static double restack_mrc_sampled_blocks(const struct restack_mrc *m)
{
	/* distinct blocks in the sample (cold references at rate R) */
	return m->p.method == RESTACK_MRC_FIXED_SIZE ? (double)m->map.count :
	       m->hist.cold * m->T / DM_RESTACK_SAMPLE_MODULUS;
}

double restack_mrc_miss_ratio(const struct restack_mrc *m, uint64_t cache_blocks)
{
	double total = m->hist.total, hits, adj = 0, mr;

	if (m->refs == 0 || total <= 0)
		return NAN;
	if (cache_blocks == 0)
		return 1.0;
	hits = restack_dhist_hits(&m->hist, (double)cache_blocks);
	if (m->adjust) {
		/*
		 * SHARDS_adj: hist.total estimates the N references; the
		 * shortfall or excess goes to the first bucket.  Only the
		 * part beyond ADJ_K standard deviations of block-sampling
		 * noise (1/sqrt(sampled blocks)) is attributed to hot
		 * blocks that way; the rest is left to the ratio (hits over
		 * the sample's own total).
		 */
		double n = (double)m->refs, rel = (n - total) / n;
		double sigma = 1 / sqrt(restack_mrc_sampled_blocks(m) + 1);
		double k = m->adj_k;
		double hot = fabs(rel) > k * sigma ?
			     (rel > 0 ? rel - k * sigma : rel + k * sigma) : 0;

		adj = hot * n;
		hits += adj * (cache_blocks >= m->hist.width ? 1.0 :
			       (double)cache_blocks / m->hist.width);
		total += adj;
	}
	mr = 1.0 - hits / total;
	if (mr < 0)
		mr = 0;
	if (mr > 1)
		mr = 1;
	return mr;
}

void restack_mrc_set_adjust_k(struct restack_mrc *m, double k)
{
	m->adj_k = k;
}

uint32_t restack_mrc_threshold(const struct restack_mrc *m)
{
	return m->T;
}

uint64_t restack_mrc_refs(const struct restack_mrc *m)
{
	return m->refs;
}

uint64_t restack_mrc_sampled_refs(const struct restack_mrc *m)
{
	return m->sampled;
}

double restack_mrc_estimated_refs(const struct restack_mrc *m)
{
	return m->hist.total;
}

double restack_mrc_distinct(const struct restack_mrc *m)
{
	if (m->p.method == RESTACK_MRC_FIXED_SIZE)
		return (double)m->map.count * DM_RESTACK_SAMPLE_MODULUS / m->T;
	return m->hist.cold;	/* cold references are weighted by 1/R */
}

size_t restack_mrc_bytes(const struct restack_mrc *m)
{
	return mrc_bytes_now(m);
}

size_t restack_mrc_peak_bytes(const struct restack_mrc *m)
{
	size_t b = mrc_bytes_now(m);

	return b > m->peak ? b : m->peak;
}

uint32_t restack_mrc_block_bytes(const struct restack_mrc *m)
{
	return m->p.block_bytes;
}

unsigned int restack_mrc_block_shift(const struct restack_mrc *m)
{
	return m->shift;
}

unsigned int restack_mrc_auto_sizes(double distinct_blocks, uint64_t *blocks,
				    unsigned int n)
{
	double top = distinct_blocks, ratio;
	unsigned int i, k = 0;

	if (n < 2)
		return 0;
	if (!(top >= 2))
		top = 2;
	top = ceil(top);
	ratio = pow(top, 1.0 / (n - 1));
	for (i = 0; i < n; i++) {
		double v = i == n - 1 ? top : round(pow(ratio, i));
		uint64_t b = v < 1 ? 1 : (uint64_t)v;

		if (k && blocks[k - 1] >= b)
			continue;
		blocks[k++] = b;
	}
	return k;
}

int restack_mrc_from_trace(struct restack_trace_reader *rd,
			   const struct restack_mrc_params *p,
			   struct restack_mrc **out, struct restack_err *err)
{
	const struct dm_restack_trace_header *h = restack_trace_header(rd);
	struct restack_mrc_params tp = *p;
	struct dm_restack_trace_record rec;
	struct restack_mrc *m = NULL;
	int r;

	*out = NULL;
	tp.trace_threshold = h->sample_threshold;
	tp.trace_block_sectors = h->sample_block_sectors;
	r = restack_mrc_create(&tp, &m, err);
	if (r)
		return r;
	while ((r = restack_trace_next(rd, &rec, err)) == 1) {
		r = restack_mrc_record(m, &rec);
		if (r) {
			restack_err_set(err, r, "%s", r == -ENOMEM ?
					"out of memory" : "internal error");
			break;
		}
	}
	if (r < 0) {
		restack_mrc_destroy(m);
		return r;
	}
	*out = m;
	return 0;
}

void restack_mrc_print_auto(const struct restack_mrc *m, FILE *out)
{
	uint64_t blocks[64];
	unsigned int i, n;

	fputs("cache_bytes,miss_ratio\n", out);
	if (!restack_mrc_refs(m))
		return;
	n = restack_mrc_auto_sizes(restack_mrc_distinct(m), blocks, 64);
	for (i = 0; i < n; i++)
		fprintf(out, "%llu,%.6f\n",
			(unsigned long long)blocks[i] * restack_mrc_block_bytes(m),
			restack_mrc_miss_ratio(m, blocks[i]));
}
