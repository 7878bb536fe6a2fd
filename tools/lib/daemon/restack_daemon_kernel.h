/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_daemon_kernel.h - the real backend of the daemon's ops table:
 * dm-stats (restack_daemon_monitor.c), the kernel actions
 * (restack_daemon_kernel.c), the parser of a volume's kernel state
 * (restack_daemon_kstate.c) and the analyzer step
 * (restack_daemon_decide.c).  Conventions as in core/restack_core.h.
 */
#ifndef RESTACK_DAEMON_KERNEL_H
#define RESTACK_DAEMON_KERNEL_H

#include "daemon/restack_daemon.h"

/* A dm-stats region with a latency histogram over dm device @dev. */
int restack_dstats_start(const char *dev, struct restack_err *err);
/* The window since the previous read (or the start). */
int restack_dstats_read(const char *dev, struct restack_window *w,
			struct restack_err *err);
/* Delete the region (errors ignored: the device may be gone). */
void restack_dstats_stop(const char *dev);

/* Parse a volume's INFO status and table status into @ks. */
int restack_daemon_kstate_parse(const char *status, const char *table,
				struct restack_vol_kstate *ks,
				struct restack_err *err);

/* Write the LRU miss-ratio curve of @trace as CSV to @path. */
int restack_daemon_write_mrc(const char *trace, const char *path,
			     struct restack_err *err);

/*
 * The ops table's decide step (restack_daemon_decide.c): the
 * recommendation for @trace under @sla as @d; @ctx is unused.
 */
int restack_daemon_decide(void *ctx, const char *trace,
			  const struct restack_sla_volume *sla, const char *fast_path,
			  const char *mrc_path, struct restack_decision *d,
			  struct restack_err *err);

#endif /* RESTACK_DAEMON_KERNEL_H */
