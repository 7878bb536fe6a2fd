// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_token.c - numbers, device numbers, token/name validation and
 * error helpers of librestack.
 */
#include <errno.h>

#include "restack_test.h"

/* ---- restack_parse_u64 ---- */

struct u64_case {
	const char *name;
	const char *in;
	int ret;
	uint64_t val;
};

static const struct u64_case u64_cases[] = {
	{ "u64 zero", "0", 0, 0 },
	{ "u64 one", "1", 0, 1 },
	{ "u64 typical", "40960", 0, 40960 },
	{ "u64 max", "18446744073709551615", 0, UINT64_MAX },
	{ "u64 max+1 overflows", "18446744073709551616", -ERANGE, 0 },
	{ "u64 max*10 overflows", "184467440737095516150", -ERANGE, 0 },
	{ "u64 huge overflows", "99999999999999999999999", -ERANGE, 0 },
	{ "u64 empty", "", -EINVAL, 0 },
	{ "u64 leading zero", "01", -EINVAL, 0 },
	{ "u64 double zero", "00", -EINVAL, 0 },
	{ "u64 plus sign", "+1", -EINVAL, 0 },
	{ "u64 minus sign", "-1", -EINVAL, 0 },
	{ "u64 leading space", " 1", -EINVAL, 0 },
	{ "u64 trailing space", "1 ", -EINVAL, 0 },
	{ "u64 hex", "0x10", -EINVAL, 0 },
	{ "u64 trailing letter", "12a", -EINVAL, 0 },
	{ "u64 decimal point", "1.5", -EINVAL, 0 },
	{ "u64 overflow with junk is malformed", "99999999999999999999x", -EINVAL, 0 },
};

static const char *u64_name(const void *c)
{
	return ((const struct u64_case *)c)->name;
}

static void test_u64_case(void **state)
{
	const struct u64_case *c = *state;
	uint64_t v = 0xdeadbeef;
	int r = restack_parse_u64(c->in, strlen(c->in), &v);

	assert_int_equal(r, c->ret);
	if (c->ret == 0)
		assert_true(v == c->val);
	else
		assert_true(v == 0xdeadbeef);	/* untouched on error */
}

static void test_u64_not_nul_terminated(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(restack_parse_u64("1234567", 3, &v), 0);
	assert_true(v == 123);
	assert_int_equal(restack_parse_u64(NULL, 0, &v), -EINVAL);
}

/* ---- restack_parse_devt ---- */

struct devt_case {
	const char *name;
	const char *in;
	int ret;
	unsigned int maj, min;
};

static const struct devt_case devt_cases[] = {
	{ "devt 8:16", "8:16", 0, 8, 16 },
	{ "devt 0:0", "0:0", 0, 0, 0 },
	{ "devt max", "4095:1048575", 0, 4095, 1048575 },
	{ "devt major too big", "4096:0", -ERANGE, 0, 0 },
	{ "devt minor too big", "8:1048576", -ERANGE, 0, 0 },
	{ "devt major overflows u64", "18446744073709551616:0", -ERANGE, 0, 0 },
	{ "devt no colon", "816", -EINVAL, 0, 0 },
	{ "devt empty major", ":16", -EINVAL, 0, 0 },
	{ "devt empty minor", "8:", -EINVAL, 0, 0 },
	{ "devt two colons", "8:16:1", -EINVAL, 0, 0 },
	{ "devt leading zero", "08:16", -EINVAL, 0, 0 },
	{ "devt path", "/dev/sda", -EINVAL, 0, 0 },
	{ "devt empty", "", -EINVAL, 0, 0 },
};

static const char *devt_name(const void *c)
{
	return ((const struct devt_case *)c)->name;
}

static void test_devt_case(void **state)
{
	const struct devt_case *c = *state;
	unsigned int maj = 999, min = 999;
	int r = restack_parse_devt(c->in, strlen(c->in), &maj, &min);

	assert_int_equal(r, c->ret);
	if (c->ret == 0) {
		assert_int_equal(maj, c->maj);
		assert_int_equal(min, c->min);
	}
}

/* ---- tokens and names ---- */

