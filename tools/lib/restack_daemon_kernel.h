/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_daemon_kernel.h - the real backend of the daemon's ops table:
 * dm-stats (restack_daemon_monitor.c) and the kernel actions
 * (restack_daemon_kernel.c).  Conventions as in restack.h.
 */
#ifndef RESTACK_DAEMON_KERNEL_H
#define RESTACK_DAEMON_KERNEL_H

#include "restack_daemon.h"

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

#endif /* RESTACK_DAEMON_KERNEL_H */
