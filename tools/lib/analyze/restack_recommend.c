// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_recommend.c - `restack recommend`: one pass over the trace
 * through the report and a simulation of every candidate stack, then the
 * model's prediction for each and the cheapest that meets the SLA (see
 * restack_recommend.h and Documentation/analyzer.rst).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/restack_recommend.h"
#include "trace/restack_trace.h"

#define MAX_BLOCKS	RESTACK_SLA_LIST_MAX

struct sim_ref {
	unsigned int set;		/* block-size index */
	int idx;			/* in the simset */
	struct restack_candidate base;	/* config fields */
	bool wa;			/* the content mode simulated */
};

double restack_concurrency(double lat_sum_ns, double duration_s,
			   double inflight_sum, double requests)
{
	/*
	 * Little's law on the trace itself: the time-average number of
	 * requests in flight is their total latency over the span.  The
	 * in-flight count a record carries is taken at its submission, which
	 * under batched submission (libaio submits a queue depth's worth at
	 * once) sees on average half the batch: 1 + its mean was 5.0 on a
	 * trace of fio at iodepth 8, where Little's law gives 7.7.
	 */
	if (lat_sum_ns > 0 && duration_s > 0)
		return lat_sum_ns / 1e9 / duration_s;
	return requests > 0 ? 1 + inflight_sum / requests : 1;
}

static int cand_qsort_cmp(const void *a, const void *b)
{
	return restack_candidate_cmp(a, b);
}

/* The cache sizes to try at @block: the SLA's list, or a ladder. */
static void default_sizes(const struct restack_sla_volume *sla, uint32_t block,
			  uint64_t *sizes, unsigned int *n)
{
	unsigned int i, k = 0;

	if (sla->nsizes) {
		for (i = 0; i < sla->nsizes; i++)
			if (sla->cache_sizes[i] >= (uint64_t)block * 16)
				sizes[k++] = sla->cache_sizes[i] / block * block;
	} else {
		/* max_cache_bytes / 2^k, k = 7..0: a ladder up to the cap */
		for (i = 8; i-- > 0;) {
			uint64_t s = (sla->max_cache_bytes >> i) / block * block;

			if (s >= (uint64_t)block * 16 && (!k || s > sizes[k - 1]))
				sizes[k++] = s;
		}
	}
	*n = k;
}

/* @end less @start, field by field: the counts of the measured window. */
static void sim_result_sub(struct restack_sim_result *end,
			   const struct restack_sim_result *start)
{
	end->read_refs -= start->read_refs;
	end->read_hits -= start->read_hits;
	end->read_fills -= start->read_fills;
	end->write_refs -= start->write_refs;
	end->write_hits -= start->write_hits;
	end->write_fills -= start->write_fills;
	end->writebacks -= start->writebacks;
	end->invalidations -= start->invalidations;
	end->bypassed -= start->bypassed;
	end->rejected -= start->rejected;
	end->sampled_refs -= start->sampled_refs;
}

int restack_recommend(const char *trace, const struct restack_sla_volume *sla,
		      struct restack_recommendation *rec,
		      struct restack_err *err)
{
	static const struct restack_recommend_opts none;

	return restack_recommend_opts(trace, sla, &none, rec, err);
}

/*
 * One recommendation in the making: the simulations planned (one simset
 * per block size, one sim_ref per simulated configuration and size), the
 * warm-up snapshot and the report of the measured window.
 */
struct rec_run {
	const struct restack_sla_volume *sla;
	const struct restack_recommend_opts *opts;
	struct restack_recommendation *rec;
	const struct dm_restack_trace_header *h;
	struct restack_simset *sets[MAX_BLOCKS];
	struct sim_ref *refs;
	unsigned int nrefs, caprefs;
	struct restack_sim_result *warm;	/* NULL: no warm-up */
	struct restack_report *rep;
	double inflight, ndata, lat_sum;	/* data records measured */
};

static struct sim_ref *sim_ref_new(struct rec_run *run, struct restack_err *err)
{
	struct sim_ref *sr;

