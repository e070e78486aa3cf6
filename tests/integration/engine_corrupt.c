/*
 * engine_corrupt.c - damaged regions: a corrupt, torn or missing manifest
 * delta (the newest one too), a missing or damaged checkpoint pointer or
 * tail record (manifest/_latest), and a corrupt SST footer each give a
 * clear error naming the file's path, and nothing on disk changes because
 * of it.  A commit that crashed between its delta and its tail record
 * keeps its version; one whose record could not be written is undone.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cmocka.h>

#include "engine_rt.h"
#include "rt.h"

/* A digest of every file name and content under @dir (recursively, sorted). */
static uint64_t digest(const char *dir)
{
	struct dirent **names;
	uint64_t h = XXH64(dir, 0, 0);
	int n = scandir(dir, &names, NULL, alphasort);

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		char path[ERT_PATH + 256];
		struct stat st;

		if (names[i]->d_name[0] == '.' && (!names[i]->d_name[1] || names[i]->d_name[1] == '.')) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		h ^= XXH64(names[i]->d_name, strlen(names[i]->d_name), h);
		assert_int_equal(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			h ^= digest(path) * 31;
		} else if (strcmp(names[i]->d_name, "LOCK") && strcmp(names[i]->d_name, "FILES.lock")) {
			char *buf = malloc((size_t)st.st_size + 1);
			FILE *f = fopen(path, "rb");

			assert_true(buf && f);
			assert_int_equal(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
			fclose(f);
			h = XXH64(buf, (size_t)st.st_size, h);
			free(buf);
		}
		free(names[i]);
	}
	free(names);
	return h;
}

/* A region at version 5 (create, 3 flushes, compaction), closed; its directory in @dir. */
static void make_region(struct ert_env *e, char dir[ERT_PATH])
{
	struct lsm_region *r = ert_region(e, dir);

	for (unsigned g = 0; g < 3; g++) {
		ert_put(r, 100, 30, g * 1000, g);
		assert_int_equal(lsm_region_flush(r, NULL), 0);
	}
	assert_int_equal(lsm_region_compact(r, NULL), 0);
	lsm_region_close(r);
}

static void delta_path(char *buf, size_t size, const char *dir, unsigned version)
{
	snprintf(buf, size, "%s/manifest/%020u.json", dir, version);
}

/* Every way of opening @dir fails with -EBADMSG naming @needle, and changes nothing. */
static void expect_damaged(struct ert_env *e, const char *dir, const char *needle)
{
	static const enum lsm_region_role roles[] = { LSM_ROLE_LEADER, LSM_ROLE_FOLLOWER, LSM_ROLE_COMPACTOR };
	char *argv[] = { (char *)rt_bin("rhook-compactor"), (char *)dir, NULL }, *err = NULL;
	uint64_t before = digest(dir);
	struct lsm_region *r;

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		assert_int_equal(lsm_region_open(e->engine, dir, roles[i], &r), -EBADMSG);
		if (!strstr(lsm_engine_errmsg(), needle))
			fail_msg("message '%s' does not name '%s'", lsm_engine_errmsg(), needle);
	}
	assert_int_equal(rt_run(argv, NULL, NULL, &err), 1);
	assert_non_null(strstr(err, needle));
	free(err);
	assert_int_equal(digest(dir), before);
	assert_int_equal(e->rec.num_calls, 0);
}

static void test_corrupt_delta(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64];

	make_region(e, dir);
	ert_recorder_reset(&e->rec);
	delta_path(path, sizeof(path), dir, 5);
	ert_flip(path, -20);
	expect_damaged(e, dir, "00000000000000000005.json: checksum mismatch");
	/* The same damage in the middle of the log. */
	ert_flip(path, -20);
	delta_path(path, sizeof(path), dir, 3);
	ert_flip(path, 60);
	expect_damaged(e, dir, "00000000000000000003.json: checksum mismatch");
}

static void test_torn_delta(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64];
	struct stat st;

	make_region(e, dir);
	ert_recorder_reset(&e->rec);
	delta_path(path, sizeof(path), dir, 5);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size / 2), 0);
	expect_damaged(e, dir, "00000000000000000005.json: torn or damaged");
}

/* "<path>: <what>": the message names the file by its path under manifest/. */
static void needle_of(char *buf, size_t size, const char *path, const char *what)
{
	assert_true((size_t)snprintf(buf, size, "%s: %s", path, what) < size);
}

/* A middle delta deleted: the one the next delta follows is named. */
static void test_missing_middle_delta(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64], needle[ERT_PATH + 128];

	make_region(e, dir);
	ert_recorder_reset(&e->rec);
	delta_path(path, sizeof(path), dir, 3);
	assert_int_equal(unlink(path), 0);
	needle_of(needle, sizeof(needle), path, "missing: 00000000000000000004.json follows version 3");
	expect_damaged(e, dir, needle);
}

