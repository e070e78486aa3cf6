/*
 * job.c - job identity (rhook/trace.h): a process-wide counter of job ids
 * and each thread's current job, which the emitters stamp on the events
 * of a flush or compaction.
 */
#include <stdatomic.h>

#include <rhook/trace.h>

#include "emit.h"

__thread uint64_t rhook__job_id __attribute__((tls_model("initial-exec")));

/*
 * The last id handed out.  Relaxed: an id only has to be unique, it
 * orders nothing (the events that carry it are ordered by their own
 * timestamps).  fork() copies it, so a child goes on from its parent.
 */
static _Atomic uint64_t last_job;

uint64_t rhook_job_new(void)
{
	return atomic_fetch_add_explicit(&last_job, 1, memory_order_relaxed) + 1;
}

uint64_t rhook_job_enter(uint64_t job_id)
{
	uint64_t prev = rhook__job_id;

	rhook__job_id = job_id;
	return prev;
}

uint64_t rhook_job_current(void)
{
	return rhook__job_id;
}
