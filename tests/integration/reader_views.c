/*
 * reader_views.c - what rhook-read shows a person, on real traces:
 * rhook-demo's (flushes, local and remote compactions through
 * rhook-compactor, every manifest write of the contract) and a lossy
 * rhook-tracegen trace (buffers too small for it).
 *
 *   report    the page loads in headless Chromium (DevTools protocol)
 *             with the network unreachable: no console error, no request,
 *             every chart reports drawn points, the check verdict and
 *             the counts are the trace's, the loss banner shows exactly
 *             when events were lost; a screenshot is saved as a test
 *             artifact.  Skipped, saying so, where Chromium is absent.
 *   perfetto  the export decodes with Perfetto's own schema (protoc
 *             --decode=perfetto.protos.Trace, upstream's merged proto;
 *             skipped, saying so, when that reference is absent): tracks,
 *             slices, nesting, flows and counters against the trace.
 *   bad use   output paths that must be refused, with a message.
 */
#define _GNU_SOURCE
#include "reader_common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cdp.h"

static char base[PATH_MAX], demo_trace[PATH_MAX + 32];

static int setup(void **state)
{
	char work[PATH_MAX + 8];

	(void)state;
	rt_tmpdir(base, "views");
	snprintf(work, sizeof(work), "%s/demo", base);
	snprintf(demo_trace, sizeof(demo_trace), "%s/trace", work);
	return rt_demo(work, (const char *const[]){ "--seconds", "2", NULL }) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	tc_rmtree(base);
	return 0;
}

/* The count after "@name " in rhook-read stats' "events:" line; 0 when absent. */
static uint64_t stats_count(const char *stats, const char *name)
{
	char key[64];
	const char *p = strstr(stats, "events:");

	snprintf(key, sizeof(key), " %s ", name);
	p = p ? strstr(p, key) : NULL;
	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* Not inlined: gcc 12 takes the returned buffer for a dangling pointer to the local. */
__attribute__((noinline)) static char *stats_of(const char *trace)
{
	char *out, *err;

	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "stats", "--brief", trace, NULL }), 0);
	free(err);
	return out;
}

/* "true," once per rule `rhook-read check` reports OK on @trace (it must pass), without the last comma. */
__attribute__((noinline)) static const char *check_oks(const char *trace)
{
	static char oks[256];
	char *out, *err, *line;
	size_t n = 0;

	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "check", trace, NULL }), 0);
	free(err);
	oks[0] = '\0';
	for (line = strchr(out, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		const char *end = strchr(line + 1, '\n');

		if (end && end - line > 4 && !strncmp(end - 2, "ok", 2) && n + 6 < sizeof(oks))
			n += (size_t)snprintf(oks + n, sizeof(oks) - n, "%strue", n ? "," : "");
	}
	free(out);
	assert_true(n > 0);
	return oks;
}

/*
 * Each of the report's slowest jobs is named by the trace's job id: an
 * end event of its kind, process and region carries that job_id.
 */
static void slow_jobs_are_the_traces(json_t *data, const char *trace)
{
	json_t *jobs = json_object_get(data, "slow_jobs"), *job;
	char *out, *err;
	size_t i;

	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "print", "--json", trace, NULL }), 0);
	free(err);
	assert_true(json_array_size(jobs) > 0);
	json_array_foreach(jobs, i, job) {
		const char *kind = json_string_value(json_object_get(job, "kind")), *region;
		unsigned long long region_id;
		char want[256];

		region = json_string_value(json_object_get(job, "region"));
		assert_non_null(kind);
		assert_non_null(region);
		region_id = strtoull(region, NULL, 10);
		snprintf(want, sizeof(want), "\"pid\":%lld,", (long long)json_integer_value(json_object_get(job, "pid")));
		for (const char *l = out;; l++) {
			char tail[160];

			l = strstr(l, want);
			if (!l)
				fail_msg("slow job %lld (%s) has no end event in the trace", (long long)json_integer_value(json_object_get(job, "job")), kind);
			snprintf(tail, sizeof(tail), "\"event\":\"rhook:%s_end\",\"region_id\":%llu,\"job_id\":%lld,",
				 strcmp(kind, "flush") ? "compaction" : "flush", region_id,
				 (long long)json_integer_value(json_object_get(job, "job")));
			if (!strncmp(strchr(strstr(l, "\"tid\":"), ',') + 1, tail, strlen(tail)))
				break;
		}
	}
	free(out);
}

/* ------------------------------------------------------------------ report */

/* Where screenshots go: $RHOOK_TEST_ARTIFACTS (the build's test-artifacts/), else the test's directory. */
static void artifact(char *path, size_t size, const char *name)
{
	const char *dir = getenv("RHOOK_TEST_ARTIFACTS");

	if (dir && *dir) {
		mkdir(dir, 0700);
		snprintf(path, size, "%s/%s", dir, name);
	} else {
		snprintf(path, size, "%s/%s", base, name);
	}
}

