/*
 * atfork.c - rhook across fork(): the order of the fork handlers of
 * liburcu, the flight recorder and the hook core.
 *
 * POSIX runs the prepare handlers in the reverse order of their
 * registration, the parent and child handlers in the order of
 * registration.  Before fork() the forking thread must take, in order:
 *
 *   1. call_rcu_before_fork(): pauses liburcu's call_rcu threads, each of
 *      which first finishes its batch: a grace period (urcu-bp's locks)
 *      and the callbacks (hook releases, which may call into rhook and
 *      take any of the locks below).  So it must run while the forking
 *      thread holds none of them.
 *   2. the recorder's lock, whose holder (rhook_recorder_stop()) waits for
 *      a grace period: before urcu-bp's grace-period lock.
 *   3. urcu_bp_before_fork(): urcu-bp's grace-period and registry locks.
 *      Taking the first waits for a grace period in progress, which waits
 *      for the callbacks running in read-side sections: the locks they
 *      may take (4.) must not be held yet.
 *   4. the hook core's locks: the registry writer lock (a callback may
 *      add or remove a hook) and, in debug builds, the receipt ledger's (a
 *      callback may commit).  Their holders never wait for a grace period
 *      nor start a read-side section, so they finish with urcu-bp's
 *      locks held by the forking thread.
 *
 * So they are registered 4 then 3 (the inner half), 2 (the recorder, by
 * rhook__rec_init_from_env()), then 1 (the outer half); see init.c.  After
 * fork() they run 4, 3, 2, 1: in a child, urcu-bp's reader registry is
 * pruned to the one thread left before the recorder starts over and
 * before the child's new call_rcu thread starts.
 *
 * With 1 registered first (so run last), urcu-bp's locks were taken first
 * and call_rcu_before_fork() then waited for a call_rcu thread stuck in a
 * grace period on those very locks: fork() hung.
 */
#include <pthread.h>

#include "base/internal.h"
#include "base/urcu.h"
#include "manifest_ctx.h"

static void core_before_fork(void)
{
	rhook__registry_before_fork();
	rhook__ledger_before_fork();
}

/* Parent and child alike: the forking thread took the locks, it drops them. */
static void core_after_fork(void)
{
	rhook__ledger_after_fork();
	rhook__registry_after_fork();
}

void rhook__atfork_register_inner(void)
{
	pthread_atfork(core_before_fork, core_after_fork, core_after_fork);
	pthread_atfork(urcu_bp_before_fork, urcu_bp_after_fork_parent, urcu_bp_after_fork_child);
}

void rhook__atfork_register_outer(void)
{
	pthread_atfork(urcu_bp_call_rcu_before_fork, urcu_bp_call_rcu_after_fork_parent,
		       urcu_bp_call_rcu_after_fork_child);
}
