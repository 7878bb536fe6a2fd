// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_model.c - latency distributions, the performance model and
 * `restack recommend` (see restack_model.h and Documentation/analyzer.rst).
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyze/restack_model.h"
#include "trace/restack_trace.h"

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

static int cand_qsort_cmp(const void *a, const void *b)
{
	return restack_candidate_cmp(a, b);
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

/* ---------------------------------------------------------------- */
/* the recommendation                                                */
/* ---------------------------------------------------------------- */

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

/* A report over a whole trace file (device profiles, the workload). */
static int profile_trace(const char *path, struct restack_report *rep,
			 double *inflight_mean, uint64_t *records,
			 struct restack_err *err)
{
	struct restack_report_params p = { 0 };
	struct restack_trace_reader *rd = NULL;
	struct dm_restack_trace_record rec;
	double inflight = 0, n = 0;
	int r;

	r = restack_trace_open(path, &rd, err);
	if (r)
		return r;
	p.trace_threshold = restack_trace_header(rd)->sample_threshold;
	p.trace_block_sectors = restack_trace_header(rd)->sample_block_sectors;
	r = restack_report_init(rep, &p, err);
	if (r)
		goto out;
	while ((r = restack_trace_next(rd, &rec, err)) == 1) {
		if (restack_report_record(rep, &rec)) {
			r = restack_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		if (restack_rec_is_data(&rec)) {
			inflight += rec.inflight;
			n++;
		}
	}
	if (r == 0) {
		restack_report_finish(rep);
		if (inflight_mean)
			*inflight_mean = n > 0 ? inflight / n : 0;
		if (records)
			*records = rep->all.records;
	}
out:
	restack_trace_close(rd);
	return r;
}

static double scope_data_iops(const struct restack_rep_scope *s, int op)
{
	double d = restack_rep_duration(s) / 1e9;

	return d > 0 ? s->ops[op] / d : 0;
}

/* A device from a profile trace: its latencies and its load. */
static int device_from_trace(struct restack_device *dev, const char *path,
			     const char *what, struct restack_err *err)
{
	struct restack_report *rep = calloc(1, sizeof(*rep));
	int r;

	if (!rep)
		return restack_err_set(err, -ENOMEM, "out of memory");
	r = profile_trace(path, rep, NULL, NULL, err);
	if (r) {
		restack_err_prefix(err, r, "%s", what);
		goto out;
	}
	if (!rep->all.lat_max[RESTACK_LAT_READ] &&
	    !rep->all.lat_max[RESTACK_LAT_WRITE]) {
		r = restack_err_set(err, -EINVAL,
				    "%s %s: the trace has no latencies", what, path);
		goto out;
	}
	restack_ldist_from_hist(&dev->read, rep->all.lat[RESTACK_LAT_READ]);
	restack_ldist_from_hist(&dev->write, rep->all.lat[RESTACK_LAT_WRITE]);
	/* a profile without writes (or reads) borrows the other op */
	if (!(dev->read.total > 0))
		dev->read = dev->write;
	if (!(dev->write.total > 0))
		dev->write = dev->read;
	dev->measured_iops = scope_data_iops(&rep->all, DM_RESTACK_OP_READ) +
			     scope_data_iops(&rep->all, DM_RESTACK_OP_WRITE);
out:
	restack_report_release(rep);
	free(rep);
	return r;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int restack_device_calibrate_region(struct restack_device *dev,
				    const char *path, uint64_t offset,
				    uint64_t len, unsigned int n,
				    struct restack_err *err)
{
	uint64_t hist[RESTACK_REP_LAT_BUCKETS] = { 0 };
	uint64_t size = 0, blocks, x = 0x9e3779b97f4a7c15ULL, t0, start;
	unsigned int done = 0;
	void *buf = NULL;
	struct stat st;
	int fd, r = 0;

	/* O_RDONLY: calibration must never write to a device */
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return restack_err_set(err, -errno, "%s: open (read-only, O_DIRECT): %s",
				       path, strerror(errno));
	if (fstat(fd, &st)) {
		r = restack_err_set(err, -errno, "%s: stat: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size)) {
			r = restack_err_set(err, -errno, "%s: BLKGETSIZE64: %s",
					    path, strerror(errno));
			goto out;
		}
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else {
		r = restack_err_set(err, -EINVAL,
				    "%s: neither a block device nor a regular file", path);
		goto out;
	}
	if (offset > size || (len && len > size - offset)) {
		r = restack_err_set(err, -EINVAL,
				    "%s: calibration region %llu+%llu lies beyond its %llu bytes",
				    path, (unsigned long long)offset,
				    (unsigned long long)len, (unsigned long long)size);
		goto out;
	}
	if (!len)
		len = size - offset;
	blocks = len / RESTACK_CALIB_BYTES;
	if (!blocks) {
		r = restack_err_set(err, -EINVAL, "%s: calibration region smaller than %u bytes",
				    path, RESTACK_CALIB_BYTES);
		goto out;
	}
	if (posix_memalign(&buf, RESTACK_CALIB_BYTES, RESTACK_CALIB_BYTES)) {
		r = restack_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	start = mono_ns();
	while (done < n && mono_ns() - start < RESTACK_CALIB_MAX_NS) {
		ssize_t got;

		/* xorshift64: random offsets, the same on every run */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		t0 = mono_ns();
		got = pread(fd, buf, RESTACK_CALIB_BYTES,
			    (off_t)(offset + (x % blocks) * RESTACK_CALIB_BYTES));
		if (got != (ssize_t)RESTACK_CALIB_BYTES) {
			r = restack_err_set(err, got < 0 ? -errno : -EIO,
					    "%s: read at %llu: %s", path,
					    (unsigned long long)(offset + (x % blocks) *
								 RESTACK_CALIB_BYTES),
					    got < 0 ? strerror(errno) : "short read");
			goto out;
		}
		hist[restack_lat_bucket(mono_ns() - t0)]++;
		done++;
	}
	restack_ldist_from_hist(&dev->read, hist);
	dev->write = dev->read;
	dev->iops = 0;
	dev->measured_iops = 0;
	snprintf(dev->source_buf, sizeof(dev->source_buf),
		 "calibration of %s (%u random %u-byte O_DIRECT reads at queue depth 1; writes not measured, taken as reads)",
		 path, done, RESTACK_CALIB_BYTES);
	dev->source = dev->source_buf;
out:
	free(buf);
	close(fd);
	return r;
}

int restack_device_calibrate(struct restack_device *dev, const char *path,
			     unsigned int n, struct restack_err *err)
{
	return restack_device_calibrate_region(dev, path, 0, 0, n, err);
}

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

int restack_recommend_opts(const char *trace,
			   const struct restack_sla_volume *sla,
			   const struct restack_recommend_opts *opts,
			   struct restack_recommendation *rec,
			   struct restack_err *err)
{
	struct restack_sim_result *warm = NULL;
	bool warming = opts->warmup_ns > 0, started = false;
	uint64_t t0 = 0;
	struct restack_simset *sets[MAX_BLOCKS] = { NULL };
	struct restack_trace_reader *rd = NULL;
	const struct dm_restack_trace_header *h;
	struct restack_report *rep = NULL;
	struct dm_restack_trace_record r0;
	struct sim_ref *refs = NULL;
	unsigned int nrefs = 0, caprefs = 0, b, i, nc;
	double inflight = 0, ndata = 0, lat_sum = 0, dur;
	int r;

	memset(rec, 0, sizeof(*rec));
	rec->sla = sla;
	rec->trace = trace;
	rec->chosen = -1;
	rec->closest = -1;
	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return restack_err_set(err, -ENOMEM, "out of memory");
	r = restack_trace_open(trace, &rd, err);
	if (r)
		goto out;
	h = restack_trace_header(rd);
	{
		struct restack_report_params p = {
			.trace_threshold = h->sample_threshold,
			.trace_block_sectors = h->sample_block_sectors,
		};

		r = restack_report_init(rep, &p, err);
		if (r)
			goto out;
	}
	/* one simset per block size, every configuration and size in it */
	for (b = 0; b < sla->nblock_sizes; b++) {
		uint32_t block = sla->block_sizes[b];
		uint64_t sizes[RESTACK_SLA_LIST_MAX];
		unsigned int nsizes, z, k, m, pr, sq;

		if (h->sample_threshold < DM_RESTACK_SAMPLE_MODULUS &&
		    block != h->sample_block_sectors * 512)
			continue;	/* sampled traces fix the block size */
		r = restack_simset_create(block, h->sample_threshold,
					  h->sample_block_sectors, false,
					  &sets[b], err);
		if (r)
			goto out;
		default_sizes(sla, block, sizes, &nsizes);
		for (z = 0; z < nsizes; z++)
			for (m = 0; m < 2; m++) {
				bool wa = m == 1;

				if (wa && !(sla->modes & (1u << RS_MODE_WA)))
					continue;
				if (!wa && !(sla->modes & ((1u << RS_MODE_WT) |
							   (1u << RS_MODE_WB))))
					continue;
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
							uint64_t blocks = sizes[z] / block;
							struct sim_ref *sr;
							int idx;

							idx = restack_simset_add(sets[b], &cfg, blocks,
										 restack_sim_threshold(blocks,
												       sla->sample_rate,
												       RESTACK_SIM_MIN_SLOTS),
										 err);
							if (idx < 0) {
								r = idx;
								goto out;
							}
							if (nrefs == caprefs) {
								struct sim_ref *nr;

								caprefs = caprefs ? caprefs * 2 : 256;
								nr = realloc(refs, caprefs * sizeof(*nr));
								if (!nr) {
									r = restack_err_set(err, -ENOMEM,
											    "out of memory");
									goto out;
								}
								refs = nr;
							}
							sr = &refs[nrefs++];
							memset(sr, 0, sizeof(*sr));
							sr->set = b;
							sr->idx = idx;
							sr->wa = wa;
							sr->base.cache = true;
							sr->base.kind = k;
							sr->base.block_bytes = block;
							sr->base.promote_hits = cfg.promote_hits;
							sr->base.seq_cutoff = cfg.seq_cutoff;
							sr->base.cache_bytes = sizes[z];
						}
				}
			}
	}
	if (!nrefs) {
		r = restack_err_set(err, -EINVAL,
				    "no candidate cache: max_cache_bytes %llu is below 16 blocks of every block size%s",
				    (unsigned long long)sla->max_cache_bytes,
				    h->sample_threshold < DM_RESTACK_SAMPLE_MODULUS ?
				    " (a sampled trace allows only its sampling block size)" : "");
		goto out;
	}

	if (warming) {
		warm = calloc(nrefs, sizeof(*warm));
		if (!warm) {
			r = restack_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}

	/* one pass over the trace */
	while ((r = restack_trace_next(rd, &r0, err)) == 1) {
		if (warming && restack_rec_is_data(&r0)) {
			if (!started) {
				t0 = r0.ts_ns;
				started = true;
			}
			if (r0.ts_ns >= t0 && r0.ts_ns - t0 >= opts->warmup_ns) {
				/* the measured window starts: snapshot the counts */
				warming = false;
				for (i = 0; i < nrefs; i++)
					restack_simset_result(sets[refs[i].set],
							      (unsigned int)refs[i].idx,
							      &warm[i]);
				rec->warmup_s = (double)(r0.ts_ns - t0) / 1e9;
			}
		}
		if (warming) {
			rec->warmup_records++;
			for (b = 0; b < sla->nblock_sizes; b++)
				if (sets[b])
					restack_simset_record(sets[b], &r0);
			continue;
		}
		if (restack_report_record(rep, &r0)) {
			r = restack_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		if (restack_rec_is_data(&r0)) {
			inflight += r0.inflight;
			lat_sum += (double)r0.latency_ns;
			ndata++;
		}
		for (b = 0; b < sla->nblock_sizes; b++)
			if (sets[b])
				restack_simset_record(sets[b], &r0);
	}
	if (r < 0)
		goto out;
	if (opts->warmup_ns > 0 && warming) {
		r = restack_err_set(err, -EINVAL,
				    "%s: the warm-up of %.3f s covers the whole trace",
				    trace, (double)opts->warmup_ns / 1e9);
		goto out;
	}
	restack_report_finish(rep);
	rec->records = rep->all.records;
	if (!(ndata > 0)) {
		r = restack_err_set(err, -ENODATA, "%s: no read or write requests",
				    trace);
		goto out;
	}

	/* the workload */
	dur = restack_rep_duration(&rep->all) / 1e9;
	rec->workload.duration_s = dur;
	rec->workload.read_iops = scope_data_iops(&rep->all, DM_RESTACK_OP_READ);
	rec->workload.write_iops = scope_data_iops(&rep->all, DM_RESTACK_OP_WRITE);
	rec->workload.queue_depth = sla->queue_depth ? sla->queue_depth :
				    restack_concurrency(lat_sum, dur, inflight, ndata);
	rec->workload.wss_bytes = restack_rep_wss_blocks(&rep->all) * rep->block_bytes;
	rec->workload.read_bytes = rep->all.ops[DM_RESTACK_OP_READ] > 0 ?
		rep->all.bytes[DM_RESTACK_OP_READ] / rep->all.ops[DM_RESTACK_OP_READ] : 0;
	rec->workload.write_bytes = rep->all.ops[DM_RESTACK_OP_WRITE] > 0 ?
		rep->all.bytes[DM_RESTACK_OP_WRITE] / rep->all.ops[DM_RESTACK_OP_WRITE] : 0;
	if (!(dur > 0)) {
		r = restack_err_set(err, -EINVAL,
				    "%s: the trace spans no time, so its rates are unknown",
				    trace);
		goto out;
	}

	/* the devices */
	if (sla->origin_profile) {
		r = device_from_trace(&rec->origin, sla->origin_profile,
				      "origin_profile", err);
		if (r)
			goto out;
		rec->origin.source = "origin_profile";
	} else if (sla->origin_read.median_us) {
		restack_ldist_lognormal(&rec->origin.read, sla->origin_read.median_us,
					sla->origin_read.p99_us);
		restack_ldist_lognormal(&rec->origin.write, sla->origin_write.median_us,
					sla->origin_write.p99_us);
		rec->origin.source = "SLA file";
	} else {
		if (!rep->all.lat_max[RESTACK_LAT_READ] &&
		    !rep->all.lat_max[RESTACK_LAT_WRITE]) {
			r = restack_err_set(err, -EINVAL,
					    "%s has no latencies: give origin_profile or origin_read_us and origin_write_us in [volume %s]",
					    trace, sla->name);
			goto out;
		}
		restack_ldist_from_hist(&rec->origin.read, rep->all.lat[RESTACK_LAT_READ]);
		restack_ldist_from_hist(&rec->origin.write, rep->all.lat[RESTACK_LAT_WRITE]);
		if (!(rec->origin.read.total > 0))
			rec->origin.read = rec->origin.write;
		if (!(rec->origin.write.total > 0))
			rec->origin.write = rec->origin.read;
		rec->origin.measured_iops = rec->workload.read_iops +
					    rec->workload.write_iops;
		rec->origin.source = "the trace";
	}
	rec->origin.iops = sla->origin_iops;
	if (sla->fast_profile) {
		r = device_from_trace(&rec->fast, sla->fast_profile, "fast_profile",
				      err);
		if (r)
			goto out;
		rec->fast.source = "fast_profile";
	} else if (sla->fast_read.median_us) {
		restack_ldist_lognormal(&rec->fast.read, sla->fast_read.median_us,
					sla->fast_read.p99_us);
		restack_ldist_lognormal(&rec->fast.write, sla->fast_write.median_us,
					sla->fast_write.p99_us);
		rec->fast.source = "SLA file";
	} else {
		/* the minimal SLA file: measure fast_device, reading only */
		r = restack_device_calibrate(&rec->fast, sla->fast_device,
					     RESTACK_CALIB_READS, err);
		if (r) {
			restack_err_prefix(err, r,
					   "[volume %s]: the fast device's latency is unknown: give fast_profile, or fast_read_us and fast_write_us, or a readable fast_device to calibrate",
					   sla->name);
			goto out;
		}
	}
	rec->fast.iops = sla->fast_iops;

	/* candidates: detached, then each simulation in its modes */
	rec->cands = calloc(1 + 2 * (size_t)nrefs, sizeof(*rec->cands));
	if (!rec->cands) {
		r = restack_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	nc = 0;
	rec->cands[nc].cache = false;
	restack_model_predict(&rec->cands[nc++], &rec->workload, &rec->origin,
			      &rec->fast, sla);
	for (i = 0; i < nrefs; i++) {
		struct restack_sim_result res;
		static const enum rs_cache_mode content_wb[] = { RS_MODE_WT, RS_MODE_WB };
		unsigned int m;

		restack_simset_result(sets[refs[i].set], (unsigned int)refs[i].idx, &res);
		if (warm)
			sim_result_sub(&res, &warm[i]);
		for (m = 0; m < 2; m++) {
			enum rs_cache_mode mode = refs[i].wa ? RS_MODE_WA : content_wb[m];
			struct restack_candidate *c;

			if (refs[i].wa && m)
				break;
			if (!(sla->modes & (1u << mode)))
				continue;
			c = &rec->cands[nc++];
			*c = refs[i].base;
			c->mode = mode;
			c->read_hit = res.read_refs > 0 ? res.read_hits / res.read_refs : 0;
			c->write_cached = res.write_refs > 0 ?
				(res.write_hits + res.write_fills) / res.write_refs : 0;
			c->fill_per_read = res.read_refs > 0 ?
				res.read_fills / res.read_refs : 0;
			c->wfill_per_write = res.write_refs > 0 ?
				res.write_fills / res.write_refs : 0;
			c->writeback_per_write = mode == RS_MODE_WB && res.write_refs > 0 ?
				res.writebacks / res.write_refs : 0;
			restack_model_predict(c, &rec->workload, &rec->origin,
					      &rec->fast, sla);
		}
	}
	rec->n = nc;
	qsort(rec->cands, nc, sizeof(*rec->cands), cand_qsort_cmp);
	for (i = 0; i < nc; i++) {
		if (rec->chosen < 0 && rec->cands[i].feasible)
			rec->chosen = (int)i;
		if (rec->closest < 0 ||
		    rec->cands[i].worst < rec->cands[rec->closest].worst)
			rec->closest = (int)i;
	}
	r = 0;
out:
	for (b = 0; b < MAX_BLOCKS; b++)
		restack_simset_destroy(sets[b]);
	free(warm);
	free(refs);
	restack_report_release(rep);
	free(rep);
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

/* ---------------------------------------------------------------- */
/* output                                                            */
/* ---------------------------------------------------------------- */

static void fmt_size(char *buf, size_t len, double b)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;

	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.2f %s" : "%.0f %s", b, u[i]);
}

static void fmt_us(char *buf, size_t len, double ns)
{
	if (isnan(ns))
		snprintf(buf, len, "-");
	else if (ns < 1e6)
		snprintf(buf, len, "%.0fus", ns / 1e3);
	else
		snprintf(buf, len, "%.2fms", ns / 1e6);
}

static void cand_label(const struct restack_candidate *c, char *buf, size_t len)
{
	char sz[32], bs[32], sq[32];

	if (!c->cache) {
		snprintf(buf, len, "detached (no cache)");
		return;
	}
	fmt_size(sz, sizeof(sz), (double)c->cache_bytes);
	fmt_size(bs, sizeof(bs), c->block_bytes);
	fmt_size(sq, sizeof(sq), (double)c->seq_cutoff);
	snprintf(buf, len, "%s %s %s blocks %s promote %u seq %s", sz,
		 rs_cache_mode_name(c->mode), rs_repl_name(c->kind), bs,
		 c->promote_hits, c->seq_cutoff ? sq : "off");
}

static void print_predicted(FILE *out, const struct restack_candidate *c,
			    const struct restack_workload *w)
{
	char a[4][16];
	unsigned int p;

	if (c->cache)
		fprintf(out, "predicted  read hit ratio %.3f, writes cached %.3f\n",
			c->read_hit, c->mode == RS_MODE_WA ? 0 : c->write_cached);
	if (w->read_iops > 0) {
		for (p = 0; p < RESTACK_NR_PCT; p++)
			fmt_us(a[p], sizeof(a[p]), c->read_ns[p]);
		fprintf(out, "           read  p50 %s p90 %s p99 %s p99.9 %s\n",
			a[0], a[1], a[2], a[3]);
	}
	if (w->write_iops > 0) {
		for (p = 0; p < RESTACK_NR_PCT; p++)
			fmt_us(a[p], sizeof(a[p]), c->write_ns[p]);
		fprintf(out, "           write p50 %s p90 %s p99 %s p99.9 %s\n",
			a[0], a[1], a[2], a[3]);
	}
	fprintf(out, "           %.0f IOPS at queue depth %.1f; origin %.0f IOPS",
		c->iops, w->queue_depth, c->origin_load);
	if (c->origin_util > 0)
		fprintf(out, " (%.0f%% busy)", 100 * c->origin_util);
	if (c->cache) {
		fprintf(out, ", fast device %.0f IOPS", c->fast_load);
		if (c->fast_util > 0)
			fprintf(out, " (%.0f%% busy)", 100 * c->fast_util);
	}
	if (c->writeback_util > 1)
		fprintf(out, "; bound by write-back (%.1fx what the origin absorbs)",
			c->writeback_util);
	fputc('\n', out);
}

int restack_recommend_print_text(FILE *out,
				 const struct restack_recommendation *rec)
{
	const struct restack_sla_volume *sla = rec->sla;
	const struct restack_workload *w = &rec->workload;
	const struct restack_candidate *c;
	char buf[512], sz[32], lab[160];
	bool any = false;
	unsigned int p, i;
	uint64_t shown_size = UINT64_MAX;
	int sel;

	fmt_size(sz, sizeof(sz), w->wss_bytes);
	fprintf(out, "recommend  %s for [volume %s]\n", rec->trace, sla->name);
	fprintf(out, "workload   %llu requests over %.3f s: %.1f read and %.1f write IOPS, queue depth %.1f, working set %s\n",
		(unsigned long long)rec->records, w->duration_s, w->read_iops,
		w->write_iops, w->queue_depth, sz);
	if (rec->warmup_records)
		fprintf(out, "warm-up    the first %llu records (%.3f s) filled the simulated caches, not counted\n",
			(unsigned long long)rec->warmup_records, rec->warmup_s);
	fprintf(out, "devices    origin latencies from %s, fast device from %s\n",
		rec->origin.source, rec->fast.source);
	fputs("targets   ", out);
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		if (sla->read_us[p] > 0) {
			fprintf(out, "%s read %s <= %.0fus", any ? "," : "",
				restack_sla_pct_name[p], sla->read_us[p]);
			any = true;
		}
		if (sla->write_us[p] > 0) {
			fprintf(out, "%s write %s <= %.0fus", any ? "," : "",
				restack_sla_pct_name[p], sla->write_us[p]);
			any = true;
		}
	}
	if (sla->min_iops > 0)
		fprintf(out, "%s IOPS >= %.0f", any ? "," : "", sla->min_iops);
	fputc('\n', out);

	sel = rec->chosen >= 0 ? rec->chosen : rec->closest;
	c = &rec->cands[sel];
	if (rec->chosen < 0)
		fprintf(out, "verdict    no candidate stack meets the SLA (%u evaluated); the closest:\n",
			rec->n);
	restack_candidate_attach(c, sla->fast_device, buf, sizeof(buf));
	if (!c->cache) {
		fprintf(out, "stack      detached: the origin alone %s (restack detach %s)\n",
			rec->chosen >= 0 ? "meets the SLA" : "comes closest",
			sla->name);
	} else {
		fmt_size(sz, sizeof(sz), (double)c->cache_bytes);
		fprintf(out, "stack      attach %s\n", buf);
		fprintf(out, "           on a fast device of %s (%llu bytes): restack attach %s %s\n",
			sz, (unsigned long long)c->cache_bytes, sla->name, buf);
	}
	print_predicted(out, c, w);
	if (rec->chosen < 0) {
		fprintf(out, "short of   %s\n", c->reason);
		return ferror(out) ? -EIO : 0;
	}
	/* cheaper stacks: the best of each cheaper size, and why it fails */
	for (i = 0; i < (unsigned int)rec->chosen; i++) {
		uint64_t size = rec->cands[i].cache ? rec->cands[i].cache_bytes : 0;
		unsigned int j, best = i;

		if (size == shown_size)
			continue;
		shown_size = size;
		for (j = i; j < (unsigned int)rec->chosen; j++) {
			uint64_t sj = rec->cands[j].cache ? rec->cands[j].cache_bytes : 0;

			if (sj != size)
				break;
			if (rec->cands[j].worst < rec->cands[best].worst)
				best = j;
		}
		if (i == 0)
			fprintf(out, "rejected   %u cheaper candidates; the best of each size:\n",
				(unsigned int)rec->chosen);
		cand_label(&rec->cands[best], lab, sizeof(lab));
		fprintf(out, "           %-56s %s\n", lab, rec->cands[best].reason);
	}
	return ferror(out) ? -EIO : 0;
}

static void jnum(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, "%.6g", v);
	else
		fputs("null", out);
}

static void json_cand(FILE *out, const struct restack_candidate *c,
		      const char *fast_device)
{
	char buf[512];
	unsigned int p;

	restack_candidate_attach(c, fast_device, buf, sizeof(buf));
	fputs("{\"attach\":", out);
	restack_json_string(out, buf);
	fprintf(out, ",\"cache\":%s", c->cache ? "true" : "false");
	if (c->cache) {
		fprintf(out, ",\"cache_bytes\":%llu,\"mode\":\"%s\",\"replacement\":\"%s\","
			"\"block_size\":%u,\"promote_hits\":%u,\"seq_cutoff\":%llu,"
			"\"read_hit_ratio\":",
			(unsigned long long)c->cache_bytes, rs_cache_mode_name(c->mode),
			rs_repl_name(c->kind), c->block_bytes, c->promote_hits,
			(unsigned long long)c->seq_cutoff);
		jnum(out, c->read_hit);
		fputs(",\"writes_cached\":", out);
		jnum(out, c->mode == RS_MODE_WA ? 0 : c->write_cached);
	}
	fputs(",\"read_us\":{", out);
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		fprintf(out, "%s\"%s\":", p ? "," : "", restack_sla_pct_name[p]);
		jnum(out, c->read_ns[p] / 1e3);
	}
	fputs("},\"write_us\":{", out);
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		fprintf(out, "%s\"%s\":", p ? "," : "", restack_sla_pct_name[p]);
		jnum(out, c->write_ns[p] / 1e3);
	}
	fputs("},\"iops\":", out);
	jnum(out, c->iops);
	fputs(",\"origin_iops\":", out);
	jnum(out, c->origin_load);
	fputs(",\"fast_iops\":", out);
	jnum(out, c->fast_load);
	if (c->cache && c->mode == RS_MODE_WB) {
		fputs(",\"writebacks_per_write\":", out);
		jnum(out, c->writeback_per_write);
		fputs(",\"writeback_util\":", out);
		jnum(out, c->writeback_util);
	}
	fprintf(out, ",\"meets_sla\":%s,\"worst_ratio\":", c->feasible ? "true" : "false");
	jnum(out, c->worst);
	fputs(",\"reason\":", out);
	restack_json_string(out, c->reason);
	fputc('}', out);
}

static int print_json(FILE *out, const struct restack_recommendation *rec,
		      bool all);

int restack_recommend_print_json(FILE *out,
				 const struct restack_recommendation *rec)
{
	return print_json(out, rec, false);
}

int restack_recommend_print_json_all(FILE *out,
				     const struct restack_recommendation *rec)
{
	return print_json(out, rec, true);
}

int restack_recommend_print_all(FILE *out,
				const struct restack_recommendation *rec)
{
	char lab[160], a[4][16];
	unsigned int i;

	fprintf(out, "all        %u candidates, cheapest first:\n", rec->n);
	fprintf(out, "%-56s %6s %8s %8s %8s %8s %8s %s\n", "candidate", "hit",
		"rd_p50", "rd_p99", "wr_p50", "wr_p99", "IOPS", "verdict");
	for (i = 0; i < rec->n; i++) {
		const struct restack_candidate *c = &rec->cands[i];

		cand_label(c, lab, sizeof(lab));
		fmt_us(a[0], sizeof(a[0]), rec->workload.read_iops > 0 ? c->read_ns[0] : NAN);
		fmt_us(a[1], sizeof(a[1]), rec->workload.read_iops > 0 ? c->read_ns[2] : NAN);
		fmt_us(a[2], sizeof(a[2]), rec->workload.write_iops > 0 ? c->write_ns[0] : NAN);
		fmt_us(a[3], sizeof(a[3]), rec->workload.write_iops > 0 ? c->write_ns[2] : NAN);
		fprintf(out, "%-56s %6.3f %8s %8s %8s %8s %8.0f %s\n", lab,
			c->cache ? c->read_hit : 0, a[0], a[1], a[2], a[3], c->iops,
			c->feasible ? "meets" : c->reason);
	}
	return ferror(out) ? -EIO : 0;
}

static int print_json(FILE *out, const struct restack_recommendation *rec,
		      bool all)
{
	const struct restack_workload *w = &rec->workload;
	int sel = rec->chosen >= 0 ? rec->chosen : rec->closest;
	unsigned int i;

	fputs("{\"trace\":", out);
	restack_json_string(out, rec->trace);
	fputs(",\"volume\":", out);
	restack_json_string(out, rec->sla->name);
	fputs(",\"workload\":{\"read_iops\":", out);
	jnum(out, w->read_iops);
	fputs(",\"write_iops\":", out);
	jnum(out, w->write_iops);
	fputs(",\"queue_depth\":", out);
	jnum(out, w->queue_depth);
	fputs(",\"working_set_bytes\":", out);
	jnum(out, w->wss_bytes);
	fputs(",\"duration_s\":", out);
	jnum(out, w->duration_s);
	fprintf(out, ",\"records\":%llu,\"warmup_records\":%llu,\"warmup_s\":",
		(unsigned long long)rec->records,
		(unsigned long long)rec->warmup_records);
	jnum(out, rec->warmup_s);
	fprintf(out, "},\"candidates\":%u,\"meets_sla\":%s,\"recommended\":",
		rec->n, rec->chosen >= 0 ? "true" : "false");
	if (rec->chosen >= 0)
		json_cand(out, &rec->cands[sel], rec->sla->fast_device);
	else
		fputs("null", out);
	fputs(",\"closest\":", out);
	json_cand(out, &rec->cands[sel], rec->sla->fast_device);
	fputs(",\"rejected_cheaper\":[", out);
	for (i = 0; rec->chosen >= 0 && i < (unsigned int)rec->chosen; i++) {
		if (i)
			fputc(',', out);
		json_cand(out, &rec->cands[i], rec->sla->fast_device);
	}
	fputc(']', out);
	if (all) {
		fputs(",\"all\":[", out);
		for (i = 0; i < rec->n; i++) {
			if (i)
				fputc(',', out);
			json_cand(out, &rec->cands[i], rec->sla->fast_device);
		}
		fputc(']', out);
	}
	fputs("}\n", out);
	return ferror(out) ? -EIO : 0;
}
