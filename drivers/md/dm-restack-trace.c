// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-trace.c - per-volume I/O tracing for restack volumes.
 *
 * Probes restack's tracepoints and writes one fixed-size record (struct
 * dm_restack_trace_record, include/uapi/linux/dm-restack.h) per completed
 * bio into per-CPU relay buffers, as blktrace does.  Userspace starts a
 * session per volume with an ioctl on /dev/restack-trace and reads
 * /sys/kernel/debug/restack/<name>/trace<cpu>.
 *
 * Nothing is lost silently: a record that finds its CPU's buffer full is
 * counted as dropped, per CPU.  With a sample threshold below the modulus,
 * only bios touching a block whose hash falls below it are recorded
 * (SHARDS); the same hash is used by the analyzer (lib/restack_sample.h).
 *
 * The probes are registered only while at least one session exists, so a
 * loaded but idle tracer costs the I/O path nothing.
 */
#include "dm-restack-policy.h"
#include "restack_events.h"

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/relay.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/dm-restack.h>

#include "lib/restack_sample.h"

#define DM_MSG_PREFIX "restack-trace"

#define TRACE_MAX_SESSIONS	64
#define TRACE_MIN_SUBBUF	4096U
#define TRACE_MAX_SUBBUF	(16U << 20)
#define TRACE_MAX_SUBBUFS	1024U
#define TRACE_MAX_PER_CPU	(256ULL << 20)
/* Beyond this many blocks a bio is traced without checking each block. */
#define TRACE_SAMPLE_MAX_BLOCKS	256
/* Process names already recorded, by pid; a miss only costs a record. */
#define TRACE_COMM_SLOTS	512

/*
 * Per-CPU counts.  Records written = attempted - drops: a record that
 * finds the buffer full is counted in subbuf_start(), on the same CPU.
 */
struct trace_cpu_counts {
	u64 attempted;		/* I/O and process-name records */
	u64 drops;
	u64 sampled_out;
};

struct trace_session {
	struct list_head list;		/* sessions, RCU for the probes */
	dev_t volume;
	u32 threshold;
	unsigned int block_shift;
	bool running;			/* records are accepted */
	struct file *owner;		/* ends the session when closed */
	struct rchan *rchan;
	struct dentry *dir;
	struct trace_cpu_counts __percpu *counts;
	pid_t comm_seen[TRACE_COMM_SLOTS];
	char name[32];
	struct rcu_head rcu;
};

static DEFINE_MUTEX(sessions_lock);
static LIST_HEAD(sessions);
static unsigned int nr_sessions;
static struct dentry *debugfs_root;

/* ---------------------------------------------------------------------- */
/* Records */

static struct trace_session *find_session_rcu(dev_t volume)
{
	struct trace_session *s;

	list_for_each_entry_rcu(s, &sessions, list)
		if (s->volume == volume)
			return s;
	return NULL;
}

static u8 record_op(blk_opf_t opf, u32 sectors)
{
	switch (opf & REQ_OP_MASK) {
	case REQ_OP_READ:
		return DM_RESTACK_OP_READ;
	case REQ_OP_WRITE:
		return sectors || !(opf & REQ_PREFLUSH) ?
			DM_RESTACK_OP_WRITE : DM_RESTACK_OP_FLUSH;
	case REQ_OP_DISCARD:
		return DM_RESTACK_OP_DISCARD;
	case REQ_OP_SECURE_ERASE:
		return DM_RESTACK_OP_SECURE_ERASE;
	case REQ_OP_WRITE_ZEROES:
		return DM_RESTACK_OP_WRITE_ZEROES;
	default:
		return DM_RESTACK_OP_OTHER;
	}
}

static u8 record_flags(blk_opf_t opf)
{
	u8 flags = 0;

	if (opf & REQ_PREFLUSH)
		flags |= DM_RESTACK_F_PREFLUSH;
	if (opf & REQ_FUA)
		flags |= DM_RESTACK_F_FUA;
	if (opf & REQ_SYNC)
		flags |= DM_RESTACK_F_SYNC;
	if (opf & REQ_META)
		flags |= DM_RESTACK_F_META;
	return flags;
}

/* Does the bio touch a sampled block?  Bios without data always do. */
static bool io_sampled(struct trace_session *s, const struct dm_restack_io *io)
{
	u64 first, last, block;

	if (s->threshold >= DM_RESTACK_SAMPLE_MODULUS || !io->nr_sectors)
		return true;

	first = io->virt_sector >> s->block_shift;
	last = (io->virt_sector + io->nr_sectors - 1) >> s->block_shift;
	if (last - first >= TRACE_SAMPLE_MAX_BLOCKS)
		return true;
	for (block = first; block <= last; block++)
		if (restack_block_sampled(block, s->threshold,
					  DM_RESTACK_SAMPLE_BITS))
			return true;
	return false;
}

