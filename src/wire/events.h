/*
 * events.h - the one schema of rhook's events (contract §5).
 *
 * Every consumer is generated from the tables below; none lists a field
 * by hand:
 *
 *   the payload structures and the emitters     here and src/trace/emit.h, emit.c
 *   the USDT probes                             src/trace/emit.c, usdt.h
 *   the LTTng-UST provider and its enumerations tracepoints/rhook_tp.h
 *   the flight recorder's records               payload + id lists (src/wire/recorder_format.h)
 *   rhook-read's decoders, printers, CTF export src/reader/schema.c
 *
 * Adding a field is one F(...) in its event's list.  Adding an event is
 * one E(...) line and its field list; the library then has its emitter
 * rhook__emit_<name>() (emit.h) for the place where it happens.  Ids and
 * enumeration values are on disk: append, never renumber.
 *
 * A payload is a fixed-size structure with no hidden padding (checked
 * below), so a zero-initialized payload has no undefined bytes to leak
 * into a trace file.  An event's variable-length lists of file ids (field
 * kind IDS) are not in the payload: the recorder appends the listed ids
 * after it, list after list in table order; LTTng records each list as a
 * text field of comma-separated UUIDs.  Every rendering that names fields
 * (LTTng, rhook-read print, CTF export) gives the payload fields in table
 * order, then the lists in table order.  An empty list's text is "-",
 * never "": babeltrace2 2.0.x prints an empty string field with the value
 * of an earlier event (fixed upstream after 2.0.4, Debian 12's version).
 *
 * A wire format (src/wire): header-only, it includes libc and the rhook/ headers
 * only, and librhook, the reader library and the babeltrace2 plugin all
 * spell it the same.  Prefix rhw_ / RHW_ (rhook wire).
 */
#ifndef RHW_EVENTS_H
#define RHW_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <rhook/trace.h> /* RHOOK_TRACE_MAX_LISTED_IDS */
#include <rhook/manifest.h> /* RHOOK_CAUSES, RHOOK_ORIGINS, RHOOK_TIME_UNITS, RHOOK_REMOVE_REASONS */

#define RHW_EV_EMPTY_ID_LIST "-"

/*
 * Enumerations: X(NAME, value, "label"), values 0, 1, 2, ... in order.
 * Those that are C enums of the API are stated once, in the public
 * header that defines the enum.
 */
#define RHW_ENUM_origin(X) RHOOK_ORIGINS(X)
#define RHW_ENUM_cause(X) RHOOK_CAUSES(X)
#define RHW_ENUM_time_unit(X) RHOOK_TIME_UNITS(X)
#define RHW_ENUM_callback(X)                                                                    \
	X(SST_FILES_WRITTEN, 0, "on_sst_files_written") X(MANIFEST_UPDATED, 1, "on_manifest_updated") \
	X(FILES_REMOVED, 2, "on_files_removed")
#define RHW_ENUM_mode(X) X(LOCAL, 0, "local") X(REMOTE, 1, "remote")
#define RHW_ENUM_remove_reason(X) RHOOK_REMOVE_REASONS(X)

/* The snapshot triggers' conditions (RHOOK_TRACE_SNAPSHOT_ON, src/trace/trigger.h). */
#define RHW_ENUM_condition(X)                                                                  \
	X(HOLD, 0, "hold") X(PERSIST, 1, "persist") X(WAIT, 2, "wait") X(DISPATCH, 3, "dispatch")  \
	X(COMMIT_FAILED, 4, "commit_failed") X(LOST, 5, "lost")

/*
 * The set of action kinds of a committed list, one label per combination
 * of enum rhook_action_kind bits (the labels are their names joined by
 * '+', checked by tests/unit/reader_schema.c), so that babeltrace2 prints
 * "change+edit" rather than a number.
 */
#define RHW_ENUM_action_kinds(X)                                                                  \
	X(_, 0, "none") X(_, 1, "change") X(_, 2, "partition_expr_change")                           \
	X(_, 3, "change+partition_expr_change") X(_, 4, "edit") X(_, 5, "change+edit")               \
	X(_, 6, "partition_expr_change+edit") X(_, 7, "change+partition_expr_change+edit")           \
	X(_, 8, "remove") X(_, 9, "change+remove") X(_, 10, "partition_expr_change+remove")          \
	X(_, 11, "change+partition_expr_change+remove") X(_, 12, "edit+remove")                      \
	X(_, 13, "change+edit+remove") X(_, 14, "partition_expr_change+edit+remove")                 \
	X(_, 15, "change+partition_expr_change+edit+remove") X(_, 16, "truncate")                    \
	X(_, 17, "change+truncate") X(_, 18, "partition_expr_change+truncate")                       \
	X(_, 19, "change+partition_expr_change+truncate") X(_, 20, "edit+truncate")                  \
	X(_, 21, "change+edit+truncate") X(_, 22, "partition_expr_change+edit+truncate")             \
	X(_, 23, "change+partition_expr_change+edit+truncate") X(_, 24, "remove+truncate")           \
	X(_, 25, "change+remove+truncate") X(_, 26, "partition_expr_change+remove+truncate")         \
	X(_, 27, "change+partition_expr_change+remove+truncate") X(_, 28, "edit+remove+truncate")    \
	X(_, 29, "change+edit+remove+truncate") X(_, 30, "partition_expr_change+edit+remove+truncate") \
	X(_, 31, "change+partition_expr_change+edit+remove+truncate")

