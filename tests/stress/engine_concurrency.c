/*
 * engine_concurrency.c - several regions written, flushed and compacted
 * at once: writer threads put rows into every region and queue flushes
 * and compactions on the engine's workers, a reader thread scans, and
 * the hook reads the region's manifest from inside its callbacks.
 *
 * Conservation laws checked in main after joining:
 *   rows put into a region = rows a final scan returns (every (key, ts)
 *   is written once, so nothing may be lost or duplicated), and the
 *   versions notified for a region are exactly 2..last, once each.
 *
 * Usage: engine_concurrency [WRITERS [ROUNDS]]
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "rt.h"

#define REGIONS    4
#define BATCH      50
#define MAX_VERSIONS 4096

static unsigned writers = 2, rounds = 60;

struct region_slot {
	struct lsm_region *region;
	rhook_region_id id;
	/* Notified versions: [version] = times notified.  Written by callbacks on any thread. */
	atomic_uint notified[MAX_VERSIONS];
	atomic_uint manifest_reads; /* callbacks that read the manifest from inside */
	atomic_uint bad_reads;      /* ... and saw a version older than the one notified */
};

static struct region_slot slots[REGIONS];
static struct lsm_engine *engine;
static atomic_bool writing;

static struct region_slot *slot_of(rhook_region_id id)
{
	for (int i = 0; i < REGIONS; i++)
		if (slots[i].id == id)
			return &slots[i];
	return NULL;
}

static void on_sst(void *priv, rhook_region_id id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t n)
{
	struct region_slot *s = slot_of(id);
	struct lsm_region_manifest m;

	(void)priv, (void)meta, (void)files, (void)n;
	if (s && !lsm_region_manifest(s->region, &m)) {
		atomic_fetch_add_explicit(&s->manifest_reads, 1, memory_order_relaxed);
		lsm_region_manifest_clear(&m);
	}
}

static void on_manifest(void *priv, rhook_region_id id, const struct rhook_action_list *a, uint64_t version)
{
	struct region_slot *s = slot_of(id);
	struct lsm_region_manifest m;

	(void)priv, (void)a;
	if (!s || version >= MAX_VERSIONS)
		return;
	atomic_fetch_add_explicit(&s->notified[version], 1, memory_order_relaxed);
	if (!lsm_region_manifest(s->region, &m)) {
		atomic_fetch_add_explicit(&s->manifest_reads, 1, memory_order_relaxed);
		/* The receipt fires after the commit: the manifest is at least that far. */
		if (m.version < version)
			atomic_fetch_add_explicit(&s->bad_reads, 1, memory_order_relaxed);
		lsm_region_manifest_clear(&m);
	}
}

struct writer {
	pthread_t thread;
	unsigned index;
	uint64_t rows[REGIONS]; /* rows put into each region */
	int error;              /* first error, reported by main */
	char msg[256];
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	for (unsigned round = 0; round < rounds && !w->error; round++) {
		for (int r = 0; r < REGIONS && !w->error; r++) {
			struct lsm_row rows[BATCH];
			char keys[BATCH][24];

			for (int i = 0; i < BATCH; i++) {
				int kl = snprintf(keys[i], sizeof(keys[i]), "w%u-k%02d", w->index, i % 20);

				/* ts unique per (writer, round, i): every (key, ts) is written once. */
				rows[i] = (struct lsm_row){ .ts = (int64_t)round * BATCH + i, .key = (const uint8_t *)keys[i],
							      .key_len = (uint32_t)kl, .value = (const uint8_t *)"v",
							      .value_len = 1 };
			}
			w->error = lsm_region_put(slots[r].region, rows, BATCH, NULL);
			if (!w->error)
				w->rows[r] += BATCH;
			if (!w->error && round % 2 == 0)
				w->error = lsm_engine_submit(engine, slots[r].region, LSM_JOB_FLUSH);
			if (!w->error && round % 5 == 4)
				w->error = lsm_engine_submit(engine, slots[r].region, LSM_JOB_COMPACT);
		}
	}
	if (w->error)
		snprintf(w->msg, sizeof(w->msg), "%s", lsm_engine_errmsg());
	return NULL;
}

struct reader {
	pthread_t thread;
	uint64_t scans;
	int error;
	char msg[256];
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;

