// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_minisim.c - many scaled-down simulations of the shared
 * replacement code in one pass over a trace.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/restack_minisim.h"

#define SIM_MAX_SEQ	16

struct sim {
	struct restack_sim_config cfg;
	struct rs_repl r;
	void *mem;
	size_t mem_size;
	uint8_t *dmap;			/* dirty bitmap over slots (wb) */
	uint32_t threshold;
	uint32_t slots;
	unsigned int seq;		/* index into the set's detectors */
	/* unscaled counts */
	uint64_t read_refs, read_hits, read_fills;
	uint64_t write_refs, write_hits, write_fills;
	uint64_t writebacks, invalidations, bypassed, rejected, dirty;
};

struct restack_simset {
	uint32_t block_bytes;
	unsigned int shift;
	uint32_t trace_threshold;
	bool reads_only;
	bool adjust;			/* trace unsampled: N is known */
	uint64_t total_reads, total_writes;	/* block refs before sampling */
	bool started;
	struct sim *sims;		/* sorted by threshold, descending */
	unsigned int n, cap;
	unsigned int *order;		/* caller index -> position */
	struct rs_seq seqs[SIM_MAX_SEQ];
	bool seq_now[SIM_MAX_SEQ];
	unsigned int nseq;
};

int restack_simset_create(uint32_t block_bytes, uint32_t trace_threshold,
			  uint32_t trace_block_sectors, bool reads_only,
			  struct restack_simset **out, struct restack_err *err)
{
	struct restack_simset *s;
	unsigned int shift;
	int r;

	*out = NULL;
	r = restack_block_shift("block size", block_bytes, &shift, err);
	if (r)
		return r;
	if (trace_threshold == 0 || trace_threshold > DM_RESTACK_SAMPLE_MODULUS)
		trace_threshold = DM_RESTACK_SAMPLE_MODULUS;
	if (trace_threshold < DM_RESTACK_SAMPLE_MODULUS &&
	    (uint64_t)trace_block_sectors * 512 != block_bytes)
		return restack_err_set(err, -EINVAL,
				       "the trace was sampled in %llu-byte blocks: the block size must be %llu, not %u",
				       (unsigned long long)trace_block_sectors * 512,
				       (unsigned long long)trace_block_sectors * 512,
				       block_bytes);
	s = calloc(1, sizeof(*s));
	if (!s)
		return restack_err_set(err, -ENOMEM, "out of memory");
	s->block_bytes = block_bytes;
	s->shift = shift;
	s->trace_threshold = trace_threshold;
	s->reads_only = reads_only;
	s->adjust = trace_threshold == DM_RESTACK_SAMPLE_MODULUS;
	*out = s;
	return 0;
}

void restack_simset_destroy(struct restack_simset *s)
{
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		free(s->sims[i].mem);
		free(s->sims[i].dmap);
	}
	free(s->sims);
	free(s->order);
	free(s);
}

uint32_t restack_sim_threshold(uint64_t cache_blocks, double rate,
			       uint32_t min_slots)
{
	double t = rate * DM_RESTACK_SAMPLE_MODULUS, need;

	if (cache_blocks == 0)
		return DM_RESTACK_SAMPLE_MODULUS;
	need = ceil((double)min_slots * DM_RESTACK_SAMPLE_MODULUS /
		    (double)cache_blocks);
	if (need > t)
		t = need;
	if (!(t >= 1))
		t = 1;
	if (t >= DM_RESTACK_SAMPLE_MODULUS)
		return DM_RESTACK_SAMPLE_MODULUS;
	return (uint32_t)t;
}

int restack_simset_add(struct restack_simset *s,
		       const struct restack_sim_config *cfg,
		       uint64_t cache_blocks, uint32_t threshold,
		       struct restack_err *err)
{
	struct rs_repl_params p = { 0 };
	struct sim sim, *ns;
	unsigned int i, pos, *no;
	double slots;

