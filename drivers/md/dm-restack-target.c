// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-target.c - the restack device-mapper target.
 *
 * A restack volume sits between a workload and its origin device.
 * Detached, it passes every bio straight to the origin, as dm-linear does.
 * Attached, every bio goes through a policy module (see
 * dm-restack-policy.h), which is attached to a detached volume and
 * detached again live while I/O runs; attaching to a volume that has a
 * policy fails with -EBUSY (detach first).  Either way the target keeps
 * always-on per-CPU counters and publishes each bio, with its workload
 * identity and virtual address, through tracepoints.
 *
 * Live attach and detach: the active attachment is an RCU-protected
 * pointer; each attachment counts the bios it has mapped with a
 * percpu_ref.  Attach publishes a new attachment on a detached volume,
 * then waits for the writes passed through before it (counted per CPU)
 * and only then activates the policy.
 * Detach first lets the policy make the origin complete (sync), then
 * unpublishes it, kills its reference, waits for the bios it mapped to
 * complete and destroys it.  No DM suspend is needed.
 *
 * Table: <origin_dev> [policy <name> <#args> [<arg>...]]
 */
#include "dm-restack-internal.h"
#include "dm-restack-parse.h"

#include <linux/blk-cgroup.h>
#include <linux/cgroup.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/percpu-refcount.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/dm-restack.h>

#define CREATE_TRACE_POINTS
#include "restack_events.h"

EXPORT_TRACEPOINT_SYMBOL_GPL(restack_map);
EXPORT_TRACEPOINT_SYMBOL_GPL(restack_remap);
EXPORT_TRACEPOINT_SYMBOL_GPL(restack_complete);

enum restack_mode {
	RESTACK_DETACHED,
	RESTACK_ATTACHED,
	RESTACK_DETACHING,
};

/*
 * Always-on counters, one set per CPU, summed only when status is read.
 * Updated with this_cpu ops from map and end_io: no shared cache line is
 * written on the I/O path.
 */
struct restack_counters {
	u64 reads;
	u64 writes;
	u64 discards;
	u64 write_zeroes;
	u64 flushes;
	u64 fua;
	u64 read_bytes;
	u64 write_bytes;
	u64 discard_bytes;
	u64 started;
	u64 completed;
	u64 errors;
	/*
	 * Writes mapped while detached (pass-through), counted inside the
	 * RCU read-side section that found the volume detached, and their
	 * completions: see attachment_activate().  Not in the status.
	 */
	u64 passthrough_started;
	u64 passthrough_completed;
};

/* One policy instance attached to a volume, and the bios it has mapped. */
struct restack_attachment {
	struct dm_restack_policy *policy;
	struct dm_restack_policy_type *type;
	struct percpu_ref inflight;
	struct completion drained;
	/* The arguments it was created with, for the table line. */
	unsigned int argc;
	char **argv;
	struct rcu_head rcu;
};

struct dm_restack_volume {
	struct dm_target *ti;
	struct dm_dev *origin;
	dev_t devt;

	/* NULL when detached.  Written under @lock, read under RCU. */
	struct restack_attachment __rcu *active;

	/* Serialises attach, detach, policy messages and suspend hooks. */
	struct mutex lock;
	enum restack_mode mode;	/* written under @lock */
	bool failed;		/* set by the policy, cleared on detach */

	struct restack_counters __percpu *counters;
	atomic64_t attaches;
	atomic64_t detaches;

	struct list_head all;	/* on all_volumes */
};

/* Every restack volume, so that other restack modules can check a dev_t. */
static DEFINE_MUTEX(all_volumes_lock);
static LIST_HEAD(all_volumes);

bool dm_restack_volume_exists(dev_t devt)
{
	struct dm_restack_volume *vol;
	bool found = false;

	mutex_lock(&all_volumes_lock);
	list_for_each_entry(vol, &all_volumes, all)
		if (vol->devt == devt) {
			found = true;
			break;
		}
	mutex_unlock(&all_volumes_lock);
	return found;
}
EXPORT_SYMBOL_GPL(dm_restack_volume_exists);

/* ---------------------------------------------------------------------- */
/* Helpers offered to policies */

struct block_device *dm_restack_origin(struct dm_restack_volume *vol)
{
	return vol->origin->bdev;
}
EXPORT_SYMBOL_GPL(dm_restack_origin);

sector_t dm_restack_volume_sectors(struct dm_restack_volume *vol)
{
	return vol->ti->len;
}
EXPORT_SYMBOL_GPL(dm_restack_volume_sectors);

const char *dm_restack_volume_name(struct dm_restack_volume *vol)
{
	return dm_device_name(dm_table_get_md(vol->ti->table));
}
EXPORT_SYMBOL_GPL(dm_restack_volume_name);

static inline void io_remapped(struct dm_restack_volume *vol,
			       struct dm_restack_io *io, struct bio *bio)
{
	io->phys_dev = bio->bi_bdev ? bio->bi_bdev->bd_dev : 0;
	io->phys_sector = bio->bi_iter.bi_sector;
	trace_restack_remap(vol->devt, io, 0, 0);
}

void dm_restack_io_remapped(struct dm_restack_volume *vol,
			    struct dm_restack_io *io, struct bio *bio)
{
	io_remapped(vol, io, bio);
}
EXPORT_SYMBOL_GPL(dm_restack_io_remapped);

void dm_restack_volume_set_failed(struct dm_restack_volume *vol)
{
	WRITE_ONCE(vol->failed, true);
}
EXPORT_SYMBOL_GPL(dm_restack_volume_set_failed);

/* ---------------------------------------------------------------------- */
/* Attachments */

static void attachment_drained(struct percpu_ref *ref)
{
	struct restack_attachment *att =
		container_of(ref, struct restack_attachment, inflight);

	complete(&att->drained);
}

static void attachment_free_args(struct restack_attachment *att)
{
	unsigned int i;

	if (!att->argv)
		return;
	for (i = 0; i < att->argc; i++)
		kfree(att->argv[i]);
	kfree(att->argv);
}

/*
 * Create an attachment of policy @name; nothing is published yet.
 * Process context, may block.  On error *error names the problem.
 */
static struct restack_attachment *
attachment_create(struct dm_restack_volume *vol, const char *name,
		  unsigned int argc, char **argv, const char **error)
{
	struct restack_attachment *att;
	struct dm_restack_policy *policy;
	unsigned int i;
	int r;

	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att) {
		*error = "Cannot allocate policy attachment";
		return ERR_PTR(-ENOMEM);
	}
	init_completion(&att->drained);

	att->argc = argc;
	if (argc) {
		att->argv = kcalloc(argc, sizeof(*att->argv), GFP_KERNEL);
		if (!att->argv)
			goto nomem;
		for (i = 0; i < argc; i++) {
			att->argv[i] = kstrdup(argv[i], GFP_KERNEL);
			if (!att->argv[i])
				goto nomem;
		}
	}

	r = percpu_ref_init(&att->inflight, attachment_drained, 0, GFP_KERNEL);
	if (r)
		goto nomem;

	att->type = restack_policy_type_get(name);
	if (IS_ERR(att->type)) {
		r = PTR_ERR(att->type);
		*error = r == -ENOENT ?
			"Unknown policy: no module dm-restack-policy-<name> registers it" :
			"Invalid policy name";
		goto bad_ref;
	}

	*error = NULL;
	policy = att->type->create(vol, argc, argv, error);
	if (IS_ERR_OR_NULL(policy)) {
		r = policy ? PTR_ERR(policy) : -EINVAL;
		if (!*error)
			*error = "Policy constructor failed";
		goto bad_type;
	}
	policy->type = att->type;
	policy->vol = vol;
	att->policy = policy;
	return att;

bad_type:
	restack_policy_type_put(att->type);
bad_ref:
	percpu_ref_exit(&att->inflight);
	attachment_free_args(att);
	kfree(att);
	return ERR_PTR(r);
nomem:
	attachment_free_args(att);
	kfree(att);
	*error = "Cannot allocate policy arguments";
	return ERR_PTR(-ENOMEM);
}

