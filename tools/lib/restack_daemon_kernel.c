// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_daemon_kernel.c - the daemon's actions on the real kernel:
 * volume queries and creation, dm-linear carves of the fast device,
 * module loading (libkmod), messages, the profiling trace (a child
 * process running the collector), fast-device calibration and the
 * analyzer.  restack_daemon_real_ops ties them together with dm-stats.
 */
#define _GNU_SOURCE	/* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <libdevmapper.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "restack_collect.h"
#include "restack_daemon.h"
#include "restack_daemon_kernel.h"
#include "restack_model.h"
#include "restack_mrc.h"
#include "restack_trace.h"

static double real_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int real_dev_present(void *ctx, const char *path)
{
	struct stat st;

	(void)ctx;
	return stat(path, &st) == 0 && S_ISBLK(st.st_mode);
}

static int kv_u64(const struct restack_status *st, const char *key,
		  uint64_t *out)
{
	const char *v = restack_status_extra(st, key);

	if (!v)
		return 0;
	return restack_parse_u64(v, strlen(v), out) == 0;
}

int restack_daemon_kstate_parse(const char *status, const char *table,
				struct restack_vol_kstate *ks,
				struct restack_err *err)
{
	struct restack_table_status ts;
	struct restack_status st;
	const char *fs;
	size_t off = 0;
	unsigned int i;
	int r;

	memset(ks, 0, sizeof(*ks));
	r = restack_status_parse(status, &st, err);
	if (r)
		return r;
	r = restack_table_status_parse(table, &ts, err);
	if (r) {
		restack_status_release(&st);
		return r;
	}
	ks->mode = st.mode;
	ks->attached = ts.has_policy;
	if (ts.has_policy) {
		snprintf(ks->policy, sizeof(ks->policy), "%s", ts.policy);
		off = (size_t)snprintf(ks->stack, sizeof(ks->stack), "%s", ts.policy);
		for (i = 0; i < ts.argc && off < sizeof(ks->stack); i++)
			off += (size_t)snprintf(ks->stack + off, sizeof(ks->stack) - off,
						" %s", ts.argv[i]);
	}
	ks->has_cache = kv_u64(&st, "fast_errors", &ks->fast_errors);
	kv_u64(&st, "lost", &ks->lost);
	kv_u64(&st, "dirty", &ks->dirty);
	fs = restack_status_extra(&st, "fast_state");
	ks->fast_failed = fs && strcmp(fs, "ok") != 0;
	ks->has_fast_lat = kv_u64(&st, "fast_ios", &ks->fast_ios) &&
			   kv_u64(&st, "fast_lat_us", &ks->fast_lat_us);
	restack_status_release(&st);
	restack_table_status_release(&ts);
	return 0;
}

static int real_vol_query(void *ctx, const char *vol,
			  struct restack_vol_kstate *ks, struct restack_err *err)
{
	char *status = NULL, *table = NULL;
	int r;

	(void)ctx;
	r = restack_dm_status(vol, &status, err);
	if (!r)
		r = restack_dm_table(vol, NULL, &table, err);
	if (!r)
		r = restack_daemon_kstate_parse(status, table, ks, err);
	free(status);
	free(table);
	return r;
}

static int real_vol_create(void *ctx, const char *vol, const char *origin,
			   struct restack_err *err)
{
	struct restack_table_spec spec = { 0 };
	char *resolved;
	uint64_t size;
	int r;

	(void)ctx;
	resolved = realpath(origin, NULL);
	if (!resolved)
		return restack_err_set(err, -errno, "origin %s: %s", origin,
				       strerror(errno));
	r = restack_blockdev_sectors(resolved, &size, err);
	if (!r)
		r = restack_kmod_load(RESTACK_TARGET_MODULE, err) < 0 ? -EIO : 0;
	if (!r) {
		spec.origin = resolved;
		spec.size = size;
		r = restack_dm_create(vol, &spec, err);
	}
	free(resolved);
	return r;
}

/* ---------------------------------------------------------------- */
/* carves: plain dm-linear devices                                   */
/* ---------------------------------------------------------------- */

static int dm_simple(int type, const char *name, struct dm_task **out,
		     struct restack_err *err)
{
	struct dm_task *dmt = dm_task_create(type);

	if (!dmt)
		return restack_err_set(err, -ENOMEM, "%s: cannot create a dm task", name);
	if (!dm_task_set_name(dmt, name)) {
		dm_task_destroy(dmt);
		return restack_err_set(err, -EINVAL, "%s: bad device name", name);
	}
	*out = dmt;
	return 0;
}

