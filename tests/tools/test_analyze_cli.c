// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_analyze_cli.c - the analyzer commands' grammar (mrc, report,
 * recommend) and the mrc runner on trace files written with the trace
 * writer: CSV shape, agreement with the library, kernel-sampled traces,
 * one-line errors.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "restack_test.h"
#include "cmd/restack_analyze_cmd.h"
#include "analyze/restack_analyze_gen.h"
#include "analyze/restack_mrc.h"
#include "trace/restack_trace.h"

/* ---- grammar ---- */

struct args_case {
	const char *name;
	enum restack_cmd_id id;
	const char *argv[12];
	int ret;
	const char *msg;	/* expected in the error */
};

static const struct args_case bad_cases[] = {
	{ "mrc no trace", RESTACK_CMD_MRC, { "--exact" }, -EINVAL, "missing <trace>" },
	{ "mrc two traces", RESTACK_CMD_MRC, { "a", "b" }, -EINVAL, "unexpected argument \"b\"" },
	{ "mrc unknown option", RESTACK_CMD_MRC, { "t", "--fast" }, -EINVAL, "unknown option \"--fast\"" },
	{ "mrc report-only option", RESTACK_CMD_MRC, { "t", "--json" }, -EINVAL, "unknown option \"--json\"" },
	{ "mrc exclusive methods", RESTACK_CMD_MRC, { "t", "--exact", "--sample", "0.1" }, -EINVAL, "exclude each other" },
	{ "mrc sample zero", RESTACK_CMD_MRC, { "t", "--sample", "0" }, -EINVAL, "--sample \"0\"" },
	{ "mrc sample above one", RESTACK_CMD_MRC, { "t", "--sample", "1.5" }, -EINVAL, "rate in (0, 1]" },
	{ "mrc sample junk", RESTACK_CMD_MRC, { "t", "--sample=0.1x" }, -EINVAL, "--sample" },
	{ "mrc sample missing value", RESTACK_CMD_MRC, { "t", "--sample" }, -EINVAL, "--sample needs a value" },
	{ "mrc fixed-size too small", RESTACK_CMD_MRC, { "t", "--fixed-size", "10" }, -EINVAL, "from 64 to" },
	{ "mrc block not power of two", RESTACK_CMD_MRC, { "t", "--block", "3K" }, -EINVAL, "power of two" },
	{ "mrc block suffix", RESTACK_CMD_MRC, { "t", "--block", "4kb" }, -EINVAL, "suffix" },
	{ "mrc sizes empty item", RESTACK_CMD_MRC, { "t", "--sizes", "1G,,2G" }, -EINVAL, "comma-separated" },
	{ "mrc sizes bad item", RESTACK_CMD_MRC, { "t", "--sizes", "1G,x" }, -EINVAL, "--sizes" },
	{ "mrc sizes zero", RESTACK_CMD_MRC, { "t", "--sizes", "0" }, -EINVAL, "size of 0" },
	{ "mrc unknown policy", RESTACK_CMD_MRC, { "t", "--policy", "lfu" }, -EINVAL, "unknown (lru" },
	{ "mrc bad mode", RESTACK_CMD_MRC, { "t", "--policy", "arc", "--mode", "writeback" }, -EINVAL, "wt, wb or wa" },
	{ "mrc promote too large", RESTACK_CMD_MRC, { "t", "--policy", "arc", "--promote-hits", "256" }, -EINVAL, "0 to 255" },
	{ "mrc flag with value", RESTACK_CMD_MRC, { "t", "--exact=1" }, -EINVAL, "takes no value" },
	{ "report by what", RESTACK_CMD_REPORT, { "t", "--by", "cgroup" }, -EINVAL, "only \"workload\"" },
	{ "report bad window", RESTACK_CMD_REPORT, { "t", "--window", "-1" }, -EINVAL, "--window" },
	{ "report zero window", RESTACK_CMD_REPORT, { "t", "--window", "0" }, -EINVAL, "--window" },
	{ "report empty plot dir", RESTACK_CMD_REPORT, { "t", "--plot=" }, -EINVAL, "--plot needs" },
	{ "recommend no sla", RESTACK_CMD_RECOMMEND, { "t" }, -EINVAL, "missing --sla" },
	{ "recommend bad volume", RESTACK_CMD_RECOMMEND, { "t", "--sla", "f", "--volume", "a b" }, -EINVAL, "--volume" },
	{ "recommend bad warmup", RESTACK_CMD_RECOMMEND, { "t", "--sla", "f", "--warmup", "1s" }, -EINVAL, "--warmup \"1s\": must be seconds" },
	{ "recommend zero warmup", RESTACK_CMD_RECOMMEND, { "t", "--sla", "f", "--warmup", "0" }, -EINVAL, "--warmup" },
	{ "recommend all with value", RESTACK_CMD_RECOMMEND, { "t", "--sla", "f", "--all=1" }, -EINVAL, "--all takes no value" },
	{ "mrc warmup", RESTACK_CMD_MRC, { "t", "--warmup", "1" }, -EINVAL, "unknown option \"--warmup\"" },
};

