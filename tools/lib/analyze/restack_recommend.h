/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_recommend.h - the stack recommendation (restack_recommend.c)
 * and its output (restack_recommend_render.c), over the performance
 * model of restack_model.h.
 */
#ifndef RESTACK_RECOMMEND_H
#define RESTACK_RECOMMEND_H

#include <stdint.h>
#include <stdio.h>

#include "analyze/restack_model.h"

/* Options of a recommendation (all zero: the defaults). */
struct restack_recommend_opts {
	/*
	 * Steady state: records submitted less than @warmup_ns after the
	 * trace's first data request still fill the simulated caches, but
	 * the hit ratios, the workload's rates and the latencies taken from
	 * the trace count only what follows (from the first record, in file
	 * order, submitted at or after that point).  0: the whole trace.
	 */
	uint64_t warmup_ns;
};

struct restack_recommendation {
	struct restack_candidate *cands;	/* sorted by cost */
	unsigned int n;
	int chosen;			/* index, or -1: nothing meets the SLA */
	int closest;			/* smallest worst (when chosen < 0) */
	struct restack_workload workload;
	struct restack_device origin, fast;
	const struct restack_sla_volume *sla;
	const char *trace;
	uint64_t records;		/* records counted (after the warm-up) */
	uint64_t warmup_records;	/* records in the warm-up */
	double warmup_s;		/* its length; 0: none */
};

/*
 * Run the whole recommendation: read @trace once (and the profile traces
 * the SLA names), simulate every candidate, predict and choose.
 */
int restack_recommend(const char *trace, const struct restack_sla_volume *sla,
		      struct restack_recommendation *rec,
		      struct restack_err *err);
int restack_recommend_opts(const char *trace,
			   const struct restack_sla_volume *sla,
			   const struct restack_recommend_opts *opts,
			   struct restack_recommendation *rec,
			   struct restack_err *err);
void restack_recommendation_release(struct restack_recommendation *rec);

int restack_recommend_print_text(FILE *out,
				 const struct restack_recommendation *rec);
int restack_recommend_print_json(FILE *out,
				 const struct restack_recommendation *rec);
/*
 * Every candidate in cost order: a table (after the text output), or the
 * JSON object with an "all" array of every candidate.
 */
int restack_recommend_print_all(FILE *out,
				const struct restack_recommendation *rec);
int restack_recommend_print_json_all(FILE *out,
				     const struct restack_recommendation *rec);

#endif /* RESTACK_RECOMMEND_H */
