// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_table.c - table status parser/formatter, table line builder
 * and message builder.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/restack_core.h"
#include "core/restack_internal.h"

/* ---------------------------------------------------------------- */
/* Table status: "<maj:min> [policy <name> <#args> <args...>]"       */
/* ---------------------------------------------------------------- */

void restack_table_status_release(struct restack_table_status *ts)
{
	unsigned int i;

	if (!ts)
		return;
	for (i = 0; i < ts->argc; i++)
		free(ts->argv[i]);
	free(ts->argv);
	memset(ts, 0, sizeof(*ts));
}

/* Next token that must exist; "thing" names it when the line ends. */
static int restack_tok_need(struct restack_tokenizer *t,
			    struct restack_tok *tok, struct restack_err *err,
			    const char *thing)
{
	int r = restack_tok_next(t, tok, err);

	if (r == 0)
		return restack_tok_missing(t, err, "%s", thing);
	return r < 0 ? r : 0;
}

int restack_table_status_parse(const char *line,
			       struct restack_table_status *ts,
			       struct restack_err *err)
{
	char name[RESTACK_POLICY_NAME_MAX + 1];
	struct restack_tokenizer t;
	struct restack_tok tok;
	uint64_t nargs;
	unsigned int i;
	int r;

	memset(ts, 0, sizeof(*ts));
	restack_err_clear(err);
	if (!line)
		return restack_err_set(err, -EINVAL, "table: no line");
	restack_tok_init(&t, "table", line);

	r = restack_tok_need(&t, &tok, err, "origin device <major>:<minor>");
	if (r)
		goto fail;
	r = restack_parse_devt(tok.p, tok.len, &ts->origin_major,
			       &ts->origin_minor);
	if (r == -ERANGE) {
		r = restack_tok_err(&t, &tok, err,
				    "origin device number out of range (major <= %u, minor <= %u)",
				    RESTACK_DEV_MAJOR_MAX, RESTACK_DEV_MINOR_MAX);
		goto fail;
	}
	if (r) {
		r = restack_tok_err(&t, &tok, err,
				    "malformed origin device (expected <major>:<minor>)");
		goto fail;
	}

	r = restack_tok_next(&t, &tok, err);
	if (r <= 0)
		goto out;	/* pass-through volume, or tokenizer error */
	if (!restack_tok_is(&tok, "policy")) {
		r = restack_tok_err(&t, &tok, err, "expected \"policy\"");
		goto fail;
	}
	ts->has_policy = true;

	r = restack_tok_need(&t, &tok, err, "policy name");
	if (r)
		goto fail;
	if (tok.len > RESTACK_POLICY_NAME_MAX) {
		r = restack_tok_err(&t, &tok, err,
				    "policy name longer than %d characters",
				    RESTACK_POLICY_NAME_MAX);
		goto fail;
	}
	memcpy(name, tok.p, tok.len);
	name[tok.len] = '\0';
	if (restack_check_policy_name(name, NULL)) {
		r = restack_tok_err(&t, &tok, err,
				    "invalid policy name (" RESTACK_POLICY_NAME_RULE ")");
		goto fail;
	}
	memcpy(ts->policy, name, tok.len + 1);

