/*
 * stats.h - rhook-read stats: per region and per cause, event counts
 * and latency percentiles (p50, p90, p99, max) of flush, compaction,
 * manifest lock wait, lock hold, persist and hook dispatch, and the
 * events each process lost.
 *
 * The figures do not depend on event order, so stats reads each stream
 * on its own, without the merge.  Causes: manifest_commit and
 * manifest_updated carry theirs; flushes count under "flush", compactions
 * under "compaction" or "remote_compaction" by mode, SSTs by origin;
 * hook_dispatch has none.  Single-threaded.
 */
#ifndef RHOOK_READ_STATS_H
#define RHOOK_READ_STATS_H

#include "event.h"
#include "hist.h"
#include "map.h"
#include "out.h"
#include "trace/events.h"

enum rhook__metric {
	RHOOK__M_FLUSH,
	RHOOK__M_COMPACTION,
	RHOOK__M_LOCK_WAIT,
	RHOOK__M_LOCK_HOLD,
	RHOOK__M_PERSIST,
	RHOOK__M_HOOK_DISPATCH,
	RHOOK__M_COUNT,
};

struct rhook__stats_group {
	uint64_t events[RHOOK__EV_MAX_ID + 1];
	uint64_t failed[RHOOK__EV_MAX_ID + 1]; /* non-zero result or status */
	uint64_t sst_bytes;
	struct rhook__hist lat[RHOOK__M_COUNT];
};

/* Causes 0..10 of events.h, and one for values outside the table. */
#define RHOOK__STATS_CAUSES 12

struct rhook__stats {
	uint64_t events;
	struct rhook__stats_group all;
	struct rhook__stats_group cause[RHOOK__STATS_CAUSES];
	struct rhook__map regions; /* region id -> struct rhook__stats_group * */
	uint64_t last_region;
	struct rhook__stats_group *last_group;
	int err;                   /* -ENOMEM once a figure could not be recorded */
};

/* "flush", "compaction", "lock_wait", "lock_hold", "persist", "hook_dispatch". */
const char *rhook__metric_name(enum rhook__metric m);

void rhook__stats_init(struct rhook__stats *s);
void rhook__stats_add(struct rhook__stats *s, const struct rhook__rd_event *ev);
/*
 * The report of everything added, with the processes' loss counts: the
 * whole trace, then per cause and per region; @brief: the whole trace,
 * then one line per cause.
 */
void rhook__stats_report(struct rhook__stats *s, struct rhook__out *o, struct rhook__rd_proc *const *procs,
			 size_t num_procs, bool brief);
/*
 * The same figures as one JSON document (statsjson.c; its shape in
 * rhook-read.1): events, sources, lost, all, causes, regions.
 */
void rhook__stats_report_json(struct rhook__stats *s, struct rhook__out *o, struct rhook__rd_proc *const *procs,
			      size_t num_procs);
void rhook__stats_free(struct rhook__stats *s);

#endif /* RHOOK_READ_STATS_H */
