// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_logwrites.c - the dm-log-writes reader and replayer
 * (lib/restack_logwrites.c) and `restack replay`: logs are built in
 * memory exactly as drivers/md/dm-log-writes.c lays them out, then read,
 * replayed (whole, in parts, by mark) and corrupted in every way the
 * reader must notice, each time naming the entry and byte offset and
 * leaving the replay target untouched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "restack_test.h"
#include "logwrites/restack_logwrites.h"
#include "cmd/restack_replay_cmd.h"
#include "restack_run.h"

/* ---- an in-memory log builder ------------------------------------------ */

struct lwb {
	unsigned char *buf;
	size_t len;
	uint32_t ss;
	uint64_t n;
};

static void put64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static unsigned char *lwb_grow(struct lwb *b, size_t add)
{
	unsigned char *p;

	b->buf = realloc(b->buf, b->len + add);
	assert_non_null(b->buf);
	p = b->buf + b->len;
	memset(p, 0, add);
	b->len += add;
	return p;
}

static void lwb_init(struct lwb *b, uint32_t ss)
{
	memset(b, 0, sizeof(*b));
	b->ss = ss;
	lwb_grow(b, ss);
}

/* The entry sector, then nr sectors of data: byte (fill + k) of sector k. */
static void lwb_entry(struct lwb *b, uint64_t sector, uint64_t nr,
		      uint64_t flags, unsigned char fill)
{
	unsigned char *e = lwb_grow(b, b->ss);
	uint64_t k;

	put64(e, sector);
	put64(e + 8, nr);
	put64(e + 16, flags);
	if (!(flags & RESTACK_LW_DISCARD) && nr) {
		unsigned char *d = lwb_grow(b, nr * b->ss);

		for (k = 0; k < nr; k++)
			memset(d + k * b->ss, fill + (int)k, b->ss);
	}
	b->n++;
}

static void lwb_mark(struct lwb *b, const char *name)
{
	unsigned char *e = lwb_grow(b, b->ss);

	put64(e + 16, RESTACK_LW_MARK);
	put64(e + 24, strlen(name));
	memcpy(e + 32, name, strlen(name));
	b->n++;
}

static void lwb_finish(struct lwb *b)
{
	put64(b->buf, RESTACK_LW_MAGIC);
	put64(b->buf + 8, RESTACK_LW_VERSION);
	put64(b->buf + 16, b->n);
	b->buf[24] = (unsigned char)b->ss;
	b->buf[25] = (unsigned char)(b->ss >> 8);
	b->buf[26] = (unsigned char)(b->ss >> 16);
}

/* Offset of entry i's sector in a builder's log (entries walk). */
static size_t lwb_offset(const struct lwb *b, uint64_t i)
{
	size_t off = b->ss;
	uint64_t k;

	for (k = 0; k < i; k++) {
		uint64_t nr = 0, fl = 0;
		int j;

		for (j = 7; j >= 0; j--) {
			nr = (nr << 8) | b->buf[off + 8 + j];
			fl = (fl << 8) | b->buf[off + 16 + j];
		}
		off += b->ss;
		if (!(fl & (RESTACK_LW_DISCARD | RESTACK_LW_MARK)))
			off += nr * b->ss;
	}
	return off;
}

/* ---- memory source and sink -------------------------------------------- */

struct mem {
	unsigned char *p;
	size_t size;
	unsigned int writes, zeroes, discards, syncs;
};

static int mem_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct mem *m = ctx;

	if (off > m->size || len > m->size - off)
		return -EIO;
	memcpy(buf, m->p + off, len);
	return 0;
}

static int mem_write(void *ctx, const void *buf, size_t len, uint64_t off)
{
	struct mem *m = ctx;

	if (off > m->size || len > m->size - off)
		return -EIO;
	memcpy(m->p + off, buf, len);
	m->writes++;
	return 0;
}

static int mem_zero(void *ctx, uint64_t off, uint64_t len)
{
	struct mem *m = ctx;

	memset(m->p + off, 0, len);
	m->zeroes++;
	return 0;
}

static int mem_discard(void *ctx, uint64_t off, uint64_t len)
{
	struct mem *m = ctx;

	memset(m->p + off, 0xdd, len);	/* "undefined": visibly not zero */
	m->discards++;
	return 0;
}

