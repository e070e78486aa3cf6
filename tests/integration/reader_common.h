/*
 * reader_common.h - helpers shared by the rhook-read integration tests:
 * recording real traffic with rhook-tracegen, running rhook-read, and
 * comparing two event lists parsed from babeltrace2-style text.
 */
#ifndef RHOOK_TESTS_READER_COMMON_H
#define RHOOK_TESTS_READER_COMMON_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt.h"

/*
 * Runs rhook-tracegen with @args (NULL-terminated, may be NULL), recording
 * into @dir (RHOOK_TRACE_DIR) plus @env (NULL-terminated, may be NULL).
 * Fails the test unless it exits 0.
 */
static inline void rr_tracegen(const char *dir, const char *const *args, const char *const *env)
{
	char envdir[PATH_MAX + 32];
	char *argv[16], *envp[16];
	char *out, *err;
	int n = 0, m = 0, st;

	argv[n++] = strdup(rt_bin("rhook-tracegen"));
	for (int i = 0; args && args[i] && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	snprintf(envdir, sizeof(envdir), "RHOOK_TRACE_DIR=%s", dir);
	envp[m++] = envdir;
	for (int i = 0; env && env[i] && m < 15; i++)
		envp[m++] = (char *)env[i];
	envp[m] = NULL;
	st = rt_run(argv, envp, &out, &err);
	if (st)
		fail_msg("rhook-tracegen: exit %d\n%s%s", st, out, err);
	free(argv[0]);
	free(out);
	free(err);
}

/*
 * Runs rhook-read with @args (NULL-terminated); its stdout in *out and
 * stderr in *err (both malloc'ed).  Returns the exit status; a signal
 * (>= 128) fails the test: rhook-read must never crash.
 */
static inline int rr_read(char **out, char **err, const char *const *args)
{
	char *argv[32];
	int n = 0, st;

	argv[n++] = strdup(rt_bin("rhook-read"));
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	st = rt_run(argv, NULL, out, err);
	free(argv[0]);
	if (st < 0 || st >= 128)
		fail_msg("rhook-read %s: killed or not run (status %d)\n%s", args[0] ? args[0] : "", st, *err);
	return st;
}

/* Whether @key is a context field (not of the payload): the tracers' contexts differ. */
static inline bool rr_context_key(const char *key)
{
	static const char *const keys[] = { "pid", "tid", "cpu_id", "vpid", "vtid", "procname" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

/*
 * "name|key=value|..." of @ev, context fields left out if @payload_only,
 * for comparisons.  The contexts are compared as the process and thread
 * they name: LTTng's vpid and vtid (an LTTng trace, an export, the
 * babeltrace2 plugin) as rhook-read print's pid and tid; cpu_id and
 * procname, which print does not show, are left out.
 */
static inline char *rr_canon(const struct rt_event *ev, bool payload_only)
{
	size_t len = strlen(ev->name) + 1;
	char *s;

	for (size_t i = 0; i < ev->num_fields; i++)
		len += strlen(ev->keys[i]) + strlen(ev->values[i]) + 2;
	s = malloc(len + 1);
	strcpy(s, ev->name);
	for (size_t i = 0; i < ev->num_fields; i++) {
		const char *key = ev->keys[i];

		if (rr_context_key(key) && (payload_only || !strcmp(key, "cpu_id") || !strcmp(key, "procname")))
			continue;
		strcat(s, "|");
		strcat(s, !strcmp(key, "vpid") ? "pid" : !strcmp(key, "vtid") ? "tid" : key);
		strcat(s, "=");
		strcat(s, ev->values[i]);
	}
	return s;
}

static inline int rr_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Asserts that @a and @b hold the same events with the same timestamps,
 * names and fields (payload fields only if @payload_only), in the same
 * order, except that events with equal timestamps may come in any order
 * (mergers break ties differently).
 */
static inline void rr_same_events(const struct rt_trace *a, const struct rt_trace *b, bool payload_only)
{
	size_t i = 0;

	assert_int_equal(a->num_events, b->num_events);
	while (i < a->num_events) {
		size_t j = i, n;
		char **x, **y;

		while (j < a->num_events && a->events[j].ts_ns == a->events[i].ts_ns)
			j++;
		n = j - i;
		x = calloc(n, sizeof(*x));
		y = calloc(n, sizeof(*y));
		for (size_t k = 0; k < n; k++) {
			assert_int_equal(b->events[i + k].ts_ns, a->events[i].ts_ns);
			x[k] = rr_canon(&a->events[i + k], payload_only);
			y[k] = rr_canon(&b->events[i + k], payload_only);
		}
		qsort(x, n, sizeof(*x), rr_cmp_str);
		qsort(y, n, sizeof(*y), rr_cmp_str);
		for (size_t k = 0; k < n; k++) {
			assert_string_equal(x[k], y[k]);
			free(x[k]);
			free(y[k]);
		}
		free(x);
		free(y);
		i = j;
	}
}

/* The part of a stats report from "== all ==" on: what depends on the events only. */
static inline const char *rr_stats_body(const char *report)
{
	const char *p = strstr(report, "== all ==");

	if (!p)
		fail_msg("not a stats report:\n%s", report);
	return p;
}

#endif /* RHOOK_TESTS_READER_COMMON_H */
