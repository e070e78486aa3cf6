/*
 * rrdb.c - rhook-rocksdb's mapping of RocksDB's jobs and files onto rhook
 * (see rrdb.h for the concurrency rules, rhook/rocksdb.h for the mapping).
 */
#include "rrdb.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rhook/external.h>
#include <rhook/trace.h>

/* Where a file is in its life, as far as the adapter has reported it. */
enum file_state {
	FILE_WRITTEN, /* sst_file_written, no commit reported yet */
	FILE_LIVE,    /* added by a reported commit */
	FILE_REMOVED, /* removed from the manifest by a reported commit */
};

/* A file of the DB as the adapter knows it, by RocksDB file number. */
struct entry {
	uint64_t number; /* 0: free slot (RocksDB file numbers start at 1) */
	struct rrdb__file f;
	enum file_state state;
	int input_of;             /* the open compaction that has it as input, -1 none */
	bool deleted;             /* deleted before that compaction's report */
	uint64_t removed_version; /* FILE_REMOVED: the version of the commit that removed it */
};

/* How long a compaction's report waits for the reports that add its inputs. */
#define INPUT_WAIT_NS 2000000000ll

enum job_kind { JOB_FLUSH, JOB_COMPACTION };

/* A flush or compaction between its begin and end callbacks. */
struct job {
	int id;
	enum job_kind kind;
	uint32_t cf_id;
	uint64_t start;    /* rhook_trace_*_begin()'s */
	uint64_t bytes_in; /* compaction */
	uint32_t num_in;
	uint64_t bytes_out; /* files the job wrote (OnTableFileCreated, OK), whether it succeeds or not */
	uint64_t lsm_job; /* rhook_job_new(): RocksDB's job ids are per DB, rhook's per process */
};

struct rrdb__adapter {
	struct rhook_registry *registry;
	uint32_t table_id;

	/*
	 * Guards everything below.  Innermost: taken in the callbacks only,
	 * dropped before any rhook emission or dispatch, never held while
	 * calling RocksDB.
	 */
	pthread_mutex_t lock;
	/*
	 * Signalled (under @lock) when files become live; a compaction's
	 * report waits on it for its inputs (rrdb__compaction_completed()).
	 */
	pthread_cond_t files_live;
	struct entry *files;            /* open addressing, linear probing; power-of-two size */
	size_t files_cap, files_used;
	struct job *jobs;
	size_t num_jobs, cap_jobs;
	struct rhook_manifest_ctx **ctxs; /* by column family id, created at a family's first commit */
	size_t num_ctxs;
};

int rrdb__adapter_new(const struct rrdb_config *cfg, struct rrdb__adapter **out)
{
	struct rrdb__adapter *a;

	if (!cfg || !out || cfg->size < sizeof(*cfg))
		return -EINVAL;
	/* A newer caller's fields this adapter does not know ask for what it cannot do. */
	for (size_t i = sizeof(*cfg); i < cfg->size; i++)
		if (((const unsigned char *)cfg)[i])
			return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->registry = cfg->registry;
	a->table_id = cfg->table_id;
	{
		pthread_condattr_t ca;

		if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
		    pthread_cond_init(&a->files_live, &ca)) {
			free(a);
			return -ENOMEM;
		}
		pthread_condattr_destroy(&ca);
	}
	pthread_mutex_init(&a->lock, NULL);
	*out = a;
	return 0;
}

void rrdb__adapter_free(struct rrdb__adapter *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->num_ctxs; i++)
		rhook_manifest_ctx_free(a->ctxs[i]);
	free(a->ctxs);
	free(a->files);
	free(a->jobs);
	pthread_cond_destroy(&a->files_live);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static rhook_region_id region_of(const struct rrdb__adapter *a, uint32_t cf_id)
{
	return rhook_region_id_make(a->table_id, cf_id);
}

/* ---- the file table; a->lock held ---- */

static size_t slot_of(uint64_t number, size_t cap)
{
	return (size_t)(number * 0x9e3779b97f4a7c15ull >> 17) & (cap - 1);
}

