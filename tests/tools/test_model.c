// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_model.c - the performance model and `recommend`: latency
 * distribution maths; the model is monotone in cache size and reaches
 * the all-hit and all-miss limits; saturation; and recommendations on
 * synthetic workloads whose right answer is known, both analytically and
 * by exhaustive full-rate simulation of every candidate.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "restack_test.h"
#include "cmd/restack_analyze_cmd.h"
#include "analyze/restack_analyze_gen.h"
#include "analyze/restack_recommend.h"
#include "trace/restack_trace.h"

#define M DM_RESTACK_SAMPLE_MODULUS

/* Under `make valgrind` the trace-driven tests run on smaller traces. */
static bool under_valgrind(void)
{
	return getenv("RESTACK_VALGRIND") != NULL;
}

static bool near(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fabs(b);
}

/* ---- distributions ---- */

static void test_ldist(void **state)
{
	struct restack_ldist a, b, c;
	uint64_t hist[RESTACK_REP_LAT_BUCKETS] = { 0 };
	unsigned int i;

	(void)state;
	restack_ldist_lognormal(&a, 100, 400);
	assert_true(near(restack_ldist_quantile(&a, 0.5), 100e3, 0.03));
	assert_true(near(restack_ldist_quantile(&a, 0.99), 400e3, 0.03));
	assert_true(near(a.total, 1, 1e-6));
	/* a constant */
	restack_ldist_lognormal(&b, 1000, 0);
	assert_true(near(restack_ldist_quantile(&b, 0.01), 1000e3, 0.02));
	assert_true(near(restack_ldist_quantile(&b, 0.999), 1000e3, 0.02));
	assert_true(near(restack_ldist_mean(&b), 1000e3, 0.02));
	/* a mixture: 95% at 1 ms, 5% at 100 ms */
	restack_ldist_lognormal(&a, 1000, 0);
	restack_ldist_lognormal(&b, 100000, 0);
	restack_ldist_mix(&c, 0.95, &a, &b);
	assert_true(near(restack_ldist_quantile(&c, 0.9), 1000e3, 0.02));
	assert_true(near(restack_ldist_quantile(&c, 0.99), 100000e3, 0.02));
	assert_true(near(restack_ldist_mean(&c), 0.95 * 1e6 + 0.05 * 1e8, 0.02));
	/* the max of two constants is the larger */
	restack_ldist_max(&c, &a, &b);
	assert_true(near(restack_ldist_quantile(&c, 0.5), 100000e3, 0.02));
	/* max of two iid uniforms-ish: the median moves up */
	restack_ldist_lognormal(&a, 100, 1000);
	restack_ldist_max(&c, &a, &a);
	assert_true(restack_ldist_quantile(&c, 0.5) > 1.2 * restack_ldist_quantile(&a, 0.5));
	/* scaling */
	restack_ldist_scale(&c, &a, 2);
	assert_true(near(restack_ldist_quantile(&c, 0.5),
			 2 * restack_ldist_quantile(&a, 0.5), 0.04));
	/* from a histogram */
	for (i = 0; i < 100; i++)
		hist[restack_lat_bucket((i + 1) * 1000)]++;
	restack_ldist_from_hist(&a, hist);
	assert_true(near(restack_ldist_quantile(&a, 0.5), 50e3, 0.03));
	/* empty */
	restack_ldist_clear(&a);
	assert_true(isnan(restack_ldist_quantile(&a, 0.5)));
}

/* ---- the model on hand-made candidates ---- */

static void setup_devices(struct restack_device *o, struct restack_device *f)
{
	memset(o, 0, sizeof(*o));
	memset(f, 0, sizeof(*f));
	restack_ldist_lognormal(&o->read, 5000, 20000);
	restack_ldist_lognormal(&o->write, 2000, 8000);
	restack_ldist_lognormal(&f->read, 100, 300);
	restack_ldist_lognormal(&f->write, 50, 150);
}

