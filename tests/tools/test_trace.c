// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_trace.c - the trace file reader and writer (lib/restack_trace.c):
 * round trips (plain, zstd, header rewrite, pipes), and every kind of
 * corrupt, truncated or hostile file, each of which must fail with a
 * one-line message naming the byte offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "restack_test.h"
#include "trace/restack_trace.h"

#define VOL	((253U << 20) | 7U)

typedef struct dm_restack_trace_record rec_t;
typedef struct dm_restack_trace_header hdr_t;

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/restack-trace-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *tpath(const char *name)
{
	static char p[4][160];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

static hdr_t base_hdr(void)
{
	hdr_t h;

	memset(&h, 0, sizeof(h));
	h.volume = VOL;
	h.nr_cpus = 2;
	h.start_ns = 1000;
	h.start_realtime_ns = 1700000000000000000ULL;
	strcpy(h.volume_name, "vol");
	strcpy(h.source, "restack");
	return h;
}

static rec_t io_rec(uint64_t ts, unsigned int op, uint64_t sector,
		    uint32_t sectors)
{
	rec_t r;

	memset(&r, 0, sizeof(r));
	r.type = DM_RESTACK_REC_IO;
	r.ts_ns = ts;
	r.op = (uint8_t)op;
	r.virt_sector = sector;
	r.phys_sector = sector + 2048;
	r.sectors = sectors;
	r.latency_ns = 12345 + ts;
	r.cgroup_id = 42;
	r.volume = VOL;
	r.phys_dev = (254U << 20) | 16U;
	r.pid = 777;
	r.inflight = 3;
	r.flags = DM_RESTACK_F_SYNC;
	r.result = DM_RESTACK_RESULT_PASSTHROUGH;
	return r;
}

static rec_t comm_rec(uint64_t ts, uint32_t pid, const char *comm)
{
	rec_t r;

	memset(&r, 0, sizeof(r));
	r.type = DM_RESTACK_REC_COMM;
	r.ts_ns = ts;
	r.pid = pid;
	r.volume = VOL;
	strncpy(r.comm, comm, sizeof(r.comm) - 1);
	return r;
}

static rec_t end_rec(uint64_t ts, uint64_t records, uint64_t drops)
{
	rec_t r;

	memset(&r, 0, sizeof(r));
	r.type = DM_RESTACK_REC_END;
	r.ts_ns = ts;
	r.volume = VOL;
	r.virt_sector = records;
	r.phys_sector = drops;
	return r;
}

/* The records every round trip writes: a COMM, then N I/Os of all ops. */
#define N_IO 1000

static void make_records(rec_t *recs, size_t *n)
{
	size_t i;

	recs[0] = comm_rec(1000, 777, "fio");
	for (i = 0; i < N_IO; i++)
		recs[i + 1] = io_rec(1000 + i * 10, (unsigned int)(i % DM_RESTACK_OP_MAX),
				     i * 8, 8);
	*n = N_IO + 1;
}

/* Write recs through the writer; finish with the right count. */
static void write_trace(const char *path, bool zstd, const hdr_t *h,
			const rec_t *recs, size_t n, uint64_t drops)
{
	struct restack_trace_writer *w;
	struct restack_err err;
	uint64_t io = 0;
	size_t i;

	assert_int_equal(restack_trace_create(path, zstd, h, &w, &err), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(restack_trace_write(w, &recs[i], &err), 0);
		io += recs[i].type == DM_RESTACK_REC_IO;
	}
	assert_int_equal(restack_trace_writer_records(w), io);
	assert_int_equal(restack_trace_finish(w, 99999, io, drops, &err), 0);
}

/* Read a whole trace back and compare. */
static void read_and_compare(const char *path, const rec_t *recs, size_t n,
			     uint64_t drops, bool header_final)
{
	struct restack_trace_reader *r;
	const hdr_t *h;
	struct restack_err err;
	rec_t got;
	size_t i;
	uint64_t io = 0;

	assert_int_equal(restack_trace_open(path, &r, &err), 0);
	h = restack_trace_header(r);
	assert_memory_equal(h->magic, DM_RESTACK_TRACE_MAGIC, 8);
	assert_int_equal(h->version, DM_RESTACK_TRACE_VERSION);
	assert_int_equal(h->sample_threshold, DM_RESTACK_SAMPLE_MODULUS);
	assert_int_equal(h->sample_block_sectors, 8);
	assert_string_equal(h->volume_name, "vol");
	assert_int_equal(restack_trace_offset(r), 512);
	for (i = 0; i < n; i++) {
		assert_int_equal(restack_trace_next(r, &got, &err), 1);
		assert_memory_equal(&got, &recs[i], sizeof(got));
		io += got.type == DM_RESTACK_REC_IO;
	}
	assert_int_equal(restack_trace_next(r, &got, &err), 1);
	assert_int_equal(got.type, DM_RESTACK_REC_END);
	assert_int_equal(got.virt_sector, io);
	assert_int_equal(got.phys_sector, drops);
	assert_int_equal(got.ts_ns, 99999);
	assert_int_equal(restack_trace_offset(r), 512 + 64 * (n + 1));
	assert_int_equal(restack_trace_next(r, &got, &err), 0);
	assert_int_equal(restack_trace_next(r, &got, &err), 0);
	if (header_final) {
		assert_int_equal(h->records, io);
		assert_int_equal(h->drops, drops);
		assert_int_equal(h->end_ns, 99999);
	} else {
		assert_int_equal(h->end_ns, 0);
		assert_int_equal(h->records, 0);
	}
	restack_trace_close(r);
}

static void test_roundtrip_plain(void **state)
{
	static rec_t recs[N_IO + 1];
	hdr_t h = base_hdr();
	size_t n;

	(void)state;
	make_records(recs, &n);
	write_trace(tpath("plain.rtr"), false, &h, recs, n, 5);
	read_and_compare(tpath("plain.rtr"), recs, n, 5, true);
}

static bool file_starts_with_zstd_magic(const char *path)
{
	unsigned char b[4] = { 0 };
	FILE *f = fopen(path, "rb");
	bool ok;

	assert_non_null(f);
	ok = fread(b, 1, 4, f) == 4 && b[0] == 0x28 && b[1] == 0xb5 &&
	     b[2] == 0x2f && b[3] == 0xfd;
	fclose(f);
	return ok;
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void test_roundtrip_zstd(void **state)
{
	static rec_t recs[N_IO + 1];
	hdr_t h = base_hdr();
	size_t n;

	(void)state;
	make_records(recs, &n);
	write_trace(tpath("z.rtr"), true, &h, recs, n, 0);
	assert_true(file_starts_with_zstd_magic(tpath("z.rtr")));
	/* compressed well below the raw 512 + 64 * 1002 bytes */
	assert_true(file_size(tpath("z.rtr")) < 512 + 64 * 1002 / 2);
	read_and_compare(tpath("z.rtr"), recs, n, 0, true);
}

/* The zstd CLI reads our files as one stream: same bytes as plain. */
static void test_zstd_cli_compatible(void **state)
{
	static rec_t recs[N_IO + 1];
	hdr_t h = base_hdr();
	char cmd[512];
	size_t n;

	(void)state;
	if (system("command -v zstd >/dev/null 2>&1") != 0)
		skip();
	make_records(recs, &n);
	write_trace(tpath("c.rtr"), false, &h, recs, n, 3);
	write_trace(tpath("c.rtr.zst"), true, &h, recs, n, 3);
	snprintf(cmd, sizeof(cmd), "zstd -q -d -c '%s' | cmp -s - '%s'",
		 tpath("c.rtr.zst"), tpath("c.rtr"));
	assert_int_equal(system(cmd), 0);
	/* and a file compressed by the zstd CLI is read */
	snprintf(cmd, sizeof(cmd), "zstd -q -19 -c '%s' > '%s'",
		 tpath("c.rtr"), tpath("cli.zst"));
	assert_int_equal(system(cmd), 0);
	read_and_compare(tpath("cli.zst"), recs, n, 3, true);
}

/* Write to a pipe: no header rewrite, but END carries the totals. */
struct pipe_writer {
	bool zstd;
	const rec_t *recs;
	size_t n;
	int rc;
};

static void *pipe_writer_main(void *arg)
{
	struct pipe_writer *pw = arg;
	struct restack_trace_writer *w;
	struct restack_err err;
	hdr_t h = base_hdr();
	size_t i;
	int rc;

	rc = restack_trace_create("-", pw->zstd, &h, &w, &err);
	for (i = 0; !rc && i < pw->n; i++)
		rc = restack_trace_write(w, &pw->recs[i], &err);
	if (!rc)
		rc = restack_trace_finish(w, 99999, N_IO, 7, &err);
	else
		restack_trace_abort(w);
	/* the reader sees EOF once stdout (the pipe) is closed */
	close(STDOUT_FILENO);
	pw->rc = rc;
	return NULL;
}

static void roundtrip_pipe(bool zstd)
{
	static rec_t recs[N_IO + 1];
	struct pipe_writer pw = { .zstd = zstd, .recs = recs };
	struct restack_trace_reader *r;
	struct restack_err err;
	int fds[2], saved_in, saved_out;
	pthread_t th;
	rec_t got;
	size_t i;

	make_records(recs, &pw.n);
	fflush(stdout);
	assert_int_equal(pipe(fds), 0);
	saved_in = dup(STDIN_FILENO);
	saved_out = dup(STDOUT_FILENO);
	dup2(fds[1], STDOUT_FILENO);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	close(fds[1]);
	clearerr(stdin);
	assert_int_equal(pthread_create(&th, NULL, pipe_writer_main, &pw), 0);

	assert_int_equal(restack_trace_open("-", &r, &err), 0);
	assert_int_equal(restack_trace_header(r)->end_ns, 0);
	for (i = 0; i < pw.n; i++) {
		assert_int_equal(restack_trace_next(r, &got, &err), 1);
		assert_memory_equal(&got, &recs[i], sizeof(got));
	}
	assert_int_equal(restack_trace_next(r, &got, &err), 1);
	assert_int_equal(got.type, DM_RESTACK_REC_END);
	assert_int_equal(got.phys_sector, 7);
	assert_int_equal(restack_trace_next(r, &got, &err), 0);
	restack_trace_close(r);

	assert_int_equal(pthread_join(th, NULL), 0);
	dup2(saved_in, STDIN_FILENO);
	dup2(saved_out, STDOUT_FILENO);
	close(saved_in);
	close(saved_out);
	clearerr(stdin);
	assert_int_equal(pw.rc, 0);
}

static void test_roundtrip_pipe_plain(void **state)
{
	(void)state;
	roundtrip_pipe(false);
}

static void test_roundtrip_pipe_zstd(void **state)
{
	(void)state;
	roundtrip_pipe(true);
}

/* Header changes made through the writer reach a seekable file. */
static void test_header_rewrite(void **state)
{
	struct restack_trace_writer *w;
	struct restack_trace_reader *r;
	struct restack_err err;
	hdr_t h = base_hdr();
	rec_t rec = io_rec(5, 0, 0, 8), got;
	int z;

	(void)state;
	for (z = 0; z < 2; z++) {
		const char *p = tpath(z ? "rw.zst" : "rw.rtr");

		assert_int_equal(restack_trace_create(p, z, &h, &w, &err), 0);
		assert_int_equal(restack_trace_write(w, &rec, &err), 0);
		restack_trace_writer_header(w)->flags |= DM_RESTACK_TH_SORTED;
		restack_trace_writer_header(w)->nr_cpus = 8;
		assert_int_equal(restack_trace_finish(w, 77, 1, 2, &err), 0);
		assert_int_equal(restack_trace_open(p, &r, &err), 0);
		assert_int_equal(restack_trace_header(r)->flags,
				 DM_RESTACK_TH_SORTED);
		assert_int_equal(restack_trace_header(r)->nr_cpus, 8);
		assert_int_equal(restack_trace_header(r)->end_ns, 77);
		assert_int_equal(restack_trace_header(r)->records, 1);
		assert_int_equal(restack_trace_header(r)->drops, 2);
		assert_int_equal(restack_trace_next(r, &got, &err), 1);
		assert_int_equal(restack_trace_next(r, &got, &err), 1);
		assert_int_equal(restack_trace_next(r, &got, &err), 0);
		restack_trace_close(r);
	}
}

static void test_empty_trace(void **state)
{
	struct restack_trace_reader *r;
	struct restack_err err;
	hdr_t h = base_hdr();
	rec_t got;

	(void)state;
	write_trace(tpath("empty.rtr"), false, &h, NULL, 0, 0);
	assert_int_equal(file_size(tpath("empty.rtr")), 512 + 64);
	assert_int_equal(restack_trace_open(tpath("empty.rtr"), &r, &err), 0);
	assert_int_equal(restack_trace_next(r, &got, &err), 1);
	assert_int_equal(got.type, DM_RESTACK_REC_END);
	assert_int_equal(restack_trace_next(r, &got, &err), 0);
	restack_trace_close(r);
}

/* ---- writer refusals ---- */

static void test_writer_rejects(void **state)
{
	struct restack_trace_writer *w;
	struct restack_err err;
	hdr_t h = base_hdr();
	rec_t rec;

	(void)state;
	/* bad header */
	h.sample_threshold = DM_RESTACK_SAMPLE_MODULUS + 1;
	assert_int_equal(restack_trace_create(tpath("bad.rtr"), false, &h, &w,
					      &err), -EINVAL);
	assert_contains(err.msg, "sample_threshold");
	assert_null(w);
	h = base_hdr();
	h.sample_block_sectors = 3;
	assert_int_equal(restack_trace_create(tpath("bad.rtr"), false, &h, &w,
					      &err), -EINVAL);
	assert_contains(err.msg, "sample_block_sectors 3");
	/* unwritable path */
	h = base_hdr();
	assert_int_equal(restack_trace_create("/nonexistent/dir/x", false, &h,
					      &w, &err), -ENOENT);
	assert_contains(err.msg, "/nonexistent/dir/x");

	assert_int_equal(restack_trace_create(tpath("rej.rtr"), false, &h, &w,
					      &err), 0);
	rec = io_rec(1, DM_RESTACK_OP_MAX, 0, 8);
	assert_int_equal(restack_trace_write(w, &rec, &err), -EINVAL);
	assert_contains(err.msg, "unknown op 7");
	rec = io_rec(1, 0, 0, 8);
	rec.volume = 1;
	assert_int_equal(restack_trace_write(w, &rec, &err), -EINVAL);
	assert_contains(err.msg, "differs from the header");
	rec = end_rec(1, 0, 0);
	assert_int_equal(restack_trace_write(w, &rec, &err), -EINVAL);
	assert_contains(err.msg, "END records are written by");
	rec = io_rec(1, 0, 0, 8);
	assert_int_equal(restack_trace_write(w, &rec, &err), 0);
	/* wrong count at finish: refused, file left without END */
	assert_int_equal(restack_trace_finish(w, 1, 2, 0, &err), -EINVAL);
	assert_contains(err.msg, "END would count 2 I/O records, 1 were written");

	/* abort removes the file */
	assert_int_equal(restack_trace_create(tpath("abort.rtr"), true, &h, &w,
					      &err), 0);
	assert_int_equal(access(tpath("abort.rtr"), F_OK), 0);
	restack_trace_abort(w);
	assert_int_equal(access(tpath("abort.rtr"), F_OK), -1);
	restack_trace_abort(NULL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(restack_trace_op_name(DM_RESTACK_OP_READ), "R");
	assert_string_equal(restack_trace_op_name(DM_RESTACK_OP_WRITE), "W");
	assert_string_equal(restack_trace_op_name(DM_RESTACK_OP_DISCARD), "D");
	assert_string_equal(restack_trace_op_name(DM_RESTACK_OP_WRITE_ZEROES), "Z");
	assert_string_equal(restack_trace_op_name(DM_RESTACK_OP_FLUSH), "F");
	assert_string_equal(restack_trace_op_name(DM_RESTACK_OP_SECURE_ERASE), "E");
	assert_string_equal(restack_trace_op_name(DM_RESTACK_OP_OTHER), "O");
	assert_null(restack_trace_op_name(DM_RESTACK_OP_MAX));
	assert_string_equal(restack_trace_result_name(DM_RESTACK_RESULT_HIT), "hit");
	assert_null(restack_trace_result_name(DM_RESTACK_RESULT_MAX));
}

/* ---- corrupt files: a table of byte-level mutations ---- */

/* A valid plain image: header, COMM, 3 I/Os, END.  Offsets: header 0,
 * records at 512, 576, 640, 704, END at 768; 832 bytes in all. */
struct image {
	uint8_t b[4096];
	size_t len;
};

static void put(struct image *im, const void *p, size_t n)
{
	memcpy(im->b + im->len, p, n);
	im->len += n;
}

static void base_image(struct image *im)
{
	hdr_t h = base_hdr();
	rec_t r;

	memcpy(h.magic, DM_RESTACK_TRACE_MAGIC, 8);
	h.version = DM_RESTACK_TRACE_VERSION;
	h.header_size = 512;
	h.record_size = 64;
	h.sample_threshold = DM_RESTACK_SAMPLE_MODULUS;
	h.sample_block_sectors = 8;
	h.flags = DM_RESTACK_TH_SORTED;
	h.end_ns = 5000;
	h.records = 3;
	h.drops = 1;
	im->len = 0;
	put(im, &h, sizeof(h));
	r = comm_rec(100, 777, "fio");
	put(im, &r, sizeof(r));
	r = io_rec(100, 0, 0, 8);
	put(im, &r, sizeof(r));
	r = io_rec(200, 1, 8, 8);
	put(im, &r, sizeof(r));
	r = io_rec(300, 2, 16, 8);
	put(im, &r, sizeof(r));
	r = end_rec(5000, 3, 1);
	put(im, &r, sizeof(r));
}

#define HOFF(f)		offsetof(hdr_t, f)
#define ROFF(i, f)	(512 + 64 * (i) + offsetof(rec_t, f))

static void set32(struct image *im, size_t off, uint32_t v)
{
	memcpy(im->b + off, &v, 4);
}

static void set64(struct image *im, size_t off, uint64_t v)
{
	memcpy(im->b + off, &v, 8);
}

static void set8(struct image *im, size_t off, uint8_t v)
{
	im->b[off] = v;
}

static void set16(struct image *im, size_t off, uint16_t v)
{
	memcpy(im->b + off, &v, 2);
}

struct bad_case {
	const char *name;
	void (*mutate)(struct image *im);
	bool at_open;		/* fails in restack_trace_open */
	const char *msg;	/* expected in the message, incl. the offset */
};

#define MUT(fn, body) static void fn(struct image *im) { body; }

MUT(m_magic, im->b[0] = 'X')
MUT(m_magic_nul, im->b[7] = 'X')
MUT(m_version, set32(im, HOFF(version), 2))
MUT(m_hsize, set32(im, HOFF(header_size), 1024))
MUT(m_rsize, set32(im, HOFF(record_size), 32))
MUT(m_hflags, set32(im, HOFF(flags), 0x80))
MUT(m_thr0, set32(im, HOFF(sample_threshold), 0))
MUT(m_thr_big, set32(im, HOFF(sample_threshold), DM_RESTACK_SAMPLE_MODULUS + 1))
MUT(m_blk0, set32(im, HOFF(sample_block_sectors), 0))
MUT(m_blk3, set32(im, HOFF(sample_block_sectors), 3))
MUT(m_blk4096, set32(im, HOFF(sample_block_sectors), 4096))
MUT(m_volname, memset(im->b + HOFF(volume_name), 'a', 128))
MUT(m_volname_pad, im->b[HOFF(volume_name) + 100] = 'z')
MUT(m_source, memset(im->b + HOFF(source), 's', 32))
MUT(m_reserved, im->b[HOFF(reserved) + 271] = 1)
MUT(m_empty, im->len = 0)
MUT(m_short_hdr, im->len = 100)
MUT(m_hdr_only_3, im->len = 3)
MUT(m_trunc_rec, im->len = 512 + 64 + 10)
MUT(m_trunc_end, im->len -= 1)
MUT(m_no_end, im->len -= 64)
MUT(m_after_end, { rec_t r = io_rec(6000, 0, 0, 8); put(im, &r, 64); })
MUT(m_two_ends, { rec_t r = end_rec(5000, 3, 1); put(im, &r, 64); })
MUT(m_type, set8(im, ROFF(1, type), 3))
MUT(m_type_ff, set8(im, ROFF(2, type), 0xff))
MUT(m_op, set8(im, ROFF(1, op), DM_RESTACK_OP_MAX))
MUT(m_result, set8(im, ROFF(1, result), DM_RESTACK_RESULT_MAX))
MUT(m_flags, set8(im, ROFF(1, flags), 0x20))
MUT(m_error_pos, set16(im, ROFF(1, error), 5))
MUT(m_error_big, set16(im, ROFF(1, error), (uint16_t)-5000))
MUT(m_volume, set32(im, ROFF(2, volume), 1))
MUT(m_comm_unterminated, memset(im->b + ROFF(0, comm), 'c', 16))
MUT(m_comm_pad, im->b[ROFF(0, comm) + 10] = 'x')
MUT(m_comm_extra, set64(im, ROFF(0, latency_ns), 1))
MUT(m_end_extra, set32(im, ROFF(4, pid), 1))
MUT(m_end_count, set64(im, ROFF(4, virt_sector), 4))
MUT(m_end_vs_hdr_records, { set64(im, HOFF(records), 2); })
MUT(m_end_vs_hdr_drops, { set64(im, HOFF(drops), 0); })
MUT(m_unsorted, set64(im, ROFF(3, ts_ns), 50))

static const struct bad_case bad_cases[] = {
	{ "bad magic", m_magic, true, "offset 0: header: not a restack trace (bad magic)" },
	{ "magic without NUL", m_magic_nul, true, "offset 0: header: not a restack trace" },
	{ "version 2", m_version, true, "offset 0: header: trace format version 2" },
	{ "header_size", m_hsize, true, "offset 0: header: header_size 1024, expected 512" },
	{ "record_size", m_rsize, true, "offset 0: header: record_size 32, expected 64" },
	{ "header flags", m_hflags, true, "unknown header flags 0x80" },
	{ "threshold 0", m_thr0, true, "sample_threshold 0 out of range 1..16777216" },
	{ "threshold > modulus", m_thr_big, true, "sample_threshold 16777217 out of range" },
	{ "block 0", m_blk0, true, "sample_block_sectors 0" },
	{ "block 3", m_blk3, true, "sample_block_sectors 3" },
	{ "block 4096", m_blk4096, true, "sample_block_sectors 4096" },
	{ "volume_name unterminated", m_volname, true, "volume_name is not a NUL-padded string" },
	{ "volume_name garbage after NUL", m_volname_pad, true, "volume_name is not a NUL-padded" },
	{ "source unterminated", m_source, true, "source is not a NUL-padded string" },
	{ "reserved not zero", m_reserved, true, "reserved header bytes are not zero" },
	{ "empty file", m_empty, true, "offset 0: empty file" },
	{ "truncated header", m_short_hdr, true, "offset 100: truncated header: 100 of 512 bytes" },
	{ "3-byte file", m_hdr_only_3, true, "offset 3: truncated header: 3 of 512 bytes" },
	{ "truncated record", m_trunc_rec, false, "offset 576: truncated record: 10 of 64 bytes" },
	{ "truncated END", m_trunc_end, false, "offset 768: truncated record: 63 of 64 bytes" },
	{ "no END record", m_no_end, false, "offset 768: trace ends without an END record after 4 records" },
	{ "record after END", m_after_end, false, "offset 832: data after the END record" },
	{ "two END records", m_two_ends, false, "offset 832: data after the END record" },
	{ "unknown type", m_type, false, "offset 576: record 1: unknown record type 3" },
	{ "type 0xff", m_type_ff, false, "offset 640: record 2: unknown record type 255" },
	{ "unknown op", m_op, false, "offset 576: record 1: I/O record with unknown op 7" },
	{ "unknown result", m_result, false, "offset 576: record 1: I/O record with unknown result 6" },
	{ "unknown flags", m_flags, false, "offset 576: record 1: I/O record with unknown flags 0x20" },
	{ "positive error", m_error_pos, false, "offset 576: record 1: I/O record with error 5" },
	{ "error < -4095", m_error_big, false, "record 1: I/O record with error -5000" },
	{ "record volume", m_volume, false, "offset 640: record 2: volume 0:1 differs from the header's 253:7" },
	{ "comm unterminated", m_comm_unterminated, false, "offset 512: record 0: process-name record: comm is not a NUL-padded" },
	{ "comm garbage after NUL", m_comm_pad, false, "offset 512: record 0: process-name record: comm" },
	{ "comm record fields", m_comm_extra, false, "offset 512: record 0: process-name record with non-zero unused fields" },
	{ "END record fields", m_end_extra, false, "offset 768: record 4: END record with non-zero unused fields" },
	{ "END count", m_end_count, false, "offset 768: END record counts 4 I/O records, the file holds 3" },
	{ "END vs header records", m_end_vs_hdr_records, false, "offset 768: END record (3 records, 1 drops) disagrees with the header (2, 1)" },
	{ "END vs header drops", m_end_vs_hdr_drops, false, "disagrees with the header (3, 0)" },
	{ "unsorted in sorted trace", m_unsorted, false, "offset 704: record 3: ts_ns 50 before the previous 200" },
};

static const char *bad_name(const void *c)
{
	return ((const struct bad_case *)c)->name;
}

/*
 * Read an image to the end; returns the first error (or 0) and the
 * message.  Opened through fmemopen (the fuzzer's path).
 */
static int read_image(const void *buf, size_t len, bool *failed_at_open,
		      struct restack_err *err)
{
	struct restack_trace_reader *r;
	rec_t rec;
	FILE *f;
	int rc, n = 0;

	/* fmemopen refuses size 0: use /dev/null for an empty file */
	f = len ? fmemopen((void *)buf, len, "rb") : fopen("/dev/null", "rb");
	assert_non_null(f);
	rc = restack_trace_open_stream(f, "img", &r, err);
	*failed_at_open = rc != 0;
	if (rc)
		return rc;
	while ((rc = restack_trace_next(r, &rec, err)) == 1)
		assert_true(++n < 100);
	if (rc < 0) {
		/* sticky: the same error again */
		struct restack_err again;

		assert_int_equal(restack_trace_next(r, &rec, &again), rc);
		assert_string_equal(again.msg, err->msg);
	}
	restack_trace_close(r);
	return rc;
}

static void check_bad(const struct bad_case *c, const void *buf, size_t len,
		      const char *prefix)
{
	struct restack_err err;
	bool at_open;
	int rc;

	rc = read_image(buf, len, &at_open, &err);
	if (rc >= 0) {
		print_error("%s%s: accepted\n", prefix, c->name);
		fail();
	}
	assert_true(at_open == c->at_open);
	assert_contains(err.msg, c->msg);
	assert_true(strncmp(err.msg, "img: offset ", 12) == 0);
	assert_null(strchr(err.msg, '\n'));
}

static void test_bad_plain(void **state)
{
	const struct bad_case *c = *state;
	struct image im;

	base_image(&im);
	c->mutate(&im);
	check_bad(c, im.b, im.len, "plain ");
}

/* The same corruption inside a zstd stream: same message, same offset. */
static void test_bad_zstd(void **state)
{
	const struct bad_case *c = *state;
	struct image im;
	size_t cap, zlen;
	void *z;

	base_image(&im);
	c->mutate(&im);
	if (im.len < 4)
		return;	/* too short to be compressed meaningfully */
	cap = ZSTD_compressBound(im.len);
	z = malloc(cap);
	assert_non_null(z);
	zlen = ZSTD_compress(z, cap, im.b, im.len, 3);
	assert_false(ZSTD_isError(zlen));
	check_bad(c, z, zlen, "zstd ");
	free(z);
}

static void test_valid_image(void **state)
{
	struct restack_err err;
	struct image im;
	bool at_open;

	(void)state;
	base_image(&im);
	assert_int_equal(read_image(im.b, im.len, &at_open, &err), 0);
}

/* ---- zstd-level corruption ---- */

static void *zimage(size_t *zlen)
{
	struct image im;
	size_t cap;
	void *z;

	base_image(&im);
	cap = ZSTD_compressBound(im.len);
	z = malloc(cap + 16);
	assert_non_null(z);
	*zlen = ZSTD_compress(z, cap, im.b, im.len, 3);
	assert_false(ZSTD_isError(*zlen));
	return z;
}

static void test_zstd_truncated(void **state)
{
	struct restack_err err;
	bool at_open;
	size_t zlen, cut;
	uint8_t *z = zimage(&zlen);

	(void)state;
	for (cut = 4; cut < zlen; cut++) {
		assert_true(read_image(z, cut, &at_open, &err) < 0);
		assert_true(strncmp(err.msg, "img: offset ", 12) == 0);
	}
	assert_int_equal(read_image(z, zlen - 0, &at_open, &err), 0);
	assert_true(read_image(z, zlen - 1, &at_open, &err) < 0);
	free(z);
}

static void test_zstd_corrupt(void **state)
{
	struct restack_err err;
	bool at_open;
	size_t zlen, i;
	uint8_t *z = zimage(&zlen);
	int bad = 0;

	(void)state;
	/* flip each byte in turn: never a crash; errors carry an offset */
	for (i = 4; i < zlen; i++) {
		z[i] ^= 0x5a;
		if (read_image(z, zlen, &at_open, &err) < 0) {
			bad++;
			assert_true(strncmp(err.msg, "img: offset ", 12) == 0);
		}
		z[i] ^= 0x5a;
	}
	assert_true(bad > 0);
	free(z);
}

static void test_zstd_trailing_garbage(void **state)
{
	struct restack_err err;
	bool at_open;
	size_t zlen;
	uint8_t *z = zimage(&zlen);

	(void)state;
	memcpy(z + zlen, "garbage!", 8);
	assert_true(read_image(z, zlen + 8, &at_open, &err) < 0);
	assert_contains(err.msg, "offset 832: corrupt zstd data");
	free(z);
}

static void test_open_missing(void **state)
{
	struct restack_trace_reader *r;
	struct restack_err err;

	(void)state;
	assert_int_equal(restack_trace_open(tpath("does-not-exist"), &r, &err),
			 -ENOENT);
	assert_null(r);
	assert_contains(err.msg, "does-not-exist: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_plain),
		cmocka_unit_test(test_roundtrip_zstd),
		cmocka_unit_test(test_zstd_cli_compatible),
		cmocka_unit_test(test_roundtrip_pipe_plain),
		cmocka_unit_test(test_roundtrip_pipe_zstd),
		cmocka_unit_test(test_header_rewrite),
		cmocka_unit_test(test_empty_trace),
		cmocka_unit_test(test_writer_rejects),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_valid_image),
		cmocka_unit_test(test_zstd_truncated),
		cmocka_unit_test(test_zstd_corrupt),
		cmocka_unit_test(test_zstd_trailing_garbage),
		cmocka_unit_test(test_open_missing),
	};
	int rc = 0;

	if (setup_dir(NULL))
		return 1;
	rc |= cmocka_run_group_tests_name("trace", tests, NULL, NULL);
	rc |= RESTACK_RUN_CASES("trace_bad_plain", bad_cases, bad_name,
				test_bad_plain);
	rc |= RESTACK_RUN_CASES("trace_bad_zstd", bad_cases, bad_name,
				test_bad_zstd);
	teardown_dir(NULL);
	return rc ? 1 : 0;
}
