// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_daemon.c - `restack daemon` without a kernel: the [daemon] section
 * of the SLA parser, and the state machines driven through a fake
 * backend (struct restack_daemon_ops) that holds a fake kernel in shared
 * memory.  The fake lets the tests inject measurements and faults, crash
 * the daemon for real (a forked child _exit()s at the k-th kernel change,
 * before or after making it) and restart it on the same kernel state.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "restack_test.h"
#include "daemon/restack_daemon.h"
#include "analyze/restack_sla.h"

/* ---------------------------------------------------------------- */
/* the fake kernel                                                   */
/* ---------------------------------------------------------------- */

#define NVOL 2

struct fake_vol {
	const char *name, *origin;
	bool exists, attached, carve;
	enum restack_mode mode;
	char stack[RESTACK_DAEMON_STACK_MAX];
	uint64_t fast_errors, dirty, carve_sectors;
	bool fast_failed;
	/* measurements: p99 (us) of a window, detached and attached */
	double slow_us, fast_us;
	uint64_t reads;			/* per window; 0: idle */
	int alternate;			/* 1: windows alternate miss/met */
	unsigned int nwin;
	bool profiling;
	double profile_done;
};

struct fake_kernel {
	double now;
	bool fast_present;
	bool origin_present[NVOL];
	struct fake_vol v[NVOL];
	bool decide_cache;
	int attach_fail;
	int detach_fail;
	unsigned int mutations;		/* kernel changes made */
	unsigned int crash_at;		/* crash at this change (0: never) */
	bool crash_after;		/* after making it, not before */
	unsigned int modules;
	unsigned int decides;
	unsigned int calibrations;
};

static struct fake_kernel *fk;

static struct fake_vol *fvol(const char *name)
{
	unsigned int i;

	for (i = 0; i < NVOL; i++)
		if (!strcmp(fk->v[i].name, name))
			return &fk->v[i];
	return NULL;
}

/* the carve of volume "vol0" is "restack-vol0-fast" */
static struct fake_vol *fcarve(const char *name)
{
	unsigned int i;
	char c[160];

	for (i = 0; i < NVOL; i++) {
		snprintf(c, sizeof(c), "restack-%s-fast", fk->v[i].name);
		if (!strcmp(c, name))
			return &fk->v[i];
	}
	return NULL;
}

static void mutation_begin(void)
{
	fk->mutations++;
	if (fk->crash_at == fk->mutations && !fk->crash_after)
		_exit(42);
}

static void mutation_end(void)
{
	if (fk->crash_at == fk->mutations && fk->crash_after)
		_exit(42);
}

static double f_now(void *ctx)
{
	(void)ctx;
	return fk->now;
}

static int f_dev_present(void *ctx, const char *path)
{
	(void)ctx;
	if (!strcmp(path, "/dev/fast"))
		return fk->fast_present;
	if (!strcmp(path, "/dev/o0"))
		return fk->origin_present[0];
	if (!strcmp(path, "/dev/o1"))
		return fk->origin_present[1];
	return 0;
}

static int f_vol_query(void *ctx, const char *vol, struct restack_vol_kstate *ks,
		       struct restack_err *err)
{
	struct fake_vol *v = fvol(vol);

	(void)ctx;
	if (!v || !v->exists)
		return restack_err_set(err, -ENXIO, "%s: no such volume", vol);
	memset(ks, 0, sizeof(*ks));
	ks->mode = v->mode;
	ks->attached = v->attached;
	if (v->attached) {
		snprintf(ks->stack, sizeof(ks->stack), "%s", v->stack);
		snprintf(ks->policy, sizeof(ks->policy), "cache");
		ks->has_cache = true;
		ks->fast_errors = v->fast_errors;
		ks->dirty = v->dirty;
		ks->fast_failed = v->fast_failed;
	}
	return 0;
}

static int f_vol_create(void *ctx, const char *vol, const char *origin,
			struct restack_err *err)
{
	struct fake_vol *v = fvol(vol);

	(void)ctx;
	(void)origin;
	if (!v)
		return restack_err_set(err, -EINVAL, "unknown");
	mutation_begin();
	v->exists = true;
	v->mode = RESTACK_MODE_DETACHED;
	mutation_end();
	return 0;
}

static int f_carve_query(void *ctx, const char *name, uint64_t *sectors,
			 struct restack_err *err)
{
	struct fake_vol *v = fcarve(name);

	(void)ctx;
	(void)err;
	*sectors = v && v->carve ? v->carve_sectors : 0;
	return v && v->carve;
}

