/*
 * rt.c - test helpers (see rt.h).
 */
#define _GNU_SOURCE
#include "rt.h"

#include "proc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("rt: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void rt_tmpdir(char out[PATH_MAX], const char *tag)
{
	const char *base = getenv("TMPDIR");

	snprintf(out, PATH_MAX, "%s/rhook-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	if (!mkdtemp(out))
		die("mkdtemp(%s): %s", out, strerror(errno));
}

const char *rt_bin(const char *name)
{
	static __thread char buf[PATH_MAX];
	const char *dir = getenv("RHOOK_BIN_DIR");

	if (!dir)
		die("RHOOK_BIN_DIR is not set (run the tests through ctest)");
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* The open session rt_run()'s children join, or NULL (one at a time, set on the main thread). */
static struct rt_lttng *current;

int rt_run(char *const argv[], char *const env[], char **out, char **err)
{
	char *envp[64], *e = NULL;
	int n = 0, st;

	if (current) {
		/* The child joins the session's tracker before it execs, and knows the session for its own children. */
		envp[n++] = current->ctl.env;
		for (int i = 0; env && env[i]; i++)
			if (n < 63)
				envp[n++] = env[i];
		envp[n] = NULL;
		st = tc_proc_run_gated(argv, envp, out, &e, tc_lttngctl_track_hook, current->ctl.name);
	} else {
		st = tc_proc_run(argv, env, out, &e);
	}

	/* stderr of a child whose caller did not ask for it is shown, not lost. */
	if (err)
		*err = e;
	else {
		if (e && *e)
			fputs(e, stderr);
		free(e);
	}
	return st;
}

int rt_lttng_begin_with(struct rt_lttng *s, const struct tc_lttngctl_opts *o)
{
	if (current)
		die("an LTTng session is already open");
	if (tc_lttngctl_begin(&s->ctl, o))
		return -1;
	if (!o->all_processes)
		current = s;
	return 0;
}

int rt_demo(const char *dir, const char *const *extra)
{
	char *argv[32] = { strdup(rt_bin("rhook-demo")), "run", "--quiet", "--dir", (char *)dir };
	char *out, *err;
	size_t n = 5;
	int st;

	for (; extra && *extra && n < sizeof(argv) / sizeof(argv[0]) - 1; extra++)
		argv[n++] = (char *)*extra;
	st = rt_run(argv, NULL, &out, &err);
	if (st)
		fprintf(stderr, "rhook-demo: exit %d\n%s", st, err);
	free(argv[0]);
	free(out);
	free(err);
	return st;
}

int rt_lttng_begin(struct rt_lttng *s, const char *out_dir)
{
	struct tc_lttngctl_opts o = { .output_dir = out_dir, .start = true };

	return rt_lttng_begin_with(s, &o);
}

int rt_lttng_end(struct rt_lttng *s)
{
	if (current == s)
		current = NULL;
	return tc_lttngctl_end(&s->ctl);
}

void rt_lttng_record(char *const argv[], const char *tag, char dir[PATH_MAX], char **out, struct rt_trace *t)
{
	char trace_dir[PATH_MAX + 8];
	struct rt_lttng s;
	int st;

	rt_tmpdir(dir, tag);
	snprintf(trace_dir, sizeof(trace_dir), "%s/trace", dir);
	if (rt_lttng_begin(&s, trace_dir))
		die("cannot start an LTTng session");
	st = rt_run(argv, NULL, out, NULL);
	if (rt_lttng_end(&s))
		die("cannot stop the LTTng session");
	if (st)
		die("%s under LTTng: exit %d", argv[0], st);
	if (rt_babeltrace(trace_dir, t))
		die("babeltrace2 cannot read %s", trace_dir);
}

/* Parses one "key = value" list between braces; *p is past the '{'. */
static int parse_fields(const char **p, struct rt_event *ev)
{
	const char *s = *p;

	for (;;) {
		const char *k, *v;
		size_t klen;
		char *val;

		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '}') {
			*p = s + 1;
			return 0;
		}
		k = s;
		while (*s && *s != ' ' && *s != '=')
			s++;
		klen = (size_t)(s - k);
		if (strncmp(s, " = ", 3))
			return -1;
		s += 3;
		v = s;
		if (*s == '"') {
			/* A string: unescape \" and \\. */
			size_t n = 0;

			val = malloc(strlen(s) + 1);
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				val[n++] = *s;
			}
			if (*s != '"')
				return free(val), -1;
			s++;
			val[n] = '\0';
		} else if (*s == '(') {
			/* An enumeration: ( "label" : container = N ) -> label. */
			const char *q = strchr(s, '"'), *e;

			if (!q || !(e = strchr(q + 1, '"')))
				return -1;
			val = strndup(q + 1, (size_t)(e - q - 1));
			s = strchr(e, ')');
			if (!s)
				return free(val), -1;
			s++;
		} else if (*s == '[' || *s == '{') {
			int depth = 0;

			do {
				if (*s == '[' || *s == '{')
					depth++;
				else if (*s == ']' || *s == '}')
					depth--;
				s++;
			} while (*s && depth);
			val = strndup(v, (size_t)(s - v));
		} else {
			while (*s && *s != ',' && *s != ' ' && *s != '}')
				s++;
			val = strndup(v, (size_t)(s - v));
		}
		if (ev->num_fields == sizeof(ev->keys) / sizeof(ev->keys[0]))
			return free(val), -1;
		ev->keys[ev->num_fields] = strndup(k, klen);
		ev->values[ev->num_fields++] = val;
	}
}

