// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_replay_cmd.c - `restack replay`: list a dm-log-writes log and
 * replay it, whole or in part, onto a device or image file.
 *
 * The whole log is read and checked, and the range is checked against
 * the replay device, before the first byte is written: a bad log or a
 * bad range changes nothing.  With --stop-at and --exec the replay
 * stops after each chosen entry, makes the device durable and runs a
 * check command there (like xfstests' replay-log --check/--fsck), so one
 * pass over the log tests every crash point.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/restack_cmd.h"
#include "cmd/restack_replay_cmd.h"

static int restack_replay_entry_arg(const char *opt, const char *s,
				    uint64_t *out, struct restack_err *err)
{
	if (restack_parse_u64(s, strlen(s), out))
		return restack_err_set(err, -EINVAL,
				       "replay: %s wants an entry number, not \"%.64s\"",
				       opt, s);
	return 0;
}

static int restack_replay_stop_arg(const char *s, uint64_t *out,
				   struct restack_err *err)
{
	static const struct {
		const char *name;
		uint64_t bit;
	} kinds[] = {
		{ "flush", RESTACK_REPLAY_STOP_FLUSH },
		{ "fua", RESTACK_REPLAY_STOP_FUA },
		{ "mark", RESTACK_REPLAY_STOP_MARK },
		{ "discard", RESTACK_REPLAY_STOP_DISCARD },
		{ "all", RESTACK_REPLAY_STOP_ALL },
	};
	const char *p = s;

	*out = 0;
	for (;;) {
		size_t len = strcspn(p, ","), k;

		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strlen(kinds[k].name) == len &&
			    !strncmp(kinds[k].name, p, len))
				break;
		if (k == sizeof(kinds) / sizeof(kinds[0]))
			return restack_err_set(err, -EINVAL,
					       "replay: --stop-at: unknown kind \"%.*s\" (flush, fua, mark, discard, all)",
					       (int)(len > 64 ? 64 : len), p);
		*out |= kinds[k].bit;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

int restack_replay_args_parse(unsigned int argc, const char *const *argv,
			      struct restack_replay_args *a,
			      struct restack_err *err)
{
	const char *pos[2] = { NULL, NULL };
	unsigned int npos = 0, i;
	bool only_pos = false;

	memset(a, 0, sizeof(*a));
	a->every = 1;
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i], *val = NULL, *eq;
		char opt[32];
		size_t olen;

		if (only_pos || arg[0] != '-' || !arg[1]) {
			if (npos == 2)
				return restack_err_set(err, -EINVAL,
						       "replay: unexpected argument \"%.64s\"",
						       arg);
			pos[npos++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			only_pos = true;
			continue;
		}
		if (!strcmp(arg, "--list") || !strcmp(arg, "-l")) {
			a->list = true;
			continue;
		}
		if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
			a->quiet = true;
			continue;
		}
		eq = strncmp(arg, "--", 2) ? NULL : strchr(arg, '=');
		olen = eq ? (size_t)(eq - arg) : strlen(arg);
		if (olen >= sizeof(opt))
			return restack_err_set(err, -EINVAL,
					       "replay: unknown option \"%.64s\"", arg);
		memcpy(opt, arg, olen);
		opt[olen] = '\0';
		if (strcmp(opt, "--from") && strcmp(opt, "--to") &&
		    strcmp(opt, "--from-mark") && strcmp(opt, "--to-mark") &&
		    strcmp(opt, "--discard") && strcmp(opt, "--stop-at") &&
		    strcmp(opt, "--every") && strcmp(opt, "--exec"))
			return restack_err_set(err, -EINVAL,
					       "replay: unknown option \"%.64s\"", arg);
		if (eq) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc)
				return restack_err_set(err, -EINVAL,
						       "replay: %s needs a value", opt);
			val = argv[++i];
		}
		if (!strcmp(opt, "--from")) {
			if (restack_replay_entry_arg(opt, val, &a->from, err))
				return -EINVAL;
			a->have_from = true;
		} else if (!strcmp(opt, "--to")) {
			if (restack_replay_entry_arg(opt, val, &a->to, err))
				return -EINVAL;
			a->have_to = true;
		} else if (!strcmp(opt, "--every")) {
			if (restack_replay_entry_arg(opt, val, &a->every, err))
				return -EINVAL;
			if (!a->every)
				return restack_err_set(err, -EINVAL,
						       "replay: --every must be at least 1");
		} else if (!strcmp(opt, "--from-mark") || !strcmp(opt, "--to-mark")) {
			if (!val[0])
				return restack_err_set(err, -EINVAL,
						       "replay: %s needs a mark name", opt);
			*(opt[2] == 'f' ? &a->from_mark : &a->to_mark) = val;
		} else if (!strcmp(opt, "--discard")) {
			if (!strcmp(val, "zero"))
				a->discard = RESTACK_LW_DISCARD_ZERO;
			else if (!strcmp(val, "pass"))
				a->discard = RESTACK_LW_DISCARD_PASS;
			else if (!strcmp(val, "skip"))
				a->discard = RESTACK_LW_DISCARD_SKIP;
			else
				return restack_err_set(err, -EINVAL,
						       "replay: --discard: \"%.64s\" is not zero, pass or skip",
						       val);
		} else if (!strcmp(opt, "--stop-at")) {
			if (restack_replay_stop_arg(val, &a->stop_at, err))
				return -EINVAL;
		} else {
			if (!val[0])
				return restack_err_set(err, -EINVAL,
						       "replay: --exec needs a command");
			a->exec = val;
		}
	}
	if (!pos[0])
		return restack_err_set(err, -EINVAL, "replay: missing <log>");
	a->log = pos[0];
	a->dev = pos[1];
	if (a->list && a->dev)
		return restack_err_set(err, -EINVAL,
				       "replay: --list takes no replay device");
	if (!a->list && !a->dev)
		return restack_err_set(err, -EINVAL,
				       "replay: missing <replay-dev> (or --list)");
	if (a->have_from && a->from_mark)
		return restack_err_set(err, -EINVAL,
				       "replay: --from and --from-mark exclude each other");
	if (a->have_to && a->to_mark)
		return restack_err_set(err, -EINVAL,
				       "replay: --to and --to-mark exclude each other");
	if (a->list && (a->exec || a->stop_at))
		return restack_err_set(err, -EINVAL,
				       "replay: --list does not replay: no --stop-at/--exec");
	if (!!a->exec != !!a->stop_at)
		return restack_err_set(err, -EINVAL,
				       "replay: --stop-at and --exec go together");
	if (a->every != 1 && !a->stop_at)
		return restack_err_set(err, -EINVAL,
				       "replay: --every needs --stop-at");
	return 0;
}

