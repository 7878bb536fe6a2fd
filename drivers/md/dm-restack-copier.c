// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-copier.c - region copies for policies over dm-kcopyd; the
 * contract is in dm-restack-copier.h.
 */
#include "dm-restack-copier.h"

#include <linux/err.h>
#include <linux/module.h>

int dm_restack_copier_init(struct dm_restack_copier *cp)
{
	struct dm_kcopyd_client *kcopyd = dm_kcopyd_client_create(NULL);

	atomic_set(&cp->in_flight, 0);
	init_waitqueue_head(&cp->idle);
	if (IS_ERR(kcopyd)) {
		cp->kcopyd = NULL;
		return PTR_ERR(kcopyd);
	}
	cp->kcopyd = kcopyd;
	return 0;
}
EXPORT_SYMBOL_GPL(dm_restack_copier_init);

void dm_restack_copier_exit(struct dm_restack_copier *cp)
{
	if (!cp->kcopyd)
		return;
	WARN_ON(atomic_read(&cp->in_flight));
	dm_kcopyd_client_destroy(cp->kcopyd);
	cp->kcopyd = NULL;
}
EXPORT_SYMBOL_GPL(dm_restack_copier_exit);

static void copier_done(int read_err, unsigned long write_err, void *context)
{
	struct dm_restack_copy *copy = context;
	/* @done may free @copy: read what we need first. */
	struct dm_restack_copier *cp = copy->copier;

	copy->done(copy, read_err, write_err);
	if (atomic_dec_and_test(&cp->in_flight))
		wake_up_all(&cp->idle);
}

void dm_restack_copier_start(struct dm_restack_copier *cp,
			     struct dm_restack_copy *copy,
			     struct dm_io_region *from,
			     struct dm_io_region *to,
			     dm_restack_copy_done_fn done)
{
	copy->copier = cp;
	copy->done = done;
	atomic_inc(&cp->in_flight);
	dm_kcopyd_copy(cp->kcopyd, from, 1, to, 0, copier_done, copy);
}
EXPORT_SYMBOL_GPL(dm_restack_copier_start);

void dm_restack_copier_wait_idle(struct dm_restack_copier *cp)
{
	wait_event(cp->idle, !atomic_read(&cp->in_flight));
}
EXPORT_SYMBOL_GPL(dm_restack_copier_wait_idle);
