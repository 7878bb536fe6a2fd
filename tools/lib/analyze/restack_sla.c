// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_sla.c - SLA files (INI through libinih; see restack_sla.h).
 *
 * libinih's handler gets no line numbers here (INI_HANDLER_LINENO is 0 in
 * Debian's build), so the file is fed through ini_parse_stream() with our
 * own line reader: it counts lines, strips indentation (so that inih's
 * multi-line continuation never applies), and rejects over-long lines
 * and NUL bytes before inih sees them.
 */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/restack_analyze.h"
#include "analyze/restack_sla.h"

const double restack_sla_pct_q[RESTACK_NR_PCT] = { 0.50, 0.90, 0.99, 0.999 };
const char *const restack_sla_pct_name[RESTACK_NR_PCT] = {
	"p50", "p90", "p99", "p99.9",
};

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

static const char *const key_names[K_NR] = {
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

#define BIT(k)	(1ULL << (k))

/* [daemon] keys (Documentation/daemon.rst). */
enum daemon_key_id {
	D_STATE_DIR, D_EVENT_LOG, D_WINDOW, D_VIOLATION_WINDOWS,
	D_CLEAR_WINDOWS, D_PROFILE, D_TRACE_SAMPLE_RATE, D_FAST_ERROR_LIMIT,
	D_FAST_LATENCY_LIMIT, D_RETRY, D_WARMUP,
	D_NR
};

static const char *const daemon_key_names[D_NR] = {
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

/* ---------------------------------------------------------------- */
/* parsing state                                                     */
/* ---------------------------------------------------------------- */

struct parse_state {
	const char *name;		/* file name for messages */
	const char *text;		/* whole input */
	size_t len, pos;
	unsigned int line;		/* of the line inih holds now */
	int err_code;			/* first error */
	struct restack_err *err;
	struct restack_sla sla;
};

static int state_error(struct parse_state *st, unsigned int line, int code,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int state_error(struct parse_state *st, unsigned int line, int code,
		       const char *fmt, ...)
{
	char msg[RESTACK_ERR_MAX];
	va_list ap;

	if (st->err_code)
		return 0;	/* keep the first */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->err_code = code;
	restack_err_set(st->err, code, "%s: line %u: %s", st->name, line, msg);
	return 0;
}

/*
 * A "[...]" line: exactly "[volume <name>]", optionally followed by a
 * comment.  Registers the volume, so that a section without keys is
 * still checked.  Returns false (error recorded) otherwise.
 */
static bool section_line(struct parse_state *st, const char *l, size_t n)
{
	char inner[RESTACK_SLA_LINE_MAX + 1], *name;
	const char *close = memchr(l, ']', n), *p;
	struct restack_sla_volume *vol;
	struct restack_err e;
	size_t len;
	unsigned int i;

	if (!close) {
		state_error(st, st->line, -EINVAL, "section header without ']'");
		return false;
	}
	for (p = close + 1; p < l + n && (*p == ' ' || *p == '\t'); p++)
		;
	if (p < l + n && *p != ';' && *p != '#') {
		state_error(st, st->line, -EINVAL,
			    "text after the section header");
		return false;
	}
	len = (size_t)(close - l - 1);
	memcpy(inner, l + 1, len);
	inner[len] = '\0';
	/* inih trims the name: so do we */
	name = inner;
	while (*name == ' ' || *name == '\t')
		name++;
	len = strlen(name);
	while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		name[--len] = '\0';
	if (!strcmp(name, "daemon")) {
		if (st->sla.daemon.present) {
			state_error(st, st->line, -EINVAL,
				    "section [daemon] repeats the one on line %u",
				    st->sla.daemon.line);
			return false;
		}
		st->sla.daemon.present = true;
		st->sla.daemon.line = st->line;
		return true;
	}
	if (strncmp(name, "volume ", 7)) {
		state_error(st, st->line, -EINVAL,
			    "unknown section [%.64s] (expected [volume <name>] or [daemon])",
			    name);
		return false;
	}
	if (restack_check_volume_name(name + 7, &e)) {
		state_error(st, st->line, -EINVAL, "section [%.64s]: %s", name,
			    e.msg);
		return false;
	}
	for (i = 0; i < st->sla.n; i++)
		if (!strcmp(st->sla.vols[i].name, name + 7)) {
			state_error(st, st->line, -EINVAL,
				    "section [%.64s] repeats the one on line %u",
				    name, st->sla.vols[i].line);
			return false;
		}
	if (st->sla.n == RESTACK_SLA_MAX_VOLUMES) {
		state_error(st, st->line, -EINVAL, "more than %d volumes",
			    RESTACK_SLA_MAX_VOLUMES);
		return false;
	}
	vol = &st->sla.vols[st->sla.n++];
	memset(vol, 0, sizeof(*vol));
	snprintf(vol->name, sizeof(vol->name), "%s", name + 7);
	vol->line = st->line;
	return true;
}

/*
 * inih's reader: the next line, indentation stripped, into @str.  Lines
 * longer than RESTACK_SLA_LINE_MAX and NUL bytes are errors: the rest of
 * the input is then hidden from inih.
 */
static char *sla_reader(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	size_t start, end, n;

	if (st->err_code || st->pos >= st->len)
		return NULL;
	st->line++;
	start = st->pos;
	for (end = start; end < st->len && st->text[end] != '\n'; end++)
		if (st->text[end] == '\0') {
			state_error(st, st->line, -EINVAL, "NUL byte in the file");
			return NULL;
		}
	st->pos = end < st->len ? end + 1 : end;
	n = end - start;
	if (n && st->text[start + n - 1] == '\r')
		n--;	/* CRLF */
	if (n > RESTACK_SLA_LINE_MAX || (int)n + 2 > num) {
		state_error(st, st->line, -EINVAL,
			    "longer than %d characters", RESTACK_SLA_LINE_MAX);
		return NULL;
	}
	while (n && (st->text[start] == ' ' || st->text[start] == '\t')) {
		start++;
		n--;
	}
	if (n && st->text[start] == '[' && !section_line(st, st->text + start, n))
		return NULL;
	memcpy(str, st->text + start, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* ---------------------------------------------------------------- */
/* values                                                            */
/* ---------------------------------------------------------------- */

/* Strict "<digits>[.<digits>]", no leading zeros, at most 1e12. */
static int parse_decimal(const char *s, double *out)
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
static int split_list(const char *v, char items[][64], int max)
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

static bool path_ok(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	if (!*p)
		return false;
	for (; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int set_value(struct parse_state *st, struct restack_sla_volume *vol,
		     enum key_id k, const char *v)
{
	char items[RESTACK_SLA_LIST_MAX][64];
	struct restack_err e;
	unsigned int line = st->line;
	const char *key = key_names[k];
	uint64_t b;
	double d;
	int n, i, x;

	switch (k) {
	case K_ORIGIN:
	case K_ORIGIN_PROFILE:
	case K_FAST_PROFILE:
		if (!path_ok(v))
			return state_error(st, line, -EINVAL,
					   "%s: expected a path", key);
		{
			char *dup = strdup(v);

			if (!dup)
				return state_error(st, line, -ENOMEM, "out of memory");
			if (k == K_ORIGIN)
				vol->origin = dup;
			else if (k == K_ORIGIN_PROFILE)
				vol->origin_profile = dup;
			else
				vol->fast_profile = dup;
		}
		return 1;
	case K_FAST_DEVICE:
		/* it goes into the attach message: a valid token */
		if (restack_check_token("fast_device", v, &e))
			return state_error(st, line, -EINVAL, "%s", e.msg);
		vol->fast_device = strdup(v);
		if (!vol->fast_device)
			return state_error(st, line, -ENOMEM, "out of memory");
		return 1;
	case K_MAX_CACHE:
		if (restack_parse_bytes(key, v, &b, &e))
			return state_error(st, line, -EINVAL, "%s", e.msg);
		if (b < RESTACK_BLOCK_MIN)
			return state_error(st, line, -EINVAL,
					   "%s: at least %u bytes", key,
					   RESTACK_BLOCK_MIN);
		vol->max_cache_bytes = b;
		return 1;
	case K_QUEUE_DEPTH:
		if (parse_decimal(v, &d) || d != floor(d) || d < 1 || d > 65535)
			return state_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not an integer from 1 to 65535",
					   key, v);
		vol->queue_depth = (uint32_t)d;
		return 1;
	case K_SAMPLE_RATE:
		if (parse_decimal(v, &d) || !(d > 0) || d > 1)
			return state_error(st, line, -EINVAL,
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
		n = split_list(v, items, RESTACK_SLA_LIST_MAX);
		if (n < 0)
			return state_error(st, line, -EINVAL,
					   "%s: expected a comma-separated list of at most %d items",
					   key, RESTACK_SLA_LIST_MAX);
		for (i = 0; i < n; i++) {
			const char *it = items[i];

			switch (k) {
			case K_MODES:
				x = rs_cache_mode_lookup(it);
				if (x < 0)
					return state_error(st, line, -EINVAL,
							   "%s: \"%s\" is not wt, wb or wa",
							   key, it);
				if (vol->modes & (1u << x))
					goto dup_item;
				vol->modes |= 1u << x;
				break;
			case K_REPLACEMENTS:
				x = rs_repl_lookup(it);
				if (x < 0)
					return state_error(st, line, -EINVAL,
							   "%s: \"%s\" is not lru, sieve, s3fifo, arc or 2q",
							   key, it);
				if (vol->replacements & (1u << x))
					goto dup_item;
				vol->replacements |= 1u << x;
				break;
			case K_BLOCK_SIZES:
				if (restack_parse_bytes(key, it, &b, &e) ||
				    restack_block_shift(key, b, &(unsigned int){ 0 }, &e))
					return state_error(st, line, -EINVAL, "%s", e.msg);
				vol->block_sizes[vol->nblock_sizes++] = (uint32_t)b;
				break;
			case K_PROMOTE_HITS:
				if (parse_decimal(it, &d) || d != floor(d) || d > 255)
					return state_error(st, line, -EINVAL,
							   "%s: \"%s\" is not an integer from 0 to 255",
							   key, it);
				vol->promote_hits[vol->npromote++] = (uint32_t)d;
				break;
			case K_SEQ_CUTOFFS:
				if (restack_parse_bytes(key, it, &b, &e))
					return state_error(st, line, -EINVAL, "%s", e.msg);
				vol->seq_cutoffs[vol->nseq++] = b;
				break;
			default:
				if (restack_parse_bytes(key, it, &b, &e))
					return state_error(st, line, -EINVAL, "%s", e.msg);
				if (!b)
					return state_error(st, line, -EINVAL,
							   "%s: a cache size of 0", key);
				vol->cache_sizes[vol->nsizes++] = b;
				break;
			}
		}
		/* numeric lists: no repeats */
		{
			unsigned int a, c, m = k == K_BLOCK_SIZES ? vol->nblock_sizes :
				k == K_PROMOTE_HITS ? vol->npromote :
				k == K_SEQ_CUTOFFS ? vol->nseq :
				k == K_CACHE_SIZES ? vol->nsizes : 0;

			for (a = 0; a < m; a++)
				for (c = a + 1; c < m; c++) {
					uint64_t va, vc;

					if (k == K_BLOCK_SIZES) {
						va = vol->block_sizes[a];
						vc = vol->block_sizes[c];
					} else if (k == K_PROMOTE_HITS) {
						va = vol->promote_hits[a];
						vc = vol->promote_hits[c];
					} else if (k == K_SEQ_CUTOFFS) {
						va = vol->seq_cutoffs[a];
						vc = vol->seq_cutoffs[c];
					} else {
						va = vol->cache_sizes[a];
						vc = vol->cache_sizes[c];
					}
					if (va == vc)
						goto dup_item;
				}
		}
		return 1;
dup_item:
		return state_error(st, line, -EINVAL, "%s: an item is repeated",
				   key);
	default:
		break;
	}
	/* the remaining keys are positive decimals */
	x = parse_decimal(v, &d);
	if (x || !(d > 0))
		return state_error(st, line, -EINVAL,
				   "%s: \"%.64s\" is not a positive decimal number%s",
				   key, v, x == -ERANGE ? " (too large)" : "");
	switch (k) {
	case K_READ_P50: case K_READ_P90: case K_READ_P99: case K_READ_P999:
		vol->read_us[k - K_READ_P50] = d;
		break;
	case K_WRITE_P50: case K_WRITE_P90: case K_WRITE_P99: case K_WRITE_P999:
		vol->write_us[k - K_WRITE_P50] = d;
		break;
	case K_MIN_IOPS:
		vol->min_iops = d;
		break;
	case K_ORIGIN_READ:
		vol->origin_read.median_us = d;
		break;
	case K_ORIGIN_READ_P99:
		vol->origin_read.p99_us = d;
		break;
	case K_ORIGIN_WRITE:
		vol->origin_write.median_us = d;
		break;
	case K_ORIGIN_WRITE_P99:
		vol->origin_write.p99_us = d;
		break;
	case K_FAST_READ:
		vol->fast_read.median_us = d;
		break;
	case K_FAST_READ_P99:
		vol->fast_read.p99_us = d;
		break;
	case K_FAST_WRITE:
		vol->fast_write.median_us = d;
		break;
	case K_FAST_WRITE_P99:
		vol->fast_write.p99_us = d;
		break;
	case K_ORIGIN_IOPS:
		vol->origin_iops = d;
		break;
	case K_FAST_IOPS:
		vol->fast_iops = d;
		break;
	default:
		return state_error(st, line, -EINVAL, "internal error: key %d",
				   (int)k);
	}
	return 1;
}

/* An absolute path without control characters. */
static bool abs_path_ok(const char *v)
{
	return path_ok(v) && v[0] == '/' && strlen(v) < RESTACK_SLA_PATH_MAX;
}

static int daemon_handler(struct parse_state *st, const char *name,
			  const char *v)
{
	struct restack_sla_daemon *d = &st->sla.daemon;
	unsigned int line = st->line;
	double x;
	int k, r;

	for (k = 0; k < D_NR; k++)
		if (!strcmp(name, daemon_key_names[k]))
			break;
	if (k == D_NR)
		return state_error(st, line, -EINVAL,
				   "unknown key \"%.64s\" in [daemon]", name);
	if (d->seen & BIT(k))
		return state_error(st, line, -EINVAL,
				   "%s given again (first on line %u)", name,
				   d->key_line[k]);
	d->seen |= BIT(k);
	d->key_line[k] = line;
	if (k == D_STATE_DIR || k == D_EVENT_LOG) {
		char **dst = k == D_STATE_DIR ? &d->state_dir : &d->event_log;

		if (!abs_path_ok(v))
			return state_error(st, line, -EINVAL,
					   "%s: expected an absolute path", name);
		*dst = strdup(v);
		if (!*dst)
			return state_error(st, line, -ENOMEM, "out of memory");
		return 1;
	}
	r = parse_decimal(v, &x);
	switch (k) {
	case D_VIOLATION_WINDOWS:
	case D_CLEAR_WINDOWS:
		if (r || x != floor(x) || x < 1 || x > 1000)
			return state_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not an integer from 1 to 1000",
					   name, v);
		if (k == D_VIOLATION_WINDOWS)
			d->violation_windows = (uint32_t)x;
		else
			d->clear_windows = (uint32_t)x;
		return 1;
	case D_FAST_ERROR_LIMIT:
		if (r || x != floor(x) || x < 1 || x > 1e9)
			return state_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not an integer from 1 to 1000000000",
					   name, v);
		d->fast_error_limit = (uint32_t)x;
		return 1;
	case D_TRACE_SAMPLE_RATE:
		if (r || !(x > 0) || x > 1)
			return state_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not a rate in (0, 1]",
					   name, v);
		d->trace_sample_rate = x;
		return 1;
	case D_WINDOW:
		if (r || x < 0.1 || x > 3600)
			return state_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not a number of seconds from 0.1 to 3600",
					   name, v);
		d->window_s = x;
		return 1;
	case D_PROFILE:
		if (r || x < 1 || x > 3600)
			return state_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not a number of seconds from 1 to 3600",
					   name, v);
		d->profile_s = x;
		return 1;
	case D_FAST_LATENCY_LIMIT:
		if (r)
			return state_error(st, line, -EINVAL,
					   "%s: \"%.64s\" is not a decimal number (0: off)",
					   name, v);
		d->fast_latency_limit_us = x;
		return 1;
	default:	/* D_RETRY, D_WARMUP */
		if (r || x > 86400)
			return state_error(st, line, -EINVAL,
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
static int finish_daemon(struct parse_state *st)
{
	struct restack_sla_daemon *d = &st->sla.daemon;

	if (!(d->seen & BIT(D_STATE_DIR))) {
		d->state_dir = strdup("/run/restack");
		if (!d->state_dir)
			return state_error(st, st->line, -ENOMEM, "out of memory"), st->err_code;
	}
	if (!(d->seen & BIT(D_EVENT_LOG))) {
		size_t n = strlen(d->state_dir) + sizeof("/events.jsonl");

		d->event_log = malloc(n);
		if (!d->event_log)
			return state_error(st, st->line, -ENOMEM, "out of memory"), st->err_code;
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

static void free_daemon(struct restack_sla_daemon *d)
{
	free(d->state_dir);
	free(d->event_log);
	d->state_dir = NULL;
	d->event_log = NULL;
}

static int sla_handler(void *user, const char *section, const char *name,
		       const char *value)
{
	struct parse_state *st = user;
	struct restack_sla_volume *vol;
	int k;

	if (st->err_code)
		return 1;
	if (!*section)
		return state_error(st, st->line, -EINVAL,
				   "\"%.64s\" outside a [volume <name>] section", name);
	if (!strcmp(section, "daemon"))
		return daemon_handler(st, name, value);
	/* the reader registered the section: it is the last volume */
	if (RS_WARN_ON(!st->sla.n))
		return state_error(st, st->line, -EINVAL, "internal error: no section");
	vol = &st->sla.vols[st->sla.n - 1];
	for (k = 0; k < K_NR; k++)
		if (!strcmp(name, key_names[k]))
			break;
	if (k == K_NR)
		return state_error(st, st->line, -EINVAL,
				   "unknown key \"%.64s\" in [volume %s]", name,
				   vol->name);
	if (vol->seen & BIT(k))
		return state_error(st, st->line, -EINVAL,
				   "%s given again (first on line %u)", name,
				   vol->key_line[k]);
	vol->seen |= BIT(k);
	vol->key_line[k] = st->line;
	return set_value(st, vol, (enum key_id)k, value);
}

/* Whole-section checks and defaults. */
static int finish_volume(struct parse_state *st, struct restack_sla_volume *v)
{
	static const uint32_t def_blocks[] = { 4096, 65536 };
	static const uint64_t def_seq[] = { 0, 4 << 20 };
	const struct {
		struct restack_sla_lat *lat;
		enum key_id med, p99;
	} lats[] = {
		{ &v->origin_read, K_ORIGIN_READ, K_ORIGIN_READ_P99 },
		{ &v->origin_write, K_ORIGIN_WRITE, K_ORIGIN_WRITE_P99 },
		{ &v->fast_read, K_FAST_READ, K_FAST_READ_P99 },
		{ &v->fast_write, K_FAST_WRITE, K_FAST_WRITE_P99 },
	};
	unsigned int i, p;
	bool target = v->min_iops > 0;

#define VOL_ERR(line, fmt, ...) \
	(state_error(st, line, -EINVAL, "[volume %s]: " fmt, v->name, \
		     ##__VA_ARGS__), st->err_code)

	if (!(v->seen & BIT(K_FAST_DEVICE)))
		return VOL_ERR(v->line, "missing fast_device");
	if (!(v->seen & BIT(K_MAX_CACHE)))
		return VOL_ERR(v->line, "missing max_cache_bytes");
	for (p = 0; p < RESTACK_NR_PCT; p++)
		target |= v->read_us[p] > 0 || v->write_us[p] > 0;
	if (!target)
		return VOL_ERR(v->line,
			       "no target: give read_p99_us, write_p99_us, min_iops or another latency target");
	/* latency profiles: a trace or numbers, not both */
	if (v->fast_profile && (v->seen & (BIT(K_FAST_READ) | BIT(K_FAST_WRITE) |
					   BIT(K_FAST_READ_P99) | BIT(K_FAST_WRITE_P99))))
		return VOL_ERR(v->key_line[K_FAST_PROFILE],
			       "fast_profile and fast_*_us exclude each other");
	if (v->origin_profile && (v->seen & (BIT(K_ORIGIN_READ) | BIT(K_ORIGIN_WRITE) |
					     BIT(K_ORIGIN_READ_P99) | BIT(K_ORIGIN_WRITE_P99))))
		return VOL_ERR(v->key_line[K_ORIGIN_PROFILE],
			       "origin_profile and origin_*_us exclude each other");
	/* neither: recommend calibrates fast_device by reading it */
	if (!!v->fast_read.median_us != !!v->fast_write.median_us)
		return VOL_ERR(v->line,
			       "give both fast_read_us and fast_write_us, or neither (then fast_device is calibrated by reading it, or give fast_profile)");
	if (!!v->origin_read.median_us != !!v->origin_write.median_us)
		return VOL_ERR(v->line,
			       "give both origin_read_us and origin_write_us, or neither (then the trace's latencies are used)");
	for (i = 0; i < 4; i++) {
		if (lats[i].lat->p99_us && !lats[i].lat->median_us)
			return VOL_ERR(v->key_line[lats[i].p99],
				       "%s needs %s", key_names[lats[i].p99],
				       key_names[lats[i].med]);
		if (lats[i].lat->p99_us &&
		    lats[i].lat->p99_us < lats[i].lat->median_us)
			return VOL_ERR(v->key_line[lats[i].p99],
				       "%s is below %s", key_names[lats[i].p99],
				       key_names[lats[i].med]);
	}
	for (i = 0; i < v->nblock_sizes; i++)
		if (v->block_sizes[i] > v->max_cache_bytes)
			return VOL_ERR(v->key_line[K_BLOCK_SIZES],
				       "block size %u exceeds max_cache_bytes",
				       v->block_sizes[i]);
	for (i = 0; i < v->nsizes; i++)
		if (v->cache_sizes[i] > v->max_cache_bytes)
			return VOL_ERR(v->key_line[K_CACHE_SIZES],
				       "cache size %llu exceeds max_cache_bytes",
				       (unsigned long long)v->cache_sizes[i]);
	/* defaults */
	if (!v->modes)
		v->modes = (1u << RS_NR_MODES) - 1;
	if (!v->replacements)
		v->replacements = (1u << RS_REPL_NR_KINDS) - 1;
	if (!v->nblock_sizes) {
		for (i = 0; i < 2; i++)
			if (def_blocks[i] <= v->max_cache_bytes)
				v->block_sizes[v->nblock_sizes++] = def_blocks[i];
		/* found by fuzz_sla: no default block fits a tiny cache */
		if (!v->nblock_sizes)
			return VOL_ERR(v->key_line[K_MAX_CACHE],
				       "max_cache_bytes %llu is below the default block sizes (4K, 64K): give block_sizes",
				       (unsigned long long)v->max_cache_bytes);
	}
	if (!v->npromote) {
		v->promote_hits[0] = 0;
		v->promote_hits[1] = 1;
		v->npromote = 2;
	}
	if (!v->nseq)
		for (i = 0; i < 2; i++)
			v->seq_cutoffs[v->nseq++] = def_seq[i];
	if (!v->sample_rate)
		v->sample_rate = 0.01;
	return 0;
#undef VOL_ERR
}

static void free_volume(struct restack_sla_volume *v)
{
	free(v->origin);
	free(v->fast_device);
	free(v->origin_profile);
	free(v->fast_profile);
}

void restack_sla_release(struct restack_sla *sla)
{
	unsigned int i;

	if (!sla)
		return;
	for (i = 0; i < sla->n; i++)
		free_volume(&sla->vols[i]);
	free(sla->vols);
	sla->vols = NULL;
	sla->n = 0;
	free_daemon(&sla->daemon);
	memset(&sla->daemon, 0, sizeof(sla->daemon));
}

int restack_sla_parse_string(const char *text, size_t len, const char *name,
			     struct restack_sla *sla, struct restack_err *err)
{
	struct parse_state *st;
	unsigned int i;
	int r;

	memset(sla, 0, sizeof(*sla));
	st = calloc(1, sizeof(*st));
	if (!st)
		return restack_err_set(err, -ENOMEM, "out of memory");
	st->name = name;
	st->text = text;
	st->len = len;
	st->err = err;
	st->sla.vols = calloc(RESTACK_SLA_MAX_VOLUMES, sizeof(*st->sla.vols));
	if (!st->sla.vols) {
		free(st);
		return restack_err_set(err, -ENOMEM, "out of memory");
	}
	r = ini_parse_stream(sla_reader, st, sla_handler, st);
	if (!st->err_code && r > 0)
		state_error(st, (unsigned int)r, -EINVAL,
			    "syntax error (expected \"key = value\", \"[volume <name>]\" or a ; or # comment)");
	else if (!st->err_code && r < 0)
		state_error(st, st->line, -ENOMEM, "out of memory");
	if (!st->err_code && st->sla.n == 0)
		state_error(st, st->line, -EINVAL, "no [volume <name>] section");
	for (i = 0; i < st->sla.n && !st->err_code; i++)
		finish_volume(st, &st->sla.vols[i]);
	if (!st->err_code)
		finish_daemon(st);
	r = st->err_code;
	if (r) {
		for (i = 0; i < st->sla.n; i++)
			free_volume(&st->sla.vols[i]);
		free(st->sla.vols);
		free_daemon(&st->sla.daemon);
	} else {
		*sla = st->sla;
	}
	free(st);
	return r;
}

int restack_sla_parse_file(const char *path, struct restack_sla *sla,
			   struct restack_err *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int r;

	memset(sla, 0, sizeof(*sla));
	if (!f)
		return restack_err_set(err, -errno, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (len + 4096 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > (16u << 20)) {
				r = restack_err_set(err, -EFBIG,
						    "%s: larger than 16 MiB", path);
				goto out;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				r = restack_err_set(err, -ENOMEM, "out of memory");
				goto out;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		r = restack_err_set(err, -EIO, "%s: read error", path);
		goto out;
	}
	r = restack_sla_parse_string(buf ? buf : "", len,
				     strcmp(path, "-") ? path : "<stdin>", sla, err);
out:
	if (f != stdin)
		fclose(f);
	free(buf);
	return r;
}

const struct restack_sla_volume *
restack_sla_find(const struct restack_sla *sla, const char *volume,
		 struct restack_err *err)
{
	unsigned int i;

	if (!volume) {
		if (sla->n == 1)
			return &sla->vols[0];
		restack_err_set(err, -EINVAL,
				"the SLA file has %u volumes: choose one with --volume",
				sla->n);
		return NULL;
	}
	for (i = 0; i < sla->n; i++)
		if (!strcmp(sla->vols[i].name, volume))
			return &sla->vols[i];
	restack_err_set(err, -ENOENT, "the SLA file has no [volume %s]", volume);
	return NULL;
}

/* ---------------------------------------------------------------- */
/* canonical text                                                    */
/* ---------------------------------------------------------------- */

/* A decimal that parse_decimal reads back as exactly @v (or close). */
static void put_decimal(FILE *f, double v)
{
	char buf[64];
	int prec;

	for (prec = 0; prec <= 15; prec++) {
		double back;

		snprintf(buf, sizeof(buf), "%.*f", prec, v);
		if (parse_decimal(buf, &back) == 0 && back == v)
			break;
	}
	fputs(buf, f);
}

static void put_list_u64(FILE *f, const uint64_t *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
}

int restack_sla_format(const struct restack_sla *sla, char **text)
{
	size_t len = 0;
	unsigned int i, k;
	FILE *f;

	*text = NULL;
	f = open_memstream(text, &len);
	if (!f)
		return -ENOMEM;
	if (sla->daemon.present) {
		const struct restack_sla_daemon *d = &sla->daemon;

		fputs("[daemon]\n", f);
		for (k = 0; k < D_NR; k++) {
			if (!(d->seen & BIT(k)))
				continue;
			fprintf(f, "%s = ", daemon_key_names[k]);
			switch (k) {
			case D_STATE_DIR:
				fputs(d->state_dir, f);
				break;
			case D_EVENT_LOG:
				fputs(d->event_log, f);
				break;
			case D_WINDOW:
				put_decimal(f, d->window_s);
				break;
			case D_VIOLATION_WINDOWS:
				fprintf(f, "%u", d->violation_windows);
				break;
			case D_CLEAR_WINDOWS:
				fprintf(f, "%u", d->clear_windows);
				break;
			case D_PROFILE:
				put_decimal(f, d->profile_s);
				break;
			case D_TRACE_SAMPLE_RATE:
				put_decimal(f, d->trace_sample_rate);
				break;
			case D_FAST_ERROR_LIMIT:
				fprintf(f, "%u", d->fast_error_limit);
				break;
			case D_FAST_LATENCY_LIMIT:
				put_decimal(f, d->fast_latency_limit_us);
				break;
			case D_RETRY:
				put_decimal(f, d->retry_s);
				break;
			default:
				put_decimal(f, d->warmup_s);
			}
			fputc('\n', f);
		}
		fputc('\n', f);
	}
	for (i = 0; i < sla->n; i++) {
		const struct restack_sla_volume *v = &sla->vols[i];

		fprintf(f, "%s[volume %s]\n", i ? "\n" : "", v->name);
		for (k = 0; k < K_NR; k++) {
			unsigned int j;

			if (!(v->seen & BIT(k)))
				continue;
			fprintf(f, "%s = ", key_names[k]);
			switch (k) {
			case K_ORIGIN:
				fputs(v->origin, f);
				break;
			case K_FAST_DEVICE:
				fputs(v->fast_device, f);
				break;
			case K_ORIGIN_PROFILE:
				fputs(v->origin_profile, f);
				break;
			case K_FAST_PROFILE:
				fputs(v->fast_profile, f);
				break;
			case K_MAX_CACHE:
				fprintf(f, "%llu", (unsigned long long)v->max_cache_bytes);
				break;
			case K_QUEUE_DEPTH:
				fprintf(f, "%u", v->queue_depth);
				break;
			case K_MODES:
				for (j = 0; j < RS_NR_MODES; j++)
					if (v->modes & (1u << j))
						fprintf(f, "%s%s",
							(v->modes & ((1u << j) - 1)) ? "," : "",
							rs_cache_mode_name(j));
				break;
			case K_REPLACEMENTS:
				for (j = 0; j < RS_REPL_NR_KINDS; j++)
					if (v->replacements & (1u << j))
						fprintf(f, "%s%s",
							(v->replacements & ((1u << j) - 1)) ? "," : "",
							rs_repl_name(j));
				break;
			case K_BLOCK_SIZES:
				for (j = 0; j < v->nblock_sizes; j++)
					fprintf(f, "%s%u", j ? "," : "", v->block_sizes[j]);
				break;
			case K_PROMOTE_HITS:
				for (j = 0; j < v->npromote; j++)
					fprintf(f, "%s%u", j ? "," : "", v->promote_hits[j]);
				break;
			case K_SEQ_CUTOFFS:
				put_list_u64(f, v->seq_cutoffs, v->nseq);
				break;
			case K_CACHE_SIZES:
				put_list_u64(f, v->cache_sizes, v->nsizes);
				break;
			case K_SAMPLE_RATE:
				put_decimal(f, v->sample_rate);
				break;
			case K_MIN_IOPS:
				put_decimal(f, v->min_iops);
				break;
			case K_ORIGIN_IOPS:
				put_decimal(f, v->origin_iops);
				break;
			case K_FAST_IOPS:
				put_decimal(f, v->fast_iops);
				break;
			case K_ORIGIN_READ:
				put_decimal(f, v->origin_read.median_us);
				break;
			case K_ORIGIN_READ_P99:
				put_decimal(f, v->origin_read.p99_us);
				break;
			case K_ORIGIN_WRITE:
				put_decimal(f, v->origin_write.median_us);
				break;
			case K_ORIGIN_WRITE_P99:
				put_decimal(f, v->origin_write.p99_us);
				break;
			case K_FAST_READ:
				put_decimal(f, v->fast_read.median_us);
				break;
			case K_FAST_READ_P99:
				put_decimal(f, v->fast_read.p99_us);
				break;
			case K_FAST_WRITE:
				put_decimal(f, v->fast_write.median_us);
				break;
			case K_FAST_WRITE_P99:
				put_decimal(f, v->fast_write.p99_us);
				break;
			default:
				if (k >= K_READ_P50 && k <= K_READ_P999)
					put_decimal(f, v->read_us[k - K_READ_P50]);
				else
					put_decimal(f, v->write_us[k - K_WRITE_P50]);
			}
			fputc('\n', f);
		}
	}
	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}
