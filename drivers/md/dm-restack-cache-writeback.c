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

/*
 * Blocks looked at per hold of cache->lock by the scans of the block
 * table (write-back, range drops): the lock is taken with interrupts
 * off, and a scan of a whole large table in one hold kept them off for
 * long enough to trigger lockup warnings.
 */
#define SCAN_CHUNK		4096

/* Start write-back of dirty block @i (cache->lock held); false if no memory. */
static bool queue_writeback(struct cache *c, u32 i, struct list_head *jobs)
{
	struct copy_job *job = kzalloc(sizeof(*job), GFP_NOWAIT);

	if (!job)
		return false;
	job->cache = c;
	job->cblock = i;
	cb(c, i)->flags |= CB_WRITEBACK;
	pin_update(c, i);
	c->nr_writeback++;
	list_add_tail(&job->list, jobs);
	return true;
}

/*
 * Pick dirty blocks to write back, looking at no more than SCAN_CHUNK
 * blocks and *@budget in all, from where the last scan stopped
 * (cache->lock held).  Returns true if the caller should call again
 * (after dropping the lock): blocks are left to look at and more
 * write-back may start.
 */
static bool queue_writebacks(struct cache *c, struct list_head *jobs,
			     u32 *budget)
{
	u32 scanned = 0;

	while (c->nr_writeback < MAX_WRITEBACKS && *budget) {
		struct cblock *b = cb(c, c->wb_cursor);

		/*
		 * Every dirty block is lost or being written back already:
		 * none can qualify, so a scan would find nothing (this is the
		 * common case after a fast-device failure, when the worker
		 * runs on every completion).
		 */
		if (c->nr_dirty <= (u64)c->nr_lost + c->nr_writeback)
			return false;
		if (scanned++ == SCAN_CHUNK)
			return true;
		(*budget)--;
		/*
		 * Not while writes are in flight on it: one routed before the
		 * write-back began is not marked CB_REDIRTY, and the copy
		 * could read the block before the write lands, then record
		 * the block clean with the origin holding the older data.
		 */
		if ((b->flags & (CB_VALID | CB_DIRTY | CB_FILLING |
				 CB_WRITEBACK | CB_LOST)) ==
		    (CB_VALID | CB_DIRTY) && !b->writes) {
			if (!queue_writeback(c, c->wb_cursor, jobs))
				return false;
		}
		if (++c->wb_cursor >= c->geo.nr_blocks)
			c->wb_cursor = 0;
	}
	return false;
}

/* ---------------------------------------------------------------------- */
/* Discards and the like: drop cached copies, then pass to the origin. */

/*
 * The range rule, for discards, write-zeroes and secure erases (range
 * ops), which go to the origin and must not leave a cached copy older
 * than the origin behind:
 *  - a range op never drops a dirty block.  Dropping one would lose the
 *    acknowledged data of the part of the block outside the range, and
 *    of all of it if the op then failed on the origin.  A dirty block in
 *    the range is written back first (a write-back job queued here), and
 *    the op waits in c->deferred until the block is clean;
 *  - clean copies in the range are dropped, whether the range covers
 *    them whole or in part: the origin has all of their data, so this is
 *    safe whatever the op's outcome on the origin;
 *  - write-zeroes and secure erases cover their exact range, rounded
 *    outward to blocks: a block they cover in part is written back (if
 *    dirty) and dropped, and reads of it go to the origin;
 *  - a discard is advisory (its range reads back undefined data), so it
 *    is trimmed inward to the blocks it covers whole: a block it covers
 *    in part keeps its cached copy, clean or dirty, and that copy's data
 *    may later be written back over the discarded part of the origin;
 *  - a block whose dirty data is lost (CB_LOST) cannot be written back:
 *    it is dropped only if the op covers it whole, as a whole-block write
 *    drops it; otherwise the rest of it stays lost;
 *  - the op counts as a range write (c->range_writes) from its first
 *    look at the range until it completes, so no promotion starts while
 *    blocks of the range are dropped, written back, or waited for, and
 *    none can copy origin data the op is about to change.
 * A write racing with the op is not ordered with it (neither waited for
 * the other): it may land in the cache after the drop, or make a block
 * dirty again during its write-back, in which case the block is written
 * back once more before it is dropped.
 */

/* Does the range op [@start, @end) cover the whole of origin block @o? */
static bool covers_block(struct cache *c, sector_t start, sector_t end,
			 u64 o)
{
	sector_t b_start = (sector_t)o << c->block_shift;
	sector_t b_end = b_start + c->block_sectors;

	/* The last block of an origin not a multiple of the block size. */
	b_end = min_t(sector_t, b_end, dm_restack_volume_sectors(c->vol));
	return start <= b_start && end >= b_end;
}

/*
 * The origin blocks [*@first, *@end) whose copies @bio must drop (see
 * the range rule above).
 */
