// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_sla.c - the SLA file parser: every key, defaults, canonical
 * round trip, and malformed files, each rejected with a one-line message
 * naming its line.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "restack_test.h"
#include "analyze/restack_sla.h"

static const char full[] =
	"; a full SLA file\n"
	"# with every key\n"
	"[volume vol0]\n"
	"origin = /dev/vdb\n"
	"fast_device = /dev/vdc\n"
	"max_cache_bytes = 1G\n"
	"read_p50_us = 100\n"
	"read_p90_us = 500.5\n"
	"read_p99_us = 2000\n"
	"read_p999_us = 9000\n"
	"write_p50_us = 50\n"
	"write_p90_us = 200\n"
	"write_p99_us = 5000\n"
	"write_p999_us = 20000\n"
	"min_iops = 3000\n"
	"origin_read_us = 800\n"
	"origin_read_p99_us = 4000\n"
	"origin_write_us = 300\n"
	"origin_write_p99_us = 3000\n"
	"fast_read_us = 80\n"
	"fast_read_p99_us = 250\n"
	"fast_write_us = 40\n"
	"fast_write_p99_us = 120\n"
	"origin_iops = 20000\n"
	"fast_iops = 200000\n"
	"queue_depth = 16\n"
	"modes = wt, wa\n"
	"replacements = s3fifo,arc,lru\n"
	"block_sizes = 4K,64K\n"
	"promote_hits = 0,2\n"
	"seq_cutoffs = 0,1M\n"
	"cache_sizes = 256M,512M,1G\n"
	"sample_rate = 0.05\n"
	"\n"
	"  [volume vol1]   ; indented, with a comment\n"
	"  fast_device = /dev/mapper/fast1\n"
	"\tmax_cache_bytes = 64M\n"
	"fast_profile = /var/tmp/fast.rst\n"
	"origin_profile = /var/tmp/origin.rst\n"
	"min_iops = 100\n";

static void test_full_file(void **state)
{
	struct restack_sla sla;
	struct restack_err err = { "" };
	const struct restack_sla_volume *v;

	(void)state;
	if (restack_sla_parse_string(full, strlen(full), "full.ini", &sla, &err)) {
		print_error("%s\n", err.msg);
		fail();
	}
	assert_int_equal(sla.n, 2);
	v = restack_sla_find(&sla, "vol0", &err);
	assert_non_null(v);
	assert_int_equal(v->line, 3);
	assert_string_equal(v->origin, "/dev/vdb");
	assert_string_equal(v->fast_device, "/dev/vdc");
	assert_true(v->max_cache_bytes == 1ULL << 30);
	assert_true(v->read_us[RESTACK_PCT_50] == 100);
	assert_true(v->read_us[RESTACK_PCT_90] == 500.5);
	assert_true(v->read_us[RESTACK_PCT_99] == 2000);
	assert_true(v->read_us[RESTACK_PCT_999] == 9000);
	assert_true(v->write_us[RESTACK_PCT_999] == 20000);
	assert_true(v->min_iops == 3000);
	assert_true(v->origin_read.median_us == 800 && v->origin_read.p99_us == 4000);
	assert_true(v->fast_write.median_us == 40 && v->fast_write.p99_us == 120);
	assert_true(v->origin_iops == 20000 && v->fast_iops == 200000);
	assert_int_equal(v->queue_depth, 16);
	assert_int_equal(v->modes, (1u << RS_MODE_WT) | (1u << RS_MODE_WA));
	assert_int_equal(v->replacements, (1u << RS_REPL_S3FIFO) |
			 (1u << RS_REPL_ARC) | (1u << RS_REPL_LRU));
	assert_int_equal(v->nblock_sizes, 2);
	assert_int_equal(v->block_sizes[1], 65536);
	assert_int_equal(v->npromote, 2);
	assert_int_equal(v->promote_hits[1], 2);
	assert_true(v->nseq == 2 && v->seq_cutoffs[1] == 1 << 20);
	assert_true(v->nsizes == 3 && v->cache_sizes[0] == 256 << 20);
	assert_true(v->sample_rate == 0.05);
	v = restack_sla_find(&sla, "vol1", &err);
	assert_non_null(v);
	assert_int_equal(v->line, 35);
	assert_string_equal(v->fast_device, "/dev/mapper/fast1");
	assert_string_equal(v->fast_profile, "/var/tmp/fast.rst");
	/* defaults */
	assert_int_equal(v->modes, 7);
	assert_int_equal(v->replacements, (1u << RS_REPL_NR_KINDS) - 1);
	assert_true(v->nblock_sizes == 2 && v->block_sizes[0] == 4096);
	assert_true(v->npromote == 2 && v->nseq == 2);
	assert_true(v->sample_rate == 0.01);
	/* lookups */
	assert_null(restack_sla_find(&sla, NULL, &err));
	assert_contains(err.msg, "--volume");
	assert_null(restack_sla_find(&sla, "vol9", &err));
	assert_contains(err.msg, "vol9");
	restack_sla_release(&sla);
	restack_sla_release(&sla);	/* safe twice */
}

