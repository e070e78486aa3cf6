/*
 * trigger.h - snapshot triggers: conditions evaluated where their event
 * is produced, which take a flight recorder snapshot when they hold
 * (RHOOK_TRACE_SNAPSHOT_ON, rhook_recorder_snapshot_on(), rhook-ctl).
 *
 * Conditions, comma-separated ("hold>50ms,persist>200ms,commit_failed"):
 *
 *   hold>D      rhook:manifest_commit with lock_hold_ns above D
 *   persist>D   rhook:manifest_commit with persist_ns above D
 *   wait>D      rhook:manifest_commit with lock_wait_ns above D
 *   commit_failed  rhook:manifest_commit with a non-zero result
 *   dispatch>D  rhook:hook_dispatch with duration_ns above D
 *   lost>N      the recorder dropped an event (discard mode full, no
 *               free buffer, nested emission) and has dropped more than
 *               N since it started; overwritten events, the flight
 *               recorder's normal business, do not count
 *
 * D is a number with a unit: ns, us, ms or s.  "" or "off" disarms.
 *
 * Cost.  An emitter whose event no condition names has no check at all:
 * only rhook__emit_manifest_commit() and rhook__emit_hook_dispatch()
 * test rhook__trig_watching(), one relaxed load and a predictable
 * branch, taken only when a condition names their event.  A loss site
 * (the recorder's drop paths, already slow) tests one flag.  When a
 * condition holds, the producing thread compares, claims the rate limit
 * (one CAS), emits the rhook:snapshot_trigger record right after the
 * event and wakes the thread rhook-ctl with one write(2) to an eventfd:
 * no lock, no allocation, async-signal-safe.  The snapshot itself is
 * taken on rhook-ctl (ctl_server.h), a few microseconds later; for
 * lost>N the comparison with N is made there too (a drop may happen
 * inside an emission, where no record can be emitted).
 *
 * Rate limit and retention: at most one triggered snapshot per
 * RHOOK_TRACE_SNAPSHOT_INTERVAL (default 10s; a condition that holds
 * meanwhile still emits its record, with snapshot 0), at most
 * RHOOK_TRACE_SNAPSHOT_KEEP (default 4) triggered snapshots kept per
 * process, the oldest removed first.  Triggers fire only while the
 * recorder records.
 */
#ifndef RHOOK_TRACE_TRIGGER_H
#define RHOOK_TRACE_TRIGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/events.h"

/* Bit per event id that a condition names; relaxed (a hint, re-checked by the slow path). */
extern unsigned rhook__trig_events;

static inline bool rhook__trig_watching(enum rhw_event_id id)
{
	return (__atomic_load_n(&rhook__trig_events, __ATOMIC_RELAXED) >> id) & 1u;
}

/* The checks of the two events (emit.c), after the event was emitted; any thread, signal handlers too. */
void rhook__trig_commit(const struct rhw_ev_manifest_commit *ev);
void rhook__trig_dispatch(const struct rhw_ev_hook_dispatch *ev);

/*
 * Arms the conditions of @spec (see above), replacing the previous
 * ones; 0 or -EINVAL with a message in @err naming the item.  Any
 * thread but a signal handler; setters are serialized by an internal
 * lock (innermost, held while parsing and storing only).  The caller
 * makes sure rhook-ctl's thread runs (its eventfd set) first.
 */
int rhook__trig_set(const char *spec, char *err, size_t err_size);

/* The armed conditions as a spec ("" when none) into @buf. */
void rhook__trig_describe(char *buf, size_t size);

/* Retention and rate limit (constructor, from the environment); 0 or -EINVAL with a message. */
int rhook__trig_config_from_env(char *err, size_t err_size);

/*
 * The eventfd the producing threads write to (-1: none), set by
 * rhook-ctl's thread when it starts, before any condition is armed.
 */
void rhook__trig_set_wake_fd(int fd);

/*
 * On rhook-ctl's thread, after a wake-up: evaluates lost>N, takes the
 * triggered snapshot asked for, if any, and removes the oldest beyond
 * the retention.  Messages on stderr when a snapshot fails.
 */
void rhook__trig_service(void);

/* Snapshots triggered so far in this process, and the newest one's path (status). */
uint32_t rhook__trig_taken(char *last, size_t size);

/* fork(): the setter lock, taken by the prepare handler, dropped by parent and child. */
void rhook__trig_before_fork(void);
void rhook__trig_after_fork(void);

/* A forked child (after rhook__trig_after_fork()): no thread serves it, so nothing is armed there. */
void rhook__trig_after_fork_child(void);

#endif /* RHOOK_TRACE_TRIGGER_H */
