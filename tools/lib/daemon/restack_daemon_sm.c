// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_daemon_sm.c - the per-volume state machine of `restack daemon`
 * (states and transitions: Documentation/daemon.rst).
 *
 * Crash safety comes from the order of the steps, not from the state
 * file: every kernel change is one device-mapper operation, the state
 * file is written after it, and adoption reads the kernel.  The attach
 * message is the only step that makes a volume use its carve, and a
 * carve without an attached cache is removed on adoption, so no crash
 * point leaves a volume half-attached.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/restack_daemon.h"

static double now_of(struct restack_daemon *d)
{
	return d->ops->now(d->ctx);
}

static void set_state(struct restack_daemon *d, struct restack_daemon_vol *v,
		      enum restack_dstate to, const char *reason)
{
	struct restack_event *e;
	enum restack_dstate from = v->state;

	v->state = to;
	v->since = now_of(d);
	e = restack_event_begin(d, v, "state");
	restack_event_str(e, "from", restack_dstate_name(from));
	restack_event_str(e, "to", restack_dstate_name(to));
	restack_event_str(e, "reason", reason);
	restack_event_end(e);
	restack_daemon_logf(d, to == RESTACK_DS_ERROR ? RESTACK_LOG_ERR : RESTACK_LOG_INFO,
			    "%s: %s -> %s: %s", v->name, restack_dstate_name(from),
			    restack_dstate_name(to), reason);
	restack_daemon_write_state(d, v);
}

static void event_error(struct restack_daemon *d, struct restack_daemon_vol *v,
			const char *reason)
{
	struct restack_event *e = restack_event_begin(d, v, "error");

	restack_event_str(e, "reason", reason);
	restack_event_end(e);
	restack_daemon_logf(d, RESTACK_LOG_ERR, "%s: %s", v->name, reason);
}

static void stop_stats(struct restack_daemon *d, struct restack_daemon_vol *v)
{
	if (v->fast_stats_on)
		d->ops->stats_stop(d->ctx, v->carve);
	if (v->stats_on)
		d->ops->stats_stop(d->ctx, v->name);
	v->fast_stats_on = v->stats_on = false;
}

/* The volume cannot be managed for now: error, checked again later. */
static void vol_error(struct restack_daemon *d, struct restack_daemon_vol *v,
		      const char *reason)
{
	snprintf(v->error, sizeof(v->error), "%s", reason);
	event_error(d, v, reason);
	stop_stats(d, v);
	v->retry_at = now_of(d) + d->dc->retry_s;
	set_state(d, v, RESTACK_DS_ERROR, reason);
}

/* Back to detached after a failed or declined attempt: retry later. */
static void back_to_detached(struct restack_daemon *d,
			     struct restack_daemon_vol *v, const char *reason)
{
	v->retry_at = now_of(d) + d->dc->retry_s;
	v->stack[0] = '\0';
	v->carve_sectors = 0;
	set_state(d, v, RESTACK_DS_DETACHED, reason);
}

/* ---------------------------------------------------------------- */
/* adoption                                                          */
/* ---------------------------------------------------------------- */

