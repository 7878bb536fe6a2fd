// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_dm.c - lib/restack_dm.c against the in-memory fake libdevmapper
 * (fake_libdm.c): target-type checks, error mapping and wording,
 * message/response handling, listing, node updates.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "restack_test.h"
#include "fake_libdm.h"

#define CTRS "reads=0 writes=0 discards=0 write_zeroes=0 flushes=0 fua=0 " \
	"read_bytes=0 write_bytes=0 discard_bytes=0 inflight=0 errors=0 "     \
	"attaches=0 detaches=0"

static char dir[64];
static char control[96];

/* A fake dm_dir() with a "control" file in it, so the check proceeds. */
static int group_setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/restack-test-dm-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(control, sizeof(control), "%s/control", dir);
	f = fopen(control, "w");
	if (!f)
		return -1;
	fclose(f);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(control);
	rmdir(dir);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	fake_dm_reset(dir);
	return 0;
}

static void expect_err(int r, int code, const struct restack_err *err,
		       const char *msg)
{
	assert_int_equal(r, code);
	assert_string_equal(err->msg, msg);
}

/* Runs first: restack_dm_check() caches success afterwards. */
static void test_driver_missing(void **state)
{
	struct restack_err err;
	char *params = NULL;
	char want[512];
	int r;

	(void)state;
	fake_dm.driver_ok = false;
	r = restack_dm_status("v0", &params, &err);
	snprintf(want, sizeof(want),
		 "device-mapper is not available (%s: open failed: No such device); is dm-mod loaded and %s present?",
		 control, control);
	expect_err(r, -ENODEV, &err, want);
	assert_null(params);
	fake_dm.driver_ok = true;
	assert_int_equal(restack_dm_check(&err), 0);
	assert_int_equal(restack_dm_check(&err), 0);
	assert_int_equal(fake_dm.version_calls, 2);	/* then cached */
}

static void test_create(void **state)
{
	static const char *const args[] = { "a=1" };
	struct restack_table_spec spec = {
		.origin = "8:16", .size = 2048, .policy = "noop",
	};
	struct restack_err err;
	struct fake_dev *d;

	(void)state;
	assert_int_equal(restack_dm_create("v0", &spec, &err), 0);
	d = fake_dm_find("v0");
	assert_non_null(d);
	assert_int_equal(d->ntargets, 1);
	assert_string_equal(d->t[0].type, "restack");
	assert_true(d->t[0].start == 0 && d->t[0].len == 2048);
	assert_string_equal(d->t[0].params, "8:16 policy noop 0");
	assert_int_equal(fake_dm.update_nodes_calls, 1);

	spec.policy = "p";
	spec.argc = 1;
	spec.argv = args;
	spec.origin = "/dev/vdb";
	assert_int_equal(restack_dm_create("v1", &spec, &err), 0);
	assert_string_equal(fake_dm_find("v1")->t[0].params, "/dev/vdb policy p 1 a=1");
}

static void test_create_exists(void **state)
{
	struct restack_table_spec spec = { .origin = "8:16", .size = 8 };
	struct restack_err err;

	(void)state;
	fake_dm_add("v0", "linear", 8, "8:16 0", "");
	expect_err(restack_dm_create("v0", &spec, &err), -EEXIST, &err,
		   "v0: a device-mapper device with this name already exists");
	assert_string_equal(fake_dm_find("v0")->t[0].type, "linear");
}

static void test_create_load_fails(void **state)
{
	struct restack_table_spec spec = { .origin = "8:16", .size = 8 };
	struct restack_err err;

	(void)state;
	fake_dm.create_load_fails = true;
	expect_err(restack_dm_create("v0", &spec, &err), -EIO, &err,
		   "v0: create failed: device-mapper: reload ioctl on v0 failed: Invalid argument (kernel log may have details)");
	assert_null(fake_dm_find("v0"));
	assert_int_equal(fake_dm.update_nodes_calls, 1);
}

static void test_create_invalid(void **state)
{
	struct restack_table_spec spec = { .origin = "8:16", .size = 0 };
	struct restack_err err;

	(void)state;
	expect_err(restack_dm_create("v0", &spec, &err), -EINVAL, &err,
		   "size must be greater than 0 sectors");
	spec.size = 1;
	expect_err(restack_dm_create("v/0", &spec, &err), -EINVAL, &err,
		   "volume name \"v/0\": invalid character at offset 1 (allowed: letters, digits and #+-.:=@_)");
	assert_null(fake_dm_find("v0"));
	assert_int_equal(fake_dm.update_nodes_calls, 0);
}

