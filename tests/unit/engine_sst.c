/*
 * engine_sst.c - the engine's file formats in isolation: SST write and
 * verified read, every kind of damage the reader must catch, the merge
 * (latest sequence wins, truncation), and index files.
 */
#define _GNU_SOURCE
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

#include <cmocka.h>

#include "engine_rt.h"
#include "index.h"
#include "rows.h"
#include "rt.h"
#include "sst.h"

struct fixture {
	char dir[PATH_MAX];
	int fd;
	char keys[1000][16];
	struct lsm_row rows[1000];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	rt_tmpdir(f->dir, "sst");
	f->fd = open(f->dir, O_RDONLY | O_DIRECTORY);
	/* Sorted and unique: 100 keys x 10 timestamps, sequence = position + 1. */
	for (int i = 0; i < 1000; i++) {
		int kl = snprintf(f->keys[i], sizeof(f->keys[i]), "key%03d", i / 10);

		f->rows[i] = (struct lsm_row){ .ts = i % 10, .seq = (uint64_t)i + 1, .key = (const uint8_t *)f->keys[i],
						 .key_len = (uint32_t)kl, .value = (const uint8_t *)f->keys[i],
						 .value_len = (uint32_t)kl };
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->fd);
	tc_rmtree(f->dir);
	free(f);
	return 0;
}

static void test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct lsm__sst_summary w, r;
	struct lsm_row_set set = { 0 };

	assert_int_equal(lsm__sst_write(NULL, f->fd, "a.sst", f->rows, 1000, 64, &w), 0);
	assert_int_equal(w.num_rows, 1000);
	assert_int_equal(w.num_row_groups, 16);
	assert_int_equal(w.num_series, 100);
	assert_int_equal(w.ts_min, 0);
	assert_int_equal(w.ts_max, 9);
	assert_int_equal(w.min_seq, 1);
	assert_int_equal(w.max_seq, 1000);
	assert_int_equal(lsm__sst_read(NULL, f->fd, f->dir, "a.sst", false, 0, &set, &r), 0);
	assert_int_equal(r.file_size, w.file_size);
	assert_int_equal(r.num_series, 100);
	assert_int_equal(r.max_row_group_size, w.max_row_group_size);
	assert_int_equal(r.key_min_len, 6);
	assert_memory_equal(r.key_min, "key000", 6);
	assert_memory_equal(r.key_max, "key099", 6);
	assert_int_equal(set.num_rows, 1000);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(lsm__row_cmp(&set.rows[i], &f->rows[i]), 0);
		assert_memory_equal(set.rows[i].value, f->rows[i].value, f->rows[i].value_len);
	}
	lsm_row_set_free(&set);
	/* A file-level sequence (ingested file) replaces every row's. */
	assert_int_equal(lsm__sst_read(NULL, f->fd, f->dir, "a.sst", true, 77, &set, NULL), 0);
	for (size_t i = 0; i < set.num_rows; i++)
		assert_int_equal(set.rows[i].seq, 77);
	lsm_row_set_free(&set);
	/* Never over an existing file. */
	assert_int_equal(lsm__sst_write(NULL, f->fd, "a.sst", f->rows, 1000, 64, &w), -EEXIST);
}

/* Writes a.sst, damages it with @damage, and expects the reader to name @what. */
static void expect_damage(struct fixture *f, void (*damage)(const char *path), const char *what)
{
	struct lsm__sst_summary w;
	struct lsm_row_set set = { 0 };
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/a.sst", f->dir);
	unlink(path);
	assert_int_equal(lsm__sst_write(NULL, f->fd, "a.sst", f->rows, 1000, 64, &w), 0);
	damage(path);
	assert_int_equal(lsm__sst_read(NULL, f->fd, f->dir, "a.sst", false, 0, &set, NULL), -EBADMSG);
	if (!strstr(lsm_engine_errmsg(), what))
		fail_msg("'%s' does not say '%s'", lsm_engine_errmsg(), what);
	assert_int_equal(set.num_rows, 0);
	lsm_row_set_free(&set);
}

static void flip_footer(const char *path)
{
	ert_flip(path, -40);
}

static void flip_group(const char *path)
{
	ert_flip(path, 100);
}

static void flip_header(const char *path)
{
	ert_flip(path, 0);
}

static void cut_tail(const char *path)
{
	struct stat st;

	stat(path, &st);
	assert_int_equal(truncate(path, st.st_size - 3), 0);
}

static void cut_short(const char *path)
{
	assert_int_equal(truncate(path, 10), 0);
}