/* Every enumeration a field may name (kinds E8, E32). */
#define RHW_ENUMS(X)                                                                         \
	X(origin) X(cause) X(callback) X(mode) X(time_unit) X(action_kinds) X(remove_reason) X(condition)

/*
 * Fields: F(kind, name, arg).
 *
 *   U8 U32 I32 U64 I64   integers of that width and signedness
 *   UUID                 a file id, 16 bytes (text: 36-character UUID)
 *   E8 E32               uint8_t / uint32_t valued in enumeration arg
 *   PAD                  arg bytes of explicit zero padding, never rendered
 *   IDS                  a list of file ids, rendered after the payload
 *                        fields; declares the u32 payload field arg, the
 *                        number of ids, of which the first
 *                        RHW_EV_MAX_LISTED_IDS are listed
 *
 * Every payload starts with the region id (contract §5).  job_id is the
 * flush or compaction that produced the event (rhook_job_enter(), in
 * rhook/trace.h), 0 when there is none; a remote compaction's is the
 * leader's.
 */
#define RHW_EV_SST_FILE_WRITTEN(F)                                                             \
	F(U64, region_id, _) F(U64, job_id, _) F(UUID, file_id, _) F(I64, time_start, _)          \
	F(I64, time_end, _) F(U64, file_size, _) F(U64, num_rows, _) F(U64, num_row_groups, _)                        \
	F(U64, index_file_size, _) F(U8, level, _) F(E8, time_unit, time_unit)                    \
	F(E8, origin, origin) F(PAD, pad0, 5)

#define RHW_EV_MANIFEST_COMMIT(F)                                                              \
	F(U64, region_id, _) F(U64, job_id, _) F(U64, version, _) F(U64, lock_wait_ns, _)         \
	F(U64, lock_hold_ns, _) F(U64, persist_ns, _) F(I32, result, _) F(E8, cause, cause) F(PAD, pad0, 3)

#define RHW_EV_MANIFEST_UPDATED(F)                                                             \
	F(U64, region_id, _) F(U64, job_id, _) F(U64, version, _) F(U64, flushed_entry_id, _)     \
	F(U64, flushed_sequence, _) F(E32, action_kinds, action_kinds) F(U32, num_actions, _)     \
	F(IDS, files_added, num_files_added) F(IDS, files_removed, num_files_removed)             \
	F(E8, cause, cause) F(PAD, pad0, 7)

#define RHW_EV_HOOK_DISPATCH(F)                                                                \
	F(U64, region_id, _) F(U64, duration_ns, _) F(U32, num_hooks, _)                          \
	F(E8, callback, callback) F(PAD, pad0, 3)

#define RHW_EV_FLUSH_BEGIN(F) F(U64, region_id, _) F(U64, job_id, _) F(U64, rows, _) F(U64, bytes, _)

#define RHW_EV_FLUSH_END(F)                                                                    \
	F(U64, region_id, _) F(U64, job_id, _) F(U64, rows, _) F(U64, bytes, _)                   \
	F(U64, duration_ns, _) F(U32, files, _) F(I32, status, _)

#define RHW_EV_COMPACTION_BEGIN(F)                                                             \
	F(U64, region_id, _) F(U64, job_id, _) F(U64, bytes_in, _) F(U32, input_files, _)        \
	F(IDS, inputs, num_inputs) F(E8, mode, mode) F(PAD, pad0, 7)

#define RHW_EV_COMPACTION_END(F)                                                               \
	F(U64, region_id, _) F(U64, job_id, _) F(U64, bytes_in, _) F(U64, bytes_out, _)           \
	F(U64, duration_ns, _) F(U32, input_files, _) F(U32, output_files, _) F(I32, status, _) F(E8, mode, mode)        \
	F(PAD, pad0, 3)

