/*
 * engine_log.c - the manifest log and the version state in isolation:
 * envelopes written and verified, listings, the checkpoint pointer,
 * applying action lists (and refusing what does not apply), and a
 * checkpoint snapshot that rebuilds the same state.
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
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "util.h"
#include "rt.h"
#include "version.h"

static struct rhook_action_list *edit_list(const struct rhook_file_meta *add, size_t nadd,
					   const struct rhook_file_meta *rm, size_t nrm, uint64_t flushed)
{
	struct rhook_action_edit e = { .files_to_add = (struct rhook_file_meta *)add, .num_files_to_add = nadd,
				       .files_to_remove = (struct rhook_file_meta *)rm, .num_files_to_remove = nrm,
				       .has_flushed_sequence = flushed != 0, .flushed_sequence = flushed,
				       .has_committed_sequence = flushed != 0, .committed_sequence = flushed };
	struct rhook_action_list *l = rhook_action_list_new();

	assert_int_equal(rhook_action_list_add_edit(l, &e), 0);
	return l;
}

static void test_envelope(void **state)
{
	char dir[PATH_MAX], name[LSM__LOG_NAME_MAX], path[PATH_MAX + LSM__LOG_NAME_MAX];
	struct rhook_file_meta f = { .region_id = 5, .file_id = rhook_file_id_generate(), .num_rows = 3 };
	struct rhook_action_list *l = edit_list(&f, 1, NULL, 0, 9), *back;
	struct lsm__log_listing ls;
	uint64_t prev, size, hash, cp;
	char *json;
	size_t len;
	int fd;

	(void)state;
	rt_tmpdir(dir, "log");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(rhook_action_list_to_json(l, &json, &len), 0);
	assert_int_equal(lsm__log_write(fd, 7, 4, false, json, len, NULL, NULL), 0);
	assert_int_equal(lsm__log_write(fd, 7, 4, false, json, len, NULL, NULL), -EEXIST);
	lsm__log_name(7, false, name);
	assert_string_equal(name, "00000000000000000007.json");
	assert_int_equal(lsm__log_read(fd, dir, name, 7, &prev, &back, NULL, NULL), 0);
	assert_int_equal(prev, 4);
	assert_int_equal(back->num_actions, 1);
	assert_true(rhook_file_id_equal(&back->actions[0].u.edit.files_to_add[0].file_id, &f.file_id));
	rhook_action_list_free(back);
	/* The file must hold the version its name says. */
	assert_int_equal(lsm__log_read(fd, dir, name, 8, &prev, &back, NULL, NULL), -EBADMSG);

	assert_int_equal(lsm__log_write(fd, 7, 7, true, json, len, &size, &hash), 0);
	assert_int_equal(lsm__log_read_last_checkpoint(fd, dir, &cp), -ENOENT);
	assert_int_equal(lsm__log_write_last_checkpoint(fd, 7, size, hash), 0);
	assert_int_equal(lsm__log_read_last_checkpoint(fd, dir, &cp), 0);
	assert_int_equal(cp, 7);
	assert_int_equal(lsm__log_write_last_checkpoint(fd, 7, size + 1, hash), 0);
	assert_int_equal(lsm__log_read_last_checkpoint(fd, dir, &cp), -EBADMSG);

	snprintf(path, sizeof(path), "%s/.tmp-leftover", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	snprintf(path, sizeof(path), "%s/README", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(lsm__log_write(fd, 3, 0, false, json, len, NULL, NULL), 0);
	assert_int_equal(lsm__log_list(fd, dir, &ls), 0);
	assert_int_equal(ls.num_deltas, 2);
	assert_int_equal(ls.deltas[0], 3);
	assert_int_equal(ls.deltas[1], 7);
	assert_int_equal(ls.num_checkpoints, 1);
	assert_int_equal(ls.num_temps, 1);
	lsm__log_listing_free(&ls);
	free(json);
	rhook_action_list_free(l);
	close(fd);
	tc_rmtree(dir);
}

static void test_apply(void **state)
{
	struct rhook_file_meta a = { .region_id = 1, .file_id = rhook_file_id_generate(), .num_rows = 10 };
	struct rhook_file_meta b = { .region_id = 1, .file_id = rhook_file_id_generate(), .num_rows = 20 };
	struct rhook_file_meta a2 = a;
	struct lsm__version *v0 = lsm__version_new_empty(), *v1, *v2, *v3, *snap_v, *empty;
	struct rhook_action_list *add = edit_list(&a, 1, NULL, 0, 10), *swap = edit_list(&b, 1, &a, 1, 0);
	struct rhook_action_list *reindex, *snap, *trunc = rhook_action_list_new();
	struct rhook_action_truncate t = { .kind = RHOOK_TRUNCATE_ALL, .truncated_entry_id = 4, .truncated_sequence = 30 };

	(void)state;
	assert_int_equal(lsm__version_apply(v0, 1, add, &v1), 0);
	assert_int_equal(v1->m.version, 1);
	assert_int_equal(v1->m.num_files, 1);
	assert_int_equal(v1->m.flushed_sequence, 10);
	assert_int_equal(lsm__version_apply(v1, 2, swap, &v2), 0);
	assert_int_equal(v2->m.num_files, 1);
	assert_non_null(lsm__version_find(v2, &b.file_id));
	assert_null(lsm__version_find(v2, &a.file_id));
	/* The base is unchanged: versions are immutable. */
	assert_int_equal(v1->m.num_files, 1);
	assert_non_null(lsm__version_find(v1, &a.file_id));
	/* Removing a file the state does not hold is refused. */
	assert_int_equal(lsm__version_apply(v2, 3, swap, &v3), -ESTALE);
	/* Adding a file id again replaces its metadata (index build). */
	a2 = b;
	a2.index_version = 4;
	reindex = edit_list(&a2, 1, NULL, 0, 0);
	assert_int_equal(lsm__version_apply(v2, 3, reindex, &v3), 0);
	assert_int_equal(v3->m.num_files, 1);
	assert_int_equal(lsm__version_find(v3, &b.file_id)->index_version, 4);
	assert_int_equal(v3->m.flushed_sequence, 10); /* sequences never go back */

	/* A checkpoint's snapshot rebuilds the same state from nothing. */
	assert_int_equal(rhook_action_list_add_truncate(trunc, &t), 0);
	lsm__version_free(v1);
	assert_int_equal(lsm__version_apply(v3, 4, trunc, &v1), 0);
	assert_int_equal(v1->m.num_files, 0);
	assert_int_equal(v1->m.truncated_sequence, 30);
	lsm__version_free(v2);
	assert_int_equal(lsm__version_apply(v1, 5, add, &v2), 0);
	assert_int_equal(lsm__version_snapshot(v2, &snap), 0);
	empty = lsm__version_new_empty();
	assert_int_equal(lsm__version_apply(empty, 5, snap, &snap_v), 0);
	assert_int_equal(snap_v->m.num_files, v2->m.num_files);
	assert_int_equal(snap_v->m.truncated_sequence, 30);
	assert_int_equal(snap_v->m.truncated_entry_id, 4);
	assert_int_equal(snap_v->m.flushed_sequence, v2->m.flushed_sequence);
	assert_int_equal(snap_v->m.committed_sequence, v2->m.committed_sequence);
	assert_non_null(lsm__version_find(snap_v, &a.file_id));

	rhook_action_list_free(snap);
	rhook_action_list_free(add);
	rhook_action_list_free(swap);
	rhook_action_list_free(reindex);
	rhook_action_list_free(trunc);
	lsm__version_free(empty);
	lsm__version_free(snap_v);
	lsm__version_free(v0);
	lsm__version_free(v1);
	lsm__version_free(v2);
	lsm__version_free(v3);
}

/* The envelope is read in its canonical form only: numbers as written, nothing around them. */
static void test_envelope_canonical(void **state)
{
	static const char *const variants[] = { "{\"version\":7,\"prev\":+4,", "{\"version\": 7,\"prev\":4,",
						"{\"version\":07,\"prev\":4,", "{\"version\":7,\"prev\":-4," };
	struct rhook_action_list *l = rhook_action_list_new(), *back;
	char dir[PATH_MAX], *json, *buf, *file;
	uint64_t prev, size;
	size_t len, flen;
	int fd;

	(void)state;
	rt_tmpdir(dir, "canon");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(rhook_action_list_add_remove(l, 3), 0);
	assert_int_equal(rhook_action_list_to_json(l, &json, &len), 0);
	assert_int_equal(lsm__log_write(fd, 7, 4, false, json, len, &size, NULL), 0);
	assert_int_equal(lsm__fs_read_all(fd, "00000000000000000007.json", &file, &flen), 0);
	assert_int_equal(lsm__log_decode(file, flen, dir, "x", 7, &prev, &back), 0);
	rhook_action_list_free(back);
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		const char *rest = strstr(file, "\"xxh64\"");

		assert_true(asprintf(&buf, "%s%s", variants[i], rest) > 0);
		assert_int_equal(lsm__log_decode(buf, strlen(buf), dir, "x", 7, &prev, &back), -EBADMSG);
		assert_non_null(strstr(lsm_engine_errmsg(), "envelope unreadable"));
		free(buf);
	}
	free(file);
	free(json);
	rhook_action_list_free(l);
	close(fd);
	tc_rmtree(dir);
}

