// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-parse-test.c - KUnit suite "dm-restack-parse" for the table
 * and message parsers in drivers/md/dm-restack-parse.c.
 *
 * Built into a UML kernel by scripts/kunit.sh (see tests/kunit/Kbuild).
 *
 * The parsers return pointers into the caller's argv, so successful parses
 * are checked with pointer equality against the argv handed in.  Every
 * output structure is poisoned before a successful call so that a field the
 * parser forgets to set cannot pass by accident.  Every failure must come
 * with a non-empty error string.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "dm-restack-parse.h"

#define POISON_BYTE	0xa5
#define MAX_TEST_ARGV	(4 + RESTACK_POLICY_ARGS_MAX + 2)

/*
 * A failed parse: -EINVAL and a non-empty error string.  @error is read
 * through a pointer, after @ret (the parse call) has been evaluated.
 */
static void expect_parse_einval(struct kunit *test, int ret,
				const char * const *error)
{
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, *error);
	if (*error)
		KUNIT_EXPECT_GT(test, strlen(*error), (size_t)0);
}

/* ---------------------------------------------------------------------- */
/* restack_policy_name_valid, and the same names through both parsers     */
/* ---------------------------------------------------------------------- */

struct name_case {
	const char *desc;
	const char *name;
	bool valid;
};

static const struct name_case name_cases[] = {
	{ "noop", "noop", true },
	{ "single letter", "a", true },
	{ "single digit", "0", true },
	{ "underscore", "write_back", true },
	{ "inner dash", "write-back", true },
	{ "digits and letters", "lru2q", true },
	{ "leading underscore", "_x", true },
	{ "31 chars", "abcdefghijklmnopqrstuvwxyz01234", true },
	{ "32 chars", "abcdefghijklmnopqrstuvwxyz012345", false },
	{ "33 chars", "abcdefghijklmnopqrstuvwxyz0123456", false },
	{ "empty", "", false },
	{ "all uppercase", "NOOP", false },
	{ "one uppercase", "nOop", false },
	{ "slash", "a/b", false },
	{ "leading slash", "/noop", false },
	{ "only slash", "/", false },
	{ "dot", ".", false },
	{ "dotdot", "..", false },
	{ "dotdot path", "../noop", false },
	{ "inner dot", "no.op", false },
	{ "inner space", "no op", false },
	{ "leading space", " noop", false },
	{ "trailing space", "noop ", false },
	{ "tab", "no\top", false },
	{ "newline", "noop\n", false },
	{ "leading dash", "-noop", false },
	{ "trailing dash", "noop-", false },
	{ "only dash", "-", false },
	{ "double dash only", "--", false },
	{ "non-ascii", "n\xc3\xb6op", false },
	{ "shell meta", "noop;x", false },
	{ "percent", "%s", false },
	{ "colon", "a:b", false },
};

static void name_case_desc(const struct name_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(name, name_cases, name_case_desc);

static void policy_name_valid_test(struct kunit *test)
{
	const struct name_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, restack_policy_name_valid(c->name), c->valid);
}

/* The same names in a table line: <origin> policy <name> 0 */
static void table_policy_name_test(struct kunit *test)
{
	const struct name_case *c = test->param_value;
	char *argv[4] = { "/dev/vdb", "policy", (char *)c->name, "0" };
	struct restack_table_args out;
	const char *error = NULL;
	int ret;

	memset(&out, POISON_BYTE, sizeof(out));
	ret = restack_parse_table(ARRAY_SIZE(argv), argv, &out, &error);
	if (c->valid) {
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_PTR_EQ(test, out.origin, (const char *)argv[0]);
		KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[2]);
		KUNIT_EXPECT_EQ(test, out.policy_argc, 0U);
		KUNIT_EXPECT_NULL(test, out.policy_argv);
	} else {
		expect_parse_einval(test, ret, &error);
	}
}

