/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_run.h - run the restack binary from a cmocka test: optionally
 * under valgrind (RESTACK_VALGRIND), with stdout and stderr captured.
 * Shared by the CLI suites (test_cli.c, test_trace_cmd.c).
 */
#ifndef RESTACK_RUN_H
#define RESTACK_RUN_H

struct run {
	int code;		/* exit status, or -1 if killed */
	char *out;
	char *err;
};

/* The whole of @fd from its start, NUL-terminated; closes @fd. */
char *restack_slurp(int fd);
/* An anonymous temporary file. */
int restack_tmpfd(void);
/*
 * Run $RESTACK_BIN (default ./restack) with @args (NULL-terminated),
 * standard input from @in_path if not NULL.
 */
struct run run_restack(const char *in_path, const char *const *args);
void run_free(struct run *r);
/* stderr is exactly one line starting with "restack: ". */
void assert_one_error_line(const struct run *r);

#define RUN(...) run_restack(NULL, (const char *const[]){ __VA_ARGS__, NULL })
#define RUN_IN(in, ...) run_restack(in, (const char *const[]){ __VA_ARGS__, NULL })

#endif /* RESTACK_RUN_H */