static void write_report(const char *trace, const char *html)
{
	struct stat st;
	char *out, *err;

	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "report", "-o", html, trace, NULL }), 0);
	assert_non_null(strstr(out, "wrote "));
	free(out);
	free(err);
	assert_int_equal(lstat(html, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* Fails the test on any console error, uncaught exception, or request other than the page itself. */
static void assert_clean(struct cdp *c, const char *url)
{
	size_t i;
	json_t *ev;

	json_array_foreach(c->events, i, ev) {
		const char *m = json_string_value(json_object_get(ev, "method"));
		json_t *p = json_object_get(ev, "params");
		char *text;

		if (!strcmp(m, "Network.requestWillBeSent")) {
			const char *u = json_string_value(json_object_get(json_object_get(p, "request"), "url"));

			if (strcmp(u, url))
				fail_msg("the page requested %s", u);
			continue;
		}
		if (!(!strcmp(m, "Runtime.exceptionThrown") ||
		      (!strcmp(m, "Runtime.consoleAPICalled") &&
		       (!strcmp(json_string_value(json_object_get(p, "type")), "error") ||
			!strcmp(json_string_value(json_object_get(p, "type")), "assert"))) ||
		      (!strcmp(m, "Log.entryAdded") &&
		       !strcmp(json_string_value(json_object_get(json_object_get(p, "entry"), "level")), "error"))))
			continue;
		text = json_dumps(p, JSON_COMPACT);
		fail_msg("console: %s %s", m, text);
	}
}

/* Loads @html, waits until every chart drew (or the page failed), checks it is clean, saves a screenshot. */
static void load(struct cdp *c, const char *html, const char *shot)
{
	char url[PATH_MAX + 16], expr[256];
	json_t *r, *v = NULL;
	size_t len;
	unsigned char *png;
	FILE *f;

	snprintf(url, sizeof(url), "file://%s", html);
	json_array_clear(c->events);
	r = cdp_call(c, false, "Page.navigate", json_pack("{s:s}", "url", url), 30000);
	assert_non_null(r);
	json_decref(r);
	assert_true(cdp_wait_event(c, "Page.loadEventFired", 30000));
	snprintf(expr, sizeof(expr),
		 "new Promise(function (ok) { (function poll() { var b = document.body;"
		 " if (b.hasAttribute('data-charts-ready') || b.hasAttribute('data-error')) ok(true);"
		 " else setTimeout(poll, 50); })(); })");
	json_decref(cdp_eval(c, expr));
	v = cdp_eval(c, "document.body.getAttribute('data-error')");
	if (v && json_is_string(v))
		fail_msg("the page failed: %s", json_string_value(v));
	json_decref(v);
	assert_clean(c, url);
	r = cdp_call(c, false, "Page.captureScreenshot", json_pack("{s:s, s:b}", "format", "png", "captureBeyondViewport", 1),
		     30000);
	assert_non_null(r);
	png = cdp_base64(json_string_value(json_object_get(r, "data")), &len);
	assert_non_null(png);
	assert_true(len > 8 && !memcmp(png, "\x89PNG", 4));
	f = fopen(shot, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(png, 1, len, f), len);
	fclose(f);
	fprintf(stderr, "reader_views: screenshot %s\n", shot);
	free(png);
	json_decref(r);
}

/* Every chart's [id, points] in the page. */
static json_t *charts(struct cdp *c)
{
	json_t *v = cdp_eval(c, "Array.prototype.map.call(document.querySelectorAll('[data-chart]'), function (e) {"
				" return [e.getAttribute('data-chart'), Number(e.getAttribute('data-points') || -1)]; })");

	assert_non_null(v);
	return v;
}

static json_t *page_data(struct cdp *c)
{
	json_t *v = cdp_eval(c, "JSON.parse(document.getElementById('rhook-data').textContent)");

	assert_non_null(v);
	return v;
}

/* The "n" of the summary row of @group and @name, or -1. */
static json_int_t summary_n(json_t *data, const char *group, const char *name)
{
	size_t i;
	json_t *row;

	json_array_foreach(json_object_get(data, "summary"), i, row)
		if (!strcmp(json_string_value(json_object_get(row, "group")), group) &&
		    !strcmp(json_string_value(json_object_get(row, "name")), name))
			return json_integer_value(json_object_get(row, "n"));
	return -1;
}

static void test_report_demo(void **state)
{
	static const char *const expected[] = { "pct:flush", "pct:compaction", "pct:lock_wait", "pct:lock_hold",
						"pct:persist", "pct:hook_dispatch", "hist:flush", "hist:compaction",
						"hist:lock_wait", "hist:lock_hold", "hist:persist", "hist:hook_dispatch",
						"timeline", "ts:bytes", "ts:rows", "ts:levels", "ts:level_bytes", "ts:l0",
						"ts:wamp" };
	const char *browser = cdp_browser();
	char html[PATH_MAX + 16], shot[2 * PATH_MAX], *stats;
	json_t *list, *data, *v;
	struct cdp c;
	size_t i;

	(void)state;
	snprintf(html, sizeof(html), "%s/report.html", base);
	write_report(demo_trace, html);
	if (!browser) {
		fprintf(stderr, "reader_views: SKIPPED the page checks: no chromium on the PATH (Debian: chromium)\n");
		skip();
	}
	assert_int_equal(cdp_open(&c, browser, 1400, 1000), 0);
	artifact(shot, sizeof(shot), "report-demo.png");
	load(&c, html, shot);

	list = charts(&c);
	assert_int_equal(json_array_size(list), sizeof(expected) / sizeof(expected[0]));
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		json_t *chart = json_array_get(list, i);

		assert_string_equal(json_string_value(json_array_get(chart, 0)), expected[i]);
		if (json_integer_value(json_array_get(chart, 1)) <= 0)
			fail_msg("chart %s drew %lld points", expected[i], (long long)json_integer_value(json_array_get(chart, 1)));
	}
	json_decref(list);

	/* The trace's figures: counts as stats counts them, the verdict of check, no loss banner. */
	stats = stats_of(demo_trace);
	data = page_data(&c);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "meta"), "events")),
			 stats_count(stats, "sst_file_written") + stats_count(stats, "manifest_commit") +
				 stats_count(stats, "manifest_updated") + stats_count(stats, "hook_dispatch") +
				 stats_count(stats, "flush_begin") + stats_count(stats, "flush_end") +
				 stats_count(stats, "compaction_begin") + stats_count(stats, "compaction_end") +
				 stats_count(stats, "sst_file_removed"));
	assert_int_equal(summary_n(data, "Flush duration", "flush"), stats_count(stats, "flush_end"));
	assert_int_equal(summary_n(data, "Hook dispatch", "all callbacks"), stats_count(stats, "hook_dispatch"));
	assert_true(summary_n(data, "Manifest persist", "remote_compaction") >= 1);
	assert_int_equal(json_array_size(json_object_get(json_object_get(data, "meta"), "processes")), 2);
	slow_jobs_are_the_traces(data, demo_trace);
	/* The timeline shows SSTs deleted (the demo's GC, truncate and drop delete some). */
	{
		json_t *rows = json_object_get(json_object_get(data, "timeline"), "rows"), *row;
		size_t r, deleted = 0;

		json_array_foreach(rows, r, row)
			deleted += json_array_size(json_object_get(json_object_get(row, "m"), "deleted"));
		assert_true(stats_count(stats, "sst_file_removed") > 0);
		assert_true(deleted > 0);
	}
	free(stats);
	json_decref(data);
	v = cdp_eval(&c, "Array.prototype.map.call(document.querySelectorAll('#checks tr[data-rule]'),"
			 " function (e) { return e.getAttribute('data-ok'); }).join()");
	assert_string_equal(json_string_value(v), check_oks(demo_trace));
	json_decref(v);
	v = cdp_eval(&c, "document.querySelectorAll('.banner').length");
	assert_int_equal(json_integer_value(v), 0);
	json_decref(v);
	cdp_close(&c);
}

