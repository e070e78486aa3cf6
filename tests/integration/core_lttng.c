/*
 * core_lttng.c - the hook core under a real LTTng session: a workload
 * process commits manifest updates and writes SSTs while lttng records
 * rhook:*; babeltrace2 must show every expected event with the right
 * field values, each version's manifest_commit before its
 * manifest_updated, and nothing for the failed write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt.h"

/* Index of the first event named @name whose fields match the given pairs, or -1. */
static long find(const struct rt_trace *t, const char *name, const char *k1, const char *v1, const char *k2,
		 const char *v2, const char *k3, const char *v3)
{
	for (size_t i = 0; i < t->num_events; i++) {
		const struct rt_event *e = &t->events[i];
		const char *a = k1 ? rt_field(e, k1) : NULL, *b = k2 ? rt_field(e, k2) : NULL;
		const char *c = k3 ? rt_field(e, k3) : NULL;

		if (strcmp(e->name, name) || (k1 && (!a || strcmp(a, v1))) || (k2 && (!b || strcmp(b, v2))) ||
		    (k3 && (!c || strcmp(c, v3))))
			continue;
		return (long)i;
	}
	return -1;
}

static void expect_field(const struct rt_event *e, const char *key, const char *want)
{
	const char *got = rt_field(e, key);

	if (!got || strcmp(got, want))
		fail_msg("%s: %s = %s, want %s", e->name, key, got ? got : "(missing)", want);
}

static void test_workload_under_lttng(void **state)
{
	char dir[PATH_MAX];
	struct rt_trace t;
	char *argv[] = { (char *)rt_bin("core_lttng_workload"), NULL };
	char *out, *line, *save;
	size_t files = 0, commits = 0, updated = 0, dispatches = 0;

	(void)state;
	rt_lttng_record(argv, "lttng", dir, &out, &t);

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char w[11][160];
		int n = sscanf(line, "%159s %159s %159s %159s %159s %159s %159s %159s %159s %159s %159s", w[0], w[1],
			       w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10]);
		long i;

		if (!strcmp(w[0], "file") && n == 11) {
			i = find(&t, "rhook:sst_file_written", "file_id", w[1], NULL, NULL, NULL, NULL);
			if (i < 0)
				fail_msg("no sst_file_written for %s", w[1]);
			expect_field(&t.events[i], "region_id", w[2]);
			expect_field(&t.events[i], "level", w[3]);
			expect_field(&t.events[i], "file_size", w[4]);
			expect_field(&t.events[i], "num_rows", w[5]);
			expect_field(&t.events[i], "num_row_groups", w[6]);
			expect_field(&t.events[i], "index_file_size", w[7]);
			expect_field(&t.events[i], "time_start", w[8]);
			expect_field(&t.events[i], "time_end", w[9]);
			expect_field(&t.events[i], "origin", w[10]);
			expect_field(&t.events[i], "time_unit", "ms");
			files++;
		} else if (!strcmp(w[0], "commit") && n == 5) {
			i = find(&t, "rhook:manifest_commit", "version", w[2], "cause", w[3], "result", w[4]);
			if (i < 0)
				fail_msg("no manifest_commit version %s cause %s result %s", w[2], w[3], w[4]);
			expect_field(&t.events[i], "region_id", w[1]);
			commits++;
		} else if (!strcmp(w[0], "updated") && n == 10) {
			long c = find(&t, "rhook:manifest_commit", "version", w[2], "result", "0", NULL, NULL);

			i = find(&t, "rhook:manifest_updated", "version", w[2], NULL, NULL, NULL, NULL);
			if (i < 0)
				fail_msg("no manifest_updated version %s", w[2]);
			/* Receipt after unlock: the commit event comes first. */
			if (c < 0 || c > i)
				fail_msg("version %s: manifest_commit at %ld, manifest_updated at %ld", w[2], c, i);
			expect_field(&t.events[i], "region_id", w[1]);
			expect_field(&t.events[i], "cause", w[3]);
			expect_field(&t.events[i], "action_kinds", w[4]);
			expect_field(&t.events[i], "num_actions", w[5]);
			expect_field(&t.events[i], "flushed_entry_id", w[6]);
			expect_field(&t.events[i], "flushed_sequence", w[7]);
			expect_field(&t.events[i], "files_added", w[8]);
			expect_field(&t.events[i], "files_removed", w[9]);
			updated++;
		} else if (!strcmp(w[0], "dispatch") && n == 4) {
			dispatches++;
		} else {
			fail_msg("unexpected workload line: %s", line);
		}
	}
	assert_int_equal(files, 3);
	assert_int_equal(commits, 5);
	assert_int_equal(updated, 3);
	/* Nothing more than what the workload did: the failed write notified nobody. */
	assert_int_equal(rt_count(&t, "rhook:sst_file_written"), files);
	assert_int_equal(rt_count(&t, "rhook:manifest_commit"), commits);
	assert_int_equal(rt_count(&t, "rhook:manifest_updated"), updated);
	assert_int_equal(rt_count(&t, "rhook:hook_dispatch"), dispatches);
	assert_true(find(&t, "rhook:hook_dispatch", "callback", "on_sst_files_written", "num_hooks", "1", NULL, NULL) >= 0);
	assert_true(find(&t, "rhook:hook_dispatch", "callback", "on_manifest_updated", "num_hooks", "1", NULL, NULL) >= 0);
	assert_true(find(&t, "rhook:flush_begin", "rows", "3000", "bytes", "1048576", NULL, NULL) >= 0);
	assert_true(find(&t, "rhook:flush_end", "files", "3", "status", "0", NULL, NULL) >= 0);
	assert_true(find(&t, "rhook:compaction_begin", "input_files", "2", "mode", "local", NULL, NULL) >= 0);
	assert_true(find(&t, "rhook:compaction_end", "output_files", "1", "bytes_out", "10002", NULL, NULL) >= 0);
	free(out);
	rt_trace_free(&t);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workload_under_lttng),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
