// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-worker.c - a policy's background work: a workqueue, a kicked
 * work item and a periodic one; the contract is in dm-restack-worker.h.
 */
#include "dm-restack-worker.h"

#include <linux/errno.h>
#include <linux/module.h>

int dm_restack_worker_init(struct dm_restack_worker *w, const char *name,
			   work_func_t work_fn, work_func_t periodic_fn,
			   unsigned long period)
{
	INIT_WORK(&w->work, work_fn);
	INIT_DELAYED_WORK(&w->periodic, periodic_fn);
	w->period = period;
	w->stopping = true;
	w->wq = alloc_workqueue("%s", WQ_MEM_RECLAIM, 0, name);
	return w->wq ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_GPL(dm_restack_worker_init);

void dm_restack_worker_exit(struct dm_restack_worker *w)
{
	if (w->wq)
		destroy_workqueue(w->wq);
	w->wq = NULL;
}
EXPORT_SYMBOL_GPL(dm_restack_worker_exit);

void dm_restack_worker_rearm(struct dm_restack_worker *w)
{
	if (!READ_ONCE(w->stopping))
		queue_delayed_work(w->wq, &w->periodic, w->period);
}
EXPORT_SYMBOL_GPL(dm_restack_worker_rearm);

void dm_restack_worker_stop(struct dm_restack_worker *w)
{
	WRITE_ONCE(w->stopping, true);
	cancel_delayed_work_sync(&w->periodic);
	flush_workqueue(w->wq);
}
EXPORT_SYMBOL_GPL(dm_restack_worker_stop);

void dm_restack_worker_flush(struct dm_restack_worker *w)
{
	flush_workqueue(w->wq);
}
EXPORT_SYMBOL_GPL(dm_restack_worker_flush);

void dm_restack_worker_restart(struct dm_restack_worker *w)
{
	WRITE_ONCE(w->stopping, false);
	queue_delayed_work(w->wq, &w->periodic, w->period);
	dm_restack_worker_kick(w);
}
EXPORT_SYMBOL_GPL(dm_restack_worker_restart);
