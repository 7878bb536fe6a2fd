// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_daemon_cmd.c - `restack daemon`: argument grammar, pid file,
 * signals and the main loop over the library's state machines
 * (lib/restack_daemon*.c); and the daemon part of `restack status`.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/restack_core.h"
#include "cmd/restack_cmd.h"
#include "cmd/restack_args.h"
#include "daemon/restack_daemon.h"
#include "cmd/restack_daemon_cmd.h"

static volatile int restack_daemon_stop;

static void restack_daemon_on_signal(int sig)
{
	(void)sig;
	restack_daemon_stop = 1;
}

int restack_daemon_args_parse(unsigned int argc, const char *const *argv,
			      struct restack_daemon_args *a,
			      struct restack_err *err)
{
	unsigned int i;

	memset(a, 0, sizeof(*a));
	a->log_level = RESTACK_LOG_INFO;
	for (i = 0; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--once")) {
			a->once = true;
			continue;
		}
		if (strcmp(o, "--config") && strcmp(o, "--state-dir") &&
		    strcmp(o, "--events") && strcmp(o, "--log-level"))
			return restack_err_set(err, -EINVAL,
					       "daemon: unknown argument \"%.64s\"", o);
		if (!v || !v[0])
			return restack_err_set(err, -EINVAL, "daemon: %s needs a value", o);
		i++;
		if (!strcmp(o, "--config")) {
			a->config = v;
		} else if (!strcmp(o, "--state-dir")) {
			if (v[0] != '/')
				return restack_err_set(err, -EINVAL,
						       "daemon: --state-dir needs an absolute path");
			a->state_dir = v;
		} else if (!strcmp(o, "--events")) {
			if (v[0] != '/')
				return restack_err_set(err, -EINVAL,
						       "daemon: --events needs an absolute path");
			a->events = v;
		} else if (!strcmp(v, "info")) {
			a->log_level = RESTACK_LOG_INFO;
		} else if (!strcmp(v, "debug")) {
			a->log_level = RESTACK_LOG_DEBUG;
		} else {
			return restack_err_set(err, -EINVAL,
					       "daemon: --log-level is info or debug, not \"%.64s\"",
					       v);
		}
	}
	if (!a->config)
		return restack_err_set(err, -EINVAL, "daemon: missing --config <file>");
	return 0;
}

/* Take <state_dir>/restackd.pid unless a live daemon holds it. */
static int restack_pidfile_take(const char *dir, char *path, size_t len,
				struct restack_err *err)
{
	FILE *f;
	long pid = 0;

	snprintf(path, len, "%s/restackd.pid", dir);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
		if (pid > 0 && pid != (long)getpid() &&
		    (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			return restack_err_set(err, -EBUSY,
					       "%s: another daemon (pid %ld) runs on this state directory",
					       path, pid);
	}
	f = fopen(path, "we");
	if (!f)
		return restack_err_set(err, -errno, "%s: %s", path, strerror(errno));
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f))
		return restack_err_set(err, -EIO, "%s: write failed", path);
	return 0;
}

static void restack_sleep_until(double t, double now)
{
	struct timespec ts;
	double dt = t - now;

	if (dt <= 0)
		return;
	if (dt > 1)
		dt = 1;		/* re-check the stop flag at least every second */
	ts.tv_sec = (time_t)dt;
	ts.tv_nsec = (long)((dt - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);	/* a signal cuts it short: fine */
}

int restack_daemon_cmd_run(const struct restack_cmd *cmd)
{
	struct restack_daemon_args a;
	struct restack_err err = { "" };
	struct restack_daemon d;
	struct restack_sla cfg;
	struct restack_event *e;
	struct sigaction sa = { 0 };
	char pidpath[RESTACK_SLA_PATH_MAX + 32];
	int rc = RESTACK_EXIT_FAILURE;

	if (restack_daemon_args_parse(cmd->argc, cmd->argv, &a, &err)) {
		fprintf(stderr, "restack: %s (try 'restack daemon --help')\n", err.msg);
		return RESTACK_EXIT_USAGE;
	}
	/* an invalid config stops here, before any device is touched */
	if (restack_sla_parse_file(a.config, &cfg, &err)) {
		fprintf(stderr, "restack: %s\n", err.msg);
		return RESTACK_EXIT_USAGE;
	}
	if (restack_daemon_init(&d, &cfg, &restack_daemon_real_ops, NULL,
				a.state_dir, a.events, &err)) {
		fprintf(stderr, "restack: %s\n", err.msg);
		restack_sla_release(&cfg);
		return RESTACK_EXIT_FAILURE;
	}
	d.log_level = a.log_level;
	if (restack_pidfile_take(d.state_dir, pidpath, sizeof(pidpath), &err)) {
		fprintf(stderr, "restack: %s\n", err.msg);
		goto out;
	}
	openlog("restackd", LOG_PID, LOG_DAEMON);
	sa.sa_handler = restack_daemon_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	e = restack_event_begin(&d, NULL, "start");
	restack_event_num(e, "pid", (double)getpid());
	restack_event_str(e, "config", a.config);
	restack_event_end(e);
	restack_daemon_logf(&d, RESTACK_LOG_INFO, "started (pid %ld, %u volumes, state in %s)",
			    (long)getpid(), d.n, d.state_dir);
	restack_daemon_adopt(&d);
	if (a.once) {
		restack_daemon_step(&d, &restack_daemon_stop);
		restack_daemon_shutdown(&d, "once");
	} else {
		while (!restack_daemon_stop) {
			double next = restack_daemon_step(&d, &restack_daemon_stop);

			if (restack_daemon_stop)
				break;
			restack_sleep_until(next, d.ops->now(d.ctx));
		}
		restack_daemon_shutdown(&d, "signal");
	}
	restack_daemon_logf(&d, RESTACK_LOG_INFO, "stopped");
	unlink(pidpath);
	closelog();
	rc = RESTACK_EXIT_OK;
out:
	restack_daemon_release(&d);
	restack_sla_release(&cfg);
	return rc;
}

const struct restack_command restack_daemon_command = {
	.name = "daemon",
	.usage = "--config <file> [--state-dir <dir>] [--events <file>] [--once] [--log-level info|debug]",
	.help =
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
	.parse = NULL,	/* verbatim: restack_daemon_cmd_run parses */
	.run = restack_daemon_cmd_run,
};
