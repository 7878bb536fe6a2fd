// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_analyze_cmd.c - `restack mrc`, `restack report` and `restack
 * recommend`: their argument grammar (one option table), the report and
 * recommend runners over the analyzer library (mrc: restack_mrc_cmd.c).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/restack_cmd.h"
#include "cmd/restack_analyze_cmd.h"
#include "analyze/restack_analyze.h"
#include "analyze/restack_analyze_report.h"
#include "analyze/restack_minisim.h"
#include "analyze/restack_recommend.h"
#include "analyze/restack_mrc.h"
#include "analyze/restack_sla.h"
#include "trace/restack_trace.h"

/* ---------------------------------------------------------------- */
/* grammar                                                           */
/* ---------------------------------------------------------------- */

enum opt_id {
	O_POLICY, O_EXACT, O_SAMPLE, O_FIXED, O_BLOCK, O_SIZES, O_READS,
	O_MODE, O_PROMOTE, O_SEQ, O_BY, O_PLOT, O_JSON, O_WINDOW, O_SLA,
	O_VOLUME, O_WARMUP, O_ALL,
};

struct opt {
	const char *name;
	enum opt_id id;
	bool value;
	unsigned int cmds;	/* bit per command */
};

#define C_MRC	1u
#define C_REP	2u
#define C_REC	4u

static const struct opt opts[] = {
	{ "--policy", O_POLICY, true, C_MRC },
	{ "--exact", O_EXACT, false, C_MRC },
	{ "--sample", O_SAMPLE, true, C_MRC },
	{ "--fixed-size", O_FIXED, true, C_MRC },
	{ "--block", O_BLOCK, true, C_MRC | C_REP },
	{ "--sizes", O_SIZES, true, C_MRC },
	{ "--reads-only", O_READS, false, C_MRC },
	{ "--mode", O_MODE, true, C_MRC },
	{ "--promote-hits", O_PROMOTE, true, C_MRC },
	{ "--seq-cutoff", O_SEQ, true, C_MRC },
	{ "--by", O_BY, true, C_REP },
	{ "--plot", O_PLOT, true, C_REP },
	{ "--json", O_JSON, false, C_REP | C_REC },
	{ "--window", O_WINDOW, true, C_REP },
	{ "--sla", O_SLA, true, C_REC },
	{ "--volume", O_VOLUME, true, C_REC },
	{ "--warmup", O_WARMUP, true, C_REC },
	{ "--all", O_ALL, false, C_REC },
};

static unsigned int cmd_bit(enum restack_cmd_id id)
{
	switch (id) {
	case RESTACK_CMD_MRC:
		return C_MRC;
	case RESTACK_CMD_REPORT:
		return C_REP;
	case RESTACK_CMD_RECOMMEND:
		return C_REC;
	default:
		return 0;
	}
}

int restack_parse_rate(const char *s, uint32_t *threshold)
{
	uint64_t ip = 0, frac = 0, scale = 1;
	const char *p = s;
	double v;

	if (!(*p >= '0' && *p <= '9'))
		return -EINVAL;
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return -EINVAL;		/* leading zero */
	while (*p >= '0' && *p <= '9') {
		ip = ip * 10 + (uint64_t)(*p - '0');
		if (ip > 1)
			return -ERANGE;
		p++;
	}
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			if (scale < 1000000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
			p++;
		}
	}
	if (*p)
		return -EINVAL;
	v = (double)ip + (double)frac / (double)scale;
	if (v > 1)
		return -ERANGE;
	if (!(v > 0))
		return -ERANGE;
	v = round(v * DM_RESTACK_SAMPLE_MODULUS);
	*threshold = v < 1 ? 1 : (uint32_t)v;
	return 0;
}

static int parse_u32(const char *cmd, const char *opt, const char *v,
		     uint32_t min, uint32_t max, uint32_t *out,
		     struct restack_err *err)
{
	uint64_t x;

	if (restack_parse_u64(v, strlen(v), &x) || x < min || x > max)
		return restack_err_set(err, -EINVAL,
				       "%s: %s \"%.64s\": must be an integer from %u to %u",
				       cmd, opt, v, min, max);
	*out = (uint32_t)x;
	return 0;
}

static int parse_sizes(struct restack_analyze_args *a, const char *cmd,
		       const char *v, struct restack_err *err)
{
	char buf[64];
	const char *p = v;

	if (!strcmp(v, "auto")) {
		a->sizes_auto = true;
		return 0;
	}
	a->nsizes = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		uint64_t b;
		int r;

		if (len == 0 || len >= sizeof(buf))
			return restack_err_set(err, -EINVAL,
					       "%s: --sizes \"%.64s\": expected a comma-separated list of sizes (e.g. 64M,256M,1G) or auto",
					       cmd, v);
		memcpy(buf, p, len);
		buf[len] = '\0';
		r = restack_parse_bytes("--sizes", buf, &b, err);
		if (r)
			return restack_err_prefix(err, -EINVAL, "%s", cmd);
		if (b == 0)
			return restack_err_set(err, -EINVAL,
					       "%s: --sizes: a cache size of 0", cmd);
		if (a->nsizes == RESTACK_MRC_MAX_SIZES)
			return restack_err_set(err, -EINVAL,
					       "%s: --sizes: more than %d sizes",
					       cmd, RESTACK_MRC_MAX_SIZES);
		a->sizes[a->nsizes++] = b;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

/* Decimal seconds ("60", "0.5") to nanoseconds. */
static int parse_seconds(const char *v, uint64_t *ns)
{
	uint64_t ip = 0, frac = 0, scale = 1;
	const char *p = v;

	if (!(*p >= '0' && *p <= '9') ||
	    (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		if (ip > 1000000000ULL)
			return -ERANGE;
		ip = ip * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			if (scale == 1000000000ULL)
				return -EINVAL;	/* below a nanosecond */
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
			p++;
		}
	}
	if (*p)
		return -EINVAL;
	*ns = ip * 1000000000ULL + frac * (1000000000ULL / scale);
	return *ns ? 0 : -ERANGE;
}

/* --exact, --sample <R>, --fixed-size <N>: how the curve is drawn. */
static int apply_method(struct restack_analyze_args *a, const char *cmd,
			enum opt_id id, const char *v, bool *how_set,
			struct restack_err *err)
{
	if (*how_set)
		return restack_err_set(err, -EINVAL,
				       "%s: --exact, --sample and --fixed-size exclude each other",
				       cmd);
	*how_set = true;
	if (id == O_EXACT) {
		a->how = RESTACK_HOW_EXACT;
		return 0;
	}
	if (id == O_SAMPLE) {
		a->how = RESTACK_HOW_SAMPLE;
		if (restack_parse_rate(v, &a->threshold))
			return restack_err_set(err, -EINVAL,
					       "%s: --sample \"%.64s\": must be a rate in (0, 1], e.g. 0.01",
					       cmd, v);
		return 0;
	}
	a->how = RESTACK_HOW_FIXED_SIZE;
	return parse_u32(cmd, "--fixed-size", v, 64, RESTACK_MRC_SMAX_MAX,
			 &a->smax, err);
}

/* The simulated cache: policy, mode, admission, cutoff, block, sizes. */
static int apply_cache_opt(struct restack_analyze_args *a, const char *cmd,
			   enum opt_id id, const char *v,
			   struct restack_err *err)
{
	uint64_t b;
	int k;

	switch (id) {
	case O_POLICY:
		k = rs_repl_lookup(v);
		if (k < 0)
			return restack_err_set(err, -EINVAL,
					       "%s: --policy \"%.64s\": unknown (lru, sieve, s3fifo, arc, 2q)",
					       cmd, v);
		a->policy = (enum rs_repl_kind)k;
		a->stack_lru = k == RS_REPL_LRU;
		return 0;
	case O_BLOCK:
		if (restack_parse_bytes("--block", v, &b, err) ||
		    restack_block_shift("--block", b, &(unsigned int){ 0 }, err))
			return restack_err_prefix(err, -EINVAL, "%s", cmd);
		a->block_bytes = (uint32_t)b;
		return 0;
	case O_SIZES:
		return parse_sizes(a, cmd, v, err);
	case O_READS:
		a->reads_only = true;
		return 0;
	case O_MODE:
		k = rs_cache_mode_lookup(v);
		if (k < 0)
			return restack_err_set(err, -EINVAL,
					       "%s: --mode \"%.64s\": must be wt, wb or wa",
					       cmd, v);
		a->mode = (enum rs_cache_mode)k;
		return 0;
	case O_PROMOTE:
		return parse_u32(cmd, "--promote-hits", v, 0, 255,
				 &a->promote_hits, err);
	default:	/* O_SEQ */
		if (restack_parse_bytes("--seq-cutoff", v, &a->seq_cutoff, err))
			return restack_err_prefix(err, -EINVAL, "%s", cmd);
		return 0;
	}
}

/* What is printed, and the report's and recommendation's inputs. */
static int apply_output_opt(struct restack_analyze_args *a, const char *cmd,
			    enum opt_id id, const char *v,
			    struct restack_err *err)
{
	switch (id) {
	case O_BY:
		if (strcmp(v, "workload"))
			return restack_err_set(err, -EINVAL,
					       "%s: --by \"%.64s\": only \"workload\" is supported",
					       cmd, v);
		a->by_workload = true;
		return 0;
	case O_PLOT:
		if (!*v)
			return restack_err_set(err, -EINVAL,
					       "%s: --plot needs a directory", cmd);
		a->plot_dir = v;
		return 0;
	case O_JSON:
		a->json = true;
		return 0;
	case O_WINDOW:
		if (parse_seconds(v, &a->window_ns))
			return restack_err_set(err, -EINVAL,
					       "%s: --window \"%.64s\": must be seconds > 0 (e.g. 60 or 0.5)",
					       cmd, v);
		return 0;
	case O_SLA:
		a->sla = v;
		return 0;
	case O_VOLUME:
		if (restack_check_volume_name(v, err))
			return restack_err_prefix(err, -EINVAL, "%s: --volume", cmd);
		a->volume = v;
		return 0;
	case O_WARMUP:
		if (parse_seconds(v, &a->warmup_ns))
			return restack_err_set(err, -EINVAL,
					       "%s: --warmup \"%.64s\": must be seconds > 0 (e.g. 30 or 2.5)",
					       cmd, v);
		return 0;
	default:	/* O_ALL */
		a->all = true;
		return 0;
	}
}

static int apply_opt(struct restack_analyze_args *a, const char *cmd,
		     const struct opt *o, const char *v, bool *how_set,
		     struct restack_err *err)
{
	switch (o->id) {
	case O_EXACT:
	case O_SAMPLE:
	case O_FIXED:
		return apply_method(a, cmd, o->id, v, how_set, err);
	case O_POLICY:
	case O_BLOCK:
	case O_SIZES:
	case O_READS:
	case O_MODE:
	case O_PROMOTE:
	case O_SEQ:
		return apply_cache_opt(a, cmd, o->id, v, err);
	default:
		return apply_output_opt(a, cmd, o->id, v, err);
	}
}

/* The option @arg names among those of command @bit; NULL: none. */
static const struct opt *find_opt(unsigned int bit, const char *arg,
				  const char **eq)
{
	size_t k, nlen;
	const struct opt *o = NULL;

	*eq = strchr(arg, '=');
	nlen = *eq ? (size_t)(*eq - arg) : strlen(arg);
	for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
		if ((opts[k].cmds & bit) && strlen(opts[k].name) == nlen &&
		    !strncmp(opts[k].name, arg, nlen))
			o = &opts[k];
	return o;
}

int restack_analyze_args_parse(enum restack_cmd_id id, unsigned int argc,
			       const char *const *argv,
			       struct restack_analyze_args *a,
			       struct restack_err *err)
{
	const char *cmd = restack_cmd_name(id);
	unsigned int bit = cmd_bit(id), i;
	bool done = false, how_set = false;

	memset(a, 0, sizeof(*a));
	a->id = id;
	a->stack_lru = true;
	a->policy = RS_REPL_LRU;
	a->mode = RS_MODE_WT;
	if (!bit)
		return restack_err_set(err, -EINVAL, "internal error: command %d",
				       (int)id);
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq, *v = NULL;
		const struct opt *o;
		int r;

		if (!done && !strcmp(arg, "--")) {
			done = true;
			continue;
		}
		if (done || arg[0] != '-' || !arg[1]) {
			if (a->trace)
				return restack_err_set(err, -EINVAL,
						       "%s: unexpected argument \"%.64s\"",
						       cmd, arg);
			a->trace = arg;
			continue;
		}
		o = find_opt(bit, arg, &eq);
		if (!o)
			return restack_err_set(err, -EINVAL,
					       "%s: unknown option \"%.64s\"", cmd, arg);
		if (o->value) {
			if (eq) {
				v = eq + 1;
			} else {
				if (i + 1 >= argc)
					return restack_err_set(err, -EINVAL,
							       "%s: %s needs a value",
							       cmd, o->name);
				v = argv[++i];
			}
		} else if (eq) {
			return restack_err_set(err, -EINVAL,
					       "%s: %s takes no value", cmd, o->name);
		}
		r = apply_opt(a, cmd, o, v, &how_set, err);
		if (r)
			return r;
	}
	if (!a->trace)
		return restack_err_set(err, -EINVAL, "%s: missing <trace>", cmd);
	if (id == RESTACK_CMD_RECOMMEND && !a->sla)
		return restack_err_set(err, -EINVAL, "%s: missing --sla <file>", cmd);
	/* LRU with cache-policy options is simulated, not a stack model. */
	if (a->stack_lru &&
	    (a->mode != RS_MODE_WT || a->promote_hits || a->seq_cutoff))
		a->stack_lru = false;
	return 0;
}

/* ---------------------------------------------------------------- */
/* reading traces                                                    */
/* ---------------------------------------------------------------- */


/* ---------------------------------------------------------------- */

int restack_report_run(const struct restack_analyze_args *a, FILE *out,
		       struct restack_err *err)
{
	struct restack_report_params p = { 0 };
	struct restack_trace_reader *rd = NULL;
	struct dm_restack_trace_record rec;
	struct restack_report_meta meta;
	const struct dm_restack_trace_header *h;
	struct restack_report *rep;
	int r;

	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return restack_err_set(err, -ENOMEM, "out of memory");
	r = restack_trace_open(a->trace, &rd, err);
	if (r)
		goto out_free;
	h = restack_trace_header(rd);
	p.block_bytes = a->block_bytes;
	p.by_workload = a->by_workload;
	p.trace_threshold = h->sample_threshold;
	p.trace_block_sectors = h->sample_block_sectors;
	p.window_ns = a->window_ns;
	if (!p.window_ns && h->end_ns > h->start_ns && h->start_ns) {
		p.window_ns = (h->end_ns - h->start_ns) / 10;
		if (p.window_ns < 1000000000ULL)
			p.window_ns = 1000000000ULL;
	}
	r = restack_report_init(rep, &p, err);
	if (r)
		goto out;
	while ((r = restack_trace_next(rd, &rec, err)) == 1) {
		r = restack_report_record(rep, &rec);
		if (r) {
			restack_err_set(err, r, "out of memory");
			goto out;
		}
	}
	if (r < 0)
		goto out;
	restack_report_finish(rep);
	meta.trace = a->trace;
	meta.hdr = h;
	if (a->plot_dir) {
		r = restack_report_plot(rep, a->plot_dir, &meta, err);
		if (r)
			goto out;
	}
	r = a->json ? restack_report_print_json(out, rep, &meta) :
		      restack_report_print_text(out, rep, &meta);
	if (r)
		restack_err_set(err, r, "writing the report: %s", strerror(-r));
out:
	restack_report_release(rep);
	restack_trace_close(rd);
out_free:
	free(rep);
	return r;
}

/* ---------------------------------------------------------------- */
/* recommend                                                         */
/* ---------------------------------------------------------------- */

/* The trace's volume name (NUL-terminated copy of the header field). */
static void trace_volume_name(const char *path, char *name, size_t len)
{
	struct restack_trace_reader *rd = NULL;
	struct restack_err e;

	name[0] = '\0';
	if (!strcmp(path, "-") || restack_trace_open(path, &rd, &e))
		return;
	snprintf(name, len, "%.*s",
		 (int)sizeof(restack_trace_header(rd)->volume_name),
		 restack_trace_header(rd)->volume_name);
	restack_trace_close(rd);
}

int restack_recommend_run(const struct restack_analyze_args *a, FILE *out,
			  struct restack_err *err)
{
	struct restack_recommend_opts opts = { 0 };
	struct restack_recommendation rec;
	const struct restack_sla_volume *vol;
	struct restack_sla sla;
	const char *want = a->volume;
	char tname[130];
	int r;

	if (!strcmp(a->trace, "-") && !strcmp(a->sla, "-"))
		return restack_err_set(err, -EINVAL,
				       "the trace and the SLA file cannot both be standard input");
	r = restack_sla_parse_file(a->sla, &sla, err);
	if (r)
		return r;
	if (!want && sla.n > 1) {
		unsigned int i;

		trace_volume_name(a->trace, tname, sizeof(tname));
		for (i = 0; i < sla.n; i++)
			if (tname[0] && !strcmp(sla.vols[i].name, tname))
				want = tname;
	}
	vol = restack_sla_find(&sla, want, err);
	if (!vol) {
		restack_err_prefix(err, -EINVAL, "%s", a->sla);
		r = -EINVAL;
		goto out;
	}
	opts.warmup_ns = a->warmup_ns;
	r = restack_recommend_opts(a->trace, vol, &opts, &rec, err);
	if (r)
		goto out;
	if (a->json)
		r = a->all ? restack_recommend_print_json_all(out, &rec) :
			     restack_recommend_print_json(out, &rec);
	else
		r = restack_recommend_print_text(out, &rec);
	if (!r && a->all && !a->json)
		r = restack_recommend_print_all(out, &rec);
	if (r)
		restack_err_set(err, r, "writing the recommendation: %s",
				strerror(-r));
	restack_recommendation_release(&rec);
out:
	restack_sla_release(&sla);
	return r;
}

/* ---------------------------------------------------------------- */
/* entry point                                                       */
/* ---------------------------------------------------------------- */

int restack_analyze_cmd_run(const struct restack_cmd *cmd)
{
	struct restack_analyze_args *a = calloc(1, sizeof(*a));
	struct restack_err err = { "" };
	int r;

	if (!a) {
		fprintf(stderr, "restack: out of memory\n");
		return RESTACK_EXIT_FAILURE;
	}
	r = restack_analyze_args_parse(cmd->id, cmd->argc, cmd->argv, a, &err);
	if (r) {
		fprintf(stderr, "restack: %s (try 'restack %s --help')\n",
			err.msg, restack_cmd_name(cmd->id));
		free(a);
		return RESTACK_EXIT_USAGE;
	}
	switch (cmd->id) {
	case RESTACK_CMD_MRC:
		r = restack_mrc_run(a, stdout, &err);
		break;
	case RESTACK_CMD_REPORT:
		r = restack_report_run(a, stdout, &err);
		break;
	case RESTACK_CMD_RECOMMEND:
		r = restack_recommend_run(a, stdout, &err);
		break;
	default:
		r = restack_err_set(&err, -EINVAL, "internal error: command %d",
				    (int)cmd->id);
	}
	free(a);
	if (r) {
		fprintf(stderr, "restack: %s: %s\n", restack_cmd_name(cmd->id),
			err.msg[0] ? err.msg : "failed");
		return RESTACK_EXIT_FAILURE;
	}
	return RESTACK_EXIT_OK;
}

const struct restack_command restack_report_command = {
	.name = "report",
	.usage = "<trace> [--by workload] [--plot <dir>] [--json]",
	.help =
		"Profile <trace>: totals and rates, read/write mix, request sizes,\n"
		"sequentiality, IOPS and bandwidth over time, latency percentiles per\n"
		"op, working set overall and per window, read-after-write and rewrite\n"
		"fractions, hot LBA regions, and an LRU miss-ratio curve.\n"
		"\n"
		"  --by workload     the same per cgroup/pid/volume\n"
		"  --plot <dir>      PNGs with gnuplot: latency CDF, IOPS over time,\n"
		"                    LBA heat map, miss-ratio curve\n"
		"  --json            one JSON object instead of text\n"
		"  --block <bytes>   block size for working sets and the curve (4K)\n"
		"  --window <s>      working-set window in seconds (default: a tenth\n"
		"                    of the trace, at least 1 s)\n",
	.parse = NULL,	/* verbatim: restack_analyze_cmd_run parses */
	.run = restack_analyze_cmd_run,
};

const struct restack_command restack_recommend_command = {
	.name = "recommend",
	.usage =
		"<trace> --sla <file> [--volume <name>] [--json] [--all]\n"
		"          [--warmup <seconds>]",
	.help =
		"Predict, for each candidate stack, read and write latency\n"
		"percentiles and IOPS from <trace> and the device profiles in the SLA\n"
		"file, and print the cheapest stack that meets the volume's SLA as\n"
		"the arguments of `attach`, its predicted metrics, and why each\n"
		"cheaper stack was rejected.\n"
		"\n"
		"  --sla <file>      INI file, one [volume <name>] section per volume\n"
		"  --volume <name>   the section to use (default: the only one, or the\n"
		"                    one named like the trace's volume)\n"
		"  --json            one JSON object instead of text\n"
		"  --all             also every candidate's predictions (JSON: \"all\")\n"
		"  --warmup <s>      the trace's first <s> seconds only fill the\n"
		"                    simulated caches: predict the steady state after\n"
		"\n"
		"Without fast_profile or fast_read_us/fast_write_us in the SLA file,\n"
		"fast_device is calibrated by 1000 random 4 KiB O_DIRECT reads (it is\n"
		"opened read-only and never written).\n"
		"\n"
		"SLA keys and the model: Documentation/analyzer.rst.\n",
	.parse = NULL,	/* verbatim: restack_analyze_cmd_run parses */
	.run = restack_analyze_cmd_run,
};
