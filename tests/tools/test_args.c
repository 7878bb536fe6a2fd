// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_args.c - command-line grammar of the restack CLI (no kernel).
 */
#include <errno.h>
#include <stdio.h>

#include "restack_test.h"
#include "cmd/restack_args.h"

/* Parse a NULL-terminated argument list after the program name. */
static int parse_list(struct restack_cmd *cmd, struct restack_err *err,
		      const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = "restack";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return restack_args_parse(argc, argv, cmd, err);
}

#define PARSE(cmd, err, ...) \
	parse_list(cmd, err, (const char *const[]){ __VA_ARGS__, NULL })

/* ---- valid command lines ---- */

static void test_create_minimal(void **state)
{
	struct restack_cmd cmd;
	struct restack_err err;

	(void)state;
	assert_int_equal(PARSE(&cmd, &err, "create", "v0", "/dev/vdb"), 0);
	assert_int_equal(cmd.id, RESTACK_CMD_CREATE);
	assert_false(cmd.help);
	assert_string_equal(cmd.volume, "v0");
	assert_string_equal(cmd.origin, "/dev/vdb");
	assert_false(cmd.have_size);
	assert_null(cmd.policy);
	assert_int_equal(cmd.argc, 0);
	restack_args_release(&cmd);
}

static void test_create_size(void **state)
{
	struct restack_cmd cmd;

	(void)state;
	assert_int_equal(PARSE(&cmd, NULL, "create", "v0", "8:16", "--size",
			       "2048"), 0);
	assert_string_equal(cmd.origin, "8:16");
	assert_true(cmd.have_size);
	assert_true(cmd.size == 2048);
	restack_args_release(&cmd);

	/* options before positionals, --opt=value form, max size */
	assert_int_equal(PARSE(&cmd, NULL, "create", "--size=36028797018963967",
			       "v0", "vdb"), 0);
	assert_string_equal(cmd.volume, "v0");
	assert_string_equal(cmd.origin, "vdb");
	assert_true(cmd.size == UINT64_MAX / 512);
	restack_args_release(&cmd);
}

static void test_create_policy(void **state)
{
	struct restack_cmd cmd;

	(void)state;
	assert_int_equal(PARSE(&cmd, NULL, "create", "v0", "/dev/vdb",
			       "--size", "8", "--policy", "cache", "blocks=64",
			       "--size", "5", "--help"), 0);
	assert_false(cmd.help);
	assert_true(cmd.size == 8);
	assert_string_equal(cmd.policy, "cache");
	/* everything after the policy name is a policy argument */
	assert_int_equal(cmd.argc, 4);
	assert_string_equal(cmd.argv[0], "blocks=64");
	assert_string_equal(cmd.argv[1], "--size");
	assert_string_equal(cmd.argv[2], "5");
	assert_string_equal(cmd.argv[3], "--help");
	restack_args_release(&cmd);

	assert_int_equal(PARSE(&cmd, NULL, "create", "v0", "/dev/vdb",
			       "--policy=noop"), 0);
	assert_string_equal(cmd.policy, "noop");
	assert_int_equal(cmd.argc, 0);
	restack_args_release(&cmd);
}

static void test_create_dashdash(void **state)
{
	struct restack_cmd cmd;

	(void)state;
	assert_int_equal(PARSE(&cmd, NULL, "create", "--", "-v0", "--size"), 0);
	assert_string_equal(cmd.volume, "-v0");
	assert_string_equal(cmd.origin, "--size");
	assert_false(cmd.have_size);
	restack_args_release(&cmd);
}

static void test_single_volume_commands(void **state)
{
	static const struct {
		const char *word;
		enum restack_cmd_id id;
	} cmds[] = {
		{ "remove", RESTACK_CMD_REMOVE },
		{ "detach", RESTACK_CMD_DETACH },
		{ "table", RESTACK_CMD_TABLE },
	};
	struct restack_cmd cmd;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_int_equal(PARSE(&cmd, NULL, cmds[i].word, "vol.1"), 0);
		assert_int_equal(cmd.id, cmds[i].id);
		assert_string_equal(cmd.volume, "vol.1");
		assert_string_equal(restack_cmd_name(cmd.id), cmds[i].word);
		restack_args_release(&cmd);
		assert_int_equal(PARSE(&cmd, NULL, cmds[i].word, "--", "-x"), 0);
		assert_string_equal(cmd.volume, "-x");
		restack_args_release(&cmd);
	}
}

