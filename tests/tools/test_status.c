// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_status.c - the strict INFO status line parser and formatter.
 */
#include <errno.h>
#include <stdio.h>

#include "restack_test.h"

/* Counters of the contract's example, split so single ones can vary. */
#define AFTER_READS "writes=3 discards=0 write_zeroes=0 flushes=1 fua=0 " \
	"read_bytes=40960 write_bytes=12288 discard_bytes=0 inflight=0 "      \
	"errors=0 attaches=0"
#define CTRS_NO_DETACHES "reads=10 " AFTER_READS
#define CTRS CTRS_NO_DETACHES " detaches=0"
/* The contract's example line: 163 bytes, 15 tokens. */
#define EXAMPLE "detached - " CTRS

/* ---- valid lines ---- */

static void test_contract_example(void **state)
{
	struct restack_status st;
	struct restack_err err;

	(void)state;
	assert_int_equal(restack_status_parse(EXAMPLE, &st, &err), 0);
	assert_int_equal(st.mode, RESTACK_MODE_DETACHED);
	assert_string_equal(st.policy, "");
	assert_true(st.counters[RESTACK_CTR_READS] == 10);
	assert_true(st.counters[RESTACK_CTR_WRITES] == 3);
	assert_true(st.counters[RESTACK_CTR_DISCARDS] == 0);
	assert_true(st.counters[RESTACK_CTR_WRITE_ZEROES] == 0);
	assert_true(st.counters[RESTACK_CTR_FLUSHES] == 1);
	assert_true(st.counters[RESTACK_CTR_FUA] == 0);
	assert_true(st.counters[RESTACK_CTR_READ_BYTES] == 40960);
	assert_true(st.counters[RESTACK_CTR_WRITE_BYTES] == 12288);
	assert_true(st.counters[RESTACK_CTR_DISCARD_BYTES] == 0);
	assert_true(st.counters[RESTACK_CTR_INFLIGHT] == 0);
	assert_true(st.counters[RESTACK_CTR_ERRORS] == 0);
	assert_true(st.counters[RESTACK_CTR_ATTACHES] == 0);
	assert_true(st.counters[RESTACK_CTR_DETACHES] == 0);
	assert_int_equal(st.nr_extra, 0);
	assert_null(st.extra);
	restack_status_release(&st);
}

/* Every counter distinct, to catch any mix-up of the order. */
#define DISTINCT "reads=1 writes=2 discards=3 write_zeroes=4 flushes=5 " \
	"fua=6 read_bytes=7 write_bytes=8 discard_bytes=9 inflight=10 "     \
	"errors=11 attaches=12 detaches=13"

static void test_counter_order(void **state)
{
	struct restack_status st;
	int i;

	(void)state;
	assert_int_equal(restack_status_parse("attached noop " DISTINCT, &st,
					      NULL), 0);
	assert_int_equal(st.mode, RESTACK_MODE_ATTACHED);
	assert_string_equal(st.policy, "noop");
	for (i = 0; i < RESTACK_NR_COUNTERS; i++)
		assert_true(st.counters[i] == (uint64_t)i + 1);
	restack_status_release(&st);
}

static void test_detaching_with_extra(void **state)
{
	struct restack_status st;

	(void)state;
	assert_int_equal(restack_status_parse("detaching cache " CTRS
					      " sync_left=5", &st, NULL), 0);
	assert_int_equal(st.mode, RESTACK_MODE_DETACHING);
	assert_string_equal(st.policy, "cache");
	assert_int_equal(st.nr_extra, 1);
	assert_string_equal(st.extra[0].key, "sync_left");
	assert_string_equal(st.extra[0].value, "5");
	assert_string_equal(restack_status_extra(&st, "sync_left"), "5");
	assert_null(restack_status_extra(&st, "reads"));
	assert_null(restack_status_extra(&st, "sync"));
	restack_status_release(&st);
	assert_int_equal(st.nr_extra, 0);
	assert_null(st.extra);
	restack_status_release(&st);	/* twice is fine */
}

static void test_failed_modes(void **state)
{
	struct restack_status st;

	(void)state;
	assert_int_equal(restack_status_parse("failed - " CTRS, &st, NULL), 0);
	assert_int_equal(st.mode, RESTACK_MODE_FAILED);
	assert_string_equal(st.policy, "");
	restack_status_release(&st);
	assert_int_equal(restack_status_parse("failed my_pol-2 " CTRS, &st,
					      NULL), 0);
	assert_int_equal(st.mode, RESTACK_MODE_FAILED);
	assert_string_equal(st.policy, "my_pol-2");
	restack_status_release(&st);
}

