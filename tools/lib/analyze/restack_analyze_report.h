/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_analyze_report.h - one-pass workload profile of a trace: the
 * data behind `restack report`.
 *
 * Everything is computed in one pass in bounded memory:
 *   - counts and bytes per op, errors; IOPS and bandwidth in time bins
 *     (at most RESTACK_REP_TIME_BINS; the bin width doubles as needed);
 *   - request sizes in power-of-two buckets per read/write;
 *   - sequentiality: a request is sequential when it starts where a
 *     recent request of its scope ended (ends are kept in a table of
 *     RESTACK_REP_STREAMS entries indexed by a hash of the end sector, a
 *     newer end replacing an older one on collision); a run is a
 *     sequence of requests continuing each other;
 *   - latency per op class in a log-linear histogram (1/32 octave, about
 *     2% relative error) for percentiles and the CDF;
 *   - working set, per-window working sets, read-after-write and rewrite
 *     fractions from a SHARDS sample of blocks whose threshold halves
 *     whenever the sample exceeds its size (estimates scaled by 1/R);
 *   - an LRU miss-ratio curve (fixed-size SHARDS);
 *   - LBA regions (at most RESTACK_REP_LBA_BINS, width doubling) and a
 *     time x LBA heat map.
 * Each statistic exists for the whole trace and, when asked, for each
 * workload (volume, cgroup, pid); past RESTACK_REP_MAX_WORKLOADS the rest
 * share one "other" entry.
 *
 * A trace sampled in the kernel holds a bio with probability
 * 1 - (1 - R)^k for k sampled-size blocks; request statistics weight each
 * record by the inverse (Horvitz-Thompson), block statistics use the
 * sampled blocks at rate R.
 */
#ifndef RESTACK_ANALYZE_REPORT_H
#define RESTACK_ANALYZE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/restack_analyze.h"
#include "analyze/restack_mrc.h"

#define RESTACK_REP_TIME_BINS		1024u
#define RESTACK_REP_LBA_BINS		1024u
#define RESTACK_REP_HEAT		128u
#define RESTACK_REP_STREAMS		64u	/* power of two */
#define RESTACK_REP_SIZE_BUCKETS	24u	/* 512 B .. 2 GiB and above */
#define RESTACK_REP_LAT_SUB		32u
#define RESTACK_REP_LAT_BUCKETS		(64u * RESTACK_REP_LAT_SUB)
#define RESTACK_REP_MAX_WORKLOADS	64u
#define RESTACK_REP_WSS_SMAX		65536u
#define RESTACK_REP_WSS_SMAX_WL		8192u
#define RESTACK_REP_MAX_WINDOWS		4096u

/* Latency classes. */
enum restack_rep_lat {
	RESTACK_LAT_READ = 0,
	RESTACK_LAT_WRITE,
	RESTACK_LAT_DISCARD,		/* discard, write-zeroes, secure erase */
	RESTACK_LAT_FLUSH,
	RESTACK_NR_LAT
};

struct restack_rep_tbin {
	double n[2];			/* reads, writes (and others in n[1]) */
	double bytes[2];
};

/* A block sample with a halving threshold (working sets, RAW, rewrite). */
struct restack_rep_wss {
	struct restack_u64map map;	/* block -> window << 2 | read | written */
	uint32_t T;
	uint32_t smax;
	uint64_t cur_window;
	double cur_count;		/* sampled blocks seen in cur_window */
	double *windows;		/* distinct blocks per finished window */
	uint32_t nwindows;
	double reads, reads_after_write;	/* block references (x 1/R) */
	double writes, rewrites;
};

struct restack_rep_scope {
	uint64_t volume, cgroup;	/* key (workload scopes) */
	uint32_t pid;
	bool other;			/* the overflow workload */
	char comm[16];

