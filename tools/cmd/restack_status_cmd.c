// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_status_cmd.c - `restack status`: each volume's mode, policy and
 * counters, with the daemon's state file when it has one (a struct
 * restack_command, restack_cmd.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/restack_cmd.h"
#include "core/restack_core.h"
#include "daemon/restack_daemon.h"

static int parse_status(struct restack_cmd *cmd, int n,
			char *const av[], struct restack_err *err)
{
	bool done = false;
	int kind;
	int i, r;

	if (n > 0) {
		cmd->vols = calloc((size_t)n, sizeof(*cmd->vols));
		if (!cmd->vols)
			return restack_err_set(err, -ENOMEM, "out of memory");
	}
	for (i = 0; (kind = restack_next_arg(cmd, n, av, &i, &done)); i++) {
		const char *a = av[i];

		if (kind == RESTACK_ARG_HELP)
			return 0;
		if (kind == RESTACK_ARG_OPTION) {
			if (!strcmp(a, "--json")) {
				cmd->json = true;
				continue;
			}
			if (!strcmp(a, "--state-dir")) {
				if (i + 1 >= n || !av[i + 1][0])
					return restack_err_set(err, -EINVAL,
							       "status: --state-dir needs a directory");
				cmd->state_dir = av[++i];
				continue;
			}
			return restack_unknown_option(cmd, n, av, i, err);
		}
		cmd->vols[cmd->nvols++] = a;
	}
	for (i = 0; i < (int)cmd->nvols; i++) {
		r = restack_check_volume(cmd, cmd->vols[i], err);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Print one volume's status, with the daemon's state file if there is
 * one; returns 0 or -errno with err set.
 */
static int restack_show_status(const char *volume, bool json, bool first,
			       const char *state_dir, struct restack_err *err)
{
	struct restack_status st;
	char *params = NULL, *daemon;
	int r;

	r = restack_dm_status(volume, &params, err);
	if (r)
		return r;
	r = restack_status_parse(params, &st, err);
	free(params);
	if (r)
		return restack_err_prefix(err, r, "%s", volume);
	daemon = restack_daemon_state_read(state_dir, volume);
	if (json && daemon) {
		/* the kernel's object with a "daemon" member added */
		char *obj = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&obj, &len);

		r = mem ? restack_status_print_json(mem, volume, &st) : -ENOMEM;
		if (mem && fclose(mem))
			r = -ENOMEM;
		if (!r) {
			while (len && (obj[len - 1] == '\n' || obj[len - 1] == '}'))
				obj[--len] = '\0';
			if (printf("%s,\"daemon\":%s}\n", obj, daemon) < 0)
				r = -EIO;
		}
		free(obj);
	} else if (json) {
		r = restack_status_print_json(stdout, volume, &st);
	} else {
		if (!first)
			fputc('\n', stdout);
		r = restack_status_print_text(stdout, volume, &st);
		if (!r && daemon)
			restack_daemon_status_text(stdout, daemon);
	}
	free(daemon);
	restack_status_release(&st);
	if (r)
		return restack_err_set(err, r, "writing output: %s", strerror(-r));
	return 0;
}

static int run_status(const struct restack_cmd *cmd)
{
	struct restack_err err = { "" };
	const char *const *vols = cmd->vols;
	size_t n = cmd->nvols, i, shown = 0;
	char **names = NULL;
	int rc = RESTACK_EXIT_OK;

	if (n == 0) {
		if (restack_dm_list(&names, &n, &err))
			return restack_fail(&err);
		vols = (const char *const *)names;
	}
	for (i = 0; i < n; i++) {
		if (restack_show_status(vols[i], cmd->json, shown == 0,
					cmd->state_dir, &err)) {
			restack_report(&err);
			rc = RESTACK_EXIT_FAILURE;
			continue;
		}
		shown++;
	}
	restack_names_free(names, cmd->nvols ? 0 : n);
	return rc;
}

const struct restack_command restack_status_command = {
	.name = "status",
	.usage = "[<vol>...] [--json] [--state-dir <dir>]",
	.help =
		"Show mode, policy and counters of the given volumes, or of all\n"
		"restack volumes, and the daemon's view of each volume that has a\n"
		"state file (state, stack, SLA compliance, last events).\n"
		"\n"
		"  --json              one JSON object per volume and line\n"
		"  --state-dir <dir>   the daemon's state directory (default\n"
		"                      /run/restack)\n",
	.parse = parse_status,
	.run = run_status,
};
