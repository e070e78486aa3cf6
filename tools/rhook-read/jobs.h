/*
 * jobs.h - flush and compaction jobs of a merged timeline, for the
 * views that draw them (report.h, pfout.h): which job an event belongs
 * to, and a lane for each job so that overlapping jobs of one region
 * never share a track.
 *
 * A job is keyed by (process, job id) when its events carry a job id
 * (rhook_job_new(): flush, compaction, SST and commit events), so jobs
 * that hop threads or interleave on one are told apart; events without
 * one (a host that never names its jobs) key by (process, thread,
 * region), since the engine runs a job's events on its thread.
 * jobs_key() in jobs.c is the one place that says so.
 *
 * Lanes: per (process, region), the lowest lane no open job holds, so
 * in time order a region uses as many lanes as it ever had jobs at once
 * (greedy interval partitioning).  At most RDR_JOBS_MAX_LANES lanes
 * per region; jobs beyond that many at once share the last lane.
 *
 * Single-threaded; events must be fed in merged time order.
 */
#ifndef RDR_JOBS_H
#define RDR_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "map.h"
#include "reader/event.h"
#include "reader/schema.h"

#define RDR_JOBS_MAX_LANES 64

enum rdr_job_kind {
	RDR_JOB_FLUSH,
	RDR_JOB_COMPACTION,
	RDR_JOB_REMOTE_COMPACTION,
	RDR_JOB_KINDS,
};

struct rdr_job {
	uint64_t number;   /* this run's number of the job, from 1: unique in the whole trace */
	uint64_t job_id;   /* the trace's job id (rhook_job_new(), per process); 0: its events carry none */
	uint64_t begin_ts; /* ns (rdr_event.ts) */
	uint64_t region;
	uint32_t proc;     /* rdr_proc.index */
	uint32_t tid;
	uint32_t lane;
	uint8_t kind;      /* enum rdr_job_kind */
	bool open;
};

struct rdr_jobs {
	struct rdr_map open;  /* rhook__jobs_key() -> struct rdr_job */
	struct rdr_map lanes; /* (proc, region) -> uint64_t busy lanes, a bit each */
	uint64_t next;
	uint64_t unmatched_ends; /* end events whose begin was not in the trace */
	uint64_t unended;        /* jobs begun again (their end was lost) or still open at the end */
	struct rdr_job cur, prev; /* what rdr_jobs_add() hands out */
	const struct rdr_field *job_field[RHW_EV_MAX_ID + 1]; /* each event's job_id field, or NULL */
};

/* What a job is called for people: the trace's job id, or this run's number when it has none. */
static inline uint64_t rdr_job_label(const struct rdr_job *job)
{
	return job->job_id ? job->job_id : job->number;
}

void rdr_jobs_init(struct rdr_jobs *j);
void rdr_jobs_free(struct rdr_jobs *j);

/* "flush", "compaction", "remote_compaction". */
const char *rdr_job_kind_name(enum rdr_job_kind kind);

/*
 * Feeds @ev.  A flush_begin or compaction_begin opens a job: *@job is
 * it, with its lane (a job still open under the same key lost its end:
 * it is closed first, counted in @unended, and returned in *@closed).
 * A flush_end or compaction_end closes its job: *@job is a copy of it,
 * open false (NULL when its begin was not seen).  Any other event:
 * *@job is the open job it belongs to, or NULL.  Pointers are valid
 * until the next call.  Returns 0 or -ENOMEM.
 */
int rdr_jobs_add(struct rdr_jobs *j, const struct rdr_event *ev, const struct rdr_job **job,
		    const struct rdr_job **closed);

/*
 * Calls @fn for every job still open (the trace ended first), counting
 * them in @unended; in no particular order.
 */
void rdr_jobs_each_open(struct rdr_jobs *j, void (*fn)(void *arg, const struct rdr_job *job), void *arg);

#endif /* RDR_JOBS_H */