/* The issue's example plus the fast device's latency. */
static void test_minimal_file(void **state)
{
	static const char text[] =
		"[volume vol0]\r\n"
		"origin = /dev/vdb\r\n"
		"fast_device = /dev/vdc\r\n"
		"max_cache_bytes = 1G\r\n"
		"read_p99_us = 2000\r\n"
		"write_p99_us = 5000\r\n"
		"min_iops = 3000\r\n"
		"fast_read_us = 100\r\n"
		"fast_write_us = 50\r\n";
	struct restack_sla sla;
	struct restack_err err = { "" };

	(void)state;
	assert_int_equal(restack_sla_parse_string(text, strlen(text), "m.ini", &sla,
						  &err), 0);
	assert_non_null(restack_sla_find(&sla, NULL, &err));
	assert_true(sla.vols[0].fast_read.p99_us == 0);
	restack_sla_release(&sla);
}

/* The issue's example exactly: the fast device is calibrated later. */
static void test_issue_example(void **state)
{
	static const char text[] =
		"[volume vol0]\n"
		"origin = /dev/vdb\n"
		"fast_device = /dev/vdc\n"
		"max_cache_bytes = 1G\n"
		"read_p99_us = 2000\n"
		"write_p99_us = 5000\n"
		"min_iops = 3000\n";
	struct restack_sla sla;
	struct restack_err err = { "" };

	(void)state;
	assert_int_equal(restack_sla_parse_string(text, strlen(text), "i.ini", &sla,
						  &err), 0);
	assert_null(sla.vols[0].fast_profile);
	assert_true(sla.vols[0].fast_read.median_us == 0);
	assert_true(sla.vols[0].fast_write.median_us == 0);
	assert_string_equal(sla.vols[0].fast_device, "/dev/vdc");
	restack_sla_release(&sla);
}

static void test_round_trip(void **state)
{
	struct restack_sla a, b;
	struct restack_err err = { "" };
	char *t1 = NULL, *t2 = NULL;

	(void)state;
	assert_int_equal(restack_sla_parse_string(full, strlen(full), "f", &a, &err), 0);
	assert_int_equal(restack_sla_format(&a, &t1), 0);
	if (restack_sla_parse_string(t1, strlen(t1), "t1", &b, &err)) {
		print_error("%s\n%s", err.msg, t1);
		fail();
	}
	assert_int_equal(restack_sla_format(&b, &t2), 0);
	assert_string_equal(t1, t2);
	assert_contains(t1, "[volume vol0]\norigin = /dev/vdb\n");
	assert_contains(t1, "read_p90_us = 500.5\n");
	assert_contains(t1, "modes = wt,wa\n");
	assert_contains(t1, "replacements = lru,s3fifo,arc\n");
	assert_contains(t1, "sample_rate = 0.05\n");
	free(t1);
	free(t2);
	restack_sla_release(&a);
	restack_sla_release(&b);
}

/* ---- malformed files ---- */

#define HEAD "[volume v]\nfast_device = /dev/f\nmax_cache_bytes = 1G\n" \
	     "fast_read_us = 10\nfast_write_us = 10\n"

struct bad_case {
	const char *name;
	const char *text;
	const char *msg;	/* expected in the error, with the line */
};