static struct restack_lw_source src_of(struct mem *m)
{
	struct restack_lw_source s = { mem_read, m, m->size };

	return s;
}

static struct restack_lw_sink sink_of(struct mem *m, bool with_ops)
{
	struct restack_lw_sink s = { mem_write, NULL, NULL, NULL, m, m->size };

	if (with_ops) {
		s.zero = mem_zero;
		s.discard = mem_discard;
	}
	return s;
}

/* A device of 64 sectors holding 0xee. */
#define DEV_SECTORS 64

static struct mem dev_new(uint32_t ss)
{
	struct mem d = { calloc(DEV_SECTORS, ss), (size_t)DEV_SECTORS * ss, 0, 0, 0, 0 };

	assert_non_null(d.p);
	memset(d.p, 0xee, d.size);
	return d;
}

/* The standard log: 6 entries, every kind. */
static void std_log(struct lwb *b, uint32_t ss)
{
	lwb_init(b, ss);
	lwb_entry(b, 0, 2, 0, 0x10);			/* 0: write 0-1 */
	lwb_entry(b, 4, 1, RESTACK_LW_METADATA, 0x20);	/* 1: write 4 */
	lwb_entry(b, 0, 0, RESTACK_LW_FLUSH, 0);	/* 2: flush */
	lwb_mark(b, "one");				/* 3 */
	lwb_entry(b, 1, 3, RESTACK_LW_DISCARD, 0);	/* 4: discard 1-3 */
	lwb_entry(b, 8, 1, RESTACK_LW_FUA, 0x30);	/* 5: FUA write 8 */
	lwb_mark(b, "two");				/* 6 */
	lwb_finish(b);
}

static void assert_sector(const struct mem *d, uint32_t ss, uint64_t s,
			  unsigned char v)
{
	size_t k;

	for (k = 0; k < ss; k++)
		if (d->p[s * ss + k] != v) {
			print_error("sector %llu byte %zu: 0x%02x, expected 0x%02x\n",
				    (unsigned long long)s, k, d->p[s * ss + k], v);
			fail();
		}
}

/* ---- parsing and replay ------------------------------------------------ */

static void test_load_fields(void **state)
{
	uint32_t ss = (uint32_t)(uintptr_t)*state;
	struct lwb b;
	struct mem m;
	struct restack_lw_source src;
	struct restack_lw_log log;
	struct restack_err err = { "" };
	uint64_t idx;
	char fl[64];

	std_log(&b, ss);
	m = (struct mem){ b.buf, b.len, 0, 0, 0, 0 };
	src = src_of(&m);
	assert_int_equal(restack_lw_load(&src, &log, &err), 0);
	assert_int_equal(log.nr_entries, 7);
	assert_int_equal(log.sectorsize, ss);
	assert_int_equal(log.end, b.len);
	assert_int_equal(log.entries[0].offset, ss);
	assert_int_equal(log.entries[1].offset, 4 * ss);
	assert_int_equal(log.entries[1].sector, 4);
	assert_int_equal(log.entries[4].nr_sectors, 3);
	assert_string_equal(log.entries[3].mark, "one");
	assert_null(log.entries[4].mark);
	assert_int_equal(restack_lw_find_mark(&log, "two", 0, &idx), 0);
	assert_int_equal(idx, 6);
	assert_int_equal(restack_lw_find_mark(&log, "one", 4, &idx), -ENOENT);
	assert_string_equal(restack_lw_flags_str(log.entries[5].flags, fl, sizeof(fl)), "FUA");
	assert_string_equal(restack_lw_flags_str(0, fl, sizeof(fl)), "-");
	assert_string_equal(restack_lw_flags_str(RESTACK_LW_FLUSH | RESTACK_LW_METADATA,
						 fl, sizeof(fl)), "FLUSH|METADATA");
	restack_lw_release(&log);
	free(b.buf);
}

