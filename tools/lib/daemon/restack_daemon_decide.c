// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_daemon_decide.c - the daemon's analyzer step: from a profiling
 * trace and a volume's SLA to a decision (the recommendation's choice,
 * its predictions and why), and the trace's miss-ratio curve for people.
 * No kernel access: the real ops table (restack_daemon_kernel.c) points
 * at it, and it can be run on any trace.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analyze/restack_recommend.h"
#include "analyze/restack_mrc.h"
#include "daemon/restack_daemon.h"
#include "daemon/restack_daemon_kernel.h"
#include "trace/restack_trace.h"

int restack_daemon_write_mrc(const char *trace, const char *path,
			     struct restack_err *err)
{
	struct restack_trace_reader *rd = NULL;
	const struct dm_restack_trace_header *h;
	struct restack_mrc_params p = { .method = RESTACK_MRC_EXACT };
	struct restack_mrc *m = NULL;
	FILE *f = NULL;
	int r;

	r = restack_trace_open(trace, &rd, err);
	if (r)
		return r;
	h = restack_trace_header(rd);
	p.block_bytes = h->sample_threshold < DM_RESTACK_SAMPLE_MODULUS ?
			h->sample_block_sectors * 512 : 4096;
	r = restack_mrc_from_trace(rd, &p, &m, err);
	if (r)
		goto out;
	f = fopen(path, "we");
	if (!f) {
		r = restack_err_set(err, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	restack_mrc_print_auto(m, f);
	if (fclose(f))
		r = restack_err_set(err, -EIO, "%s: write failed", path);
	else
		r = 0;
out:
	restack_mrc_destroy(m);
	restack_trace_close(rd);
	return r;
}

int restack_daemon_decide(void *ctx, const char *trace,
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
