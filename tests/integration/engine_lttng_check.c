/*
 * engine_lttng_check.c - an LTTng trace of engine_lttng_workload against
 * the workload's output (see engine_lttng_check.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_lttng_check.h"

static long find(const struct rt_trace *t, const char *name, const char *k1, const char *v1, const char *k2,
		 const char *v2)
{
	for (size_t i = 0; i < t->num_events; i++) {
		const struct rt_event *e = &t->events[i];
		const char *a = rt_field(e, k1), *b = k2 ? rt_field(e, k2) : NULL;

		if (!strcmp(e->name, name) && a && !strcmp(a, v1) && (!k2 || (b && !strcmp(b, v2))))
			return (long)i;
	}
	return -1;
}

static size_t count_where(const struct rt_trace *t, const char *name, const char *k, const char *v)
{
	size_t n = 0;

	for (size_t i = 0; i < t->num_events; i++) {
		const char *f = rt_field(&t->events[i], k);

		n += !strcmp(t->events[i].name, name) && f && !strcmp(f, v);
	}
	return n;
}

static void expect_field(const struct rt_event *e, const char *key, const char *want)
{
	const char *got = rt_field(e, key);

	if (!got || strcmp(got, want))
		fail_msg("%s: %s = %s, want %s", e->name, key, got ? got : "(missing)", want);
}

void elc_check(const struct rt_trace *t, char *out)
{
	char *line, *save;
	size_t manifests = 0, files = 0, sstcalls = 0, by_cause[16] = { 0 }, removed = 0, removedcalls = 0;
	static const char *const cause_names[] = { "flush", "compaction", "remote_compaction", "edit", "copy",
						   "staging_enter", "staging_apply", "staging_exit", "alter",
						   "truncate", "index_build" };
	unsigned flushes = 0, local = 0, remote = 0;

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char w[4][64];
		int n = sscanf(line, "%63s %63s %63s %63s", w[0], w[1], w[2], w[3]);
		long i;

		if (!strcmp(w[0], "manifest") && n == 4) {
			i = find(t, "rhook:manifest_updated", "region_id", w[1], "version", w[2]);
			if (i < 0)
				fail_msg("no manifest_updated for region %s version %s", w[1], w[2]);
			expect_field(&t->events[i], "cause", w[3]);
			/* Its commit was recorded too, successful. */
			if (find(t, "rhook:manifest_commit", "version", w[2], "region_id", w[1]) < 0)
				fail_msg("no manifest_commit for region %s version %s", w[1], w[2]);
			for (size_t c = 0; c < sizeof(cause_names) / sizeof(cause_names[0]); c++)
				by_cause[c] += !strcmp(cause_names[c], w[3]);
			manifests++;
		} else if (!strcmp(w[0], "sst") && n == 3) {
			i = find(t, "rhook:sst_file_written", "file_id", w[1], NULL, NULL);
			if (i < 0)
				fail_msg("no sst_file_written for %s", w[1]);
			expect_field(&t->events[i], "origin", w[2]);
			files++;
		} else if (!strcmp(w[0], "sstcall") && n == 3) {
			sstcalls++;
		} else if (!strcmp(w[0], "removed") && n == 3) {
			/* Each deleted file has its rhook:sst_file_removed with the reason the hook got. */
			i = find(t, "rhook:sst_file_removed", "file_id", w[1], "reason", w[2]);
			if (i < 0)
				fail_msg("no sst_file_removed for %s (reason %s)", w[1], w[2]);
			removed++;
		} else if (!strcmp(w[0], "removedcall") && n == 3) {
			removedcalls++;
		} else if (!strcmp(w[0], "failed") && n == 4) {
			i = find(t, "rhook:manifest_commit", "region_id", w[1], "version", w[2]);
			if (i < 0)
				fail_msg("no manifest_commit for the failed update");
			expect_field(&t->events[i], "result", "-5");
			expect_field(&t->events[i], "cause", w[3]);
			assert_true(find(t, "rhook:manifest_updated", "region_id", w[1], "version", w[2]) < 0);
		} else if (!strcmp(w[0], "flushes") && n == 2) {
			flushes = (unsigned)atoi(w[1]);
		} else if (!strcmp(w[0], "compactions") && n == 3) {
			local = (unsigned)atoi(w[1]);
			remote = (unsigned)atoi(w[2]);
		} else {
			fail_msg("unexpected workload line: %s", line);
		}
	}
	/* Every row of the table, counted by cause: hooks and events agree one to one. */
	assert_int_equal(rt_count(t, "rhook:manifest_updated"), manifests);
	for (size_t c = 0; c < sizeof(cause_names) / sizeof(cause_names[0]); c++) {
		assert_true(by_cause[c] > 0);
		assert_int_equal(count_where(t, "rhook:manifest_updated", "cause", cause_names[c]), by_cause[c]);
	}
	assert_int_equal(rt_count(t, "rhook:sst_file_written"), files);
	assert_int_equal(count_where(t, "rhook:hook_dispatch", "callback", "on_sst_files_written"), sstcalls);
	assert_int_equal(count_where(t, "rhook:hook_dispatch", "callback", "on_manifest_updated"), manifests);
	assert_int_equal(rt_count(t, "rhook:sst_file_removed"), removed);
	assert_true(removed > 0);
	assert_int_equal(count_where(t, "rhook:hook_dispatch", "callback", "on_files_removed"), removedcalls);
	/* Job identity: every file and every flush or compaction commit names a job that began. */
	for (size_t i = 0; i < t->num_events; i++) {
		const struct rt_event *e = &t->events[i];
		const char *job = rt_field(e, "job_id"), *cause = rt_field(e, "cause");
		bool jobbed = !strcmp(e->name, "rhook:sst_file_written") ||
			      (!strcmp(e->name, "rhook:manifest_updated") && cause &&
			       (!strcmp(cause, "flush") || !strcmp(cause, "compaction") ||
				!strcmp(cause, "remote_compaction")));

		if (!jobbed)
			continue;
		if (!job || !strcmp(job, "0"))
			fail_msg("%s without a job id", e->name);
		if (find(t, "rhook:flush_begin", "job_id", job, NULL, NULL) < 0 &&
		    find(t, "rhook:compaction_begin", "job_id", job, NULL, NULL) < 0)
			fail_msg("%s names job %s, which never began", e->name, job);
	}
	assert_int_equal(rt_count(t, "rhook:flush_begin"), flushes);
	assert_int_equal(count_where(t, "rhook:flush_end", "status", "0"), flushes);
	assert_int_equal(count_where(t, "rhook:compaction_begin", "mode", "local"), local);
	assert_int_equal(count_where(t, "rhook:compaction_begin", "mode", "remote"), remote);
	assert_int_equal(count_where(t, "rhook:compaction_end", "status", "0"), local + remote);
}
