/*
 * reader_scale.c - rhook-read report keeps its memory and its page
 * bounded whatever the size of the trace (issue 12, "scales to big
 * traces"), on a real rhook-tracegen trace of SCALE_BUFFER x 2 buffers:
 *
 *   memory  the peak RSS of `rhook-read report` (wait4's ru_maxrss) is at
 *           most the trace file (its read-only mapping, which the reader
 *           walks) plus SCALE_HEAP_KIB; before the collection was bounded
 *           it kept every SST, job and commit of the trace (~80 MiB more
 *           on this trace, ~1.2 GiB on a 1 GiB one);
 *   page    the timeline was downsampled (it had more items than its
 *           budget) and the page holds at most RDR_REPORT_TIMELINE_BUDGET
 *           timeline items, RDR_REPORT_BUCKETS points per time series,
 *           GRID + 1 points per percentile line.
 *
 * Under ASan and TSan the trace is half as large (they are slow) and the memory
 * bound is not checked (their shadow memory and quarantine are the RSS),
 * saying so; the page bounds are.  No timing is asserted.
 */
#define _GNU_SOURCE
#include "reader_common.h"

#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "report.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#define SCALE_BUFFER "8m"
#define SCALE_ROUNDS "3000"
#else
#define SANITIZED 0
#define SCALE_BUFFER "16m"
#define SCALE_ROUNDS "7000"
#endif

/* What report may hold beyond the mapping: its bounded figures, the binary and its libraries. */
#define SCALE_HEAP_KIB (32 * 1024)
#define GRID_POINTS 101 /* report.c's GRID + 1 */

extern char **environ;

static char base[PATH_MAX], trace[PATH_MAX + 16];

static int setup(void **state)
{
	(void)state;
	rt_tmpdir(base, "scale");
	snprintf(trace, sizeof(trace), "%s/trace", base);
	if (mkdir(trace, 0700))
		return -1;
	rr_tracegen(trace, (const char *const[]){ "--threads", "2", "--regions", "4", "--rounds", SCALE_ROUNDS,
						  "--no-hook", NULL },
		    (const char *const[]){ "RHOOK_TRACE_BUFFER_SIZE=" SCALE_BUFFER, "RHOOK_TRACE_BUFFERS=2",
					   "RHOOK_TRACE_MODE=discard", NULL });
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tc_rmtree(base);
	return 0;
}

/* The bytes of the trace's recorder files. */
static uint64_t trace_bytes(void)
{
	DIR *d = opendir(trace);
	struct dirent *e;
	uint64_t sum = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char p[PATH_MAX * 2];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s", trace, e->d_name);
		if (e->d_name[0] != '.' && !stat(p, &st) && S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	}
	closedir(d);
	return sum;
}

/* Runs rhook-read @argv[1..] and returns its peak RSS in KiB; fails unless it exits 0. */
static long run_peak_kib(char *const argv[])
{
	struct rusage ru;
	pid_t pid;
	int st;

	assert_int_equal(posix_spawn(&pid, argv[0], NULL, NULL, argv, environ), 0);
	assert_int_equal(wait4(pid, &st, 0, &ru), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("%s %s: status 0x%x", argv[0], argv[1], st);
	return ru.ru_maxrss;
}

/* The figures of the page: its <script type="application/json" id="rhook-data"> element. */
static json_t *page_data(const char *path, size_t *size)
{
	static const char open[] = "<script type=\"application/json\" id=\"rhook-data\">";
	FILE *f = fopen(path, "r");
	char *page, *p, *end;
	json_error_t jerr;
	json_t *j;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	page = malloc((size_t)n + 1);
	assert_non_null(page);
	assert_int_equal(fread(page, 1, (size_t)n, f), (size_t)n);
	page[n] = '\0';
	fclose(f);
	*size = (size_t)n;
	p = strstr(page, open);
	assert_non_null(p);
	p += strlen(open);
	end = strstr(p, "</script>");
	assert_non_null(end);
	*end = '\0';
	j = json_loads(p, 0, &jerr);
	if (!j)
		fail_msg("page data: %s (line %d)", jerr.text, jerr.line);
	free(page);
	return j;
}

static size_t array_len(json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key);

	assert_true(json_is_array(a));
	return json_array_size(a);
}

/*
 * The page's percentiles are stats' (exact, from the same histograms,
 * not from a sample): every line of its summary (a phase of one cause)
 * is, count, p50, p90, p99 and max, one latency of that cause in
 * `rhook-read stats --json`.
 */
