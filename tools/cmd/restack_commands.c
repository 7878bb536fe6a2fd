// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_commands.c - the table of every restack subcommand (see
 * restack_cmd.h; README.md, "Adding a subcommand") and what their
 * runners share.
 */
#include <stdio.h>

#include "cmd/restack_cmd.h"

const struct restack_command *const restack_commands[RESTACK_NR_CMDS] = {
	[RESTACK_CMD_CREATE] = &restack_create_command,
	[RESTACK_CMD_REMOVE] = &restack_remove_command,
	[RESTACK_CMD_ATTACH] = &restack_attach_command,
	[RESTACK_CMD_DETACH] = &restack_detach_command,
	[RESTACK_CMD_STATUS] = &restack_status_command,
	[RESTACK_CMD_TABLE] = &restack_table_command,
	[RESTACK_CMD_MESSAGE] = &restack_message_command,
	[RESTACK_CMD_TRACE] = &restack_trace_command,
	[RESTACK_CMD_DUMP] = &restack_dump_command,
	[RESTACK_CMD_IMPORT] = &restack_import_command,
	[RESTACK_CMD_MRC] = &restack_mrc_command,
	[RESTACK_CMD_REPORT] = &restack_report_command,
	[RESTACK_CMD_RECOMMEND] = &restack_recommend_command,
	[RESTACK_CMD_DAEMON] = &restack_daemon_command,
	[RESTACK_CMD_REPLAY] = &restack_replay_command,
};

void restack_report(const struct restack_err *err)
{
	fprintf(stderr, "restack: %s\n",
		err->msg[0] ? err->msg : "unknown error");
}

/* Report err and return the operational-failure exit code. */
int restack_fail(const struct restack_err *err)
{
	restack_report(err);
	return RESTACK_EXIT_FAILURE;
}
