// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_err.c - one-line error messages for the restack library.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/restack_core.h"

/* Keep messages on one line: replace control characters by '?'. */
static void restack_err_flatten(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void restack_err_clear(struct restack_err *err)
{
	if (err)
		err->msg[0] = '\0';
}

int restack_err_set(struct restack_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	restack_err_flatten(err->msg);
	return code;
}

int restack_err_prefix(struct restack_err *err, int code, const char *fmt, ...)
{
	char prefix[RESTACK_ERR_MAX];
	char old[RESTACK_ERR_MAX];
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* Truncation of over-long messages is acceptable here. */
	if (snprintf(err->msg, sizeof(err->msg), old[0] ? "%s: %s" : "%s",
		     prefix, old) >= (int)sizeof(err->msg))
		memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
	restack_err_flatten(err->msg);
	return code;
}
