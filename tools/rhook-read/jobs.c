/*
 * jobs.c - flush and compaction jobs of a merged timeline (see jobs.h).
 */
#include "jobs.h"

#include <errno.h>
#include <string.h>

static const char *const kind_names[RDR_JOB_KINDS] = {
	[RDR_JOB_FLUSH] = "flush",
	[RDR_JOB_COMPACTION] = "compaction",
	[RDR_JOB_REMOTE_COMPACTION] = "remote_compaction",
};

const char *rdr_job_kind_name(enum rdr_job_kind kind)
{
	return kind_names[kind];
}

void rdr_jobs_init(struct rdr_jobs *j)
{
	memset(j, 0, sizeof(*j));
	rdr_map_init(&j->open, sizeof(struct rdr_job));
	rdr_map_init(&j->lanes, sizeof(uint64_t));
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++)
		j->job_field[id] = rdr_schema_field(rdr_schema_event(id), "job_id");
}

void rdr_jobs_free(struct rdr_jobs *j)
{
	rdr_map_free(&j->open);
	rdr_map_free(&j->lanes);
}

/*
 * The key of the job @ev belongs to (jobs.h), its region and its job id:
 * (process, job id) when the event carries a job id, else its thread and
 * region (k0's bit 31 tells the two apart: thread ids stay below 2^22).
 */
static void jobs_key(const struct rdr_jobs *j, const struct rdr_event *ev, uint64_t *k0, uint64_t *k1,
		     uint64_t *region, uint64_t *job_id)
{
	const struct rdr_field *f = ev->id <= RHW_EV_MAX_ID ? j->job_field[ev->id] : NULL;

	memcpy(region, ev->payload, sizeof(*region)); /* every payload starts with the region id */
	*job_id = f ? rdr_field_u64(f, ev->payload) : 0;
	if (*job_id) {
		*k0 = (uint64_t)ev->proc->index << 32 | 1u << 31;
		*k1 = *job_id;
	} else {
		*k0 = (uint64_t)ev->proc->index << 32 | ev->tid;
		*k1 = *region;
	}
}

static void free_lane(struct rdr_jobs *j, const struct rdr_job *job)
{
	uint64_t *busy = rdr_map_find(&j->lanes, job->proc, job->region);

	if (busy)
		*busy &= ~(1ull << job->lane);
}

/* Opens job @job_id of @region under key (@k0, @k1). */
static int begin(struct rdr_jobs *j, const struct rdr_event *ev, enum rdr_job_kind kind, uint64_t k0,
		 uint64_t k1, uint64_t region, uint64_t job_id, const struct rdr_job **job,
		 const struct rdr_job **closed)
{
	struct rdr_job *slot;
	uint64_t *busy;
	uint32_t lane;
	bool created;

	slot = rdr_map_insert(&j->open, k0, k1, &created);
	if (!slot)
		return -ENOMEM;
	if (!created && slot->open) {
		/* The end of the job before was lost: it ends here. */
		j->prev = *slot;
		j->prev.open = false;
		j->unended++;
		free_lane(j, &j->prev);
		*closed = &j->prev;
	}
	busy = rdr_map_insert(&j->lanes, ev->proc->index, region, &created);
	if (!busy) {
		slot->open = false;
		return -ENOMEM;
	}
	lane = ~*busy ? (uint32_t)__builtin_ctzll(~*busy) : RDR_JOBS_MAX_LANES - 1;
	*busy |= 1ull << lane;
	*slot = (struct rdr_job){ .number = ++j->next, .job_id = job_id, .begin_ts = ev->ts, .region = region,
				  .proc = ev->proc->index, .tid = ev->tid, .lane = lane, .kind = (uint8_t)kind,
				  .open = true };
	j->cur = *slot;
	*job = &j->cur;
	return 0;
}

int rdr_jobs_add(struct rdr_jobs *j, const struct rdr_event *ev, const struct rdr_job **job,
		    const struct rdr_job **closed)
{
	struct rdr_job *slot;
	uint64_t k0, k1, region, job_id;

	*job = *closed = NULL;
	jobs_key(j, ev, &k0, &k1, &region, &job_id);
	switch (ev->id) {
	case RHW_EV_flush_begin:
		return begin(j, ev, RDR_JOB_FLUSH, k0, k1, region, job_id, job, closed);
	case RHW_EV_compaction_begin: {
		const struct rhw_ev_compaction_begin *e = ev->payload;

		return begin(j, ev, e->mode ? RDR_JOB_REMOTE_COMPACTION : RDR_JOB_COMPACTION, k0, k1, region, job_id,
			     job, closed);
	}
	case RHW_EV_flush_end:
	case RHW_EV_compaction_end:
		slot = rdr_map_find(&j->open, k0, k1);
		if (!slot || !slot->open) {
			j->unmatched_ends++;
			return 0;
		}
		slot->open = false;
		free_lane(j, slot);
		j->cur = *slot;
		*job = &j->cur;
		/* Ended: out of the map, which holds the jobs running now, not every job. */
		rdr_map_remove(&j->open, k0, k1);
		return 0;
	default:
		slot = rdr_map_find(&j->open, k0, k1);
		if (slot && slot->open) {
			j->cur = *slot;
			*job = &j->cur;
		}
		return 0;
	}
}

void rdr_jobs_each_open(struct rdr_jobs *j, void (*fn)(void *arg, const struct rdr_job *job), void *arg)
{
	for (size_t i = 0; i < j->open.cap; i++) {
		uint64_t k0, k1;
		struct rdr_job *job = rdr_map_slot(&j->open, i, &k0, &k1);

		if (job && job->open) {
			job->open = false;
			j->unended++;
			fn(arg, job);
		}
	}
}
