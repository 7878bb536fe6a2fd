/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack.h - userspace library core for the dm "restack" target.
 *
 * Everything here codes against the shared interface contract
 * (Documentation/restack.rst):
 *
 *   table:        <start> <len> restack <origin_dev> [policy <name> <#args> [<arg>...]]
 *   table status: <maj:min> [policy <name> <#args> <args...>]
 *   INFO status:  <mode> <policy> reads=N writes=N ... detaches=N [<key>=<value>...]
 *
 * Conventions for every function in this library:
 *   - Functions returning int return 0 on success and a negative errno
 *     value on failure.  On failure the optional struct restack_err is
 *     filled with ONE human-readable line (no trailing newline) naming
 *     the offending token/object; it is never left empty on failure.
 *   - The parsers are strict: they accept only the canonical form the
 *     kernel emits (single ASCII spaces between tokens, no leading or
 *     trailing whitespace, decimal numbers without sign or leading
 *     zeros).  Consequently restack_*_format(restack_*_parse(x)) == x
 *     for every accepted x (the fuzz targets check this).
 *   - Objects that own memory have a *_release() function that frees
 *     what they own (not the object itself) and is safe to call on a
 *     zero-initialised or already released object.
 */
#ifndef RESTACK_H
#define RESTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <uapi/linux/dm-restack.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- */
/* Constants shared with the kernel side (see the contract).         */
/* ---------------------------------------------------------------- */

#define RESTACK_TARGET_NAME		"restack"
#define RESTACK_TARGET_MODULE		"dm-restack"
#define RESTACK_POLICY_MODULE_PREFIX	"dm-restack-"
#define RESTACK_VERSION_STRING		"1.0.0"

/*
 * Policy names: 1..31 characters of [a-z0-9_-], not starting or ending
 * with '-' (the kernel's restack_policy_name_valid(); "dm-restack-<name>"
 * must fit a module name).
 */
#define RESTACK_POLICY_NAME_MAX		(DM_RESTACK_POLICY_NAME_MAX - 1)
/* Volume (dm device) names: DM_NAME_LEN (128) minus the NUL. */
#define RESTACK_VOLUME_NAME_MAX		127
/* Most policy arguments in a table line or attach message (kernel: 32). */
#define RESTACK_POLICY_ARGS_MAX		DM_RESTACK_POLICY_ARGS_MAX
/* Upper bound on any single table/message token. */
#define RESTACK_TOKEN_MAX		4096
/* Upper bound on policy-specific key=value pairs in a status line. */
#define RESTACK_STATUS_EXTRA_MAX	64
/* Linux dev_t limits (12-bit major, 20-bit minor). */
#define RESTACK_DEV_MAJOR_MAX		4095u
#define RESTACK_DEV_MINOR_MAX		1048575u

/* ---------------------------------------------------------------- */
/* Errors                                                            */
/* ---------------------------------------------------------------- */

#define RESTACK_ERR_MAX 512

/* One-line error description filled in by failing library calls. */
struct restack_err {
	char msg[RESTACK_ERR_MAX];
};

/* Empty the message.  NULL-safe. */
void restack_err_clear(struct restack_err *err);

/*
 * Format a message into err (NULL-safe) and return code, so callers can
 * write "return restack_err_set(err, -EINVAL, ...);".  Control
 * characters in the result are replaced so it stays on one line.
 */
int restack_err_set(struct restack_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepend "<formatted>: " to the current message.  Returns code. */
int restack_err_prefix(struct restack_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- */
/* Tokens, names and numbers                                         */
/* ---------------------------------------------------------------- */

/*
 * Strict decimal u64: [0-9]+, no sign, no leading zeros (except "0"),
 * no whitespace.  s need not be NUL-terminated.
 * Returns 0, -EINVAL (malformed) or -ERANGE (does not fit in u64).
 */
int restack_parse_u64(const char *s, size_t len, uint64_t *out);

/*
 * Strict "<major>:<minor>" device number within Linux dev_t limits.
 * Returns 0, -EINVAL (malformed) or -ERANGE (out of range).
 */
int restack_parse_devt(const char *s, size_t len,
		       unsigned int *major, unsigned int *minor);

/*
 * A token that is safe to place in a table line or message: non-empty,
 * at most RESTACK_TOKEN_MAX bytes, only printable non-space ASCII and no
 * backslash (the kernel's dm_split_args would treat it as an escape).
 * what names the token in the error, e.g. "policy argument 2".
 */
int restack_check_token(const char *what, const char *tok,
			struct restack_err *err);

/* Policy name: 1..31 of [a-z0-9_-], no leading or trailing '-'. */
int restack_check_policy_name(const char *name, struct restack_err *err);

/*
 * Volume name: 1..127 characters from libdevmapper's unmangled
 * whitelist [0-9A-Za-z#+-.:=@_], not "." or "..".
 */
int restack_check_volume_name(const char *name, struct restack_err *err);

/* ---------------------------------------------------------------- */
/* INFO status line                                                  */
/* ---------------------------------------------------------------- */

enum restack_mode {
	RESTACK_MODE_DETACHED = 0,
	RESTACK_MODE_ATTACHED,
	RESTACK_MODE_DETACHING,
	RESTACK_MODE_FAILED,
	RESTACK_NR_MODES
};

/* The contract's counters, in the order they appear in the status line. */
enum restack_counter {
	RESTACK_CTR_READS = 0,
	RESTACK_CTR_WRITES,
	RESTACK_CTR_DISCARDS,
	RESTACK_CTR_WRITE_ZEROES,
	RESTACK_CTR_FLUSHES,
	RESTACK_CTR_FUA,
	RESTACK_CTR_READ_BYTES,
	RESTACK_CTR_WRITE_BYTES,
	RESTACK_CTR_DISCARD_BYTES,
	RESTACK_CTR_INFLIGHT,
	RESTACK_CTR_ERRORS,
	RESTACK_CTR_ATTACHES,
	RESTACK_CTR_DETACHES,
	RESTACK_NR_COUNTERS
};

/* A policy-specific key=value token (both NUL-terminated, owned). */
struct restack_kv {
	char *key;
	char *value;
};

struct restack_status {
	enum restack_mode mode;
	/* Policy name, "" when the line says "-" (no policy). */
	char policy[RESTACK_POLICY_NAME_MAX + 1];
	uint64_t counters[RESTACK_NR_COUNTERS];
	/* Policy-specific pairs after the counters, in line order. */
	size_t nr_extra;
	struct restack_kv *extra;
};

/* "detached", ... ; NULL for out-of-range values. */
const char *restack_mode_name(enum restack_mode mode);
/* "reads", ... ; NULL for out-of-range values. */
const char *restack_counter_name(enum restack_counter ctr);

/*
 * Parse an INFO status line (the target's params, without the
 * "<start> <len> restack " prefix that dmsetup prints).
 *
 * Accepted: exactly "<mode> <policy>" followed by all 13 counters in
 * contract order, then up to RESTACK_STATUS_EXTRA_MAX policy pairs
 * (key [A-Za-z0-9_]+, value printable ASCII without space or '=').
 * The policy token is "-" or a valid policy name, in any mode: the
 * kernel samples mode and attachment separately, so a status taken
 * during an attach/detach may briefly pair e.g. "detached" with a name.
 * Rejected with -EINVAL (message names token number and byte offset):
 * unknown mode, missing tokens, malformed or overflowing numbers,
 * unknown/out-of-order counters, duplicate keys, bad characters and
 * empty tokens.  On failure *st is left zeroed (nothing to release).
 */
int restack_status_parse(const char *line, struct restack_status *st,
			 struct restack_err *err);

/* Free st->extra and zero the object. */
void restack_status_release(struct restack_status *st);

/* Look up a policy-specific value; NULL if absent. */
const char *restack_status_extra(const struct restack_status *st,
				 const char *key);

/* Canonical status line (malloc'ed into *line). */
int restack_status_format(const struct restack_status *st, char **line,
			  struct restack_err *err);

/* ---------------------------------------------------------------- */
/* Table status line                                                 */
/* ---------------------------------------------------------------- */

struct restack_table_status {
	unsigned int origin_major;
	unsigned int origin_minor;
	bool has_policy;
	char policy[RESTACK_POLICY_NAME_MAX + 1];
	unsigned int argc;
	char **argv;		/* argc owned strings (NULL when argc == 0) */
};

/*
 * Parse the table status params "<maj:min> [policy <name> <#args>
 * <args...>]".  #args must equal the number of remaining tokens and be
 * <= RESTACK_POLICY_ARGS_MAX.  Strictness as for the INFO parser.
 */
int restack_table_status_parse(const char *line,
			       struct restack_table_status *ts,
			       struct restack_err *err);
void restack_table_status_release(struct restack_table_status *ts);
int restack_table_status_format(const struct restack_table_status *ts,
				char **line, struct restack_err *err);

/* ---------------------------------------------------------------- */
/* Table builder                                                     */
/* ---------------------------------------------------------------- */

/* What a new volume should look like.  Nothing here is owned. */
struct restack_table_spec {
	const char *origin;		/* path or maj:min */
	uint64_t size;			/* length in 512-byte sectors, > 0 */
	const char *policy;		/* NULL: plain pass-through */
	unsigned int argc;		/* policy arguments */
	const char *const *argv;
};

/*
 * Validate a spec: origin is a valid token (and a valid maj:min if it
 * looks like one), 0 < size <= UINT64_MAX / 512, policy name valid,
 * argc <= RESTACK_POLICY_ARGS_MAX, every argument a valid token, and
 * no arguments without a policy.
 */
int restack_table_validate(const struct restack_table_spec *spec,
			   struct restack_err *err);

/* Target params "<origin> [policy <name> <#args> <args...>]" (malloc'ed). */
int restack_table_params(const struct restack_table_spec *spec,
			 char **params, struct restack_err *err);

/* Full table line "0 <size> restack <params>" (malloc'ed). */
int restack_table_line(const struct restack_table_spec *spec, char **line,
		       struct restack_err *err);

/*
 * Join message words with single spaces (malloc'ed), validating each
 * word as a token.  1..RESTACK_POLICY_ARGS_MAX + 2 words ("attach
 * <policy> <args...>").
 */
int restack_message_build(unsigned int argc, const char *const *argv,
			  char **msg, struct restack_err *err);

/* ---------------------------------------------------------------- */
/* Rendering                                                         */
/* ---------------------------------------------------------------- */

/* Human-readable block: "volume:", "mode:", "policy:", counters, extras. */
int restack_status_print_text(FILE *out, const char *volume,
			      const struct restack_status *st);

/*
 * One JSON object on one line:
 * {"volume":..,"mode":..,"policy":..|null,"counters":{..},"policy_stats":{..}}
 * Policy-specific values that are strict u64 decimals are emitted as
 * numbers, others as strings.
 */
int restack_status_print_json(FILE *out, const char *volume,
			      const struct restack_status *st);

/* Write s as a JSON string literal (with quotes). */
int restack_json_string(FILE *out, const char *s);

/* ---------------------------------------------------------------- */
/* Block devices                                                     */
/* ---------------------------------------------------------------- */

/*
 * Size of the origin in 512-byte sectors: BLKGETSIZE64 on a path, or
 * /sys/dev/block/<maj:min>/size for a maj:min origin.  Fails with a
 * clear message for non-block devices and zero-sized devices.
 */
int restack_blockdev_sectors(const char *origin, uint64_t *sectors,
			     struct restack_err *err);

/* ---------------------------------------------------------------- */
/* Device-mapper control (libdevmapper)                              */
/* ---------------------------------------------------------------- */

/*
 * Volume lookups fail with:
 *   -ENXIO        no such dm device
 *   -EMEDIUMTYPE  device exists but is not exactly one "restack" target
 * and other negative errnos for communication errors.  libdevmapper's
 * own log output is captured and folded into err (set RESTACK_DEBUG=1 in
 * the environment to see all of it on stderr).
 */

/* Check that the dm control device is usable (driver version query). */
int restack_dm_check(struct restack_err *err);

/*
 * Create and activate a volume from spec (DM_DEVICE_CREATE with the
 * table; libdevmapper loads and resumes it and removes the device again
 * if that fails), then create /dev/mapper nodes without udev.
 */
int restack_dm_create(const char *name, const struct restack_table_spec *spec,
		      struct restack_err *err);

/* Remove a restack volume (refuses other target types) and its node. */
int restack_dm_remove(const char *name, struct restack_err *err);

/*
 * Send a message to sector 0 of a restack volume.  If response is not
 * NULL it receives the target's reply (malloc'ed, possibly "").
 */
int restack_dm_message(const char *name, const char *msg, char **response,
		       struct restack_err *err);

/* Raw INFO status params of a restack volume (malloc'ed). */
int restack_dm_status(const char *name, char **params,
		      struct restack_err *err);

/* Raw table params and length in sectors of a restack volume. */
int restack_dm_table(const char *name, uint64_t *length, char **params,
		     struct restack_err *err);

/*
 * Sorted names of all restack volumes (malloc'ed; free with
 * restack_names_free).  Devices with other target types, several
 * targets, no table, or names outside restack_check_volume_name() are
 * left out.
 */
int restack_dm_list(char ***names, size_t *count, struct restack_err *err);
void restack_names_free(char **names, size_t count);

/* Release libdevmapper resources (control fd, pending node operations). */
void restack_dm_exit(void);

/* ---------------------------------------------------------------- */
/* Kernel modules (libkmod)                                          */
/* ---------------------------------------------------------------- */

/*
 * Make sure module modname is loaded.  Returns 0 if it is loaded (or
 * built in) afterwards, 1 if libkmod cannot find it (no context, not in
 * modules.dep): the caller then relies on the kernel's request_module.
 * Returns a negative errno, with a clear message, if the module was
 * found but could not be inserted.
 */
int restack_kmod_load(const char *modname, struct restack_err *err);

/* restack_kmod_load("dm-restack-<policy>") after validating the name. */
int restack_policy_module_load(const char *policy, struct restack_err *err);

#ifdef __cplusplus
}
#endif

#endif /* RESTACK_H */
