// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_model.c - latency distributions and the performance model:
 * a candidate stack's predicted latencies, loads and IOPS (see
 * restack_model.h and Documentation/analyzer.rst, "Performance model").
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/restack_model.h"

#define NB	RESTACK_REP_LAT_BUCKETS

/* ---------------------------------------------------------------- */
/* distributions                                                     */
/* ---------------------------------------------------------------- */

void restack_ldist_clear(struct restack_ldist *d)
{
	memset(d, 0, sizeof(*d));
}

void restack_ldist_from_hist(struct restack_ldist *d, const uint64_t *hist)
{
	unsigned int i;

	restack_ldist_clear(d);
	for (i = 0; i < NB; i++) {
		d->w[i] = (double)hist[i];
		d->total += d->w[i];
	}
}

/* Bucket edges [lo, hi) in ns. */
static void bucket_edges(unsigned int i, double *lo, double *hi)
{
	unsigned int sub = RESTACK_REP_LAT_SUB;

	if (i < sub) {
		*lo = i;
		*hi = i + 1;
		return;
	}
	*lo = ldexp(i % sub + sub, (int)(i / sub - 1));
	*hi = ldexp(i % sub + sub + 1, (int)(i / sub - 1));
}

void restack_ldist_lognormal(struct restack_ldist *d, double median_us,
			     double p99_us)
{
	double m = median_us * 1e3, sigma, prev = 0;
	unsigned int i;

	restack_ldist_clear(d);
	if (!(m > 0))
		return;
	if (!(p99_us > median_us)) {
		d->w[restack_lat_bucket((uint64_t)m)] = 1;
		d->total = 1;
		return;
	}
	sigma = log(p99_us / median_us) / 2.3263478740408408;	/* z(0.99) */
	for (i = 0; i < NB; i++) {
		double lo, hi, c;

		bucket_edges(i, &lo, &hi);
		c = 0.5 * erfc(-(log(hi) - log(m)) / (sigma * M_SQRT2));
		d->w[i] = c - prev;
		prev = c;
		d->total += d->w[i];
	}
}

double restack_ldist_quantile(const struct restack_ldist *d, double q)
{
	double want = q * d->total, acc = 0;
	unsigned int i, last = 0;

	if (!(d->total > 0))
		return NAN;
	for (i = 0; i < NB; i++) {
		if (!(d->w[i] > 0))
			continue;
		acc += d->w[i];
		last = i;
		if (acc >= want * (1 - 1e-12))
			return restack_lat_value(i);
	}
	return restack_lat_value(last);
}

double restack_ldist_mean(const struct restack_ldist *d)
{
	double s = 0;
	unsigned int i;

	if (!(d->total > 0))
		return NAN;
	for (i = 0; i < NB; i++)
		if (d->w[i] > 0)
			s += d->w[i] * restack_lat_value(i);
	return s / d->total;
}

void restack_ldist_mix(struct restack_ldist *out, double a,
		       const struct restack_ldist *x,
		       const struct restack_ldist *y)
{
	double ax = x->total > 0 ? a / x->total : 0;
	double ay = y->total > 0 ? (1 - a) / y->total : 0;
	unsigned int i;

	if (!(x->total > 0))
		ay = y->total > 0 ? 1 / y->total : 0;
	if (!(y->total > 0))
		ax = x->total > 0 ? 1 / x->total : 0;
	out->total = 0;
	for (i = 0; i < NB; i++) {
		out->w[i] = ax * x->w[i] + ay * y->w[i];
		out->total += out->w[i];
	}
}

void restack_ldist_max(struct restack_ldist *out, const struct restack_ldist *x,
		       const struct restack_ldist *y)
{
	double fx = 0, fy = 0, prev = 0;
	unsigned int i;

	if (!(x->total > 0) || !(y->total > 0)) {
		*out = x->total > 0 ? *x : *y;
		return;
	}
	out->total = 0;
	for (i = 0; i < NB; i++) {
		double f;

		fx += x->w[i] / x->total;
		fy += y->w[i] / y->total;
		f = fx * fy;
		out->w[i] = f > prev ? f - prev : 0;
		prev = f > prev ? f : prev;
		out->total += out->w[i];
	}
}