/*
 * Wait for every bio @att mapped to complete, then destroy it.  @att must
 * already be unpublished.  Process context, may block.
 */
static void attachment_retire(struct restack_attachment *att)
{
	percpu_ref_kill(&att->inflight);
	wait_for_completion(&att->drained);
	percpu_ref_exit(&att->inflight);

	att->type->destroy(att->policy);
	restack_policy_type_put(att->type);
	attachment_free_args(att);
	kfree_rcu(att, rcu);
}

static struct restack_attachment *
active_locked(struct dm_restack_volume *vol)
{
	return rcu_dereference_protected(vol->active,
					 lockdep_is_held(&vol->lock));
}

/* Publish @att (may be NULL) and retire what was active before. */
static void attachment_swap(struct dm_restack_volume *vol,
			    struct restack_attachment *att)
{
	struct restack_attachment *old = active_locked(vol);

	rcu_assign_pointer(vol->active, att);
	WRITE_ONCE(vol->mode, att ? RESTACK_ATTACHED : RESTACK_DETACHED);
	if (old)
		attachment_retire(old);
}

static bool passthrough_writes_in_flight(struct dm_restack_volume *vol)
{
	u64 started = 0, completed = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		started += READ_ONCE(per_cpu_ptr(vol->counters, cpu)->passthrough_started);
	for_each_possible_cpu(cpu)
		completed += READ_ONCE(per_cpu_ptr(vol->counters, cpu)->passthrough_completed);
	return completed != started;
}

