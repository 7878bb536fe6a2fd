// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-trace-main.c - per-volume I/O tracing for restack volumes
 * (module dm-restack-trace; not a policy: it declares no policy alias).
 *
 * Probes restack's tracepoints and writes one fixed-size record (struct
 * dm_restack_trace_record, include/uapi/linux/dm-restack.h) per completed
 * bio into a ring per CPU.  Userspace starts a session per volume with an
 * ioctl on /dev/restack-trace and reads /sys/kernel/debug/restack/<name>/
 * trace<cpu>, which return whole records, oldest first, and 0 when empty.
 *
 * Each ring has one producer, its CPU (probes write with interrupts off),
 * and one consumer, the reader of its file (serialised by a mutex): head
 * and tail are published with release/acquire, so a reader sees only
 * completely written records and a writer never overwrites unread ones.
 * (The first version used relay, as blktrace does; relay's read side can
 * skip or re-read a sub-buffer while a writer on another CPU switches
 * sub-buffers, which a guest test caught losing whole sub-buffers.)
 *
 * Nothing is lost silently: a record that finds its CPU's ring full is
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
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <uapi/linux/dm-restack.h>

#include "dm-restack-trace-record.h"

#define DM_MSG_PREFIX "restack-trace"

#define TRACE_MAX_SESSIONS	64
#define TRACE_MIN_SUBBUF	4096U
#define TRACE_MAX_SUBBUF	(16U << 20)
#define TRACE_MAX_SUBBUFS	1024U
#define TRACE_MAX_PER_CPU	(256ULL << 20)
/* Process names already recorded, by pid; a miss only costs a record. */
#define TRACE_COMM_SLOTS	512

/* One CPU's ring of records and its counts. */
struct trace_ring {
	struct dm_restack_trace_record *recs;
	u64 head;		/* next record to write; written by its CPU */
	u64 tail;		/* next record to read; written by the reader */
	u64 attempted;		/* records offered, I/O and process names */
	u64 drops;		/* of those, lost because the ring was full */
	u64 sampled_out;	/* bios skipped by sampling */
	struct mutex read_lock;	/* one reader at a time */
};