void restack_ldist_shift(struct restack_ldist *out,
			 const struct restack_ldist *x, double add_ns)
{
	struct restack_ldist t;
	unsigned int i;

	restack_ldist_clear(&t);
	for (i = 0; i < NB; i++) {
		double v;

		if (!(x->w[i] > 0))
			continue;
		v = restack_lat_value(i) + add_ns;
		if (v > 1.8e19)
			v = 1.8e19;
		t.w[restack_lat_bucket((uint64_t)v)] += x->w[i];
		t.total += x->w[i];
	}
	*out = t;
}

void restack_ldist_scale(struct restack_ldist *out,
			 const struct restack_ldist *x, double s)
{
	struct restack_ldist t;
	unsigned int i;

	if (s == 1) {
		*out = *x;
		return;
	}
	restack_ldist_clear(&t);
	for (i = 0; i < NB; i++) {
		double v;

		if (!(x->w[i] > 0))
			continue;
		v = restack_lat_value(i) * s;
		if (v > 1.8e19)
			v = 1.8e19;
		t.w[restack_lat_bucket((uint64_t)v)] += x->w[i];
		t.total += x->w[i];
	}
	*out = t;
}

/* ---------------------------------------------------------------- */
/* the model                                                         */
/* ---------------------------------------------------------------- */

static int mode_rank(enum rs_cache_mode m)
{
	return m == RS_MODE_WT ? 0 : m == RS_MODE_WA ? 1 : 2;
}

/*
 * M/M/1 scaling of a device's latency from the load it was profiled at to
 * @load.  Returns the factor, or +inf when @load saturates it.
 */
static double load_scale(const struct restack_device *d, double load,
			 double *util)
{
	double rho_m, rho;

	if (!(d->iops > 0)) {
		*util = 0;
		return 1;
	}
	rho = load / d->iops;
	rho_m = d->measured_iops / d->iops;
	if (rho_m > 0.95)
		rho_m = 0.95;
	*util = rho;
	if (rho >= 1)
		return INFINITY;
	return (1 - rho_m) / (1 - rho);
}

static void judge(struct restack_candidate *c, const struct restack_workload *w,
		  const struct restack_sla_volume *sla)
{
	double worst = 0;
	unsigned int p;

	c->reason[0] = '\0';
#define CHECK(ratio, ...) do {						\
		double r_ = (ratio);					\
		if (!(r_ <= worst)) {					\
			worst = isnan(r_) ? INFINITY : r_;		\
			if (r_ > 1 || isnan(r_))			\
				snprintf(c->reason, sizeof(c->reason), __VA_ARGS__); \
		}							\
	} while (0)

	/* a saturated device is the reason, whatever else follows from it */
	if (c->origin_util >= 1 || c->fast_util >= 1) {
		bool o = c->origin_util >= c->fast_util;

		snprintf(c->reason, sizeof(c->reason),
			 "the %s saturates (needs %.0f IOPS, has %.0f)",
			 o ? "origin" : "fast device",
			 o ? c->origin_load : c->fast_load,
			 o ? c->origin_load / c->origin_util :
			     c->fast_load / c->fast_util);
		c->worst = 1e6 * (o ? c->origin_util : c->fast_util);
		c->feasible = false;
		return;
	}
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		if (sla->read_us[p] > 0 && w->read_iops > 0)
			CHECK(c->read_ns[p] / 1e3 / sla->read_us[p],
			      "read %s %.0fus > %.0fus", restack_sla_pct_name[p],
			      c->read_ns[p] / 1e3, sla->read_us[p]);
		if (sla->write_us[p] > 0 && w->write_iops > 0)
			CHECK(c->write_ns[p] / 1e3 / sla->write_us[p],
			      "write %s %.0fus > %.0fus", restack_sla_pct_name[p],
			      c->write_ns[p] / 1e3, sla->write_us[p]);
	}
	if (sla->min_iops > 0)
		CHECK(c->iops > 0 ? sla->min_iops / c->iops : INFINITY,
		      "%.0f IOPS < %.0f", c->iops, sla->min_iops);
