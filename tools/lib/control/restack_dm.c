// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_dm.c - control of restack volumes through libdevmapper.
 *
 * libdevmapper's log output is captured (first error per operation)
 * and folded into the caller's one-line struct restack_err instead of
 * being printed; RESTACK_DEBUG=1 prints everything to stderr as well.
 *
 * The guests have no udev: after operations that add or remove a
 * device we call dm_task_update_nodes() so libdevmapper creates or
 * removes /dev/mapper/<name> itself.  (Without a udev cookie,
 * libdevmapper disables the dm udev rules for the device and falls
 * back to its own node handling, so this is also correct with udev.)
 */
#include <errno.h>
#include <libdevmapper.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/restack_core.h"

/* libdevmapper log levels (libdm/misc/dm-logging.h, not exported). */
#define RESTACK_DM_LOG_LEVEL_MASK	7
#define RESTACK_DM_LOG_ERR		3

static bool restack_dm_inited;
static bool restack_dm_debug;
static bool restack_dm_checked;
/* First libdevmapper error since restack_dm_begin(). */
static char restack_dm_errbuf[RESTACK_ERR_MAX];

/* Collapse runs of spaces (libdm prints "on vol  failed" for empty uuids). */
static void restack_squeeze_spaces(char *s)
{
	const char *i;
	char *o = s;

	for (i = s; *i; i++) {
		if (*i == ' ' && o > s && o[-1] == ' ')
			continue;
		*o++ = *i;
	}
	*o = '\0';
}

