// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_mrc_cmd.c - `restack mrc`: the miss-ratio curve of a trace,
 * from LRU reuse distances or by simulating the cache policy's own
 * replacement code.  Its options are parsed with report's and
 * recommend's (restack_analyze_args_parse(), restack_analyze_cmd.c).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/restack_cmd.h"
#include "cmd/restack_analyze_cmd.h"
#include "analyze/restack_minisim.h"
#include "analyze/restack_mrc.h"
#include "trace/restack_trace.h"

/* Default block size: the trace's sampling block if sampled, else 4 KiB. */
uint32_t restack_default_block(const struct dm_restack_trace_header *h,
			       uint32_t given)
{
	if (given)
		return given;
	if (h->sample_threshold < DM_RESTACK_SAMPLE_MODULUS)
		return h->sample_block_sectors * 512;
	return RESTACK_BLOCK_DEFAULT;
}

static int mrc_stack(const struct restack_analyze_args *a,
		     struct restack_trace_reader *rd, FILE *out,
		     struct restack_err *err)
{
	const struct dm_restack_trace_header *h = restack_trace_header(rd);
	struct restack_mrc_params p = { 0 };
	struct restack_mrc *m = NULL;
	unsigned int i;
	int r;

	p.block_bytes = restack_default_block(h, a->block_bytes);
	p.reads_only = a->reads_only;
	switch (a->how) {
	case RESTACK_HOW_SAMPLE:
		p.method = RESTACK_MRC_FIXED_RATE;
		p.threshold = a->threshold;
		break;
	case RESTACK_HOW_FIXED_SIZE:
		p.method = RESTACK_MRC_FIXED_SIZE;
		p.smax = a->smax;
		break;
	default:
		p.method = RESTACK_MRC_EXACT;
	}
	r = restack_mrc_from_trace(rd, &p, &m, err);
	if (r)
		return r;
	if (restack_mrc_refs(m) == 0) {
		r = restack_err_set(err, -ENODATA,
				    "%s: no %s records to build a curve from",
				    a->trace, a->reads_only ? "read" : "read or write");
		goto out;
	}
	if (a->sizes_auto || !a->nsizes) {
		restack_mrc_print_auto(m, out);
	} else {
		fputs("cache_bytes,miss_ratio\n", out);
		for (i = 0; i < a->nsizes; i++)
			fprintf(out, "%llu,%.6f\n", (unsigned long long)a->sizes[i],
				restack_mrc_miss_ratio(m, a->sizes[i] / p.block_bytes));
	}
	r = 0;
out:
	restack_mrc_destroy(m);
	return r;
}

/* Working-set estimate for --sizes auto: fixed-size SHARDS, one pass. */
static int estimate_wss(const char *path, uint32_t block, bool reads_only,
			double *blocks, struct restack_err *err)
{
	struct restack_mrc_params p = { .method = RESTACK_MRC_FIXED_SIZE,
					.block_bytes = block,
					.reads_only = reads_only };
	struct restack_trace_reader *rd = NULL;
	struct restack_mrc *m = NULL;
	int r;

	r = restack_trace_open(path, &rd, err);
	if (r)
		return r;
	r = restack_mrc_from_trace(rd, &p, &m, err);
	if (r == 0)
		*blocks = restack_mrc_distinct(m);
	restack_mrc_destroy(m);
	restack_trace_close(rd);
	return r;
}

static int mrc_policy(const struct restack_analyze_args *a,
		      struct restack_trace_reader *rd, FILE *out,
		      struct restack_err *err)
{
	const struct dm_restack_trace_header *h = restack_trace_header(rd);
	struct restack_sim_config cfg = {
		.kind = a->policy, .mode = a->mode,
		.promote_hits = a->promote_hits, .seq_cutoff = a->seq_cutoff,
	};
	uint32_t block = restack_default_block(h, a->block_bytes);
	uint64_t blocks[RESTACK_MRC_MAX_SIZES], bytes[RESTACK_MRC_MAX_SIZES];
	struct dm_restack_trace_record rec;
	struct restack_simset *s = NULL;
	struct restack_sim_result res;
	unsigned int i, n = 0;
	int r;

