/*
 * snapshot.h - a consistent copy of what the flight recorder's rings
 * hold now, into a new private trace directory, while recording goes on
 * (the LTTng snapshot, JFR's dump).
 *
 * The copy follows the file format's rules only (recorder_format.h), the ones the
 * live reader follows: every sub-buffer is copied as a seqlock (S1: seq
 * acquire, commit acquire (C1), records word by word, acquire fence, seq
 * again), so a sub-buffer recycled during the copy is dropped and its
 * records are counted as overwritten; the counters are read after the
 * records, so a loss is never under-reported (it may be over-reported by
 * the records of a sub-buffer recycled right after it was copied).  The
 * copy is cut at one moment, read in the recorder's clock when the
 * snapshot starts: records stamped later are left out, so that what
 * several threads did is cut at the same instant.  The snapshot's files
 * have the live files' names and geometry, state "stopped" and no writer
 * lock: every reader reads them as finished traces.
 *
 * What it relies on in the recorder (the entry points below, defined in
 * snapshot.c next to the recorder's state): the recorder's files are
 * enumerated by index, each seen as a mapping in the file format, inside
 * an urcu-bp read-side section that keeps it mapped (stop waits for it).
 * A snapshot copies one buffer per read-side section, so that it never
 * delays a grace period by more than one buffer's copy.
 */
#ifndef RHOOK_RECORDER_SNAPSHOT_H
#define RHOOK_RECORDER_SNAPSHOT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* What a snapshot wrote. */
struct rhook__snap_result {
	char path[PATH_MAX];  /* the new trace directory */
	unsigned files;       /* recorder files copied */
	uint64_t records;     /* records copied */
	uint64_t dropped;     /* records recycled by their writer while being copied (counted as overwritten) */
};

/*
 * Creates the trace directory @name (one path component, which must not
 * exist) in the directory open at @parent_dfd (named @parent_path in
 * messages and in res->path, checked by the caller as safedir.h says),
 * and copies every file of the current recorder into it.  The directory
 * is filled under a temporary name (".NAME.tmp", 0700) and renamed to
 * @name once complete (never replacing anything), so that whoever looks
 * sees a whole snapshot or none.  Files are 0600, created with
 * O_EXCL|O_NOFOLLOW.
 *
 * Any thread, but not from a signal handler nor inside a hook callback
 * holding a lock a writer waits for (it allocates and does file I/O; it
 * waits for nothing but the file system).  Concurrent snapshots are
 * serialized by an internal lock (innermost; never held with
 * rhook__rec_lock).  Returns 0, or:
 *  -ENOENT   not recording (or recording stopped during the copy);
 *  -EEXIST   @name exists in @parent_dfd;
 *  -EINVAL   @name is not one path component;
 *  -EIO      the recorder lost its file (truncated) before or during the copy;
 *  -ENOMEM, or an errno of mkdir, open, write or rename (-ENOSPC ...),
 * with a message in @err.
 */
int rhook__rec_snapshot(int parent_dfd, const char *parent_path, const char *name, struct rhook__snap_result *res,
			char *err, size_t err_size);

/* fork(): waits for a snapshot in progress (the prepare handler), then lets parent and child take them again. */
void rhook__rec_snapshot_before_fork(void);
void rhook__rec_snapshot_after_fork(void);

/*
 * A recorder file as a snapshot reads it: its mapping (recorder_format.h layout)
 * and its name.  Valid between rhook__rec_view_begin() and _end().
 */
struct rhook__rec_view {
	const uint8_t *map;
	size_t len;
	uint64_t gen;         /* the recorder it belongs to: a change means a new recorder */
	uint32_t clock;       /* enum rhr_clock */
	uint32_t mode;        /* enum rhook_recorder_mode */
	const char *name;     /* the file's name in its directory */
	const char *dir;      /* the trace directory, as given to start */
};

/*
 * Enters an urcu-bp read-side section and describes file @index of the
 * current recorder (0, 1, ... in a stable order while it records): 0,
 * or -ENOENT (no such file, or not recording), in which case the
 * section is left already.  Any thread but a signal handler; nests in
 * nothing of the recorder's (no lock).
 */
int rhook__rec_view_begin(unsigned index, struct rhook__rec_view *v);

/* Leaves the section of a successful rhook__rec_view_begin(). */
void rhook__rec_view_end(void);

#endif /* RHOOK_RECORDER_SNAPSHOT_H */
