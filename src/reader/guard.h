/*
 * guard.h - reading a mapped file that may shrink under the reader.
 *
 * A trace file truncated while rhook-read reads it (logrotate, `: >
 * file`) makes a load from its mapping beyond the new end fault with
 * SIGBUS.  The loads from a mapping are made inside a guard: a SIGBUS
 * raised by a load inside the guarded range jumps back to where the
 * guard was armed (sigsetjmp), and the caller reports the file as
 * damaged.  A SIGBUS of anything else goes to the handler the guard's
 * replaced (or the default action), as if there were no guard.
 *
 * Usage (sigsetjmp must be called in the frame that stays alive, and
 * must save the signal mask: the jump leaves the handler's mask behind,
 * which under ThreadSanitizer blocks every signal):
 *
 *	struct rdr_guard g;
 *
 *	rdr_guard_arm(&g, base, len);
 *	if (sigsetjmp(g.jb, 1)) {
 *		rdr_guard_disarm(&g);
 *		...the file shrank: report it...
 *	}
 *	...loads from [base, base + len)...
 *	rdr_guard_disarm(&g);
 *
 * Locals changed between arming and a fault and used after it must be
 * volatile.  Guards nest (per thread); one handler per process,
 * installed at the first arm.
 */
#ifndef RDR_GUARD_H
#define RDR_GUARD_H

#include <setjmp.h>
#include <stddef.h>

struct rdr_guard {
	sigjmp_buf jb;
	const void *base;
	size_t len;
	struct rdr_guard *outer;
};

/* Makes @g this thread's innermost guard, for faults in [@base, @base + @len). */
void rdr_guard_arm(struct rdr_guard *g, const void *base, size_t len);

/* Ends @g (the innermost guard), after it faulted or not. */
void rdr_guard_disarm(struct rdr_guard *g);

#endif /* RDR_GUARD_H */