static void test_model_limits(void **state)
{
	struct restack_sla_volume sla;
	struct restack_workload w = { .read_iops = 700, .write_iops = 300,
				      .queue_depth = 4, .read_bytes = 4096,
				      .write_bytes = 4096 };
	struct restack_device o, f;
	struct restack_candidate none = { 0 }, c;
	unsigned int p;
	double prev_p99 = INFINITY, prev_iops = 0, h;

	(void)state;
	memset(&sla, 0, sizeof(sla));
	sla.read_us[RESTACK_PCT_99] = 1000;
	setup_devices(&o, &f);
	/* detached = all-miss: the origin's distribution */
	restack_model_predict(&none, &w, &o, &f, &sla);
	assert_true(near(none.read_ns[RESTACK_PCT_50], 5000e3, 0.03));
	assert_true(near(none.read_ns[RESTACK_PCT_99], 20000e3, 0.03));
	assert_false(none.feasible);
	assert_contains(none.reason, "read p99");
	/* a cache with hit ratio 0 equals detached for reads */
	memset(&c, 0, sizeof(c));
	c.cache = true;
	c.mode = RS_MODE_WT;
	c.block_bytes = 4096;
	restack_model_predict(&c, &w, &o, &f, &sla);
	for (p = 0; p < RESTACK_NR_PCT; p++)
		assert_true(near(c.read_ns[p], none.read_ns[p], 1e-9));
	/* all-hit: the fast device's distribution */
	c.read_hit = 1;
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(near(c.read_ns[RESTACK_PCT_50], 100e3, 0.03));
	assert_true(near(c.read_ns[RESTACK_PCT_99], 300e3, 0.03));
	assert_true(c.feasible);
	/* monotone in the hit ratio: latencies fall, IOPS rise */
	for (h = 0; h <= 1.0001; h += 0.05) {
		c.read_hit = h > 1 ? 1 : h;
		restack_model_predict(&c, &w, &o, &f, &sla);
		assert_true(c.read_ns[RESTACK_PCT_99] <= prev_p99 * (1 + 1e-9));
		assert_true(c.iops >= prev_iops * (1 - 1e-9));
		prev_p99 = c.read_ns[RESTACK_PCT_99];
		prev_iops = c.iops;
	}
	/* writes: wb completes on the fast device, wt waits for both */
	c.write_cached = 1;
	c.mode = RS_MODE_WB;
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(near(c.write_ns[RESTACK_PCT_50], 50e3, 0.03));
	c.mode = RS_MODE_WT;
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(c.write_ns[RESTACK_PCT_50] >= none.write_ns[RESTACK_PCT_50] * 0.99);
	c.mode = RS_MODE_WA;
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(near(c.write_ns[RESTACK_PCT_99], none.write_ns[RESTACK_PCT_99], 1e-9));
	/* Little's law: IOPS = queue depth / mean latency */
	assert_true(near(none.iops, 4 / ((0.7 * none.read_mean_ns +
					  0.3 * none.write_mean_ns) / 1e9), 1e-6));
}

static void test_model_saturation(void **state)
{
	struct restack_sla_volume sla;
	struct restack_workload w = { .read_iops = 900, .write_iops = 100,
				      .queue_depth = 1, .read_bytes = 4096,
				      .write_bytes = 4096 };
	struct restack_device o, f;
	struct restack_candidate none = { 0 }, c = { 0 };

	(void)state;
	memset(&sla, 0, sizeof(sla));
	sla.min_iops = 1;
	setup_devices(&o, &f);
	o.iops = 800;		/* less than the 1000 IOPS offered */
	restack_model_predict(&none, &w, &o, &f, &sla);
	assert_true(none.origin_util > 1);
	assert_false(none.feasible);
	assert_contains(none.reason, "the origin saturates");
	/* a cache absorbing 80% of reads brings it under */
	c.cache = true;
	c.mode = RS_MODE_WT;
	c.block_bytes = 4096;
	c.read_hit = 0.8;
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(near(c.origin_load, 900 * 0.2 + 100, 1e-9));
	assert_true(c.origin_util < 1);
	assert_true(c.feasible);
	/* queueing: lower load, lower latency than at the profiled load */
	o.measured_iops = 700;
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(c.read_ns[RESTACK_PCT_99] > 0);
	{
		struct restack_candidate d = c;

		d.read_hit = 0.5;
		restack_model_predict(&d, &w, &o, &f, &sla);
		assert_true(d.origin_util > c.origin_util);
	}
	/* the IOPS cap of a device */
	w.queue_depth = 1000;
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(c.iops <= o.iops * 1000 / c.origin_load * (1 + 1e-9));
}

