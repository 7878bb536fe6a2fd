/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_trace_cmd.h - the trace, dump and import commands of the
 * restack CLI: their option grammar (pure, unit tested) and runners.
 */
#ifndef RESTACK_TRACE_CMD_H
#define RESTACK_TRACE_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/restack_args.h"
#include "trace/restack_import.h"

struct restack_trace_args {
	enum restack_cmd_id id;
	const char *volume;		/* trace */
	const char *input;		/* dump, import */
	const char *output;		/* trace, import: -o */
	bool zstd;			/* -z */
	bool csv;			/* dump --csv */
	bool quiet;			/* -q */
	enum restack_import_format format;	/* import --from */
	uint64_t duration_ns;		/* trace -w; 0 = until a signal */
	uint32_t sample_threshold;	/* trace --sample; MODULUS = all */
	uint32_t sample_block;		/* trace --sample-block (sectors) */
	uint64_t buffer_bytes;		/* trace --buffer */
	uint64_t window;		/* trace: ns; import: records */
};

/*
 * Parse the arguments after the command name.  Grammar:
 *   trace <vol> -o <file> [-w <s>] [--sample <R>] [--sample-block <n>]
 *         [--buffer <size>] [--window <ms>] [-z] [-q]
 *   dump <file> [--csv]
 *   import --from <fmt> <in> -o <file> [-z] [--window <n>] [-q]
 * Options take their value as the next argument or after '=' (long
 * forms); "--" ends options.  Returns 0 or -EINVAL with a one-line
 * message naming the command.
 */
int restack_trace_args_parse(enum restack_cmd_id id, unsigned int argc,
			     const char *const *argv,
			     struct restack_trace_args *a,
			     struct restack_err *err);

/*
 * Strict decimal "<int>[.<frac>]" times @unit, rounded down, e.g.
 * ("2.5", 1e9) -> 2500000000.  At most 9 fraction digits.  -EINVAL or
 * -ERANGE.
 */
int restack_parse_decimal(const char *s, uint64_t unit, uint64_t *out);

/* --buffer: MiB ("4", "0.5") or with a K or M suffix ("64K", "2M"). */
int restack_parse_buffer(const char *s, uint64_t *bytes,
			 struct restack_err *err);

/* Write one CSV field (quoted when needed, control bytes as '?'). */
void restack_csv_field(FILE *out, const char *s, size_t max);

/* Run trace/dump/import; returns the CLI exit code. */
int restack_trace_cmd_run(const struct restack_cmd *cmd);

/* `restack dump` with parsed arguments (restack_dump_cmd.c). */
int restack_dump_run(const struct restack_trace_args *a);

#endif /* RESTACK_TRACE_CMD_H */
