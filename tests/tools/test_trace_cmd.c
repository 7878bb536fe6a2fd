// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_trace_cmd.c - the trace, dump and import commands: option grammar
 * (restack_trace_args_parse), number parsers, the collector's pure helpers
 * and the reorder buffer, and black-box runs of the restack binary
 * ($RESTACK_BIN; under $RESTACK_VALGRIND if set) for dump and import.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "restack_test.h"
#include "restack_run.h"
#include "control/restack_collect.h"
#include "cmd/restack_trace_cmd.h"

static char tmpdir[64];

static char *tpath(const char *name)
{
	static char p[8][160];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

/* ---- option grammar ---- */

#define ARGS(...) ((const char *const[]){ __VA_ARGS__ })
#define NARGS(...) (sizeof(ARGS(__VA_ARGS__)) / sizeof(const char *))
#define PARSE(id, a, err, ...) \
	restack_trace_args_parse(id, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__), a, err)

static void test_trace_args(void **state)
{
	struct restack_trace_args a;
	struct restack_err err;

	(void)state;
	assert_int_equal(PARSE(RESTACK_CMD_TRACE, &a, &err, "vol", "-o", "f"), 0);
	assert_string_equal(a.volume, "vol");
	assert_string_equal(a.output, "f");
	assert_int_equal(a.duration_ns, 0);
	assert_int_equal(a.sample_threshold, DM_RESTACK_SAMPLE_MODULUS);
	assert_int_equal(a.sample_block, 8);
	assert_int_equal(a.buffer_bytes, 4 << 20);
	assert_int_equal(a.window, 1000000000ULL);
	assert_false(a.zstd);

	assert_int_equal(PARSE(RESTACK_CMD_TRACE, &a, &err, "-z", "--output=-",
			       "/dev/mapper/v", "-w", "2.5", "--sample", "0.1",
			       "--sample-block=16", "--buffer", "64K",
			       "--window", "250", "-q"), 0);
	assert_string_equal(a.volume, "/dev/mapper/v");
	assert_string_equal(a.output, "-");
	assert_true(a.zstd && a.quiet);
	assert_int_equal(a.duration_ns, 2500000000ULL);
	assert_int_equal(a.sample_threshold, 1677722);
	assert_int_equal(a.sample_block, 16);
	assert_int_equal(a.buffer_bytes, 65536);
	assert_int_equal(a.window, 250000000ULL);

	assert_int_equal(PARSE(RESTACK_CMD_TRACE, &a, &err, "v", "-o", "f",
			       "--buffer", "0.5"), 0);
	assert_int_equal(a.buffer_bytes, 512 << 10);
	assert_int_equal(PARSE(RESTACK_CMD_TRACE, &a, &err, "v", "-o", "f",
			       "--sample", "1"), 0);
	assert_int_equal(a.sample_threshold, DM_RESTACK_SAMPLE_MODULUS);
	/* tiny rates round to at least 1 */
	assert_int_equal(PARSE(RESTACK_CMD_TRACE, &a, &err, "v", "-o", "f",
			       "--sample", "0.00000001"), 0);
	assert_int_equal(a.sample_threshold, 1);
	/* "--" ends options: a volume named like an option */
	assert_int_equal(PARSE(RESTACK_CMD_TRACE, &a, &err, "-o", "f", "--", "-v"), 0);
	assert_string_equal(a.volume, "-v");
}