	if (run->nrefs == run->caprefs) {
		unsigned int cap = run->caprefs ? run->caprefs * 2 : 256;
		struct sim_ref *nr = realloc(run->refs, cap * sizeof(*nr));

		if (!nr) {
			restack_err_set(err, -ENOMEM, "out of memory");
			return NULL;
		}
		run->refs = nr;
		run->caprefs = cap;
	}
	sr = &run->refs[run->nrefs++];
	memset(sr, 0, sizeof(*sr));
	return sr;
}

/*
 * Add to simset @b every replacement, admission threshold and sequential
 * cutoff the SLA allows for one size and content mode (@wa: write-around;
 * else the write-back content, which wt shares).
 */
static int plan_configs(struct rec_run *run, unsigned int b, uint64_t size,
			bool wa, struct restack_err *err)
{
	const struct restack_sla_volume *sla = run->sla;
	uint32_t block = sla->block_sizes[b];
	uint64_t blocks = size / block;
	unsigned int k, pr, sq;

	for (k = 0; k < RS_REPL_NR_KINDS; k++) {
		if (!(sla->replacements & (1u << k)))
			continue;
		for (pr = 0; pr < sla->npromote; pr++)
			for (sq = 0; sq < sla->nseq; sq++) {
				struct restack_sim_config cfg = {
					.kind = k,
					.mode = wa ? RS_MODE_WA : RS_MODE_WB,
					.promote_hits = sla->promote_hits[pr],
					.seq_cutoff = sla->seq_cutoffs[sq],
				};
				struct sim_ref *sr;
				int idx;

				idx = restack_simset_add(run->sets[b], &cfg, blocks,
							 restack_sim_threshold(blocks,
									       sla->sample_rate,
									       RESTACK_SIM_MIN_SLOTS),
							 err);
				if (idx < 0)
					return idx;
				sr = sim_ref_new(run, err);
				if (!sr)
					return -ENOMEM;
				sr->set = b;
				sr->idx = idx;
				sr->wa = wa;
				sr->base.cache = true;
				sr->base.kind = k;
				sr->base.block_bytes = block;
				sr->base.promote_hits = cfg.promote_hits;
				sr->base.seq_cutoff = cfg.seq_cutoff;
				sr->base.cache_bytes = size;
			}
	}
	return 0;
}

/* One simset per block size, every configuration and size in it. */
static int plan_simulations(struct rec_run *run, struct restack_err *err)
{
	const struct restack_sla_volume *sla = run->sla;
	const struct dm_restack_trace_header *h = run->h;
	unsigned int b, z, m;
	int r;

	for (b = 0; b < sla->nblock_sizes; b++) {
		uint32_t block = sla->block_sizes[b];
		uint64_t sizes[RESTACK_SLA_LIST_MAX];
		unsigned int nsizes;

		if (h->sample_threshold < DM_RESTACK_SAMPLE_MODULUS &&
		    block != h->sample_block_sectors * 512)
			continue;	/* sampled traces fix the block size */
		r = restack_simset_create(block, h->sample_threshold,
					  h->sample_block_sectors, false,
					  &run->sets[b], err);
		if (r)
			return r;
		default_sizes(sla, block, sizes, &nsizes);
		for (z = 0; z < nsizes; z++)
			for (m = 0; m < 2; m++) {
				bool wa = m == 1;

				if (wa && !(sla->modes & (1u << RS_MODE_WA)))
					continue;
				if (!wa && !(sla->modes & ((1u << RS_MODE_WT) |
							   (1u << RS_MODE_WB))))
					continue;
				r = plan_configs(run, b, sizes[z], wa, err);
				if (r)
					return r;
			}
	}
	if (!run->nrefs)
		return restack_err_set(err, -EINVAL,
				       "no candidate cache: max_cache_bytes %llu is below 16 blocks of every block size%s",
				       (unsigned long long)sla->max_cache_bytes,
				       h->sample_threshold < DM_RESTACK_SAMPLE_MODULUS ?
				       " (a sampled trace allows only its sampling block size)" : "");
	return 0;
}

