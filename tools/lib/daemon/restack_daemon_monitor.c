// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_daemon_monitor.c - measuring volumes: dm-stats regions with a
 * latency histogram (libdevmapper's dm_stats_* API), per-window deltas,
 * percentiles, and judging a window against the SLA.
 *
 * dm-stats keeps ONE histogram per region for reads and writes together
 * (the kernel has no per-direction histogram).  The window's read and
 * write percentiles are therefore both taken from it, for the kinds that
 * had I/O in the window: exact for a read-only or write-only window, the
 * mixture otherwise.  Documentation/daemon.rst says so.
 */
#include <errno.h>
#include <libdevmapper.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/restack_daemon.h"
#include "daemon/restack_daemon_kernel.h"

/* Histogram bounds: 20 us * 1.25^k up to 5 s. */
#define HIST_FIRST_NS	20000.0
#define HIST_RATIO	1.25
#define HIST_MAX_NS	5e9
#define HIST_MAX_BINS	64

double restack_hist_quantile(const double *bounds, const uint64_t *counts,
			     unsigned int nbins, double q)
{
	double total = 0, want, acc = 0;
	unsigned int i;

	for (i = 0; i < nbins; i++)
		total += (double)counts[i];
	if (!(total > 0))
		return NAN;
	want = q * total;
	for (i = 0; i < nbins; i++) {
		double c = (double)counts[i], lo, hi;

		if (acc + c < want || c == 0) {
			acc += c;
			continue;
		}
		lo = i ? bounds[i - 1] : 0;
		if (i == nbins - 1)
			return lo;	/* open-ended: its lower bound */
		hi = bounds[i];
		return lo + (hi - lo) * (want - acc) / c;
	}
	return nbins > 1 ? bounds[nbins - 2] : 0;
}

int restack_daemon_judge(const struct restack_sla_volume *sla,
			 const struct restack_window *w, char *why, size_t len)
{
	unsigned int p;

	if (why && len)
		why[0] = '\0';
	if (!w->reads && !w->writes)
		return -1;
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		if (sla->read_us[p] > 0 && w->reads &&
		    w->read_us[p] > sla->read_us[p]) {
			if (why)
				snprintf(why, len, "read %s %.0f us > %.0f us",
					 restack_sla_pct_name[p], w->read_us[p],
					 sla->read_us[p]);
			return 0;
		}
		if (sla->write_us[p] > 0 && w->writes &&
		    w->write_us[p] > sla->write_us[p]) {
			if (why)
				snprintf(why, len, "write %s %.0f us > %.0f us",
					 restack_sla_pct_name[p], w->write_us[p],
					 sla->write_us[p]);
			return 0;
		}
	}
	if (sla->min_iops > 0 && w->iops < sla->min_iops) {
		if (why)
			snprintf(why, len, "%.0f IOPS < %.0f", w->iops, sla->min_iops);
		return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- */
/* dm-stats                                                          */
/* ---------------------------------------------------------------- */

struct restack_dstats {
	char dev[RESTACK_VOLUME_NAME_MAX + 1];
	struct dm_stats *dms;
	uint64_t region;
	unsigned int nbins;
	double bounds_us[HIST_MAX_BINS];
	double prev_t;			/* of the previous read */
	struct restack_dstats *next;
};

static struct restack_dstats *dstats_list;

static struct restack_dstats *dstats_find(const char *dev)
{
	struct restack_dstats *s;

	for (s = dstats_list; s; s = s->next)
		if (!strcmp(s->dev, dev))
			return s;
	return NULL;
}

/* Delete every region of ours a previous daemon left on @dms's device. */
static void dstats_delete_ours(struct dm_stats *dms)
{
	uint64_t id, nr, seen = 0;

	if (!dm_stats_list(dms, RESTACK_DAEMON_STATS_PROGRAM))
		return;
	nr = dm_stats_get_nr_regions(dms);
	/* region ids are small and dense; stop once all were seen */
	for (id = 0; id < 4096 && seen < nr; id++) {
		const char *prog;

		if (!dm_stats_region_present(dms, id))
			continue;
		seen++;
		prog = dm_stats_get_region_program_id(dms, id);
		if (prog && !strcmp(prog, RESTACK_DAEMON_STATS_PROGRAM))
			dm_stats_delete_region(dms, id);
	}
}

static int dstats_read_raw(struct restack_dstats *s, uint64_t *counts,
			   uint64_t *reads, uint64_t *writes, uint64_t *rns,
			   uint64_t *wns, struct restack_err *err)
{
	struct dm_histogram *h;
	unsigned int i, n;

	/*
	 * populate() of one region needs the handle's region table (a
	 * list), and it reads with @stats_print_clear: every read returns
	 * the counts since the previous one, i.e. exactly one window.
	 */
	if (!dm_stats_list(s->dms, RESTACK_DAEMON_STATS_PROGRAM) ||
	    !dm_stats_region_present(s->dms, s->region))
		return restack_err_set(err, -EIO,
				       "%s: the dm-stats region %llu is gone",
				       s->dev, (unsigned long long)s->region);
	if (!dm_stats_populate(s->dms, RESTACK_DAEMON_STATS_PROGRAM, s->region))
		return restack_err_set(err, -EIO,
				       "%s: reading the dm-stats region failed",
				       s->dev);
	h = dm_stats_get_histogram(s->dms, s->region, 0);
	if (!h)
		return restack_err_set(err, -EIO, "%s: dm-stats region has no histogram",
				       s->dev);
	n = (unsigned int)dm_histogram_get_nr_bins(h);
	if (n > HIST_MAX_BINS)
		n = HIST_MAX_BINS;
	s->nbins = n;
	for (i = 0; i < n; i++) {
		counts[i] = dm_histogram_get_bin_count(h, (int)i);
		if (i + 1 < n)
			s->bounds_us[i] = dm_histogram_get_bin_upper(h, (int)i) / 1000.0;
	}
	*reads = dm_stats_get_reads(s->dms, s->region, 0);
	*writes = dm_stats_get_writes(s->dms, s->region, 0);
	*rns = dm_stats_get_read_nsecs(s->dms, s->region, 0);
	*wns = dm_stats_get_write_nsecs(s->dms, s->region, 0);
	return 0;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int restack_dstats_start(const char *dev, struct restack_err *err)
{
	uint64_t bounds[HIST_MAX_BINS + 1], counts[HIST_MAX_BINS], r, w, rn, wn;
	struct dm_histogram *hb;
	struct restack_dstats *s;
	unsigned int n = 0;
	double b;
	int ret;

	if (dstats_find(dev))
		return 0;
	for (b = HIST_FIRST_NS; b <= HIST_MAX_NS && n < HIST_MAX_BINS - 1; b *= HIST_RATIO)
		bounds[n++] = (uint64_t)b;
	bounds[n] = 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return restack_err_set(err, -ENOMEM, "out of memory");
	snprintf(s->dev, sizeof(s->dev), "%s", dev);
	s->dms = dm_stats_create(RESTACK_DAEMON_STATS_PROGRAM);
	if (!s->dms) {
		free(s);
		return restack_err_set(err, -ENOMEM, "%s: dm_stats_create failed", dev);
	}
	if (!dm_stats_bind_name(s->dms, dev)) {
		ret = restack_err_set(err, -ENXIO, "%s: dm-stats cannot bind the device",
				      dev);
		goto fail;
	}
	dstats_delete_ours(s->dms);
	hb = dm_histogram_bounds_from_uint64(bounds);
	if (!hb) {
		ret = restack_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	ret = dm_stats_create_region(s->dms, &s->region, 0, 0, -1, 1, hb,
				     RESTACK_DAEMON_STATS_PROGRAM, NULL);
	dm_free(hb);
	if (!ret) {
		ret = restack_err_set(err, -EIO,
				      "%s: creating a dm-stats region failed (is the device there?)",
				      dev);
		goto fail;
	}
	/* a first read clears the counters: windows start now */
	ret = dstats_read_raw(s, counts, &r, &w, &rn, &wn, err);
	if (ret) {
		dm_stats_delete_region(s->dms, s->region);
		goto fail;
	}
	s->prev_t = mono_now();
	s->next = dstats_list;
	dstats_list = s;
	return 0;
fail:
	dm_stats_destroy(s->dms);
	free(s);
	return ret;
}

int restack_dstats_read(const char *dev, struct restack_window *w,
			struct restack_err *err)
{
	struct restack_dstats *s = dstats_find(dev);
	uint64_t counts[HIST_MAX_BINS], delta[HIST_MAX_BINS], r, wr, rn, wn;
	unsigned int i, p;
	double t;
	int ret;

	if (!s)
		return restack_err_set(err, -EINVAL, "%s: no dm-stats region", dev);
	ret = dstats_read_raw(s, counts, &r, &wr, &rn, &wn, err);
	if (ret)
		return ret;
	t = mono_now();
	/* the read cleared the counters: they are this window's */
	for (i = 0; i < s->nbins; i++)
		delta[i] = counts[i];
	memset(w, 0, sizeof(*w));
	w->duration_s = t - s->prev_t;
	w->reads = r;
	w->writes = wr;
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		double v = restack_hist_quantile(s->bounds_us, delta, s->nbins,
						 restack_sla_pct_q[p]);

		w->read_us[p] = w->reads ? v : NAN;
		w->write_us[p] = w->writes ? v : NAN;
	}
	w->mean_us = w->reads + w->writes ?
		     ((double)rn + (double)wn) / 1000.0 /
		     (double)(w->reads + w->writes) : NAN;
	w->iops = w->duration_s > 0 ? (w->reads + w->writes) / w->duration_s : 0;
	s->prev_t = t;
	return 0;
}

void restack_dstats_stop(const char *dev)
{
	struct restack_dstats **pp, *s;

	for (pp = &dstats_list; (s = *pp); pp = &s->next)
		if (!strcmp(s->dev, dev)) {
			*pp = s->next;
			/* the device may be gone already: errors are moot */
			dm_stats_delete_region(s->dms, s->region);
			dm_stats_destroy(s->dms);
			free(s);
			return;
		}
}