static void test_dump_import_args(void **state)
{
	struct restack_trace_args a;
	struct restack_err err;

	(void)state;
	assert_int_equal(PARSE(RESTACK_CMD_DUMP, &a, &err, "t.rtr"), 0);
	assert_string_equal(a.input, "t.rtr");
	assert_false(a.csv);
	assert_int_equal(PARSE(RESTACK_CMD_DUMP, &a, &err, "--csv", "-"), 0);
	assert_string_equal(a.input, "-");
	assert_true(a.csv);

	assert_int_equal(PARSE(RESTACK_CMD_IMPORT, &a, &err, "--from", "msr",
			       "in.csv", "-o", "out", "-z"), 0);
	assert_int_equal(a.format, RESTACK_IMPORT_MSR);
	assert_string_equal(a.input, "in.csv");
	assert_string_equal(a.output, "out");
	assert_true(a.zstd);
	assert_int_equal(a.window, RESTACK_IMPORT_WINDOW_DEFAULT);
	assert_int_equal(PARSE(RESTACK_CMD_IMPORT, &a, &err, "-", "--from=alibaba",
			       "--output", "o", "--window", "10"), 0);
	assert_int_equal(a.format, RESTACK_IMPORT_ALIBABA);
	assert_string_equal(a.input, "-");
	assert_int_equal(a.window, 10);
}

struct bad_args {
	const char *name;
	enum restack_cmd_id id;
	unsigned int argc;
	const char *argv[12];
	const char *msg;
};

static const struct bad_args bad_args[] = {
	{ "trace no args", RESTACK_CMD_TRACE, 0, { NULL }, "trace: missing <vol>" },
	{ "trace no -o", RESTACK_CMD_TRACE, 1, { "v" },
	  "trace: missing -o <file> (\"-o -\" for stdout)" },
	{ "trace -o without value", RESTACK_CMD_TRACE, 2, { "v", "-o" },
	  "trace: -o needs a value" },
	{ "trace -o twice", RESTACK_CMD_TRACE, 5, { "v", "-o", "a", "-o", "b" },
	  "trace: -o given more than once" },
	{ "trace empty -o", RESTACK_CMD_TRACE, 2, { "v", "--output=" },
	  "trace: empty -o" },
	{ "trace two volumes", RESTACK_CMD_TRACE, 4, { "v", "w", "-o", "f" },
	  "trace: unexpected argument \"w\"" },
	{ "trace unknown option", RESTACK_CMD_TRACE, 4, { "v", "-o", "f", "--csv" },
	  "trace: unknown option \"--csv\"" },
	{ "trace -w 0", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "-w", "0" },
	  "trace: -w \"0\" is not a positive number of seconds" },
	{ "trace -w negative", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "-w", "-1" },
	  "trace: -w \"-1\" is not a positive" },
	{ "trace -w 1.", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "-w", "1." },
	  "trace: -w \"1.\" is not" },
	{ "trace -w 1e3", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "-w", "1e3" },
	  "trace: -w \"1e3\" is not" },
	{ "trace -w huge", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "-w", "99999999999999" },
	  "trace: -w \"99999999999999\" is not" },
	{ "trace --sample 0", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "--sample", "0" },
	  "trace: --sample: sample rate 0 is not in (0, 1]" },
	{ "trace --sample 1.5", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "--sample", "1.5" },
	  "sample rate 1.5 is not in (0, 1]" },
	{ "trace --sample .5", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "--sample", ".5" },
	  "sample rate \".5\" is not a decimal number" },
	{ "trace --sample nan", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "--sample", "nan" },
	  "sample rate \"nan\" is not a decimal number" },
	{ "trace --sample 1e-1", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "--sample", "1e-1" },
	  "sample rate \"1e-1\" is not a decimal number" },
	{ "trace --sample-block 3", RESTACK_CMD_TRACE, 5,
	  { "v", "-o", "f", "--sample-block", "3" },
	  "trace: --sample-block \"3\" is not a power of two from 1 to 2048" },
	{ "trace --sample-block 4096", RESTACK_CMD_TRACE, 5,
	  { "v", "-o", "f", "--sample-block", "4096" }, "--sample-block \"4096\"" },
	{ "trace --buffer 4K", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "--buffer", "4K" },
	  "trace: --buffer \"4K\" is out of range (8K to 256M per CPU)" },
	{ "trace --buffer 257", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "--buffer", "257" },
	  "--buffer \"257\" is out of range" },
	{ "trace --buffer 4G", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "--buffer", "4G" },
	  "trace: --buffer \"4G\" is not a size" },
	{ "trace --buffer K", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "--buffer", "K" },
	  "--buffer \"K\" is not a size" },
	{ "trace --window 0", RESTACK_CMD_TRACE, 5, { "v", "-o", "f", "--window", "0" },
	  "trace: --window \"0\" is not a number of milliseconds" },
	{ "dump no file", RESTACK_CMD_DUMP, 0, { NULL }, "dump: missing <file>" },
	{ "dump two files", RESTACK_CMD_DUMP, 2, { "a", "b" },
	  "dump: unexpected argument \"b\"" },
	{ "dump -o", RESTACK_CMD_DUMP, 3, { "a", "-o", "x" }, "dump: unknown option \"-o\"" },
	{ "import no --from", RESTACK_CMD_IMPORT, 3, { "in", "-o", "x" },
	  "import: missing --from <format> (msr, csv, cloudphysics, tencent, alibaba)" },
	{ "import bad format", RESTACK_CMD_IMPORT, 5, { "--from", "blk", "in", "-o", "x" },
	  "import: unknown import format \"blk\"" },
	{ "import no input", RESTACK_CMD_IMPORT, 4, { "--from", "msr", "-o", "x" },
	  "import: missing <in>" },
	{ "import no -o", RESTACK_CMD_IMPORT, 3, { "--from", "msr", "in" },
	  "import: missing -o <file>" },
	{ "import --from twice", RESTACK_CMD_IMPORT, 7,
	  { "--from", "msr", "--from", "csv", "in", "-o", "x" },
	  "import: --from given more than once" },
	{ "import --window 0", RESTACK_CMD_IMPORT, 7,
	  { "--from", "msr", "in", "-o", "x", "--window", "0" },
	  "import: --window \"0\" is not a number of requests" },
	{ "import --sample", RESTACK_CMD_IMPORT, 7,
	  { "--from", "msr", "in", "-o", "x", "--sample", "1" },
	  "import: unknown option \"--sample\"" },
};