static void test_report_lossy(void **state)
{
	static const char *const env[] = { "RHOOK_TRACE_BUFFER_SIZE=8k", "RHOOK_TRACE_SUBBUFFERS=2", NULL };
	const char *browser = cdp_browser();
	char dir[PATH_MAX + 16], html[PATH_MAX + 16], shot[2 * PATH_MAX], *stats, *lost;
	struct cdp c;
	json_t *v;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/lossy", base);
	snprintf(html, sizeof(html), "%s/lossy.html", base);
	rr_tracegen(dir, (const char *const[]){ "--threads", "2", "--regions", "2", "--rounds", "40", NULL }, env);
	stats = stats_of(dir);
	lost = strstr(stats, "lost: ");
	assert_non_null(lost);
	assert_true(strtoull(lost + 6, NULL, 10) > 0);
	write_report(dir, html);
	if (!browser) {
		free(stats);
		fprintf(stderr, "reader_views: SKIPPED the page checks: no chromium on the PATH (Debian: chromium)\n");
		skip();
	}
	assert_int_equal(cdp_open(&c, browser, 1400, 1000), 0);
	artifact(shot, sizeof(shot), "report-lossy.png");
	load(&c, html, shot);
	v = cdp_eval(&c, "document.querySelector('.banner') && Number(document.querySelector('.banner').getAttribute('data-loss'))");
	assert_non_null(v);
	assert_int_equal(json_integer_value(v), strtoull(lost + 6, NULL, 10));
	json_decref(v);
	v = cdp_eval(&c, "document.querySelector('.banner').textContent");
	assert_non_null(strstr(json_string_value(v), "overwrite mode"));
	assert_non_null(strstr(json_string_value(v), "Complete:"));
	json_decref(v);
	free(stats);
	cdp_close(&c);
}

