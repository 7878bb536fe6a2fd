/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * restack_import.h - public block I/O traces into restack trace files.
 *
 * Formats (one request per line, comma-separated, no quoting; details
 * and the mapping of every field in Documentation/tracing.rst):
 *
 *   msr           MSR Cambridge: Timestamp,Hostname,DiskNumber,Type,Offset,
 *                 Size,ResponseTime (Windows filetime and 100 ns ticks,
 *                 Type Read|Write, bytes)
 *   csv           generic: header "timestamp_ns,op,offset_bytes,size_bytes"
 *                 or "...,workload"; op R|W; workload a decimal id
 *   cloudphysics  header "version,time,op,size,lbn" (libCacheSim's CSV of
 *                 the vSCSI traces): version 1, time in whole seconds,
 *                 op a SCSI opcode in hex (28/2a, ...),
 *                 size in bytes, lbn in 512-byte sectors
 *   tencent       Tencent CBS: Timestamp,Offset,Size,IOType,VolumeID
 *                 (seconds, sectors, sectors, 0 read / 1 write)
 *   alibaba       Alibaba block traces: device_id,opcode,offset,length,
 *                 timestamp (R|W, bytes, bytes, microseconds)
 *
 * The workload identity (MSR host and disk, csv workload, Tencent
 * volume, Alibaba device) goes into the record's cgroup_id.
 *
 * Parsing is strict: any malformed line is an error naming the line and
 * column; nothing is skipped.  Conventions as in restack.h.
 */
#ifndef RESTACK_IMPORT_H
#define RESTACK_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace/restack_trace.h"

enum restack_import_format {
	RESTACK_IMPORT_MSR = 0,
	RESTACK_IMPORT_CSV,
	RESTACK_IMPORT_CLOUDPHYSICS,
	RESTACK_IMPORT_TENCENT,
	RESTACK_IMPORT_ALIBABA,
	RESTACK_IMPORT_NR_FORMATS
};

/* Longest input line accepted, in bytes (without the newline). */
#define RESTACK_IMPORT_LINE_MAX		4096
/* Most distinct MSR (host, disk) pairs in one input. */
#define RESTACK_IMPORT_WORKLOADS_MAX	65536
/* Default reorder window, in records. */
#define RESTACK_IMPORT_WINDOW_DEFAULT	(1U << 20)

/* "msr", ...; NULL when out of range. */
const char *restack_import_format_name(enum restack_import_format f);

/* Look a format up by name; -EINVAL with the list of names otherwise. */
int restack_import_format_parse(const char *name,
				enum restack_import_format *f,
				struct restack_err *err);

/* ---- line-level importer: records in input order ---- */

struct restack_importer;

/* Read from @in (not owned; the caller closes it); @name is for messages. */
int restack_importer_new(FILE *in, const char *name,
			 enum restack_import_format f,
			 struct restack_importer **out,
			 struct restack_err *err);

/*
 * The next request as an I/O record (volume 0, phys_dev 0, result
 * passthrough, latency from the source or 0).  1 for a record, 0 at the
 * end of input, a negative errno with "<name>: line N, column C (<col>):
 * <problem>" otherwise.  Errors are sticky.
 */
int restack_importer_next(struct restack_importer *imp,
			  struct dm_restack_trace_record *rec,
			  struct restack_err *err);

/* Line number of the last line read (1-based; 0 before the first). */
uint64_t restack_importer_line(const struct restack_importer *imp);

/* Requests whose byte offset or size was not a multiple of 512. */
uint64_t restack_importer_unaligned(const struct restack_importer *imp);

/* Distinct workload ids seen. */
uint64_t restack_importer_workloads(const struct restack_importer *imp);

/*
 * For msr: the "<host>_<disk>" name of workload id @id (1-based, in
 * order of first appearance); NULL for other formats or unknown ids.
 */
const char *restack_importer_workload_name(const struct restack_importer *imp,
					   uint64_t id);

/* Do timestamps count from the Unix epoch (msr, tencent, alibaba)? */
bool restack_import_wallclock(enum restack_import_format f);

void restack_importer_free(struct restack_importer *imp);

/* ---- whole-file import ---- */

struct restack_import_opts {
	enum restack_import_format format;
	const char *output;		/* path or "-" */
	bool zstd;
	size_t window;			/* reorder window, records; 0: default */
};

struct restack_import_stats {
	uint64_t lines;
	uint64_t records;
	uint64_t reordered;		/* records that came out of order */
	uint64_t unaligned;
	uint64_t workloads;
	uint64_t start_ns;		/* first ts_ns (0 when empty) */
	uint64_t end_ns;		/* last completion (ts_ns + latency) */
};

/*
 * Convert all of @in into a sorted trace file.  Input that is out of
 * time order by less than the window (in records) is sorted; a record
 * that would have to go before one already written is an error (sort
 * the input first).  On any error the output file is removed (unless it
 * is standard output, which then lacks an END record so that readers
 * reject it).  @imp_out, when not NULL, receives the importer for
 * workload names (free it with restack_importer_free) on success.
 */
int restack_import(FILE *in, const char *in_name,
		   const struct restack_import_opts *o,
		   struct restack_import_stats *st,
		   struct restack_importer **imp_out,
		   struct restack_err *err);

#endif /* RESTACK_IMPORT_H */
