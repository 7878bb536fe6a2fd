// SPDX-License-Identifier: GPL-2.0-only
/* readspeed - records per second of the trace reader alone (baseline). */
#include <stdio.h>
#include <time.h>

#include "trace/restack_trace.h"

int main(int argc, char **argv)
{
	struct restack_trace_reader *r;
	struct dm_restack_trace_record rec;
	struct restack_err err = { "" };
	struct timespec a, b;
	unsigned long long n = 0, sectors = 0;
	double s;
	int rc;

	if (argc != 2 || restack_trace_open(argv[1], &r, &err)) {
		fprintf(stderr, "readspeed: %s\n", err.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	while ((rc = restack_trace_next(r, &rec, &err)) == 1) {
		n++;
		sectors += rec.sectors;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	restack_trace_close(r);
	if (rc < 0) {
		fprintf(stderr, "readspeed: %s\n", err.msg);
		return 1;
	}
	s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%llu records in %.3f s: %.2f M records/s (%llu sectors)\n", n, s,
	       n / s / 1e6, sectors);
	return 0;
}