static void test_attach(void **state)
{
	struct restack_cmd cmd;

	(void)state;
	assert_int_equal(PARSE(&cmd, NULL, "attach", "v0", "noop"), 0);
	assert_int_equal(cmd.id, RESTACK_CMD_ATTACH);
	assert_string_equal(cmd.volume, "v0");
	assert_string_equal(cmd.policy, "noop");
	assert_int_equal(cmd.argc, 0);
	restack_args_release(&cmd);

	assert_int_equal(PARSE(&cmd, NULL, "attach", "v0", "cache", "-b",
			       "--help", "x=1"), 0);
	assert_false(cmd.help);
	assert_int_equal(cmd.argc, 3);
	assert_string_equal(cmd.argv[0], "-b");
	assert_string_equal(cmd.argv[1], "--help");
	assert_string_equal(cmd.argv[2], "x=1");
	restack_args_release(&cmd);
}

static void test_status(void **state)
{
	struct restack_cmd cmd;

	(void)state;
	assert_int_equal(PARSE(&cmd, NULL, "status"), 0);
	assert_int_equal(cmd.id, RESTACK_CMD_STATUS);
	assert_int_equal(cmd.nvols, 0);
	assert_false(cmd.json);
	restack_args_release(&cmd);

	assert_int_equal(PARSE(&cmd, NULL, "status", "a", "--json", "b"), 0);
	assert_true(cmd.json);
	assert_int_equal(cmd.nvols, 2);
	assert_string_equal(cmd.vols[0], "a");
	assert_string_equal(cmd.vols[1], "b");
	restack_args_release(&cmd);
	assert_null(cmd.vols);
	assert_int_equal(cmd.nvols, 0);

	assert_int_equal(PARSE(&cmd, NULL, "status", "--json", "--", "--json"), 0);
	assert_true(cmd.json);
	assert_int_equal(cmd.nvols, 1);
	assert_string_equal(cmd.vols[0], "--json");
	restack_args_release(&cmd);
}

static void test_message(void **state)
{
	struct restack_cmd cmd;

	(void)state;
	assert_int_equal(PARSE(&cmd, NULL, "message", "v0", "attach", "noop"), 0);
	assert_int_equal(cmd.id, RESTACK_CMD_MESSAGE);
	assert_string_equal(cmd.volume, "v0");
	assert_int_equal(cmd.argc, 2);
	assert_string_equal(cmd.argv[0], "attach");
	assert_string_equal(cmd.argv[1], "noop");
	restack_args_release(&cmd);

	assert_int_equal(PARSE(&cmd, NULL, "message", "v0", "-x", "--help"), 0);
	assert_false(cmd.help);
	assert_int_equal(cmd.argc, 2);
	assert_string_equal(cmd.argv[0], "-x");
	restack_args_release(&cmd);
}

/* ---- help and version ---- */

enum help_expect { EXPECT_HELP, EXPECT_VERSION, EXPECT_NOT_HELP };

struct help_case {
	const char *name;
	const char *args[8];
	enum restack_cmd_id id;
	enum help_expect expect;
};

static const struct help_case help_cases[] = {
	{ "--help", { "--help" }, RESTACK_CMD_NONE, EXPECT_HELP },
	{ "-h", { "-h" }, RESTACK_CMD_NONE, EXPECT_HELP },
	{ "help", { "help" }, RESTACK_CMD_NONE, EXPECT_HELP },
	{ "--version", { "--version" }, RESTACK_CMD_NONE, EXPECT_VERSION },
	{ "-V", { "-V" }, RESTACK_CMD_NONE, EXPECT_VERSION },
	{ "help create", { "help", "create" }, RESTACK_CMD_CREATE, EXPECT_HELP },
	{ "help message", { "help", "message" }, RESTACK_CMD_MESSAGE, EXPECT_HELP },
	{ "create --help", { "create", "--help" }, RESTACK_CMD_CREATE, EXPECT_HELP },
	{ "create -h after args", { "create", "v", "o", "-h" },
	  RESTACK_CMD_CREATE, EXPECT_HELP },
	{ "create --help after bad size", { "create", "v", "o", "--size", "x", "--help" },
	  RESTACK_CMD_CREATE, EXPECT_HELP },
	{ "create --help after unknown option", { "create", "--frob", "--help" },
	  RESTACK_CMD_CREATE, EXPECT_HELP },
	{ "create --help after extra argument", { "create", "a", "b", "c", "--help" },
	  RESTACK_CMD_CREATE, EXPECT_HELP },
	{ "remove --help", { "remove", "--help" }, RESTACK_CMD_REMOVE, EXPECT_HELP },
	{ "attach --help", { "attach", "--help" }, RESTACK_CMD_ATTACH, EXPECT_HELP },
	{ "attach vol --help", { "attach", "v", "--help" }, RESTACK_CMD_ATTACH, EXPECT_HELP },
	{ "detach --help", { "detach", "--help" }, RESTACK_CMD_DETACH, EXPECT_HELP },
	{ "status --help", { "status", "a", "--help" }, RESTACK_CMD_STATUS, EXPECT_HELP },
	{ "status bad name then --help", { "status", "a/b", "--help" },
	  RESTACK_CMD_STATUS, EXPECT_HELP },
	{ "table --help", { "table", "--help" }, RESTACK_CMD_TABLE, EXPECT_HELP },
	{ "message --help", { "message", "--help" }, RESTACK_CMD_MESSAGE, EXPECT_HELP },
	/* after <vol> everything is a message word, even --help */
	{ "message vol --help is a word", { "message", "v", "--help" },
	  RESTACK_CMD_MESSAGE, EXPECT_NOT_HELP },
	/* "--" ends option processing: --help is a volume name then */
	{ "table -- --help is a name", { "table", "--", "--help" },
	  RESTACK_CMD_TABLE, EXPECT_NOT_HELP },
};