static void restack_dm_log(int level, const char *file, int line,
			   int dm_errno_or_class, const char *f, ...)
{
	va_list ap;

	(void)file;
	(void)line;
	(void)dm_errno_or_class;
	if (restack_dm_debug) {
		va_start(ap, f);
		fputs("restack: libdevmapper: ", stderr);
		vfprintf(stderr, f, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	if ((level & RESTACK_DM_LOG_LEVEL_MASK) > RESTACK_DM_LOG_ERR ||
	    restack_dm_errbuf[0])
		return;
	va_start(ap, f);
	vsnprintf(restack_dm_errbuf, sizeof(restack_dm_errbuf), f, ap);
	va_end(ap);
	restack_squeeze_spaces(restack_dm_errbuf);
}

/* Install the log capture once and reset the captured error. */
static void restack_dm_begin(void)
{
	if (!restack_dm_inited) {
		const char *dbg = getenv("RESTACK_DEBUG");

		restack_dm_debug = dbg && *dbg && strcmp(dbg, "0");
		dm_log_with_errno_init(restack_dm_log);
		restack_dm_inited = true;
	}
	restack_dm_errbuf[0] = '\0';
}

static const char *restack_dm_captured(void)
{
	return restack_dm_errbuf[0] ? restack_dm_errbuf :
	       "unknown libdevmapper error";
}

/* Does /proc/misc list the device-mapper control device? */
static bool restack_proc_misc_has_dm(void)
{
	char line[128];
	bool found = false;
	FILE *f = fopen("/proc/misc", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " device-mapper") != NULL;
	fclose(f);
	return found;
}

int restack_dm_check(struct restack_err *err)
{
	struct restack_err kerr = { "" };
	char version[64], control[PATH_MAX];
	int r;

	restack_err_clear(err);
	if (restack_dm_checked)
		return 0;
	restack_dm_begin();
	/*
	 * libdevmapper would mknod a control node with default numbers
	 * when none exists.  Only let it if the driver is there (or can
	 * be loaded), so a host without device-mapper fails cleanly and
	 * is left untouched.
	 */
	snprintf(control, sizeof(control), "%s/control", dm_dir());
	if (access(control, F_OK) != 0 && !restack_proc_misc_has_dm()) {
		r = restack_kmod_load("dm-mod", &kerr);
		if (r == 1)
			return restack_err_set(err, -ENODEV,
					       "device-mapper is not available: %s is missing, dm-mod is not loaded and libkmod cannot find it",
					       control);
		if (r < 0)
			return restack_err_set(err, -ENODEV,
					       "device-mapper is not available: %s is missing and dm-mod could not be loaded: %s",
					       control, kerr.msg);
	}
	if (!dm_driver_version(version, sizeof(version)))
		return restack_err_set(err, -ENODEV,
				       "device-mapper is not available (%s); is dm-mod loaded and %s present?",
				       restack_dm_captured(), control);
	restack_dm_checked = true;
	return 0;
}

static struct dm_task *restack_dm_task(int type, const char *name,
				       struct restack_err *err)
{
	struct dm_task *dmt;

	restack_dm_begin();
	dmt = dm_task_create(type);
	if (!dmt) {
		restack_err_set(err, -ENOMEM, "cannot create device-mapper task: %s",
				restack_dm_captured());
		return NULL;
	}
	if (name && !dm_task_set_name(dmt, name)) {
		restack_err_set(err, -EINVAL, "%s: cannot set device name: %s",
				name, restack_dm_captured());
		dm_task_destroy(dmt);
		return NULL;
	}
	return dmt;
}

/*
 * Run dmt.  On failure, describe it as "<name>: <what> failed: <why>"
 * where why is the ioctl errno (with hint, if any, for that errno) or
 * libdevmapper's own error message.
 */
static int restack_dm_run(struct dm_task *dmt, const char *name,
			  const char *what, int hint_errno, const char *hint,
			  struct restack_err *err)
{
	int e;

	restack_dm_begin();
	if (dm_task_run(dmt))
		return 0;
	e = dm_task_get_errno(dmt);
	if (e == ENXIO)
		return restack_err_set(err, -ENXIO, "%s: no such volume", name);
	if (e == EPERM || e == EACCES)
		return restack_err_set(err, -e, "%s: %s failed: %s (are you root?)",
				       name, what, strerror(e));
	if (e && e == hint_errno && hint)
		return restack_err_set(err, -e, "%s: %s failed: %s (%s)", name,
				       what, strerror(e), hint);
	if (e)
		return restack_err_set(err, -e, "%s: %s failed: %s", name, what,
				       strerror(e));
	return restack_err_set(err, -EIO, "%s: %s failed: %s", name, what,
			       restack_dm_captured());
}

/*
 * Fetch the single target of a volume with DM_DEVICE_STATUS or
 * DM_DEVICE_TABLE and insist on it being a restack target.
 */
static int restack_dm_get_target(int type, const char *name,
				 uint64_t *length, char **params,
				 struct restack_err *err)
{
	uint64_t start = 0, len = 0;
	char *ttype = NULL, *p = NULL;
	struct dm_info info;
	struct dm_task *dmt;
	void *next;
	int r;

	r = restack_check_volume_name(name, err);
	if (r)
		return r;
	r = restack_dm_check(err);
	if (r)
		return r;
	dmt = restack_dm_task(type, name, err);
	if (!dmt)
		return -ENOMEM;
	r = restack_dm_run(dmt, name,
			   type == DM_DEVICE_STATUS ? "status" : "table",
			   0, NULL, err);
	if (r)
		goto out;
	if (!dm_task_get_info(dmt, &info) || !info.exists) {
		r = restack_err_set(err, -ENXIO, "%s: no such volume", name);
		goto out;
	}
	next = dm_get_next_target(dmt, NULL, &start, &len, &ttype, &p);
	if (!ttype) {
		r = restack_err_set(err, -EMEDIUMTYPE,
				    "%s: not a restack volume (no active table)",
				    name);
		goto out;
	}
	if (next) {
		r = restack_err_set(err, -EMEDIUMTYPE,
				    "%s: not a restack volume (more than one target)",
				    name);
		goto out;
	}
	if (strcmp(ttype, RESTACK_TARGET_NAME) || start != 0) {
		r = restack_err_set(err, -EMEDIUMTYPE,
				    "%s: not a restack volume (target type \"%.64s\")",
				    name, ttype);
		goto out;
	}
	if (params) {
		*params = strdup(p ? p : "");
		if (!*params) {
			r = restack_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	if (length)
		*length = len;
	r = 0;
out:
	dm_task_destroy(dmt);
	return r;
}

int restack_dm_status(const char *name, char **params,
		      struct restack_err *err)
{
	restack_err_clear(err);
	return restack_dm_get_target(DM_DEVICE_STATUS, name, NULL, params, err);
}

int restack_dm_table(const char *name, uint64_t *length, char **params,
		     struct restack_err *err)
{
	restack_err_clear(err);
	return restack_dm_get_target(DM_DEVICE_TABLE, name, length, params, err);
}

int restack_dm_create(const char *name, const struct restack_table_spec *spec,
		      struct restack_err *err)
{
	struct dm_task *dmt;
	struct dm_info info;
	char *params = NULL;
	int r;

	restack_err_clear(err);
	r = restack_check_volume_name(name, err);
	if (r)
		return r;
	r = restack_table_params(spec, &params, err);
	if (r)
		return r;
	r = restack_dm_check(err);
	if (r)
		goto out_free;
	dmt = restack_dm_task(DM_DEVICE_CREATE, name, err);
	if (!dmt) {
		r = -ENOMEM;
		goto out_free;
	}
	if (!dm_task_add_target(dmt, 0, spec->size, RESTACK_TARGET_NAME,
				params)) {
		r = restack_err_set(err, -ENOMEM, "%s: cannot add target: %s",
				    name, restack_dm_captured());
		goto out;
	}
	/*
	 * A CREATE task carrying a table makes libdevmapper create the
	 * device, load the table and resume it; if the load or resume
	 * fails it removes the half-created device again.  The errno of
	 * the failing step is lost then, so report libdm's message.
	 */
	restack_dm_begin();
	if (!dm_task_run(dmt)) {
		int e = dm_task_get_errno(dmt);

		if (e == EEXIST)
			r = restack_err_set(err, -EEXIST,
					    "%s: a device-mapper device with this name already exists",
					    name);
		else if (e == EPERM || e == EACCES)
			r = restack_err_set(err, -e, "%s: create failed: %s (are you root?)",
					    name, strerror(e));
		else
			r = restack_err_set(err, e ? -e : -EIO,
					    "%s: create failed: %s (kernel log may have details)",
					    name, e && !restack_dm_errbuf[0] ?
					    strerror(e) : restack_dm_captured());
		goto out;
	}
	if (!dm_task_get_info(dmt, &info) || !info.exists || info.suspended ||
	    !info.live_table) {
		r = restack_err_set(err, -EIO,
				    "%s: created but not active (suspended or no live table)",
				    name);
		goto out;
	}
	r = 0;
out:
	dm_task_destroy(dmt);
	dm_task_update_nodes();
out_free:
	free(params);
	return r;
}

int restack_dm_remove(const char *name, struct restack_err *err)
{
	struct dm_task *dmt;
	int r;

	restack_err_clear(err);
	r = restack_dm_table(name, NULL, NULL, err);
	if (r)
		return r;
	dmt = restack_dm_task(DM_DEVICE_REMOVE, name, err);
	if (!dmt)
		return -ENOMEM;
	/* Retry transient EBUSY (e.g. a scanner briefly opening it). */
	dm_task_retry_remove(dmt);
	r = restack_dm_run(dmt, name, "remove", EBUSY,
			   "volume is open or mounted", err);
	dm_task_destroy(dmt);
	dm_task_update_nodes();
	return r;
}

int restack_dm_message(const char *name, const char *msg, char **response,
		       struct restack_err *err)
{
	const char *resp;
	struct dm_task *dmt;
	char what[128];
	int r;

	restack_err_clear(err);
	if (response)
		*response = NULL;
	if (!msg || !msg[0])
		return restack_err_set(err, -EINVAL, "%s: empty message", name);
	/* Never send restack messages to some other target type. */
	r = restack_dm_table(name, NULL, NULL, err);
	if (r)
		return r;
	dmt = restack_dm_task(DM_DEVICE_TARGET_MSG, name, err);
	if (!dmt)
		return -ENOMEM;
	if (!dm_task_set_sector(dmt, 0) || !dm_task_set_message(dmt, msg)) {
		r = restack_err_set(err, -ENOMEM, "%s: cannot set message: %s",
				    name, restack_dm_captured());
		goto out;
	}
	snprintf(what, sizeof(what), "message \"%.100s\"", msg);
	r = restack_dm_run(dmt, name, what, EINVAL,
			   "rejected by the target; see the kernel log", err);
	if (r)
		goto out;
	if (response) {
		resp = dm_task_get_message_response(dmt);
		*response = strdup(resp ? resp : "");
		if (!*response)
			r = restack_err_set(err, -ENOMEM, "out of memory");
	}
out:
	dm_task_destroy(dmt);
	return r;
}

static int restack_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void restack_names_free(char **names, size_t count)
{
	size_t i;

	if (!names)
		return;
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int restack_dm_list(char ***names_out, size_t *count_out,
		    struct restack_err *err)
{
	char **all = NULL, **keep = NULL, **tmp;
	size_t nall = 0, nkeep = 0, i;
	struct dm_names *names;
	struct dm_task *dmt;
	unsigned int next = 0;
	int r;

	restack_err_clear(err);
	*names_out = NULL;
	*count_out = 0;
	r = restack_dm_check(err);
	if (r)
		return r;
	dmt = restack_dm_task(DM_DEVICE_LIST, NULL, err);
	if (!dmt)
		return -ENOMEM;
	r = restack_dm_run(dmt, "device-mapper", "list", 0, NULL, err);
	if (r)
		goto out;
	names = dm_task_get_names(dmt);
	if (!names) {
		r = restack_err_set(err, -EIO, "device-mapper: list failed: %s",
				    restack_dm_captured());
		goto out;
	}
	/* Copy the names first: the list lives in dmt's buffer. */
	if (names->dev) {
		do {
			names = (struct dm_names *)((char *)names + next);
			tmp = realloc(all, (nall + 1) * sizeof(*all));
			if (!tmp)
				goto oom;
			all = tmp;
			all[nall] = strdup(names->name);
			if (!all[nall])
				goto oom;
			nall++;
			next = names->next;
		} while (next);
	}
	for (i = 0; i < nall; i++) {
		r = restack_dm_table(all[i], NULL, NULL, err);
		if (r == -ENXIO || r == -EMEDIUMTYPE || r == -EINVAL)
			continue;	/* vanished, other target, foreign name */
		if (r)
			goto out;
		tmp = realloc(keep, (nkeep + 1) * sizeof(*keep));
		if (!tmp)
			goto oom;
		keep = tmp;
		keep[nkeep++] = all[i];
		all[i] = NULL;
	}
	restack_err_clear(err);
	if (nkeep)
		qsort(keep, nkeep, sizeof(*keep), restack_names_cmp);
	*names_out = keep;
	*count_out = nkeep;
	keep = NULL;
	nkeep = 0;
	r = 0;
	goto out;
oom:
	r = restack_err_set(err, -ENOMEM, "out of memory");
out:
	restack_names_free(all, nall);
	restack_names_free(keep, nkeep);
	dm_task_destroy(dmt);
	return r;
}

void restack_dm_exit(void)
{
	if (restack_dm_inited)
		dm_lib_release();
}
