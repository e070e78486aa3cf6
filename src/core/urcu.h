/*
 * urcu.h - liburcu, bulletproof flavor, as the hook core uses it.
 *
 * _LGPL_SOURCE inlines urcu-bp's read-side fast path (rhook is LGPL).
 * Under ThreadSanitizer the out-of-line versions are used instead, so that
 * all of liburcu's own memory accesses stay uninstrumented.
 */
#ifndef RHOOK_CORE_URCU_H
#define RHOOK_CORE_URCU_H

#include "internal.h"

#ifndef RHOOK__TSAN
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-bp.h>
#include <urcu/compiler.h>

#endif /* RHOOK_CORE_URCU_H */