static void test_attach_string(void **state)
{
	struct restack_candidate c = { .cache = true, .mode = RS_MODE_WB,
				       .kind = RS_REPL_S3FIFO, .block_bytes = 65536,
				       .promote_hits = 2, .seq_cutoff = 4 << 20 };
	char buf[256];

	(void)state;
	assert_int_equal(restack_candidate_attach(&c, "/dev/vdc", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "cache /dev/vdc mode=wb block_size=65536 "
			    "replacement=s3fifo promote_hits=2 seq_cutoff=4194304");
	c.cache = false;
	assert_int_equal(restack_candidate_attach(&c, "/dev/vdc", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "detach");
	c.cache = true;
	assert_int_equal(restack_candidate_attach(&c, "/dev/vdc", buf, 10), -ENOSPC);
}

/* ---- recommendations on traces ---- */

static char tmpdir[] = "/tmp/restack-test-model-XXXXXX";

static int setup_dir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_trace(const char *path, const struct restack_gen_params *gp,
			size_t n)
{
	struct dm_restack_trace_header h;
	struct dm_restack_trace_record rec;
	struct restack_trace_writer *w;
	struct restack_err err = { "" };
	struct restack_gen g;
	size_t i;

	memset(&h, 0, sizeof(h));
	h.volume = 253u << 20;
	h.flags = DM_RESTACK_TH_SORTED;
	strcpy(h.volume_name, "vol0");
	assert_int_equal(restack_gen_init(&g, gp, &err), 0);
	assert_int_equal(restack_trace_create(path, false, &h, &w, &err), 0);
	for (i = 0; i < n; i++) {
		restack_gen_next(&g, &rec);
		assert_int_equal(restack_trace_write(w, &rec, &err), 0);
	}
	assert_int_equal(restack_trace_finish(w, rec.ts_ns, n, 0, &err), 0);
}

static void parse_sla(const char *text, struct restack_sla *sla)
{
	struct restack_err err = { "" };

	if (restack_sla_parse_string(text, strlen(text), "test.ini", sla, &err)) {
		print_error("%s\n", err.msg);
		fail();
	}
}

/*
 * Uniform reads over a 64 MiB working set (8 MiB under valgrind); origin
 * 5 ms, fast device 50 us; read p90 <= 1 ms needs at least 90% hits:
 * with LRU that is a cache holding the whole working set, 64 MiB of the
 * 1 MiB..128 MiB ladder (cold misses are 5% of 20 passes).
 */
static const char uniform_sla[] =
	"[volume vol0]\n"
	"fast_device = /dev/vdc\n"
	"max_cache_bytes = %llu\n"
	"read_p90_us = 1000\n"
	"origin_read_us = 5000\n"
	"origin_write_us = 5000\n"
	"fast_read_us = 50\n"
	"fast_write_us = 50\n"
	"modes = wt\n"
	"replacements = lru\n"
	"block_sizes = 4K\n"
	"promote_hits = 0\n"
	"seq_cutoffs = 0\n"
	"sample_rate = %s\n";

static void test_recommend_known_answer(void **state)
{
	uint64_t U = under_valgrind() ? 2048 : 16384, ws = U * 4096;
	struct restack_gen_params gp = { .kind = RESTACK_GEN_UNIFORM,
					 .universe = U, .read_fraction = 1,
					 .seed = 31 };
	struct restack_recommendation rec;
	struct restack_err err = { "" };
	struct restack_sla sla;
	char path[128], text[1024];
	const struct restack_candidate *c;
	unsigned int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/uniform.rst", tmpdir);
	write_trace(path, &gp, U * 20);
	snprintf(text, sizeof(text), uniform_sla, (unsigned long long)ws * 2, "1");
	parse_sla(text, &sla);
	if (restack_recommend(path, &sla.vols[0], &rec, &err)) {
		print_error("%s\n", err.msg);
		fail();
	}
	assert_true(rec.chosen >= 0);
	c = &rec.cands[rec.chosen];
	assert_true(c->cache && c->cache_bytes == ws);
	assert_true(c->read_hit > 0.9 && c->read_hit < 0.96);
	/* each cheaper one fails its read p90 */
	for (i = 0; i < (unsigned int)rec.chosen; i++) {
		assert_false(rec.cands[i].feasible);
		assert_contains(rec.cands[i].reason, "read p90");
	}
	/* the sizes on the ladder: detached, 1M, 2M, ..., 128M */
	assert_int_equal(rec.n, 1 + 8);
	restack_recommendation_release(&rec);
	restack_sla_release(&sla);

	/* mini-simulation at R = 0.1 comes to the same answer */
	snprintf(text, sizeof(text), uniform_sla, (unsigned long long)ws * 2, "0.1");
	parse_sla(text, &sla);
	assert_int_equal(restack_recommend(path, &sla.vols[0], &rec, &err), 0);
	assert_true(rec.chosen >= 0);
	assert_true(rec.cands[rec.chosen].cache_bytes == ws);
	restack_recommendation_release(&rec);
	restack_sla_release(&sla);

	/* an unreachable target: nothing meets it, the closest is shown */
	snprintf(text, sizeof(text),
		 "[volume vol0]\nfast_device = /dev/vdc\nmax_cache_bytes = 128M\n"
		 "read_p99_us = 10\norigin_read_us = 5000\norigin_write_us = 5000\n"
		 "fast_read_us = 50\nfast_write_us = 50\nmodes = wt\n"
		 "replacements = lru\nblock_sizes = 4K\npromote_hits = 0\n"
		 "seq_cutoffs = 0\nsample_rate = 1\n");
	parse_sla(text, &sla);
	assert_int_equal(restack_recommend(path, &sla.vols[0], &rec, &err), 0);
	assert_int_equal(rec.chosen, -1);
	assert_true(rec.closest >= 0);
	for (i = 0; i < rec.n; i++)
		assert_true(rec.cands[rec.closest].worst <= rec.cands[i].worst);
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_int_equal(restack_recommend_print_text(f, &rec), 0);
		fclose(f);
		assert_contains(buf, "no candidate stack meets the SLA");
		assert_contains(buf, "short of   read p99");
		free(buf);
	}
	restack_recommendation_release(&rec);
	restack_sla_release(&sla);
}

/*
 * A zipf read/write mix with scans: the recommendation (mini-simulation
 * at R = 0.1) against exhaustive full-rate simulation of every candidate
 * with the same model: a size within one step of the exhaustive answer,
 * and a configuration that the exhaustive evaluation finds feasible or
 * within 5% of the target.
 */
static void test_recommend_vs_exhaustive(void **state)
{
	struct restack_gen_params gp = { .kind = RESTACK_GEN_SCANMIX,
					 .universe = 40000, .read_fraction = 0.8,
					 .scan_fraction = 0.2, .scan_blocks = 2048,
					 .alpha = 0.9, .seed = 12 };
	static const char sla_fmt[] =
		"[volume vol0]\n"
		"fast_device = /dev/vdc\n"
		"max_cache_bytes = 256M\n"
		"read_p90_us = 6000\n"
		"origin_read_us = 4000\n"
		"origin_read_p99_us = 12000\n"
		"origin_write_us = 1000\n"
		"fast_read_us = 80\n"
		"fast_write_us = 40\n"
		"modes = wt\n"
		"replacements = lru,s3fifo,arc\n"
		"block_sizes = 4K\n"
		"promote_hits = 0,1\n"
		"seq_cutoffs = 0,64K\n"
		"sample_rate = %s\n";
	struct restack_recommendation fast, full;
	struct restack_err err = { "" };
	struct restack_sla sla1, sla2;
	char path[128], text[1024];
	unsigned int i;
	bool found = false;

	(void)state;
	snprintf(path, sizeof(path), "%s/zipf.rst", tmpdir);
	write_trace(path, &gp, under_valgrind() ? 10000 : 150000);
	snprintf(text, sizeof(text), sla_fmt, "1");
	parse_sla(text, &sla1);
	snprintf(text, sizeof(text), sla_fmt, "0.1");
	parse_sla(text, &sla2);
	assert_int_equal(restack_recommend(path, &sla1.vols[0], &full, &err), 0);
	assert_int_equal(restack_recommend(path, &sla2.vols[0], &fast, &err), 0);
	if (under_valgrind())
		goto out;	/* too short a trace for the comparison */
	assert_true(full.chosen >= 0 && fast.chosen >= 0);
	print_message("exhaustive: %llu bytes %s %s p%u s%llu; sampled: %llu bytes %s %s\n",
		      (unsigned long long)full.cands[full.chosen].cache_bytes,
		      rs_cache_mode_name(full.cands[full.chosen].mode),
		      rs_repl_name(full.cands[full.chosen].kind),
		      full.cands[full.chosen].promote_hits,
		      (unsigned long long)full.cands[full.chosen].seq_cutoff,
		      (unsigned long long)fast.cands[fast.chosen].cache_bytes,
		      rs_cache_mode_name(fast.cands[fast.chosen].mode),
		      rs_repl_name(fast.cands[fast.chosen].kind));
	assert_true(full.cands[full.chosen].cache_bytes > 0);
	/*
	 * Neighbouring sizes of the 2x ladder differ by a few percent in
	 * p90 here, about the sampling error: the sampled choice must be
	 * the exhaustive one or a neighbour.
	 */
	{
		uint64_t a = full.cands[full.chosen].cache_bytes;
		uint64_t b = fast.cands[fast.chosen].cache_bytes;

		assert_true(b == a || b == a / 2 || b == a * 2);
	}
	/* the sampled choice is feasible under exhaustive simulation too */
	for (i = 0; i < full.n; i++) {
		const struct restack_candidate *a = &full.cands[i],
					       *b = &fast.cands[fast.chosen];

		if (a->cache && a->cache_bytes == b->cache_bytes &&
		    a->mode == b->mode && a->kind == b->kind &&
		    a->promote_hits == b->promote_hits &&
		    a->seq_cutoff == b->seq_cutoff) {
			found = true;
			assert_true(a->feasible || a->worst < 1.05);
		}
	}
	assert_true(found);
out:
	restack_recommendation_release(&full);
	restack_recommendation_release(&fast);
	restack_sla_release(&sla1);
	restack_sla_release(&sla2);
}

/* Profiles from trace files, and the errors of the command. */
static void test_recommend_profiles_and_errors(void **state)
{
	struct restack_gen_params gp = { .kind = RESTACK_GEN_ZIPF,
					 .universe = 5000, .read_fraction = 0.9,
					 .read_lat_ns = 2000000, .seed = 3 };
	struct restack_gen_params fp = { .kind = RESTACK_GEN_UNIFORM,
					 .universe = 5000, .read_fraction = 0.5,
					 .read_lat_ns = 50000, .write_lat_ns = 20000,
					 .seed = 4 };
	struct restack_recommendation rec;
	struct restack_err err = { "" };
	struct restack_sla sla;
	struct restack_analyze_args *a = calloc(1, sizeof(*a));
	char path[128], fpath[128], spath[128], text[1024];
	FILE *f;

	(void)state;
	assert_non_null(a);
	snprintf(path, sizeof(path), "%s/w.rst", tmpdir);
	snprintf(fpath, sizeof(fpath), "%s/fast.rst", tmpdir);
	snprintf(spath, sizeof(spath), "%s/sla.ini", tmpdir);
	write_trace(path, &gp, 50000);
	write_trace(fpath, &fp, 20000);
	/* origin latencies from the trace itself, fast from its profile */
	snprintf(text, sizeof(text),
		 "[volume vol0]\nfast_device = /dev/vdc\nmax_cache_bytes = 32M\n"
		 "read_p99_us = 4000\nfast_profile = %s\nsample_rate = 1\n"
		 "replacements = sieve\npromote_hits = 0\nseq_cutoffs = 0\n"
		 "block_sizes = 4K\n", fpath);
	parse_sla(text, &sla);
	assert_int_equal(restack_recommend(path, &sla.vols[0], &rec, &err), 0);
	assert_string_equal(rec.origin.source, "the trace");
	assert_string_equal(rec.fast.source, "fast_profile");
	assert_true(near(restack_ldist_quantile(&rec.origin.read, 0.5), 2e6, 0.05));
	assert_true(near(restack_ldist_quantile(&rec.fast.read, 0.5), 5e4, 0.05));
	assert_true(rec.chosen >= 0);
	restack_recommendation_release(&rec);
	restack_sla_release(&sla);

	/* through the command: text and JSON */
	f = fopen(spath, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	{
		const char *argv[] = { path, "--sla", spath, "--json" };
		char *buf = NULL;
		size_t len = 0;
		FILE *out;

		assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_RECOMMEND, 4,
							    argv, a, &err), 0);
		out = open_memstream(&buf, &len);
		assert_int_equal(restack_recommend_run(a, out, &err), 0);
		fclose(out);
		assert_contains(buf, "\"meets_sla\":true");
		assert_contains(buf, "\"attach\":\"cache /dev/vdc mode=wt block_size=4096 replacement=sieve promote_hits=0 seq_cutoff=0\"");
		free(buf);
		a->json = false;
		out = open_memstream(&buf, &len);
		assert_int_equal(restack_recommend_run(a, out, &err), 0);
		fclose(out);
		assert_contains(buf, "stack      attach cache /dev/vdc mode=wt");
		free(buf);
	}
	/* a fast profile that does not exist */
	snprintf(text, sizeof(text),
		 "[volume vol0]\nfast_device = /dev/vdc\nmax_cache_bytes = 32M\n"
		 "read_p99_us = 4000\nfast_profile = %s/none.rst\n", tmpdir);
	parse_sla(text, &sla);
	assert_int_not_equal(restack_recommend(path, &sla.vols[0], &rec, &err), 0);
	assert_contains(err.msg, "fast_profile");
	assert_contains(err.msg, "none.rst");
	restack_sla_release(&sla);
	/* a trace without latencies needs origin_*_us */
	gp.read_lat_ns = 0;
	{
		struct dm_restack_trace_header h;
		struct dm_restack_trace_record r0;
		struct restack_trace_writer *w;
		int i;

		memset(&h, 0, sizeof(h));
		h.volume = 253u << 20;
		assert_int_equal(restack_trace_create(path, false, &h, &w, &err), 0);
		memset(&r0, 0, sizeof(r0));
		r0.type = DM_RESTACK_REC_IO;
		r0.volume = h.volume;
		r0.sectors = 8;
		for (i = 0; i < 100; i++) {
			r0.ts_ns = (uint64_t)i * 1000;
			r0.virt_sector = (uint64_t)(i % 10) * 8;
			assert_int_equal(restack_trace_write(w, &r0, &err), 0);
		}
		assert_int_equal(restack_trace_finish(w, 100000, 100, 0, &err), 0);
	}
	snprintf(text, sizeof(text),
		 "[volume vol0]\nfast_device = /dev/vdc\nmax_cache_bytes = 32M\n"
		 "read_p99_us = 4000\nfast_read_us = 5\nfast_write_us = 5\n");
	parse_sla(text, &sla);
	assert_int_equal(restack_recommend(path, &sla.vols[0], &rec, &err), -EINVAL);
	assert_contains(err.msg, "has no latencies: give origin_profile or origin_read_us");
	restack_sla_release(&sla);
	/* a cap below 16 blocks of every size */
	snprintf(text, sizeof(text),
		 "[volume vol0]\nfast_device = /dev/vdc\nmax_cache_bytes = 32K\n"
		 "read_p99_us = 4000\nfast_read_us = 5\nfast_write_us = 5\n"
		 "origin_read_us = 50\norigin_write_us = 50\n");
	parse_sla(text, &sla);
	assert_int_equal(restack_recommend(path, &sla.vols[0], &rec, &err), -EINVAL);
	assert_contains(err.msg, "no candidate cache");
	restack_sla_release(&sla);
	/* --volume that the file does not have */
	{
		const char *argv[] = { path, "--sla", spath, "--volume", "other" };

		assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_RECOMMEND, 5,
							    argv, a, &err), 0);
		assert_int_not_equal(restack_recommend_run(a, stdout, &err), 0);
		assert_contains(err.msg, "no [volume other]");
	}
	free(a);
}