static void test_status(void **state)
{
	struct restack_err err;
	char *params = NULL;

	(void)state;
	fake_dm_add("v0", "restack", 64, "8:16", "detached - " CTRS);
	assert_int_equal(restack_dm_status("v0", &params, &err), 0);
	assert_string_equal(params, "detached - " CTRS);
	free(params);
}

static void test_status_errors(void **state)
{
	struct restack_err err;
	struct fake_dev *d;
	char *params = NULL;

	(void)state;
	expect_err(restack_dm_status("ghost", &params, &err), -ENXIO, &err,
		   "ghost: no such volume");
	fake_dm_add("lin", "linear", 8, "8:16 0", "");
	expect_err(restack_dm_status("lin", &params, &err), -EMEDIUMTYPE, &err,
		   "lin: not a restack volume (target type \"linear\")");
	d = fake_dm_add("multi", "restack", 8, "8:16", "detached - " CTRS);
	d->ntargets = 2;
	d->t[1] = d->t[0];
	d->t[1].start = 8;
	expect_err(restack_dm_status("multi", &params, &err), -EMEDIUMTYPE, &err,
		   "multi: not a restack volume (more than one target)");
	fake_dm_add("empty", NULL, 0, NULL, NULL);
	expect_err(restack_dm_status("empty", &params, &err), -EMEDIUMTYPE, &err,
		   "empty: not a restack volume (no active table)");
	d = fake_dm_add("offset", "restack", 8, "8:16", "detached - " CTRS);
	d->t[0].start = 8;
	expect_err(restack_dm_status("offset", &params, &err), -EMEDIUMTYPE, &err,
		   "offset: not a restack volume (target type \"restack\")");
	assert_null(params);
}

static void test_table(void **state)
{
	struct restack_err err;
	char *params = NULL;
	uint64_t len = 0;

	(void)state;
	fake_dm_add("v0", "restack", 4096, "8:16 policy noop 0", "x");
	assert_int_equal(restack_dm_table("v0", &len, &params, &err), 0);
	assert_true(len == 4096);
	assert_string_equal(params, "8:16 policy noop 0");
	free(params);
	assert_int_equal(restack_dm_table("v0", NULL, NULL, &err), 0);
	expect_err(restack_dm_table("ghost", &len, &params, &err), -ENXIO, &err,
		   "ghost: no such volume");
}

static void test_remove(void **state)
{
	struct restack_err err;

	(void)state;
	fake_dm_add("v0", "restack", 8, "8:16", "");
	fake_dm_add("lin", "linear", 8, "8:16 0", "");
	fake_dm.remove_errno = EBUSY;
	expect_err(restack_dm_remove("v0", &err), -EBUSY, &err,
		   "v0: remove failed: Device or resource busy (volume is open or mounted)");
	assert_non_null(fake_dm_find("v0"));
	assert_int_equal(restack_dm_remove("v0", &err), 0);
	assert_null(fake_dm_find("v0"));
	assert_int_equal(fake_dm.retry_remove_calls, 2);
	assert_int_equal(fake_dm.update_nodes_calls, 2);
	expect_err(restack_dm_remove("lin", &err), -EMEDIUMTYPE, &err,
		   "lin: not a restack volume (target type \"linear\")");
	assert_non_null(fake_dm_find("lin"));
	expect_err(restack_dm_remove("v0", &err), -ENXIO, &err,
		   "v0: no such volume");
}

static void test_message(void **state)
{
	struct restack_err err;
	char *resp = NULL;

	(void)state;
	fake_dm_add("v0", "restack", 8, "8:16", "");
	fake_dm.last_msg_sector = 77;
	assert_int_equal(restack_dm_message("v0", "attach noop", &resp, &err), 0);
	assert_string_equal(fake_dm.last_msg, "attach noop");
	assert_string_equal(fake_dm.last_msg_dev, "v0");
	assert_true(fake_dm.last_msg_sector == 0);
	assert_string_equal(resp, "");
	free(resp);

	fake_dm.msg_response = "hits=3";
	assert_int_equal(restack_dm_message("v0", "stats", &resp, &err), 0);
	assert_string_equal(resp, "hits=3");
	free(resp);
	assert_int_equal(restack_dm_message("v0", "stats", NULL, &err), 0);
}

