/*
 * bench_reader.c - rhook-bench-reader works (issue 15, section 3), not how
 * fast: on tiny traces (--quick) it prints every figure the report needs,
 * each a JSON object with its fields, and leaves nothing behind; a
 * command over its timeout gives a timed-out figure (no number) that
 * rhook-bench-report counts as missed.  No timing is asserted.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "rt.h"

static const char *const cmds[] = { "stats", "print", "print_json", "files", "amp", "report", "export_perfetto", "diff" };
static const char *const sizes[] = { "16mib", "128mib", "1gib" };
#define NUM_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/* Runs rhook-bench-reader --quick in @dir with @timeout (NULL: default); its figures, one per line. */
static json_t *run_bench(const char *dir, const char *timeout, char **out_text)
{
	char env_dir[PATH_MAX + 32], env_tmo[64];
	char *out = NULL, *line, *save = NULL;
	json_t *all = json_object();

	snprintf(env_dir, sizeof(env_dir), "RHOOK_BENCH_DIR=%s", dir);
	snprintf(env_tmo, sizeof(env_tmo), "RHOOK_BENCH_TIMEOUT=%s", timeout ? timeout : "");
	assert_int_equal(rt_run((char *[]){ (char *)rt_bin("rhook-bench-reader"), "--quick", NULL },
				(char *[]){ env_dir, timeout ? env_tmo : NULL, NULL }, &out, NULL),
			 0);
	*out_text = strdup(out);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);

		if (!o)
			fail_msg("not a JSON figure: %s (%s)", line, err.text);
		assert_true(json_is_string(json_object_get(o, "name")));
		assert_null(json_object_get(all, json_string_value(json_object_get(o, "name")))); /* each once */
		json_object_set_new(all, json_string_value(json_object_get(o, "name")), o);
	}
	free(out);
	return all;
}

static json_t *figure(json_t *all, const char *name)
{
	json_t *o = json_object_get(all, name);

	if (!o)
		fail_msg("no figure %s", name);
	return o;
}

/* Nothing is left in @dir (the bench removes its traces and outputs). */
static void assert_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	assert_int_equal(n, 0);
}

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		fail_msg("%s: %s is not a number", json_string_value(json_object_get(o, "name")), key);
	return json_number_value(v);
}

static void test_quick_figures(void **state)
{
	char dir[PATH_MAX], name[64], *text;
	json_t *all;

	(void)state;
	rt_tmpdir(dir, "bench-reader");
	all = run_bench(dir, NULL, &text);
	free(text);
	assert_true(num(figure(all, "reader_stats_vs_babeltrace2"), "ratio") > 0);
	assert_true(num(figure(all, "reader_print_vs_babeltrace2"), "ratio") > 0);
	assert_true(num(figure(all, "reader_print_json"), "value") > 0);
	assert_int_equal((int)num(figure(all, "reader_print_json"), "rounds"), 1);
	for (size_t c = 0; c < NUM_CMDS; c++) {
		double bytes = 0;

		for (size_t s = 0; s < 3; s++) {
			json_t *o;

			snprintf(name, sizeof(name), "reader_%s_%s", cmds[c], sizes[s]);
			o = figure(all, name);
			assert_true(num(o, "value") > 0);
			assert_false(json_is_true(json_object_get(o, "timed_out")));
			assert_true(num(o, "events") > 0);
			/* Sampled every ms: a run of a tiny trace may end before the first sample (null). */
			if (!json_is_null(json_object_get(o, "peak_heap_bytes"))) {
				assert_true(num(o, "peak_heap_bytes") > 0);
				assert_true(num(o, "peak_rss_bytes") >= num(o, "peak_heap_bytes"));
			}
			assert_true(num(o, "peak_rss_bytes") > 0);
			/* Three sizes, each larger than the last. */
			assert_true(num(o, "trace_bytes") > bytes);
			bytes = num(o, "trace_bytes");
			assert_true(json_is_true(json_object_get(o, "quick")));
		}
		{
			json_t *o = figure(all, name), *per = json_object_get(o, "s_per_gib");
			bool streaming = json_is_true(json_object_get(o, "streaming"));

			assert_int_equal(json_object_size(per), 3);
			assert_true(num(o, "linear_ratio") > 0);
			assert_non_null(json_object_get(o, "heap_ratio"));
			assert_true(json_is_boolean(json_object_get(o, "linear")));
			assert_int_equal(json_is_boolean(json_object_get(o, "heap_flat")), streaming);
		}
	}
	json_decref(all);
	assert_empty(dir);
	tc_rmtree(dir);
}