static const char *bad_args_name(const void *c)
{
	return ((const struct bad_args *)c)->name;
}

static void test_bad_args(void **state)
{
	const struct bad_args *c = *state;
	struct restack_trace_args a;
	struct restack_err err;

	assert_int_equal(restack_trace_args_parse(c->id, c->argc, c->argv, &a, &err),
			 -EINVAL);
	assert_contains(err.msg, c->msg);
}

/* ---- number parsers and helpers ---- */

static void test_parse_decimal(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(restack_parse_decimal("2.5", 1000000000ULL, &v), 0);
	assert_int_equal(v, 2500000000ULL);
	assert_int_equal(restack_parse_decimal("0.000000001", 1000000000ULL, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(restack_parse_decimal("0.0000000001", 1000000000ULL, &v), -EINVAL);
	assert_int_equal(restack_parse_decimal("7", 1, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(restack_parse_decimal("0.5", 1 << 20, &v), 0);
	assert_int_equal(v, 1 << 19);
	assert_int_equal(restack_parse_decimal("18446744074", 1000000000ULL, &v), -ERANGE);
	assert_int_equal(restack_parse_decimal("", 1, &v), -EINVAL);
	assert_int_equal(restack_parse_decimal(".", 1, &v), -EINVAL);
	assert_int_equal(restack_parse_decimal("1.2.3", 10, &v), -EINVAL);
	assert_int_equal(restack_parse_decimal("+1", 10, &v), -EINVAL);
}

static void test_rate_geometry(void **state)
{
	struct restack_err err;
	uint32_t t, sb, n;

	(void)state;
	assert_int_equal(restack_collect_parse_rate("0.1", &t, &err), 0);
	assert_int_equal(t, 1677722);	/* round(0.1 * 2^24) */
	assert_int_equal(restack_collect_parse_rate("0.5", &t, &err), 0);
	assert_int_equal(t, 1 << 23);
	assert_int_equal(restack_collect_parse_rate("1.0", &t, &err), 0);
	assert_int_equal(t, 1 << 24);
	assert_int_equal(restack_collect_parse_rate("0", &t, &err), -EINVAL);

	assert_int_equal(restack_collect_geometry(8 << 10, &sb, &n, &err), 0);
	assert_int_equal(sb, 4096);
	assert_int_equal(n, 2);
	assert_int_equal(restack_collect_geometry(4 << 20, &sb, &n, &err), 0);
	assert_int_equal(sb, 512 << 10);
	assert_int_equal(n, 8);
	assert_int_equal(restack_collect_geometry(256 << 20, &sb, &n, &err), 0);
	assert_int_equal(sb, 16 << 20);
	assert_int_equal(n, 16);
	assert_int_equal(restack_collect_geometry(100000, &sb, &n, &err), 0);
	assert_int_equal(sb % 4096, 0);
	assert_true((uint64_t)sb * n <= 100000 && n >= 2);
	assert_int_equal(restack_collect_geometry(4096, &sb, &n, &err), -EINVAL);
	assert_contains(err.msg, "must be 8 KiB to 256 MiB");
	assert_int_equal(restack_collect_geometry((256 << 20) + 1, &sb, &n, &err),
			 -EINVAL);
}

static void test_resolve_errors(void **state)
{
	struct restack_err err;
	char name[128];
	uint32_t devt;

	(void)state;
	assert_int_equal(restack_collect_resolve("no-such-volume-x", &devt, name,
						 &err), -ENOENT);
	assert_contains(err.msg, "volume no-such-volume-x: /dev/mapper/no-such-volume-x: No such file or directory");
	assert_int_equal(restack_collect_resolve("/dev/null", &devt, name, &err),
			 -ENOTBLK);
	assert_contains(err.msg, "/dev/null is not a block device");
	assert_int_equal(restack_collect_resolve("bad name!", &devt, name, &err),
			 -EINVAL);
}

static void test_csv_field(void **state)
{
	char buf[128];
	FILE *f;

	(void)state;
	f = fmemopen(buf, sizeof(buf), "w");
	restack_csv_field(f, "fio", 16);
	fputc('|', f);
	restack_csv_field(f, "a,b", 16);
	fputc('|', f);
	restack_csv_field(f, "say \"hi\"", 16);
	fputc('|', f);
	restack_csv_field(f, "tab\there", 16);
	fputc('|', f);
	restack_csv_field(f, " x", 16);
	fputc('|', f);
	restack_csv_field(f, "0123456789abcdefXYZ", 16);
	fputc('\0', f);
	fclose(f);
	assert_string_equal(buf, "fio|\"a,b\"|\"say \"\"hi\"\"\"|tab?here|\" x\"|0123456789abcdef");
}

static void test_reorder(void **state)
{
	static const uint64_t ts[] = { 50, 10, 30, 10, 40, 20, 0, 60 };
	struct restack_reorder ro = { 0 };
	struct dm_restack_trace_record r, out;
	struct restack_err err;
	uint64_t min, prev = 0;
	size_t i;
	uint32_t tag = 0;

	(void)state;
	assert_false(restack_reorder_min(&ro, &min));
	assert_false(restack_reorder_pop(&ro, &out));
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 8; i++) {
		r.ts_ns = ts[i];
		r.pid = (uint32_t)i;	/* arrival order */
		assert_int_equal(restack_reorder_push(&ro, &r, &err), 0);
	}
	assert_int_equal(restack_reorder_len(&ro), 8);
	assert_true(restack_reorder_min(&ro, &min));
	assert_int_equal(min, 0);
	for (i = 0; i < 8; i++) {
		assert_true(restack_reorder_pop(&ro, &out));
		assert_true(out.ts_ns >= prev);
		/* equal ts: arrival order (10 from #1 before 10 from #3) */
		if (out.ts_ns == 10)
			assert_int_equal(out.pid, tag++ ? 3 : 1);
		prev = out.ts_ns;
	}
	assert_int_equal(ro.late, 0);
	/* after 60 was popped, a 55 is late, a 60 is not */
	assert_true(restack_reorder_is_late(&ro, 55));
	assert_false(restack_reorder_is_late(&ro, 60));
	r.ts_ns = 55;
	assert_int_equal(restack_reorder_push(&ro, &r, &err), 0);
	assert_int_equal(ro.late, 1);
	/* many records: heap order holds */
	for (i = 0; i < 10000; i++) {
		r.ts_ns = (i * 7919) % 10007;
		assert_int_equal(restack_reorder_push(&ro, &r, &err), 0);
	}
	prev = 0;
	while (restack_reorder_pop(&ro, &out)) {
		assert_true(out.ts_ns >= prev);
		prev = out.ts_ns;
	}
	restack_reorder_release(&ro);
	restack_reorder_release(&ro);
}

/* ---- the binary ---- */


static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_cli_help(void **state)
{
	static const char *const cmds[] = { "trace", "dump", "import" };
	char want[64];
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct run r = RUN(cmds[i], "--help");

		snprintf(want, sizeof(want), "Usage: restack %s ", cmds[i]);
		assert_int_equal(r.code, 0);
		assert_true(strncmp(r.out, want, strlen(want)) == 0);
		run_free(&r);
	}
	{
		struct run r = RUN("dump", "x", "--csv", "--help");

		assert_int_equal(r.code, 0);
		assert_contains(r.out, "ts_ns,op,virt_sector,sectors,phys_dev,phys_sector,latency_ns,result,cgroup_id,pid,comm");
		run_free(&r);
	}
}

static void test_cli_usage(void **state)
{
	struct run r = RUN("trace", "vol");

	(void)state;
	assert_int_equal(r.code, 2);
	assert_string_equal(r.err,
		"restack: trace: missing -o <file> (\"-o -\" for stdout) (try 'restack trace --help')\n");
	run_free(&r);
	r = RUN("import", "--from", "zip", "a", "-o", "b");
	assert_int_equal(r.code, 2);
	assert_one_error_line(&r);
	run_free(&r);
}

static void test_cli_import_dump(void **state)
{
	struct run r;

	(void)state;
	write_file(tpath("in.csv"),
		   "timestamp_ns,op,offset_bytes,size_bytes,workload\n"
		   "2000,W,4096,8192,9\n"
		   "1000,R,0,512,7\n");
	r = RUN("import", "--from", "csv", tpath("in.csv"), "-o", tpath("o.rtr"));
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, "");
	assert_contains(r.err, "restack import: 2 requests from ");
	assert_contains(r.err, "1 reordered, 0 unaligned, 2 workloads");
	run_free(&r);

	r = RUN("dump", "--csv", tpath("o.rtr"));
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out,
		"ts_ns,op,virt_sector,sectors,phys_dev,phys_sector,latency_ns,result,cgroup_id,pid,comm\n"
		"1000,R,0,1,0:0,0,0,passthrough,7,0,\n"
		"2000,W,8,16,0:0,0,0,passthrough,9,0,\n");
	assert_string_equal(r.err, "");
	run_free(&r);

	r = RUN("dump", tpath("o.rtr"));
	assert_int_equal(r.code, 0);
	assert_contains(r.out, "source csv, 0 CPUs, sorted, imported\n");
	assert_contains(r.out, "\n 0.000000000 R               0 + 1      -> - 0.000 passthrough cg=7 pid=0 [] q=0\n");
	assert_contains(r.out, "\n 0.000001000 W               8 + 16     -> - 0.000 passthrough cg=9 pid=0 [] q=0\n");
	assert_contains(r.out, "# end: 2 I/O records, 0 dropped, at 0.000001000 s\n");
	run_free(&r);

	/* stdin in, stdout out, zstd; dump from stdin */
	r = RUN_IN(tpath("in.csv"), "import", "-q", "--from", "csv", "-", "-z",
		   "-o", "-");
	assert_int_equal(r.code, 0);
	assert_string_equal(r.err, "");
	assert_true((unsigned char)r.out[0] == 0x28);
	run_free(&r);
	r = RUN("import", "-q", "--from", "csv", tpath("in.csv"), "-z", "-o",
		tpath("o.zst"));
	assert_int_equal(r.code, 0);
	run_free(&r);
	r = RUN_IN(tpath("o.zst"), "dump", "--csv", "-");
	assert_int_equal(r.code, 0);
	assert_contains(r.out, "\n2000,W,8,16,0:0,0,0,passthrough,9,0,\n");
	run_free(&r);
}

