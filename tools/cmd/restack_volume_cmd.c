// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_volume_cmd.c - the volume commands: create, remove, attach,
 * detach, table and message (status: restack_status_cmd.c).  Each is a
 * struct restack_command (restack_cmd.h): usage, help, parser, runner.
 * The parsers are pure; the runners talk to the kernel through the
 * library (lib/control).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/restack_cmd.h"
#include "core/restack_core.h"

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

/* ---------------------------------------------------------------- */
/* create                                                            */
/* ---------------------------------------------------------------- */

static int restack_parse_size(struct restack_cmd *cmd, const char *val,
			      struct restack_err *err)
{
	uint64_t v;
	int r;

	if (cmd->have_size)
		return restack_err_set(err, -EINVAL,
				       "%s: --size given more than once",
				       restack_cmd_name(cmd->id));
	r = restack_parse_u64(val, strlen(val), &v);
	if (r == -ERANGE)
		return restack_err_set(err, -EINVAL,
				       "%s: --size \"%.64s\" is out of range",
				       restack_cmd_name(cmd->id), val);
	if (r)
		return restack_err_set(err, -EINVAL,
				       "%s: --size \"%.64s\" is not a number of sectors (unsigned decimal)",
				       restack_cmd_name(cmd->id), val);
	if (v == 0)
		return restack_err_set(err, -EINVAL,
				       "%s: --size must be greater than 0",
				       restack_cmd_name(cmd->id));
	if (v > UINT64_MAX / 512)
		return restack_err_set(err, -EINVAL,
				       "%s: --size \"%.64s\" is out of range",
				       restack_cmd_name(cmd->id), val);
	cmd->have_size = true;
	cmd->size = v;
	return 0;
}

static int parse_create(struct restack_cmd *cmd, int n,
			char *const av[], struct restack_err *err)
{
	bool done = false;
	int kind;
	int i, r;

	for (i = 0; (kind = restack_next_arg(cmd, n, av, &i, &done)); i++) {
		const char *a = av[i];

		if (kind == RESTACK_ARG_HELP)
			return 0;
		if (kind == RESTACK_ARG_OPTION) {
			if (!strcmp(a, "--size") || !strncmp(a, "--size=", 7)) {
				const char *val = a[6] ? a + 7 : NULL;

				if (!val) {
					if (i + 1 >= n)
						return restack_err_set(err, -EINVAL,
								       "create: --size needs a value");
					val = av[++i];
				}
				r = restack_parse_size(cmd, val, err);
				if (r)
					return restack_usage(cmd, n, av, i + 1,
							     err, r);
				continue;
			}
			if (!strcmp(a, "--policy") ||
			    !strncmp(a, "--policy=", 9)) {
				const char *val = a[8] ? a + 9 : NULL;

				if (!val) {
					if (i + 1 >= n)
						return restack_err_set(err, -EINVAL,
								       "create: --policy needs a policy name");
					val = av[++i];
				}
				cmd->policy = val;
				cmd->argc = (unsigned int)(n - i - 1);
				cmd->argv = (const char *const *)av + i + 1;
				break;
			}
			return restack_unknown_option(cmd, n, av, i, err);
		}
		if (!cmd->volume)
			cmd->volume = a;
		else if (!cmd->origin)
			cmd->origin = a;
		else
			return restack_extra_arg(cmd, n, av, i, err);
	}
	if (!cmd->volume)
		return restack_missing(cmd, "<name>", err);
	if (!cmd->origin)
		return restack_missing(cmd, "<origin>", err);
	r = restack_check_volume(cmd, cmd->volume, err);
	if (r)
		return r;
	r = restack_check_token("origin", cmd->origin, err);
	if (r)
		return restack_invalid(cmd, r, err);
	if (cmd->policy)
		return restack_check_policy(cmd, err);
	return 0;
}


static int run_create(const struct restack_cmd *cmd)
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

const struct restack_command restack_create_command = {
	.name = "create",
	.usage = "<name> <origin> [--size <sectors>] [--policy <name> [args...]]",
	.help =
		"Create and activate volume <name> passing through to <origin>\n"
		"(an absolute or relative block device path, or <major>:<minor>).\n"
		"\n"
		"  --size <sectors>  volume length in 512-byte sectors; default:\n"
		"                    the size of <origin>\n"
		"  --policy <name>   come up attached to policy <name>; every\n"
		"                    argument after <name> is a policy argument\n",
	.parse = parse_create,
	.run = run_create,
};