static void test_replay_whole_and_parts(void **state)
{
	uint32_t ss = (uint32_t)(uintptr_t)*state;
	struct lwb b;
	struct mem m, d1, d2;
	struct restack_lw_source src;
	struct restack_lw_sink k1, k2;
	struct restack_lw_log log;
	struct restack_err err = { "" };

	std_log(&b, ss);
	m = (struct mem){ b.buf, b.len, 0, 0, 0, 0 };
	src = src_of(&m);
	assert_int_equal(restack_lw_load(&src, &log, &err), 0);

	/* Up to the first mark: the writes, nothing after. */
	d1 = dev_new(ss);
	k1 = sink_of(&d1, true);
	assert_int_equal(restack_lw_replay(&log, &src, 0, 3, &k1,
					   RESTACK_LW_DISCARD_ZERO, &err), 0);
	assert_sector(&d1, ss, 0, 0x10);
	assert_sector(&d1, ss, 1, 0x11);
	assert_sector(&d1, ss, 2, 0xee);
	assert_sector(&d1, ss, 4, 0x20);
	assert_sector(&d1, ss, 8, 0xee);
	/* Resume: the rest. */
	assert_int_equal(restack_lw_replay(&log, &src, 4, 6, &k1,
					   RESTACK_LW_DISCARD_ZERO, &err), 0);
	assert_sector(&d1, ss, 0, 0x10);
	assert_sector(&d1, ss, 1, 0x00);
	assert_sector(&d1, ss, 3, 0x00);
	assert_sector(&d1, ss, 4, 0x20);
	assert_sector(&d1, ss, 8, 0x30);
	assert_int_equal(d1.zeroes, 1);

	/* In one go, without zero/discard callbacks: the same bytes. */
	d2 = dev_new(ss);
	k2 = sink_of(&d2, false);
	assert_int_equal(restack_lw_replay(&log, &src, 0, 6, &k2,
					   RESTACK_LW_DISCARD_ZERO, &err), 0);
	assert_memory_equal(d1.p, d2.p, d1.size);
	restack_lw_release(&log);
	free(b.buf);
	free(d1.p);
	free(d2.p);
}

static void test_replay_discard_modes(void **state)
{
	struct lwb b;
	struct mem m, d;
	struct restack_lw_source src;
	struct restack_lw_sink k;
	struct restack_lw_log log;
	struct restack_err err = { "" };

	(void)state;
	std_log(&b, 512);
	m = (struct mem){ b.buf, b.len, 0, 0, 0, 0 };
	src = src_of(&m);
	assert_int_equal(restack_lw_load(&src, &log, &err), 0);

	d = dev_new(512);
	k = sink_of(&d, true);
	assert_int_equal(restack_lw_replay(&log, &src, 0, 6, &k,
					   RESTACK_LW_DISCARD_SKIP, &err), 0);
	assert_sector(&d, 512, 1, 0x11);
	assert_sector(&d, 512, 2, 0xee);
	assert_int_equal(d.zeroes + d.discards, 0);

	memset(d.p, 0xee, d.size);
	assert_int_equal(restack_lw_replay(&log, &src, 0, 6, &k,
					   RESTACK_LW_DISCARD_PASS, &err), 0);
	assert_sector(&d, 512, 2, 0xdd);
	assert_int_equal(d.discards, 1);

	/* Pass without a discard callback falls back to zeroes. */
	k.discard = NULL;
	assert_int_equal(restack_lw_replay(&log, &src, 0, 6, &k,
					   RESTACK_LW_DISCARD_PASS, &err), 0);
	assert_sector(&d, 512, 2, 0x00);
	restack_lw_release(&log);
	free(b.buf);
	free(d.p);
}

static void test_range_checks_write_nothing(void **state)
{
	struct lwb b;
	struct mem m, d;
	struct restack_lw_source src;
	struct restack_lw_sink k;
	struct restack_lw_log log;
	struct restack_err err = { "" };

	(void)state;
	lwb_init(&b, 512);
	lwb_entry(&b, 0, 1, 0, 1);
	lwb_entry(&b, DEV_SECTORS - 1, 2, RESTACK_LW_FUA, 2);	/* one too far */
	lwb_finish(&b);
	m = (struct mem){ b.buf, b.len, 0, 0, 0, 0 };
	src = src_of(&m);
	assert_int_equal(restack_lw_load(&src, &log, &err), 0);
	d = dev_new(512);
	k = sink_of(&d, true);
	assert_int_equal(restack_lw_replay(&log, &src, 0, 1, &k,
					   RESTACK_LW_DISCARD_ZERO, &err), -EINVAL);
	assert_contains(err.msg, "entry 1 at offset 1536");
	assert_contains(err.msg, "past the end");
	assert_int_equal(d.writes, 0);
	assert_int_equal(restack_lw_replay(&log, &src, 0, 2, &k,
					   RESTACK_LW_DISCARD_ZERO, &err), -EINVAL);
	assert_contains(err.msg, "only entries 0 to 1");
	assert_int_equal(restack_lw_replay(&log, &src, 1, 0, &k,
					   RESTACK_LW_DISCARD_ZERO, &err), -EINVAL);
	assert_int_equal(d.writes, 0);
	/* Entry 0 alone fits. */
	assert_int_equal(restack_lw_replay(&log, &src, 0, 0, &k,
					   RESTACK_LW_DISCARD_ZERO, &err), 0);
	assert_sector(&d, 512, 0, 1);
	restack_lw_release(&log);
	free(b.buf);
	free(d.p);
}

