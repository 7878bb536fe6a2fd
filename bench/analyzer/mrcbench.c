// SPDX-License-Identifier: GPL-2.0-only
/*
 * mrcbench - accuracy and policy comparisons for the analyzer benchmark.
 *
 *   mrcbench accuracy <trace> [block]
 *       exact LRU MRC vs SHARDS fixed-rate R=0.01 (with and without
 *       SHARDS_adj) and fixed-size (8K, 32K samples): mean absolute error
 *       over 100 cache sizes from 1% to 100% of the working set, and over
 *       48 log-spaced sizes from 1/R blocks up; memory and time of each.
 *   mrcbench relocated <trace> <sets> [rate]
 *       SHARDS at <rate> (default 0.01; restack's adjustment, the
 *       paper's, none) over <sets> different sample sets of the same
 *       trace (LBAs moved): MAE mean, sd, worst, and the sets within 0.01.
 *   mrcbench policies <trace> <rate> <size>[,<size>...]
 *       hit ratios of every replacement policy (and admission/sequential
 *       variants) at each cache size, simulated with the shared kernel
 *       code (rate 1: full simulation).
 *   mrcbench minisim <trace> <rate> <size>[,...]
 *       mini-simulation at <rate> against full simulation, every policy:
 *       mean absolute error of the miss ratio over the sizes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "analyze/restack_minisim.h"
#include "analyze/restack_mrc.h"
#include "trace/restack_trace.h"

#define M DM_RESTACK_SAMPLE_MODULUS

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, const struct restack_err *err)
{
	fprintf(stderr, "mrcbench: %s: %s\n", what, err->msg);
	exit(1);
}

/* Feed every record of @path to @fn. */
static uint64_t each_record(const char *path,
			    void (*fn)(void *, const struct dm_restack_trace_record *),
			    void *ctx, const struct dm_restack_trace_header **hdr_out,
			    struct dm_restack_trace_header *hdr_copy)
{
	struct restack_trace_reader *rd;
	struct dm_restack_trace_record rec;
	struct restack_err err = { "" };
	uint64_t n = 0;
	int r;

	if (restack_trace_open(path, &rd, &err))
		die(path, &err);
	if (hdr_copy)
		*hdr_copy = *restack_trace_header(rd);
	(void)hdr_out;
	while ((r = restack_trace_next(rd, &rec, &err)) == 1) {
		fn(ctx, &rec);
		n++;
	}
	if (r < 0)
		die(path, &err);
	restack_trace_close(rd);
	return n;
}

/* ---- accuracy ---- */

#define NEST 5

struct acc_ctx {
	struct restack_mrc *m[NEST + 1];	/* [0] exact */
	double t[NEST + 1];
};

static void acc_feed(void *p, const struct dm_restack_trace_record *rec)
{
	struct acc_ctx *c = p;
	int i;

	for (i = 0; i <= NEST; i++)
		restack_mrc_record(c->m[i], rec);
}