/*
 * @att is published: once every write passed through before it has
 * completed, tell the policy (activate()), which must not copy origin
 * data (a cache promotion) that such a write may still be changing.
 * Process context, may block for as long as the origin holds those
 * writes.
 *
 * A bio that found the volume detached counted itself as a pass-through
 * write inside its RCU read-side section (attachment_get()), so after a
 * grace period no more can start and the started count is final; the
 * completions then only catch up.  Reads are not counted: detached mode
 * stays at dm-linear's cost for them.  The grace period is expedited: a
 * normal one per attach made a run of attach/detach cycles under I/O
 * (tests/vm/03-attach-detach.sh) much slower.
 */
static void attachment_activate(struct dm_restack_volume *vol,
				struct restack_attachment *att)
{
	synchronize_rcu_expedited();
	while (passthrough_writes_in_flight(vol))
		usleep_range(500, 1000);
	if (att->type->activate)
		att->type->activate(att->policy);
}

/* Let the active policy make the origin complete. */
static int attachment_sync(struct dm_restack_volume *vol,
			   struct restack_attachment *att)
{
	int r;

	if (!att->type->sync)
		return 0;

	WRITE_ONCE(vol->mode, RESTACK_DETACHING);
	r = att->type->sync(att->policy);
	if (r) {
		WRITE_ONCE(vol->mode, RESTACK_ATTACHED);
		DMERR("%s: policy %s could not write back its data (%d); still attached",
		      dm_restack_volume_name(vol), att->type->name, r);
	}
	return r;
}

/*
 * Attach policy @name to a detached volume.  A volume with a policy must be
 * detached first: replacing one policy by another in one step could leave
 * the volume changed if the new policy failed after the old was synced.
 */
static int restack_attach(struct dm_restack_volume *vol, const char *name,
			  unsigned int argc, char **argv)
{
	struct restack_attachment *att, *old = active_locked(vol);
	const char *error;

	if (old) {
		DMERR("%s: attach %s: policy %s is attached; detach it first",
		      dm_restack_volume_name(vol), name, old->type->name);
		return -EBUSY;
	}

	att = attachment_create(vol, name, argc, argv, &error);
	if (IS_ERR(att)) {
		DMERR("%s: attach %s failed: %s", dm_restack_volume_name(vol),
		      name, error);
		return PTR_ERR(att);
	}

	attachment_swap(vol, att);
	attachment_activate(vol, att);
	WRITE_ONCE(vol->failed, false);
	atomic64_inc(&vol->attaches);
	return 0;
}

static int restack_detach(struct dm_restack_volume *vol)
{
	struct restack_attachment *att = active_locked(vol);
	int r;

	if (!att) {
		DMERR("%s: detach: no policy is attached",
		      dm_restack_volume_name(vol));
		return -EINVAL;
	}

	r = attachment_sync(vol, att);
	if (r)
		return r;

	attachment_swap(vol, NULL);
	WRITE_ONCE(vol->failed, false);
	atomic64_inc(&vol->detaches);
	return 0;
}

