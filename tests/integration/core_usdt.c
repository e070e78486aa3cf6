/*
 * core_usdt.c - USDT probes: every rhook event has a probe with a
 * semaphore in librhook's ELF notes, and perf can attach to one and
 * record a real event with its arguments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt.h"
#include "wire/events.h"

static char lib[PATH_MAX];

static void test_notes_list_every_event(void **state)
{
	char *argv[] = { "readelf", "-n", lib, NULL };
	char *out;
	int found = 0;

	(void)state;
	assert_int_equal(rt_run(argv, NULL, &out, NULL), 0);
#define CHECK_PROBE(num, name, FIELDS)                                                                    \
	{                                                                                                 \
		const char *p = strstr(out, "Provider: rhook\n    Name: " #name "\n");                    \
		const char *sem = p ? strstr(p, "Semaphore: 0x") : NULL;                                  \
		if (!p || !sem || !strncmp(sem, "Semaphore: 0x0000000000000000", 29))                     \
			fail_msg("no USDT probe rhook:%s with a semaphore in %s", #name, lib);            \
		found++;                                                                                  \
	}
	RHW_EVENTS(CHECK_PROBE)
#undef CHECK_PROBE
	assert_int_equal(found, RHW_EV_MAX_ID);
	free(out);
}

/* perf attaches through the semaphore: the workload then builds and reports real events. */
static void test_perf_records_probe(void **state)
{
	char dir[PATH_MAX], data[PATH_MAX + 16];
	char *add[] = { "perf", "probe", "-x", lib, "sdt_rhook:manifest_commit", NULL };
	char *del[] = { "perf", "probe", "-d", "sdt_rhook:manifest_commit", NULL };
	char *cache[] = { "perf", "buildid-cache", "--add", lib, NULL };
	char *err;
	int st;

	(void)state;
	if (access("/usr/bin/perf", X_OK)) {
		skip(); /* perf is not part of the build dependencies */
		return;
	}
	rt_tmpdir(dir, "usdt");
	snprintf(data, sizeof(data), "%s/perf.data", dir);
	rt_run(cache, NULL, NULL, &err);
	free(err);
	st = rt_run(add, NULL, NULL, &err);
	if (st) {
		/* No uprobes here (container without tracefs or privileges). */
		fprintf(stderr, "perf probe unavailable, skipping: %s", err);
		free(err);
		tc_rmtree(dir);
		skip();
		return;
	}
	free(err);
	{
		char *rec[] = { "perf", "record", "-q", "-o", data, "-e", "sdt_rhook:manifest_commit",
				(char *)rt_bin("core_lttng_workload"), NULL };
		char *script[] = { "perf", "script", "-i", data, NULL };
		char *env[] = { "RHOOK_LTTNG=on", NULL };
		char *out;
		size_t n = 0;

		st = rt_run(rec, env, NULL, NULL);
		rt_run(del, NULL, NULL, NULL);
		assert_int_equal(st, 0);
		assert_int_equal(rt_run(script, NULL, &out, NULL), 0);
		/* The workload commits 5 times (one failure): arg1 is the region id. */
		for (const char *p = out; (p = strstr(p, "sdt_rhook:manifest_commit:")); p++)
			n++;
		if (n != 5 || !strstr(out, "arg1=4398046511109"))
			fail_msg("perf saw %zu manifest_commit probes:\n%s", n, out);
		free(out);
	}
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notes_list_every_event),
		cmocka_unit_test(test_perf_records_probe),
	};

	snprintf(lib, sizeof(lib), "%s/librhook.so", getenv("RHOOK_LIB_DIR") ? getenv("RHOOK_LIB_DIR") : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
