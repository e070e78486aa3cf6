/*
 * usdt.h - USDT (systemtap SDT) probes "rhook:<event>" at every event site,
 * so that perf, bpftrace and systemtap can attach without LTTng.
 *
 * Each probe has a semaphore, raised by the tool while it is attached, so
 * that rhook builds an event's payload only when someone listens.  Probe
 * arguments, generated from the schema (events.h): region_id, the payload
 * (struct rhw_ev_<name> *, layout in events.h), its size, then the
 * event's other integer and enumeration fields in table order (an id
 * list's count included) as 64-bit values, signed ones sign-extended.
 * STAP_PROBEV takes at most 12 arguments, so at most RHOOK__USDT_SLOTS of
 * them; unused slots are 0, and fields past the last slot are read from
 * the payload.
 */
#ifndef RHOOK_TRACE_USDT_H
#define RHOOK_TRACE_USDT_H

#include <stdbool.h>

#define _SDT_HAS_SEMAPHORES 1
#define SDT_USE_VARIADIC 1 /* STAP_PROBEV */
#include <sys/sdt.h>

#include "wire/events.h"

/* Scalar slots after region_id, the payload and its size: STAP_PROBEV's limit of 12 arguments. */
#define RHOOK__USDT_SLOTS 9

/* Defined in emit.c, in the .probes section the tools expect. */
#define RHOOK__USDT_SEMAPHORE_DECL(num, name, FIELDS) extern volatile unsigned short rhook_##name##_semaphore;
RHW_EVENTS(RHOOK__USDT_SEMAPHORE_DECL)
#undef RHOOK__USDT_SEMAPHORE_DECL

/* Whether a USDT consumer is attached to event @id's probe. */
static inline bool rhook__usdt_attached(enum rhw_event_id id)
{
	switch (id) {
#define RHOOK__USDT_CASE(num, name, FIELDS) \
	case RHW_EV_##name:              \
		return rhook_##name##_semaphore != 0;
		RHW_EVENTS(RHOOK__USDT_CASE)
#undef RHOOK__USDT_CASE
	}
	return false;
}

#endif /* RHOOK_TRACE_USDT_H */
