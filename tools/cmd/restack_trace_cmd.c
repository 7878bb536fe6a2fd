// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_trace_cmd.c - `restack trace`, `restack dump` and `restack
 * import`: their option grammar, and the trace and import commands over
 * the library's collector (lib/control/restack_collect.c) and importers
 * (lib/trace/restack_import.c); dump is restack_dump_cmd.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/restack_collect.h"
#include "cmd/restack_cmd.h"
#include "cmd/restack_trace_cmd.h"

/* ---------------------------------------------------------------- */
/* Numbers                                                           */
/* ---------------------------------------------------------------- */

int restack_parse_decimal(const char *s, uint64_t unit, uint64_t *out)
{
	const char *dot = strchr(s, '.');
	size_t ilen = dot ? (size_t)(dot - s) : strlen(s);
	uint64_t ip, frac = 0, scale = 1, v;
	size_t i, flen = 0;
	int r;

	r = restack_parse_u64(s, ilen, &ip);
	if (r)
		return r;
	if (dot) {
		flen = strlen(dot + 1);
		if (!flen || flen > 9)
			return -EINVAL;
		for (i = 0; i < flen; i++) {
			char c = dot[1 + i];

			if (c < '0' || c > '9')
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(c - '0');
			scale *= 10;
		}
	}
	if (unit && ip > UINT64_MAX / unit)
		return -ERANGE;
	v = ip * unit;
	/* frac / scale * unit, without overflow for unit <= 2^34 */
	if (unit > (1ULL << 34))
		return -ERANGE;
	v += frac * (unit / scale) + (frac * (unit % scale)) / scale;
	if (v < ip * unit)
		return -ERANGE;
	*out = v;
	return 0;
}

int restack_parse_buffer(const char *s, uint64_t *bytes,
			 struct restack_err *err)
{
	char num[40];
	size_t len = strlen(s);
	uint64_t unit = 1ULL << 20;
	int r;

	if (len && (s[len - 1] == 'K' || s[len - 1] == 'M')) {
		unit = s[len - 1] == 'K' ? 1ULL << 10 : 1ULL << 20;
		len--;
	}
	if (!len || len >= sizeof(num))
		goto bad;
	memcpy(num, s, len);
	num[len] = '\0';
	r = restack_parse_decimal(num, unit, bytes);
	if (r == -ERANGE)
		goto range;
	if (r)
		goto bad;
	if (*bytes < RESTACK_COLLECT_BUFFER_MIN ||
	    *bytes > RESTACK_COLLECT_BUFFER_MAX)
		goto range;
	return 0;
bad:
	return restack_err_set(err, -EINVAL,
			       "trace: --buffer \"%.40s\" is not a size (MiB, or with a K or M suffix)",
			       s);
range:
	return restack_err_set(err, -EINVAL,
			       "trace: --buffer \"%.40s\" is out of range (8K to 256M per CPU)",
			       s);
}

/* ---------------------------------------------------------------- */
/* Option grammar                                                    */
/* ---------------------------------------------------------------- */

struct opt_iter {
	unsigned int argc, i;
	const char *const *argv;
	bool done;			/* after "--" */
	const char *cmd;
};

/*
 * Does argv[i] match option short/long?  Sets *val from "--long=v" or
 * the next argument.  Returns 1 matched, 0 not, -EINVAL missing value.
 */
static int opt_val(struct opt_iter *it, const char *shrt, const char *lng,
		   const char **val, struct restack_err *err)
{
	const char *a = it->argv[it->i];
	size_t ll = strlen(lng);

	if ((shrt && !strcmp(a, shrt)) || !strcmp(a, lng)) {
		if (it->i + 1 >= it->argc)
			return restack_err_set(err, -EINVAL, "%s: %s needs a value",
					       it->cmd, a);
		*val = it->argv[++it->i];
		return 1;
	}
	if (!strncmp(a, lng, ll) && a[ll] == '=') {
		*val = a + ll + 1;
		return 1;
	}
	return 0;
}

static bool opt_flag(struct opt_iter *it, const char *shrt, const char *lng)
{
	const char *a = it->argv[it->i];

	return (shrt && !strcmp(a, shrt)) || !strcmp(a, lng);
}

static int once(struct opt_iter *it, const void *already, const char *name,
		struct restack_err *err)
{
	if (already)
		return restack_err_set(err, -EINVAL, "%s: %s given more than once",
				       it->cmd, name);
	return 0;
}

/* The option values as given, checked once the command line is read. */
struct trace_raw {
	const char *pos;		/* the one positional */
	const char *from, *wait, *sample, *sblock, *buffer, *window;
};

/* A value option given at most once into *@slot: 1 taken, 0 not @lng. */
static int take_once(struct opt_iter *it, const char *shrt, const char *lng,
		     const char *name, const char **slot,
		     struct restack_err *err)
{
	const char *v;
	int r = opt_val(it, shrt, lng, &v, err);

	if (r <= 0)
		return r;
	r = once(it, *slot, name, err);
	if (r)
		return r;
	*slot = v;
	return 1;
}

/* trace and import: -o, -z, -q, --window.  1 taken, 0 not, < 0 error. */
static int output_opt(struct opt_iter *it, struct restack_trace_args *a,
		      struct trace_raw *raw, struct restack_err *err)
{
	const char *v;
	int r;

	r = opt_val(it, "-o", "--output", &v, err);
	if (r < 0)
		return r;
	if (r) {
		if ((r = once(it, a->output, "-o", err)))
			return r;
		if (!*v)
			return restack_err_set(err, -EINVAL, "%s: empty -o", it->cmd);
		a->output = v;
		return 1;
	}
	if (opt_flag(it, "-z", "--zstd")) {
		a->zstd = true;
		return 1;
	}
	if (opt_flag(it, "-q", "--quiet")) {
		a->quiet = true;
		return 1;
	}
	return take_once(it, NULL, "--window", "--window", &raw->window, err);
}

/* trace's own: -w, --sample, --sample-block, --buffer. */
static int trace_opt(struct opt_iter *it, struct trace_raw *raw,
		     struct restack_err *err)
{
	int r;

	r = take_once(it, "-w", "--wait", "-w", &raw->wait, err);
	if (!r)
		r = take_once(it, NULL, "--sample", "--sample", &raw->sample, err);
	if (!r)
		r = take_once(it, NULL, "--sample-block", "--sample-block",
			      &raw->sblock, err);
	if (!r)
		r = take_once(it, NULL, "--buffer", "--buffer", &raw->buffer, err);
	return r;
}

/* One option of command @id: 1 taken, 0 unknown, < 0 error. */
static int one_opt(enum restack_cmd_id id, struct opt_iter *it,
		   struct restack_trace_args *a, struct trace_raw *raw,
		   struct restack_err *err)
{
	int r;

	if (id != RESTACK_CMD_DUMP) {
		r = output_opt(it, a, raw, err);
		if (r)
			return r;
	}
	if (id == RESTACK_CMD_DUMP && opt_flag(it, NULL, "--csv")) {
		a->csv = true;
		return 1;
	}
	if (id == RESTACK_CMD_IMPORT)
		return take_once(it, NULL, "--from", "--from", &raw->from, err);
	if (id == RESTACK_CMD_TRACE)
		return trace_opt(it, raw, err);
	return 0;
}

static int finish_trace(struct restack_trace_args *a,
			const struct trace_raw *raw, struct restack_err *err)
{
	uint64_t u;
	int r;

	if (!raw->pos)
		return restack_err_set(err, -EINVAL, "trace: missing <vol>");
	a->volume = raw->pos;
	if (!a->output)
		return restack_err_set(err, -EINVAL,
				       "trace: missing -o <file> (\"-o -\" for stdout)");
	if (raw->wait) {
		r = restack_parse_decimal(raw->wait, 1000000000ULL,
					  &a->duration_ns);
		if (r || !a->duration_ns)
			return restack_err_set(err, -EINVAL,
					       "trace: -w \"%.40s\" is not a positive number of seconds",
					       raw->wait);
	}
	if (raw->sample) {
		r = restack_collect_parse_rate(raw->sample,
					       &a->sample_threshold, err);
		if (r)
			return restack_err_prefix(err, r, "trace: --sample");
	}
	a->sample_block = 8;
	if (raw->sblock) {
		r = restack_parse_u64(raw->sblock, strlen(raw->sblock), &u);
		if (r || !u || u > 2048 || (u & (u - 1)))
			return restack_err_set(err, -EINVAL,
					       "trace: --sample-block \"%.40s\" is not a power of two from 1 to 2048",
					       raw->sblock);
		a->sample_block = (uint32_t)u;
	}
	a->buffer_bytes = RESTACK_COLLECT_BUFFER_DEFAULT;
	if (raw->buffer) {
		r = restack_parse_buffer(raw->buffer, &a->buffer_bytes, err);
		if (r)
			return r;
	}
	a->window = RESTACK_COLLECT_WINDOW_DEFAULT_MS * 1000000ULL;
	if (raw->window) {
		r = restack_parse_u64(raw->window, strlen(raw->window), &u);
		if (r || !u || u > 3600000)
			return restack_err_set(err, -EINVAL,
					       "trace: --window \"%.40s\" is not a number of milliseconds (1..3600000)",
					       raw->window);
		a->window = u * 1000000ULL;
	}
	return 0;
}

static int finish_import(struct restack_trace_args *a,
			 const struct trace_raw *raw, struct restack_err *err)
{
	uint64_t u;
	int r;

	if (!raw->from)
		return restack_err_set(err, -EINVAL,
				       "import: missing --from <format> (msr, csv, cloudphysics, tencent, alibaba)");
	r = restack_import_format_parse(raw->from, &a->format, err);
	if (r)
		return restack_err_prefix(err, r, "import");
	if (!raw->pos)
		return restack_err_set(err, -EINVAL, "import: missing <in>");
	a->input = raw->pos;
	if (!a->output)
		return restack_err_set(err, -EINVAL,
				       "import: missing -o <file> (\"-o -\" for stdout)");
	a->window = RESTACK_IMPORT_WINDOW_DEFAULT;
	if (raw->window) {
		r = restack_parse_u64(raw->window, strlen(raw->window), &u);
		if (r || !u || u > (1ULL << 28))
			return restack_err_set(err, -EINVAL,
					       "import: --window \"%.40s\" is not a number of requests (1..268435456)",
					       raw->window);
		a->window = u;
	}
	return 0;
}

int restack_trace_args_parse(enum restack_cmd_id id, unsigned int argc,
			     const char *const *argv,
			     struct restack_trace_args *a,
			     struct restack_err *err)
{
	struct opt_iter it = { .argc = argc, .argv = argv };
	struct trace_raw raw = { NULL };
	int r;

	memset(a, 0, sizeof(*a));
	a->id = id;
	a->sample_threshold = DM_RESTACK_SAMPLE_MODULUS;
	restack_err_clear(err);
	it.cmd = restack_cmd_name(id);
	if (id != RESTACK_CMD_TRACE && id != RESTACK_CMD_DUMP &&
	    id != RESTACK_CMD_IMPORT)
		return restack_err_set(err, -EINVAL, "internal error: command %d",
				       (int)id);

	for (it.i = 0; it.i < argc; it.i++) {
		const char *arg = argv[it.i];

		if (!it.done && !strcmp(arg, "--")) {
			it.done = true;
			continue;
		}
		if (it.done || arg[0] != '-' || !arg[1]) {
			if (raw.pos)
				return restack_err_set(err, -EINVAL,
						       "%s: unexpected argument \"%.64s\"",
						       it.cmd, arg);
			raw.pos = arg;
			continue;
		}
		r = one_opt(id, &it, a, &raw, err);
		if (r < 0)
			return r;
		if (!r)
			return restack_err_set(err, -EINVAL,
					       "%s: unknown option \"%.64s\"",
					       it.cmd, arg);
	}

	switch (id) {
	case RESTACK_CMD_TRACE:
		return finish_trace(a, &raw, err);
	case RESTACK_CMD_DUMP:
		if (!raw.pos)
			return restack_err_set(err, -EINVAL, "dump: missing <file>");
		a->input = raw.pos;
		return 0;
	default:
		return finish_import(a, &raw, err);
	}
}

/* ---------------------------------------------------------------- */
/* import                                                            */
/* ---------------------------------------------------------------- */

static int cmd_import(const struct restack_trace_args *a)
{
	struct restack_import_opts o = {
		.format = a->format, .output = a->output, .zstd = a->zstd,
		.window = (size_t)a->window,
	};
	struct restack_import_stats st;
	struct restack_importer *imp = NULL;
	struct restack_err err = { "" };
	FILE *in;
	uint64_t i, d;
	int r;

	if (!strcmp(a->input, "-")) {
		in = stdin;
	} else {
		in = fopen(a->input, "re");
		if (!in) {
			fprintf(stderr, "restack: %s: %s\n", a->input,
				strerror(errno));
			return RESTACK_EXIT_FAILURE;
		}
	}
	r = restack_import(in, a->input, &o, &st, &imp, &err);
	if (in != stdin)
		fclose(in);
	if (r) {
		fprintf(stderr, "restack: %s\n", err.msg);
		return RESTACK_EXIT_FAILURE;
	}
	if (!a->quiet) {
		d = st.end_ns - st.start_ns;
		fprintf(stderr,
			"restack import: %llu requests from %s (%s) -> %s%s: %llu.%03llu s of trace, %llu reordered, %llu unaligned, %llu workloads\n",
			(unsigned long long)st.records, a->input,
			restack_import_format_name(a->format), a->output,
			a->zstd ? " (zstd)" : "",
			(unsigned long long)(st.records ? d / 1000000000ULL : 0),
			(unsigned long long)(st.records ? d / 1000000 % 1000 : 0),
			(unsigned long long)st.reordered,
			(unsigned long long)st.unaligned,
			(unsigned long long)st.workloads);
		for (i = 1; i <= st.workloads && i <= 32; i++) {
			const char *n = restack_importer_workload_name(imp, i);

			if (n)
				fprintf(stderr, "restack import: cgroup_id %llu = %s\n",
					(unsigned long long)i, n);
		}
	}
	restack_importer_free(imp);
	return RESTACK_EXIT_OK;
}

/* ---------------------------------------------------------------- */
/* trace                                                             */
/* ---------------------------------------------------------------- */

static volatile sig_atomic_t trace_stop;

static void on_signal(int sig)
{
	(void)sig;
	trace_stop = 1;
}

static int cmd_trace(const struct restack_trace_args *a)
{
	struct restack_collect_opts o = {
		.volume = a->volume, .output = a->output, .zstd = a->zstd,
		.duration_ns = a->duration_ns,
		.sample_threshold = a->sample_threshold,
		.sample_block_sectors = a->sample_block,
		.buffer_bytes = a->buffer_bytes, .window_ns = a->window,
		.stop = &trace_stop,
	};
	struct restack_collect_stats st;
	struct restack_err err = { "" };
	struct sigaction sa;
	double secs, cpu;
	unsigned int i;
	bool finished;
	int r, rc = RESTACK_EXIT_OK;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll/sleep wake up */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);	/* a closed pipe is a write error */

	r = restack_collect(&o, &st, &err);
	/* Lost or phantom records: the file is complete, the summary useful. */
	finished = !r || st.lost || st.phantom || st.invalid;
	if (finished && !a->quiet) {
		secs = st.duration_ns / 1e9;
		cpu = (st.cpu_user_ns + st.cpu_sys_ns) / 1e9;
		fprintf(stderr,
			"restack trace: %s (%u:%u) -> %s%s\n"
			"  records:  %llu I/O + %llu process names written, %llu dropped (buffers full)\n"
			"  duration: %.3f s, %.1f I/O records/s\n"
			"  sampling: %s%.6f (threshold %u), %llu bios sampled out\n"
			"  order:    %s, %llu records out of the %llu ms window\n"
			"  buffers:  %u CPUs x %u x %u bytes\n"
			"  collector CPU: %.3f s user + %.3f s system (%.2f%% of one CPU)\n",
			st.volume_name, st.volume >> 20, st.volume & 0xfffff,
			a->output, a->zstd ? " (zstd)" : "",
			(unsigned long long)st.io_records,
			(unsigned long long)st.comm_records,
			(unsigned long long)st.kernel_drops,
			secs, secs > 0 ? st.io_records / secs : 0.0,
			a->sample_threshold >= DM_RESTACK_SAMPLE_MODULUS ?
			"none, rate " : "rate ",
			(double)a->sample_threshold / DM_RESTACK_SAMPLE_MODULUS,
			a->sample_threshold,
			(unsigned long long)st.sampled_out,
			st.sorted ? "sorted by submit time" : "NOT fully sorted",
			(unsigned long long)st.out_of_window,
			(unsigned long long)(a->window / 1000000ULL),
			st.nr_cpus, st.n_subbufs, st.subbuf_size,
			st.cpu_user_ns / 1e9, st.cpu_sys_ns / 1e9,
			secs > 0 ? 100.0 * cpu / secs : 0.0);
		if (st.lost || st.phantom || st.invalid)
			fprintf(stderr,
				"  accounting: %llu records lost after the kernel counted them as written, %llu drops counted for records that were read, %llu invalid records left out; the file's END record counts %llu drops\n",
				(unsigned long long)st.lost,
				(unsigned long long)st.phantom,
				(unsigned long long)st.invalid,
				(unsigned long long)st.drops);
		if (st.kernel_drops && st.cpus) {
			fputs("  drops per CPU:", stderr);
			for (i = 0; i < st.nr_cpus; i++)
				if (st.cpus[i].dropped)
					fprintf(stderr, " cpu%u=%llu", i,
						(unsigned long long)st.cpus[i].dropped);
			fputc('\n', stderr);
		}
	}
	if (r) {
		fprintf(stderr, "restack: %s\n", err.msg);
		rc = RESTACK_EXIT_FAILURE;
	}
	restack_collect_stats_release(&st);
	return rc;
}

int restack_trace_cmd_run(const struct restack_cmd *cmd)
{
	struct restack_trace_args a;
	struct restack_err err = { "" };

	if (restack_trace_args_parse(cmd->id, cmd->argc, cmd->argv, &a, &err)) {
		fprintf(stderr, "restack: %s (try 'restack %s --help')\n",
			err.msg, restack_cmd_name(cmd->id));
		return RESTACK_EXIT_USAGE;
	}
	switch (a.id) {
	case RESTACK_CMD_TRACE:
		return cmd_trace(&a);
	case RESTACK_CMD_DUMP:
		return restack_dump_run(&a);
	default:
		return cmd_import(&a);
	}
}

const struct restack_command restack_trace_command = {
	.name = "trace",
	.usage = "<vol> -o <file> [-w <seconds>] [--sample <R>] [--buffer <size>] [-z]",
	.help =
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
	.parse = NULL,	/* verbatim: restack_trace_cmd_run parses */
	.run = restack_trace_cmd_run,
};

const struct restack_command restack_import_command = {
	.name = "import",
	.usage = "--from msr|csv|cloudphysics|tencent|alibaba <in> -o <file> [-z]",
	.help =
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
	.parse = NULL,	/* verbatim: restack_trace_cmd_run parses */
	.run = restack_trace_cmd_run,
};