static int real_carve_query(void *ctx, const char *name, uint64_t *sectors,
			    struct restack_err *err)
{
	uint64_t start = 0, len = 0;
	char *type = NULL, *params = NULL;
	struct dm_task *dmt;
	struct dm_info info;
	int r;

	(void)ctx;
	*sectors = 0;
	r = restack_dm_check(err);
	if (r)
		return r;
	r = dm_simple(DM_DEVICE_TABLE, name, &dmt, err);
	if (r)
		return r;
	if (!dm_task_run(dmt) || !dm_task_get_info(dmt, &info)) {
		int e = dm_task_get_errno(dmt);

		dm_task_destroy(dmt);
		if (e == ENXIO)
			return 0;
		return restack_err_set(err, e ? -e : -EIO, "%s: info failed", name);
	}
	if (info.exists) {
		dm_get_next_target(dmt, NULL, &start, &len, &type, &params);
		*sectors = len;
	}
	dm_task_destroy(dmt);
	return info.exists ? 1 : 0;
}

static int real_carve_create(void *ctx, const char *name, const char *fast_dev,
			     uint64_t offset, uint64_t sectors,
			     struct restack_err *err)
{
	char params[PATH_MAX + 32], *resolved;
	struct dm_task *dmt;
	int r;

	(void)ctx;
	resolved = realpath(fast_dev, NULL);
	if (!resolved)
		return restack_err_set(err, -errno, "fast device %s: %s", fast_dev,
				       strerror(errno));
	snprintf(params, sizeof(params), "%s %llu", resolved,
		 (unsigned long long)offset);
	free(resolved);
	r = restack_dm_check(err);
	if (r)
		return r;
	r = dm_simple(DM_DEVICE_CREATE, name, &dmt, err);
	if (r)
		return r;
	if (!dm_task_add_target(dmt, 0, sectors, "linear", params)) {
		dm_task_destroy(dmt);
		return restack_err_set(err, -ENOMEM, "%s: cannot add target", name);
	}
	if (!dm_task_run(dmt)) {
		int e = dm_task_get_errno(dmt);

		dm_task_destroy(dmt);
		return restack_err_set(err, e ? -e : -EIO,
				       "%s: creating the carve (linear %s, %llu sectors) failed: %s",
				       name, params, (unsigned long long)sectors,
				       e ? strerror(e) : "see the kernel log");
	}
	dm_task_update_nodes();
	dm_task_destroy(dmt);
	return 0;
}

static int real_carve_remove(void *ctx, const char *name, struct restack_err *err)
{
	struct dm_task *dmt;
	int r;

	(void)ctx;
	r = dm_simple(DM_DEVICE_REMOVE, name, &dmt, err);
	if (r)
		return r;
	dm_task_retry_remove(dmt);
	if (!dm_task_run(dmt)) {
		int e = dm_task_get_errno(dmt);

		dm_task_destroy(dmt);
		if (e == ENXIO)
			return 0;
		return restack_err_set(err, e ? -e : -EIO, "%s: remove failed: %s",
				       name, e ? strerror(e) : "see the kernel log");
	}
	dm_task_update_nodes();
	dm_task_destroy(dmt);
	return 0;
}

static int real_module_load(void *ctx, const char *module, struct restack_err *err)
{
	int r;

	(void)ctx;
	r = restack_kmod_load(module, err);
	return r < 0 ? r : 0;	/* 1: not found; the kernel's request_module tries */
}

static int real_message(void *ctx, const char *vol, const char *msg,
			struct restack_err *err)
{
	(void)ctx;
	return restack_dm_message(vol, msg, NULL, err);
}

static int real_stats_start(void *ctx, const char *dev, struct restack_err *err)
{
	(void)ctx;
	return restack_dstats_start(dev, err);
}

static int real_stats_read(void *ctx, const char *dev, struct restack_window *w,
			   struct restack_err *err)
{
	(void)ctx;
	return restack_dstats_read(dev, w, err);
}

static void real_stats_stop(void *ctx, const char *dev)
{
	(void)ctx;
	restack_dstats_stop(dev);
}

/* ---------------------------------------------------------------- */
/* profiling: the collector in a child process                       */
/* ---------------------------------------------------------------- */

struct profile_child {
	char vol[RESTACK_VOLUME_NAME_MAX + 1];
	pid_t pid;
	struct profile_child *next;
};