static const char *args_name(const void *c)
{
	return ((const struct args_case *)c)->name;
}

static unsigned int argv_len(const char *const *v)
{
	unsigned int n = 0;

	while (n < 12 && v[n])
		n++;
	return n;
}

static void test_bad_args(void **state)
{
	const struct args_case *c = *state;
	struct restack_analyze_args *a = calloc(1, sizeof(*a));
	struct restack_err err = { "" };
	int r;

	assert_non_null(a);
	r = restack_analyze_args_parse(c->id, argv_len(c->argv), c->argv, a, &err);
	assert_int_equal(r, c->ret);
	assert_contains(err.msg, c->msg);
	assert_contains(err.msg, restack_cmd_name(c->id));
	assert_null(strchr(err.msg, '\n'));
	free(a);
}

static void test_good_args(void **state)
{
	struct restack_analyze_args *a = calloc(1, sizeof(*a));
	struct restack_err err = { "" };
	const char *v1[] = { "--policy=s3fifo", "--sample", "0.01", "trace.rst",
			     "--sizes", "64M,1G", "--block=64K", "--reads-only",
			     "--promote-hits", "2", "--seq-cutoff", "4M" };
	const char *v2[] = { "--", "-odd-name", "--by", "workload" };
	const char *v3[] = { "t", "--sla", "s.ini", "--json", "--volume", "vol0",
			     "--all", "--warmup=2.5" };
	const char *v4[] = { "t", "--policy", "lru", "--mode", "wb" };
	const char *v5[] = { "t", "--plot", "dir", "--json", "--window", "0.5" };
	uint32_t t;

	(void)state;
	assert_non_null(a);
	assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_MRC, 12, v1, a, &err), 0);
	assert_string_equal(a->trace, "trace.rst");
	assert_false(a->stack_lru);
	assert_int_equal(a->policy, RS_REPL_S3FIFO);
	assert_int_equal(a->how, RESTACK_HOW_SAMPLE);
	assert_int_equal(a->threshold, 167772);
	assert_true(a->nsizes == 2 && a->sizes[0] == 64 << 20 &&
		    a->sizes[1] == 1ULL << 30);
	assert_int_equal(a->block_bytes, 65536);
	assert_true(a->reads_only);
	assert_int_equal(a->promote_hits, 2);
	assert_true(a->seq_cutoff == 4 << 20);
	/* after "--" everything is positional */
	assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_REPORT, 2, v2, a, &err), 0);
	assert_string_equal(a->trace, "-odd-name");
	assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_REPORT, 4, v2, a, &err),
			 -EINVAL);
	assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_RECOMMEND, 6, v3, a, &err), 0);
	assert_string_equal(a->sla, "s.ini");
	assert_string_equal(a->volume, "vol0");
	assert_true(a->json);
	assert_false(a->all);
	assert_true(a->warmup_ns == 0);
	assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_RECOMMEND, 8, v3, a, &err), 0);
	assert_true(a->all);
	assert_true(a->warmup_ns == 2500000000ULL);
	/* LRU with a cache mode is simulated */
	assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_MRC, 5, v4, a, &err), 0);
	assert_false(a->stack_lru);
	assert_int_equal(a->policy, RS_REPL_LRU);
	assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_REPORT, 6, v5, a, &err), 0);
	assert_true(a->window_ns == 500000000ULL);
	assert_string_equal(a->plot_dir, "dir");
	/* rates */
	assert_int_equal(restack_parse_rate("1", &t), 0);
	assert_int_equal(t, DM_RESTACK_SAMPLE_MODULUS);
	assert_int_equal(restack_parse_rate("0.000000001", &t), 0);
	assert_int_equal(t, 1);
	assert_int_equal(restack_parse_rate("1.0", &t), 0);
	assert_int_equal(restack_parse_rate("1.01", &t), -ERANGE);
	assert_int_equal(restack_parse_rate("00.5", &t), -EINVAL);
	assert_int_equal(restack_parse_rate(".5", &t), -EINVAL);
	assert_int_equal(restack_parse_rate("0.", &t), -EINVAL);
	free(a);
}

/* ---- runs on trace files ---- */