/* Probe: a bio of some restack volume completed.  Completion context. */
static void probe_complete(void *ignore, dev_t volume,
			   const struct dm_restack_io *io, u64 latency_ns,
			   int error)
{
	struct dm_restack_trace_record rec;
	struct trace_session *s;

	rcu_read_lock();
	s = find_session_rcu(volume);
	if (!s || !READ_ONCE(s->running))
		goto out;

	if (!io_sampled(s, io)) {
		this_cpu_inc(s->counts->sampled_out);
		goto out;
	}

	memset(&rec, 0, sizeof(rec));
	rec.type = DM_RESTACK_REC_IO;
	rec.ts_ns = io->start_ns;
	rec.virt_sector = io->virt_sector;
	rec.phys_sector = io->phys_sector;
	rec.latency_ns = latency_ns;
	rec.cgroup_id = io->cgroup_id;
	rec.volume = volume;
	rec.phys_dev = io->phys_dev;
	rec.pid = io->pid;
	rec.sectors = io->nr_sectors;
	rec.inflight = min_t(u32, io->inflight, U16_MAX);
	rec.error = error;
	rec.op = record_op(io->opf, io->nr_sectors);
	rec.flags = record_flags(io->opf);
	if (s->threshold < DM_RESTACK_SAMPLE_MODULUS)
		rec.flags |= DM_RESTACK_F_SAMPLED;
	rec.result = io->result;

	this_cpu_inc(s->counts->attempted);
	relay_write(s->rchan, &rec, sizeof(rec));
out:
	rcu_read_unlock();
}

/*
 * Probe: a bio was received, in the submitter's context.  Records the
 * process name the first time a pid is seen (a side table, so that I/O
 * records stay fixed-size).
 */
static void probe_map(void *ignore, dev_t volume,
		      const struct dm_restack_io *io, u64 latency_ns, int error)
{
	struct dm_restack_trace_record rec;
	struct trace_session *s;
	unsigned int slot;

	rcu_read_lock();
	s = find_session_rcu(volume);
	if (!s || !READ_ONCE(s->running))
		goto out;

	slot = (u32)io->pid % TRACE_COMM_SLOTS;
	if (READ_ONCE(s->comm_seen[slot]) == io->pid)
		goto out;
	WRITE_ONCE(s->comm_seen[slot], io->pid);

	memset(&rec, 0, sizeof(rec));
	rec.type = DM_RESTACK_REC_COMM;
	rec.ts_ns = io->start_ns;
	rec.volume = volume;
	rec.pid = io->pid;
	get_task_comm(rec.comm, current);
	this_cpu_inc(s->counts->attempted);
	relay_write(s->rchan, &rec, sizeof(rec));
out:
	rcu_read_unlock();
}

static int register_probes(void)
{
	int r = register_trace_restack_complete(probe_complete, NULL);

	if (r)
		return r;
	r = register_trace_restack_map(probe_map, NULL);
	if (r)
		unregister_trace_restack_complete(probe_complete, NULL);
	return r;
}

static void unregister_probes(void)
{
	unregister_trace_restack_map(probe_map, NULL);
	unregister_trace_restack_complete(probe_complete, NULL);
	tracepoint_synchronize_unregister();
}

/* ---------------------------------------------------------------------- */
/* Relay callbacks */

/* A sub-buffer filled up; returning 0 drops the record (no overwrite). */
static int trace_subbuf_start(struct rchan_buf *buf, void *subbuf,
			      void *prev_subbuf, size_t prev_padding)
{
	struct trace_session *s = buf->chan->private_data;

	if (!relay_buf_full(buf))
		return 1;
	this_cpu_inc(s->counts->drops);
	return 0;
}

static struct dentry *trace_create_buf_file(const char *filename,
					    struct dentry *parent,
					    umode_t mode, struct rchan_buf *buf,
					    int *is_global)
{
	return debugfs_create_file(filename, mode, parent, buf,
				   &relay_file_operations);
}

static int trace_remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks trace_relay_callbacks = {
	.subbuf_start = trace_subbuf_start,
	.create_buf_file = trace_create_buf_file,
	.remove_buf_file = trace_remove_buf_file,
};

/* /sys/kernel/debug/restack/<name>/dropped: "cpu<N> <written> <dropped>" */
static int dropped_show(struct seq_file *m, void *v)
{
	struct trace_session *s = m->private;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct trace_cpu_counts *c = per_cpu_ptr(s->counts, cpu);

		u64 attempted = READ_ONCE(c->attempted);
		u64 drops = READ_ONCE(c->drops);

		seq_printf(m, "cpu%d %llu %llu\n", cpu,
			   attempted > drops ? attempted - drops : 0, drops);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dropped);

/* ---------------------------------------------------------------------- */
/* Sessions */

