/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_replay_cmd.h - `restack replay`: list and replay dm-log-writes
 * logs (lib/restack_logwrites.h), for crash-consistency testing.
 */
#ifndef RESTACK_REPLAY_CMD_H
#define RESTACK_REPLAY_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd/restack_args.h"
#include "logwrites/restack_logwrites.h"

/* --stop-at kinds: stop after entries with any of these flags. */
#define RESTACK_REPLAY_STOP_FLUSH	RESTACK_LW_FLUSH
#define RESTACK_REPLAY_STOP_FUA		RESTACK_LW_FUA
#define RESTACK_REPLAY_STOP_MARK	RESTACK_LW_MARK
#define RESTACK_REPLAY_STOP_DISCARD	RESTACK_LW_DISCARD
#define RESTACK_REPLAY_STOP_ALL		(1ULL << 63)	/* every entry */

struct restack_replay_args {
	const char *log;
	const char *dev;		/* NULL with --list */
	bool list;
	bool quiet;
	bool have_from, have_to;
	uint64_t from, to;		/* entry indexes, inclusive */
	const char *from_mark;		/* start just after this mark */
	const char *to_mark;		/* end with this mark (inclusive) */
	enum restack_lw_discard_mode discard;
	uint64_t stop_at;		/* RESTACK_REPLAY_STOP_* */
	uint64_t every;			/* run --exec at every Nth stop */
	const char *exec;		/* command run at each stop point */
};

/*
 * Parse the arguments after "replay".  Grammar:
 *   replay <log> <replay-dev> [--from <n> | --from-mark <name>]
 *          [--to <n> | --to-mark <name>] [--discard zero|pass|skip]
 *          [--stop-at flush,fua,mark,discard,all [--every <n>]]
 *          [--exec <cmd>] [-q]
 *   replay <log> --list [--from ...] [--to ...]
 * Returns 0 or -EINVAL with a one-line message.
 */
int restack_replay_args_parse(unsigned int argc, const char *const *argv,
			      struct restack_replay_args *a,
			      struct restack_err *err);

/* Run the replay command; returns the CLI exit code. */
int restack_replay_cmd_run(const struct restack_cmd *cmd);

#endif /* RESTACK_REPLAY_CMD_H */
