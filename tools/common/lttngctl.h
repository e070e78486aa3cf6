/*
 * lttngctl.h - an LTTng tracing session of rhook's events, driven through
 * the lttng command line (lttng-tools), for rhook's tools, tests and
 * benchmarks.
 */
#ifndef TC_LTTNGCTL_H
#define TC_LTTNGCTL_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * The environment variable naming the session a process runs under
 * (tc_lttngctl.env gives "RHOOK_LTTNG_SESSION=name" for a child): a traced
 * program that spawns traced programs itself passes
 * tc_lttngctl_track_inherited() as their before-exec hook.
 */
#define TC_LTTNGCTL_SESSION_ENV "RHOOK_LTTNG_SESSION"

struct tc_lttngctl_opts {
	const char *output_dir;      /* local trace directory; NULL when streaming */
	const char *ctrl_url;        /* stream to a relay daemon: control and data URLs */
	const char *data_url;
	const char *const *channel;  /* enable-channel options ("--discard", ...), NULL-terminated; NULL: default */
	const char *events;          /* enable-event pattern; NULL: "rhook:*" */
	bool process_context;        /* add vpid, vtid and procname to every event */
	bool start;                  /* start tracing right away */
	/*
	 * Record the events of every process of the session daemon's user.
	 * Without it (the default) the session records only the processes
	 * added with tc_lttngctl_track() (LTTng's vpid tracker): another
	 * rhook-instrumented program running on the host at the same time
	 * cannot put its events into the session.
	 */
	bool all_processes;
};

struct tc_lttngctl {
	char name[64];
	int sessiond_pid; /* > 0 when begin() started the session daemon */
	char env[96];     /* "RHOOK_LTTNG_SESSION=name", for the environment of a child */
};

/*
 * Starts an lttng-sessiond if none answers (end() stops only that one),
 * destroys sessions of this helper whose process died without end(),
 * creates a session named after this process that tracks no process yet
 * (unless @o->all_processes), enables @o->events (rhook:*) in user space
 * and, if @o->start, starts tracing.  0 or -1 (the lttng command's output
 * is on stderr).
 */
int tc_lttngctl_begin(struct tc_lttngctl *s, const struct tc_lttngctl_opts *o);
int tc_lttngctl_start(struct tc_lttngctl *s);
/* Stops tracing and waits until the data is on disk (or at the relay). */
int tc_lttngctl_stop(struct tc_lttngctl *s);
/* Destroys the session (stopping it first) and the daemon begin() started. */
int tc_lttngctl_end(struct tc_lttngctl *s);

/*
 * Adds @pid to the vpid tracker of the session named @session: its
 * events are recorded from then on.  Before the process registers with
 * LTTng-UST (before it execs: see tc_proc_spawn()) nothing of it is lost;
 * a process already registered is added too, from then on.  0 or -1.
 * Any thread, concurrently: each call runs its own lttng command.
 */
int tc_lttngctl_track(const char *session, pid_t pid);

/* A tc_proc_before_exec hook: tc_lttngctl_track(@session (a const char *), @pid). */
int tc_lttngctl_track_hook(pid_t pid, void *session);

/*
 * A tc_proc_before_exec hook for a traced program's own children: tracks
 * @pid in the session named by $RHOOK_LTTNG_SESSION; 0 when it is unset
 * (the program runs under no tracked session).  @unused is ignored.
 */
int tc_lttngctl_track_inherited(pid_t pid, void *unused);

#endif /* TC_LTTNGCTL_H */
