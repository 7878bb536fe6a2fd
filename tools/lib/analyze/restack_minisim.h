/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_minisim.h - scaled-down cache simulation (Waldspurger et al.,
 * "Cache Modeling and Optimization using Miniature Simulations", ATC
 * 2017) of the replacement code the kernel cache policy runs
 * (lib/restack_replace.c).
 *
 * A cache of C blocks is emulated by a cache of C*R slots fed only the
 * blocks that the SHARDS hash samples at rate R (the same hash as the
 * kernel tracer and the MRC code); its hit and miss counts, scaled by
 * 1/R, estimate those of the full-size cache.  Small caches get a higher
 * rate so that the emulated cache keeps at least min_slots slots (a
 * cache of fewer than min_slots blocks is simulated in full).
 *
 * A simset simulates many configurations and sizes in one pass over a
 * trace: the hash of each block is computed once, and each simulation
 * with a threshold above it sees the block.  The sequential cutoff is
 * evaluated on the full request stream, before sampling.
 */
#ifndef RESTACK_MINISIM_H
#define RESTACK_MINISIM_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/restack_analyze.h"
#include "../../../lib/restack_replace.h"

#define RESTACK_SIM_MIN_SLOTS	256u

/* One cache configuration, as `attach cache` would take it. */
struct restack_sim_config {
	enum rs_repl_kind kind;
	enum rs_cache_mode mode;
	uint32_t promote_hits;
	uint64_t seq_cutoff;		/* bytes; 0: off */
};

/* Counts in block references, scaled to the full trace (x 1/R). */
struct restack_sim_result {
	double read_refs, read_hits, read_fills;
	double write_refs, write_hits, write_fills;
	double writebacks;		/* dirty blocks evicted (wb) */
	double invalidations;		/* wa writes that dropped a copy */
	double bypassed;		/* misses not admitted: sequential */
	double rejected;		/* misses not admitted: filter */
	double dirty_end;		/* dirty blocks at the end (wb) */
	uint64_t sampled_refs;		/* references the emulated cache saw */
	uint32_t threshold;		/* R = threshold / 2^24 */
	uint32_t slots;			/* emulated cache size */
};

struct restack_simset;

/*
 * A set of simulations over blocks of @block_bytes.  @trace_threshold and
 * @trace_block_sectors come from the trace header (kernel sampling; 0 or
 * the modulus when unsampled).  @reads_only: feed only READ records.
 */
int restack_simset_create(uint32_t block_bytes, uint32_t trace_threshold,
			  uint32_t trace_block_sectors, bool reads_only,
			  struct restack_simset **out, struct restack_err *err);
void restack_simset_destroy(struct restack_simset *s);

/*
 * Sampling threshold for a cache of @cache_blocks at rate @rate (0 < rate
 * <= 1) with at least @min_slots emulated slots.
 */
uint32_t restack_sim_threshold(uint64_t cache_blocks, double rate,
			       uint32_t min_slots);

/*
 * Add a simulation of @cfg with a cache of @cache_blocks blocks sampled at
 * @threshold (capped by the trace's).  Returns its index (>= 0) or a
 * negative errno.  Must be called before the first record.
 */
int restack_simset_add(struct restack_simset *s,
		       const struct restack_sim_config *cfg,
		       uint64_t cache_blocks, uint32_t threshold,
		       struct restack_err *err);

/* Feed one trace record to every simulation. */
void restack_simset_record(struct restack_simset *s,
			   const struct dm_restack_trace_record *rec);

unsigned int restack_simset_count(const struct restack_simset *s);
void restack_simset_result(const struct restack_simset *s, unsigned int idx,
			   struct restack_sim_result *res);
/* Bytes allocated by all simulations. */
size_t restack_simset_bytes(const struct restack_simset *s);

/* Miss ratio over the references a result counts (reads and writes). */
double restack_sim_miss_ratio(const struct restack_sim_result *res);

#endif /* RESTACK_MINISIM_H */