/* The newest delta deleted: the region would silently open a version back. */
static void test_missing_newest_delta(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64], needle[ERT_PATH + 128];

	make_region(e, dir);
	ert_recorder_reset(&e->rec);
	delta_path(path, sizeof(path), dir, 5);
	assert_int_equal(unlink(path), 0);
	needle_of(needle, sizeof(needle), path, "missing: _latest names version 5 as committed, but the log ends at "
						"version 4");
	expect_damaged(e, dir, needle);
	/* The two newest. */
	delta_path(path, sizeof(path), dir, 4);
	assert_int_equal(unlink(path), 0);
	delta_path(path, sizeof(path), dir, 5);
	needle_of(needle, sizeof(needle), path, "missing");
	expect_damaged(e, dir, needle);
}

/* After a checkpoint and GC the log starts after version 1: without its pointer the start is gone. */
static void test_missing_last_checkpoint(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64], needle[ERT_PATH + 160];
	struct lsm_region *r;

	make_region(e, dir);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	assert_int_equal(lsm_region_checkpoint(r), 0);
	assert_int_equal(lsm_region_gc(r, NULL), 0);
	ert_put(r, 50, 10, 9000, 9);
	assert_int_equal(lsm_region_flush(r, NULL), 0); /* version 6, after the checkpoint */
	lsm_region_close(r);
	ert_recorder_reset(&e->rec);
	snprintf(path, sizeof(path), "%s/manifest/_last_checkpoint", dir);
	assert_int_equal(unlink(path), 0);
	needle_of(needle, sizeof(needle), path,
		  "missing: the oldest delta 00000000000000000006.json follows version 5, which only a checkpoint holds");
	expect_damaged(e, dir, needle);
	/* Without the delta after it, only the checkpoint is left. */
	delta_path(path, sizeof(path), dir, 6);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/manifest/_last_checkpoint", dir);
	needle_of(needle, sizeof(needle), path, "missing: checkpoints are there, but nothing names one");
	expect_damaged(e, dir, needle);
}

/* The tail record itself truncated, bit-flipped or deleted. */
static void test_damaged_latest(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64], needle[ERT_PATH + 128];
	struct stat st;

	make_region(e, dir);
	ert_recorder_reset(&e->rec);
	snprintf(path, sizeof(path), "%s/manifest/_latest", dir);
	assert_int_equal(stat(path, &st), 0);
	needle_of(needle, sizeof(needle), path, "damaged record of the newest version");
	for (off_t n = 0; n < st.st_size; n += 7) {
		char *saved = NULL;
		size_t len = 0;
		FILE *f = fopen(path, "rb");

		assert_non_null(f);
		saved = malloc((size_t)st.st_size);
		assert_int_equal(fread(saved, 1, (size_t)st.st_size, f), (size_t)st.st_size);
		fclose(f);
		assert_int_equal(truncate(path, n), 0);
		expect_damaged(e, dir, needle);
		f = fopen(path, "wb");
		len = fwrite(saved, 1, (size_t)st.st_size, f);
		fclose(f);
		assert_int_equal(len, (size_t)st.st_size);
		free(saved);
	}
	ert_flip(path, 12); /* inside the version number: the seal catches it */
	expect_damaged(e, dir, needle);
	ert_flip(path, 12);
	assert_int_equal(unlink(path), 0);
	needle_of(needle, sizeof(needle), path, "missing");
	expect_damaged(e, dir, needle);
}

/* The newest delta replaced by another well-formed delta of the same version. */
static void test_replaced_newest_delta(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64], needle[ERT_PATH + 128], other[ERT_PATH], opath[ERT_PATH + 64];
	struct lsm_region *r = ert_region(e, other);

	/* Region "other" also reaches version 5, by other writes. */
	for (unsigned g = 0; g < 4; g++) {
		ert_put(r, 10, 5, g * 100, g);
		assert_int_equal(lsm_region_flush(r, NULL), 0);
	}
	lsm_region_close(r);
	make_region(e, dir);
	ert_recorder_reset(&e->rec);
	delta_path(path, sizeof(path), dir, 5);
	delta_path(opath, sizeof(opath), other, 5);
	assert_int_equal(rename(opath, path), 0);
	needle_of(needle, sizeof(needle), path, "size or checksum disagrees with _latest");
	expect_damaged(e, dir, needle);
}

