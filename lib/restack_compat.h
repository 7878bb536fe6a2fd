/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * restack_compat.h - the little that code shared by the kernel modules
 * and the userspace tools may use, mapped onto each side.
 *
 * Shared code (lib/restack_*.c) includes only this header (and other
 * shared headers).  It may use: u8, u16, u32, u64 (the kernel's types,
 * defined here for userspace), bool, size_t, uintptr_t,
 * NULL, memset/memcpy, EINVAL/ENOSPC/ENOENT (returned negated),
 * RS_WARN_ON() and RS_UNLIKELY()/RS_LIKELY().  It must not allocate,
 * use floating point, recurse deeply, sleep or take locks: callers
 * provide memory and serialise calls.
 */
#ifndef RESTACK_COMPAT_H
#define RESTACK_COMPAT_H

#ifdef __KERNEL__

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>

#define RS_WARN_ON(cond)	WARN_ON_ONCE(cond)
#define RS_LIKELY(x)		likely(x)
#define RS_UNLIKELY(x)		unlikely(x)

#else /* userspace */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* Evaluates to the condition, like the kernel's; no side channel. */
#define RS_WARN_ON(cond)	__builtin_expect(!!(cond), 0)
#define RS_LIKELY(x)		__builtin_expect(!!(x), 1)
#define RS_UNLIKELY(x)		__builtin_expect(!!(x), 0)

#endif /* __KERNEL__ */

#endif /* RESTACK_COMPAT_H */
