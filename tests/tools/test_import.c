// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_import.c - importers of public block traces (lib/restack_import.c):
 * every format's field mapping, strict rejection of malformed lines with
 * line and column, sorting within the window, rejection beyond it, and no
 * partial output file after an error.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "restack_test.h"
#include "trace/restack_import.h"

typedef struct dm_restack_trace_record rec_t;

static char tmpdir[64];

static char *tpath(const char *name)
{
	static char p[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

/* Import text with format f line by line; returns the records (malloc). */
static int parse_all(enum restack_import_format f, const char *text,
		     rec_t **out, size_t *n, struct restack_importer **impp,
		     struct restack_err *err)
{
	struct restack_importer *imp;
	size_t cap = 16;
	FILE *in;
	int r;

	in = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(in);
	assert_int_equal(restack_importer_new(in, "in.csv", f, &imp, err), 0);
	*out = malloc(cap * sizeof(**out));
	*n = 0;
	while ((r = restack_importer_next(imp, &(*out)[*n], err)) == 1) {
		if (++*n == cap) {
			cap *= 2;
			*out = realloc(*out, cap * sizeof(**out));
			assert_non_null(*out);
		}
	}
	fclose(in);
	if (impp)
		*impp = imp;
	else
		restack_importer_free(imp);
	return r;
}

static void check_io(const rec_t *r, uint64_t ts, unsigned int op,
		     uint64_t sector, uint32_t sectors, uint64_t lat,
		     uint64_t cg)
{
	struct restack_err err;

	assert_int_equal(r->type, DM_RESTACK_REC_IO);
	assert_int_equal(r->ts_ns, ts);
	assert_int_equal(r->op, op);
	assert_int_equal(r->virt_sector, sector);
	assert_int_equal(r->sectors, sectors);
	assert_int_equal(r->latency_ns, lat);
	assert_int_equal(r->cgroup_id, cg);
	assert_int_equal(r->volume, 0);
	assert_int_equal(r->phys_dev, 0);
	assert_int_equal(r->result, DM_RESTACK_RESULT_PASSTHROUGH);
	assert_int_equal(restack_trace_record_check(r, 0, &err), 0);
}

/* ---- each format ---- */

static void test_msr(void **state)
{
	/* 2007-02-22: filetime 128166372003061629 */
	static const char text[] =
		"Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime\n"
		"128166372003061629,hm,1,Read,3221225472,4096,32000\r\n"
		"128166372003061630,hm,1,Write,512,1024,1\n"
		"128166372003061631,src2,0,Read,1000,10,0\n"
		"128166372003061632,hm,1,Read,0,512,7";
	struct restack_importer *imp;
	struct restack_err err;
	uint64_t base = (128166372003061629ULL - 116444736000000000ULL) * 100;
	rec_t *r;
	size_t n;

	(void)state;
	assert_int_equal(parse_all(RESTACK_IMPORT_MSR, text, &r, &n, &imp, &err), 0);
	assert_int_equal(n, 4);
	check_io(&r[0], base, DM_RESTACK_OP_READ, 3221225472ULL / 512, 8,
		 3200000, 1);
	check_io(&r[1], base + 100, DM_RESTACK_OP_WRITE, 1, 2, 100, 1);
	/* unaligned: bytes 1000..1009 lie in sector 1 */
	check_io(&r[2], base + 200, DM_RESTACK_OP_READ, 1, 1, 0, 2);
	check_io(&r[3], base + 300, DM_RESTACK_OP_READ, 0, 1, 700, 1);
	assert_int_equal(restack_importer_workloads(imp), 2);
	assert_string_equal(restack_importer_workload_name(imp, 1), "hm_1");
	assert_string_equal(restack_importer_workload_name(imp, 2), "src2_0");
	assert_null(restack_importer_workload_name(imp, 3));
	assert_null(restack_importer_workload_name(imp, 0));
	assert_int_equal(restack_importer_unaligned(imp), 1);
	assert_int_equal(restack_importer_line(imp), 5);
	assert_true(restack_import_wallclock(RESTACK_IMPORT_MSR));
	restack_importer_free(imp);
	free(r);
}

static void test_csv(void **state)
{
	static const char plain[] =
		"timestamp_ns,op,offset_bytes,size_bytes\n"
		"0,R,0,4096\n"
		"18446744073709551615,W,1048576,512\n";
	static const char wl[] =
		"timestamp_ns,op,offset_bytes,size_bytes,workload\n"
		"5,W,4096,8192,42\n"
		"6,R,4096,8192,0\n";
	struct restack_importer *imp;
	struct restack_err err;
	rec_t *r;
	size_t n;

	(void)state;
	assert_int_equal(parse_all(RESTACK_IMPORT_CSV, plain, &r, &n, NULL, &err), 0);
	assert_int_equal(n, 2);
	check_io(&r[0], 0, DM_RESTACK_OP_READ, 0, 8, 0, 0);
	check_io(&r[1], UINT64_MAX, DM_RESTACK_OP_WRITE, 2048, 1, 0, 0);
	free(r);
	assert_int_equal(parse_all(RESTACK_IMPORT_CSV, wl, &r, &n, &imp, &err), 0);
	assert_int_equal(n, 2);
	check_io(&r[0], 5, DM_RESTACK_OP_WRITE, 8, 16, 0, 42);
	check_io(&r[1], 6, DM_RESTACK_OP_READ, 8, 16, 0, 0);
	assert_int_equal(restack_importer_workloads(imp), 2);
	assert_false(restack_import_wallclock(RESTACK_IMPORT_CSV));
	restack_importer_free(imp);
	free(r);
}

static void test_cloudphysics(void **state)
{
	static const char text[] =
		"version,time,op,size,lbn\n"
		"1,5633898,2a,512,42932745\n"
		"1,5633899,28,6656,40409911\n"
		"1,5633900,2A,1000,7\n"
		"1,5633901,88,4096,0\n";
	struct restack_importer *imp;
	struct restack_err err;
	rec_t *r;
	size_t n;

	(void)state;
	assert_int_equal(parse_all(RESTACK_IMPORT_CLOUDPHYSICS, text, &r, &n,
				   &imp, &err), 0);
	assert_int_equal(n, 4);
	check_io(&r[0], 5633898000000000ULL, DM_RESTACK_OP_WRITE, 42932745, 1, 0, 0);
	check_io(&r[1], 5633899000000000ULL, DM_RESTACK_OP_READ, 40409911, 13, 0, 0);
	check_io(&r[2], 5633900000000000ULL, DM_RESTACK_OP_WRITE, 7, 2, 0, 0);
	check_io(&r[3], 5633901000000000ULL, DM_RESTACK_OP_READ, 0, 8, 0, 0);
	assert_int_equal(restack_importer_unaligned(imp), 1);
	restack_importer_free(imp);
	free(r);
}

static void test_tencent(void **state)
{
	static const char text[] =
		"1538323200,12345,8,0,1063\n"
		"1538323200,0,1,1,7\n"
		"1538323201,100,16,1,1063\n";
	struct restack_importer *imp;
	struct restack_err err;
	rec_t *r;
	size_t n;

	(void)state;
	assert_int_equal(parse_all(RESTACK_IMPORT_TENCENT, text, &r, &n, &imp,
				   &err), 0);
	assert_int_equal(n, 3);
	check_io(&r[0], 1538323200000000000ULL, DM_RESTACK_OP_READ, 12345, 8, 0, 1063);
	check_io(&r[1], 1538323200000000000ULL, DM_RESTACK_OP_WRITE, 0, 1, 0, 7);
	check_io(&r[2], 1538323201000000000ULL, DM_RESTACK_OP_WRITE, 100, 16, 0, 1063);
	assert_int_equal(restack_importer_workloads(imp), 2);
	restack_importer_free(imp);
	free(r);
}

static void test_alibaba(void **state)
{
	static const char text[] =
		"device_id,opcode,offset,length,timestamp\n"
		"3,R,126703644672,4096,1577808144360767\n"
		"3,W,0,65536,1577808144360768\n"
		"0,W,512,512,1577808144360769\n";
	struct restack_importer *imp;
	struct restack_err err;
	rec_t *r;
	size_t n;

	(void)state;
	assert_int_equal(parse_all(RESTACK_IMPORT_ALIBABA, text, &r, &n, &imp,
				   &err), 0);
	assert_int_equal(n, 3);
	check_io(&r[0], 1577808144360767000ULL, DM_RESTACK_OP_READ,
		 126703644672ULL / 512, 8, 0, 3);
	check_io(&r[1], 1577808144360768000ULL, DM_RESTACK_OP_WRITE, 0, 128, 0, 3);
	check_io(&r[2], 1577808144360769000ULL, DM_RESTACK_OP_WRITE, 1, 1, 0, 0);
	assert_int_equal(restack_importer_workloads(imp), 2);
	restack_importer_free(imp);
	free(r);
}

static void test_format_names(void **state)
{
	enum restack_import_format f;
	struct restack_err err;
	unsigned int i;

	(void)state;
	for (i = 0; i < RESTACK_IMPORT_NR_FORMATS; i++) {
		assert_int_equal(restack_import_format_parse(
			restack_import_format_name(i), &f, &err), 0);
		assert_int_equal(f, i);
	}
	assert_null(restack_import_format_name(RESTACK_IMPORT_NR_FORMATS));
	assert_int_equal(restack_import_format_parse("MSR", &f, &err), -EINVAL);
	assert_contains(err.msg, "unknown import format \"MSR\" (known: msr, csv");
}

/* ---- malformed input: one case per problem ---- */

struct bad_case {
	const char *name;
	enum restack_import_format f;
	const char *text;
	const char *msg;
};

#define CSVH "timestamp_ns,op,offset_bytes,size_bytes\n"
#define CPH "version,time,op,size,lbn\n"
#define MSR1 "128166372003061629,hm,1,Read,0,4096,1\n"

static const struct bad_case bad_cases[] = {
	{ "csv: no header", RESTACK_IMPORT_CSV, "0,R,0,4096\n",
	  "in.csv: line 1: expected the header \"timestamp_ns,op,offset_bytes,size_bytes\" or" },
	{ "csv: empty input", RESTACK_IMPORT_CSV, "",
	  "in.csv: line 0: empty input: expected the header" },
	{ "csv: header with spaces", RESTACK_IMPORT_CSV, "timestamp_ns, op,offset_bytes,size_bytes\n",
	  "line 1: expected the header" },
	{ "csv: bad op", RESTACK_IMPORT_CSV, CSVH "0,R,0,512\n1,w,0,512\n",
	  "in.csv: line 3: column 2 (op): \"w\" is not R or W" },
	{ "csv: too few fields", RESTACK_IMPORT_CSV, CSVH "0,R,0\n",
	  "line 2: 3 fields, expected 4 (csv)" },
	{ "csv: workload without header", RESTACK_IMPORT_CSV, CSVH "0,R,0,512,9\n",
	  "line 2: 5 fields, expected 4 (csv)" },
	{ "csv: too many fields", RESTACK_IMPORT_CSV, CSVH "0,R,0,512,1,2,3,4,5,6\n",
	  "line 2: more than 8 fields, expected 4" },
	{ "csv: empty field", RESTACK_IMPORT_CSV, CSVH "0,R,,512\n",
	  "line 2: column 3 (offset_bytes): empty field" },
	{ "csv: negative", RESTACK_IMPORT_CSV, CSVH "-1,R,0,512\n",
	  "line 2: column 1 (timestamp_ns): \"-1\" is not a decimal number" },
	{ "csv: leading zero", RESTACK_IMPORT_CSV, CSVH "01,R,0,512\n",
	  "column 1 (timestamp_ns): \"01\" is not a decimal number" },
	{ "csv: space", RESTACK_IMPORT_CSV, CSVH "1,R,0, 512\n",
	  "column 4 (size_bytes): \" 512\" is not a decimal number" },
	{ "csv: overflow", RESTACK_IMPORT_CSV, CSVH "18446744073709551616,R,0,512\n",
	  "column 1 (timestamp_ns): \"18446744073709551616\" is out of range" },
	{ "csv: zero size", RESTACK_IMPORT_CSV, CSVH "1,R,0,0\n",
	  "line 2: column 4 (size_bytes): zero-length request" },
	{ "csv: offset+size wraps", RESTACK_IMPORT_CSV, CSVH "1,R,18446744073709551615,2\n",
	  "column 3 (offset_bytes): offset + size overflows 64 bits" },
	{ "csv: request too large", RESTACK_IMPORT_CSV, CSVH "1,R,0,2199023255552\n",
	  "column 4 (size_bytes): request of 2199023255552 bytes is too large" },
	{ "csv: empty line", RESTACK_IMPORT_CSV, CSVH "1,R,0,512\n\n2,R,0,512\n",
	  "line 3: empty line" },
	{ "csv: NUL byte", RESTACK_IMPORT_CSV, CSVH "1,R,0,5\0" "12\n",
	  "line 2: NUL byte at byte 8" },
	{ "csv: workload not a number", RESTACK_IMPORT_CSV,
	  "timestamp_ns,op,offset_bytes,size_bytes,workload\n1,R,0,512,db\n",
	  "line 2: column 5 (workload): \"db\" is not a decimal number" },
	{ "msr: before 1970", RESTACK_IMPORT_MSR, "1000,hm,1,Read,0,4096,1\n",
	  "line 1: column 1 (Timestamp): 1000 is before 1970" },
	{ "msr: type", RESTACK_IMPORT_MSR, MSR1 "128166372003061629,hm,1,read,0,4096,1\n",
	  "line 2: column 4 (Type): \"read\" is not Read or Write" },
	{ "msr: empty host", RESTACK_IMPORT_MSR, "128166372003061629,,1,Read,0,4096,1\n",
	  "line 1: column 2 (Hostname): empty field" },
	{ "msr: host with space", RESTACK_IMPORT_MSR, "128166372003061629,h m,1,Read,0,4096,1\n",
	  "line 1: column 2 (Hostname): byte 2 is not printable ASCII" },
	{ "msr: response overflow", RESTACK_IMPORT_MSR,
	  "128166372003061629,hm,1,Read,0,4096,184467440737095517\n",
	  "column 7 (ResponseTime): 184467440737095517 overflows 64-bit nanoseconds" },
	{ "msr: time + response overflow", RESTACK_IMPORT_MSR,
	  "128166372003061629,hm,1,Read,0,4096,184467440737095516\n",
	  "line 1: time + response time overflows 64-bit nanoseconds" },
	{ "msr: 6 fields", RESTACK_IMPORT_MSR, "128166372003061629,hm,1,Read,0,4096\n",
	  "line 1: 6 fields, expected 7 (msr)" },
	{ "msr: header only mid-file", RESTACK_IMPORT_MSR,
	  MSR1 "Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime\n",
	  "line 2: column 1 (Timestamp): \"Timestamp\" is not a decimal number" },
	{ "cloudphysics: no header", RESTACK_IMPORT_CLOUDPHYSICS, "1,5,28,512,0\n",
	  "line 1: expected the header \"version,time,op,size,lbn\"" },
	{ "cloudphysics: version 2", RESTACK_IMPORT_CLOUDPHYSICS, CPH "2,5,28,512,0\n",
	  "line 2: column 1 (version): record version 2, only 1 is known" },
	{ "cloudphysics: opcode", RESTACK_IMPORT_CLOUDPHYSICS, CPH "1,5,12,512,0\n",
	  "line 2: column 3 (op): \"12\" is not a SCSI read or write opcode" },
	{ "cloudphysics: opcode length", RESTACK_IMPORT_CLOUDPHYSICS, CPH "1,5,028,512,0\n",
	  "column 3 (op): \"028\" is not a SCSI" },
	{ "cloudphysics: time overflow", RESTACK_IMPORT_CLOUDPHYSICS,
	  CPH "1,18446744074,28,512,0\n",
	  "column 2 (time): time 18446744074 overflows 64-bit nanoseconds" },
	{ "cloudphysics: zero size", RESTACK_IMPORT_CLOUDPHYSICS, CPH "1,5,28,0,0\n",
	  "column 4 (size): zero-length request" },
	{ "cloudphysics: lbn wraps", RESTACK_IMPORT_CLOUDPHYSICS,
	  CPH "1,5,28,1024,18446744073709551615\n",
	  "column 5 (lbn): offset + size overflows 64 bits" },
	{ "tencent: iotype 2", RESTACK_IMPORT_TENCENT, "1538323200,0,8,2,1\n",
	  "line 1: column 4 (IOType): \"2\" is not 0 or 1" },
	{ "tencent: size 0", RESTACK_IMPORT_TENCENT, "1538323200,0,0,0,1\n",
	  "line 1: column 3 (Size): zero-length request" },
	{ "tencent: seconds overflow", RESTACK_IMPORT_TENCENT, "18446744074,0,8,0,1\n",
	  "column 1 (Timestamp): time 18446744074 overflows" },
	{ "tencent: size too large", RESTACK_IMPORT_TENCENT, "1,0,4294967296,0,1\n",
	  "column 3 (Size): request of 4294967296 sectors is too large" },
	{ "alibaba: opcode", RESTACK_IMPORT_ALIBABA, "3,D,0,4096,1\n",
	  "line 1: column 2 (opcode): \"D\" is not R or W" },
	{ "alibaba: device id", RESTACK_IMPORT_ALIBABA, "x,R,0,4096,1\n",
	  "line 1: column 1 (device_id): \"x\" is not a decimal number" },
	{ "alibaba: tab separated", RESTACK_IMPORT_ALIBABA, "3\tR\t0\t4096\t1\n",
	  "line 1: 1 fields, expected 5 (alibaba)" },
	{ "alibaba: control character quoted", RESTACK_IMPORT_ALIBABA, "3,R\x01,0,4096,1\n",
	  "column 2 (opcode): \"R?\" is not R or W" },
};

static const char *bad_name(const void *c)
{
	return ((const struct bad_case *)c)->name;
}

static void test_bad(void **state)
{
	const struct bad_case *c = *state;
	struct restack_err err, again;
	struct restack_importer *imp;
	size_t len = strlen(c->text);
	rec_t rec;
	FILE *in;
	int r;

	/* The NUL case: its length includes the bytes after the NUL. */
	if (!strcmp(c->name, "csv: NUL byte"))
		len = sizeof(CSVH "1,R,0,5\0" "12\n") - 1;
	in = len ? fmemopen((void *)c->text, len, "r") : fopen("/dev/null", "r");
	assert_non_null(in);
	assert_int_equal(restack_importer_new(in, "in.csv", c->f, &imp, &err), 0);
	while ((r = restack_importer_next(imp, &rec, &err)) == 1)
		;
	if (r == 0) {
		print_error("%s: accepted\n", c->name);
		fail();
	}
	assert_int_equal(r, -EINVAL);
	assert_contains(err.msg, c->msg);
	assert_true(strncmp(err.msg, "in.csv: line ", 13) == 0);
	assert_null(strchr(err.msg, '\n'));
	/* sticky */
	assert_int_equal(restack_importer_next(imp, &rec, &again), r);
	assert_string_equal(again.msg, err.msg);
	restack_importer_free(imp);
	fclose(in);
}

static void test_long_line(void **state)
{
	struct restack_importer *imp;
	struct restack_err err;
	char *text = malloc(RESTACK_IMPORT_LINE_MAX + 10);
	rec_t rec;
	FILE *in;

	(void)state;
	memset(text, '1', RESTACK_IMPORT_LINE_MAX + 5);
	text[RESTACK_IMPORT_LINE_MAX + 5] = '\n';
	in = fmemopen(text, RESTACK_IMPORT_LINE_MAX + 6, "r");
	assert_int_equal(restack_importer_new(in, "in", RESTACK_IMPORT_TENCENT,
					      &imp, &err), 0);
	assert_int_equal(restack_importer_next(imp, &rec, &err), -EINVAL);
	assert_contains(err.msg, "in: line 1: line longer than 4096 bytes");
	restack_importer_free(imp);
	fclose(in);
	free(text);
}

/* ---- whole-file import ---- */

static int import_text(const char *text, enum restack_import_format f,
		       const char *out, size_t window,
		       struct restack_import_stats *st, struct restack_err *err)
{
	struct restack_import_opts o = {
		.format = f, .output = out, .window = window,
	};
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(in);
	r = restack_import(in, "dir/in.csv", &o, st, NULL, err);
	fclose(in);
	return r;
}

static void test_import_sorts(void **state)
{
	static const char text[] =
		"timestamp_ns,op,offset_bytes,size_bytes,workload\n"
		"300,R,0,512,1\n"
		"100,W,512,512,2\n"
		"200,R,1024,512,3\n"
		"100,R,1536,512,4\n"
		"400,W,2048,512,5\n";
	static const uint64_t want_ts[] = { 100, 100, 200, 300, 400 };
	static const uint64_t want_cg[] = { 2, 4, 3, 1, 5 };
	struct restack_trace_reader *rd;
	const struct dm_restack_trace_header *h;
	struct restack_import_stats st;
	struct restack_err err;
	rec_t rec;
	int i;

	(void)state;
	assert_int_equal(import_text(text, RESTACK_IMPORT_CSV, tpath("s.rtr"), 0,
				     &st, &err), 0);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.lines, 6);
	assert_int_equal(st.reordered, 3);
	assert_int_equal(st.workloads, 5);
	assert_int_equal(st.start_ns, 100);
	assert_int_equal(st.end_ns, 400);
	assert_int_equal(restack_trace_open(tpath("s.rtr"), &rd, &err), 0);
	h = restack_trace_header(rd);
	assert_int_equal(h->flags, DM_RESTACK_TH_SORTED | DM_RESTACK_TH_IMPORTED);
	assert_string_equal(h->source, "csv");
	assert_string_equal(h->volume_name, "in.csv");
	assert_int_equal(h->start_ns, 100);
	assert_int_equal(h->start_realtime_ns, 0);
	assert_int_equal(h->records, 5);
	assert_int_equal(h->volume, 0);
	assert_int_equal(h->sample_threshold, DM_RESTACK_SAMPLE_MODULUS);
	for (i = 0; i < 5; i++) {
		assert_int_equal(restack_trace_next(rd, &rec, &err), 1);
		assert_int_equal(rec.ts_ns, want_ts[i]);
		assert_int_equal(rec.cgroup_id, want_cg[i]);
	}
	assert_int_equal(restack_trace_next(rd, &rec, &err), 1);
	assert_int_equal(rec.type, DM_RESTACK_REC_END);
	assert_int_equal(rec.virt_sector, 5);
	assert_int_equal(restack_trace_next(rd, &rec, &err), 0);
	restack_trace_close(rd);
}

static void test_import_window_exceeded(void **state)
{
	static const char text[] =
		"timestamp_ns,op,offset_bytes,size_bytes\n"
		"300,R,0,512\n"
		"400,R,0,512\n"
		"500,R,0,512\n"
		"100,R,0,512\n";
	struct restack_import_stats st;
	struct restack_err err;

	(void)state;
	/* window 2: 300 is written when 500 arrives; 100 then comes too late */
	assert_int_equal(import_text(text, RESTACK_IMPORT_CSV, tpath("w.rtr"), 2,
				     &st, &err), -EINVAL);
	assert_contains(err.msg, "dir/in.csv: line 5: time 100 ns is earlier than a request already written");
	assert_contains(err.msg, "by more than 2 requests; sort it by time first");
	assert_int_equal(access(tpath("w.rtr"), F_OK), -1);
	/* a window of 3 is enough */
	assert_int_equal(import_text(text, RESTACK_IMPORT_CSV, tpath("w.rtr"), 3,
				     &st, &err), 0);
	assert_int_equal(st.reordered, 1);
}

static void test_import_error_removes_output(void **state)
{
	static const char text[] =
		"timestamp_ns,op,offset_bytes,size_bytes\n"
		"1,R,0,512\n"
		"2,R,0,512\n"
		"3,X,0,512\n";
	struct restack_import_stats st;
	struct restack_err err;
	FILE *f;

	(void)state;
	/* an existing file is replaced only by a complete import */
	f = fopen(tpath("e.rtr"), "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(import_text(text, RESTACK_IMPORT_CSV, tpath("e.rtr"), 1,
				     &st, &err), -EINVAL);
	assert_contains(err.msg, "line 4: column 2 (op)");
	assert_int_equal(access(tpath("e.rtr"), F_OK), -1);
	/* unwritable output */
	assert_int_equal(import_text(text, RESTACK_IMPORT_CSV, "/nonexistent/x",
				     1, &st, &err), -ENOENT);
	assert_contains(err.msg, "/nonexistent/x");
}

