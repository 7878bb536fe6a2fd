// SPDX-License-Identifier: GPL-2.0-only
/*
 * fake_libdm.c - in-memory libdevmapper replacement for test_dm.
 *
 * Mimics the libdevmapper behaviour restack_dm.c relies on:
 *   - errors are reported through the dm_log_with_errno_init() hook,
 *     with the ioctl errno available from dm_task_get_errno();
 *   - STATUS of a missing device succeeds with info.exists == 0, while
 *     TABLE, REMOVE and TARGET_MSG fail with ENXIO;
 *   - CREATE with a table creates, loads and resumes; if the load fails
 *     the device is removed again and the errno is lost (0);
 *   - LIST returns a packed struct dm_names chain.
 */
#include <errno.h>
#include <libdevmapper.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_libdm.h"

struct fake_dm fake_dm;
static dm_log_with_errno_fn fake_log;

struct dm_task {
	int type;
	char name[128];
	bool have_name;
	char *message;
	uint64_t sector;
	int ioctl_errno;
	struct dm_info info;
	int nadd;
	struct fake_target add[FAKE_MAX_TARGETS];
	int nres;
	struct fake_target res[FAKE_MAX_TARGETS];
	char *response;
	void *names;
};

void fake_dm_reset(const char *dir)
{
	memset(&fake_dm, 0, sizeof(fake_dm));
	fake_dm.driver_ok = true;
	snprintf(fake_dm.dir, sizeof(fake_dm.dir), "%s", dir);
}

struct fake_dev *fake_dm_find(const char *name)
{
	int i;

	for (i = 0; i < FAKE_MAX_DEVS; i++)
		if (fake_dm.devs[i].used && !strcmp(fake_dm.devs[i].name, name))
			return &fake_dm.devs[i];
	return NULL;
}

struct fake_dev *fake_dm_add(const char *name, const char *type,
			     uint64_t len, const char *params,
			     const char *status)
{
	int i;

	for (i = 0; i < FAKE_MAX_DEVS; i++) {
		struct fake_dev *d = &fake_dm.devs[i];

		if (d->used)
			continue;
		memset(d, 0, sizeof(*d));
		d->used = true;
		snprintf(d->name, sizeof(d->name), "%s", name);
		if (type) {
			d->ntargets = 1;
			d->t[0].len = len;
			snprintf(d->t[0].type, sizeof(d->t[0].type), "%s", type);
			snprintf(d->t[0].params, sizeof(d->t[0].params), "%s", params);
			snprintf(d->t[0].status, sizeof(d->t[0].status), "%s", status);
		}
		return d;
	}
	abort();
}

/* Log like libdm: level 3 (_LOG_ERR) with the errno. */
__attribute__((format(printf, 2, 3)))
static void fake_error(int err, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (fake_log)
		fake_log(3, __FILE__, __LINE__, err, "%s", buf);
}

static int fake_ioctl_fail(struct dm_task *dmt, const char *op, int err)
{
	dmt->ioctl_errno = err;
	/* libdm's wording, including the double space for an empty uuid */
	fake_error(err, "device-mapper: %s ioctl on %s  failed: %s", op,
		   dmt->name, strerror(err));
	return 0;
}

void dm_log_with_errno_init(dm_log_with_errno_fn fn)
{
	fake_log = fn;
}

const char *dm_dir(void)
{
	return fake_dm.dir;
}

int dm_driver_version(char *version, size_t size)
{
	fake_dm.version_calls++;
	if (!fake_dm.driver_ok) {
		fake_error(0, "%s/control: open failed: No such device",
			   fake_dm.dir);
		fake_error(0, "Failure to communicate with kernel device-mapper driver.");
		return 0;
	}
	snprintf(version, size, "4.47.0");
	return 1;
}

struct dm_task *dm_task_create(int type)
{
	struct dm_task *dmt = calloc(1, sizeof(*dmt));

	if (dmt)
		dmt->type = type;
	return dmt;
}

void dm_task_destroy(struct dm_task *dmt)
{
	if (!dmt)
		return;
	free(dmt->message);
	free(dmt->response);
	free(dmt->names);
	free(dmt);
}

int dm_task_set_name(struct dm_task *dmt, const char *name)
{
	if (strlen(name) >= sizeof(dmt->name)) {
		fake_error(0, "Name \"%s\" too long.", name);
		return 0;
	}
	snprintf(dmt->name, sizeof(dmt->name), "%s", name);
	dmt->have_name = true;
	return 1;
}

int dm_task_add_target(struct dm_task *dmt, uint64_t start, uint64_t size,
		       const char *ttype, const char *params)
{
	struct fake_target *t;

	if (dmt->nadd >= FAKE_MAX_TARGETS)
		return 0;
	t = &dmt->add[dmt->nadd++];
	t->start = start;
	t->len = size;
	snprintf(t->type, sizeof(t->type), "%s", ttype);
	snprintf(t->params, sizeof(t->params), "%s", params);
	return 1;
}

int dm_task_set_message(struct dm_task *dmt, const char *message)
{
	free(dmt->message);
	dmt->message = strdup(message);
	return dmt->message != NULL;
}

int dm_task_set_sector(struct dm_task *dmt, uint64_t sector)
{
	dmt->sector = sector;
	return 1;
}

