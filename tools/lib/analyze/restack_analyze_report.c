// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_analyze_report.c - the one-pass profile behind `restack report`.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/restack_analyze_report.h"

#define M	DM_RESTACK_SAMPLE_MODULUS
#define WSS_READ	1ULL
#define WSS_WRITTEN	2ULL

/* ---------------------------------------------------------------- */
/* block sample with a halving threshold                             */
/* ---------------------------------------------------------------- */

static int wss_init(struct restack_rep_wss *w, uint32_t T, uint32_t smax)
{
	memset(w, 0, sizeof(*w));
	w->T = T;
	w->smax = smax;
	w->windows = calloc(RESTACK_REP_MAX_WINDOWS, sizeof(*w->windows));
	if (!w->windows)
		return -ENOMEM;
	return restack_u64map_init(&w->map, smax);
}

static void wss_release(struct restack_rep_wss *w)
{
	restack_u64map_release(&w->map);
	free(w->windows);
	memset(w, 0, sizeof(*w));
}

/* Close windows up to (not including) @win. */
static void wss_advance(struct restack_rep_wss *w, uint64_t win)
{
	while (w->cur_window < win) {
		if (w->nwindows < RESTACK_REP_MAX_WINDOWS)
			w->windows[w->nwindows++] = w->cur_count * M / w->T;
		w->cur_window++;
		w->cur_count = 0;
	}
}

/* Halve T and keep only blocks below it (a rebuilt, smaller map). */
static int wss_halve(struct restack_rep_wss *w)
{
	struct restack_u64map n;
	uint64_t pos = 0, key, val;
	bool created;
	int r;

	if (w->T <= 1)
		return 0;
	r = restack_u64map_init(&n, w->smax);
	if (r)
		return r;
	w->T /= 2;
	w->cur_count = 0;
	while (restack_u64map_next(&w->map, &pos, &key, &val)) {
		uint64_t *v;

		if (restack_block_hash24(key) >= w->T)
			continue;
		v = restack_u64map_upsert(&n, key, &created);
		if (!v) {
			restack_u64map_release(&n);
			return -ENOMEM;
		}
		*v = val;
		if ((val >> 2) == w->cur_window)
			w->cur_count++;
	}
	restack_u64map_release(&w->map);
	w->map = n;
	return 0;
}

static int wss_access(struct restack_rep_wss *w, uint64_t block, uint32_t h,
		      bool write)
{
	double k;
	uint64_t *v;
	bool created;

	if (h >= w->T)
		return 0;
	k = (double)M / w->T;
	v = restack_u64map_upsert(&w->map, block, &created);
	if (!v)
		return -ENOMEM;
	if (created) {
		*v = w->cur_window << 2;
		w->cur_count++;
	} else if ((*v >> 2) != w->cur_window) {
		*v = (w->cur_window << 2) | (*v & 3);
		w->cur_count++;
	}
	if (write) {
		w->writes += k;
		if (*v & WSS_WRITTEN)
			w->rewrites += k;
		*v |= WSS_WRITTEN;
	} else {
		w->reads += k;
		if (*v & WSS_WRITTEN)
			w->reads_after_write += k;
		*v |= WSS_READ;
	}
	if (created && w->map.count > w->smax)
		return wss_halve(w);
	return 0;
}

/* ---------------------------------------------------------------- */
/* scopes                                                            */
/* ---------------------------------------------------------------- */

static int scope_init(struct restack_report *r, struct restack_rep_scope *s,
		      uint32_t wss_smax, uint32_t mrc_smax)
{
	struct restack_mrc_params mp = {
		.method = RESTACK_MRC_FIXED_SIZE,
		.block_bytes = r->block_bytes,
		.smax = mrc_smax,
		.trace_threshold = r->trace_threshold,
		.trace_block_sectors = r->trace_block_sectors,
	};
	struct restack_err err;
	int ret;

	memset(s, 0, sizeof(*s));
	memset(s->stream_next, 0xff, sizeof(s->stream_next));	/* no stream */
	s->lba_shift = 11;	/* 1 MiB regions to start with */
	s->lba_width = 1ULL << s->lba_shift;
	ret = wss_init(&s->wss, r->trace_threshold, wss_smax);
	if (ret)
		return ret;
	return restack_mrc_create(&mp, &s->mrc, &err);
}

