/*
 * events.h - the one schema of rhook's events (contract §5).
 *
 * Every consumer is generated from these tables: the payload structures
 * the emitters fill, the LTTng-UST enumerations, the flight recorder's
 * records, and the readers, printers and CTF exporter of rhook-read.  The
 * LTTng-UST provider (tracepoints/rhook_tp.h) lists the same fields in the
 * same order by hand; the integration tests compare both traces.
 *
 * A payload is a fixed-size structure; manifest_updated is followed by a
 * tail of file ids (the recorder) or comma-separated UUID strings (LTTng),
 * at most RHOOK__EV_MAX_LISTED_IDS per list.  Every text rendering of an
 * empty list (LTTng field, rhook-read print, CTF export) is "-", never "":
 * babeltrace2 2.0.x prints an empty string field with the value of an
 * earlier event (fixed upstream after 2.0.4, Debian 12's version).
 */
#define RHOOK__EV_EMPTY_ID_LIST "-"
#ifndef RHOOK_TRACE_EVENTS_H
#define RHOOK_TRACE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

/* Enumeration labels: L(value, "label"). */
#define RHOOK__ORIGIN_LABELS(L) L(0, "flush") L(1, "compaction") L(2, "remote_compaction")

#define RHOOK__CAUSE_LABELS(L)                                                                   \
	L(0, "flush") L(1, "compaction") L(2, "remote_compaction") L(3, "edit") L(4, "copy")     \
	L(5, "staging_enter") L(6, "staging_apply") L(7, "staging_exit") L(8, "alter")           \
	L(9, "truncate") L(10, "index_build")

#define RHOOK__CALLBACK_LABELS(L) L(0, "on_sst_files_written") L(1, "on_manifest_updated")

#define RHOOK__MODE_LABELS(L) L(0, "local") L(1, "remote")

#define RHOOK__TIME_UNIT_LABELS(L) L(0, "s") L(1, "ms") L(2, "us") L(3, "ns")

/*
 * The set of action kinds of a committed list, one label per non-empty
 * combination (bit order of enum rhook_action_kind), so that babeltrace2
 * prints "change+edit" rather than a number.
 */
#define RHOOK__ACTION_KINDS_LABELS(L)                                                             \
	L(0, "none") L(1, "change") L(2, "partition_expr_change")                                 \
	L(3, "change+partition_expr_change") L(4, "edit") L(5, "change+edit")                     \
	L(6, "partition_expr_change+edit") L(7, "change+partition_expr_change+edit")              \
	L(8, "remove") L(9, "change+remove") L(10, "partition_expr_change+remove")                \
	L(11, "change+partition_expr_change+remove") L(12, "edit+remove")                         \
	L(13, "change+edit+remove") L(14, "partition_expr_change+edit+remove")                    \
	L(15, "change+partition_expr_change+edit+remove") L(16, "truncate")                       \
	L(17, "change+truncate") L(18, "partition_expr_change+truncate")                          \
	L(19, "change+partition_expr_change+truncate") L(20, "edit+truncate")                     \
	L(21, "change+edit+truncate") L(22, "partition_expr_change+edit+truncate")                \
	L(23, "change+partition_expr_change+edit+truncate") L(24, "remove+truncate")              \
	L(25, "change+remove+truncate") L(26, "partition_expr_change+remove+truncate")            \
	L(27, "change+partition_expr_change+remove+truncate") L(28, "edit+remove+truncate")       \
	L(29, "change+edit+remove+truncate") L(30, "partition_expr_change+edit+remove+truncate")  \
	L(31, "change+partition_expr_change+edit+remove+truncate")

/*
 * Fields: F(kind, name, arg).  Kinds: U8 U32 I32 U64 I64 UUID; E8 and E32
 * are uint8_t / uint32_t with the label table named by arg; PAD is arg
 * bytes of explicit zero padding, never printed.  Every structure is
 * laid out with no hidden padding (checked below), so a zero-initialized
 * payload has no undefined bytes to leak into a trace file.
 */
#define RHOOK__EV_SST_FILE_WRITTEN(F)                                                             \
	F(U64, region_id, _) F(UUID, file_id, _) F(I64, time_start, _) F(I64, time_end, _)        \
	F(U64, file_size, _) F(U64, num_rows, _) F(U64, num_row_groups, _)                        \
	F(U64, index_file_size, _) F(U8, level, _) F(E8, time_unit, TIME_UNIT)                    \
	F(E8, origin, ORIGIN) F(PAD, pad0, 5)

#define RHOOK__EV_MANIFEST_COMMIT(F)                                                              \
	F(U64, region_id, _) F(U64, version, _) F(U64, lock_wait_ns, _) F(U64, lock_hold_ns, _)   \
	F(U64, persist_ns, _) F(I32, result, _) F(E8, cause, CAUSE) F(PAD, pad0, 3)

