// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_status.c - strict parser/formatter for the target's INFO
 * status line "<mode> <policy> key=value...".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/restack_core.h"
#include "core/restack_internal.h"

static const char *const restack_mode_names[RESTACK_NR_MODES] = {
	[RESTACK_MODE_DETACHED]  = "detached",
	[RESTACK_MODE_ATTACHED]  = "attached",
	[RESTACK_MODE_DETACHING] = "detaching",
	[RESTACK_MODE_FAILED]    = "failed",
};

static const char *const restack_counter_names[RESTACK_NR_COUNTERS] = {
	[RESTACK_CTR_READS]         = "reads",
	[RESTACK_CTR_WRITES]        = "writes",
	[RESTACK_CTR_DISCARDS]      = "discards",
	[RESTACK_CTR_WRITE_ZEROES]  = "write_zeroes",
	[RESTACK_CTR_FLUSHES]       = "flushes",
	[RESTACK_CTR_FUA]           = "fua",
	[RESTACK_CTR_READ_BYTES]    = "read_bytes",
	[RESTACK_CTR_WRITE_BYTES]   = "write_bytes",
	[RESTACK_CTR_DISCARD_BYTES] = "discard_bytes",
	[RESTACK_CTR_INFLIGHT]      = "inflight",
	[RESTACK_CTR_ERRORS]        = "errors",
	[RESTACK_CTR_ATTACHES]      = "attaches",
	[RESTACK_CTR_DETACHES]      = "detaches",
};

const char *restack_mode_name(enum restack_mode mode)
{
	if ((unsigned int)mode >= RESTACK_NR_MODES)
		return NULL;
	return restack_mode_names[mode];
}

const char *restack_counter_name(enum restack_counter ctr)
{
	if ((unsigned int)ctr >= RESTACK_NR_COUNTERS)
		return NULL;
	return restack_counter_names[ctr];
}

/* Index of a known counter named key[0..len), or -1. */
static int restack_counter_lookup(const char *key, size_t len)
{
	int i;

	for (i = 0; i < RESTACK_NR_COUNTERS; i++)
		if (strlen(restack_counter_names[i]) == len &&
		    !memcmp(restack_counter_names[i], key, len))
			return i;
	return -1;
}

void restack_status_release(struct restack_status *st)
{
	size_t i;

	if (!st)
		return;
	for (i = 0; i < st->nr_extra; i++) {
		free(st->extra[i].key);
		free(st->extra[i].value);
	}
	free(st->extra);
	memset(st, 0, sizeof(*st));
}

const char *restack_status_extra(const struct restack_status *st,
				 const char *key)
{
	size_t i;

	for (i = 0; i < st->nr_extra; i++)
		if (!strcmp(st->extra[i].key, key))
			return st->extra[i].value;
	return NULL;
}

static int restack_parse_mode(const struct restack_tokenizer *t,
			      const struct restack_tok *tok,
			      enum restack_mode *mode, struct restack_err *err)
{
	int i;

	for (i = 0; i < RESTACK_NR_MODES; i++) {
		if (restack_tok_is(tok, restack_mode_names[i])) {
			*mode = (enum restack_mode)i;
			return 0;
		}
	}
	return restack_tok_err(t, tok, err,
			       "unknown mode (expected detached, attached, detaching or failed)");
}

static int restack_parse_policy(const struct restack_tokenizer *t,
				const struct restack_tok *tok,
				struct restack_status *st,
				struct restack_err *err)
{
	char name[RESTACK_POLICY_NAME_MAX + 1];
	struct restack_err perr;

	/*
	 * Any mode may come with "-" or a name: the kernel reads the mode
	 * and the attachment without a common lock (see restack.h).
	 */
	if (restack_tok_is(tok, "-")) {
		st->policy[0] = '\0';
		return 0;
	}
	if (tok->len > RESTACK_POLICY_NAME_MAX)
		return restack_tok_err(t, tok, err,
				       "policy name longer than %d characters",
				       RESTACK_POLICY_NAME_MAX);
	memcpy(name, tok->p, tok->len);
	name[tok->len] = '\0';
	if (restack_check_policy_name(name, &perr))
		return restack_tok_err(t, tok, err,
				       "invalid policy name (" RESTACK_POLICY_NAME_RULE ")");
	memcpy(st->policy, name, tok->len + 1);
	return 0;
}

/* Split key=value; both parts non-empty, exactly one '='. */
static int restack_split_kv(const struct restack_tokenizer *t,
			    const struct restack_tok *tok, size_t *klen,
			    struct restack_err *err)
{
	const char *eq = memchr(tok->p, '=', tok->len);

	if (!eq)
		return restack_tok_err(t, tok, err, "expected key=value");
	*klen = (size_t)(eq - tok->p);
	if (*klen == 0)
		return restack_tok_err(t, tok, err, "empty key");
	if (*klen + 1 == tok->len)
		return restack_tok_err(t, tok, err, "empty value");
	if (memchr(eq + 1, '=', tok->len - *klen - 1))
		return restack_tok_err(t, tok, err, "more than one '='");
	return 0;
}

static int restack_parse_counter(const struct restack_tokenizer *t,
				 const struct restack_tok *tok, int expect,
				 struct restack_status *st,
				 struct restack_err *err)
{
	const char *name = restack_counter_names[expect];
	size_t klen;
	int r, known;

