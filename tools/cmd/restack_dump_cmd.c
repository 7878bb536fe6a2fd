// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_dump_cmd.c - `restack dump`: a trace file as a listing, one
 * line per I/O, or as CSV.  Its options are parsed with trace's and
 * import's (restack_trace_args_parse(), restack_trace_cmd.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/restack_cmd.h"
#include "cmd/restack_trace_cmd.h"

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

int restack_dump_run(const struct restack_trace_args *a)
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

const struct restack_command restack_dump_command = {
	.name = "dump",
	.usage = "<file> [--csv]",
	.help =
		"List a trace file (plain or zstd; \"-\": stdin): one line per I/O,\n"
		"as blkparse does, or CSV with the header\n"
		"ts_ns,op,virt_sector,sectors,phys_dev,phys_sector,latency_ns,result,cgroup_id,pid,comm\n"
		"\n"
		"  --csv  CSV instead of the listing\n",
	.parse = NULL,	/* verbatim: restack_trace_cmd_run parses */
	.run = restack_trace_cmd_run,
};
