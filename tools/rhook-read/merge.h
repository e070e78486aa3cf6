/*
 * merge.h - k-way merge of time-ordered streams into one timeline.
 *
 * A binary min-heap keyed by (timestamp, stream position): equal
 * timestamps come out in the order the streams were given, so a merge is
 * deterministic.  A stream is advanced only when the merge is asked for
 * the event after the one it returned, so that event stays valid until
 * then.  Single-threaded.
 */
#ifndef RHOOK_READ_MERGE_H
#define RHOOK_READ_MERGE_H

#include <stddef.h>

#include "event.h"

struct rhook__merge_slot {
	uint64_t ts;
	uint32_t stream;
};

struct rhook__merge {
	struct rhook__rd_stream **streams;
	struct rhook__merge_slot *heap;
	size_t n;
	bool started;
};

/* Loads the first event of each of @n streams; 0 or -ENOMEM. */
int rhook__merge_init(struct rhook__merge *m, struct rhook__rd_stream **streams, size_t n);
/* The next event in time order, or NULL at the end. */
const struct rhook__rd_event *rhook__merge_next(struct rhook__merge *m);
void rhook__merge_free(struct rhook__merge *m);

#endif /* RHOOK_READ_MERGE_H */
