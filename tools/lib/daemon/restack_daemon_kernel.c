// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_daemon_kernel.c - the daemon's actions on the real kernel:
 * volume queries and creation, dm-linear carves of the fast device,
 * module loading (libkmod), messages, the profiling trace (a child
 * process running the collector) and fast-device calibration.
 * restack_daemon_real_ops ties them together with dm-stats and the
 * analyzer step (restack_daemon_decide.c).
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

#include "control/restack_collect.h"
#include "daemon/restack_daemon.h"
#include "daemon/restack_daemon_kernel.h"
#include "analyze/restack_model.h"
#include "analyze/restack_mrc.h"
#include "trace/restack_trace.h"

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
	.decide = restack_daemon_decide,
};
