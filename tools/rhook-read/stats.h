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
 * hook_dispatch and sst_file_removed have none.
 *
 * Per job (flush_begin/end, compaction_begin/end paired by process and
 * job id, not by region and time), by kind (flush, compaction,
 * remote_compaction): the end-to-end latency (the end event's duration)
 * and the commit the job produced (the lock hold and persist times of
 * the successful manifest_commit carrying its job id); jobs whose end the
 * trace lost are counted apart.  Payload figures only, order-independent:
 * a recorder trace and an LTTng trace of one run give the same report.
 * Single-threaded.
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

/* Per-job latency kinds: flush, compaction, remote compaction (the causes' values). */
#define RHOOK__STATS_JOB_KINDS 3

struct rhook__stats {
	uint64_t events;
	struct rhook__map jobs;    /* (process index, job id) -> times of its begin, end, commit */
	struct rhook__stats_group all;
	struct rhook__stats_group cause[RHOOK__STATS_CAUSES];
	struct rhook__map regions; /* region id -> struct rhook__stats_group * */
	uint64_t last_region;
	struct rhook__stats_group *last_group;
	int err;                   /* -ENOMEM once a figure could not be recorded */
};

void rhook__stats_init(struct rhook__stats *s);
void rhook__stats_add(struct rhook__stats *s, const struct rhook__rd_event *ev);
/*
 * The report of everything added, with the processes' loss counts: the
 * whole trace, then per cause and per region; @brief: the whole trace,
 * then one line per cause.
 */
void rhook__stats_report(struct rhook__stats *s, struct rhook__out *o, struct rhook__rd_proc *const *procs,
			 size_t num_procs, bool brief);
void rhook__stats_free(struct rhook__stats *s);

#endif /* RHOOK_READ_STATS_H */
