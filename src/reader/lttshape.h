/*
 * lttshape.h - what an LTTng-UST trace of rhook's events looks like, for
 * the two front ends that present recorder events as one: the babeltrace2
 * plugin (source.rhook.recorder) and rhook-read export --ctf.  The model
 * is an LTTng-UST 2.13 session recording rhook:* into per-process
 * buffers (lttng enable-channel --buffers-pid) with the vpid, vtid and
 * procname contexts, so that babeltrace2, Trace Compass and any analysis
 * written for such a trace read a recorder trace the same way.
 *
 * One trace per process.  Its environment holds LTTng-UST's keys with the
 * process's values, plus RDR_LT_SOURCE_KEY naming what really
 * recorded it.  Its clock is LTTng's: "monotonic", CLOCK_MONOTONIC ns,
 * offset by the process's clock offset (input.h) from the Unix epoch,
 * with the boot id as UUID, which LTTng-UST uses too.  One stream per
 * recorder buffer; cpu_id carries the buffer index.  Event classes keep
 * the provider's names, fields and types (src/wire/events.h): file ids
 * are 36-character strings, enumerations are enumerations, and each id
 * list (field kind IDS, schema.h's lists) is text after the fields.
 *
 * Read-only data and pure functions: any thread.
 */
#ifndef RDR_LTTSHAPE_H
#define RDR_LTTSHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "wire/events.h"

#define RDR_LT_TRACER_NAME "lttng-ust"
#define RDR_LT_TRACER_MAJOR 2
#define RDR_LT_TRACER_MINOR 13
#define RDR_LT_TRACER_PATCHLEVEL 0
#define RDR_LT_CLOCK_NAME "monotonic"
#define RDR_LT_CLOCK_DESCRIPTION "Monotonic Clock"
#define RDR_LT_SOURCE_KEY "rhook_source"
/* TRACE_DEBUG_LINE: the log level of an LTTng-UST tracepoint that declares none. */
#define RDR_LT_LOGLEVEL 13
/* Bytes of the procname context: the 16 of the kernel's comm and a NUL. */
#define RDR_LT_PROCNAME_LEN 17
/* The stream (and stream file) of recorder buffer N is named RDR_LT_STREAM_PREFIX "N". */
#define RDR_LT_STREAM_PREFIX "rhook_"

/* LTTng numbers the events of a channel from 0 in the provider's order, which is the schema's. */
static inline uint64_t rdr_lt_event_id(unsigned id)
{
	return (uint64_t)id - 1;
}

/* One environment entry: a string, or an integer when @str is NULL. */
struct rdr_lt_env_entry {
	const char *key;
	const char *str;
	int64_t num;
};

#define RDR_LT_ENV_ENTRIES 15

struct rdr_lt_env {
	struct rdr_lt_env_entry e[RDR_LT_ENV_ENTRIES];
	unsigned n; /* entries used */
	char trace_name[128];
	char datetime[32];
	char procname[RDR_LT_PROCNAME_LEN];
};

/* The environment of @p's trace, in LTTng-UST's order, rhook_source last. */
void rdr_lt_env(struct rdr_lt_env *env, const struct rdr_proc *p);

/* @p's procname as the context records it: at most 16 bytes of its name. */
void rdr_lt_procname(char out[RDR_LT_PROCNAME_LEN], const struct rdr_proc *p);

/* A clock offset of @ns split into seconds and nanoseconds (0 <= *rem < 1e9). */
void rdr_lt_clock_offset(int64_t ns, int64_t *seconds, uint64_t *rem);

/* Room for any id list as text: 64 UUIDs, their commas and a NUL. */
#define RDR_LT_ID_LIST_MAX (RHW_EV_MAX_LISTED_IDS * 37 + 2)

/*
 * Writes the @n ids at @ids as the LTTng provider records a list: comma-
 * separated UUIDs, RHW_EV_EMPTY_ID_LIST when empty, NUL-terminated.
 * @dst has RDR_LT_ID_LIST_MAX bytes.  Returns the length.
 */
size_t rdr_lt_id_list(char *dst, const uint8_t *ids, unsigned n);

#endif /* RDR_LTTSHAPE_H */
