// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_trace_cmd.c - `restack trace`, `restack dump` and `restack
 * import`: option grammar and the commands over the library's trace
 * reader/writer (lib/restack_trace.c), importers (lib/restack_import.c)
 * and collector (lib/restack_collect.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/restack_collect.h"
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

int restack_trace_args_parse(enum restack_cmd_id id, unsigned int argc,
			     const char *const *argv,
			     struct restack_trace_args *a,
			     struct restack_err *err)
{
	struct opt_iter it = { .argc = argc, .argv = argv };
	const char *pos[2] = { NULL, NULL };
	const char *v, *from = NULL, *wait = NULL, *sample = NULL,
		   *sblock = NULL, *buffer = NULL, *window = NULL;
	unsigned int npos = 0, maxpos = 1;
	uint64_t u;
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
			if (npos == maxpos)
				return restack_err_set(err, -EINVAL,
						       "%s: unexpected argument \"%.64s\"",
						       it.cmd, arg);
			pos[npos++] = arg;
			continue;
		}
		if (id != RESTACK_CMD_DUMP) {
			r = opt_val(&it, "-o", "--output", &v, err);
			if (r < 0)
				return r;
			if (r) {
				if ((r = once(&it, a->output, "-o", err)))
					return r;
				if (!*v)
					return restack_err_set(err, -EINVAL,
							       "%s: empty -o", it.cmd);
				a->output = v;
				continue;
			}
			if (opt_flag(&it, "-z", "--zstd")) {
				a->zstd = true;
				continue;
			}
			if (opt_flag(&it, "-q", "--quiet")) {
				a->quiet = true;
				continue;
			}
			r = opt_val(&it, NULL, "--window", &v, err);
			if (r < 0)
				return r;
			if (r) {
				if ((r = once(&it, window, "--window", err)))
					return r;
				window = v;
				continue;
			}
		}
		if (id == RESTACK_CMD_DUMP && opt_flag(&it, NULL, "--csv")) {
			a->csv = true;
			continue;
		}
		if (id == RESTACK_CMD_IMPORT) {
			r = opt_val(&it, NULL, "--from", &v, err);
			if (r < 0)
				return r;
			if (r) {
				if ((r = once(&it, from, "--from", err)))
					return r;
				from = v;
				continue;
			}
		}
		if (id == RESTACK_CMD_TRACE) {
			const char **slot = NULL;
			const char *name = NULL;

			if ((r = opt_val(&it, "-w", "--wait", &v, err)) != 0) {
				slot = &wait;
				name = "-w";
			} else if ((r = opt_val(&it, NULL, "--sample", &v, err)) != 0) {
				slot = &sample;
				name = "--sample";
			} else if ((r = opt_val(&it, NULL, "--sample-block", &v,
						err)) != 0) {
				slot = &sblock;
				name = "--sample-block";
			} else if ((r = opt_val(&it, NULL, "--buffer", &v, err)) != 0) {
				slot = &buffer;
				name = "--buffer";
			}
			if (r < 0)
				return r;
			if (slot) {
				if ((r = once(&it, *slot, name, err)))
					return r;
				*slot = v;
				continue;
			}
		}
		return restack_err_set(err, -EINVAL, "%s: unknown option \"%.64s\"",
				       it.cmd, arg);
	}

	switch (id) {
	case RESTACK_CMD_TRACE:
		if (!pos[0])
			return restack_err_set(err, -EINVAL, "trace: missing <vol>");
		a->volume = pos[0];
		if (!a->output)
			return restack_err_set(err, -EINVAL,
					       "trace: missing -o <file> (\"-o -\" for stdout)");
		if (wait) {
			r = restack_parse_decimal(wait, 1000000000ULL,
						  &a->duration_ns);
			if (r || !a->duration_ns)
				return restack_err_set(err, -EINVAL,
						       "trace: -w \"%.40s\" is not a positive number of seconds",
						       wait);
		}
		if (sample) {
			r = restack_collect_parse_rate(sample,
						       &a->sample_threshold, err);
			if (r)
				return restack_err_prefix(err, r, "trace: --sample");
		}
		a->sample_block = 8;
		if (sblock) {
			r = restack_parse_u64(sblock, strlen(sblock), &u);
			if (r || !u || u > 2048 || (u & (u - 1)))
				return restack_err_set(err, -EINVAL,
						       "trace: --sample-block \"%.40s\" is not a power of two from 1 to 2048",
						       sblock);
			a->sample_block = (uint32_t)u;
		}
		a->buffer_bytes = RESTACK_COLLECT_BUFFER_DEFAULT;
		if (buffer) {
			r = restack_parse_buffer(buffer, &a->buffer_bytes, err);
			if (r)
				return r;
		}
		a->window = RESTACK_COLLECT_WINDOW_DEFAULT_MS * 1000000ULL;
		if (window) {
			r = restack_parse_u64(window, strlen(window), &u);
			if (r || !u || u > 3600000)
				return restack_err_set(err, -EINVAL,
						       "trace: --window \"%.40s\" is not a number of milliseconds (1..3600000)",
						       window);
			a->window = u * 1000000ULL;
		}
		return 0;
	case RESTACK_CMD_DUMP:
		if (!pos[0])
			return restack_err_set(err, -EINVAL, "dump: missing <file>");
		a->input = pos[0];
		return 0;
	default:
		if (!from)
			return restack_err_set(err, -EINVAL,
					       "import: missing --from <format> (msr, csv, cloudphysics, tencent, alibaba)");
		r = restack_import_format_parse(from, &a->format, err);
		if (r)
			return restack_err_prefix(err, r, "import");
		if (!pos[0])
			return restack_err_set(err, -EINVAL, "import: missing <in>");
		a->input = pos[0];
		if (!a->output)
			return restack_err_set(err, -EINVAL,
					       "import: missing -o <file> (\"-o -\" for stdout)");
		a->window = RESTACK_IMPORT_WINDOW_DEFAULT;
		if (window) {
			r = restack_parse_u64(window, strlen(window), &u);
			if (r || !u || u > (1ULL << 28))
				return restack_err_set(err, -EINVAL,
						       "import: --window \"%.40s\" is not a number of requests (1..268435456)",
						       window);
			a->window = u;
		}
		return 0;
	}
}

/* ---------------------------------------------------------------- */
/* dump                                                              */
/* ---------------------------------------------------------------- */

/* pid -> process name, from the REC_COMM records (open addressing). */
struct comm_map {
	struct comm_ent { uint32_t pid; bool used; char comm[16]; } *e;
	size_t cap, n;
};

static int comm_set(struct comm_map *m, uint32_t pid, const char *comm)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct comm_map nm = { .cap = m->cap ? m->cap * 2 : 256 };

		nm.e = calloc(nm.cap, sizeof(*nm.e));
		if (!nm.e)
			return -ENOMEM;
		for (i = 0; i < m->cap; i++)
			if (m->e[i].used)
				comm_set(&nm, m->e[i].pid, m->e[i].comm);
		free(m->e);
		*m = nm;
	}
	for (i = (pid * 2654435761U) & (m->cap - 1); m->e[i].used;
	     i = (i + 1) & (m->cap - 1))
		if (m->e[i].pid == pid)
			break;
	if (!m->e[i].used)
		m->n++;
	m->e[i].used = true;
	m->e[i].pid = pid;
	memcpy(m->e[i].comm, comm, 16);
	m->e[i].comm[15] = '\0';
	return 0;
}

static const char *comm_get(const struct comm_map *m, uint32_t pid)
{
	size_t i;

	if (!m->cap)
		return "";
	for (i = (pid * 2654435761U) & (m->cap - 1); m->e[i].used;
	     i = (i + 1) & (m->cap - 1))
		if (m->e[i].pid == pid)
			return m->e[i].comm;
	return "";
}

void restack_csv_field(FILE *out, const char *s, size_t max)
{
	size_t n = strnlen(s, max), i;
	bool quote = n && (s[0] == ' ' || s[n - 1] == ' ');

	for (i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"')
			quote = true;
	if (quote)
		fputc('"', out);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"')
			fputs("\"\"", out);
		else
			fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
	if (quote)
		fputc('"', out);
}

/* Process name for the listing: control bytes as '?'. */
static void print_comm(FILE *out, const char *s)
{
	size_t n = strnlen(s, 16), i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
}

/* Signed seconds with ns precision: ts - base. */
static void print_rel(FILE *out, uint64_t ts, uint64_t base)
{
	uint64_t d = ts >= base ? ts - base : base - ts;

	fprintf(out, "%s%llu.%09llu", ts >= base ? " " : "-",
		(unsigned long long)(d / 1000000000ULL),
		(unsigned long long)(d % 1000000000ULL));
}

static void dump_header(FILE *out, const char *file,
			const struct dm_restack_trace_header *h)
{
	char when[64] = "unknown";
	time_t t;
	struct tm tm;

	if (h->start_realtime_ns) {
		t = (time_t)(h->start_realtime_ns / 1000000000ULL);
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	}
	fprintf(out, "# restack trace %s: volume %s (%u:%u), source %s, %u CPUs%s%s\n",
		file, h->volume_name[0] ? h->volume_name : "-",
		h->volume >> 20, h->volume & 0xfffff,
		h->source[0] ? h->source : "-", h->nr_cpus,
		h->flags & DM_RESTACK_TH_SORTED ? ", sorted" : "",
		h->flags & DM_RESTACK_TH_IMPORTED ? ", imported" : "");
	fprintf(out, "# start %s (monotonic %llu.%09llu s)\n", when,
		(unsigned long long)(h->start_ns / 1000000000ULL),
		(unsigned long long)(h->start_ns % 1000000000ULL));
	if (h->sample_threshold >= DM_RESTACK_SAMPLE_MODULUS)
		fprintf(out, "# sampling: none (every bio)\n");
	else
		fprintf(out, "# sampling: rate %.6f (threshold %u of %u, %u-sector blocks)\n",
			(double)h->sample_threshold / DM_RESTACK_SAMPLE_MODULUS,
			h->sample_threshold, DM_RESTACK_SAMPLE_MODULUS,
			h->sample_block_sectors);
	fprintf(out, "#         time (s) op     sector + sectors -> phys dev  phys sector  latency (us) result  cgroup  pid [comm]  inflight\n");
}

static void dump_io(FILE *out, const struct dm_restack_trace_record *r,
		    const struct dm_restack_trace_header *h,
		    const struct comm_map *m)
{
	char rwbs[8];
	size_t n = 0;

	if (r->flags & DM_RESTACK_F_PREFLUSH)
		rwbs[n++] = 'F';
	rwbs[n++] = restack_trace_op_name(r->op)[0];
	if (r->flags & DM_RESTACK_F_FUA)
		rwbs[n++] = 'F';
	if (r->flags & DM_RESTACK_F_SYNC)
		rwbs[n++] = 'S';
	if (r->flags & DM_RESTACK_F_META)
		rwbs[n++] = 'M';
	rwbs[n] = '\0';

	print_rel(out, r->ts_ns, h->start_ns);
	fprintf(out, " %-4s %12llu + %-6u", rwbs,
		(unsigned long long)r->virt_sector, r->sectors);
	if (r->phys_dev)
		fprintf(out, " -> %u,%u %llu", r->phys_dev >> 20,
			r->phys_dev & 0xfffff,
			(unsigned long long)r->phys_sector);
	else
		fputs(" -> -", out);
	fprintf(out, " %llu.%03llu %s cg=%llu pid=%u [",
		(unsigned long long)(r->latency_ns / 1000),
		(unsigned long long)(r->latency_ns % 1000),
		restack_trace_result_name(r->result),
		(unsigned long long)r->cgroup_id, r->pid);
	print_comm(out, comm_get(m, r->pid));
	fprintf(out, "] q=%u", r->inflight);
	if (r->error)
		fprintf(out, " err=%d", r->error);
	fputc('\n', out);
}

static void dump_csv(FILE *out, const struct dm_restack_trace_record *r,
		     const struct comm_map *m)
{
	fprintf(out, "%llu,%s,%llu,%u,%u:%u,%llu,%llu,%s,%llu,%u,",
		(unsigned long long)r->ts_ns, restack_trace_op_name(r->op),
		(unsigned long long)r->virt_sector, r->sectors,
		r->phys_dev >> 20, r->phys_dev & 0xfffff,
		(unsigned long long)r->phys_sector,
		(unsigned long long)r->latency_ns,
		restack_trace_result_name(r->result),
		(unsigned long long)r->cgroup_id, r->pid);
	restack_csv_field(out, comm_get(m, r->pid), 16);
	fputc('\n', out);
}

static int cmd_dump(const struct restack_trace_args *a)
{
	struct restack_trace_reader *rd;
	const struct dm_restack_trace_header *h;
	struct dm_restack_trace_record rec;
	struct restack_err err = { "" };
	struct comm_map m = { 0 };
	int r;

	if (restack_trace_open(a->input, &rd, &err)) {
		fprintf(stderr, "restack: %s\n", err.msg);
		return RESTACK_EXIT_FAILURE;
	}
	h = restack_trace_header(rd);
	if (a->csv)
		fputs("ts_ns,op,virt_sector,sectors,phys_dev,phys_sector,latency_ns,result,cgroup_id,pid,comm\n",
		      stdout);
	else
		dump_header(stdout, a->input, h);
	while ((r = restack_trace_next(rd, &rec, &err)) == 1) {
		switch (rec.type) {
		case DM_RESTACK_REC_COMM:
			if (comm_set(&m, rec.pid, rec.comm)) {
				r = restack_err_set(&err, -ENOMEM, "out of memory");
				goto out;
			}
			break;
		case DM_RESTACK_REC_IO:
			if (a->csv)
				dump_csv(stdout, &rec, &m);
			else
				dump_io(stdout, &rec, h, &m);
			break;
		default:	/* END */
			if (!a->csv) {
				fprintf(stdout, "# end: %llu I/O records, %llu dropped, at",
					(unsigned long long)rec.virt_sector,
					(unsigned long long)rec.phys_sector);
				print_rel(stdout, rec.ts_ns, h->start_ns);
				fputs(" s\n", stdout);
			}
			break;
		}
	}
out:
	free(m.e);
	restack_trace_close(rd);
	if (r < 0) {
		fflush(stdout);
		fprintf(stderr, "restack: %s\n", err.msg);
		return RESTACK_EXIT_FAILURE;
	}
	return RESTACK_EXIT_OK;
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
		return cmd_dump(&a);
	default:
		return cmd_import(&a);
	}
}
