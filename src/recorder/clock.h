/*
 * clock.h - the recorder's timestamp source.
 *
 * The TSC when the CPU says it is invariant (constant rate, runs in deep
 * C-states) and has RDTSCP; else CLOCK_MONOTONIC.  Ticks are converted
 * to CLOCK_MONOTONIC nanoseconds offline, from (TSC, monotonic) anchors
 * stored in the trace, so recorder traces merge with LTTng's
 * (CLOCK_MONOTONIC) and with each other.
 *
 * Ordered reads: a bare RDTSC may execute before the instructions that
 * precede it (it waits for nothing), so an event emitted after a
 * release-acquire hand-off from another CPU could get a timestamp older
 * than the event that preceded the hand-off, and versions committed in
 * order could print out of order.  RDTSCP waits until every earlier
 * instruction has executed and every earlier load is globally visible
 * (Intel SDM and AMD APM, "RDTSCP"), which is the order an event needs:
 * after what caused it.  Later instructions may start before it; the
 * timestamp is stored after it, so nothing later depends on that.
 * It costs more than RDTSC (bench/recorder_bench.c measures both), so
 * the emitters use it where order across threads and processes matters
 * (src/trace/emit.c); within one thread the reader keeps each stream in
 * order whatever the clock reads.
 */
#ifndef RHOOK_RECORDER_CLOCK_H
#define RHOOK_RECORDER_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <x86intrin.h>

#include "base/internal.h"
#include "wire/recorder_format.h"

/* Inlined even at -O0: the emitters' own code holds the read (tests/unit/recorder_tsc_order.c). */
#define RHOOK__CLOCK_INLINE static inline __attribute__((always_inline))

/* The TSC, read after every earlier instruction has executed (see above). */
RHOOK__CLOCK_INLINE uint64_t rhook__tsc_ordered(void)
{
	unsigned aux;

	return __rdtscp(&aux);
}

/* A timestamp in @clock (enum rhr_clock), read whenever the CPU gets to it. */
RHOOK__CLOCK_INLINE uint64_t rhook__rec_now(uint32_t clock)
{
	if (clock == RHR_CLOCK_TSC)
		return __rdtsc();
	return rhook__now_ns();
}

/* A timestamp in @clock, read after everything before it (clock_gettime() orders its own read). */
RHOOK__CLOCK_INLINE uint64_t rhook__rec_now_ordered(uint32_t clock)
{
	if (clock == RHR_CLOCK_TSC)
		return rhook__tsc_ordered();
	return rhook__now_ns();
}

/* Whether the TSC can be the recorder's clock: invariant, and RDTSCP exists. */
bool rhook__tsc_usable(void);

/* A (TSC, monotonic) pair read as close together as this machine allows. */
struct rhr_anchor rhook__anchor_now(uint32_t clock);

#endif /* RHOOK_RECORDER_CLOCK_H */