static struct entry *file_find(struct rrdb__adapter *a, uint64_t number)
{
	if (!a->files_cap || !number)
		return NULL;
	for (size_t i = slot_of(number, a->files_cap);; i = (i + 1) & (a->files_cap - 1)) {
		if (a->files[i].number == number)
			return &a->files[i];
		if (!a->files[i].number)
			return NULL;
	}
}

static int file_grow(struct rrdb__adapter *a)
{
	size_t cap = a->files_cap ? 2 * a->files_cap : 256;
	struct entry *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < a->files_cap; i++) {
		size_t j;

		if (!a->files[i].number)
			continue;
		for (j = slot_of(a->files[i].number, cap); t[j].number; j = (j + 1) & (cap - 1))
			;
		t[j] = a->files[i];
	}
	free(a->files);
	a->files = t;
	a->files_cap = cap;
	return 0;
}

/* Inserts or replaces @f; -ENOMEM leaves the table as it was. */
static int file_put(struct rrdb__adapter *a, const struct rrdb__file *f)
{
	struct entry *e = file_find(a, f->number);
	size_t i;

	if (!f->number)
		return -EINVAL;
	if (e) {
		e->f = *f;
		return 0;
	}
	if (2 * (a->files_used + 1) > a->files_cap && file_grow(a))
		return -ENOMEM;
	for (i = slot_of(f->number, a->files_cap); a->files[i].number; i = (i + 1) & (a->files_cap - 1))
		;
	a->files[i] = (struct entry){ .number = f->number, .f = *f, .state = FILE_WRITTEN, .input_of = -1 };
	a->files_used++;
	return 0;
}

/* Removes @number; backward-shift deletion keeps every probe chain whole. */
static void file_remove(struct rrdb__adapter *a, uint64_t number)
{
	struct entry *e = file_find(a, number);
	size_t mask = a->files_cap - 1, hole, i;

	if (!e)
		return;
	hole = (size_t)(e - a->files);
	a->files[hole].number = 0;
	for (i = (hole + 1) & mask; a->files[i].number; i = (i + 1) & mask) {
		size_t home = slot_of(a->files[i].number, a->files_cap);

		/* Move it into the hole unless its home lies cyclically in (hole, i]. */
		if ((i > hole && (home <= hole || home > i)) || (i < hole && home <= hole && home > i)) {
			a->files[hole] = a->files[i];
			a->files[i].number = 0;
			hole = i;
		}
	}
	a->files_used--;
}

/* What the table knows of @f's file, completed by what the callback gave. */
static struct rrdb__file file_known(struct rrdb__adapter *a, const struct rrdb__file *f)
{
	const struct entry *e = file_find(a, f->number);
	struct rrdb__file k = e ? e->f : *f;

	if (!e)
		return k;
	if (f->level >= 0)
		k.level = f->level;
	if (f->largest_seqno)
		k.largest_seqno = f->largest_seqno;
	if (!k.has_uid && f->has_uid) {
		k.has_uid = true;
		memcpy(k.uid, f->uid, sizeof(k.uid));
	}
	return k;
}

/*
 * Marks the files @v lists live and wakes the reports waiting for them;
 * a->lock held.  Called after the report that added them was emitted.
 */
static void mark_live(struct rrdb__adapter *a, const struct rrdb__file *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct entry *e = file_find(a, v[i].number);

		if (e && e->state == FILE_WRITTEN)
			e->state = FILE_LIVE;
	}
	pthread_cond_broadcast(&a->files_live);
}

/*
 * Waits until no input of a compaction is a file written and not yet
 * reported committed, at most INPUT_WAIT_NS; a->lock held (the wait drops
 * it).  RocksDB may install a flush, compact its file and report the
 * compaction before the flush's thread has reported the flush: the
 * compaction's commit, which removes the file, must not reach the trace
 * before the one that adds it.  The other thread is reporting without
 * waiting for anything of ours, so the wait is short; the bound is for a
 * report that never comes.
 */
static void wait_inputs_live(struct rrdb__adapter *a, const struct rrdb__file *in, size_t n)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += INPUT_WAIT_NS / 1000000000ll;
	for (;;) {
		size_t i;

		for (i = 0; i < n; i++) {
			const struct entry *e = file_find(a, in[i].number);

			if (e && e->state == FILE_WRITTEN)
				break;
		}
		if (i == n || pthread_cond_timedwait(&a->files_live, &a->lock, &deadline) == ETIMEDOUT)
			return;
	}
}