#undef CHECK
	c->worst = worst;
	c->feasible = worst <= 1;
}

/*
 * wb: every dirty block evicted is first written back, and the cache keeps
 * at most RESTACK_CACHE_MAX_WRITEBACKS write-backs in flight, each an
 * origin write; so the origin absorbs at most W / E[O_w] write-backs per
 * second.  When the IOPS found so far need more (X (λw/λ) b > W / E[O_w]),
 * X falls to the bound, and the mean latency Little's law then requires
 * (N / X) comes from cached writes that find no clean slot and wait for a
 * write-back, an origin write: a share s of the cached writes takes
 * F_w + O_w, with s set so that the mean is N / X (s > 1: all of them, O_w
 * stretched).  The others complete on the fast device at once, as the
 * kernel's reserve of free blocks lets them.
 */
static void writeback_bound(struct restack_candidate *c, double lr, double lw,
			    double n, const struct restack_ldist *wf,
			    const struct restack_ldist *wo)
{
	double lambda = lr + lw, b = c->writeback_per_write, cw = c->write_cached;
	double ow = restack_ldist_mean(wo), fw = restack_ldist_mean(wf);
	double cap, need, x, extra, share, mean;
	struct restack_ldist waited, cached, wr, t;
	unsigned int p;

	if (!(ow > 0))
		return;
	cap = RESTACK_CACHE_MAX_WRITEBACKS / (ow / 1e9);
	need = c->iops * lw / lambda * b;
	c->writeback_util = need / cap;
	if (need <= cap)
		return;
	x = cap * lambda / (lw * b);
	mean = (lr > 0 ? lr / lambda * c->read_mean_ns : 0) +
	       lw / lambda * c->write_mean_ns;
	extra = (n / x * 1e9 - mean) * lambda / lw;	/* per write, ns */
	c->iops = x;
	if (!(extra > 0))
		return;
	share = extra / (cw * ow);		/* of the cached writes */
	if (share > 1) {
		restack_ldist_scale(&t, wo, share);
		share = 1;
	} else {
		t = *wo;
	}
	restack_ldist_shift(&waited, &t, fw > 0 ? fw : 0);
	restack_ldist_mix(&cached, share, &waited, wf);
	restack_ldist_mix(&wr, cw, &cached, wo);
	for (p = 0; p < RESTACK_NR_PCT; p++)
		c->write_ns[p] = restack_ldist_quantile(&wr, restack_sla_pct_q[p]);
	c->write_mean_ns = restack_ldist_mean(&wr);
}