/* The same names in a message: attach <name> */
static void message_attach_name_test(struct kunit *test)
{
	const struct name_case *c = test->param_value;
	char *argv[2] = { "attach", (char *)c->name };
	struct restack_message out;
	const char *error = NULL;
	int ret;

	memset(&out, POISON_BYTE, sizeof(out));
	ret = restack_parse_message(ARRAY_SIZE(argv), argv, &out, &error);
	if (c->valid) {
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, (int)out.kind, (int)RESTACK_MSG_ATTACH);
		KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[1]);
		KUNIT_EXPECT_EQ(test, out.argc, 0U);
		KUNIT_EXPECT_NULL(test, out.argv);
	} else {
		expect_parse_einval(test, ret, &error);
	}
}

static void policy_name_null_test(struct kunit *test)
{
	KUNIT_EXPECT_FALSE(test, restack_policy_name_valid(NULL));
}

/* Every length from 0 to well past the limit: valid exactly for 1..31. */
static void policy_name_length_test(struct kunit *test)
{
	char name[RESTACK_POLICY_NAME_MAX + 8];
	size_t len;

	KUNIT_ASSERT_EQ(test, RESTACK_POLICY_NAME_MAX, 32);
	for (len = 0; len < sizeof(name); len++) {
		memset(name, 'a', len);
		name[len] = '\0';
		KUNIT_EXPECT_EQ_MSG(test, restack_policy_name_valid(name),
				    len >= 1 && len <= RESTACK_POLICY_NAME_MAX - 1,
				    "name of %zu characters", len);
	}
	/* A name is not read past its limit even without a terminator. */
	memset(name, 'a', sizeof(name));
	KUNIT_EXPECT_FALSE(test, restack_policy_name_valid(name));
}

/* ---------------------------------------------------------------------- */
/* restack_parse_table: valid lines                                       */
/* ---------------------------------------------------------------------- */

static void table_minimal_path_test(struct kunit *test)
{
	char *argv[1] = { "/dev/vdb" };
	struct restack_table_args out;
	const char *error = NULL;

	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_table(1, argv, &out, &error), 0);
	KUNIT_EXPECT_PTR_EQ(test, out.origin, (const char *)argv[0]);
	KUNIT_EXPECT_NULL(test, out.policy);
	KUNIT_EXPECT_EQ(test, out.policy_argc, 0U);
	KUNIT_EXPECT_NULL(test, out.policy_argv);
}

static void table_minimal_devnum_test(struct kunit *test)
{
	char *argv[1] = { "253:0" };
	struct restack_table_args out;
	const char *error = NULL;

	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_table(1, argv, &out, &error), 0);
	KUNIT_EXPECT_PTR_EQ(test, out.origin, (const char *)argv[0]);
	KUNIT_EXPECT_STREQ(test, out.origin, "253:0");
	KUNIT_EXPECT_NULL(test, out.policy);
	KUNIT_EXPECT_EQ(test, out.policy_argc, 0U);
	KUNIT_EXPECT_NULL(test, out.policy_argv);
}

static void table_policy_no_args_test(struct kunit *test)
{
	char *argv[4] = { "8:16", "policy", "noop", "0" };
	struct restack_table_args out;
	const char *error = NULL;

	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_table(4, argv, &out, &error), 0);
	KUNIT_EXPECT_PTR_EQ(test, out.origin, (const char *)argv[0]);
	KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[2]);
	KUNIT_EXPECT_EQ(test, out.policy_argc, 0U);
	KUNIT_EXPECT_NULL(test, out.policy_argv);
}

static void table_policy_one_arg_test(struct kunit *test)
{
	char *argv[5] = { "/dev/vdb", "policy", "cache", "1", "/dev/vdc" };
	struct restack_table_args out;
	const char *error = NULL;

	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_table(5, argv, &out, &error), 0);
	KUNIT_EXPECT_PTR_EQ(test, out.origin, (const char *)argv[0]);
	KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[2]);
	KUNIT_EXPECT_EQ(test, out.policy_argc, 1U);
	KUNIT_EXPECT_PTR_EQ(test, out.policy_argv, &argv[4]);
}

