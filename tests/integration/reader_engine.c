/*
 * reader_engine.c - rhook-read on a real engine trace: rhook-demo's
 * mixed workload (flushes, local and remote compactions through
 * rhook-compactor, every manifest write of the contract) recorded by the
 * flight recorder in two processes.  check passes, stats counts both
 * processes, and babeltrace2 reads the export as rhook-read prints it.
 */
#define _GNU_SOURCE
#include "reader_common.h"

static void test_demo_trace(void **state)
{
	char base[PATH_MAX], work[PATH_MAX + 8], trace[PATH_MAX + 16], ctf[PATH_MAX + 8];
	char *out, *err;
	struct rt_trace printed, bt;
	int st;

	(void)state;
	rt_tmpdir(base, "engine");
	snprintf(work, sizeof(work), "%s/demo", base);
	snprintf(trace, sizeof(trace), "%s/trace", work);
	snprintf(ctf, sizeof(ctf), "%s/ctf", base);
	st = rt_demo(work, (const char *const[]){ "--seconds", "2", NULL });
	if (st)
		fail_msg("rhook-demo: exit %d", st);

	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "check", trace, NULL }), 0);
	assert_non_null(strstr(out, "check: OK"));
	free(out);
	free(err);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "stats", trace, NULL }), 0);
	assert_non_null(strstr(out, "(rhook-demo)"));
	assert_non_null(strstr(out, "(rhook-compactor)"));
	assert_non_null(strstr(out, "== cause remote_compaction =="));
	free(out);
	free(err);

	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "print", trace, NULL }), 0);
	assert_int_equal(rt_parse_babeltrace(out, &printed), 0);
	free(out);
	free(err);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "export", "--ctf", ctf, trace, NULL }), 0);
	free(out);
	free(err);
	assert_int_equal(rt_babeltrace(ctf, &bt), 0);
	rr_same_events(&printed, &bt, false);
	rt_trace_free(&printed);
	rt_trace_free(&bt);
	tc_rmtree(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