static void adopt_one(struct restack_daemon *d, struct restack_daemon_vol *v)
{
	const struct restack_sla_volume *s = v->sla;
	struct restack_err err = { "" };
	struct restack_vol_kstate ks;
	struct restack_event *e;
	enum restack_dstate st;
	char why[RESTACK_ERR_MAX + 64];
	uint64_t carve_len = 0;
	int r, carve;

	v->error[0] = '\0';
	r = d->ops->vol_query(d->ctx, v->name, &ks, &err);
	if (r == -ENXIO) {
		if (!d->ops->dev_present(d->ctx, s->origin)) {
			snprintf(why, sizeof(why), "origin %s is missing", s->origin);
			vol_error(d, v, why);
			return;
		}
		r = d->ops->vol_create(d->ctx, v->name, s->origin, &err);
		if (!r) {
			restack_daemon_logf(d, RESTACK_LOG_INFO,
					    "%s: created detached over %s", v->name,
					    s->origin);
			r = d->ops->vol_query(d->ctx, v->name, &ks, &err);
		}
	}
	if (r) {
		snprintf(why, sizeof(why), "%s", err.msg);
		vol_error(d, v, why);
		return;
	}
	if (!d->ops->dev_present(d->ctx, s->fast_device)) {
		snprintf(why, sizeof(why), "fast device %s is missing", s->fast_device);
		vol_error(d, v, why);
		return;
	}
	carve = d->ops->carve_query(d->ctx, v->carve, &carve_len, &err);
	if (carve < 0) {
		snprintf(why, sizeof(why), "%s", err.msg);
		vol_error(d, v, why);
		return;
	}
	if (!v->stats_on) {
		r = d->ops->stats_start(d->ctx, v->name, &err);
		if (r) {
			snprintf(why, sizeof(why), "%s", err.msg);
			vol_error(d, v, why);
			return;
		}
		v->stats_on = true;
	}

	v->stack[0] = '\0';
	v->carve_sectors = 0;
	if (ks.mode == RESTACK_MODE_DETACHING) {
		/* a detach of a previous daemon is still writing back */
		st = RESTACK_DS_DETACHING;
		snprintf(v->stack, sizeof(v->stack), "%s", ks.stack);
		snprintf(v->detach_reason, sizeof(v->detach_reason),
			 "adopted while detaching");
	} else if (ks.attached) {
		snprintf(v->stack, sizeof(v->stack), "%s", ks.stack);
		st = RESTACK_DS_ATTACHED;
		if (ks.mode == RESTACK_MODE_FAILED || ks.fast_failed) {
			st = RESTACK_DS_DEGRADED;
			snprintf(v->detach_reason, sizeof(v->detach_reason),
				 "adopted %s", ks.mode == RESTACK_MODE_FAILED ?
				 "in mode failed" : "with fast_state=failed");
		}
		if (carve == 1)
			v->carve_sectors = carve_len;
	} else {
		st = RESTACK_DS_DETACHED;
		if (carve == 1) {
			/* prepared but never attached: the crash window */
			r = d->ops->carve_remove(d->ctx, v->carve, &err);
			e = restack_event_begin(d, v, "cleanup");
			restack_event_str(e, "device", v->carve);
			restack_event_str(e, "result", r ? err.msg : "removed");
			restack_event_end(e);
			if (r) {
				snprintf(why, sizeof(why),
					 "cannot remove the unattached carve: %s", err.msg);
				vol_error(d, v, why);
				return;
			}
		}
	}
	v->state = st;
	v->since = now_of(d);
	v->attached_at = v->since;
	v->next_window = v->since + d->dc->window_s;
	v->next_try = v->since;
	v->missed = v->met_run = 0;
	v->have_health = false;
	if (st == RESTACK_DS_ATTACHED && v->carve_sectors && !v->fast_stats_on &&
	    !d->ops->stats_start(d->ctx, v->carve, &err))
		v->fast_stats_on = true;
	e = restack_event_begin(d, v, "adopt");
	restack_event_str(e, "state", restack_dstate_name(st));
	restack_event_str(e, "stack", v->stack[0] ? v->stack : NULL);
	restack_event_end(e);
	restack_daemon_logf(d, RESTACK_LOG_INFO, "%s: adopted as %s%s%s", v->name,
			    restack_dstate_name(st), v->stack[0] ? ": " : "",
			    v->stack);
	restack_daemon_write_state(d, v);
}

void restack_daemon_adopt(struct restack_daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->n; i++)
		adopt_one(d, &d->vols[i]);
}

/* ---------------------------------------------------------------- */
/* windows                                                           */
/* ---------------------------------------------------------------- */

