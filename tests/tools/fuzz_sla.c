// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_sla.c - libFuzzer target for the SLA file parser.
 *
 * Beyond "no crash, no leak, no UB" it checks the parser's contract:
 *   - accepted files have a canonical form that parses again to the
 *     same canonical form (format(parse(format(parse(x)))) ==
 *     format(parse(x))), and every volume has its required keys;
 *   - rejected files yield -EINVAL/-ENOMEM, an empty result and a
 *     non-empty one-line message naming the file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/restack_sla.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct restack_sla a, b;
	struct restack_err err;
	char *t1 = NULL, *t2 = NULL;
	unsigned int i;
	int r;

	if (size > 65536)
		return 0;
	memset(&err, 0, sizeof(err));
	r = restack_sla_parse_string((const char *)data, size, "fuzz.ini", &a, &err);
	if (r) {
		if (r != -EINVAL && r != -ENOMEM)
			abort();
		if (a.vols || a.n || a.daemon.state_dir)
			abort();
		if (strncmp(err.msg, "fuzz.ini: ", 10) || strchr(err.msg, '\n'))
			abort();
		return 0;
	}
	if (a.n == 0)
		abort();
	for (i = 0; i < a.n; i++)
		if (!a.vols[i].fast_device || !a.vols[i].max_cache_bytes ||
		    !a.vols[i].modes || !a.vols[i].replacements ||
		    !a.vols[i].nblock_sizes || !(a.vols[i].sample_rate > 0))
			abort();
	/* the [daemon] section's defaults are always filled in */
	if (!a.daemon.state_dir || !a.daemon.event_log ||
	    !(a.daemon.window_s > 0) || !a.daemon.violation_windows ||
	    !a.daemon.clear_windows || !(a.daemon.profile_s > 0) ||
	    !(a.daemon.trace_sample_rate > 0) || !a.daemon.fast_error_limit)
		abort();
	if (restack_sla_format(&a, &t1))
		abort();
	if (restack_sla_parse_string(t1, strlen(t1), "canonical", &b, &err))
		abort();	/* the canonical form must parse */
	if (restack_sla_format(&b, &t2) || strcmp(t1, t2))
		abort();
	free(t1);
	free(t2);
	restack_sla_release(&a);
	restack_sla_release(&b);
	return 0;
}
