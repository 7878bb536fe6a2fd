// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_analyze_report.c - `restack report`: every statistic on traces
 * whose answer is known, per-workload scopes, kernel-sampled weighting,
 * the JSON rendering (checked by a strict JSON syntax checker) and the
 * gnuplot PNGs.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "restack_test.h"
#include "analyze/restack_analyze_gen.h"
#include "analyze/restack_analyze_report.h"

#define M DM_RESTACK_SAMPLE_MODULUS

static struct dm_restack_trace_record io(uint8_t op, uint64_t ts, uint64_t sector,
					 uint32_t sectors, uint64_t lat)
{
	struct dm_restack_trace_record r;

	memset(&r, 0, sizeof(r));
	r.type = DM_RESTACK_REC_IO;
	r.op = op;
	r.ts_ns = ts;
	r.virt_sector = sector;
	r.sectors = sectors;
	r.latency_ns = lat;
	r.volume = 253u << 20;
	r.cgroup_id = 1;
	r.pid = 100;
	return r;
}

static struct restack_report *rep_new(bool by_workload, uint64_t window_ns,
				      uint32_t trace_t)
{
	struct restack_report_params p = {
		.by_workload = by_workload, .window_ns = window_ns,
		.trace_threshold = trace_t, .trace_block_sectors = 8,
	};
	struct restack_report *r = calloc(1, sizeof(*r));
	struct restack_err err = { "" };

	assert_non_null(r);
	if (restack_report_init(r, &p, &err)) {
		print_error("init: %s\n", err.msg);
		fail();
	}
	return r;
}

static void rep_free(struct restack_report *r)
{
	restack_report_release(r);
	free(r);
}

/* ---- a strict JSON syntax checker (RFC 8259) ---- */

static const char *js_value(const char *p);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p && *p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
		p++;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *js_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *js_value(const char *p)
{
	p = js_ws(p);
	if (*p == '{') {
		p = js_ws(p + 1);
		if (*p == '}')
			return p + 1;
		for (;;) {
			p = js_string(js_ws(p));
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p++ != ':')
				return NULL;
			p = js_value(p);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p == '}')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '[') {
		p = js_ws(p + 1);
		if (*p == ']')
			return p + 1;
		for (;;) {
			p = js_value(p);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p == ']')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return js_number(p);
}

static void assert_json(const char *s)
{
	const char *end = js_value(s);

	if (!end || *js_ws(end)) {
		print_error("invalid JSON near: %.80s\n", end ? end : s);
		fail();
	}
}

static void test_json_checker(void **state)
{
	(void)state;
	assert_non_null(js_value("{\"a\":[1,2.5e3,-0.1,null,true,\"x\\n\"]}"));
	assert_null(js_value("{\"a\":nan}"));
	assert_null(js_value("{\"a\":1,}"));
	assert_null(js_value("[01]"));
	assert_null(js_value("{a:1}"));
}

/* ---- statistics with known answers ---- */

static void test_totals_sizes_latency(void **state)
{
	struct restack_report *r = rep_new(false, 0, 0);
	struct dm_restack_trace_record rec;
	const struct restack_rep_scope *s = &r->all;
	uint64_t i, ts = 1000000000;

	(void)state;
	/* 1000 reads of 4 KiB, latency 1..1000 us; 500 writes of 64 KiB */
	for (i = 0; i < 1000; i++) {
		rec = io(DM_RESTACK_OP_READ, ts += 1000000, i * 997 * 8, 8,
			 (i + 1) * 1000);
		assert_int_equal(restack_report_record(r, &rec), 0);
	}
	for (i = 0; i < 500; i++) {
		rec = io(DM_RESTACK_OP_WRITE, ts += 1000000, 1000000 + i * 128, 128,
			 50000);
		rec.error = i < 5 ? -EIO : 0;
		assert_int_equal(restack_report_record(r, &rec), 0);
	}
	rec = io(DM_RESTACK_OP_FLUSH, ts += 1000000, 0, 0, 2000000);
	assert_int_equal(restack_report_record(r, &rec), 0);
	restack_report_finish(r);

	assert_true(s->records == 1501);
	assert_true(s->ops[DM_RESTACK_OP_READ] == 1000);
	assert_true(s->ops[DM_RESTACK_OP_WRITE] == 500);
	assert_true(s->ops[DM_RESTACK_OP_FLUSH] == 1);
	assert_true(s->bytes[DM_RESTACK_OP_READ] == 1000 * 4096.0);
	assert_true(s->bytes[DM_RESTACK_OP_WRITE] == 500 * 65536.0);
	assert_true(s->errors == 5);
	/* sizes: 4 KiB is bucket 3, 64 KiB bucket 7 */
	assert_true(s->size_hist[0][3] == 1000);
	assert_true(s->size_hist[1][7] == 500);
	/* latency percentiles within the histogram's 2% */
	assert_true(fabs(restack_rep_latency_pct(s, RESTACK_LAT_READ, 0.5) / 500e3 - 1) < 0.03);
	assert_true(fabs(restack_rep_latency_pct(s, RESTACK_LAT_READ, 0.9) / 900e3 - 1) < 0.03);
	assert_true(fabs(restack_rep_latency_pct(s, RESTACK_LAT_READ, 0.99) / 990e3 - 1) < 0.03);
	assert_true(restack_rep_latency_pct(s, RESTACK_LAT_READ, 0.999) <= 1000000);
	assert_true(fabs(restack_rep_latency_pct(s, RESTACK_LAT_WRITE, 0.5) / 50e3 - 1) < 0.03);
	assert_true(restack_rep_latency_pct(s, RESTACK_LAT_FLUSH, 0.5) <= 2000000);
	assert_true(restack_rep_latency_pct(s, RESTACK_LAT_DISCARD, 0.5) == 0);
	/* duration: first submit to last completion */
	assert_true(restack_rep_duration(s) == 1501 * 1000000ULL + 2000000 - 1000000);
	/* the writes are one sequential stream: 499 of them continue it */
	assert_true(s->seq_reqs >= 499 && s->seq_reqs <= 500);
	rep_free(r);
}

