// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_table.c - table status parser, table line builder and message
 * builder.
 */
#include <errno.h>
#include <stdio.h>

#include "restack_test.h"

/* ---- table status: valid ---- */

static void test_passthrough(void **state)
{
	struct restack_table_status ts;
	struct restack_err err;

	(void)state;
	assert_int_equal(restack_table_status_parse("8:16", &ts, &err), 0);
	assert_int_equal(ts.origin_major, 8);
	assert_int_equal(ts.origin_minor, 16);
	assert_false(ts.has_policy);
	assert_string_equal(ts.policy, "");
	assert_int_equal(ts.argc, 0);
	assert_null(ts.argv);
	restack_table_status_release(&ts);
}

static void test_policy_no_args(void **state)
{
	struct restack_table_status ts;

	(void)state;
	assert_int_equal(restack_table_status_parse("253:0 policy noop 0", &ts,
						    NULL), 0);
	assert_int_equal(ts.origin_major, 253);
	assert_int_equal(ts.origin_minor, 0);
	assert_true(ts.has_policy);
	assert_string_equal(ts.policy, "noop");
	assert_int_equal(ts.argc, 0);
	assert_null(ts.argv);
	restack_table_status_release(&ts);
}

static void test_policy_args(void **state)
{
	struct restack_table_status ts;

	(void)state;
	assert_int_equal(restack_table_status_parse(
		"4095:1048575 policy cache 3 blocks=64 /dev/vdc x", &ts, NULL), 0);
	assert_int_equal(ts.origin_major, 4095);
	assert_int_equal(ts.origin_minor, 1048575);
	assert_string_equal(ts.policy, "cache");
	assert_int_equal(ts.argc, 3);
	assert_string_equal(ts.argv[0], "blocks=64");
	assert_string_equal(ts.argv[1], "/dev/vdc");
	assert_string_equal(ts.argv[2], "x");
	restack_table_status_release(&ts);
	assert_int_equal(ts.argc, 0);
	assert_null(ts.argv);
	restack_table_status_release(&ts);
}

static void test_max_args(void **state)
{
	struct restack_table_status ts;
	char line[4096];
	size_t len;
	int i;

	(void)state;
	len = (size_t)snprintf(line, sizeof(line), "8:0 policy p %d",
			       RESTACK_POLICY_ARGS_MAX);
	for (i = 0; i < RESTACK_POLICY_ARGS_MAX; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, " a%d", i);
	assert_int_equal(restack_table_status_parse(line, &ts, NULL), 0);
	assert_int_equal(ts.argc, RESTACK_POLICY_ARGS_MAX);
	assert_string_equal(ts.argv[31], "a31");
	restack_table_status_release(&ts);
}

static const char *const table_roundtrip[] = {
	"8:16",
	"0:0 policy noop 0",
	"253:7 policy cache 2 a b=c",
};

static void test_table_roundtrip(void **state)
{
	struct restack_table_status ts;
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table_roundtrip) / sizeof(table_roundtrip[0]); i++) {
		assert_int_equal(restack_table_status_parse(table_roundtrip[i],
							    &ts, NULL), 0);
		assert_int_equal(restack_table_status_format(&ts, &out, NULL), 0);
		assert_string_equal(out, table_roundtrip[i]);
		free(out);
		restack_table_status_release(&ts);
	}
}

static void test_table_null(void **state)
{
	struct restack_table_status ts;
	struct restack_err err;

	(void)state;
	assert_int_equal(restack_table_status_parse(NULL, &ts, &err), -EINVAL);
	assert_string_equal(err.msg, "table: no line");
}

/* ---- table status: malformed ---- */

