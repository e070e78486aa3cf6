/*
 * engine_lttng.c - the engine's scenarios under a real LTTng session:
 * every notification a hook saw (in the workload and in rhook-compactor)
 * has its rhook:manifest_updated event with the same region, version and
 * the cause of the operation, every announced file its
 * rhook:sst_file_written with the origin, and there are no other such
 * events: the no-hook paths and the failed update emit none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_lttng_check.h"

static void test_engine_under_lttng(void **state)
{
	char dir[PATH_MAX], *out;
	char *argv[] = { (char *)rt_bin("engine_lttng_workload"), NULL };
	struct rt_trace t;

	(void)state;
	rt_lttng_record(argv, "elttng", dir, &out, &t);
	elc_check(&t, out);
	free(out);
	rt_trace_free(&t);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_under_lttng),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
