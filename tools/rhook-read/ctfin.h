/*
 * ctfin.h - a CTF trace (LTTng's, or rhook-read's own export) as one
 * time-ordered stream of rhook events, read through libbabeltrace2.
 *
 * Graph: source.ctf.fs on the trace directory -> filter.utils.muxer ->
 * a simple sink of ours that converts each rhook:* event message into a
 * struct rhook__rd_event (payload structure filled from the fields of
 * the same names, UUID strings parsed back to binary ids).  Events of
 * other providers are skipped; discarded-events messages count as lost.
 * Processes are told apart by the event context (vpid/pid) or, failing
 * that, the trace environment (vpid).
 *
 * Single-threaded.
 */
#ifndef RHOOK_READ_CTFIN_H
#define RHOOK_READ_CTFIN_H

#include <stddef.h>

#include "event.h"

struct rhook__reader;
struct rhook__ctfin;

/*
 * Opens the CTF trace in @dir and reads up to its first rhook event, so
 * that its processes and clock are known.  0 or a negative errno with a
 * message in @err (not a CTF trace, babeltrace2 plugins missing, ...).
 */
int rhook__ctfin_open(struct rhook__ctfin **out, struct rhook__reader *r, const char *dir, char *err,
		      size_t err_size);
void rhook__ctfin_close(struct rhook__ctfin *c);
struct rhook__rd_stream *rhook__ctfin_stream(struct rhook__ctfin *c);
/* "DIR: reason" once the stream failed for good, else NULL. */
const char *rhook__ctfin_error(struct rhook__ctfin *c);

#endif /* RHOOK_READ_CTFIN_H */
