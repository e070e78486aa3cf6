/*
 * reader_lttng.c - one run recorded by the flight recorder and by a real
 * LTTng session at once: rhook-read gives the same stats and the same
 * check verdict from both, reads the LTTng trace as babeltrace2 does,
 * and merges both traces into one timeline holding each event twice.
 */
#define _GNU_SOURCE
#include "reader_common.h"

static char base[PATH_MAX], rec[PATH_MAX + 8], lt[PATH_MAX + 8];

static int setup(void **state)
{
	struct rt_lttng session;

	(void)state;
	rt_tmpdir(base, "lttng");
	snprintf(rec, sizeof(rec), "%s/rec", base);
	snprintf(lt, sizeof(lt), "%s/lt", base);
	if (rt_lttng_begin(&session, lt))
		return -1;
	/* RHOOK_LTTNG=on comes from the test's environment: both consumers record. */
	rr_tracegen(rec, (const char *const[]){ "--threads", "3", "--rounds", "30", "--fail-every", "7", NULL }, NULL);
	return rt_lttng_end(&session);
}

static int teardown(void **state)
{
	(void)state;
	tc_rmtree(base);
	return 0;
}

static char *run(const char *cmd, const char *path, int want)
{
	char *out, *err;
	int st = rr_read(&out, &err, (const char *const[]){ cmd, path, NULL });

	if (st != want)
		fail_msg("rhook-read %s %s: exit %d\n%s", cmd, path, st, err);
	free(err);
	return out;
}

static void test_same_stats(void **state)
{
	char *a = run("stats", rec, 0), *b = run("stats", lt, 0);

	(void)state;
	assert_non_null(strstr(rr_stats_body(a), "manifest_updated"));
	assert_non_null(strstr(rr_stats_body(a), "lost: 0 "));
	assert_string_equal(rr_stats_body(a), rr_stats_body(b));
	free(a);
	free(b);
}

static void test_same_check(void **state)
{
	char *a = run("check", rec, 0), *b = run("check", lt, 0);

	(void)state;
	assert_non_null(strstr(a, "check: OK"));
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* rhook-read print of the LTTng trace is babeltrace2's view of it, event for event. */
static void test_print_like_babeltrace(void **state)
{
	struct rt_trace printed, bt;
	char *text = run("print", lt, 0);

	(void)state;
	assert_int_equal(rt_parse_babeltrace(text, &printed), 0);
	assert_int_equal(rt_babeltrace(lt, &bt), 0);
	assert_true(printed.num_events > 500);
	rr_same_events(&printed, &bt, true);
	free(text);
	rt_trace_free(&printed);
	rt_trace_free(&bt);
}

/* "name|payload" of every event, sorted: what a trace holds, whatever the times and contexts. */
static char **contents(const struct rt_trace *t)
{
	char **c = calloc(t->num_events, sizeof(*c));

	for (size_t i = 0; i < t->num_events; i++)
		c[i] = rr_canon(&t->events[i], true);
	qsort(c, t->num_events, sizeof(*c), rr_cmp_str);
	return c;
}

/* Both traces in one timeline: time-ordered, and the same events twice. */
static void test_merged(void **state)
{
	struct rt_trace a, b, both;
	char *ta = run("print", rec, 0), *tb = run("print", lt, 0), *out, *err, **ca, **cb;

	(void)state;
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "print", rec, lt, NULL }), 0);
	assert_int_equal(rt_parse_babeltrace(ta, &a), 0);
	assert_int_equal(rt_parse_babeltrace(tb, &b), 0);
	assert_int_equal(rt_parse_babeltrace(out, &both), 0);
	assert_int_equal(a.num_events, b.num_events);
	assert_int_equal(both.num_events, a.num_events + b.num_events);
	for (size_t i = 1; i < both.num_events; i++)
		assert_true(both.events[i].ts_ns >= both.events[i - 1].ts_ns);
	ca = contents(&a);
	cb = contents(&b);
	for (size_t i = 0; i < a.num_events; i++) {
		assert_string_equal(ca[i], cb[i]);
		free(ca[i]);
		free(cb[i]);
	}
	free(ca);
	free(cb);
	free(ta);
	free(tb);
	free(out);
	free(err);
	rt_trace_free(&a);
	rt_trace_free(&b);
	rt_trace_free(&both);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_stats),
		cmocka_unit_test(test_same_check),
		cmocka_unit_test(test_print_like_babeltrace),
		cmocka_unit_test(test_merged),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