/* ---- jobs; a->lock held ---- */

static void job_add(struct rrdb__adapter *a, const struct job *j)
{
	if (a->num_jobs == a->cap_jobs) {
		size_t cap = a->cap_jobs ? 2 * a->cap_jobs : 8;
		struct job *t = realloc(a->jobs, cap * sizeof(*t));

		if (!t)
			return; /* the span's end then has no start: its duration is 0 */
		a->jobs = t;
		a->cap_jobs = cap;
	}
	a->jobs[a->num_jobs++] = *j;
}

/* The open job @id of @kind, or NULL. */
static struct job *job_find(struct rrdb__adapter *a, int id, enum job_kind kind)
{
	for (size_t i = 0; i < a->num_jobs; i++)
		if (a->jobs[i].id == id && a->jobs[i].kind == kind)
			return &a->jobs[i];
	return NULL;
}

/* Removes and returns the open job @id of @kind; false if there is none. */
static bool job_take(struct rrdb__adapter *a, int id, enum job_kind kind, struct job *out)
{
	for (size_t i = 0; i < a->num_jobs; i++)
		if (a->jobs[i].id == id && a->jobs[i].kind == kind) {
			*out = a->jobs[i];
			a->jobs[i] = a->jobs[--a->num_jobs];
			return true;
		}
	return false;
}

/* The column family's external context, created at its first commit; NULL on ENOMEM. */
static struct rhook_manifest_ctx *ctx_of(struct rrdb__adapter *a, uint32_t cf_id)
{
	if (cf_id >= a->num_ctxs) {
		size_t n = (size_t)cf_id + 1;
		struct rhook_manifest_ctx **t = realloc(a->ctxs, n * sizeof(*t));

		if (!t)
			return NULL;
		memset(t + a->num_ctxs, 0, (n - a->num_ctxs) * sizeof(*t));
		a->ctxs = t;
		a->num_ctxs = n;
	}
	if (!a->ctxs[cf_id]) {
		struct rhook_external_manifest_config cfg = {
			.size = sizeof(cfg), .region_id = region_of(a, cf_id), .registry = a->registry,
		};

		if (rhook_manifest_ctx_new_external(&cfg, &a->ctxs[cf_id]))
			return NULL;
	}
	return a->ctxs[cf_id];
}

/* ---- rhook's view of a file ---- */

static void file_meta(const struct rrdb__adapter *a, const struct rrdb__file *f, struct rhook_file_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->region_id = region_of(a, f->cf_id);
	if (f->has_uid) {
		memcpy(m->file_id.bytes, f->uid, sizeof(m->file_id.bytes));
	} else {
		/* "rrdb", then the file number, big-endian. */
		memcpy(m->file_id.bytes, "rrdb", 4);
		for (int i = 0; i < 8; i++)
			m->file_id.bytes[8 + i] = (uint8_t)(f->number >> (56 - 8 * i));
	}
	m->time_range.start = m->time_range.end = (int64_t)(f->creation_time_s & INT64_MAX);
	m->time_range.unit = RHOOK_TIME_UNIT_SECOND;
	m->level = (uint8_t)(f->level < 0 ? 0 : f->level > RHOOK_MAX_LEVEL ? RHOOK_MAX_LEVEL : f->level);
	m->file_size = f->size;
	m->num_rows = f->entries;
	m->num_row_groups = f->data_blocks;
	m->has_sequence = true;
	m->sequence = f->largest_seqno;
}

/*
 * Reports one commit of @ctx's column family: an edit adding @add and removing @rm;
 * its version, 0 if it could not be reported.
 * a->lock not held.  A notification lost to ENOMEM leaves RocksDB's commit
 * as it is: nothing to undo, and the trace shows no commit for it.
 */