/* ------------------------------------------------------------------ stats --json */

/* stats --json holds the figures stats prints, in the documented shape. */
static void test_stats_json(void **state)
{
	static const char *const events[] = { "sst_file_written", "manifest_commit", "manifest_updated", "hook_dispatch",
					      "flush_begin", "flush_end", "compaction_begin", "compaction_end",
					      "sst_file_removed" };
	char *out, *err, *text = stats_of(demo_trace), line[128];
	json_t *doc, *all, *region;
	json_int_t sum = 0;
	size_t i;

	(void)state;
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "stats", "--json", demo_trace, NULL }), 0);
	doc = json_loads(out, 0, NULL);
	if (!doc)
		fail_msg("not one JSON document: %s", out);
	all = json_object_get(doc, "all");
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		assert_int_equal(json_integer_value(json_object_get(json_object_get(all, "events"), events[i])),
				 stats_count(text, events[i]));
		sum += json_integer_value(json_object_get(json_object_get(all, "events"), events[i]));
	}
	assert_int_equal(json_integer_value(json_object_get(doc, "events")), sum);
	/* The latency line of persist, as the text prints it: count p50 p90 p99 max. */
	snprintf(line, sizeof(line), "%-16s %10lld %12lld %12lld %12lld %12lld", "persist",
		 (long long)json_integer_value(json_object_get(json_object_get(json_object_get(all, "latency_ns"), "persist"), "count")),
		 (long long)json_integer_value(json_object_get(json_object_get(json_object_get(all, "latency_ns"), "persist"), "p50")),
		 (long long)json_integer_value(json_object_get(json_object_get(json_object_get(all, "latency_ns"), "persist"), "p90")),
		 (long long)json_integer_value(json_object_get(json_object_get(json_object_get(all, "latency_ns"), "persist"), "p99")),
		 (long long)json_integer_value(json_object_get(json_object_get(json_object_get(all, "latency_ns"), "persist"), "max")));
	if (!strstr(text, line))
		fail_msg("'%s' is not in:\n%s", line, text);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "lost"), "total")), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "sources")), 2);
	assert_non_null(json_object_get(json_object_get(doc, "causes"), "remote_compaction"));
	assert_true(json_array_size(json_object_get(doc, "regions")) >= 4);
	json_array_foreach(json_object_get(doc, "regions"), i, region)
		assert_int_equal(json_integer_value(json_object_get(region, "table")),
				 (json_int_t)((uint64_t)json_integer_value(json_object_get(region, "region_id")) >> 32));
	json_decref(doc);
	free(out);
	free(err);
	free(text);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "stats", "--json", "--brief", demo_trace, NULL }), 2);
	free(out);
	free(err);
}

/* ------------------------------------------------------------------ errors */

static void test_report_refused(void **state)
{
	char path[PATH_MAX + 64], link[PATH_MAX + 32], open_dir[PATH_MAX + 32], *out, *err;
	struct stat st;

	(void)state;
	/* A symbolic link at the path is never followed. */
	snprintf(path, sizeof(path), "%s/target.html", base);
	snprintf(link, sizeof(link), "%s/link.html", base);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "report", "-o", link, demo_trace, NULL }), 2);
	assert_non_null(strstr(err, "link.html: exists and is not a regular file"));
	assert_int_not_equal(lstat(path, &st), 0);
	free(out);
	free(err);
	/* Nor is a directory others can write. */
	snprintf(open_dir, sizeof(open_dir), "%s/open", base);
	assert_int_equal(mkdir(open_dir, 0700), 0);
	assert_int_equal(chmod(open_dir, 0777), 0);
	snprintf(path, sizeof(path), "%s/r.html", open_dir);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "report", "-o", path, demo_trace, NULL }), 2);
	assert_non_null(strstr(err, "open"));
	assert_int_not_equal(lstat(path, &st), 0);
	free(out);
	free(err);
	snprintf(path, sizeof(path), "%s/pf", open_dir);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "export", "--perfetto", path, demo_trace, NULL }), 2);
	assert_int_not_equal(lstat(path, &st), 0);
	free(out);
	free(err);
	/* A missing directory, and options of the wrong command. */
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "report", "-o", "/nonexistent/r.html", demo_trace, NULL }), 2);
	assert_non_null(strstr(err, "/nonexistent"));
	free(out);
	free(err);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "report", demo_trace, NULL }), 2);
	assert_non_null(strstr(err, "report needs -o FILE.html"));
	free(out);
	free(err);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "stats", "-o", path, demo_trace, NULL }), 2);
	free(out);
	free(err);
}