/*
 * One per SST file, after its physical deletion (with its index files):
 * removed_version is the manifest version that removed it, 0 when it
 * never was in the manifest or that is unknown; level is
 * RHOOK_LEVEL_UNKNOWN (255) and num_rows 0 when the engine does not know
 * them (a leftover of a crash).
 */
#define RHW_EV_SST_FILE_REMOVED(F)                                                             \
	F(U64, region_id, _) F(UUID, file_id, _) F(U64, file_size, _) F(U64, index_file_size, _)  \
	F(U64, num_rows, _) F(U64, removed_version, _) F(U8, level, _)                            \
	F(E8, reason, remove_reason) F(PAD, pad0, 6)

/*
 * A snapshot trigger fired (src/trace/trigger.h): @condition held on the
 * event @event_id (its id in this table) that the same thread emitted
 * just before, of region @region_id (for manifest_commit: @version and
 * @cause too); @value is what was measured (ns, or events lost),
 * @threshold what the condition allows.  @snapshot numbers the snapshot
 * this record starts in this process (1, 2, ...), 0 when the rate limit
 * suppressed it.
 */
#define RHW_EV_SNAPSHOT_TRIGGER(F)                                                             \
	F(U64, region_id, _) F(U64, version, _) F(U64, value, _) F(U64, threshold, _)             \
	F(U32, snapshot, _) F(U32, event_id, _) F(E8, condition, condition) F(E8, cause, cause)   \
	F(PAD, pad0, 6)

/* E(id, name, FIELDS): the events; ids are the recorder's on-disk ids, 1..RHW_EV_MAX_ID. */
#define RHW_EVENTS(E)                                                                          \
	E(1, sst_file_written, RHW_EV_SST_FILE_WRITTEN)                                        \
	E(2, manifest_commit, RHW_EV_MANIFEST_COMMIT)                                          \
	E(3, manifest_updated, RHW_EV_MANIFEST_UPDATED)                                        \
	E(4, hook_dispatch, RHW_EV_HOOK_DISPATCH)                                              \
	E(5, flush_begin, RHW_EV_FLUSH_BEGIN)                                                  \
	E(6, flush_end, RHW_EV_FLUSH_END)                                                      \
	E(7, compaction_begin, RHW_EV_COMPACTION_BEGIN)                                        \
	E(8, compaction_end, RHW_EV_COMPACTION_END)                                            \
	E(9, sst_file_removed, RHW_EV_SST_FILE_REMOVED)                                        \
	E(10, snapshot_trigger, RHW_EV_SNAPSHOT_TRIGGER)

/* Listed ids per list, and lists per event, at most. */
#define RHW_EV_MAX_LISTED_IDS 64
_Static_assert(RHW_EV_MAX_LISTED_IDS == RHOOK_TRACE_MAX_LISTED_IDS, "rhook/trace.h states the same bound");
#define RHW_EV_MAX_LISTS 4

/* Payload members of each kind; IDS declares its count. */
#define RHW_FIELD_DECL_UUID(name, arg) uint8_t name[16];
#define RHW_FIELD_DECL_U8(name, arg)   uint8_t name;
#define RHW_FIELD_DECL_U32(name, arg)  uint32_t name;
#define RHW_FIELD_DECL_I32(name, arg)  int32_t name;
#define RHW_FIELD_DECL_U64(name, arg)  uint64_t name;
#define RHW_FIELD_DECL_I64(name, arg)  int64_t name;
#define RHW_FIELD_DECL_E8(name, arg)   uint8_t name;
#define RHW_FIELD_DECL_E32(name, arg)  uint32_t name;
#define RHW_FIELD_DECL_PAD(name, arg)  uint8_t name[arg];
#define RHW_FIELD_DECL_IDS(name, arg)  uint32_t arg;
#define RHW_FIELD_DECL(kind, name, arg) RHW_FIELD_DECL_##kind(name, arg)

#define RHW_FIELD_SIZE_UUID(arg) 16
#define RHW_FIELD_SIZE_U8(arg)   1
#define RHW_FIELD_SIZE_U32(arg)  4
#define RHW_FIELD_SIZE_I32(arg)  4
#define RHW_FIELD_SIZE_U64(arg)  8
#define RHW_FIELD_SIZE_I64(arg)  8
#define RHW_FIELD_SIZE_E8(arg)   1
#define RHW_FIELD_SIZE_E32(arg)  4
#define RHW_FIELD_SIZE_PAD(arg)  (arg)
#define RHW_FIELD_SIZE_IDS(arg)  4
#define RHW_FIELD_SIZE(kind, name, arg) + RHW_FIELD_SIZE_##kind(arg)