int dm_task_retry_remove(struct dm_task *dmt)
{
	(void)dmt;
	fake_dm.retry_remove_calls++;
	return 1;
}

int dm_task_get_errno(struct dm_task *dmt)
{
	return dmt->ioctl_errno;
}

int dm_task_get_info(struct dm_task *dmt, struct dm_info *dmi)
{
	*dmi = dmt->info;
	return 1;
}

const char *dm_task_get_message_response(struct dm_task *dmt)
{
	return dmt->response;
}

struct dm_names *dm_task_get_names(struct dm_task *dmt)
{
	return dmt->names;
}

void *dm_get_next_target(struct dm_task *dmt, void *next, uint64_t *start,
			 uint64_t *length, char **target_type, char **params)
{
	uintptr_t i = (uintptr_t)next;	/* 0: first, n: index n */

	if ((int)i >= dmt->nres) {
		*start = 0;
		*length = 0;
		*target_type = NULL;
		*params = NULL;
		return NULL;
	}
	*start = dmt->res[i].start;
	*length = dmt->res[i].len;
	*target_type = dmt->res[i].type;
	*params = dmt->type == DM_DEVICE_STATUS ? dmt->res[i].status :
		  dmt->res[i].params;
	return (int)i + 1 < dmt->nres ? (void *)(i + 1) : NULL;
}

void dm_task_update_nodes(void)
{
	fake_dm.update_nodes_calls++;
}

void dm_lib_release(void)
{
}

static void fake_fill(struct dm_task *dmt, const struct fake_dev *d)
{
	dmt->info.exists = 1;
	dmt->info.live_table = d->ntargets > 0;
	dmt->info.major = 253;
	dmt->info.minor = (uint32_t)(d - fake_dm.devs);
	dmt->info.target_count = d->ntargets;
	dmt->nres = d->ntargets;
	memcpy(dmt->res, d->t, sizeof(d->t));
}

static int fake_list(struct dm_task *dmt)
{
	size_t off = 0, cap = 8192, prev = 0;
	char *buf = calloc(1, cap);
	bool first = true;
	int i;

	if (!buf)
		return 0;
	for (i = 0; i < FAKE_MAX_DEVS; i++) {
		struct dm_names *n;
		size_t len;

		if (!fake_dm.devs[i].used)
			continue;
		if (!first)
			((struct dm_names *)(buf + prev))->next =
				(uint32_t)(off - prev);
		n = (struct dm_names *)(buf + off);
		n->dev = ((uint64_t)253 << 8) | (uint64_t)i;
		n->next = 0;
		strcpy(n->name, fake_dm.devs[i].name);
		len = sizeof(*n) + strlen(n->name) + 1;
		prev = off;
		off += (len + 7) & ~(size_t)7;
		first = false;
	}
	/* no devices: a zeroed struct (dev == 0) like the kernel's */
	dmt->names = buf;
	return 1;
}

int dm_task_run(struct dm_task *dmt)
{
	struct fake_dev *d = dmt->have_name ? fake_dm_find(dmt->name) : NULL;
	int err;

	dmt->ioctl_errno = 0;
	switch (dmt->type) {
	case DM_DEVICE_CREATE:
		if (d)
			return fake_ioctl_fail(dmt, "create", EEXIST);
		if (fake_dm.create_load_fails) {
			fake_error(EINVAL,
				   "device-mapper: reload ioctl on %s  failed: Invalid argument",
				   dmt->name);
			return 0;	/* reverted: errno of the remove (0) */
		}
		d = fake_dm_add(dmt->name, NULL, 0, NULL, NULL);
		d->ntargets = dmt->nadd;
		memcpy(d->t, dmt->add, sizeof(d->t));
		fake_fill(dmt, d);
		return 1;
	case DM_DEVICE_REMOVE:
		if (!d)
			return fake_ioctl_fail(dmt, "remove", ENXIO);
		if (fake_dm.remove_errno) {
			err = fake_dm.remove_errno;
			fake_dm.remove_errno = 0;
			return fake_ioctl_fail(dmt, "remove", err);
		}
		d->used = false;
		return 1;
	case DM_DEVICE_STATUS:
		if (!d) {
			dmt->info.exists = 0;	/* libdm clears EXISTS on ENXIO */
			return 1;
		}
		fake_fill(dmt, d);
		return 1;
	case DM_DEVICE_TABLE:
		if (!d)
			return fake_ioctl_fail(dmt, "table", ENXIO);
		fake_fill(dmt, d);
		return 1;
	case DM_DEVICE_TARGET_MSG:
		if (!d)
			return fake_ioctl_fail(dmt, "message", ENXIO);
		snprintf(fake_dm.last_msg, sizeof(fake_dm.last_msg), "%s",
			 dmt->message ? dmt->message : "");
		snprintf(fake_dm.last_msg_dev, sizeof(fake_dm.last_msg_dev),
			 "%s", dmt->name);
		fake_dm.last_msg_sector = dmt->sector;
		if (fake_dm.msg_errno)
			return fake_ioctl_fail(dmt, "message", fake_dm.msg_errno);
		if (fake_dm.msg_response)
			dmt->response = strdup(fake_dm.msg_response);
		return 1;
	case DM_DEVICE_LIST:
		return fake_list(dmt);
	default:
		fake_error(0, "fake_libdm: unsupported task type %d", dmt->type);
		return 0;
	}
}
