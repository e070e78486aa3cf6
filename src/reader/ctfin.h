/*
 * ctfin.h - a CTF trace (LTTng's, or rhook-read's own export) as one
 * time-ordered stream of rhook events, read through libbabeltrace2.
 *
 * Graph: source.ctf.fs on the trace directory -> filter.utils.muxer ->
 * a simple sink of ours that converts each rhook:* event message into a
 * struct rdr_event (payload structure filled from the fields of
 * the same names, UUID strings parsed back to binary ids).  Events of
 * other providers are skipped; discarded-events messages count as lost.
 * Processes are told apart by the event context (vpid/pid) or, failing
 * that, the trace environment (vpid).
 *
 * Single-threaded.
 */
#ifndef RDR_CTFIN_H
#define RDR_CTFIN_H

#include <stddef.h>

#include "event.h"

struct rdr_reader;
struct rdr_ctfin;

/*
 * Opens the CTF trace in @dir and reads up to its first rhook event, so
 * that its processes and clock are known.  0 or a negative errno with a
 * message in @err (not a CTF trace, babeltrace2 plugins missing, ...).
 */
int rdr_ctfin_open(struct rdr_ctfin **out, struct rdr_reader *r, const char *dir, char *err,
		      size_t err_size);
void rdr_ctfin_close(struct rdr_ctfin *c);
struct rdr_stream *rdr_ctfin_stream(struct rdr_ctfin *c);
/* "DIR: reason" once the stream failed for good, else NULL. */
const char *rdr_ctfin_error(struct rdr_ctfin *c);

#endif /* RDR_CTFIN_H */
