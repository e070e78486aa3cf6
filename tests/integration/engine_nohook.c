/*
 * engine_nohook.c - the paths of contract §2 that fire no hook (follower
 * open / sync, GC, checkpoint, drop, remap, failed updates), failure
 * injection, roles, and a hook that reads the manifest from its callback.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_rt.h"

static void test_follower_open_sync(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *leader = ert_region(e, dir), *follower;
	struct lsm_row_set a, b;

	ert_put_flush(leader, 100, 0, 1);
	ert_recorder_reset(&e->rec);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_FOLLOWER, &follower), 0);
	assert_int_equal(ert_version(follower), ert_version(leader));
	assert_int_equal(e->rec.num_calls, 0);

	ert_put_flush(leader, 100, 1000, 2);
	ert_put_flush(leader, 100, 2000, 3);
	assert_int_equal(lsm_region_compact(leader, NULL), 0);
	ert_recorder_reset(&e->rec);
	assert_int_equal(lsm_region_sync(follower), 0);
	assert_int_equal(e->rec.num_calls, 0);
	assert_int_equal(ert_version(follower), ert_version(leader));
	ert_scan(leader, &a);
	ert_scan(follower, &b);
	assert_true(ert_same_rows(&a, &b));
	lsm_row_set_free(&a);
	lsm_row_set_free(&b);

	/* A leader that steps down with an empty memtable writes nothing; promotion catches up only. */
	assert_int_equal(lsm_region_downgrade(leader), 0);
	assert_int_equal(lsm_region_get_role(leader), LSM_ROLE_FOLLOWER);
	assert_int_equal(lsm_region_promote(follower), 0);
	assert_int_equal(lsm_region_get_role(follower), LSM_ROLE_LEADER);
	assert_int_equal(e->rec.num_calls, 0);
	lsm_region_close(follower);
	lsm_region_close(leader);
}

static void test_gc(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], orphan[ERT_PATH + 64], id[RHOOK_FILE_ID_STRLEN];
	struct lsm_region *r = ert_region(e, dir);
	rhook_file_id fid = rhook_file_id_generate();
	struct lsm_region_manifest m;
	struct lsm_gc_stats st;
	struct lsm_row_set a, b;
	FILE *f;

	ert_put_flush(r, 100, 0, 1);
	ert_put_flush(r, 100, 1000, 2);
	assert_int_equal(lsm_region_compact(r, NULL), 0);
	assert_int_equal(lsm_region_checkpoint(r), 0);
	rhook_file_id_format(&fid, id);
	snprintf(orphan, sizeof(orphan), "%s/data/%s.sst", dir, id);
	f = fopen(orphan, "w");
	assert_non_null(f);
	fclose(f);
	ert_scan(r, &a);
	/* Reopened, the region reports what nobody references: two compacted inputs and the orphan. */
	lsm_region_close(r);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	assert_int_equal(lsm_region_orphans(r), 3);
	ert_recorder_reset(&e->rec);

	assert_int_equal(lsm_region_gc(r, &st), 0);
	assert_int_equal(e->rec.num_calls, 0);
	assert_int_equal(st.files_removed, 3); /* two compacted inputs and the orphan */
	assert_true(st.deltas_removed >= 4);   /* every delta up to the checkpoint */
	assert_int_equal(access(orphan, F_OK), -1);
	assert_int_equal(lsm_region_manifest(r, &m), 0);
	assert_int_equal(ert_count_files(dir, "data"), m.num_files);
	lsm_region_manifest_clear(&m);
	ert_scan(r, &b);
	assert_true(ert_same_rows(&a, &b));
	lsm_row_set_free(&b);
	/* The region still opens from what GC left. */
	lsm_region_close(r);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	ert_scan(r, &b);
	assert_true(ert_same_rows(&a, &b));
	lsm_row_set_free(&a);
	lsm_row_set_free(&b);
	assert_int_equal(e->rec.num_calls, 0);
	lsm_region_close(r);
}

static void test_checkpoint(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64];
	struct lsm_region *r = ert_region(e, dir);
	uint64_t v;

	ert_put_flush(r, 50, 0, 1);
	v = ert_version(r);
	ert_recorder_reset(&e->rec);
	assert_int_equal(lsm_region_checkpoint(r), 0);
	assert_int_equal(e->rec.num_calls, 0);
	assert_int_equal(ert_version(r), v);
	snprintf(path, sizeof(path), "%s/manifest/_last_checkpoint", dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/manifest/%020llu.checkpoint.json", dir, (unsigned long long)v);
	assert_int_equal(access(path, F_OK), 0);
	lsm_region_close(r);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	assert_int_equal(ert_version(r), v);
	assert_int_equal(e->rec.num_calls, 0);
	/* The next write follows the checkpointed version. */
	ert_put_flush(r, 10, 100, 2);
	assert_int_equal(e->rec.calls[1].version, v + 1);
	lsm_region_close(r);
}