static void test_working_set_and_reuse(void **state)
{
	struct restack_report *r = rep_new(false, 10000000000ULL, 0);
	const struct restack_rep_scope *s = &r->all;
	struct dm_restack_trace_record rec;
	uint64_t i;

	(void)state;
	/* window 0: write blocks 0..999, then read 0..499 (RAW) */
	for (i = 0; i < 1000; i++) {
		rec = io(DM_RESTACK_OP_WRITE, i, i * 8, 8, 0);
		restack_report_record(r, &rec);
	}
	for (i = 0; i < 500; i++) {
		rec = io(DM_RESTACK_OP_READ, 2000 + i, i * 8, 8, 0);
		restack_report_record(r, &rec);
	}
	/* window 2 (20 s on): read 2000 fresh blocks, rewrite 0..249 */
	for (i = 0; i < 2000; i++) {
		rec = io(DM_RESTACK_OP_READ, 20000000000ULL + i, (5000 + i) * 8, 8, 0);
		restack_report_record(r, &rec);
	}
	for (i = 0; i < 250; i++) {
		rec = io(DM_RESTACK_OP_WRITE, 20000010000ULL + i, i * 8, 8, 0);
		restack_report_record(r, &rec);
	}
	restack_report_finish(r);
	/* small enough to be exact (no sampling yet) */
	assert_true(restack_rep_wss_blocks(s) == 3000);
	assert_true(s->wss.nwindows == 3);
	assert_true(s->wss.windows[0] == 1000);
	assert_true(s->wss.windows[1] == 0);
	assert_true(s->wss.windows[2] == 2250);
	/* 500 of 2500 read blocks were written before */
	assert_true(fabs(s->wss.reads_after_write / s->wss.reads - 0.2) < 1e-12);
	/* 250 of 1250 written blocks were rewrites */
	assert_true(fabs(s->wss.rewrites / s->wss.writes - 0.2) < 1e-12);
	rep_free(r);
}

/* Past the sample size the threshold halves; estimates stay close. */
static void test_working_set_sampled(void **state)
{
	struct restack_report *r = rep_new(false, 0, 0);
	const struct restack_rep_scope *s = &r->all;
	struct dm_restack_trace_record rec;
	uint64_t i, n = 600000;

	(void)state;
	for (i = 0; i < n; i++) {
		/* each block written once then read once */
		rec = io(i & 1 ? DM_RESTACK_OP_READ : DM_RESTACK_OP_WRITE,
			 i, (i / 2) * 8, 8, 0);
		restack_report_record(r, &rec);
	}
	restack_report_finish(r);
	assert_true(s->wss.T < M);
	assert_true(fabs(restack_rep_wss_blocks(s) / (n / 2) - 1) < 0.05);
	assert_true(fabs(s->wss.reads_after_write / s->wss.reads - 1) < 1e-9);
	assert_true(s->wss.rewrites == 0);
	assert_true(s->wss.map.count <= RESTACK_REP_WSS_SMAX);
	rep_free(r);
}

