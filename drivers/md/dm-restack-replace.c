// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-restack-replace.c - builds the replacement and admission code shared
 * with the analyzer (lib/restack_replace.c) into the cache module, so that
 * what the analyzer simulates is, line for line, what the kernel runs.
 */
#include "lib/restack_replace.c"