static void test_big_log(void **state)
{
	struct lwb b;
	struct mem m;
	struct restack_lw_source src;
	struct restack_lw_log log;
	struct restack_err err = { "" };
	unsigned int i;

	(void)state;
	lwb_init(&b, 512);
	for (i = 0; i < 5000; i++) {
		if (i % 100 == 99)
			lwb_mark(&b, "m");
		else
			lwb_entry(&b, i % DEV_SECTORS, 1, i % 7 ? 0 : RESTACK_LW_FLUSH,
				  (unsigned char)i);
	}
	lwb_finish(&b);
	m = (struct mem){ b.buf, b.len, 0, 0, 0, 0 };
	src = src_of(&m);
	assert_int_equal(restack_lw_load(&src, &log, &err), 0);
	assert_int_equal(log.nr_entries, 5000);
	assert_string_equal(log.entries[4999].mark, "m");
	restack_lw_release(&log);
	free(b.buf);
}

/* ---- malformed logs ------------------------------------------------------ */

struct bad_case {
	const char *name;
	void (*make)(struct lwb *b);
	const char *msg;	/* expected in the error */
};

static void mk_magic(struct lwb *b) { std_log(b, 512); b->buf[0] ^= 1; }
static void mk_version(struct lwb *b) { std_log(b, 512); b->buf[8] = 2; }
static void mk_ss_odd(struct lwb *b) { std_log(b, 512); b->buf[24] = 1; }
static void mk_ss_small(struct lwb *b) { std_log(b, 512); b->buf[25] = 1; }
static void mk_super_garbage(struct lwb *b) { std_log(b, 512); b->buf[100] = 1; }
static void mk_count_huge(struct lwb *b) { std_log(b, 512); put64(b->buf + 16, 1ULL << 60); }
static void mk_short(struct lwb *b) { std_log(b, 512); b->len = 300; }
static void mk_count_more(struct lwb *b) { std_log(b, 512); put64(b->buf + 16, 8); b->len += 0; }

static void mk_truncated_header(struct lwb *b)
{
	std_log(b, 512);
	put64(b->buf + 16, 8);
	lwb_grow(b, 100);	/* part of an 8th entry sector */
}

static void mk_truncated_data(struct lwb *b)
{
	std_log(b, 512);
	b->len -= 1;		/* entry 6 is a mark: cut entry 5's data instead */
	b->len = lwb_offset(b, 5) + 512 + 100;
	put64(b->buf + 16, 6);
}

static void mk_flags(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 2) + 16] |= 0x40; }
static void mk_mark_flags(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 3) + 16] |= 1; }
static void mk_mark_sector(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 3)] = 5; }
static void mk_mark_len0(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 3) + 24] = 0; }
static void mk_mark_len_big(struct lwb *b) { std_log(b, 512); put64(b->buf + lwb_offset(b, 3) + 24, 480); }
static void mk_mark_nul(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 3) + 33] = 0; }
static void mk_mark_tail(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 3) + 40] = 'x'; }
static void mk_inline(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 1) + 24] = 8; }
static void mk_entry_tail(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 1) + 511] = 1; }
static void mk_discard_flush(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 4) + 16] |= 1; }
static void mk_discard_zero(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 4) + 8] = 0; }
static void mk_write_zero(struct lwb *b) { std_log(b, 512); b->buf[lwb_offset(b, 5) + 8] = 0; }
static void mk_overflow(struct lwb *b) { std_log(b, 512); put64(b->buf + lwb_offset(b, 4), UINT64_MAX / 512); }
static void mk_data_past(struct lwb *b) { std_log(b, 512); put64(b->buf + lwb_offset(b, 5) + 8, 1ULL << 40); }