/*
 * Take a reference on the active attachment for one bio, or return NULL
 * when detached; detached, a write (@write) is counted as a pass-through
 * write, and *@passthrough set, in the same RCU read-side section
 * (attachment_activate() relies on it).  A reference that is being
 * killed means a newer attachment (or none) has already been published:
 * read the pointer again.
 */
static struct restack_attachment *
attachment_get(struct dm_restack_volume *vol, bool write, bool *passthrough)
{
	struct restack_attachment *att;

	*passthrough = false;
	rcu_read_lock();
	for (;;) {
		att = rcu_dereference(vol->active);
		if (!att) {
			if (write) {
				this_cpu_inc(vol->counters->passthrough_started);
				*passthrough = true;
			}
			break;
		}
		if (percpu_ref_tryget_live_rcu(&att->inflight))
			break;
		cpu_relax();
	}
	rcu_read_unlock();
	return att;
}

/* ---------------------------------------------------------------------- */
/* Constructor and destructor */

/* ti->error is a char * in this kernel; ours are all static strings. */
static void set_ti_error(struct dm_target *ti, const char *error)
{
	ti->error = (char *)error;
}

static const char *origin_error(int r)
{
	switch (r) {
	case -EBUSY:
		return "Origin device is busy: opened exclusively by another user";
	case -ENOENT:
	case -ENODEV:
	case -ENXIO:
		return "Origin device not found";
	case -EINVAL:
		return "Origin device is not a block device path or major:minor";
	default:
		return "Origin device lookup failed";
	}
}

static int restack_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct restack_table_args args;
	struct dm_restack_volume *vol;
	struct restack_attachment *att;
	const char *error;
	int r;

	r = restack_parse_table(argc, argv, &args, &error);
	if (r) {
		set_ti_error(ti, error);
		return r;
	}

	vol = kzalloc(sizeof(*vol), GFP_KERNEL);
	if (!vol) {
		ti->error = "Cannot allocate restack volume";
		return -ENOMEM;
	}
	vol->ti = ti;
	vol->devt = disk_devt(dm_disk(dm_table_get_md(ti->table)));
	mutex_init(&vol->lock);
	atomic64_set(&vol->attaches, 0);
	atomic64_set(&vol->detaches, 0);

	vol->counters = alloc_percpu(struct restack_counters);
	if (!vol->counters) {
		ti->error = "Cannot allocate counters";
		r = -ENOMEM;
		goto bad;
	}

	r = dm_get_device(ti, args.origin, dm_table_get_mode(ti->table),
			  &vol->origin);
	if (r) {
		set_ti_error(ti, origin_error(r));
		goto bad;
	}

	ti->private = vol;
	/*
	 * Advertise a volatile write cache and FUA whatever the origin has:
	 * a policy attached later may keep acknowledged data on a fast device
	 * with a write cache, and a live attach cannot change the queue
	 * limits.  Otherwise, over an origin without a write cache, the block
	 * layer would strip PREFLUSH and FUA before restack_map() sees them.
	 * Detached, they cost nothing: the origin's queue drops them.
	 */
	ti->flush_supported = true;
	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_secure_erase_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct dm_restack_io);

	if (args.policy) {
		att = attachment_create(vol, args.policy, args.policy_argc,
					args.policy_argv, &error);
		if (IS_ERR(att)) {
			set_ti_error(ti, error);
			r = PTR_ERR(att);
			goto bad_origin;
		}
		rcu_assign_pointer(vol->active, att);
		vol->mode = RESTACK_ATTACHED;
		atomic64_set(&vol->attaches, 1);
		/*
		 * No bio reaches this table before the previous table of the
		 * device (if any) has been suspended, which waits for its
		 * bios: nothing passed through before this instance.
		 */
		if (att->type->activate)
			att->type->activate(att->policy);
	}

	mutex_lock(&all_volumes_lock);
	list_add(&vol->all, &all_volumes);
	mutex_unlock(&all_volumes_lock);
	return 0;

bad_origin:
	dm_put_device(ti, vol->origin);
bad:
	ti->private = NULL;
	free_percpu(vol->counters);
	kfree(vol);
	return r;
}

