/*
 * urcu_read.c - a read-side critical section of one liburcu flavor,
 * compiled once per flavor (RHOOK_BENCH_FLAVOR = qsbr, bp, memb or mb,
 * RHOOK_BENCH_HEADER its header) with liburcu's inline fast paths.
 */
#define _LGPL_SOURCE
#include <stdint.h>

#include RHOOK_BENCH_HEADER /* <urcu/urcu-FLAVOR.h>, from the build */

#include "bench.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(CAT(bench_urcu_, RHOOK_BENCH_FLAVOR), name)
#define URCU(name) CAT(CAT(urcu_, RHOOK_BENCH_FLAVOR), name)

void FN(_register)(void);
void FN(_read)(uint64_t iters, void *arg);

/* qsbr, memb and mb need registered readers; bp registers lazily. */
void FN(_register)(void)
{
	URCU(_register_thread)();
}

void FN(_read)(uint64_t iters, void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < iters; i++) {
		URCU(_read_lock)();
		BENCH_BARRIER();
		URCU(_read_unlock)();
	}
}
