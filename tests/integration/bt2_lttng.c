/*
 * bt2_lttng.c - one workload (rhook-demo and its compactor: the engine,
 * two processes) recorded by a real LTTng-UST session (per-process
 * buffers, vpid, vtid and procname contexts) and by the flight recorder
 * at once.  The recorder trace, whether read by the
 * babeltrace2 plugin or exported by rhook-read, has the LTTng trace's
 * shape: the export's TSDL metadata agrees with LTTng's statement by
 * statement (a structural comparison, values aside), babeltrace2 sees the
 * same trace classes and prints the same field names, and the muxer and
 * the trimmer combine both traces into one timeline.
 */
#define _GNU_SOURCE
#include <ctype.h>

#include "bt2_common.h"
#include "reader/scan.h"
#include "reader/schema.h"

static char base[PATH_MAX], work[PATH_MAX + 8], rec[PATH_MAX + 16], lt[PATH_MAX + 8], ctf[PATH_MAX + 8];
/* Per process of the run (rhook-demo, then rhook-compactor): its LTTng trace and its export. */
static char lt_trace[2][PATH_MAX], ctf_trace[2][PATH_MAX];

/*
 * The trace directory under @dir of process @pid: an LTTng session's
 * "<procname>-<pid>-<date>" (the session records every process emitting
 * rhook:* on the machine, other tests' too, each in a directory of its
 * own), or an export's "<host>-<procname>-<pid>".
 */
static int find_trace(const char *dir, long pid, char out[PATH_MAX])
{
	struct rdr_found f = { 0 };
	char err[256] = "", mid[32], tail[32];
	int ret = rdr_scan_path(&f, dir, err, sizeof(err));
	bool found = false;

	snprintf(mid, sizeof(mid), "-%ld-", pid);
	snprintf(tail, sizeof(tail), "-%ld", pid);
	for (size_t i = 0; !ret && !found && i < f.num_ctf; i++) {
		const char *name = strrchr(f.ctf[i], '/');
		size_t n;

		name = name ? name + 1 : f.ctf[i];
		n = strlen(name);
		if (strstr(name, mid) || (n > strlen(tail) && !strcmp(name + n - strlen(tail), tail))) {
			snprintf(out, PATH_MAX, "%s", f.ctf[i]);
			found = true;
		}
	}
	if (!found)
		fprintf(stderr, "%s: no CTF trace of process %ld (%s)\n", dir, pid, err);
	rdr_found_free(&f);
	return found ? 0 : -1;
}

/* The pids of the two processes that wrote the recorder trace in @dir (files rhook-PID-N.rhr), demo first. */
static int recorder_pids(const char *dir, long pids[2])
{
	struct rdr_found f = { 0 };
	char err[256], *out = NULL, *errs = NULL;
	int n = 0;

	if (rdr_scan_path(&f, dir, err, sizeof(err)) || f.num_rec != 2 ||
	    rr_read(&out, &errs, (const char *const[]){ "stats", dir, NULL }))
		n = -1;
	free(errs);
	for (size_t i = 0; !n && i < 2; i++) {
		const char *name = strrchr(f.rec[i], '/');
		const char *line = out ? strstr(out, name) : NULL;
		long pid = name && !strncmp(name, "/rhook-", 7) ? strtol(name + 7, NULL, 10) : 0;

		/* stats names each file's program: "...rhook-PID-0.rhr: host H, pid PID (rhook-demo)". */
		if (!pid || !line)
			n = -1;
		else
			pids[strstr(line, "(rhook-demo)") == strchr(line, '(') ? 0 : 1] = pid;
	}
	rdr_found_free(&f);
	free(out);
	return n || pids[0] == pids[1] ? -1 : 0;
}

