/*
 * rt.h - helpers for rhook's tests (cmocka): temporary directories,
 * child processes, a real LTTng session, babeltrace2 output.
 *
 * Worker threads record; the main thread asserts (cmocka is not
 * thread-safe).
 */
#ifndef RHOOK_TESTS_RT_H
#define RHOOK_TESTS_RT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsutil.h"
#include "lttngctl.h"

/* Creates a fresh private directory under $TMPDIR (or /tmp); returns its path in @out. */
void rt_tmpdir(char out[PATH_MAX], const char *tag);

/*
 * tc_proc_run() (tools/common/proc.h), except that stderr the caller
 * does not collect (@err NULL) is copied to the test's stderr, and that
 * while an rt_lttng session is open the child is added to its process
 * tracker before it execs, with $RHOOK_LTTNG_SESSION naming the session
 * (for the children it spawns itself).  Main thread only.
 */
int rt_run(char *const argv[], char *const env[], char **out, char **err);

/*
 * Runs "rhook-demo run --quiet --dir @dir" with the options @extra
 * (NULL-terminated, may be NULL) and returns its exit status; its stderr
 * is shown when it fails.  Main thread only.
 */
int rt_demo(const char *dir, const char *const *extra);

/* Absolute path of a built program: $RHOOK_BIN_DIR/name. */
const char *rt_bin(const char *name);

/*
 * A real LTTng session recording rhook:* in user space.  begin() starts
 * an lttng-sessiond if none runs (end() stops only what begin() started),
 * creates a session writing to @out_dir, enables rhook:* and starts.  It
 * records only the processes rt_run() starts until end() (LTTng's vpid
 * tracker): not the test itself, nor any other program of the host.  One
 * session open at a time; main thread only.
 */
struct rt_lttng {
	struct tc_lttngctl ctl;
};
int rt_lttng_begin(struct rt_lttng *s, const char *out_dir);
/* The same with the options @o (tools/common/lttngctl.h); with o->all_processes rt_run() tracks nothing. */
int rt_lttng_begin_with(struct rt_lttng *s, const struct tc_lttngctl_opts *o);
/* Stops and destroys the session (trace is flushed to out_dir). */
int rt_lttng_end(struct rt_lttng *s);

struct rt_trace;

/*
 * Runs @argv under a session writing to @dir/trace (@dir: a new temporary
 * directory, tagged @tag), then parses the trace with babeltrace2 into @t;
 * the program's stdout in *out.  Fails the test if any step fails.
 */
void rt_lttng_record(char *const argv[], const char *tag, char dir[PATH_MAX], char **out, struct rt_trace *t);

/* One event of babeltrace2's text output. */
struct rt_event {
	char name[64];          /* "rhook:manifest_commit" */
	uint64_t ts_ns;         /* from the [..] timestamp, ns since epoch */
	size_t num_fields;       /* context fields (cpu_id, vpid, procname...) then the payload's */
	char *keys[48];
	char *values[48];       /* numbers as printed, strings unquoted, enums as their label */
};

struct rt_trace {
	struct rt_event *events;
	size_t num_events;
};

/* Runs `babeltrace2 <dir>` and parses its output; 0 or -1. */
int rt_babeltrace(const char *dir, struct rt_trace *out);
/* Parses babeltrace2 text output; 0 or -1 on a line it cannot parse. */
int rt_parse_babeltrace(const char *text, struct rt_trace *out);
void rt_trace_free(struct rt_trace *t);
/* Value of @key in @ev, or NULL. */
const char *rt_field(const struct rt_event *ev, const char *key);
/* Unsigned value of @key; fails the test when missing or not a number. */
uint64_t rt_field_u64(const struct rt_event *ev, const char *key);
/* Number of events named @name. */
size_t rt_count(const struct rt_trace *t, const char *name);

#endif /* RHOOK_TESTS_RT_H */
