# Guest (QEMU) tests and demo; included from the top-level Makefile.
#
#   make vm-check                 all tests/vm/[0-9]*.sh, each in its own guest boot
#   make vm-check VM_TESTS="01-smoke 04-flush-fua-discard"
#   make vm-image                 (re)build the guest kernel + initramfs only
#   make vm-shell                 interactive guest shell (debugging)
#   make demo                     restackd meets an SLA, then survives a fast-device
#                                 fault (plots in build/demo/)
#   make demo-plot                redraw build/demo/ from the last demo run
#
# The base image is cached in $(RESTACK_CACHE)/guest; results go to
# $(VM_RESULTS) (console.log, output.txt, dmesg.txt per test).

VM_RESULTS ?= build/vm-results
VM_TESTS ?=

.PHONY: vm-check vm-image vm-shell demo test-helpers

# Programs the guest tests run, which the guest image stages under
# /opt/restack/tests/helpers/ (crashio for 53- and 55-cache-crash).
test-helpers:
	$(MAKE) -C tests/helpers

vm-image: modules tools test-helpers
	scripts/guest-image.sh

vm-check: deps modules tools test-helpers
	scripts/guest-test.sh -o $(VM_RESULTS) $(VM_TESTS)

vm-shell: modules tools test-helpers
	scripts/guest-run.sh --shell

demo: deps modules tools test-helpers
	scripts/guest-demo.sh

# Redraw the demo's timeline and plots (build/demo/) from the last run's
# results (build/vm-results/demo/) without booting a guest.
.PHONY: demo-plot
demo-plot:
	scripts/demo-plot.sh build/vm-results/demo build/demo