static bool in_warmup(struct restack_daemon *d, struct restack_daemon_vol *v,
		      double now)
{
	return v->state == RESTACK_DS_ATTACHED &&
	       now < v->attached_at + d->dc->warmup_s;
}

static void window_event(struct restack_daemon *d, struct restack_daemon_vol *v,
			 const char *name, const struct restack_window *w,
			 int met)
{
	struct restack_event *e = restack_event_begin(d, v, name);

	if (!strcmp(name, "window"))
		restack_event_str(e, "state", restack_dstate_name(v->state));
	else if (!strcmp(name, "sla_violation"))
		restack_event_num(e, "missed_windows", v->missed);
	else
		restack_event_num(e, "met_windows", v->met_run);
	restack_event_num(e, "read_p99_us", w->read_us[RESTACK_PCT_99]);
	restack_event_num(e, "write_p99_us", w->write_us[RESTACK_PCT_99]);
	restack_event_num(e, "iops", w->iops);
	if (!strcmp(name, "window")) {
		restack_event_bool(e, "sla_met", met);
		restack_event_num(e, "fast_lat_us", v->last_fast_lat_us);
	}
	restack_event_end(e);
}

static void degrade(struct restack_daemon *d, struct restack_daemon_vol *v,
		    const char *reason)
{
	snprintf(v->detach_reason, sizeof(v->detach_reason), "%s", reason);
	set_state(d, v, RESTACK_DS_DEGRADED, reason);
}

static void fault(struct restack_daemon *d, struct restack_daemon_vol *v,
		  uint64_t errors, const char *reason)
{
	struct restack_event *e = restack_event_begin(d, v, "fault");

	restack_event_str(e, "device", "fast");
	restack_event_num(e, "errors", (double)errors);
	restack_event_str(e, "reason", reason);
	restack_event_end(e);
	degrade(d, v, reason);
}

/*
 * An attached volume's health from the kernel; may move it to degraded
 * (or detached, if someone else detached it).
 */
static void check_health(struct restack_daemon *d, struct restack_daemon_vol *v,
			 double now)
{
	struct restack_err err = { "" };
	struct restack_vol_kstate ks;
	char why[RESTACK_ERR_MAX + 64];
	uint64_t grew = 0;
	double lat = NAN;

	if (d->ops->vol_query(d->ctx, v->name, &ks, &err)) {
		snprintf(why, sizeof(why), "%s", err.msg);
		vol_error(d, v, why);
		return;
	}
	if (!ks.attached && ks.mode == RESTACK_MODE_DETACHED) {
		/* detached behind our back: clean the carve up */
		snprintf(v->detach_reason, sizeof(v->detach_reason),
			 "detached outside the daemon");
		set_state(d, v, RESTACK_DS_DETACHING, v->detach_reason);
		return;
	}
	if (v->have_health && ks.fast_errors > v->fast_errors_prev)
		grew = ks.fast_errors - v->fast_errors_prev;
	if (ks.has_fast_lat && v->have_health && ks.fast_ios > v->fast_ios_prev)
		lat = (double)(ks.fast_lat_us - v->fast_lat_prev) /
		      (double)(ks.fast_ios - v->fast_ios_prev);
	else if (!ks.has_fast_lat && v->fast_stats_on) {
		struct restack_window fw;

		if (!d->ops->stats_read(d->ctx, v->carve, &fw, &err))
			lat = fw.mean_us;
	}
	v->last_fast_lat_us = lat;
	v->fast_errors_prev = ks.fast_errors;
	v->fast_ios_prev = ks.fast_ios;
	v->fast_lat_prev = ks.fast_lat_us;
	v->have_health = true;

	if (ks.mode == RESTACK_MODE_FAILED) {
		fault(d, v, ks.fast_errors, "the volume's mode is failed (the policy cannot serve it)");
	} else if (ks.fast_failed) {
		fault(d, v, ks.fast_errors, "fast_state=failed");
	} else if (grew >= d->dc->fast_error_limit) {
		snprintf(why, sizeof(why), "%llu fast-device errors in one window (limit %u)",
			 (unsigned long long)grew, d->dc->fast_error_limit);
		fault(d, v, grew, why);
	} else if (d->dc->fast_latency_limit_us > 0 && lat > d->dc->fast_latency_limit_us) {
		snprintf(why, sizeof(why), "fast-device mean latency %.0f us > %.0f us",
			 lat, d->dc->fast_latency_limit_us);
		fault(d, v, 0, why);
	} else if (!in_warmup(d, v, now) && v->missed >= d->dc->violation_windows) {
		snprintf(why, sizeof(why), "SLA missed for %u windows while attached",
			 v->missed);
		degrade(d, v, why);
	}
}