struct trace_session {
	struct list_head list;		/* sessions, RCU for the probes */
	dev_t volume;
	u32 threshold;
	unsigned int block_shift;
	bool running;			/* records are accepted */
	struct file *owner;		/* ends the session when closed */
	struct dentry *dir;
	u64 ring_mask;			/* records per ring - 1 */
	struct trace_ring **rings;	/* by CPU id, possible CPUs only */
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

/*
 * Append @rec to this CPU's ring, or count it dropped if the ring is full.
 * Any context; interrupts are disabled so that a completion interrupting a
 * probe on the same CPU cannot interleave with it.
 */
static void ring_write(struct trace_session *s,
		       const struct dm_restack_trace_record *rec)
{
	struct trace_ring *ring;
	unsigned long flags;
	u64 head, tail;

	local_irq_save(flags);
	ring = s->rings[smp_processor_id()];
	ring->attempted++;
	head = ring->head;
	/* Pairs with the reader's release: its copy-out is done. */
	tail = smp_load_acquire(&ring->tail);
	if (head - tail > s->ring_mask) {
		ring->drops++;
	} else {
		ring->recs[head & s->ring_mask] = *rec;
		/* Pairs with the reader's acquire: the record is complete. */
		smp_store_release(&ring->head, head + 1);
	}
	local_irq_restore(flags);
}

static void ring_count_sampled_out(struct trace_session *s)
{
	unsigned long flags;

	local_irq_save(flags);
	s->rings[smp_processor_id()]->sampled_out++;
	local_irq_restore(flags);
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
	/* Submitted before tracing began (no start time): not in the trace. */
	if (!io->start_ns)
		goto out;

	if (!restack_trace_io_sampled(io, s->threshold, s->block_shift)) {
		ring_count_sampled_out(s);
		goto out;
	}

	restack_trace_pack_io(&rec, volume, io, latency_ns, error,
			      s->threshold < DM_RESTACK_SAMPLE_MODULUS);
	ring_write(s, &rec);
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
	ring_write(s, &rec);
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
/* Reading the rings: /sys/kernel/debug/restack/<name>/trace<cpu> */

/*
 * Copy out whole records, oldest first; 0 when the ring is empty (the
 * collector polls).  Process context; may sleep in copy_to_user().
 */
static ssize_t ring_read(struct file *file, char __user *ubuf, size_t count,
			 loff_t *ppos)
{
	struct trace_session *s = file->f_inode->i_private;
	struct trace_ring *ring = s->rings[(long)file->private_data];
	const size_t rec_size = sizeof(struct dm_restack_trace_record);
	u64 head, tail, n, first, idx;
	ssize_t r;

	if (count < rec_size)
		return -EINVAL;

	mutex_lock(&ring->read_lock);
	tail = ring->tail;
	/* Pairs with the writer's release: records up to head are whole. */
	head = smp_load_acquire(&ring->head);
	n = min_t(u64, head - tail, count / rec_size);
	idx = tail & s->ring_mask;
	first = min_t(u64, n, s->ring_mask + 1 - idx);
	r = -EFAULT;
	if (copy_to_user(ubuf, &ring->recs[idx], first * rec_size))
		goto out;
	if (n > first &&
	    copy_to_user(ubuf + first * rec_size, ring->recs,
			 (n - first) * rec_size))
		goto out;
	/* Pairs with the writer's acquire: these slots may be reused. */
	smp_store_release(&ring->tail, tail + n);
	r = n * rec_size;
out:
	mutex_unlock(&ring->read_lock);
	return r;
}

/* The file's CPU is in its name: trace<cpu>. */
static int ring_open(struct inode *inode, struct file *file)
{
	unsigned long cpu;

	if (kstrtoul(file->f_path.dentry->d_name.name + 5, 10, &cpu) ||
	    cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return -ENODEV;
	file->private_data = (void *)cpu;
	return nonseekable_open(inode, file);
}

static const struct file_operations ring_fops = {
	.owner = THIS_MODULE,
	.open = ring_open,
	.read = ring_read,
	.llseek = no_llseek,
};

/* /sys/kernel/debug/restack/<name>/dropped: "cpu<N> <written> <dropped>" */
static int dropped_show(struct seq_file *m, void *v)
{
	struct trace_session *s = m->private;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct trace_ring *ring = s->rings[cpu];
		u64 attempted = READ_ONCE(ring->attempted);
		u64 drops = READ_ONCE(ring->drops);

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
		struct trace_ring *ring = s->rings[cpu];

		st->records += READ_ONCE(ring->attempted);
		st->drops += READ_ONCE(ring->drops);
		st->sampled_out += READ_ONCE(ring->sampled_out);
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
	int cpu;

	/* Waits for readers inside ring_read() (debugfs file proxies). */
	debugfs_remove_recursive(s->dir);
	if (s->rings) {
		for_each_possible_cpu(cpu) {
			if (!s->rings[cpu])
				continue;
			vfree(s->rings[cpu]->recs);
			kfree(s->rings[cpu]);
		}
		kfree(s->rings);
	}
	kfree(s);
}

static int session_alloc_rings(struct trace_session *s, u64 bytes)
{
	u64 nr = rounddown_pow_of_two(div_u64(bytes,
				      sizeof(struct dm_restack_trace_record)));
	int cpu;

	s->ring_mask = nr - 1;
	s->rings = kcalloc(nr_cpu_ids, sizeof(*s->rings), GFP_KERNEL);
	if (!s->rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct trace_ring *ring;

		ring = kzalloc_node(sizeof(*ring), GFP_KERNEL, cpu_to_node(cpu));
		if (!ring)
			return -ENOMEM;
		mutex_init(&ring->read_lock);
		s->rings[cpu] = ring;
		ring->recs = vmalloc_node(nr * sizeof(*ring->recs),
					  cpu_to_node(cpu));
		if (!ring->recs)
			return -ENOMEM;
	}
	return 0;
}

static int session_create_files(struct trace_session *s)
{
	char name[16];
	int cpu;

	s->dir = debugfs_create_dir(s->name, debugfs_root);
	if (IS_ERR(s->dir)) {
		int r = PTR_ERR(s->dir);

		s->dir = NULL;
		return r;
	}
	debugfs_create_file("dropped", 0444, s->dir, s, &dropped_fops);
	for_each_possible_cpu(cpu) {
		snprintf(name, sizeof(name), "trace%d", cpu);
		debugfs_create_file(name, 0400, s->dir, s, &ring_fops);
	}
	return 0;
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
	r = session_alloc_rings(s, (u64)setup->subbuf_size * setup->n_subbufs);
	if (r) {
		DMERR("%s: cannot allocate %u x %u bytes of trace buffer per CPU",
		      s->name, setup->n_subbufs, setup->subbuf_size);
		session_free(s);
		return r;
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

	r = session_create_files(s);
	if (r)
		goto bad;

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

/* Stop accepting records; what is in the rings stays readable. */
static void session_stop_locked(struct trace_session *s)
{
	WRITE_ONCE(s->running, false);
	/* Let probes that saw running == true finish their writes. */
	synchronize_rcu();
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
