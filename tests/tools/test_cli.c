// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_cli.c - black-box tests of the restack binary: exit codes,
 * one-line errors, help output, and clean failure without
 * device-mapper.  The binary is taken from $RESTACK_BIN (set by
 * `make check`); with $RESTACK_VALGRIND set (e.g. "valgrind") every run
 * goes through valgrind and must stay clean.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "restack_test.h"
#include "restack_run.h"


static bool file_has(const char *path, const char *needle)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/*
 * Could restack reach device-mapper here (driver present, or dm-mod
 * loadable)?  Then the "no device-mapper" test must not run: it would
 * not fail, and as root it might load dm-mod as a side effect.
 */
static bool dm_reachable(void)
{
	struct utsname u;
	struct stat st;
	char dep[512];

	if (file_has("/proc/misc", " device-mapper") ||
	    stat("/sys/module/dm_mod", &st) == 0)
		return true;
	if (uname(&u) != 0)
		return true;
	snprintf(dep, sizeof(dep), "/lib/modules/%s/modules.dep", u.release);
	return file_has(dep, "/dm-mod.ko");
}

/* ---- help and version ---- */

static void test_global_help(void **state)
{
	struct run r = RUN("--help");

	(void)state;
	assert_int_equal(r.code, 0);
	assert_true(strncmp(r.out, "Usage: restack <command>", 24) == 0);
	assert_string_equal(r.err, "");
	run_free(&r);
}

static void test_version(void **state)
{
	struct run r = RUN("--version");

	(void)state;
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, "restack 1.0.0 (target restack 1.0.0)\n");
	assert_string_equal(r.err, "");
	run_free(&r);
}

static const char *const subcommands[] = {
	"create", "remove", "attach", "detach", "status", "table", "message",
};

static void test_subcommand_help(void **state)
{
	char want[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		struct run r = RUN(subcommands[i], "--help");

		snprintf(want, sizeof(want), "Usage: restack %s ", subcommands[i]);
		assert_int_equal(r.code, 0);
		assert_true(strncmp(r.out, want, strlen(want)) == 0);
		assert_string_equal(r.err, "");
		run_free(&r);
	}
}

/* ---- usage errors: exit 2, one line ---- */

static void test_usage_errors(void **state)
{
	struct run r;

	(void)state;
	r = RUN("create");
	assert_int_equal(r.code, 2);
	assert_string_equal(r.err,
		"restack: create: missing <name> (try 'restack create --help')\n");
	assert_string_equal(r.out, "");
	run_free(&r);

	r = RUN("status", "--jsn");
	assert_int_equal(r.code, 2);
	assert_string_equal(r.err,
		"restack: status: unknown option \"--jsn\" (try 'restack status --help')\n");
	run_free(&r);

	r = run_restack(NULL, (const char *const[]){ NULL });
	assert_int_equal(r.code, 2);
	assert_string_equal(r.err, "restack: missing command (try 'restack --help')\n");
	run_free(&r);

	r = RUN("daemon");
	assert_int_equal(r.code, 2);
	assert_string_equal(r.err,
		"restack: daemon: missing --config <file> (try 'restack daemon --help')\n");
	run_free(&r);

	r = RUN("daemon", "--config", "/nonexistent/sla.ini");
	assert_int_equal(r.code, 2);
	assert_one_error_line(&r);
	assert_contains(r.err, "/nonexistent/sla.ini: No such file or directory");
	run_free(&r);

	r = RUN("status", "--state-dir");
	assert_int_equal(r.code, 2);
	assert_one_error_line(&r);
	assert_contains(r.err, "--state-dir needs a directory");
	run_free(&r);
}

/* ---- operational errors: exit 1, one line ---- */

static void test_origin_errors(void **state)
{
	struct run r;

	(void)state;
	r = RUN("create", "v0", "/nonexistent-restack-origin");
	assert_int_equal(r.code, 1);
	assert_string_equal(r.err,
		"restack: origin /nonexistent-restack-origin: No such file or directory\n");
	run_free(&r);

	r = RUN("create", "v0", "/dev/null");
	assert_int_equal(r.code, 1);
	assert_string_equal(r.err, "restack: origin /dev/null is not a block device\n");
	run_free(&r);

	r = RUN("create", "v0", "4095:1048575");
	assert_int_equal(r.code, 1);
	assert_string_equal(r.err,
		"restack: origin 4095:1048575: cannot read /sys/dev/block/4095:1048575/size: No such file or directory (give --size)\n");
	run_free(&r);
}

/* Without device-mapper every kernel command fails cleanly. */
static void test_no_device_mapper(void **state)
{
	const char *const *const cmds[] = {
		(const char *const[]){ "status", NULL },
		(const char *const[]){ "status", "--json", "v0", NULL },
		(const char *const[]){ "table", "v0", NULL },
		(const char *const[]){ "remove", "v0", NULL },
		(const char *const[]){ "attach", "v0", "noop", NULL },
		(const char *const[]){ "detach", "v0", NULL },
		(const char *const[]){ "message", "v0", "hello", NULL },
		(const char *const[]){ "create", "v0", "8:16", "--size", "8", NULL },
	};
	struct stat st;
	bool had_control;
	size_t i;

	(void)state;
	if (dm_reachable()) {
		print_message("device-mapper is reachable here; skipping\n");
		skip();
	}
	had_control = stat("/dev/mapper/control", &st) == 0;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run r = run_restack(NULL, cmds[i]);

		assert_int_equal(r.code, 1);
		assert_one_error_line(&r);
		assert_contains(r.err, "restack: device-mapper is not available");
		assert_string_equal(r.out, "");
		run_free(&r);
	}
	/* and no control node was made up on the way */
	if (!had_control)
		assert_int_not_equal(stat("/dev/mapper/control", &st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_help),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_subcommand_help),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_origin_errors),
		cmocka_unit_test(test_no_device_mapper),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL) ? 1 : 0;
}
