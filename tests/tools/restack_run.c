// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_run.c - see restack_run.h.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "restack_test.h"
#include "restack_run.h"

extern char **environ;

char *restack_slurp(int fd)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	for (;;) {
		if (len + 4097 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

int restack_tmpfd(void)
{
	char path[] = "/tmp/restack-test-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

/* Run restack (stdin from in_path if not NULL). */
struct run run_restack(const char *in_path, const char *const *args)
{
	const char *bin = getenv("RESTACK_BIN");
	const char *vg = getenv("RESTACK_VALGRIND");
	posix_spawn_file_actions_t fa;
	char *argv[64];
	int argc = 0, ofd, efd, status;
	struct run r;
	pid_t pid;

	if (!bin || !*bin)
		bin = "./restack";
	if (vg && *vg) {
		argv[argc++] = (char *)vg;
		argv[argc++] = "-q";
		argv[argc++] = "--leak-check=full";
		argv[argc++] = "--errors-for-leak-kinds=definite";
		argv[argc++] = "--error-exitcode=99";
	}
	argv[argc++] = (char *)bin;
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	ofd = restack_tmpfd();
	efd = restack_tmpfd();
	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	if (in_path)
		posix_spawn_file_actions_addopen(&fa, 0, in_path, O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	assert_int_equal(posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r.out = restack_slurp(ofd);
	r.err = restack_slurp(efd);
	return r;
}


void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

void assert_one_error_line(const struct run *r)
{
	const char *nl = strchr(r->err, '\n');

	if (strncmp(r->err, "restack: ", 9) || !nl || nl[1] != '\0') {
		print_error("stderr is not one \"restack: \" line: \"%s\"\n", r->err);
		fail();
	}
}