static void range_blocks(struct cache *c, struct bio *bio, u64 *first,
			 u64 *end)
{
	sector_t start = bio->bi_iter.bi_sector, stop = bio_end_sector(bio);

	*first = start >> c->block_shift;
	*end = (stop + c->block_sectors - 1) >> c->block_shift;
	if (bio_op(bio) != REQ_OP_DISCARD)
		return;
	if (!covers_block(c, start, stop, *first))
		(*first)++;
	if (*end > *first && !covers_block(c, start, stop, *end - 1))
		(*end)--;
	if (*end < *first)
		*end = *first;
}

/*
 * Apply the range rule to block @i if it caches a block of @bio's range
 * [@first, @end) (cache->lock held).  Returns false if the op must wait:
 * the block is busy, or dirty (then its write-back is queued on @jobs).
 */
static bool drop_if_in_range(struct cache *c, u32 i, struct bio *bio,
			     u64 first, u64 end, struct list_head *jobs)
{
	struct cblock *b = cb(c, i);

	if (!(b->flags & (CB_VALID | CB_PROMOTING)) || b->slot == CB_NONE ||
	    b->oblock < first || b->oblock >= end)
		return true;
	if (b->flags & (CB_FILLING | CB_WRITEBACK))
		return false;	/* retried when they are done */
	if (b->flags & CB_LOST) {
		if (covers_block(c, bio->bi_iter.bi_sector, bio_end_sector(bio),
				 b->oblock))
			drop_key(c, b->oblock);
		return true;
	}
	if (b->flags & CB_DIRTY) {
		/*
		 * Written back first; writes in flight on it must land before
		 * (see queue_writebacks()).  Not while the worker is stopping:
		 * quiesce() waits for the write-back in flight, and restart()
		 * kicks the worker again.
		 */
		if (!b->writes && !dm_restack_worker_stopping(&c->worker) &&
		    c->nr_writeback < MAX_WRITEBACKS)
			queue_writeback(c, i, jobs);
		return false;
	}
	/* Promotions in flight are marked stale and dropped when done. */
	drop_key(c, b->oblock);
	return true;
}

/*
 * Drop the cached copies of a range op's range (the range rule above):
 * by looking up each block of a short range, by scanning the cache for a
 * long one, SCAN_CHUNK blocks per hold of the lock.  Returns false if the
 * op must wait (some block was busy or dirty); either way @io counts as a
 * range write from the first call until it completes.  Process context.
 */
static bool drop_range(struct cache *c, struct bio *bio,
		       struct dm_restack_io *io, struct list_head *jobs)
{
	u64 first, end, n, k, chunk_end;
	bool done = true;
	unsigned long flags;
	u32 i;

	range_blocks(c, bio, &first, &end);
	spin_lock_irqsave(&c->lock, flags);
	/* Before anything is dropped: no promotion starts in between. */
	if (!(io->policy_data[0] & IO_RANGE_WRITE))
		range_write_begin(c, io);
	spin_unlock_irqrestore(&c->lock, flags);

	/* Blocks of the range to look up, or the whole table to scan. */
	n = min_t(u64, end - first, c->geo.nr_blocks);
	for (k = 0; k < n; k = chunk_end) {
		chunk_end = min_t(u64, k + SCAN_CHUNK, n);
		spin_lock_irqsave(&c->lock, flags);
		for (; k < chunk_end; k++) {
			if (end - first < c->geo.nr_blocks) {
				i = lookup(c, first + k);
				if (i == CB_NONE)
					continue;
			} else {
				i = k;
			}
			done &= drop_if_in_range(c, i, bio, first, end, jobs);
		}
		spin_unlock_irqrestore(&c->lock, flags);
		cond_resched();
	}
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
	bool commit = false, want_writeback, more;
	unsigned long flags;
	struct bio *bio;
	u32 budget;

	spin_lock_irqsave(&c->lock, flags);
	deferred = c->deferred;
	bio_list_init(&c->deferred);
	retry = c->retry;
	bio_list_init(&c->retry);
	list_splice_init(&c->jobs_queued, &jobs);
	want_writeback = !dm_restack_worker_stopping(&c->worker) &&
			 (c->cleaning || writeback_due(c) || c->fast_failed);
	if (!dm_restack_worker_stopping(&c->worker) && commit_due(c))
		commit = true;
	if (!bio_list_empty(&c->after_commit))
		commit = true;
	spin_unlock_irqrestore(&c->lock, flags);

	/* At most one pass over the blocks per run, in chunks. */
	budget = c->geo.nr_blocks;
	while (want_writeback) {
		spin_lock_irqsave(&c->lock, flags);
		more = queue_writebacks(c, &jobs, &budget);
		spin_unlock_irqrestore(&c->lock, flags);
		if (!more)
			break;
		cond_resched();
	}

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
			if (drop_range(c, bio, io, &jobs)) {
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
