/*
 * internal.h - what every part of librhook uses (not installed): the
 * calling thread's token and its dispatch and lock depths (defined in
 * thread.c), the monotonic clock, fatal(), ThreadSanitizer annotations.
 */
#ifndef RHOOK_BASE_INTERNAL_H
#define RHOOK_BASE_INTERNAL_H

#include <stdbool.h>
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

/*
 * Names the calling thread @name, or after the process (its main
 * thread's name, /proc/self/comm) if @name is NULL: liblttng-ust and the
 * recorder's file header take the name of the thread that starts them.
 */
void rhook__thread_set_name(const char *name);

/* Number of manifest mutexes (rhook_manifest_lock) the calling thread holds. */
extern __thread unsigned rhook__manifest_holds __attribute__((tls_model("initial-exec")));

/*
 * Whether the calling thread may wait for an RCU grace period.  A grace
 * period is process-wide: it waits for every dispatch in progress, in any
 * registry, and for every recorder write.  So not from inside a callback
 * (it would wait for itself), and not while holding a manifest mutex (a
 * callback on another thread may be waiting for that mutex, so the grace
 * period would wait for the caller).  rhook_registry_remove() and
 * rhook_registry_free() defer their work then; rhook_recorder_stop()
 * returns -EDEADLK.  Locks of the host's own are invisible here: the
 * headers tell the host not to hold one that a callback may take.
 */
static inline bool rhook__may_wait_grace_period(void)
{
	return !rhook__dispatch_depth && !rhook__manifest_holds;
}

static inline uint64_t rhook__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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

#endif /* RHOOK_BASE_INTERNAL_H */