/* ------------------------------------------------------------------ perfetto */

#define PF_MAX_ANN 24 /* the job and an event's fields and lists */

struct pf_ann {
	uint64_t name_iid, uval;
	char str[64]; /* enough for the strings checked (a file id), truncated beyond */
	bool has_str;
};

/* One TracePacket as protoc printed it, the fields the test looks at. */
struct pf_packet {
	uint64_t ts;
	enum { PF_OTHER, PF_DESC, PF_EVENT } kind;
	/* track_descriptor */
	uint64_t uuid, parent;
	char name[128];
	bool process, thread, counter;
	int64_t pid, tid;
	/* track_event */
	char type[32];
	uint64_t track, name_iid, flow, term;
	bool has_counter;
	int64_t counter_value;
	struct pf_ann ann[PF_MAX_ANN];
	size_t num_ann;
};

struct pf_trace {
	struct pf_packet *p;
	size_t n, cap;
	char *event_names[64], *ann_names[1024];
};

/* The quoted string after "key: " in @line, unescaped enough for the test's names and ids. */
static void pf_string(const char *v, char *dst, size_t size)
{
	size_t k = 0;

	if (*v == '"')
		v++;
	for (; *v && *v != '"' && k + 1 < size; v++)
		dst[k++] = *v == '\\' && v[1] ? *++v : *v;
	dst[k] = '\0';
}

/* Parses protoc --decode's text output of a Trace. */
static void pf_parse(char *text, struct pf_trace *t)
{
	char *stack[8], *line, *save;
	int depth = 0;
	struct pf_packet *p = NULL;
	uint64_t iid = 0;

	memset(t, 0, sizeof(*t));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *s = line + strspn(line, " "), *colon;
		size_t len = strlen(s);

		if (len && s[len - 1] == '{') {
			s[len - 2] = '\0';
			assert_true(depth < 8);
			stack[depth++] = s;
			if (depth == 1) {
				if (t->n == t->cap) {
					t->cap = t->cap ? 2 * t->cap : 1024;
					t->p = realloc(t->p, t->cap * sizeof(*t->p));
					assert_non_null(t->p);
				}
				p = &t->p[t->n++];
				memset(p, 0, sizeof(*p));
			} else if (depth == 2 && !strcmp(s, "track_descriptor")) {
				p->kind = PF_DESC;
			} else if (depth == 2 && !strcmp(s, "track_event")) {
				p->kind = PF_EVENT;
			} else if (depth == 3 && !strcmp(s, "debug_annotations")) {
				assert_true(p->num_ann < PF_MAX_ANN);
				p->num_ann++;
			} else if (depth == 3) {
				p->process |= !strcmp(s, "process");
				p->thread |= !strcmp(s, "thread");
				p->counter |= !strcmp(s, "counter");
			}
			continue;
		}
		if (!strcmp(s, "}")) {
			assert_true(depth > 0);
			depth--;
			continue;
		}
		colon = strstr(s, ": ");
		assert_non_null(colon);
		*colon = '\0';
		/* A field number instead of a name: the export wrote a field Perfetto's schema does not have. */
		if (strspn(s, "0123456789") == strlen(s))
			fail_msg("unknown field %s in %s", s, depth ? stack[depth - 1] : "packet");
		{
			const char *key = s, *v = colon + 2, *in = depth ? stack[depth - 1] : "";
			uint64_t u = strtoull(v, NULL, 10);

			if (depth == 1 && !strcmp(key, "timestamp"))
				p->ts = u;
			else if (!strcmp(in, "track_descriptor") && !strcmp(key, "uuid"))
				p->uuid = u;
			else if (!strcmp(in, "track_descriptor") && !strcmp(key, "parent_uuid"))
				p->parent = u;
			else if (!strcmp(in, "track_descriptor") && !strcmp(key, "name"))
				pf_string(v, p->name, sizeof(p->name));
			else if (!strcmp(in, "process") && !strcmp(key, "pid"))
				p->pid = (int64_t)u;
			else if (!strcmp(in, "process") && !strcmp(key, "process_name"))
				pf_string(v, p->name, sizeof(p->name));
			else if (!strcmp(in, "thread") && !strcmp(key, "tid"))
				p->tid = (int64_t)u;
			else if (!strcmp(in, "track_event") && !strcmp(key, "type"))
				snprintf(p->type, sizeof(p->type), "%s", v);
			else if (!strcmp(in, "track_event") && !strcmp(key, "track_uuid"))
				p->track = u;
			else if (!strcmp(in, "track_event") && !strcmp(key, "name_iid"))
				p->name_iid = u;
			else if (!strcmp(in, "track_event") && !strcmp(key, "flow_ids"))
				p->flow = u;
			else if (!strcmp(in, "track_event") && !strcmp(key, "terminating_flow_ids"))
				p->term = u;
			else if (!strcmp(in, "track_event") && !strcmp(key, "counter_value"))
				p->has_counter = true, p->counter_value = strtoll(v, NULL, 10);
			else if (!strcmp(in, "debug_annotations")) {
				struct pf_ann *a = &p->ann[p->num_ann - 1];

				if (!strcmp(key, "name_iid"))
					a->name_iid = u;
				else if (!strcmp(key, "string_value"))
					pf_string(v, a->str, sizeof(a->str)), a->has_str = true;
				else
					a->uval = u;
			} else if ((!strcmp(in, "event_names") || !strcmp(in, "debug_annotation_names")) &&
				   !strcmp(key, "iid")) {
				iid = u;
			} else if (!strcmp(in, "event_names") && !strcmp(key, "name")) {
				assert_true(iid < 64);
				t->event_names[iid] = strndup(v + 1, strlen(v) - 2);
			} else if (!strcmp(in, "debug_annotation_names") && !strcmp(key, "name")) {
				assert_true(iid < 1024);
				t->ann_names[iid] = strndup(v + 1, strlen(v) - 2);
			}
		}
	}
	assert_int_equal(depth, 0);
}

