# SPDX-License-Identifier: GPL-2.0-only
#
# restack: an adaptive block-storage layer for Linux.
#
#   make               kernel modules (drivers/md/*.ko) and tools (tools/)
#   make install       modules into /lib/modules/<ver>/extra (then depmod), tools
#   make lint          sparse and checkpatch.pl --strict over the kernel sources
#   make check         tool unit tests, KUnit on UML and the guest tests
#   make bench         the benchmarks (results in Documentation/performance.rst)
#   make demo          boots a guest and shows a volume at work
#   make validate-cache   predicted hit ratios against the cache's, in a guest
#   make validate-model   predicted latency, IOPS against measured, in a guest
#
# KDIR defaults to the running kernel's build tree and, where that is
# absent (as on build machines whose own kernel cannot load modules), to
# the newest installed Debian linux-headers-*-amd64.

RESTACK_CACHE ?= /var/cache/restack
export RESTACK_CACHE

KDIR ?= $(shell if [ -d /lib/modules/$$(uname -r)/build ]; then \
		echo /lib/modules/$$(uname -r)/build; \
	else \
		ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1; \
	fi)
KVER ?= $(patsubst linux-headers-%,%,$(notdir $(realpath $(KDIR))))
export KDIR KVER

PREFIX ?= /usr/local
DESTDIR ?=

KERNEL_SOURCES := $(wildcard drivers/md/*.c drivers/md/*.h include/uapi/linux/*.h)

.PHONY: all modules tools install modules_install tools_install clean \
	lint check tools-check bench demo help deps

all: modules tools

modules:
	@test -n "$(KDIR)" || { echo "error: no kernel build tree: install linux-headers-amd64 or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools

install: modules_install tools_install

# With DESTDIR (packaging, staging) modules go under $(DESTDIR)/lib/modules
# and depmod works on that tree.
modules_install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=extra \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	depmod $(if $(DESTDIR),-b $(DESTDIR)) -a $(KVER)

tools_install: tools
	$(MAKE) -C tools install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# Installs (apt-get) whatever a fresh Debian 12 machine lacks; quick when
# everything is there.  Skip with RESTACK_NO_DEPS=1.
deps:
	@[ -n "$(RESTACK_NO_DEPS)" ] || scripts/install-deps.sh

lint: deps
	scripts/lint.sh

tools-check: deps
	$(MAKE) -C tools check

# The README's test command.  Each part prints its own summary; any
# failure fails the whole.
check: deps
	$(MAKE) lint
	$(MAKE) tools-check
	$(MAKE) kunit
	$(MAKE) vm-check

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C tools clean
	rm -rf build

help:
	@sed -n '3,12p' Makefile

-include mk/*.mk