int rt_parse_babeltrace(const char *text, struct rt_trace *out)
{
	const char *line = text;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	while (line && *line) {
		const char *end = strchr(line, '\n'), *p = line, *name;
		struct rt_event ev;
		unsigned long long sec, nsec;
		int n;

		memset(&ev, 0, sizeof(ev));
		if (sscanf(p, "[%llu.%llu]%n", &sec, &nsec, &n) != 2)
			return -1;
		ev.ts_ns = sec * 1000000000ull + nsec;
		p += n;
		/* "host provider:event: { ctx }, { payload }" */
		name = strstr(p, " rhook:");
		if (!name || (end && name > end))
			return -1;
		name++;
		n = (int)(strchr(name, ':') - name);
		{
			const char *colon2 = strchr(name + n + 1, ':');

			snprintf(ev.name, sizeof(ev.name), "%.*s", (int)(colon2 - name), name);
			p = colon2 + 1;
		}
		/* Context groups, then the payload: every "{ k = v, ... }" group of the line. */
		for (;;) {
			while (*p == ' ' || *p == ',')
				p++;
			if (*p != '{' || (end && p >= end))
				break;
			p++;
			if (parse_fields(&p, &ev))
				return -1;
		}
		if (!ev.num_fields)
			return -1;
		if (out->num_events == cap) {
			cap = cap ? cap * 2 : 256;
			out->events = realloc(out->events, cap * sizeof(*out->events));
		}
		out->events[out->num_events++] = ev;
		line = end ? end + 1 : NULL;
	}
	return 0;
}

int rt_babeltrace(const char *dir, struct rt_trace *out)
{
	char *argv[] = { "babeltrace2", "--clock-seconds", "--no-delta", (char *)dir, NULL };
	char *text, *err;
	int st = rt_run(argv, NULL, &text, &err), ret = -1;

	if (st == 0)
		ret = rt_parse_babeltrace(text, out);
	else
		fprintf(stderr, "rt: babeltrace2 %s: exit %d\n%s", dir, st, err);
	if (st == 0 && ret)
		fprintf(stderr, "rt: cannot parse babeltrace2 output:\n%.2000s\n", text);
	free(text);
	free(err);
	return ret;
}

void rt_trace_free(struct rt_trace *t)
{
	for (size_t i = 0; i < t->num_events; i++) {
		for (size_t j = 0; j < t->events[i].num_fields; j++) {
			free(t->events[i].keys[j]);
			free(t->events[i].values[j]);
		}
	}
	free(t->events);
	memset(t, 0, sizeof(*t));
}

const char *rt_field(const struct rt_event *ev, const char *key)
{
	for (size_t i = 0; i < ev->num_fields; i++)
		if (!strcmp(ev->keys[i], key))
			return ev->values[i];
	return NULL;
}

uint64_t rt_field_u64(const struct rt_event *ev, const char *key)
{
	const char *v = rt_field(ev, key);
	char *end;
	unsigned long long x;

	if (!v)
		die("event %s has no field %s", ev->name, key);
	errno = 0;
	x = strtoull(v, &end, 0);
	if (*end || errno)
		die("event %s field %s = %s is not a number", ev->name, key, v);
	return x;
}

size_t rt_count(const struct rt_trace *t, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < t->num_events; i++)
		n += !strcmp(t->events[i].name, name);
	return n;
}
