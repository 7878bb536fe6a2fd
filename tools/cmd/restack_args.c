// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_args.c - the command line up to the command name (global
 * --help, --version, `help <command>`), the help texts from the command
 * table, and the helpers every command's parser shares.  Pure parsing
 * and validation: no kernel interaction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/restack_cmd.h"

const char *restack_cmd_name(enum restack_cmd_id id)
{
	if (id <= RESTACK_CMD_NONE || id >= RESTACK_NR_CMDS)
		return NULL;
	return restack_commands[id]->name;
}

static enum restack_cmd_id restack_cmd_lookup(const char *name)
{
	int i;

	for (i = RESTACK_CMD_NONE + 1; i < RESTACK_NR_CMDS; i++)
		if (!strcmp(restack_commands[i]->name, name))
			return (enum restack_cmd_id)i;
	return RESTACK_CMD_NONE;
}

void restack_args_help(FILE *out, enum restack_cmd_id id)
{
	int i;

	if (id > RESTACK_CMD_NONE && id < RESTACK_NR_CMDS) {
		fprintf(out, "Usage: restack %s %s\n\n%s",
			restack_commands[id]->name, restack_commands[id]->usage,
			restack_commands[id]->help);
		fputs("\nExit status: 0 success, 1 operational error, 2 usage error.\n",
		      out);
		return;
	}
	fputs("Usage: restack <command> [args...]\n"
	      "       restack <command> --help\n"
	      "       restack --version\n"
	      "\n"
	      "Manage dm-restack volumes.  Commands:\n", out);
	for (i = RESTACK_CMD_NONE + 1; i < RESTACK_NR_CMDS; i++)
		fprintf(out, "  %-8s %s\n", restack_commands[i]->name,
			restack_commands[i]->usage);
	fputs("\nSet RESTACK_DEBUG=1 to see libdevmapper/libkmod diagnostics.\n"
	      "Exit status: 0 success, 1 operational error, 2 usage error.\n",
	      out);
}

/* ---------------------------------------------------------------- */

bool restack_is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

int restack_next_arg(struct restack_cmd *cmd, int n, char *const av[], int *i,
		     bool *done)
{
	for (; *i < n; (*i)++) {
		const char *a = av[*i];

		if (*done)
			return RESTACK_ARG_WORD;
		if (restack_is_help(a)) {
			cmd->help = true;
			return RESTACK_ARG_HELP;
		}
		if (!strcmp(a, "--")) {
			*done = true;
			continue;
		}
		return restack_is_option(a) ? RESTACK_ARG_OPTION : RESTACK_ARG_WORD;
	}
	return RESTACK_ARG_NONE;
}

/* Looks like an option (and is not the lone "-"). */
bool restack_is_option(const char *a)
{
	return a[0] == '-' && a[1] != '\0';
}

/*
 * After a usage error at av[from-1], a later --help (before "--") still
 * wins, so "restack create --size x --help" shows help.
 */
static bool restack_help_later(int n, char *const av[], int from)
{
	int i;

	for (i = from; i < n; i++) {
		if (!strcmp(av[i], "--"))
			return false;
		if (restack_is_help(av[i]))
			return true;
	}
	return false;
}

/* Usage error, unless help is requested further on. */
int restack_usage(struct restack_cmd *cmd, int n, char *const av[],
		  int from, struct restack_err *err, int code)
{
	if (restack_help_later(n, av, from)) {
		restack_err_clear(err);
		cmd->help = true;
		return 0;
	}
	return code;
}

int restack_unknown_option(struct restack_cmd *cmd, int n,
			   char *const av[], int i,
			   struct restack_err *err)
{
	restack_err_set(err, -EINVAL, "%s: unknown option \"%.64s\"",
			restack_cmd_name(cmd->id), av[i]);
	return restack_usage(cmd, n, av, i + 1, err, -EINVAL);
}

int restack_extra_arg(struct restack_cmd *cmd, int n, char *const av[],
		      int i, struct restack_err *err)
{
	restack_err_set(err, -EINVAL, "%s: unexpected argument \"%.64s\"",
			restack_cmd_name(cmd->id), av[i]);
	return restack_usage(cmd, n, av, i + 1, err, -EINVAL);
}

int restack_missing(struct restack_cmd *cmd, const char *what,
		    struct restack_err *err)
{
	return restack_err_set(err, -EINVAL, "%s: missing %s",
			       restack_cmd_name(cmd->id), what);
}

/* Validation failures of names/values are prefixed with the command. */
int restack_invalid(struct restack_cmd *cmd, int r,
		    struct restack_err *err)
{
	return restack_err_prefix(err, r, "%s", restack_cmd_name(cmd->id));
}