static void test_import_empty(void **state)
{
	struct restack_trace_reader *rd;
	struct restack_import_stats st;
	struct restack_err err;
	rec_t rec;

	(void)state;
	assert_int_equal(import_text("", RESTACK_IMPORT_TENCENT, tpath("z.rtr"),
				     0, &st, &err), 0);
	assert_int_equal(st.records, 0);
	assert_int_equal(restack_trace_open(tpath("z.rtr"), &rd, &err), 0);
	assert_int_equal(restack_trace_next(rd, &rec, &err), 1);
	assert_int_equal(rec.type, DM_RESTACK_REC_END);
	assert_int_equal(restack_trace_next(rd, &rec, &err), 0);
	restack_trace_close(rd);
}

/* The shared CloudPhysics slice: known counts (traces/README.md). */
static void test_import_cloudphysics_file(void **state)
{
	static const char path[] = "/work/shared/traces/cloudphysics-io.csv";
	struct restack_import_opts o = {
		.format = RESTACK_IMPORT_CLOUDPHYSICS, .output = NULL, .zstd = true,
	};
	struct restack_trace_reader *rd;
	struct restack_import_stats st;
	struct restack_err err;
	uint64_t reads = 0, writes = 0;
	rec_t rec;
	FILE *in;
	int r;

	(void)state;
	in = fopen(path, "r");
	if (!in)
		skip();
	o.output = tpath("cp.rtr.zst");
	assert_int_equal(restack_import(in, path, &o, &st, NULL, &err), 0);
	fclose(in);
	assert_int_equal(st.records, 113872);
	/* whole seconds: 5633898 to 5641098, two hours */
	assert_int_equal(st.start_ns, 5633898ULL * 1000000000ULL);
	assert_int_equal(st.end_ns, 5641098ULL * 1000000000ULL);
	assert_int_equal(restack_trace_open(o.output, &rd, &err), 0);
	while ((r = restack_trace_next(rd, &rec, &err)) == 1) {
		if (rec.type != DM_RESTACK_REC_IO)
			continue;
		reads += rec.op == DM_RESTACK_OP_READ;
		writes += rec.op == DM_RESTACK_OP_WRITE;
	}
	assert_int_equal(r, 0);
	assert_int_equal(reads, 46974);
	assert_int_equal(writes, 66898);
	restack_trace_close(rd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msr),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_cloudphysics),
		cmocka_unit_test(test_tencent),
		cmocka_unit_test(test_alibaba),
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_import_sorts),
		cmocka_unit_test(test_import_window_exceeded),
		cmocka_unit_test(test_import_error_removes_output),
		cmocka_unit_test(test_import_empty),
		cmocka_unit_test(test_import_cloudphysics_file),
	};
	char cmd[128];
	int rc = 0;

	strcpy(tmpdir, "/tmp/restack-import-test-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	rc |= cmocka_run_group_tests_name("import", tests, NULL, NULL);
	rc |= RESTACK_RUN_CASES("import_bad", bad_cases, bad_name, test_bad);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		rc = 1;
	return rc ? 1 : 0;
}