static char tmpdir[] = "/tmp/restack-test-analyze-XXXXXX";

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

/* Write @n generated records to @path; returns them too if @keep. */
static void write_trace(const char *path, const struct restack_gen_params *gp,
			size_t n, uint32_t sample_threshold,
			struct dm_restack_trace_record *keep)
{
	struct dm_restack_trace_header h;
	struct dm_restack_trace_record rec;
	struct restack_trace_writer *w;
	struct restack_err err = { "" };
	struct restack_gen g;
	size_t i, written = 0;
	uint64_t end = 0;

	memset(&h, 0, sizeof(h));
	h.volume = (253u << 20) | 0;
	h.flags = DM_RESTACK_TH_SORTED;
	h.sample_threshold = sample_threshold;
	h.sample_block_sectors = 8;
	strcpy(h.source, "test");
	assert_int_equal(restack_gen_init(&g, gp, &err), 0);
	if (restack_trace_create(path, false, &h, &w, &err)) {
		print_error("create: %s\n", err.msg);
		fail();
	}
	for (i = 0; i < n; i++) {
		uint64_t b;

		restack_gen_next(&g, &rec);
		end = rec.ts_ns;
		if (keep)
			keep[i] = rec;
		if (sample_threshold < DM_RESTACK_SAMPLE_MODULUS) {
			/* the kernel keeps a bio touching a sampled block */
			bool any = false;

			for (b = rec.virt_sector / 8;
			     b <= (rec.virt_sector + rec.sectors - 1) / 8; b++)
				any |= restack_block_hash24(b) < sample_threshold;
			if (!any)
				continue;
		}
		assert_int_equal(restack_trace_write(w, &rec, &err), 0);
		written++;
	}
	assert_int_equal(restack_trace_finish(w, end, written, 0, &err), 0);
}

/* Run mrc with argv; returns the CSV (malloc'ed) or NULL with err set. */
static char *run_mrc(unsigned int argc, const char *const *argv,
		     struct restack_err *err)
{
	struct restack_analyze_args *a = calloc(1, sizeof(*a));
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	assert_non_null(a);
	assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_MRC, argc, argv,
						    a, err), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	r = restack_mrc_run(a, f, err);
	fclose(f);
	free(a);
	if (r) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Parse "cache_bytes,miss_ratio" CSV; returns rows. */
static unsigned int parse_csv(const char *csv, uint64_t *bytes, double *mr,
			      unsigned int max)
{
	const char *p = csv;
	unsigned int n = 0;

	assert_true(!strncmp(p, "cache_bytes,miss_ratio\n", 23));
	p += 23;
	while (*p && n < max) {
		unsigned long long b;
		double m;
		int used = 0;

		assert_int_equal(sscanf(p, "%llu,%lf\n%n", &b, &m, &used), 2);
		assert_true(used > 0);
		bytes[n] = b;
		mr[n++] = m;
		p += used;
	}
	assert_true(*p == '\0');
	return n;
}

