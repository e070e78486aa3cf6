/*
 * ctl_workload.c - a running engine for ctl_control to trace from the
 * outside: one region, flush rounds (put, flush, commit) with a hook
 * registered, until stdin closes or --rounds N are done.
 *
 *   ctl_workload DIR [--rounds N] [--slow-persist K --delay-ms D] [--wait 1]
 *
 * --slow-persist K delays the manifest persist of round K (0-based) by
 * D ms with the engine's failpoint (lsm_engine_set_fault_delay());
 * --slow-rounds C: of rounds K to K + C - 1 (default 1).
 * --wait 1: after N rounds, waits for stdin to close before exiting.
 * --snapshot-in-hook PATH: the first on_sst_files_written takes a
 * snapshot into PATH (rhook_recorder_snapshot()): a trace cut in the
 * middle of a flush, its SST written and its commit not yet.
 * Prints "ready" after the first round, "rounds N" after the rounds and
 * "done" at the end.  Exit 0, or 1 with a message.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "engine.h"

static void die(const char *what)
{
	fprintf(stderr, "ctl_workload: %s: %s\n", what, lsm_engine_errmsg());
	exit(1);
}

static void on_manifest(void *priv, rhook_region_id id, const struct rhook_action_list *a, uint64_t version)
{
	(void)priv, (void)id, (void)a, (void)version;
}

static const char *snapshot_path;

static void on_sst(void *priv, rhook_region_id id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t n)
{
	char path[PATH_MAX];
	int err;

	(void)priv, (void)id, (void)meta, (void)files, (void)n;
	if (!snapshot_path)
		return;
	err = rhook_recorder_snapshot(snapshot_path, path, sizeof(path));
	if (err) {
		fprintf(stderr, "ctl_workload: snapshot %s: %s\n", snapshot_path, strerror(-err));
		exit(1);
	}
	printf("snapshot %s\n", path);
	snapshot_path = NULL;
}

static const struct rhook_hook_ops ops = { .size = sizeof(ops), .on_sst_files_written = on_sst,
					   .on_manifest_updated = on_manifest };

/* Whether stdin has closed (without blocking). */
static bool stdin_closed(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char c;

	return poll(&p, 1, 0) > 0 && read(0, &c, 1) <= 0;
}

int main(int argc, char **argv)
{
	static struct rhook_column cols[2] = { { 0, "host", RHOOK_COLUMN_STRING, RHOOK_SEMANTIC_TAG, false },
					       { 1, "ts", RHOOK_COLUMN_TIMESTAMP, RHOOK_SEMANTIC_TIMESTAMP, false } };
	struct rhook_region_meta m = { .region_id = rhook_region_id_make(7, 1), .schema_version = 1,
				       .columns = cols, .num_columns = 2 };
	unsigned rounds = 0, slow = 0, slow_rounds = 1, delay_ms = 0, n;
	bool wait = false;
	struct lsm_engine_config cfg = { .size = sizeof(cfg) };
	struct rhook_registry *reg;
	struct lsm_engine *e;
	struct lsm_region *r;
	char path[PATH_MAX];

	if (argc < 2)
		return fprintf(stderr, "usage: ctl_workload DIR [--rounds N] [--slow-persist K --delay-ms D]\n"), 1;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--rounds"))
			rounds = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--slow-persist"))
			slow = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--delay-ms"))
			delay_ms = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--slow-rounds"))
			slow_rounds = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--snapshot-in-hook"))
			snapshot_path = argv[i + 1];
		else if (!strcmp(argv[i], "--wait"))
			wait = atoi(argv[i + 1]) != 0;
	}
	if (rhook_registry_new(&reg) || rhook_registry_add(reg, &ops, NULL, NULL))
		die("registry");
	cfg.registry = reg;
	if (lsm_engine_new(&cfg, &e))
		die("engine");
	snprintf(path, sizeof(path), "%s/region", argv[1]);
	if (lsm_region_create(e, path, &m, &r))
		die("create");
	for (n = 0; !rounds || n < rounds; n++) {
		struct lsm_row rows[64];
		char keys[64][16];

		/* Armed for this round's persist, the next hit (the create's is behind). */
		if (delay_ms && n >= slow && n < slow + slow_rounds)
			lsm_engine_set_fault_delay(e, LSM_FAULT_PERSIST, (uint64_t)delay_ms * 1000000u, 0);
		for (int i = 0; i < 64; i++) {
			int len = snprintf(keys[i], sizeof(keys[i]), "key-%02d", i % 16);

			rows[i] = (struct lsm_row){ .ts = (int64_t)n * 64 + i, .key = (const uint8_t *)keys[i],
						      .key_len = (uint32_t)len, .value = (const uint8_t *)"v",
						      .value_len = 1 };
		}
		if (lsm_region_put(r, rows, 64, NULL) || lsm_region_flush(r, NULL))
			die("flush");
		if (!n) {
			printf("ready\n");
			fflush(stdout);
		}
		if (!rounds) {
			if (stdin_closed())
				break;
			usleep(20000);
		}
	}
	printf("rounds %u\n", n);
	fflush(stdout);
	if (wait) {
		char c;

		while (read(0, &c, 1) > 0)
			;
	}
	lsm_region_close(r);
	lsm_engine_free(e);
	rhook_registry_free(reg);
	printf("done\n");
	return 0;
}
