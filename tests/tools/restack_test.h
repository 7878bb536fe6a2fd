/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_test.h - cmocka boilerplate shared by the tools unit tests.
 */
#ifndef RESTACK_TEST_H
#define RESTACK_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/restack_core.h"

/* Assert that haystack contains needle, printing both if not. */
#define assert_contains(haystack, needle) do {				\
	const char *h_ = (haystack), *n_ = (needle);			\
	if (!h_ || !strstr(h_, n_)) {					\
		print_error("expected \"%s\" to contain \"%s\"\n",	\
			    h_ ? h_ : "(null)", n_);			\
		fail();							\
	}								\
} while (0)

/*
 * Run one cmocka test per element of a case table: each test gets
 * &cases[i] as its state and the case's name as its test name, so
 * every malformed input shows up (and fails) individually.
 */
static inline int restack_run_cases(const char *group, const void *cases,
				    size_t n, size_t stride,
				    const char *(*name_of)(const void *),
				    CMUnitTestFunction fn)
{
	struct CMUnitTest *t = calloc(n, sizeof(*t));
	size_t i;
	int r;

	if (!t)
		return 1;
	for (i = 0; i < n; i++) {
		const void *c = (const char *)cases + i * stride;

		t[i].name = name_of(c);
		t[i].test_func = fn;
		t[i].initial_state = (void *)c;
	}
	r = _cmocka_run_group_tests(group, t, n, NULL, NULL);
	free(t);
	return r;
}

#define RESTACK_RUN_CASES(group, cases, name_of, fn)			\
	restack_run_cases(group, cases, sizeof(cases) / sizeof((cases)[0]), \
			  sizeof((cases)[0]), name_of, fn)

#endif /* RESTACK_TEST_H */