static struct profile_child *children;
static volatile sig_atomic_t child_stop;

static void child_on_term(int sig)
{
	(void)sig;
	child_stop = 1;
}

static struct profile_child *child_find(const char *vol)
{
	struct profile_child *c;

	for (c = children; c; c = c->next)
		if (!strcmp(c->vol, vol))
			return c;
	return NULL;
}

static int real_profile_start(void *ctx, const char *vol, double rate,
			      double seconds, const char *path,
			      struct restack_err *err)
{
	struct profile_child *c;
	double t = rate * DM_RESTACK_SAMPLE_MODULUS + 0.5;
	pid_t pid;

	(void)ctx;
	if (child_find(vol))
		return restack_err_set(err, -EBUSY, "%s: a profile is running", vol);
	c = calloc(1, sizeof(*c));
	if (!c)
		return restack_err_set(err, -ENOMEM, "out of memory");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		free(c);
		return restack_err_set(err, -errno, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		struct restack_collect_opts o = { 0 };
		struct restack_collect_stats st = { 0 };
		struct restack_err e = { "" };
		struct sigaction sa = { 0 };
		int r;

		sa.sa_handler = child_on_term;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		o.volume = vol;
		o.output = path;
		o.duration_ns = (uint64_t)(seconds * 1e9);
		o.sample_threshold = t < 1 ? 1 : t > DM_RESTACK_SAMPLE_MODULUS ?
				     DM_RESTACK_SAMPLE_MODULUS : (uint32_t)t;
		o.stop = &child_stop;
		r = restack_collect(&o, &st, &e);
		/* -EIO after a finished file: drops were accounted, usable */
		if (r && r != -EIO)
			fprintf(stderr, "restackd: %s: profile trace: %s\n", vol, e.msg);
		restack_collect_stats_release(&st);
		_exit(r && r != -EIO ? 1 : 0);
	}
	snprintf(c->vol, sizeof(c->vol), "%s", vol);
	c->pid = pid;
	c->next = children;
	children = c;
	return 0;
}

static void child_forget(struct profile_child *c)
{
	struct profile_child **pp;

	for (pp = &children; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			free(c);
			return;
		}
}

