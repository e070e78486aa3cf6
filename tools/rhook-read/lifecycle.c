/*
 * lifecycle.c - files, jobs and regions rebuilt from the timeline (see
 * lifecycle.h).
 */
#include "lifecycle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/hook.h>

#include "wire/events.h"

void rdr_lc_init(struct rdr_lifecycle *lc)
{
	memset(lc, 0, sizeof(*lc));
	rdr_map_init(&lc->file_index, sizeof(size_t));
	rdr_map_init(&lc->job_index, sizeof(size_t));
	rdr_map_init(&lc->region_index, sizeof(size_t));
}

void rdr_lc_free(struct rdr_lifecycle *lc)
{
	for (size_t i = 0; i < lc->num_regions; i++)
		free(lc->regions[i].samples);
	free(lc->files);
	free(lc->jobs);
	free(lc->regions);
	rdr_map_free(&lc->file_index);
	rdr_map_free(&lc->job_index);
	rdr_map_free(&lc->region_index);
	memset(lc, 0, sizeof(*lc));
}

/* Grows @*arr (of @size-byte items) to hold one more; NULL (and lc->err) on failure. */
static void *grow(struct rdr_lifecycle *lc, void **arr, size_t *num, size_t *cap, size_t size)
{
	if (*num == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		void *a = realloc(*arr, c * size);

		if (!a) {
			lc->err = -ENOMEM;
			return NULL;
		}
		*arr = a;
		*cap = c;
	}
	memset((char *)*arr + *num * size, 0, size);
	return (char *)*arr + (*num)++ * size;
}

/* The map key of a file: its id, the first word mixed with the region (copies keep their id). */
static void file_key(const uint8_t id[16], uint64_t region, uint64_t k[2])
{
	memcpy(k, id, 16);
	k[0] ^= region * 0x9e3779b97f4a7c15ull;
}

struct rdr_lc_file *rdr_lc_file_find(const struct rdr_lifecycle *lc, const uint8_t id[16], uint64_t region)
{
	uint64_t k[2];
	const size_t *i;

	file_key(id, region, k);
	i = rdr_map_find(&lc->file_index, k[0], k[1]);
	/* The key mixes the region in: check both, a collision is no match. */
	if (!i || lc->files[*i - 1].region != region || memcmp(lc->files[*i - 1].id, id, 16))
		return NULL;
	return &lc->files[*i - 1];
}

static struct rdr_lc_file *file_get(struct rdr_lifecycle *lc, const uint8_t id[16], uint64_t region)
{
	struct rdr_lc_file *f = rdr_lc_file_find(lc, id, region);
	uint64_t k[2];
	size_t *i;
	bool created;

	if (f)
		return f;
	file_key(id, region, k);
	i = rdr_map_insert(&lc->file_index, k[0], k[1], &created);
	if (!i || !created) {
		lc->err = -ENOMEM; /* !created: a key collision, the model cannot hold both */
		return NULL;
	}
	if (lc->free_head) {
		*i = lc->free_head;
		f = &lc->files[*i - 1];
		lc->free_head = f->live_next;
		memset(f, 0, sizeof(*f));
	} else {
		f = grow(lc, (void **)&lc->files, &lc->num_files, &lc->cap_files, sizeof(*f));
		if (!f)
			return NULL;
		*i = lc->num_files;
	}
	memcpy(f->id, id, 16);
	f->region = region;
	f->level = RHOOK_LEVEL_UNKNOWN;
	return f;
}

struct rdr_lc_job *rdr_lc_job_find(const struct rdr_lifecycle *lc, const struct rdr_proc *proc,
					 uint64_t job_id)
{
	const size_t *i = rdr_map_find(&lc->job_index, proc->index, job_id);

	return i && *i ? &lc->jobs[*i - 1] : NULL;
}

/* Job @job_id of @ev's process, created on first sight; NULL for no job (0). */
static struct rdr_lc_job *job_get(struct rdr_lifecycle *lc, const struct rdr_event *ev, uint64_t job_id,
				     uint64_t region, enum rdr_lc_job_kind kind)
{
	struct rdr_lc_job *j;
	size_t *i;
	bool created;

	if (!job_id || lc->liveness_only)
		return NULL;
	i = rdr_map_insert(&lc->job_index, ev->proc->index, job_id, &created);
	if (!i) {
		lc->err = -ENOMEM;
		return NULL;
	}
	if (!created)
		return &lc->jobs[*i - 1];
	if (lc->free_job) {
		*i = lc->free_job;
		j = &lc->jobs[*i - 1];
		lc->free_job = j->free_next;
		memset(j, 0, sizeof(*j));
	} else {
		j = grow(lc, (void **)&lc->jobs, &lc->num_jobs, &lc->cap_jobs, sizeof(*j));
		if (!j) {
			*i = 0; /* never read: the model is marked incomplete */
			return NULL;
		}
		*i = lc->num_jobs;
	}
	j->proc = ev->proc;
	j->job_id = job_id;
	j->region = region;
	j->kind = (uint8_t)kind;
	return j;
}

