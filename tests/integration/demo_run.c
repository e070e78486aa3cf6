/*
 * demo_run.c - the README's main job: rhook-demo's workload passes
 * rhook-read check and its summary names every cause of contract §5;
 * with --lttng-relayd, demo and compactor stream to a relay daemon on
 * loopback and the collected trace shows both processes in one timeline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt.h"

static const char *const causes[] = { "flush",         "compaction",    "remote_compaction", "edit",
				      "copy",          "staging_enter", "staging_apply",     "staging_exit",
				      "alter",         "truncate",      "index_build" };

/* Runs the demo for 2 s in @dir with @extra options; its stdout in *out. */
static void run_demo(const char *dir, const char *extra, char **out)
{
	char *argv[] = { (char *)rt_bin("rhook-demo"), "--seconds", "2", "--quiet", "--dir", (char *)dir, (char *)extra,
			 NULL };
	char *err;
	int st = rt_run(argv, NULL, out, &err);

	if (st)
		fail_msg("rhook-demo exit %d\nstdout:\n%s\nstderr:\n%s", st, *out, err);
	free(err);
}

static void expect_every_cause(const char *out)
{
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "cause %s ", causes[i]);
		if (!strstr(out, want))
			fail_msg("the summary does not name cause %s:\n%s", causes[i], out);
	}
}

static void test_demo_on_recorder(void **state)
{
	char base[PATH_MAX], dir[PATH_MAX + 8];
	char *out;

	(void)state;
	rt_tmpdir(base, "demo");
	snprintf(dir, sizeof(dir), "%s/run", base);
	run_demo(dir, NULL, &out);
	if (!strstr(out, "check: OK") || !strstr(out, "rhook-compactor"))
		fail_msg("no passing check of a trace with rhook-compactor in it:\n%s", out);
	expect_every_cause(out);
	free(out);
	tc_rmtree(base);
}

static void test_demo_through_relayd(void **state)
{
	char base[PATH_MAX], dir[PATH_MAX + 8], relay[PATH_MAX + 16];
	struct rt_trace t;
	char *out;
	const char *demo_pid = NULL, *compactor_pid = NULL;
	size_t remote = 0;

	(void)state;
	rt_tmpdir(base, "relayd");
	snprintf(dir, sizeof(dir), "%s/run", base);
	run_demo(dir, "--lttng-relayd", &out);
	if (!strstr(out, "LTTng trace collected by lttng-relayd"))
		fail_msg("no relayd trace reported:\n%s", out);
	/* Two reports (recorder, then relay), both passing and naming every cause. */
	if (!strstr(strstr(out, "LTTng trace collected"), "check: OK"))
		fail_msg("the relayd trace does not pass check:\n%s", out);
	expect_every_cause(strstr(out, "LTTng trace collected"));
	free(out);

	snprintf(relay, sizeof(relay), "%s/relayd", dir);
	assert_int_equal(rt_babeltrace(relay, &t), 0);
	assert_true(t.num_events > 0);
	for (size_t i = 0; i < t.num_events; i++) {
		const struct rt_event *e = &t.events[i];
		const char *proc = rt_field(e, "procname"), *pid = rt_field(e, "vpid");

		if (!proc || !pid)
			fail_msg("%s has no process context", e->name);
		if (!strcmp(proc, "rhook-demo"))
			demo_pid = pid;
		else if (!strcmp(proc, "rhook-compactor"))
			compactor_pid = pid;
		/* One timeline: babeltrace2 merged both processes' streams in time order. */
		if (i && e->ts_ns < t.events[i - 1].ts_ns)
			fail_msg("event %zu goes back in time", i);
		if (!strcmp(e->name, "rhook:sst_file_written") && !strcmp(rt_field(e, "origin"), "remote_compaction")) {
			if (strcmp(proc, "rhook-compactor"))
				fail_msg("a remote compaction output announced by %s", proc);
			remote++;
		}
	}
	assert_non_null(demo_pid);
	assert_non_null(compactor_pid);
	assert_string_not_equal(demo_pid, compactor_pid);
	assert_true(remote > 0);
	rt_trace_free(&t);
	tc_rmtree(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_on_recorder),
		cmocka_unit_test(test_demo_through_relayd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
