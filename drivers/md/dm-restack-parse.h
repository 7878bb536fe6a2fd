/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-restack-parse.h - parsing of restack table lines and messages.
 *
 * These parsers are pure functions of their arguments: they allocate
 * nothing, take no locks and touch no device, so the constructor and the
 * message handler can validate everything before changing any state, and
 * KUnit can test them without a device-mapper table.
 *
 * Every returned pointer points into the caller's argv; *error is set to a
 * static string suitable for ti->error or a DMERR line.
 */
#ifndef DM_RESTACK_PARSE_H
#define DM_RESTACK_PARSE_H

#include <linux/types.h>
#include <uapi/linux/dm-restack.h>

/*
 * "dm-restack-<name>" (the module) and "dm-restack-policy-<name>" (the
 * alias request_module() is given) must fit MODULE_NAME_LEN (56 with the
 * NUL: 18 + 31 + 1 do); see the uapi header.
 */
#define RESTACK_POLICY_NAME_MAX	DM_RESTACK_POLICY_NAME_MAX
#define RESTACK_POLICY_ARGS_MAX	DM_RESTACK_POLICY_ARGS_MAX

/* A parsed table line: <origin_dev> [policy <name> <#args> [<arg>...]] */
struct restack_table_args {
	const char *origin;
	const char *policy;		/* NULL: the volume starts detached */
	unsigned int policy_argc;
	char **policy_argv;
};

enum restack_message_kind {
	RESTACK_MSG_ATTACH,		/* attach <policy> [<arg>...] */
	RESTACK_MSG_DETACH,		/* detach */
	RESTACK_MSG_POLICY,		/* anything else: for the attached policy */
};

struct restack_message {
	enum restack_message_kind kind;
	const char *policy;		/* RESTACK_MSG_ATTACH only */
	unsigned int argc;		/* policy arguments, or the whole message */
	char **argv;
};

/*
 * restack_policy_name_valid - may @name be used as a policy name?
 *
 * A name becomes part of a module name passed to request_module(), so only
 * [a-z0-9_] and inner '-' are accepted, 1 to RESTACK_POLICY_NAME_MAX - 1
 * characters long.
 */
bool restack_policy_name_valid(const char *name);

/*
 * restack_parse_table - split a restack table line.
 * Returns 0, or -EINVAL with *error naming the problem.
 */
int restack_parse_table(unsigned int argc, char **argv,
			struct restack_table_args *out, const char **error);

/*
 * restack_parse_message - classify a message sent to a restack volume.
 * Returns 0, or -EINVAL with *error naming the problem.  Messages for the
 * attached policy are returned as RESTACK_MSG_POLICY without further
 * checks; the policy validates its own words.
 */
int restack_parse_message(unsigned int argc, char **argv,
			  struct restack_message *out, const char **error);

#endif /* DM_RESTACK_PARSE_H */
