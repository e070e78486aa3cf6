/*
 * engine_coverage.c - contract §2 on the reference engine, one test per
 * row: exactly the callbacks the table names, with the files announced
 * by on_sst_files_written being the files of the committed edit, the
 * versions following one another, and the action list being the one on
 * disk.  Remote compaction is in engine_remote.c; the no-hook paths in
 * engine_nohook.c.
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

/* The first edit of @list. */
static const struct rhook_action_edit *edit_of(const struct rhook_action_list *list)
{
	for (size_t i = 0; i < list->num_actions; i++)
		if (list->actions[i].kind == RHOOK_ACTION_EDIT)
			return &list->actions[i].u.edit;
	fail_msg("no edit in the action list");
	return NULL;
}

/* A manifest call: @version, kinds @kinds, and the same list as the delta on disk unless @dir is NULL. */
static const struct ert_call *expect_manifest(struct ert_env *e, size_t i, const char *dir, uint64_t version,
					      uint32_t kinds, bool staging)
{
	const struct ert_call *c = &e->rec.calls[i];
	struct rhook_action_list *disk;

	assert_int_equal(c->kind, ERT_MANIFEST);
	assert_int_equal(c->version, version);
	assert_non_null(c->actions);
	assert_int_equal(rhook_action_list_kinds(c->actions), kinds);
	if (!dir)
		return c;
	disk = ert_disk_delta(dir, version, staging);
	assert_non_null(disk);
	assert_true(ert_same_actions(c->actions, disk));
	rhook_action_list_free(disk);
	return c;
}

static void test_flush(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_region_op_result res;
	struct lsm_row_set rows;
	const struct ert_call *sst, *man;
	const struct rhook_action_edit *ed;
	uint64_t v0 = ert_version(r), seq;

	/* 1200 rows over 500-row files: three SSTs announced in one call. */
	seq = ert_put(r, 1200, 300, 0, 1);
	assert_int_equal(lsm_region_flush(r, &res), 0);
	assert_int_equal(e->rec.num_calls, 2);
	sst = &e->rec.calls[0];
	assert_int_equal(sst->kind, ERT_SST);
	assert_int_equal(sst->num_files, 3);
	assert_int_equal(sst->rows, 1200);
	assert_true(sst->meta_ok);
	man = expect_manifest(e, 1, dir, v0 + 1, RHOOK_ACTION_EDIT, false);
	assert_int_equal(res.version, v0 + 1);
	ed = edit_of(man->actions);
	assert_true(ert_same_ids(ed->files_to_add, ed->num_files_to_add, sst->files, sst->num_files));
	assert_int_equal(ed->num_files_to_remove, 0);
	assert_true(ed->has_flushed_sequence);
	assert_int_equal(ed->flushed_sequence, seq);
	for (size_t i = 0; i < ed->num_files_to_add; i++)
		assert_int_equal(ed->files_to_add[i].level, 0);
	assert_int_equal(ert_count_files(dir, "data"), 3);

	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 1200);
	lsm_row_set_free(&rows);
	/* An empty memtable flushes nothing and fires nothing. */
	assert_int_equal(lsm_region_flush(r, &res), 0);
	assert_int_equal(res.version, 0);
	assert_int_equal(e->rec.num_calls, 2);
	lsm_region_close(r);
}

static void test_local_compaction(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_region_manifest before;
	struct lsm_row_set rows0, rows1;
	const struct ert_call *sst, *man;
	const struct rhook_action_edit *ed;

	ert_put(r, 300, 100, 0, 1);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	/* Generation 2 overwrites the first 100 rows' (key, ts): the newest value must survive. */
	ert_put(r, 100, 100, 0, 2);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	assert_int_equal(lsm_region_manifest(r, &before), 0);
	ert_scan(r, &rows0);
	assert_int_equal(rows0.num_rows, 300);
	ert_recorder_reset(&e->rec);

	assert_int_equal(lsm_region_compact(r, NULL), 0);
	assert_int_equal(e->rec.num_calls, 2);
	sst = &e->rec.calls[0];
	assert_int_equal(sst->kind, ERT_SST);
	assert_int_equal(sst->rows, 300);
	man = expect_manifest(e, 1, dir, before.version + 1, RHOOK_ACTION_EDIT, false);
	ed = edit_of(man->actions);
	assert_true(ert_same_ids(ed->files_to_add, ed->num_files_to_add, sst->files, sst->num_files));
	assert_int_equal(ed->num_files_to_remove, before.num_files);
	for (size_t i = 0; i < before.num_files; i++) {
		bool found = false;

		for (size_t j = 0; j < ed->num_files_to_remove; j++)
			found |= rhook_file_id_equal(&before.files[i].file_id, &ed->files_to_remove[j].file_id);
		assert_true(found);
	}
	for (size_t i = 0; i < ed->num_files_to_add; i++)
		assert_int_equal(ed->files_to_add[i].level, 1);
	ert_scan(r, &rows1);
	assert_true(ert_same_rows(&rows0, &rows1));
	assert_memory_equal(rows1.rows[0].value, "g2-0", 4);
	lsm_row_set_free(&rows0);
	lsm_row_set_free(&rows1);
	lsm_region_manifest_clear(&before);
	lsm_region_close(r);
}