static int accuracy(const char *path, uint32_t block)
{
	static const char *const names[NEST + 1] = {
		"exact", "fixed-rate R=0.01", "fixed-rate R=0.01, no adj",
		"fixed-rate R=0.001", "fixed-size 8K", "fixed-size 32K",
	};
	struct restack_mrc_params p[NEST + 1] = {
		{ .method = RESTACK_MRC_EXACT },
		{ .method = RESTACK_MRC_FIXED_RATE, .threshold = M / 100 },
		{ .method = RESTACK_MRC_FIXED_RATE, .threshold = M / 100, .no_adjust = true },
		{ .method = RESTACK_MRC_FIXED_RATE, .threshold = M / 1000 },
		{ .method = RESTACK_MRC_FIXED_SIZE, .smax = 8192 },
		{ .method = RESTACK_MRC_FIXED_SIZE, .smax = 32768 },
	};
	struct dm_restack_trace_header h;
	struct restack_err err = { "" };
	struct acc_ctx c;
	double wss, t0;
	uint64_t n;
	int i, k;

	/* each estimator timed on its own pass: one pass for all first */
	{
		struct restack_trace_reader *rd;

		if (restack_trace_open(path, &rd, &err))
			die(path, &err);
		h = *restack_trace_header(rd);
		restack_trace_close(rd);
	}
	for (i = 0; i <= NEST; i++) {
		p[i].block_bytes = block;
		p[i].trace_threshold = h.sample_threshold;
		p[i].trace_block_sectors = h.sample_block_sectors;
		if (restack_mrc_create(&p[i], &c.m[i], &err))
			die("create", &err);
	}
	t0 = now();
	n = each_record(path, acc_feed, &c, NULL, NULL);
	t0 = now() - t0;
	wss = restack_mrc_distinct(c.m[0]);
	printf("trace %s: %llu records, %llu block references, working set %.0f blocks of %u bytes (%.2f GiB); all estimators in one pass: %.2f s\n",
	       path, (unsigned long long)n,
	       (unsigned long long)restack_mrc_refs(c.m[0]), wss, block,
	       wss * block / (1 << 30), t0);
	printf("%-28s %10s %10s %10s %12s %10s\n", "method", "MAE(lin)", "MAE(log)",
	       "max err", "peak MiB", "sampled");
	for (i = 0; i <= NEST; i++) {
		double mae = 0, mae_log = 0, mx = 0, lo, ratio;
		int nlog = 48;

		for (k = 1; k <= 100; k++) {
			uint64_t s = (uint64_t)(wss * k / 100);
			double e = fabs(restack_mrc_miss_ratio(c.m[0], s) -
					restack_mrc_miss_ratio(c.m[i], s));

			mae += e;
			if (e > mx)
				mx = e;
		}
		/* log-spaced from 100 blocks (1/R at R = 0.01) to the WSS */
		lo = 100;
		ratio = pow(wss / lo, 1.0 / (nlog - 1));
		for (k = 0; k < nlog; k++) {
			uint64_t s = (uint64_t)(lo * pow(ratio, k));

			mae_log += fabs(restack_mrc_miss_ratio(c.m[0], s) -
					restack_mrc_miss_ratio(c.m[i], s));
		}
		printf("%-28s %10.4f %10.4f %10.4f %12.2f %10llu\n", names[i],
		       mae / 100, mae_log / nlog, mx,
		       restack_mrc_peak_bytes(c.m[i]) / 1048576.0,
		       (unsigned long long)restack_mrc_sampled_refs(c.m[i]));
	}
	for (i = 0; i <= NEST; i++)
		restack_mrc_destroy(c.m[i]);
	return 0;
}

/* ---- the same trace under different sample sets ---- */

struct rel_ctx {
	struct restack_mrc *exact, *est[3];
	uint64_t shift;
};

static void rel_feed(void *p, const struct dm_restack_trace_record *rec)
{
	struct rel_ctx *c = p;
	struct dm_restack_trace_record r = *rec;
	int i;

	r.virt_sector += c->shift;
	restack_mrc_record(c->exact, &r);
	for (i = 0; i < 3; i++)
		restack_mrc_record(c->est[i], &r);
}

/*
 * Moving every request by the same number of blocks keeps the curve and
 * changes which blocks the hash samples: a fresh sample set each time.
 */