/* A figure past its timeout is no number, and the report misses its floor. */
static void test_timeout_is_missed(void **state)
{
	char dir[PATH_MAX], figs[PATH_MAX + 16], json[PATH_MAX + 16], md[PATH_MAX + 16], *text, *out = NULL;
	json_t *all, *rep, *o;
	json_error_t err;
	size_t k;
	FILE *f;

	(void)state;
	rt_tmpdir(dir, "bench-reader-tmo");
	all = run_bench(dir, "1e-9", &text);
	{
		const char *key;
		json_t *v;

		json_object_foreach(all, key, v) {
			assert_true(json_is_true(json_object_get(v, "timed_out")));
			assert_true(json_is_null(json_object_get(v, "value")));
		}
	}
	json_decref(all);
	snprintf(figs, sizeof(figs), "%s/figs.jsonl", dir);
	snprintf(json, sizeof(json), "%s/report.json", dir);
	snprintf(md, sizeof(md), "%s/report.md", dir);
	f = fopen(figs, "w");
	assert_non_null(f);
	fputs(text, f);
	/* A 2-thread figure of another bench: labelled as what it is. */
	fputs("{\"name\": \"recorder_event_2_threads\", \"value\": 20, \"unit\": \"ns/event\", \"baseline\": "
	      "\"lttng_event_2_threads\", \"baseline_value\": 100, \"ratio\": 0.2, \"delta\": -80}\n", f);
	fclose(f);
	free(text);
	/* Exit 1: floors missed (and other benches' figures missing). */
	assert_int_equal(rt_run((char *[]){ (char *)rt_bin("rhook-bench-report"), figs, json, md, NULL },
				(char *[]){ "RHOOK_BENCH_COMMIT=abc1234", NULL }, NULL, NULL),
			 1);
	rep = json_load_file(json, 0, &err);
	assert_non_null(rep);
	assert_string_equal(json_string_value(json_object_get(json_object_get(rep, "run"), "commit")), "abc1234");
	assert_non_null(json_object_get(json_object_get(rep, "run"), "hostname"));
	assert_non_null(json_object_get(json_object_get(rep, "run"), "load_start"));
	json_array_foreach(json_object_get(rep, "figures"), k, o) {
		const char *name = json_string_value(json_object_get(o, "name"));

		if (!strcmp(name, "reader_stats_1gib")) {
			assert_int_equal(json_array_size(json_object_get(o, "floors")), 2); /* linear and heap */
			assert_true(json_is_false(json_object_get(o, "meets_floor")));
		}
		if (!strcmp(name, "reader_stats_vs_babeltrace2") || !strcmp(name, "reader_report_1gib"))
			assert_true(json_is_false(json_object_get(o, "meets_floor")));
	}
	json_decref(rep);
	assert_int_equal(rt_run((char *[]){ "cat", md, NULL }, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "| `reader_report_1gib` | **timed out**"));
	assert_non_null(strstr(out, "Run of commit abc1234"));
	if (sysconf(_SC_NPROCESSORS_ONLN) == 2)
		assert_non_null(strstr(out, "per-thread cost with both vCPUs busy (2-vCPU machine), not scaling"));
	else
		assert_non_null(strstr(out, "per-thread cost, 2 threads on"));
	free(out);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quick_figures),
		cmocka_unit_test(test_timeout_is_missed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