/* The tail record: written and read back; every truncation and every flipped byte refused. */
static void test_latest_record(void **state)
{
	struct lsm__log_pointer p;
	char dir[PATH_MAX], *buf;
	size_t len;
	int fd;

	(void)state;
	rt_tmpdir(dir, "latest");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(lsm__log_read_latest(fd, dir, &p), -EBADMSG);
	assert_non_null(strstr(lsm_engine_errmsg(), "/_latest: missing"));
	assert_int_equal(lsm__log_write_latest(fd, UINT64_MAX, 610, 0xfedcba9876543210u), 0);
	assert_int_equal(lsm__log_read_latest(fd, dir, &p), 0);
	assert_true(p.version == UINT64_MAX && p.size == 610 && p.hash == 0xfedcba9876543210u);
	assert_int_equal(lsm__fs_read_all(fd, "_latest", &buf, &len), 0);
	for (size_t n = 0; n < len; n++) {
		char c = buf[n];

		assert_int_equal(lsm__log_parse_latest(buf, n, dir, &p), -EBADMSG);
		buf[n] ^= 0x01;
		assert_int_equal(lsm__log_parse_latest(buf, len, dir, &p), -EBADMSG);
		assert_non_null(strstr(lsm_engine_errmsg(), "/_latest: damaged record"));
		buf[n] = c;
	}
	assert_int_equal(lsm__log_parse_latest(buf, len, dir, &p), 0);
	free(buf);
	close(fd);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_envelope_canonical),
		cmocka_unit_test(test_latest_record),
		cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
