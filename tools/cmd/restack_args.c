// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_args.c - command-line grammar and help texts of the restack
 * CLI.  Pure parsing and validation: no kernel interaction.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/restack_args.h"

struct restack_cmd_info {
	const char *name;
	const char *usage;	/* arguments after the command name */
	const char *help;	/* description, may span lines */
};

static const struct restack_cmd_info restack_cmds[RESTACK_NR_CMDS] = {
	[RESTACK_CMD_CREATE] = {
		"create",
		"<name> <origin> [--size <sectors>] [--policy <name> [args...]]",
		"Create and activate volume <name> passing through to <origin>\n"
		"(an absolute or relative block device path, or <major>:<minor>).\n"
		"\n"
		"  --size <sectors>  volume length in 512-byte sectors; default:\n"
		"                    the size of <origin>\n"
		"  --policy <name>   come up attached to policy <name>; every\n"
		"                    argument after <name> is a policy argument\n",
	},
	[RESTACK_CMD_REMOVE] = {
		"remove", "<name>",
		"Remove restack volume <name> (refuses other device-mapper devices).\n",
	},
	[RESTACK_CMD_ATTACH] = {
		"attach", "<vol> <policy> [args...]",
		"Load module dm-restack-<policy> if needed and attach <policy> to\n"
		"<vol> live, replacing (after syncing) any attached policy.  Every\n"
		"argument after <policy> is passed to the policy verbatim.\n",
	},
	[RESTACK_CMD_DETACH] = {
		"detach", "<vol>",
		"Sync the attached policy and return <vol> to pass-through.\n",
	},
	[RESTACK_CMD_STATUS] = {
		"status", "[<vol>...] [--json] [--state-dir <dir>]",
		"Show mode, policy and counters of the given volumes, or of all\n"
		"restack volumes, and the daemon's view of each volume that has a\n"
		"state file (state, stack, SLA compliance, last events).\n"
		"\n"
		"  --json              one JSON object per volume and line\n"
		"  --state-dir <dir>   the daemon's state directory (default\n"
		"                      /run/restack)\n",
	},
	[RESTACK_CMD_TABLE] = {
		"table", "<vol>",
		"Print the table of <vol> (\"0 <len> restack <maj:min> [policy ...]\");\n"
		"loading it again recreates the current state.\n",
	},
	[RESTACK_CMD_MESSAGE] = {
		"message", "<vol> <words...>",
		"Send a message to <vol> (like \"dmsetup message <vol> 0 <words>\")\n"
		"and print the reply, if any.\n",
	},
	[RESTACK_CMD_TRACE] = {
		"trace",
		"<vol> -o <file> [-w <seconds>] [--sample <R>] [--buffer <size>] [-z]",
		"Record every bio of <vol> (a DM name or a block device path) with\n"
		"dm-restack-trace (loaded if needed) into <file> (\"-\": stdout), merged\n"
		"from the per-CPU buffers in submit-time order, until SIGINT/SIGTERM\n"
		"or -w; then print a summary on stderr.\n"
		"\n"
		"  -o, --output <file>   trace file to write (\"-\" streams to stdout)\n"
		"  -w, --wait <seconds>  stop after this long (decimal, e.g. 2.5)\n"
		"  --sample <R>          trace only blocks hashing below R, 0 < R <= 1\n"
		"                        (SHARDS spatial sampling; default 1)\n"
		"  --sample-block <n>    sampling block in sectors, power of two\n"
		"                        1..2048 (default 8)\n"
		"  --buffer <size>       trace ring per CPU: MiB (\"4\", \"0.5\") or\n"
		"                        with K/M suffix (\"64K\"); 8K..256M, default 4\n"
		"  --window <ms>         reorder window (default 1000): records whose\n"
		"                        latency exceeds it may come out of order\n"
		"  -z, --zstd            compress the file with zstd\n"
		"  -q, --quiet           no summary\n"
		"\n"
		"Format and guarantees: Documentation/tracing.rst.\n",
	},
	[RESTACK_CMD_DUMP] = {
		"dump", "<file> [--csv]",
		"List a trace file (plain or zstd; \"-\": stdin): one line per I/O,\n"
		"as blkparse does, or CSV with the header\n"
		"ts_ns,op,virt_sector,sectors,phys_dev,phys_sector,latency_ns,result,cgroup_id,pid,comm\n"
		"\n"
		"  --csv  CSV instead of the listing\n",
	},
	[RESTACK_CMD_IMPORT] = {
		"import",
		"--from msr|csv|cloudphysics|tencent|alibaba <in> -o <file> [-z]",
		"Convert a public block I/O trace (<in>, \"-\": stdin) into a restack\n"
		"trace file, sorted by time.  Any malformed line is an error naming\n"
		"the line and column; no partial file is left behind.\n"
		"\n"
		"  --from <format>      msr, csv, cloudphysics, tencent or alibaba\n"
		"  -o, --output <file>  trace file to write (\"-\": stdout)\n"
		"  -z, --zstd           compress with zstd\n"
		"  --window <n>         sort input that is out of order by fewer than\n"
		"                       n requests (default 1048576); beyond: error\n"
		"  -q, --quiet          no summary\n"
		"\n"
		"Formats and field mapping: Documentation/tracing.rst.\n",
	},
	[RESTACK_CMD_MRC] = {
		"mrc",
		"<trace> [--policy lru|sieve|s3fifo|arc|2q] [--exact | --sample <R> | --fixed-size <N>] [--block <bytes>] [--sizes <list>|auto] [--reads-only]",
		"Print the miss-ratio curve of <trace> (\"-\": stdin) as CSV with the\n"
		"header cache_bytes,miss_ratio.  LRU curves come from reuse distances;\n"
		"other policies are simulated with the cache policy's own replacement\n"
		"code (scaled-down mini-simulations with --sample or --fixed-size).\n"
		"\n"
		"  --policy <name>       lru (default), sieve, s3fifo, arc or 2q\n"
		"  --exact               every block (default)\n"
		"  --sample <R>          SHARDS / mini-simulation at rate R, 0 < R <= 1\n"
		"  --fixed-size <N>      SHARDS keeping at most N blocks (bounded\n"
		"                        memory); policies: at most N emulated slots\n"
		"  --block <bytes>       cache block size, power of two 512..2M\n"
		"                        (default 4K, or the trace's sampling block)\n"
		"  --sizes <list>|auto   cache sizes, e.g. 64M,256M,1G (default auto:\n"
		"                        from one block to the working set)\n"
		"  --reads-only          only read requests count\n"
		"  --mode wt|wb|wa, --promote-hits <n>, --seq-cutoff <bytes>\n"
		"                        cache-policy options for simulated policies\n"
		"\n"
		"Methods and their accuracy: Documentation/analyzer.rst.\n",
	},
	[RESTACK_CMD_REPORT] = {
		"report",
		"<trace> [--by workload] [--plot <dir>] [--json]",
		"Profile <trace>: totals and rates, read/write mix, request sizes,\n"
		"sequentiality, IOPS and bandwidth over time, latency percentiles per\n"
		"op, working set overall and per window, read-after-write and rewrite\n"
		"fractions, hot LBA regions, and an LRU miss-ratio curve.\n"
		"\n"
		"  --by workload     the same per cgroup/pid/volume\n"
		"  --plot <dir>      PNGs with gnuplot: latency CDF, IOPS over time,\n"
		"                    LBA heat map, miss-ratio curve\n"
		"  --json            one JSON object instead of text\n"
		"  --block <bytes>   block size for working sets and the curve (4K)\n"
		"  --window <s>      working-set window in seconds (default: a tenth\n"
		"                    of the trace, at least 1 s)\n",
	},
	[RESTACK_CMD_RECOMMEND] = {
		"recommend",
		"<trace> --sla <file> [--volume <name>] [--json] [--all]\n"
		"          [--warmup <seconds>]",
		"Predict, for each candidate stack, read and write latency\n"
		"percentiles and IOPS from <trace> and the device profiles in the SLA\n"
		"file, and print the cheapest stack that meets the volume's SLA as\n"
		"the arguments of `attach`, its predicted metrics, and why each\n"
		"cheaper stack was rejected.\n"
		"\n"
		"  --sla <file>      INI file, one [volume <name>] section per volume\n"
		"  --volume <name>   the section to use (default: the only one, or the\n"
		"                    one named like the trace's volume)\n"
		"  --json            one JSON object instead of text\n"
		"  --all             also every candidate's predictions (JSON: \"all\")\n"
		"  --warmup <s>      the trace's first <s> seconds only fill the\n"
		"                    simulated caches: predict the steady state after\n"
		"\n"
		"Without fast_profile or fast_read_us/fast_write_us in the SLA file,\n"
		"fast_device is calibrated by 1000 random 4 KiB O_DIRECT reads (it is\n"
		"opened read-only and never written).\n"
		"\n"
		"SLA keys and the model: Documentation/analyzer.rst.\n",
	},
	[RESTACK_CMD_DAEMON] = {
		"daemon",
		"--config <file> [--state-dir <dir>] [--events <file>] [--once] [--log-level info|debug]",
		"Run the closed loop for every volume of the SLA file <file>:\n"
		"measure it (dm-stats), and when it misses its SLA profile it, ask\n"
		"the analyzer for a stack, carve the fast device, attach the cache\n"
		"and watch it; detach on SLA misses or fast-device faults.  Runs in\n"
		"the foreground; SIGTERM/SIGINT stop it (volumes stay as they are).\n"
		"\n"
		"  --config <file>      SLA file with an optional [daemon] section\n"
		"  --state-dir <dir>    state files (default: state_dir, /run/restack)\n"
		"  --events <file>      JSON-lines event log (default: event_log)\n"
		"  --once               adopt, run one pass of due steps, exit\n"
		"  --log-level <l>      info (default) or debug (one line per window)\n"
		"\n"
		"States, keys, files and events: Documentation/daemon.rst.\n",
	},
	[RESTACK_CMD_REPLAY] = {
		"replay",
		"<log> <replay-dev> [--from <n> | --from-mark <name>] [--to <n> | --to-mark <name>] [--discard zero|pass|skip] [--stop-at <kinds> [--every <n>] --exec <cmd>] [-q]\n"
		"       restack replay <log> --list [--from ...] [--to ...]",
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
	},
};