static void session_totals(struct trace_session *s,
			   struct dm_restack_trace_stats *st)
{
	int cpu;

	st->records = 0;
	st->drops = 0;
	st->sampled_out = 0;
	for_each_possible_cpu(cpu) {
		struct trace_cpu_counts *c = per_cpu_ptr(s->counts, cpu);

		st->records += READ_ONCE(c->attempted);
		st->drops += READ_ONCE(c->drops);
		st->sampled_out += READ_ONCE(c->sampled_out);
	}
	st->records = st->records > st->drops ? st->records - st->drops : 0;
}

static struct trace_session *find_session_locked(dev_t volume)
{
	struct trace_session *s;

	lockdep_assert_held(&sessions_lock);
	list_for_each_entry(s, &sessions, list)
		if (s->volume == volume)
			return s;
	return NULL;
}

static void session_free(struct trace_session *s)
{
	if (s->rchan)
		relay_close(s->rchan);
	debugfs_remove_recursive(s->dir);
	free_percpu(s->counts);
	kfree(s);
}

static int setup_valid(const struct dm_restack_trace_setup *setup)
{
	u32 block = setup->sample_block_sectors;

	if (setup->subbuf_size < TRACE_MIN_SUBBUF ||
	    setup->subbuf_size > TRACE_MAX_SUBBUF ||
	    setup->subbuf_size % sizeof(struct dm_restack_trace_record)) {
		DMERR("sub-buffer size %u: must be %u..%u bytes and a multiple of %zu",
		      setup->subbuf_size, TRACE_MIN_SUBBUF, TRACE_MAX_SUBBUF,
		      sizeof(struct dm_restack_trace_record));
		return -EINVAL;
	}
	if (setup->n_subbufs < 2 || setup->n_subbufs > TRACE_MAX_SUBBUFS ||
	    (u64)setup->subbuf_size * setup->n_subbufs > TRACE_MAX_PER_CPU) {
		DMERR("%u sub-buffers of %u bytes: need 2..%u and at most %llu MiB per CPU",
		      setup->n_subbufs, setup->subbuf_size, TRACE_MAX_SUBBUFS,
		      TRACE_MAX_PER_CPU >> 20);
		return -EINVAL;
	}
	if (!setup->sample_threshold ||
	    setup->sample_threshold > DM_RESTACK_SAMPLE_MODULUS) {
		DMERR("sample threshold %u: must be 1..%u",
		      setup->sample_threshold, DM_RESTACK_SAMPLE_MODULUS);
		return -EINVAL;
	}
	if (block && (block > 2048 || !is_power_of_2(block))) {
		DMERR("sample block of %u sectors: must be a power of two up to 2048",
		      block);
		return -EINVAL;
	}
	return 0;
}

static int session_start(struct file *owner,
			 struct dm_restack_trace_setup *setup)
{
	dev_t volume = setup->volume;
	struct trace_session *s;
	int r;

	r = setup_valid(setup);
	if (r)
		return r;
	if (!dm_restack_volume_exists(volume)) {
		DMERR("%u:%u is not a restack volume", MAJOR(volume),
		      MINOR(volume));
		return -ENODEV;
	}

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->volume = volume;
	s->owner = owner;
	s->threshold = setup->sample_threshold;
	s->block_shift = ilog2(setup->sample_block_sectors ?: 8);
	snprintf(s->name, sizeof(s->name), "%u_%u", MAJOR(volume),
		 MINOR(volume));
	s->counts = alloc_percpu(struct trace_cpu_counts);
	if (!s->counts) {
		kfree(s);
		return -ENOMEM;
	}

	mutex_lock(&sessions_lock);
	if (find_session_locked(volume)) {
		DMERR("%s: already being traced", s->name);
		r = -EBUSY;
		goto bad;
	}
	if (nr_sessions >= TRACE_MAX_SESSIONS) {
		DMERR("%s: too many trace sessions (%u)", s->name,
		      TRACE_MAX_SESSIONS);
		r = -EBUSY;
		goto bad;
	}

	s->dir = debugfs_create_dir(s->name, debugfs_root);
	if (IS_ERR(s->dir)) {
		r = PTR_ERR(s->dir);
		s->dir = NULL;
		goto bad;
	}
	debugfs_create_file("dropped", 0444, s->dir, s, &dropped_fops);

	s->rchan = relay_open("trace", s->dir, setup->subbuf_size,
			      setup->n_subbufs, &trace_relay_callbacks, s);
	if (!s->rchan) {
		DMERR("%s: cannot allocate %u x %u bytes of relay buffers per CPU",
		      s->name, setup->n_subbufs, setup->subbuf_size);
		r = -ENOMEM;
		goto bad;
	}

