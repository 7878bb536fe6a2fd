// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-cache-writeback.c - the cache policy's background work:
 * copy jobs by kcopyd (promotions: origin -> fast; write-back: fast ->
 * origin), dropping cached copies under discards and write-zeroes, and
 * the worker that starts jobs, commits, and re-routes deferred bios.
 *
 * Copies go through the shared copier (dm-restack-copier.h) and the
 * background work through the shared worker (dm-restack-worker.h).
 *
 * Context: copy_done() is the copier's completion callback, run by
 * kcopyd's thread (takes cache->lock irqsave, never blocks); the worker
 * and the periodic work run in process context on the worker's
 * workqueue and may block.
 */
#include "dm-restack-cache.h"

/* ---------------------------------------------------------------------- */
/* Copy jobs: promotions and write-back, by kcopyd */

static void copy_done(struct dm_restack_copy *copy, int read_err,
		      unsigned long write_err)
{
	struct copy_job *job = container_of(copy, struct copy_job, copy);
	struct cache *c = job->cache;
	u32 i = job->cblock;
	struct cblock *b = cb(c, i);
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	if (job->promotion) {
		c->nr_promoting--;
		if (read_err)
			c->stats.origin_errors++;
		if (write_err)
			fast_failed_locked(c);
		if (read_err || write_err || (b->flags & CB_STALE) ||
		    c->fast_failed) {
			/* Never mapped in committed metadata: free at once. */
			if (b->slot != CB_NONE) {
				slot_detach(c, i);
				rs_repl_invalidate(&c->repl, b->oblock);
			}
			b->flags = 0;
			list_push(c, &c->free_head, &c->nr_free, i);
		} else {
			/* Keep the pin bit: pin_update() compares against it. */
			b->flags = CB_VALID | (b->flags & CB_PINNED);
			c->nr_valid++;
			meta_set_from_block(c, i);
			pin_update(c, i);
			c->stats.promotions++;
		}
	} else {
		c->nr_writeback--;
		b->flags &= ~CB_WRITEBACK;
		if (read_err) {
			fast_failed_locked(c);
			mark_lost(c, b);
		} else if (write_err) {
			c->stats.origin_errors++;
		} else if (!(b->flags & CB_REDIRTY)) {
			/*
			 * Clean, but left dirty in metadata: a later write then
			 * lands in place instead of taking a committed-free
			 * block (record_clean() records it clean when it pays).
			 */
			b->flags &= ~CB_DIRTY;
			b->flags |= CB_RECORDED_DIRTY;
			c->nr_dirty--;
			c->stats.writebacks++;
		}
		b->flags &= ~CB_REDIRTY;
		pin_update(c, i);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	kfree(job);
	wake_up_all(&c->wait);
	kick(c);
}

static void start_copy(struct cache *c, struct copy_job *job)
{
	struct cblock *b = cb(c, job->cblock);
	struct dm_io_region fast = {
		.bdev = c->fast,
		.sector = c->geo.data_start +
			  ((sector_t)job->cblock << c->block_shift),
		.count = c->block_sectors,
	};
	struct dm_io_region origin = {
		.bdev = c->origin,
		.sector = b->oblock << c->block_shift,
		.count = c->block_sectors,
	};
	sector_t end = dm_restack_volume_sectors(c->vol);

	/* The last block of an origin not a multiple of the block size. */
	if (origin.sector + origin.count > end) {
		origin.count = end - origin.sector;
		fast.count = origin.count;
	}
	if (job->promotion)
		dm_restack_copier_start(&c->copier, &job->copy, &origin, &fast,
					copy_done);
	else
		dm_restack_copier_start(&c->copier, &job->copy, &fast, &origin,
					copy_done);
}

/* Pick dirty blocks to write back (cache->lock held). */
static void queue_writebacks(struct cache *c, struct list_head *jobs)
{
	u32 scanned = 0;

	while (c->nr_writeback < MAX_WRITEBACKS &&
	       scanned++ < c->geo.nr_blocks) {
		struct cblock *b = cb(c, c->wb_cursor);
		struct copy_job *job;

		/*
		 * Not while writes are in flight on it: one routed before the
		 * write-back began is not marked CB_REDIRTY, and the copy
		 * could read the block before the write lands, then record
		 * the block clean with the origin holding the older data.
		 */
		if ((b->flags & (CB_VALID | CB_DIRTY | CB_FILLING |
				 CB_WRITEBACK | CB_LOST)) ==
		    (CB_VALID | CB_DIRTY) && !b->writes) {
			job = kzalloc(sizeof(*job), GFP_NOWAIT);
			if (!job)
				break;
			job->cache = c;
			job->cblock = c->wb_cursor;
			b->flags |= CB_WRITEBACK;
			pin_update(c, c->wb_cursor);
			c->nr_writeback++;
			list_add_tail(&job->list, jobs);
		}
		if (++c->wb_cursor >= c->geo.nr_blocks)
			c->wb_cursor = 0;
	}
}

/* ---------------------------------------------------------------------- */
/* Discards and the like: drop cached copies, then pass to the origin. */

/* Drop block @i if it caches part of [@first, @last]; false if busy. */
static bool drop_if_in_range(struct cache *c, u32 i, u64 first, u64 last)
{
	struct cblock *b = cb(c, i);

	if (!(b->flags & (CB_VALID | CB_PROMOTING)) || b->slot == CB_NONE ||
	    b->oblock < first || b->oblock > last)
		return true;
	if (b->flags & (CB_FILLING | CB_WRITEBACK))
		return false;	/* retried when they are done */
	/* Promotions in flight are marked stale and dropped when done. */
	drop_key(c, b->oblock);
	return true;
}

/*
 * Drop the cached copies of a discard's (or write-zeroes') range: by
 * looking up each block of a short range, by scanning the cache for a
 * long one.  Returns false if some block was busy; if true, @io counts
 * as a range write until it completes.
 */
static bool drop_range(struct cache *c, struct bio *bio,
		       struct dm_restack_io *io)
{
	u64 first = bio->bi_iter.bi_sector >> c->block_shift;
	u64 last = (bio_end_sector(bio) - 1) >> c->block_shift;
	bool done = true;
	unsigned long flags;
	u64 o;
	u32 i;

	spin_lock_irqsave(&c->lock, flags);
	if (last - first < c->geo.nr_blocks) {
		for (o = first; o <= last; o++) {
			i = lookup(c, o);
			if (i != CB_NONE)
				done &= drop_if_in_range(c, i, first, last);
		}
	} else {
		for (i = 0; i < c->geo.nr_blocks; i++)
			done &= drop_if_in_range(c, i, first, last);
	}
	/* Under the same lock: no promotion starts in between. */
	if (done)
		range_write_begin(c, io);
	spin_unlock_irqrestore(&c->lock, flags);
	return done;
}

/* ---------------------------------------------------------------------- */
/* The worker */

/* Is write-back of our own due (cache->lock held)?  See the watermarks. */
static bool writeback_due(struct cache *c)
{
	u64 dirty = c->nr_dirty * 100;

	if (dirty > (u64)c->high_watermark * c->geo.nr_blocks)
		c->writeback_on = true;
	else if (dirty <= (u64)c->low_watermark * c->geo.nr_blocks)
		c->writeback_on = false;
	return c->writeback_on;
}

/*
 * Evicted blocks become reusable only after a commit: one is due when the
 * free blocks run low and evicted ones wait, or when a quarter of the
 * reserve waits.  Waiting for the pool to run low left it dry for a whole
 * commit under write-back random writes (every write to a block that
 * write-back had cleaned takes a free block), and 2.2% of those writes
 * went to the slow origin (cache->lock held).
 */
static bool commit_due(struct cache *c)
{
	u32 reserve = c->geo.nr_blocks - c->nr_slots;

	return c->nr_pending &&
	       (c->nr_free < max_t(u32, reserve / 2, 1) ||
		c->nr_pending >= max_t(u32, reserve / 4, 1));
}

static void resubmit_to_origin(struct cache *c, struct bio *bio)
{
	struct dm_restack_io *io = dm_per_bio_data(bio, sizeof(*io));

	bio->bi_iter = io->policy_iter;
	bio->bi_status = BLK_STS_OK;
	bio->bi_opf |= io->opf & REQ_FUA;
	bio_set_dev(bio, c->origin);
	io->policy_data[1] = (unsigned long)ktime_get_ns();
	submit_bio_noacct(bio);
}

void cache_worker(struct work_struct *work)
{
	struct cache *c = container_of(work, struct cache, worker.work);
	struct bio_list deferred, retry;
	LIST_HEAD(jobs);
	struct copy_job *job, *tmp;
	bool commit = false;
	unsigned long flags;
	struct bio *bio;

	spin_lock_irqsave(&c->lock, flags);
	deferred = c->deferred;
	bio_list_init(&c->deferred);
	retry = c->retry;
	bio_list_init(&c->retry);
	list_splice_init(&c->jobs_queued, &jobs);
	if (!dm_restack_worker_stopping(&c->worker) &&
	    (c->cleaning || writeback_due(c) || c->fast_failed))
		queue_writebacks(c, &jobs);
	if (!dm_restack_worker_stopping(&c->worker) && commit_due(c))
		commit = true;
	if (!bio_list_empty(&c->after_commit))
		commit = true;
	spin_unlock_irqrestore(&c->lock, flags);

	while ((bio = bio_list_pop(&retry)))
		resubmit_to_origin(c, bio);

	while ((bio = bio_list_pop(&deferred))) {
		struct dm_restack_io *io = dm_per_bio_data(bio, sizeof(*io));

		if (bio->bi_opf & REQ_PREFLUSH) {
			/* Completed by the commit below. */
			spin_lock_irqsave(&c->lock, flags);
			bio_list_add(&c->after_commit, bio);
			spin_unlock_irqrestore(&c->lock, flags);
			commit = true;
		} else if (bio_op(bio) != REQ_OP_READ &&
			   bio_op(bio) != REQ_OP_WRITE) {
			if (drop_range(c, bio, io)) {
				dm_submit_bio_remap(bio, NULL);
			} else {
				spin_lock_irqsave(&c->lock, flags);
				bio_list_add(&c->deferred, bio);
				spin_unlock_irqrestore(&c->lock, flags);
			}
		} else {
			switch (cache_route(c, bio, io, true)) {
			case DM_MAPIO_REMAPPED:
				dm_restack_io_remapped(c->vol, io, bio);
				dm_submit_bio_remap(bio, NULL);
				break;
			case DM_MAPIO_KILL:
				bio_io_error(bio);
				break;
			default:
				break;	/* deferred again */
			}
		}
	}

	list_for_each_entry_safe(job, tmp, &jobs, list) {
		list_del(&job->list);
		start_copy(c, job);
	}

	if (commit)
		cache_commit(c, false);
}

void cache_periodic(struct work_struct *work)
{
	struct cache *c = container_of(to_delayed_work(work), struct cache,
				       worker.periodic);
	bool any;

	any = !bitmap_empty(c->dirty_pages, c->geo.meta_pages) ||
		READ_ONCE(c->nr_pending);
	if (any)
		cache_commit(c, false);
	/* Write-back and commits that are due happen in the worker. */
	kick(c);
	dm_restack_worker_rearm(&c->worker);
}
