// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_status.c - libFuzzer target for the INFO status line parser.
 *
 * Beyond "no crash, no leak, no UB" it checks the parser's contract:
 *   - accepted lines are canonical: format(parse(x)) == x;
 *   - accepted statuses render (text and JSON) without failing;
 *   - rejected lines yield -EINVAL/-ENOMEM, a non-empty one-line
 *     message and a zeroed result.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/restack_core.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct restack_status st;
	struct restack_err err;
	char *line, *out = NULL;
	size_t i;
	int r;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';	/* an embedded NUL just ends the line early */

	r = restack_status_parse(line, &st, &err);
	if (r == 0) {
		if (restack_status_format(&st, &out, NULL) != 0)
			abort();
		if (strcmp(out, line) != 0)
			abort();	/* accepted a non-canonical line */
		if (!restack_mode_name(st.mode) ||
		    st.nr_extra > RESTACK_STATUS_EXTRA_MAX)
			abort();
		for (i = 0; i < st.nr_extra; i++)
			if (restack_status_extra(&st, st.extra[i].key) !=
			    st.extra[i].value)
				abort();	/* duplicate key slipped through */
		if (devnull &&
		    (restack_status_print_text(devnull, "fuzz", &st) ||
		     restack_status_print_json(devnull, "fuzz", &st)))
			abort();
		free(out);
		restack_status_release(&st);
	} else {
		if (r != -EINVAL && r != -ENOMEM)
			abort();
		if (!err.msg[0] || strchr(err.msg, '\n'))
			abort();
		if (st.extra || st.nr_extra || st.policy[0])
			abort();
	}
	free(line);
	return 0;
}
