/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fake_libdm.h - an in-memory stand-in for the parts of libdevmapper
 * that lib/restack_dm.c uses, so its logic can be unit tested on a
 * host without device-mapper.  It is compiled against the real
 * <libdevmapper.h>, so the signatures cannot drift.
 */
#ifndef FAKE_LIBDM_H
#define FAKE_LIBDM_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_MAX_DEVS		8
#define FAKE_MAX_TARGETS	3

struct fake_target {
	uint64_t start, len;
	char type[32];
	char params[512];	/* table params */
	char status[512];	/* status params */
};

struct fake_dev {
	bool used;
	char name[128];
	int ntargets;
	struct fake_target t[FAKE_MAX_TARGETS];
};

struct fake_dm {
	struct fake_dev devs[FAKE_MAX_DEVS];
	bool driver_ok;			/* dm_driver_version() succeeds */
	int remove_errno;		/* next REMOVE fails with this */
	bool create_load_fails;		/* CREATE: load fails, libdm reverts */
	int msg_errno;			/* TARGET_MSG fails with this */
	const char *msg_response;	/* reply to TARGET_MSG */
	char last_msg[256];
	uint64_t last_msg_sector;
	char last_msg_dev[128];
	int update_nodes_calls;
	int version_calls;
	int retry_remove_calls;
	char dir[256];			/* what dm_dir() returns */
};

extern struct fake_dm fake_dm;

/* Forget all state; dm_dir() returns dir. */
void fake_dm_reset(const char *dir);

/* Add a device with one target; returns it for further tweaking. */
struct fake_dev *fake_dm_add(const char *name, const char *type,
			     uint64_t len, const char *params,
			     const char *status);

struct fake_dev *fake_dm_find(const char *name);

#endif /* FAKE_LIBDM_H */
