/*
 * fault.c - the recorder's SIGBUS handler (see fault.h).
 */
#define _GNU_SOURCE
#include "fault.h"

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "recorder.h"

/*
 * The armed mapping.  Stored under rhook__rec_lock while no writer can
 * touch the mapping (before it is published, after it is unmapped);
 * loaded by the handler on the faulting thread, which is inside the
 * writer's read-side section or holds rhook__rec_lock, so both bounds
 * are those of the mapping it faulted in.  Relaxed: the lock and the
 * grace period order them.
 */
static _Atomic uintptr_t map_lo, map_hi;
static atomic_bool faulted;
static char map_path[PATH_MAX];

/* The handler ours replaced; written under rhook__rec_lock before ours is installed. */
static struct sigaction prev;

void rhook__rec_say(const char *first, ...)
{
	char buf[1024];
	size_t n = 0;
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *)) {
		size_t len = strlen(s);

		if (len > sizeof(buf) - n)
			len = sizeof(buf) - n;
		memcpy(buf + n, s, len);
		n += len;
	}
	va_end(ap);
	if (write(STDERR_FILENO, buf, n) < 0)
		return; /* nowhere else to say it */
}

/* Passes a signal that is not ours on, as if librhook had no handler. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	if (prev.sa_flags & SA_SIGINFO) {
		prev.sa_sigaction(sig, si, uc);
		return;
	}
	if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
		prev.sa_handler(sig);
		return;
	}
	/*
	 * The default action (SIG_IGN cannot stop a fault either): restore
	 * it; a fault raises the signal again when its instruction is
	 * restarted, a sent signal is raised again here (delivered when the
	 * handler returns and unblocks it).
	 */
	sigaction(sig, &prev, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	uintptr_t lo = atomic_load_explicit(&map_lo, memory_order_relaxed);
	uintptr_t hi = atomic_load_explicit(&map_hi, memory_order_relaxed);

	/* si_code > 0: raised by the kernel for a fault at si_addr, not sent. */
	if (si->si_code <= 0 || a < lo || a >= hi) {
		chain(sig, si, uc);
		return;
	}
	if (mmap((void *)lo, hi - lo, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
	    MAP_FAILED) {
		chain(sig, si, uc);
		return;
	}
	__atomic_store_n(&rhook__rec_active, 0, __ATOMIC_RELAXED);
	if (!atomic_exchange_explicit(&faulted, true, memory_order_relaxed))
		rhook__rec_say("rhook: recorder: lost its trace file ", map_path,
			       " (truncated by another process, or an I/O error); recording stopped, "
			       "the events recorded so far are lost\n",
			       NULL);
}

/*
 * Installs the handler, once per process: a host handler installed after
 * it may chain back to it, so installing it again over that one would
 * make the two call each other.  rhook__rec_lock held.
 */
static void install(void)
{
	static bool installed;
	struct sigaction cur, sa;

	if (installed || sigaction(SIGBUS, NULL, &cur))
		return;
	installed = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	/* SA_ONSTACK: the host's alternate stack, if it has one, as for its own handlers. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	/* prev is read only by on_sigbus, which runs after this sigaction() installed it. */
	prev = cur;
	sigaction(SIGBUS, &sa, NULL);
}

void rhook__rec_fault_arm(void *map, size_t len, const char *path)
{
	size_t n = strlen(path);

	if (n >= sizeof(map_path))
		n = sizeof(map_path) - 1;
	memcpy(map_path, path, n);
	map_path[n] = '\0';
	atomic_store_explicit(&faulted, false, memory_order_relaxed);
	atomic_store_explicit(&map_lo, (uintptr_t)map, memory_order_relaxed);
	atomic_store_explicit(&map_hi, (uintptr_t)map + len, memory_order_relaxed);
	install();
}

void rhook__rec_fault_disarm(void)
{
	atomic_store_explicit(&map_lo, 0, memory_order_relaxed);
	atomic_store_explicit(&map_hi, 0, memory_order_relaxed);
}

bool rhook__rec_faulted(void)
{
	return atomic_load_explicit(&faulted, memory_order_relaxed);
}
