/*
 * engine_removed.c - the third column of contract §2 on the reference
 * engine: on_files_removed fires exactly where the table says, after the
 * files are gone from data/ and never under the manifest mutex (the
 * recording hook checks both from inside each call: engine_rt.c), with
 * the reason, the files and the version that removed them; and not at
 * all for copy, follower sync, checkpoint and remap.  Remote compaction
 * is in engine_remote.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_rt.h"

/* Every removal call so far, for @reason: its files in @out (at most @cap), their count returned. */
static size_t removed_files(struct ert_env *e, enum rhook_remove_reason reason, struct rhook_removed_file *out,
			    size_t cap)
{
	size_t n = 0;

	assert_int_equal(ert_removed(&e->rec, reason) <= cap, true);
	for (size_t i = 0; i < e->rec.num_removals; i++) {
		const struct ert_removal *x = &e->rec.removals[i];

		assert_int_equal(x->region_id != 0, true);
		for (size_t k = 0; x->reason == reason && k < x->num_files && n < cap; k++)
			out[n++] = x->files[k];
	}
	return n;
}

/* Removals of any reason. */
static size_t removed_total(struct ert_env *e)
{
	size_t n = 0;

	for (unsigned k = RHOOK_REMOVE_COMPACTION; k <= RHOOK_REMOVE_STAGING_ABORT; k++)
		n += ert_removed(&e->rec, (enum rhook_remove_reason)k);
	return n;
}

/* Watches @r from inside the hook (its manifest is read there: the mutex must be free). */
static void watch(struct ert_env *e, struct lsm_region *r, const char *dir)
{
	ert_recorder_add_region(&e->rec, lsm_region_get_id(r), dir, r);
}

static void unwatch_close(struct ert_env *e, struct lsm_region *r)
{
	ert_recorder_add_region(&e->rec, lsm_region_get_id(r), NULL, NULL);
	lsm_region_close(r);
}

/* Compaction: no removal at the commit; the purge removes exactly the inputs, with the compaction's version. */
static void test_compaction_purge(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_region_manifest before;
	struct lsm_region_op_result res;
	struct rhook_removed_file got[16];
	struct lsm_gc_stats gs;

	watch(e, r, dir);
	ert_put_flush(r, 300, 0, 1);
	ert_put_flush(r, 300, 1000, 2);
	assert_int_equal(lsm_region_manifest(r, &before), 0);
	assert_int_equal(lsm_region_compact(r, &res), 0);
	assert_int_equal(res.files_in, before.num_files);
	/* The inputs are still in data/ (a scan of the older version may read them): nothing removed yet. */
	assert_int_equal(removed_total(e), 0);
	assert_int_equal(ert_count_files(dir, "data"), before.num_files + res.files_out);

	assert_int_equal(lsm_region_gc(r, &gs), 0);
	assert_int_equal(gs.files_removed, before.num_files);
	assert_int_equal(removed_files(e, RHOOK_REMOVE_COMPACTION, got, 16), before.num_files);
	assert_int_equal(removed_total(e), before.num_files);
	for (size_t i = 0; i < before.num_files; i++) {
		const struct rhook_file_meta *fm = &before.files[i];
		bool found = false;

		for (size_t k = 0; k < before.num_files; k++) {
			if (!rhook_file_id_equal(&got[k].file_id, &fm->file_id))
				continue;
			found = true;
			assert_int_equal(got[k].level, 0);
			assert_int_equal(got[k].file_size, fm->file_size);
			assert_int_equal(got[k].num_rows, fm->num_rows);
			assert_int_equal(got[k].removed_version, res.version);
		}
		assert_true(found);
	}
	/* A second GC finds nothing more. */
	assert_int_equal(lsm_region_gc(r, &gs), 0);
	assert_int_equal(removed_total(e), before.num_files);
	lsm_region_manifest_clear(&before);
	unwatch_close(e, r);
}

