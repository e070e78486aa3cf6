/*
 * reader_diff.c - rhook-read diff's verdicts on samples of known
 * distributions, where they are exact: equal samples are the same, a
 * shift seen by enough samples is beyond noise (slower or faster), too
 * few samples never are; --fail-on rules as written, triggered only by
 * their statistic, phase and cause, and refused with a message when
 * malformed.  Statistics are fed through rdr_stats_add() with
 * manifest_commit events, as a trace gives them.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "diff.h"
#include "hist.h"
#include "stats.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* @n values uniform in [lo, lo + width), scaled by @num / @den. */
static void fill(struct rdr_hist *h, size_t n, uint64_t lo, uint64_t width, uint64_t num, uint64_t den)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(rdr_hist_add(h, (lo + next_rand() % width) * num / den), 0);
}

static enum rdr_verdict verdict(const struct rdr_hist *a, const struct rdr_hist *b, enum rdr_diff_stat s)
{
	struct rdr_diff_cell c;

	rdr_diff_compare(a, b, s, &c);
	return c.verdict;
}

static void test_verdicts(void **state)
{
	struct rdr_hist base, same, slow, fast, few_base, few_slow, mid_base, mid_slow;
	struct rdr_diff_cell c;

	(void)state;
	fill(&base, 20000, 1000000, 1000000, 1, 1);
	fill(&same, 20000, 1000000, 1000000, 1, 1);    /* another draw of the same distribution */
	fill(&slow, 20000, 1000000, 1000000, 13, 10);  /* 30 % slower */
	fill(&fast, 20000, 1000000, 1000000, 7, 10);   /* 30 % faster */
	fill(&few_base, 5, 1000000, 1000000, 1, 1);
	fill(&few_slow, 5, 1000000, 1000000, 12, 10);
	fill(&mid_base, 500, 1000000, 1000000, 1, 1);
	fill(&mid_slow, 500, 1000000, 1000000, 2, 1);  /* twice as slow, 500 samples */

	for (int s = RDR_DS_P50; s < RDR_DS_MAX; s++) {
		assert_int_equal(verdict(&base, &base, s), RDR_V_SAME);
		assert_int_equal(verdict(&base, &same, s), RDR_V_SAME);
		assert_int_equal(verdict(&base, &slow, s), RDR_V_SLOWER);
		assert_int_equal(verdict(&base, &fast, s), RDR_V_FASTER);
		assert_int_equal(verdict(&slow, &base, s), RDR_V_FASTER);
		/* Five samples bound no percentile at 95 %. */
		assert_int_equal(verdict(&few_base, &few_slow, s), RDR_V_SAME);
	}
	/*
	 * 500 samples bound p50 and p90 from both sides, not p99 (563 are
	 * needed) nor p99.9: twice as slow is not beyond noise there.
	 */
	assert_int_equal(verdict(&mid_base, &mid_slow, RDR_DS_P50), RDR_V_SLOWER);
	assert_int_equal(verdict(&mid_base, &mid_slow, RDR_DS_P90), RDR_V_SLOWER);
	assert_int_equal(verdict(&mid_base, &mid_slow, RDR_DS_P99), RDR_V_SAME);
	assert_int_equal(verdict(&mid_base, &mid_slow, RDR_DS_P999), RDR_V_SAME);
	/* The max has no interval. */
	assert_int_equal(verdict(&base, &slow, RDR_DS_MAX), RDR_V_NONE);
	/* Figures are nearest-rank values of the histograms, as stats prints them, and their ratio. */
	rdr_diff_compare(&base, &slow, RDR_DS_P50, &c);
	assert_int_equal(c.base, rdr_hist_percentile(&base, 500));
	assert_int_equal(c.new, rdr_hist_percentile(&slow, 500));
	assert_true(c.ratio > 1.25 && c.ratio < 1.35);
	assert_true(c.base_lo <= c.base && c.base <= c.base_hi && c.new_lo <= c.new && c.new <= c.new_hi);
	rdr_diff_compare(&base, &slow, RDR_DS_MAX, &c);
	assert_int_equal(c.base, base.max);
	assert_int_equal(c.new, slow.max);
	rdr_hist_free(&base);
	rdr_hist_free(&same);
	rdr_hist_free(&slow);
	rdr_hist_free(&fast);
	rdr_hist_free(&few_base);
	rdr_hist_free(&few_slow);
	rdr_hist_free(&mid_base);
	rdr_hist_free(&mid_slow);
}

static void test_rules_parse(void **state)
{
	static const char *const bad[] = { "p99", "p99>10", "p99>+10", "p98>+10%", "persist.nope:p99>+10%",
					   "disk:p99>+10%", "p99>+x%", "p99>-100%", "p99>+10%%", ":p99>+10%" };
	struct rdr_diff_rule r;
	char err[256];

	(void)state;
	assert_int_equal(rdr_diff_parse_rule("p99>+10%", &r, err, sizeof(err)), 0);
	assert_int_equal(r.metric, -1);
	assert_int_equal(r.cause, -1);
	assert_int_equal(r.stat, RDR_DS_P99);
	assert_true(r.limit > 1.0999 && r.limit < 1.1001);
	assert_int_equal(rdr_diff_parse_rule("lock_hold.remote_compaction:p99.9>5%", &r, err, sizeof(err)), 0);
	assert_int_equal(r.metric, RDR_M_LOCK_HOLD);
	assert_int_equal(r.cause, 2);
	assert_int_equal(r.stat, RDR_DS_P999);
	assert_int_equal(rdr_diff_parse_rule("persist:max>-20%", &r, err, sizeof(err)), 0);
	assert_true(r.limit > 0.7999 && r.limit < 0.8001);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(rdr_diff_parse_rule(bad[i], &r, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, bad[i]));
	}
}

