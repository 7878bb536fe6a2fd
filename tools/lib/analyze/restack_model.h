/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_model.h - latency distributions, devices and the performance
 * model (restack_model.c), device calibration (restack_calibrate.c).
 *
 * For each candidate stack (detached, or the cache policy with a mode,
 * replacement, block size, admission threshold, sequential cutoff and
 * size), the mini-simulation of the shared replacement code gives hit,
 * fill and write-back rates; the model combines them with latency
 * distributions of the origin and the fast device into predicted read and
 * write latency percentiles, device loads and IOPS.  Equations and
 * assumptions: Documentation/analyzer.rst, "Performance model".
 *
 * Latency distributions share the report's log-linear grid (1/32 octave
 * buckets over nanoseconds).
 */
#ifndef RESTACK_MODEL_H
#define RESTACK_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/restack_analyze_report.h"
#include "analyze/restack_minisim.h"
#include "analyze/restack_sla.h"

/* A latency distribution: probability mass per histogram bucket. */
struct restack_ldist {
	double w[RESTACK_REP_LAT_BUCKETS];
	double total;
};

void restack_ldist_clear(struct restack_ldist *d);
/* From a report histogram (counts per bucket). */
void restack_ldist_from_hist(struct restack_ldist *d, const uint64_t *hist);
/*
 * Log-normal with the given median and 99th percentile (microseconds);
 * p99 <= median (or 0) gives a constant.
 */
void restack_ldist_lognormal(struct restack_ldist *d, double median_us,
			     double p99_us);
/* Quantile (0 < q < 1) in nanoseconds; NaN when empty. */
double restack_ldist_quantile(const struct restack_ldist *d, double q);
double restack_ldist_mean(const struct restack_ldist *d);
/* out = a * x + (1 - a) * y, both normalised first. */
void restack_ldist_mix(struct restack_ldist *out, double a,
		       const struct restack_ldist *x,
		       const struct restack_ldist *y);
/* The maximum of independent draws of x and y (both must complete). */
void restack_ldist_max(struct restack_ldist *out, const struct restack_ldist *x,
		       const struct restack_ldist *y);
/* Every latency plus @add_ns (>= 0). */
void restack_ldist_shift(struct restack_ldist *out,
			 const struct restack_ldist *x, double add_ns);
/* Every latency multiplied by s (> 0). */
void restack_ldist_scale(struct restack_ldist *out,
			 const struct restack_ldist *x, double s);

/* A device: read and write latency, capacity, load it was measured at. */
struct restack_device {
	struct restack_ldist read, write;
	double iops;			/* capacity; 0: unknown (no queueing) */
	double measured_iops;		/* load during the profile */
	const char *source;		/* "trace ...", "sla" */
	char source_buf[256];		/* when @source is composed */
};

/* Read-only calibration defaults: reads, request size, time cap. */
#define RESTACK_CALIB_READS	1000u
#define RESTACK_CALIB_BYTES	4096u
#define RESTACK_CALIB_MAX_NS	(3ULL * 1000000000ULL)

/*
 * Calibrate @dev by reading @path: up to @n random RESTACK_CALIB_BYTES
 * O_DIRECT reads at queue depth 1 (pread), stopping after
 * RESTACK_CALIB_MAX_NS; a block device or a regular file, opened
 * read-only.  It never writes: @dev->write is set to the read
 * distribution (an assumption, said so in @dev->source).  No capacity
 * (@dev->iops = 0).  Errors name the path and the system call.
 *
 * The reads fall in [@offset, @offset + @len) bytes of @path; @len 0
 * means to its end (the daemon reads only the region it carved).
 */
int restack_device_calibrate_region(struct restack_device *dev,
				    const char *path, uint64_t offset,
				    uint64_t len, unsigned int n,
				    struct restack_err *err);
/* The whole of @path. */
int restack_device_calibrate(struct restack_device *dev, const char *path,
			     unsigned int n, struct restack_err *err);
/*
 * @dev's latencies and load from @path, a trace of the device alone (a
 * profile); @what names it in errors ("origin_profile").  A profile
 * without reads (or writes) lends the other op its distribution.
 */
int restack_device_from_profile(struct restack_device *dev, const char *path,
				const char *what, struct restack_err *err);
/* @dev's latencies and load from a report scope, as from a profile. */
void restack_device_from_scope(struct restack_device *dev,
			       const struct restack_rep_scope *s);

/*
 * Write-backs the cache policy keeps in flight (MAX_WRITEBACKS in
 * drivers/md/dm-restack-cache.h): in wb, the origin absorbs at most
 * this many over its mean write latency per second.
 */
#define RESTACK_CACHE_MAX_WRITEBACKS	32

/* What the model needs from the analyzed trace. */
struct restack_workload {
	double read_iops, write_iops;	/* data requests per second */
	double duration_s;
	double queue_depth;		/* mean requests in flight (> 0) */
	double read_refs, write_refs;	/* block references */
	double read_bytes, write_bytes;	/* mean request sizes */
	double wss_bytes;
};

struct restack_candidate {
	bool cache;			/* false: detached */
	enum rs_cache_mode mode;
	enum rs_repl_kind kind;
	uint32_t block_bytes;
	uint32_t promote_hits;
	uint64_t seq_cutoff;
	uint64_t cache_bytes;
	/* from the simulation */
	double read_hit, write_cached, fill_per_read, writeback_per_write;
	double wfill_per_write;		/* write misses admitted (write-allocate) */
	/* predictions */
	double read_ns[RESTACK_NR_PCT], write_ns[RESTACK_NR_PCT];
	double read_mean_ns, write_mean_ns;
	double origin_load, fast_load;	/* IOPS */
	double origin_util, fast_util;	/* 0..; >= 1 saturated */
	double iops;			/* achievable at the queue depth */
	double writeback_util;		/* wb: write-back demand / capacity */
	/* verdict */
	bool feasible;
	double worst;			/* max predicted/target; <= 1 meets */
	char reason[192];		/* first violated target */
};

/*
 * Predict @c (cache fields and simulation results filled in) for @w on
 * @origin and @fast, and judge it against @sla.
 */
void restack_model_predict(struct restack_candidate *c,
			   const struct restack_workload *w,
			   const struct restack_device *origin,
			   const struct restack_device *fast,
			   const struct restack_sla_volume *sla);

/*
 * The workload's concurrency: total latency over the span (Little's law)
 * when the trace has latencies, else 1 + the mean in-flight count at
 * submission.
 */
double restack_concurrency(double lat_sum_ns, double duration_s,
			   double inflight_sum, double requests);

/* Cost order: smaller cache first, then wt < wa < wb, then lower worst. */
int restack_candidate_cmp(const struct restack_candidate *a,
			  const struct restack_candidate *b);

/* "cache <dev> mode=.. block_size=.. replacement=.. promote_hits=.. seq_cutoff=.." */
int restack_candidate_attach(const struct restack_candidate *c,
			     const char *fast_device, char *buf, size_t len);

#endif /* RESTACK_MODEL_H */
