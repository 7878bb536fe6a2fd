// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-parse.c - parsing of restack table lines and messages.
 *
 * See dm-restack-parse.h for the contract.  Kept free of device-mapper
 * calls so that the KUnit suite in tests/kunit/ can link it alone.
 */
#include "dm-restack-parse.h"

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

bool restack_policy_name_valid(const char *name)
{
	size_t len, i;

	if (!name)
		return false;
	len = strnlen(name, RESTACK_POLICY_NAME_MAX);
	if (len == 0 || len >= RESTACK_POLICY_NAME_MAX)
		return false;
	if (name[0] == '-' || name[len - 1] == '-')
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Parse a policy's <#args> token: plain decimal, no sign, no overflow. */
static int parse_policy_argc(const char *token, unsigned int *argc)
{
	if (!token || token[0] < '0' || token[0] > '9')
		return -EINVAL;
	return kstrtouint(token, 10, argc);
}

int restack_parse_table(unsigned int argc, char **argv,
			struct restack_table_args *out, const char **error)
{
	unsigned int nr_args;

	memset(out, 0, sizeof(*out));

	if (argc < 1) {
		*error = "Missing origin device argument";
		return -EINVAL;
	}
	if (!argv[0][0]) {
		*error = "Empty origin device name";
		return -EINVAL;
	}
	out->origin = argv[0];
	if (argc == 1)
		return 0;

	if (strcmp(argv[1], "policy")) {
		*error = "Unexpected argument after origin device: expected 'policy'";
		return -EINVAL;
	}
	if (argc < 4) {
		*error = "Incomplete policy: expected policy <name> <#args> [<arg>...]";
		return -EINVAL;
	}
	if (!restack_policy_name_valid(argv[2])) {
		*error = "Invalid policy name: use 1-31 characters of [a-z0-9_-]";
		return -EINVAL;
	}
	if (parse_policy_argc(argv[3], &nr_args)) {
		*error = "Invalid policy argument count: expected a decimal number";
		return -EINVAL;
	}
	if (nr_args > RESTACK_POLICY_ARGS_MAX) {
		*error = "Too many policy arguments";
		return -EINVAL;
	}
	if (nr_args != argc - 4) {
		*error = "Policy argument count does not match the arguments given";
		return -EINVAL;
	}

	out->policy = argv[2];
	out->policy_argc = nr_args;
	out->policy_argv = nr_args ? &argv[4] : NULL;
	return 0;
}

int restack_parse_message(unsigned int argc, char **argv,
			  struct restack_message *out, const char **error)
{
	memset(out, 0, sizeof(*out));

	if (argc < 1 || !argv[0][0]) {
		*error = "Empty message";
		return -EINVAL;
	}

	if (!strcasecmp(argv[0], "attach")) {
		if (argc < 2) {
			*error = "attach: missing policy name";
			return -EINVAL;
		}
		if (!restack_policy_name_valid(argv[1])) {
			*error = "attach: invalid policy name: use 1-31 characters of [a-z0-9_-]";
			return -EINVAL;
		}
		if (argc - 2 > RESTACK_POLICY_ARGS_MAX) {
			*error = "attach: too many policy arguments";
			return -EINVAL;
		}
		out->kind = RESTACK_MSG_ATTACH;
		out->policy = argv[1];
		out->argc = argc - 2;
		out->argv = argc > 2 ? &argv[2] : NULL;
		return 0;
	}

	if (!strcasecmp(argv[0], "detach")) {
		if (argc != 1) {
			*error = "detach: takes no arguments";
			return -EINVAL;
		}
		out->kind = RESTACK_MSG_DETACH;
		return 0;
	}

	out->kind = RESTACK_MSG_POLICY;
	out->argc = argc;
	out->argv = argv;
	return 0;
}
