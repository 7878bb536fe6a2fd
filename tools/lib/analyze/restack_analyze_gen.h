/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_analyze_gen.h - synthetic block traces for the analyzer's tests
 * and benchmarks: deterministic (seeded) streams of trace records.
 *
 *   zipf      block popularity ~ 1/rank^alpha (rejection-inversion
 *             sampling, Hoermann and Derflinger 1996: O(1) memory for any
 *             universe), ranks scattered over the volume bijectively.
 *   uniform   every block of the universe equally likely.
 *   scanmix   zipf, with a fraction of requests belonging to sequential
 *             scans of scan_blocks blocks over a separate region that is
 *             never revisited (one-time scans).
 *   seq       one sequential stream over the universe, wrapping.
 */
#ifndef RESTACK_ANALYZE_GEN_H
#define RESTACK_ANALYZE_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "analyze/restack_analyze.h"

enum restack_gen_kind {
	RESTACK_GEN_ZIPF = 0,
	RESTACK_GEN_UNIFORM,
	RESTACK_GEN_SCANMIX,
	RESTACK_GEN_SEQ,
};

struct restack_gen_params {
	enum restack_gen_kind kind;
	uint64_t universe;		/* blocks in the hot region, >= 1 */
	uint32_t block_bytes;		/* request alignment and unit */
	uint32_t req_blocks;		/* blocks per request (>= 1) */
	double alpha;			/* zipf exponent (> 0) */
	double read_fraction;		/* 0..1 */
	double scan_fraction;		/* scanmix: share of requests in scans */
	uint32_t scan_blocks;		/* scanmix: blocks per scan */
	double iops;			/* mean arrival rate (Poisson) */
	uint64_t read_lat_ns;		/* median latency of reads */
	uint64_t write_lat_ns;		/* median latency of writes */
	uint32_t workloads;		/* distinct cgroup/pid pairs, >= 1 */
	uint64_t seed;
};

struct restack_gen {
	struct restack_gen_params p;
	uint64_t rng;
	uint64_t ts;
	uint64_t seq_next;		/* seq: next block */
	uint64_t scan_pos, scan_left;	/* scanmix: current scan */
	uint64_t scan_base;
	double scan_start;		/* probability of starting a scan */
	unsigned int space_bits;	/* ranks scatter over 2^bits blocks */
	/* rejection-inversion constants */
	double h_x1, h_n, s;
};

/* Defaults for unset (zero) fields: 4 KiB blocks, 1 block, alpha 0.9... */
void restack_gen_defaults(struct restack_gen_params *p);
int restack_gen_init(struct restack_gen *g, const struct restack_gen_params *p,
		     struct restack_err *err);
/* The next record (always a DM_RESTACK_REC_IO READ or WRITE). */
void restack_gen_next(struct restack_gen *g, struct dm_restack_trace_record *rec);

/* One zipf rank in 1..n (exposed for tests). */
uint64_t restack_gen_zipf(struct restack_gen *g);
/* Uniform double in [0, 1) from the generator's stream. */
double restack_gen_unit(struct restack_gen *g);

#endif /* RESTACK_ANALYZE_GEN_H */