static void same_percentiles_as_stats(json_t *summary)
{
	static const char *const keys[] = { "p50", "p90", "p99", "max" };
	char *out, *err;
	json_t *stats, *line;
	json_error_t jerr;
	size_t i;

	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "stats", "--json", trace, NULL }), 0);
	stats = json_loads(out, 0, &jerr);
	assert_non_null(stats);
	assert_true(json_is_array(summary) && json_array_size(summary) > 0);
	json_array_foreach(summary, i, line) {
		const char *cause = json_string_value(json_object_get(line, "name"));
		json_t *lat = json_object_get(json_object_get(json_object_get(stats, "causes"), cause), "latency_ns");
		const char *metric;
		json_t *m;
		bool found = false;

		json_object_foreach(lat, metric, m) {
			bool same = json_integer_value(json_object_get(m, "count")) ==
				    json_integer_value(json_object_get(line, "n"));

			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				same = same && json_integer_value(json_object_get(m, keys[k])) ==
						       json_integer_value(json_object_get(line, keys[k]));
			found = found || same;
		}
		if (!found)
			fail_msg("report's %s of %s is no latency of stats --json's", json_string_value(json_object_get(line, "group")),
				 cause);
	}
	json_decref(stats);
	free(out);
	free(err);
}

static void test_report_bounded(void **state)
{
	char html[PATH_MAX + 16];
	char *argv[] = { strdup(rt_bin("rhook-read")), "report", "-o", html, trace, NULL };
	uint64_t bytes = trace_bytes();
	size_t page_size, items = 0, i;
	json_t *data, *tl, *rows, *row, *series, *pct, *chart;
	long peak;

	(void)state;
	snprintf(html, sizeof(html), "%s/page.html", base);
	peak = run_peak_kib(argv);
	free(argv[0]);
	print_message("trace %" PRIu64 " KiB, rhook-read report peak RSS %ld KiB\n", bytes / 1024, peak);
	if (SANITIZED)
		print_message("memory bound not checked under a sanitizer (its shadow memory is the RSS)\n");
	else if ((uint64_t)peak > bytes / 1024 + SCALE_HEAP_KIB)
		fail_msg("rhook-read report: peak RSS %ld KiB, more than the trace (%" PRIu64 " KiB) + %d KiB", peak,
			 bytes / 1024, SCALE_HEAP_KIB);

	data = page_data(html, &page_size);
	tl = json_object_get(data, "timeline");
	assert_non_null(tl);
	/* The trace had more timeline items than the budget: what is checked is the downsampling. */
	if (json_integer_value(json_object_get(tl, "source")) <= RDR_REPORT_TIMELINE_BUDGET)
		fail_msg("trace too small: %" JSON_INTEGER_FORMAT " timeline items, budget %d",
			 json_integer_value(json_object_get(tl, "source")), RDR_REPORT_TIMELINE_BUDGET);
	rows = json_object_get(tl, "rows");
	json_array_foreach(rows, i, row) {
		json_t *m = json_object_get(row, "m");

		if (m) {
			items += array_len(m, "commit") + array_len(m, "born") + array_len(m, "deleted");
		} else {
			size_t n = array_len(row, "s");

			assert_int_equal(array_len(row, "e"), n);
			assert_int_equal(array_len(row, "c"), n);
			items += n;
		}
	}
	assert_int_equal(items, json_integer_value(json_object_get(tl, "total")));
	assert_true(items <= RDR_REPORT_TIMELINE_BUDGET);
	series = json_object_get(data, "series");
	assert_non_null(series);
	assert_true(array_len(series, "t") <= RDR_REPORT_BUCKETS);
	assert_true(array_len(series, "flush_bps") <= RDR_REPORT_BUCKETS);
	pct = json_object_get(json_object_get(data, "pct"), "groups");
	assert_true(array_len(json_object_get(data, "pct"), "grid") <= GRID_POINTS);
	assert_true(json_is_array(pct) && json_array_size(pct) > 0);
	json_array_foreach(pct, i, chart) {
		size_t k;
		json_t *line;

		json_array_foreach(json_object_get(chart, "series"), k, line)
			assert_true(array_len(line, "y") <= GRID_POINTS);
	}
	same_percentiles_as_stats(json_object_get(data, "summary"));
	print_message("page %zu KiB, %zu timeline items (of %" JSON_INTEGER_FORMAT ")\n", page_size / 1024, items,
		      json_integer_value(json_object_get(tl, "source")));
	json_decref(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