static int relocated(const char *path, int sets, double rate)
{
	static const char *const names[3] = {
		"restack's adjustment", "paper's SHARDS_adj", "no adjustment",
	};
	double sum[3] = { 0 }, worst[3] = { 0 }, sumsq[3] = { 0 }, blocks = 0;
	int within[3] = { 0 };
	struct restack_err err = { "" };
	int s, i, k;

	for (s = 0; s < sets; s++) {
		struct restack_mrc_params pe = { .method = RESTACK_MRC_EXACT,
						 .block_bytes = 4096 };
		struct restack_mrc_params pr = { .method = RESTACK_MRC_FIXED_RATE,
						 .block_bytes = 4096,
						 .threshold = (uint32_t)(M * rate + 0.5) };
		struct rel_ctx c = { .shift = (uint64_t)s * 1000003 * 8 };
		double wss;

		if (restack_mrc_create(&pe, &c.exact, &err))
			die("create", &err);
		for (i = 0; i < 3; i++) {
			pr.no_adjust = i == 2;
			if (restack_mrc_create(&pr, &c.est[i], &err))
				die("create", &err);
		}
		restack_mrc_set_adjust_k(c.est[1], 0);
		each_record(path, rel_feed, &c, NULL, NULL);
		wss = restack_mrc_distinct(c.exact);
		blocks += wss * rate;
		for (i = 0; i < 3; i++) {
			double mae = 0;

			for (k = 1; k <= 100; k++) {
				uint64_t z = (uint64_t)(wss * k / 100);

				mae += fabs(restack_mrc_miss_ratio(c.exact, z) -
					    restack_mrc_miss_ratio(c.est[i], z));
			}
			mae /= 100;
			sum[i] += mae;
			sumsq[i] += mae * mae;
			within[i] += mae <= 0.01;
			if (mae > worst[i])
				worst[i] = mae;
			restack_mrc_destroy(c.est[i]);
		}
		restack_mrc_destroy(c.exact);
	}
	printf("%s, R=%g (about %.0f sampled blocks) over %d sample sets (LBAs moved): MAE mean / sd / worst, sets within 0.01\n",
	       path, rate, blocks / sets, sets);
	for (i = 0; i < 3; i++) {
		double mean = sum[i] / sets, var = sumsq[i] / sets - mean * mean;

		printf("  %-30s %.4f / %.4f / %.4f, %d of %d\n", names[i], mean,
		       var > 0 ? sqrt(var) : 0, worst[i], within[i], sets);
	}
	return 0;
}

/* ---- policies ---- */

struct pol_ctx {
	struct restack_simset *s;
};

static void pol_feed(void *p, const struct dm_restack_trace_record *rec)
{
	restack_simset_record(((struct pol_ctx *)p)->s, rec);
}

static unsigned int parse_sizes(const char *list, uint64_t *out, unsigned int max)
{
	struct restack_err err;
	char buf[64];
	unsigned int n = 0;

	while (*list && n < max) {
		const char *c = strchr(list, ',');
		size_t len = c ? (size_t)(c - list) : strlen(list);

		snprintf(buf, sizeof(buf), "%.*s", (int)len, list);
		if (restack_parse_bytes("size", buf, &out[n++], &err))
			die("size", &err);
		list += len + (c ? 1 : 0);
	}
	return n;
}

static int policies(const char *path, double rate, const char *list)
{
	static const struct {
		uint32_t promote;
		uint64_t seq;
		const char *label;
	} variants[] = {
		{ 0, 0, "" }, { 1, 0, "+promote1" }, { 0, 1 << 20, "+seq1M" },
	};
	uint64_t sizes[32];
	unsigned int nsz = parse_sizes(list, sizes, 32), z, v, k;
	struct dm_restack_trace_header h;
	struct restack_err err = { "" };
	struct pol_ctx c;
	int idx[3][RS_REPL_NR_KINDS][32];
	double t;

	{
		struct restack_trace_reader *rd;

		if (restack_trace_open(path, &rd, &err))
			die(path, &err);
		h = *restack_trace_header(rd);
		restack_trace_close(rd);
	}
	if (restack_simset_create(4096, h.sample_threshold, h.sample_block_sectors,
				  false, &c.s, &err))
		die("simset", &err);
	for (v = 0; v < 3; v++)
		for (k = 0; k < RS_REPL_NR_KINDS; k++)
			for (z = 0; z < nsz; z++) {
				struct restack_sim_config cfg = {
					.kind = k, .mode = RS_MODE_WT,
					.promote_hits = variants[v].promote,
					.seq_cutoff = variants[v].seq,
				};
				uint64_t blocks = sizes[z] / 4096;

				idx[v][k][z] = restack_simset_add(c.s, &cfg, blocks,
					rate >= 1 ? M : restack_sim_threshold(blocks, rate,
									  RESTACK_SIM_MIN_SLOTS),
					&err);
				if (idx[v][k][z] < 0)
					die("add", &err);
			}
	t = cpu();
	each_record(path, pol_feed, &c, NULL, NULL);
	t = cpu() - t;
	printf("policies on %s (rate %g, %.1f s CPU): hit ratio (reads and writes) by cache size\n",
	       path, rate, t);
	printf("%-18s", "policy");
	for (z = 0; z < nsz; z++)
		printf(" %9.0fM", sizes[z] / 1048576.0);
	printf("\n");
	for (v = 0; v < 3; v++)
		for (k = 0; k < RS_REPL_NR_KINDS; k++) {
			char label[64];

			snprintf(label, sizeof(label), "%s%s", rs_repl_name(k),
				 variants[v].label);
			printf("%-18s", label);
			for (z = 0; z < nsz; z++) {
				struct restack_sim_result r;

				restack_simset_result(c.s, (unsigned int)idx[v][k][z], &r);
				printf(" %10.4f", 1 - restack_sim_miss_ratio(&r));
			}
			printf("\n");
		}
	restack_simset_destroy(c.s);
	return 0;
}

