// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_token.c - strict numbers, names, tokens and the tokenizer
 * shared by the status and table parsers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/restack_core.h"
#include "core/restack_internal.h"

static bool restack_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Printable ASCII other than space. */
static bool restack_is_graph(char c)
{
	return (unsigned char)c > 0x20 && (unsigned char)c < 0x7f;
}

int restack_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!s || len == 0)
		return -EINVAL;
	if (s[0] == '0' && len > 1)
		return -EINVAL;		/* leading zero: never emitted by %llu */
	for (i = 0; i < len; i++)
		if (!restack_is_digit(s[i]))
			return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int restack_parse_devt(const char *s, size_t len,
		       unsigned int *major, unsigned int *minor)
{
	const char *colon;
	uint64_t maj, min;
	int r;

	if (!s)
		return -EINVAL;
	colon = memchr(s, ':', len);
	if (!colon)
		return -EINVAL;
	r = restack_parse_u64(s, (size_t)(colon - s), &maj);
	if (r)
		return r;
	r = restack_parse_u64(colon + 1, len - (size_t)(colon - s) - 1, &min);
	if (r)
		return r;
	if (maj > RESTACK_DEV_MAJOR_MAX || min > RESTACK_DEV_MINOR_MAX)
		return -ERANGE;
	*major = (unsigned int)maj;
	*minor = (unsigned int)min;
	return 0;
}