static int setup(void **state)
{
	/* Per-process buffers large enough that LTTng loses nothing of the run. */
	static const char *const channel[] = { "--buffers-pid", "--subbuf-size=1M", "--num-subbuf=8", NULL };
	struct tc_lttngctl_opts o = { .channel = channel, .process_context = true, .start = true };
	char *argv[] = { NULL, "run", "--seconds", "2", "--quiet", "--dir", work, NULL };
	struct rt_lttng session;
	char *out, *err;
	long pids[2] = { 0, 0 };
	int st;

	(void)state;
	rt_tmpdir(base, "bt2-lttng");
	snprintf(work, sizeof(work), "%s/demo", base);
	snprintf(rec, sizeof(rec), "%s/trace", work);
	snprintf(lt, sizeof(lt), "%s/lt", base);
	snprintf(ctf, sizeof(ctf), "%s/ctf", base);
	o.output_dir = lt;
	if (rt_lttng_begin_with(&session, &o))
		return -1;
	/*
	 * The demo and its compactor; RHOOK_LTTNG=on comes from the test's
	 * environment: the flight recorder and the session both record.
	 */
	argv[0] = strdup(rt_bin("rhook-demo"));
	/* A trigger every commit meets, so that rhook:snapshot_trigger is among the events compared. */
	setenv("RHOOK_TRACE_SNAPSHOT_ON", "hold>1ns", 1);
	st = rt_run(argv, NULL, &out, &err);
	unsetenv("RHOOK_TRACE_SNAPSHOT_ON");
	free(argv[0]);
	if (st)
		fprintf(stderr, "rhook-demo: exit %d\n%s", st, err);
	free(out);
	free(err);
	if (rt_lttng_end(&session) || st)
		return -1;
	if (rr_read(&out, &err, (const char *const[]){ "export", "--ctf", ctf, rec, NULL }))
		return -1;
	free(out);
	free(err);
	if (recorder_pids(rec, pids))
		return -1;
	for (int i = 0; i < 2; i++)
		if (find_trace(lt, pids[i], lt_trace[i]) || find_trace(ctf, pids[i], ctf_trace[i]))
			return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tc_rmtree(base);
	return 0;
}

/* TSDL, taken apart just enough to compare two metadata files statement by statement. */
struct lines {
	char **v;
	size_t n, cap;
};

static void add_line(struct lines *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

static void free_lines(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Tokens: strings, words (letters, digits, '_', '.'), ":=", other punctuation; comments dropped. */
static void tokenize(const char *s, struct lines *t)
{
	while (*s) {
		const char *b = s;

		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");

			s = e ? e + 2 : s + strlen(s);
			continue;
		}
		if (s[0] == '/' && s[1] == '/') {
			s += strcspn(s, "\n");
			continue;
		}
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++)
				if (*s == '\\' && s[1])
					s++;
			s += *s == '"';
		} else if (isalnum((unsigned char)*s) || *s == '_' || *s == '.') {
			while (isalnum((unsigned char)*s) || *s == '_' || *s == '.')
				s++;
		} else {
			s += s[0] == ':' && s[1] == '=' ? 2 : 1;
		}
		add_line(t, strndup(b, (size_t)(s - b)));
	}
}

/* Whether the tokens [from, to) open a block whose statements are compared one by one. */
static bool block_head(const struct lines *t, size_t from, size_t to)
{
	static const char *const scopes[] = { "trace", "env", "clock", "stream", "event" };

	if (to - from == 1)
		for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
			if (!strcmp(t->v[from], scopes[i]))
				return true;
	if (to - from == 2 && !strcmp(t->v[from], "struct"))
		return true; /* struct packet_context { ... } */
	return to - from >= 2 && !strcmp(t->v[to - 2], ":=") && !strcmp(t->v[to - 1], "struct");
}

/* Whether @key's value in block @path is a value of this trace, not part of its shape. */
static bool is_value(const char *path, const char *key)
{
	if (!strcmp(path, "/env"))
		return true;
	if (!strcmp(path, "/clock"))
		return !strcmp(key, "uuid") || !strcmp(key, "offset") || !strcmp(key, "offset_s");
	if (!strcmp(path, "/trace"))
		return !strcmp(key, "uuid");
	return !strncmp(path, "/event", 6) && !strcmp(key, "id");
}

static void statements(const struct lines *t, size_t *i, const char *path, struct lines *out);

/*
 * Reads statement @nth of its block at t[*i] (to its ';'), appending it,
 * and the statements of a block it opens, to @out.  A structure's members
 * keep their position: it is part of the layout.
 */