#define U64MAX "18446744073709551615"

/*
 * The kernel samples mode and attachment separately, so mid-swap it can
 * report a mode with or without a policy name: all combinations parse.
 */
static void test_mode_policy_races(void **state)
{
	static const struct {
		const char *line;
		enum restack_mode mode;
		const char *policy;
	} cases[] = {
		{ "detached noop " CTRS, RESTACK_MODE_DETACHED, "noop" },
		{ "attached - " CTRS, RESTACK_MODE_ATTACHED, "" },
		{ "detaching - " CTRS, RESTACK_MODE_DETACHING, "" },
	};
	struct restack_status st;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(restack_status_parse(cases[i].line, &st, NULL), 0);
		assert_int_equal(st.mode, cases[i].mode);
		assert_string_equal(st.policy, cases[i].policy);
		restack_status_release(&st);
	}
}

static void test_max_values(void **state)
{
	struct restack_status st;

	(void)state;
	assert_int_equal(restack_status_parse(
		"attached abcdefghijabcdefghijabcdefghij1 reads=" U64MAX
		" writes=0 discards=0 write_zeroes=0 flushes=0 fua=0"
		" read_bytes=" U64MAX " write_bytes=0 discard_bytes=0"
		" inflight=0 errors=0 attaches=0 detaches=" U64MAX, &st, NULL),
		0);
	assert_string_equal(st.policy, "abcdefghijabcdefghijabcdefghij1");
	assert_true(st.counters[RESTACK_CTR_READS] == UINT64_MAX);
	assert_true(st.counters[RESTACK_CTR_READ_BYTES] == UINT64_MAX);
	assert_true(st.counters[RESTACK_CTR_DETACHES] == UINT64_MAX);
	assert_true(st.counters[RESTACK_CTR_WRITES] == 0);
	restack_status_release(&st);
}

static void test_several_extras(void **state)
{
	struct restack_status st;

	(void)state;
	assert_int_equal(restack_status_parse("attached cache " CTRS
		" hits=100 misses=7 state=warming ratio=1/3 Dirty_2=0", &st,
		NULL), 0);
	assert_int_equal(st.nr_extra, 5);
	assert_string_equal(st.extra[0].key, "hits");
	assert_string_equal(st.extra[0].value, "100");
	assert_string_equal(st.extra[2].key, "state");
	assert_string_equal(st.extra[2].value, "warming");
	assert_string_equal(st.extra[3].value, "1/3");
	assert_string_equal(st.extra[4].key, "Dirty_2");
	assert_string_equal(restack_status_extra(&st, "misses"), "7");
	restack_status_release(&st);
}

static char *extras_line(int n)
{
	size_t cap = 256 + (size_t)n * 16;
	char *line = malloc(cap);
	size_t len;
	int i;

	assert_non_null(line);
	len = (size_t)snprintf(line, cap, "attached p %s", CTRS);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(line + len, cap - len, " k%d=%d", i, i);
	return line;
}

static void test_extra_limit(void **state)
{
	struct restack_status st;
	struct restack_err err;
	char *line;

	(void)state;
	line = extras_line(RESTACK_STATUS_EXTRA_MAX);
	assert_int_equal(restack_status_parse(line, &st, &err), 0);
	assert_int_equal(st.nr_extra, RESTACK_STATUS_EXTRA_MAX);
	assert_string_equal(st.extra[63].key, "k63");
	restack_status_release(&st);
	free(line);

	line = extras_line(RESTACK_STATUS_EXTRA_MAX + 1);
	assert_int_equal(restack_status_parse(line, &st, &err), -EINVAL);
	assert_contains(err.msg, "status: token 80 \"k64=64\" at offset ");
	assert_contains(err.msg, ": more than 64 policy-specific keys");
	assert_int_equal(st.nr_extra, 0);
	assert_null(st.extra);
	free(line);
}

static const char *const roundtrip_lines[] = {
	EXAMPLE,
	"attached noop " DISTINCT,
	"detaching cache " CTRS " sync_left=5",
	"failed - " CTRS " a=b c=1",
};

static void test_roundtrip(void **state)
{
	struct restack_status st;
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(roundtrip_lines) / sizeof(roundtrip_lines[0]); i++) {
		assert_int_equal(restack_status_parse(roundtrip_lines[i], &st,
						      NULL), 0);
		assert_int_equal(restack_status_format(&st, &out, NULL), 0);
		assert_string_equal(out, roundtrip_lines[i]);
		free(out);
		restack_status_release(&st);
	}
}