const char *restack_cmd_name(enum restack_cmd_id id)
{
	if (id <= RESTACK_CMD_NONE || id >= RESTACK_NR_CMDS)
		return NULL;
	return restack_cmds[id].name;
}

static enum restack_cmd_id restack_cmd_lookup(const char *name)
{
	int i;

	for (i = RESTACK_CMD_NONE + 1; i < RESTACK_NR_CMDS; i++)
		if (!strcmp(restack_cmds[i].name, name))
			return (enum restack_cmd_id)i;
	return RESTACK_CMD_NONE;
}

void restack_args_help(FILE *out, enum restack_cmd_id id)
{
	int i;

	if (id > RESTACK_CMD_NONE && id < RESTACK_NR_CMDS) {
		fprintf(out, "Usage: restack %s %s\n\n%s",
			restack_cmds[id].name, restack_cmds[id].usage,
			restack_cmds[id].help);
		fputs("\nExit status: 0 success, 1 operational error, 2 usage error.\n",
		      out);
		return;
	}
	fputs("Usage: restack <command> [args...]\n"
	      "       restack <command> --help\n"
	      "       restack --version\n"
	      "\n"
	      "Manage dm-restack volumes.  Commands:\n", out);
	for (i = RESTACK_CMD_NONE + 1; i < RESTACK_NR_CMDS; i++)
		fprintf(out, "  %-8s %s\n", restack_cmds[i].name,
			restack_cmds[i].usage);
	fputs("\nSet RESTACK_DEBUG=1 to see libdevmapper/libkmod diagnostics.\n"
	      "Exit status: 0 success, 1 operational error, 2 usage error.\n",
	      out);
}

