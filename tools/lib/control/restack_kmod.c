// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_kmod.c - load the target and policy modules with libkmod
 * before talking to the kernel, so a missing or broken module is
 * reported clearly in userspace instead of as a bare EINVAL from an
 * ioctl.  If libkmod cannot find a module (no modules.dep, module not
 * installed in /lib/modules), we step aside and let the kernel's
 * request_module() try.
 */
#include <errno.h>
#include <libkmod.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "core/restack_core.h"

/* First libkmod error message (priority <= LOG_ERR) of this call. */
struct restack_kmod_log {
	char msg[RESTACK_ERR_MAX];
	bool debug;
};

static void restack_kmod_logfn(void *data, int priority, const char *file,
			       int line, const char *fn, const char *format,
			       va_list args)
{
	struct restack_kmod_log *log = data;
	va_list copy;
	size_t n;

	(void)file;
	(void)line;
	(void)fn;
	if (log->debug) {
		va_copy(copy, args);
		fputs("restack: libkmod: ", stderr);
		vfprintf(stderr, format, copy);
		va_end(copy);
	}
	if (priority > LOG_ERR || log->msg[0])
		return;
	vsnprintf(log->msg, sizeof(log->msg), format, args);
	n = strlen(log->msg);
	while (n && log->msg[n - 1] == '\n')
		log->msg[--n] = '\0';
}

int restack_kmod_load(const char *modname, struct restack_err *err)
{
	struct restack_kmod_log log = { .msg = "" };
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	const char *dbg = getenv("RESTACK_DEBUG");
	const char *path;
	int r, state;

	restack_err_clear(err);
	log.debug = dbg && *dbg && strcmp(dbg, "0");
	ctx = kmod_new(NULL, NULL);
	if (!ctx)
		return 1;	/* no libkmod context: leave it to the kernel */
	kmod_set_log_fn(ctx, restack_kmod_logfn, &log);
	if (log.debug)
		kmod_set_log_priority(ctx, LOG_DEBUG);

	r = kmod_module_new_from_name(ctx, modname, &mod);
	if (r < 0) {
		r = restack_err_set(err, r, "module %s: %s", modname,
				    strerror(-r));
		goto out;
	}
	state = kmod_module_get_initstate(mod);
	if (state == KMOD_MODULE_LIVE || state == KMOD_MODULE_BUILTIN ||
	    state == KMOD_MODULE_COMING) {
		r = 0;		/* already there */
		goto out;
	}
	path = kmod_module_get_path(mod);
	if (!path) {
		r = 1;		/* not in modules.dep: kernel request_module */
		goto out;
	}
	r = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL, NULL);
	if (r == -EEXIST) {
		r = 0;		/* raced with another loader */
	} else if (r < 0) {
		r = restack_err_set(err, r, "cannot load module %s (%s): %s%s%s",
				    modname, path, strerror(-r),
				    log.msg[0] ? ": " : "", log.msg);
	} else if (r > 0) {
		/* Only blacklist flags produce positive results; none set. */
		r = restack_err_set(err, -EPERM,
				    "module %s was not loaded (blacklisted?)",
				    modname);
	}
out:
	kmod_module_unref(mod);
	kmod_unref(ctx);
	return r;
}

int restack_policy_module_load(const char *policy, struct restack_err *err)
{
	char modname[sizeof(RESTACK_POLICY_MODULE_PREFIX) +
		     RESTACK_POLICY_NAME_MAX];
	int r;

	restack_err_clear(err);
	r = restack_check_policy_name(policy, err);
	if (r)
		return r;
	snprintf(modname, sizeof(modname), "%s%s",
		 RESTACK_POLICY_MODULE_PREFIX, policy);
	r = restack_kmod_load(modname, err);
	if (r < 0)
		return restack_err_prefix(err, r, "policy %s", policy);
	return r;
}
