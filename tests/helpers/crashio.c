// SPDX-License-Identifier: GPL-2.0
/*
 * crashio - writer and checker for crash-consistency tests of a block
 * device (tests/vm/53-cache-crash.sh).
 *
 *   crashio fill  <dev>                       every 4 KiB block := generation 0
 *   crashio write <dev> <journal> [options]   the workload, journalled
 *   crashio check <dev> <journal> [<mark>]    the device against the journal
 *
 * Every 4 KiB block written holds a self-describing image: a header
 * (magic, block number, generation, seed, checksum) and a payload that
 * is a pure function of (seed, block, generation), so a block read back
 * either is exactly some generation of itself or is garbage.
 *
 * write issues O_DIRECT writes of 1-8 blocks at random (hot/cold skew),
 * some with O_DSYNC (REQ_FUA), and fsync()s every few writes.  After
 * each fsync and each O_DSYNC write has returned, i.e. once the device
 * has acknowledged that data as durable, it runs the --mark command with
 * a unique name ("ack-<n>") - for dm-log-writes,
 * "dmsetup message <log> 0 mark" - and journals what it did, in order:
 *
 *   W <block> <count>   a plain write was issued and completed
 *   U <block> <count>   an O_DSYNC (FUA) write completed: durable
 *   S                   an fsync completed: everything before is durable
 *   M <name>            the mark was sent
 *
 * check replays the journal up to mark <name> (default: the environment's
 * RESTACK_REPLAY_MARK, as `restack replay --exec` sets it; a name not in
 * the journal, such as dm-log-writes-end, means "after everything") and
 * requires of every block:
 *   - it is an intact image of itself (never data not written to it);
 *   - its generation is at least the last one acknowledged durable
 *     before the mark (no acknowledged write lost);
 *   - its generation is at most the last one issued before the *next*
 *     mark (a write issued after a mark was sent cannot be logged before
 *     it, so a newer one would be data from nowhere).
 * Exit status: 0 all blocks pass, 1 a block fails (each failure is
 * printed), 2 usage or I/O error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLK		4096u
#define MAGIC		0x48535243544b5352ULL	/* "RSTKCRSH" */
#define HDR_WORDS	5	/* magic, block, gen, seed, checksum */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("crashio: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The image of generation gen of block b. */
static void make_block(uint64_t *w, uint64_t seed, uint64_t b, uint64_t gen)
{
	uint64_t sum = 0, base = splitmix(seed ^ splitmix(b ^ (gen << 40)));
	unsigned int i;

	for (i = HDR_WORDS; i < BLK / 8; i++) {
		w[i] = splitmix(base + i);
		sum ^= w[i] * (i | 1);
	}
	w[0] = MAGIC;
	w[1] = b;
	w[2] = gen;
	w[3] = seed;
	w[4] = sum;
}

static int open_dev(const char *path, int flags, uint64_t *nblocks)
{
	struct stat st;
	uint64_t bytes;
	int fd = open(path, flags | O_DIRECT | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (fstat(fd, &st))
		die("%s: %s", path, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes))
			die("%s: BLKGETSIZE64: %s", path, strerror(errno));
	} else {
		bytes = (uint64_t)st.st_size;
	}
	*nblocks = bytes / BLK;
	if (!*nblocks)
		die("%s: smaller than one block", path);
	return fd;
}

static void *xalign(size_t len)
{
	void *p;

	if (posix_memalign(&p, BLK, len))
		die("out of memory");
	return p;
}

static void pwrite_all(int fd, const void *buf, size_t len, uint64_t off,
		       const char *what)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	if (n != (ssize_t)len)
		die("%s: write of %zu bytes at %" PRIu64 ": %s", what, len, off,
		    n < 0 ? strerror(errno) : "short write");
}

static int cmd_fill(const char *dev, uint64_t seed)
{
	uint64_t n, b;
	int fd = open_dev(dev, O_WRONLY, &n);
	uint64_t *buf = xalign(BLK);

	for (b = 0; b < n; b++) {
		make_block(buf, seed, b, 0);
		pwrite_all(fd, buf, BLK, b * BLK, dev);
	}
	if (fsync(fd))
		die("%s: fsync: %s", dev, strerror(errno));
	close(fd);
	free(buf);
	printf("filled %" PRIu64 " blocks with generation 0\n", n);
	return 0;
}