static void pf_free(struct pf_trace *t)
{
	for (size_t i = 0; i < 64; i++)
		free(t->event_names[i]);
	for (size_t i = 0; i < 1024; i++)
		free(t->ann_names[i]);
	free(t->p);
}

static const char *pf_name(const struct pf_trace *t, const struct pf_packet *p)
{
	return p->name_iid < 64 && t->event_names[p->name_iid] ? t->event_names[p->name_iid] : "";
}

static const struct pf_ann *pf_ann(const struct pf_trace *t, const struct pf_packet *p, const char *name)
{
	for (size_t i = 0; i < p->num_ann; i++)
		if (p->ann[i].name_iid < 1024 && t->ann_names[p->ann[i].name_iid] &&
		    !strcmp(t->ann_names[p->ann[i].name_iid], name))
			return &p->ann[i];
	return NULL;
}

static const struct pf_packet *pf_track(const struct pf_trace *t, uint64_t uuid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].kind == PF_DESC && t->p[i].uuid == uuid)
			return &t->p[i];
	return NULL;
}

static size_t pf_count(const struct pf_trace *t, const char *type, const char *name, bool with_flow)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct pf_packet *p = &t->p[i];

		n += p->kind == PF_EVENT && !strcmp(p->type, type) && !strcmp(pf_name(t, p), name) && (!with_flow || p->flow);
	}
	return n;
}

static int pf_by_time(const void *a, const void *b)
{
	const struct pf_packet *const *x = a, *const *y = b;

	if ((*x)->ts != (*y)->ts)
		return (*x)->ts < (*y)->ts ? -1 : 1;
	return *x < *y ? -1 : *x > *y; /* file order for equal times */
}

/* Slices of every track nest (depth never negative, 0 at the end); on job lanes and manifest tracks they never overlap. */
static void pf_assert_nesting(const struct pf_trace *t)
{
	const struct pf_packet **ev = calloc(t->n, sizeof(*ev));
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].kind == PF_EVENT && t->p[i].type[0] == 'T' && strstr(t->p[i].type, "SLICE"))
			ev[n++] = &t->p[i];
	qsort(ev, n, sizeof(*ev), pf_by_time);
	for (size_t i = 0; i < t->n; i++) {
		const struct pf_packet *d = &t->p[i];
		bool flat = !strncmp(d->name, "jobs #", 6) || !strcmp(d->name, "manifest commits");
		int depth = 0;

		if (d->kind != PF_DESC)
			continue;
		for (size_t k = 0; k < n; k++) {
			if (ev[k]->track != d->uuid)
				continue;
			depth += !strcmp(ev[k]->type, "TYPE_SLICE_BEGIN") ? 1 : -1;
			if (depth < 0 || (flat && depth > 1))
				fail_msg("track %s (%llu): depth %d at %llu", d->name, (unsigned long long)d->uuid, depth,
					 (unsigned long long)ev[k]->ts);
		}
		assert_int_equal(depth, 0);
	}
	free(ev);
}

