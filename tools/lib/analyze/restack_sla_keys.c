// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_sla_keys.c - the keys of SLA files and the syntax of their
 * values: [volume <name>] keys into struct restack_sla_volume, [daemon]
 * keys into struct restack_sla_daemon (restack_sla.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/restack_analyze.h"
#include "analyze/restack_sla_internal.h"

const char *const restack_sla_key_names[K_NR] = {
	[K_ORIGIN] = "origin",
	[K_FAST_DEVICE] = "fast_device",
	[K_MAX_CACHE] = "max_cache_bytes",
	[K_READ_P50] = "read_p50_us",
	[K_READ_P90] = "read_p90_us",
	[K_READ_P99] = "read_p99_us",
	[K_READ_P999] = "read_p999_us",
	[K_WRITE_P50] = "write_p50_us",
	[K_WRITE_P90] = "write_p90_us",
	[K_WRITE_P99] = "write_p99_us",
	[K_WRITE_P999] = "write_p999_us",
	[K_MIN_IOPS] = "min_iops",
	[K_ORIGIN_PROFILE] = "origin_profile",
	[K_FAST_PROFILE] = "fast_profile",
	[K_ORIGIN_READ] = "origin_read_us",
	[K_ORIGIN_READ_P99] = "origin_read_p99_us",
	[K_ORIGIN_WRITE] = "origin_write_us",
	[K_ORIGIN_WRITE_P99] = "origin_write_p99_us",
	[K_FAST_READ] = "fast_read_us",
	[K_FAST_READ_P99] = "fast_read_p99_us",
	[K_FAST_WRITE] = "fast_write_us",
	[K_FAST_WRITE_P99] = "fast_write_p99_us",
	[K_ORIGIN_IOPS] = "origin_iops",
	[K_FAST_IOPS] = "fast_iops",
	[K_QUEUE_DEPTH] = "queue_depth",
	[K_MODES] = "modes",
	[K_REPLACEMENTS] = "replacements",
	[K_BLOCK_SIZES] = "block_sizes",
	[K_PROMOTE_HITS] = "promote_hits",
	[K_SEQ_CUTOFFS] = "seq_cutoffs",
	[K_CACHE_SIZES] = "cache_sizes",
	[K_SAMPLE_RATE] = "sample_rate",
};

const char *const restack_sla_daemon_key_names[D_NR] = {
	[D_STATE_DIR] = "state_dir",
	[D_EVENT_LOG] = "event_log",
	[D_WINDOW] = "window_s",
	[D_VIOLATION_WINDOWS] = "violation_windows",
	[D_CLEAR_WINDOWS] = "clear_windows",
	[D_PROFILE] = "profile_s",
	[D_TRACE_SAMPLE_RATE] = "trace_sample_rate",
	[D_FAST_ERROR_LIMIT] = "fast_error_limit",
	[D_FAST_LATENCY_LIMIT] = "fast_latency_limit_us",
	[D_RETRY] = "retry_s",
	[D_WARMUP] = "warmup_s",
};

/* Strict "<digits>[.<digits>]", no leading zeros, at most 1e12. */
int restack_sla_parse_decimal(const char *s, double *out)
{
	const char *p = s;
	double v = 0, scale = 1;
	int digits = 0;

	if (!(*p >= '0' && *p <= '9'))
		return -EINVAL;
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
		if (++digits > 13)
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			scale /= 10;
			v += (*p++ - '0') * scale;
			if (++digits > 15)
				return -ERANGE;
		}
	}
	if (*p)
		return -EINVAL;
	if (v > 1e12)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Split a comma-separated list into trimmed items; returns the count. */
int restack_sla_split_list(const char *v, char items[][64], int max)
{
	int n = 0;

	for (;;) {
		const char *comma = strchr(v, ','), *a = v, *b;
		size_t len;

		b = comma ? comma : v + strlen(v);
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		len = (size_t)(b - a);
		if (!len || len >= 64 || n == max)
			return -EINVAL;
		memcpy(items[n], a, len);
		items[n++][len] = '\0';
		if (!comma)
			return n;
		v = comma + 1;
	}
}

