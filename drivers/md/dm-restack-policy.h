/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-restack-policy.h - the contract between the restack target and its
 * policy modules.
 *
 * A policy is the processing logic placed between a restack volume and its
 * origin: it decides, bio by bio, where I/O goes (the origin, a fast device,
 * a worker of its own).  Policies live in their own modules, named
 * dm-restack-<name>.ko and declaring DM_RESTACK_POLICY_ALIAS(<name>),
 * register a struct dm_restack_policy_type when they load, and are
 * attached to detached volumes and detached from them while I/O runs.
 *
 * Lifetime of one attachment, as the target drives it:
 *
 *   create()                 process context, may block, may fail
 *   activate()               once the writes passed through before the
 *                            instance was published have completed
 *   resume()                 whenever the volume resumes (maybe never)
 *   map() / end_io()         for every bio, concurrently, never blocking
 *   message(), status()      any time between create() and destroy()
 *   presuspend()/postsuspend()/resume()  around each suspend of the volume
 *   sync()                   once, on detach, may block
 *   destroy()                after the last bio mapped by this attachment
 *                            has completed; process context, may block
 *
 * A volume has at most one attachment: attach on a volume that has one
 * fails with -EBUSY, so a policy is never replaced in one step (detach,
 * then attach).  The target counts the bios each attachment has mapped
 * with a percpu_ref; detach unpublishes the attachment before killing its
 * reference, so every bio is mapped by at most one policy and completes
 * through the one that mapped it.
 *
 * Locking: create, sync, message, the suspend hooks and destroy of one
 * volume are serialised by the target (never two at once).  map, end_io
 * and status are not serialised with anything, including each other.
 */
#ifndef DM_RESTACK_POLICY_H
#define DM_RESTACK_POLICY_H

#include <linux/bio.h>
#include <linux/device-mapper.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/types.h>

struct dm_restack_volume;
struct dm_restack_policy;

/*
 * The module alias by which the registry loads policy @name on demand
 * (request_module("dm-restack-policy-<name>")): every policy module
 * declares it, e.g. DM_RESTACK_POLICY_ALIAS("cache").  Other restack
 * modules (the tracer) do not, so "attach <their name>" cannot load them.
 */
#define DM_RESTACK_POLICY_ALIAS(name) MODULE_ALIAS("dm-restack-policy-" name)

/*
 * Per-bio context, kept in device-mapper's per-bio data.
 *
 * The target fills the submit-time fields before map() and reads the
 * physical fields after it; a policy may read everything, must set
 * @result in map(), and may use @policy_data freely between its map() and
 * its end_io() for the same bio.
 *
 * @start_ns and @cgroup_id cost a clock read and a cgroup lookup per bio,
 * so they are filled only while someone reads them: while a restack
 * tracepoint is enabled, or for a policy whose type sets
 * @wants_io_context.  Otherwise they are 0.
 */
struct dm_restack_io {
	u64 start_ns;		/* ktime_get_ns() when the target saw the bio */
	sector_t virt_sector;	/* sector on the volume, before any remap */
	sector_t phys_sector;	/* sector on @phys_dev, once mapped */
	u64 cgroup_id;		/* id of the bio's blkcg cgroup, 0 if none */
	pid_t pid;		/* tgid of the task that mapped the bio */
	dev_t phys_dev;		/* device the bio was sent to, once mapped */
	u32 nr_sectors;		/* length at submit (end_io sees it consumed) */
	u32 inflight;		/* bios in flight at submit; 0 unless traced */
	blk_opf_t opf;		/* op and flags at submit */
	u8 result;		/* enum dm_restack_result, uapi/dm-restack.h */
	void *attachment;	/* target private: who mapped the bio */
	unsigned long policy_data[2];
	/*
	 * Free for the policy: for example the bio's iterator as mapped, to
	 * resubmit it elsewhere after end_io() (the iterator is consumed by
	 * then).
	 */
	struct bvec_iter policy_iter;
};

/*
 * One attached instance of a policy.  The policy embeds it in its own
 * state (container_of); the target sets @type and @vol after create().
 */
struct dm_restack_policy {
	const struct dm_restack_policy_type *type;
	struct dm_restack_volume *vol;
};

struct dm_restack_policy_type {
	/* Target private: the registry's list of types. */
	struct list_head list;

	/*
	 * Name used in tables and messages; the module must declare
	 * DM_RESTACK_POLICY_ALIAS(<name>) so that attaching loads it on
	 * demand.
	 */
	const char *name;
	unsigned int version[3];
	struct module *owner;