/* Ground truth from rhook-read print --json: counts per event name and the live SST bytes per region. */
struct truth {
	size_t flush, compaction, remote, commits, updated, job_updated, ssts, hooks;
	size_t pids;
	json_t *bytes; /* region id (text) -> live SST bytes */
};

static void truth_of(const char *trace, struct truth *g)
{
	char *out, *err, *line, *save;
	json_t *sizes = json_object(), *pids = json_object(), *live = json_object();

	memset(g, 0, sizeof(*g));
	g->bytes = json_object();
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "print", "--json", trace, NULL }), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);
		const char *name = json_string_value(json_object_get(e, "event"));
		char region[32], pid[32];

		assert_non_null(e);
		snprintf(region, sizeof(region), "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(e, "region_id")));
		snprintf(pid, sizeof(pid), "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(e, "pid")));
		json_object_set_new(pids, pid, json_true());
		if (!strcmp(name, "rhook:flush_begin")) {
			g->flush++;
		} else if (!strcmp(name, "rhook:compaction_begin")) {
			g->compaction++;
			g->remote += !strcmp(json_string_value(json_object_get(e, "mode")), "remote");
		} else if (!strcmp(name, "rhook:manifest_commit")) {
			g->commits++;
		} else if (!strcmp(name, "rhook:hook_dispatch")) {
			g->hooks++;
		} else if (!strcmp(name, "rhook:sst_file_written")) {
			g->ssts++;
			json_object_set(sizes, json_string_value(json_object_get(e, "file_id")), json_object_get(e, "file_size"));
		} else if (!strcmp(name, "rhook:manifest_updated")) {
			const char *cause = json_string_value(json_object_get(e, "cause"));
			json_int_t b = json_integer_value(json_object_get(g->bytes, region));
			size_t i;
			json_t *id;

			g->updated++;
			g->job_updated += !strcmp(cause, "flush") || !strcmp(cause, "compaction") ||
					  !strcmp(cause, "remote_compaction");
			/* The manifest is a set: adding a file it holds (an index build) changes nothing. */
			json_array_foreach(json_object_get(e, "files_added"), i, id)
				if (!json_object_get(live, json_string_value(id)) && json_object_get(sizes, json_string_value(id))) {
					b += json_integer_value(json_object_get(sizes, json_string_value(id)));
					json_object_set_new(live, json_string_value(id), json_true());
				}
			json_array_foreach(json_object_get(e, "files_removed"), i, id)
				if (json_object_get(live, json_string_value(id))) {
					b -= json_integer_value(json_object_get(sizes, json_string_value(id)));
					json_object_del(live, json_string_value(id));
				}
			json_object_set_new(g->bytes, region, json_integer(b));
		}
		json_decref(e);
	}
	g->pids = json_object_size(pids);
	json_decref(sizes);
	json_decref(pids);
	json_decref(live);
	free(out);
	free(err);
}

