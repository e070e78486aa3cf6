/*
 * lttng_isolation.c - rhook's LTTng sessions record only the processes
 * they start.  A decoy (rhook-tracegen in a loop, RHOOK_LTTNG=on, a new
 * process every 0.1 s: some registered before a session, some during it)
 * runs throughout on the same lttng-sessiond.  A session with every
 * process (the control, open at the same time) shows the decoy's events;
 * the tracked sessions of the workloads show exactly theirs: the hook
 * core's workload with its exact event counts, the engine's workload and
 * the rhook-compactor it spawns (tracked through $RHOOK_LTTNG_SESSION),
 * and rhook-demo --lttng-relayd with its compactors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_lttng_check.h"

static pid_t decoy;

/* The decoy: its own process group (killed whole at teardown), never outliving the test. */
static int setup(void **state)
{
	char *tracegen = strdup(rt_bin("rhook-tracegen"));
	pid_t parent = getpid();

	(void)state;
	decoy = fork();
	if (decoy < 0)
		return -1;
	if (decoy == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		setenv("RHOOK_LTTNG", "on", 1);
		unsetenv("RHOOK_TRACE_DIR");
		unsetenv(TC_LTTNGCTL_SESSION_ENV);
		execl("/bin/sh", "sh", "-c", "while \"$0\" --threads 2 --rounds 5 >/dev/null; do sleep 0.1; done; exit 1",
		      tracegen, (char *)NULL);
		_exit(127);
	}
	setpgid(decoy, decoy);
	free(tracegen);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kill(-decoy, SIGKILL);
	while (waitpid(decoy, NULL, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static void expect_decoy_running(void)
{
	if (waitpid(decoy, NULL, WNOHANG) != 0)
		fail_msg("the decoy stopped");
}

/* Number of events of @t from the process named @procname. */
static size_t count_proc(const struct rt_trace *t, const char *procname)
{
	size_t n = 0;

	for (size_t i = 0; i < t->num_events; i++) {
		const char *p = rt_field(&t->events[i], "procname");

		if (!p)
			fail_msg("%s has no process context", t->events[i].name);
		n += !strcmp(p, procname);
	}
	return n;
}

/*
 * Every event of @t comes from a process named in @procs (NULL-terminated),
 * each of those processes has one vpid (none when @one_each is false);
 * returns the number of distinct vpids.
 */
static size_t expect_only(const struct rt_trace *t, const char *const *procs, bool one_each)
{
	const char *pid_of[8] = { NULL };
	char seen[64][16];
	size_t num_seen = 0;

	for (size_t i = 0; i < t->num_events; i++) {
		const struct rt_event *e = &t->events[i];
		const char *p = rt_field(e, "procname"), *v = rt_field(e, "vpid");
		size_t k, j;

		if (!p || !v)
			fail_msg("%s has no process context", e->name);
		for (k = 0; procs[k] && strcmp(procs[k], p); k++)
			;
		if (!procs[k])
			fail_msg("event %zu (%s) comes from %s (vpid %s), not a process of the session", i, e->name, p, v);
		if (one_each && pid_of[k] && strcmp(pid_of[k], v))
			fail_msg("two %s processes in the session: vpid %s and %s", p, pid_of[k], v);
		pid_of[k] = v;
		for (j = 0; j < num_seen && strcmp(seen[j], v); j++)
			;
		if (j == num_seen && num_seen < 64)
			snprintf(seen[num_seen++], sizeof(seen[0]), "%s", v);
	}
	return num_seen;
}

/* Stops @s, reads @trace; the decoy's events in it (the session stays stopped). */
static size_t decoy_events(struct tc_lttngctl *s, const char *trace)
{
	struct rt_trace t;
	char ust[PATH_MAX + 64];
	size_t n;

	assert_int_equal(tc_lttngctl_stop(s), 0);
	/* No trace (per-uid buffers) until a process registered in the session. */
	snprintf(ust, sizeof(ust), "%s/ust/uid/%d/64-bit/metadata", trace, (int)getuid());
	if (access(ust, F_OK))
		return 0;
	assert_int_equal(rt_babeltrace(trace, &t), 0);
	n = count_proc(&t, "rhook-tracegen");
	rt_trace_free(&t);
	return n;
}

/*
 * The hook core's workload in a tracked session while an every-process
 * session records at the same time: the control has the decoy's events,
 * the tracked session exactly the workload's (core_lttng's counts).
 */
static void test_core_workload_exact(void **state)
{
	char base[PATH_MAX], all_dir[PATH_MAX + 8], own_dir[PATH_MAX + 8], *out;
	char *argv[] = { (char *)rt_bin("core_lttng_workload"), NULL };
	struct tc_lttngctl_opts ao = { .output_dir = all_dir, .process_context = true, .all_processes = true,
				       .start = true };
	struct tc_lttngctl_opts oo = { .output_dir = own_dir, .process_context = true, .start = true };
	struct tc_lttngctl all;
	struct rt_lttng own;
	struct rt_trace t;
	size_t n;

	(void)state;
	rt_tmpdir(base, "iso-core");
	snprintf(all_dir, sizeof(all_dir), "%s/all", base);
	snprintf(own_dir, sizeof(own_dir), "%s/own", base);
	assert_int_equal(tc_lttngctl_begin(&all, &ao), 0);
	assert_int_equal(rt_lttng_begin_with(&own, &oo), 0);
	/* Wait until the decoy records into the control: it is live on this session daemon. */
	for (int i = 0; i < 100 && !decoy_events(&all, all_dir); i++) {
		assert_int_equal(tc_lttngctl_start(&all), 0);
		usleep(100000);
	}
	assert_int_equal(tc_lttngctl_start(&all), 0);
	assert_int_equal(rt_run(argv, NULL, &out, NULL), 0);
	free(out);
	usleep(300000);
	n = decoy_events(&all, all_dir);
	assert_int_equal(rt_lttng_end(&own), 0);
	assert_int_equal(tc_lttngctl_end(&all), 0);
	expect_decoy_running();
	printf("  control session: %zu decoy events\n", n);
	assert_true(n > 0);

	assert_int_equal(rt_babeltrace(own_dir, &t), 0);
	assert_int_equal(expect_only(&t, (const char *const[]){ "core_lttng_work", NULL }, true), 1);
	assert_int_equal(rt_count(&t, "rhook:sst_file_written"), 3);
	assert_int_equal(rt_count(&t, "rhook:manifest_commit"), 5);
	assert_int_equal(rt_count(&t, "rhook:manifest_updated"), 3);
	assert_int_equal(rt_count(&t, "rhook:flush_begin"), 1);
	assert_int_equal(rt_count(&t, "rhook:compaction_begin"), 1);
	rt_trace_free(&t);
	tc_rmtree(base);
}

/* The engine's workload and the compactor it spawns (a grandchild of the test): both tracked, nothing else. */
static void test_engine_and_compactor(void **state)
{
	char base[PATH_MAX], trace[PATH_MAX + 8], *out;
	char *argv[] = { (char *)rt_bin("engine_lttng_workload"), NULL };
	struct tc_lttngctl_opts o = { .output_dir = trace, .process_context = true, .start = true };
	struct rt_lttng s;
	struct rt_trace t;

	(void)state;
	rt_tmpdir(base, "iso-engine");
	snprintf(trace, sizeof(trace), "%s/trace", base);
	assert_int_equal(rt_lttng_begin_with(&s, &o), 0);
	assert_int_equal(rt_run(argv, NULL, &out, NULL), 0);
	assert_int_equal(rt_lttng_end(&s), 0);
	expect_decoy_running();
	assert_int_equal(rt_babeltrace(trace, &t), 0);
	assert_int_equal(expect_only(&t, (const char *const[]){ "engine_lttng_wo", "rhook-compactor", NULL }, true), 2);
	assert_true(count_proc(&t, "rhook-compactor") > 0);
	elc_check(&t, out);
	free(out);
	rt_trace_free(&t);
	tc_rmtree(base);
}

/* The product path: rhook-demo --lttng-relayd's session holds the demo and its compactors only. */
static void test_demo_relayd(void **state)
{
	char base[PATH_MAX], dir[PATH_MAX + 8], relay[PATH_MAX + 16], *out, *err;
	char *argv[] = { (char *)rt_bin("rhook-demo"), "--seconds", "1", "--quiet", "--dir", dir, "--lttng-relayd",
			 NULL };
	struct rt_trace t;
	int st;

	(void)state;
	rt_tmpdir(base, "iso-demo");
	snprintf(dir, sizeof(dir), "%s/run", base);
	st = rt_run(argv, NULL, &out, &err);
	if (st || !strstr(out, "LTTng trace collected") || !strstr(strstr(out, "LTTng trace collected"), "check: OK"))
		fail_msg("rhook-demo --lttng-relayd: exit %d\nstdout:\n%s\nstderr:\n%s", st, out, err);
	free(out);
	free(err);
	expect_decoy_running();
	snprintf(relay, sizeof(relay), "%s/relayd", dir);
	assert_int_equal(rt_babeltrace(relay, &t), 0);
	/* One demo process; each remote compaction is a compactor process of its own. */
	assert_true(expect_only(&t, (const char *const[]){ "rhook-demo", "rhook-compactor", NULL }, false) >= 2);
	assert_true(count_proc(&t, "rhook-demo") > 0);
	assert_true(count_proc(&t, "rhook-compactor") > 0);
	rt_trace_free(&t);
	tc_rmtree(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core_workload_exact),
		cmocka_unit_test(test_engine_and_compactor),
		cmocka_unit_test(test_demo_relayd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