/* ---- files and devices ------------------------------------------------ */

struct restack_replay_file {
	const char *path;
	int fd;
	bool blockdev;
};

static int restack_replay_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct restack_replay_file *f = ctx;
	char *p = buf;

	while (len) {
		ssize_t n = pread(f->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int restack_replay_pwrite(void *ctx, const void *buf, size_t len,
				 uint64_t off)
{
	struct restack_replay_file *f = ctx;
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(f->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Block devices: BLKZEROOUT / BLKDISCARD; files: punch a hole. */
static int restack_replay_range(struct restack_replay_file *f, uint64_t off,
				uint64_t len, bool discard)
{
	uint64_t range[2] = { off, len };

	if (f->blockdev) {
		if (ioctl(f->fd, discard ? BLKDISCARD : BLKZEROOUT, range))
			return -errno;
		return 0;
	}
	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len))
		return -errno;
	return 0;
}

static int restack_replay_zero(void *ctx, uint64_t off, uint64_t len)
{
	return restack_replay_range(ctx, off, len, false);
}

static int restack_replay_discard(void *ctx, uint64_t off, uint64_t len)
{
	return restack_replay_range(ctx, off, len, true);
}

static int restack_replay_sync(void *ctx)
{
	struct restack_replay_file *f = ctx;

	return fsync(f->fd) ? -errno : 0;
}

static int restack_replay_open(struct restack_replay_file *f, const char *path,
			       bool write, uint64_t *size,
			       struct restack_err *err)
{
	struct stat st;

	f->path = path;
	f->blockdev = false;
	/* O_EXCL on a block device: refuse one that is mounted or in use. */
	f->fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (f->fd < 0)
		return restack_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(f->fd, &st))
		goto fail;
	if (S_ISBLK(st.st_mode)) {
		f->blockdev = true;
		if (write) {
			int fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);

			if (fd < 0)
				goto fail;
			close(f->fd);
			f->fd = fd;
		}
		if (ioctl(f->fd, BLKGETSIZE64, size))
			goto fail;
	} else if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else {
		close(f->fd);
		f->fd = -1;
		return restack_err_set(err, -EINVAL,
				       "%s: not a block device or regular file", path);
	}
	return 0;
fail:
	{
		int e = errno;

		close(f->fd);
		f->fd = -1;
		return restack_err_set(err, -e, "%s: %s", path, strerror(e));
	}
}