static void test_damage(void **state)
{
	struct fixture *f = *state;

	expect_damage(f, flip_footer, "footer checksum mismatch");
	expect_damage(f, flip_group, "row group checksum mismatch");
	expect_damage(f, flip_header, "bad header");
	expect_damage(f, cut_tail, "footer magic missing");
	expect_damage(f, cut_short, "too short");
}

static void test_write_fault_tears_file(void **state)
{
	struct fixture *f = *state;
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .workers = 1 };
	struct lsm__sst_summary w;
	struct lsm_row_set set = { 0 };
	struct lsm_engine *e;

	assert_int_equal(lsm_engine_new(&cfg, &e), 0);
	lsm_engine_set_fault(e, LSM_FAULT_SST_WRITE, -EIO, 3);
	assert_int_equal(lsm__sst_write(e, f->fd, "t.sst", f->rows, 1000, 64, &w), -EIO);
	/* What was left is recognised as torn. */
	assert_int_equal(lsm__sst_read(NULL, f->fd, f->dir, "t.sst", false, 0, &set, NULL), -EBADMSG);
	lsm_row_set_free(&set);
	/* The failpoint fired once and disarmed. */
	assert_int_equal(lsm__sst_write(e, f->fd, "u.sst", f->rows, 1000, 64, &w), 0);
	lsm_engine_free(e);
}

static void test_merge(void **state)
{
	struct lsm_row_set set = { 0 };
	const struct lsm_row in[] = {
		{ .ts = 1, .seq = 5, .key = (const uint8_t *)"b", .key_len = 1, .value = (const uint8_t *)"old", .value_len = 3 },
		{ .ts = 1, .seq = 9, .key = (const uint8_t *)"b", .key_len = 1, .value = (const uint8_t *)"new", .value_len = 3 },
		{ .ts = 2, .seq = 3, .key = (const uint8_t *)"a", .key_len = 1, .value = (const uint8_t *)"x", .value_len = 1 },
		{ .ts = 0, .seq = 2, .key = (const uint8_t *)"ab", .key_len = 2, .value = (const uint8_t *)"y", .value_len = 1 },
		{ .ts = 0, .seq = 1, .key = (const uint8_t *)"a", .key_len = 1, .value = (const uint8_t *)"z", .value_len = 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(lsm__rows_push(&set, &in[i]), 0);
	lsm__rows_merge(&set, 0);
	assert_int_equal(set.num_rows, 4);
	assert_memory_equal(set.rows[0].key, "a", 1);
	assert_int_equal(set.rows[0].ts, 0);
	assert_int_equal(set.rows[1].ts, 2);
	assert_int_equal(set.rows[2].key_len, 2);
	assert_memory_equal(set.rows[3].value, "new", 3);
	/* Truncated up to sequence 3: only what came later stays. */
	lsm__rows_merge(&set, 3);
	assert_int_equal(set.num_rows, 1);
	assert_int_equal(set.rows[0].seq, 9);
	lsm_row_set_free(&set);
}

static void test_index(void **state)
{
	struct fixture *f = *state;
	struct rhook_index_output out;
	struct rhook_file_meta fm = { .file_id = rhook_file_id_generate(), .available_indexes = RHOOK_INDEX_BLOOM,
				      .index_version = 1 };
	char name[LSM__INDEX_NAME_MAX], path[PATH_MAX + LSM__INDEX_NAME_MAX];
	unsigned misses = 0;

	assert_int_equal(lsm__index_write(f->fd, &fm.file_id, 1, f->rows, 1000, 64, &out), 0);
	assert_true(out.bloom_size > 0 && out.inverted_size > 0);
	assert_int_equal(out.version, 1);
	for (int i = 0; i < 1000; i += 10)
		assert_true(lsm__index_may_contain(f->fd, &fm, f->rows[i].key, f->rows[i].key_len));
	for (int i = 0; i < 200; i++) {
		char k[16];
		int kl = snprintf(k, sizeof(k), "absent%d", i);

		misses += !lsm__index_may_contain(f->fd, &fm, (const uint8_t *)k, (uint32_t)kl);
	}
	/* Ten bits per key: far more than half of the absent keys are ruled out. */
	assert_true(misses > 150);
	/* A damaged or missing index never hides a key. */
	lsm__index_name(&fm.file_id, 1, name);
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	ert_flip(path, 50);
	assert_true(lsm__index_may_contain(f->fd, &fm, (const uint8_t *)"absent1", 7));
	fm.index_version = 2;
	assert_true(lsm__index_may_contain(f->fd, &fm, (const uint8_t *)"absent1", 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_fault_tears_file, setup, teardown),
		cmocka_unit_test(test_merge),
		cmocka_unit_test_setup_teardown(test_index, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