bool restack_sla_path_ok(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	if (!*p)
		return false;
	for (; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* origin, origin_profile, fast_profile: a path, copied. */
static int set_path(struct parse_state *st, struct restack_sla_volume *vol,
		    enum key_id k, const char *v)
{
	char *dup;

	if (!restack_sla_path_ok(v))
		return restack_sla_error(st, st->line, -EINVAL, "%s: expected a path",
				   restack_sla_key_names[k]);
	dup = strdup(v);
	if (!dup)
		return restack_sla_error(st, st->line, -ENOMEM, "out of memory");
	if (k == K_ORIGIN)
		vol->origin = dup;
	else if (k == K_ORIGIN_PROFILE)
		vol->origin_profile = dup;
	else
		vol->fast_profile = dup;
	return 1;
}

/*
 * One item @it of list key @k appended to @vol: 1 done, 0 error
 * recorded, -1 the item repeats a mode or replacement already given.
 */
static int set_list_item(struct parse_state *st, struct restack_sla_volume *vol,
			 enum key_id k, const char *it)
{
	const char *key = restack_sla_key_names[k];
	unsigned int line = st->line;
	struct restack_err e;
	uint64_t b;
	double d;
	int x;

	switch (k) {
	case K_MODES:
		x = rs_cache_mode_lookup(it);
		if (x < 0)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%s\" is not wt, wb or wa", key, it);
		if (vol->modes & (1u << x))
			return -1;
		vol->modes |= 1u << x;
		return 1;
	case K_REPLACEMENTS:
		x = rs_repl_lookup(it);
		if (x < 0)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%s\" is not lru, sieve, s3fifo, arc or 2q",
					   key, it);
		if (vol->replacements & (1u << x))
			return -1;
		vol->replacements |= 1u << x;
		return 1;
	case K_BLOCK_SIZES:
		if (restack_parse_bytes(key, it, &b, &e) ||
		    restack_block_shift(key, b, &(unsigned int){ 0 }, &e))
			return restack_sla_error(st, line, -EINVAL, "%s", e.msg);
		vol->block_sizes[vol->nblock_sizes++] = (uint32_t)b;
		return 1;
	case K_PROMOTE_HITS:
		if (restack_sla_parse_decimal(it, &d) || d != floor(d) || d > 255)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%s\" is not an integer from 0 to 255",
					   key, it);
		vol->promote_hits[vol->npromote++] = (uint32_t)d;
		return 1;
	case K_SEQ_CUTOFFS:
		if (restack_parse_bytes(key, it, &b, &e))
			return restack_sla_error(st, line, -EINVAL, "%s", e.msg);
		vol->seq_cutoffs[vol->nseq++] = b;
		return 1;
	default:	/* K_CACHE_SIZES */
		if (restack_parse_bytes(key, it, &b, &e))
			return restack_sla_error(st, line, -EINVAL, "%s", e.msg);
		if (!b)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: a cache size of 0", key);
		vol->cache_sizes[vol->nsizes++] = b;
		return 1;
	}
}

/* Item @i of numeric list @k; the list's length in *@n. */
static uint64_t list_item(const struct restack_sla_volume *vol, enum key_id k,
			  unsigned int i, unsigned int *n)
{
	switch (k) {
	case K_BLOCK_SIZES:
		*n = vol->nblock_sizes;
		return i < *n ? vol->block_sizes[i] : 0;
	case K_PROMOTE_HITS:
		*n = vol->npromote;
		return i < *n ? vol->promote_hits[i] : 0;
	case K_SEQ_CUTOFFS:
		*n = vol->nseq;
		return i < *n ? vol->seq_cutoffs[i] : 0;
	case K_CACHE_SIZES:
		*n = vol->nsizes;
		return i < *n ? vol->cache_sizes[i] : 0;
	default:
		*n = 0;
		return 0;
	}
}

/* Whether numeric list @k holds a value twice. */
static bool list_repeats(const struct restack_sla_volume *vol, enum key_id k)
{
	unsigned int a, c, m;

	list_item(vol, k, 0, &m);
	for (a = 0; a < m; a++)
		for (c = a + 1; c < m; c++)
			if (list_item(vol, k, a, &m) == list_item(vol, k, c, &m))
				return true;
	return false;
}

/* modes, replacements, block_sizes, ...: a comma-separated list. */
static int set_list(struct parse_state *st, struct restack_sla_volume *vol,
		    enum key_id k, const char *v)
{
	char items[RESTACK_SLA_LIST_MAX][64];
	int n, i, r;

	n = restack_sla_split_list(v, items, RESTACK_SLA_LIST_MAX);
	if (n < 0)
		return restack_sla_error(st, st->line, -EINVAL,
				   "%s: expected a comma-separated list of at most %d items",
				   restack_sla_key_names[k], RESTACK_SLA_LIST_MAX);
	for (i = 0; i < n; i++) {
		r = set_list_item(st, vol, k, items[i]);
		if (r == 0)
			return 0;
		if (r < 0)
			break;
	}
	if (i < n || list_repeats(vol, k))
		return restack_sla_error(st, st->line, -EINVAL, "%s: an item is repeated",
				   restack_sla_key_names[k]);
	return 1;
}