/* ---------------------------------------------------------------- */

static bool restack_is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

/* Looks like an option (and is not the lone "-"). */
static bool restack_is_option(const char *a)
{
	return a[0] == '-' && a[1] != '\0';
}

/*
 * After a usage error at av[from-1], a later --help (before "--") still
 * wins, so "restack create --size x --help" shows help.
 */
static bool restack_help_later(int n, char *const av[], int from)
{
	int i;

	for (i = from; i < n; i++) {
		if (!strcmp(av[i], "--"))
			return false;
		if (restack_is_help(av[i]))
			return true;
	}
	return false;
}

/* Usage error, unless help is requested further on. */
static int restack_usage(struct restack_cmd *cmd, int n, char *const av[],
			 int from, struct restack_err *err, int code)
{
	if (restack_help_later(n, av, from)) {
		restack_err_clear(err);
		cmd->help = true;
		return 0;
	}
	return code;
}

static int restack_unknown_option(struct restack_cmd *cmd, int n,
				  char *const av[], int i,
				  struct restack_err *err)
{
	restack_err_set(err, -EINVAL, "%s: unknown option \"%.64s\"",
			restack_cmd_name(cmd->id), av[i]);
	return restack_usage(cmd, n, av, i + 1, err, -EINVAL);
}

static int restack_extra_arg(struct restack_cmd *cmd, int n, char *const av[],
			     int i, struct restack_err *err)
{
	restack_err_set(err, -EINVAL, "%s: unexpected argument \"%.64s\"",
			restack_cmd_name(cmd->id), av[i]);
	return restack_usage(cmd, n, av, i + 1, err, -EINVAL);
}