static void test_check_token(void **state)
{
	struct restack_err err;

	(void)state;
	assert_int_equal(restack_check_token("arg", "ok_token-1=2/x", &err), 0);
	assert_int_equal(restack_check_token("arg", "", &err), -EINVAL);
	assert_string_equal(err.msg, "arg is empty");
	assert_int_equal(restack_check_token("arg", NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "arg is missing");
	assert_int_equal(restack_check_token("policy argument 2", "a b", &err),
			 -EINVAL);
	assert_string_equal(err.msg,
			    "policy argument 2 \"a b\" contains a space at offset 1");
	assert_int_equal(restack_check_token("word", "a\tb", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "word \"a\\x09b\" contains a control or non-ASCII character at offset 1");
	assert_int_equal(restack_check_token("word", "a\\b", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "word \"a\\\\b\" contains a backslash at offset 1");
	assert_int_equal(restack_check_token("word", "\xc3\xa9", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "word \"\\xc3\\xa9\" contains a control or non-ASCII character at offset 0");
	/* NULL err is allowed everywhere */
	assert_int_equal(restack_check_token("word", "", NULL), -EINVAL);
}

static void test_check_token_length(void **state)
{
	char *big = malloc(RESTACK_TOKEN_MAX + 2);
	struct restack_err err;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', RESTACK_TOKEN_MAX);
	big[RESTACK_TOKEN_MAX] = '\0';
	assert_int_equal(restack_check_token("t", big, &err), 0);
	big[RESTACK_TOKEN_MAX] = 'a';
	big[RESTACK_TOKEN_MAX + 1] = '\0';
	assert_int_equal(restack_check_token("t", big, &err), -EINVAL);
	assert_string_equal(err.msg, "t is longer than 4096 bytes");
	free(big);
}

static void test_policy_names(void **state)
{
	struct restack_err err;

	(void)state;
	assert_int_equal(restack_check_policy_name("noop", &err), 0);
	assert_int_equal(restack_check_policy_name("cache", &err), 0);
	assert_int_equal(restack_check_policy_name("a_b-c9", &err), 0);
	assert_int_equal(restack_check_policy_name("9lives", &err), 0);
	assert_int_equal(restack_check_policy_name("_x", &err), 0);
	assert_int_equal(restack_check_policy_name("x_", &err), 0);
	assert_int_equal(restack_check_policy_name("a", &err), 0);
	assert_int_equal(restack_check_policy_name(
		"abcdefghijabcdefghijabcdefghij1", &err), 0);	/* 31 */
	assert_int_equal(restack_check_policy_name(
		"abcdefghijabcdefghijabcdefghij12", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "policy name \"abcdefghijabcdefghijabcdefghij12\" is longer than 31 characters");
	assert_int_equal(restack_check_policy_name("", &err), -EINVAL);
	assert_string_equal(err.msg, "policy name is empty");
	assert_int_equal(restack_check_policy_name(NULL, &err), -EINVAL);
	assert_int_equal(restack_check_policy_name("-", &err), -EINVAL);
	assert_contains(err.msg, "invalid character at offset 0");
	assert_int_equal(restack_check_policy_name("-x", &err), -EINVAL);
	assert_contains(err.msg, "invalid character at offset 0");
	assert_int_equal(restack_check_policy_name("x-", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "policy name \"x-\": invalid character at offset 1 (allowed: [a-z0-9_-], not starting or ending with '-')");
	assert_int_equal(restack_check_policy_name("Noop", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "policy name \"Noop\": invalid character at offset 0 (allowed: [a-z0-9_-], not starting or ending with '-')");
	assert_int_equal(restack_check_policy_name("no op", &err), -EINVAL);
	assert_int_equal(restack_check_policy_name("a/b", &err), -EINVAL);
	assert_contains(err.msg, "at offset 1");
}

static void test_volume_names(void **state)
{
	struct restack_err err;
	char name[RESTACK_VOLUME_NAME_MAX + 2];

	(void)state;
	assert_int_equal(restack_check_volume_name("vol0", &err), 0);
	assert_int_equal(restack_check_volume_name("A-b_c.d:e=f@g#h+i", &err), 0);
	assert_int_equal(restack_check_volume_name("", &err), -EINVAL);
	assert_string_equal(err.msg, "volume name is empty");
	assert_int_equal(restack_check_volume_name(".", &err), -EINVAL);
	assert_string_equal(err.msg, "volume name \".\" is reserved");
	assert_int_equal(restack_check_volume_name("..", &err), -EINVAL);
	assert_int_equal(restack_check_volume_name("a/b", &err), -EINVAL);
	assert_string_equal(err.msg,
			    "volume name \"a/b\": invalid character at offset 1 (allowed: letters, digits and #+-.:=@_)");
	assert_int_equal(restack_check_volume_name("a b", &err), -EINVAL);
	assert_int_equal(restack_check_volume_name("a\nb", &err), -EINVAL);
	memset(name, 'v', RESTACK_VOLUME_NAME_MAX);
	name[RESTACK_VOLUME_NAME_MAX] = '\0';
	assert_int_equal(restack_check_volume_name(name, &err), 0);
	name[RESTACK_VOLUME_NAME_MAX] = 'v';
	name[RESTACK_VOLUME_NAME_MAX + 1] = '\0';
	assert_int_equal(restack_check_volume_name(name, &err), -EINVAL);
	assert_contains(err.msg, "is longer than 127 characters");
}

/* ---- error helpers ---- */

static void test_err_helpers(void **state)
{
	struct restack_err err;
	char big[2 * RESTACK_ERR_MAX];

	(void)state;
	assert_int_equal(restack_err_set(&err, -EIO, "a %d\nb", 1), -EIO);
	assert_string_equal(err.msg, "a 1?b");	/* stays on one line */
	assert_int_equal(restack_err_prefix(&err, -EIO, "vol%d", 7), -EIO);
	assert_string_equal(err.msg, "vol7: a 1?b");
	restack_err_clear(&err);
	assert_string_equal(err.msg, "");
	restack_err_prefix(&err, -EIO, "only");
	assert_string_equal(err.msg, "only");
	assert_int_equal(restack_err_set(NULL, -ENOENT, "x"), -ENOENT);
	assert_int_equal(restack_err_prefix(NULL, -ENOENT, "x"), -ENOENT);
	restack_err_clear(NULL);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	restack_err_set(&err, -EIO, "%s", big);
	assert_int_equal(strlen(err.msg), RESTACK_ERR_MAX - 1);
	restack_err_prefix(&err, -EIO, "p");
	assert_int_equal(strlen(err.msg), RESTACK_ERR_MAX - 1);
	assert_memory_equal(err.msg, "p: xxx", 6);
	assert_string_equal(err.msg + RESTACK_ERR_MAX - 4, "...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_not_nul_terminated),
		cmocka_unit_test(test_check_token),
		cmocka_unit_test(test_check_token_length),
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_volume_names),
		cmocka_unit_test(test_err_helpers),
	};
	int failed = 0;

	failed += RESTACK_RUN_CASES("token_u64", u64_cases, u64_name,
				    test_u64_case);
	failed += RESTACK_RUN_CASES("token_devt", devt_cases, devt_name,
				    test_devt_case);
	failed += cmocka_run_group_tests_name("token_names", tests, NULL, NULL);
	return failed ? 1 : 0;
}