static void statement(const struct lines *t, size_t *i, const char *path, unsigned nth, struct lines *out)
{
	size_t start = *i, len = 0, cap = 256;
	char *s = malloc(cap);

	s[0] = '\0';
	while (*i < t->n && strcmp(t->v[*i], ";") && strcmp(t->v[*i], "}")) {
		const char *tok = t->v[*i];

		if (!strcmp(tok, "{") && block_head(t, start, *i)) {
			char child[512];
			struct lines sub = { 0 };
			const char *prefix = child;

			snprintf(child, sizeof(child), "%s/%.*s", path, (int)strlen(s), s);
			for (size_t k = strlen(path) + 1; child[k]; k++)
				if (child[k] == ' ')
					child[k] = '_';
			(*i)++;
			statements(t, i, child, &sub);
			if (*i < t->n)
				(*i)++; /* '}' */
			/* An event's statements are named after the event, not its position. */
			for (size_t k = 0; !strcmp(child, "/event") && k < sub.n; k++) {
				const char *name = strstr(sub.v[k], " | name = ");

				if (name && !strncmp(sub.v[k], "/event |", 8)) {
					static char named[512];

					snprintf(named, sizeof(named), "/event[%s]", name + 10);
					prefix = named;
				}
			}
			for (size_t k = 0; k < sub.n; k++) {
				char *line;

				if (asprintf(&line, "%s%s", prefix, sub.v[k] + strlen(child)) < 0)
					abort();
				add_line(out, line);
			}
			free_lines(&sub);
			while (len + 8 > cap)
				s = realloc(s, cap *= 2);
			len += (size_t)sprintf(s + len, "%s{...}", len ? " " : "");
			continue;
		} else if (!strcmp(tok, "{")) {
			/* A type's body (integer, enum, variant): part of the statement, flat. */
			int depth = 0;

			do {
				tok = t->v[*i];
				depth += !strcmp(tok, "{") - !strcmp(tok, "}");
				while (len + strlen(tok) + 2 > cap)
					s = realloc(s, cap *= 2);
				len += (size_t)sprintf(s + len, "%s%s", len ? " " : "", tok);
				(*i)++;
			} while (*i < t->n && depth);
			continue;
		}
		while (len + strlen(tok) + 2 > cap)
			s = realloc(s, cap *= 2);
		len += (size_t)sprintf(s + len, "%s%s", len ? " " : "", tok);
		(*i)++;
	}
	if (*i < t->n && !strcmp(t->v[*i], ";"))
		(*i)++;
	if (len) {
		char *line, *eq = strchr(s, '{') ? NULL : strstr(s, " = ");
		size_t key = eq ? (size_t)(eq - s) : 0;
		char name[128];

		snprintf(name, sizeof(name), "%.*s", (int)key, s);
		if (eq && is_value(path, name))
			strcpy(eq, " = <value>");
		if (strstr(path, "struct") ? asprintf(&line, "%s #%u | %s", path, nth, s) < 0
					   : asprintf(&line, "%s | %s", path, s) < 0)
			abort();
		add_line(out, line);
	}
	free(s);
}

static void statements(const struct lines *t, size_t *i, const char *path, struct lines *out)
{
	for (unsigned nth = 0; *i < t->n && strcmp(t->v[*i], "}"); nth++)
		statement(t, i, path, nth, out);
}

/* The statements of the metadata of the trace in @dir, as babeltrace2 reads it, sorted. */
static void shape(const char *dir, struct lines *out)
{
	struct lines t = { 0 };
	char *text, *err;
	size_t i = 0;

	if (rt_run((char *[]){ "babeltrace2", "--output-format=ctf-metadata", (char *)dir, NULL }, NULL, &text, &err))
		fail_msg("babeltrace2 -o ctf-metadata %s:\n%s", dir, err);
	tokenize(text, &t);
	statements(&t, &i, "", out);
	qsort(out->v, out->n, sizeof(*out->v), rr_cmp_str);
	free_lines(&t);
	free(text);
	free(err);
}

