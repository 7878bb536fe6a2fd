/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_mrc.h - LRU miss-ratio curves from reuse (stack) distances.
 *
 * Three methods over the same engine (a hash map block -> last access
 * time and a Fenwick tree over access times, O(log n) per reference):
 *
 *   EXACT       every block reference; distances exact (Mattson).
 *   FIXED_RATE  SHARDS (Waldspurger et al., FAST 2015): only blocks whose
 *               hash is below T out of 2^24 (lib/restack_sample.h, the
 *               kernel tracer's hash) are tracked; distances are scaled
 *               by 1/R, R = T/2^24.
 *   FIXED_SIZE  SHARDS with at most smax tracked blocks: when a new block
 *               would exceed smax, T drops to the largest hash tracked and
 *               the blocks with that hash are forgotten; counts taken at
 *               the old rate are rescaled by T_new/T_old.  Memory is
 *               bounded by smax whatever the trace length.
 *
 * SHARDS_adj: the difference between the expected number of sampled
 * references (N * R for N references) and the number actually sampled
 * is added to the smallest-distance bucket, which removes most of the
 * vertical bias that hot blocks cause (the paper's SHARDS_adj).  Here
 * only the part of the difference beyond one standard deviation of
 * block-sampling noise (1/sqrt(sampled blocks), relative) is treated so;
 * the rest is left to the ratio of sampled hits to sampled references,
 * which is the better estimate when the deviation is mere sampling noise
 * (Documentation/analyzer.rst has the measurements).
 *
 * A trace sampled by the kernel (header sample_threshold < modulus)
 * holds only bios touching sampled blocks: the analyzer keeps only those
 * blocks and scales by the recorded rate (requested rates are capped by
 * it; EXACT becomes FIXED_RATE at the trace's rate).  N is unknown then,
 * so no adjustment is made.
 */
#ifndef RESTACK_MRC_H
#define RESTACK_MRC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/restack_analyze.h"

enum restack_mrc_method {
	RESTACK_MRC_EXACT = 0,
	RESTACK_MRC_FIXED_RATE,
	RESTACK_MRC_FIXED_SIZE,
};

/* Default fixed-size sample set and the memory ceiling it must respect. */
#define RESTACK_MRC_SMAX_DEFAULT	32768u
#define RESTACK_MRC_SMAX_MAX		(1u << 20)
#define RESTACK_MRC_MEM_LIMIT		(64u << 20)

struct restack_mrc_params {
	enum restack_mrc_method method;
	uint32_t block_bytes;		/* power of two, 512 .. 2 MiB */
	uint32_t threshold;		/* FIXED_RATE: T of 2^24, 1..2^24 */
	uint32_t smax;			/* FIXED_SIZE: 0 = default */
	bool reads_only;		/* only READ records count */
	bool no_adjust;			/* disable SHARDS_adj */
	/*
	 * From the trace header: kernel sampling threshold (0 or the modulus
	 * when unsampled) and its block size in sectors.
	 */
	uint32_t trace_threshold;
	uint32_t trace_block_sectors;
};

struct restack_mrc;

/* Validate params (message names the bad one) and allocate. */
int restack_mrc_create(const struct restack_mrc_params *p,
		       struct restack_mrc **out, struct restack_err *err);
void restack_mrc_destroy(struct restack_mrc *m);

/* Feed one trace record (non-data records are ignored). */
int restack_mrc_record(struct restack_mrc *m,
		       const struct dm_restack_trace_record *rec);

/* Feed one block reference directly (counts as one reference). */
int restack_mrc_access(struct restack_mrc *m, uint64_t block);
/* The same with restack_block_hash24(block) already computed. */
int restack_mrc_access_hashed(struct restack_mrc *m, uint64_t block,
			      uint32_t hash24);

/*
 * Miss ratio of an LRU cache of @cache_blocks blocks (0: 1.0).  NaN if
 * no references were seen.
 */
double restack_mrc_miss_ratio(const struct restack_mrc *m, uint64_t cache_blocks);

/*
 * Noise allowance of the adjustment in standard deviations (default 1;
 * 0 is the paper's SHARDS_adj).  For experiments and the benchmark.
 */
void restack_mrc_set_adjust_k(struct restack_mrc *m, double k);

/* The effective sampling threshold now (2^24 for EXACT). */
uint32_t restack_mrc_threshold(const struct restack_mrc *m);
/* References fed (before sampling) and references tracked. */
uint64_t restack_mrc_refs(const struct restack_mrc *m);
uint64_t restack_mrc_sampled_refs(const struct restack_mrc *m);
/* References estimated from the samples (sum of 1/R per sample). */
double restack_mrc_estimated_refs(const struct restack_mrc *m);
/* Estimated distinct blocks (tracked distinct / R). */
double restack_mrc_distinct(const struct restack_mrc *m);
/* Bytes allocated now and at most so far. */
size_t restack_mrc_bytes(const struct restack_mrc *m);
size_t restack_mrc_peak_bytes(const struct restack_mrc *m);
uint32_t restack_mrc_block_bytes(const struct restack_mrc *m);
unsigned int restack_mrc_block_shift(const struct restack_mrc *m);

/*
 * Cache sizes for "--sizes auto": @n sizes (n >= 2) geometrically spaced
 * from one block to the estimated working set (at least 2 blocks), in
 * blocks, strictly increasing, deduplicated; returns how many.
 */
unsigned int restack_mrc_auto_sizes(double distinct_blocks, uint64_t *blocks,
				    unsigned int n);

struct restack_trace_reader;

/*
 * The curve of every record @rd has left: @p with its trace_* fields
 * taken from @rd's header, fed record by record.  On success *@out is
 * the curve (the caller destroys it) and @rd is at its end; on failure
 * *@out is NULL and @err says why.  The daemon and `restack mrc` share
 * this, so that both draw the same curve from the same trace.
 */
int restack_mrc_from_trace(struct restack_trace_reader *rd,
			   const struct restack_mrc_params *p,
			   struct restack_mrc **out, struct restack_err *err);

/*
 * "cache_bytes,miss_ratio" and one row per size of
 * restack_mrc_auto_sizes(restack_mrc_distinct(@m), .., 64); no rows
 * for a curve without references.
 */
void restack_mrc_print_auto(const struct restack_mrc *m, FILE *out);

#endif /* RESTACK_MRC_H */
