// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-cache-main.c - the cache policy's life cycle: construction
 * and destruction with their arguments, the registry that gives one cache
 * at a time ownership of a fast device's metadata, suspend and resume,
 * sync (detach), messages, status, and the module.  The overview of the
 * policy and its crash-consistency rules is in dm-restack-cache.h.
 *
 * Context: process context (dm table and message callbacks); the fast
 * device registry is under fast_devs_lock.
 */
#include "dm-restack-cache.h"

static const char * const mode_names[] = { "wt", "wb", "wa" };

/* ---------------------------------------------------------------------- */
/* Fast device registry: one cache owns a fast device's metadata at once. */

struct fast_dev {
	struct list_head list;
	dev_t dev;
	char volume[128];		/* the restack volume using it */
	struct cache *owner;		/* whose metadata is authoritative */
	u64 gen;			/* bumped at each change of owner */
	unsigned int users;
};

static DEFINE_MUTEX(fast_devs_lock);
static LIST_HEAD(fast_devs);

/* ---------------------------------------------------------------------- */
/* Ownership of the fast device's metadata, across table reloads.
 *
 * During a reload the new table's cache is created while the old one
 * still runs; the old one commits and releases the metadata in
 * postsuspend(), and the new one loads it in resume().  An instance that
 * is resumed again without anyone else having owned the device in between
 * keeps its in-memory state.
 */

static struct fast_dev *fast_dev_get(dev_t dev, const char *volume,
				     const char **error)
{
	struct fast_dev *f;

	lockdep_assert_held(&fast_devs_lock);
	list_for_each_entry(f, &fast_devs, list) {
		if (f->dev != dev)
			continue;
		if (strcmp(f->volume, volume)) {
			*error = "cache: the fast device is in use by another volume's cache";
			return ERR_PTR(-EBUSY);
		}
		f->users++;
		return f;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f) {
		*error = "cache: out of memory";
		return ERR_PTR(-ENOMEM);
	}
	f->dev = dev;
	strscpy(f->volume, volume, sizeof(f->volume));
	f->users = 1;
	list_add(&f->list, &fast_devs);
	return f;
}

static void fast_dev_put(struct fast_dev *f)
{
	lockdep_assert_held(&fast_devs_lock);
	if (--f->users)
		return;
	list_del(&f->list);
	kfree(f);
}

static void take_ownership(struct cache *c)
{
	c->fast_entry->owner = c;
	c->owner_gen = ++c->fast_entry->gen;
}

/*
 * Record the blocks write-back cleaned (CB_RECORDED_DIRTY) as clean in
 * the metadata image, for the next commit to write: on leaving wb, on
 * detach and at a clean shutdown, where a warm cache should not be
 * written back again after a crash.  Their write-back completed before,
 * and a commit flushes the origin before it writes pages.  Process
 * context; takes the lock for a chunk of blocks at a time.
 */
void record_clean(struct cache *c)
{
	unsigned long flags;
	u32 i = 0, end;

	while (i < c->geo.nr_blocks) {
		end = min_t(u32, i + 4096, c->geo.nr_blocks);
		spin_lock_irqsave(&c->lock, flags);
		for (; i < end; i++) {
			if (cb(c, i)->flags & CB_RECORDED_DIRTY) {
				cb(c, i)->flags &= ~CB_RECORDED_DIRTY;
				meta_set_from_block(c, i);
			}
		}
		spin_unlock_irqrestore(&c->lock, flags);
		cond_resched();
	}
}

/* Stop background work and wait for copies in flight. */
static void quiesce(struct cache *c)
{
	dm_restack_worker_stop(&c->worker);
	wait_event(c->wait, !READ_ONCE(c->nr_promoting) &&
		   !READ_ONCE(c->nr_writeback));
	/* The last copy_done() may still be running: it kicks the worker. */
	dm_restack_copier_wait_idle(&c->copier);
	dm_restack_worker_flush(&c->worker);
}

static void restart(struct cache *c)
{
	dm_restack_worker_restart(&c->worker);
}

