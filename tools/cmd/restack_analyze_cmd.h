/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_analyze_cmd.h - the analyzer's commands of the restack CLI:
 * mrc, report and recommend.  Option grammar (pure, unit tested) and
 * runners.
 */
#ifndef RESTACK_ANALYZE_CMD_H
#define RESTACK_ANALYZE_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/restack_args.h"
#include "../../lib/restack_replace.h"

enum restack_mrc_how {
	RESTACK_HOW_DEFAULT = 0,	/* mrc: --exact */
	RESTACK_HOW_EXACT,
	RESTACK_HOW_SAMPLE,
	RESTACK_HOW_FIXED_SIZE,
};

#define RESTACK_MRC_MAX_SIZES	1024

struct restack_analyze_args {
	enum restack_cmd_id id;
	const char *trace;
	/* mrc */
	bool stack_lru;			/* --policy lru (or none) */
	enum rs_repl_kind policy;
	enum rs_cache_mode mode;	/* --mode, default wt */
	uint32_t promote_hits;		/* --promote-hits */
	uint64_t seq_cutoff;		/* --seq-cutoff */
	enum restack_mrc_how how;
	uint32_t threshold;		/* --sample R, of 2^24 */
	uint32_t smax;			/* --fixed-size N */
	uint32_t block_bytes;		/* --block; 0: default */
	bool sizes_auto;
	unsigned int nsizes;		/* --sizes list, bytes */
	uint64_t sizes[RESTACK_MRC_MAX_SIZES];
	bool reads_only;
	/* report */
	bool by_workload;
	const char *plot_dir;
	bool json;			/* report, recommend */
	uint64_t window_ns;		/* report --window */
	/* recommend */
	const char *sla;
	const char *volume;		/* recommend --volume */
	uint64_t warmup_ns;		/* recommend --warmup */
	bool all;			/* recommend --all */
};

/*
 * Parse the arguments after the command name:
 *   mrc <trace> [--policy lru|sieve|s3fifo|arc|2q] [--exact | --sample <R>
 *       | --fixed-size <N>] [--block <bytes>] [--sizes <list>|auto]
 *       [--reads-only] [--mode wt|wb|wa] [--promote-hits <n>]
 *       [--seq-cutoff <bytes>]
 *   report <trace> [--by workload] [--plot <dir>] [--json] [--block <bytes>]
 *       [--window <seconds>]
 *   recommend <trace> --sla <file> [--volume <name>] [--json] [--all]
 *       [--warmup <seconds>]
 * Options take their value as the next argument or after '='; "--" ends
 * options.  Returns 0 or -EINVAL with a one-line message naming the
 * command and the option.
 */
int restack_analyze_args_parse(enum restack_cmd_id id, unsigned int argc,
			       const char *const *argv,
			       struct restack_analyze_args *a,
			       struct restack_err *err);

/*
 * Strict sampling rate "<int>[.<frac>]" in (0, 1] (e.g. "0.01", "1") as
 * a threshold of 2^24, rounded to nearest and at least 1.
 */
int restack_parse_rate(const char *s, uint32_t *threshold);

/* Run mrc/report/recommend; returns the CLI exit code. */
int restack_analyze_cmd_run(const struct restack_cmd *cmd);

/* The mrc command on parsed arguments, writing CSV to @out. */
/* Default block size: the trace's sampling block if sampled, else 4 KiB. */
uint32_t restack_default_block(const struct dm_restack_trace_header *h,
			       uint32_t given);

int restack_mrc_run(const struct restack_analyze_args *a, FILE *out,
		    struct restack_err *err);

/* The report command on parsed arguments, writing to @out. */
int restack_report_run(const struct restack_analyze_args *a, FILE *out,
		       struct restack_err *err);

/* The recommend command on parsed arguments, writing to @out. */
int restack_recommend_run(const struct restack_analyze_args *a, FILE *out,
			  struct restack_err *err);

#endif /* RESTACK_ANALYZE_CMD_H */