/* forget_done_jobs: @j, with its begin, end and commit, goes to the counts and the top list. */
static void job_maybe_done(struct rdr_lifecycle *lc, struct rdr_lc_job *j)
{
	const unsigned all = RDR_LC_JOB_BEGIN | RDR_LC_JOB_END | RDR_LC_JOB_COMMIT;
	uint64_t d = j->end_ts - j->begin_ts;
	size_t k;

	if (!lc->forget_done_jobs || (j->known & all) != all)
		return;
	lc->done_jobs++;
	k = lc->num_top_jobs < RDR_LC_TOP_JOBS ? lc->num_top_jobs++ : RDR_LC_TOP_JOBS;
	for (; k > 0 && lc->top_jobs[k - 1].end_ts - lc->top_jobs[k - 1].begin_ts < d; k--)
		if (k < RDR_LC_TOP_JOBS)
			lc->top_jobs[k] = lc->top_jobs[k - 1];
	if (k < RDR_LC_TOP_JOBS)
		lc->top_jobs[k] = *j;
	rdr_map_remove(&lc->job_index, j->proc->index, j->job_id);
	memset(j, 0, sizeof(*j));
	j->free_next = lc->free_job;
	lc->free_job = (size_t)(j - lc->jobs) + 1;
}

static struct rdr_lc_region *region_get(struct rdr_lifecycle *lc, uint64_t region)
{
	struct rdr_lc_region *r;
	size_t *i;
	bool created;

	i = rdr_map_insert(&lc->region_index, region, 0, &created);
	if (!i) {
		lc->err = -ENOMEM;
		return NULL;
	}
	if (!created)
		return &lc->regions[*i - 1];
	r = grow(lc, (void **)&lc->regions, &lc->num_regions, &lc->cap_regions, sizeof(*r));
	if (!r)
		return NULL;
	*i = lc->num_regions;
	r->region = region;
	return r;
}

static unsigned level_slot(const struct rdr_lc_file *f)
{
	return f->level <= 2 ? f->level : RDR_LC_LEVEL_UNKNOWN;
}

static void on_begin(struct rdr_lifecycle *lc, const struct rdr_event *ev, enum rdr_lc_job_kind kind)
{
	struct rdr_lc_job *j;

	if (kind == RDR_LC_FLUSH) {
		const struct rhw_ev_flush_begin *e = ev->payload;

		if (!(j = job_get(lc, ev, e->job_id, e->region_id, kind)))
			return;
		j->rows = e->rows;
		j->bytes_in = e->bytes;
	} else {
		const struct rhw_ev_compaction_begin *e = ev->payload;

		if (!(j = job_get(lc, ev, e->job_id, e->region_id, kind)))
			return;
		j->remote = e->mode;
		j->bytes_in = e->bytes_in;
		j->files_in = e->input_files;
	}
	j->known |= RDR_LC_JOB_BEGIN;
	j->begin_ts = ev->ts;
	job_maybe_done(lc, j);
}

static void on_end(struct rdr_lifecycle *lc, const struct rdr_event *ev, enum rdr_lc_job_kind kind)
{
	struct rdr_lc_job *j;

	if (kind == RDR_LC_FLUSH) {
		const struct rhw_ev_flush_end *e = ev->payload;

		if (!(j = job_get(lc, ev, e->job_id, e->region_id, kind)))
			return;
		j->rows = e->rows;
		j->bytes_in = e->bytes;
		j->files_out = e->files;
		j->status = e->status;
	} else {
		const struct rhw_ev_compaction_end *e = ev->payload;

		if (!(j = job_get(lc, ev, e->job_id, e->region_id, kind)))
			return;
		j->remote = e->mode;
		j->bytes_in = e->bytes_in;
		j->bytes_out = e->bytes_out;
		j->files_in = e->input_files;
		j->files_out = e->output_files;
		j->status = e->status;
	}
	j->known |= RDR_LC_JOB_END;
	j->end_ts = ev->ts;
	job_maybe_done(lc, j);
}