static void do_window(struct restack_daemon *d, struct restack_daemon_vol *v,
		      double now)
{
	struct restack_err err = { "" };
	struct restack_window w;
	char why[160], msg[RESTACK_ERR_MAX + 64];
	int met;

	v->next_window = now + d->dc->window_s;
	if (d->ops->stats_read(d->ctx, v->name, &w, &err)) {
		snprintf(msg, sizeof(msg), "%s", err.msg);
		vol_error(d, v, msg);
		return;
	}
	v->last = w;
	v->have_last = true;
	met = restack_daemon_judge(v->sla, &w, why, sizeof(why));
	if (met == 0) {
		v->met_run = 0;
		if (!in_warmup(d, v, now))
			v->missed++;
		if (v->sla_met && v->missed >= d->dc->violation_windows) {
			v->sla_met = false;
			window_event(d, v, "sla_violation", &w, met);
			restack_daemon_logf(d, RESTACK_LOG_INFO,
					    "%s: SLA violated (%s) for %u windows",
					    v->name, why, v->missed);
		}
	} else if (met == 1) {
		v->missed = 0;
		v->met_run++;
		if (!v->sla_met && v->met_run >= d->dc->clear_windows) {
			v->sla_met = true;
			window_event(d, v, "sla_met", &w, met);
			restack_daemon_logf(d, RESTACK_LOG_INFO,
					    "%s: SLA met for %u windows", v->name,
					    v->met_run);
		}
	}
	if (v->state == RESTACK_DS_ATTACHED)
		check_health(d, v, now);
	window_event(d, v, "window", &w, met);
	restack_daemon_logf(d, RESTACK_LOG_DEBUG,
			    "%s: window %s: read p99 %.0f us, write p99 %.0f us, %.0f IOPS, %s",
			    v->name, restack_dstate_name(v->state),
			    w.read_us[RESTACK_PCT_99], w.write_us[RESTACK_PCT_99],
			    w.iops, met < 0 ? "idle" : met ? "met" : why);
	restack_daemon_write_state(d, v);
}

/* ---------------------------------------------------------------- */
/* the steps                                                         */
/* ---------------------------------------------------------------- */

static void start_profile(struct restack_daemon *d, struct restack_daemon_vol *v)
{
	struct restack_err err = { "" };
	char why[RESTACK_ERR_MAX + 64];

	unlink(v->trace_path);
	if (d->ops->profile_start(d->ctx, v->name, d->dc->trace_sample_rate,
				  d->dc->profile_s, v->trace_path, &err)) {
		snprintf(why, sizeof(why), "cannot start the profile: %s", err.msg);
		event_error(d, v, why);
		v->retry_at = now_of(d) + d->dc->retry_s;
		return;
	}
	snprintf(why, sizeof(why), "SLA violated for %u windows", v->missed);
	set_state(d, v, RESTACK_DS_PROFILING, why);
}

