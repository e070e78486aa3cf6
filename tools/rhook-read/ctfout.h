/*
 * ctfout.h - export to a standard CTF 1.8 trace (rhook-read export --ctf).
 *
 * One CTF trace per process, in DIR/<host>-<comm>-<pid>[-n]/, each with a
 * plain-text TSDL metadata file and one stream file.  Events keep the
 * names rhook:<name>; fields follow src/trace/events.h in order (padding
 * left out), enumerations are CTF enumerations, file ids are strings and
 * manifest_updated ends with the files_added / files_removed strings, as
 * the LTTng provider records them.  The event context holds pid and tid.
 *
 * The clock "monotonic" counts CLOCK_MONOTONIC ns, with the process's
 * clock offset (input.h) as its offset from the Unix epoch, so that
 * babeltrace2 prints the same times as rhook-read print and merges the
 * processes in the same order.  Its UUID is the boot id.  The
 * environment records the process (hostname, procname, vpid) and what
 * the recorder knew about lost events (rhook_lost_*, rhook_complete_*),
 * which rhook-read reads back from an export.
 *
 * Files are created private (0600, directories 0700) with O_EXCL and
 * O_NOFOLLOW; DIR must not exist, or be an empty directory, or @force
 * must be set.  Single-threaded.
 */
#ifndef RHOOK_READ_CTFOUT_H
#define RHOOK_READ_CTFOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"

struct rhook__ctfout;

/*
 * Prepares @dir, created 0700 if missing, by the rules of safedir.h (no
 * symlink, not owned by another uid, not writable by group or others,
 * no ancestor others can change); 0 or a negative errno (-ELOOP,
 * -ENOTDIR, -EPERM, -EEXIST: not empty without @force) with a message in
 * @err.
 */
int rhook__ctfout_open(struct rhook__ctfout **out, const char *dir, bool force, char *err, size_t err_size);
/* Appends @ev (events come in time order); 0 or a negative errno with a message in @err. */
int rhook__ctfout_add(struct rhook__ctfout *x, const struct rhook__rd_event *ev, char *err, size_t err_size);
/*
 * Writes the last packets and every trace's metadata (with the final loss
 * counts) and frees @x; 0 or a negative errno with a message in @err.
 * *@traces receives the number of traces written.
 */
int rhook__ctfout_close(struct rhook__ctfout *x, size_t *traces, char *err, size_t err_size);

#endif /* RHOOK_READ_CTFOUT_H */