struct bad_case {
	const char *name;
	const char *line;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "empty line", "",
	  "table: missing origin device <major>:<minor> (token 1) at end of line (offset 0)" },
	{ "origin is a path", "/dev/sda",
	  "table: token 1 \"/dev/sda\" at offset 0: malformed origin device (expected <major>:<minor>)" },
	{ "origin three parts", "8:16:1",
	  "table: token 1 \"8:16:1\" at offset 0: malformed origin device (expected <major>:<minor>)" },
	{ "origin leading zero", "08:16",
	  "table: token 1 \"08:16\" at offset 0: malformed origin device (expected <major>:<minor>)" },
	{ "origin major out of range", "4096:0",
	  "table: token 1 \"4096:0\" at offset 0: origin device number out of range (major <= 4095, minor <= 1048575)" },
	{ "origin minor out of range", "8:1048576 policy noop 0",
	  "table: token 1 \"8:1048576\" at offset 0: origin device number out of range (major <= 4095, minor <= 1048575)" },
	{ "missing policy keyword", "8:16 polcy noop 0",
	  "table: token 2 \"polcy\" at offset 5: expected \"policy\"" },
	{ "missing policy name", "8:16 policy",
	  "table: missing policy name (token 3) at end of line (offset 11)" },
	{ "invalid policy name", "8:16 policy Noop 0",
	  "table: token 3 \"Noop\" at offset 12: invalid policy name (allowed: [a-z0-9_-], not starting or ending with '-')" },
	{ "dash policy name", "8:16 policy - 0",
	  "table: token 3 \"-\" at offset 12: invalid policy name (allowed: [a-z0-9_-], not starting or ending with '-')" },
	{ "policy name too long", "8:16 policy abcdefghijabcdefghijabcdefghij12 0",
	  "table: token 3 \"abcdefghijabcdefghijabcdefghij12\" at offset 12: policy name longer than 31 characters" },
	{ "missing arg count", "8:16 policy noop",
	  "table: missing policy argument count (token 4) at end of line (offset 16)" },
	{ "malformed arg count", "8:16 policy noop x",
	  "table: token 4 \"x\" at offset 17: malformed policy argument count (expected unsigned decimal)" },
	{ "arg count leading zero", "8:16 policy noop 01 a",
	  "table: token 4 \"01\" at offset 17: malformed policy argument count (expected unsigned decimal)" },
	{ "arg count negative", "8:16 policy noop -1",
	  "table: token 4 \"-1\" at offset 17: malformed policy argument count (expected unsigned decimal)" },
	{ "arg count too large", "8:16 policy noop 33",
	  "table: token 4 \"33\" at offset 17: policy argument count above 32" },
	{ "arg count overflow", "8:16 policy noop 99999999999999999999999",
	  "table: token 4 \"99999999999999999999999\" at offset 17: policy argument count above 32" },
	{ "fewer args than declared", "8:16 policy noop 1",
	  "table: missing policy argument 1 of 1 (token 5) at end of line (offset 18)" },
	{ "second arg missing", "8:16 policy c 2 a",
	  "table: missing policy argument 2 of 2 (token 6) at end of line (offset 17)" },
	{ "more args than declared", "8:16 policy noop 0 extra",
	  "table: token 5 \"extra\" at offset 19: unexpected token after 0 policy argument(s)" },
	{ "one arg too many", "8:16 policy c 1 a b",
	  "table: token 6 \"b\" at offset 18: unexpected token after 1 policy argument(s)" },
	{ "leading space", " 8:16",
	  "table: leading space at offset 0" },
	{ "trailing space", "8:16 ",
	  "table: trailing space at offset 4" },
	{ "trailing space after args", "8:16 policy noop 0 ",
	  "table: trailing space at offset 18" },
	{ "double space", "8:16  policy noop 0",
	  "table: empty token 2 at offset 5 (double space)" },
	{ "trailing newline", "8:16\n",
	  "table: invalid character \"\\x0a\" at offset 4 (token 1)" },
	{ "tab inside argument", "8:16 policy c 1 a\tb",
	  "table: invalid character \"\\x09\" at offset 17 (token 5)" },
};

static const char *bad_name(const void *c)
{
	return ((const struct bad_case *)c)->name;
}

static void test_bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct restack_table_status ts;
	struct restack_err err;

	memset(&ts, 0x5a, sizeof(ts));
	assert_int_equal(restack_table_status_parse(c->line, &ts, &err), -EINVAL);
	assert_string_equal(err.msg, c->msg);
	assert_int_equal(ts.argc, 0);
	assert_null(ts.argv);
	assert_false(ts.has_policy);
}

/* ---- builder ---- */