static void restack_dtr(struct dm_target *ti)
{
	struct dm_restack_volume *vol = ti->private;
	struct restack_attachment *att;

	mutex_lock(&all_volumes_lock);
	list_del(&vol->all);
	mutex_unlock(&all_volumes_lock);

	/* No bio is in flight: the table is suspended or was never live. */
	att = rcu_dereference_protected(vol->active, true);
	RCU_INIT_POINTER(vol->active, NULL);
	if (att)
		attachment_retire(att);

	dm_put_device(ti, vol->origin);
	free_percpu(vol->counters);
	mutex_destroy(&vol->lock);
	kfree(vol);
}

/* ---------------------------------------------------------------------- */
/* The I/O path */

/*
 * Add one bio's op, flags and @bytes to the counters, each with weight
 * @one: 1 when the bio is mapped, (u64)-1 to take a count back.  u64
 * arithmetic wraps, so adding -x is subtracting x.
 */
static void count_op(struct dm_restack_volume *vol, blk_opf_t opf, u64 bytes,
		     u64 one)
{
	struct restack_counters __percpu *c = vol->counters;

	if (opf & REQ_PREFLUSH)
		this_cpu_add(c->flushes, one);
	if (opf & REQ_FUA)
		this_cpu_add(c->fua, one);

	switch (opf & REQ_OP_MASK) {
	case REQ_OP_READ:
		this_cpu_add(c->reads, one);
		this_cpu_add(c->read_bytes, one * bytes);
		break;
	case REQ_OP_WRITE:
		/* An empty flush is counted as a flush, not as a write. */
		if (bytes) {
			this_cpu_add(c->writes, one);
			this_cpu_add(c->write_bytes, one * bytes);
		}
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
		this_cpu_add(c->discards, one);
		this_cpu_add(c->discard_bytes, one * bytes);
		break;
	case REQ_OP_WRITE_ZEROES:
		this_cpu_add(c->write_zeroes, one);
		break;
	default:
		break;
	}
}

static void count_submit(struct dm_restack_volume *vol, struct bio *bio)
{
	this_cpu_inc(vol->counters->started);
	count_op(vol, bio->bi_opf, bio->bi_iter.bi_size, 1);
}

/*
 * A bio split by its policy counts once: device-mapper maps the remainder
 * as a new bio, which count_submit() counts with its own length.  So the
 * part accepted here gives back its op and flags (the last part, which is
 * not split, counts them) and the remainder's bytes.  @started stays: each
 * part completes through restack_end_io() on its own.
 */
void dm_restack_accept_partial_bio(struct dm_restack_policy *p,
				   struct bio *bio, struct dm_restack_io *io,
				   unsigned int n_sectors)
{
	u64 rest = (u64)(bio_sectors(bio) - n_sectors) << SECTOR_SHIFT;

	dm_accept_partial_bio(bio, n_sectors);
	io->nr_sectors = n_sectors;
	count_op(p->vol, bio->bi_opf, rest, (u64)-1);
}
EXPORT_SYMBOL_GPL(dm_restack_accept_partial_bio);

static void count_complete(struct dm_restack_volume *vol, blk_status_t error)
{
	this_cpu_inc(vol->counters->completed);
	if (error)
		this_cpu_inc(vol->counters->errors);
}

static u32 inflight_now(struct dm_restack_volume *vol)
{
	u64 started = 0, completed = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct restack_counters *c = per_cpu_ptr(vol->counters, cpu);

		started += READ_ONCE(c->started);
		completed += READ_ONCE(c->completed);
	}
	return started > completed ? min_t(u64, started - completed, U32_MAX) : 0;
}

/*
 * Fill the per-bio context.  The clone device-mapper hands us has no blkcg
 * association yet.  When someone reads the cgroup (a tracepoint or the
 * policy), pointing the clone at the origin with bio_set_dev() associates
 * it with the submitter's blkcg, so the cgroup recorded is the one the
 * origin will account.  Otherwise it is only aimed (dm_restack_bio_aim()):
 * device-mapper associates every bio it submits anyway, and a policy that
 * remaps the bio would pay for a second lookup.
 *
 * The clock read and the cgroup lookup are only done when someone reads
 * them: measured in a TCG guest, they were a visible share of detached
 * mode's cost over dm-linear.
 */