/*
 * wb under sustained write misses: each write evicts a dirty block, and
 * at most RESTACK_CACHE_MAX_WRITEBACKS write-backs of 10 ms are in flight,
 * so 3200 writes/s whatever the fast device; 8 in flight at 3200/s is a
 * mean of 2.5 ms, made of about a quarter of the writes waiting 10 ms.
 */
static void test_model_writeback_bound(void **state)
{
	struct restack_sla_volume sla;
	struct restack_workload w = { .write_iops = 1000, .queue_depth = 8,
				      .write_bytes = 4096 };
	struct restack_device o, f;
	struct restack_candidate c;
	double cap = RESTACK_CACHE_MAX_WRITEBACKS / 0.010;

	(void)state;
	memset(&sla, 0, sizeof(sla));
	sla.min_iops = 1;
	memset(&o, 0, sizeof(o));
	memset(&f, 0, sizeof(f));
	restack_ldist_lognormal(&o.read, 10000, 0);
	restack_ldist_lognormal(&o.write, 10000, 0);
	restack_ldist_lognormal(&f.read, 10, 0);
	restack_ldist_lognormal(&f.write, 10, 0);
	memset(&c, 0, sizeof(c));
	c.cache = true;
	c.mode = RS_MODE_WB;
	c.block_bytes = 4096;
	c.write_cached = 1;
	c.wfill_per_write = 1;
	/* no write-backs: the fast device's speed, 8 / 10 us */
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(near(c.iops, 8 / 10e-6, 0.03));
	assert_true(c.writeback_util == 0);
	assert_true(near(c.write_ns[RESTACK_PCT_99], 10e3, 0.03));
	/* one write-back per write: bound by the origin */
	c.writeback_per_write = 1;
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(near(c.iops, cap, 0.03));	/* the grid: within 2% */
	assert_true(c.writeback_util > 200);
	assert_true(near(c.write_mean_ns, 8 / cap * 1e9, 0.03));
	assert_true(near(c.write_ns[RESTACK_PCT_50], 10e3, 0.03));
	assert_true(near(c.write_ns[RESTACK_PCT_99], 10010e3, 0.03));
	/* half as many write-backs: twice the bound */
	c.writeback_per_write = 0.5;
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(near(c.iops, 2 * cap, 0.03));
	/* wt and wa write through: no write-back, no bound */
	c.mode = RS_MODE_WT;
	restack_model_predict(&c, &w, &o, &f, &sla);
	assert_true(c.writeback_util == 0);
	assert_true(near(c.iops, 8 / 10010e-6, 0.03));
}

