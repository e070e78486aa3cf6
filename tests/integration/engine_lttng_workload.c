/*
 * engine_lttng_workload.c - every scenario of contract §2 and every
 * no-hook path on the reference engine, for engine_lttng to record.
 * Prints what the hooks saw, attributed to the cause and origin of the
 * operation that fired them:
 *
 *   manifest <region id> <version> <cause>       one per on_manifest_updated
 *   sstcall <region id> <origin>                 one per on_sst_files_written
 *   sst <file id> <origin>                       one per announced file
 *   flushes <n> | compactions <local> <remote> | failed <region id> <version> <cause>
 *
 * Remote compaction runs in rhook-compactor, whose callbacks the example
 * plugin logs; they are printed here the same way.  Exit 0, or 1 with a
 * message.  With --rounds, the scenario runs on command (see rounds()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "engine.h"
#include "rt.h"

/* Cause of each notification the next operation fires, and its origin for SSTs. */
static const char *causes[4];
static unsigned next_cause;
static const char *origin;

static void die(const char *what)
{
	fprintf(stderr, "engine_lttng_workload: %s: %s\n", what, lsm_engine_errmsg());
	exit(1);
}

static void on_sst(void *priv, rhook_region_id id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t n)
{
	char s[RHOOK_FILE_ID_STRLEN];

	(void)priv, (void)meta;
	printf("sstcall %" PRIu64 " %s\n", id, origin);
	for (size_t i = 0; i < n; i++) {
		rhook_file_id_format(&files[i].file_meta->file_id, s);
		printf("sst %s %s\n", s, origin);
	}
}

static void on_manifest(void *priv, rhook_region_id id, const struct rhook_action_list *a, uint64_t version)
{
	const char *cause = next_cause < 4 && causes[next_cause] ? causes[next_cause] : "unexpected";

	(void)priv, (void)a;
	printf("manifest %" PRIu64 " %" PRIu64 " %s\n", id, version, cause);
	next_cause++;
}

/* Deletions: one line per call, one per file with its reason (the third column of contract §2). */
static void on_removed(void *priv, rhook_region_id id, const struct rhook_removed_file *files, size_t n,
		       enum rhook_remove_reason reason)
{
	char s[RHOOK_FILE_ID_STRLEN];

	(void)priv;
	printf("removedcall %" PRIu64 " %s\n", id, rhook_remove_reason_name(reason));
	for (size_t i = 0; i < n; i++) {
		rhook_file_id_format(&files[i].file_id, s);
		printf("removed %s %s\n", s, rhook_remove_reason_name(reason));
	}
}

static void expect(const char *c0, const char *c1, const char *sst_origin)
{
	causes[0] = c0;
	causes[1] = c1;
	next_cause = 0;
	origin = sst_origin;
}

/* Region ids of this run: table @table (one per round). */
static uint32_t table = 42;

static struct lsm_region *create(struct lsm_engine *e, const char *dir, unsigned n)
{
	static struct rhook_column cols[2] = { { 0, "host", RHOOK_COLUMN_STRING, RHOOK_SEMANTIC_TAG, false },
					       { 1, "ts", RHOOK_COLUMN_TIMESTAMP, RHOOK_SEMANTIC_TIMESTAMP, false } };
	struct rhook_region_meta m = { .region_id = rhook_region_id_make(table, n), .schema_version = 1,
				       .columns = cols, .num_columns = 2 };
	struct lsm_region *r;
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/r%u", dir, n);
	if (lsm_region_create(e, path, &m, &r))
		die("create");
	return r;
}

static void put(struct lsm_region *r, int64_t t0)
{
	struct lsm_row rows[200];
	char keys[200][16];

	for (int i = 0; i < 200; i++) {
		int n = snprintf(keys[i], sizeof(keys[i]), "key-%03d", i % 50);

		rows[i] = (struct lsm_row){ .ts = t0 + i, .key = (const uint8_t *)keys[i], .key_len = (uint32_t)n,
					      .value = (const uint8_t *)"v", .value_len = 1 };
	}
	if (lsm_region_put(r, rows, 200, NULL))
		die("put");
}