	while (atomic_load_explicit(&writing, memory_order_acquire) && !rd->error) {
		for (int r = 0; r < REGIONS && !rd->error; r++) {
			struct lsm_row_set set;

			rd->error = lsm_region_scan(slots[r].region, NULL, &set);
			if (!rd->error) {
				lsm_row_set_free(&set);
				rd->scans++;
			}
		}
	}
	if (rd->error)
		snprintf(rd->msg, sizeof(rd->msg), "%s", lsm_engine_errmsg());
	return NULL;
}

static void test_regions_at_once(void **state)
{
	static const struct rhook_hook_ops ops = { .size = sizeof(ops), .on_sst_files_written = on_sst,
						   .on_manifest_updated = on_manifest };
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .workers = 3, .row_group_rows = 64,
					   .sst_max_rows = 400, .checkpoint_interval = 16 };
	struct writer *ws = calloc(writers, sizeof(*ws));
	struct rhook_registry *reg;
	struct reader rd = { 0 };
	char dir[PATH_MAX], path[PATH_MAX + 16];

	(void)state;
	assert_non_null(ws);
	rt_tmpdir(dir, "conc");
	assert_int_equal(rhook_registry_new(&reg), 0);
	assert_int_equal(rhook_registry_add(reg, &ops, NULL, NULL), 0);
	cfg.registry = reg;
	assert_int_equal(lsm_engine_new(&cfg, &engine), 0);
	for (int r = 0; r < REGIONS; r++) {
		struct rhook_region_meta meta = { .region_id = rhook_region_id_make(3, (uint32_t)r), .schema_version = 1 };

		snprintf(path, sizeof(path), "%s/r%d", dir, r);
		slots[r].id = meta.region_id;
		assert_int_equal(lsm_region_create(engine, path, &meta, &slots[r].region), 0);
	}

	atomic_store_explicit(&writing, true, memory_order_release);
	assert_int_equal(pthread_create(&rd.thread, NULL, reader_main, &rd), 0);
	for (unsigned i = 0; i < writers; i++) {
		ws[i].index = i;
		assert_int_equal(pthread_create(&ws[i].thread, NULL, writer_main, &ws[i]), 0);
	}
	for (unsigned i = 0; i < writers; i++)
		assert_int_equal(pthread_join(ws[i].thread, NULL), 0);
	/* Release: the reader sees the flag drop after everything the writers did. */
	atomic_store_explicit(&writing, false, memory_order_release);
	assert_int_equal(pthread_join(rd.thread, NULL), 0);
	if (lsm_engine_wait(engine))
		fail_msg("a background job failed: %s", lsm_engine_errmsg());

	for (unsigned i = 0; i < writers; i++)
		if (ws[i].error)
			fail_msg("writer %u: %s", i, ws[i].msg);
	if (rd.error)
		fail_msg("reader: %s", rd.msg);
	for (int r = 0; r < REGIONS; r++) {
		struct lsm_region_manifest m;
		struct lsm_row_set set;
		uint64_t put = 0;

		for (unsigned i = 0; i < writers; i++)
			put += ws[i].rows[r];
		/* Flush what is left, then everything must come back from SSTs. */
		assert_int_equal(lsm_region_flush(slots[r].region, NULL), 0);
		assert_int_equal(lsm_region_scan(slots[r].region, NULL, &set), 0);
		assert_int_equal(set.num_rows, put);
		lsm_row_set_free(&set);
		assert_int_equal(lsm_region_manifest(slots[r].region, &m), 0);
		assert_true(m.version < MAX_VERSIONS);
		for (uint64_t v = 2; v <= m.version; v++)
			if (atomic_load(&slots[r].notified[v]) != 1)
				fail_msg("region %d: version %" PRIu64 " notified %u times", r, v,
					 atomic_load(&slots[r].notified[v]));
		assert_int_equal(atomic_load(&slots[r].bad_reads), 0);
		assert_true(atomic_load(&slots[r].manifest_reads) > 0);
		lsm_region_manifest_clear(&m);
		lsm_region_close(slots[r].region);
	}
	fprintf(stderr, "engine_concurrency: %u writers x %u rounds, %" PRIu64 " concurrent scans\n", writers, rounds,
		rd.scans);
	lsm_engine_free(engine);
	rhook_registry_free(reg);
	free(ws);
	tc_rmtree(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regions_at_once),
	};

	if (argc > 1)
		writers = (unsigned)atoi(argv[1]);
	if (argc > 2)
		rounds = (unsigned)atoi(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
