/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * dm-restack.h - what the restack kernel modules share with userspace.
 *
 * Values here are ABI: they appear in tracepoint output and, through the
 * tracer, in trace files.  Never renumber; only append.
 */
#ifndef _UAPI_LINUX_DM_RESTACK_H
#define _UAPI_LINUX_DM_RESTACK_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Version of the restack target (major.minor.patch), as in its table. */
#define DM_RESTACK_VERSION_MAJOR	1
#define DM_RESTACK_VERSION_MINOR	0
#define DM_RESTACK_VERSION_PATCH	0

/*
 * Policy names are 1 to DM_RESTACK_POLICY_NAME_MAX - 1 characters of
 * [a-z0-9_-], not starting or ending with '-'; the module loaded for one
 * is the one with alias dm-restack-policy-<name> (dm-restack-<name>.ko).
 * A policy takes at most DM_RESTACK_POLICY_ARGS_MAX
 * arguments.
 */
#define DM_RESTACK_POLICY_NAME_MAX	32	/* including the NUL */
#define DM_RESTACK_POLICY_ARGS_MAX	32

/*
 * The counters of the INFO status, in the order they are printed after
 * "<mode> <policy>", each as " <key>=<u64>".  Policy keys follow.
 */
#define DM_RESTACK_STATUS_KEYS \
	"reads", "writes", "discards", "write_zeroes", "flushes", "fua", \
	"read_bytes", "write_bytes", "discard_bytes", "inflight", "errors", \
	"attaches", "detaches"

/*
 * What the volume did with a bio: the "result" field of the remap and
 * completion tracepoints.
 */
enum dm_restack_result {
	DM_RESTACK_RESULT_NONE = 0,	/* not mapped (killed or requeued) */
	DM_RESTACK_RESULT_PASSTHROUGH = 1, /* detached: sent to the origin */
	DM_RESTACK_RESULT_ORIGIN = 2,	/* a policy sent it to the origin */
	DM_RESTACK_RESULT_HIT = 3,	/* served by a policy's fast device */
	DM_RESTACK_RESULT_MISS = 4,	/* a policy missed: origin, maybe promoted */
	DM_RESTACK_RESULT_BYPASS = 5,	/* a policy chose not to cache it */
	DM_RESTACK_RESULT_MAX
};

/*
 * Trace records
 * =============
 *
 * The tracer (dm-restack-trace.ko) writes one fixed-size record per
 * completed bio into per-CPU rings; the collector merges them into
 * a trace file: one struct dm_restack_trace_header, then records.  Every
 * multi-byte field is little-endian (the host's order on x86-64 and
 * arm64; a reader on a big-endian host must swap).
 *
 * Device numbers use the kernel's internal encoding:
 *   major = dev >> 20, minor = dev & 0xfffff.
 */
#define DM_RESTACK_TRACE_VERSION	1
#define DM_RESTACK_TRACE_MAGIC		"RSTKTRC"	/* 7 chars + NUL */

/* Record types. */
enum dm_restack_record_type {
	DM_RESTACK_REC_IO = 0,		/* one completed bio */
	DM_RESTACK_REC_COMM = 1,	/* process name of @pid, in @comm */
	DM_RESTACK_REC_END = 2,		/* end of trace: totals, see below */
};

/* The op of an I/O record. */
enum dm_restack_op {
	DM_RESTACK_OP_READ = 0,
	DM_RESTACK_OP_WRITE = 1,
	DM_RESTACK_OP_DISCARD = 2,
	DM_RESTACK_OP_WRITE_ZEROES = 3,
	DM_RESTACK_OP_FLUSH = 4,	/* an empty REQ_PREFLUSH bio */
	DM_RESTACK_OP_SECURE_ERASE = 5,
	DM_RESTACK_OP_OTHER = 6,
	DM_RESTACK_OP_MAX
};

/* Flags of an I/O record. */
#define DM_RESTACK_F_PREFLUSH	(1U << 0)	/* REQ_PREFLUSH */
#define DM_RESTACK_F_FUA	(1U << 1)	/* REQ_FUA */
#define DM_RESTACK_F_SYNC	(1U << 2)	/* REQ_SYNC */
#define DM_RESTACK_F_META	(1U << 3)	/* REQ_META */
#define DM_RESTACK_F_SAMPLED	(1U << 4)	/* kept by spatial sampling */

/*
 * One record, 64 bytes.  For DM_RESTACK_REC_IO every field is as named.
 * For DM_RESTACK_REC_COMM only @ts_ns, @pid and @comm are meaningful.
 * For DM_RESTACK_REC_END: @ts_ns is the end time, @virt_sector the number
 * of I/O records written, @phys_sector the number dropped (buffers full).
 */