/* A crash between a commit's delta and its tail record: the version is committed and kept. */
static void test_crash_before_record(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64], saved[ERT_PATH + 64];
	struct lsm_region *r;
	struct stat before, after;

	make_region(e, dir);
	snprintf(path, sizeof(path), "%s/manifest/_latest", dir);
	snprintf(saved, sizeof(saved), "%s/latest-of-5", dir);
	assert_int_equal(link(path, saved), 0);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	ert_put(r, 50, 10, 9000, 9);
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	assert_int_equal(ert_version(r), 6);
	lsm_region_close(r);
	/* As if the process died before replacing _latest. */
	assert_int_equal(rename(saved, path), 0);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_FOLLOWER, &r), 0);
	assert_int_equal(ert_version(r), 6);
	lsm_region_close(r);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino); /* a follower writes nothing */
	/* The leader records it: deleting delta 6 now is detected. */
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	assert_int_equal(ert_version(r), 6);
	lsm_region_close(r);
	assert_int_equal(stat(path, &after), 0);
	assert_true(after.st_ino != before.st_ino);
	ert_recorder_reset(&e->rec);
	delta_path(path, sizeof(path), dir, 6);
	assert_int_equal(unlink(path), 0);
	expect_damaged(e, dir, "00000000000000000006.json: missing: _latest names version 6");
}

/* A record that cannot be written takes its delta back: nothing committed, no hook, the region as it was. */
static void test_record_write_fails(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64];
	struct lsm_region *r;
	struct stat st;

	make_region(e, dir);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	ert_recorder_reset(&e->rec);
	ert_put(r, 50, 10, 9000, 9);
	lsm_engine_set_fault(e->engine, LSM_FAULT_LATEST, -ENOSPC, 0);
	assert_int_equal(lsm_region_flush(r, NULL), -ENOSPC);
	assert_non_null(strstr(lsm_engine_errmsg(), "/manifest/_latest: cannot record manifest version 6"));
	assert_int_equal(ert_count(&e->rec, ERT_MANIFEST), 0);
	assert_int_equal(ert_version(r), 5);
	delta_path(path, sizeof(path), dir, 6);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* The next write commits normally. */
	assert_int_equal(lsm_region_flush(r, NULL), 0);
	assert_int_equal(ert_version(r), 6);
	assert_int_equal(ert_count(&e->rec, ERT_MANIFEST), 1);
	lsm_region_close(r);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_FOLLOWER, &r), 0);
	assert_int_equal(ert_version(r), 6);
	lsm_region_close(r);
}

static void test_corrupt_checkpoint(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64];
	struct lsm_region *r;

	make_region(e, dir);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	assert_int_equal(lsm_region_checkpoint(r), 0);
	lsm_region_close(r);
	ert_recorder_reset(&e->rec);
	snprintf(path, sizeof(path), "%s/manifest/%020u.checkpoint.json", dir, 5);
	ert_flip(path, 40);
	expect_damaged(e, dir, "checksum disagrees with _last_checkpoint");
	ert_flip(path, 40);
	snprintf(path, sizeof(path), "%s/manifest/_last_checkpoint", dir);
	ert_flip(path, 3);
	expect_damaged(e, dir, "_last_checkpoint: damaged pointer file");
}

static void test_corrupt_sst_footer(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], path[ERT_PATH + 64], id[RHOOK_FILE_ID_STRLEN], *err = NULL;
	char *argv[] = { (char *)rt_bin("rhook-compactor"), dir, NULL };
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_region_manifest m;
	struct lsm_row_set rows;
	uint64_t before;

	for (unsigned g = 0; g < 2; g++) {
		ert_put(r, 100, 30, g * 1000, g);
		assert_int_equal(lsm_region_flush(r, NULL), 0);
	}
	assert_int_equal(lsm_region_manifest(r, &m), 0);
	rhook_file_id_format(&m.files[0].file_id, id);
	snprintf(path, sizeof(path), "%s/data/%s.sst", dir, id);
	ert_flip(path, -30); /* inside the footer */
	ert_recorder_reset(&e->rec);
	before = digest(dir);

	assert_int_equal(lsm_region_scan(r, NULL, &rows), -EBADMSG);
	assert_non_null(strstr(lsm_engine_errmsg(), id));
	assert_non_null(strstr(lsm_engine_errmsg(), "footer checksum mismatch"));
	assert_int_equal(lsm_region_compact(r, NULL), -EBADMSG);
	assert_non_null(strstr(lsm_engine_errmsg(), "footer checksum mismatch"));
	assert_int_equal(lsm_region_build_index(r, NULL), -EBADMSG);
	assert_int_equal(e->rec.num_calls, 0);
	assert_int_equal(rt_run(argv, NULL, NULL, &err), 1);
	assert_non_null(strstr(err, "footer checksum mismatch"));
	free(err);
	assert_int_equal(digest(dir), before);

	/* Repaired, everything works again: nothing else was touched. */
	ert_flip(path, -30);
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 200);
	lsm_row_set_free(&rows);
	assert_int_equal(lsm_region_compact(r, NULL), 0);
	assert_int_equal(ert_count(&e->rec, ERT_MANIFEST), 1);
	lsm_region_manifest_clear(&m);
	lsm_region_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_corrupt_delta, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_torn_delta, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_missing_middle_delta, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_missing_newest_delta, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_missing_last_checkpoint, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_damaged_latest, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_replaced_newest_delta, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_crash_before_record, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_record_write_fails, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_checkpoint, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_sst_footer, ert_fixture_setup, ert_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