static void io_init(struct dm_restack_volume *vol, struct dm_restack_io *io,
		    struct bio *bio, struct restack_attachment *att)
{
	bool traced = trace_restack_complete_enabled() ||
		trace_restack_map_enabled() || trace_restack_remap_enabled();
	bool context = traced || (att && att->type->wants_io_context);

	if (context)
		bio_set_dev(bio, vol->origin->bdev);
	else
		dm_restack_bio_aim(bio, vol->origin->bdev);
	io->virt_sector = bio->bi_iter.bi_sector;
	io->nr_sectors = bio_sectors(bio);
	io->opf = bio->bi_opf;
	io->pid = current->tgid;
	io->phys_dev = 0;
	io->phys_sector = 0;
	io->result = DM_RESTACK_RESULT_NONE;
	io->attachment = att;
	if (context) {
		struct cgroup_subsys_state *css = bio_blkcg_css(bio);

		io->start_ns = ktime_get_ns();
		io->cgroup_id = css ? cgroup_id(css->cgroup) : 0;
		/* Summing per-CPU counters: only for the tracer. */
		io->inflight = traced ? inflight_now(vol) : 0;
	} else {
		io->start_ns = 0;
		io->cgroup_id = 0;
		io->inflight = 0;
	}
}

static int restack_map(struct dm_target *ti, struct bio *bio)
{
	struct dm_restack_volume *vol = ti->private;
	struct dm_restack_io *io = dm_per_bio_data(bio, sizeof(*io));
	struct restack_attachment *att;
	bool passthrough;
	int r;

	att = attachment_get(vol, op_is_write(bio_op(bio)), &passthrough);
	io_init(vol, io, bio, att);
	/* Not an attachment: a pass-through write, counted (end_io). */
	if (passthrough)
		io->attachment = vol;
	count_submit(vol, bio);
	trace_restack_map(vol->devt, io, 0, 0);

	if (bio_sectors(bio) || op_is_zone_mgmt(bio_op(bio)))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);

	if (!att) {
		io->result = DM_RESTACK_RESULT_PASSTHROUGH;
		io_remapped(vol, io, bio);
		return DM_MAPIO_REMAPPED;
	}

	r = att->type->map(att->policy, bio, io);
	switch (r) {
	case DM_MAPIO_REMAPPED:
		io_remapped(vol, io, bio);
		break;
	case DM_MAPIO_SUBMITTED:
		break;
	default:
		/* KILL and REQUEUE: end_io will not run for this bio. */
		io->attachment = NULL;
		percpu_ref_put(&att->inflight);
		count_complete(vol, r == DM_MAPIO_KILL ? BLK_STS_IOERR : 0);
		break;
	}
	return r;
}

static int restack_end_io(struct dm_target *ti, struct bio *bio,
			  blk_status_t *error)
{
	struct dm_restack_volume *vol = ti->private;
	struct dm_restack_io *io = dm_per_bio_data(bio, sizeof(*io));
	bool passthrough = io->attachment == vol;
	struct restack_attachment *att = passthrough ? NULL : io->attachment;
	int r = DM_ENDIO_DONE;

	if (att && att->type->end_io)
		r = att->type->end_io(att->policy, bio, io, error);

	/* The policy took the bio back: it will come through here again. */
	if (r == DM_ENDIO_INCOMPLETE)
		return r;

	count_complete(vol, r == DM_ENDIO_DONE ? *error : 0);
	/* A bio mapped before tracing started has no start time: latency 0. */
	trace_restack_complete(vol->devt, io,
			       io->start_ns ? ktime_get_ns() - io->start_ns : 0,
			       blk_status_to_errno(*error));
	if (passthrough) {
		io->attachment = NULL;
		this_cpu_inc(vol->counters->passthrough_completed);
	} else if (att) {
		io->attachment = NULL;
		percpu_ref_put(&att->inflight);
	}
	return r;
}

/* ---------------------------------------------------------------------- */
/* Messages */

