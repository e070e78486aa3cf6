/*
 * bt2_common.h - helpers of the babeltrace2 plugin's tests: running the
 * real babeltrace2 program with the build tree's plugin, reading its
 * discarded-events warnings, and rhook-read's count of lost events.
 */
#ifndef RHOOK_TESTS_BT2_COMMON_H
#define RHOOK_TESTS_BT2_COMMON_H

#include <inttypes.h>

#include "reader_common.h"

/*
 * Runs `babeltrace2 --plugin-path=$RHOOK_BT2_PLUGIN_DIR @args...` (@args
 * NULL-terminated) with the extra environment @env (may be NULL); stdout
 * in *out, stderr in *err.  In sanitizer builds the sanitizer runtime
 * the plugin needs is preloaded ($RHOOK_BT2_PRELOAD).  Returns the exit
 * status; a signal fails the test: the plugin must never crash its host.
 */
static inline int rb_run(const char *const *args, const char *const *env, char **out, char **err)
{
	char plugin_path[PATH_MAX + 32], preload[PATH_MAX + 16], *argv[40], *envp[16];
	const char *dir = getenv("RHOOK_BT2_PLUGIN_DIR"), *so = getenv("RHOOK_BT2_PRELOAD");
	int n = 0, m = 0, st;

	if (!dir)
		fail_msg("RHOOK_BT2_PLUGIN_DIR is not set (run the tests through ctest)");
	snprintf(plugin_path, sizeof(plugin_path), "--plugin-path=%s", dir);
	argv[n++] = "babeltrace2";
	argv[n++] = plugin_path;
	for (int i = 0; args[i] && n < 39; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	if (so && *so) {
		snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", so);
		envp[m++] = preload;
	}
	for (int i = 0; env && env[i] && m < 15; i++)
		envp[m++] = (char *)env[i];
	envp[m] = NULL;
	st = rt_run(argv, envp, out, err);
	if (st < 0 || st >= 128)
		fail_msg("babeltrace2 %s: killed or not run (status %d)\n%s", args[0], st, err ? *err : "");
	return st;
}

/*
 * Runs babeltrace2 with the plugin on @args and parses its text output;
 * fails the test unless it exits 0.  (Not inlined: inlined, GCC 12 sees a
 * dangling pointer in the callers that is not there.)
 */
__attribute__((unused, noinline)) static void rb_print(const char *const *args, struct rt_trace *t, char **err_out)
{
	char *out, *err;
	int st = rb_run(args, NULL, &out, &err);

	if (st)
		fail_msg("babeltrace2 %s: exit %d\n%s", args[0], st, err);
	if (rt_parse_babeltrace(out, t))
		fail_msg("cannot parse babeltrace2 output:\n%.2000s", out);
	free(out);
	if (err_out)
		*err_out = err;
	else
		free(err);
}

/* The sum of N over babeltrace2's "WARNING: Tracer discarded N events" lines in @err. */
static inline uint64_t rb_discarded(const char *err)
{
	static const char key[] = "Tracer discarded ";
	uint64_t sum = 0;
	size_t off = 0;
	const char *p;

	while ((p = strstr(err + off, key))) {
		sum += strtoull(p + sizeof(key) - 1, NULL, 10);
		off = (size_t)(p - err) + 1;
	}
	return sum;
}

/* The number of "Tracer discarded" warnings in @err. */
static inline size_t rb_discard_warnings(const char *err)
{
	size_t n = 0, off = 0;
	const char *p;

	while ((p = strstr(err + off, "Tracer discarded "))) {
		n++;
		off = (size_t)(p - err) + 1;
	}
	return n;
}

/* Events lost by the trace at @path, as `rhook-read stats` counts them ("lost: N"). */
static inline uint64_t rb_lost(const char *path)
{
	char *out, *err, *p;
	uint64_t n;

	if (rr_read(&out, &err, (const char *const[]){ "stats", path, NULL }))
		fail_msg("rhook-read stats %s failed:\n%s", path, err);
	p = strstr(out, "\nlost: ");
	if (!p)
		fail_msg("no lost line in:\n%s", out);
	n = strtoull(p + 7, NULL, 10);
	free(out);
	free(err);
	return n;
}

/* rhook-read print @path parsed; fails the test unless it exits 0. */
static inline void rb_read_print(const char *path, struct rt_trace *t)
{
	char *out, *err;

	if (rr_read(&out, &err, (const char *const[]){ "print", path, NULL }))
		fail_msg("rhook-read print %s failed:\n%s", path, err);
	if (rt_parse_babeltrace(out, t))
		fail_msg("cannot parse rhook-read print output:\n%.2000s", out);
	free(out);
	free(err);
}

#endif /* RHOOK_TESTS_BT2_COMMON_H */