static int restack_missing(struct restack_cmd *cmd, const char *what,
			   struct restack_err *err)
{
	return restack_err_set(err, -EINVAL, "%s: missing %s",
			       restack_cmd_name(cmd->id), what);
}

/* Validation failures of names/values are prefixed with the command. */
static int restack_invalid(struct restack_cmd *cmd, int r,
			   struct restack_err *err)
{
	return restack_err_prefix(err, r, "%s", restack_cmd_name(cmd->id));
}

static int restack_parse_size(struct restack_cmd *cmd, const char *val,
			      struct restack_err *err)
{
	uint64_t v;
	int r;

	if (cmd->have_size)
		return restack_err_set(err, -EINVAL,
				       "%s: --size given more than once",
				       restack_cmd_name(cmd->id));
	r = restack_parse_u64(val, strlen(val), &v);
	if (r == -ERANGE)
		return restack_err_set(err, -EINVAL,
				       "%s: --size \"%.64s\" is out of range",
				       restack_cmd_name(cmd->id), val);
	if (r)
		return restack_err_set(err, -EINVAL,
				       "%s: --size \"%.64s\" is not a number of sectors (unsigned decimal)",
				       restack_cmd_name(cmd->id), val);
	if (v == 0)
		return restack_err_set(err, -EINVAL,
				       "%s: --size must be greater than 0",
				       restack_cmd_name(cmd->id));
	if (v > UINT64_MAX / 512)
		return restack_err_set(err, -EINVAL,
				       "%s: --size \"%.64s\" is out of range",
				       restack_cmd_name(cmd->id), val);
	cmd->have_size = true;
	cmd->size = v;
	return 0;
}

/* Policy name plus its verbatim arguments. */
static int restack_check_policy(struct restack_cmd *cmd,
				struct restack_err *err)
{
	char what[48];
	unsigned int i;
	int r;

	r = restack_check_policy_name(cmd->policy, err);
	if (r)
		return restack_invalid(cmd, r, err);
	if (cmd->argc > RESTACK_POLICY_ARGS_MAX)
		return restack_err_set(err, -EINVAL,
				       "%s: too many policy arguments (%u, at most %d)",
				       restack_cmd_name(cmd->id), cmd->argc,
				       RESTACK_POLICY_ARGS_MAX);
	for (i = 0; i < cmd->argc; i++) {
		snprintf(what, sizeof(what), "policy argument %u", i + 1);
		r = restack_check_token(what, cmd->argv[i], err);
		if (r)
			return restack_invalid(cmd, r, err);
	}
	return 0;
}

static int restack_check_volume(struct restack_cmd *cmd, const char *name,
				struct restack_err *err)
{
	int r = restack_check_volume_name(name, err);

	return r ? restack_invalid(cmd, r, err) : 0;
}

