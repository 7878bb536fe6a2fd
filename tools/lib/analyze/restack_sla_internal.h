/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_sla_internal.h - what the SLA file's parser
 * (restack_sla.c), its key syntax (restack_sla_keys.c) and its
 * canonical text (restack_sla_format.c) share; not for other users.
 */
#ifndef RESTACK_SLA_INTERNAL_H
#define RESTACK_SLA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "analyze/restack_sla.h"

/* [volume ...] keys. */
enum key_id {
	K_ORIGIN, K_FAST_DEVICE, K_MAX_CACHE,
	K_READ_P50, K_READ_P90, K_READ_P99, K_READ_P999,
	K_WRITE_P50, K_WRITE_P90, K_WRITE_P99, K_WRITE_P999,
	K_MIN_IOPS,
	K_ORIGIN_PROFILE, K_FAST_PROFILE,
	K_ORIGIN_READ, K_ORIGIN_READ_P99, K_ORIGIN_WRITE, K_ORIGIN_WRITE_P99,
	K_FAST_READ, K_FAST_READ_P99, K_FAST_WRITE, K_FAST_WRITE_P99,
	K_ORIGIN_IOPS, K_FAST_IOPS, K_QUEUE_DEPTH,
	K_MODES, K_REPLACEMENTS, K_BLOCK_SIZES, K_PROMOTE_HITS, K_SEQ_CUTOFFS,
	K_CACHE_SIZES, K_SAMPLE_RATE,
	K_NR
};

#define BIT(k)	(1ULL << (k))

/* [daemon] keys (Documentation/daemon.rst). */
enum daemon_key_id {
	D_STATE_DIR, D_EVENT_LOG, D_WINDOW, D_VIOLATION_WINDOWS,
	D_CLEAR_WINDOWS, D_PROFILE, D_TRACE_SAMPLE_RATE, D_FAST_ERROR_LIMIT,
	D_FAST_LATENCY_LIMIT, D_RETRY, D_WARMUP,
	D_NR
};

extern const char *const restack_sla_key_names[K_NR];
extern const char *const restack_sla_daemon_key_names[D_NR];

struct parse_state {
	const char *name;		/* file name for messages */
	const char *text;		/* whole input */
	size_t len, pos;
	unsigned int line;		/* of the line inih holds now */
	int err_code;			/* first error */
	struct restack_err *err;
	struct restack_sla sla;
};

/* Record the first error (file, @line, message); returns 0 for inih. */
int restack_sla_error(struct parse_state *st, unsigned int line, int code,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Strict "<digits>[.<digits>]", no leading zeros, at most 1e12. */
int restack_sla_parse_decimal(const char *s, double *out);
/* Split a comma-separated list into trimmed items; returns the count. */
int restack_sla_split_list(const char *v, char items[][64], int max);
/* A non-empty path without control characters. */
bool restack_sla_path_ok(const char *v);

/* Key @k = @v of [volume] @vol: 1 done, 0 error recorded. */
int restack_sla_set_value(struct parse_state *st, struct restack_sla_volume *vol,
			  enum key_id k, const char *v);
/* A [daemon] key: 1 done, 0 error recorded. */
int restack_sla_daemon_key(struct parse_state *st, const char *name,
			   const char *v);
/* Defaults of the [daemon] keys not given; 0 or an error recorded. */
int restack_sla_finish_daemon(struct parse_state *st);

#endif /* RESTACK_SLA_INTERNAL_H */