/* ---- the command --------------------------------------------------------- */

static void restack_replay_list(const struct restack_lw_log *log, uint64_t from,
				uint64_t to)
{
	uint64_t i;
	char fl[64];

	printf("# dm-log-writes log: version %" PRIu64 ", %" PRIu64
	       " entries, sector size %u (sector and count below are in these units)\n",
	       log->version, log->nr_entries, log->sectorsize);
	printf("%-8s %-14s %-20s %-12s %-8s %s\n", "entry", "offset", "flags",
	       "sector", "count", "mark");
	for (i = from; i <= to && i < log->nr_entries; i++) {
		const struct restack_lw_entry *e = &log->entries[i];

		printf("%-8" PRIu64 " %-14" PRIu64 " %-20s %-12" PRIu64
		       " %-8" PRIu64 " %s\n", i, e->offset,
		       restack_lw_flags_str(e->flags, fl, sizeof(fl)),
		       e->sector, e->nr_sectors, e->mark ? e->mark : "");
	}
}

/* Latest mark at or before entry i (NULL if none), and its index. */
static const char *restack_replay_last_mark(const struct restack_lw_log *log,
					    uint64_t i, uint64_t *at)
{
	for (;;) {
		if (log->entries[i].mark) {
			*at = i;
			return log->entries[i].mark;
		}
		if (!i)
			return NULL;
		i--;
	}
}