static int f_carve_create(void *ctx, const char *name, const char *fast,
			  uint64_t off, uint64_t sectors, struct restack_err *err)
{
	struct fake_vol *v = fcarve(name);

	(void)ctx;
	(void)fast;
	(void)off;
	if (!v || v->carve)
		return restack_err_set(err, -EEXIST, "%s exists", name);
	mutation_begin();
	v->carve = true;
	v->carve_sectors = sectors;
	mutation_end();
	return 0;
}

static int f_carve_remove(void *ctx, const char *name, struct restack_err *err)
{
	struct fake_vol *v = fcarve(name);

	(void)ctx;
	if (!v)
		return restack_err_set(err, -ENXIO, "no %s", name);
	if (v->attached)	/* the cache holds it open */
		return restack_err_set(err, -EBUSY, "%s is in use", name);
	mutation_begin();
	v->carve = false;
	mutation_end();
	return 0;
}

static int f_module_load(void *ctx, const char *module, struct restack_err *err)
{
	(void)ctx;
	(void)err;
	assert_string_equal(module, "dm-restack-cache");
	fk->modules++;
	return 0;
}

static int f_message(void *ctx, const char *vol, const char *msg,
		     struct restack_err *err)
{
	struct fake_vol *v = fvol(vol);

	(void)ctx;
	if (!strncmp(msg, "attach ", 7)) {
		if (v->attached)
			return restack_err_set(err, -EBUSY, "attached");
		if (fk->attach_fail)
			return restack_err_set(err, -EINVAL, "attach refused");
		/* the kernel opens the carve: it must exist */
		if (!strstr(msg, "restack-") || !v->carve)
			return restack_err_set(err, -ENODEV, "no fast device");
		mutation_begin();
		v->attached = true;
		v->mode = RESTACK_MODE_ATTACHED;
		snprintf(v->stack, sizeof(v->stack), "%s", msg + 7);
		mutation_end();
		return 0;
	}
	if (!strcmp(msg, "detach")) {
		if (!v->attached)
			return restack_err_set(err, -EINVAL, "not attached");
		if (fk->detach_fail) {
			fk->detach_fail--;
			return restack_err_set(err, -EIO, "write-back failed");
		}
		mutation_begin();
		v->attached = false;
		v->mode = RESTACK_MODE_DETACHED;
		v->stack[0] = '\0';
		v->dirty = 0;
		v->fast_failed = false;
		mutation_end();
		return 0;
	}
	return restack_err_set(err, -EINVAL, "unknown message %s", msg);
}

static int f_stats_start(void *ctx, const char *dev, struct restack_err *err)
{
	(void)ctx;
	if (!fvol(dev) && !fcarve(dev))
		return restack_err_set(err, -ENXIO, "no %s", dev);
	return 0;
}

static int f_stats_read(void *ctx, const char *dev, struct restack_window *w,
			struct restack_err *err)
{
	struct fake_vol *v = fvol(dev);
	unsigned int p;
	double us;

	(void)ctx;
	memset(w, 0, sizeof(*w));
	if (!v) {
		v = fcarve(dev);
		if (!v)
			return restack_err_set(err, -ENXIO, "no %s", dev);
		w->reads = 100;
		w->mean_us = 50;
		return 0;
	}
	if (!v->exists)
		return restack_err_set(err, -ENXIO, "%s: gone", dev);
	us = v->attached ? v->fast_us : v->slow_us;
	if (v->alternate)
		us = v->nwin % 2 ? v->fast_us : v->slow_us;
	v->nwin++;
	w->duration_s = 2;
	w->reads = v->reads;
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		w->read_us[p] = v->reads ? us : NAN;
		w->write_us[p] = NAN;
	}
	w->mean_us = us;
	w->iops = v->reads / 2.0;
	return 0;
}

static void f_stats_stop(void *ctx, const char *dev)
{
	(void)ctx;
	(void)dev;
}

static int f_profile_start(void *ctx, const char *vol, double rate,
			   double seconds, const char *path, struct restack_err *err)
{
	struct fake_vol *v = fvol(vol);

	(void)ctx;
	(void)rate;
	(void)path;
	(void)err;
	v->profiling = true;
	v->profile_done = fk->now + seconds;
	return 0;
}

static int f_profile_poll(void *ctx, const char *vol, struct restack_err *err)
{
	struct fake_vol *v = fvol(vol);

	(void)ctx;
	if (!v->profiling)
		return restack_err_set(err, -ESRCH, "no profile");
	if (fk->now < v->profile_done)
		return 0;
	v->profiling = false;
	return 1;
}

static void f_profile_cancel(void *ctx, const char *vol)
{
	(void)ctx;
	fvol(vol)->profiling = false;
}

static int f_calibrate(void *ctx, const char *dev, uint64_t off, uint64_t sectors,
		       double *median, double *p99, struct restack_err *err)
{
	(void)ctx;
	(void)dev;
	(void)off;
	(void)sectors;
	(void)err;
	fk->calibrations++;
	*median = 40;
	*p99 = 90;
	return 0;
}

