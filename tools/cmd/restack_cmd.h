/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_cmd.h - the command pattern of the restack CLI.
 *
 * Every subcommand is one struct restack_command: its usage line and
 * help text (what `restack <command> --help` prints), its parser and its
 * runner, defined together in the cmd/<family>_cmd.c that holds the
 * command, and registered in the one table restack_commands[]
 * (restack_commands.c), indexed by enum restack_cmd_id.  restack_args.c
 * parses the command line up to the command's name and hands the rest
 * to the command's parser; main() (../restack.c) calls its runner.
 */
#ifndef RESTACK_CMD_H
#define RESTACK_CMD_H

#include <stdbool.h>

#include "cmd/restack_args.h"

struct restack_command {
	const char *name;
	const char *usage;	/* arguments after the command name */
	const char *help;	/* description, may span lines */
	/*
	 * The @n arguments after the command's name into @cmd: 0, or a
	 * negative errno with a one-line message in @err (cmd->help set
	 * makes the error moot).  NULL: they are kept verbatim in
	 * cmd->argc/argv for @run to parse, only --help being noted.
	 */
	int (*parse)(struct restack_cmd *cmd, int n, char *const av[],
		     struct restack_err *err);
	/* Run a parsed command line; returns the exit code. */
	int (*run)(const struct restack_cmd *cmd);
};

/* Every command, by id; [RESTACK_CMD_NONE] is NULL. */
extern const struct restack_command *const restack_commands[RESTACK_NR_CMDS];

extern const struct restack_command restack_create_command;
extern const struct restack_command restack_remove_command;
extern const struct restack_command restack_attach_command;
extern const struct restack_command restack_detach_command;
extern const struct restack_command restack_status_command;
extern const struct restack_command restack_table_command;
extern const struct restack_command restack_message_command;
extern const struct restack_command restack_trace_command;
extern const struct restack_command restack_dump_command;
extern const struct restack_command restack_import_command;
extern const struct restack_command restack_mrc_command;
extern const struct restack_command restack_report_command;
extern const struct restack_command restack_recommend_command;
extern const struct restack_command restack_daemon_command;
extern const struct restack_command restack_replay_command;

/* ---- helpers the parsers share (restack_args.c) ---- */

bool restack_is_help(const char *a);

/*
 * A parser's loop: the kind of the next argument from av[*@i] on, the
 * first "--" passed over (*@done set; everything after it is a word).
 * RESTACK_ARG_NONE at the end; RESTACK_ARG_HELP for -h or --help before
 * "--" (cmd->help is set: the parser returns 0); RESTACK_ARG_OPTION for
 * an option-like argument before "--"; RESTACK_ARG_WORD otherwise.
 */
enum { RESTACK_ARG_NONE, RESTACK_ARG_HELP, RESTACK_ARG_OPTION, RESTACK_ARG_WORD };
int restack_next_arg(struct restack_cmd *cmd, int n, char *const av[], int *i,
		     bool *done);
/* Looks like an option (and is not the lone "-"). */
bool restack_is_option(const char *a);
/* Usage error @code, unless a --help follows av[from..n) (before "--"). */
int restack_usage(struct restack_cmd *cmd, int n, char *const av[],
		  int from, struct restack_err *err, int code);
int restack_unknown_option(struct restack_cmd *cmd, int n, char *const av[],
			   int i, struct restack_err *err);
int restack_extra_arg(struct restack_cmd *cmd, int n, char *const av[],
		      int i, struct restack_err *err);
/* "<command>: missing <what>" */
int restack_missing(struct restack_cmd *cmd, const char *what,
		    struct restack_err *err);
/* @err prefixed with the command's name; returns @r. */
int restack_invalid(struct restack_cmd *cmd, int r, struct restack_err *err);
/* cmd->policy and its verbatim arguments cmd->argc/argv. */
int restack_check_policy(struct restack_cmd *cmd, struct restack_err *err);
int restack_check_volume(struct restack_cmd *cmd, const char *name,
			 struct restack_err *err);
/*
 * @npos leading positionals into *@pos[..], then (if @verbatim) all the
 * remaining arguments verbatim in cmd->argc/argv; returns how many
 * positionals were given, or a negative errno.
 */
int restack_parse_positional(struct restack_cmd *cmd, int n, char *const av[],
			     int npos, bool verbatim, const char **pos[],
			     struct restack_err *err);

/* ---- helpers the runners share (restack_commands.c) ---- */

/* "restack: <message>" on stderr. */
void restack_report(const struct restack_err *err);
/* restack_report(), then RESTACK_EXIT_FAILURE. */
int restack_fail(const struct restack_err *err);

#endif /* RESTACK_CMD_H */