static int restack_message(struct dm_target *ti, unsigned int argc,
			   char **argv, char *result, unsigned int maxlen)
{
	struct dm_restack_volume *vol = ti->private;
	struct restack_attachment *att;
	struct restack_message msg;
	const char *error;
	int r;

	r = restack_parse_message(argc, argv, &msg, &error);
	if (r) {
		DMERR("%s: bad message: %s", dm_restack_volume_name(vol), error);
		return r;
	}

	mutex_lock(&vol->lock);
	switch (msg.kind) {
	case RESTACK_MSG_ATTACH:
		r = restack_attach(vol, msg.policy, msg.argc, msg.argv);
		break;
	case RESTACK_MSG_DETACH:
		r = restack_detach(vol);
		break;
	case RESTACK_MSG_POLICY:
		att = active_locked(vol);
		if (att && att->type->message) {
			r = att->type->message(att->policy, msg.argc, msg.argv,
					       result, maxlen);
		} else {
			DMERR("%s: unrecognised message '%s'%s",
			      dm_restack_volume_name(vol), argv[0],
			      att ? "" : " (no policy attached)");
			r = -EINVAL;
		}
		break;
	}
	mutex_unlock(&vol->lock);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Status */

/*
 * The mode shown with @att, the attachment status pinned: derived from
 * the one pointer read, so that mode and policy name always agree even
 * while an attach or detach is switching them.
 */
static const char *mode_name(struct dm_restack_volume *vol,
			     struct restack_attachment *att)
{
	if (!att)
		return "detached";
	if (READ_ONCE(vol->failed))
		return "failed";
	if (READ_ONCE(vol->mode) == RESTACK_DETACHING)
		return "detaching";
	return "attached";
}

static void sum_counters(struct dm_restack_volume *vol,
			 struct restack_counters *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		struct restack_counters *c = per_cpu_ptr(vol->counters, cpu);

		sum->reads += READ_ONCE(c->reads);
		sum->writes += READ_ONCE(c->writes);
		sum->discards += READ_ONCE(c->discards);
		sum->write_zeroes += READ_ONCE(c->write_zeroes);
		sum->flushes += READ_ONCE(c->flushes);
		sum->fua += READ_ONCE(c->fua);
		sum->read_bytes += READ_ONCE(c->read_bytes);
		sum->write_bytes += READ_ONCE(c->write_bytes);
		sum->discard_bytes += READ_ONCE(c->discard_bytes);
		sum->started += READ_ONCE(c->started);
		sum->completed += READ_ONCE(c->completed);
		sum->errors += READ_ONCE(c->errors);
	}
}

/*
 * Pin the active attachment so that its policy can report status without
 * taking vol->lock, which a long detach holds.  Returns NULL if detached.
 */
static struct restack_attachment *
attachment_get_for_status(struct dm_restack_volume *vol)
{
	struct restack_attachment *att;

	rcu_read_lock();
	att = rcu_dereference(vol->active);
	if (att && !percpu_ref_tryget(&att->inflight))
		att = NULL;
	rcu_read_unlock();
	return att;
}

static void restack_status(struct dm_target *ti, status_type_t type,
			   unsigned int status_flags, char *result,
			   unsigned int maxlen)
{
	struct dm_restack_volume *vol = ti->private;
	struct restack_attachment *att = attachment_get_for_status(vol);
	struct restack_counters c;
	unsigned int sz = 0, i;

	switch (type) {
	case STATUSTYPE_INFO:
		sum_counters(vol, &c);
		DMEMIT("%s %s", mode_name(vol, att), att ? att->type->name : "-");
		DMEMIT(" reads=%llu writes=%llu discards=%llu write_zeroes=%llu",
		       c.reads, c.writes, c.discards, c.write_zeroes);
		DMEMIT(" flushes=%llu fua=%llu", c.flushes, c.fua);
		DMEMIT(" read_bytes=%llu write_bytes=%llu discard_bytes=%llu",
		       c.read_bytes, c.write_bytes, c.discard_bytes);
		DMEMIT(" inflight=%llu errors=%llu",
		       c.started > c.completed ? c.started - c.completed : 0,
		       c.errors);
		DMEMIT(" attaches=%llu detaches=%llu",
		       (u64)atomic64_read(&vol->attaches),
		       (u64)atomic64_read(&vol->detaches));
		if (att && att->type->status)
			sz = att->type->status(att->policy, result, maxlen, sz);
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("%s", vol->origin->name);
		if (!att)
			break;
		DMEMIT(" policy %s", att->type->name);
		if (att->type->table_args) {
			sz = att->type->table_args(att->policy, result, maxlen, sz);
			break;
		}
		DMEMIT(" %u", att->argc);
		for (i = 0; i < att->argc; i++)
			DMEMIT(" %s", att->argv[i]);
		break;

	case STATUSTYPE_IMA:
		DMEMIT_TARGET_NAME_VERSION(ti->type);
		DMEMIT(",origin_name=%s,origin_major=%d,origin_minor=%d,policy=%s;",
		       vol->origin->name, MAJOR(vol->origin->bdev->bd_dev),
		       MINOR(vol->origin->bdev->bd_dev),
		       att ? att->type->name : "-");
		break;
	}

	if (att)
		percpu_ref_put(&att->inflight);
}