/* Truncate (all, and a list of files): removed once purged, with the truncation's version. */
static void test_truncate_purge(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_region_manifest m;
	struct rhook_removed_file got[16];
	rhook_file_id one;
	uint64_t v;

	watch(e, r, dir);
	ert_put_flush(r, 200, 0, 1);
	ert_put_flush(r, 200, 1000, 1);
	assert_int_equal(lsm_region_manifest(r, &m), 0);
	one = m.files[0].file_id;
	lsm_region_manifest_clear(&m);
	assert_int_equal(lsm_region_truncate_files(r, &one, 1), 0);
	v = ert_version(r);
	assert_int_equal(removed_total(e), 0);
	assert_int_equal(lsm_region_gc(r, NULL), 0);
	assert_int_equal(removed_files(e, RHOOK_REMOVE_TRUNCATE, got, 16), 1);
	assert_true(rhook_file_id_equal(&got[0].file_id, &one));
	assert_int_equal(got[0].removed_version, v);

	assert_int_equal(lsm_region_manifest(r, &m), 0);
	assert_int_equal(lsm_region_truncate(r), 0);
	v = ert_version(r);
	assert_int_equal(lsm_region_gc(r, NULL), 0);
	assert_int_equal(removed_files(e, RHOOK_REMOVE_TRUNCATE, got, 16), 1 + m.num_files);
	for (size_t i = 0; i < m.num_files; i++)
		assert_true(ert_removed_id(&e->rec, RHOOK_REMOVE_TRUNCATE, &m.files[i].file_id));
	assert_int_equal(got[1].removed_version, v);
	assert_int_equal(removed_total(e), 1 + m.num_files);
	assert_int_equal(ert_count_files(dir, "data"), 0);
	lsm_region_manifest_clear(&m);
	unwatch_close(e, r);
}

/* Drop: every SST of data/, live or waiting for GC, at once. */
static void test_drop(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_region_manifest m;
	size_t on_disk;

	watch(e, r, dir);
	ert_put_flush(r, 300, 0, 1);
	ert_put_flush(r, 300, 1000, 1);
	assert_int_equal(lsm_region_compact(r, NULL), 0);
	assert_int_equal(lsm_region_manifest(r, &m), 0);
	on_disk = ert_count_files(dir, "data");
	assert_int_equal(on_disk, 2 + m.num_files); /* the compaction's inputs wait for GC */
	assert_int_equal(lsm_region_drop(r), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(ert_removed(&e->rec, RHOOK_REMOVE_DROP), on_disk);
	assert_int_equal(removed_total(e), on_disk);
	for (size_t i = 0; i < m.num_files; i++)
		assert_true(ert_removed_id(&e->rec, RHOOK_REMOVE_DROP, &m.files[i].file_id));
	lsm_region_manifest_clear(&m);
	unwatch_close(e, r);
}

/* A failed flush's outputs are deleted at once (reason orphan); so are a failed compaction's. */
static void test_failed_outputs(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct rhook_removed_file got[16];
	size_t announced;

	watch(e, r, dir);
	ert_put(r, 1200, 300, 0, 1);
	lsm_engine_set_fault(e->engine, LSM_FAULT_PERSIST, -EIO, 0);
	assert_int_equal(lsm_region_flush(r, NULL), -EIO);
	announced = e->rec.calls[0].num_files;
	assert_int_equal(announced, 3);
	assert_int_equal(removed_files(e, RHOOK_REMOVE_ORPHAN, got, 16), announced);
	for (size_t i = 0; i < announced; i++) {
		assert_true(ert_removed_id(&e->rec, RHOOK_REMOVE_ORPHAN, &e->rec.calls[0].files[i]));
		assert_int_equal(got[i].removed_version, 0);
		assert_int_equal(got[i].level, 0);
		assert_true(got[i].file_size > 0);
	}
	assert_int_equal(ert_count_files(dir, "data"), 0);

	/* The rows stayed: the retry commits, and a compaction that fails loses its outputs the same way. */
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	ert_put_flush(r, 100, 5000, 2);
	ert_recorder_reset(&e->rec);
	lsm_engine_set_fault(e->engine, LSM_FAULT_PERSIST, -EIO, 0);
	assert_int_equal(lsm_region_compact(r, NULL), -EIO);
	assert_int_equal(ert_count(&e->rec, ERT_SST), 1);
	assert_int_equal(removed_files(e, RHOOK_REMOVE_ORPHAN, got, 16), e->rec.calls[0].num_files);
	assert_int_equal(got[0].level, 1);
	assert_int_equal(removed_total(e), e->rec.calls[0].num_files);
	unwatch_close(e, r);
}

/* Leftovers of a crash (an SST never committed) are counted at open and reported by GC as orphans. */
static void test_orphan_at_open(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64], fid[RHOOK_FILE_ID_STRLEN];
	struct lsm_region *r = ert_region(e, dir);
	struct rhook_removed_file got[4];
	struct ert_rows rows;
	rhook_file_id id = rhook_file_id_generate();
	long size;
	FILE *f;

	ert_put_flush(r, 100, 0, 1);
	lsm_region_close(r);
	rhook_file_id_format(&id, fid);
	snprintf(path, sizeof(path), "%s/data/%s.sst", dir, fid);
	ert_rows_make(&rows, 50, 10, 0, 3);
	assert_int_equal(lsm_sst_write_file(path, rows.rows, rows.n), 0);
	ert_rows_free(&rows);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	fclose(f);

	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	watch(e, r, dir);
	assert_int_equal(lsm_region_orphans(r), 1);
	assert_int_equal(removed_total(e), 0);
	assert_int_equal(lsm_region_gc(r, NULL), 0);
	assert_int_equal(removed_files(e, RHOOK_REMOVE_ORPHAN, got, 4), 1);
	assert_true(rhook_file_id_equal(&got[0].file_id, &id));
	assert_int_equal(got[0].level, RHOOK_LEVEL_UNKNOWN);
	assert_int_equal(got[0].file_size, (uint64_t)size);
	assert_int_equal(got[0].removed_version, 0);
	assert_int_equal(removed_total(e), 1);
	unwatch_close(e, r);
}

