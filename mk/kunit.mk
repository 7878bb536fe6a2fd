# SPDX-License-Identifier: GPL-2.0-only
#
# mk/kunit.mk - "make kunit": build restack's KUnit suites into a UML kernel
# from Debian's linux-source-6.1 and run them (scripts/kunit.sh).
#
# Include from the top Makefile.  Extra kunit.py arguments go in KUNIT_ARGS,
# e.g. make kunit KUNIT_ARGS='dm-restack-parse.*'.  The kernel tree and the
# UML build directory live under $(RESTACK_CACHE) (default /var/cache/restack).

RESTACK_KUNIT_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
KUNIT_ARGS ?=

.PHONY: kunit
kunit:
	$(RESTACK_KUNIT_ROOT)/scripts/kunit.sh $(KUNIT_ARGS)