static void cache_postsuspend(struct dm_restack_policy *p)
{
	struct cache *c = to_cache(p);

	mutex_lock(&fast_devs_lock);
	if (c->fast_entry->owner == c) {
		/* Quiesced: the state on disk is complete, as at shutdown. */
		quiesce(c);
		record_clean(c);
		cache_commit(c, true);
		c->fast_entry->owner = NULL;
	}
	mutex_unlock(&fast_devs_lock);
}

static void cache_resume(struct dm_restack_policy *p)
{
	struct cache *c = to_cache(p);
	const char *error;

	mutex_lock(&fast_devs_lock);
	if (c->fast_entry->owner == c) {
		/* Attached to an already suspended volume: just start. */
		restart(c);
	} else if (!c->fast_entry->owner) {
		if (!c->loaded || c->fast_entry->gen != c->owner_gen) {
			free_state(c);
			if (cache_load(c, true, &error)) {
				DMERR("%s: %s; caching stops", dm_restack_volume_name(c->vol),
				      error);
				c->fast_failed = true;
			}
		}
		if (c->loaded)
			take_ownership(c);
		restart(c);
	} else {
		DMERR("%s: resumed while another cache owns the fast device; caching stops",
		      dm_restack_volume_name(c->vol));
		c->fast_failed = true;
	}
	mutex_unlock(&fast_devs_lock);
}

/* ---------------------------------------------------------------------- */
/* Construction and destruction */

static int parse_size(const char *value, u64 *out)
{
	return kstrtoull(value, 10, out);
}

static int cache_parse_args(struct cache *c, unsigned int argc,
			    char **argv, bool *block_size_given,
			    const char **error)
{
	unsigned int i;
	u64 v;

	c->mode = MODE_WT;
	c->block_sectors = 8;
	c->promote_hits = 0;
	c->seq_cutoff_sectors = 0;
	c->replacement = RS_REPL_S3FIFO;
	c->high_watermark = DEFAULT_HIGH_WATERMARK;
	c->low_watermark = DEFAULT_LOW_WATERMARK;
	*block_size_given = false;

	for (i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *key = argv[i], *value;
		size_t klen;

		if (!eq) {
			*error = "cache: expected key=value arguments after the fast device";
			return -EINVAL;
		}
		klen = eq - key;
		value = eq + 1;
		if (klen == 4 && !strncmp(key, "mode", 4)) {
			int m = match_string(mode_names, ARRAY_SIZE(mode_names), value);

			if (m < 0) {
				*error = "cache: mode must be wt, wb or wa";
				return -EINVAL;
			}
			c->mode = m;
		} else if (klen == 10 && !strncmp(key, "block_size", 10)) {
			if (parse_size(value, &v) || v < 4096 || v > (1U << 20) ||
			    !is_power_of_2(v)) {
				*error = "cache: block_size: a power of two, 4096..1048576";
				return -EINVAL;
			}
			c->block_sectors = v >> SECTOR_SHIFT;
			*block_size_given = true;
		} else if (klen == 12 && !strncmp(key, "promote_hits", 12)) {
			if (parse_size(value, &v) || v > 255) {
				*error = "cache: promote_hits must be 0 to 255";
				return -EINVAL;
			}
			c->promote_hits = v;
		} else if (klen == 10 && !strncmp(key, "seq_cutoff", 10)) {
			if (parse_size(value, &v) || v % SECTOR_SIZE ||
			    v > (1ULL << 40)) {
				*error = "cache: seq_cutoff: bytes, a multiple of 512 (0: off)";
				return -EINVAL;
			}
			c->seq_cutoff_sectors = v >> SECTOR_SHIFT;
		} else if (klen == 11 && !strncmp(key, "replacement", 11)) {
			int k = rs_repl_lookup(value);

			if (k < 0) {
				*error = "cache: replacement: lru, sieve, s3fifo, arc or 2q";
				return -EINVAL;
			}
			c->replacement = k;
		} else if (klen == 14 && !strncmp(key, "high_watermark", 14)) {
			if (parse_size(value, &v) || v > 100) {
				*error = "cache: high_watermark: a percentage, 0 to 100";
				return -EINVAL;
			}
			c->high_watermark = v;
		} else if (klen == 13 && !strncmp(key, "low_watermark", 13)) {
			if (parse_size(value, &v) || v > 100) {
				*error = "cache: low_watermark: a percentage, 0 to 100";
				return -EINVAL;
			}
			c->low_watermark = v;
		} else {
			*error = "cache: unknown argument";
			return -EINVAL;
		}
	}
	if (c->low_watermark > c->high_watermark) {
		*error = "cache: low_watermark exceeds high_watermark";
		return -EINVAL;
	}
	c->block_shift = ilog2(c->block_sectors);
	return 0;
}

