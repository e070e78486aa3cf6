/*
 * internal.h - helpers shared by the hook core (not installed).
 */
#ifndef RHOOK_CORE_INTERNAL_H
#define RHOOK_CORE_INTERNAL_H

#include <stdint.h>
#include <time.h>

/* Hidden-visibility internal symbols: rhook__ prefix, no RHOOK_API. */

/*
 * A per-thread address that identifies the calling thread while it lives;
 * stored as the owner of a manifest mutex.  initial-exec: librhook is
 * linked, not dlopen'ed, so its TLS is static and access is one move.
 */
extern __thread char rhook__thread_token __attribute__((tls_model("initial-exec")));

static inline const void *rhook__self(void)
{
	return &rhook__thread_token;
}

/*
 * Depth of hook dispatch on this thread (RCU read-side nesting that rhook
 * owns).  Non-zero means a callback is running: waiting for a grace
 * period now would deadlock.
 */
extern __thread unsigned rhook__dispatch_depth __attribute__((tls_model("initial-exec")));

static inline uint64_t rhook__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Registers urcu-bp's fork handlers; called once by the library constructor. */
void rhook__urcu_atfork(void);

/* Prints "rhook: fatal: ..." and aborts: impossible states and debug checks. */
__attribute__((noreturn, format(printf, 1, 2))) void rhook__fatal(const char *fmt, ...);

/*
 * ThreadSanitizer does not see liburcu's grace periods (sys_membarrier) nor
 * its call_rcu queue; these annotations tell it that a read-side critical
 * section happens before the reclamation that waited for it.
 */
#if defined(__SANITIZE_THREAD__)
#define RHOOK__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RHOOK__TSAN 1
#endif
#endif

#ifdef RHOOK__TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define RHOOK__TSAN_ACQUIRE(addr) __tsan_acquire((void *)(addr))
#define RHOOK__TSAN_RELEASE(addr) __tsan_release((void *)(addr))
#else
#define RHOOK__TSAN_ACQUIRE(addr) ((void)0)
#define RHOOK__TSAN_RELEASE(addr) ((void)0)
#endif

#endif /* RHOOK_CORE_INTERNAL_H */
