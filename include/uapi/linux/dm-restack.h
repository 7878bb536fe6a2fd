/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * dm-restack.h - what the restack kernel modules share with userspace.
 *
 * Values here are ABI: they appear in tracepoint output and, through the
 * tracer, in trace files.  Never renumber; only append.
 */
#ifndef _UAPI_LINUX_DM_RESTACK_H
#define _UAPI_LINUX_DM_RESTACK_H

/* Version of the restack target (major.minor.patch), as in its table. */
#define DM_RESTACK_VERSION_MAJOR	1
#define DM_RESTACK_VERSION_MINOR	0
#define DM_RESTACK_VERSION_PATCH	0

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

#endif /* _UAPI_LINUX_DM_RESTACK_H */