struct dm_restack_trace_record {
	__u64 ts_ns;		/* submit time, CLOCK_MONOTONIC, ns */
	union {
		struct {
			__u64 virt_sector;  /* 512-byte sector on the volume */
			__u64 phys_sector;  /* 512-byte sector on @phys_dev */
		};
		char comm[16];		    /* REC_COMM: NUL-padded name */
	};
	__u64 latency_ns;	/* submit to completion, ns */
	__u64 cgroup_id;	/* cgroup v2 id of the bio's blkcg; 0 none */
	__u32 volume;		/* dev_t of the volume */
	__u32 phys_dev;		/* dev_t the bio was sent to; 0 unmapped */
	__u32 pid;		/* tgid that mapped the bio */
	__u32 sectors;		/* length in 512-byte sectors */
	__u16 inflight;		/* bios in flight at submit, max 65535 */
	__s16 error;		/* 0 or a negative errno */
	__u8 type;		/* enum dm_restack_record_type */
	__u8 op;		/* enum dm_restack_op */
	__u8 flags;		/* DM_RESTACK_F_* */
	__u8 result;		/* enum dm_restack_result */
};

/*
 * Spatially hashed sampling (SHARDS): a bio is traced when any of its
 * blocks of @sample_block_sectors sectors hashes below @sample_threshold
 * out of DM_RESTACK_SAMPLE_MODULUS (see lib/restack_sample.h, the one
 * implementation both kernel and tools use).  Rate R = threshold/modulus.
 * Bios without data (flushes) are always traced.
 */
#define DM_RESTACK_SAMPLE_BITS		24
#define DM_RESTACK_SAMPLE_MODULUS	(1U << DM_RESTACK_SAMPLE_BITS)

/* The header of a trace file, 512 bytes. */
struct dm_restack_trace_header {
	char magic[8];			/* DM_RESTACK_TRACE_MAGIC */
	__u32 version;			/* DM_RESTACK_TRACE_VERSION */
	__u32 header_size;		/* 512 */
	__u32 record_size;		/* 64 */
	__u32 flags;			/* DM_RESTACK_TH_* */
	__u32 sample_threshold;		/* == MODULUS for full tracing */
	__u32 sample_block_sectors;	/* block size for sampling, sectors */
	__u32 volume;			/* dev_t traced; 0 for imported */
	__u32 nr_cpus;			/* per-CPU buffers merged */
	__u64 start_ns;			/* CLOCK_MONOTONIC at start */
	__u64 start_realtime_ns;	/* CLOCK_REALTIME at start */
	__u64 end_ns;			/* 0 if unknown (streamed) */
	__u64 records;			/* I/O records; 0 if unknown */
	__u64 drops;			/* records lost; see the END record */
	char volume_name[128];		/* e.g. the DM name; NUL-padded */
	char source[32];		/* "restack", "msr", "csv", ... */
	__u8 reserved[272];		/* zero */
};

#define DM_RESTACK_TH_SORTED	(1U << 0)	/* records sorted by ts_ns */
#define DM_RESTACK_TH_IMPORTED	(1U << 1)	/* converted from another format */

/*
 * Control of the tracer, by ioctl on /dev/restack-trace.  A session traces
 * one volume; it ends with RESTACK_TRACE_TEARDOWN or when the file that
 * started it is closed.  Records are read from the per-CPU ring files
 * /sys/kernel/debug/restack/<name>/trace<cpu>; per-CPU drop counts are in
 * .../dropped.
 */
struct dm_restack_trace_setup {
	__u32 volume;			/* in: dev_t of a restack volume */
	/*
	 * in: the ring per CPU holds subbuf_size * n_subbufs bytes, rounded
	 * down to a power-of-two number of records.  (Two factors, so that
	 * the size can be large without a 64-bit field.)
	 */
	__u32 subbuf_size;		/* 4 KiB .. 16 MiB, record multiple */
	__u32 n_subbufs;		/* 2 .. 1024 */
	__u32 sample_threshold;		/* in: 1..MODULUS */
	__u32 sample_block_sectors;	/* in: power of two, 1..2048; 0 = 8 */
	__u32 nr_cpus;			/* out: per-CPU files to read */
	char name[32];			/* out: directory under restack/ */
};

struct dm_restack_trace_stats {
	__u32 volume;			/* in */
	__u32 pad;
	__u64 records;			/* out: written to the buffers */
	__u64 drops;			/* out: lost because a buffer was full */
	__u64 sampled_out;		/* out: skipped by sampling */
};

#define DM_RESTACK_IOC_MAGIC		0xd7
#define RESTACK_TRACE_START	_IOWR(DM_RESTACK_IOC_MAGIC, 1, struct dm_restack_trace_setup)
#define RESTACK_TRACE_STOP	_IOW(DM_RESTACK_IOC_MAGIC, 2, __u32)
#define RESTACK_TRACE_TEARDOWN	_IOW(DM_RESTACK_IOC_MAGIC, 3, __u32)
#define RESTACK_TRACE_STATS	_IOWR(DM_RESTACK_IOC_MAGIC, 4, struct dm_restack_trace_stats)

#endif /* _UAPI_LINUX_DM_RESTACK_H */