/* manifest_commit events of @cause with persist (and hold) drawn from [lo, lo + width) scaled by num / den. */
static void commits(struct rdr_stats *s, uint8_t cause, size_t n, uint64_t num, uint64_t den)
{
	struct rdr_proc proc = { .index = 0 };

	for (size_t i = 0; i < n; i++) {
		struct rhw_ev_manifest_commit e = { .region_id = 1, .version = i + 1, .cause = cause };
		struct rdr_event ev = { .proc = &proc, .payload = &e, .id = RHW_EV_manifest_commit };

		e.persist_ns = (1000000 + next_rand() % 1000000) * num / den;
		e.lock_hold_ns = e.persist_ns + 1000;
		e.lock_wait_ns = 500;
		rdr_stats_add(s, &ev);
	}
}

/* rdr_diff_report()'s JSON document for @rules, and how many triggered. */
static json_t *report(const struct rdr_stats *a, const struct rdr_stats *b, const char *const *rules, size_t n,
		      size_t *triggered)
{
	struct rdr_diff_rule r[RDR_DIFF_MAX_RULES];
	struct rdr_diff_side sa = { "base", a, 0 }, sb = { "new", b, 0 };
	char err[256], *text;
	FILE *f = tmpfile();
	struct rdr_out o;
	json_t *doc;
	long len;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(rdr_diff_parse_rule(rules[i], &r[i], err, sizeof(err)), 0);
	assert_non_null(f);
	assert_int_equal(rdr_out_init(&o, fileno(f)), 0);
	*triggered = rdr_diff_report(&sa, &sb, r, n, true, &o);
	assert_int_equal(rdr_out_close(&o), 0);
	len = ftell(f) > 0 ? ftell(f) : lseek(fileno(f), 0, SEEK_END);
	text = calloc(1, (size_t)len + 1);
	assert_int_equal(pread(fileno(f), text, (size_t)len, 0), len);
	fclose(f);
	doc = json_loads(text, 0, NULL);
	if (!doc)
		fail_msg("not JSON: %s", text);
	free(text);
	return doc;
}

static const char *row_verdict(json_t *doc, const char *phase, const char *cause, const char *stat)
{
	size_t i;
	json_t *row;

	json_array_foreach(json_object_get(doc, "rows"), i, row)
		if (!strcmp(json_string_value(json_object_get(row, "phase")), phase) &&
		    !strcmp(json_string_value(json_object_get(row, "cause")), cause))
			return json_string_value(
				json_object_get(json_object_get(json_object_get(row, "stats"), stat), "verdict"));
	return NULL;
}

static void test_rules_trigger(void **state)
{
	/* Causes: 0 flush (30 % slower in NEW), 1 compaction (the same distribution). */
	static const char *const rules[] = { "persist.flush:p99>+10%", "persist.compaction:p99>+10%",
					     "persist.flush:p50>+50%", "lock_wait:p50>+10%", "lock_hold:max>+5%" };
	struct rdr_stats a, b;
	size_t triggered;
	json_t *doc, *r;

	(void)state;
	rdr_stats_init(&a);
	rdr_stats_init(&b);
	commits(&a, 0, 5000, 1, 1);
	commits(&b, 0, 5000, 13, 10);
	commits(&a, 1, 5000, 1, 1);
	commits(&b, 1, 5000, 1, 1);
	doc = report(&a, &b, rules, 5, &triggered);
	r = json_object_get(doc, "rules");
	assert_true(json_is_true(json_object_get(json_array_get(r, 0), "triggered")));  /* 30 % > 10 %, beyond noise */
	assert_false(json_is_true(json_object_get(json_array_get(r, 1), "triggered"))); /* not slower */
	assert_false(json_is_true(json_object_get(json_array_get(r, 2), "triggered"))); /* slower, but by less than 50 % */
	assert_false(json_is_true(json_object_get(json_array_get(r, 3), "triggered"))); /* constant */
	assert_true(json_is_true(json_object_get(json_array_get(r, 4), "triggered")));  /* the max: the ratio alone */
	assert_int_equal(triggered, 2);
	assert_true(json_is_true(json_object_get(doc, "regression")));
	assert_string_equal(row_verdict(doc, "persist", "flush", "p99"), "slower");
	assert_string_equal(row_verdict(doc, "lock_hold", "flush", "p90"), "slower");
	assert_string_equal(row_verdict(doc, "lock_wait", "flush", "p50"), "same");
	assert_string_equal(row_verdict(doc, "persist", "flush", "max"), "-");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "base"), "events")), 10000);
	json_decref(doc);
	/* No rule: nothing triggers, whatever changed. */
	doc = report(&a, &b, NULL, 0, &triggered);
	assert_int_equal(triggered, 0);
	assert_false(json_is_true(json_object_get(doc, "regression")));
	json_decref(doc);
	rdr_stats_free(&a);
	rdr_stats_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_rules_parse),
		cmocka_unit_test(test_rules_trigger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