static void scope_release(struct restack_rep_scope *s)
{
	wss_release(&s->wss);
	restack_mrc_destroy(s->mrc);
	s->mrc = NULL;
}

int restack_report_init(struct restack_report *r,
			const struct restack_report_params *p,
			struct restack_err *err)
{
	uint32_t tt = p->trace_threshold;
	int ret;

	memset(r, 0, sizeof(*r));
	if (tt == 0 || tt > M)
		tt = M;
	r->trace_threshold = tt;
	r->trace_block_sectors = p->trace_block_sectors ? p->trace_block_sectors : 8;
	r->trace_rate = (double)tt / M;
	r->block_bytes = p->block_bytes;
	if (!r->block_bytes)
		r->block_bytes = tt < M ? r->trace_block_sectors * 512 :
			RESTACK_BLOCK_DEFAULT;
	ret = restack_block_shift("block size", r->block_bytes, &r->shift, err);
	if (ret)
		return ret;
	if (tt < M && (uint64_t)r->trace_block_sectors * 512 != r->block_bytes)
		return restack_err_set(err, -EINVAL,
				       "the trace was sampled in %u-byte blocks: the block size must be %u, not %u",
				       r->trace_block_sectors * 512,
				       r->trace_block_sectors * 512, r->block_bytes);
	r->window_ns = p->window_ns ? p->window_ns : 60000000000ULL;
	r->by_workload = p->by_workload;
	r->tbin_shift = 20;		/* about 1 ms, doubling */
	r->tbin_ns = 1ULL << r->tbin_shift;
	r->heat_tshift = 20;
	r->heat_tns = 1ULL << r->heat_tshift;
	r->heat_lshift = 11;
	r->heat_lba = 1ULL << r->heat_lshift;
	r->window_end = r->window_ns;
	ret = scope_init(r, &r->all, RESTACK_REP_WSS_SMAX, RESTACK_MRC_SMAX_DEFAULT);
	if (ret) {
		restack_report_release(r);
		return restack_err_set(err, ret, "out of memory");
	}
	return 0;
}

void restack_report_release(struct restack_report *r)
{
	unsigned int i;

	if (!r)
		return;
	scope_release(&r->all);
	for (i = 0; i < r->nwl; i++) {
		scope_release(r->wl[i]);
		free(r->wl[i]);
	}
	free(r->wl);
	r->wl = NULL;
	r->nwl = 0;
}

static unsigned int ceil_log2_u64(uint64_t v)
{
	return v <= 1 ? 0 : 64 - (unsigned int)__builtin_clzll(v - 1);
}

unsigned int restack_lat_bucket(uint64_t v)
{
	unsigned int msb, shift;

	if (v < RESTACK_REP_LAT_SUB)
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	shift = msb - 5;
	return RESTACK_REP_LAT_SUB * (shift + 1) +
	       (unsigned int)((v >> shift) - RESTACK_REP_LAT_SUB);
}

double restack_lat_value(unsigned int idx)
{
	unsigned int shift;
	double lo, hi;

	if (idx < RESTACK_REP_LAT_SUB)
		return idx;
	shift = idx / RESTACK_REP_LAT_SUB - 1;
	lo = ldexp(idx % RESTACK_REP_LAT_SUB + RESTACK_REP_LAT_SUB, (int)shift);
	hi = ldexp(idx % RESTACK_REP_LAT_SUB + RESTACK_REP_LAT_SUB + 1, (int)shift);
	return (lo + hi - 1) / 2;
}