/* Policy arguments are opaque: anything goes, including keywords and numbers. */
static void table_policy_many_args_test(struct kunit *test)
{
	char *argv[9] = { "/dev/vdb", "policy", "cache", "5",
			 "/dev/vdc", "-1", "policy", "0x10", "WRITEBACK" };
	struct restack_table_args out;
	const char *error = NULL;

	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_table(ARRAY_SIZE(argv), argv,
						  &out, &error), 0);
	KUNIT_EXPECT_PTR_EQ(test, out.origin, (const char *)argv[0]);
	KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[2]);
	KUNIT_EXPECT_EQ(test, out.policy_argc, 5U);
	KUNIT_EXPECT_PTR_EQ(test, out.policy_argv, &argv[4]);
}

/* Fill argv with <origin> policy <name> <count> and @nargs arguments. */
static unsigned int build_table(char **argv, char *count, size_t count_size,
				unsigned int declared, unsigned int nargs)
{
	unsigned int i;

	argv[0] = "/dev/vdb";
	argv[1] = "policy";
	argv[2] = "noop";
	snprintf(count, count_size, "%u", declared);
	argv[3] = count;
	for (i = 0; i < nargs; i++)
		argv[4 + i] = "arg";
	return 4 + nargs;
}

static void table_max_args_test(struct kunit *test)
{
	char *argv[MAX_TEST_ARGV];
	char count[16];
	struct restack_table_args out;
	const char *error = NULL;
	unsigned int argc;

	KUNIT_ASSERT_EQ(test, RESTACK_POLICY_ARGS_MAX, 32);
	argc = build_table(argv, count, sizeof(count), RESTACK_POLICY_ARGS_MAX,
			   RESTACK_POLICY_ARGS_MAX);
	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_table(argc, argv, &out, &error), 0);
	KUNIT_EXPECT_PTR_EQ(test, out.origin, (const char *)argv[0]);
	KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[2]);
	KUNIT_EXPECT_EQ(test, out.policy_argc, (unsigned int)RESTACK_POLICY_ARGS_MAX);
	KUNIT_EXPECT_PTR_EQ(test, out.policy_argv, &argv[4]);
}

/* ---------------------------------------------------------------------- */
/* restack_parse_table: malformed lines                                   */
/* ---------------------------------------------------------------------- */

static void table_no_args_test(struct kunit *test)
{
	char *argv[1] = { NULL };
	struct restack_table_args out;
	const char *error = NULL;

	expect_parse_einval(test, restack_parse_table(0, argv, &out, &error),
			    &error);
}

static void table_too_many_args_test(struct kunit *test)
{
	char *argv[MAX_TEST_ARGV];
	char count[16];
	struct restack_table_args out;
	const char *error = NULL;
	unsigned int argc;

	/* 33 declared, 33 given. */
	argc = build_table(argv, count, sizeof(count),
			   RESTACK_POLICY_ARGS_MAX + 1, RESTACK_POLICY_ARGS_MAX + 1);
	expect_parse_einval(test, restack_parse_table(argc, argv, &out, &error),
			    &error);

	/* 33 declared, 32 given. */
	error = NULL;
	argc = build_table(argv, count, sizeof(count),
			   RESTACK_POLICY_ARGS_MAX + 1, RESTACK_POLICY_ARGS_MAX);
	expect_parse_einval(test, restack_parse_table(argc, argv, &out, &error),
			    &error);

	/* 32 declared, 33 given. */
	error = NULL;
	argc = build_table(argv, count, sizeof(count),
			   RESTACK_POLICY_ARGS_MAX, RESTACK_POLICY_ARGS_MAX + 1);
	expect_parse_einval(test, restack_parse_table(argc, argv, &out, &error),
			    &error);
}

struct table_bad_case {
	const char *desc;
	unsigned int argc;
	char *argv[8];
};