static int minisim(const char *path, double rate, const char *list)
{
	uint64_t sizes[32];
	unsigned int nsz = parse_sizes(list, sizes, 32), z, k;
	struct dm_restack_trace_header h;
	struct restack_err err = { "" };
	struct pol_ctx c;
	int full[RS_REPL_NR_KINDS][32], mini[RS_REPL_NR_KINDS][32];

	{
		struct restack_trace_reader *rd;

		if (restack_trace_open(path, &rd, &err))
			die(path, &err);
		h = *restack_trace_header(rd);
		restack_trace_close(rd);
	}
	if (restack_simset_create(4096, h.sample_threshold, h.sample_block_sectors,
				  false, &c.s, &err))
		die("simset", &err);
	for (k = 0; k < RS_REPL_NR_KINDS; k++)
		for (z = 0; z < nsz; z++) {
			struct restack_sim_config cfg = { .kind = k, .mode = RS_MODE_WT };
			uint64_t blocks = sizes[z] / 4096;

			full[k][z] = restack_simset_add(c.s, &cfg, blocks, M, &err);
			mini[k][z] = restack_simset_add(c.s, &cfg, blocks,
				restack_sim_threshold(blocks, rate, RESTACK_SIM_MIN_SLOTS),
				&err);
			if (full[k][z] < 0 || mini[k][z] < 0)
				die("add", &err);
		}
	each_record(path, pol_feed, &c, NULL, NULL);
	printf("mini-simulation at R=%g vs full simulation on %s: MAE of the miss ratio over %u sizes\n",
	       rate, path, nsz);
	for (k = 0; k < RS_REPL_NR_KINDS; k++) {
		double mae = 0;

		for (z = 0; z < nsz; z++) {
			struct restack_sim_result a, b;

			restack_simset_result(c.s, (unsigned int)full[k][z], &a);
			restack_simset_result(c.s, (unsigned int)mini[k][z], &b);
			mae += fabs(restack_sim_miss_ratio(&a) - restack_sim_miss_ratio(&b));
		}
		printf("  %-8s %.4f\n", rs_repl_name(k), mae / nsz);
	}
	restack_simset_destroy(c.s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "accuracy"))
		return accuracy(argv[2], argc > 3 ? (uint32_t)atoi(argv[3]) : 4096);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "relocated"))
		return relocated(argv[2], atoi(argv[3]),
				 argc == 5 ? atof(argv[4]) : 0.01);
	if (argc == 5 && !strcmp(argv[1], "policies"))
		return policies(argv[2], atof(argv[3]), argv[4]);
	if (argc == 5 && !strcmp(argv[1], "minisim"))
		return minisim(argv[2], atof(argv[3]), argv[4]);
	fprintf(stderr, "usage: mrcbench accuracy <trace> [block] | policies <trace> <rate> <sizes> | minisim <trace> <rate> <sizes>\n");
	return 2;
}