static void simulate_record(struct rec_run *run,
			    const struct dm_restack_trace_record *rec)
{
	unsigned int b;

	for (b = 0; b < run->sla->nblock_sizes; b++)
		if (run->sets[b])
			restack_simset_record(run->sets[b], rec);
}

/*
 * The one pass over the trace: every record fills the simulated caches;
 * only those after the warm-up reach the report and the counts, and the
 * simulations' counts at that point are kept in run->warm.
 */
static int replay_trace(struct rec_run *run, struct restack_trace_reader *rd,
			const char *trace, struct restack_err *err)
{
	struct restack_recommendation *rec = run->rec;
	uint64_t warmup_ns = run->opts->warmup_ns;
	bool warming = warmup_ns > 0, started = false;
	struct dm_restack_trace_record r0;
	uint64_t t0 = 0;
	unsigned int i;
	int r;

	if (warming) {
		run->warm = calloc(run->nrefs, sizeof(*run->warm));
		if (!run->warm)
			return restack_err_set(err, -ENOMEM, "out of memory");
	}
	while ((r = restack_trace_next(rd, &r0, err)) == 1) {
		if (warming && restack_rec_is_data(&r0)) {
			if (!started) {
				t0 = r0.ts_ns;
				started = true;
			}
			if (r0.ts_ns >= t0 && r0.ts_ns - t0 >= warmup_ns) {
				/* the measured window starts: snapshot the counts */
				warming = false;
				for (i = 0; i < run->nrefs; i++)
					restack_simset_result(run->sets[run->refs[i].set],
							      (unsigned int)run->refs[i].idx,
							      &run->warm[i]);
				rec->warmup_s = (double)(r0.ts_ns - t0) / 1e9;
			}
		}
		if (warming) {
			rec->warmup_records++;
			simulate_record(run, &r0);
			continue;
		}
		if (restack_report_record(run->rep, &r0))
			return restack_err_set(err, -ENOMEM, "out of memory");
		if (restack_rec_is_data(&r0)) {
			run->inflight += r0.inflight;
			run->lat_sum += (double)r0.latency_ns;
			run->ndata++;
		}
		simulate_record(run, &r0);
	}
	if (r < 0)
		return r;
	if (warmup_ns > 0 && warming)
		return restack_err_set(err, -EINVAL,
				       "%s: the warm-up of %.3f s covers the whole trace",
				       trace, (double)warmup_ns / 1e9);
	restack_report_finish(run->rep);
	rec->records = run->rep->all.records;
	if (!(run->ndata > 0))
		return restack_err_set(err, -ENODATA, "%s: no read or write requests",
				       trace);
	return 0;
}

/* The workload the model is fed, from the measured window's report. */
static int describe_workload(struct rec_run *run, const char *trace,
			     struct restack_err *err)
{
	const struct restack_rep_scope *all = &run->rep->all;
	struct restack_workload *w = &run->rec->workload;
	double dur = restack_rep_duration(all) / 1e9;

	w->duration_s = dur;
	w->read_iops = restack_rep_data_iops(all, DM_RESTACK_OP_READ);
	w->write_iops = restack_rep_data_iops(all, DM_RESTACK_OP_WRITE);
	w->queue_depth = run->sla->queue_depth ? run->sla->queue_depth :
			 restack_concurrency(run->lat_sum, dur, run->inflight,
					     run->ndata);
	w->wss_bytes = restack_rep_wss_blocks(all) * run->rep->block_bytes;
	w->read_bytes = all->ops[DM_RESTACK_OP_READ] > 0 ?
		all->bytes[DM_RESTACK_OP_READ] / all->ops[DM_RESTACK_OP_READ] : 0;
	w->write_bytes = all->ops[DM_RESTACK_OP_WRITE] > 0 ?
		all->bytes[DM_RESTACK_OP_WRITE] / all->ops[DM_RESTACK_OP_WRITE] : 0;
	if (!(dur > 0))
		return restack_err_set(err, -EINVAL,
				       "%s: the trace spans no time, so its rates are unknown",
				       trace);
	return 0;
}