static const struct table_bad_case table_bad_cases[] = {
	{ "empty origin", 1, { "" } },
	{ "empty origin with policy", 4, { "", "policy", "noop", "0" } },
	{ "junk after origin", 2, { "/dev/vdb", "junk" } },
	{ "second device", 2, { "/dev/vdb", "/dev/vdc" } },
	{ "policy name without keyword", 3, { "/dev/vdb", "noop", "0" } },
	{ "misspelt keyword", 4, { "/dev/vdb", "policies", "noop", "0" } },
	{ "keyword prefix", 4, { "/dev/vdb", "pol", "noop", "0" } },
	{ "empty keyword", 4, { "/dev/vdb", "", "noop", "0" } },
	{ "policy without name", 2, { "/dev/vdb", "policy" } },
	{ "policy without count", 3, { "/dev/vdb", "policy", "noop" } },
	{ "empty policy name", 4, { "/dev/vdb", "policy", "", "0" } },
	{ "uppercase policy name", 4, { "/dev/vdb", "policy", "NOOP", "0" } },
	{ "policy name with slash", 4, { "/dev/vdb", "policy", "../noop", "0" } },
	{ "count 1 with 0 args", 4, { "/dev/vdb", "policy", "noop", "1" } },
	{ "count 2 with 1 arg", 5, { "/dev/vdb", "policy", "noop", "2", "a" } },
	{ "count 0 with 1 arg", 5, { "/dev/vdb", "policy", "noop", "0", "a" } },
	{ "count 1 with 2 args", 6, { "/dev/vdb", "policy", "noop", "1", "a", "b" } },
	{ "count 1 with 3 args", 7, { "/dev/vdb", "policy", "noop", "1", "a", "b", "c" } },
	{ "name and count swapped", 4, { "/dev/vdb", "policy", "0", "noop" } },
	{ "policy twice", 7, { "/dev/vdb", "policy", "noop", "0",
			       "policy", "noop", "0" } },
};

static void table_bad_case_desc(const struct table_bad_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(table_bad, table_bad_cases, table_bad_case_desc);

static void table_malformed_test(struct kunit *test)
{
	const struct table_bad_case *c = test->param_value;
	char *argv[ARRAY_SIZE(c->argv)];
	struct restack_table_args out;
	const char *error = NULL;

	memcpy(argv, c->argv, sizeof(argv));
	expect_parse_einval(test,
			    restack_parse_table(c->argc, argv, &out, &error),
			    &error);
}

/*
 * <#args> tokens that are not plain decimal.  Each case supplies as many
 * arguments as a lenient parser (sign, whitespace, base prefix, wrap-around)
 * would read from the token, so only strict parsing rejects it.
 */
struct count_case {
	const char *desc;
	const char *token;
	unsigned int nargs;
};

static const struct count_case count_cases[] = {
	{ "letter x", "x", 0 },
	{ "empty", "", 0 },
	{ "minus one", "-1", 1 },
	{ "minus zero", "-0", 0 },
	{ "plus one", "+1", 1 },
	{ "hex 0x10", "0x10", 16 },
	{ "hex 0x1", "0x1", 1 },
	{ "leading space", " 1", 1 },
	{ "trailing space", "1 ", 1 },
	{ "trailing junk", "1x", 1 },
	{ "decimal point", "1.0", 1 },
	{ "20 digits", "99999999999999999999", 0 },
	{ "2^32", "4294967296", 0 },
	{ "2^32 plus 1", "4294967297", 1 },
	{ "2^64 plus 1", "18446744073709551617", 1 },
};

static void count_case_desc(const struct count_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(count, count_cases, count_case_desc);

static void table_bad_count_test(struct kunit *test)
{
	const struct count_case *c = test->param_value;
	char *argv[MAX_TEST_ARGV];
	struct restack_table_args out;
	const char *error = NULL;
	unsigned int i;

	KUNIT_ASSERT_LE(test, c->nargs, (unsigned int)RESTACK_POLICY_ARGS_MAX);
	argv[0] = "/dev/vdb";
	argv[1] = "policy";
	argv[2] = "noop";
	argv[3] = (char *)c->token;
	for (i = 0; i < c->nargs; i++)
		argv[4 + i] = "arg";
	expect_parse_einval(test,
			    restack_parse_table(4 + c->nargs, argv, &out, &error),
			    &error);
}

/* ---------------------------------------------------------------------- */
/* restack_parse_message                                                  */
/* ---------------------------------------------------------------------- */

static void message_attach_test(struct kunit *test)
{
	char *argv[2] = { "attach", "noop" };
	struct restack_message out;
	const char *error = NULL;

	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_message(2, argv, &out, &error), 0);
	KUNIT_EXPECT_EQ(test, (int)out.kind, (int)RESTACK_MSG_ATTACH);
	KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[1]);
	KUNIT_EXPECT_EQ(test, out.argc, 0U);
	KUNIT_EXPECT_NULL(test, out.argv);
}

