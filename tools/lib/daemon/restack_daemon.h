/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_daemon.h - `restack daemon`: per-volume state machines that
 * profile, decide, prepare, attach, monitor, degrade and detach
 * (Documentation/daemon.rst).
 *
 * Every call that touches the kernel, the clock or the analyzer goes
 * through struct restack_daemon_ops, so that the unit tests can drive the
 * state machines with a fake kernel (measurements, faults, crashes and
 * restarts).  restack_daemon_real_ops (restack_daemon_kernel.c and
 * restack_daemon_monitor.c) is the real thing.
 *
 * Guarantees the state machine keeps (tested in tests/tools/test_daemon.c):
 *   - the attach message is the only step that makes a volume use the
 *     carve; a carve without an attached cache is removed on adoption, so
 *     a crash at any point never leaves a volume half-attached;
 *   - adoption trusts the kernel only (the state files are output);
 *   - one volume's failure puts it in "error" and never stops the others.
 */
#ifndef RESTACK_DAEMON_H
#define RESTACK_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/restack_core.h"
#include "analyze/restack_sla.h"

#define RESTACK_DAEMON_STACK_MAX	1024
#define RESTACK_DAEMON_CARVE_PREFIX	"restack-"
#define RESTACK_DAEMON_CARVE_SUFFIX	"-fast"
#define RESTACK_DAEMON_CACHE_MODULE	"dm-restack-cache"
#define RESTACK_DAEMON_STATS_PROGRAM	"restackd"
#define RESTACK_DAEMON_LAST_EVENTS	5
#define RESTACK_DAEMON_REJECTED_MAX	5

enum restack_dstate {
	RESTACK_DS_DETACHED = 0,
	RESTACK_DS_PROFILING,
	RESTACK_DS_DECIDING,
	RESTACK_DS_PREPARING,
	RESTACK_DS_ATTACHING,
	RESTACK_DS_ATTACHED,
	RESTACK_DS_DEGRADED,
	RESTACK_DS_DETACHING,
	RESTACK_DS_ERROR,
	RESTACK_NR_DSTATES
};

/* "detached", ...; NULL out of range. */
const char *restack_dstate_name(enum restack_dstate s);
/* The state for a name, or -EINVAL. */
int restack_dstate_lookup(const char *name);

/* One window's measurement of one device (dm-stats). */
struct restack_window {
	double duration_s;
	uint64_t reads, writes;		/* completed in the window */
	/* percentiles per restack_sla_pct; NaN when no I/O of the kind */
	double read_us[RESTACK_NR_PCT];
	double write_us[RESTACK_NR_PCT];
	double mean_us;			/* over reads and writes; NaN: idle */
	double iops;
};

/* What the kernel shows of a volume (ops->vol_query). */
struct restack_vol_kstate {
	enum restack_mode mode;
	bool attached;			/* a policy is attached */
	char policy[RESTACK_POLICY_NAME_MAX + 1];
	char stack[RESTACK_DAEMON_STACK_MAX];	/* "<policy> <args>" or "" */
	/* the cache's status keys (absent: has_* false) */
	bool has_cache;
	uint64_t fast_errors, lost, dirty;
	bool fast_failed;
	bool has_fast_lat;
	uint64_t fast_ios, fast_lat_us;
};

/* The analyzer's verdict (ops->decide). */
struct restack_decision {
	bool cache;			/* false: no stack meets the SLA */
	char stack[RESTACK_DAEMON_STACK_MAX];	/* attach args: "cache <dev> ..." */
	uint64_t cache_bytes;
	uint32_t block_bytes;
	/* predicted; NaN: not predicted */
	double read_p99_us, write_p99_us, iops;
	char reason[256];
	unsigned int nrejected;
	char rejected[RESTACK_DAEMON_REJECTED_MAX][200];
};