static void decide(struct restack_daemon *d, struct restack_daemon_vol *v)
{
	struct restack_sla_volume sla = *v->sla;
	struct restack_err err = { "" };
	struct restack_decision *dec = &v->decision;
	struct restack_event *e;
	char why[RESTACK_ERR_MAX + 64];
	unsigned int i;

	if (!sla.fast_profile && (!sla.fast_read.median_us || !sla.fast_write.median_us)) {
		if (!v->calibrated) {
			uint64_t region = restack_daemon_carve_sectors(sla.max_cache_bytes, 4096);

			if (d->ops->calibrate(d->ctx, sla.fast_device, v->carve_offset,
					      region, &v->fast_median_us,
					      &v->fast_p99_us, &err)) {
				snprintf(why, sizeof(why), "measuring the fast device: %s",
					 err.msg);
				event_error(d, v, why);
				back_to_detached(d, v, why);
				return;
			}
			v->calibrated = true;
			restack_daemon_logf(d, RESTACK_LOG_INFO,
					    "%s: fast device %s reads: median %.0f us, p99 %.0f us",
					    v->name, sla.fast_device, v->fast_median_us,
					    v->fast_p99_us);
		}
		if (!sla.fast_read.median_us) {
			sla.fast_read.median_us = v->fast_median_us;
			sla.fast_read.p99_us = v->fast_p99_us;
		}
		if (!sla.fast_write.median_us) {
			sla.fast_write.median_us = v->fast_median_us;
			sla.fast_write.p99_us = v->fast_p99_us;
		}
	}
	if (d->ops->decide(d->ctx, v->trace_path, &sla, v->carve_path, v->mrc_path,
			   dec, &err)) {
		snprintf(why, sizeof(why), "the analyzer failed: %s", err.msg);
		event_error(d, v, why);
		v->have_decision = false;
		back_to_detached(d, v, why);
		return;
	}
	v->have_decision = true;
	e = restack_event_begin(d, v, "decide");
	restack_event_str(e, "stack", dec->cache ? dec->stack : NULL);
	{
		char *pj = NULL;
		size_t pl = 0;
		FILE *f = open_memstream(&pj, &pl);

		if (f) {
			fputs("{\"read_p99_us\":", f);
			restack_json_put_num(f, dec->read_p99_us);
			fputs(",\"write_p99_us\":", f);
			restack_json_put_num(f, dec->write_p99_us);
			fputs(",\"iops\":", f);
			restack_json_put_num(f, dec->iops);
			fputc('}', f);
			if (!fclose(f))
				restack_event_raw(e, "predicted", pj);
			free(pj);
		}
	}
	{
		char *rj = NULL;
		size_t rl = 0;
		FILE *f = open_memstream(&rj, &rl);

		if (f) {
			fputc('[', f);
			for (i = 0; i < dec->nrejected; i++) {
				if (i)
					fputc(',', f);
				restack_json_put_str(f, dec->rejected[i]);
			}
			fputc(']', f);
			if (!fclose(f))
				restack_event_raw(e, "rejected", rj);
			free(rj);
		}
	}
	restack_event_str(e, "reason", dec->reason);
	restack_event_str(e, "mrc", v->mrc_path);
	restack_event_end(e);
	restack_daemon_logf(d, RESTACK_LOG_INFO, "%s: decided: %s (%s)", v->name,
			    dec->cache ? dec->stack : "no stack", dec->reason);
	if (!dec->cache) {
		back_to_detached(d, v, dec->reason);
		return;
	}
	set_state(d, v, RESTACK_DS_PREPARING, "the analyzer chose a cache");
}