/*
 * A device as the SLA file describes it: a profile trace (@profile,
 * named @what) or lognormal figures (@rd, @wr).  1 known, 0 the file
 * says nothing, negative on error.
 */
static int device_from_sla(struct restack_device *dev, const char *profile,
			   const char *what, const struct restack_sla_lat *rd,
			   const struct restack_sla_lat *wr, struct restack_err *err)
{
	int r;

	if (profile) {
		r = restack_device_from_profile(dev, profile, what, err);
		if (r)
			return r;
		dev->source = what;
		return 1;
	}
	if (!rd->median_us)
		return 0;
	restack_ldist_lognormal(&dev->read, rd->median_us, rd->p99_us);
	restack_ldist_lognormal(&dev->write, wr->median_us, wr->p99_us);
	dev->source = "SLA file";
	return 1;
}

/* The origin: its profile, the SLA's figures, or the trace itself. */
static int know_origin(struct rec_run *run, const char *trace,
		       struct restack_err *err)
{
	const struct restack_sla_volume *sla = run->sla;
	struct restack_device *o = &run->rec->origin;
	int r;

	r = device_from_sla(o, sla->origin_profile, "origin_profile",
			    &sla->origin_read, &sla->origin_write, err);
	if (r < 0)
		return r;
	if (!r) {
		if (!run->rep->all.lat_max[RESTACK_LAT_READ] &&
		    !run->rep->all.lat_max[RESTACK_LAT_WRITE])
			return restack_err_set(err, -EINVAL,
					       "%s has no latencies: give origin_profile or origin_read_us and origin_write_us in [volume %s]",
					       trace, sla->name);
		restack_device_from_scope(o, &run->rep->all);
		o->source = "the trace";
	}
	o->iops = sla->origin_iops;
	return 0;
}

/* The fast device: its profile, the SLA's figures, or calibration. */
static int know_fast(struct rec_run *run, struct restack_err *err)
{
	const struct restack_sla_volume *sla = run->sla;
	struct restack_device *f = &run->rec->fast;
	int r;

	r = device_from_sla(f, sla->fast_profile, "fast_profile",
			    &sla->fast_read, &sla->fast_write, err);
	if (r < 0)
		return r;
	if (!r) {
		/* the minimal SLA file: measure fast_device, reading only */
		r = restack_device_calibrate(f, sla->fast_device,
					     RESTACK_CALIB_READS, err);
		if (r)
			return restack_err_prefix(err, r,
						  "[volume %s]: the fast device's latency is unknown: give fast_profile, or fast_read_us and fast_write_us, or a readable fast_device to calibrate",
						  sla->name);
	}
	f->iops = sla->fast_iops;
	return 0;
}

/* The candidates a simulation stands for: wa, or wt and wb. */
static void add_sim_candidates(struct rec_run *run, const struct sim_ref *ref,
			       const struct restack_sim_result *res)
{
	static const enum rs_cache_mode content_wb[] = { RS_MODE_WT, RS_MODE_WB };
	struct restack_recommendation *rec = run->rec;
	unsigned int m;

	for (m = 0; m < 2; m++) {
		enum rs_cache_mode mode = ref->wa ? RS_MODE_WA : content_wb[m];
		struct restack_candidate *c;

		if (ref->wa && m)
			break;
		if (!(run->sla->modes & (1u << mode)))
			continue;
		c = &rec->cands[rec->n++];
		*c = ref->base;
		c->mode = mode;
		c->read_hit = res->read_refs > 0 ? res->read_hits / res->read_refs : 0;
		c->write_cached = res->write_refs > 0 ?
			(res->write_hits + res->write_fills) / res->write_refs : 0;
		c->fill_per_read = res->read_refs > 0 ?
			res->read_fills / res->read_refs : 0;
		c->wfill_per_write = res->write_refs > 0 ?
			res->write_fills / res->write_refs : 0;
		c->writeback_per_write = mode == RS_MODE_WB && res->write_refs > 0 ?
			res->writebacks / res->write_refs : 0;
		restack_model_predict(c, &rec->workload, &rec->origin,
				      &rec->fast, run->sla);
	}
}

