/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_args.h - command-line parsing for the restack CLI, kept free
 * of any kernel interaction so it can be unit tested.
 */
#ifndef RESTACK_ARGS_H
#define RESTACK_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/restack_core.h"

/* Exit codes of the CLI. */
#define RESTACK_EXIT_OK		0
#define RESTACK_EXIT_FAILURE	1	/* operational error */
#define RESTACK_EXIT_USAGE	2	/* bad command line */

enum restack_cmd_id {
	RESTACK_CMD_NONE = 0,	/* global: restack --help / --version */
	RESTACK_CMD_CREATE,
	RESTACK_CMD_REMOVE,
	RESTACK_CMD_ATTACH,
	RESTACK_CMD_DETACH,
	RESTACK_CMD_STATUS,
	RESTACK_CMD_TABLE,
	RESTACK_CMD_MESSAGE,
	RESTACK_CMD_TRACE,	/* restack_trace_cmd.c parses the arguments */
	RESTACK_CMD_DUMP,
	RESTACK_CMD_IMPORT,
	RESTACK_CMD_MRC,	/* restack_analyze_cmd.c parses the arguments */
	RESTACK_CMD_REPORT,
	RESTACK_CMD_RECOMMEND,
	RESTACK_CMD_DAEMON,	/* restack_daemon_cmd.c parses the arguments */
	RESTACK_CMD_REPLAY,	/* restack_replay_cmd.c parses the arguments */
	RESTACK_NR_CMDS
};

/*
 * A parsed command line.  All strings point into the argv given to
 * restack_args_parse(); only vols is allocated (release it with
 * restack_args_release()).
 */
struct restack_cmd {
	enum restack_cmd_id id;
	bool help;		/* print help for id (global help for NONE) */
	bool version;		/* restack --version */

	const char *volume;	/* create/remove/attach/detach/table/message */
	const char *origin;	/* create */
	bool have_size;		/* create --size given */
	uint64_t size;		/* create --size, sectors */
	const char *policy;	/* create --policy, attach */
	unsigned int argc;	/* policy args (create/attach), words (message),
				 * all arguments (trace/dump/import) */
	const char *const *argv;

	bool json;		/* status --json */
	const char *state_dir;	/* status --state-dir (NULL: default) */
	unsigned int nvols;	/* status volumes (0: all restack volumes) */
	const char **vols;
};

/* "create", ... for a command id; NULL for NONE/invalid. */
const char *restack_cmd_name(enum restack_cmd_id id);

/*
 * Parse argv (argv[0] is the program name).  Returns 0 with *cmd filled,
 * or -EINVAL for a usage error with a one-line message in err (the
 * caller adds the program name and exits RESTACK_EXIT_USAGE).  If
 * cmd->help or cmd->version is set, nothing else needs to be valid.
 *
 * Grammar (options may come before, between or after positionals,
 * unless noted; "--" ends option processing):
 *   restack [--help | --version]
 *   restack help [<command>]
 *   restack create <name> <origin> [--size <sectors>] [--policy <name> [args...]]
 *        everything after "--policy <name>" is passed verbatim as policy args
 *   restack remove <name>
 *   restack attach <vol> <policy> [args...]     args after <policy> verbatim
 *   restack detach <vol>
 *   restack status [<vol>...] [--json] [--state-dir <dir>]
 *   restack table <vol>
 *   restack message <vol> <words...>            words after <vol> verbatim
 *   restack trace|dump|import <args...>        all args verbatim in argc/argv
 *        (parsed by restack_trace_args_parse); only --help is handled here
 *   restack mrc|report|recommend <args...>     likewise, parsed by
 *        restack_analyze_args_parse
 *   restack daemon <args...>                  likewise, parsed by
 *        restack_daemon_args_parse
 *   restack replay <args...>                   likewise, parsed by
 *        restack_replay_args_parse
 * Names, policy names, --size and policy args/words are validated here.
 */
int restack_args_parse(int argc, char *const argv[], struct restack_cmd *cmd,
		       struct restack_err *err);

void restack_args_release(struct restack_cmd *cmd);

/* Print help for a command (RESTACK_CMD_NONE: the global overview). */
void restack_args_help(FILE *out, enum restack_cmd_id id);

#endif /* RESTACK_ARGS_H */
