/*
 * emit.h - emitting rhook's events to every consumer that wants them:
 * the LTTng-UST provider (when loaded and a session enabled the event)
 * and the embedded flight recorder (when started).
 *
 * Emitters may be called from any thread, with or without locks held;
 * they never block and never allocate on the hot path.
 */
#ifndef RHOOK_TRACE_EMIT_H
#define RHOOK_TRACE_EMIT_H

#include <stdbool.h>
#include <stdint.h>

#include <rhook/manifest.h>

#include "../recorder/recorder.h"
#include "events.h"
#include "rhook_tp.h"
#include "usdt.h"

enum {
	RHOOK__CALLBACK_SST_FILES_WRITTEN = 0,
	RHOOK__CALLBACK_MANIFEST_UPDATED = 1,
};

/*
 * Whether a consumer wants event @id now, so that its arguments are worth
 * building: the recorder, an LTTng session, or a USDT tool.  Three loads
 * and predictable branches, inlined (the switches fold for a constant
 * @id).  A hint: the answer may change right after.
 */
static inline bool rhook__ev_wanted(enum rhook__event_id id)
{
	if (rhook__rec_on() || rhook__usdt_attached(id))
		return true;
	switch (id) {
#define RHOOK__EV_CASE(num, name, FIELDS) \
	case RHOOK__EV_##name:            \
		return lttng_ust_tracepoint_enabled(rhook, name);
		RHOOK__EVENTS(RHOOK__EV_CASE)
#undef RHOOK__EV_CASE
	}
	return false;
}

void rhook__emit_sst_file_written(rhook_region_id region_id, const struct rhook_file_meta *fm, enum rhook_origin origin);
void rhook__emit_manifest_commit(const struct rhook__ev_manifest_commit *ev);
void rhook__emit_manifest_updated(rhook_region_id region_id, uint64_t version, enum rhook_cause cause,
				  const struct rhook_action_list *actions);
void rhook__emit_hook_dispatch(rhook_region_id region_id, unsigned callback, uint32_t num_hooks,
			       uint64_t duration_ns);

#endif /* RHOOK_TRACE_EMIT_H */