static unsigned flushes;

static void put_flush(struct lsm_region *r, int64_t t0)
{
	put(r, t0);
	expect("flush", NULL, "flush");
	if (lsm_region_flush(r, NULL))
		die("flush");
	flushes++;
}

/* Prints the compactor's callbacks, logged by the plugin. */
static void relay_plugin_log(const char *path)
{
	char line[65536], *save, *w;
	FILE *f = fopen(path, "r");

	if (!f)
		die("plugin log");
	while (fgets(line, sizeof(line), f)) {
		char *kind = strtok_r(line, " \n", &save), *region = strtok_r(NULL, " \n", &save);
		char *third = strtok_r(NULL, " \n", &save);

		if (!strcmp(kind, "manifest")) {
			printf("manifest %s %s remote_compaction\n", region, third);
			continue;
		}
		if (!strcmp(kind, "removed")) {
			printf("removedcall %s %s\n", region, third);
			strtok_r(NULL, " \n", &save); /* the number of files */
			while ((w = strtok_r(NULL, " \n", &save)))
				printf("removed %s %s\n", w + 1, third);
			continue;
		}
		printf("sstcall %s remote_compaction\n", region);
		while ((w = strtok_r(NULL, " \n", &save)))
			printf("sst %s remote_compaction\n", w + 1);
	}
	fclose(f);
}

static const struct rhook_hook_ops ops = { .size = sizeof(ops), .on_sst_files_written = on_sst,
					   .on_manifest_updated = on_manifest, .on_files_removed = on_removed };

/* Every scenario once, in a fresh directory, with regions of table @table. */
static void scenario(struct rhook_registry *reg)
{
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .sst_max_rows = 150, .registry = reg };
	char dir[PATH_MAX], sst[PATH_MAX + 32], log[PATH_MAX + 32], plugin[PATH_MAX + 32], path[PATH_MAX + 32];
	struct lsm_remote_compaction req = { .size = sizeof(req), .hook_path = plugin, .hook_arg = log,
					      .before_exec = tc_lttngctl_track_inherited };
	const char *paths[1] = { sst };
	struct lsm_engine *e;
	struct lsm_region *a, *b, *c, *f;
	struct rhook_region_meta meta;
	struct lsm_region_manifest m;
	struct lsm_row row = { .ts = 7, .key = (const uint8_t *)"x", .key_len = 1 };

	flushes = 0;
	rt_tmpdir(dir, "ltw");
	snprintf(sst, sizeof(sst), "%s/ingest.sst", dir);
	snprintf(log, sizeof(log), "%s/plugin.log", dir);
	snprintf(plugin, sizeof(plugin), "%s/rhook-count-hook.so", getenv("RHOOK_LIB_DIR"));
	req.program = rt_bin("rhook-compactor");
	if (lsm_engine_new(&cfg, &e))
		die("engine");
	a = create(e, dir, 1);
	put_flush(a, 0);
	put_flush(a, 1000);
	expect("compaction", NULL, "compaction");
	if (lsm_region_compact(a, NULL))
		die("compaction");
	put_flush(a, 2000);
	put_flush(a, 3000);
	expect(NULL, NULL, "none");
	if (lsm_region_compact_remote(a, &req, NULL))
		die("remote compaction");
	relay_plugin_log(log);
	if (lsm_sst_write_file(sst, &row, 1))
		die("sst");
	expect("edit", NULL, "none");
	if (lsm_region_ingest(a, paths, 1))
		die("ingest");
	b = create(e, dir, 2);
	expect("copy", NULL, "none");
	if (lsm_region_copy_files(b, a, NULL, 0))
		die("copy");
	expect("staging_enter", NULL, "none");
	if (lsm_region_enter_staging(b, "host < 'key-025'"))
		die("enter staging");
	expect("staging_apply", "staging_exit", "none");
	if (lsm_region_apply_staging(b, paths, 1))
		die("apply staging");
	if (lsm_region_manifest(a, &m))
		die("manifest");
	meta = m.meta;
	meta.schema_version++;
	expect("alter", NULL, "none");
	if (lsm_region_alter(a, &meta))
		die("alter");
	lsm_region_manifest_clear(&m);
	expect("index_build", NULL, "none");
	if (lsm_region_build_index(a, NULL))
		die("index build");
	expect("truncate", NULL, "none");
	if (lsm_region_truncate(a))
		die("truncate");

	/* No hook from here on, whatever runs. */
	expect(NULL, NULL, "none");
	snprintf(path, sizeof(path), "%s/r1", dir);
	if (lsm_region_open(e, path, LSM_ROLE_FOLLOWER, &f) || lsm_region_sync(f))
		die("follower");
	lsm_region_close(f);
	if (lsm_region_checkpoint(a) || lsm_region_gc(a, NULL))
		die("checkpoint and gc");
	c = create(e, dir, 3);
	expect("staging_enter", NULL, "none");
	if (lsm_region_enter_staging(c, "host >= 'key-025'"))
		die("enter staging");
	expect(NULL, NULL, "none");
	if (lsm_region_remap(c, b) || lsm_region_abort_staging(c) || lsm_region_drop(c))
		die("remap and drop");
	lsm_region_close(c);
	if (lsm_region_manifest(b, &m))
		die("manifest");
	meta = m.meta;
	meta.schema_version++;
	lsm_engine_set_fault(e, LSM_FAULT_PERSIST, -EIO, 0);
	if (lsm_region_alter(b, &meta) != -EIO)
		die("failed update");
	printf("failed %" PRIu64 " %" PRIu64 " alter\n", lsm_region_get_id(b), m.version + 1);
	lsm_region_manifest_clear(&m);
	printf("flushes %u\ncompactions 1 1\n", flushes);

	lsm_region_close(a);
	lsm_region_close(b);
	lsm_engine_free(e);
	tc_rmtree(dir);
}

