// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_render.c - text and JSON renderings of a parsed status.
 */
#include <errno.h>
#include <stdio.h>

#include "restack_test.h"

#define CTRS "reads=10 writes=3 discards=0 write_zeroes=0 flushes=1 fua=0 " \
	"read_bytes=40960 write_bytes=12288 discard_bytes=0 inflight=2 "      \
	"errors=0 attaches=1 detaches=0"

/* Render into a string with fn(out, volume, st). */
static char *render(int (*fn)(FILE *, const char *,
			      const struct restack_status *),
		    const char *volume, const char *line)
{
	struct restack_status st;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	assert_int_equal(restack_status_parse(line, &st, NULL), 0);
	f = open_memstream(&buf, &size);
	assert_non_null(f);
	assert_int_equal(fn(f, volume, &st), 0);
	assert_int_equal(fclose(f), 0);
	restack_status_release(&st);
	return buf;
}

static void test_text(void **state)
{
	char *out;

	(void)state;
	out = render(restack_status_print_text, "vol0",
		     "attached cache " CTRS " sync_left=5 state=warm");
	assert_string_equal(out,
		"volume:        vol0\n"
		"mode:          attached\n"
		"policy:        cache\n"
		"reads:         10\n"
		"writes:        3\n"
		"discards:      0\n"
		"write_zeroes:  0\n"
		"flushes:       1\n"
		"fua:           0\n"
		"read_bytes:    40960\n"
		"write_bytes:   12288\n"
		"discard_bytes: 0\n"
		"inflight:      2\n"
		"errors:        0\n"
		"attaches:      1\n"
		"detaches:      0\n"
		"sync_left:     5\n"
		"state:         warm\n");
	free(out);
}

static void test_text_detached_long_key(void **state)
{
	char *out;

	(void)state;
	out = render(restack_status_print_text, "v",
		     "detached - " CTRS " a_very_long_key_name=1");
	assert_contains(out, "mode:          detached\npolicy:        -\n");
	assert_contains(out, "\na_very_long_key_name: 1\n");
	free(out);
}

static void test_json(void **state)
{
	char *out;

	(void)state;
	out = render(restack_status_print_json, "vol0",
		     "detaching cache " CTRS " sync_left=5 state=warm");
	assert_string_equal(out,
		"{\"volume\":\"vol0\",\"mode\":\"detaching\",\"policy\":\"cache\","
		"\"counters\":{\"reads\":10,\"writes\":3,\"discards\":0,"
		"\"write_zeroes\":0,\"flushes\":1,\"fua\":0,\"read_bytes\":40960,"
		"\"write_bytes\":12288,\"discard_bytes\":0,\"inflight\":2,"
		"\"errors\":0,\"attaches\":1,\"detaches\":0},"
		"\"policy_stats\":{\"sync_left\":5,\"state\":\"warm\"}}\n");
	free(out);
}

static void test_json_detached(void **state)
{
	char *out;

	(void)state;
	out = render(restack_status_print_json, "v",
		     "detached - reads=18446744073709551615 writes=0 discards=0"
		     " write_zeroes=0 flushes=0 fua=0 read_bytes=0 write_bytes=0"
		     " discard_bytes=0 inflight=0 errors=0 attaches=0 detaches=0"
		     " big=18446744073709551616 lead=01");
	assert_contains(out, "\"policy\":null,");
	assert_contains(out, "\"reads\":18446744073709551615,");
	/* not valid u64 decimals: kept as strings */
	assert_contains(out, "\"policy_stats\":{\"big\":\"18446744073709551616\","
			"\"lead\":\"01\"}}\n");
	free(out);
}

static void test_json_string_escapes(void **state)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(f);
	assert_int_equal(restack_json_string(f, "a\"b\\c\n\t\x01\x7f/\xc3\xa9"), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f/\xc3\xa9\"");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_detached_long_key),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_detached),
		cmocka_unit_test(test_json_string_escapes),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL) ? 1 : 0;
}