static void test_region_edit(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	const char *paths[1] = { path };
	struct lsm_row_set rows;
	const struct rhook_action_edit *ed;
	uint64_t v0 = ert_version(r);

	ert_put(r, 10, 10, 0, 1);
	ert_external_sst(e, "ingest", path, 50, 0, 9);
	assert_int_equal(lsm_region_ingest(r, paths, 1), 0);
	assert_int_equal(e->rec.num_calls, 1);
	ed = edit_of(expect_manifest(e, 0, dir, v0 + 1, RHOOK_ACTION_EDIT, false)->actions);
	assert_int_equal(ed->num_files_to_add, 1);
	assert_true(ed->files_to_add[0].has_sequence);
	assert_int_equal(ed->files_to_add[0].num_rows, 50);
	/* Ingested rows are newer than the memtable's: the first 10 (key, ts) take the file's values. */
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 50);
	assert_memory_equal(rows.rows[0].value, "g9-0", 4);
	lsm_row_set_free(&rows);
	/* A damaged file is refused before it joins the region. */
	assert_int_equal(truncate(path, 20), 0);
	assert_int_equal(lsm_region_ingest(r, paths, 1), -EBADMSG);
	assert_non_null(strstr(lsm_engine_errmsg(), "damaged SST"));
	assert_int_equal(e->rec.num_calls, 1);
	assert_int_equal(ert_count_files(dir, "data"), 1);
	lsm_region_close(r);
}

static void test_copy_region(void **state)
{
	struct ert_env *e = *state;
	char sdir[ERT_PATH], ddir[ERT_PATH];
	struct lsm_region *src = ert_region(e, sdir), *dst = ert_region(e, ddir);
	struct lsm_region_manifest sm;
	struct lsm_row_set a, b;
	const struct ert_call *man;
	uint64_t v0 = ert_version(dst);

	ert_put(src, 700, 50, 0, 1);
	assert_int_equal(lsm_region_flush(src, NULL), 0);
	assert_int_equal(lsm_region_build_index(src, NULL), 0);
	assert_int_equal(lsm_region_manifest(src, &sm), 0);
	ert_recorder_reset(&e->rec);

	assert_int_equal(lsm_region_copy_files(dst, src, NULL, 0), 0);
	assert_int_equal(e->rec.num_calls, 1);
	man = expect_manifest(e, 0, ddir, v0 + 1, RHOOK_ACTION_EDIT, false);
	assert_int_equal(man->region_id, lsm_region_get_id(dst));
	assert_int_equal(edit_of(man->actions)->num_files_to_add, sm.num_files);
	for (size_t i = 0; i < sm.num_files; i++) {
		const struct rhook_file_meta *fm = &edit_of(man->actions)->files_to_add[i];

		assert_int_equal(fm->region_id, lsm_region_get_id(dst));
		assert_true(fm->available_indexes != 0);
	}
	ert_scan(src, &a);
	ert_scan(dst, &b);
	assert_true(ert_same_rows(&a, &b));
	lsm_row_set_free(&a);
	lsm_row_set_free(&b);
	/* Copying files the target already has is refused and fires nothing. */
	assert_int_equal(lsm_region_copy_files(dst, src, NULL, 0), -EEXIST);
	assert_int_equal(e->rec.num_calls, 1);
	lsm_region_manifest_clear(&sm);
	lsm_region_close(src);
	lsm_region_close(dst);
}