static void test_build_passthrough(void **state)
{
	struct restack_table_spec spec = { .origin = "/dev/vdb", .size = 2048 };
	char *out;

	(void)state;
	assert_int_equal(restack_table_params(&spec, &out, NULL), 0);
	assert_string_equal(out, "/dev/vdb");
	free(out);
	assert_int_equal(restack_table_line(&spec, &out, NULL), 0);
	assert_string_equal(out, "0 2048 restack /dev/vdb");
	free(out);
}

static void test_build_policy(void **state)
{
	static const char *const args[] = { "blocks=64", "/dev/vdc" };
	struct restack_table_spec spec = {
		.origin = "8:16", .size = 1, .policy = "noop",
	};
	char *out;

	(void)state;
	assert_int_equal(restack_table_line(&spec, &out, NULL), 0);
	assert_string_equal(out, "0 1 restack 8:16 policy noop 0");
	free(out);
	spec.policy = "cache";
	spec.argc = 2;
	spec.argv = args;
	spec.size = UINT64_MAX / 512;
	assert_int_equal(restack_table_line(&spec, &out, NULL), 0);
	assert_string_equal(out, "0 36028797018963967 restack 8:16 policy cache 2 blocks=64 /dev/vdc");
	free(out);
	assert_int_equal(restack_table_params(&spec, &out, NULL), 0);
	assert_string_equal(out, "8:16 policy cache 2 blocks=64 /dev/vdc");
	free(out);
}

/* What the builder emits for a maj:min origin, the parser accepts. */
static void test_build_parse_agree(void **state)
{
	static const char *const args[] = { "a", "b=c" };
	struct restack_table_spec spec = {
		.origin = "253:4", .size = 8, .policy = "p2", .argc = 2,
		.argv = args,
	};
	struct restack_table_status ts;
	char *params;

	(void)state;
	assert_int_equal(restack_table_params(&spec, &params, NULL), 0);
	assert_int_equal(restack_table_status_parse(params, &ts, NULL), 0);
	assert_int_equal(ts.origin_major, 253);
	assert_int_equal(ts.origin_minor, 4);
	assert_string_equal(ts.policy, "p2");
	assert_int_equal(ts.argc, 2);
	assert_string_equal(ts.argv[1], "b=c");
	restack_table_status_release(&ts);
	free(params);
}

struct spec_case {
	const char *name;
	struct restack_table_spec spec;
	const char *msg;
};

static const char *const one_space_arg[] = { "ok", "a b" };
static const char *const one_empty_arg[] = { "" };
static const char *const backslash_arg[] = { "a\\x20" };
static const char *const too_many_args[RESTACK_POLICY_ARGS_MAX + 1];

static const struct spec_case spec_cases[] = {
	{ "size zero", { .origin = "/dev/vdb", .size = 0 },
	  "size must be greater than 0 sectors" },
	{ "size too large", { .origin = "/dev/vdb", .size = UINT64_MAX / 512 + 1 },
	  "size 36028797018963968 sectors is too large" },
	{ "origin missing", { .origin = NULL, .size = 1 },
	  "origin is missing" },
	{ "origin empty", { .origin = "", .size = 1 },
	  "origin is empty" },
	{ "origin with space", { .origin = "/dev/my disk", .size = 1 },
	  "origin \"/dev/my disk\" contains a space at offset 7" },
	{ "origin relative", { .origin = "vdb", .size = 1 },
	  "origin \"vdb\" is neither an absolute path nor a valid <major>:<minor>" },
	{ "origin bad devt", { .origin = "8:16:2", .size = 1 },
	  "origin \"8:16:2\" is neither an absolute path nor a valid <major>:<minor>" },
	{ "origin devt out of range", { .origin = "4096:1", .size = 1 },
	  "origin \"4096:1\" is neither an absolute path nor a valid <major>:<minor>" },
	{ "invalid policy", { .origin = "8:16", .size = 1, .policy = "No" },
	  "policy name \"No\": invalid character at offset 0 (allowed: [a-z0-9_-], not starting or ending with '-')" },
	{ "empty policy", { .origin = "8:16", .size = 1, .policy = "" },
	  "policy name is empty" },
	{ "argument with space", { .origin = "8:16", .size = 1, .policy = "p",
				   .argc = 2, .argv = one_space_arg },
	  "policy argument 2 \"a b\" contains a space at offset 1" },
	{ "empty argument", { .origin = "8:16", .size = 1, .policy = "p",
			      .argc = 1, .argv = one_empty_arg },
	  "policy argument 1 is empty" },
	{ "argument with backslash", { .origin = "8:16", .size = 1, .policy = "p",
				       .argc = 1, .argv = backslash_arg },
	  "policy argument 1 \"a\\\\x20\" contains a backslash at offset 1" },
	{ "arguments without policy", { .origin = "8:16", .size = 1,
					.argc = 1, .argv = one_empty_arg },
	  "policy arguments given without a policy" },
	{ "argc without argv", { .origin = "8:16", .size = 1, .policy = "p",
				 .argc = 1, .argv = NULL },
	  "policy arguments missing" },
	{ "too many arguments", { .origin = "8:16", .size = 1, .policy = "p",
				  .argc = RESTACK_POLICY_ARGS_MAX + 1,
				  .argv = too_many_args },
	  "too many policy arguments (33, at most 32)" },
};