	if (s->started)
		return restack_err_set(err, -EBUSY,
				       "simulations must be added before the trace");
	if ((unsigned int)cfg->kind >= RS_REPL_NR_KINDS ||
	    (unsigned int)cfg->mode >= RS_NR_MODES)
		return restack_err_set(err, -EINVAL, "unknown replacement or mode");
	if (cfg->promote_hits > 255)
		return restack_err_set(err, -EINVAL,
				       "promote_hits %u: at most 255", cfg->promote_hits);
	if (cache_blocks == 0)
		return restack_err_set(err, -EINVAL, "cache size of 0 blocks");
	if (threshold == 0 || threshold > DM_RESTACK_SAMPLE_MODULUS)
		threshold = DM_RESTACK_SAMPLE_MODULUS;
	if (threshold > s->trace_threshold)
		threshold = s->trace_threshold;
	slots = round((double)cache_blocks * threshold / DM_RESTACK_SAMPLE_MODULUS);
	if (slots < 1)
		slots = 1;
	if (slots > RS_REPL_MAX_BLOCKS)
		return restack_err_set(err, -E2BIG,
				       "a cache of %llu blocks sampled at %.6f needs %.0f slots (at most %u): sample more sparsely",
				       (unsigned long long)cache_blocks,
				       (double)threshold / DM_RESTACK_SAMPLE_MODULUS,
				       slots, RS_REPL_MAX_BLOCKS);
	memset(&sim, 0, sizeof(sim));
	sim.cfg = *cfg;
	sim.threshold = threshold;
	sim.slots = (uint32_t)slots;
	p.kind = cfg->kind;
	p.nr_blocks = sim.slots;
	p.promote_hits = cfg->promote_hits;
	sim.mem_size = rs_repl_mem_size(&p);
	sim.mem = sim.mem_size ? aligned_alloc(8, (sim.mem_size + 7) & ~(size_t)7) : NULL;
	sim.dmap = calloc((sim.slots + 7) / 8, 1);
	if (!sim.mem || !sim.dmap ||
	    rs_repl_init(&sim.r, &p, sim.mem, sim.mem_size)) {
		free(sim.mem);
		free(sim.dmap);
		return restack_err_set(err, -ENOMEM,
				       "out of memory for a %u-slot simulation",
				       sim.slots);
	}
	/* one sequential detector per distinct cutoff */
	for (i = 0; i < s->nseq; i++)
		if (s->seqs[i].cutoff_bytes == cfg->seq_cutoff)
			break;
	if (i == s->nseq) {
		if (s->nseq == SIM_MAX_SEQ) {
			free(sim.mem);
			free(sim.dmap);
			return restack_err_set(err, -E2BIG,
					       "more than %d distinct sequential cutoffs",
					       SIM_MAX_SEQ);
		}
		rs_seq_init(&s->seqs[s->nseq++], cfg->seq_cutoff);
	}
	sim.seq = i;

	if (s->n == s->cap) {
		unsigned int ncap = s->cap ? s->cap * 2 : 16;

		ns = realloc(s->sims, ncap * sizeof(*ns));
		if (ns)
			s->sims = ns;
		no = realloc(s->order, ncap * sizeof(*no));
		if (no)
			s->order = no;
		if (!ns || !no) {
			free(sim.mem);
			free(sim.dmap);
			return restack_err_set(err, -ENOMEM, "out of memory");
		}
		s->cap = ncap;
	}
	/* keep sims sorted by threshold, descending (stable) */
	for (pos = s->n; pos > 0 && s->sims[pos - 1].threshold < threshold; pos--)
		;
	memmove(s->sims + pos + 1, s->sims + pos, (s->n - pos) * sizeof(*ns));
	s->sims[pos] = sim;
	/* rs_repl points into its own memory, not into struct sim: fine */
	for (i = 0; i < s->n; i++)
		if (s->order[i] >= pos)
			s->order[i]++;
	s->order[s->n] = pos;
	return (int)s->n++;
}