static void test_hot_regions_and_time(void **state)
{
	struct restack_report *r = rep_new(false, 0, 0);
	const struct restack_rep_scope *s = &r->all;
	struct dm_restack_trace_record rec;
	uint64_t i, hot = 0;
	unsigned int b;

	(void)state;
	/* 90% of requests in one 1 MiB region at 5 GiB, the rest spread */
	for (i = 0; i < 10000; i++) {
		uint64_t sector = i % 10 ? (5ULL << 21) + (i % 256) * 8 :
				  (i * 7919 % 100000) * 2048;

		rec = io(DM_RESTACK_OP_READ, i * 100000, sector, 8, 1000);
		restack_report_record(r, &rec);
	}
	restack_report_finish(r);
	/* the hottest region holds the 5 GiB offset and ~90% */
	for (b = 1; b < RESTACK_REP_LBA_BINS; b++)
		if (s->lba[b] > s->lba[hot])
			hot = b;
	assert_true(hot * s->lba_width <= (5ULL << 21) &&
		    (hot + 1) * s->lba_width > (5ULL << 21));
	assert_true(s->lba[hot] >= 9000);
	/* time bins cover 1 s at 10000 IOPS */
	{
		double total = 0, peak = 0;

		for (b = 0; b < r->ntbins; b++) {
			double n = r->tbins[b].n[0] + r->tbins[b].n[1];

			total += n;
			if (n > peak)
				peak = n;
		}
		assert_true(total == 10000);
		assert_true(r->ntbins * r->tbin_ns >= 999900000ULL);
		assert_true(fabs(peak * 1e9 / r->tbin_ns / 10000 - 1) < 0.2);
	}
	rep_free(r);
}

static void test_workloads(void **state)
{
	struct restack_report *r = rep_new(true, 0, 0);
	struct dm_restack_trace_record rec;
	unsigned int i, others = 0;

	(void)state;
	for (i = 0; i < 100; i++) {
		unsigned int k;

		for (k = 0; k <= i % 3; k++) {
			rec = io(i % 2 ? DM_RESTACK_OP_READ : DM_RESTACK_OP_WRITE,
				 i * 10 + k, i * 1000 + k * 8, 8, 100);
			rec.pid = 1000 + i;
			rec.cgroup_id = 50 + i % 4;
			assert_int_equal(restack_report_record(r, &rec), 0);
		}
	}
	memset(&rec, 0, sizeof(rec));
	rec.type = DM_RESTACK_REC_COMM;
	rec.pid = 1003;
	memcpy(rec.comm, "fio", 4);
	restack_report_record(r, &rec);
	restack_report_finish(r);
	assert_int_equal(r->nwl, RESTACK_REP_MAX_WORKLOADS + 1);
	for (i = 0; i < r->nwl; i++) {
		const struct restack_rep_scope *s = r->wl[i];

		if (s->other) {
			others++;
			/* workloads 64..99 */
			assert_true(s->records > 36);
			continue;
		}
		assert_true(s->pid == 1000 + i);
		assert_true(s->cgroup == 50 + i % 4);
		assert_true(s->records == i % 3 + 1);
		if (s->pid == 1003)
			assert_string_equal(s->comm, "fio");
	}
	assert_int_equal(others, 1);
	assert_true(r->all.records == 199);
	rep_free(r);
}

/* A kernel-sampled trace: counts scaled by 1/P(kept) come out right. */
static void test_sampled_trace_weights(void **state)
{
	struct restack_gen_params gp = { .kind = RESTACK_GEN_UNIFORM,
					 .universe = 1 << 20, .read_fraction = 0.5,
					 .req_blocks = 4, .seed = 8 };
	struct restack_report *full = rep_new(false, 0, 0);
	struct restack_report *samp = rep_new(false, 0, M / 10);
	struct dm_restack_trace_record rec;
	struct restack_err err;
	struct restack_gen g;
	uint64_t i, b;

	(void)state;
	assert_int_equal(restack_gen_init(&g, &gp, &err), 0);
	for (i = 0; i < 200000; i++) {
		bool keep = false;

		restack_gen_next(&g, &rec);
		restack_report_record(full, &rec);
		for (b = rec.virt_sector / 8; b < (rec.virt_sector + rec.sectors) / 8; b++)
			keep |= restack_block_hash24(b) < M / 10;
		if (keep)
			restack_report_record(samp, &rec);
	}
	restack_report_finish(full);
	restack_report_finish(samp);
	assert_true(samp->all.records < full->all.records / 2);
	assert_true(fabs(samp->all.ops[0] / full->all.ops[0] - 1) < 0.03);
	assert_true(fabs(samp->all.bytes[1] / full->all.bytes[1] - 1) < 0.03);
	assert_true(fabs(restack_rep_wss_blocks(&samp->all) /
			 restack_rep_wss_blocks(&full->all) - 1) < 0.05);
	rep_free(full);
	rep_free(samp);
	/* the block size must be the trace's sampling block */
	{
		struct restack_report_params p = { .block_bytes = 8192,
						   .trace_threshold = M / 10,
						   .trace_block_sectors = 8 };
		struct restack_report r;

		assert_int_equal(restack_report_init(&r, &p, &err), -EINVAL);
		assert_contains(err.msg, "4096");
	}
}

