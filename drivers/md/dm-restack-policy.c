// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-policy.c - the registry of restack policy types.
 *
 * Policy modules register their type when they load.  Attaching a policy
 * looks its type up by name, loading the module with alias
 * dm-restack-policy-<name> on demand (DM_RESTACK_POLICY_ALIAS), and pins
 * the module for as long as an instance exists, so a policy module cannot
 * be unloaded while it is attached to any volume.
 */
#include "dm-restack-internal.h"
#include "dm-restack-parse.h"

#include <linux/kmod.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(registry_lock);
static LIST_HEAD(registry);

static struct dm_restack_policy_type *lookup_locked(const char *name)
{
	struct dm_restack_policy_type *type;

	lockdep_assert_held(&registry_lock);
	list_for_each_entry(type, &registry, list)
		if (!strcmp(type->name, name))
			return type;
	return NULL;
}

/* Find @name and pin its module; NULL if absent or going away. */
static struct dm_restack_policy_type *get_registered(const char *name)
{
	struct dm_restack_policy_type *type;

	mutex_lock(&registry_lock);
	type = lookup_locked(name);
	if (type && !try_module_get(type->owner))
		type = NULL;
	mutex_unlock(&registry_lock);
	return type;
}

struct dm_restack_policy_type *restack_policy_type_get(const char *name)
{
	struct dm_restack_policy_type *type;

	if (!restack_policy_name_valid(name))
		return ERR_PTR(-EINVAL);

	type = get_registered(name);
	if (type)
		return type;

	/* The name was validated above, so it cannot smuggle in options. */
	request_module("dm-restack-policy-%s", name);

	type = get_registered(name);
	return type ? type : ERR_PTR(-ENOENT);
}

void restack_policy_type_put(struct dm_restack_policy_type *type)
{
	module_put(type->owner);
}

int dm_restack_policy_register(struct dm_restack_policy_type *type)
{
	int r = 0;

	if (!type->create || !type->destroy || !type->map ||
	    !restack_policy_name_valid(type->name)) {
		DMERR("refusing to register malformed policy type %s",
		      type->name ? type->name : "(unnamed)");
		return -EINVAL;
	}

	mutex_lock(&registry_lock);
	if (lookup_locked(type->name)) {
		DMERR("policy %s is already registered", type->name);
		r = -EEXIST;
	} else {
		list_add(&type->list, &registry);
	}
	mutex_unlock(&registry_lock);
	return r;
}
EXPORT_SYMBOL_GPL(dm_restack_policy_register);

void dm_restack_policy_unregister(struct dm_restack_policy_type *type)
{
	mutex_lock(&registry_lock);
	list_del_init(&type->list);
	mutex_unlock(&registry_lock);
}
EXPORT_SYMBOL_GPL(dm_restack_policy_unregister);
