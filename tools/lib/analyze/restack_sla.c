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
#include "analyze/restack_sla_internal.h"

const double restack_sla_pct_q[RESTACK_NR_PCT] = { 0.50, 0.90, 0.99, 0.999 };
const char *const restack_sla_pct_name[RESTACK_NR_PCT] = {
	"p50", "p90", "p99", "p99.9",
};

int restack_sla_error(struct parse_state *st, unsigned int line, int code,
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
		restack_sla_error(st, st->line, -EINVAL, "section header without ']'");
		return false;
	}
	for (p = close + 1; p < l + n && (*p == ' ' || *p == '\t'); p++)
		;
	if (p < l + n && *p != ';' && *p != '#') {
		restack_sla_error(st, st->line, -EINVAL,
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
			restack_sla_error(st, st->line, -EINVAL,
				    "section [daemon] repeats the one on line %u",
				    st->sla.daemon.line);
			return false;
		}
		st->sla.daemon.present = true;
		st->sla.daemon.line = st->line;
		return true;
	}
	if (strncmp(name, "volume ", 7)) {
		restack_sla_error(st, st->line, -EINVAL,
			    "unknown section [%.64s] (expected [volume <name>] or [daemon])",
			    name);
		return false;
	}
	if (restack_check_volume_name(name + 7, &e)) {
		restack_sla_error(st, st->line, -EINVAL, "section [%.64s]: %s", name,
			    e.msg);
		return false;
	}
	for (i = 0; i < st->sla.n; i++)
		if (!strcmp(st->sla.vols[i].name, name + 7)) {
			restack_sla_error(st, st->line, -EINVAL,
				    "section [%.64s] repeats the one on line %u",
				    name, st->sla.vols[i].line);
			return false;
		}
	if (st->sla.n == RESTACK_SLA_MAX_VOLUMES) {
		restack_sla_error(st, st->line, -EINVAL, "more than %d volumes",
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
			restack_sla_error(st, st->line, -EINVAL, "NUL byte in the file");
			return NULL;
		}
	st->pos = end < st->len ? end + 1 : end;
	n = end - start;
	if (n && st->text[start + n - 1] == '\r')
		n--;	/* CRLF */
	if (n > RESTACK_SLA_LINE_MAX || (int)n + 2 > num) {
		restack_sla_error(st, st->line, -EINVAL,
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
		return restack_sla_error(st, st->line, -EINVAL,
				   "\"%.64s\" outside a [volume <name>] section", name);
	if (!strcmp(section, "daemon"))
		return restack_sla_daemon_key(st, name, value);
	/* the reader registered the section: it is the last volume */
	if (RS_WARN_ON(!st->sla.n))
		return restack_sla_error(st, st->line, -EINVAL, "internal error: no section");
	vol = &st->sla.vols[st->sla.n - 1];
	for (k = 0; k < K_NR; k++)
		if (!strcmp(name, restack_sla_key_names[k]))
			break;
	if (k == K_NR)
		return restack_sla_error(st, st->line, -EINVAL,
				   "unknown key \"%.64s\" in [volume %s]", name,
				   vol->name);
	if (vol->seen & BIT(k))
		return restack_sla_error(st, st->line, -EINVAL,
				   "%s given again (first on line %u)", name,
				   vol->key_line[k]);
	vol->seen |= BIT(k);
	vol->key_line[k] = st->line;
	return restack_sla_set_value(st, vol, (enum key_id)k, value);
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
	(restack_sla_error(st, line, -EINVAL, "[volume %s]: " fmt, v->name, \
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
				       "%s needs %s", restack_sla_key_names[lats[i].p99],
				       restack_sla_key_names[lats[i].med]);
		if (lats[i].lat->p99_us &&
		    lats[i].lat->p99_us < lats[i].lat->median_us)
			return VOL_ERR(v->key_line[lats[i].p99],
				       "%s is below %s", restack_sla_key_names[lats[i].p99],
				       restack_sla_key_names[lats[i].med]);
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
		restack_sla_error(st, (unsigned int)r, -EINVAL,
			    "syntax error (expected \"key = value\", \"[volume <name>]\" or a ; or # comment)");
	else if (!st->err_code && r < 0)
		restack_sla_error(st, st->line, -ENOMEM, "out of memory");
	if (!st->err_code && st->sla.n == 0)
		restack_sla_error(st, st->line, -EINVAL, "no [volume <name>] section");
	for (i = 0; i < st->sla.n && !st->err_code; i++)
		finish_volume(st, &st->sla.vols[i]);
	if (!st->err_code)
		restack_sla_finish_daemon(st);
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
