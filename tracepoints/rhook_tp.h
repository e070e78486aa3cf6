/*
 * rhook_tp.h - the LTTng-UST tracepoint provider "rhook", generated from
 * the event schema (src/wire/events.h): one tracepoint per event of
 * RHW_EVENTS, whose fields are the event's payload fields in table
 * order, then its id lists, and one CTF enumeration per RHW_ENUMS.
 * LTTng-UST expands the LTTNG_UST_TRACEPOINT_* macros by including this
 * header several times; each pass expands the same table.
 *
 * Field types: integers keep their width and signedness; E8 / E32 are
 * CTF enumerations over uint8_t / uint32_t; a UUID is a 36-character
 * text array; an IDS list records its u32 count in table order and its
 * listed ids as a string of comma-separated UUIDs after the payload
 * fields (NUL-terminated, "-" when empty: events.h); PAD is not recorded.
 *
 * Each tracepoint takes a struct rhook__tp_<name>: the payload the
 * emitter built once for all consumers, and the text of its file ids,
 * formatted only when the tracepoint is enabled.  An event with no
 * session costs one load and one branch; its arguments are not computed.
 */

#ifndef RHOOK_TP_ARGS_H
#define RHOOK_TP_ARGS_H

#include "wire/events.h"

#define RHOOK__TP_TEXT_U8(name, arg)
#define RHOOK__TP_TEXT_U32(name, arg)
#define RHOOK__TP_TEXT_I32(name, arg)
#define RHOOK__TP_TEXT_U64(name, arg)
#define RHOOK__TP_TEXT_I64(name, arg)
#define RHOOK__TP_TEXT_E8(name, arg)
#define RHOOK__TP_TEXT_E32(name, arg)
#define RHOOK__TP_TEXT_PAD(name, arg)
#define RHOOK__TP_TEXT_UUID(name, arg) char name[RHOOK_FILE_ID_STRLEN];
#define RHOOK__TP_TEXT_IDS(name, arg) char name[RHW_EV_MAX_LISTED_IDS * RHOOK_FILE_ID_STRLEN];
#define RHOOK__TP_TEXT(kind, name, arg) RHOOK__TP_TEXT_##kind(name, arg)

/* struct rhook__tp_<name>: the payload, then the text of each UUID and IDS field. */
#define RHOOK__TP_ARGS_STRUCT(id, name, FIELDS)         \
	struct rhook__tp_##name {                       \
		const struct rhw_ev_##name *ev;      \
		FIELDS(RHOOK__TP_TEXT)                  \
	};
RHW_EVENTS(RHOOK__TP_ARGS_STRUCT)
#undef RHOOK__TP_ARGS_STRUCT

#endif /* RHOOK_TP_ARGS_H */

#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER rhook

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "rhook_tp.h"

#if !defined(RHOOK_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define RHOOK_TP_H

#include <lttng/tracepoint.h>

/* The macros below expand to LTTng's, which each pass redefines; they expand at use. */
#define RHOOK__TP_ENUM_VALUE(NAME, value, label) lttng_ust_field_enum_value(label, value)
#define RHOOK__TP_ENUM(e) \
	LTTNG_UST_TRACEPOINT_ENUM(rhook, e, LTTNG_UST_TP_ENUM_VALUES(RHW_ENUM_##e(RHOOK__TP_ENUM_VALUE)))

/* Payload fields, in table order. */
#define RHOOK__TP_FIELD_U8(name, arg) lttng_ust_field_integer(uint8_t, name, tp->ev->name)
#define RHOOK__TP_FIELD_U32(name, arg) lttng_ust_field_integer(uint32_t, name, tp->ev->name)
#define RHOOK__TP_FIELD_I32(name, arg) lttng_ust_field_integer(int32_t, name, tp->ev->name)
#define RHOOK__TP_FIELD_U64(name, arg) lttng_ust_field_integer(uint64_t, name, tp->ev->name)
#define RHOOK__TP_FIELD_I64(name, arg) lttng_ust_field_integer(int64_t, name, tp->ev->name)
#define RHOOK__TP_FIELD_E8(name, arg) lttng_ust_field_enum(rhook, arg, uint8_t, name, tp->ev->name)
#define RHOOK__TP_FIELD_E32(name, arg) lttng_ust_field_enum(rhook, arg, uint32_t, name, tp->ev->name)
#define RHOOK__TP_FIELD_UUID(name, arg) lttng_ust_field_array_text(char, name, tp->name, 36)
#define RHOOK__TP_FIELD_PAD(name, arg)
#define RHOOK__TP_FIELD_IDS(name, arg) lttng_ust_field_integer(uint32_t, arg, tp->ev->arg)
#define RHOOK__TP_FIELD(kind, name, arg) RHOOK__TP_FIELD_##kind(name, arg)

/* Then the id lists, in table order. */
#define RHOOK__TP_LIST_U8(name, arg)
#define RHOOK__TP_LIST_U32(name, arg)
#define RHOOK__TP_LIST_I32(name, arg)
#define RHOOK__TP_LIST_U64(name, arg)
#define RHOOK__TP_LIST_I64(name, arg)
#define RHOOK__TP_LIST_E8(name, arg)
#define RHOOK__TP_LIST_E32(name, arg)
#define RHOOK__TP_LIST_UUID(name, arg)
#define RHOOK__TP_LIST_PAD(name, arg)
#define RHOOK__TP_LIST_IDS(name, arg) lttng_ust_field_string(name, tp->name)
#define RHOOK__TP_LIST(kind, name, arg) RHOOK__TP_LIST_##kind(name, arg)

#define RHOOK__TP_EVENT(id, name, FIELDS)                                                   \
	LTTNG_UST_TRACEPOINT_EVENT(rhook, name,                                             \
				   LTTNG_UST_TP_ARGS(const struct rhook__tp_##name *, tp),  \
				   LTTNG_UST_TP_FIELDS(FIELDS(RHOOK__TP_FIELD) FIELDS(RHOOK__TP_LIST)))

RHW_ENUMS(RHOOK__TP_ENUM)
RHW_EVENTS(RHOOK__TP_EVENT)

#endif /* RHOOK_TP_H */

#include <lttng/tracepoint-event.h>