static void test_cli_errors(void **state)
{
	struct run r;
	FILE *f;

	(void)state;
	write_file(tpath("bad.csv"),
		   "timestamp_ns,op,offset_bytes,size_bytes\n"
		   "1,R,0,512\n"
		   "2,R,0,-5\n");
	r = RUN("import", "--from", "csv", tpath("bad.csv"), "-o", tpath("bad.rtr"));
	assert_int_equal(r.code, 1);
	assert_one_error_line(&r);
	assert_contains(r.err, "bad.csv: line 3: column 4 (size_bytes): \"-5\" is not a decimal number");
	assert_int_equal(access(tpath("bad.rtr"), F_OK), -1);
	run_free(&r);

	r = RUN("import", "--from", "msr", tpath("missing.csv"), "-o", tpath("x"));
	assert_int_equal(r.code, 1);
	assert_contains(r.err, "missing.csv: No such file or directory");
	run_free(&r);

	/* a truncated trace: dump names the offset, exits 1 */
	r = RUN("import", "-q", "--from", "csv", tpath("in.csv"), "-o", tpath("t.rtr"));
	assert_int_equal(r.code, 0);
	run_free(&r);
	assert_int_equal(truncate(tpath("t.rtr"), 512 + 64 + 20), 0);
	r = RUN("dump", "--csv", tpath("t.rtr"));
	assert_int_equal(r.code, 1);
	assert_one_error_line(&r);
	assert_contains(r.err, "t.rtr: offset 576: truncated record: 20 of 64 bytes");
	/* what came before the error was printed */
	assert_contains(r.out, "1000,R,0,1,");
	run_free(&r);

	f = fopen(tpath("junk"), "w");
	assert_non_null(f);
	fputs("not a trace at all, just text that is long enough ...", f);
	fclose(f);
	r = RUN("dump", tpath("junk"));
	assert_int_equal(r.code, 1);
	assert_one_error_line(&r);
	assert_contains(r.err, "junk: offset 53: truncated header: 53 of 512 bytes");
	run_free(&r);

	/* trace: no such volume, before touching the kernel */
	r = RUN("trace", "no-such-volume-x", "-o", tpath("never"));
	assert_int_equal(r.code, 1);
	assert_one_error_line(&r);
	assert_contains(r.err, "volume no-such-volume-x: /dev/mapper/no-such-volume-x: No such file or directory");
	assert_int_equal(access(tpath("never"), F_OK), -1);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_args),
		cmocka_unit_test(test_dump_import_args),
		cmocka_unit_test(test_parse_decimal),
		cmocka_unit_test(test_rate_geometry),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_csv_field),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_cli_help),
		cmocka_unit_test(test_cli_usage),
		cmocka_unit_test(test_cli_import_dump),
		cmocka_unit_test(test_cli_errors),
	};
	char cmd[128];
	int rc = 0;

	strcpy(tmpdir, "/tmp/restack-tracecmd-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	rc |= cmocka_run_group_tests_name("trace_cmd", tests, NULL, NULL);
	rc |= RESTACK_RUN_CASES("trace_cmd_bad_args", bad_args, bad_args_name,
				test_bad_args);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		rc = 1;
	return rc ? 1 : 0;
}