struct restack_daemon_ops {
	/* Wall-clock time in seconds. */
	double (*now)(void *ctx);
	/* 1 if @path is a block device, 0 if not. */
	int (*dev_present)(void *ctx, const char *path);
	/* -ENXIO: no such dm device; -EMEDIUMTYPE: not a restack volume. */
	int (*vol_query)(void *ctx, const char *vol, struct restack_vol_kstate *ks,
			 struct restack_err *err);
	/* Create @vol detached over the whole of @origin. */
	int (*vol_create)(void *ctx, const char *vol, const char *origin,
			  struct restack_err *err);
	/* 1 (with its length) if dm device @name exists, 0 if not, <0 error. */
	int (*carve_query)(void *ctx, const char *name, uint64_t *sectors,
			   struct restack_err *err);
	int (*carve_create)(void *ctx, const char *name, const char *fast_dev,
			    uint64_t offset_sectors, uint64_t sectors,
			    struct restack_err *err);
	int (*carve_remove)(void *ctx, const char *name, struct restack_err *err);
	int (*module_load)(void *ctx, const char *module, struct restack_err *err);
	int (*message)(void *ctx, const char *vol, const char *msg,
		       struct restack_err *err);
	/* dm-stats region over dm device @dev; windows are deltas. */
	int (*stats_start)(void *ctx, const char *dev, struct restack_err *err);
	int (*stats_read)(void *ctx, const char *dev, struct restack_window *w,
			  struct restack_err *err);
	void (*stats_stop)(void *ctx, const char *dev);
	/* A trace of @vol for @seconds into @path, in the background. */
	int (*profile_start)(void *ctx, const char *vol, double rate,
			     double seconds, const char *path,
			     struct restack_err *err);
	/* 1 done, 0 running, <0 failed. */
	int (*profile_poll)(void *ctx, const char *vol, struct restack_err *err);
	void (*profile_cancel)(void *ctx, const char *vol);
	/* Read latency of @dev within the region, microseconds. */
	int (*calibrate)(void *ctx, const char *dev, uint64_t offset_sectors,
			 uint64_t sectors, double *median_us, double *p99_us,
			 struct restack_err *err);
	/*
	 * The analyzer on @trace for @sla (fast latencies filled in), the
	 * stack naming @fast_path; writes the MRC CSV to @mrc_path.
	 */
	int (*decide)(void *ctx, const char *trace,
		      const struct restack_sla_volume *sla, const char *fast_path,
		      const char *mrc_path, struct restack_decision *d,
		      struct restack_err *err);
};

extern const struct restack_daemon_ops restack_daemon_real_ops;

struct restack_daemon_vol {
	const struct restack_sla_volume *sla;
	const char *name;
	char carve[RESTACK_VOLUME_NAME_MAX + 1];	/* dm name of the carve */
	char carve_path[RESTACK_VOLUME_NAME_MAX + 16];	/* /dev/mapper/... */
	uint64_t carve_offset;		/* sectors into fast_device */
	uint64_t carve_sectors;		/* of the current carve, 0: none */

	enum restack_dstate state;
	double since;
	double retry_at;		/* no profiling before */
	double attached_at;
	double next_window;
	double next_try;		/* detaching: retry pacing */
	char detach_reason[RESTACK_ERR_MAX + 64];
	bool stats_on, fast_stats_on;

	char stack[RESTACK_DAEMON_STACK_MAX];	/* attached/being attached */
	struct restack_decision decision;
	bool have_decision;

	/* SLA judging */
	struct restack_window last;
	bool have_last;
	double last_fast_lat_us;	/* NaN: unknown */
	uint32_t missed;		/* missed windows in a row */
	uint32_t met_run;		/* met windows in a row */
	bool sla_met;			/* with hysteresis */

	/* fast-device health */
	bool have_health;
	uint64_t fast_errors_prev, fast_ios_prev, fast_lat_prev;

	bool calibrated;
	double fast_median_us, fast_p99_us;
	uint64_t dirty_before;

	char error[256];
	char trace_path[RESTACK_SLA_PATH_MAX + 160];
	char mrc_path[RESTACK_SLA_PATH_MAX + 160];
	char state_path[RESTACK_SLA_PATH_MAX + 160];
	char *events[RESTACK_DAEMON_LAST_EVENTS];	/* oldest first */
	unsigned int nevents;
};

enum restack_log_level {
	RESTACK_LOG_ERR = 0,
	RESTACK_LOG_INFO,
	RESTACK_LOG_DEBUG,
};