static void prepare(struct restack_daemon *d, struct restack_daemon_vol *v)
{
	struct restack_err err = { "" };
	char why[RESTACK_ERR_MAX + 64];
	uint64_t sectors = restack_daemon_carve_sectors(v->decision.cache_bytes,
							v->decision.block_bytes);
	uint64_t old = 0;

	/* a stale carve (its volume detached): never attached, so remove */
	if (d->ops->carve_query(d->ctx, v->carve, &old, &err) == 1 &&
	    d->ops->carve_remove(d->ctx, v->carve, &err)) {
		snprintf(why, sizeof(why), "removing a stale carve: %s", err.msg);
		event_error(d, v, why);
		back_to_detached(d, v, why);
		return;
	}
	if (d->ops->carve_create(d->ctx, v->carve, v->sla->fast_device,
				 v->carve_offset, sectors, &err)) {
		snprintf(why, sizeof(why), "carving the fast device: %s", err.msg);
		event_error(d, v, why);
		back_to_detached(d, v, why);
		return;
	}
	v->carve_sectors = sectors;
	snprintf(v->stack, sizeof(v->stack), "%s", v->decision.stack);
	set_state(d, v, RESTACK_DS_ATTACHING, "fast region carved");
}

static void attach(struct restack_daemon *d, struct restack_daemon_vol *v)
{
	struct restack_err err = { "" }, err2 = { "" };
	char msg[RESTACK_DAEMON_STACK_MAX + 16], why[RESTACK_ERR_MAX + 64];
	struct restack_event *e;
	int r;

	r = d->ops->module_load(d->ctx, RESTACK_DAEMON_CACHE_MODULE, &err);
	if (!r) {
		snprintf(msg, sizeof(msg), "attach %s", v->stack);
		r = d->ops->message(d->ctx, v->name, msg, &err);
	}
	if (r) {
		snprintf(why, sizeof(why), "attach failed: %s", err.msg);
		event_error(d, v, why);
		/* nothing attached: the carve must go (never half-attached) */
		if (d->ops->carve_remove(d->ctx, v->carve, &err2))
			event_error(d, v, err2.msg);
		back_to_detached(d, v, why);
		return;
	}
	v->attached_at = now_of(d);
	v->missed = v->met_run = 0;
	v->sla_met = false;
	v->have_health = false;
	v->last_fast_lat_us = NAN;
	if (!v->fast_stats_on && !d->ops->stats_start(d->ctx, v->carve, &err))
		v->fast_stats_on = true;
	e = restack_event_begin(d, v, "attach");
	restack_event_str(e, "stack", v->stack);
	restack_event_end(e);
	set_state(d, v, RESTACK_DS_ATTACHED, "policy attached");
}

static void detach(struct restack_daemon *d, struct restack_daemon_vol *v,
		   double now)
{
	struct restack_err err = { "" };
	struct restack_vol_kstate ks;
	struct restack_event *e;
	char why[RESTACK_ERR_MAX + 64];
	uint64_t len;
	int r;

	if (now < v->next_try)
		return;
	v->next_try = now + d->dc->window_s;
	r = d->ops->vol_query(d->ctx, v->name, &ks, &err);
	if (r) {
		snprintf(why, sizeof(why), "%s", err.msg);
		vol_error(d, v, why);
		return;
	}
	if (ks.mode == RESTACK_MODE_DETACHING)
		return;		/* another detach is writing back: wait */
	if (ks.attached) {
		v->dirty_before = ks.dirty;
		r = d->ops->message(d->ctx, v->name, "detach", &err);
		if (r) {
			snprintf(why, sizeof(why), "detach failed (retrying): %s", err.msg);
			event_error(d, v, why);
			return;
		}
	}
	if (v->fast_stats_on) {
		d->ops->stats_stop(d->ctx, v->carve);
		v->fast_stats_on = false;
	}
	if (d->ops->carve_query(d->ctx, v->carve, &len, &err) == 1 &&
	    d->ops->carve_remove(d->ctx, v->carve, &err)) {
		snprintf(why, sizeof(why), "removing the carve failed (retrying): %s",
			 err.msg);
		event_error(d, v, why);
		return;
	}
	e = restack_event_begin(d, v, "detach");
	restack_event_str(e, "reason", v->detach_reason);
	restack_event_num(e, "dirty_synced", (double)v->dirty_before);
	restack_event_end(e);
	v->missed = v->met_run = 0;
	v->sla_met = false;
	v->have_decision = false;
	v->last_fast_lat_us = NAN;
	back_to_detached(d, v, v->detach_reason);
}