	r = restack_tok_need(&t, &tok, err, "policy argument count");
	if (r)
		goto fail;
	r = restack_parse_u64(tok.p, tok.len, &nargs);
	if (r == 0 && nargs > RESTACK_POLICY_ARGS_MAX)
		r = -ERANGE;
	if (r == -ERANGE) {
		r = restack_tok_err(&t, &tok, err,
				    "policy argument count above %d",
				    RESTACK_POLICY_ARGS_MAX);
		goto fail;
	}
	if (r) {
		r = restack_tok_err(&t, &tok, err,
				    "malformed policy argument count (expected unsigned decimal)");
		goto fail;
	}
	if (nargs) {
		ts->argv = calloc((size_t)nargs, sizeof(*ts->argv));
		if (!ts->argv) {
			r = restack_err_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	for (i = 0; i < nargs; i++) {
		r = restack_tok_next(&t, &tok, err);
		if (r < 0)
			goto fail;
		if (r == 0) {
			r = restack_tok_missing(&t, err,
						"policy argument %u of %llu",
						i + 1, (unsigned long long)nargs);
			goto fail;
		}
		r = restack_strndup(tok.p, tok.len, &ts->argv[i], err);
		if (r)
			goto fail;
		ts->argc = i + 1;
	}
	r = restack_tok_next(&t, &tok, err);
	if (r > 0) {
		r = restack_tok_err(&t, &tok, err,
				    "unexpected token after %llu policy argument(s)",
				    (unsigned long long)nargs);
		goto fail;
	}
out:
	if (r < 0)
		goto fail;
	return 0;
fail:
	restack_table_status_release(ts);
	return r;
}

int restack_table_status_format(const struct restack_table_status *ts,
				char **line, struct restack_err *err)
{
	struct restack_buf b = { 0 };
	unsigned int i;

	restack_buf_printf(&b, "%u:%u", ts->origin_major, ts->origin_minor);
	if (ts->has_policy) {
		restack_buf_str(&b, " policy ");
		restack_buf_str(&b, ts->policy);
		restack_buf_printf(&b, " %u", ts->argc);
		for (i = 0; i < ts->argc; i++) {
			restack_buf_str(&b, " ");
			restack_buf_str(&b, ts->argv[i]);
		}
	}
	return restack_buf_finish(&b, line, err);
}

/* ---------------------------------------------------------------- */
/* Table builder                                                     */
/* ---------------------------------------------------------------- */

int restack_table_validate(const struct restack_table_spec *spec,
			   struct restack_err *err)
{
	unsigned int maj, min;
	unsigned int i;
	char what[48];
	int r;

	restack_err_clear(err);
	r = restack_check_token("origin", spec->origin, err);
	if (r)
		return r;
	/*
	 * The kernel resolves paths relative to the caller, so only
	 * absolute paths and valid "8:16"-style device numbers are taken.
	 */
	if (spec->origin[0] != '/' &&
	    restack_parse_devt(spec->origin, strlen(spec->origin), &maj, &min))
		return restack_err_set(err, -EINVAL,
				       "origin \"%.64s\" is neither an absolute path nor a valid <major>:<minor>",
				       spec->origin);
	if (spec->size == 0)
		return restack_err_set(err, -EINVAL, "size must be greater than 0 sectors");
	if (spec->size > UINT64_MAX / 512)
		return restack_err_set(err, -EINVAL,
				       "size %llu sectors is too large",
				       (unsigned long long)spec->size);
	if (!spec->policy) {
		if (spec->argc)
			return restack_err_set(err, -EINVAL,
					       "policy arguments given without a policy");
		return 0;
	}
	r = restack_check_policy_name(spec->policy, err);
	if (r)
		return r;
	if (spec->argc > RESTACK_POLICY_ARGS_MAX)
		return restack_err_set(err, -EINVAL,
				       "too many policy arguments (%u, at most %d)",
				       spec->argc, RESTACK_POLICY_ARGS_MAX);
	if (spec->argc && !spec->argv)
		return restack_err_set(err, -EINVAL, "policy arguments missing");
	for (i = 0; i < spec->argc; i++) {
		snprintf(what, sizeof(what), "policy argument %u", i + 1);
		r = restack_check_token(what, spec->argv[i], err);
		if (r)
			return r;
	}
	return 0;
}

static void restack_table_params_add(struct restack_buf *b,
				     const struct restack_table_spec *spec)
{
	unsigned int i;

	restack_buf_str(b, spec->origin);
	if (!spec->policy)
		return;
	restack_buf_str(b, " policy ");
	restack_buf_str(b, spec->policy);
	restack_buf_printf(b, " %u", spec->argc);
	for (i = 0; i < spec->argc; i++) {
		restack_buf_str(b, " ");
		restack_buf_str(b, spec->argv[i]);
	}
}

int restack_table_params(const struct restack_table_spec *spec,
			 char **params, struct restack_err *err)
{
	struct restack_buf b = { 0 };
	int r = restack_table_validate(spec, err);

	if (r)
		return r;
	restack_table_params_add(&b, spec);
	return restack_buf_finish(&b, params, err);
}

int restack_table_line(const struct restack_table_spec *spec, char **line,
		       struct restack_err *err)
{
	struct restack_buf b = { 0 };
	int r = restack_table_validate(spec, err);

	if (r)
		return r;
	restack_buf_printf(&b, "0 %llu " RESTACK_TARGET_NAME " ",
			   (unsigned long long)spec->size);
	restack_table_params_add(&b, spec);
	return restack_buf_finish(&b, line, err);
}

/* ---------------------------------------------------------------- */
/* Messages                                                          */
/* ---------------------------------------------------------------- */

int restack_message_build(unsigned int argc, const char *const *argv,
			  char **msg, struct restack_err *err)
{
	struct restack_buf b = { 0 };
	unsigned int i;
	char what[48];
	int r;

	restack_err_clear(err);
	if (argc == 0 || !argv)
		return restack_err_set(err, -EINVAL, "message is empty");
	if (argc > RESTACK_POLICY_ARGS_MAX + 2)
		return restack_err_set(err, -EINVAL,
				       "message has too many words (%u, at most %d)",
				       argc, RESTACK_POLICY_ARGS_MAX + 2);
	for (i = 0; i < argc; i++) {
		snprintf(what, sizeof(what), "message word %u", i + 1);
		r = restack_check_token(what, argv[i], err);
		if (r)
			return r;
	}
	for (i = 0; i < argc; i++) {
		if (i)
			restack_buf_str(&b, " ");
		restack_buf_str(&b, argv[i]);
	}
	return restack_buf_finish(&b, msg, err);
}