static void test_format_invalid_mode(void **state)
{
	struct restack_status st = { .mode = RESTACK_NR_MODES };
	struct restack_err err;
	char *out = NULL;

	(void)state;
	assert_int_equal(restack_status_format(&st, &out, &err), -EINVAL);
	assert_string_equal(err.msg, "status: invalid mode 4");
	assert_null(out);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(restack_mode_name(RESTACK_MODE_DETACHED), "detached");
	assert_string_equal(restack_mode_name(RESTACK_MODE_ATTACHED), "attached");
	assert_string_equal(restack_mode_name(RESTACK_MODE_DETACHING), "detaching");
	assert_string_equal(restack_mode_name(RESTACK_MODE_FAILED), "failed");
	assert_null(restack_mode_name(RESTACK_NR_MODES));
	assert_null(restack_mode_name((enum restack_mode)-1));
	assert_string_equal(restack_counter_name(RESTACK_CTR_READS), "reads");
	assert_string_equal(restack_counter_name(RESTACK_CTR_WRITE_ZEROES),
			    "write_zeroes");
	assert_string_equal(restack_counter_name(RESTACK_CTR_DETACHES),
			    "detaches");
	assert_null(restack_counter_name(RESTACK_NR_COUNTERS));
}

static void test_null_line(void **state)
{
	struct restack_status st;
	struct restack_err err;

	(void)state;
	assert_int_equal(restack_status_parse(NULL, &st, &err), -EINVAL);
	assert_string_equal(err.msg, "status: no line");
}

/* ---- malformed lines: one test each, exact message ---- */