static const char *spec_name(const void *c)
{
	return ((const struct spec_case *)c)->name;
}

static void test_spec_case(void **state)
{
	const struct spec_case *c = *state;
	struct restack_err err;
	char *out = (char *)0x1;

	assert_int_equal(restack_table_validate(&c->spec, &err), -EINVAL);
	assert_string_equal(err.msg, c->msg);
	/* The builders refuse the same spec and leave *out alone. */
	assert_int_equal(restack_table_line(&c->spec, &out, &err), -EINVAL);
	assert_string_equal(err.msg, c->msg);
	assert_int_equal(restack_table_params(&c->spec, &out, &err), -EINVAL);
	assert_true(out == (char *)0x1);
}

/* ---- message builder ---- */

static void test_message_build(void **state)
{
	static const char *const attach[] = { "attach", "cache", "blocks=64" };
	static const char *const spaced[] = { "attach", "a b" };
	static const char *const empty[] = { "detach", "" };
	struct restack_err err;
	char *msg;

	(void)state;
	assert_int_equal(restack_message_build(3, attach, &msg, &err), 0);
	assert_string_equal(msg, "attach cache blocks=64");
	free(msg);
	assert_int_equal(restack_message_build(1, attach, &msg, &err), 0);
	assert_string_equal(msg, "attach");
	free(msg);
	assert_int_equal(restack_message_build(0, attach, &msg, &err), -EINVAL);
	assert_string_equal(err.msg, "message is empty");
	assert_int_equal(restack_message_build(2, spaced, &msg, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "message word 2 \"a b\" contains a space at offset 1");
	assert_int_equal(restack_message_build(2, empty, &msg, &err), -EINVAL);
	assert_string_equal(err.msg, "message word 2 is empty");
	assert_int_equal(restack_message_build(RESTACK_POLICY_ARGS_MAX + 3,
					       attach, &msg, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "message has too many words (35, at most 34)");
}

int main(void)
{
	const struct CMUnitTest valid[] = {
		cmocka_unit_test(test_passthrough),
		cmocka_unit_test(test_policy_no_args),
		cmocka_unit_test(test_policy_args),
		cmocka_unit_test(test_max_args),
		cmocka_unit_test(test_table_roundtrip),
		cmocka_unit_test(test_table_null),
	};
	const struct CMUnitTest builder[] = {
		cmocka_unit_test(test_build_passthrough),
		cmocka_unit_test(test_build_policy),
		cmocka_unit_test(test_build_parse_agree),
		cmocka_unit_test(test_message_build),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("table_status_valid", valid,
					      NULL, NULL);
	failed += RESTACK_RUN_CASES("table_status_malformed", bad_cases,
				    bad_name, test_bad_case);
	failed += cmocka_run_group_tests_name("table_builder", builder,
					      NULL, NULL);
	failed += RESTACK_RUN_CASES("table_builder_invalid", spec_cases,
				    spec_name, test_spec_case);
	return failed ? 1 : 0;
}
