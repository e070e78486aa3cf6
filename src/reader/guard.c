/*
 * guard.c - SIGBUS guards for reads from mapped files (see guard.h).
 */
#define _GNU_SOURCE
#include "guard.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

static __thread struct rdr_guard *innermost;
static struct sigaction prev; /* written once, before the handler is installed */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	/* si_code > 0: a fault at si_addr, raised by the kernel, not a sent signal. */
	for (struct rdr_guard *g = innermost; si->si_code > 0 && g; g = g->outer) {
		if (a >= (uintptr_t)g->base && a - (uintptr_t)g->base < g->len) {
			innermost = g;
			siglongjmp(g->jb, 1);
		}
	}
	if (prev.sa_flags & SA_SIGINFO) {
		prev.sa_sigaction(sig, si, uc);
	} else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
		prev.sa_handler(sig);
	} else {
		/* The default action: a fault raises it again on return, a sent signal now. */
		sigaction(sig, &prev, NULL);
		if (si->si_code <= 0)
			raise(sig);
	}
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	/* prev first: the handler may run as soon as it is installed. */
	if (!sigaction(SIGBUS, NULL, &prev))
		sigaction(SIGBUS, &sa, NULL);
}

void rdr_guard_arm(struct rdr_guard *g, const void *base, size_t len)
{
	pthread_once(&once, install);
	g->base = base;
	g->len = len;
	g->outer = innermost;
	innermost = g;
}

void rdr_guard_disarm(struct rdr_guard *g)
{
	innermost = g->outer;
}
