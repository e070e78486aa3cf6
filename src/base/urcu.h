/*
 * urcu.h - liburcu, bulletproof flavor, as the hook core uses it.
 *
 * _LGPL_SOURCE inlines urcu-bp's read-side fast path (rhook is LGPL).
 * Sanitizer builds (RHOOK_SANITIZER_BUILD) call the out-of-line versions
 * instead: liburcu's own accesses then stay uninstrumented, which keeps
 * TSan from flagging its membarrier-based ordering and UBSan from flagging
 * its reader registry (placed at 32-byte steps although the type asks for
 * 128-byte alignment).
 */
#ifndef RHOOK_BASE_URCU_H
#define RHOOK_BASE_URCU_H

#include "internal.h"

#ifndef RHOOK_SANITIZER_BUILD
#define _LGPL_SOURCE
#endif
#include <urcu/urcu-bp.h>
#include <urcu/compiler.h>

#endif /* RHOOK_BASE_URCU_H */
