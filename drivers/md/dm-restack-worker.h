/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-restack-worker.h - the background work of a policy: one workqueue
 * running a work item on demand (kick) and a periodic one, with a
 * stopping flag that suspend and teardown use to quiesce them.  Part of
 * dm-restack.ko, exported to policy modules.
 *
 * Contract:
 *  - the work functions receive the work_struct of @work or of
 *    @periodic.work; container_of() leads back to the policy;
 *  - the periodic function calls dm_restack_worker_rearm() at its end to
 *    run again after @period, which does nothing while stopping;
 *  - dm_restack_worker_kick() may be called in any context, locks held;
 *  - stop, flush and restart are called in process context, and not
 *    concurrently with each other (the target serialises the suspend
 *    hooks, create and destroy of one volume);
 *  - a worker starts out stopping: dm_restack_worker_restart() starts it.
 */
#ifndef DM_RESTACK_WORKER_H
#define DM_RESTACK_WORKER_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct dm_restack_worker {
	struct workqueue_struct *wq;
	struct work_struct work;
	struct delayed_work periodic;
	unsigned long period;		/* jiffies */
	bool stopping;			/* no periodic runs; read with READ_ONCE */
};

/*
 * Allocate the workqueue (named @name, WQ_MEM_RECLAIM: it serves I/O) and
 * set up both work items.  Process context; 0 or -ENOMEM.
 */
int dm_restack_worker_init(struct dm_restack_worker *w, const char *name,
			   work_func_t work_fn, work_func_t periodic_fn,
			   unsigned long period);
/* Destroy the workqueue; safe if init failed or never ran (zeroed). */
void dm_restack_worker_exit(struct dm_restack_worker *w);

static inline void dm_restack_worker_kick(struct dm_restack_worker *w)
{
	queue_work(w->wq, &w->work);
}

static inline bool dm_restack_worker_stopping(struct dm_restack_worker *w)
{
	return READ_ONCE(w->stopping);
}

/* From the periodic function: run it again after the period. */
void dm_restack_worker_rearm(struct dm_restack_worker *w);

/*
 * Mark stopping, cancel the periodic work and wait for it, then wait for
 * every work queued so far.  Kicks still run the work function (which
 * may check dm_restack_worker_stopping()).
 */
void dm_restack_worker_stop(struct dm_restack_worker *w);
/* Wait for every work queued so far. */
void dm_restack_worker_flush(struct dm_restack_worker *w);
/* Clear stopping, schedule the periodic work and kick the worker. */
void dm_restack_worker_restart(struct dm_restack_worker *w);

#endif /* DM_RESTACK_WORKER_H */