static void test_drop(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);

	ert_put_flush(r, 50, 0, 1);
	ert_recorder_reset(&e->rec);
	assert_int_equal(lsm_region_drop(r), 0);
	assert_int_equal(e->rec.num_calls, 0);
	assert_int_equal(lsm_region_get_role(r), LSM_ROLE_DROPPED);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(lsm_region_put(r, NULL, 0, NULL), -EBUSY);
	lsm_region_close(r);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), -ENOENT);
}

static void test_remap(void **state)
{
	struct ert_env *e = *state;
	char sdir[ERT_PATH], ddir[ERT_PATH];
	struct lsm_region *src = ert_region(e, sdir), *dst = ert_region(e, ddir);
	struct lsm_row_set a, b;
	uint64_t v;

	ert_put_flush(src, 300, 0, 1);
	assert_int_equal(lsm_region_enter_staging(dst, "host < 'k99999'"), 0);
	v = ert_version(dst);
	ert_recorder_reset(&e->rec);
	assert_int_equal(lsm_region_remap(dst, src), 0);
	assert_int_equal(e->rec.num_calls, 0);
	assert_int_equal(ert_version(dst), v);
	/* The mapped files go live with the exit merge (two notifications of apply staging). */
	assert_int_equal(lsm_region_apply_staging(dst, NULL, 0), 0);
	assert_int_equal(ert_count(&e->rec, ERT_MANIFEST), 2);
	ert_scan(src, &a);
	ert_scan(dst, &b);
	assert_true(ert_same_rows(&a, &b));
	lsm_row_set_free(&a);
	lsm_row_set_free(&b);
	/* Remap outside staging is refused. */
	assert_int_equal(lsm_region_remap(dst, src), -EBUSY);
	lsm_region_close(src);
	lsm_region_close(dst);
}

static void test_failed_update(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct rhook_region_meta meta;
	uint64_t v = ert_version(r);

	ert_region_meta(&meta, lsm_region_get_id(r), 2);
	lsm_engine_set_fault(e->engine, LSM_FAULT_PERSIST, -EIO, 0);
	assert_int_equal(lsm_region_alter(r, &meta), -EIO);
	assert_non_null(strstr(lsm_engine_errmsg(), "injected"));
	assert_int_equal(e->rec.num_calls, 0);
	assert_int_equal(ert_version(r), v);
	assert_null(ert_disk_delta(dir, v + 1, false));
	/* The next write takes the version the failed one did not: no gap, no damage. */
	assert_int_equal(lsm_region_alter(r, &meta), 0);
	assert_int_equal(e->rec.num_calls, 1);
	assert_int_equal(e->rec.calls[0].version, v + 1);
	lsm_region_close(r);
}

static void test_flush_persist_failure(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_row_set rows;
	uint64_t v = ert_version(r);

	ert_put(r, 600, 60, 0, 1);
	lsm_engine_set_fault(e->engine, LSM_FAULT_PERSIST, -EIO, 0);
	assert_int_equal(lsm_region_flush(r, NULL), -EIO);
	/* The files were written (announced) but never committed: removed again. */
	assert_int_equal(ert_count(&e->rec, ERT_SST), 1);
	assert_int_equal(ert_count(&e->rec, ERT_MANIFEST), 0);
	assert_int_equal(ert_count_files(dir, "data"), 0);
	assert_int_equal(ert_version(r), v);
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 600);
	lsm_row_set_free(&rows);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	assert_int_equal(ert_count(&e->rec, ERT_MANIFEST), 1);
	assert_int_equal(e->rec.calls[2].version, v + 1);
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 600);
	lsm_row_set_free(&rows);
	lsm_region_close(r);
}

static void test_flush_io_error(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_row_set rows;

	ert_put(r, 600, 60, 0, 1);
	/* The second row group of the first file fails: a torn file, before anything is announced. */
	lsm_engine_set_fault(e->engine, LSM_FAULT_SST_WRITE, -EIO, 1);
	assert_int_equal(lsm_region_flush(r, NULL), -EIO);
	assert_int_equal(e->rec.num_calls, 0);
	assert_int_equal(ert_count_files(dir, "data"), 0);
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 600);
	lsm_row_set_free(&rows);
	/* New rows meanwhile join the next flush; the failed flush's rows go first. */
	ert_put(r, 10, 10, 5000, 2);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	assert_int_equal(ert_count(&e->rec, ERT_MANIFEST), 2);
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 610);
	lsm_row_set_free(&rows);
	lsm_region_close(r);
}