/* ---------------------------------------------------------------------- */
/* Devices, ioctls and suspend */

/*
 * Only the origin: a policy's fast devices come and go with live attaches
 * and cannot change the queue limits.  The write cache and FUA are
 * advertised regardless (ti->flush_supported, restack_ctr()).
 */
static int restack_iterate_devices(struct dm_target *ti,
				   iterate_devices_callout_fn fn, void *data)
{
	struct dm_restack_volume *vol = ti->private;

	return fn(ti, vol->origin, 0, ti->len, data);
}

/*
 * Pass ioctls to the origin only while detached: an attached policy may
 * hold data the origin does not have yet, and an ioctl would bypass it.
 */
static int restack_prepare_ioctl(struct dm_target *ti,
				 struct block_device **bdev)
{
	struct dm_restack_volume *vol = ti->private;

	if (rcu_access_pointer(vol->active))
		return -ENOTTY;
	*bdev = vol->origin->bdev;
	return ti->len != bdev_nr_sectors(vol->origin->bdev);
}

/*
 * The suspend hooks run under vol->lock so that an attach or detach
 * cannot swap the policy out from under them.
 */
static struct restack_attachment *lock_active(struct dm_restack_volume *vol)
{
	mutex_lock(&vol->lock);
	return active_locked(vol);
}

static void restack_presuspend(struct dm_target *ti)
{
	struct dm_restack_volume *vol = ti->private;
	struct restack_attachment *att = lock_active(vol);

	if (att && att->type->presuspend)
		att->type->presuspend(att->policy);
	mutex_unlock(&vol->lock);
}

static void restack_postsuspend(struct dm_target *ti)
{
	struct dm_restack_volume *vol = ti->private;
	struct restack_attachment *att = lock_active(vol);

	if (att && att->type->postsuspend)
		att->type->postsuspend(att->policy);
	mutex_unlock(&vol->lock);
}

static void restack_resume(struct dm_target *ti)
{
	struct dm_restack_volume *vol = ti->private;
	struct restack_attachment *att = lock_active(vol);

	if (att && att->type->resume)
		att->type->resume(att->policy);
	mutex_unlock(&vol->lock);
}

static struct target_type restack_target = {
	.name = "restack",
	.version = { DM_RESTACK_VERSION_MAJOR, DM_RESTACK_VERSION_MINOR,
		     DM_RESTACK_VERSION_PATCH },
	.features = DM_TARGET_NOWAIT,
	.module = THIS_MODULE,
	.ctr = restack_ctr,
	.dtr = restack_dtr,
	.map = restack_map,
	.end_io = restack_end_io,
	.message = restack_message,
	.status = restack_status,
	.iterate_devices = restack_iterate_devices,
	.prepare_ioctl = restack_prepare_ioctl,
	.presuspend = restack_presuspend,
	.postsuspend = restack_postsuspend,
	.resume = restack_resume,
};

static int __init dm_restack_init(void)
{
	int r = dm_register_target(&restack_target);

	if (r < 0)
		DMERR("register failed %d", r);
	return r;
}

static void __exit dm_restack_exit(void)
{
	dm_unregister_target(&restack_target);
}

module_init(dm_restack_init);
module_exit(dm_restack_exit);

MODULE_DESCRIPTION(DM_NAME " restack: adaptive storage stacks with live-attached policies");
MODULE_AUTHOR("The restack developers");
MODULE_LICENSE("GPL");