/* ---- concurrency, warm-up, calibration ---- */

static void test_concurrency(void **state)
{
	(void)state;
	/* Little's law: 8 requests of 2 ms each in flight over 1 s: 1000 x 8 ms */
	assert_true(near(restack_concurrency(1000 * 8e6, 1.0, 3500, 1000), 8, 1e-9));
	/* no latencies (an imported trace): 1 + mean in-flight at submission */
	assert_true(near(restack_concurrency(0, 1.0, 3500, 1000), 4.5, 1e-9));
	assert_true(near(restack_concurrency(0, 0, 0, 0), 1, 1e-9));
}

/*
 * A trace of reads of 512 blocks, the same sequence twice, 1 ms each at
 * queue depth 1: with a 4 MiB cache (1024 blocks, more than the 512) the
 * first pass misses everything, the second hits everything.  With
 * the first pass as warm-up the model must see hit ratio 1 and the
 * second pass's rates; without, 0.5.
 */
static void write_two_pass(const char *path, uint64_t t_ns)
{
	struct dm_restack_trace_header h;
	struct dm_restack_trace_record r0;
	struct restack_trace_writer *w;
	struct restack_err err = { "" };
	unsigned int i;

	memset(&h, 0, sizeof(h));
	h.volume = 253u << 20;
	assert_int_equal(restack_trace_create(path, false, &h, &w, &err), 0);
	memset(&r0, 0, sizeof(r0));
	r0.type = DM_RESTACK_REC_IO;
	r0.op = DM_RESTACK_OP_READ;
	r0.volume = h.volume;
	r0.sectors = 8;
	r0.latency_ns = t_ns;
	for (i = 0; i < 1024; i++) {
		r0.ts_ns = (uint64_t)i * t_ns;
		r0.virt_sector = (uint64_t)((i % 512) * 7919 % 512) * 8;
		assert_int_equal(restack_trace_write(w, &r0, &err), 0);
	}
	assert_int_equal(restack_trace_finish(w, 1024 * t_ns, 1024, 0, &err), 0);
}

