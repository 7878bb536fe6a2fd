// SPDX-License-Identifier: GPL-2.0-only
/*
 * restack_daemon_config.c - from a parsed SLA file (with its [daemon]
 * section, lib/restack_sla.c) to the daemon's volumes: carve names and
 * offsets, file paths, the state directory and the event log.
 *
 * Carve offsets are a pure function of the config: volumes sharing a
 * fast device get consecutive regions in config order, each sized for
 * max_cache_bytes, so a restarted daemon computes the same layout.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/restack_daemon.h"

/* 1 MiB alignment of carve regions, in sectors. */
#define CARVE_ALIGN_SECTORS	2048ULL
#define META_PAGE_BYTES		4096ULL
#define META_ENTRIES_PER_PAGE	254ULL

/*
 * Sectors of a carve holding @cache_bytes of @block-byte cache blocks
 * plus the cache's metadata (two superblocks, two slots per metadata
 * page: Documentation/cache.rst), rounded up to 1 MiB.
 */
uint64_t restack_daemon_carve_sectors(uint64_t cache_bytes, uint32_t block)
{
	uint64_t blocks, pages, bytes, s;

	if (!block)
		block = 4096;
	blocks = (cache_bytes + block - 1) / block;
	pages = (blocks + META_ENTRIES_PER_PAGE - 1) / META_ENTRIES_PER_PAGE;
	bytes = blocks * block + (2 + 2 * pages) * META_PAGE_BYTES + block;
	s = (bytes + 511) / 512;
	return (s + CARVE_ALIGN_SECTORS - 1) / CARVE_ALIGN_SECTORS * CARVE_ALIGN_SECTORS;
}

const char *restack_dstate_name(enum restack_dstate s)
{
	static const char *const names[RESTACK_NR_DSTATES] = {
		[RESTACK_DS_DETACHED] = "detached",
		[RESTACK_DS_PROFILING] = "profiling",
		[RESTACK_DS_DECIDING] = "deciding",
		[RESTACK_DS_PREPARING] = "preparing",
		[RESTACK_DS_ATTACHING] = "attaching",
		[RESTACK_DS_ATTACHED] = "attached",
		[RESTACK_DS_DEGRADED] = "degraded",
		[RESTACK_DS_DETACHING] = "detaching",
		[RESTACK_DS_ERROR] = "error",
	};

	return (unsigned int)s < RESTACK_NR_DSTATES ? names[s] : NULL;
}

int restack_dstate_lookup(const char *name)
{
	int s;

	for (s = 0; s < RESTACK_NR_DSTATES; s++)
		if (!strcmp(name, restack_dstate_name(s)))
			return s;
	return -EINVAL;
}

static int mkdir_p(const char *dir, struct restack_err *err)
{
	char tmp[RESTACK_SLA_PATH_MAX];
	char *p;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; ; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			if (mkdir(tmp, 0755) && errno != EEXIST)
				return restack_err_set(err, -errno, "%s: %s", tmp,
						       strerror(errno));
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

int restack_daemon_init(struct restack_daemon *d, const struct restack_sla *cfg,
			const struct restack_daemon_ops *ops, void *ctx,
			const char *state_dir, const char *event_log,
			struct restack_err *err)
{
	unsigned int i, j;
	int r;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->dc = &cfg->daemon;
	d->ops = ops;
	d->ctx = ctx;
	d->log_level = RESTACK_LOG_INFO;
	snprintf(d->state_dir, sizeof(d->state_dir), "%s",
		 state_dir ? state_dir : cfg->daemon.state_dir);
	/* the default event log follows an overridden state directory */
	{
		char def[RESTACK_SLA_PATH_MAX + 16];

		snprintf(def, sizeof(def), "%s/events.jsonl", cfg->daemon.state_dir);
		if (event_log)
			snprintf(d->event_path, sizeof(d->event_path), "%s", event_log);
		else if (state_dir && !strcmp(def, cfg->daemon.event_log))
			snprintf(d->event_path, sizeof(d->event_path),
				 "%s/events.jsonl", state_dir);
		else
			snprintf(d->event_path, sizeof(d->event_path), "%s",
				 cfg->daemon.event_log);
	}
	r = mkdir_p(d->state_dir, err);
	if (r)
		return restack_err_prefix(err, r, "state directory");
	d->events = fopen(d->event_path, "ae");
	if (!d->events)
		return restack_err_set(err, -errno, "event log %s: %s",
				       d->event_path, strerror(errno));
	d->vols = calloc(cfg->n ? cfg->n : 1, sizeof(*d->vols));
	if (!d->vols) {
		fclose(d->events);
		d->events = NULL;
		return restack_err_set(err, -ENOMEM, "out of memory");
	}
	d->n = cfg->n;
	for (i = 0; i < cfg->n; i++) {
		struct restack_daemon_vol *v = &d->vols[i];
		const struct restack_sla_volume *s = &cfg->vols[i];

		v->sla = s;
		v->name = s->name;
		if (!s->origin) {
			restack_daemon_release(d);
			return restack_err_set(err, -EINVAL,
					       "%s: line %u: [volume %s] needs origin for the daemon",
					       "config", s->line, s->name);
		}
		if (strlen(s->name) + strlen(RESTACK_DAEMON_CARVE_PREFIX
					     RESTACK_DAEMON_CARVE_SUFFIX) >
		    RESTACK_VOLUME_NAME_MAX) {
			restack_daemon_release(d);
			return restack_err_set(err, -EINVAL,
					       "config: line %u: volume name %s is too long for its carve device name",
					       s->line, s->name);
		}
		snprintf(v->carve, sizeof(v->carve), "%s%s%s",
			 RESTACK_DAEMON_CARVE_PREFIX, s->name,
			 RESTACK_DAEMON_CARVE_SUFFIX);
		snprintf(v->carve_path, sizeof(v->carve_path), "/dev/mapper/%s",
			 v->carve);
		for (j = 0; j < i; j++)
			if (!strcmp(cfg->vols[j].fast_device, s->fast_device))
				/* 1 MiB spare: a larger block size's slack */
				v->carve_offset += restack_daemon_carve_sectors(
					cfg->vols[j].max_cache_bytes, 4096) +
					CARVE_ALIGN_SECTORS;
		snprintf(v->state_path, sizeof(v->state_path), "%s/%s.json",
			 d->state_dir, s->name);
		snprintf(v->trace_path, sizeof(v->trace_path), "%s/%s.trace",
			 d->state_dir, s->name);
		snprintf(v->mrc_path, sizeof(v->mrc_path), "%s/%s.mrc.csv",
			 d->state_dir, s->name);
		v->last_fast_lat_us = NAN;
		v->sla_met = true;
	}
	return 0;
}

void restack_daemon_release(struct restack_daemon *d)
{
	unsigned int i, k;

	for (i = 0; d->vols && i < d->n; i++)
		for (k = 0; k < d->vols[i].nevents; k++)
			free(d->vols[i].events[k]);
	free(d->vols);
	d->vols = NULL;
	d->n = 0;
	if (d->events)
		fclose(d->events);
	d->events = NULL;
}
