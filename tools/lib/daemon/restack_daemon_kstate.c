// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_daemon_kstate.c - what the daemon needs of a volume's kernel
 * state, parsed from its INFO status and table status lines.  Pure: the
 * lines come from restack_daemon_kernel.c or from a test.
 */
#include <stdio.h>
#include <string.h>

#include "core/restack_core.h"
#include "daemon/restack_daemon.h"
#include "daemon/restack_daemon_kernel.h"

static int kv_u64(const struct restack_status *st, const char *key,
		  uint64_t *out)
{
	const char *v = restack_status_extra(st, key);

	if (!v)
		return 0;
	return restack_parse_u64(v, strlen(v), out) == 0;
}

int restack_daemon_kstate_parse(const char *status, const char *table,
				struct restack_vol_kstate *ks,
				struct restack_err *err)
{
	struct restack_table_status ts;
	struct restack_status st;
	const char *fs;
	size_t off = 0;
	unsigned int i;
	int r;

	memset(ks, 0, sizeof(*ks));
	r = restack_status_parse(status, &st, err);
	if (r)
		return r;
	r = restack_table_status_parse(table, &ts, err);
	if (r) {
		restack_status_release(&st);
		return r;
	}
	ks->mode = st.mode;
	ks->attached = ts.has_policy;
	if (ts.has_policy) {
		snprintf(ks->policy, sizeof(ks->policy), "%s", ts.policy);
		off = (size_t)snprintf(ks->stack, sizeof(ks->stack), "%s", ts.policy);
		for (i = 0; i < ts.argc && off < sizeof(ks->stack); i++)
			off += (size_t)snprintf(ks->stack + off, sizeof(ks->stack) - off,
						" %s", ts.argv[i]);
	}
	ks->has_cache = kv_u64(&st, "fast_errors", &ks->fast_errors);
	kv_u64(&st, "lost", &ks->lost);
	kv_u64(&st, "dirty", &ks->dirty);
	fs = restack_status_extra(&st, "fast_state");
	ks->fast_failed = fs && strcmp(fs, "ok") != 0;
	ks->has_fast_lat = kv_u64(&st, "fast_ios", &ks->fast_ios) &&
			   kv_u64(&st, "fast_lat_us", &ks->fast_lat_us);
	restack_status_release(&st);
	restack_table_status_release(&ts);
	return 0;
}