static void test_recommend_warmup(void **state)
{
	struct restack_recommend_opts o = { 0 };
	struct restack_recommendation rec;
	struct restack_err err = { "" };
	struct restack_sla sla;
	char path[128];
	unsigned int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/twopass.rst", tmpdir);
	write_two_pass(path, 1000000);
	parse_sla("[volume vol0]\nfast_device = /dev/vdc\nmax_cache_bytes = 4M\n"
		  "read_p99_us = 4000\nfast_read_us = 10\nfast_write_us = 10\n"
		  "modes = wt\nreplacements = lru\nblock_sizes = 4K\n"
		  "promote_hits = 0\nseq_cutoffs = 0\nsample_rate = 1\n"
		  "cache_sizes = 4M\n", &sla);
	assert_int_equal(restack_recommend_opts(path, &sla.vols[0], &o, &rec, &err), 0);
	assert_int_equal(rec.warmup_records, 0);
	for (i = 0; i < rec.n; i++)
		if (rec.cands[i].cache)
			assert_true(near(rec.cands[i].read_hit, 0.5, 1e-9));
	/* concurrency 1 (Little's law), 1000 IOPS detached */
	assert_true(near(rec.workload.queue_depth, 1, 1e-6));
	restack_recommendation_release(&rec);

	o.warmup_ns = 512ULL * 1000000;	/* exactly the first pass */
	assert_int_equal(restack_recommend_opts(path, &sla.vols[0], &o, &rec, &err), 0);
	assert_int_equal(rec.warmup_records, 512);
	assert_int_equal(rec.records, 512);
	assert_true(near(rec.warmup_s, 0.512, 1e-9));
	assert_true(near(rec.workload.read_iops, 1000, 1e-6));
	for (i = 0; i < rec.n; i++) {
		const struct restack_candidate *c = &rec.cands[i];

		if (!c->cache)
			continue;
		assert_true(near(c->read_hit, 1, 1e-9));
		/* all hits: the fast device's 10 us, not the origin's 1 ms */
		assert_true(near(c->read_ns[2], 10e3, 0.03));
		/* at concurrency 1: 1 / 10 us */
		assert_true(near(c->iops, 1e5, 0.03));
	}
	restack_recommendation_release(&rec);

	/* a warm-up longer than the trace is an error, not an empty window */
	o.warmup_ns = 2000000000ULL;
	assert_int_equal(restack_recommend_opts(path, &sla.vols[0], &o, &rec, &err),
			 -EINVAL);
	assert_contains(err.msg, "the warm-up of 2.000 s covers the whole trace");
	restack_sla_release(&sla);
}