/* ---------------------------------------------------------------- */
/* remove, attach, detach, table, message                            */
/* ---------------------------------------------------------------- */

/* <vol> <policy> [args...]: the arguments after <policy> verbatim. */
static int parse_attach(struct restack_cmd *cmd, int n, char *const av[],
			struct restack_err *err)
{
	const char **pos[2] = { &cmd->volume, &cmd->policy };
	int got, r;

	got = restack_parse_positional(cmd, n, av, 2, true, pos, err);
	if (got < 0 || cmd->help)
		return got < 0 ? got : 0;
	if (got < 1)
		return restack_missing(cmd, "<vol>", err);
	if (got < 2)
		return restack_missing(cmd, "<policy>", err);
	r = restack_check_volume(cmd, cmd->volume, err);
	if (!r)
		r = restack_check_policy(cmd, err);
	return r;
}

/* <vol> <words...>: the words verbatim, checked as the sender will. */
static int parse_message(struct restack_cmd *cmd, int n, char *const av[],
			 struct restack_err *err)
{
	const char **pos[1] = { &cmd->volume };
	char *msg = NULL;
	int got, r;

	got = restack_parse_positional(cmd, n, av, 1, true, pos, err);
	if (got < 0 || cmd->help)
		return got < 0 ? got : 0;
	if (got < 1)
		return restack_missing(cmd, "<vol>", err);
	if (cmd->argc == 0)
		return restack_missing(cmd, "message words", err);
	r = restack_check_volume(cmd, cmd->volume, err);
	if (r)
		return r;
	/* Same validation the sender applies. */
	r = restack_message_build(cmd->argc, cmd->argv, &msg, err);
	free(msg);
	return r ? restack_invalid(cmd, r, err) : 0;
}

/* remove, detach, table: exactly one <vol> (<name> for remove). */
static int parse_one_volume(struct restack_cmd *cmd, int n, char *const av[],
			    struct restack_err *err)
{
	const char **pos[1] = { &cmd->volume };
	int got;

	got = restack_parse_positional(cmd, n, av, 1, false, pos, err);
	if (got < 0 || cmd->help)
		return got < 0 ? got : 0;
	if (got < 1)
		return restack_missing(cmd, cmd->id == RESTACK_CMD_REMOVE ?
				       "<name>" : "<vol>", err);
	return restack_check_volume(cmd, cmd->volume, err);
}

static int run_remove(const struct restack_cmd *cmd)
{
	struct restack_err err = { "" };

	if (restack_dm_remove(cmd->volume, &err))
		return restack_fail(&err);
	return RESTACK_EXIT_OK;
}

const struct restack_command restack_remove_command = {
	.name = "remove",
	.usage = "<name>",
	.help = "Remove restack volume <name> (refuses other device-mapper devices).\n",
	.parse = parse_one_volume,
	.run = run_remove,
};

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

static int run_attach(const struct restack_cmd *cmd)
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

const struct restack_command restack_attach_command = {
	.name = "attach",
	.usage = "<vol> <policy> [args...]",
	.help =
		"Load module dm-restack-<policy> if needed and attach <policy> to\n"
		"<vol> live.  <vol> must be detached: with a policy attached the\n"
		"kernel refuses (EBUSY); detach it first.  Every argument after\n"
		"<policy> is passed to the policy verbatim.\n",
	.parse = parse_attach,
	.run = run_attach,
};

static int run_detach(const struct restack_cmd *cmd)
{
	static const char *const detach[] = { "detach" };

	return restack_send(cmd->volume, 1, detach);
}

const struct restack_command restack_detach_command = {
	.name = "detach",
	.usage = "<vol>",
	.help = "Sync the attached policy and return <vol> to pass-through.\n",
	.parse = parse_one_volume,
	.run = run_detach,
};

static int run_table(const struct restack_cmd *cmd)
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

const struct restack_command restack_table_command = {
	.name = "table",
	.usage = "<vol>",
	.help =
		"Print the table of <vol> (\"0 <len> restack <maj:min> [policy ...]\");\n"
		"loading it again recreates the current state.\n",
	.parse = parse_one_volume,
	.run = run_table,
};

static int run_message(const struct restack_cmd *cmd)
{
	return restack_send(cmd->volume, cmd->argc, cmd->argv);
}

const struct restack_command restack_message_command = {
	.name = "message",
	.usage = "<vol> <words...>",
	.help =
		"Send a message to <vol> (like \"dmsetup message <vol> 0 <words>\")\n"
		"and print the reply, if any.\n",
	.parse = parse_message,
	.run = run_message,
};