/* Where a key taking a positive decimal stores it; NULL for others. */
static double *decimal_slot(struct restack_sla_volume *vol, enum key_id k)
{
	switch (k) {
	case K_READ_P50: case K_READ_P90: case K_READ_P99: case K_READ_P999:
		return &vol->read_us[k - K_READ_P50];
	case K_WRITE_P50: case K_WRITE_P90: case K_WRITE_P99: case K_WRITE_P999:
		return &vol->write_us[k - K_WRITE_P50];
	case K_MIN_IOPS:
		return &vol->min_iops;
	case K_ORIGIN_READ:
		return &vol->origin_read.median_us;
	case K_ORIGIN_READ_P99:
		return &vol->origin_read.p99_us;
	case K_ORIGIN_WRITE:
		return &vol->origin_write.median_us;
	case K_ORIGIN_WRITE_P99:
		return &vol->origin_write.p99_us;
	case K_FAST_READ:
		return &vol->fast_read.median_us;
	case K_FAST_READ_P99:
		return &vol->fast_read.p99_us;
	case K_FAST_WRITE:
		return &vol->fast_write.median_us;
	case K_FAST_WRITE_P99:
		return &vol->fast_write.p99_us;
	case K_ORIGIN_IOPS:
		return &vol->origin_iops;
	case K_FAST_IOPS:
		return &vol->fast_iops;
	default:
		return NULL;
	}
}

int restack_sla_set_value(struct parse_state *st, struct restack_sla_volume *vol,
			  enum key_id k, const char *v)
{
	struct restack_err e;
	unsigned int line = st->line;
	const char *key = restack_sla_key_names[k];
	double d, *slot;
	uint64_t b;
	int x;

	switch (k) {
	case K_ORIGIN:
	case K_ORIGIN_PROFILE:
	case K_FAST_PROFILE:
		return set_path(st, vol, k, v);
	case K_FAST_DEVICE:
		/* it goes into the attach message: a valid token */
		if (restack_check_token("fast_device", v, &e))
			return restack_sla_error(st, line, -EINVAL, "%s", e.msg);
		vol->fast_device = strdup(v);
		if (!vol->fast_device)
			return restack_sla_error(st, line, -ENOMEM, "out of memory");
		return 1;
	case K_MAX_CACHE:
		if (restack_parse_bytes(key, v, &b, &e))
			return restack_sla_error(st, line, -EINVAL, "%s", e.msg);
		if (b < RESTACK_BLOCK_MIN)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: at least %u bytes", key,
					   RESTACK_BLOCK_MIN);
		vol->max_cache_bytes = b;
		return 1;
	case K_QUEUE_DEPTH:
		if (restack_sla_parse_decimal(v, &d) || d != floor(d) || d < 1 || d > 65535)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not an integer from 1 to 65535",
					   key, v);
		vol->queue_depth = (uint32_t)d;
		return 1;
	case K_SAMPLE_RATE:
		if (restack_sla_parse_decimal(v, &d) || !(d > 0) || d > 1)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not a rate in (0, 1]",
					   key, v);
		vol->sample_rate = d;
		return 1;
	case K_MODES:
	case K_REPLACEMENTS:
	case K_BLOCK_SIZES:
	case K_PROMOTE_HITS:
	case K_SEQ_CUTOFFS:
	case K_CACHE_SIZES:
		return set_list(st, vol, k, v);
	default:
		break;
	}
	/* the remaining keys are positive decimals */
	x = restack_sla_parse_decimal(v, &d);
	if (x || !(d > 0))
		return restack_sla_error(st, line, -EINVAL,
				   "%s: \"%.64s\" is not a positive decimal number%s",
				   key, v, x == -ERANGE ? " (too large)" : "");
	slot = decimal_slot(vol, k);
	if (!slot)
		return restack_sla_error(st, line, -EINVAL, "internal error: key %d",
				   (int)k);
	*slot = d;
	return 1;
}

/* An absolute path without control characters. */
static bool abs_path_ok(const char *v)
{
	return restack_sla_path_ok(v) && v[0] == '/' && strlen(v) < RESTACK_SLA_PATH_MAX;
}

