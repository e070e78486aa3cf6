/*
 * flush.c - memtable to level-0 SST files, then an edit (cause flush).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/trace.h>

#include "output.h"
#include "rows.h"
#include "util.h"

/*
 * Takes the memtable to flush: the one a failed flush left, else the
 * active one (replaced by an empty one).  NULL when there is nothing.
 */
static struct lsm__memtable *freeze(struct lsm_region *r, int *err)
{
	struct lsm__memtable *m = NULL, *fresh;

	pthread_mutex_lock(&r->mem_lock);
	*err = lsm__region_check_role(r, LSM__LEADER_ONLY | LSM__ROLE(LSM_ROLE_LEADER_DOWNGRADING), "flush");
	if (*err)
		goto out;
	if (!r->frozen && r->active->rows.num_rows) {
		fresh = calloc(1, sizeof(*fresh));
		if (!fresh) {
			*err = lsm__fail(-ENOMEM, "flush: out of memory");
			goto out;
		}
		r->frozen = r->active;
		r->active = fresh;
	}
	m = r->frozen;
out:
	pthread_mutex_unlock(&r->mem_lock);
	return m;
}

/* The flushed memtable is in the manifest now: scans stop reading it. */
static void drop_frozen(struct lsm_region *r)
{
	struct lsm__memtable *m;

	pthread_mutex_lock(&r->mem_lock);
	m = r->frozen;
	r->frozen = NULL;
	pthread_mutex_unlock(&r->mem_lock);
	lsm_row_set_free(&m->rows);
	free(m);
}

static int commit_outputs(struct lsm_region *r, const struct lsm__memtable *m, struct lsm__outputs *o,
			  uint64_t *version)
{
	struct rhook_action_edit edit = {
		.files_to_add = o->metas, .num_files_to_add = o->num, .timestamp_ms = lsm__now_ms(),
		.has_flushed_entry_id = true, .flushed_entry_id = m->max_entry_id,
		.has_flushed_sequence = true, .flushed_sequence = m->max_seq,
		.has_committed_sequence = true, .committed_sequence = m->max_seq,
	};
	struct rhook_action_list *list = rhook_action_list_new();
	int err = list ? rhook_action_list_add_edit(list, &edit) : -ENOMEM;

	if (!err)
		err = lsm__region_commit(r, list, RHOOK_CAUSE_FLUSH,
					   LSM__LEADER_ONLY | LSM__ROLE(LSM_ROLE_LEADER_DOWNGRADING), "flush", NULL,
					   NULL, version);
	else
		lsm__fail(err, "flush: out of memory");
	rhook_action_list_free(list);
	return err;
}

/* Any thread; one flush per region at a time (flush_lock), concurrent with puts, scans and compaction. */
int lsm_region_flush(struct lsm_region *r, struct lsm_region_op_result *res)
{
	struct lsm_region_op_result local = { 0 };
	struct lsm_row_set rows = { 0 };
	struct lsm__outputs o = { 0 };
	struct lsm__memtable *m;
	struct lsm__version *v;
	uint64_t start;
	int err;

	pthread_mutex_lock(&r->flush_lock);
	m = freeze(r, &err);
	if (!m)
		goto out;
	/* Nobody writes a frozen memtable: reading it without mem_lock is safe, sorting it in place is not (scans). */
	for (size_t i = 0; !err && i < m->rows.num_rows; i++)
		err = lsm__rows_push_ref(&rows, &m->rows.rows[i]);
	local.rows = m->rows.num_rows;
	local.bytes_in = m->bytes;
	start = rhook_trace_flush_begin(r->id, local.rows, local.bytes_in);
	v = lsm__region_acquire(r);
	if (!err) {
		lsm__rows_merge(&rows, v->m.truncated_sequence);
		err = lsm__outputs_write(r, &v->m.meta, rows.rows, rows.num_rows, 0, &o);
	} else {
		lsm__fail(err, "flush: out of memory");
	}
	if (!err) {
		rhook_sst_files_written(r->engine->registry, r->id, &v->m.meta, o.files, o.num, RHOOK_ORIGIN_FLUSH);
		local.files_out = (uint32_t)o.num;
		local.bytes_out = o.bytes;
		err = commit_outputs(r, m, &o, &local.version);
		if (err)
			lsm__outputs_discard(r, &o, err);
		else
			lsm__outputs_done(r, &o);
	}
	lsm__region_release(r, v);
	if (!err)
		drop_frozen(r);
	rhook_trace_flush_end(start, r->id, local.rows, local.bytes_in, local.files_out, err);
	lsm_row_set_free(&rows);
out:
	pthread_mutex_unlock(&r->flush_lock);
	if (res)
		*res = err ? (struct lsm_region_op_result){ 0 } : local;
	return err;
}
