/*
 * emit.h - emitting rhook's events to every consumer that wants them:
 * the LTTng-UST provider (when loaded and a session enabled the event),
 * the embedded flight recorder (when started) and the USDT probe (while
 * a tool is attached).
 *
 * Emitters may be called from any thread, with or without locks held;
 * they never block and never allocate.
 */
#ifndef RHOOK_TRACE_EMIT_H
#define RHOOK_TRACE_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rhook/manifest.h>

#include "recorder/recorder.h"
#include "rhook_tp.h"
#include "usdt.h"
#include "wire/events.h"

/*
 * Whether a consumer wants event @id now, so that its arguments are worth
 * building: the recorder, an LTTng session, or a USDT tool.  Three loads
 * and predictable branches, inlined (the switches fold for a constant
 * @id).  A hint: the answer may change right after.
 */
static inline bool rhook__ev_wanted(enum rhw_event_id id)
{
	if (rhook__rec_on() || rhook__usdt_attached(id))
		return true;
	switch (id) {
#define RHOOK__EV_CASE(num, name, FIELDS) \
	case RHW_EV_##name:            \
		return lttng_ust_tracepoint_enabled(rhook, name);
		RHW_EVENTS(RHOOK__EV_CASE)
#undef RHOOK__EV_CASE
	}
	return false;
}

/* A list of file ids as an event carries it: how many, and the first RHW_EV_MAX_LISTED_IDS. */
struct rhook__id_list {
	uint32_t total;
	uint32_t listed;
	uint8_t ids[RHW_EV_MAX_LISTED_IDS][16];
};

/* An empty list; its ids past @listed are never read (they need no clearing). */
static inline void rhook__id_list_init(struct rhook__id_list *l)
{
	l->total = 0;
	l->listed = 0;
}

static inline void rhook__id_list_add(struct rhook__id_list *l, const uint8_t id[16])
{
	if (l->listed < RHW_EV_MAX_LISTED_IDS)
		memcpy(l->ids[l->listed++], id, 16);
	l->total++;
}

/*
 * struct rhook__event_<name>: an event as its emitter builds it, the
 * payload @p and one struct rhook__id_list per IDS field, named after it.
 */
#define RHOOK__EVENT_LIST_UUID(name, arg)
#define RHOOK__EVENT_LIST_U8(name, arg)
#define RHOOK__EVENT_LIST_U32(name, arg)
#define RHOOK__EVENT_LIST_I32(name, arg)
#define RHOOK__EVENT_LIST_U64(name, arg)
#define RHOOK__EVENT_LIST_I64(name, arg)
#define RHOOK__EVENT_LIST_E8(name, arg)
#define RHOOK__EVENT_LIST_E32(name, arg)
#define RHOOK__EVENT_LIST_PAD(name, arg)
#define RHOOK__EVENT_LIST_IDS(name, arg) struct rhook__id_list name;
#define RHOOK__EVENT_LIST(kind, name, arg) RHOOK__EVENT_LIST_##kind(name, arg)

#define RHOOK__EVENT_STRUCT(id, name, FIELDS)  \
	struct rhook__event_##name {           \
		struct rhw_ev_##name p;     \
		FIELDS(RHOOK__EVENT_LIST)      \
	};
RHW_EVENTS(RHOOK__EVENT_STRUCT)
#undef RHOOK__EVENT_STRUCT

/* Sets the count field of each id list of @e from the list. */
#define RHOOK__EV_COUNT_UUID(name, arg)
#define RHOOK__EV_COUNT_U8(name, arg)
#define RHOOK__EV_COUNT_U32(name, arg)
#define RHOOK__EV_COUNT_I32(name, arg)
#define RHOOK__EV_COUNT_U64(name, arg)
#define RHOOK__EV_COUNT_I64(name, arg)
#define RHOOK__EV_COUNT_E8(name, arg)
#define RHOOK__EV_COUNT_E32(name, arg)
#define RHOOK__EV_COUNT_PAD(name, arg)
#define RHOOK__EV_COUNT_IDS(name, arg) e->p.arg = e->name.total;
#define RHOOK__EV_COUNT(kind, name, arg) RHOOK__EV_COUNT_##kind(name, arg)

/* The id lists of @e, in table order. */
#define RHOOK__EV_LIST_PTR_UUID(name, arg)
#define RHOOK__EV_LIST_PTR_U8(name, arg)
#define RHOOK__EV_LIST_PTR_U32(name, arg)
#define RHOOK__EV_LIST_PTR_I32(name, arg)
#define RHOOK__EV_LIST_PTR_U64(name, arg)
#define RHOOK__EV_LIST_PTR_I64(name, arg)
#define RHOOK__EV_LIST_PTR_E8(name, arg)
#define RHOOK__EV_LIST_PTR_E32(name, arg)
#define RHOOK__EV_LIST_PTR_PAD(name, arg)
#define RHOOK__EV_LIST_PTR_IDS(name, arg) &e->name,
#define RHOOK__EV_LIST_PTR(kind, name, arg) RHOOK__EV_LIST_PTR_##kind(name, arg)

/*
 * The calling thread's current job id (rhook_job_enter(), job.c), 0 for
 * none.  Only its own thread reads and writes it.
 */
extern __thread uint64_t rhook__job_id __attribute__((tls_model("initial-exec")));

/* The emitters of the library's event sites, built on the ones above. */
void rhook__emit_sst_file_written(rhook_region_id region_id, const struct rhook_file_meta *fm, enum rhook_origin origin);
void rhook__emit_sst_file_removed(rhook_region_id region_id, const struct rhook_removed_file *f,
				  enum rhook_remove_reason reason);
void rhook__emit_manifest_commit(const struct rhw_ev_manifest_commit *ev);
void rhook__emit_manifest_updated(rhook_region_id region_id, uint64_t job_id, uint64_t version, enum rhook_cause cause,
				  const struct rhook_action_list *actions);
void rhook__emit_hook_dispatch(rhook_region_id region_id, unsigned callback, uint32_t num_hooks,
			       uint64_t duration_ns);
void rhook__emit_snapshot_trigger(const struct rhw_ev_snapshot_trigger *ev);

#endif /* RHOOK_TRACE_EMIT_H */