static const struct bad_case bad_cases[] = {
	{ "bad magic", mk_magic, "offset 0: not a dm-log-writes log" },
	{ "bad version", mk_version, "offset 8: unsupported log version 2" },
	{ "sector size 513", mk_ss_odd, "offset 24: bad sector size 513" },
	{ "sector size 256", mk_ss_small, "offset 24: bad sector size 256" },
	{ "garbage in the super block", mk_super_garbage, "offset 28: garbage" },
	{ "entry count beyond the log", mk_count_huge, "offset 16: super block claims" },
	{ "log shorter than a sector", mk_short, "offset 0: log of 300 bytes" },
	{ "super counts an entry not there", mk_count_more, "entry 7 at offset" },
	{ "truncated entry sector", mk_truncated_header, "entry 7 at offset 6144: truncated" },
	{ "truncated data", mk_truncated_data, "entry 5 at offset 4608: truncated: 512 bytes of data" },
	{ "unknown flag", mk_flags, "entry 2 at offset 3072: unknown flags 0x41" },
	{ "mark with a flush", mk_mark_flags, "entry 3 at offset 3584: a mark with other flags (FLUSH|MARK)" },
	{ "mark with a sector", mk_mark_sector, "entry 3 at offset 3584: a mark with sector 5" },
	{ "empty mark name", mk_mark_len0, "entry 3 at offset 3584: mark name length 0" },
	{ "mark name too long", mk_mark_len_big, "mark name length 480 (1 to 479)" },
	{ "NUL in a mark name", mk_mark_nul, "entry 3 at offset 3584: mark name contains a NUL" },
	{ "garbage after a mark", mk_mark_tail, "entry 3 at offset 3584: garbage after the mark name" },
	{ "inline data", mk_inline, "entry 1 at offset 2048: METADATA entry with 8 bytes of inline data" },
	{ "garbage in an entry sector", mk_entry_tail, "entry 1 at offset 2048: garbage after the entry fields" },
	{ "discard with a flush", mk_discard_flush, "entry 4 at offset 4096: a discard with FLUSH|DISCARD" },
	{ "discard of nothing", mk_discard_zero, "entry 4 at offset 4096: a discard of 0 sectors" },
	{ "write of nothing", mk_write_zero, "entry 5 at offset 4608: a FUA write of 0 sectors" },
	{ "sector overflow", mk_overflow, "entry 4 at offset 4096: sector" },
	{ "data past the log end", mk_data_past, "entry 5 at offset 4608: truncated" },
};

static const char *bad_name(const void *c)
{
	return ((const struct bad_case *)c)->name;
}

static void test_bad_log(void **state)
{
	const struct bad_case *c = *state;
	struct lwb b;
	struct mem m;
	struct restack_lw_source src;
	struct restack_lw_log log;
	struct restack_err err = { "" };
	int r;

	c->make(&b);
	m = (struct mem){ b.buf, b.len, 0, 0, 0, 0 };
	src = src_of(&m);
	r = restack_lw_load(&src, &log, &err);
	assert_int_equal(r, -EINVAL);
	assert_contains(err.msg, c->msg);
	assert_null(strchr(err.msg, '\n'));
	assert_null(log.entries);
	free(b.buf);
}

/* ---- the command line -------------------------------------------------- */

