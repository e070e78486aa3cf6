/*
 * clock.c - TSC detection and anchors.
 */
#include "clock.h"

#ifdef RHOOK__HAVE_TSC
#include <cpuid.h>
#endif

bool rhook__tsc_invariant(void)
{
#ifdef RHOOK__HAVE_TSC
	unsigned a, b, c, d;

	if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
		return false;
	if (!__get_cpuid(0x80000007u, &a, &b, &c, &d))
		return false;
	return (d >> 8) & 1;
#else
	return false;
#endif
}

struct rhr_anchor rhook__anchor_now(uint32_t clock)
{
	struct rhr_anchor best = { 0, 0 };
	uint64_t best_gap = UINT64_MAX;

	if (clock != RHR_CLOCK_TSC) {
		best.mono_ns = rhook__now_ns();
		best.tsc = best.mono_ns;
		return best;
	}
	/* Bracket clock_gettime() between two TSC reads; keep the tightest of a few. */
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = rhook__rec_now(RHR_CLOCK_TSC);
		uint64_t ns = rhook__now_ns();
		uint64_t t1 = rhook__rec_now(RHR_CLOCK_TSC);

		if (t1 - t0 < best_gap) {
			best_gap = t1 - t0;
			best.tsc = t0 + (t1 - t0) / 2;
			best.mono_ns = ns;
		}
	}
	return best;
}
