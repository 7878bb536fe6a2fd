/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_sla.h - SLA files: what each volume must achieve and what the
 * analyzer may use to achieve it.  INI (libinih), one [volume <name>]
 * section per volume; the daemon reads the same file.  Every key is
 * documented in Documentation/analyzer.rst.
 *
 * Strict: unknown sections and keys, duplicate keys and sections,
 * malformed or out-of-range values, lines longer than
 * RESTACK_SLA_LINE_MAX and NUL bytes are errors naming the line; missing
 * required keys name the section and its line.
 */
#ifndef RESTACK_SLA_H
#define RESTACK_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/restack_core.h"
#include "../../../lib/restack_replace.h"

#define RESTACK_SLA_LINE_MAX	198	/* characters, without the newline */
#define RESTACK_SLA_MAX_VOLUMES	256
#define RESTACK_SLA_LIST_MAX	16
#define RESTACK_SLA_PATH_MAX	4096

/* Latency targets: percentiles, in this order. */
enum restack_sla_pct {
	RESTACK_PCT_50 = 0,
	RESTACK_PCT_90,
	RESTACK_PCT_99,
	RESTACK_PCT_999,
	RESTACK_NR_PCT
};

extern const double restack_sla_pct_q[RESTACK_NR_PCT];	/* 0.5 ... 0.999 */
extern const char *const restack_sla_pct_name[RESTACK_NR_PCT];	/* "p50" ... */

/* A device's latency when no profile trace is given: median and p99. */
struct restack_sla_lat {
	double median_us;		/* 0: not given */
	double p99_us;			/* 0: same as the median (constant) */
};

struct restack_sla_volume {
	char name[RESTACK_VOLUME_NAME_MAX + 1];
	unsigned int line;		/* of the section header */
	char *origin;			/* device paths (not opened here) */
	char *fast_device;
	uint64_t max_cache_bytes;
	/* targets; 0 = none */
	double read_us[RESTACK_NR_PCT];
	double write_us[RESTACK_NR_PCT];
	double min_iops;
	/* device profiles */
	char *origin_profile;		/* trace of the origin alone */
	char *fast_profile;		/* trace of the fast device alone */
	struct restack_sla_lat origin_read, origin_write;
	struct restack_sla_lat fast_read, fast_write;
	double origin_iops, fast_iops;	/* capacities; 0: unbounded */
	uint32_t queue_depth;		/* 0: the trace's mean */
	/* the candidate space */
	uint32_t modes;			/* bit per enum rs_cache_mode */
	uint32_t replacements;		/* bit per enum rs_repl_kind */
	unsigned int nblock_sizes, npromote, nseq, nsizes;
	uint32_t block_sizes[RESTACK_SLA_LIST_MAX];
	uint32_t promote_hits[RESTACK_SLA_LIST_MAX];
	uint64_t seq_cutoffs[RESTACK_SLA_LIST_MAX];
	uint64_t cache_sizes[RESTACK_SLA_LIST_MAX];
	double sample_rate;
	/* parser bookkeeping: bit per key seen, line per key */
	uint64_t seen;
	unsigned int key_line[64];
};

/*
 * The optional [daemon] section (`restack daemon`, Documentation/daemon.rst).
 * Defaults are filled in whether or not the section is present; @present
 * says whether it was.
 */
struct restack_sla_daemon {
	bool present;
	unsigned int line;		/* of the section header */
	char *state_dir;		/* default "/run/restack" */
	char *event_log;		/* default "<state_dir>/events.jsonl" */
	double window_s;		/* SLA judging window, 0.1 .. 3600 */
	uint32_t violation_windows;	/* missed in a row before acting */
	uint32_t clear_windows;		/* met in a row before "met" again */
	double profile_s;		/* profiling length, 1 .. 3600 */
	double trace_sample_rate;	/* SHARDS rate of the profile, (0, 1] */
	uint32_t fast_error_limit;	/* fast errors per window: degraded */
	double fast_latency_limit_us;	/* 0: off */
	double retry_s;			/* after a detach or "no stack" */
	double warmup_s;		/* after attaching: SLA misses ignored */
	uint64_t seen;
	unsigned int key_line[16];
};

struct restack_sla {
	struct restack_sla_volume *vols;
	unsigned int n;
	struct restack_sla_daemon daemon;
};

/*
 * With a [daemon] section, fast_read_us and fast_write_us may be left out
 * (the daemon measures the fast device); restack_recommend() then needs
 * them filled in by its caller.
 *
 * Parse @path ("-": stdin) or a string (@name names it in messages).
 * On failure *sla is empty (nothing to release) and err holds one line
 * "<name>: line <n>: ..." (or the section for missing keys).
 */
int restack_sla_parse_file(const char *path, struct restack_sla *sla,
			   struct restack_err *err);
int restack_sla_parse_string(const char *text, size_t len, const char *name,
			     struct restack_sla *sla, struct restack_err *err);
void restack_sla_release(struct restack_sla *sla);

/* The section for @volume, or the only one when @volume is NULL. */
const struct restack_sla_volume *
restack_sla_find(const struct restack_sla *sla, const char *volume,
		 struct restack_err *err);

/*
 * Canonical text of a parsed file (every key that was given, in a fixed
 * order); parsing it again gives the same values (malloc'ed).
 */
int restack_sla_format(const struct restack_sla *sla, char **text);

#endif /* RESTACK_SLA_H */
