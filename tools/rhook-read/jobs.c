/*
 * jobs.c - flush and compaction jobs of a merged timeline (see jobs.h).
 */
#include "jobs.h"

#include <errno.h>
#include <string.h>

static const char *const kind_names[RHOOK__JOB_KINDS] = {
	[RHOOK__JOB_FLUSH] = "flush",
	[RHOOK__JOB_COMPACTION] = "compaction",
	[RHOOK__JOB_REMOTE_COMPACTION] = "remote_compaction",
};

const char *rhook__job_kind_name(enum rhook__job_kind kind)
{
	return kind_names[kind];
}

void rhook__jobs_init(struct rhook__jobs *j)
{
	memset(j, 0, sizeof(*j));
	rhook__map_init(&j->open, sizeof(struct rhook__job));
	rhook__map_init(&j->lanes, sizeof(uint64_t));
}

void rhook__jobs_free(struct rhook__jobs *j)
{
	rhook__map_free(&j->open);
	rhook__map_free(&j->lanes);
}

/*
 * The key of the job @ev belongs to (jobs.h): its thread and region.
 * Events with a job id key by (process, job id) instead.
 */
static void jobs_key(const struct rhook__rd_event *ev, uint64_t *k0, uint64_t *k1)
{
	*k0 = (uint64_t)ev->proc->index << 32 | ev->tid;
	memcpy(k1, ev->payload, sizeof(*k1)); /* every payload starts with the region id */
}

static void free_lane(struct rhook__jobs *j, const struct rhook__job *job)
{
	uint64_t *busy = rhook__map_find(&j->lanes, job->proc, job->region);

	if (busy)
		*busy &= ~(1ull << job->lane);
}

/* Opens a job under key (@k0, @k1); @k1 is its region. */
static int begin(struct rhook__jobs *j, const struct rhook__rd_event *ev, enum rhook__job_kind kind, uint64_t k0,
		 uint64_t k1, const struct rhook__job **job, const struct rhook__job **closed)
{
	struct rhook__job *slot;
	uint64_t *busy;
	uint32_t lane;
	bool created;

	slot = rhook__map_insert(&j->open, k0, k1, &created);
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
	busy = rhook__map_insert(&j->lanes, ev->proc->index, k1, &created);
	if (!busy) {
		slot->open = false;
		return -ENOMEM;
	}
	lane = ~*busy ? (uint32_t)__builtin_ctzll(~*busy) : RHOOK__JOBS_MAX_LANES - 1;
	*busy |= 1ull << lane;
	*slot = (struct rhook__job){ .number = ++j->next, .begin_ts = ev->ts, .region = k1, .proc = ev->proc->index,
				     .tid = ev->tid, .lane = lane, .kind = (uint8_t)kind, .open = true };
	j->cur = *slot;
	*job = &j->cur;
	return 0;
}

int rhook__jobs_add(struct rhook__jobs *j, const struct rhook__rd_event *ev, const struct rhook__job **job,
		    const struct rhook__job **closed)
{
	struct rhook__job *slot;
	uint64_t k0, k1;

	*job = *closed = NULL;
	jobs_key(ev, &k0, &k1);
	switch (ev->id) {
	case RHOOK__EV_flush_begin:
		return begin(j, ev, RHOOK__JOB_FLUSH, k0, k1, job, closed);
	case RHOOK__EV_compaction_begin: {
		const struct rhook__ev_compaction_begin *e = ev->payload;

		return begin(j, ev, e->mode ? RHOOK__JOB_REMOTE_COMPACTION : RHOOK__JOB_COMPACTION, k0, k1, job,
			     closed);
	}
	case RHOOK__EV_flush_end:
	case RHOOK__EV_compaction_end:
		slot = rhook__map_find(&j->open, k0, k1);
		if (!slot || !slot->open) {
			j->unmatched_ends++;
			return 0;
		}
		slot->open = false;
		free_lane(j, slot);
		j->cur = *slot;
		*job = &j->cur;
		return 0;
	default:
		slot = rhook__map_find(&j->open, k0, k1);
		if (slot && slot->open) {
			j->cur = *slot;
			*job = &j->cur;
		}
		return 0;
	}
}

void rhook__jobs_each_open(struct rhook__jobs *j, void (*fn)(void *arg, const struct rhook__job *job), void *arg)
{
	for (size_t i = 0; i < j->open.cap; i++) {
		uint64_t k0, k1;
		struct rhook__job *job = rhook__map_slot(&j->open, i, &k0, &k1);

		if (job && job->open) {
			job->open = false;
			j->unended++;
			fn(arg, job);
		}
	}
}