/* Candidates: detached, then each simulation in its modes; predicted. */
static int predict_candidates(struct rec_run *run, struct restack_err *err)
{
	struct restack_recommendation *rec = run->rec;
	unsigned int i;

	rec->cands = calloc(1 + 2 * (size_t)run->nrefs, sizeof(*rec->cands));
	if (!rec->cands)
		return restack_err_set(err, -ENOMEM, "out of memory");
	rec->n = 0;
	rec->cands[rec->n].cache = false;
	restack_model_predict(&rec->cands[rec->n++], &rec->workload,
			      &rec->origin, &rec->fast, run->sla);
	for (i = 0; i < run->nrefs; i++) {
		const struct sim_ref *ref = &run->refs[i];
		struct restack_sim_result res;

		restack_simset_result(run->sets[ref->set], (unsigned int)ref->idx, &res);
		if (run->warm)
			sim_result_sub(&res, &run->warm[i]);
		add_sim_candidates(run, ref, &res);
	}
	return 0;
}

/* Cost order; the cheapest that meets the SLA, and the closest. */
static void choose(struct restack_recommendation *rec)
{
	unsigned int i;

	qsort(rec->cands, rec->n, sizeof(*rec->cands), cand_qsort_cmp);
	for (i = 0; i < rec->n; i++) {
		if (rec->chosen < 0 && rec->cands[i].feasible)
			rec->chosen = (int)i;
		if (rec->closest < 0 ||
		    rec->cands[i].worst < rec->cands[rec->closest].worst)
			rec->closest = (int)i;
	}
}

static int run_recommendation(struct rec_run *run, const char *trace,
			      struct restack_trace_reader *rd,
			      struct restack_err *err)
{
	struct restack_report_params p = {
		.trace_threshold = run->h->sample_threshold,
		.trace_block_sectors = run->h->sample_block_sectors,
	};
	int r;

	r = restack_report_init(run->rep, &p, err);
	if (!r)
		r = plan_simulations(run, err);
	if (!r)
		r = replay_trace(run, rd, trace, err);
	if (!r)
		r = describe_workload(run, trace, err);
	if (!r)
		r = know_origin(run, trace, err);
	if (!r)
		r = know_fast(run, err);
	if (!r)
		r = predict_candidates(run, err);
	if (!r)
		choose(run->rec);
	return r;
}

int restack_recommend_opts(const char *trace,
			   const struct restack_sla_volume *sla,
			   const struct restack_recommend_opts *opts,
			   struct restack_recommendation *rec,
			   struct restack_err *err)
{
	struct rec_run run = { .sla = sla, .opts = opts, .rec = rec };
	struct restack_trace_reader *rd = NULL;
	unsigned int b;
	int r;

	memset(rec, 0, sizeof(*rec));
	rec->sla = sla;
	rec->trace = trace;
	rec->chosen = -1;
	rec->closest = -1;
	run.rep = calloc(1, sizeof(*run.rep));
	if (!run.rep)
		return restack_err_set(err, -ENOMEM, "out of memory");
	r = restack_trace_open(trace, &rd, err);
	if (!r) {
		run.h = restack_trace_header(rd);
		r = run_recommendation(&run, trace, rd, err);
	}
	for (b = 0; b < MAX_BLOCKS; b++)
		restack_simset_destroy(run.sets[b]);
	free(run.warm);
	free(run.refs);
	restack_report_release(run.rep);
	free(run.rep);
	restack_trace_close(rd);
	if (r)
		restack_recommendation_release(rec);
	return r;
}

void restack_recommendation_release(struct restack_recommendation *rec)
{
	if (!rec)
		return;
	free(rec->cands);
	rec->cands = NULL;
	rec->n = 0;
}