	r = restack_split_kv(t, tok, &klen, err);
	if (r)
		return r;
	if (klen != strlen(name) || memcmp(tok->p, name, klen)) {
		known = restack_counter_lookup(tok->p, klen);
		if (known >= 0 && known < expect)
			return restack_tok_err(t, tok, err,
					       "duplicate key \"%s\"",
					       restack_counter_names[known]);
		return restack_tok_err(t, tok, err, "expected key \"%s\"", name);
	}
	r = restack_parse_u64(tok->p + klen + 1, tok->len - klen - 1,
			      &st->counters[expect]);
	if (r == -ERANGE)
		return restack_tok_err(t, tok, err,
				       "value of \"%s\" does not fit in 64 bits",
				       name);
	if (r)
		return restack_tok_err(t, tok, err,
				       "malformed number for \"%s\" (expected unsigned decimal)",
				       name);
	return 0;
}

static int restack_parse_extra(const struct restack_tokenizer *t,
			       const struct restack_tok *tok,
			       struct restack_status *st,
			       struct restack_err *err)
{
	struct restack_kv *kv;
	size_t klen, i;
	int r;

	r = restack_split_kv(t, tok, &klen, err);
	if (r)
		return r;
	for (i = 0; i < klen; i++) {
		char c = tok->p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return restack_tok_err(t, tok, err,
					       "invalid character in key at offset %zu (allowed: [A-Za-z0-9_])",
					       i);
	}
	if (restack_counter_lookup(tok->p, klen) >= 0)
		return restack_tok_err(t, tok, err, "duplicate key \"%.*s\"",
				       (int)klen, tok->p);
	for (i = 0; i < st->nr_extra; i++)
		if (strlen(st->extra[i].key) == klen &&
		    !memcmp(st->extra[i].key, tok->p, klen))
			return restack_tok_err(t, tok, err,
					       "duplicate key \"%.*s\"",
					       (int)klen, tok->p);
	if (st->nr_extra >= RESTACK_STATUS_EXTRA_MAX)
		return restack_tok_err(t, tok, err,
				       "more than %d policy-specific keys",
				       RESTACK_STATUS_EXTRA_MAX);
	if (!st->extra) {
		st->extra = calloc(RESTACK_STATUS_EXTRA_MAX, sizeof(*st->extra));
		if (!st->extra)
			return restack_err_set(err, -ENOMEM, "out of memory");
	}
	kv = &st->extra[st->nr_extra];
	r = restack_strndup(tok->p, klen, &kv->key, err);
	if (r)
		return r;
	r = restack_strndup(tok->p + klen + 1, tok->len - klen - 1,
			    &kv->value, err);
	if (r) {
		free(kv->key);
		kv->key = NULL;
		return r;
	}
	st->nr_extra++;
	return 0;
}

int restack_status_parse(const char *line, struct restack_status *st,
			 struct restack_err *err)
{
	struct restack_tokenizer t;
	struct restack_tok tok;
	int r, i;

	memset(st, 0, sizeof(*st));
	restack_err_clear(err);
	if (!line)
		return restack_err_set(err, -EINVAL, "status: no line");
	restack_tok_init(&t, "status", line);

	r = restack_tok_next(&t, &tok, err);
	if (r < 0)
		goto fail;
	if (r == 0) {
		r = restack_tok_missing(&t, err, "mode");
		goto fail;
	}
	r = restack_parse_mode(&t, &tok, &st->mode, err);
	if (r)
		goto fail;

	r = restack_tok_next(&t, &tok, err);
	if (r < 0)
		goto fail;
	if (r == 0) {
		r = restack_tok_missing(&t, err, "policy");
		goto fail;
	}
	r = restack_parse_policy(&t, &tok, st, err);
	if (r)
		goto fail;

	for (i = 0; i < RESTACK_NR_COUNTERS; i++) {
		r = restack_tok_next(&t, &tok, err);
		if (r < 0)
			goto fail;
		if (r == 0) {
			r = restack_tok_missing(&t, err, "counter \"%s\"",
						restack_counter_names[i]);
			goto fail;
		}
		r = restack_parse_counter(&t, &tok, i, st, err);
		if (r)
			goto fail;
	}

	for (;;) {
		r = restack_tok_next(&t, &tok, err);
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		r = restack_parse_extra(&t, &tok, st, err);
		if (r)
			goto fail;
	}
	return 0;

fail:
	restack_status_release(st);
	return r;
}

int restack_status_format(const struct restack_status *st, char **line,
			  struct restack_err *err)
{
	struct restack_buf b = { 0 };
	const char *mode = restack_mode_name(st->mode);
	size_t i;

	if (!mode)
		return restack_err_set(err, -EINVAL, "status: invalid mode %d",
				       (int)st->mode);
	restack_buf_str(&b, mode);
	restack_buf_str(&b, " ");
	restack_buf_str(&b, st->policy[0] ? st->policy : "-");
	for (i = 0; i < RESTACK_NR_COUNTERS; i++) {
		restack_buf_str(&b, " ");
		restack_buf_str(&b, restack_counter_names[i]);
		restack_buf_printf(&b, "=%llu",
				   (unsigned long long)st->counters[i]);
	}
	for (i = 0; i < st->nr_extra; i++) {
		restack_buf_str(&b, " ");
		restack_buf_str(&b, st->extra[i].key);
		restack_buf_str(&b, "=");
		restack_buf_str(&b, st->extra[i].value);
	}
	return restack_buf_finish(&b, line, err);
}