static int f_decide(void *ctx, const char *trace, const struct restack_sla_volume *sla,
		    const char *fast_path, const char *mrc, struct restack_decision *d,
		    struct restack_err *err)
{
	(void)ctx;
	(void)trace;
	(void)mrc;
	(void)err;
	/* the daemon filled in the calibrated fast latency */
	assert_true(sla->fast_read.median_us > 0);
	fk->decides++;
	memset(d, 0, sizeof(*d));
	d->cache = fk->decide_cache;
	d->read_p99_us = 300;
	d->write_p99_us = NAN;
	d->iops = 5000;
	d->cache_bytes = 32 << 20;
	d->block_bytes = 4096;
	snprintf(d->stack, sizeof(d->stack), "cache %s mode=wt block_size=4096",
		 fast_path);
	snprintf(d->reason, sizeof(d->reason), "%s",
		 d->cache ? "cheapest" : "no stack is predicted to meet the SLA");
	d->nrejected = 1;
	snprintf(d->rejected[0], sizeof(d->rejected[0]), "detached: read p99 too high");
	return 0;
}

static const struct restack_daemon_ops fake_ops = {
	.now = f_now,
	.dev_present = f_dev_present,
	.vol_query = f_vol_query,
	.vol_create = f_vol_create,
	.carve_query = f_carve_query,
	.carve_create = f_carve_create,
	.carve_remove = f_carve_remove,
	.module_load = f_module_load,
	.message = f_message,
	.stats_start = f_stats_start,
	.stats_read = f_stats_read,
	.stats_stop = f_stats_stop,
	.profile_start = f_profile_start,
	.profile_poll = f_profile_poll,
	.profile_cancel = f_profile_cancel,
	.calibrate = f_calibrate,
	.decide = f_decide,
};

/* ---------------------------------------------------------------- */
/* harness                                                           */
/* ---------------------------------------------------------------- */

static const char config_text[] =
	"[daemon]\n"
	"window_s = 2\n"
	"violation_windows = 3\n"
	"clear_windows = 3\n"
	"profile_s = 10\n"
	"retry_s = 30\n"
	"warmup_s = 10\n"
	"\n"
	"[volume vol0]\n"
	"origin = /dev/o0\n"
	"fast_device = /dev/fast\n"
	"max_cache_bytes = 64M\n"
	"read_p99_us = 1000\n"
	"\n"
	"[volume vol1]\n"
	"origin = /dev/o1\n"
	"fast_device = /dev/fast\n"
	"max_cache_bytes = 64M\n"
	"read_p99_us = 1000\n";

struct harness {
	char dir[64];
	struct restack_sla cfg;
	struct restack_daemon d;
};

static void quiet(void *ctx, enum restack_log_level l, const char *line)
{
	(void)ctx;
	(void)l;
	(void)line;
}

static void fake_reset(void)
{
	unsigned int i;

	memset(fk, 0, sizeof(*fk));
	fk->now = 1000;
	fk->fast_present = true;
	fk->decide_cache = true;
	for (i = 0; i < NVOL; i++) {
		fk->origin_present[i] = true;
		fk->v[i].name = i ? "vol1" : "vol0";
		fk->v[i].origin = i ? "/dev/o1" : "/dev/o0";
		fk->v[i].slow_us = 5000;	/* misses read_p99_us = 1000 */
		fk->v[i].fast_us = 300;
		fk->v[i].reads = 1000;
	}
}

static void daemon_up(struct harness *h)
{
	struct restack_err err = { "" };

	assert_int_equal(restack_sla_parse_string(config_text, strlen(config_text),
						  "test.ini", &h->cfg, &err), 0);
	assert_int_equal(restack_daemon_init(&h->d, &h->cfg, &fake_ops, NULL, h->dir,
					     NULL, &err), 0);
	h->d.log = quiet;
	restack_daemon_adopt(&h->d);
}