static uint64_t commit(struct rhook_manifest_ctx *ctx, enum rhook_cause cause, struct rhook_file_meta *add,
		       size_t num_add, struct rhook_file_meta *rm, size_t num_rm)
{
	struct rhook_action_edit ed = { .files_to_add = add, .num_files_to_add = num_add,
					.files_to_remove = rm, .num_files_to_remove = num_rm };
	struct rhook_action_list *list;
	uint64_t version = 0;

	if (!ctx || !(list = rhook_action_list_new()))
		return 0;
	if (!rhook_action_list_add_edit(list, &ed) && rhook_manifest_notify(ctx, list, cause, NULL, &version))
		version = 0; /* -ENOMEM only (no lock_held, so no -EDEADLK): see above */
	rhook_action_list_free(list);
	return version;
}

/* What rhook_files_removed() reports of a deleted file; a->lock held. */
static void removed_file(const struct rrdb__adapter *a, const struct entry *e, struct rhook_removed_file *r)
{
	struct rhook_file_meta m;

	file_meta(a, &e->f, &m);
	memset(r, 0, sizeof(*r));
	r->file_id = m.file_id;
	r->level = e->f.level < 0 ? RHOOK_LEVEL_UNKNOWN : m.level;
	r->file_size = e->f.size;
	r->num_rows = e->f.entries;
	r->removed_version = e->state == FILE_REMOVED ? e->removed_version : 0;
}

/* Reports a deletion; a->lock not held.  -EDEADLK cannot happen: RocksDB's callbacks hold no mutex of rhook's. */
static void removed(struct rrdb__adapter *a, uint32_t cf_id, const struct rhook_removed_file *r,
		    enum rhook_remove_reason reason)
{
	int err = rhook_files_removed(a->registry, region_of(a, cf_id), r, 1, reason);

	(void)err;
}

static bool listed(const struct rrdb__file *v, size_t n, uint64_t number)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].number == number)
			return true;
	return false;
}

/* ---- the callbacks ---- */

void rrdb__flush_begin(struct rrdb__adapter *a, int job, uint32_t cf_id)
{
	struct job j = { .id = job, .kind = JOB_FLUSH, .cf_id = cf_id, .lsm_job = rhook_job_new() };
	uint64_t prev = rhook_job_enter(j.lsm_job);

	j.start = rhook_trace_flush_begin(region_of(a, cf_id), 0, 0);
	rhook_job_enter(prev);
	pthread_mutex_lock(&a->lock);
	job_add(a, &j);
	pthread_mutex_unlock(&a->lock);
}

void rrdb__table_created(struct rrdb__adapter *a, int job, enum rrdb__reason reason, int status,
			 const struct rrdb__file *f)
{
	static const struct rhook_region_meta no_meta; /* RocksDB has no schema to tell */
	struct rhook_region_meta rm = no_meta;
	struct rhook_file_meta m;
	struct rhook_sst_info info;
	struct rhook_sst_file sf = { &info, &m };
	struct job j, *jp;
	uint64_t prev, rj = 0;

	if (status) {
		/* A flush whose file failed: its job ends here, RocksDB calls nothing else for it. */
		if (reason != RRDB__FLUSH)
			return;
		pthread_mutex_lock(&a->lock);
		if (!job_take(a, job, JOB_FLUSH, &j))
			j = (struct job){ .cf_id = f->cf_id };
		pthread_mutex_unlock(&a->lock);
		prev = rhook_job_enter(j.lsm_job);
		rhook_trace_flush_end(j.start, region_of(a, j.cf_id), 0, 0, 0, status);
		rhook_job_enter(prev);
		return;
	}
	/* WAL recovery inside DB::Open: committed without a callback (rhook/rocksdb.h). */
	if (reason != RRDB__FLUSH && reason != RRDB__COMPACTION)
		return;
	pthread_mutex_lock(&a->lock);
	file_put(a, f); /* ENOMEM: later callbacks know the file by what they carry */
	if ((jp = job_find(a, job, reason == RRDB__FLUSH ? JOB_FLUSH : JOB_COMPACTION))) {
		jp->bytes_out += f->size;
		rj = jp->lsm_job;
	}
	pthread_mutex_unlock(&a->lock);

	file_meta(a, f, &m);
	memset(&info, 0, sizeof(info));
	info.file_id = m.file_id;
	info.time_range = m.time_range;
	info.file_size = m.file_size;
	info.num_rows = m.num_rows;
	info.num_row_groups = m.num_row_groups;
	rm.region_id = m.region_id;
	prev = rhook_job_enter(rj);
	rhook_sst_files_written(a->registry, m.region_id, &rm, &sf, 1,
				reason == RRDB__FLUSH ? RHOOK_ORIGIN_FLUSH : RHOOK_ORIGIN_COMPACTION);
	rhook_job_enter(prev);
}