struct bad_case {
	const char *name;
	const char *line;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "empty line", "",
	  "status: missing mode (token 1) at end of line (offset 0)" },
	{ "unknown mode", "bogus - " CTRS,
	  "status: token 1 \"bogus\" at offset 0: unknown mode (expected detached, attached, detaching or failed)" },
	{ "mode is case sensitive", "Detached - " CTRS,
	  "status: token 1 \"Detached\" at offset 0: unknown mode (expected detached, attached, detaching or failed)" },
	{ "mode prefix", "detach - " CTRS,
	  "status: token 1 \"detach\" at offset 0: unknown mode (expected detached, attached, detaching or failed)" },
	{ "missing policy", "detached",
	  "status: missing policy (token 2) at end of line (offset 8)" },
	{ "missing all counters", "detached -",
	  "status: missing counter \"reads\" (token 3) at end of line (offset 10)" },
	{ "missing last counter", "detached - " CTRS_NO_DETACHES,
	  "status: missing counter \"detaches\" (token 15) at end of line (offset 152)" },
	{ "invalid policy name", "attached No0p " CTRS,
	  "status: token 2 \"No0p\" at offset 9: invalid policy name (allowed: [a-z0-9_-], not starting or ending with '-')" },
	{ "policy name too long", "attached abcdefghijabcdefghijabcdefghij12 " CTRS,
	  "status: token 2 \"abcdefghijabcdefghijabcdefghij12\" at offset 9: policy name longer than 31 characters" },
	{ "policy name ends with -", "attached noop- " CTRS,
	  "status: token 2 \"noop-\" at offset 9: invalid policy name (allowed: [a-z0-9_-], not starting or ending with '-')" },
	{ "counters out of order", "detached - writes=3 reads=10 discards=0",
	  "status: token 3 \"writes=3\" at offset 11: expected key \"reads\"" },
	{ "duplicate counter", "detached - reads=10 reads=10 " AFTER_READS,
	  "status: token 4 \"reads=10\" at offset 20: duplicate key \"reads\"" },
	{ "misspelt counter", "detached - reads=10 wrotes=3",
	  "status: token 4 \"wrotes=3\" at offset 20: expected key \"writes\"" },
	{ "unknown key among counters", "detached - foo=1 " CTRS,
	  "status: token 3 \"foo=1\" at offset 11: expected key \"reads\"" },
	{ "counter without =", "detached - reads10 " AFTER_READS,
	  "status: token 3 \"reads10\" at offset 11: expected key=value" },
	{ "counter empty value", "detached - reads= " AFTER_READS,
	  "status: token 3 \"reads=\" at offset 11: empty value" },
	{ "counter empty key", "detached - =10 " AFTER_READS,
	  "status: token 3 \"=10\" at offset 11: empty key" },
	{ "counter two =", "detached - reads=1=0 " AFTER_READS,
	  "status: token 3 \"reads=1=0\" at offset 11: more than one '='" },
	{ "counter malformed number", "detached - reads=1x " AFTER_READS,
	  "status: token 3 \"reads=1x\" at offset 11: malformed number for \"reads\" (expected unsigned decimal)" },
	{ "counter negative", "detached - reads=-1 " AFTER_READS,
	  "status: token 3 \"reads=-1\" at offset 11: malformed number for \"reads\" (expected unsigned decimal)" },
	{ "counter plus sign", "detached - reads=+1 " AFTER_READS,
	  "status: token 3 \"reads=+1\" at offset 11: malformed number for \"reads\" (expected unsigned decimal)" },
	{ "counter leading zero", "detached - reads=010 " AFTER_READS,
	  "status: token 3 \"reads=010\" at offset 11: malformed number for \"reads\" (expected unsigned decimal)" },
	{ "counter hex", "detached - reads=0x10 " AFTER_READS,
	  "status: token 3 \"reads=0x10\" at offset 11: malformed number for \"reads\" (expected unsigned decimal)" },
	{ "counter overflow", "detached - reads=18446744073709551616 " AFTER_READS,
	  "status: token 3 \"reads=18446744073709551616\" at offset 11: value of \"reads\" does not fit in 64 bits" },
	{ "last counter overflow", "detached - " CTRS_NO_DETACHES " detaches=99999999999999999999",
	  "status: token 15 \"detaches=99999999999999999999\" at offset 153: value of \"detaches\" does not fit in 64 bits" },
	{ "duplicate extra key", EXAMPLE " a=1 a=2",
	  "status: token 17 \"a=2\" at offset 168: duplicate key \"a\"" },
	{ "extra repeats a counter", EXAMPLE " reads=5",
	  "status: token 16 \"reads=5\" at offset 164: duplicate key \"reads\"" },
	{ "extra without =", EXAMPLE " flag",
	  "status: token 16 \"flag\" at offset 164: expected key=value" },
	{ "extra empty value", EXAMPLE " x=",
	  "status: token 16 \"x=\" at offset 164: empty value" },
	{ "extra empty key", EXAMPLE " =1",
	  "status: token 16 \"=1\" at offset 164: empty key" },
	{ "extra bad key character", EXAMPLE " sync-left=1",
	  "status: token 16 \"sync-left=1\" at offset 164: invalid character in key at offset 4 (allowed: [A-Za-z0-9_])" },
	{ "extra value with =", EXAMPLE " a=b=c",
	  "status: token 16 \"a=b=c\" at offset 164: more than one '='" },
	{ "extra non-ASCII value", EXAMPLE " x=\xc3\xa9",
	  "status: invalid character \"\\xc3\" at offset 166 (token 16)" },
	{ "leading space", " " EXAMPLE,
	  "status: leading space at offset 0" },
	{ "double space", "detached  - " CTRS,
	  "status: empty token 2 at offset 9 (double space)" },
	{ "trailing space", EXAMPLE " ",
	  "status: trailing space at offset 163" },
	{ "trailing newline", EXAMPLE "\n",
	  "status: invalid character \"\\x0a\" at offset 163 (token 15)" },
	{ "tab separator", "detached\t- " CTRS,
	  "status: invalid character \"\\x09\" at offset 8 (token 1)" },
	{ "only a space", " ",
	  "status: leading space at offset 0" },
};

static const char *bad_name(const void *c)
{
	return ((const struct bad_case *)c)->name;
}

static void test_bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct restack_status st;
	struct restack_err err;

	memset(&st, 0x5a, sizeof(st));
	assert_int_equal(restack_status_parse(c->line, &st, &err), -EINVAL);
	assert_string_equal(err.msg, c->msg);
	/* Nothing left to release after a failure. */
	assert_int_equal(st.nr_extra, 0);
	assert_null(st.extra);
	assert_string_equal(st.policy, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contract_example),
		cmocka_unit_test(test_counter_order),
		cmocka_unit_test(test_detaching_with_extra),
		cmocka_unit_test(test_failed_modes),
		cmocka_unit_test(test_mode_policy_races),
		cmocka_unit_test(test_max_values),
		cmocka_unit_test(test_several_extras),
		cmocka_unit_test(test_extra_limit),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_format_invalid_mode),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_null_line),
	};
	int failed = 0;

	failed += cmocka_run_group_tests_name("status_valid", tests, NULL, NULL);
	failed += RESTACK_RUN_CASES("status_malformed", bad_cases, bad_name,
				    test_bad_case);
	return failed ? 1 : 0;
}