/* Abandoned staging: the files remap mapped in are purged as staging_abort. */
static void test_staging_abort(void **state)
{
	struct ert_env *e = *state;
	char sdir[ERT_PATH], ddir[ERT_PATH];
	struct lsm_region *src = ert_region(e, sdir), *dst = ert_region(e, ddir);
	struct lsm_region_manifest sm;

	watch(e, dst, ddir);
	ert_put_flush(src, 300, 0, 1);
	assert_int_equal(lsm_region_manifest(src, &sm), 0);
	assert_int_equal(lsm_region_enter_staging(dst, "host < 'k1'"), 0);
	assert_int_equal(lsm_region_remap(dst, src), 0);
	/* Remap is bookkeeping: nothing removed. */
	assert_int_equal(removed_total(e), 0);
	assert_int_equal(lsm_region_abort_staging(dst), 0);
	assert_int_equal(lsm_region_gc(dst, NULL), 0);
	assert_int_equal(ert_removed(&e->rec, RHOOK_REMOVE_STAGING_ABORT), sm.num_files);
	for (size_t i = 0; i < sm.num_files; i++)
		assert_true(ert_removed_id(&e->rec, RHOOK_REMOVE_STAGING_ABORT, &sm.files[i].file_id));
	assert_int_equal(removed_total(e), sm.num_files);
	/* The source keeps its files. */
	assert_int_equal(ert_count_files(sdir, "data"), sm.num_files);
	lsm_region_manifest_clear(&sm);
	unwatch_close(e, dst);
	lsm_region_close(src);
}

/* No removal: copy (the source keeps its files), follower open and sync, checkpoint, GC with nothing to purge. */
static void test_no_removal(void **state)
{
	struct ert_env *e = *state;
	char sdir[ERT_PATH], ddir[ERT_PATH];
	struct lsm_region *src = ert_region(e, sdir), *dst = ert_region(e, ddir), *follower;

	ert_put_flush(src, 300, 0, 1);
	assert_int_equal(lsm_region_copy_files(dst, src, NULL, 0), 0);
	assert_int_equal(lsm_region_open(e->engine, sdir, LSM_ROLE_FOLLOWER, &follower), 0);
	ert_put_flush(src, 300, 1000, 2);
	assert_int_equal(lsm_region_compact(src, NULL), 0);
	assert_int_equal(lsm_region_sync(follower), 0);
	assert_int_equal(lsm_region_checkpoint(src), 0);
	assert_int_equal(lsm_region_checkpoint(dst), 0);
	assert_int_equal(lsm_region_gc(dst, NULL), 0);
	assert_int_equal(removed_total(e), 0);
	/* The source's GC purges its compaction inputs, the copies in dst stay. */
	lsm_region_close(follower);
	assert_int_equal(lsm_region_gc(src, NULL), 0);
	assert_int_equal(removed_total(e), ert_removed(&e->rec, RHOOK_REMOVE_COMPACTION));
	assert_true(ert_removed(&e->rec, RHOOK_REMOVE_COMPACTION) > 0);
	for (size_t i = 0; i < e->rec.num_removals; i++)
		assert_int_equal(e->rec.removals[i].region_id, lsm_region_get_id(src));
	assert_true(ert_count_files(ddir, "data") > 0);
	lsm_region_close(src);
	lsm_region_close(dst);
}

/* A region reopened after a compaction: the replay knows why the inputs went (not orphans). */
static void test_reason_survives_reopen(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_region_op_result res;

	ert_put_flush(r, 300, 0, 1);
	ert_put_flush(r, 300, 1000, 2);
	assert_int_equal(lsm_region_compact(r, &res), 0);
	lsm_region_close(r);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	watch(e, r, dir);
	assert_int_equal(lsm_region_gc(r, NULL), 0);
	assert_int_equal(ert_removed(&e->rec, RHOOK_REMOVE_COMPACTION), res.files_in);
	assert_int_equal(removed_total(e), res.files_in);
	assert_int_equal(e->rec.removals[0].files[0].removed_version, res.version);
	unwatch_close(e, r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_compaction_purge, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_purge, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_drop, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_failed_outputs, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_orphan_at_open, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_staging_abort, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_no_removal, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_reason_survives_reopen, ert_fixture_setup, ert_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