static void test_compaction_io_error(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_region_manifest before, after;
	struct lsm_row_set a, b;

	ert_put_flush(r, 100, 0, 1);
	ert_put_flush(r, 100, 1000, 2);
	assert_int_equal(lsm_region_manifest(r, &before), 0);
	ert_scan(r, &a);
	ert_recorder_reset(&e->rec);
	lsm_engine_set_fault(e->engine, LSM_FAULT_SST_READ, -EIO, 1);
	assert_int_equal(lsm_region_compact(r, NULL), -EIO);
	assert_int_equal(e->rec.num_calls, 0);
	assert_int_equal(lsm_region_manifest(r, &after), 0);
	assert_int_equal(after.version, before.version);
	assert_int_equal(after.num_files, before.num_files);
	assert_int_equal(ert_count_files(dir, "data"), before.num_files);
	ert_scan(r, &b);
	assert_true(ert_same_rows(&a, &b));
	lsm_row_set_free(&b);
	/* Output written, commit refused: the outputs are removed, the inputs stay. */
	lsm_engine_set_fault(e->engine, LSM_FAULT_PERSIST, -ENOSPC, 0);
	assert_int_equal(lsm_region_compact(r, NULL), -ENOSPC);
	assert_int_equal(ert_count(&e->rec, ERT_SST), 1);
	assert_int_equal(ert_count(&e->rec, ERT_MANIFEST), 0);
	assert_int_equal(ert_count_files(dir, "data"), before.num_files);
	assert_int_equal(lsm_region_compact(r, NULL), 0);
	ert_scan(r, &b);
	assert_true(ert_same_rows(&a, &b));
	lsm_row_set_free(&a);
	lsm_row_set_free(&b);
	lsm_region_manifest_clear(&before);
	lsm_region_manifest_clear(&after);
	lsm_region_close(r);
}

/* A hook that takes the manifest mutex from inside its callbacks. */
struct reader {
	struct lsm_region *region;
	uint64_t seen[16];
	uint64_t notified[16];
	int n;
	int sst_reads;
};

static void reader_sst(void *priv, rhook_region_id id, const struct rhook_region_meta *meta,
		       const struct rhook_sst_file *files, size_t n)
{
	struct reader *rd = priv;
	struct lsm_region_manifest m;

	(void)id, (void)meta, (void)files, (void)n;
	if (!lsm_region_manifest(rd->region, &m)) {
		rd->sst_reads++;
		lsm_region_manifest_clear(&m);
	}
}

static void reader_manifest(void *priv, rhook_region_id id, const struct rhook_action_list *a, uint64_t version)
{
	struct reader *rd = priv;
	struct lsm_region_manifest m;

	(void)id, (void)a;
	if (rd->n < 16 && !lsm_region_manifest(rd->region, &m)) {
		rd->seen[rd->n] = m.version;
		rd->notified[rd->n++] = version;
		lsm_region_manifest_clear(&m);
	}
}

static void test_hook_reads_manifest(void **state)
{
	static const struct rhook_hook_ops ops = { .size = sizeof(ops), .on_sst_files_written = reader_sst,
						   .on_manifest_updated = reader_manifest };
	struct ert_env *e = *state;
	struct reader rd = { .region = ert_region(e, NULL) };
	struct rhook_hook *hook;

	assert_int_equal(rhook_registry_add(e->rec.registry, &ops, &rd, &hook), 0);
	ert_put_flush(rd.region, 100, 0, 1);
	/* And from a worker thread of the engine. */
	ert_put(rd.region, 100, 40, 1000, 2);
	assert_int_equal(lsm_engine_submit(e->engine, rd.region, LSM_JOB_FLUSH), 0);
	assert_int_equal(lsm_engine_wait(e->engine), 0);
	assert_int_equal(lsm_engine_submit(e->engine, rd.region, LSM_JOB_COMPACT), 0);
	assert_int_equal(lsm_engine_wait(e->engine), 0);
	assert_int_equal(rd.n, 3);
	assert_int_equal(rd.sst_reads, 3);
	for (int i = 0; i < rd.n; i++)
		assert_int_equal(rd.seen[i], rd.notified[i]);
	assert_int_equal(rhook_registry_remove(e->rec.registry, hook), 0);
	lsm_region_close(rd.region);
}

/* What a hook sees of a region stepping down: the transitional role, refusing writes. */
struct downgrade_probe {
	struct lsm_region *region;
	enum lsm_region_role role;
	int put;
};

