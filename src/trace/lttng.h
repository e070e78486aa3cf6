/*
 * lttng.h - loading of the LTTng-UST provider.
 */
#ifndef RHOOK_TRACE_LTTNG_H
#define RHOOK_TRACE_LTTNG_H

#include <stdbool.h>

/*
 * Called once by the library constructor, single-threaded: loads the
 * provider now (RHOOK_LTTNG=on, or auto with a session daemon running),
 * starts the watcher that loads it when a daemon appears (auto, none
 * running), or does nothing (off).
 */
void rhook__lttng_init(void);

/*
 * Loads the provider; true if it is loaded.  Called by rhook__lttng_init()
 * and by the watcher thread, never concurrently: the watcher exists only
 * when the constructor did not load it.  The handle is published for
 * rhook_lttng_loaded() with a release store.
 */
bool rhook__lttng_load(void);

#endif /* RHOOK_TRACE_LTTNG_H */