static void message_attach_args_test(struct kunit *test)
{
	char *argv[5] = { "attach", "cache", "/dev/vdc", "writeback", "0" };
	struct restack_message out;
	const char *error = NULL;

	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_message(ARRAY_SIZE(argv), argv,
						    &out, &error), 0);
	KUNIT_EXPECT_EQ(test, (int)out.kind, (int)RESTACK_MSG_ATTACH);
	KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[1]);
	KUNIT_EXPECT_EQ(test, out.argc, 3U);
	KUNIT_EXPECT_PTR_EQ(test, out.argv, &argv[2]);
}

static void message_attach_one_arg_test(struct kunit *test)
{
	char *argv[3] = { "attach", "cache", "/dev/vdc" };
	struct restack_message out;
	const char *error = NULL;

	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_message(ARRAY_SIZE(argv), argv,
						    &out, &error), 0);
	KUNIT_EXPECT_EQ(test, (int)out.kind, (int)RESTACK_MSG_ATTACH);
	KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[1]);
	KUNIT_EXPECT_EQ(test, out.argc, 1U);
	KUNIT_EXPECT_PTR_EQ(test, out.argv, &argv[2]);
}

static void message_attach_no_name_test(struct kunit *test)
{
	char *argv[1] = { "attach" };
	struct restack_message out;
	const char *error = NULL;

	expect_parse_einval(test, restack_parse_message(1, argv, &out, &error),
			    &error);
}

static void message_attach_max_args_test(struct kunit *test)
{
	char *argv[MAX_TEST_ARGV];
	struct restack_message out;
	const char *error = NULL;
	unsigned int i;

	argv[0] = "attach";
	argv[1] = "noop";
	for (i = 0; i < RESTACK_POLICY_ARGS_MAX + 1; i++)
		argv[2 + i] = "arg";

	/* 32 arguments: accepted. */
	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_message(2 + RESTACK_POLICY_ARGS_MAX,
						    argv, &out, &error), 0);
	KUNIT_EXPECT_EQ(test, (int)out.kind, (int)RESTACK_MSG_ATTACH);
	KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[1]);
	KUNIT_EXPECT_EQ(test, out.argc, (unsigned int)RESTACK_POLICY_ARGS_MAX);
	KUNIT_EXPECT_PTR_EQ(test, out.argv, &argv[2]);

	/* 33 arguments: refused. */
	error = NULL;
	expect_parse_einval(test,
			    restack_parse_message(2 + RESTACK_POLICY_ARGS_MAX + 1,
						  argv, &out, &error),
			    &error);
}

static void message_detach_test(struct kunit *test)
{
	char *argv[1] = { "detach" };
	struct restack_message out;
	const char *error = NULL;

	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_message(1, argv, &out, &error), 0);
	KUNIT_EXPECT_EQ(test, (int)out.kind, (int)RESTACK_MSG_DETACH);
	KUNIT_EXPECT_NULL(test, out.policy);
	KUNIT_EXPECT_EQ(test, out.argc, 0U);
	KUNIT_EXPECT_NULL(test, out.argv);
}