static int real_profile_poll(void *ctx, const char *vol, struct restack_err *err)
{
	struct profile_child *c = child_find(vol);
	int status;
	pid_t p;

	(void)ctx;
	if (!c)
		return restack_err_set(err, -ESRCH, "%s: no profile running", vol);
	p = waitpid(c->pid, &status, WNOHANG);
	if (p == 0)
		return 0;
	child_forget(c);
	if (p < 0)
		return restack_err_set(err, -ECHILD, "%s: lost the profile process", vol);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	return restack_err_set(err, -EIO,
			       "%s: the profile trace failed (exit status %d; see stderr)",
			       vol, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void real_profile_cancel(void *ctx, const char *vol)
{
	struct profile_child *c = child_find(vol);

	(void)ctx;
	if (!c)
		return;
	kill(c->pid, SIGTERM);
	waitpid(c->pid, NULL, 0);
	child_forget(c);
}

/* ---------------------------------------------------------------- */
/* calibration and the analyzer                                      */
/* ---------------------------------------------------------------- */

#define CALIBRATE_READS	256

/*
 * The fast device's latency, measured in the region the daemon carved
 * for this volume (read-only; the analyzer's calibration).
 */
static int real_calibrate(void *ctx, const char *dev, uint64_t offset,
			  uint64_t sectors, double *median_us, double *p99_us,
			  struct restack_err *err)
{
	struct restack_device d;
	int r;

	(void)ctx;
	memset(&d, 0, sizeof(d));
	r = restack_device_calibrate_region(&d, dev, offset * 512, sectors * 512,
					    CALIBRATE_READS, err);
	if (r)
		return r;
	*median_us = restack_ldist_quantile(&d.read, 0.5) / 1000;
	*p99_us = restack_ldist_quantile(&d.read, 0.99) / 1000;
	if (!(*median_us >= 1))
		*median_us = 1;
	if (!(*p99_us >= *median_us))
		*p99_us = *median_us;
	return 0;
}

int restack_daemon_write_mrc(const char *trace, const char *path,
			     struct restack_err *err)
{
	struct restack_trace_reader *rd = NULL;
	const struct dm_restack_trace_header *h;
	struct restack_mrc_params p = { .method = RESTACK_MRC_EXACT };
	struct dm_restack_trace_record rec;
	struct restack_mrc *m = NULL;
	uint64_t blocks[64];
	unsigned int i, n;
	FILE *f = NULL;
	int r;

	r = restack_trace_open(trace, &rd, err);
	if (r)
		return r;
	h = restack_trace_header(rd);
	p.trace_threshold = h->sample_threshold;
	p.trace_block_sectors = h->sample_block_sectors;
	p.block_bytes = h->sample_threshold < DM_RESTACK_SAMPLE_MODULUS ?
			h->sample_block_sectors * 512 : 4096;
	r = restack_mrc_create(&p, &m, err);
	if (r)
		goto out;
	while ((r = restack_trace_next(rd, &rec, err)) == 1)
		if (restack_mrc_record(m, &rec)) {
			r = restack_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	if (r < 0)
		goto out;
	f = fopen(path, "we");
	if (!f) {
		r = restack_err_set(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	fputs("cache_bytes,miss_ratio\n", f);
	if (restack_mrc_refs(m)) {
		n = restack_mrc_auto_sizes(restack_mrc_distinct(m), blocks, 64);
		for (i = 0; i < n; i++)
			fprintf(f, "%llu,%.6f\n",
				(unsigned long long)blocks[i] * p.block_bytes,
				restack_mrc_miss_ratio(m, blocks[i]));
	}
	if (fclose(f))
		r = restack_err_set(err, -EIO, "%s: write failed", path);
	else
		r = 0;
out:
	restack_mrc_destroy(m);
	restack_trace_close(rd);
	return r;
}

static int real_decide(void *ctx, const char *trace,
		       const struct restack_sla_volume *sla, const char *fast_path,
		       const char *mrc_path, struct restack_decision *d,
		       struct restack_err *err)
{
	struct restack_recommendation rec;
	struct restack_err merr = { "" };
	int r, i;

	(void)ctx;
	memset(d, 0, sizeof(*d));
	d->read_p99_us = d->write_p99_us = d->iops = NAN;
	r = restack_recommend(trace, sla, &rec, err);
	if (r)
		return r;
	/* the curve is for people; failing to write it is not fatal */
	if (mrc_path && restack_daemon_write_mrc(trace, mrc_path, &merr))
		fprintf(stderr, "restackd: %s: MRC: %s\n", sla->name, merr.msg);
	if (rec.chosen >= 0) {
		const struct restack_candidate *c = &rec.cands[rec.chosen];

		for (i = 0; i < rec.chosen && d->nrejected < RESTACK_DAEMON_REJECTED_MAX; i++)
			if (!rec.cands[i].feasible)
				snprintf(d->rejected[d->nrejected++],
					 sizeof(d->rejected[0]), "%s", rec.cands[i].reason);
		d->cache = c->cache;
		d->read_p99_us = c->read_ns[RESTACK_PCT_99] / 1000;
		d->write_p99_us = c->write_ns[RESTACK_PCT_99] / 1000;
		d->iops = c->iops;
		if (c->cache) {
			restack_candidate_attach(c, fast_path, d->stack, sizeof(d->stack));
			d->cache_bytes = c->cache_bytes;
			d->block_bytes = c->block_bytes;
			snprintf(d->reason, sizeof(d->reason),
				 "cheapest stack predicted to meet the SLA (worst target at %.0f%%)",
				 c->worst * 100);
		} else {
			snprintf(d->reason, sizeof(d->reason),
				 "the volume is predicted to meet the SLA detached");
		}
	} else {
		const struct restack_candidate *c = rec.closest >= 0 ?
			&rec.cands[rec.closest] : NULL;

		snprintf(d->reason, sizeof(d->reason),
			 "no stack is predicted to meet the SLA%s%s",
			 c ? "; closest: " : "", c ? c->reason : "");
	}
	restack_recommendation_release(&rec);
	return 0;
}

const struct restack_daemon_ops restack_daemon_real_ops = {
	.now = real_now,
	.dev_present = real_dev_present,
	.vol_query = real_vol_query,
	.vol_create = real_vol_create,
	.carve_query = real_carve_query,
	.carve_create = real_carve_create,
	.carve_remove = real_carve_remove,
	.module_load = real_module_load,
	.message = real_message,
	.stats_start = real_stats_start,
	.stats_read = real_stats_read,
	.stats_stop = real_stats_stop,
	.profile_start = real_profile_start,
	.profile_poll = real_profile_poll,
	.profile_cancel = real_profile_cancel,
	.calibrate = real_calibrate,
	.decide = real_decide,
};
