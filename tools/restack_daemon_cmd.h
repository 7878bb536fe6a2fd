/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_daemon_cmd.h - `restack daemon` and the daemon's part of
 * `restack status` (Documentation/daemon.rst).
 */
#ifndef RESTACK_DAEMON_CMD_H
#define RESTACK_DAEMON_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "restack.h"
#include "restack_args.h"

#define RESTACK_DAEMON_STATE_DIR	"/run/restack"

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

/*
 * The state file of @volume in @state_dir (NULL: the default) as one
 * malloc'ed line holding a JSON object, or NULL if there is none.
 */
char *restack_daemon_state_read(const char *state_dir, const char *volume);

/* Human-readable "daemon:" block for a state file's object. */
void restack_daemon_status_text(FILE *out, const char *state);

#endif /* RESTACK_DAEMON_CMD_H */