static void run_mark(const char *cmd, const char *name)
{
	char *line;
	int r;

	if (asprintf(&line, "%s %s", cmd, name) < 0)
		die("out of memory");
	r = system(line);
	if (r != 0)
		die("mark command \"%s\" failed (status %d)", line, r);
	free(line);
}

static int cmd_write(const char *dev, const char *journal, uint64_t seed,
		     uint64_t ops, unsigned int sync_every, unsigned int fua_pct,
		     const char *mark)
{
	uint64_t n, i, b, k, rng = seed, nmark = 0, nfsync = 0, nfua = 0;
	int fd, fdsync;
	uint32_t *gen;
	uint64_t *buf = xalign(8 * BLK);
	unsigned int since_sync = 0, next_sync;
	FILE *j;
	char name[32];

	fd = open_dev(dev, O_WRONLY, &n);
	fdsync = open_dev(dev, O_WRONLY | O_DSYNC, &n);
	gen = calloc(n, sizeof(*gen));
	j = fopen(journal, "w");
	if (!gen || !j)
		die("%s: %s", journal, strerror(errno));
	setvbuf(j, NULL, _IOLBF, 0);
#define RND() (rng = splitmix(rng))
	next_sync = 1 + RND() % sync_every;
	for (i = 0; i < ops; i++) {
		uint64_t cnt = RND() % 5 ? 1 : 2 + RND() % 7;
		bool fua = RND() % 100 < fua_pct;

		/* 70% of writes go to the first eighth of the device. */
		if (RND() % 10 < 7)
			b = RND() % (n / 8 ? n / 8 : 1);
		else
			b = RND() % n;
		if (b + cnt > n)
			cnt = n - b;
		for (k = 0; k < cnt; k++)
			make_block(buf + k * (BLK / 8), seed, b + k, ++gen[b + k]);
		pwrite_all(fua ? fdsync : fd, buf, cnt * BLK, b * BLK, dev);
		fprintf(j, "%c %" PRIu64 " %" PRIu64 "\n", fua ? 'U' : 'W', b, cnt);
		if (fua) {
			nfua++;
			snprintf(name, sizeof(name), "ack-%" PRIu64, nmark++);
			run_mark(mark, name);
			fprintf(j, "M %s\n", name);
		}
		if (++since_sync >= next_sync || i + 1 == ops) {
			if (fsync(fd))
				die("%s: fsync: %s", dev, strerror(errno));
			nfsync++;
			fprintf(j, "S\n");
			snprintf(name, sizeof(name), "ack-%" PRIu64, nmark++);
			run_mark(mark, name);
			fprintf(j, "M %s\n", name);
			since_sync = 0;
			next_sync = 1 + RND() % sync_every;
		}
	}
	if (fclose(j))
		die("%s: %s", journal, strerror(errno));
	close(fd);
	close(fdsync);
	printf("wrote %" PRIu64 " requests: %" PRIu64 " fsyncs, %" PRIu64
	       " O_DSYNC writes, %" PRIu64 " marks\n", ops, nfsync, nfua, nmark);
	free(gen);
	free(buf);
	return 0;
}