static void message_detach_extra_args_test(struct kunit *test)
{
	char *one[2] = { "detach", "now" };
	char *empty[2] = { "detach", "" };
	char *many[3] = { "detach", "noop", "force" };
	struct restack_message out;
	const char *error;

	error = NULL;
	expect_parse_einval(test, restack_parse_message(2, one, &out, &error),
			    &error);
	error = NULL;
	expect_parse_einval(test, restack_parse_message(2, empty, &out, &error),
			    &error);
	error = NULL;
	expect_parse_einval(test, restack_parse_message(3, many, &out, &error),
			    &error);
}

static void message_keyword_case_test(struct kunit *test)
{
	static const char * const attach_words[] = {
		"attach", "ATTACH", "Attach", "aTTaCH",
	};
	static const char * const detach_words[] = {
		"detach", "DETACH", "Detach", "deTAch",
	};
	struct restack_message out;
	const char *error = NULL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(attach_words); i++) {
		char *argv[3] = { (char *)attach_words[i], "noop", "x" };

		memset(&out, POISON_BYTE, sizeof(out));
		KUNIT_EXPECT_EQ_MSG(test, restack_parse_message(3, argv, &out,
								&error), 0,
				    "keyword '%s'", attach_words[i]);
		KUNIT_EXPECT_EQ_MSG(test, (int)out.kind, (int)RESTACK_MSG_ATTACH,
				    "keyword '%s'", attach_words[i]);
		KUNIT_EXPECT_PTR_EQ(test, out.policy, (const char *)argv[1]);
		KUNIT_EXPECT_EQ(test, out.argc, 1U);
		KUNIT_EXPECT_PTR_EQ(test, out.argv, &argv[2]);
	}
	for (i = 0; i < ARRAY_SIZE(detach_words); i++) {
		char *argv[1] = { (char *)detach_words[i] };

		memset(&out, POISON_BYTE, sizeof(out));
		KUNIT_EXPECT_EQ_MSG(test, restack_parse_message(1, argv, &out,
								&error), 0,
				    "keyword '%s'", detach_words[i]);
		KUNIT_EXPECT_EQ_MSG(test, (int)out.kind, (int)RESTACK_MSG_DETACH,
				    "keyword '%s'", detach_words[i]);
		KUNIT_EXPECT_NULL(test, out.policy);
		KUNIT_EXPECT_EQ(test, out.argc, 0U);
		KUNIT_EXPECT_NULL(test, out.argv);
	}
}

/* The keyword is case-insensitive, the policy name is not. */
static void message_attach_name_case_test(struct kunit *test)
{
	char *argv[2] = { "ATTACH", "NOOP" };
	struct restack_message out;
	const char *error = NULL;

	expect_parse_einval(test, restack_parse_message(2, argv, &out, &error),
			    &error);
}

struct passthrough_case {
	const char *desc;
	unsigned int argc;
	char *argv[6];
};

static const struct passthrough_case passthrough_cases[] = {
	{ "single word", 1, { "flush" } },
	{ "words and numbers", 3, { "set_threshold", "100", "-1" } },
	{ "policy name first", 2, { "noop", "fail" } },
	{ "attach prefix", 2, { "attached", "noop" } },
	{ "attach suffix", 2, { "reattach", "noop" } },
	{ "detach prefix", 1, { "detacher" } },
	{ "attach with dash", 2, { "attach-now", "noop" } },
	{ "policy keyword", 4, { "policy", "noop", "0", "x" } },
	{ "invalid name chars", 2, { "../evil", "NOOP" } },
	{ "five words", 5, { "a", "b", "c", "d", "e" } },
};

static void passthrough_case_desc(const struct passthrough_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(passthrough, passthrough_cases, passthrough_case_desc);

static void message_policy_passthrough_test(struct kunit *test)
{
	const struct passthrough_case *c = test->param_value;
	char *argv[ARRAY_SIZE(c->argv)];
	struct restack_message out;
	const char *error = NULL;

	memcpy(argv, c->argv, sizeof(argv));
	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_message(c->argc, argv, &out, &error),
			0);
	KUNIT_EXPECT_EQ(test, (int)out.kind, (int)RESTACK_MSG_POLICY);
	KUNIT_EXPECT_NULL(test, out.policy);
	KUNIT_EXPECT_EQ(test, out.argc, c->argc);
	KUNIT_EXPECT_PTR_EQ(test, out.argv, &argv[0]);
}

