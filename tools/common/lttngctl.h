/*
 * lttngctl.h - an LTTng tracing session of rhook's events, driven through
 * the lttng command line (lttng-tools), for rhook's tools, tests and
 * benchmarks.
 */
#ifndef TC_LTTNGCTL_H
#define TC_LTTNGCTL_H

#include <stdbool.h>

struct tc_lttngctl_opts {
	const char *output_dir;      /* local trace directory; NULL when streaming */
	const char *ctrl_url;        /* stream to a relay daemon: control and data URLs */
	const char *data_url;
	const char *const *channel;  /* enable-channel options ("--discard", ...), NULL-terminated; NULL: default */
	const char *events;          /* enable-event pattern; NULL: "rhook:*" */
	bool process_context;        /* add vpid, vtid and procname to every event */
	bool start;                  /* start tracing right away */
};

struct tc_lttngctl {
	char name[64];
	int sessiond_pid; /* > 0 when begin() started the session daemon */
};

/*
 * Starts an lttng-sessiond if none answers (end() stops only that one),
 * destroys sessions of this helper whose process died without end(),
 * creates a session named after this process, enables @o->events (rhook:*)
 * in user space and, if @o->start, starts tracing.  0 or -1 (the lttng command's
 * output is on stderr).
 */
int tc_lttngctl_begin(struct tc_lttngctl *s, const struct tc_lttngctl_opts *o);
int tc_lttngctl_start(struct tc_lttngctl *s);
/* Stops tracing and waits until the data is on disk (or at the relay). */
int tc_lttngctl_stop(struct tc_lttngctl *s);
/* Destroys the session (stopping it first) and the daemon begin() started. */
int tc_lttngctl_end(struct tc_lttngctl *s);

#endif /* TC_LTTNGCTL_H */