static void daemon_down(struct harness *h)
{
	restack_daemon_release(&h->d);
	restack_sla_release(&h->cfg);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	snprintf(h->dir, sizeof(h->dir), "/tmp/restack-test-daemon.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	fake_reset();
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", h->dir);
	assert_int_equal(system(cmd), 0);
	free(h);
	return 0;
}

/* Advance the clock by @dt in 0.5 s steps, stepping the daemon. */
static void run_for(struct harness *h, double dt)
{
	double end = fk->now + dt;

	while (fk->now < end) {
		fk->now += 0.5;
		restack_daemon_step(&h->d, NULL);
	}
}

static enum restack_dstate st(struct harness *h, unsigned int i)
{
	return h->d.vols[i].state;
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static unsigned int count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

/* ---------------------------------------------------------------- */
/* config                                                            */
/* ---------------------------------------------------------------- */

static void test_config_defaults(void **state)
{
	static const char t[] = "[volume v]\norigin = /dev/a\nfast_device = /dev/b\n"
				"max_cache_bytes = 1M\nread_p99_us = 5\n"
				"fast_read_us = 1\nfast_write_us = 1\n";
	struct restack_err err = { "" };
	struct restack_sla s;

	(void)state;
	assert_int_equal(restack_sla_parse_string(t, sizeof(t) - 1, "t", &s, &err), 0);
	assert_false(s.daemon.present);
	assert_string_equal(s.daemon.state_dir, "/run/restack");
	assert_string_equal(s.daemon.event_log, "/run/restack/events.jsonl");
	assert_true(s.daemon.window_s == 2);
	assert_int_equal(s.daemon.violation_windows, 3);
	assert_int_equal(s.daemon.clear_windows, 3);
	assert_true(s.daemon.profile_s == 10);
	assert_true(s.daemon.trace_sample_rate == 1);
	assert_int_equal(s.daemon.fast_error_limit, 1);
	assert_true(s.daemon.fast_latency_limit_us == 0);
	assert_true(s.daemon.retry_s == 30);
	assert_true(s.daemon.warmup_s == 20);
	restack_sla_release(&s);
}

static void test_config_all_keys(void **state)
{
	static const char t[] =
		"[volume v]\norigin = /dev/a\nfast_device = /dev/b\n"
		"max_cache_bytes = 1M\nread_p99_us = 5\n\n"
		"[daemon]\nstate_dir = /var/restack\nevent_log = /var/log/e.jsonl\n"
		"window_s = 0.5\nviolation_windows = 4\nclear_windows = 6\n"
		"profile_s = 7.5\ntrace_sample_rate = 0.1\nfast_error_limit = 3\n"
		"fast_latency_limit_us = 800\nretry_s = 0\nwarmup_s = 12\n";
	struct restack_err err = { "" };
	struct restack_sla s, s2;
	char *canon = NULL, *canon2 = NULL;

	(void)state;
	/* with [daemon], fast_read_us/fast_write_us may be left out */
	assert_int_equal(restack_sla_parse_string(t, sizeof(t) - 1, "t", &s, &err), 0);
	assert_true(s.daemon.present);
	assert_int_equal(s.daemon.line, 7);
	assert_string_equal(s.daemon.state_dir, "/var/restack");
	assert_string_equal(s.daemon.event_log, "/var/log/e.jsonl");
	assert_true(s.daemon.window_s == 0.5);
	assert_int_equal(s.daemon.violation_windows, 4);
	assert_int_equal(s.daemon.clear_windows, 6);
	assert_true(s.daemon.profile_s == 7.5);
	assert_true(s.daemon.trace_sample_rate == 0.1);
	assert_int_equal(s.daemon.fast_error_limit, 3);
	assert_true(s.daemon.fast_latency_limit_us == 800);
	assert_true(s.daemon.retry_s == 0);
	assert_true(s.daemon.warmup_s == 12);
	/* canonical form round-trips */
	assert_int_equal(restack_sla_format(&s, &canon), 0);
	assert_contains(canon, "[daemon]\nstate_dir = /var/restack\n");
	assert_int_equal(restack_sla_parse_string(canon, strlen(canon), "c", &s2, &err), 0);
	assert_int_equal(restack_sla_format(&s2, &canon2), 0);
	assert_string_equal(canon, canon2);
	free(canon);
	free(canon2);
	restack_sla_release(&s);
	restack_sla_release(&s2);
}

struct bad_case {
	const char *name, *text, *msg;
};

#define VOLSEC "[volume v]\norigin = /dev/a\nfast_device = /dev/b\nmax_cache_bytes = 1M\nread_p99_us = 5\n"

static const struct bad_case bad_cases[] = {
	{ "unknown key", "[daemon]\nwindow = 2\n" VOLSEC,
	  "t: line 2: unknown key \"window\" in [daemon]" },
	{ "repeated key", "[daemon]\nwindow_s = 2\nwindow_s = 3\n" VOLSEC,
	  "t: line 3: window_s given again (first on line 2)" },
	{ "repeated section", "[daemon]\n[daemon]\n" VOLSEC,
	  "t: line 2: section [daemon] repeats the one on line 1" },
	{ "window zero", "[daemon]\nwindow_s = 0\n" VOLSEC, "t: line 2: window_s" },
	{ "window huge", "[daemon]\nwindow_s = 3601\n" VOLSEC, "t: line 2: window_s" },
	{ "violation 0", "[daemon]\nviolation_windows = 0\n" VOLSEC,
	  "t: line 2: violation_windows: \"0\" is not an integer from 1 to 1000" },
	{ "clear fraction", "[daemon]\nclear_windows = 1.5\n" VOLSEC, "t: line 2: clear_windows" },
	{ "profile short", "[daemon]\nprofile_s = 0.5\n" VOLSEC, "t: line 2: profile_s" },
	{ "rate zero", "[daemon]\ntrace_sample_rate = 0\n" VOLSEC,
	  "t: line 2: trace_sample_rate: \"0\" is not a rate in (0, 1]" },
	{ "rate above one", "[daemon]\ntrace_sample_rate = 1.5\n" VOLSEC, "t: line 2: trace_sample_rate" },
	{ "errors zero", "[daemon]\nfast_error_limit = 0\n" VOLSEC, "t: line 2: fast_error_limit" },
	{ "latency negative", "[daemon]\nfast_latency_limit_us = -1\n" VOLSEC,
	  "t: line 2: fast_latency_limit_us" },
	{ "retry text", "[daemon]\nretry_s = soon\n" VOLSEC, "t: line 2: retry_s" },
	{ "relative state_dir", "[daemon]\nstate_dir = run/restack\n" VOLSEC,
	  "t: line 2: state_dir: expected an absolute path" },
	{ "relative event_log", "[daemon]\nevent_log = e.jsonl\n" VOLSEC,
	  "t: line 2: event_log: expected an absolute path" },
	{ "volume key in daemon", "[daemon]\norigin = /dev/a\n" VOLSEC,
	  "t: line 2: unknown key \"origin\" in [daemon]" },
	{ "fast latency half given", VOLSEC "fast_read_us = 20\n",
	  "give both fast_read_us and fast_write_us, or neither" },
	{ "other section", "[daemons]\n" VOLSEC,
	  "t: line 1: unknown section [daemons] (expected [volume <name>] or [daemon])" },
};

static void test_config_bad(void **state)
{
	const struct bad_case *c = *state;
	struct restack_err err = { "" };
	struct restack_sla s;

	assert_int_equal(restack_sla_parse_string(c->text, strlen(c->text), "t",
						  &s, &err), -EINVAL);
	assert_null(s.vols);
	assert_null(s.daemon.state_dir);
	assert_contains(err.msg, c->msg);
	assert_null(strchr(err.msg, '\n'));
}

static const char *bad_name(const void *c)
{
	return ((const struct bad_case *)c)->name;
}

/* ---------------------------------------------------------------- */
/* judging and histograms                                            */
/* ---------------------------------------------------------------- */

static void test_hist_quantile(void **state)
{
	const double bounds[] = { 100, 200, 400 };	/* 4 bins */
	uint64_t c[4] = { 0, 100, 0, 0 };
	uint64_t open[4] = { 0, 0, 0, 10 };
	uint64_t none[4] = { 0 };

	(void)state;
	/* all in [100, 200): linear within the bin */
	assert_true(fabs(restack_hist_quantile(bounds, c, 4, 0.5) - 150) < 1e-9);
	assert_true(fabs(restack_hist_quantile(bounds, c, 4, 0.99) - 199) < 1e-9);
	/* the open last bin reports its lower bound */
	assert_true(restack_hist_quantile(bounds, open, 4, 0.99) == 400);
	assert_true(isnan(restack_hist_quantile(bounds, none, 4, 0.5)));
}

static void test_judge(void **state)
{
	struct restack_sla_volume sla = { 0 };
	struct restack_window w = { 0 };
	char why[160];
	unsigned int p;

	(void)state;
	sla.read_us[RESTACK_PCT_99] = 1000;
	sla.min_iops = 100;
	assert_int_equal(restack_daemon_judge(&sla, &w, why, sizeof(why)), -1);
	w.reads = 500;
	w.iops = 250;
	for (p = 0; p < RESTACK_NR_PCT; p++) {
		w.read_us[p] = 900;
		w.write_us[p] = NAN;
	}
	assert_int_equal(restack_daemon_judge(&sla, &w, why, sizeof(why)), 1);
	w.read_us[RESTACK_PCT_99] = 1200;
	assert_int_equal(restack_daemon_judge(&sla, &w, why, sizeof(why)), 0);
	assert_string_equal(why, "read p99 1200 us > 1000 us");
	w.read_us[RESTACK_PCT_99] = 900;
	w.iops = 50;
	assert_int_equal(restack_daemon_judge(&sla, &w, why, sizeof(why)), 0);
	assert_string_equal(why, "50 IOPS < 100");
}

static void test_carve_layout(void **state)
{
	struct harness *h = *state;

	daemon_up(h);
	/* both volumes share /dev/fast: consecutive, non-overlapping regions */
	assert_int_equal(h->d.vols[0].carve_offset, 0);
	assert_true(h->d.vols[1].carve_offset >=
		    restack_daemon_carve_sectors(64 << 20, 4096));
	assert_true(restack_daemon_carve_sectors(32 << 20, 4096) > (32 << 20) / 512);
	assert_string_equal(h->d.vols[1].carve, "restack-vol1-fast");
	daemon_down(h);
}

/* ---------------------------------------------------------------- */
/* the state machine                                                 */
/* ---------------------------------------------------------------- */

static void test_full_cycle(void **state)
{
	struct harness *h = *state;
	char path[128], *ev, *sf;

	fk->v[1].slow_us = 200;		/* vol1 meets its SLA detached */
	daemon_up(h);
	assert_true(fk->v[0].exists && fk->v[1].exists);	/* created */
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	/* 3 missed windows (6 s) -> profiling */
	run_for(h, 5.5);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	run_for(h, 1);
	assert_int_equal(st(h, 0), RESTACK_DS_PROFILING);
	/* profile_s = 10 -> decide, prepare, attach in one pass */
	run_for(h, 10);
	assert_int_equal(st(h, 0), RESTACK_DS_ATTACHED);
	assert_true(fk->v[0].attached && fk->v[0].carve);
	assert_contains(fk->v[0].stack, "cache /dev/mapper/restack-vol0-fast mode=wt");
	assert_int_equal(fk->calibrations, 1);
	assert_int_equal(fk->modules, 1);
	/* vol1 met its SLA detached: never profiled */
	assert_int_equal(st(h, 1), RESTACK_DS_DETACHED);
	assert_false(fk->v[1].carve);
	assert_int_equal(fk->decides, 1);
	/* attached windows meet the SLA -> sla_met after clear_windows */
	run_for(h, 8);
	assert_true(h->d.vols[0].sla_met);
	/* state file and events */
	snprintf(path, sizeof(path), "%s/vol0.json", h->dir);
	sf = slurp(path);
	assert_non_null(sf);
	assert_contains(sf, "{\"volume\":\"vol0\",\"state\":\"attached\"");
	assert_contains(sf, "\"stack\":\"cache /dev/mapper/restack-vol0-fast mode=wt block_size=4096\"");
	assert_contains(sf, "\"sla\":{\"met\":true");
	assert_contains(sf, "\"predicted\":{\"read_p99_us\":300,\"write_p99_us\":null,\"iops\":5000}");
	assert_contains(sf, "\"last_events\":[{");
	assert_int_equal(count(sf, "\n"), 1);
	snprintf(path, sizeof(path), "%s/events.jsonl", h->dir);
	ev = slurp(path);
	assert_contains(ev, "\"event\":\"adopt\",\"state\":\"detached\"");
	assert_contains(ev, "\"event\":\"sla_violation\"");
	assert_contains(ev, "\"from\":\"detached\",\"to\":\"profiling\"");
	assert_contains(ev, "\"from\":\"profiling\",\"to\":\"deciding\"");
	assert_contains(ev, "\"event\":\"decide\",\"stack\":\"cache /dev/mapper/restack-vol0-fast");
	assert_contains(ev, "\"rejected\":[\"detached: read p99 too high\"]");
	assert_contains(ev, "\"from\":\"deciding\",\"to\":\"preparing\"");
	assert_contains(ev, "\"from\":\"preparing\",\"to\":\"attaching\"");
	assert_contains(ev, "\"event\":\"attach\"");
	assert_contains(ev, "\"from\":\"attaching\",\"to\":\"attached\"");
	assert_contains(ev, "\"event\":\"sla_met\"");
	assert_contains(ev, "\"event\":\"window\",\"state\":\"attached\"");
	daemon_down(h);
}

static void get_attached(struct harness *h)
{
	daemon_up(h);
	fk->v[1].slow_us = 200;
	run_for(h, 17);
	assert_int_equal(st(h, 0), RESTACK_DS_ATTACHED);
}

static void test_fault_detaches(void **state)
{
	struct harness *h = *state;
	char path[128];
	double t0;

	get_attached(h);
	run_for(h, 4);
	fk->v[0].fast_errors = 3;
	fk->v[0].dirty = 7;
	t0 = fk->now;
	while (st(h, 0) != RESTACK_DS_DETACHED && fk->now < t0 + 20)
		run_for(h, 0.5);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	/* one window (2 s) to see it, then degraded -> detaching -> detached */
	assert_true(fk->now - t0 <= 2.5);
	assert_false(fk->v[0].attached);
	assert_false(fk->v[0].carve);
	snprintf(path, sizeof(path), "%s/events.jsonl", h->dir);
	assert_contains(slurp(path), "\"event\":\"fault\",\"device\":\"fast\",\"errors\":3");
	assert_contains(slurp(path), "\"to\":\"degraded\"");
	assert_contains(slurp(path), "\"event\":\"detach\",\"reason\":\"3 fast-device errors in one window (limit 1)\",\"dirty_synced\":7");
	/* round again after retry_s (the origin still misses) */
	run_for(h, 29);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	run_for(h, 2);
	assert_int_equal(st(h, 0), RESTACK_DS_PROFILING);
	daemon_down(h);
}

static void test_fast_failed_and_mode_failed(void **state)
{
	struct harness *h = *state;

	get_attached(h);
	fk->v[0].fast_failed = true;
	run_for(h, 2.5);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	/* reattach after the retry, then the policy reports failed */
	run_for(h, 45);
	assert_int_equal(st(h, 0), RESTACK_DS_ATTACHED);
	fk->v[0].mode = RESTACK_MODE_FAILED;
	fk->detach_fail = 2;	/* write-back fails twice, then succeeds */
	run_for(h, 2.5);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHING);
	assert_true(fk->v[0].attached);	/* never pretends */
	run_for(h, 4.5);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	assert_false(fk->v[0].carve);
	daemon_down(h);
}

static void test_sla_miss_while_attached(void **state)
{
	struct harness *h = *state;

	get_attached(h);
	/* the cache does not help: misses during warm-up do not count */
	fk->v[0].fast_us = 4000;
	run_for(h, 8);
	assert_int_equal(st(h, 0), RESTACK_DS_ATTACHED);
	run_for(h, 8);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	assert_false(fk->v[0].carve);
	daemon_down(h);
}

static void test_no_stack(void **state)
{
	struct harness *h = *state;

	fk->decide_cache = false;
	fk->v[1].slow_us = 200;
	daemon_up(h);
	run_for(h, 17);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	assert_false(fk->v[0].carve);
	assert_int_equal(fk->decides, 1);
	/* not again before retry_s */
	run_for(h, 25);
	assert_int_equal(fk->decides, 1);
	run_for(h, 20);
	assert_int_equal(fk->decides, 2);
	daemon_down(h);
}

static void test_attach_fails(void **state)
{
	struct harness *h = *state;

	fk->attach_fail = 1;
	daemon_up(h);
	run_for(h, 17);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	assert_false(fk->v[0].attached);
	assert_false(fk->v[0].carve);	/* the carve went with it */
	daemon_down(h);
}

static void test_hysteresis_no_flapping(void **state)
{
	struct harness *h = *state;
	char path[128];

	fk->v[0].alternate = 1;		/* miss, met, miss, met, ... */
	fk->v[1].slow_us = 200;
	daemon_up(h);
	run_for(h, 120);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	assert_int_equal(fk->decides, 0);
	snprintf(path, sizeof(path), "%s/events.jsonl", h->dir);
	assert_int_equal(count(slurp(path), "\"event\":\"sla_violation\""), 0);
	assert_int_equal(count(slurp(path), "\"to\":\"profiling\""), 0);
	/* attached, alternating windows never degrade it either */
	fk->v[0].alternate = 0;
	run_for(h, 17);
	assert_int_equal(st(h, 0), RESTACK_DS_ATTACHED);
	fk->v[0].alternate = 1;
	fk->v[0].fast_us = 4000;	/* odd windows miss */
	fk->v[0].slow_us = 300;		/* even windows meet */
	run_for(h, 120);
	assert_int_equal(st(h, 0), RESTACK_DS_ATTACHED);
	/* idle windows change nothing */
	fk->v[0].reads = 0;
	fk->v[0].alternate = 0;
	run_for(h, 60);
	assert_int_equal(st(h, 0), RESTACK_DS_ATTACHED);
	daemon_down(h);
}

static void test_missing_device(void **state)
{
	struct harness *h = *state;
	char path[128];

	fk->origin_present[1] = false;
	fk->v[1].slow_us = 200;
	daemon_up(h);
	assert_int_equal(st(h, 1), RESTACK_DS_ERROR);
	assert_string_equal(h->d.vols[1].error, "origin /dev/o1 is missing");
	/* vol0 goes on */
	run_for(h, 17);
	assert_int_equal(st(h, 0), RESTACK_DS_ATTACHED);
	assert_int_equal(st(h, 1), RESTACK_DS_ERROR);
	snprintf(path, sizeof(path), "%s/vol1.json", h->dir);
	assert_contains(slurp(path), "\"state\":\"error\"");
	assert_contains(slurp(path), "\"error\":\"origin /dev/o1 is missing\"");
	/* the origin appears: adopted after retry_s */
	fk->origin_present[1] = true;
	run_for(h, 20);
	assert_int_equal(st(h, 1), RESTACK_DS_DETACHED);
	assert_true(fk->v[1].exists);
	daemon_down(h);
}

/* Adoption from every kernel state. */
static void test_adoption(void **state)
{
	struct harness *h = *state;

	fk->v[0].exists = true;
	fk->v[0].attached = true;
	fk->v[0].carve = true;
	fk->v[0].mode = RESTACK_MODE_ATTACHED;
	snprintf(fk->v[0].stack, sizeof(fk->v[0].stack), "cache /dev/mapper/restack-vol0-fast mode=wb");
	fk->v[1].exists = true;
	fk->v[1].carve = true;	/* prepared, never attached: a crash */
	daemon_up(h);
	assert_int_equal(st(h, 0), RESTACK_DS_ATTACHED);
	assert_string_equal(h->d.vols[0].stack, "cache /dev/mapper/restack-vol0-fast mode=wb");
	assert_int_equal(st(h, 1), RESTACK_DS_DETACHED);
	assert_false(fk->v[1].carve);	/* cleaned up */
	assert_int_equal(fk->mutations, 1);
	daemon_down(h);

	/* mode detaching: wait for the kernel, then clean up */
	fk->v[0].mode = RESTACK_MODE_DETACHING;
	daemon_up(h);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHING);
	run_for(h, 3);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHING);
	fk->v[0].mode = RESTACK_MODE_DETACHED;
	fk->v[0].attached = false;
	run_for(h, 3);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	assert_false(fk->v[0].carve);
	daemon_down(h);

	/* mode failed: degraded, detached */
	fk->v[0].attached = fk->v[0].carve = true;
	fk->v[0].mode = RESTACK_MODE_FAILED;
	daemon_up(h);
	assert_int_equal(st(h, 0), RESTACK_DS_DEGRADED);
	run_for(h, 0.5);
	assert_int_equal(st(h, 0), RESTACK_DS_DETACHED);
	assert_false(fk->v[0].attached);
	daemon_down(h);
}