static void test_args(void **state)
{
	struct restack_replay_args a;
	struct restack_err err = { "" };
	const char *ok1[] = { "log", "dev", "--from", "5", "--to-mark=m", "--discard", "skip",
			      "--stop-at", "flush,fua,mark", "--every", "3", "--exec", "true", "-q" };
	const char *ok2[] = { "--list", "log" };
	struct {
		unsigned int argc;
		const char *argv[6];
		const char *msg;
	} bad[] = {
		{ 0, { NULL }, "missing <log>" },
		{ 1, { "log" }, "missing <replay-dev>" },
		{ 3, { "log", "--list", "dev" }, "--list takes no replay device" },
		{ 3, { "log", "dev", "x" }, "unexpected argument" },
		{ 4, { "log", "dev", "--from", "-1" }, "--from wants an entry number" },
		{ 3, { "log", "dev", "--to" }, "--to needs a value" },
		{ 6, { "log", "dev", "--to", "1", "--to-mark", "m" }, "exclude each other" },
		{ 4, { "log", "dev", "--discard", "trim" }, "not zero, pass or skip" },
		{ 6, { "log", "dev", "--stop-at", "fsync", "--exec", "x" }, "unknown kind \"fsync\"" },
		{ 4, { "log", "dev", "--stop-at", "flush" }, "go together" },
		{ 4, { "log", "dev", "--every", "2" }, "--every needs --stop-at" },
		{ 3, { "log", "dev", "--bogus" }, "unknown option" },
	};
	unsigned int i;

	(void)state;
	assert_int_equal(restack_replay_args_parse(14, ok1, &a, &err), 0);
	assert_string_equal(a.log, "log");
	assert_string_equal(a.dev, "dev");
	assert_true(a.have_from);
	assert_int_equal(a.from, 5);
	assert_string_equal(a.to_mark, "m");
	assert_int_equal(a.discard, RESTACK_LW_DISCARD_SKIP);
	assert_int_equal(a.stop_at, RESTACK_LW_FLUSH | RESTACK_LW_FUA | RESTACK_LW_MARK);
	assert_int_equal(a.every, 3);
	assert_string_equal(a.exec, "true");
	assert_true(a.quiet);
	assert_int_equal(restack_replay_args_parse(2, ok2, &a, &err), 0);
	assert_true(a.list);
	assert_null(a.dev);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		assert_int_equal(restack_replay_args_parse(bad[i].argc, bad[i].argv,
							   &a, &err), -EINVAL);
		assert_contains(err.msg, bad[i].msg);
	}
}

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/restack-lw-test-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	unsigned char *p = malloc(DEV_SECTORS * 4096);
	size_t n;

	assert_non_null(f);
	assert_non_null(p);
	n = fread(p, 1, DEV_SECTORS * 4096, f);
	fclose(f);
	*len = n;
	return p;
}

static void cli_files(char *log, char *dev, char *dev2, size_t n)
{
	struct lwb b;
	struct mem d = dev_new(512);

	snprintf(log, n, "%s/log", tmpdir);
	snprintf(dev, n, "%s/dev", tmpdir);
	snprintf(dev2, n, "%s/dev2", tmpdir);
	std_log(&b, 512);
	write_file(log, b.buf, b.len);
	write_file(dev, d.p, d.size);
	write_file(dev2, d.p, d.size);
	free(b.buf);
	free(d.p);
}

static void test_cli_list_and_replay(void **state)
{
	char log[128], dev[128], dev2[128];
	unsigned char *p1, *p2;
	size_t l1, l2;
	struct run r;

	(void)state;
	cli_files(log, dev, dev2, sizeof(log));
	r = RUN("replay", log, "--list");
	assert_int_equal(r.code, 0);
	assert_contains(r.out, "7 entries, sector size 512");
	assert_contains(r.out, "3        3584           MARK");
	assert_contains(r.out, "one");
	assert_contains(r.out, "5        4608           FUA                  8");
	run_free(&r);

	/* Whole log in one run, and the same in two runs via marks. */
	r = RUN("replay", log, dev);
	assert_int_equal(r.code, 0);
	assert_contains(r.err, "entries 0 to 6 of 7 replayed");
	assert_contains(r.err, "resume with --from 7");
	run_free(&r);
	r = RUN("replay", log, dev2, "--to-mark", "one", "-q");
	assert_int_equal(r.code, 0);
	assert_string_equal(r.err, "");
	run_free(&r);
	p2 = read_file(dev2, &l2);
	assert_int_equal(p2[0], 0x10);
	assert_int_equal(p2[8 * 512], 0xee);
	free(p2);
	r = RUN("replay", log, dev2, "--from-mark", "one");
	assert_int_equal(r.code, 0);
	assert_contains(r.err, "entries 4 to 6 of 7");
	run_free(&r);
	p1 = read_file(dev, &l1);
	p2 = read_file(dev2, &l2);
	assert_int_equal(l1, DEV_SECTORS * 512);
	assert_int_equal(l2, l1);
	assert_memory_equal(p1, p2, l1);
	assert_int_equal(p1[2 * 512], 0);	/* discarded: zeroes, a hole */
	assert_int_equal(p1[8 * 512], 0x30);
	free(p1);
	free(p2);
}