/* The export's metadata is LTTng-UST's, statement by statement, values aside, plus rhook_source. */
static void test_metadata_shape(void **state)
{
	struct lines a = { 0 }, b = { 0 };
	size_t i = 0, j = 0, diffs = 0, envs = 0;

	(void)state;
	shape(lt_trace[0], &a);
	shape(ctf_trace[0], &b);
	assert_true(a.n > 100);
	while (i < a.n || j < b.n) {
		int c = i == a.n ? 1 : j == b.n ? -1 : strcmp(a.v[i], b.v[j]);

		if (c == 0) {
			envs += !strncmp(a.v[i], "/env | ", 7);
			i++;
			j++;
		} else if (c < 0) {
			fprintf(stderr, "only in LTTng's: %s\n", a.v[i++]);
			diffs++;
		} else if (!strcmp(b.v[j], "/env | rhook_source = <value>")) {
			j++;
		} else {
			fprintf(stderr, "only in the export: %s\n", b.v[j++]);
			diffs++;
		}
	}
	assert_int_equal(diffs, 0);
	/* The keys the issue names, among the ones compared. */
	for (const char *const *k = (const char *const[]){ "domain", "tracer_name", "tracer_major", "tracer_minor",
							  "hostname", "procname", "vpid", NULL };
	     *k; k++) {
		char want[64];

		snprintf(want, sizeof(want), "/env | %s = <value>", *k);
		assert_non_null(bsearch(&(const char *){ want }, a.v, a.n, sizeof(*a.v), rr_cmp_str));
	}
	assert_true(envs >= 14);
	free_lines(&a);
	free_lines(&b);
}

/* sink.text.details' "Trace class:" section of @args' run, with the lines of values left out. */
static char *trace_class(const char *const *args)
{
	char *out, *err, *start, *end, *p, *q;
	int st = rb_run(args, NULL, &out, &err);

	if (st)
		fail_msg("babeltrace2 %s: exit %d\n%s", args[0], st, err);
	free(err);
	start = strstr(out, "Trace class:");
	assert_non_null(start);
	end = strstr(start, "\n\n");
	assert_non_null(end);
	*end = '\0';
	/* Drop the clock's offset and UUID lines: values of the run. */
	for (p = q = start; *p;) {
		size_t n = strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n');

		if (!strstr(p, "Offset (") && !strstr(p, "UUID:"))
			memmove(q, p, n), q += n;
		p += n;
	}
	*q = '\0';
	q = strdup(start);
	free(out);
	return q;
}

/* babeltrace2 sees one trace class in all three: LTTng's, the plugin's, the export's. */
static void test_trace_classes(void **state)
{
	char *a = trace_class((const char *const[]){ lt_trace[0], "-c", "sink.text.details", NULL });
	char *b = trace_class((const char *const[]){ rec, "-c", "sink.text.details", NULL });
	char *c = trace_class((const char *const[]){ ctf_trace[0], "-c", "sink.text.details", NULL });

	(void)state;
	assert_non_null(strstr(a, "Event class `rhook:manifest_updated`"));
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	free(a);
	free(b);
	free(c);
}

/* The keys of an event, in order: "name:k1,k2,...". */
static char *keys(const struct rt_event *ev)
{
	size_t len = strlen(ev->name) + 2;
	char *s;

	for (size_t i = 0; i < ev->num_fields; i++)
		len += strlen(ev->keys[i]) + 1;
	s = malloc(len);
	strcpy(s, ev->name);
	strcat(s, ":");
	for (size_t i = 0; i < ev->num_fields; i++) {
		strcat(s, ev->keys[i]);
		strcat(s, ",");
	}
	return s;
}