void rrdb__flush_completed(struct rrdb__adapter *a, int job, const struct rrdb__file *f)
{
	struct rhook_manifest_ctx *ctx;
	struct rhook_file_meta m;
	struct rrdb__file k;
	struct job j = { 0 };
	uint64_t prev;
	bool open;

	pthread_mutex_lock(&a->lock);
	open = job_take(a, job, JOB_FLUSH, &j);
	k = file_known(a, f);
	k.level = 0;
	file_put(a, &k);
	ctx = ctx_of(a, k.cf_id);
	pthread_mutex_unlock(&a->lock);

	prev = rhook_job_enter(j.lsm_job);
	rhook_trace_flush_end(open ? j.start : 0, region_of(a, k.cf_id), k.entries, k.size, 1, 0);
	file_meta(a, &k, &m);
	commit(ctx, RHOOK_CAUSE_FLUSH, &m, 1, NULL, 0);
	rhook_job_enter(prev);
	/* After the report: a compaction's report waiting for this file comes after it. */
	pthread_mutex_lock(&a->lock);
	mark_live(a, &k, 1);
	pthread_mutex_unlock(&a->lock);
}

void rrdb__compaction_begin(struct rrdb__adapter *a, int job, uint32_t cf_id, const struct rrdb__file *in,
			    size_t num_in)
{
	struct job j = { .id = job, .kind = JOB_COMPACTION, .cf_id = cf_id, .num_in = (uint32_t)num_in,
			 .lsm_job = rhook_job_new() };
	rhook_file_id *ids = calloc(num_in ? num_in : 1, sizeof(*ids));
	uint64_t prev;

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < num_in; i++) {
		struct rrdb__file k = file_known(a, &in[i]);
		struct entry *e;

		k.cf_id = cf_id;
		j.bytes_in += k.size;
		/* A file written before the listener is live (RocksDB compacts it); learn it now. */
		if (!file_find(a, k.number) && !file_put(a, &k))
			file_find(a, k.number)->state = FILE_LIVE;
		if ((e = file_find(a, k.number)))
			e->input_of = job;
		if (ids) {
			struct rhook_file_meta m;

			file_meta(a, &k, &m);
			ids[i] = m.file_id;
		}
	}
	pthread_mutex_unlock(&a->lock);
	prev = rhook_job_enter(j.lsm_job);
	j.start = ids ? rhook_trace_compaction_begin_inputs(region_of(a, cf_id), ids, j.num_in, j.bytes_in, false)
		      : rhook_trace_compaction_begin(region_of(a, cf_id), j.num_in, j.bytes_in, false);
	rhook_job_enter(prev);
	free(ids);
	pthread_mutex_lock(&a->lock);
	job_add(a, &j);
	pthread_mutex_unlock(&a->lock);
}