static void test_enter_staging(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	const struct ert_call *man;
	uint64_t v0 = ert_version(r);

	assert_int_equal(lsm_region_enter_staging(r, "host < 'k00100'"), 0);
	assert_int_equal(lsm_region_get_role(r), LSM_ROLE_STAGING);
	assert_int_equal(e->rec.num_calls, 1);
	man = expect_manifest(e, 0, dir, v0 + 1, RHOOK_ACTION_PARTITION_EXPR_CHANGE, true);
	assert_string_equal(man->actions->actions[0].u.partition_expr_change.partition_expr, "host < 'k00100'");
	/* Staged, not live: the live log did not move. */
	assert_null(ert_disk_delta(dir, v0 + 1, false));
	assert_int_equal(lsm_region_abort_staging(r), 0);
	assert_int_equal(e->rec.num_calls, 1);
	assert_int_equal(lsm_region_get_role(r), LSM_ROLE_LEADER);
	lsm_region_close(r);
}

static void test_apply_staging(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	const char *paths[1] = { path };
	struct lsm_region_manifest m;
	struct lsm_row_set rows;
	const struct ert_call *staged, *exit;
	struct rhook_action_list *d1, *d2;
	uint64_t v0 = ert_version(r);

	ert_external_sst(e, "staged", path, 40, 0, 3);
	assert_int_equal(lsm_region_enter_staging(r, "host >= 'k00000'"), 0);
	ert_recorder_reset(&e->rec);

	assert_int_equal(lsm_region_apply_staging(r, paths, 1), 0);
	/* Two notifications: the staged edit, then the exit merge (merged with the backfill). */
	assert_int_equal(e->rec.num_calls, 2);
	assert_int_equal(ert_count(&e->rec, ERT_SST), 0);
	/* The staging log is gone after the exit: its edit is checked inside the merge below. */
	staged = expect_manifest(e, 0, NULL, v0 + 2, RHOOK_ACTION_EDIT, true);
	exit = &e->rec.calls[1];
	assert_int_equal(exit->kind, ERT_MANIFEST);
	/* v0+3 is the merge, v0+4 the backfill under the same hold: the later version wins. */
	assert_int_equal(exit->version, v0 + 4);
	assert_int_equal(exit->actions->num_actions, 3);
	assert_int_equal(exit->actions->actions[0].kind, RHOOK_ACTION_PARTITION_EXPR_CHANGE);
	assert_int_equal(exit->actions->actions[1].kind, RHOOK_ACTION_EDIT);
	assert_int_equal(exit->actions->actions[2].kind, RHOOK_ACTION_CHANGE);
	assert_true(ert_same_ids(exit->actions->actions[1].u.edit.files_to_add, 1,
				 &edit_of(staged->actions)->files_to_add[0].file_id, 1));
	d1 = ert_disk_delta(dir, v0 + 3, false);
	d2 = ert_disk_delta(dir, v0 + 4, false);
	assert_non_null(d1);
	assert_non_null(d2);
	assert_int_equal(rhook_action_list_extend(d1, d2), 0);
	assert_true(ert_same_actions(exit->actions, d1));
	rhook_action_list_free(d1);
	rhook_action_list_free(d2);

	assert_int_equal(lsm_region_get_role(r), LSM_ROLE_LEADER);
	assert_int_equal(lsm_region_manifest(r, &m), 0);
	assert_int_equal(m.version, v0 + 4);
	assert_string_equal(m.meta.partition_expr, "host >= 'k00000'");
	assert_int_equal(m.meta.schema_version, 2);
	assert_int_equal(m.num_files, 1);
	lsm_region_manifest_clear(&m);
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 40);
	lsm_row_set_free(&rows);
	lsm_region_close(r);
}

static void test_alter(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct rhook_region_meta meta;
	const struct ert_call *man;
	uint64_t v0 = ert_version(r);

	ert_region_meta(&meta, lsm_region_get_id(r), 1);
	assert_int_equal(lsm_region_alter(r, &meta), -EINVAL); /* the schema version must move forward */
	assert_int_equal(e->rec.num_calls, 0);
	meta.schema_version = 5;
	meta.append_mode = true;
	assert_int_equal(lsm_region_alter(r, &meta), 0);
	assert_int_equal(e->rec.num_calls, 1);
	man = expect_manifest(e, 0, dir, v0 + 1, RHOOK_ACTION_CHANGE, false);
	assert_int_equal(man->actions->actions[0].u.change.metadata.schema_version, 5);
	assert_true(man->actions->actions[0].u.change.append_mode);
	lsm_region_close(r);
}

