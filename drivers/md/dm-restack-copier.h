/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-restack-copier.h - region copies for policies, over dm-kcopyd: start
 * a copy with a completion callback, count the copies in flight, and wait
 * for them to drain.  Part of dm-restack.ko, exported to policy modules.
 *
 * Contract:
 *  - dm_restack_copier_start() is called in process context with no
 *    spinlock held: dm_kcopyd_copy() may sleep for a job;
 *  - @done runs once per copy, from kcopyd's thread, and must not block
 *    on anything kcopyd itself needs; it may free the memory holding its
 *    struct dm_restack_copy;
 *  - a copy counts as in flight from dm_restack_copier_start() until its
 *    @done has returned, so after dm_restack_copier_wait_idle() no
 *    callback of this copier is running or will run (unless new copies
 *    are started);
 *  - dm_restack_copier_exit() requires no copy in flight.
 */
#ifndef DM_RESTACK_COPIER_H
#define DM_RESTACK_COPIER_H

#include <linux/atomic.h>
#include <linux/dm-io.h>
#include <linux/dm-kcopyd.h>
#include <linux/wait.h>

struct dm_restack_copy;

/*
 * Completion of one copy: @read_err and @write_err as dm-kcopyd reports
 * them (non-zero: the source could not be read, or some destination not
 * written).
 */
typedef void (*dm_restack_copy_done_fn)(struct dm_restack_copy *copy,
					int read_err, unsigned long write_err);

/* One copy in flight; embed it in the caller's per-copy state. */
struct dm_restack_copy {
	struct dm_restack_copier *copier;
	dm_restack_copy_done_fn done;
};

struct dm_restack_copier {
	struct dm_kcopyd_client *kcopyd;
	atomic_t in_flight;
	wait_queue_head_t idle;		/* woken when in_flight drops to 0 */
};

/* Process context; 0 or -errno (the copier is then unusable). */
int dm_restack_copier_init(struct dm_restack_copier *cp);
/* Safe on a copier whose init failed or never ran (zeroed). */
void dm_restack_copier_exit(struct dm_restack_copier *cp);

/* Copy @from to @to (same length); @done is called when it is over. */
void dm_restack_copier_start(struct dm_restack_copier *cp,
			     struct dm_restack_copy *copy,
			     struct dm_io_region *from,
			     struct dm_io_region *to,
			     dm_restack_copy_done_fn done);

/* Copies started whose @done has not returned yet. */
static inline unsigned int
dm_restack_copier_in_flight(struct dm_restack_copier *cp)
{
	return atomic_read(&cp->in_flight);
}

/* Process context: sleep until no copy is in flight. */
void dm_restack_copier_wait_idle(struct dm_restack_copier *cp);

#endif /* DM_RESTACK_COPIER_H */
