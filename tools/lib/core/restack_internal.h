/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_internal.h - helpers shared by the library's parsers.
 * Not installed, not part of the library's public interface.
 */
#ifndef RESTACK_INTERNAL_H
#define RESTACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/restack_core.h"

/* How policy names look, for error messages. */
#define RESTACK_POLICY_NAME_RULE \
	"allowed: [a-z0-9_-], not starting or ending with '-'"

/* A token inside a line: not NUL-terminated. */
struct restack_tok {
	const char *p;
	size_t len;
	size_t off;		/* byte offset of p in the line */
	unsigned int idx;	/* 1-based token number */
};

/*
 * Strict tokenizer: tokens are runs of printable non-space ASCII
 * separated by exactly one ' '.  Leading/trailing/double spaces and any
 * other byte are errors.  what ("status", "table") prefixes messages.
 */
struct restack_tokenizer {
	const char *what;
	const char *line;
	size_t pos;		/* offset of the next token */
	unsigned int idx;	/* number of tokens returned so far */
	bool done;
};

void restack_tok_init(struct restack_tokenizer *t, const char *what,
		      const char *line);

/* Returns 1 with *tok filled, 0 at end of line, -EINVAL on error. */
int restack_tok_next(struct restack_tokenizer *t, struct restack_tok *tok,
		     struct restack_err *err);

/* Error naming a token: "<what>: token N "<tok>" at offset O: <problem>". */
int restack_tok_err(const struct restack_tokenizer *t,
		    const struct restack_tok *tok, struct restack_err *err,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Error for a missing token: "<what>: missing <thing> (token N) at end of line (offset O)". */
int restack_tok_missing(const struct restack_tokenizer *t,
			struct restack_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Printable quoted rendering of s[0..len) for error messages (truncated). */
void restack_quote(char *buf, size_t size, const char *s, size_t len);

/* Token equals a NUL-terminated string. */
bool restack_tok_is(const struct restack_tok *tok, const char *s);

/* strndup that returns -ENOMEM via err on failure. */
int restack_strndup(const char *s, size_t len, char **out,
		    struct restack_err *err);

/* Growable string buffer for the formatters. */
struct restack_buf {
	char *s;
	size_t len;
	size_t cap;
	bool oom;
};

void restack_buf_add(struct restack_buf *b, const char *s, size_t len);
void restack_buf_str(struct restack_buf *b, const char *s);
void restack_buf_printf(struct restack_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hand over the string (or fail with -ENOMEM, freeing it). */
int restack_buf_finish(struct restack_buf *b, char **out,
		       struct restack_err *err);

#endif /* RESTACK_INTERNAL_H */