/* ---- rendering ---- */

static struct restack_report *sample_report(void)
{
	struct restack_gen_params gp = { .kind = RESTACK_GEN_SCANMIX,
					 .universe = 50000, .read_fraction = 0.7,
					 .scan_fraction = 0.2, .workloads = 3,
					 .seed = 4 };
	struct restack_report *r = rep_new(true, 2000000000ULL, 0);
	struct dm_restack_trace_record rec;
	struct restack_err err;
	struct restack_gen g;
	int i;

	assert_int_equal(restack_gen_init(&g, &gp, &err), 0);
	for (i = 0; i < 100000; i++) {
		restack_gen_next(&g, &rec);
		assert_int_equal(restack_report_record(r, &rec), 0);
	}
	restack_report_finish(r);
	return r;
}

static void header(struct dm_restack_trace_header *h)
{
	memset(h, 0, sizeof(*h));
	h->volume = 253u << 20;
	h->sample_threshold = M;
	h->sample_block_sectors = 8;
	strcpy(h->volume_name, "vol\"0");
	strcpy(h->source, "test");
}

static void test_render_text_json(void **state)
{
	struct restack_report *r = sample_report();
	struct dm_restack_trace_header h;
	struct restack_report_meta meta = { "/tmp/a \"b\".rst", &h };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	header(&h);
	f = open_memstream(&buf, &len);
	assert_int_equal(restack_report_print_json(f, r, &meta), 0);
	fclose(f);
	assert_json(buf);
	assert_contains(buf, "\"trace\":\"/tmp/a \\\"b\\\".rst\"");
	assert_contains(buf, "\"workloads\":[{");
	assert_contains(buf, "\"latency_us\":{\"read\":{");
	assert_contains(buf, "\"p99.9\":");
	assert_contains(buf, "\"mrc\":[[");
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(restack_report_print_text(f, r, &meta), 0);
	fclose(f);
	assert_contains(buf, "latency    read    p50 ");
	assert_contains(buf, "working set ");
	assert_contains(buf, "\nworkload   volume 253:0 cgroup ");
	assert_contains(buf, "LRU MRC");
	free(buf);
	rep_free(r);
}

/* An empty trace renders without dividing by zero. */
static void test_render_empty(void **state)
{
	struct restack_report *r = rep_new(false, 0, 0);
	struct dm_restack_trace_header h;
	struct restack_report_meta meta = { "empty", &h };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	header(&h);
	restack_report_finish(r);
	f = open_memstream(&buf, &len);
	assert_int_equal(restack_report_print_json(f, r, &meta), 0);
	fclose(f);
	assert_json(buf);
	free(buf);
	rep_free(r);
}

static void test_plots(void **state)
{
	struct restack_report *r;
	struct dm_restack_trace_header h;
	struct restack_report_meta meta = { "synthetic", &h };
	struct restack_err err = { "" };
	char dir[] = "/tmp/restack-test-plot-XXXXXX", path[128], cmd[128];
	static const char *const pngs[] = {
		"latency-cdf.png", "iops.png", "lba-heatmap.png", "mrc.png",
	};
	unsigned char magic[8];
	unsigned int i;

	(void)state;
	if (system("command -v gnuplot >/dev/null 2>&1")) {
		print_message("gnuplot not installed: plot test skipped\n");
		skip();
	}
	r = sample_report();
	header(&h);
	assert_non_null(mkdtemp(dir));
	if (restack_report_plot(r, dir, &meta, &err)) {
		print_error("plot: %s\n", err.msg);
		fail();
	}
	for (i = 0; i < 4; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, pngs[i]);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fread(magic, 1, 8, f), 8);
		fclose(f);
		assert_memory_equal(magic, "\x89PNG\r\n\x1a\n", 8);
	}
	/* a directory that cannot be created */
	assert_int_not_equal(restack_report_plot(r, "/proc/no/such/dir", &meta,
						 &err), 0);
	assert_contains(err.msg, "/proc/no/such/dir");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	rep_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_checker),
		cmocka_unit_test(test_totals_sizes_latency),
		cmocka_unit_test(test_working_set_and_reuse),
		cmocka_unit_test(test_working_set_sampled),
		cmocka_unit_test(test_hot_regions_and_time),
		cmocka_unit_test(test_workloads),
		cmocka_unit_test(test_sampled_trace_weights),
		cmocka_unit_test(test_render_text_json),
		cmocka_unit_test(test_render_empty),
		cmocka_unit_test(test_plots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