static int restack_parse_create(struct restack_cmd *cmd, int n,
				char *const av[], struct restack_err *err)
{
	bool done = false;
	int i, r;

	for (i = 0; i < n; i++) {
		const char *a = av[i];

		if (!done) {
			if (restack_is_help(a)) {
				cmd->help = true;
				return 0;
			}
			if (!strcmp(a, "--")) {
				done = true;
				continue;
			}
			if (!strcmp(a, "--size") || !strncmp(a, "--size=", 7)) {
				const char *val = a[6] ? a + 7 : NULL;

				if (!val) {
					if (i + 1 >= n)
						return restack_err_set(err, -EINVAL,
								       "create: --size needs a value");
					val = av[++i];
				}
				r = restack_parse_size(cmd, val, err);
				if (r)
					return restack_usage(cmd, n, av, i + 1,
							     err, r);
				continue;
			}
			if (!strcmp(a, "--policy") ||
			    !strncmp(a, "--policy=", 9)) {
				const char *val = a[8] ? a + 9 : NULL;

				if (!val) {
					if (i + 1 >= n)
						return restack_err_set(err, -EINVAL,
								       "create: --policy needs a policy name");
					val = av[++i];
				}
				cmd->policy = val;
				cmd->argc = (unsigned int)(n - i - 1);
				cmd->argv = (const char *const *)av + i + 1;
				break;
			}
			if (restack_is_option(a))
				return restack_unknown_option(cmd, n, av, i, err);
		}
		if (!cmd->volume)
			cmd->volume = a;
		else if (!cmd->origin)
			cmd->origin = a;
		else
			return restack_extra_arg(cmd, n, av, i, err);
	}
	if (!cmd->volume)
		return restack_missing(cmd, "<name>", err);
	if (!cmd->origin)
		return restack_missing(cmd, "<origin>", err);
	r = restack_check_volume(cmd, cmd->volume, err);
	if (r)
		return r;
	r = restack_check_token("origin", cmd->origin, err);
	if (r)
		return restack_invalid(cmd, r, err);
	if (cmd->policy)
		return restack_check_policy(cmd, err);
	return 0;
}

/*
 * Commands taking npos leading positionals, then (if verbatim) all
 * remaining arguments verbatim in cmd->argc/argv.
 */
static int restack_parse_positional(struct restack_cmd *cmd, int n,
				    char *const av[], int npos, bool verbatim,
				    const char **pos[], struct restack_err *err)
{
	bool done = false;
	int i, got = 0;

	for (i = 0; i < n; i++) {
		const char *a = av[i];

		if (!done) {
			if (restack_is_help(a)) {
				cmd->help = true;
				return 0;
			}
			if (!strcmp(a, "--")) {
				done = true;
				continue;
			}
			if (restack_is_option(a))
				return restack_unknown_option(cmd, n, av, i, err);
		}
		if (got < npos) {
			*pos[got++] = a;
			if (got == npos && verbatim) {
				cmd->argc = (unsigned int)(n - i - 1);
				cmd->argv = (const char *const *)av + i + 1;
				break;
			}
			continue;
		}
		return restack_extra_arg(cmd, n, av, i, err);
	}
	return got;
}

