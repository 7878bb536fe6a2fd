// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_table.c - libFuzzer target for the table status line parser.
 *
 * Checks, beyond memory safety:
 *   - accepted lines are canonical: format(parse(x)) == x;
 *   - the table builder agrees with the parser: rebuilding the params
 *     from the parsed fields gives x again, unless an argument holds a
 *     backslash (accepted from the kernel, never built by us);
 *   - rejected lines yield -EINVAL/-ENOMEM, a non-empty one-line
 *     message and a zeroed result.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/restack_core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_builder(const struct restack_table_status *ts,
			  const char *line)
{
	struct restack_table_spec spec = { .size = 1 };
	char origin[32], *params = NULL;
	bool backslash = false;
	unsigned int i;
	int r;

	snprintf(origin, sizeof(origin), "%u:%u", ts->origin_major,
		 ts->origin_minor);
	spec.origin = origin;
	if (ts->has_policy) {
		spec.policy = ts->policy;
		spec.argc = ts->argc;
		spec.argv = (const char *const *)ts->argv;
	}
	for (i = 0; i < ts->argc; i++)
		backslash |= strchr(ts->argv[i], '\\') != NULL;
	r = restack_table_params(&spec, &params, NULL);
	if (r == 0) {
		if (backslash || strcmp(params, line) != 0)
			abort();
		free(params);
	} else if (!backslash) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct restack_table_status ts;
	struct restack_err err;
	char *line, *out = NULL;
	int r;

	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';

	r = restack_table_status_parse(line, &ts, &err);
	if (r == 0) {
		if (restack_table_status_format(&ts, &out, NULL) != 0)
			abort();
		if (strcmp(out, line) != 0)
			abort();
		if (ts.argc > RESTACK_POLICY_ARGS_MAX ||
		    (!ts.has_policy && (ts.argc || ts.policy[0])))
			abort();
		check_builder(&ts, line);
		free(out);
		restack_table_status_release(&ts);
	} else {
		if (r != -EINVAL && r != -ENOMEM)
			abort();
		if (!err.msg[0] || strchr(err.msg, '\n'))
			abort();
		if (ts.argv || ts.argc || ts.has_policy)
			abort();
	}
	free(line);
	return 0;
}