/*
 * With --rounds, a long-running traced process: reads commands on stdin,
 * "round N" (the scenario with regions of table 1000 + N, then "done N"),
 * "mark N" (a marker event, rhook:flush_begin of region (2000 + N, 0),
 * then "marked") and "quit".  With --fork-child too, it first forks a child that only
 * waits (printing "child PID"), killed at quit: a process forked before
 * any session daemon ran.
 */
static int rounds(bool fork_child)
{
	struct rhook_registry *reg;
	char line[64];
	pid_t child = -1;
	unsigned n;

	if (fork_child) {
		child = fork();
		if (child < 0)
			die("fork");
		if (!child) {
			prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the workload */
			for (;;)
				pause();
		}
		printf("child %d\n", (int)child);
	}
	if (rhook_registry_new(&reg) || rhook_registry_add(reg, &ops, NULL, NULL))
		die("registry");
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin) && strcmp(line, "quit\n")) {
		if (sscanf(line, "mark %u", &n) == 1) {
			rhook_trace_flush_begin(rhook_region_id_make(2000 + n, 0), 0, 0);
			printf("marked\n");
			continue;
		}
		if (sscanf(line, "round %u", &n) != 1) {
			fprintf(stderr, "engine_lttng_workload: unknown command %s", line);
			return 1;
		}
		table = 1000 + n;
		scenario(reg);
		printf("done %u\n", n);
	}
	rhook_registry_free(reg);
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rhook_registry *reg;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--rounds"))
		return rounds(argc > 2 && !strcmp(argv[2], "--fork-child"));
	if (rhook_registry_new(&reg) || rhook_registry_add(reg, &ops, NULL, NULL))
		die("registry");
	scenario(reg);
	rhook_registry_free(reg);
	return 0;
}