static const char *help_name(const void *c)
{
	return ((const struct help_case *)c)->name;
}

static void test_help_case(void **state)
{
	const struct help_case *c = *state;
	struct restack_cmd cmd;
	struct restack_err err;

	assert_int_equal(parse_list(&cmd, &err, c->args), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(cmd.id, c->id);
	assert_int_equal(cmd.help, c->expect == EXPECT_HELP);
	assert_int_equal(cmd.version, c->expect == EXPECT_VERSION);
	if (c->expect == EXPECT_NOT_HELP)
		assert_non_null(cmd.volume);
	restack_args_release(&cmd);
}

static char *help_text(enum restack_cmd_id id)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	assert_non_null(f);
	restack_args_help(f, id);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_help_texts(void **state)
{
	char *out, want[64];
	int id;

	(void)state;
	out = help_text(RESTACK_CMD_NONE);
	assert_contains(out, "Usage: restack <command> [args...]\n");
	for (id = RESTACK_CMD_NONE + 1; id < RESTACK_NR_CMDS; id++) {
		snprintf(want, sizeof(want), "\n  %-8s ", restack_cmd_name(id));
		assert_contains(out, want);
	}
	assert_contains(out, "\n  daemon   --config <file>");
	free(out);

	for (id = RESTACK_CMD_NONE + 1; id < RESTACK_NR_CMDS; id++) {
		out = help_text(id);
		snprintf(want, sizeof(want), "Usage: restack %s ",
			 restack_cmd_name(id));
		assert_true(strncmp(out, want, strlen(want)) == 0);
		assert_contains(out, "Exit status: 0 success, 1 operational error, 2 usage error.\n");
		free(out);
	}
	out = help_text(RESTACK_CMD_CREATE);
	assert_contains(out, "Usage: restack create <name> <origin> [--size <sectors>] [--policy <name> [args...]]\n");
	assert_contains(out, "--size <sectors>");
	free(out);
	assert_null(restack_cmd_name(RESTACK_CMD_NONE));
	assert_null(restack_cmd_name(RESTACK_NR_CMDS));
}

/* ---- usage errors ---- */

struct bad_case {
	const char *name;
	const char *args[12];
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "no command", { NULL }, "missing command" },
	{ "unknown command", { "frob" }, "unknown command \"frob\"" },
	{ "commands are case sensitive", { "Status" }, "unknown command \"Status\"" },
	{ "unknown global option", { "--frob" }, "unknown option \"--frob\"" },
	{ "--help with argument", { "--help", "x" }, "unexpected argument \"x\"" },
	{ "--version with argument", { "--version", "x" }, "unexpected argument \"x\"" },
	{ "help unknown command", { "help", "frob" }, "help: unknown command \"frob\"" },
	{ "help extra argument", { "help", "create", "x" }, "help: unexpected argument \"x\"" },
	{ "create no args", { "create" }, "create: missing <name>" },
	{ "create no origin", { "create", "v" }, "create: missing <origin>" },
	{ "create extra arg", { "create", "v", "o", "x" },
	  "create: unexpected argument \"x\"" },
	{ "create --size no value", { "create", "v", "o", "--size" },
	  "create: --size needs a value" },
	{ "create --size zero", { "create", "v", "o", "--size", "0" },
	  "create: --size must be greater than 0" },
	{ "create --size= empty", { "create", "v", "o", "--size=" },
	  "create: --size \"\" is not a number of sectors (unsigned decimal)" },
	{ "create --size letters", { "create", "v", "o", "--size", "1k" },
	  "create: --size \"1k\" is not a number of sectors (unsigned decimal)" },
	{ "create --size negative", { "create", "v", "o", "--size", "-1" },
	  "create: --size \"-1\" is not a number of sectors (unsigned decimal)" },
	{ "create --size overflow", { "create", "v", "o", "--size", "18446744073709551616" },
	  "create: --size \"18446744073709551616\" is out of range" },
	{ "create --size too many bytes", { "create", "v", "o", "--size", "36028797018963968" },
	  "create: --size \"36028797018963968\" is out of range" },
	{ "create --size twice", { "create", "v", "o", "--size", "1", "--size", "2" },
	  "create: --size given more than once" },
	{ "create --policy no name", { "create", "v", "o", "--policy" },
	  "create: --policy needs a policy name" },
	{ "create bad policy", { "create", "v", "o", "--policy", "Bad" },
	  "create: policy name \"Bad\": invalid character at offset 0 (allowed: [a-z0-9_-], not starting or ending with '-')" },
	{ "create empty --policy=", { "create", "v", "o", "--policy=" },
	  "create: policy name is empty" },
	{ "create policy arg with space", { "create", "v", "o", "--policy", "p", "a b" },
	  "create: policy argument 1 \"a b\" contains a space at offset 1" },
	{ "create unknown option", { "create", "v", "o", "--frob" },
	  "create: unknown option \"--frob\"" },
	{ "create bad name", { "create", "bad/name", "o" },
	  "create: volume name \"bad/name\": invalid character at offset 3 (allowed: letters, digits and #+-.:=@_)" },
	{ "create empty origin", { "create", "v", "" }, "create: origin is empty" },
	{ "create origin with space", { "create", "v", "/dev/a b" },
	  "create: origin \"/dev/a b\" contains a space at offset 6" },
	{ "remove no name", { "remove" }, "remove: missing <name>" },
	{ "remove two names", { "remove", "a", "b" }, "remove: unexpected argument \"b\"" },
	{ "remove option", { "remove", "-f", "a" }, "remove: unknown option \"-f\"" },
	{ "remove reserved name", { "remove", ".." },
	  "remove: volume name \"..\" is reserved" },
	{ "detach no vol", { "detach" }, "detach: missing <vol>" },
	{ "detach extra", { "detach", "a", "b" }, "detach: unexpected argument \"b\"" },
	{ "table no vol", { "table" }, "table: missing <vol>" },
	{ "table option", { "table", "--json", "a" }, "table: unknown option \"--json\"" },
	{ "attach no args", { "attach" }, "attach: missing <vol>" },
	{ "attach no policy", { "attach", "v" }, "attach: missing <policy>" },
	{ "attach bad policy", { "attach", "v", "no op" },
	  "attach: policy name \"no op\": invalid character at offset 2 (allowed: [a-z0-9_-], not starting or ending with '-')" },
	{ "attach empty arg", { "attach", "v", "p", "" },
	  "attach: policy argument 1 is empty" },
	{ "attach option before vol", { "attach", "--force", "v", "p" },
	  "attach: unknown option \"--force\"" },
	{ "status unknown option", { "status", "--jsn" }, "status: unknown option \"--jsn\"" },
	{ "status bad name", { "status", "ok", "a/b" },
	  "status: volume name \"a/b\": invalid character at offset 1 (allowed: letters, digits and #+-.:=@_)" },
	{ "message no vol", { "message" }, "message: missing <vol>" },
	{ "message no words", { "message", "v" }, "message: missing message words" },
	{ "message word with space", { "message", "v", "attach", "a b" },
	  "message: message word 2 \"a b\" contains a space at offset 1" },
	{ "message empty word", { "message", "v", "" },
	  "message: message word 1 is empty" },
};

static const char *bad_name(const void *c)
{
	return ((const struct bad_case *)c)->name;
}

static void test_bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct restack_cmd cmd;
	struct restack_err err;

	assert_int_equal(parse_list(&cmd, &err, c->args), -EINVAL);
	assert_string_equal(err.msg, c->msg);
	assert_false(cmd.help);
	restack_args_release(&cmd);
}

int main(void)
{
	const struct CMUnitTest valid[] = {
		cmocka_unit_test(test_create_minimal),
		cmocka_unit_test(test_create_size),
		cmocka_unit_test(test_create_policy),
		cmocka_unit_test(test_create_dashdash),
		cmocka_unit_test(test_single_volume_commands),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_help_texts),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("args_valid", valid, NULL, NULL);
	failed += RESTACK_RUN_CASES("args_help", help_cases, help_name,
				    test_help_case);
	failed += RESTACK_RUN_CASES("args_usage_errors", bad_cases, bad_name,
				    test_bad_case);
	return failed ? 1 : 0;
}
