/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_daemon_cmd.h - `restack daemon` (Documentation/daemon.rst).
 */
#ifndef RESTACK_DAEMON_CMD_H
#define RESTACK_DAEMON_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "core/restack_core.h"
#include "cmd/restack_args.h"

struct restack_daemon_args {
	const char *config;
	const char *state_dir;		/* NULL: the config's */
	const char *events;		/* NULL: the config's */
	bool once;
	int log_level;			/* enum restack_log_level */
};

/* Parse the arguments after "daemon"; -EINVAL with a message. */
int restack_daemon_args_parse(unsigned int argc, const char *const *argv,
			      struct restack_daemon_args *a,
			      struct restack_err *err);

/* Run the daemon; returns the exit code. */
int restack_daemon_cmd_run(const struct restack_cmd *cmd);

#endif /* RESTACK_DAEMON_CMD_H */