#define RHOOK__EV_MANIFEST_UPDATED(F)                                                             \
	F(U64, region_id, _) F(U64, version, _) F(U64, flushed_entry_id, _)                       \
	F(U64, flushed_sequence, _) F(E32, action_kinds, ACTION_KINDS) F(U32, num_actions, _)     \
	F(U32, num_files_added, _) F(U32, num_files_removed, _) F(E8, cause, CAUSE)               \
	F(PAD, pad0, 7)

#define RHOOK__EV_HOOK_DISPATCH(F)                                                                \
	F(U64, region_id, _) F(U64, duration_ns, _) F(U32, num_hooks, _)                          \
	F(E8, callback, CALLBACK) F(PAD, pad0, 3)

#define RHOOK__EV_FLUSH_BEGIN(F) F(U64, region_id, _) F(U64, rows, _) F(U64, bytes, _)

#define RHOOK__EV_FLUSH_END(F)                                                                    \
	F(U64, region_id, _) F(U64, rows, _) F(U64, bytes, _) F(U64, duration_ns, _)              \
	F(U32, files, _) F(I32, status, _)

#define RHOOK__EV_COMPACTION_BEGIN(F)                                                             \
	F(U64, region_id, _) F(U64, bytes_in, _) F(U32, input_files, _) F(E8, mode, MODE)         \
	F(PAD, pad0, 3)

#define RHOOK__EV_COMPACTION_END(F)                                                               \
	F(U64, region_id, _) F(U64, bytes_in, _) F(U64, bytes_out, _) F(U64, duration_ns, _)      \
	F(U32, input_files, _) F(U32, output_files, _) F(I32, status, _) F(E8, mode, MODE)        \
	F(PAD, pad0, 3)

/* E(id, name, FIELDS): the event list; ids are the recorder's on-disk ids. */
#define RHOOK__EVENTS(E)                                                                          \
	E(1, sst_file_written, RHOOK__EV_SST_FILE_WRITTEN)                                        \
	E(2, manifest_commit, RHOOK__EV_MANIFEST_COMMIT)                                          \
	E(3, manifest_updated, RHOOK__EV_MANIFEST_UPDATED)                                        \
	E(4, hook_dispatch, RHOOK__EV_HOOK_DISPATCH)                                              \
	E(5, flush_begin, RHOOK__EV_FLUSH_BEGIN)                                                  \
	E(6, flush_end, RHOOK__EV_FLUSH_END)                                                      \
	E(7, compaction_begin, RHOOK__EV_COMPACTION_BEGIN)                                        \
	E(8, compaction_end, RHOOK__EV_COMPACTION_END)

#define RHOOK__EV_MAX_ID 8
#define RHOOK__EV_MAX_LISTED_IDS 64

#define RHOOK__FIELD_DECL_UUID(name, arg) uint8_t name[16];
#define RHOOK__FIELD_DECL_U8(name, arg)   uint8_t name;
#define RHOOK__FIELD_DECL_U32(name, arg)  uint32_t name;
#define RHOOK__FIELD_DECL_I32(name, arg)  int32_t name;
#define RHOOK__FIELD_DECL_U64(name, arg)  uint64_t name;
#define RHOOK__FIELD_DECL_I64(name, arg)  int64_t name;
#define RHOOK__FIELD_DECL_E8(name, arg)   uint8_t name;
#define RHOOK__FIELD_DECL_E32(name, arg)  uint32_t name;
#define RHOOK__FIELD_DECL_PAD(name, arg)  uint8_t name[arg];
#define RHOOK__FIELD_DECL(kind, name, arg) RHOOK__FIELD_DECL_##kind(name, arg)

#define RHOOK__FIELD_SIZE_UUID(arg) 16
#define RHOOK__FIELD_SIZE_U8(arg)   1
#define RHOOK__FIELD_SIZE_U32(arg)  4
#define RHOOK__FIELD_SIZE_I32(arg)  4
#define RHOOK__FIELD_SIZE_U64(arg)  8
#define RHOOK__FIELD_SIZE_I64(arg)  8
#define RHOOK__FIELD_SIZE_E8(arg)   1
#define RHOOK__FIELD_SIZE_E32(arg)  4
#define RHOOK__FIELD_SIZE_PAD(arg)  (arg)
#define RHOOK__FIELD_SIZE(kind, name, arg) + RHOOK__FIELD_SIZE_##kind(arg)

/* struct rhook__ev_<name>: the payload of each event. */
#define RHOOK__EV_STRUCT(id, name, FIELDS)                                                \
	struct rhook__ev_##name {                                                         \
		FIELDS(RHOOK__FIELD_DECL)                                                 \
	};                                                                                \
	_Static_assert(sizeof(struct rhook__ev_##name) == 0 FIELDS(RHOOK__FIELD_SIZE),    \
		       "rhook__ev_" #name " has hidden padding");
RHOOK__EVENTS(RHOOK__EV_STRUCT)
#undef RHOOK__EV_STRUCT

#define RHOOK__EV_ENUM(id, name, FIELDS) RHOOK__EV_##name = id,
enum rhook__event_id { RHOOK__EVENTS(RHOOK__EV_ENUM) };
#undef RHOOK__EV_ENUM

#endif /* RHOOK_TRACE_EVENTS_H */