static void probe_sst(void *priv, rhook_region_id id, const struct rhook_region_meta *meta,
		      const struct rhook_sst_file *files, size_t n)
{
	struct downgrade_probe *p = priv;
	struct lsm_row row = { .ts = 1, .key = (const uint8_t *)"late", .key_len = 4 };

	(void)id, (void)meta, (void)files, (void)n;
	p->role = lsm_region_get_role(p->region);
	p->put = lsm_region_put(p->region, &row, 1, NULL);
}

static void test_downgrade(void **state)
{
	static const struct rhook_hook_ops ops = { .size = sizeof(ops), .on_sst_files_written = probe_sst };
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct downgrade_probe p = { .region = ert_region(e, dir) };
	struct lsm_region *follower;
	struct lsm_row_set rows;
	struct rhook_hook *hook;

	assert_int_equal(rhook_registry_add(e->rec.registry, &ops, &p, &hook), 0);
	ert_put(p.region, 100, 40, 0, 1);
	/* Stepping down flushes what the memtable holds (a flush: both callbacks), then follows. */
	assert_int_equal(lsm_region_downgrade(p.region), 0);
	assert_int_equal(p.role, LSM_ROLE_LEADER_DOWNGRADING);
	assert_int_equal(p.put, -EROFS);
	assert_int_equal(ert_count(&e->rec, ERT_SST), 1);
	assert_int_equal(ert_count(&e->rec, ERT_MANIFEST), 1);
	assert_int_equal(lsm_region_get_role(p.region), LSM_ROLE_FOLLOWER);
	assert_int_equal(lsm_region_downgrade(p.region), -EROFS);
	assert_int_equal(rhook_registry_remove(e->rec.registry, hook), 0);
	/* Nothing was lost: another node opening the directory sees every row. */
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_FOLLOWER, &follower), 0);
	ert_scan(follower, &rows);
	assert_int_equal(rows.num_rows, 100);
	lsm_row_set_free(&rows);
	lsm_region_close(follower);
	lsm_region_close(p.region);
}

static void test_roles(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH];
	struct lsm_region *leader = ert_region(e, dir), *follower, *compactor;
	const char *paths[1] = { path };
	struct lsm_row row = { .ts = 1, .key = (const uint8_t *)"k", .key_len = 1 };
	struct rhook_region_meta meta;

	ert_external_sst(e, "roles", path, 5, 0, 1);
	ert_region_meta(&meta, lsm_region_get_id(leader), 9);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_FOLLOWER, &follower), 0);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_COMPACTOR, &compactor), 0);
	assert_int_equal(lsm_region_put(follower, &row, 1, NULL), -EROFS);
	assert_non_null(strstr(lsm_engine_errmsg(), "follower"));
	assert_int_equal(lsm_region_flush(follower, NULL), -EROFS);
	assert_int_equal(lsm_region_compact(follower, NULL), -EROFS);
	assert_int_equal(lsm_region_alter(follower, &meta), -EROFS);
	assert_int_equal(lsm_region_ingest(follower, paths, 1), -EROFS);
	assert_int_equal(lsm_region_gc(follower, NULL), -EROFS);
	assert_int_equal(lsm_region_put(compactor, &row, 1, NULL), -EROFS);
	assert_int_equal(lsm_region_truncate(compactor), -EROFS);
	assert_int_equal(lsm_region_sync(leader), -EBUSY);
	assert_int_equal(lsm_region_promote(leader), -EBUSY);
	assert_int_equal(lsm_region_apply_staging(leader, paths, 1), -EBUSY);
	assert_int_equal(lsm_region_abort_staging(leader), -EBUSY);
	assert_int_equal(lsm_region_enter_staging(leader, "x"), 0);
	assert_int_equal(lsm_region_put(leader, &row, 1, NULL), -EBUSY);
	assert_non_null(strstr(lsm_engine_errmsg(), "staging"));
	assert_int_equal(lsm_region_flush(leader, NULL), -EBUSY);
	assert_int_equal(lsm_region_alter(leader, &meta), -EBUSY);
	assert_int_equal(lsm_region_enter_staging(leader, "y"), -EBUSY);
	assert_int_equal(lsm_region_abort_staging(leader), 0);
	assert_int_equal(lsm_region_put(leader, &row, 1, NULL), 0);
	lsm_region_close(compactor);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_STAGING, &compactor), -EINVAL);
	lsm_region_close(follower);
	lsm_region_close(leader);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_follower_open_sync, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_gc, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_drop, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_remap, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_failed_update, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_flush_persist_failure, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_flush_io_error, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_compaction_io_error, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_hook_reads_manifest, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_downgrade, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_roles, ert_fixture_setup, ert_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