/* Run the --exec command at stop point entry i; 0 if it succeeded. */
static int restack_replay_exec(const struct restack_replay_args *a,
			       const struct restack_lw_log *log, uint64_t i,
			       uint64_t nstop, struct restack_err *err)
{
	char num[32], mnum[32], snum[32], fl[64];
	const char *mark;
	uint64_t at = 0;
	pid_t pid;
	int st;

	mark = restack_replay_last_mark(log, i, &at);
	snprintf(num, sizeof(num), "%" PRIu64, i);
	snprintf(mnum, sizeof(mnum), "%" PRIu64, at);
	snprintf(snum, sizeof(snum), "%" PRIu64, nstop);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return restack_err_set(err, -errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		setenv("RESTACK_REPLAY_ENTRY", num, 1);
		setenv("RESTACK_REPLAY_FLAGS",
		       restack_lw_flags_str(log->entries[i].flags, fl, sizeof(fl)), 1);
		setenv("RESTACK_REPLAY_STOP", snum, 1);
		setenv("RESTACK_REPLAY_DEV", a->dev, 1);
		if (mark) {
			setenv("RESTACK_REPLAY_MARK", mark, 1);
			setenv("RESTACK_REPLAY_MARK_ENTRY", mnum, 1);
		} else {
			unsetenv("RESTACK_REPLAY_MARK");
			unsetenv("RESTACK_REPLAY_MARK_ENTRY");
		}
		execl("/bin/sh", "sh", "-c", a->exec, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return restack_err_set(err, -errno, "waitpid: %s",
					       strerror(errno));
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		return restack_err_set(err, -ECANCELED,
				       "entry %" PRIu64 " at offset %" PRIu64
				       ": check command exited with status %d",
				       i, log->entries[i].offset, WEXITSTATUS(st));
	return restack_err_set(err, -ECANCELED,
			       "entry %" PRIu64 " at offset %" PRIu64
			       ": check command killed by signal %d",
			       i, log->entries[i].offset,
			       WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static bool restack_replay_is_stop(const struct restack_replay_args *a,
				   const struct restack_lw_entry *e)
{
	if (a->stop_at & RESTACK_REPLAY_STOP_ALL)
		return true;
	return (e->flags & a->stop_at) != 0;
}

/* Resolve --from/--from-mark/--to/--to-mark into [*from, *to]. */
static int restack_replay_range_of(const struct restack_replay_args *a,
				   const struct restack_lw_log *log,
				   uint64_t *from, uint64_t *to,
				   struct restack_err *err)
{
	uint64_t i;

	if (!log->nr_entries)
		return restack_err_set(err, -EINVAL, "%s: the log has no entries",
				       a->log);
	*from = a->from;
	if (a->from_mark) {
		if (restack_lw_find_mark(log, a->from_mark, 0, &i))
			return restack_err_set(err, -ENOENT,
					       "%s: no mark \"%.64s\" in the log",
					       a->log, a->from_mark);
		*from = i + 1;
	}
	*to = a->have_to ? a->to : log->nr_entries - 1;
	if (a->to_mark) {
		if (restack_lw_find_mark(log, a->to_mark, *from, &i))
			return restack_err_set(err, -ENOENT,
					       "%s: no mark \"%.64s\" at or after entry %" PRIu64,
					       a->log, a->to_mark, *from);
		*to = i;
	}
	if (*to >= log->nr_entries)
		return restack_err_set(err, -EINVAL,
				       "%s: entry %" PRIu64 ": the log has only entries 0 to %" PRIu64,
				       a->log, *to, log->nr_entries - 1);
	if (*from > *to)
		return restack_err_set(err, -EINVAL,
				       "%s: start entry %" PRIu64 " is after the last entry %" PRIu64,
				       a->log, *from, *to);
	return 0;
}

static int restack_replay_run(const struct restack_replay_args *a,
			      struct restack_err *err)
{
	struct restack_replay_file lf = { .fd = -1 }, df = { .fd = -1 };
	struct restack_lw_source src = { restack_replay_pread, &lf, 0 };
	struct restack_lw_sink sink = {
		restack_replay_pwrite, restack_replay_zero,
		restack_replay_discard, restack_replay_sync, &df, 0,
	};
	struct restack_lw_log log = { 0 };
	uint64_t from = 0, to = 0, i, start, nstop = 0, nrun = 0, bytes = 0;
	int r;

	r = restack_replay_open(&lf, a->log, false, &src.size, err);
	if (r)
		return r;
	r = restack_lw_load(&src, &log, err);
	if (r) {
		restack_err_prefix(err, r, "%s", a->log);
		goto out;
	}
	r = restack_replay_range_of(a, &log, &from, &to, err);
	if (r)
		goto out;
	if (a->list) {
		restack_replay_list(&log, from, to);
		goto out;
	}
	r = restack_replay_open(&df, a->dev, true, &sink.size, err);
	if (r)
		goto out;
	r = restack_lw_check_range(&log, from, to, sink.size, err);
	if (r) {
		restack_err_prefix(err, r, "%s", a->log);
		goto out;
	}
	/* Replay in runs that end at stop points. */
	for (start = from, i = from; i <= to; i++) {
		const struct restack_lw_entry *e = &log.entries[i];

		if (!(e->flags & (RESTACK_LW_MARK | RESTACK_LW_DISCARD)))
			bytes += e->nr_sectors * log.sectorsize;
		if (i < to && !(a->exec && restack_replay_is_stop(a, e)))
			continue;
		r = restack_lw_replay(&log, &src, start, i, &sink, a->discard, err);
		if (r)
			goto out;
		start = i + 1;
		if (!a->exec || !restack_replay_is_stop(a, e) || nstop++ % a->every)
			continue;
		r = restack_replay_sync(&df);
		if (r) {
			restack_err_set(err, r, "%s: sync: %s", a->dev, strerror(-r));
			goto out;
		}
		r = restack_replay_exec(a, &log, i, nrun++, err);
		if (r)
			goto out;
	}
	r = restack_replay_sync(&df);
	if (r) {
		restack_err_set(err, r, "%s: sync: %s", a->dev, strerror(-r));
		goto out;
	}
	if (!a->quiet) {
		fprintf(stderr,
			"restack replay: entries %" PRIu64 " to %" PRIu64 " of %" PRIu64
			" replayed (%" PRIu64 " bytes of data)", from, to,
			log.nr_entries, bytes);
		if (a->exec)
			fprintf(stderr, ", check passed at %" PRIu64 " stop points", nrun);
		fprintf(stderr, "; resume with --from %" PRIu64 "\n", to + 1);
	}
out:
	restack_lw_release(&log);
	if (lf.fd >= 0)
		close(lf.fd);
	if (df.fd >= 0)
		close(df.fd);
	return r;
}

int restack_replay_cmd_run(const struct restack_cmd *cmd)
{
	struct restack_replay_args a;
	struct restack_err err = { "" };

	if (restack_replay_args_parse(cmd->argc, cmd->argv, &a, &err)) {
		fprintf(stderr, "restack: %s (try 'restack replay --help')\n",
			err.msg);
		return RESTACK_EXIT_USAGE;
	}
	if (restack_replay_run(&a, &err)) {
		fprintf(stderr, "restack: replay: %s\n", err.msg);
		return RESTACK_EXIT_FAILURE;
	}
	return RESTACK_EXIT_OK;
}

const struct restack_command restack_replay_command = {
	.name = "replay",
	.usage =
		"<log> <replay-dev> [--from <n> | --from-mark <name>] [--to <n> | --to-mark <name>] [--discard zero|pass|skip] [--stop-at <kinds> [--every <n>] --exec <cmd>] [-q]\n"
		"       restack replay <log> --list [--from ...] [--to ...]",
	.help =
		"Replay a dm-log-writes log (<log>: its log device or an image of it)\n"
		"onto <replay-dev> (a block device, opened exclusively, or a file),\n"
		"which must hold what the logged device held when logging started\n"
		"(or, with --from, the result of replaying the entries before).\n"
		"Entries are numbered from 0 in log order; a range is inclusive.\n"
		"The whole log and the range are checked first: a truncated or\n"
		"corrupt log is an error naming the entry and byte offset, and\n"
		"nothing is written.\n"
		"\n"
		"  -l, --list            list the entries (offset, flags, sector,\n"
		"                        count in log sectors, mark) instead\n"
		"  --from <n>            first entry to replay (default 0): resume an\n"
		"                        incremental replay where the last one ended\n"
		"  --from-mark <name>    start just after the first mark <name>\n"
		"  --to <n>              last entry to replay (default: the last)\n"
		"  --to-mark <name>      end with the first mark <name> at or after\n"
		"                        the start\n"
		"  --discard <how>       zero (default: discarded ranges read as\n"
		"                        zeroes), pass (discard them on the device),\n"
		"                        skip (leave the old data)\n"
		"  --stop-at <kinds>     with --exec: stop after every entry of these\n"
		"                        kinds (comma-separated: flush, fua, mark,\n"
		"                        discard, all), sync the device and run <cmd>\n"
		"  --every <n>           run <cmd> at every n-th stop point only\n"
		"  --exec <cmd>          /bin/sh -c <cmd> with RESTACK_REPLAY_ENTRY,\n"
		"                        _FLAGS, _STOP (count), _DEV, _MARK and\n"
		"                        _MARK_ENTRY (the latest mark) set; a non-zero\n"
		"                        exit stops the replay (exit status 1)\n"
		"  -q, --quiet           no summary on stderr\n",
	.parse = NULL,	/* verbatim: restack_replay_cmd_run parses */
	.run = restack_replay_cmd_run,
};