	/* Fill start_ns and cgroup_id of every bio for this policy. */
	bool wants_io_context;

	/*
	 * create - build an instance for @vol from the policy's arguments.
	 *
	 * Context: process (table load or the attach message); may block,
	 * may allocate with GFP_KERNEL, may open devices.  No bio reaches the
	 * instance before create() returns.  The instance must be ready to
	 * map bios when it is returned: a live attach publishes it at once.
	 *
	 * Returns the instance or an ERR_PTR; on error *@error must point to a
	 * static string naming the problem (it becomes ti->error or a kernel
	 * log line), and nothing may be left allocated or opened.
	 */
	struct dm_restack_policy *(*create)(struct dm_restack_volume *vol,
					    unsigned int argc, char **argv,
					    const char **error);

	/*
	 * activate - optional; every write the volume passed through to the
	 * origin before this instance was published has completed.
	 *
	 * Context: process (the attach message, or table load), may block;
	 * called once, after create(), and before sync() or destroy().  A live
	 * attach publishes the instance, so map() runs from then on, while
	 * writes the volume passed through to the origin when it was detached
	 * may still be in flight: the target waits for them, then calls
	 * activate().  At table load it is called right after create(): no
	 * bio reaches the table before the previous one has been suspended,
	 * which waits for its bios.  Until activate() the policy must not
	 * copy origin data to keep serving it (a cache's promotions), since a
	 * write in flight may still change the origin under the copy; it may
	 * map bios in every other way.
	 */
	void (*activate)(struct dm_restack_policy *p);

	/*
	 * destroy - free an instance.  Context: process, may block.  Called
	 * once no bio mapped by this instance is in flight, after sync() when
	 * detaching, or without sync() when the table itself is destroyed (a
	 * policy with persistent state must leave it recoverable then).
	 */
	void (*destroy)(struct dm_restack_policy *p);

	/*
	 * map - decide where @bio goes.
	 *
	 * Context: the submitter's, or a device-mapper worker's; may be under
	 * rcu_read_lock() of the block layer and may carry REQ_NOWAIT: must
	 * NEVER block or sleep.  Slow work (misses, promotions, write-back)
	 * goes to the policy's own workers.
	 *
	 * On entry @bio is aimed at the origin: its bdev is the origin and its
	 * sector is relative to the target, which is also the sector on the
	 * origin; a policy that sends it there returns DM_MAPIO_REMAPPED
	 * without changing it.  REQ_PREFLUSH bios may be empty; discard,
	 * write-zeroes and secure-erase bios arrive too.  The policy must
	 * honour REQ_PREFLUSH (everything it completed before must be durable
	 * when the flush completes) and REQ_FUA (the data is durable when the
	 * bio completes) on every device it writes.
	 *
	 * Returns, and thereby says who owns @bio:
	 *   DM_MAPIO_REMAPPED   bdev and sector set; the target submits it.
	 *   DM_MAPIO_SUBMITTED  the policy owns it and will end it with
	 *                       bio_endio() or pass it on with
	 *                       dm_submit_bio_remap(); end_io() runs then.
	 *   DM_MAPIO_KILL       fail it with BLK_STS_IOERR; end_io() does not
	 *                       run.
	 *   DM_MAPIO_REQUEUE    retry later (only while suspending noflush).
	 * The policy sets @io->result (hit, miss, bypass...).  For REMAPPED the
	 * target records the physical device and sector from @bio; a policy
	 * that submits I/O itself reports it with dm_restack_io_remapped().
	 */
	int (*map)(struct dm_restack_policy *p, struct bio *bio,
		   struct dm_restack_io *io);

	/*
	 * end_io - optional; a bio this instance mapped has completed.
	 * Context: completion (often hard or soft interrupt); must not block.
	 * May change *@error (for example to hide a fast-device error after
	 * retrying on the origin).  Returns DM_ENDIO_DONE, DM_ENDIO_INCOMPLETE
	 * (the policy has taken the bio back and will end it again later) or
	 * DM_ENDIO_REQUEUE.
	 */
	int (*end_io)(struct dm_restack_policy *p, struct bio *bio,
		      struct dm_restack_io *io, blk_status_t *error);

	/*
	 * sync - optional; make the origin complete on its own before detach.
	 *
	 * Context: process (the detach or attach message); may block for as
	 * long as the write-back takes.  On success the origin holds every
	 * write the volume completed, and the policy keeps it so for the bios
	 * it maps until destroy() (it stops creating dirty data).  On error
	 * (a negative errno) the target stays attached to this instance and
	 * reports the detach as failed; the policy should say why in the log.
	 * Progress is reported through status() while it runs.
	 */
	int (*sync)(struct dm_restack_policy *p);