static void test_mrc_run(void **state)
{
	struct restack_gen_params gp = { .kind = RESTACK_GEN_ZIPF,
					 .universe = 20000, .read_fraction = 0.7,
					 .req_blocks = 2, .seed = 77 };
	char path[128], *csv;
	struct dm_restack_trace_record *recs = calloc(100000, sizeof(*recs));
	struct restack_mrc_params mp = { .method = RESTACK_MRC_EXACT,
					 .block_bytes = 4096 };
	struct restack_err err = { "" };
	struct restack_mrc *m;
	uint64_t bytes[128];
	double mr[128];
	unsigned int n, i;
	size_t k;

	(void)state;
	assert_non_null(recs);
	snprintf(path, sizeof(path), "%s/zipf.rst", tmpdir);
	write_trace(path, &gp, 100000, DM_RESTACK_SAMPLE_MODULUS, recs);
	assert_int_equal(restack_mrc_create(&mp, &m, &err), 0);
	for (k = 0; k < 100000; k++)
		restack_mrc_record(m, &recs[k]);

	{	/* exact, auto sizes: equals the library, monotone */
		const char *argv[] = { path };

		csv = run_mrc(1, argv, &err);
		assert_non_null(csv);
		n = parse_csv(csv, bytes, mr, 128);
		assert_true(n > 40);
		for (i = 0; i < n; i++) {
			assert_true(bytes[i] % 4096 == 0);
			assert_true(fabs(mr[i] - restack_mrc_miss_ratio(m, bytes[i] / 4096)) < 1e-6);
			assert_true(i == 0 || (bytes[i] > bytes[i - 1] &&
					       mr[i] <= mr[i - 1] + 1e-12));
		}
		free(csv);
	}
	{	/* explicit sizes, fixed-size SHARDS: close to exact */
		const char *argv[] = { path, "--fixed-size", "4096", "--sizes",
				       "4M,16M,64M" };

		csv = run_mrc(5, argv, &err);
		assert_non_null(csv);
		n = parse_csv(csv, bytes, mr, 128);
		assert_int_equal(n, 3);
		assert_true(bytes[0] == 4 << 20 && bytes[2] == 64 << 20);
		for (i = 0; i < n; i++)
			assert_true(fabs(mr[i] - restack_mrc_miss_ratio(m, bytes[i] / 4096)) < 0.03);
		free(csv);
	}
	{	/* a simulated policy, exact: LRU simulation equals the stack */
		const char *argv[] = { path, "--policy", "lru", "--mode", "wt",
				       "--promote-hits", "0", "--sizes", "1M,8M",
				       "--exact" };
		struct restack_analyze_args *a = calloc(1, sizeof(*a));

		assert_int_equal(restack_analyze_args_parse(RESTACK_CMD_MRC, 10,
							    argv, a, &err), 0);
		/* --mode wt alone keeps the stack model: force simulation */
		a->stack_lru = false;
		{
			char *buf = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&buf, &len);

			assert_int_equal(restack_mrc_run(a, f, &err), 0);
			fclose(f);
			n = parse_csv(buf, bytes, mr, 128);
			assert_int_equal(n, 2);
			for (i = 0; i < n; i++)
				assert_true(fabs(mr[i] - restack_mrc_miss_ratio(m, bytes[i] / 4096)) < 1e-9);
			free(buf);
		}
		free(a);
	}
	{	/* s3fifo with auto sizes reads the file twice */
		const char *argv[] = { path, "--policy", "s3fifo", "--sample", "0.1" };

		csv = run_mrc(5, argv, &err);
		assert_non_null(csv);
		n = parse_csv(csv, bytes, mr, 128);
		assert_true(n > 10);
		free(csv);
	}
	{	/* ...which standard input cannot do */
		const char *argv[] = { "-", "--policy", "arc" };

		assert_null(run_mrc(3, argv, &err));
		assert_contains(err.msg, "standard input");
	}
	{	/* a size below one block */
		const char *argv[] = { path, "--policy", "arc", "--sizes", "1K",
				       "--block", "4K" };

		assert_null(run_mrc(7, argv, &err));
		assert_contains(err.msg, "smaller than one");
	}
	restack_mrc_destroy(m);
	free(recs);
}

/* A trace sampled by the kernel is scaled by its recorded rate. */
static void test_mrc_sampled_trace(void **state)
{
	struct restack_gen_params gp = { .kind = RESTACK_GEN_UNIFORM,
					 .universe = 40000, .read_fraction = 1,
					 .seed = 5 };
	char full[128], samp[128], *a, *b;
	struct restack_err err = { "" };
	uint64_t bytes_a[8], bytes_b[8];
	double mr_a[8], mr_b[8];
	unsigned int i;

	(void)state;
	snprintf(full, sizeof(full), "%s/full.rst", tmpdir);
	snprintf(samp, sizeof(samp), "%s/sampled.rst", tmpdir);
	write_trace(full, &gp, 200000, DM_RESTACK_SAMPLE_MODULUS, NULL);
	write_trace(samp, &gp, 200000, DM_RESTACK_SAMPLE_MODULUS / 10, NULL);
	{
		const char *argv[] = { full, "--sizes", "20M,80M,150M" };

		a = run_mrc(3, argv, &err);
	}
	{
		const char *argv[] = { samp, "--sizes", "20M,80M,150M" };

		b = run_mrc(3, argv, &err);
	}
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(parse_csv(a, bytes_a, mr_a, 8), 3);
	assert_int_equal(parse_csv(b, bytes_b, mr_b, 8), 3);
	for (i = 0; i < 3; i++)
		assert_true(fabs(mr_a[i] - mr_b[i]) < 0.03);
	/* the sampled half is not the unscaled curve: 80M of 156M ~ 0.5 */
	assert_true(mr_b[1] < 0.75);
	free(a);
	free(b);
	{	/* the trace's sampling block fixes the cache block */
		const char *argv[] = { samp, "--block", "8K" };

		assert_null(run_mrc(3, argv, &err));
		assert_contains(err.msg, "4096");
	}
}