static void on_written(struct rdr_lifecycle *lc, const struct rdr_event *ev)
{
	const struct rhw_ev_sst_file_written *e = ev->payload;
	struct rdr_lc_file *f;
	struct rdr_lc_region *r;
	struct rdr_lc_job *j;

	if (lc->liveness_only)
		return; /* a file enters that model when it becomes live */
	f = file_get(lc, e->file_id, e->region_id);
	r = region_get(lc, e->region_id);
	if (!f || !r)
		return;
	f->known |= RDR_LC_BORN;
	f->born_ts = ev->ts;
	f->born_job = e->job_id;
	f->born_proc = ev->proc;
	f->origin = e->origin;
	f->level = e->level;
	f->file_size = e->file_size;
	f->num_rows = e->num_rows;
	if (e->origin < 3) {
		r->written_bytes[e->origin] += e->file_size;
		r->written_files[e->origin]++;
	}
	j = job_get(lc, ev, e->job_id, e->region_id,
		    e->origin == RHOOK_ORIGIN_FLUSH ? RDR_LC_FLUSH : RDR_LC_COMPACTION);
	if (j) {
		j->written_files++;
		j->written_bytes += e->file_size;
	}
}

/*
 * The region's live files are a doubly linked list of indices, so that a
 * truncate-all costs the files it removes, not every file of the trace.
 */
static void live_link(struct rdr_lifecycle *lc, struct rdr_lc_region *r, struct rdr_lc_file *f)
{
	size_t me = (size_t)(f - lc->files) + 1;

	f->live_prev = 0;
	f->live_next = r->live_head;
	if (r->live_head)
		lc->files[r->live_head - 1].live_prev = me;
	r->live_head = me;
}

static void live_unlink(struct rdr_lifecycle *lc, struct rdr_lc_region *r, struct rdr_lc_file *f)
{
	if (f->live_prev)
		lc->files[f->live_prev - 1].live_next = f->live_next;
	else
		r->live_head = f->live_next;
	if (f->live_next)
		lc->files[f->live_next - 1].live_prev = f->live_prev;
	f->live_prev = f->live_next = 0;
}

/* liveness_only, forget_deleted: @f, not live, leaves the model; its slot goes to the free list. */
static void release(struct rdr_lifecycle *lc, struct rdr_lc_file *f)
{
	uint64_t k[2];

	file_key(f->id, f->region, k);
	rdr_map_remove(&lc->file_index, k[0], k[1]);
	f->live_next = lc->free_head;
	lc->free_head = (size_t)(f - lc->files) + 1;
}

static void make_live(struct rdr_lifecycle *lc, struct rdr_lc_region *r, struct rdr_lc_file *f,
		      const struct rdr_event *ev, const struct rhw_ev_manifest_updated *e)
{
	if (rdr_lc_file_live(f))
		return; /* an index build re-adds a live file with new metadata */
	live_link(lc, r, f);
	f->known = (uint8_t)((f->known | RDR_LC_LIVE) & ~RDR_LC_UNLIVE);
	f->live_ts = ev->ts;
	f->live_version = e->version;
	f->live_job = e->job_id;
	f->live_cause = e->cause;
	r->files[level_slot(f)]++;
	r->bytes[level_slot(f)] += f->file_size;
}

static void make_unlive(struct rdr_lifecycle *lc, struct rdr_lc_region *r, struct rdr_lc_file *f,
			const struct rdr_event *ev, const struct rhw_ev_manifest_updated *e)
{
	unsigned l = level_slot(f);

	if (rdr_lc_file_live(f)) {
		live_unlink(lc, r, f);
		r->files[l]--;
		r->bytes[l] -= f->file_size;
	}
	f->known |= RDR_LC_UNLIVE;
	f->unlive_ts = ev->ts;
	f->unlive_version = e->version;
	f->unlive_job = e->job_id;
	f->unlive_cause = e->cause;
	if (lc->liveness_only)
		release(lc, f);
}