static int lat_class(uint8_t op)
{
	switch (op) {
	case DM_RESTACK_OP_READ:
		return RESTACK_LAT_READ;
	case DM_RESTACK_OP_WRITE:
		return RESTACK_LAT_WRITE;
	case DM_RESTACK_OP_DISCARD:
	case DM_RESTACK_OP_WRITE_ZEROES:
	case DM_RESTACK_OP_SECURE_ERASE:
		return RESTACK_LAT_DISCARD;
	case DM_RESTACK_OP_FLUSH:
		return RESTACK_LAT_FLUSH;
	default:
		return -1;
	}
}

static inline unsigned int stream_slot(uint64_t sector)
{
	return (unsigned int)((sector * 0x9e3779b97f4a7c15ULL) >>
			      (64 - __builtin_ctz(RESTACK_REP_STREAMS)));
}

static void scope_io(struct restack_rep_scope *s,
		     const struct dm_restack_trace_record *rec, double w)
{
	uint64_t bytes = (uint64_t)rec->sectors << 9, end;
	int lc = lat_class(rec->op);
	bool data = restack_rec_is_data(rec);
	unsigned int i;

	s->records++;
	s->ops[rec->op] += w;
	s->bytes[rec->op] += (double)bytes * w;
	if (rec->error)
		s->errors += w;
	if (!s->have_ts || rec->ts_ns < s->first_ts)
		s->first_ts = rec->ts_ns;
	end = rec->ts_ns + rec->latency_ns;
	if (!s->have_ts || end > s->last_end)
		s->last_end = end;
	s->have_ts = true;
	if (lc >= 0) {
		s->lat[lc][restack_lat_bucket(rec->latency_ns)]++;
		s->lat_n[lc]++;
		s->lat_sum[lc] += (double)rec->latency_ns;
		if (rec->latency_ns > s->lat_max[lc])
			s->lat_max[lc] = rec->latency_ns;
	}
	if (!data)
		return;
	{
		unsigned int b = ceil_log2_u64(bytes);

		b = b < 9 ? 0 : b - 9;
		if (b >= RESTACK_REP_SIZE_BUCKETS)
			b = RESTACK_REP_SIZE_BUCKETS - 1;
		s->size_hist[rec->op == DM_RESTACK_OP_WRITE][b] += w;
	}
	/* sequentiality */
	s->data_reqs += w;
	i = stream_slot(rec->virt_sector);
	if (s->stream_next[i] == rec->virt_sector) {
		s->seq_reqs += w;
		s->stream_next[i] = UINT64_MAX;
	} else {
		s->runs += w;
	}
	end = rec->virt_sector + rec->sectors;
	s->stream_next[stream_slot(end)] = end;
	/* LBA regions */
	{
		uint64_t bin = rec->virt_sector >> s->lba_shift;

		while (bin >= RESTACK_REP_LBA_BINS) {
			for (i = 0; i < RESTACK_REP_LBA_BINS; i++) {
				double v = s->lba[i];

				s->lba[i] = 0;
				s->lba[i / 2] += v;
			}
			s->lba_shift++;
			s->lba_width = 1ULL << s->lba_shift;
			bin = rec->virt_sector >> s->lba_shift;
		}
		s->lba[bin] += w;
		if (rec->virt_sector + rec->sectors > s->max_sector)
			s->max_sector = rec->virt_sector + rec->sectors;
	}
}

/* ---- time bins and heat map (whole trace) ---- */

static void tbins_add(struct restack_report *r, uint64_t dt, bool write,
		      double w, double bytes)
{
	uint64_t i = dt >> r->tbin_shift;
	uint32_t k;

	while (i >= RESTACK_REP_TIME_BINS) {
		for (k = 0; k < RESTACK_REP_TIME_BINS; k++) {
			struct restack_rep_tbin b = r->tbins[k];

			memset(&r->tbins[k], 0, sizeof(b));
			r->tbins[k / 2].n[0] += b.n[0];
			r->tbins[k / 2].n[1] += b.n[1];
			r->tbins[k / 2].bytes[0] += b.bytes[0];
			r->tbins[k / 2].bytes[1] += b.bytes[1];
		}
		r->ntbins = (r->ntbins + 1) / 2;
		r->tbin_shift++;
		r->tbin_ns = 1ULL << r->tbin_shift;
		i = dt >> r->tbin_shift;
	}
	r->tbins[i].n[write] += w;
	r->tbins[i].bytes[write] += bytes * w;
	if (i + 1 > r->ntbins)
		r->ntbins = (uint32_t)i + 1;
}

