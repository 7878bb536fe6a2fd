// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_daemon_state.c - libFuzzer target for restack_json_top_value(),
 * the scanner `restack status` uses to display the daemon's state files.
 * Any input: no crash, no read past the input, the output always
 * NUL-terminated within its buffer and no longer than the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/restack_daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"volume", "state", "since", "stack", "sla", "measured",
		"predicted", "error", "last_events",
	};
	char *json, out[64];
	unsigned int i;

	if (size > 65536)
		return 0;
	json = malloc(size + 1);
	if (!json)
		return 0;
	memcpy(json, data, size);
	json[size] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		memset(out, 'x', sizeof(out));
		if (restack_json_top_value(json, keys[i], out, sizeof(out)) &&
		    (!memchr(out, '\0', sizeof(out)) || strlen(out) > strlen(json)))
			abort();
	}
	free(json);
	return 0;
}