static void test_message_errors(void **state)
{
	struct restack_err err;
	char *resp = (char *)0x1;

	(void)state;
	fake_dm_add("v0", "restack", 8, "8:16", "");
	fake_dm_add("lin", "linear", 8, "8:16 0", "");
	fake_dm.msg_errno = EINVAL;
	expect_err(restack_dm_message("v0", "attach bogus", &resp, &err), -EINVAL,
		   &err, "v0: message \"attach bogus\" failed: Invalid argument (rejected by the target; see the kernel log)");
	assert_null(resp);
	fake_dm.msg_errno = EPERM;
	expect_err(restack_dm_message("v0", "detach", &resp, &err), -EPERM, &err,
		   "v0: message \"detach\" failed: Operation not permitted (are you root?)");
	fake_dm.msg_errno = ENOMEM;
	expect_err(restack_dm_message("v0", "detach", &resp, &err), -ENOMEM, &err,
		   "v0: message \"detach\" failed: Cannot allocate memory");
	fake_dm.msg_errno = 0;
	fake_dm.last_msg[0] = '\0';
	expect_err(restack_dm_message("lin", "detach", &resp, &err), -EMEDIUMTYPE,
		   &err, "lin: not a restack volume (target type \"linear\")");
	assert_string_equal(fake_dm.last_msg, "");	/* never sent */
	expect_err(restack_dm_message("v0", "", &resp, &err), -EINVAL, &err,
		   "v0: empty message");
	expect_err(restack_dm_message("ghost", "detach", &resp, &err), -ENXIO,
		   &err, "ghost: no such volume");
}

static void test_list(void **state)
{
	struct restack_err err;
	struct fake_dev *d;
	char **names = (char **)0x1;
	size_t n = 99;

	(void)state;
	assert_int_equal(restack_dm_list(&names, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(names);

	fake_dm_add("vol-b", "restack", 8, "8:16", "");
	fake_dm_add("lin", "linear", 8, "8:16 0", "");
	fake_dm_add("vol-a", "restack", 8, "8:17", "");
	d = fake_dm_add("multi", "restack", 8, "8:16", "");
	d->ntargets = 2;
	fake_dm_add("odd name", "restack", 8, "8:18", "");	/* not ours to name */
	fake_dm_add("empty", NULL, 0, NULL, NULL);
	assert_int_equal(restack_dm_list(&names, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "vol-a");
	assert_string_equal(names[1], "vol-b");
	assert_string_equal(err.msg, "");
	restack_names_free(names, n);
}

static void test_kmod(void **state)
{
	struct restack_err err;

	(void)state;
	/* libkmod cannot find it: step aside for request_module() */
	assert_int_equal(restack_kmod_load("restack-test-no-such-module", &err), 1);
	assert_int_equal(restack_policy_module_load("no-such-policy-xyz", &err), 1);
	expect_err(restack_policy_module_load("Bad", &err), -EINVAL, &err,
		   "policy name \"Bad\": invalid character at offset 0 (allowed: [a-z0-9_-], not starting or ending with '-')");
	restack_dm_exit();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_driver_missing, setup),
		cmocka_unit_test_setup(test_create, setup),
		cmocka_unit_test_setup(test_create_exists, setup),
		cmocka_unit_test_setup(test_create_load_fails, setup),
		cmocka_unit_test_setup(test_create_invalid, setup),
		cmocka_unit_test_setup(test_status, setup),
		cmocka_unit_test_setup(test_status_errors, setup),
		cmocka_unit_test_setup(test_table, setup),
		cmocka_unit_test_setup(test_remove, setup),
		cmocka_unit_test_setup(test_message, setup),
		cmocka_unit_test_setup(test_message_errors, setup),
		cmocka_unit_test_setup(test_list, setup),
		cmocka_unit_test_setup(test_kmod, setup),
	};

	return cmocka_run_group_tests_name("dm_control", tests, group_setup,
					   group_teardown) ? 1 : 0;
}