static void test_truncate(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_row_set rows;
	const struct ert_call *man;
	uint64_t v0, seq;

	ert_put(r, 200, 50, 0, 1);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	seq = ert_put(r, 20, 50, 1000, 1); /* still in the memtable */
	v0 = ert_version(r);
	ert_recorder_reset(&e->rec);
	assert_int_equal(lsm_region_truncate(r), 0);
	assert_int_equal(e->rec.num_calls, 1);
	man = expect_manifest(e, 0, dir, v0 + 1, RHOOK_ACTION_TRUNCATE, false);
	assert_int_equal(man->actions->actions[0].u.truncate.kind, RHOOK_TRUNCATE_ALL);
	assert_int_equal(man->actions->actions[0].u.truncate.truncated_sequence, seq);
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 0);
	lsm_row_set_free(&rows);
	/* Rows written after the truncation live on, and nothing truncated comes back after a flush. */
	ert_put(r, 5, 5, 0, 2);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 5);
	assert_memory_equal(rows.rows[0].value, "g2-0", 4);
	lsm_row_set_free(&rows);
	lsm_region_close(r);
}

static void test_truncate_files(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_region_manifest m;
	struct lsm_row_set rows;
	const struct ert_call *man;
	rhook_file_id gone;

	ert_put(r, 100, 100, 0, 1);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	assert_int_equal(lsm_region_manifest(r, &m), 0);
	gone = m.files[0].file_id;
	lsm_region_manifest_clear(&m);
	ert_put(r, 100, 100, 5000, 1);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	ert_recorder_reset(&e->rec);
	assert_int_equal(lsm_region_truncate_files(r, &gone, 1), 0);
	assert_int_equal(e->rec.num_calls, 1);
	man = expect_manifest(e, 0, dir, ert_version(r), RHOOK_ACTION_TRUNCATE, false);
	assert_int_equal(man->actions->actions[0].u.truncate.kind, RHOOK_TRUNCATE_FILES);
	assert_true(ert_same_ids(man->actions->actions[0].u.truncate.files, 1, &gone, 1));
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 100);
	assert_int_equal(rows.rows[0].ts, 5000);
	lsm_row_set_free(&rows);
	/* A file no longer in the region: error, no hook. */
	assert_int_equal(lsm_region_truncate_files(r, &gone, 1), -ENOENT);
	assert_int_equal(e->rec.num_calls, 1);
	lsm_region_close(r);
}

static void test_index_build(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_region_manifest before;
	struct lsm_scan_opts opts = { .size = sizeof(opts), .key = (const uint8_t *)"k00007", .key_len = 6 };
	struct lsm_row_set rows;
	const struct ert_call *man;
	const struct rhook_action_edit *ed;
	struct lsm_region_op_result res;

	ert_put(r, 600, 60, 0, 1);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	assert_int_equal(lsm_region_manifest(r, &before), 0);
	ert_recorder_reset(&e->rec);
	assert_int_equal(lsm_region_build_index(r, &res), 0);
	assert_int_equal(res.files_out, before.num_files);
	assert_int_equal(e->rec.num_calls, 1);
	man = expect_manifest(e, 0, dir, before.version + 1, RHOOK_ACTION_EDIT, false);
	ed = edit_of(man->actions);
	assert_true(ert_same_ids(before.files, before.num_files, (rhook_file_id[]){ ed->files_to_add[0].file_id,
										    ed->files_to_add[1].file_id },
				 2));
	assert_int_equal(ed->num_files_to_remove, 0);
	for (size_t i = 0; i < ed->num_files_to_add; i++) {
		assert_int_equal(ed->files_to_add[i].available_indexes, RHOOK_INDEX_INVERTED | RHOOK_INDEX_BLOOM);
		assert_int_equal(ed->files_to_add[i].index_version, 1);
		assert_true(ed->files_to_add[i].index_file_size > 0);
	}
	/* SSTs plus one index file each. */
	assert_int_equal(ert_count_files(dir, "data"), 2 * before.num_files);
	/* Nothing left to index: no write, no hook. */
	assert_int_equal(lsm_region_build_index(r, &res), 0);
	assert_int_equal(res.version, 0);
	assert_int_equal(e->rec.num_calls, 1);
	/* A key lookup through the index finds the key's rows only. */
	assert_int_equal(lsm_region_scan(r, &opts, &rows), 0);
	assert_int_equal(rows.num_rows, 10);
	for (size_t i = 0; i < rows.num_rows; i++)
		assert_memory_equal(rows.rows[i].key, "k00007", 6);
	lsm_row_set_free(&rows);
	lsm_region_manifest_clear(&before);
	lsm_region_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flush, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_local_compaction, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_region_edit, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_copy_region, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_enter_staging, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_apply_staging, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_alter, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_truncate, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_files, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_index_build, ert_fixture_setup, ert_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