static void test_cli_exec_stops(void **state)
{
	char log[128], dev[128], dev2[128], out[160], cmd[512];
	unsigned char *p;
	size_t l;
	struct run r;

	(void)state;
	cli_files(log, dev, dev2, sizeof(log));
	snprintf(out, sizeof(out), "%s/stops", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 "echo \"$RESTACK_REPLAY_STOP $RESTACK_REPLAY_ENTRY $RESTACK_REPLAY_FLAGS "
		 "${RESTACK_REPLAY_MARK:--} ${RESTACK_REPLAY_MARK_ENTRY:--} "
		 "$(od -An -tx1 -j4096 -N1 $RESTACK_REPLAY_DEV)\" >> %s", out);
	r = RUN("replay", log, dev, "--stop-at", "flush,fua,mark", "--exec", cmd);
	assert_int_equal(r.code, 0);
	assert_contains(r.err, "check passed at 4 stop points");
	run_free(&r);
	p = read_file(out, &l);
	p[l] = '\0';
	/* At each stop the device already holds everything up to it. */
	assert_string_equal((char *)p,
			    "0 2 FLUSH - -  ee\n"
			    "1 3 MARK one 3  ee\n"
			    "2 5 FUA one 3  30\n"
			    "3 6 MARK two 6  30\n");
	free(p);

	/* A failing check stops the replay there: exit 1, entry named. */
	r = RUN("replay", log, dev2, "--stop-at", "mark", "--exec",
		"test \"$RESTACK_REPLAY_MARK\" != two");
	assert_int_equal(r.code, 1);
	assert_one_error_line(&r);
	assert_contains(r.err, "entry 6 at offset 5632: check command exited with status 1");
	run_free(&r);

	r = RUN("replay", log, dev2, "--stop-at", "all", "--every", "3", "--exec", "true");
	assert_int_equal(r.code, 0);
	assert_contains(r.err, "check passed at 3 stop points");
	run_free(&r);
}

static void test_cli_bad_log_changes_nothing(void **state)
{
	char log[128], dev[128], dev2[128];
	struct lwb b;
	unsigned char *p;
	size_t l, k;
	struct run r;

	(void)state;
	cli_files(log, dev, dev2, sizeof(log));
	/* Good entries 0-4, then entry 5's data cut short. */
	std_log(&b, 512);
	write_file(log, b.buf, lwb_offset(&b, 5) + 512 + 256);
	free(b.buf);
	r = RUN("replay", log, dev);
	assert_int_equal(r.code, 1);
	assert_one_error_line(&r);
	assert_contains(r.err, "entry 5 at offset 4608: truncated");
	run_free(&r);
	p = read_file(dev, &l);
	for (k = 0; k < l; k++)
		if (p[k] != 0xee)
			fail_msg("byte %zu of the replay device changed", k);
	free(p);

	r = RUN("replay", log, dev, "--to", "99");
	assert_int_equal(r.code, 1);
	run_free(&r);
	r = RUN("replay", log, dev, "--to-mark", "nope");
	assert_int_equal(r.code, 1);
	run_free(&r);
	r = RUN("replay", log, dev, "--discard", "trim");
	assert_int_equal(r.code, 2);
	assert_contains(r.err, "not zero, pass or skip");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest core[] = {
		cmocka_unit_test_prestate(test_load_fields, (void *)(uintptr_t)512),
		cmocka_unit_test_prestate(test_load_fields, (void *)(uintptr_t)4096),
		cmocka_unit_test_prestate(test_replay_whole_and_parts, (void *)(uintptr_t)512),
		cmocka_unit_test_prestate(test_replay_whole_and_parts, (void *)(uintptr_t)4096),
		cmocka_unit_test(test_replay_discard_modes),
		cmocka_unit_test(test_range_checks_write_nothing),
		cmocka_unit_test(test_big_log),
		cmocka_unit_test(test_args),
	};
	const struct CMUnitTest cli[] = {
		cmocka_unit_test(test_cli_list_and_replay),
		cmocka_unit_test(test_cli_exec_stops),
		cmocka_unit_test(test_cli_bad_log_changes_nothing),
	};
	int r;

	r = cmocka_run_group_tests_name("logwrites", core, NULL, NULL);
	r |= RESTACK_RUN_CASES("logwrites_bad", bad_cases, bad_name, test_bad_log);
	r |= cmocka_run_group_tests_name("logwrites_cli", cli, setup_dir, teardown_dir);
	return r;
}