static void test_perfetto(void **state)
{
	const char *proto = getenv("RHOOK_PERFETTO_PROTO");
	char pf[PATH_MAX + 16], include[PATH_MAX], *out, *err, *dot;
	char *argv[] = { "protoc", NULL, "--decode=perfetto.protos.Trace", "perfetto_trace.proto", NULL };
	char arg[PATH_MAX + 16];
	struct pf_trace t;
	struct truth g;
	struct stat st;
	size_t flows_done = 0, procs = 0, names_ok = 0;
	const char *region;
	json_t *bytes;
	int ret;

	(void)state;
	snprintf(pf, sizeof(pf), "%s/trace.perfetto", base);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "export", "--perfetto", pf, demo_trace, NULL }), 0);
	assert_non_null(strstr(out, "Perfetto:"));
	free(out);
	free(err);
	assert_int_equal(lstat(pf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	if (!proto || !*proto || access(proto, R_OK)) {
		fprintf(stderr, "reader_views: SKIPPED the Perfetto schema checks: no upstream perfetto_trace.proto "
				"(shared/reference/perfetto, RHOOK_PERFETTO_PROTO)\n");
		skip();
	}
	snprintf(include, sizeof(include), "%s", proto);
	dot = strrchr(include, '/');
	*dot = '\0';
	snprintf(arg, sizeof(arg), "--proto_path=%s", include);
	argv[1] = arg;
	/* protoc reads the trace on its stdin. */
	{
		int in = open(pf, O_RDONLY), saved = dup(0);

		assert_true(in >= 0 && saved >= 0);
		dup2(in, 0);
		ret = rt_run(argv, NULL, &out, &err);
		dup2(saved, 0);
		close(in);
		close(saved);
	}
	if (ret)
		fail_msg("protoc --decode: exit %d\n%s", ret, err);
	free(err);
	pf_parse(out, &t);
	truth_of(demo_trace, &g);

	/* Tracks: a process track per process, with its name. */
	for (size_t i = 0; i < t.n; i++) {
		const struct pf_packet *p = &t.p[i];

		if (p->kind == PF_DESC && p->process) {
			procs++;
			names_ok += !strcmp(p->name, "rhook-demo") || !strcmp(p->name, "rhook-compactor");
		}
	}
	assert_int_equal(procs, g.pids);
	assert_int_equal(names_ok, 2);
	/* Slices and instants: one per event of the trace. */
	assert_int_equal(pf_count(&t, "TYPE_SLICE_BEGIN", "flush", true), g.flush);
	assert_int_equal(pf_count(&t, "TYPE_SLICE_BEGIN", "compaction", true) +
				 pf_count(&t, "TYPE_SLICE_BEGIN", "remote_compaction", true),
			 g.compaction);
	assert_int_equal(pf_count(&t, "TYPE_SLICE_BEGIN", "remote_compaction", true), g.remote);
	assert_true(g.remote >= 1);
	assert_int_equal(pf_count(&t, "TYPE_SLICE_BEGIN", "commit", false), 2 * g.commits);
	assert_int_equal(pf_count(&t, "TYPE_SLICE_BEGIN", "lock wait", false), g.commits);
	assert_int_equal(pf_count(&t, "TYPE_SLICE_BEGIN", "lock hold", false), g.commits);
	assert_int_equal(pf_count(&t, "TYPE_SLICE_BEGIN", "persist", false), g.commits);
	assert_int_equal(pf_count(&t, "TYPE_INSTANT", "manifest_updated", false), g.updated);
	assert_int_equal(pf_count(&t, "TYPE_INSTANT", "hook_dispatch", false), g.hooks);
	/* Every SST of the demo is written by a job: on the job's flow. */
	assert_int_equal(pf_count(&t, "TYPE_INSTANT", "sst_file_written", true), g.ssts);
	pf_assert_nesting(&t);

	/* Flows: each notification of a job's commit ends the flow its job began, through its commit. */
	for (size_t i = 0; i < t.n; i++) {
		const struct pf_packet *u = &t.p[i];
		bool job = false, commit = false;

		if (u->kind != PF_EVENT || !u->term)
			continue;
		assert_string_equal(pf_name(&t, u), "manifest_updated");
		for (size_t k = 0; k < t.n; k++) {
			const struct pf_packet *p = &t.p[k];

			if (p->kind != PF_EVENT || p->flow != u->term || strcmp(p->type, "TYPE_SLICE_BEGIN"))
				continue;
			job |= !strcmp(pf_name(&t, p), "flush") || strstr(pf_name(&t, p), "compaction");
			commit |= !strcmp(pf_name(&t, p), "commit") && p->ts <= u->ts;
		}
		assert_true(job && commit);
		flows_done++;
	}
	assert_int_equal(flows_done, g.job_updated);

	/* Counters: each region's last "SST bytes" value is the bytes of its live files. */
	json_object_foreach(g.bytes, region, bytes) {
		char want[64];
		int64_t last = -1;

		snprintf(want, sizeof(want), "region %s(", region);
		for (size_t i = 0; i < t.n; i++) {
			const struct pf_packet *p = &t.p[i], *track, *parent;

			if (p->kind != PF_EVENT || !p->has_counter)
				continue;
			track = pf_track(&t, p->track);
			parent = track ? pf_track(&t, track->parent) : NULL;
			assert_non_null(parent);
			if (!strcmp(track->name, "SST bytes") && !strncmp(parent->name, want, strlen(want)))
				last = p->counter_value;
		}
		if (json_integer_value(bytes) || last >= 0)
			assert_int_equal(last, json_integer_value(bytes));
	}
	/* Annotations: every field, named as in the schema. */
	for (size_t i = 0; i < t.n; i++) {
		const struct pf_packet *p = &t.p[i];

		if (p->kind == PF_EVENT && !strcmp(pf_name(&t, p), "sst_file_written")) {
			assert_non_null(pf_ann(&t, p, "file_id"));
			assert_int_equal(strlen(pf_ann(&t, p, "file_id")->str), 36);
			assert_non_null(pf_ann(&t, p, "job"));
			assert_non_null(strstr(" flush compaction remote_compaction ", pf_ann(&t, p, "origin")->str));
		}
	}
	json_decref(g.bytes);
	pf_free(&t);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_demo),
		cmocka_unit_test(test_report_lossy),
		cmocka_unit_test(test_perfetto),
		cmocka_unit_test(test_stats_json),
		cmocka_unit_test(test_report_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