void restack_quote(char *buf, size_t size, const char *s, size_t len)
{
	/* Show at most this many input bytes, then "...". */
	const size_t show = 48;
	size_t o = 0, i;

	if (size < 8) {
		if (size)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (i = 0; i < len && i < show; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 8 >= size)
			break;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			buf[o++] = (char)c;
		} else {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		}
	}
	buf[o++] = '"';
	if (i < len && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

int restack_check_token(const char *what, const char *tok,
			struct restack_err *err)
{
	char q[80];
	size_t len, i;

	if (!tok)
		return restack_err_set(err, -EINVAL, "%s is missing", what);
	len = strnlen(tok, RESTACK_TOKEN_MAX + 1);
	if (len == 0)
		return restack_err_set(err, -EINVAL, "%s is empty", what);
	if (len > RESTACK_TOKEN_MAX)
		return restack_err_set(err, -EINVAL,
				       "%s is longer than %d bytes", what,
				       RESTACK_TOKEN_MAX);
	for (i = 0; i < len; i++) {
		if (!restack_is_graph(tok[i])) {
			restack_quote(q, sizeof(q), tok, len);
			return restack_err_set(err, -EINVAL,
					       "%s %s contains %s at offset %zu",
					       what, q,
					       tok[i] == ' ' ? "a space" :
					       "a control or non-ASCII character", i);
		}
		if (tok[i] == '\\') {
			restack_quote(q, sizeof(q), tok, len);
			return restack_err_set(err, -EINVAL,
					       "%s %s contains a backslash at offset %zu",
					       what, q, i);
		}
	}
	return 0;
}

int restack_check_policy_name(const char *name, struct restack_err *err)
{
	char q[80];
	size_t len, i;

	if (!name || !name[0])
		return restack_err_set(err, -EINVAL, "policy name is empty");
	len = strnlen(name, RESTACK_POLICY_NAME_MAX + 1);
	restack_quote(q, sizeof(q), name, strnlen(name, 64));
	if (len > RESTACK_POLICY_NAME_MAX)
		return restack_err_set(err, -EINVAL,
				       "policy name %s is longer than %d characters",
				       q, RESTACK_POLICY_NAME_MAX);
	for (i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || restack_is_digit(c) ||
			  c == '_' || (c == '-' && i > 0 && i + 1 < len);

		if (!ok)
			return restack_err_set(err, -EINVAL,
					       "policy name %s: invalid character at offset %zu (" RESTACK_POLICY_NAME_RULE ")",
					       q, i);
	}
	return 0;
}

int restack_check_volume_name(const char *name, struct restack_err *err)
{
	static const char extra[] = "#+-.:=@_";
	char q[80];
	size_t len, i;

	if (!name || !name[0])
		return restack_err_set(err, -EINVAL, "volume name is empty");
	len = strnlen(name, RESTACK_VOLUME_NAME_MAX + 1);
	restack_quote(q, sizeof(q), name, strnlen(name, 64));
	if (len > RESTACK_VOLUME_NAME_MAX)
		return restack_err_set(err, -EINVAL,
				       "volume name %s is longer than %d characters",
				       q, RESTACK_VOLUME_NAME_MAX);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return restack_err_set(err, -EINVAL,
				       "volume name %s is reserved", q);
	for (i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  restack_is_digit(c) || (c && strchr(extra, c));

		if (!ok)
			return restack_err_set(err, -EINVAL,
					       "volume name %s: invalid character at offset %zu (allowed: letters, digits and %s)",
					       q, i, extra);
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* Tokenizer                                                         */
/* ---------------------------------------------------------------- */

void restack_tok_init(struct restack_tokenizer *t, const char *what,
		      const char *line)
{
	t->what = what;
	t->line = line ? line : "";
	t->pos = 0;
	t->idx = 0;
	t->done = false;
}

int restack_tok_next(struct restack_tokenizer *t, struct restack_tok *tok,
		     struct restack_err *err)
{
	const char *line = t->line;
	size_t start = t->pos, end;

	if (t->done || (start == 0 && line[0] == '\0')) {
		t->done = true;
		return 0;
	}
	for (end = start; line[end] && line[end] != ' '; end++) {
		if (!restack_is_graph(line[end])) {
			char q[80];

			restack_quote(q, sizeof(q), line + end, 1);
			return restack_err_set(err, -EINVAL,
					       "%s: invalid character %s at offset %zu (token %u)",
					       t->what, q, end, t->idx + 1);
		}
	}
	if (end == start) {
		if (start == 0)
			return restack_err_set(err, -EINVAL,
					       "%s: leading space at offset 0",
					       t->what);
		return restack_err_set(err, -EINVAL,
				       "%s: empty token %u at offset %zu (double space)",
				       t->what, t->idx + 1, start);
	}
	tok->p = line + start;
	tok->len = end - start;
	tok->off = start;
	tok->idx = ++t->idx;
	if (line[end] == ' ') {
		if (line[end + 1] == '\0')
			return restack_err_set(err, -EINVAL,
					       "%s: trailing space at offset %zu",
					       t->what, end);
		t->pos = end + 1;
	} else {
		t->pos = end;
		t->done = true;
	}
	return 1;
}

int restack_tok_err(const struct restack_tokenizer *t,
		    const struct restack_tok *tok, struct restack_err *err,
		    const char *fmt, ...)
{
	char problem[RESTACK_ERR_MAX];
	char q[80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	restack_quote(q, sizeof(q), tok->p, tok->len);
	return restack_err_set(err, -EINVAL, "%s: token %u %s at offset %zu: %.300s",
			       t->what, tok->idx, q, tok->off, problem);
}

int restack_tok_missing(const struct restack_tokenizer *t,
			struct restack_err *err, const char *fmt, ...)
{
	char thing[RESTACK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(thing, sizeof(thing), fmt, ap);
	va_end(ap);
	return restack_err_set(err, -EINVAL,
			       "%s: missing %.300s (token %u) at end of line (offset %zu)",
			       t->what, thing, t->idx + 1, strlen(t->line));
}

bool restack_tok_is(const struct restack_tok *tok, const char *s)
{
	return strlen(s) == tok->len && !memcmp(tok->p, s, tok->len);
}

int restack_strndup(const char *s, size_t len, char **out,
		    struct restack_err *err)
{
	char *p = malloc(len + 1);

	if (!p)
		return restack_err_set(err, -ENOMEM, "out of memory");
	memcpy(p, s, len);
	p[len] = '\0';
	*out = p;
	return 0;
}

/* ---------------------------------------------------------------- */
/* Growable buffer                                                   */
/* ---------------------------------------------------------------- */

void restack_buf_add(struct restack_buf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *n;

		while (cap < b->len + len + 1)
			cap *= 2;
		n = realloc(b->s, cap);
		if (!n) {
			b->oom = true;
			return;
		}
		b->s = n;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void restack_buf_str(struct restack_buf *b, const char *s)
{
	restack_buf_add(b, s, strlen(s));
}

void restack_buf_printf(struct restack_buf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = true;	/* only used for short numeric fields */
		return;
	}
	restack_buf_add(b, tmp, (size_t)n);
}

int restack_buf_finish(struct restack_buf *b, char **out,
		       struct restack_err *err)
{
	if (!b->oom && !b->s)
		restack_buf_add(b, "", 0);
	if (b->oom) {
		free(b->s);
		b->s = NULL;
		return restack_err_set(err, -ENOMEM, "out of memory");
	}
	*out = b->s;
	b->s = NULL;
	return 0;
}
