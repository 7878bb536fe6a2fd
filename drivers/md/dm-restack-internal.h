/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-restack-internal.h - what the parts of dm-restack.ko share with each
 * other but not with policy modules.
 */
#ifndef DM_RESTACK_INTERNAL_H
#define DM_RESTACK_INTERNAL_H

#include "dm-restack-policy.h"

#define DM_MSG_PREFIX "restack"

/*
 * restack_policy_type_get - find a registered policy type by name, loading
 * the module with alias dm-restack-policy-<name> if needed, and pin its
 * module.  Process context, may block.  Returns the type or an ERR_PTR (-ENOENT: no such policy).
 */
struct dm_restack_policy_type *restack_policy_type_get(const char *name);

/* Release a type obtained with restack_policy_type_get(). */
void restack_policy_type_put(struct dm_restack_policy_type *type);

#endif /* DM_RESTACK_INTERNAL_H */
