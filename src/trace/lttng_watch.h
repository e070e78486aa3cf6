/*
 * lttng_watch.h - noticing an LTTng session daemon, at start-up and when
 * one appears later (lttng_watch.c).
 */
#ifndef RHOOK_TRACE_LTTNG_WATCH_H
#define RHOOK_TRACE_LTTNG_WATCH_H

#include <stdbool.h>

/*
 * Computes where session daemons put their application socket, as
 * LTTng-UST does ($LTTNG_HOME or $HOME is read here, once).  Called by
 * the library constructor, single-threaded, before the two below.
 */
void rhook__lttng_watch_init(void);

/* Whether a session daemon's application socket exists now (it may be stale). */
bool rhook__lttng_sessiond_present(void);

/*
 * Starts the thread "rhook-lttng", which waits until a session daemon's
 * socket appears, then until that daemon is ready (at most 2 s), calls
 * rhook__lttng_load() once and exits.  It also restarts in the child of
 * a fork() while it waits.  Called once, by the library constructor.
 * Returns 0, or a negative errno when the thread or its inotify instance
 * cannot be created (late attach is then off for this process).
 */
int rhook__lttng_watch_start(void);

#endif /* RHOOK_TRACE_LTTNG_WATCH_H */