static const struct bad_case bad_cases[] = {
	{ "unknown key", HEAD "read_p99 = 5\n", "line 6: unknown key \"read_p99\" in [volume v]" },
	{ "misspelt key", HEAD "min_iop = 5\n", "line 6: unknown key \"min_iop\"" },
	{ "duplicate key", HEAD "min_iops = 5\nmin_iops = 6\n", "line 7: min_iops given again (first on line 6)" },
	{ "duplicate section", HEAD "min_iops = 5\n[volume v]\n", "line 7: section [volume v] repeats the one on line 1" },
	{ "unknown section", "[global]\nx = 1\n", "line 1: unknown section [global]" },
	{ "unknown empty section", HEAD "min_iops = 5\n[pool p]\n", "line 7: unknown section [pool p]" },
	{ "bad volume name", "[volume a/b]\n", "line 1: section [volume a/b]" },
	{ "section without name", "[volume ]\n", "line 1: unknown section [volume]" },
	{ "unterminated section", "[volume v\n", "line 1: section header without ']'" },
	{ "junk after section", "[volume v] x\n", "line 1: text after the section header" },
	{ "key before section", "min_iops = 5\n[volume v]\n", "line 1: \"min_iops\" outside a [volume <name>] section" },
	{ "no equals", HEAD "min_iops 5\n", "line 6: syntax error" },
	{ "no section at all", "; nothing\n", "no [volume <name>] section" },
	{ "empty file", "", "no [volume <name>] section" },
	{ "NUL byte", HEAD "min_iops = 5\0\n", "line 6: NUL byte" },
	{ "long line", HEAD "origin = /dev/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nmin_iops = 5\n", "line 6: longer than 198 characters" },
	{ "negative latency", HEAD "read_p99_us = -5\n", "line 6: read_p99_us: \"-5\" is not a positive decimal" },
	{ "zero latency", HEAD "read_p99_us = 0\n", "line 6: read_p99_us: \"0\" is not a positive" },
	{ "latency with unit", HEAD "read_p99_us = 5ms\n", "line 6: read_p99_us" },
	{ "latency exponent", HEAD "read_p99_us = 1e3\n", "line 6: read_p99_us" },
	{ "latency leading zero", HEAD "read_p99_us = 05\n", "line 6: read_p99_us" },
	{ "huge latency", HEAD "read_p99_us = 99999999999999\n", "line 6: read_p99_us: \"99999999999999\" is not a positive decimal number (too large)" },
	{ "empty value", HEAD "min_iops =\n", "line 6: min_iops" },
	{ "bad size", "[volume v]\nmax_cache_bytes = 1GB\n", "line 2: max_cache_bytes: \"1GB\" has an unknown suffix" },
	{ "tiny cache", "[volume v]\nmax_cache_bytes = 100\n", "line 2: max_cache_bytes: at least 512" },
	{ "fast device with space", "[volume v]\nfast_device = /dev/a b\n", "line 2: fast_device" },
	{ "bad mode", HEAD "modes = wt,writeback\n", "line 6: modes: \"writeback\" is not wt, wb or wa" },
	{ "repeated mode", HEAD "modes = wt,wt\n", "line 6: modes: an item is repeated" },
	{ "empty list item", HEAD "modes = wt,,wb\n", "line 6: modes: expected a comma-separated list" },
	{ "bad replacement", HEAD "replacements = lfu\n", "line 6: replacements: \"lfu\" is not lru" },
	{ "bad block size", HEAD "block_sizes = 3K\n", "line 6: block_sizes: 3072 is not a power of two" },
	{ "repeated block size", HEAD "block_sizes = 4K,4096\n", "line 6: block_sizes: an item is repeated" },
	{ "promote too large", HEAD "promote_hits = 300\n", "line 6: promote_hits: \"300\" is not an integer" },
	{ "promote fraction", HEAD "promote_hits = 1.5\n", "line 6: promote_hits" },
	{ "zero cache size", HEAD "cache_sizes = 0\n", "line 6: cache_sizes: a cache size of 0" },
	{ "too many items", HEAD "promote_hits = 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16\n", "line 6: promote_hits: expected a comma-separated list of at most 16" },
	{ "queue depth zero", HEAD "queue_depth = 0\n", "line 6: queue_depth" },
	{ "queue depth fraction", HEAD "queue_depth = 2.5\n", "line 6: queue_depth" },
	{ "sample rate above one", HEAD "sample_rate = 1.5\n", "line 6: sample_rate" },
	{ "missing fast_device", "[volume v]\nmax_cache_bytes = 1G\nmin_iops = 1\n", "line 1: [volume v]: missing fast_device" },
	{ "missing max_cache_bytes", "; c\n[volume v]\nfast_device = /dev/f\nmin_iops = 1\n", "line 2: [volume v]: missing max_cache_bytes" },
	{ "no target", HEAD, "line 1: [volume v]: no target" },
	{ "half fast latency", "[volume v]\nfast_device = /dev/f\nmax_cache_bytes = 1G\nmin_iops = 5\nfast_read_us = 5\n", "line 1: [volume v]: give both fast_read_us and fast_write_us, or neither" },
	{ "half fast latency (write)", "[volume v]\nfast_device = /dev/f\nmax_cache_bytes = 1G\nmin_iops = 5\nfast_write_us = 5\n", "give both fast_read_us and fast_write_us, or neither" },
	{ "profile and numbers", HEAD "min_iops = 5\nfast_profile = /x\n", "line 7: [volume v]: fast_profile and fast_*_us exclude each other" },
	{ "origin half given", HEAD "min_iops = 5\norigin_read_us = 5\n", "give both origin_read_us and origin_write_us" },
	{ "p99 below median", HEAD "min_iops = 5\nfast_read_p99_us = 5\n", "line 7: [volume v]: fast_read_p99_us is below fast_read_us" },
	{ "p99 without median", HEAD "min_iops = 5\norigin_read_p99_us = 5\n", "origin_read_p99_us needs origin_read_us" },
	{ "block above cache", "[volume v]\nfast_device = /dev/f\nmax_cache_bytes = 4K\nfast_read_us = 10\nfast_write_us = 10\nmin_iops = 5\nblock_sizes = 64K\n", "line 7: [volume v]: block size 65536 exceeds max_cache_bytes" },
	{ "cache size above max", HEAD "min_iops = 5\ncache_sizes = 2G\n", "line 7: [volume v]: cache size 2147483648 exceeds max_cache_bytes" },
	{ "daemon: unknown key", HEAD "min_iops = 5\n[daemon]\nwindow = 2\n", "line 8: unknown key \"window\" in [daemon]" },
	{ "daemon: bad window", "[daemon]\nwindow_s = 0.05\n" HEAD "min_iops = 5\n", "line 2: window_s: \"0.05\" is not a number of seconds from 0.1 to 3600" },
	{ "daemon: repeated", "[daemon]\n[daemon]\n", "line 2: section [daemon] repeats the one on line 1" },
	{ "daemon only", "[daemon]\nretry_s = 5\n", "no [volume <name>] section" },
	{ "second volume broken", HEAD "min_iops = 5\n\n[volume w]\nmin_iops = x\n", "line 9: min_iops: \"x\"" },
};