static void heat_add(struct restack_report *r, uint64_t dt, uint64_t sector)
{
	uint64_t t = dt >> r->heat_tshift, l = sector >> r->heat_lshift;
	uint32_t a, b;

	while (t >= RESTACK_REP_HEAT) {
		for (a = 0; a < RESTACK_REP_HEAT; a++)
			for (b = 0; b < RESTACK_REP_HEAT; b++) {
				uint32_t v = r->heat[a][b];

				r->heat[a][b] = 0;
				r->heat[a / 2][b] += v;
			}
		r->heat_tshift++;
		r->heat_tns = 1ULL << r->heat_tshift;
		t = dt >> r->heat_tshift;
	}
	while (l >= RESTACK_REP_HEAT) {
		for (a = 0; a < RESTACK_REP_HEAT; a++)
			for (b = 0; b < RESTACK_REP_HEAT; b++) {
				uint32_t v = r->heat[a][b];

				r->heat[a][b] = 0;
				r->heat[a][b / 2] += v;
			}
		r->heat_lshift++;
		r->heat_lba = 1ULL << r->heat_lshift;
		l = sector >> r->heat_lshift;
	}
	if (r->heat[t][l] < UINT32_MAX)
		r->heat[t][l]++;
}

/* ---- workloads ---- */