	if (!nr_sessions) {
		r = register_probes();
		if (r) {
			DMERR("cannot register tracepoint probes: %d", r);
			goto bad;
		}
	}
	nr_sessions++;
	s->running = true;
	list_add_tail_rcu(&s->list, &sessions);
	mutex_unlock(&sessions_lock);

	setup->nr_cpus = num_possible_cpus();
	strscpy(setup->name, s->name, sizeof(setup->name));
	return 0;

bad:
	mutex_unlock(&sessions_lock);
	session_free(s);
	return r;
}

/* Stop accepting records and push out partly filled sub-buffers. */
static void session_stop_locked(struct trace_session *s)
{
	WRITE_ONCE(s->running, false);
	/* Let probes that saw running == true finish their writes. */
	synchronize_rcu();
	relay_flush(s->rchan);
}

static void session_teardown_locked(struct trace_session *s)
{
	list_del_rcu(&s->list);
	if (!--nr_sessions)
		unregister_probes();
	synchronize_rcu();
	session_free(s);
}

static int session_ioctl_volume(struct file *file, unsigned int cmd,
				u32 volume)
{
	struct trace_session *s;
	int r = 0;

	mutex_lock(&sessions_lock);
	s = find_session_locked(volume);
	if (!s) {
		r = -ENOENT;
	} else if (s->owner != file) {
		/* Only the file that started a session may end it. */
		r = -EPERM;
	} else if (cmd == RESTACK_TRACE_STOP) {
		session_stop_locked(s);
	} else {
		if (READ_ONCE(s->running))
			session_stop_locked(s);
		session_teardown_locked(s);
	}
	mutex_unlock(&sessions_lock);
	return r;
}

static int session_ioctl_stats(struct dm_restack_trace_stats *st)
{
	struct trace_session *s;
	int r = 0;

	mutex_lock(&sessions_lock);
	s = find_session_locked(st->volume);
	if (s)
		session_totals(s, st);
	else
		r = -ENOENT;
	mutex_unlock(&sessions_lock);
	return r;
}

/* ---------------------------------------------------------------------- */
/* /dev/restack-trace */

static long trace_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct dm_restack_trace_setup setup;
	struct dm_restack_trace_stats stats;
	u32 volume;
	int r;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	switch (cmd) {
	case RESTACK_TRACE_START:
		if (copy_from_user(&setup, uarg, sizeof(setup)))
			return -EFAULT;
		r = session_start(file, &setup);
		if (r)
			return r;
		if (copy_to_user(uarg, &setup, sizeof(setup))) {
			session_ioctl_volume(file, RESTACK_TRACE_TEARDOWN,
					     setup.volume);
			return -EFAULT;
		}
		return 0;

	case RESTACK_TRACE_STOP:
	case RESTACK_TRACE_TEARDOWN:
		if (get_user(volume, (u32 __user *)uarg))
			return -EFAULT;
		return session_ioctl_volume(file, cmd, volume);

	case RESTACK_TRACE_STATS:
		if (copy_from_user(&stats, uarg, sizeof(stats)))
			return -EFAULT;
		r = session_ioctl_stats(&stats);
		if (r)
			return r;
		return copy_to_user(uarg, &stats, sizeof(stats)) ? -EFAULT : 0;

	default:
		return -ENOTTY;
	}
}

/* Closing the file ends every session it started. */
static int trace_release(struct inode *inode, struct file *file)
{
	struct trace_session *s, *tmp;

	mutex_lock(&sessions_lock);
	list_for_each_entry_safe(s, tmp, &sessions, list) {
		if (s->owner != file)
			continue;
		if (READ_ONCE(s->running))
			session_stop_locked(s);
		session_teardown_locked(s);
	}
	mutex_unlock(&sessions_lock);
	return 0;
}

static const struct file_operations trace_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.release = trace_release,
	.unlocked_ioctl = trace_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice trace_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "restack-trace",
	.fops = &trace_fops,
};

static int __init dm_restack_trace_init(void)
{
	int r;

	BUILD_BUG_ON(sizeof(struct dm_restack_trace_record) != 64);
	BUILD_BUG_ON(sizeof(struct dm_restack_trace_header) != 512);

	debugfs_root = debugfs_create_dir("restack", NULL);
	r = misc_register(&trace_miscdev);
	if (r) {
		debugfs_remove_recursive(debugfs_root);
		return r;
	}
	return 0;
}

static void __exit dm_restack_trace_exit(void)
{
	/*
	 * No session can exist: sessions belong to open files of the misc
	 * device, and an open file pins this module.
	 */
	misc_deregister(&trace_miscdev);
	debugfs_remove_recursive(debugfs_root);
}

module_init(dm_restack_trace_init);
module_exit(dm_restack_trace_exit);

MODULE_DESCRIPTION("restack per-volume I/O tracer");
MODULE_AUTHOR("The restack developers");
MODULE_LICENSE("GPL");
