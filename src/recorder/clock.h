/*
 * clock.h - the recorder's timestamp source.
 *
 * The TSC when the CPU says it is invariant (constant rate, runs in deep
 * C-states): ~10 ns a read here against ~25 ns for clock_gettime() under
 * kvm-clock.  Ticks are converted to CLOCK_MONOTONIC nanoseconds offline,
 * from (TSC, monotonic) anchors stored in the trace, so recorder traces
 * merge with LTTng's (CLOCK_MONOTONIC) and with each other.
 */
#ifndef RHOOK_RECORDER_CLOCK_H
#define RHOOK_RECORDER_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define RHOOK__HAVE_TSC 1
#endif

#include "../core/internal.h"
#include "format.h"

/* A timestamp in @clock (enum rhr_clock). */
static inline uint64_t rhook__rec_now(uint32_t clock)
{
#ifdef RHOOK__HAVE_TSC
	if (clock == RHR_CLOCK_TSC)
		return __rdtsc();
#endif
	(void)clock;
	return rhook__now_ns();
}

/* Whether the TSC is invariant (CPUID 0x80000007 EDX bit 8). */
bool rhook__tsc_invariant(void);

/* A (TSC, monotonic) pair read as close together as this machine allows. */
struct rhr_anchor rhook__anchor_now(uint32_t clock);

#endif /* RHOOK_RECORDER_CLOCK_H */