/* Many words for the policy: no limit is applied to pass-through messages. */
static void message_policy_many_words_test(struct kunit *test)
{
	char *argv[MAX_TEST_ARGV];
	struct restack_message out;
	const char *error = NULL;
	unsigned int i;

	for (i = 0; i < MAX_TEST_ARGV; i++)
		argv[i] = "w";
	memset(&out, POISON_BYTE, sizeof(out));
	KUNIT_ASSERT_EQ(test, restack_parse_message(MAX_TEST_ARGV, argv, &out,
						    &error), 0);
	KUNIT_EXPECT_EQ(test, (int)out.kind, (int)RESTACK_MSG_POLICY);
	KUNIT_EXPECT_NULL(test, out.policy);
	KUNIT_EXPECT_EQ(test, out.argc, (unsigned int)MAX_TEST_ARGV);
	KUNIT_EXPECT_PTR_EQ(test, out.argv, &argv[0]);
}

static void message_empty_test(struct kunit *test)
{
	char *none[1] = { NULL };
	char *empty[1] = { "" };
	char *empty_first[2] = { "", "detach" };
	struct restack_message out;
	const char *error;

	error = NULL;
	expect_parse_einval(test, restack_parse_message(0, none, &out, &error),
			    &error);
	error = NULL;
	expect_parse_einval(test, restack_parse_message(1, empty, &out, &error),
			    &error);
	error = NULL;
	expect_parse_einval(test,
			    restack_parse_message(2, empty_first, &out, &error),
			    &error);
}

static struct kunit_case dm_restack_parse_cases[] = {
	/* policy names */
	KUNIT_CASE_PARAM(policy_name_valid_test, name_gen_params),
	KUNIT_CASE_PARAM(table_policy_name_test, name_gen_params),
	KUNIT_CASE_PARAM(message_attach_name_test, name_gen_params),
	KUNIT_CASE(policy_name_null_test),
	KUNIT_CASE(policy_name_length_test),
	/* table lines */
	KUNIT_CASE(table_minimal_path_test),
	KUNIT_CASE(table_minimal_devnum_test),
	KUNIT_CASE(table_policy_no_args_test),
	KUNIT_CASE(table_policy_one_arg_test),
	KUNIT_CASE(table_policy_many_args_test),
	KUNIT_CASE(table_max_args_test),
	KUNIT_CASE(table_no_args_test),
	KUNIT_CASE(table_too_many_args_test),
	KUNIT_CASE_PARAM(table_malformed_test, table_bad_gen_params),
	KUNIT_CASE_PARAM(table_bad_count_test, count_gen_params),
	/* messages */
	KUNIT_CASE(message_attach_test),
	KUNIT_CASE(message_attach_one_arg_test),
	KUNIT_CASE(message_attach_args_test),
	KUNIT_CASE(message_attach_no_name_test),
	KUNIT_CASE(message_attach_max_args_test),
	KUNIT_CASE(message_attach_name_case_test),
	KUNIT_CASE(message_detach_test),
	KUNIT_CASE(message_detach_extra_args_test),
	KUNIT_CASE(message_keyword_case_test),
	KUNIT_CASE_PARAM(message_policy_passthrough_test,
			 passthrough_gen_params),
	KUNIT_CASE(message_policy_many_words_test),
	KUNIT_CASE(message_empty_test),
	{}
};

static struct kunit_suite dm_restack_parse_suite = {
	.name = "dm-restack-parse",
	.test_cases = dm_restack_parse_cases,
};

kunit_test_suite(dm_restack_parse_suite);

MODULE_DESCRIPTION("KUnit tests for the dm-restack table and message parsers");
MODULE_LICENSE("GPL");