static void test_mrc_bad_traces(void **state)
{
	struct restack_gen_params gp = { .kind = RESTACK_GEN_ZIPF,
					 .universe = 100, .read_fraction = 0,
					 .seed = 1 };
	struct restack_err err = { "" };
	char path[128];
	FILE *f;

	(void)state;
	{
		const char *argv[] = { "/nonexistent/trace.rst" };

		assert_null(run_mrc(1, argv, &err));
		assert_contains(err.msg, "/nonexistent/trace.rst");
	}
	/* garbage: the reader's message names the file */
	snprintf(path, sizeof(path), "%s/garbage.rst", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a trace\n", f);
	fclose(f);
	{
		const char *argv[] = { path };

		assert_null(run_mrc(1, argv, &err));
		assert_contains(err.msg, "garbage.rst");
		assert_null(strchr(err.msg, '\n'));
	}
	/* only writes, --reads-only: nothing to build a curve from */
	snprintf(path, sizeof(path), "%s/writes.rst", tmpdir);
	write_trace(path, &gp, 100, DM_RESTACK_SAMPLE_MODULUS, NULL);
	{
		const char *argv[] = { path, "--reads-only" };

		assert_null(run_mrc(2, argv, &err));
		assert_contains(err.msg, "no read records");
	}
}

/* ---- the binary: exit codes and one-line errors ---- */

/* Run "$RESTACK_BIN <args>" with stderr captured; returns the exit code. */
static int run_bin(const char *args, char *err, size_t len)
{
	const char *bin = getenv("RESTACK_BIN");
	char cmd[1024], path[128];
	FILE *f;
	size_t n;
	int st;

	snprintf(path, sizeof(path), "%s/stderr", tmpdir);
	snprintf(cmd, sizeof(cmd), "%s %s >/dev/null 2>%s", bin, args, path);
	st = system(cmd);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(err, 1, len - 1, f);
	err[n] = '\0';
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void assert_one_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	assert_non_null(nl);
	assert_true(nl[1] == '\0');
	assert_true(!strncmp(s, "restack: ", 9));
}

static void test_binary(void **state)
{
	char err[4096], args[512], path[128];
	struct restack_gen_params gp = { .kind = RESTACK_GEN_ZIPF,
					 .universe = 1000, .read_fraction = 0.5,
					 .seed = 2 };

	(void)state;
	if (!getenv("RESTACK_BIN")) {
		print_message("RESTACK_BIN not set: binary test skipped\n");
		skip();
	}
	assert_int_equal(run_bin("mrc", err, sizeof(err)), 2);
	assert_one_line(err);
	assert_contains(err, "mrc: missing <trace> (try 'restack mrc --help')");
	assert_int_equal(run_bin("report t --by pid", err, sizeof(err)), 2);
	assert_one_line(err);
	assert_int_equal(run_bin("recommend t", err, sizeof(err)), 2);
	assert_contains(err, "missing --sla");
	assert_int_equal(run_bin("mrc /nonexistent.rst", err, sizeof(err)), 1);
	assert_one_line(err);
	assert_contains(err, "restack: mrc: /nonexistent.rst");
	assert_int_equal(run_bin("report --help", err, sizeof(err)), 0);
	assert_int_equal(run_bin("help recommend", err, sizeof(err)), 0);
	/* a real run, and a broken SLA file naming its line */
	snprintf(path, sizeof(path), "%s/bin.rst", tmpdir);
	write_trace(path, &gp, 2000, DM_RESTACK_SAMPLE_MODULUS, NULL);
	snprintf(args, sizeof(args), "mrc %s --sizes 1M", path);
	assert_int_equal(run_bin(args, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	snprintf(args, sizeof(args), "report %s --json", path);
	assert_int_equal(run_bin(args, err, sizeof(err)), 0);
	{
		char sla[128];
		FILE *f;

		snprintf(sla, sizeof(sla), "%s/bad.ini", tmpdir);
		f = fopen(sla, "w");
		assert_non_null(f);
		fputs("[volume vol0]\nfast_device = /dev/f\nmax_cache_byte = 1G\n", f);
		fclose(f);
		snprintf(args, sizeof(args), "recommend %s --sla %s", path, sla);
		assert_int_equal(run_bin(args, err, sizeof(err)), 1);
		assert_one_line(err);
		assert_contains(err, "bad.ini: line 3: unknown key \"max_cache_byte\"");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_args),
		cmocka_unit_test(test_mrc_run),
		cmocka_unit_test(test_mrc_sampled_trace),
		cmocka_unit_test(test_mrc_bad_traces),
		cmocka_unit_test(test_binary),
	};
	int r;

	r = RESTACK_RUN_CASES("analyzer bad arguments", bad_cases, args_name,
			      test_bad_args);
	r |= cmocka_run_group_tests(tests, setup_dir, teardown_dir);
	return r;
}
