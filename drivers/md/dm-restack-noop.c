// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-noop.c - the noop policy: every bio goes through the policy
 * path and on to the origin, unchanged.
 *
 * It is the policy framework's test subject (attach and detach it under
 * load and nothing may change) and the measure of the framework's cost
 * (attached noop against detached).  Table form: policy noop 0
 */
#include "dm-restack-policy.h"

#include <linux/module.h>
#include <linux/slab.h>
#include <uapi/linux/dm-restack.h>

#define DM_MSG_PREFIX "restack-noop"

struct noop_policy {
	struct dm_restack_policy policy;
};

static struct dm_restack_policy *noop_create(struct dm_restack_volume *vol,
					     unsigned int argc, char **argv,
					     const char **error)
{
	struct noop_policy *noop;

	if (argc) {
		*error = "noop: takes no arguments";
		return ERR_PTR(-EINVAL);
	}

	noop = kzalloc(sizeof(*noop), GFP_KERNEL);
	if (!noop) {
		*error = "noop: cannot allocate policy";
		return ERR_PTR(-ENOMEM);
	}
	return &noop->policy;
}

static void noop_destroy(struct dm_restack_policy *p)
{
	kfree(container_of(p, struct noop_policy, policy));
}

/*
 * Runs in the submitter's context; does not block.  The bio arrives
 * already aimed at the origin, so there is nothing to change.
 */
static int noop_map(struct dm_restack_policy *p, struct bio *bio,
		    struct dm_restack_io *io)
{
	io->result = DM_RESTACK_RESULT_ORIGIN;
	return DM_MAPIO_REMAPPED;
}

static struct dm_restack_policy_type noop_policy_type = {
	.name = "noop",
	.version = { 1, 0, 0 },
	.owner = THIS_MODULE,
	.create = noop_create,
	.destroy = noop_destroy,
	.map = noop_map,
};

static int __init noop_init(void)
{
	return dm_restack_policy_register(&noop_policy_type);
}

static void __exit noop_exit(void)
{
	dm_restack_policy_unregister(&noop_policy_type);
}

module_init(noop_init);
module_exit(noop_exit);

MODULE_DESCRIPTION("restack noop policy: everything to the origin, through the policy path");
MODULE_AUTHOR("The restack developers");
MODULE_LICENSE("GPL");
DM_RESTACK_POLICY_ALIAS("noop");