	if (a->sizes_auto || !a->nsizes) {
		double wss = 0;

		r = estimate_wss(a->trace, block, a->reads_only, &wss, err);
		if (r)
			return r;
		n = restack_mrc_auto_sizes(wss, blocks, 32);
		for (i = 0; i < n; i++)
			bytes[i] = blocks[i] * block;
	} else {
		for (i = 0; i < a->nsizes; i++) {
			if (a->sizes[i] < block)
				return restack_err_set(err, -EINVAL,
						       "cache size %llu is smaller than one %u-byte block",
						       (unsigned long long)a->sizes[i], block);
			bytes[n] = a->sizes[i];
			blocks[n++] = a->sizes[i] / block;
		}
	}
	r = restack_simset_create(block, h->sample_threshold,
				  h->sample_block_sectors, a->reads_only, &s, err);
	if (r)
		return r;
	for (i = 0; i < n; i++) {
		uint32_t t;

		switch (a->how) {
		case RESTACK_HOW_SAMPLE:
			t = restack_sim_threshold(blocks[i],
						  (double)a->threshold /
						  DM_RESTACK_SAMPLE_MODULUS,
						  RESTACK_SIM_MIN_SLOTS);
			break;
		case RESTACK_HOW_FIXED_SIZE:
			t = restack_sim_threshold(blocks[i], 0, a->smax);
			break;
		default:
			t = DM_RESTACK_SAMPLE_MODULUS;
		}
		r = restack_simset_add(s, &cfg, blocks[i], t, err);
		if (r < 0)
			goto out;
	}
	while ((r = restack_trace_next(rd, &rec, err)) == 1)
		restack_simset_record(s, &rec);
	if (r < 0)
		goto out;
	restack_simset_result(s, 0, &res);
	if (!(res.read_refs + res.write_refs > 0)) {
		r = restack_err_set(err, -ENODATA,
				    "%s: no %s records to build a curve from",
				    a->trace, a->reads_only ? "read" : "read or write");
		goto out;
	}
	fputs("cache_bytes,miss_ratio\n", out);
	for (i = 0; i < n; i++) {
		restack_simset_result(s, i, &res);
		fprintf(out, "%llu,%.6f\n", (unsigned long long)bytes[i],
			restack_sim_miss_ratio(&res));
	}
	r = 0;
out:
	restack_simset_destroy(s);
	return r;
}

int restack_mrc_run(const struct restack_analyze_args *a, FILE *out,
		    struct restack_err *err)
{
	struct restack_trace_reader *rd = NULL;
	int r;

	if (!a->stack_lru && (a->sizes_auto || !a->nsizes) &&
	    !strcmp(a->trace, "-"))
		return restack_err_set(err, -EINVAL,
				       "--sizes auto with --policy %s reads the trace twice: give a file, not standard input, or --sizes",
				       rs_repl_name(a->policy));
	r = restack_trace_open(a->trace, &rd, err);
	if (r)
		return r;
	if (a->stack_lru)
		r = mrc_stack(a, rd, out, err);
	else
		r = mrc_policy(a, rd, out, err);
	restack_trace_close(rd);
	return r;
}

/* ---------------------------------------------------------------- */
/* report                                                            */

const struct restack_command restack_mrc_command = {
	.name = "mrc",
	.usage = "<trace> [--policy lru|sieve|s3fifo|arc|2q] [--exact | --sample <R> | --fixed-size <N>] [--block <bytes>] [--sizes <list>|auto] [--reads-only]",
	.help =
		"Print the miss-ratio curve of <trace> (\"-\": stdin) as CSV with the\n"
		"header cache_bytes,miss_ratio.  LRU curves come from reuse distances;\n"
		"other policies are simulated with the cache policy's own replacement\n"
		"code (scaled-down mini-simulations with --sample or --fixed-size).\n"
		"\n"
		"  --policy <name>       lru (default), sieve, s3fifo, arc or 2q\n"
		"  --exact               every block (default)\n"
		"  --sample <R>          SHARDS / mini-simulation at rate R, 0 < R <= 1\n"
		"  --fixed-size <N>      SHARDS keeping at most N blocks (bounded\n"
		"                        memory); policies: at most N emulated slots\n"
		"  --block <bytes>       cache block size, power of two 512..2M\n"
		"                        (default 4K, or the trace's sampling block)\n"
		"  --sizes <list>|auto   cache sizes, e.g. 64M,256M,1G (default auto:\n"
		"                        from one block to the working set)\n"
		"  --reads-only          only read requests count\n"
		"  --mode wt|wb|wa, --promote-hits <n>, --seq-cutoff <bytes>\n"
		"                        cache-policy options for simulated policies\n"
		"\n"
		"Methods and their accuracy: Documentation/analyzer.rst.\n",
	.parse = NULL,	/* verbatim: restack_analyze_cmd_run parses */
	.run = restack_analyze_cmd_run,
};