static inline void dirty_set(uint8_t *d, uint32_t i)
{
	d[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static inline bool dirty_test(const uint8_t *d, uint32_t i)
{
	return d[i >> 3] & (1u << (i & 7));
}

static inline bool dirty_test_clear(uint8_t *d, uint32_t i)
{
	uint8_t m = (uint8_t)(1u << (i & 7));
	bool was = d[i >> 3] & m;

	d[i >> 3] &= (uint8_t)~m;
	return was;
}

static void sim_block(struct sim *m, bool write, uint64_t key, bool seq)
{
	struct rs_access a;

	rs_cache_access(&m->r, m->cfg.mode, write, key, seq, &a);
	if (write)
		m->write_refs++;
	else
		m->read_refs++;
	switch (a.action) {
	case RS_ACT_HIT:
		if (!write) {
			m->read_hits++;
			break;
		}
		m->write_hits++;
		if (m->cfg.mode == RS_MODE_WB && !dirty_test(m->dmap, a.slot)) {
			dirty_set(m->dmap, a.slot);
			m->dirty++;
		}
		break;
	case RS_ACT_FILL:
		if (a.fill.evicted && dirty_test_clear(m->dmap, a.slot)) {
			m->writebacks++;
			m->dirty--;
		}
		if (write) {
			m->write_fills++;
			if (m->cfg.mode == RS_MODE_WB) {
				dirty_set(m->dmap, a.slot);
				m->dirty++;
			}
		} else {
			m->read_fills++;
		}
		break;
	case RS_ACT_INVALIDATE:
		m->invalidations++;
		if (dirty_test_clear(m->dmap, a.slot))
			m->dirty--;
		break;
	case RS_ACT_MISS:
		if (a.fill_result == RS_FILL_BYPASS)
			m->bypassed++;
		else if (a.fill_result == RS_FILL_REJECT)
			m->rejected++;
		break;
	}
}

static void sim_discard(struct sim *m, uint64_t key)
{
	uint32_t slot = rs_repl_invalidate(&m->r, key);

	if (slot != RS_REPL_NONE && dirty_test_clear(m->dmap, slot))
		m->dirty--;
}

void restack_simset_record(struct restack_simset *s,
			   const struct dm_restack_trace_record *rec)
{
	uint64_t first, last, b, end;
	bool write, discard;
	unsigned int i;

	s->started = true;
	if (rec->type != DM_RESTACK_REC_IO || !rec->sectors || !s->n)
		return;
	discard = rec->op == DM_RESTACK_OP_DISCARD ||
		  rec->op == DM_RESTACK_OP_SECURE_ERASE;
	if (!restack_rec_is_data(rec) && !discard)
		return;
	write = rec->op != DM_RESTACK_OP_READ;
	if (s->reads_only && (write || discard))
		return;
	if (!discard)
		for (i = 0; i < s->nseq; i++)
			s->seq_now[i] = rs_seq_observe(&s->seqs[i],
						       rec->virt_sector,
						       rec->sectors);
	if (discard) {
		/* whole blocks only: a partial discard leaves data behind */
		end = rec->virt_sector + rec->sectors;
		first = (rec->virt_sector + (1ULL << s->shift) - 1) >> s->shift;
		if (end < rec->virt_sector)
			return;
		last = end >> s->shift;
		if (last == 0 || first >= last)
			return;
		last--;
	} else {
		restack_rec_blocks(rec, s->shift, &first, &last);
	}
	if (!discard) {
		uint64_t nb = last - first + 1;

		if (write)
			s->total_writes += nb;
		else
			s->total_reads += nb;
	}
	for (b = first;; b++) {
		uint32_t h = restack_block_hash24(b);

		for (i = 0; i < s->n && h < s->sims[i].threshold; i++) {
			struct sim *m = &s->sims[i];

			if (discard)
				sim_discard(m, b);
			else
				sim_block(m, write, b, s->seq_now[m->seq]);
		}
		if (b == last)
			break;
	}
}

unsigned int restack_simset_count(const struct restack_simset *s)
{
	return s->n;
}

void restack_simset_result(const struct restack_simset *s, unsigned int idx,
			   struct restack_sim_result *res)
{
	const struct sim *m;
	double k;

	memset(res, 0, sizeof(*res));
	if (idx >= s->n)
		return;
	m = &s->sims[s->order[idx]];
	k = (double)DM_RESTACK_SAMPLE_MODULUS / m->threshold;
	res->read_refs = m->read_refs * k;
	res->read_hits = m->read_hits * k;
	res->read_fills = m->read_fills * k;
	res->write_refs = m->write_refs * k;
	res->write_hits = m->write_hits * k;
	res->write_fills = m->write_fills * k;
	res->writebacks = m->writebacks * k;
	res->invalidations = m->invalidations * k;
	res->bypassed = m->bypassed * k;
	res->rejected = m->rejected * k;
	res->dirty_end = m->dirty * k;
	if (s->adjust && m->threshold < DM_RESTACK_SAMPLE_MODULUS) {
		/*
		 * As SHARDS_adj: the sample's reference count deviates from
		 * N * R mostly through hot blocks, which hit; so estimate
		 * the misses (x 1/R) and take the rest of the N references
		 * as hits.
		 */
		res->read_hits = (double)s->total_reads -
				 (double)(m->read_refs - m->read_hits) * k;
		res->write_hits = (double)s->total_writes -
				  (double)(m->write_refs - m->write_hits) * k;
		res->read_refs = (double)s->total_reads;
		res->write_refs = (double)s->total_writes;
		if (res->read_hits < 0)
			res->read_hits = 0;
		if (res->write_hits < 0)
			res->write_hits = 0;
	}
	res->sampled_refs = m->read_refs + m->write_refs;
	res->threshold = m->threshold;
	res->slots = m->slots;
}

size_t restack_simset_bytes(const struct restack_simset *s)
{
	size_t b = sizeof(*s) + s->cap * (sizeof(struct sim) + sizeof(unsigned int));
	unsigned int i;

	for (i = 0; i < s->n; i++)
		b += s->sims[i].mem_size + (s->sims[i].slots + 7) / 8;
	return b;
}

double restack_sim_miss_ratio(const struct restack_sim_result *res)
{
	double refs = res->read_refs + res->write_refs;

	if (!(refs > 0))
		return NAN;
	return 1.0 - (res->read_hits + res->write_hits) / refs;
}