/* One action; true when it moved to a state with immediate work. */
static bool vol_step(struct restack_daemon *d, struct restack_daemon_vol *v)
{
	struct restack_err err = { "" };
	enum restack_dstate before = v->state;
	double now = now_of(d);
	char why[RESTACK_ERR_MAX + 64];
	int r;

	if (v->state == RESTACK_DS_ERROR) {
		if (now >= v->retry_at)
			adopt_one(d, v);
		return v->state != RESTACK_DS_ERROR && v->state != before &&
		       v->state != RESTACK_DS_DETACHED && v->state != RESTACK_DS_ATTACHED;
	}
	if (now >= v->next_window) {
		do_window(d, v, now);
		if (v->state != before)
			return true;
	}
	switch (v->state) {
	case RESTACK_DS_DETACHED:
		if (v->missed >= d->dc->violation_windows && now >= v->retry_at)
			start_profile(d, v);
		return false;
	case RESTACK_DS_PROFILING:
		r = d->ops->profile_poll(d->ctx, v->name, &err);
		if (r == 0)
			return false;
		if (r < 0) {
			snprintf(why, sizeof(why), "profiling failed: %s", err.msg);
			event_error(d, v, why);
			back_to_detached(d, v, why);
			return false;
		}
		set_state(d, v, RESTACK_DS_DECIDING, "profile trace complete");
		return true;
	case RESTACK_DS_DECIDING:
		decide(d, v);
		break;
	case RESTACK_DS_PREPARING:
		prepare(d, v);
		break;
	case RESTACK_DS_ATTACHING:
		attach(d, v);
		break;
	case RESTACK_DS_DEGRADED:
		set_state(d, v, RESTACK_DS_DETACHING, v->detach_reason);
		break;
	case RESTACK_DS_DETACHING:
		detach(d, v, now);
		break;
	default:
		return false;
	}
	return v->state != before && v->state != RESTACK_DS_DETACHED &&
	       v->state != RESTACK_DS_ATTACHED && v->state != RESTACK_DS_ERROR;
}

double restack_daemon_step(struct restack_daemon *d, volatile const int *stop)
{
	double next = now_of(d) + 3600;
	unsigned int i, k;

	for (i = 0; i < d->n; i++) {
		struct restack_daemon_vol *v = &d->vols[i];

		if (stop && *stop)
			break;
		for (k = 0; k < 16 && vol_step(d, v); k++)
			;
		if (v->state == RESTACK_DS_ERROR) {
			if (v->retry_at < next)
				next = v->retry_at;
			continue;
		}
		if (v->next_window < next)
			next = v->next_window;
		if (v->state == RESTACK_DS_PROFILING && now_of(d) + 0.2 < next)
			next = now_of(d) + 0.2;
		if (v->state == RESTACK_DS_DETACHING && v->next_try < next)
			next = v->next_try;
		if (v->state == RESTACK_DS_DETACHED && v->retry_at > now_of(d) &&
		    v->missed >= d->dc->violation_windows && v->retry_at < next)
			next = v->retry_at;
	}
	return next;
}

void restack_daemon_shutdown(struct restack_daemon *d, const char *reason)
{
	struct restack_event *e;
	unsigned int i;

	for (i = 0; i < d->n; i++) {
		struct restack_daemon_vol *v = &d->vols[i];

		if (v->state == RESTACK_DS_PROFILING) {
			d->ops->profile_cancel(d->ctx, v->name);
			set_state(d, v, RESTACK_DS_DETACHED, "daemon stopped while profiling");
		}
		stop_stats(d, v);
		restack_daemon_write_state(d, v);
	}
	e = restack_event_begin(d, NULL, "stop");
	restack_event_str(e, "reason", reason);
	restack_event_end(e);
}
