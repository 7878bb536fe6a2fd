// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack.c - the restack command-line tool.
 *
 * restack_args_parse() (cmd/restack_args.c) finds the command and runs
 * its parser; main() runs it from the command table (cmd/restack_cmd.h),
 * and turns failures into one line on stderr plus an exit code (0 ok, 1
 * operational error, 2 usage error).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/restack_cmd.h"
#include "core/restack_core.h"

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
	} else if (cmd.id > RESTACK_CMD_NONE && cmd.id < RESTACK_NR_CMDS) {
		rc = restack_commands[cmd.id]->run(&cmd);
	} else {
		restack_err_set(&err, -EINVAL, "internal error: command %d",
				(int)cmd.id);
		rc = restack_fail(&err);
	}
	restack_args_release(&cmd);
	restack_dm_exit();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "restack: writing output: %s\n", strerror(errno));
		rc = RESTACK_EXIT_FAILURE;
	}
	return rc;
}
