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
#ifndef RDR_STATS_H
#define RDR_STATS_H

#include "hist.h"
#include "map.h"
#include "reader/event.h"
#include "reader/out.h"
#include "wire/events.h"

enum rdr_metric {
	RDR_M_FLUSH,
	RDR_M_COMPACTION,
	RDR_M_LOCK_WAIT,
	RDR_M_LOCK_HOLD,
	RDR_M_PERSIST,
	RDR_M_HOOK_DISPATCH,
	RDR_M_COUNT,
};

struct rdr_stats_group {
	uint64_t events[RHW_EV_MAX_ID + 1];
	uint64_t failed[RHW_EV_MAX_ID + 1]; /* non-zero result or status */
	uint64_t sst_bytes;
	struct rdr_hist lat[RDR_M_COUNT];
};

/* Causes 0..10 of events.h, and one for values outside the table. */
#define RDR_STATS_CAUSES 12

/* Per-job latency kinds: flush, compaction, remote compaction (the causes' values). */
#define RDR_STATS_JOB_KINDS 3

struct rdr_stats {
	uint64_t events;
	/*
	 * (process index, job id) -> times of its begin, end, commit, while
	 * the job is incomplete: a job with all three goes into job_lat and
	 * leaves the map, which so holds the jobs running now, not every job.
	 */
	struct rdr_map jobs;
	struct rdr_hist job_lat[RDR_STATS_JOB_KINDS][3]; /* end to end, commit hold, commit persist */
	uint64_t job_count[RDR_STATS_JOB_KINDS];
	struct rdr_stats_group all;
	struct rdr_stats_group cause[RDR_STATS_CAUSES];
	struct rdr_map regions; /* region id -> struct rdr_stats_group * */
	uint64_t last_region;
	struct rdr_stats_group *last_group;
	int err;                   /* -ENOMEM once a figure could not be recorded */
};

/* "flush", "compaction", "lock_wait", "lock_hold", "persist", "hook_dispatch". */
const char *rdr_metric_name(enum rdr_metric m);

void rdr_stats_init(struct rdr_stats *s);
void rdr_stats_add(struct rdr_stats *s, const struct rdr_event *ev);
/*
 * The report of everything added, with the processes' loss counts: the
 * whole trace, then per cause and per region; @brief: the whole trace,
 * then one line per cause.
 */
void rdr_stats_report(struct rdr_stats *s, struct rdr_out *o, struct rdr_proc *const *procs,
			 size_t num_procs, bool brief);
/*
 * The same figures as one JSON document (statsjson.c; its shape in
 * rhook-read.1): events, sources, lost, all, causes, regions.
 */
void rdr_stats_report_json(struct rdr_stats *s, struct rdr_out *o, struct rdr_proc *const *procs,
			      size_t num_procs);
void rdr_stats_free(struct rdr_stats *s);

/* Whether group @g counted no event (a cause or region the trace never showed). */
bool rdr_stats_group_empty(const struct rdr_stats_group *g);
/*
 * The ids of @s's regions, ascending, malloc'ed (the caller frees), their
 * number in @n; NULL with @n 0 and s->err = -ENOMEM when out of memory.
 */
uint64_t *rdr_stats_region_ids(struct rdr_stats *s, size_t *n);

#endif /* RDR_STATS_H */