static const char *bad_name(const void *c)
{
	return ((const struct bad_case *)c)->name;
}

static void test_bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct restack_sla sla = { .vols = (void *)1, .n = 7 };
	struct restack_err err = { "" };
	size_t len = strlen(c->text);
	int r;

	/* the NUL case: include the byte and what follows */
	if (strstr(c->name, "NUL"))
		len += 2;
	r = restack_sla_parse_string(c->text, len, "bad.ini", &sla, &err);
	assert_int_equal(r, -EINVAL);
	assert_null(sla.vols);
	assert_int_equal(sla.n, 0);
	assert_contains(err.msg, "bad.ini: ");
	assert_contains(err.msg, c->msg);
	assert_null(strchr(err.msg, '\n'));
}

static void test_file_errors(void **state)
{
	struct restack_sla sla;
	struct restack_err err = { "" };
	char path[] = "/tmp/restack-test-sla-XXXXXX";
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(restack_sla_parse_file("/nonexistent/sla.ini", &sla, &err),
			 -ENOENT);
	assert_contains(err.msg, "/nonexistent/sla.ini: ");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(HEAD "min_iops = 5\nbogus = 1\n", f);
	fclose(f);
	assert_int_equal(restack_sla_parse_file(path, &sla, &err), -EINVAL);
	assert_contains(err.msg, path);
	assert_contains(err.msg, "line 7: unknown key \"bogus\"");
	f = fopen(path, "w");
	fputs(HEAD "min_iops = 5\n", f);
	fclose(f);
	assert_int_equal(restack_sla_parse_file(path, &sla, &err), 0);
	restack_sla_release(&sla);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_minimal_file),
		cmocka_unit_test(test_issue_example),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_file_errors),
	};
	int r;

	r = cmocka_run_group_tests(tests, NULL, NULL);
	r |= RESTACK_RUN_CASES("sla malformed", bad_cases, bad_name, test_bad_case);
	return r;
}