/* Policy name plus its verbatim arguments. */
int restack_check_policy(struct restack_cmd *cmd,
			 struct restack_err *err)
{
	char what[48];
	unsigned int i;
	int r;

	r = restack_check_policy_name(cmd->policy, err);
	if (r)
		return restack_invalid(cmd, r, err);
	if (cmd->argc > RESTACK_POLICY_ARGS_MAX)
		return restack_err_set(err, -EINVAL,
				       "%s: too many policy arguments (%u, at most %d)",
				       restack_cmd_name(cmd->id), cmd->argc,
				       RESTACK_POLICY_ARGS_MAX);
	for (i = 0; i < cmd->argc; i++) {
		snprintf(what, sizeof(what), "policy argument %u", i + 1);
		r = restack_check_token(what, cmd->argv[i], err);
		if (r)
			return restack_invalid(cmd, r, err);
	}
	return 0;
}

int restack_check_volume(struct restack_cmd *cmd, const char *name,
			 struct restack_err *err)
{
	int r = restack_check_volume_name(name, err);

	return r ? restack_invalid(cmd, r, err) : 0;
}

/*
 * Commands taking npos leading positionals, then (if verbatim) all
 * remaining arguments verbatim in cmd->argc/argv.
 */
int restack_parse_positional(struct restack_cmd *cmd, int n,
			     char *const av[], int npos, bool verbatim,
			     const char **pos[], struct restack_err *err)
{
	bool done = false;
	int i, kind, got = 0;

	for (i = 0; (kind = restack_next_arg(cmd, n, av, &i, &done)); i++) {
		const char *a = av[i];

		if (kind == RESTACK_ARG_HELP)
			return 0;
		if (kind == RESTACK_ARG_OPTION)
			return restack_unknown_option(cmd, n, av, i, err);
		if (got < npos) {
			*pos[got++] = a;
			if (got == npos && verbatim) {
				cmd->argc = (unsigned int)(n - i - 1);
				cmd->argv = (const char *const *)av + i + 1;
				break;
			}
			continue;
		}
		return restack_extra_arg(cmd, n, av, i, err);
	}
	return got;
}

int restack_args_parse(int argc, char *const argv[], struct restack_cmd *cmd,
		       struct restack_err *err)
{
	const char *a;
	int n, r, i;

	memset(cmd, 0, sizeof(*cmd));
	restack_err_clear(err);
	if (argc < 2 || !argv[1])
		return restack_err_set(err, -EINVAL, "missing command");
	a = argv[1];
	if (restack_is_help(a) || !strcmp(a, "--version") ||
	    !strcmp(a, "-V")) {
		if (argc > 2)
			return restack_err_set(err, -EINVAL,
					       "unexpected argument \"%.64s\"",
					       argv[2]);
		cmd->help = restack_is_help(a);
		cmd->version = !cmd->help;
		return 0;
	}
	if (!strcmp(a, "help")) {
		if (argc > 2) {
			cmd->id = restack_cmd_lookup(argv[2]);
			if (cmd->id == RESTACK_CMD_NONE)
				return restack_err_set(err, -EINVAL,
						       "help: unknown command \"%.64s\"",
						       argv[2]);
		}
		if (argc > 3)
			return restack_err_set(err, -EINVAL,
					       "help: unexpected argument \"%.64s\"",
					       argv[3]);
		cmd->help = true;
		return 0;
	}
	if (restack_is_option(a))
		return restack_err_set(err, -EINVAL, "unknown option \"%.64s\"", a);
	cmd->id = restack_cmd_lookup(a);
	if (cmd->id == RESTACK_CMD_NONE)
		return restack_err_set(err, -EINVAL, "unknown command \"%.64s\"", a);

	n = argc - 2;
	argv += 2;
	if (restack_commands[cmd->id]->parse) {
		r = restack_commands[cmd->id]->parse(cmd, n, argv, err);
	} else {
		/* Verbatim: the command's runner parses them. */
		r = 0;
		for (i = 0; i < n && strcmp(argv[i], "--"); i++)
			if (restack_is_help(argv[i]))
				cmd->help = true;
		cmd->argc = (unsigned int)n;
		cmd->argv = (const char *const *)argv;
	}
	if (cmd->help) {
		restack_err_clear(err);
		return 0;
	}
	return r;
}

void restack_args_release(struct restack_cmd *cmd)
{
	if (!cmd)
		return;
	free(cmd->vols);
	cmd->vols = NULL;
	cmd->nvols = 0;
}