/* A path, or major:minor as the table line prints it. */
static int fast_dev_lookup(const char *name, dev_t *dev)
{
	unsigned int major, minor;
	char dummy;

	if (sscanf(name, "%u:%u%c", &major, &minor, &dummy) == 2) {
		*dev = MKDEV(major, minor);
		if (MAJOR(*dev) != major || MINOR(*dev) != minor)
			return -EOVERFLOW;
		return 0;
	}
	return lookup_bdev(name, dev);
}

static void cache_free(struct cache *c)
{
	dm_restack_worker_exit(&c->worker);
	dm_restack_copier_exit(&c->copier);
	bioset_exit(&c->bs);
	free_state(c);
	kfree(c->page_buf);
	free_percpu(c->lat);
	kfree(c);
}

static struct dm_restack_policy *cache_create(struct dm_restack_volume *vol,
					      unsigned int argc, char **argv,
					      const char **error)
{
	bool block_size_given;
	struct cache *c;
	dev_t dev;
	int r;

	if (argc < 1) {
		*error = "cache: missing fast device";
		return ERR_PTR(-EINVAL);
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		*error = "cache: out of memory";
		return ERR_PTR(-ENOMEM);
	}
	c->vol = vol;
	c->origin = dm_restack_origin(vol);
	spin_lock_init(&c->lock);
	mutex_init(&c->commit_lock);
	init_waitqueue_head(&c->wait);
	INIT_LIST_HEAD(&c->jobs_queued);
	bio_list_init(&c->deferred);
	bio_list_init(&c->after_commit);
	bio_list_init(&c->retry);

	r = cache_parse_args(c, argc, argv, &block_size_given, error);
	if (r)
		goto bad;

	c->page_buf = kmalloc(RESTACK_CACHE_PAGE_SIZE, GFP_KERNEL);
	c->lat = alloc_percpu(struct cache_lat);
	if (!c->page_buf || !c->lat ||
	    dm_restack_worker_init(&c->worker, "restack-cache", cache_worker,
				   cache_periodic, COMMIT_PERIOD) ||
	    dm_restack_copier_init(&c->copier)) {
		*error = "cache: out of memory";
		r = -ENOMEM;
		goto bad;
	}
	r = bioset_init(&c->bs, BIO_POOL_SIZE, offsetof(struct wt_clone, clone), 0);
	if (r) {
		*error = "cache: out of memory";
		goto bad;
	}

	r = fast_dev_lookup(argv[0], &dev);
	if (r) {
		*error = "cache: fast device not found";
		goto bad;
	}
	if (dev == c->origin->bd_dev) {
		*error = "cache: the fast device is the origin";
		r = -EINVAL;
		goto bad;
	}

	mutex_lock(&fast_devs_lock);
	c->fast_entry = fast_dev_get(dev, dm_restack_volume_name(vol), error);
	if (IS_ERR(c->fast_entry)) {
		r = PTR_ERR(c->fast_entry);
		c->fast_entry = NULL;
		goto bad_unlock;
	}
	c->fast = blkdev_get_by_dev(dev, FMODE_READ | FMODE_WRITE | FMODE_EXCL,
				    c->fast_entry);
	if (IS_ERR(c->fast)) {
		r = PTR_ERR(c->fast);
		c->fast = NULL;
		*error = r == -EBUSY ? "cache: the fast device is busy" :
			"cache: cannot open the fast device";
		goto bad_entry;
	}
	if (bdev_logical_block_size(c->fast) > bdev_logical_block_size(c->origin)) {
		*error = "cache: the fast device's logical block size exceeds the origin's";
		r = -EINVAL;
		goto bad_entry;
	}

	/* Load now unless the volume's previous table still owns it. */
	if (!c->fast_entry->owner) {
		r = cache_load(c, block_size_given, error);
		if (r)
			goto bad_entry;
		take_ownership(c);
		restart(c);
	}
	mutex_unlock(&fast_devs_lock);
	return &c->policy;

bad_entry:
	if (c->fast)
		blkdev_put(c->fast, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	fast_dev_put(c->fast_entry);
bad_unlock:
	mutex_unlock(&fast_devs_lock);
bad:
	cache_free(c);
	return ERR_PTR(r);
}

/* No write passed through before the attach is in flight any more. */
static void cache_activate(struct dm_restack_policy *p)
{
	struct cache *c = to_cache(p);

	spin_lock_irq(&c->lock);
	c->origin_settled = true;
	spin_unlock_irq(&c->lock);
}

static void cache_destroy(struct dm_restack_policy *p)
{
	struct cache *c = to_cache(p);

	mutex_lock(&fast_devs_lock);
	quiesce(c);
	if (c->fast_entry->owner == c) {
		/* Clean shutdown: the cache stays warm for the next load. */
		record_clean(c);
		cache_commit(c, true);
		c->fast_entry->owner = NULL;
	}
	blkdev_put(c->fast, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
	fast_dev_put(c->fast_entry);
	mutex_unlock(&fast_devs_lock);
	cache_free(c);
}

/* ---------------------------------------------------------------------- */
/* Sync (detach), mode changes, status */

/* Write back every dirty block and commit; new writes make none. */
static int clean_all(struct cache *c)
{
	unsigned long flags;
	int r;

	spin_lock_irqsave(&c->lock, flags);
	c->cleaning = true;
	spin_unlock_irqrestore(&c->lock, flags);
	kick(c);

	r = wait_event_killable(c->wait, ({
		kick(c);
		READ_ONCE(c->nr_dirty) == READ_ONCE(c->nr_lost) &&
			!READ_ONCE(c->nr_writeback);
	}));
	if (!r && c->nr_lost) {
		DMERR("%s: %llu dirty blocks lost: the origin cannot be made complete",
		      dm_restack_volume_name(c->vol), c->nr_lost);
		r = -EIO;
	}
	/*
	 * What write-back copied must be durable on the origin: that is what
	 * makes it complete.  Recording the blocks as clean on the fast
	 * device only keeps the cache warm, so a dead fast device does not
	 * stop a detach.
	 */
	if (!r)
		r = blkdev_issue_flush(c->origin);
	if (!r && !READ_ONCE(c->fast_failed)) {
		record_clean(c);
		cache_commit(c, false);
	}
	if (r) {
		spin_lock_irqsave(&c->lock, flags);
		c->cleaning = false;
		spin_unlock_irqrestore(&c->lock, flags);
	}
	return r;
}

static int cache_sync(struct dm_restack_policy *p)
{
	return clean_all(to_cache(p));
}

static int cache_message(struct dm_restack_policy *p, unsigned int argc,
			 char **argv, char *result, unsigned int maxlen)
{
	struct cache *c = to_cache(p);
	unsigned long flags;
	int m, r;

	if (argc != 2 || strcmp(argv[0], "mode")) {
		DMERR("%s: unrecognised cache message (expected: mode wt|wb|wa)",
		      dm_restack_volume_name(c->vol));
		return -EINVAL;
	}
	m = match_string(mode_names, ARRAY_SIZE(mode_names), argv[1]);
	if (m < 0) {
		DMERR("%s: mode must be wt, wb or wa", dm_restack_volume_name(c->vol));
		return -EINVAL;
	}
	if (c->mode == MODE_WB && m != MODE_WB) {
		r = clean_all(c);
		if (r)
			return r;
	}
	spin_lock_irqsave(&c->lock, flags);
	c->mode = m;
	c->cleaning = false;
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}

static unsigned int cache_status(struct dm_restack_policy *p, char *result,
				 unsigned int maxlen, unsigned int sz)
{
	struct cache *c = to_cache(p);
	struct cache_lat lat = { 0 };
	unsigned long flags;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct cache_lat *l = per_cpu_ptr(c->lat, cpu);

		lat.fast_ios += READ_ONCE(l->fast_ios);
		lat.fast_ns += READ_ONCE(l->fast_ns);
		lat.origin_ios += READ_ONCE(l->origin_ios);
		lat.origin_ns += READ_ONCE(l->origin_ns);
	}
	spin_lock_irqsave(&c->lock, flags);
	DMEMIT(" cache_mode=%s block_size=%u blocks=%llu cached=%llu dirty=%llu free=%u",
	       mode_names[c->mode], c->block_sectors << SECTOR_SHIFT,
	       c->geo.nr_blocks, c->nr_valid, c->nr_dirty, c->nr_free);
	DMEMIT(" read_hits=%llu read_misses=%llu write_hits=%llu write_misses=%llu",
	       c->stats.read_hits, c->stats.read_misses, c->stats.write_hits,
	       c->stats.write_misses);
	DMEMIT(" promotions=%llu demotions=%llu writebacks=%llu bypassed=%llu",
	       c->stats.promotions, c->stats.demotions, c->stats.writebacks,
	       c->stats.bypassed);
	DMEMIT(" commits=%llu fast_errors=%llu origin_errors=%llu lost=%llu",
	       c->stats.commits, c->stats.fast_errors, c->stats.origin_errors,
	       c->nr_lost);
	DMEMIT(" no_free_block=%llu promoting_hits=%llu promote_throttled=%llu",
	       c->stats.no_free_block, c->stats.promoting_hits,
	       c->stats.promote_throttled);
	DMEMIT(" fast_ios=%llu fast_lat_us=%llu origin_ios=%llu origin_lat_us=%llu",
	       lat.fast_ios, div_u64(lat.fast_ns, NSEC_PER_USEC),
	       lat.origin_ios, div_u64(lat.origin_ns, NSEC_PER_USEC));
	DMEMIT(" fast_state=%s replacement=%s", c->fast_failed ? "failed" : "ok",
	       rs_repl_name(c->replacement));
	if (c->cleaning)
		DMEMIT(" sync_left=%llu", c->nr_dirty);
	spin_unlock_irqrestore(&c->lock, flags);
	return sz;
}

static unsigned int cache_table_args(struct dm_restack_policy *p, char *result,
				     unsigned int maxlen, unsigned int sz)
{
	struct cache *c = to_cache(p);

	DMEMIT(" 8 %u:%u mode=%s block_size=%u", MAJOR(c->fast->bd_dev), MINOR(c->fast->bd_dev),
	       mode_names[c->mode], c->block_sectors << SECTOR_SHIFT);
	DMEMIT(" promote_hits=%u seq_cutoff=%llu replacement=%s",
	       c->promote_hits, c->seq_cutoff_sectors << SECTOR_SHIFT,
	       rs_repl_name(c->replacement));
	DMEMIT(" high_watermark=%u low_watermark=%u", c->high_watermark,
	       c->low_watermark);
	return sz;
}

static struct dm_restack_policy_type cache_policy_type = {
	.name = "cache",
	.version = { 1, 0, 0 },
	.owner = THIS_MODULE,
	.create = cache_create,
	.activate = cache_activate,
	.destroy = cache_destroy,
	.map = cache_map,
	.end_io = cache_end_io,
	.sync = cache_sync,
	.status = cache_status,
	.table_args = cache_table_args,
	.message = cache_message,
	.postsuspend = cache_postsuspend,
	.resume = cache_resume,
};

static int __init cache_init(void)
{
	BUILD_BUG_ON(sizeof(struct restack_cache_sb_disk) > RESTACK_CACHE_PAGE_SIZE);
	BUILD_BUG_ON(RESTACK_CACHE_ENTRIES_PER_PAGE != 254);
	return dm_restack_policy_register(&cache_policy_type);
}

static void __exit cache_exit(void)
{
	dm_restack_policy_unregister(&cache_policy_type);
}

module_init(cache_init);
module_exit(cache_exit);

MODULE_DESCRIPTION("restack cache policy: wt, wb and wa caching on a fast device");
MODULE_AUTHOR("The restack developers");
MODULE_LICENSE("GPL");
DM_RESTACK_POLICY_ALIAS("cache");