static int restack_parse_status(struct restack_cmd *cmd, int n,
				char *const av[], struct restack_err *err)
{
	bool done = false;
	int i, r;

	if (n > 0) {
		cmd->vols = calloc((size_t)n, sizeof(*cmd->vols));
		if (!cmd->vols)
			return restack_err_set(err, -ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		const char *a = av[i];

		if (!done) {
			if (restack_is_help(a)) {
				cmd->help = true;
				return 0;
			}
			if (!strcmp(a, "--")) {
				done = true;
				continue;
			}
			if (!strcmp(a, "--json")) {
				cmd->json = true;
				continue;
			}
			if (!strcmp(a, "--state-dir")) {
				if (i + 1 >= n || !av[i + 1][0])
					return restack_err_set(err, -EINVAL,
							       "status: --state-dir needs a directory");
				cmd->state_dir = av[++i];
				continue;
			}
			if (restack_is_option(a))
				return restack_unknown_option(cmd, n, av, i, err);
		}
		cmd->vols[cmd->nvols++] = a;
	}
	for (i = 0; i < (int)cmd->nvols; i++) {
		r = restack_check_volume(cmd, cmd->vols[i], err);
		if (r)
			return r;
	}
	return 0;
}

int restack_args_parse(int argc, char *const argv[], struct restack_cmd *cmd,
		       struct restack_err *err)
{
	const char **pos[2];
	const char *a;
	int n, r, got;

	memset(cmd, 0, sizeof(*cmd));
	restack_err_clear(err);
	if (argc < 2 || !argv[1])
		return restack_err_set(err, -EINVAL, "missing command");
	a = argv[1];
	if (restack_is_help(a) || !strcmp(a, "--version") ||
	    !strcmp(a, "-V")) {
		if (argc > 2)
			return restack_err_set(err, -EINVAL,
					       "unexpected argument \"%.64s\"",
					       argv[2]);
		cmd->help = restack_is_help(a);
		cmd->version = !cmd->help;
		return 0;
	}
	if (!strcmp(a, "help")) {
		if (argc > 2) {
			cmd->id = restack_cmd_lookup(argv[2]);
			if (cmd->id == RESTACK_CMD_NONE)
				return restack_err_set(err, -EINVAL,
						       "help: unknown command \"%.64s\"",
						       argv[2]);
		}
		if (argc > 3)
			return restack_err_set(err, -EINVAL,
					       "help: unexpected argument \"%.64s\"",
					       argv[3]);
		cmd->help = true;
		return 0;
	}
	if (restack_is_option(a))
		return restack_err_set(err, -EINVAL, "unknown option \"%.64s\"", a);
	cmd->id = restack_cmd_lookup(a);
	if (cmd->id == RESTACK_CMD_NONE)
		return restack_err_set(err, -EINVAL, "unknown command \"%.64s\"", a);

	n = argc - 2;
	argv += 2;
	switch (cmd->id) {
	case RESTACK_CMD_CREATE:
		r = restack_parse_create(cmd, n, argv, err);
		break;
	case RESTACK_CMD_STATUS:
		r = restack_parse_status(cmd, n, argv, err);
		break;
	case RESTACK_CMD_ATTACH:
		pos[0] = &cmd->volume;
		pos[1] = &cmd->policy;
		got = restack_parse_positional(cmd, n, argv, 2, true, pos, err);
		if (got < 0 || cmd->help) {
			r = got < 0 ? got : 0;
			break;
		}
		if (got < 1) {
			r = restack_missing(cmd, "<vol>", err);
			break;
		}
		if (got < 2) {
			r = restack_missing(cmd, "<policy>", err);
			break;
		}
		r = restack_check_volume(cmd, cmd->volume, err);
		if (!r)
			r = restack_check_policy(cmd, err);
		break;
	case RESTACK_CMD_TRACE:
	case RESTACK_CMD_DUMP:
	case RESTACK_CMD_IMPORT:
	case RESTACK_CMD_MRC:
	case RESTACK_CMD_REPORT:
	case RESTACK_CMD_RECOMMEND:
	case RESTACK_CMD_DAEMON:
	case RESTACK_CMD_REPLAY:
		/* Verbatim; restack_trace_args_parse() checks them. */
		r = 0;
		for (got = 0; got < n && strcmp(argv[got], "--"); got++)
			if (restack_is_help(argv[got]))
				cmd->help = true;
		cmd->argc = (unsigned int)n;
		cmd->argv = (const char *const *)argv;
		break;
	case RESTACK_CMD_MESSAGE:
		pos[0] = &cmd->volume;
		got = restack_parse_positional(cmd, n, argv, 1, true, pos, err);
		if (got < 0 || cmd->help) {
			r = got < 0 ? got : 0;
			break;
		}
		if (got < 1) {
			r = restack_missing(cmd, "<vol>", err);
			break;
		}
		if (cmd->argc == 0) {
			r = restack_missing(cmd, "message words", err);
			break;
		}
		r = restack_check_volume(cmd, cmd->volume, err);
		if (!r) {
			char *msg = NULL;

			/* Same validation the sender applies. */
			r = restack_message_build(cmd->argc, cmd->argv, &msg,
						  err);
			free(msg);
			if (r)
				r = restack_invalid(cmd, r, err);
		}
		break;
	default:	/* remove, detach, table: exactly one <vol> */
		pos[0] = &cmd->volume;
		got = restack_parse_positional(cmd, n, argv, 1, false, pos, err);
		if (got < 0 || cmd->help) {
			r = got < 0 ? got : 0;
			break;
		}
		if (got < 1) {
			r = restack_missing(cmd, cmd->id == RESTACK_CMD_REMOVE ?
					    "<name>" : "<vol>", err);
			break;
		}
		r = restack_check_volume(cmd, cmd->volume, err);
		break;
	}
	if (cmd->help) {
		restack_err_clear(err);
		return 0;
	}
	return r;
}

void restack_args_release(struct restack_cmd *cmd)
{
	if (!cmd)
		return;
	free(cmd->vols);
	cmd->vols = NULL;
	cmd->nvols = 0;
}