int restack_sla_daemon_key(struct parse_state *st, const char *name,
			  const char *v)
{
	struct restack_sla_daemon *d = &st->sla.daemon;
	unsigned int line = st->line;
	double x;
	int k, r;

	for (k = 0; k < D_NR; k++)
		if (!strcmp(name, restack_sla_daemon_key_names[k]))
			break;
	if (k == D_NR)
		return restack_sla_error(st, line, -EINVAL,
				   "unknown key \"%.64s\" in [daemon]", name);
	if (d->seen & BIT(k))
		return restack_sla_error(st, line, -EINVAL,
				   "%s given again (first on line %u)", name,
				   d->key_line[k]);
	d->seen |= BIT(k);
	d->key_line[k] = line;
	if (k == D_STATE_DIR || k == D_EVENT_LOG) {
		char **dst = k == D_STATE_DIR ? &d->state_dir : &d->event_log;

		if (!abs_path_ok(v))
			return restack_sla_error(st, line, -EINVAL,
					   "%s: expected an absolute path", name);
		*dst = strdup(v);
		if (!*dst)
			return restack_sla_error(st, line, -ENOMEM, "out of memory");
		return 1;
	}
	r = restack_sla_parse_decimal(v, &x);
	switch (k) {
	case D_VIOLATION_WINDOWS:
	case D_CLEAR_WINDOWS:
		if (r || x != floor(x) || x < 1 || x > 1000)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not an integer from 1 to 1000",
					   name, v);
		if (k == D_VIOLATION_WINDOWS)
			d->violation_windows = (uint32_t)x;
		else
			d->clear_windows = (uint32_t)x;
		return 1;
	case D_FAST_ERROR_LIMIT:
		if (r || x != floor(x) || x < 1 || x > 1e9)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not an integer from 1 to 1000000000",
					   name, v);
		d->fast_error_limit = (uint32_t)x;
		return 1;
	case D_TRACE_SAMPLE_RATE:
		if (r || !(x > 0) || x > 1)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not a rate in (0, 1]",
					   name, v);
		d->trace_sample_rate = x;
		return 1;
	case D_WINDOW:
		if (r || x < 0.1 || x > 3600)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not a number of seconds from 0.1 to 3600",
					   name, v);
		d->window_s = x;
		return 1;
	case D_PROFILE:
		if (r || x < 1 || x > 3600)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not a number of seconds from 1 to 3600",
					   name, v);
		d->profile_s = x;
		return 1;
	case D_FAST_LATENCY_LIMIT:
		if (r)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not a decimal number (0: off)",
					   name, v);
		d->fast_latency_limit_us = x;
		return 1;
	default:	/* D_RETRY, D_WARMUP */
		if (r || x > 86400)
			return restack_sla_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not a number of seconds from 0 to 86400",
					   name, v);
		if (k == D_RETRY)
			d->retry_s = x;
		else
			d->warmup_s = x;
		return 1;
	}
}

/* Defaults of the [daemon] keys not given (or of a missing section). */
int restack_sla_finish_daemon(struct parse_state *st)
{
	struct restack_sla_daemon *d = &st->sla.daemon;

	if (!(d->seen & BIT(D_STATE_DIR))) {
		d->state_dir = strdup("/run/restack");
		if (!d->state_dir)
			return restack_sla_error(st, st->line, -ENOMEM, "out of memory"), st->err_code;
	}
	if (!(d->seen & BIT(D_EVENT_LOG))) {
		size_t n = strlen(d->state_dir) + sizeof("/events.jsonl");

		d->event_log = malloc(n);
		if (!d->event_log)
			return restack_sla_error(st, st->line, -ENOMEM, "out of memory"), st->err_code;
		snprintf(d->event_log, n, "%s/events.jsonl", d->state_dir);
	}
	if (!(d->seen & BIT(D_WINDOW)))
		d->window_s = 2;
	if (!(d->seen & BIT(D_VIOLATION_WINDOWS)))
		d->violation_windows = 3;
	if (!(d->seen & BIT(D_CLEAR_WINDOWS)))
		d->clear_windows = 3;
	if (!(d->seen & BIT(D_PROFILE)))
		d->profile_s = 10;
	if (!(d->seen & BIT(D_TRACE_SAMPLE_RATE)))
		d->trace_sample_rate = 1;
	if (!(d->seen & BIT(D_FAST_ERROR_LIMIT)))
		d->fast_error_limit = 1;
	if (!(d->seen & BIT(D_RETRY)))
		d->retry_s = 30;
	if (!(d->seen & BIT(D_WARMUP)))
		d->warmup_s = 20;
	return 0;
}