void restack_model_predict(struct restack_candidate *c,
			   const struct restack_workload *w,
			   const struct restack_device *origin,
			   const struct restack_device *fast,
			   const struct restack_sla_volume *sla)
{
	double lr = w->read_iops, lw = w->write_iops, lambda = lr + lw;
	double h = c->cache ? c->read_hit : 0, cw = 0, so, sf, mean;
	struct restack_ldist ro, wo, rf, wf, rd, wr, both;
	unsigned int p;

	if (c->cache) {
		/*
		 * Filling a block larger than the request that missed takes
		 * one more origin read (the rest of the block), for read
		 * promotions and for write-allocation alike.
		 */
		double xr = c->block_bytes > w->read_bytes ? c->fill_per_read : 0;
		double xw = c->mode != RS_MODE_WA && c->block_bytes > w->write_bytes ?
			    c->wfill_per_write : 0;

		cw = c->mode == RS_MODE_WA ? 0 : c->write_cached;
		c->origin_load = lr * (1 - h + xr) +
				 lw * (xw + (c->mode == RS_MODE_WB ?
					     (1 - cw) + c->writeback_per_write : 1));
		c->fast_load = lr * (h + c->fill_per_read) +
			       lw * (c->mode == RS_MODE_WA ? 0 :
				     cw + (c->mode == RS_MODE_WB ?
					   c->writeback_per_write : 0));
	} else {
		c->origin_load = lambda;
		c->fast_load = 0;
	}
	so = load_scale(origin, c->origin_load, &c->origin_util);
	sf = c->cache ? load_scale(fast, c->fast_load, &c->fast_util) : 1;
	if (!c->cache)
		c->fast_util = 0;
	if (isinf(so))
		so = 1e6;	/* saturated: judged below, keep numbers finite */
	if (isinf(sf))
		sf = 1e6;
	restack_ldist_scale(&ro, &origin->read, so);
	restack_ldist_scale(&wo, &origin->write, so);
	if (c->cache) {
		restack_ldist_scale(&rf, &fast->read, sf);
		restack_ldist_scale(&wf, &fast->write, sf);
		/* reads: hits on the fast device, misses on the origin */
		restack_ldist_mix(&rd, h, &rf, &ro);
		switch (c->mode) {
		case RS_MODE_WT:	/* cached writes wait for both */
			restack_ldist_max(&both, &wo, &wf);
			restack_ldist_mix(&wr, cw, &both, &wo);
			break;
		case RS_MODE_WB:	/* cached writes complete on the fast device */
			restack_ldist_mix(&wr, cw, &wf, &wo);
			break;
		default:		/* write-around: the origin */
			wr = wo;
		}
	} else {
		rd = ro;
		wr = wo;
	}
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		c->read_ns[p] = restack_ldist_quantile(&rd, restack_sla_pct_q[p]);
		c->write_ns[p] = restack_ldist_quantile(&wr, restack_sla_pct_q[p]);
	}
	c->read_mean_ns = restack_ldist_mean(&rd);
	c->write_mean_ns = restack_ldist_mean(&wr);
	/* Little's law at the workload's concurrency, capped by the devices */
	mean = 0;
	if (lambda > 0)
		mean = (lr > 0 ? lr / lambda * c->read_mean_ns : 0) +
		       (lw > 0 ? lw / lambda * c->write_mean_ns : 0);
	c->iops = mean > 0 ? w->queue_depth / (mean / 1e9) : 0;
	if (origin->iops > 0 && c->origin_load > 0 &&
	    c->iops > origin->iops * lambda / c->origin_load)
		c->iops = origin->iops * lambda / c->origin_load;
	if (c->cache && fast->iops > 0 && c->fast_load > 0 &&
	    c->iops > fast->iops * lambda / c->fast_load)
		c->iops = fast->iops * lambda / c->fast_load;
	c->writeback_util = 0;
	if (c->cache && c->mode == RS_MODE_WB && lw > 0 && cw > 0 &&
	    c->writeback_per_write > 0 && c->iops > 0)
		writeback_bound(c, lr, lw, w->queue_depth, &wf, &wo);
	judge(c, w, sla);
}

int restack_candidate_cmp(const struct restack_candidate *a,
			  const struct restack_candidate *b)
{
	uint64_t ca = a->cache ? a->cache_bytes : 0, cb = b->cache ? b->cache_bytes : 0;

	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (a->cache != b->cache)
		return a->cache ? 1 : -1;
	if (mode_rank(a->mode) != mode_rank(b->mode))
		return mode_rank(a->mode) - mode_rank(b->mode);
	if (a->worst != b->worst)
		return a->worst < b->worst ? -1 : 1;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	if (a->block_bytes != b->block_bytes)
		return a->block_bytes < b->block_bytes ? -1 : 1;
	if (a->promote_hits != b->promote_hits)
		return a->promote_hits < b->promote_hits ? -1 : 1;
	if (a->seq_cutoff != b->seq_cutoff)
		return a->seq_cutoff < b->seq_cutoff ? -1 : 1;
	return 0;
}

int restack_candidate_attach(const struct restack_candidate *c,
			     const char *fast_device, char *buf, size_t len)
{
	int n;

	if (!c->cache)
		n = snprintf(buf, len, "detach");
	else
		n = snprintf(buf, len,
			     "cache %s mode=%s block_size=%u replacement=%s promote_hits=%u seq_cutoff=%llu",
			     fast_device, rs_cache_mode_name(c->mode), c->block_bytes,
			     rs_repl_name(c->kind), c->promote_hits,
			     (unsigned long long)c->seq_cutoff);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
