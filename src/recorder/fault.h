/*
 * fault.h - the recorder survives losing its file.
 *
 * A trace file truncated under a live process (logrotate's copytruncate,
 * `: > file`) or unreadable after an I/O error makes the next store to
 * its mapping fault with SIGBUS, which kills the process by default.
 * The stores are the write path's own, so the fault is caught where it
 * is raised, at no cost to the fast path: while a recorder is mapped,
 * librhook has a SIGBUS handler that
 *  - for a fault inside the recorder's mapping, maps anonymous memory
 *    over the whole mapping (MAP_FIXED: the faulting store, retried,
 *    lands there, and so do the stores of threads still writing), turns
 *    recording off and says so on stderr once;
 *  - for anything else, hands the signal to the handler it replaced
 *    (the host's, called as the host installed it), or, if that was the
 *    default action, restores it so that the signal does what it would
 *    have done without librhook.
 * The handler is installed when a recorder first maps a file, once per
 * process, and stays installed (chaining) afterwards.  A host that
 * installs its own SIGBUS handler after a recorder started must pass on
 * the faults it does not own to the handler it replaced, as the chaining
 * convention requires; else a truncated trace file reaches its handler.
 */
#ifndef RHOOK_RECORDER_FAULT_H
#define RHOOK_RECORDER_FAULT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Makes [@map, @map + @len) the recorder's mapping, named @path in the
 * message.  rhook__rec_lock held; before the first store to the mapping.
 */
void rhook__rec_fault_arm(void *map, size_t len, const char *path);

/* The mapping is going away (rhook__rec_lock held, after munmap()). */
void rhook__rec_fault_disarm(void);

/* Whether the armed mapping faulted and was replaced since it was armed. */
bool rhook__rec_faulted(void);

/*
 * Writes the NUL-terminated strings up to a NULL to stderr in one
 * write(2) (at most 1 KiB): async-signal-safe.
 */
void rhook__rec_say(const char *first, ...);

#endif /* RHOOK_RECORDER_FAULT_H */
