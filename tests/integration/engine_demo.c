/*
 * engine_demo.c - rhook-demo coverage: one JSON object per scenario with
 * the counts of contract §2's three columns, the table otherwise, exit 2
 * on bad usage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rt.h"

static const struct {
	const char *key;
	int sst, manifest, removed;
} expected[] = {
	{ "flush", 1, 1, 0 },           { "local_compaction", 1, 1, 1 }, { "remote_compaction", 1, 1, 1 },
	{ "region_edit", 0, 1, 0 },     { "copy_region", 0, 1, 0 },      { "enter_staging", 0, 1, 0 },
	{ "apply_staging", 0, 2, 0 },   { "abandoned_staging", 0, 0, 1 }, { "alter", 0, 1, 0 },
	{ "truncate", 0, 1, 1 },        { "index_build", 0, 1, 0 },      { "follower_sync", 0, 0, 0 },
	{ "gc", 0, 0, 1 },              { "checkpoint", 0, 0, 0 },       { "drop", 0, 0, 1 },
	{ "remap", 0, 0, 0 },           { "failed_update", 0, 0, 0 },    { "failed_flush", 1, 0, 1 },
	{ "leftovers", 0, 0, 1 },
};
#define NUM (sizeof(expected) / sizeof(expected[0]))

static void test_coverage_json(void **state)
{
	char *argv[] = { (char *)rt_bin("rhook-demo"), "coverage", "--json", NULL };
	char *out, *line, *save;
	size_t n = 0;

	(void)state;
	assert_int_equal(rt_run(argv, NULL, &out, NULL), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		json_error_t jerr;
		json_t *j = json_loads(line, 0, &jerr);
		const char *key = NULL;
		json_int_t sst = -1, manifest = -1, removed = -1;

		if (!j || json_unpack(j, "{s:s, s:I, s:I, s:I}", "scenario", &key, "sst_files_written", &sst,
				      "manifest_updated", &manifest, "files_removed", &removed) ||
		    json_object_size(j) != 4)
			fail_msg("not a scenario object: %s", line);
		assert_true(n < NUM);
		assert_string_equal(key, expected[n].key);
		assert_int_equal(sst, expected[n].sst);
		assert_int_equal(manifest, expected[n].manifest);
		assert_int_equal(removed, expected[n].removed);
		json_decref(j);
	}
	assert_int_equal(n, NUM);
	free(out);
}

static void test_coverage_table_and_usage(void **state)
{
	char *table[] = { (char *)rt_bin("rhook-demo"), "coverage", NULL };
	char *unknown[] = { (char *)rt_bin("rhook-demo"), "no-such-command", NULL };
	char *bad[] = { (char *)rt_bin("rhook-demo"), "coverage", "--bogus", NULL };
	char *out, *err;

	(void)state;
	assert_int_equal(rt_run(table, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "on_sst_files_written"));
	assert_non_null(strstr(out, "on_files_removed"));
	assert_non_null(strstr(out, "apply staging"));
	assert_null(strstr(out, "MISMATCH"));
	free(out);
	assert_int_equal(rt_run(unknown, NULL, &out, &err), 2);
	assert_non_null(strstr(err, "usage: rhook-demo"));
	free(out);
	free(err);
	assert_int_equal(rt_run(bad, NULL, &out, &err), 2);
	assert_non_null(strstr(err, "usage: rhook-demo coverage"));
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coverage_json),
		cmocka_unit_test(test_coverage_table_and_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
