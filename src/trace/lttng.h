/*
 * lttng.h - loading of the LTTng-UST provider.
 */
#ifndef RHOOK_TRACE_LTTNG_H
#define RHOOK_TRACE_LTTNG_H

/* Called once by the library constructor, single-threaded. */
void rhook__lttng_init(void);

#endif /* RHOOK_TRACE_LTTNG_H */
