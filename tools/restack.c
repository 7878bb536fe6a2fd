// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack.c - the restack command-line tool.
 *
 * Parsing lives in restack_args.c and everything that talks to the
 * kernel in the library (lib/); this file only sequences the steps of
 * each command and turns failures into one line on stderr plus an exit
 * code (0 ok, 1 operational error, 2 usage error).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/restack_core.h"
#include "cmd/restack_args.h"
#include "cmd/restack_trace_cmd.h"
#include "cmd/restack_analyze_cmd.h"
#include "cmd/restack_daemon_cmd.h"
#include "cmd/restack_replay_cmd.h"
#include "daemon/restack_daemon.h"

static void restack_report(const struct restack_err *err)
{
	fprintf(stderr, "restack: %s\n",
		err->msg[0] ? err->msg : "unknown error");
}

/* Report err and return the operational-failure exit code. */
static int restack_fail(const struct restack_err *err)
{
	restack_report(err);
	return RESTACK_EXIT_FAILURE;
}

/* Load dm-restack (and optionally its policy) ahead of the kernel. */
static int restack_load_modules(const char *policy, struct restack_err *err)
{
	int r = restack_kmod_load(RESTACK_TARGET_MODULE, err);

	if (r < 0)
		return r;
	if (policy) {
		r = restack_policy_module_load(policy, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int restack_cmd_create(const struct restack_cmd *cmd)
{
	struct restack_table_spec spec = { 0 };
	struct restack_err err = { "" };
	unsigned int maj, min;
	char *resolved = NULL;
	const char *origin = cmd->origin;
	uint64_t size = cmd->size;
	int rc = RESTACK_EXIT_FAILURE;

	/* The kernel resolves paths relative to itself: make it absolute. */
	if (restack_parse_devt(origin, strlen(origin), &maj, &min)) {
		resolved = realpath(origin, NULL);
		if (!resolved) {
			restack_err_set(&err, -errno, "origin %s: %s", origin,
					strerror(errno));
			return restack_fail(&err);
		}
		origin = resolved;
	}
	if (!cmd->have_size && restack_blockdev_sectors(origin, &size, &err))
		goto out;
	spec.origin = origin;
	spec.size = size;
	spec.policy = cmd->policy;
	spec.argc = cmd->argc;
	spec.argv = cmd->argv;
	if (restack_table_validate(&spec, &err) ||
	    restack_dm_check(&err) ||
	    restack_load_modules(cmd->policy, &err) ||
	    restack_dm_create(cmd->volume, &spec, &err))
		goto out;
	rc = RESTACK_EXIT_OK;
out:
	if (rc)
		restack_report(&err);
	free(resolved);
	return rc;
}

static int restack_cmd_remove(const struct restack_cmd *cmd)
{
	struct restack_err err = { "" };

	if (restack_dm_remove(cmd->volume, &err))
		return restack_fail(&err);
	return RESTACK_EXIT_OK;
}

/* Send words[0..n) to the volume and print any reply. */
static int restack_send(const char *volume, unsigned int n,
			const char *const *words)
{
	struct restack_err err = { "" };
	char *msg = NULL, *reply = NULL;
	int rc = RESTACK_EXIT_FAILURE;

	if (restack_message_build(n, words, &msg, &err) ||
	    restack_dm_message(volume, msg, &reply, &err))
		goto out;
	if (reply && reply[0]) {
		size_t len = strlen(reply);

		fputs(reply, stdout);
		if (reply[len - 1] != '\n')
			fputc('\n', stdout);
	}
	rc = RESTACK_EXIT_OK;
out:
	if (rc)
		restack_report(&err);
	free(msg);
	free(reply);
	return rc;
}

static int restack_cmd_attach(const struct restack_cmd *cmd)
{
	struct restack_err err = { "" };
	const char **words;
	unsigned int i;
	int rc;

	/* Is it a restack volume at all?  Only then load modules. */
	if (restack_dm_table(cmd->volume, NULL, NULL, &err) ||
	    restack_load_modules(cmd->policy, &err))
		return restack_fail(&err);

	words = calloc(cmd->argc + 2, sizeof(*words));
	if (!words) {
		restack_err_set(&err, -ENOMEM, "out of memory");
		return restack_fail(&err);
	}
	words[0] = "attach";
	words[1] = cmd->policy;
	for (i = 0; i < cmd->argc; i++)
		words[i + 2] = cmd->argv[i];
	rc = restack_send(cmd->volume, cmd->argc + 2, words);
	free(words);
	return rc;
}

static int restack_cmd_detach(const struct restack_cmd *cmd)
{
	static const char *const detach[] = { "detach" };

	return restack_send(cmd->volume, 1, detach);
}

static int restack_cmd_message(const struct restack_cmd *cmd)
{
	return restack_send(cmd->volume, cmd->argc, cmd->argv);
}

/* Print one volume's status; returns 0 or -errno with err set. */
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

static int restack_cmd_status(const struct restack_cmd *cmd)
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

static int restack_cmd_table(const struct restack_cmd *cmd)
{
	struct restack_err err = { "" };
	struct restack_table_status ts;
	char *params = NULL;
	uint64_t len = 0;

	if (restack_dm_table(cmd->volume, &len, &params, &err))
		return restack_fail(&err);
	/* Validate against the contract before handing it out. */
	if (restack_table_status_parse(params, &ts, &err)) {
		free(params);
		restack_err_prefix(&err, -EINVAL, "%s", cmd->volume);
		return restack_fail(&err);
	}
	restack_table_status_release(&ts);
	printf("0 %llu %s %s\n", (unsigned long long)len, RESTACK_TARGET_NAME,
	       params);
	free(params);
	return RESTACK_EXIT_OK;
}

int main(int argc, char *argv[])
{
	struct restack_err err = { "" };
	struct restack_cmd cmd;
	int rc;

	if (restack_args_parse(argc, argv, &cmd, &err)) {
		const char *name = restack_cmd_name(cmd.id);

		fprintf(stderr, "restack: %s (try 'restack%s%s --help')\n",
			err.msg, name ? " " : "", name ? name : "");
		restack_args_release(&cmd);
		return RESTACK_EXIT_USAGE;
	}
	if (cmd.version) {
		printf("restack %s (target %s %s)\n", RESTACK_VERSION_STRING,
		       RESTACK_TARGET_NAME, RESTACK_VERSION_STRING);
		rc = RESTACK_EXIT_OK;
	} else if (cmd.help) {
		restack_args_help(stdout, cmd.id);
		rc = RESTACK_EXIT_OK;
	} else {
		switch (cmd.id) {
		case RESTACK_CMD_CREATE:  rc = restack_cmd_create(&cmd); break;
		case RESTACK_CMD_REMOVE:  rc = restack_cmd_remove(&cmd); break;
		case RESTACK_CMD_ATTACH:  rc = restack_cmd_attach(&cmd); break;
		case RESTACK_CMD_DETACH:  rc = restack_cmd_detach(&cmd); break;
		case RESTACK_CMD_STATUS:  rc = restack_cmd_status(&cmd); break;
		case RESTACK_CMD_TABLE:   rc = restack_cmd_table(&cmd); break;
		case RESTACK_CMD_MESSAGE: rc = restack_cmd_message(&cmd); break;
		case RESTACK_CMD_TRACE:
		case RESTACK_CMD_DUMP:
		case RESTACK_CMD_IMPORT:  rc = restack_trace_cmd_run(&cmd); break;
		case RESTACK_CMD_MRC:
		case RESTACK_CMD_REPORT:
		case RESTACK_CMD_RECOMMEND: rc = restack_analyze_cmd_run(&cmd); break;
		case RESTACK_CMD_DAEMON:  rc = restack_daemon_cmd_run(&cmd); break;
		case RESTACK_CMD_REPLAY:  rc = restack_replay_cmd_run(&cmd); break;
		default:
			restack_err_set(&err, -EINVAL, "internal error: command %d",
					(int)cmd.id);
			rc = restack_fail(&err);
		}
	}
	restack_args_release(&cmd);
	restack_dm_exit();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "restack: writing output: %s\n", strerror(errno));
		rc = RESTACK_EXIT_FAILURE;
	}
	return rc;
}
