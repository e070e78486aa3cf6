/*
 * snap.h - where snapshots go: a directory asked for, or a new one in
 * the snapshot directory, and the retention of triggered ones.
 *
 * The snapshot directory is $RHOOK_TRACE_SNAPSHOT_DIR (read once at
 * start-up) or, by default, "<trace directory>.snapshots" beside the
 * trace directory (created 0700, checked as a trace directory is:
 * safedir.h).  Snapshots in it are named
 * "<kind>-<pid>-<n>-<UTC YYYYmmddTHHMMSSZ>", kind "snapshot" (asked
 * for) or "trigger", n counting the snapshots of this process.
 */
#ifndef RHOOK_TRACE_SNAP_H
#define RHOOK_TRACE_SNAP_H

#include <stddef.h>

#include "recorder/snapshot.h"

/*
 * Takes a snapshot into the new directory @dir (absolute or relative to
 * the working directory; it must not exist; its parent is created 0700
 * if missing and checked by safedir.h's rules) or, when @dir is NULL,
 * into a new directory of the snapshot directory named for @kind.  0 or
 * a negative errno of rhook__rec_snapshot() or rhook__safedir_open(),
 * with a message in @err.  Any thread but a signal handler.
 */
int rhook__snap_take(const char *dir, const char *kind, struct rhook__snap_result *res, char *err, size_t err_size);

/*
 * Removes snapshot directory @path made by rhook__snap_take() (its
 * recorder files, then itself; nothing is followed); 0 or -errno.
 */
int rhook__snap_remove(const char *path);

/* Reads RHOOK_TRACE_SNAPSHOT_DIR (constructor). */
void rhook__snap_init_from_env(void);

#endif /* RHOOK_TRACE_SNAP_H */
