/*
 * rhook_tp.h - the LTTng-UST tracepoint provider "rhook".
 *
 * Fields follow src/trace/events.h in name and order.  Each tracepoint
 * takes a pointer to the payload the emitter built once for all
 * consumers, so an event with no session costs one load and one branch
 * and its arguments are never computed.  Causes, origins, modes, callback
 * kinds, time units and action-kind sets are CTF enumerations; file ids
 * are 36-character UUID strings, lists of them comma-separated strings
 * (NUL-terminated: babeltrace2 2.0 misprints an empty text sequence).
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER rhook

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "rhook_tp.h"

#if !defined(RHOOK_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define RHOOK_TP_H

#include <lttng/tracepoint.h>

#include "events.h"

#define RHOOK__TP_ENUM_VALUE(value, label) lttng_ust_field_enum_value(label, value)

LTTNG_UST_TRACEPOINT_ENUM(rhook, origin, LTTNG_UST_TP_ENUM_VALUES(RHOOK__ORIGIN_LABELS(RHOOK__TP_ENUM_VALUE)))
LTTNG_UST_TRACEPOINT_ENUM(rhook, cause, LTTNG_UST_TP_ENUM_VALUES(RHOOK__CAUSE_LABELS(RHOOK__TP_ENUM_VALUE)))
LTTNG_UST_TRACEPOINT_ENUM(rhook, callback, LTTNG_UST_TP_ENUM_VALUES(RHOOK__CALLBACK_LABELS(RHOOK__TP_ENUM_VALUE)))
LTTNG_UST_TRACEPOINT_ENUM(rhook, mode, LTTNG_UST_TP_ENUM_VALUES(RHOOK__MODE_LABELS(RHOOK__TP_ENUM_VALUE)))
LTTNG_UST_TRACEPOINT_ENUM(rhook, time_unit, LTTNG_UST_TP_ENUM_VALUES(RHOOK__TIME_UNIT_LABELS(RHOOK__TP_ENUM_VALUE)))
LTTNG_UST_TRACEPOINT_ENUM(rhook, action_kinds,
			  LTTNG_UST_TP_ENUM_VALUES(RHOOK__ACTION_KINDS_LABELS(RHOOK__TP_ENUM_VALUE)))

LTTNG_UST_TRACEPOINT_EVENT(rhook, sst_file_written,
	LTTNG_UST_TP_ARGS(const struct rhook__ev_sst_file_written *, ev, const char *, file_id),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, region_id, ev->region_id)
		lttng_ust_field_array_text(char, file_id, file_id, 36)
		lttng_ust_field_integer(int64_t, time_start, ev->time_start)
		lttng_ust_field_integer(int64_t, time_end, ev->time_end)
		lttng_ust_field_integer(uint64_t, file_size, ev->file_size)
		lttng_ust_field_integer(uint64_t, num_rows, ev->num_rows)
		lttng_ust_field_integer(uint64_t, num_row_groups, ev->num_row_groups)
		lttng_ust_field_integer(uint64_t, index_file_size, ev->index_file_size)
		lttng_ust_field_integer(uint8_t, level, ev->level)
		lttng_ust_field_enum(rhook, time_unit, uint8_t, time_unit, ev->time_unit)
		lttng_ust_field_enum(rhook, origin, uint8_t, origin, ev->origin)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(rhook, manifest_commit,
	LTTNG_UST_TP_ARGS(const struct rhook__ev_manifest_commit *, ev),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, region_id, ev->region_id)
		lttng_ust_field_integer(uint64_t, version, ev->version)
		lttng_ust_field_integer(uint64_t, lock_wait_ns, ev->lock_wait_ns)
		lttng_ust_field_integer(uint64_t, lock_hold_ns, ev->lock_hold_ns)
		lttng_ust_field_integer(uint64_t, persist_ns, ev->persist_ns)
		lttng_ust_field_integer(int32_t, result, ev->result)
		lttng_ust_field_enum(rhook, cause, uint8_t, cause, ev->cause)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(rhook, manifest_updated,
	LTTNG_UST_TP_ARGS(const struct rhook__ev_manifest_updated *, ev,
			  const char *, added, const char *, removed),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, region_id, ev->region_id)
		lttng_ust_field_integer(uint64_t, version, ev->version)
		lttng_ust_field_integer(uint64_t, flushed_entry_id, ev->flushed_entry_id)
		lttng_ust_field_integer(uint64_t, flushed_sequence, ev->flushed_sequence)
		lttng_ust_field_enum(rhook, action_kinds, uint32_t, action_kinds, ev->action_kinds)
		lttng_ust_field_integer(uint32_t, num_actions, ev->num_actions)
		lttng_ust_field_integer(uint32_t, num_files_added, ev->num_files_added)
		lttng_ust_field_integer(uint32_t, num_files_removed, ev->num_files_removed)
		lttng_ust_field_enum(rhook, cause, uint8_t, cause, ev->cause)
		lttng_ust_field_string(files_added, added)
		lttng_ust_field_string(files_removed, removed)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(rhook, hook_dispatch,
	LTTNG_UST_TP_ARGS(const struct rhook__ev_hook_dispatch *, ev),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, region_id, ev->region_id)
		lttng_ust_field_integer(uint64_t, duration_ns, ev->duration_ns)
		lttng_ust_field_integer(uint32_t, num_hooks, ev->num_hooks)
		lttng_ust_field_enum(rhook, callback, uint8_t, callback, ev->callback)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(rhook, flush_begin,
	LTTNG_UST_TP_ARGS(const struct rhook__ev_flush_begin *, ev),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, region_id, ev->region_id)
		lttng_ust_field_integer(uint64_t, rows, ev->rows)
		lttng_ust_field_integer(uint64_t, bytes, ev->bytes)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(rhook, flush_end,
	LTTNG_UST_TP_ARGS(const struct rhook__ev_flush_end *, ev),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, region_id, ev->region_id)
		lttng_ust_field_integer(uint64_t, rows, ev->rows)
		lttng_ust_field_integer(uint64_t, bytes, ev->bytes)
		lttng_ust_field_integer(uint64_t, duration_ns, ev->duration_ns)
		lttng_ust_field_integer(uint32_t, files, ev->files)
		lttng_ust_field_integer(int32_t, status, ev->status)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(rhook, compaction_begin,
	LTTNG_UST_TP_ARGS(const struct rhook__ev_compaction_begin *, ev),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, region_id, ev->region_id)
		lttng_ust_field_integer(uint64_t, bytes_in, ev->bytes_in)
		lttng_ust_field_integer(uint32_t, input_files, ev->input_files)
		lttng_ust_field_enum(rhook, mode, uint8_t, mode, ev->mode)
	)
)

LTTNG_UST_TRACEPOINT_EVENT(rhook, compaction_end,
	LTTNG_UST_TP_ARGS(const struct rhook__ev_compaction_end *, ev),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint64_t, region_id, ev->region_id)
		lttng_ust_field_integer(uint64_t, bytes_in, ev->bytes_in)
		lttng_ust_field_integer(uint64_t, bytes_out, ev->bytes_out)
		lttng_ust_field_integer(uint64_t, duration_ns, ev->duration_ns)
		lttng_ust_field_integer(uint32_t, input_files, ev->input_files)
		lttng_ust_field_integer(uint32_t, output_files, ev->output_files)
		lttng_ust_field_integer(int32_t, status, ev->status)
		lttng_ust_field_enum(rhook, mode, uint8_t, mode, ev->mode)
	)
)

#endif /* RHOOK_TP_H */

#include <lttng/tracepoint-event.h>