static int cmd_check(const char *dev, const char *journal, const char *mark,
		     uint64_t seed)
{
	uint64_t n, b, nbad = 0, nnew = 0;
	uint32_t *issued, *acked, *upper;
	uint64_t *buf, *want;
	char line[256], mname[128];
	/* No mark yet: nothing acknowledged, up to the first mark issued. */
	bool found = !mark[0], known = found;
	FILE *j;
	int fd;

	fd = open_dev(dev, O_RDONLY, &n);
	issued = calloc(n, sizeof(*issued));
	acked = calloc(n, sizeof(*acked));
	upper = calloc(n, sizeof(*upper));
	j = fopen(journal, "r");
	if (!issued || !acked || !upper || !j)
		die("%s: %s", journal, strerror(errno));
	/*
	 * acked: durable generations at the mark; upper: issued generations
	 * when the next mark was sent (or at the end).
	 */
	while (fgets(line, sizeof(line), j)) {
		uint64_t jb, cnt, k;
		char c;

		if (sscanf(line, "%c %" SCNu64 " %" SCNu64, &c, &jb, &cnt) == 3 &&
		    (c == 'W' || c == 'U')) {
			if (jb + cnt > n)
				die("%s: block %" PRIu64 "+%" PRIu64 " beyond the device",
				    journal, jb, cnt);
			for (k = jb; k < jb + cnt; k++) {
				issued[k]++;
				if (c == 'U' && !found)
					acked[k] = issued[k];
			}
		} else if (line[0] == 'S') {
			if (!found)
				memcpy(acked, issued, n * sizeof(*issued));
		} else if (sscanf(line, "M %127s", mname) == 1) {
			if (found)
				break;
			if (!strcmp(mname, mark))
				found = known = true;
		} else {
			die("%s: bad line \"%.60s\"", journal, line);
		}
	}
	fclose(j);
	memcpy(upper, issued, n * sizeof(*issued));
	/* Not an ack mark (e.g. dm-log-writes-end): after everything. */
	if (!known)
		memcpy(acked, issued, n * sizeof(*issued));

	buf = xalign(256 * BLK);
	want = xalign(BLK);
	for (b = 0; b < n; b += 256) {
		uint64_t cnt = n - b < 256 ? n - b : 256, k;
		ssize_t r = pread(fd, buf, cnt * BLK, (off_t)(b * BLK));

		if (r != (ssize_t)(cnt * BLK))
			die("%s: read at block %" PRIu64 ": %s", dev, b,
			    r < 0 ? strerror(errno) : "short read");
		for (k = 0; k < cnt; k++) {
			const uint64_t *w = buf + k * (BLK / 8);
			uint64_t blk = b + k, g = w[2];

			if (w[0] != MAGIC || w[1] != blk || w[3] != seed ||
			    g > UINT32_MAX) {
				if (nbad++ < 10)
					printf("block %" PRIu64 ": not an image of itself (magic %016" PRIx64
					       " block %" PRIu64 " gen %" PRIu64 ")\n",
					       blk, w[0], w[1], g);
				continue;
			}
			make_block(want, seed, blk, g);
			if (memcmp(want, w, BLK)) {
				if (nbad++ < 10)
					printf("block %" PRIu64 ": generation %" PRIu64 " corrupt\n",
					       blk, g);
			} else if (g < acked[blk]) {
				if (nbad++ < 10)
					printf("block %" PRIu64 ": generation %" PRIu64
					       ", but %u was acknowledged before mark %s\n",
					       blk, g, acked[blk], mark);
			} else if (g > upper[blk]) {
				if (nbad++ < 10)
					printf("block %" PRIu64 ": generation %" PRIu64
					       " was not written yet at mark %s (at most %u)\n",
					       blk, g, mark, upper[blk]);
			} else if (g > acked[blk]) {
				nnew++;
			}
		}
	}
	close(fd);
	printf("check %s: %" PRIu64 " blocks, %" PRIu64 " bad, %" PRIu64
	       " newer than acknowledged\n", mark, n, nbad, nnew);
	free(buf);
	free(want);
	free(issued);
	free(acked);
	free(upper);
	return nbad ? 1 : 0;
}

static void usage(void)
{
	fputs("usage: crashio fill <dev> [--seed S]\n"
	      "       crashio write <dev> <journal> --mark <cmd> [--ops N] [--sync-every K]\n"
	      "               [--fua-pct P] [--seed S]\n"
	      "       crashio check <dev> <journal> [<mark>] [--seed S]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *pos[4] = { NULL }, *mark = NULL;
	uint64_t seed = 1, ops = 1000;
	unsigned int sync_every = 8, fua_pct = 10, npos = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2) && i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ops"))
			ops = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--sync-every"))
			sync_every = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--fua-pct"))
			fua_pct = (unsigned int)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mark"))
			mark = argv[++i];
		else if (npos < 4)
			pos[npos++] = argv[i];
		else
			usage();
	}
	if (!pos[0] || !pos[1] || !sync_every)
		usage();
	if (!strcmp(pos[0], "fill"))
		return cmd_fill(pos[1], seed);
	if (!pos[2])
		usage();
	if (!strcmp(pos[0], "write")) {
		if (!mark)
			usage();
		return cmd_write(pos[1], pos[2], seed, ops, sync_every, fua_pct, mark);
	}
	if (!strcmp(pos[0], "check")) {
		const char *m = pos[3] ? pos[3] : getenv("RESTACK_REPLAY_MARK");

		return cmd_check(pos[1], pos[2], m ? m : "", seed);
	}
	usage();
	return 2;
}
