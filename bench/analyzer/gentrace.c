// SPDX-License-Identifier: GPL-2.0-only
/*
 * gentrace - write a synthetic restack trace (tools/lib/restack_analyze_gen)
 * for the analyzer benchmarks.
 *
 *   gentrace -o <file> -n <records> [-k zipf|uniform|scanmix|seq]
 *            [-u <universe blocks>] [-a <alpha>] [-r <read fraction>]
 *            [-b <blocks per request>] [-s <scan fraction>]
 *            [-S <scan blocks>] [-w <workloads>] [-i <iops>] [-x <seed>]
 *            [-R <sample rate>]   (keep only bios touching sampled blocks,
 *                                  as the kernel tracer does)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/restack_analyze_gen.h"
#include "trace/restack_trace.h"

static void usage(void)
{
	fprintf(stderr, "usage: gentrace -o <file> -n <records> [-k zipf|uniform|scanmix|seq] "
		"[-u <blocks>] [-a <alpha>] [-r <reads>] [-b <blocks/req>] [-s <scan frac>] "
		"[-S <scan blocks>] [-w <workloads>] [-i <iops>] [-x <seed>] [-R <rate>] [-z]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct restack_gen_params p = { .kind = RESTACK_GEN_ZIPF, .read_fraction = 0.7 };
	struct dm_restack_trace_header h;
	struct dm_restack_trace_record rec;
	struct restack_trace_writer *w;
	struct restack_err err = { "" };
	struct restack_gen g;
	const char *out = NULL;
	unsigned long long n = 0, i, written = 0;
	double rate = 1;
	bool zstd = false;
	uint32_t t;
	int c;

	while ((c = getopt(argc, argv, "o:n:k:u:a:r:b:s:S:w:i:x:R:z")) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 0); break;
		case 'k':
			if (!strcmp(optarg, "zipf")) p.kind = RESTACK_GEN_ZIPF;
			else if (!strcmp(optarg, "uniform")) p.kind = RESTACK_GEN_UNIFORM;
			else if (!strcmp(optarg, "scanmix")) p.kind = RESTACK_GEN_SCANMIX;
			else if (!strcmp(optarg, "seq")) p.kind = RESTACK_GEN_SEQ;
			else usage();
			break;
		case 'u': p.universe = strtoull(optarg, NULL, 0); break;
		case 'a': p.alpha = atof(optarg); break;
		case 'r': p.read_fraction = atof(optarg); break;
		case 'b': p.req_blocks = (uint32_t)atoi(optarg); break;
		case 's': p.scan_fraction = atof(optarg); break;
		case 'S': p.scan_blocks = (uint32_t)atoi(optarg); break;
		case 'w': p.workloads = (uint32_t)atoi(optarg); break;
		case 'i': p.iops = atof(optarg); break;
		case 'x': p.seed = strtoull(optarg, NULL, 0); break;
		case 'R': rate = atof(optarg); break;
		case 'z': zstd = true; break;
		default: usage();
		}
	}
	if (!out || !n || !(rate > 0 && rate <= 1))
		usage();
	if (restack_gen_init(&g, &p, &err)) {
		fprintf(stderr, "gentrace: %s\n", err.msg);
		return 1;
	}
	t = (uint32_t)(rate * DM_RESTACK_SAMPLE_MODULUS + 0.5);
	memset(&h, 0, sizeof(h));
	h.volume = (253u << 20) | 0;
	h.flags = DM_RESTACK_TH_SORTED;
	h.sample_threshold = t ? t : 1;
	h.sample_block_sectors = g.p.block_bytes / 512;
	snprintf(h.volume_name, sizeof(h.volume_name), "synthetic");
	snprintf(h.source, sizeof(h.source), "gentrace");
	if (restack_trace_create(out, zstd, &h, &w, &err)) {
		fprintf(stderr, "gentrace: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		restack_gen_next(&g, &rec);
		if (h.sample_threshold < DM_RESTACK_SAMPLE_MODULUS) {
			uint64_t b, first = rec.virt_sector / h.sample_block_sectors,
				 last = (rec.virt_sector + rec.sectors - 1) / h.sample_block_sectors;
			bool keep = false;

			for (b = first; b <= last && !keep; b++)
				keep = restack_block_hash24(b) < h.sample_threshold;
			if (!keep)
				continue;
		}
		if (restack_trace_write(w, &rec, &err)) {
			fprintf(stderr, "gentrace: %s\n", err.msg);
			restack_trace_abort(w);
			return 1;
		}
		written++;
	}
	if (restack_trace_finish(w, g.ts, written, 0, &err)) {
		fprintf(stderr, "gentrace: %s\n", err.msg);
		return 1;
	}
	return 0;
}