void rrdb__compaction_completed(struct rrdb__adapter *a, int job, uint32_t cf_id, int status,
				const struct rrdb__file *in, size_t num_in, const struct rrdb__file *out,
				size_t num_out)
{
	struct rhook_file_meta *add = NULL, *rm = NULL;
	struct rhook_removed_file *late = calloc(num_in ? num_in : 1, sizeof(*late));
	struct rhook_manifest_ctx *ctx = NULL;
	bool open, lists = false;
	uint64_t version = 0, prev;
	size_t num_late = 0;
	struct job j = { 0 };

	if (!status) {
		add = calloc(num_out ? num_out : 1, sizeof(*add));
		rm = calloc(num_in ? num_in : 1, sizeof(*rm));
		lists = add && rm; /* else the commit is lost to ENOMEM (see commit()); the span is traced */
	}
	pthread_mutex_lock(&a->lock);
	open = job_take(a, job, JOB_COMPACTION, &j);
	if (lists) {
		wait_inputs_live(a, in, num_in);
		for (size_t i = 0; i < num_in; i++) {
			struct rrdb__file k = file_known(a, &in[i]);

			k.cf_id = cf_id;
			file_meta(a, &k, &rm[i]);
		}
		for (size_t i = 0; i < num_out; i++) {
			struct rrdb__file k = file_known(a, &out[i]);

			k.cf_id = cf_id;
			file_put(a, &k); /* its level is the output level now */
			file_meta(a, &k, &add[i]);
		}
		ctx = ctx_of(a, cf_id);
	}
	pthread_mutex_unlock(&a->lock);

	prev = rhook_job_enter(j.lsm_job);
	/* bytes_out: what the job wrote (a trivial move writes nothing; a failed job may have written some). */
	rhook_trace_compaction_end(open ? j.start : 0, region_of(a, cf_id), (uint32_t)num_in, (uint32_t)num_out,
				   open ? j.bytes_in : 0, open ? j.bytes_out : 0, false, status);
	if (lists)
		version = commit(ctx, RHOOK_CAUSE_COMPACTION, add, num_out, rm, num_in);
	rhook_job_enter(prev);

	/*
	 * After the report: the outputs are live, the inputs (but a trivial
	 * move's) left the manifest with @version; a failed job's stay live.
	 * Inputs RocksDB deleted before this report (another thread's purge
	 * may run as soon as the result is installed) are reported now, after
	 * the commit that removed them.
	 */
	pthread_mutex_lock(&a->lock);
	if (lists)
		mark_live(a, out, num_out);
	for (size_t i = 0; i < num_in; i++) {
		struct entry *e = file_find(a, in[i].number);

		if (!e || e->input_of != job)
			continue;
		e->input_of = -1;
		if (lists && !listed(out, num_out, in[i].number)) {
			e->state = FILE_REMOVED;
			e->removed_version = version;
		}
		if (e->deleted && late) {
			removed_file(a, e, &late[num_late++]);
			file_remove(a, in[i].number);
		}
	}
	pthread_mutex_unlock(&a->lock);
	/* A live file deleted while a compaction that failed had it as input: its column family was dropped. */
	for (size_t i = 0; i < num_late; i++)
		removed(a, cf_id, &late[i], late[i].removed_version ? RHOOK_REMOVE_COMPACTION : RHOOK_REMOVE_DROP);
	free(late);
	free(add);
	free(rm);
}

void rrdb__file_ingested(struct rrdb__adapter *a, const struct rrdb__file *f)
{
	struct rhook_manifest_ctx *ctx;
	struct rhook_file_meta m;

	pthread_mutex_lock(&a->lock);
	file_put(a, f);
	ctx = ctx_of(a, f->cf_id);
	pthread_mutex_unlock(&a->lock);
	file_meta(a, f, &m);
	commit(ctx, RHOOK_CAUSE_EDIT, &m, 1, NULL, 0);
	pthread_mutex_lock(&a->lock);
	mark_live(a, f, 1); /* after the report, as for a flush */
	pthread_mutex_unlock(&a->lock);
}

/*
 * Why RocksDB deleted a file, from what the adapter reported of it:
 * removed by a compaction's commit (reason compaction, with its version);
 * written and never committed, a failed job's output (orphan); live and no
 * compaction's input (its column family was dropped: drop).  A live input
 * of a compaction not reported yet is deferred to that report, so that no
 * deletion precedes the commit that removed the file.  A file the adapter
 * never saw (deleted at open, or written before the listener and never
 * compacted since) is not reported: its region is unknown.
 */
void rrdb__table_deleted(struct rrdb__adapter *a, uint64_t number)
{
	enum rhook_remove_reason reason;
	struct rhook_removed_file r;
	struct entry *e;
	uint32_t cf_id;

	pthread_mutex_lock(&a->lock);
	e = file_find(a, number);
	if (!e || e->input_of >= 0) {
		if (e)
			e->deleted = true;
		pthread_mutex_unlock(&a->lock);
		return;
	}
	reason = e->state == FILE_REMOVED ? RHOOK_REMOVE_COMPACTION
		 : e->state == FILE_WRITTEN ? RHOOK_REMOVE_ORPHAN
					     : RHOOK_REMOVE_DROP;
	removed_file(a, e, &r);
	cf_id = e->f.cf_id;
	file_remove(a, number);
	pthread_mutex_unlock(&a->lock);
	removed(a, cf_id, &r, reason);
}
