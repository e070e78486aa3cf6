/*
 * clock.c - TSC detection and anchors.
 */
#include "clock.h"

#include <cpuid.h>

bool rhook__tsc_usable(void)
{
	unsigned a, b, c, d, max;

	if (!__get_cpuid(0x80000000u, &max, &b, &c, &d) || max < 0x80000007u)
		return false;
	/* CPUID 0x80000001 EDX bit 27: RDTSCP. */
	if (!__get_cpuid(0x80000001u, &a, &b, &c, &d) || !((d >> 27) & 1))
		return false;
	/* CPUID 0x80000007 EDX bit 8: invariant TSC. */
	if (!__get_cpuid(0x80000007u, &a, &b, &c, &d))
		return false;
	return (d >> 8) & 1;
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
	/*
	 * Bracket clock_gettime() between two ordered TSC reads (neither can
	 * drift into it); keep the tightest of a few.
	 */
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = rhook__tsc_ordered();
		uint64_t ns = rhook__now_ns();
		uint64_t t1 = rhook__tsc_ordered();

		if (t1 - t0 < best_gap) {
			best_gap = t1 - t0;
			best.tsc = t0 + (t1 - t0) / 2;
			best.mono_ns = ns;
		}
	}
	return best;
}