	uint64_t records;		/* I/O records seen (unweighted) */
	double ops[DM_RESTACK_OP_MAX];	/* weighted counts */
	double bytes[DM_RESTACK_OP_MAX];
	double errors;
	double size_hist[2][RESTACK_REP_SIZE_BUCKETS];
	/* sequentiality: recent request ends, direct-mapped by hash */
	uint64_t stream_next[RESTACK_REP_STREAMS];
	double data_reqs, seq_reqs, runs;
	/* time */
	uint64_t first_ts, last_end;
	bool have_ts;
	/* latency */
	uint64_t lat[RESTACK_NR_LAT][RESTACK_REP_LAT_BUCKETS];
	uint64_t lat_n[RESTACK_NR_LAT];
	double lat_sum[RESTACK_NR_LAT];
	uint64_t lat_max[RESTACK_NR_LAT];
	/* LBA regions: bins of lba_width = 2^lba_shift sectors from 0 */
	double lba[RESTACK_REP_LBA_BINS];
	uint64_t lba_width;
	unsigned int lba_shift;
	uint64_t max_sector;
	/* blocks */
	struct restack_rep_wss wss;
	struct restack_mrc *mrc;
};

struct restack_report {
	uint32_t block_bytes;
	unsigned int shift;
	uint32_t trace_threshold;	/* kernel sampling */
	uint32_t trace_block_sectors;
	double trace_rate;
	uint64_t window_ns;
	bool by_workload;
	uint64_t t0;			/* first timestamp seen */
	bool started;

	struct restack_rep_scope all;
	struct restack_rep_scope **wl;
	unsigned int nwl;
	/* last workload looked up */
	unsigned int last_wl;

	/* time bins and heat map (whole trace) */
	struct restack_rep_tbin tbins[RESTACK_REP_TIME_BINS];
	uint64_t tbin_ns;		/* 2^tbin_shift ns, doubling */
	unsigned int tbin_shift;
	uint32_t ntbins;
	uint32_t heat[RESTACK_REP_HEAT][RESTACK_REP_HEAT];	/* [time][lba] */
	uint64_t heat_tns;		/* 2^heat_tshift ns per column */
	uint64_t heat_lba;		/* 2^heat_lshift sectors per row */
	unsigned int heat_tshift, heat_lshift;
	uint64_t window_end;		/* dt where the current window ends */
	uint64_t window;		/* its index */

	uint64_t end_records, end_drops;	/* from the END record */
	bool have_end;
	uint64_t comm_records;
};

struct restack_report_params {
	uint32_t block_bytes;		/* 0: 4 KiB or the sampling block */
	uint64_t window_ns;		/* 0: 60 s */
	bool by_workload;
	uint32_t trace_threshold;	/* header sample_threshold */
	uint32_t trace_block_sectors;
};

int restack_report_init(struct restack_report *r,
			const struct restack_report_params *p,
			struct restack_err *err);
void restack_report_release(struct restack_report *r);

/* Feed one record of any type.  Returns 0 or -ENOMEM. */
int restack_report_record(struct restack_report *r,
			  const struct dm_restack_trace_record *rec);

/* Finish: close the current window.  Call once after the last record. */
void restack_report_finish(struct restack_report *r);

/* The latency histogram's bucket of @ns and a bucket's midpoint (ns). */
unsigned int restack_lat_bucket(uint64_t ns);
double restack_lat_value(unsigned int idx);

/* ---- queries on a scope ---- */

/* Latency percentile (0 < q < 1) of a class, ns; 0 when no samples. */
uint64_t restack_rep_latency_pct(const struct restack_rep_scope *s,
				 enum restack_rep_lat c, double q);
/* Duration in ns from the first submit to the last completion. */
uint64_t restack_rep_duration(const struct restack_rep_scope *s);
/* Data requests of @op (DM_RESTACK_OP_*) per second of @s; 0 if it spans none. */
double restack_rep_data_iops(const struct restack_rep_scope *s, int op);
/* Working set in blocks (estimated). */
double restack_rep_wss_blocks(const struct restack_rep_scope *s);

/* ---- rendering (restack_analyze_render.c) ---- */

struct restack_report_meta {
	const char *trace;		/* path */
	const struct dm_restack_trace_header *hdr;
};

int restack_report_print_text(FILE *out, const struct restack_report *r,
			      const struct restack_report_meta *meta);
int restack_report_print_json(FILE *out, const struct restack_report *r,
			      const struct restack_report_meta *meta);
/*
 * Write data files and a gnuplot script into @dir and run gnuplot:
 * latency-cdf.png, iops.png, lba-heatmap.png, mrc.png.  Fails with a
 * clear message if gnuplot is missing or fails.
 */
int restack_report_plot(const struct restack_report *r, const char *dir,
			const struct restack_report_meta *meta,
			struct restack_err *err);

#endif /* RESTACK_ANALYZE_REPORT_H */