static void on_updated(struct rdr_lifecycle *lc, const struct rdr_event *ev)
{
	const struct rhw_ev_manifest_updated *e = ev->payload;
	struct rdr_lc_region *r = region_get(lc, e->region_id);
	struct rdr_lc_sample *s;
	struct rdr_lc_job *j;

	if (!r)
		return;
	if (e->num_files_added > ev->list_len[0] || e->num_files_removed > ev->list_len[1])
		r->partial = true;
	/* Lists 0 and 1 of manifest_updated: files_added, files_removed (events.h). */
	for (uint16_t i = 0; i < ev->list_len[1]; i++) {
		struct rdr_lc_file *f = file_get(lc, rdr_event_list(ev, 1) + (size_t)i * 16, e->region_id);

		if (f)
			make_unlive(lc, r, f, ev, e);
	}
	/* A truncation that lists no file is a truncate-all: every live file of the region goes. */
	if ((e->action_kinds & RHOOK_ACTION_TRUNCATE) && !e->num_files_removed)
		while (r->live_head)
			make_unlive(lc, r, &lc->files[r->live_head - 1], ev, e);
	for (uint16_t i = 0; i < ev->list_len[0]; i++) {
		struct rdr_lc_file *f = file_get(lc, ev->ids + (size_t)i * 16, e->region_id);

		if (f)
			make_live(lc, r, f, ev, e);
	}
	if (r->files[0] > r->max_l0) {
		r->max_l0 = r->files[0];
		r->max_l0_ts = ev->ts;
	}
	s = lc->liveness_only || lc->no_samples ? NULL : grow(lc, (void **)&r->samples, &r->num_samples, &r->cap_samples, sizeof(*s));
	if (s) {
		s->ts = ev->ts;
		s->version = e->version;
		memcpy(s->files, r->files, sizeof(s->files));
		memcpy(s->bytes, r->bytes, sizeof(s->bytes));
	}
	/* The commit a job produced: the job's own process notifies it. */
	j = e->job_id ? rdr_lc_job_find(lc, ev->proc, e->job_id) : NULL;
	if (j && !(j->known & RDR_LC_JOB_COMMIT)) {
		j->known |= RDR_LC_JOB_COMMIT;
		j->commit_ts = ev->ts;
		j->commit_version = e->version;
		job_maybe_done(lc, j);
	}
}

static void on_removed(struct rdr_lifecycle *lc, const struct rdr_event *ev)
{
	const struct rhw_ev_sst_file_removed *e = ev->payload;
	struct rdr_lc_file *f = file_get(lc, e->file_id, e->region_id);
	struct rdr_lc_region *r = region_get(lc, e->region_id);

	if (!f || !r)
		return;
	/* A drop takes live files with it (no commit): they leave the figures here. */
	if (rdr_lc_file_live(f)) {
		live_unlink(lc, r, f);
		r->files[level_slot(f)]--;
		r->bytes[level_slot(f)] -= f->file_size;
		f->known |= RDR_LC_UNLIVE;
		f->unlive_ts = ev->ts;
	}
	f->known |= RDR_LC_DELETED;
	f->deleted_ts = ev->ts;
	f->deleted_version = e->removed_version;
	f->deleted_proc = ev->proc;
	f->reason = e->reason;
	if (f->level == RHOOK_LEVEL_UNKNOWN)
		f->level = e->level;
	if (!f->file_size)
		f->file_size = e->file_size;
	if (!f->num_rows)
		f->num_rows = e->num_rows;
	if (lc->liveness_only || lc->forget_deleted)
		release(lc, f);
}

void rdr_lc_add(struct rdr_lifecycle *lc, const struct rdr_event *ev)
{
	switch (ev->id) {
	case RHW_EV_flush_begin:
		on_begin(lc, ev, RDR_LC_FLUSH);
		break;
	case RHW_EV_compaction_begin:
		on_begin(lc, ev, RDR_LC_COMPACTION);
		break;
	case RHW_EV_flush_end:
		on_end(lc, ev, RDR_LC_FLUSH);
		break;
	case RHW_EV_compaction_end:
		on_end(lc, ev, RDR_LC_COMPACTION);
		break;
	case RHW_EV_sst_file_written:
		on_written(lc, ev);
		break;
	case RHW_EV_manifest_updated:
		on_updated(lc, ev);
		break;
	case RHW_EV_sst_file_removed:
		on_removed(lc, ev);
		break;
	default:
		break;
	}
}

double rdr_lc_write_amp(const struct rdr_lc_region *r)
{
	uint64_t all = r->written_bytes[0] + r->written_bytes[1] + r->written_bytes[2];

	return r->written_bytes[RHOOK_ORIGIN_FLUSH] ? (double)all / (double)r->written_bytes[RHOOK_ORIGIN_FLUSH] : 0.0;
}