struct restack_daemon {
	const struct restack_sla *cfg;
	const struct restack_sla_daemon *dc;
	const struct restack_daemon_ops *ops;
	void *ctx;
	char state_dir[RESTACK_SLA_PATH_MAX];
	char event_path[RESTACK_SLA_PATH_MAX];
	FILE *events;
	struct restack_daemon_vol *vols;
	unsigned int n;
	enum restack_log_level log_level;
	/* Human-readable lines; NULL: stderr.  Tests silence it. */
	void (*log)(void *log_ctx, enum restack_log_level level, const char *line);
	void *log_ctx;
};

/*
 * Set up from a parsed config (which must outlive the daemon): carve
 * names and offsets, the state directory (created) and the event log
 * (opened for appending).  @state_dir and @event_log override the
 * config when not NULL.  Touches no device.
 */
int restack_daemon_init(struct restack_daemon *d, const struct restack_sla *cfg,
			const struct restack_daemon_ops *ops, void *ctx,
			const char *state_dir, const char *event_log,
			struct restack_err *err);

/* Adopt every volume from the kernel (see Documentation/daemon.rst). */
void restack_daemon_adopt(struct restack_daemon *d);

/*
 * Run every step that is due now, for every volume, until each volume
 * waits for time to pass.  *@stop (if not NULL) is checked between
 * volumes.  Returns the time of the next due step.
 */
double restack_daemon_step(struct restack_daemon *d,
			   volatile const int *stop);

/* Write every state file and a "stop" event; cancels profiling. */
void restack_daemon_shutdown(struct restack_daemon *d, const char *reason);

/* Free what init allocated (closes the event log). */
void restack_daemon_release(struct restack_daemon *d);

/* ---- internal to the daemon's files, shared with the tests ---- */

/* The carve offset of each volume: config order per fast device. */
uint64_t restack_daemon_carve_sectors(uint64_t cache_bytes, uint32_t block);

/*
 * Judge a window against an SLA: 1 met, 0 missed (@why says which
 * target), -1 idle (no I/O).
 */
int restack_daemon_judge(const struct restack_sla_volume *sla,
			 const struct restack_window *w, char *why, size_t len);

/*
 * Percentile @q of a latency histogram: @bounds[i] is the lower bound
 * (us) of bin i + 1 (bin 0 starts at 0), the last bin open ended
 * (reported as its lower bound).  Linear within a bin.  NaN if empty.
 */
double restack_hist_quantile(const double *bounds, const uint64_t *counts,
			     unsigned int nbins, double q);

/* Events and state files (restack_daemon_state.c). */
struct restack_event;
struct restack_event *restack_event_begin(struct restack_daemon *d,
					  struct restack_daemon_vol *v,
					  const char *event);
void restack_event_str(struct restack_event *e, const char *key, const char *val);
void restack_event_num(struct restack_event *e, const char *key, double val);
void restack_event_bool(struct restack_event *e, const char *key, int val);
void restack_event_raw(struct restack_event *e, const char *key, const char *json);
void restack_event_end(struct restack_event *e);
int restack_daemon_write_state(struct restack_daemon *d,
			       struct restack_daemon_vol *v);
void restack_daemon_logf(struct restack_daemon *d, enum restack_log_level lvl,
			 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The raw text of top-level member @key of JSON object @json (strings
 * without their quotes) into @out; 1 found, 0 not.  For display only.
 */
int restack_json_top_value(const char *json, const char *key, char *out,
			   size_t len);

/* Where state files are when neither the config nor the caller says. */
#define RESTACK_DAEMON_STATE_DIR	"/run/restack"

/*
 * The state file of @volume in @state_dir (NULL: the default) as one
 * malloc'ed line holding a JSON object, or NULL if there is none.
 */
char *restack_daemon_state_read(const char *state_dir, const char *volume);

/* Human-readable "daemon:" block for a state file's object. */
void restack_daemon_status_text(FILE *out, const char *state);

/* JSON helpers: a string literal, a number or null for NaN. */
void restack_json_put_str(FILE *f, const char *s);
void restack_json_put_num(FILE *f, double v);

#endif /* RESTACK_DAEMON_H */
