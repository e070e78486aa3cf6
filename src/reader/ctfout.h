/*
 * ctfout.h - export to CTF 1.8 traces shaped as LTTng-UST's
 * (rhook-read export --ctf), so that babeltrace2 and Trace Compass read
 * them as the LTTng traces of the same events (lttshape.h).
 *
 * One trace per process, in DIR/<host>-<comm>-<pid>[-n]/: a plain-text
 * TSDL metadata file laid out as an LTTng-UST 2.13 session with
 * per-process buffers and the vpid, vtid and procname contexts writes
 * it, and one stream file per source stream (recorder buffer N:
 * rhook_N; a CTF input: rhook_0).  Events keep the names rhook:<name>
 * and the provider's fields and types (events.h): file ids are
 * 36-character text arrays, enumerations CTF enumerations, id lists
 * strings.  The clock "monotonic" counts CLOCK_MONOTONIC ns, offset from
 * the Unix epoch by the process's clock offset (input.h), with the boot
 * id as UUID, so that babeltrace2 prints the times rhook-read print
 * prints and merges the export with LTTng traces of the same machine.
 *
 * Lost events are in the packet contexts, where LTTng keeps them: each
 * stream's events_discarded counts what its buffer lost (overwritten
 * before the first packet, discarded after the last, read while
 * overwritten or damaged where the reader met it); what belongs to no
 * buffer (no free buffer, nested emission, damage in a buffer left
 * unread, a CTF input's discarded events) is added at the end of the
 * process's first stream.  A packet that first raises the count follows
 * one with the old count, so that readers get the number, not "unknown".
 * The environment's rhook_source names what recorded the events.
 *
 * Files are created private (0600, directories 0700) with O_EXCL and
 * O_NOFOLLOW; DIR must not exist, or be an empty directory, or @force
 * must be set.  DIR, and a trace directory @force reuses, must pass the
 * rules of safedir.h, as the recorder's trace directories do.
 * Single-threaded.
 */
#ifndef RDR_CTFOUT_H
#define RDR_CTFOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"

struct rdr_ctfout;

/*
 * Prepares @dir, created 0700 if missing, by the rules of safedir.h (no
 * symlink, not owned by another uid, not writable by group or others,
 * no ancestor others can change); 0 or a negative errno (-ELOOP,
 * -ENOTDIR, -EPERM, -EEXIST: not empty without @force) with a message in
 * @err.
 */
int rdr_ctfout_open(struct rdr_ctfout **out, const char *dir, bool force, char *err, size_t err_size);
/*
 * Appends @ev (events come in time order; its stream, event.h, must stay
 * open until rdr_ctfout_close()); 0 or a negative errno with a message
 * in @err.
 */
int rdr_ctfout_add(struct rdr_ctfout *x, const struct rdr_event *ev, char *err, size_t err_size);
/*
 * Writes the last packets with the final loss counts of the @num_procs
 * processes @procs (a process that lost events but kept none gets a
 * trace of its losses alone) and every trace's metadata, and frees @x;
 * 0 or a negative errno with a message in @err.  *@traces receives the
 * number of traces written.
 */
int rdr_ctfout_close(struct rdr_ctfout *x, struct rdr_proc *const *procs, size_t num_procs,
			size_t *traces, char *err, size_t err_size);

#endif /* RDR_CTFOUT_H */