/* An invalid config changes nothing: not a file, not a device. */
static void test_invalid_config_changes_nothing(void **state)
{
	struct harness *h = *state;
	static const char bad[] = "[daemon]\nstate_dir = /tmp/x\nwindow_s = -1\n" VOLSEC;
	struct restack_err err = { "" };
	struct restack_sla s;
	struct stat sb;
	char path[128];

	assert_int_equal(restack_sla_parse_string(bad, sizeof(bad) - 1, "t", &s, &err),
			 -EINVAL);
	assert_contains(err.msg, "t: line 3: window_s");
	assert_int_equal(fk->mutations, 0);
	snprintf(path, sizeof(path), "%s/events.jsonl", h->dir);
	assert_int_not_equal(stat(path, &sb), 0);
}

/*
 * Crash at the k-th kernel change (before or after it), restart: the
 * volume is never half-attached, and the restarted daemon gets it
 * attached.
 */
static void crash_run(struct harness *h, unsigned int k, bool after)
{
	int status;
	pid_t pid;

	fake_reset();
	fk->v[1].slow_us = 200;
	fk->crash_at = k;
	fk->crash_after = after;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		daemon_up(h);
		run_for(h, 60);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	fk->crash_at = 0;
	/* the invariant at any crash point */
	assert_true(!fk->v[0].attached || fk->v[0].carve);
	daemon_up(h);
	/* after adoption: no carve without an attached cache */
	assert_true(fk->v[0].attached == fk->v[0].carve);
	assert_true(st(h, 0) == (fk->v[0].attached ? RESTACK_DS_ATTACHED :
				 RESTACK_DS_DETACHED));
	run_for(h, 20);
	assert_int_equal(st(h, 0), RESTACK_DS_ATTACHED);
	assert_true(fk->v[0].attached && fk->v[0].carve);
	daemon_down(h);
}

static void test_crash_every_step(void **state)
{
	struct harness *h = *state;
	unsigned int k, crashed = 0;

	/* kernel changes on the way: create vol0, vol1, carve, attach */
	for (k = 1; k <= 5; k++) {
		crash_run(h, k, false);
		crash_run(h, k, true);
		crashed++;
	}
	assert_int_equal(crashed, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_all_keys),
		cmocka_unit_test(test_hist_quantile),
		cmocka_unit_test(test_judge),
		cmocka_unit_test_setup_teardown(test_carve_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_detaches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fast_failed_and_mode_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sla_miss_while_attached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_stack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hysteresis_no_flapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adoption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_config_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_every_step, setup, teardown),
	};
	int r;

	fk = mmap(NULL, sizeof(*fk), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fk == MAP_FAILED)
		return 1;
	r = cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
	r |= restack_run_cases("daemon config errors", bad_cases,
			       sizeof(bad_cases) / sizeof(bad_cases[0]),
			       sizeof(bad_cases[0]), bad_name, test_config_bad);
	return r;
}
