/*
 * merge.h - k-way merge of time-ordered streams into one timeline.
 *
 * A binary min-heap keyed by (timestamp, stream position): equal
 * timestamps come out in the order the streams were given, so a merge is
 * deterministic.  A stream is advanced only when the merge is asked for
 * the event after the one it returned, so that event stays valid until
 * then.  Single-threaded.
 */
#ifndef RDR_MERGE_H
#define RDR_MERGE_H

#include <stddef.h>

#include "event.h"

struct rdr_merge_slot {
	uint64_t ts;
	uint32_t stream;
};

struct rdr_merge {
	struct rdr_stream **streams;
	struct rdr_merge_slot *heap;
	size_t n;
	bool started;
};

/* Loads the first event of each of @n streams; 0 or -ENOMEM. */
int rdr_merge_init(struct rdr_merge *m, struct rdr_stream **streams, size_t n);
/* The next event in time order, or NULL at the end. */
const struct rdr_event *rdr_merge_next(struct rdr_merge *m);
void rdr_merge_free(struct rdr_merge *m);

#endif /* RDR_MERGE_H */