static struct restack_rep_scope *workload(struct restack_report *r,
					  const struct dm_restack_trace_record *rec,
					  int *err)
{
	struct restack_rep_scope *s, **nw;
	unsigned int i;

	*err = 0;
	if (r->nwl) {
		s = r->wl[r->last_wl];
		if (!s->other && s->volume == rec->volume &&
		    s->cgroup == rec->cgroup_id && s->pid == rec->pid)
			return s;
	}
	for (i = 0; i < r->nwl; i++) {
		s = r->wl[i];
		if (!s->other && s->volume == rec->volume &&
		    s->cgroup == rec->cgroup_id && s->pid == rec->pid) {
			r->last_wl = i;
			return s;
		}
	}
	if (r->nwl == RESTACK_REP_MAX_WORKLOADS + 1) {
		r->last_wl = RESTACK_REP_MAX_WORKLOADS;
		return r->wl[RESTACK_REP_MAX_WORKLOADS];	/* "other" */
	}
	if (!r->wl) {
		r->wl = calloc(RESTACK_REP_MAX_WORKLOADS + 1, sizeof(*nw));
		if (!r->wl) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	s = malloc(sizeof(*s));
	if (!s || scope_init(r, s, RESTACK_REP_WSS_SMAX_WL, 8192)) {
		if (s)
			scope_release(s);
		free(s);
		*err = -ENOMEM;
		return NULL;
	}
	if (r->nwl == RESTACK_REP_MAX_WORKLOADS) {
		s->other = true;
	} else {
		s->volume = rec->volume;
		s->cgroup = rec->cgroup_id;
		s->pid = rec->pid;
	}
	/* windows count from the start of the trace (cur_window 0) */
	r->wl[r->nwl] = s;
	r->last_wl = r->nwl++;
	return s;
}

/* Probability that the kernel kept a bio touching @k sampling blocks. */
static double keep_prob(double rate, uint64_t k)
{
	return 1 - pow(1 - rate, (double)k);
}

int restack_report_record(struct restack_report *r,
			  const struct dm_restack_trace_record *rec)
{
	struct restack_rep_scope *ws = NULL;
	uint64_t dt, first, last, b, win;
	double w = 1;
	bool write;
	int ret;

	if (rec->type == DM_RESTACK_REC_END) {
		r->have_end = true;
		r->end_records = rec->virt_sector;
		r->end_drops = rec->phys_sector;
		return 0;
	}
	if (rec->type == DM_RESTACK_REC_COMM) {
		unsigned int i;

		r->comm_records++;
		for (i = 0; i < r->nwl; i++)
			if (!r->wl[i]->other && r->wl[i]->pid == rec->pid)
				memcpy(r->wl[i]->comm, rec->comm, sizeof(rec->comm));
		return 0;
	}
	if (rec->type != DM_RESTACK_REC_IO || rec->op >= DM_RESTACK_OP_MAX)
		return 0;
	if (!r->started) {
		r->t0 = rec->ts_ns;
		r->started = true;
	}
	dt = rec->ts_ns > r->t0 ? rec->ts_ns - r->t0 : 0;
	if (r->trace_threshold < M && rec->sectors) {
		uint64_t k = ((rec->virt_sector + rec->sectors - 1) >>
			      ceil_log2_u64(r->trace_block_sectors)) -
			     (rec->virt_sector >> ceil_log2_u64(r->trace_block_sectors)) + 1;

		w = 1 / keep_prob(r->trace_rate, k);
	}
	write = rec->op != DM_RESTACK_OP_READ;
	if (rec->sectors)
		tbins_add(r, dt, write, w, (double)((uint64_t)rec->sectors << 9));
	scope_io(&r->all, rec, w);
	if (r->by_workload) {
		ws = workload(r, rec, &ret);
		if (!ws)
			return ret;
		scope_io(ws, rec, w);
	}
	if (!restack_rec_is_data(rec))
		return 0;
	heat_add(r, dt, rec->virt_sector);
	/* windows: a division only when one ends (traces may be unsorted) */
	if (dt >= r->window_end || dt + r->window_ns < r->window_end) {
		r->window = dt / r->window_ns;
		r->window_end = (r->window + 1) * r->window_ns;
	}
	win = r->window;
	if (win != r->all.wss.cur_window)
		wss_advance(&r->all.wss, win);
	if (ws && win != ws->wss.cur_window)
		wss_advance(&ws->wss, win);
	restack_rec_blocks(rec, r->shift, &first, &last);
	for (b = first;; b++) {
		uint32_t h = restack_block_hash24(b);

		ret = wss_access(&r->all.wss, b, h, write);
		if (!ret)
			ret = restack_mrc_access_hashed(r->all.mrc, b, h);
		if (!ret && ws) {
			ret = wss_access(&ws->wss, b, h, write);
			if (!ret)
				ret = restack_mrc_access_hashed(ws->mrc, b, h);
		}
		if (ret)
			return ret;
		if (b == last)
			break;
	}
	return 0;
}

void restack_report_finish(struct restack_report *r)
{
	uint64_t last = r->all.wss.cur_window + 1;
	unsigned int i;

	wss_advance(&r->all.wss, last);
	for (i = 0; i < r->nwl; i++)
		wss_advance(&r->wl[i]->wss, last);
}

uint64_t restack_rep_latency_pct(const struct restack_rep_scope *s,
				 enum restack_rep_lat c, double q)
{
	uint64_t n = s->lat_n[c], want, acc = 0;
	unsigned int i;

	if (!n)
		return 0;
	want = (uint64_t)ceil(q * (double)n);
	if (want < 1)
		want = 1;
	for (i = 0; i < RESTACK_REP_LAT_BUCKETS; i++) {
		acc += s->lat[c][i];
		if (acc >= want) {
			double v = restack_lat_value(i);

			return v > (double)s->lat_max[c] ? s->lat_max[c] :
			       (uint64_t)v;
		}
	}
	return s->lat_max[c];
}

uint64_t restack_rep_duration(const struct restack_rep_scope *s)
{
	return s->have_ts && s->last_end > s->first_ts ?
	       s->last_end - s->first_ts : 0;
}

double restack_rep_wss_blocks(const struct restack_rep_scope *s)
{
	return (double)s->wss.map.count * M / s->wss.T;
}

double restack_rep_data_iops(const struct restack_rep_scope *s, int op)
{
	double d = restack_rep_duration(s) / 1e9;

	return d > 0 ? s->ops[op] / d : 0;
}