/* Whether a field is an IDS list: RHOOK__FIELD_IS_LIST(kind) is 1 or 0. */
#define RHW_FIELD_IS_LIST_UUID 0
#define RHW_FIELD_IS_LIST_U8   0
#define RHW_FIELD_IS_LIST_U32  0
#define RHW_FIELD_IS_LIST_I32  0
#define RHW_FIELD_IS_LIST_U64  0
#define RHW_FIELD_IS_LIST_I64  0
#define RHW_FIELD_IS_LIST_E8   0
#define RHW_FIELD_IS_LIST_E32  0
#define RHW_FIELD_IS_LIST_PAD  0
#define RHW_FIELD_IS_LIST_IDS  1
#define RHW_FIELD_LISTS(kind, name, arg) + RHW_FIELD_IS_LIST_##kind

/* Number of id lists of an event with field list FIELDS. */
#define RHW_EV_NUM_LISTS(FIELDS) (0 FIELDS(RHW_FIELD_LISTS))

/* RHW_EV_MAX_ID: the number of events, also the largest id. */
#define RHW_EV_ONE(id, name, FIELDS) +1
enum { RHW_EV_MAX_ID = 0 RHW_EVENTS(RHW_EV_ONE) };
#undef RHW_EV_ONE

/* struct rhw_ev_<name>: the payload of each event. */
#define RHW_EV_STRUCT(id, name, FIELDS)                                                        \
	struct rhw_ev_##name {                                                                 \
		FIELDS(RHW_FIELD_DECL)                                                         \
	};                                                                                        \
	_Static_assert(sizeof(struct rhw_ev_##name) == 0 FIELDS(RHW_FIELD_SIZE),            \
		       "rhw_ev_" #name " has hidden padding");                                 \
	_Static_assert(offsetof(struct rhw_ev_##name, region_id) == 0,                         \
		       "rhw_ev_" #name " does not start with region_id");                      \
	_Static_assert(RHW_EV_NUM_LISTS(FIELDS) <= RHW_EV_MAX_LISTS,                        \
		       "rhw_ev_" #name " has more id lists than RHW_EV_MAX_LISTS");         \
	_Static_assert((id) >= 1 && (id) <= RHW_EV_MAX_ID, "event ids are 1..RHW_EV_MAX_ID");
RHW_EVENTS(RHW_EV_STRUCT)
#undef RHW_EV_STRUCT

/* Any payload; its size bounds them all. */
#define RHW_EV_MEMBER(id, name, FIELDS) struct rhw_ev_##name name;
union rhw_ev_any { RHW_EVENTS(RHW_EV_MEMBER) };
#undef RHW_EV_MEMBER

/* enum rhw_event_id: RHW_EV_<name>; a duplicate id fails the switches generated on it. */
#define RHW_EV_ENUM(id, name, FIELDS) RHW_EV_##name = id,
enum rhw_event_id { RHW_EVENTS(RHW_EV_ENUM) };
#undef RHW_EV_ENUM

/*
 * The events whose order across threads and processes readers rely on
 * (versions in commit order, a notification after its commit, an SST
 * before the commit that adds it, a deletion after the commit that
 * removed the file: rhook-read check).  The recorder reads
 * their timestamp only after everything before them has executed
 * (src/recorder/clock.h); the others (spans, dispatch times), whose order
 * readers keep within each thread, do not wait for it.  A bit per id.
 */
#define RHW_EV_ORDERED_MASK                                                                   \
	((1u << RHW_EV_sst_file_written) | (1u << RHW_EV_manifest_commit) |                  \
	 (1u << RHW_EV_manifest_updated) | (1u << RHW_EV_sst_file_removed))
#define RHW_EV_ORDERED(id) ((RHW_EV_ORDERED_MASK >> (id)) & 1u)

/* enum rhw_callback: RHW_CALLBACK_SST_FILES_WRITTEN, ... (hook_dispatch's callback). */
#define RHW_CALLBACK_ENUMERATOR(NAME, value, label) RHW_CALLBACK_##NAME = value,
enum rhw_callback { RHW_ENUM_callback(RHW_CALLBACK_ENUMERATOR) };
#undef RHW_CALLBACK_ENUMERATOR

/* enum rhw_condition: RHW_COND_HOLD, ... (snapshot_trigger's condition). */
#define RHW_COND_ENUMERATOR(NAME, value, label) RHW_COND_##NAME = value,
enum rhw_condition { RHW_ENUM_condition(RHW_COND_ENUMERATOR) RHW_COND_COUNT };
#undef RHW_COND_ENUMERATOR

#endif /* RHW_EVENTS_H */