/* Sorted "name|payload" of every event: what a trace holds, whatever the times. */
static char **contents(const struct rt_trace *t)
{
	char **c = calloc(t->num_events, sizeof(*c));

	for (size_t i = 0; i < t->num_events; i++)
		c[i] = rr_canon(&t->events[i], true);
	qsort(c, t->num_events, sizeof(*c), rr_cmp_str);
	return c;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Asserts that every event of @a has a namesake with the same keys in @b. */
static void same_keys(const struct rt_trace *a, const struct rt_trace *b)
{
	for (size_t i = 0; i < a->num_events; i++) {
		char *k = keys(&a->events[i]);
		bool found = false;

		for (size_t j = 0; j < b->num_events && !found; j++) {
			if (!strcmp(a->events[i].name, b->events[j].name)) {
				char *l = keys(&b->events[j]);

				assert_string_equal(k, l);
				found = true;
				free(l);
			}
		}
		assert_true(found);
		free(k);
	}
}

/*
 * babeltrace2 prints the same field names (contexts included) for every
 * event of the LTTng trace, the recorder trace and its export, and the
 * same events.
 */
static void test_same_fields(void **state)
{
	struct rt_trace a, b, c;
	char **ca, **cb, **cc, *err;

	(void)state;
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", lt_trace[0], lt_trace[1], NULL }, &a, &err);
	if (rb_discard_warnings(err))
		fail_msg("the LTTng session lost events: its buffers are too small\n%s", err);
	free(err);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", rec, NULL }, &b, NULL);
	assert_int_equal(rt_babeltrace(ctf, &c), 0);
	assert_true(a.num_events > 50);
	/* Every event of the schema is among them, sst_file_removed (GC, drop) and its job-id peers included. */
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		const char *name = rdr_schema_event(id)->full_name;
		size_t seen = 0;

		for (size_t i = 0; i < a.num_events; i++)
			seen += !strcmp(a.events[i].name, name);
		if (!seen)
			fail_msg("the LTTng trace of the demo has no %s", name);
	}
	assert_int_equal(a.num_events, b.num_events);
	assert_int_equal(a.num_events, c.num_events);
	same_keys(&a, &b);
	same_keys(&b, &a);
	same_keys(&a, &c);
	same_keys(&c, &a);
	ca = contents(&a);
	cb = contents(&b);
	cc = contents(&c);
	for (size_t i = 0; i < a.num_events; i++) {
		assert_string_equal(ca[i], cb[i]);
		assert_string_equal(ca[i], cc[i]);
	}
	free_strings(ca, a.num_events);
	free_strings(cb, b.num_events);
	free_strings(cc, c.num_events);
	rt_trace_free(&a);
	rt_trace_free(&b);
	rt_trace_free(&c);
}

static size_t in_range(const struct rt_trace *t, uint64_t from, uint64_t to)
{
	size_t n = 0;

	for (size_t i = 0; i < t->num_events; i++)
		n += t->events[i].ts_ns >= from && t->events[i].ts_ns <= to;
	return n;
}

/* flt.utils.muxer, then flt.utils.trimmer, on the LTTng trace and the recorder trace together. */
static void test_muxed_and_trimmed(void **state)
{
	struct rt_trace a, b, both, cut;
	char begin[64], end[64], **ca, **cb, **cboth;
	uint64_t t1, t2;

	(void)state;
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", lt_trace[0], lt_trace[1], NULL }, &a, NULL);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", rec, NULL }, &b, NULL);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", lt_trace[0], lt_trace[1], rec, NULL }, &both,
		 NULL);
	assert_int_equal(both.num_events, a.num_events + b.num_events);
	for (size_t i = 1; i < both.num_events; i++)
		assert_true(both.events[i].ts_ns >= both.events[i - 1].ts_ns);
	/* Every event twice: once from each tracer. */
	ca = contents(&a);
	cb = contents(&b);
	cboth = contents(&both);
	for (size_t i = 0; i < a.num_events; i++) {
		assert_string_equal(ca[i], cb[i]);
		assert_string_equal(cboth[2 * i], ca[i]);
		assert_string_equal(cboth[2 * i + 1], ca[i]);
	}
	free_strings(ca, a.num_events);
	free_strings(cb, b.num_events);
	free_strings(cboth, both.num_events);

	t1 = both.events[both.num_events / 3].ts_ns;
	t2 = both.events[both.num_events * 2 / 3].ts_ns;
	snprintf(begin, sizeof(begin), "--begin=%" PRIu64 ".%09" PRIu64, t1 / 1000000000, t1 % 1000000000);
	snprintf(end, sizeof(end), "--end=%" PRIu64 ".%09" PRIu64, t2 / 1000000000, t2 % 1000000000);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", begin, end, lt_trace[0], lt_trace[1], rec, NULL },
		 &cut, NULL);
	assert_int_equal(cut.num_events, in_range(&both, t1, t2));
	assert_true(cut.num_events >= both.num_events / 4);
	assert_int_equal(cut.events[0].ts_ns >= t1 && cut.events[cut.num_events - 1].ts_ns <= t2, 1);
	rt_trace_free(&a);
	rt_trace_free(&b);
	rt_trace_free(&both);
	rt_trace_free(&cut);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metadata_shape),
		cmocka_unit_test(test_trace_classes),
		cmocka_unit_test(test_same_fields),
		cmocka_unit_test(test_muxed_and_trimmed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
