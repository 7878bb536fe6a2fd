/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_collect.h - the trace collector behind `restack trace`: starts
 * a dm-restack-trace session on a volume, reads the per-CPU relay files,
 * merges them into one trace file in submit-time order and accounts for
 * every record (written, dropped by the kernel, or lost).
 *
 * Merge guarantee: each CPU's stream is in completion order.  The
 * collector holds records in a reorder buffer and writes a record once
 * its ts_ns (submit time) is older than the start of the current read
 * pass minus the window.  A record then comes out of order only if its
 * latency exceeded the window; such records are still written (never
 * dropped), counted as out_of_window, and the file is not marked sorted.
 *
 * Conventions as in restack.h.
 */
#ifndef RESTACK_COLLECT_H
#define RESTACK_COLLECT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "trace/restack_trace.h"

#define RESTACK_TRACE_MODULE		"dm-restack-trace"
#define RESTACK_TRACE_CONTROL		"/dev/restack-trace"
#define RESTACK_TRACE_DEBUGFS		"/sys/kernel/debug"

/* Per-CPU buffer: 8 KiB .. 256 MiB, default 4 MiB. */
#define RESTACK_COLLECT_BUFFER_MIN	(8ULL << 10)
#define RESTACK_COLLECT_BUFFER_MAX	(256ULL << 20)
#define RESTACK_COLLECT_BUFFER_DEFAULT	(4ULL << 20)
#define RESTACK_COLLECT_WINDOW_DEFAULT_MS 1000

struct restack_collect_opts {
	const char *volume;		/* DM name, or a block device path */
	const char *output;		/* path or "-" */
	bool zstd;
	uint64_t duration_ns;		/* 0: until *stop */
	uint32_t sample_threshold;	/* 1..DM_RESTACK_SAMPLE_MODULUS */
	uint32_t sample_block_sectors;	/* power of two 1..2048; 0: 8 */
	uint64_t buffer_bytes;		/* per CPU; 0: default */
	uint64_t window_ns;		/* reorder window; 0: default */
	uint64_t poll_ns;		/* read cadence; 0: 100 ms */
	const char *debugfs;		/* NULL: RESTACK_TRACE_DEBUGFS */
	const char *control;		/* NULL: RESTACK_TRACE_CONTROL */
	volatile sig_atomic_t *stop;	/* set (by a signal handler) to stop */
};

struct restack_collect_cpu {
	uint64_t written;		/* from .../dropped */
	uint64_t dropped;
};

struct restack_collect_stats {
	char volume_name[128];
	uint32_t volume;		/* dev_t, kernel encoding */
	char session[32];		/* debugfs directory name */
	uint32_t nr_cpus;
	uint32_t subbuf_size, n_subbufs;
	uint64_t io_records;		/* I/O records written to the file */
	uint64_t comm_records;		/* process-name records written */
	uint64_t kernel_records;	/* RESTACK_TRACE_STATS: records ... */
	uint64_t kernel_drops;		/* ... drops ... */
	uint64_t sampled_out;		/* ... and bios skipped by sampling */
	uint64_t lost;			/* in the kernel's count, never read */
	uint64_t phantom;		/* read, yet counted as drops */
	uint64_t invalid;		/* read, failed the record checks */
	uint64_t drops;			/* kernel_drops + lost - phantom: END */
	uint64_t out_of_window;
	uint64_t duration_ns;		/* start to stop */
	uint64_t cpu_user_ns, cpu_sys_ns;
	bool sorted;			/* header marked sorted */
	struct restack_collect_cpu *cpus;	/* nr_cpus entries, or NULL */
};

/*
 * Size the relay buffers for @buffer_bytes per CPU: sub-buffers of 4 KiB
 * to 16 MiB (multiples of 4 KiB), 2..1024 of them.  -EINVAL outside
 * RESTACK_COLLECT_BUFFER_MIN..MAX.
 */
int restack_collect_geometry(uint64_t buffer_bytes, uint32_t *subbuf_size,
			     uint32_t *n_subbufs, struct restack_err *err);

/* R in (0, 1] as a decimal string ("0.1", "1") to a sample threshold. */
int restack_collect_parse_rate(const char *s, uint32_t *threshold,
			       struct restack_err *err);

/*
 * Resolve a volume name or path to its dev_t (kernel encoding,
 * major << 20 | minor) and its device-mapper name.
 */
int restack_collect_resolve(const char *volume, uint32_t *devt,
			    char name[128], struct restack_err *err);

/*
 * Trace until *o->stop is set or o->duration_ns passes, then stop,
 * drain, and finish the file.  Fills *st (free st->cpus with
 * restack_collect_stats_release) also on failure, as far as it got.
 *
 * Accounting: the records read must equal the kernel's count of records
 * written (RESTACK_TRACE_STATS: tried - dropped).  Records the kernel
 * counted as written but that never came out of the relay files are
 * "lost"; records read beyond the kernel's count mean the kernel counted
 * drops that did not happen ("phantom").  Either way the file's END
 * record carries the corrected drop count (so records + drops stays
 * exact) and the function returns -EIO after finishing the file.
 * Records that fail restack_trace_record_check() (a kernel bug) are
 * left out, counted as invalid, and also make it return -EIO.
 */
int restack_collect(const struct restack_collect_opts *o,
		    struct restack_collect_stats *st, struct restack_err *err);

void restack_collect_stats_release(struct restack_collect_stats *st);

#endif /* RESTACK_COLLECT_H */