static void test_calibrate(void **state)
{
	static const char issue[] =
		"[volume vol0]\norigin = /dev/vdb\nfast_device = %s\n"
		"max_cache_bytes = 1G\nread_p99_us = 2000\nwrite_p99_us = 5000\n"
		"min_iops = 3000\n";
	struct restack_recommendation rec;
	struct restack_err err = { "" };
	struct restack_device dev;
	struct restack_sla sla;
	char dpath[128], tpath[128], text[512], *before, *after;
	size_t len = 1 << 20;
	FILE *f;

	(void)state;
	snprintf(dpath, sizeof(dpath), "%s/fastdev", tmpdir);
	before = malloc(len);
	after = malloc(len);
	assert_non_null(before);
	assert_non_null(after);
	memset(before, 0x5a, len);
	f = fopen(dpath, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(before, 1, len, f), len);
	assert_int_equal(fclose(f), 0);

	memset(&dev, 0, sizeof(dev));
	if (restack_device_calibrate(&dev, dpath, 200, &err)) {
		/* a file system without O_DIRECT (tmpfs) cannot host this test */
		assert_contains(err.msg, "O_DIRECT");
		skip();
	}
	assert_true(near(dev.read.total, 200, 1e-9));
	assert_true(dev.write.total == dev.read.total);
	assert_true(restack_ldist_quantile(&dev.read, 0.5) > 0);
	assert_contains(dev.source, "200 random 4096-byte O_DIRECT reads");
	assert_contains(dev.source, "writes not measured");
	/* read-only: the file is unchanged */
	f = fopen(dpath, "r");
	assert_non_null(f);
	assert_int_equal(fread(after, 1, len, f), len);
	fclose(f);
	assert_memory_equal(before, after, len);

	/* errors name the path */
	snprintf(tpath, sizeof(tpath), "%s/no-such-device", tmpdir);
	assert_int_equal(restack_device_calibrate(&dev, tpath, 10, &err), -ENOENT);
	assert_contains(err.msg, "no-such-device: open (read-only, O_DIRECT)");

	/* the issue's SLA file works: the fast device is calibrated */
	snprintf(tpath, sizeof(tpath), "%s/twopass2.rst", tmpdir);
	write_two_pass(tpath, 1000000);
	snprintf(text, sizeof(text), issue, dpath);
	parse_sla(text, &sla);
	assert_int_equal(restack_recommend(tpath, &sla.vols[0], &rec, &err), 0);
	assert_contains(rec.fast.source, "calibration of");
	restack_recommendation_release(&rec);
	restack_sla_release(&sla);
	/* and an unreadable fast_device gets an error naming the keys */
	snprintf(text, sizeof(text), issue, "/nonexistent/vdc");
	parse_sla(text, &sla);
	assert_int_equal(restack_recommend(tpath, &sla.vols[0], &rec, &err), -ENOENT);
	assert_contains(err.msg, "[volume vol0]: the fast device's latency is unknown: give fast_profile, or fast_read_us and fast_write_us");
	assert_contains(err.msg, "/nonexistent/vdc: open");
	restack_sla_release(&sla);
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ldist),
		cmocka_unit_test(test_model_limits),
		cmocka_unit_test(test_model_saturation),
		cmocka_unit_test(test_attach_string),
		cmocka_unit_test(test_recommend_known_answer),
		cmocka_unit_test(test_recommend_vs_exhaustive),
		cmocka_unit_test(test_recommend_profiles_and_errors),
		cmocka_unit_test(test_model_writeback_bound),
		cmocka_unit_test(test_concurrency),
		cmocka_unit_test(test_recommend_warmup),
		cmocka_unit_test(test_calibrate),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