	/*
	 * status - optional; append " key=value" tokens to the volume's INFO
	 * status with DMEMIT-like semantics (@sz is the current length).
	 * Context: process; must not block on I/O: it may run concurrently
	 * with map(), sync() and a suspend.  Returns the new length.
	 */
	unsigned int (*status)(struct dm_restack_policy *p, char *result,
			       unsigned int maxlen, unsigned int sz);

	/*
	 * table_args - optional; append the instance's current arguments as
	 * " <#args> <arg>..." so that the volume's table line recreates it.
	 * Without it the target emits the arguments given to create().
	 */
	unsigned int (*table_args)(struct dm_restack_policy *p, char *result,
				   unsigned int maxlen, unsigned int sz);

	/*
	 * message - optional; a message the target does not understand.
	 * Context: process, may block.  Returns 0, a positive value when it
	 * wrote a reply into @result, or -EINVAL (with a kernel log line) for
	 * a message it does not accept.
	 */
	int (*message)(struct dm_restack_policy *p, unsigned int argc,
		       char **argv, char *result, unsigned int maxlen);

	/*
	 * Suspend hooks, optional, mirroring struct target_type's.  Context:
	 * process, may block.  resume() may be called without a preceding
	 * postsuspend() (an instance attached to a suspended volume) and must
	 * then simply start the instance.
	 */
	void (*presuspend)(struct dm_restack_policy *p);
	void (*postsuspend)(struct dm_restack_policy *p);
	void (*resume)(struct dm_restack_policy *p);
};

/* Register a type when the policy module loads; -EEXIST for a taken name. */
int dm_restack_policy_register(struct dm_restack_policy_type *type);
/* Unregister it when the module unloads (no instance can exist then). */
void dm_restack_policy_unregister(struct dm_restack_policy_type *type);

/* What a policy may ask of the volume it is attached to. */
struct block_device *dm_restack_origin(struct dm_restack_volume *vol);
sector_t dm_restack_volume_sectors(struct dm_restack_volume *vol);
const char *dm_restack_volume_name(struct dm_restack_volume *vol);

/*
 * dm_restack_bio_aim - aim @bio at @bdev: bio_set_dev() without the blkg
 * association.  Only for a bio that device-mapper submits afterwards,
 * i.e. one map() returns DM_MAPIO_REMAPPED for, or one the policy submits
 * with dm_submit_bio_remap(): device-mapper associates the blkg again
 * when it submits (bio_clone_blkg_association() in dm_submit_bio_remap()),
 * so bio_set_dev() would look the blkg up twice per bio, a cost the hit
 * path of a cache feels.  A bio submitted with submit_bio_noacct() needs
 * bio_set_dev().  Any context; does not block.
 */
static inline void dm_restack_bio_aim(struct bio *bio, struct block_device *bdev)
{
	bio_clear_flag(bio, BIO_REMAPPED);
	if (bio->bi_bdev != bdev)
		bio_clear_flag(bio, BIO_BPS_THROTTLED);
	bio->bi_bdev = bdev;
}

/*
 * dm_restack_io_remapped - record where a bio the policy submits itself was
 * sent (@bio's current bdev and sector) and fire the remap tracepoint.
 * Any context; does not block.
 */
void dm_restack_io_remapped(struct dm_restack_volume *vol,
			    struct dm_restack_io *io, struct bio *bio);

/*
 * dm_restack_accept_partial_bio - dm_accept_partial_bio() for a policy: map
 * only the first @n_sectors of @bio (device-mapper maps the rest as a new
 * bio, through map() again) and keep the volume's counters and
 * @io->nr_sectors right.  A policy splits bios with this helper, never
 * with dm_accept_partial_bio() itself, which would count the remainder's
 * bytes twice.  Only from map(), before @bio is submitted; @bio must not
 * be an empty flush.  Does not block.
 */
void dm_restack_accept_partial_bio(struct dm_restack_policy *p,
				   struct bio *bio, struct dm_restack_io *io,
				   unsigned int n_sectors);

/*
 * dm_restack_volume_set_failed - the policy can no longer serve the volume
 * correctly (for example dirty data it cannot read back).  The status mode
 * becomes "failed" until the policy is detached.  Any context.
 */
void dm_restack_volume_set_failed(struct dm_restack_volume *vol);

/*
 * For restack's own modules (the tracer): is @devt a restack volume?
 * Process context.
 */
bool dm_restack_volume_exists(dev_t devt);

#endif /* DM_RESTACK_POLICY_H */
