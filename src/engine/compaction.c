/*
 * compaction.c - level 0 (and the level-1 files it overlaps) to level 1
 * in one edit: outputs added, inputs removed.  The same code runs in the
 * leader (cause compaction) and in rhook-compactor (COMPACTOR role, cause
 * and origin remote_compaction).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include <rhook/trace.h>

#include "output.h"
#include "rows.h"
#include "sst.h"
#include "util.h"

#define COMPACTION_WINDOW_S 3600

static int key_cmp(const struct rhook_bytes *a, const struct rhook_bytes *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->data, b->data, n) : 0;

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/*
 * Inputs: every level-0 file, and the level-1 files whose key range
 * meets theirs (an overlapping level-1 file left out would keep rows
 * that the outputs also hold).  *out is NULL when fewer level-0 files
 * than the trigger exist.  0 or -ENOMEM.
 */
static int pick(const struct lsm__version *v, uint32_t trigger, const struct rhook_file_meta ***out, size_t *n)
{
	const struct rhook_file_meta **in;
	const struct rhook_bytes *lo = NULL, *hi = NULL;
	size_t l0 = 0;

	*n = 0;
	*out = NULL;
	for (size_t i = 0; i < v->m.num_files; i++) {
		const struct rhook_file_meta *fm = &v->m.files[i];

		if (fm->level != 0)
			continue;
		l0++;
		if (!lo || key_cmp(&fm->pk_min, lo) < 0)
			lo = &fm->pk_min;
		if (!hi || key_cmp(&fm->pk_max, hi) > 0)
			hi = &fm->pk_max;
	}
	if (l0 < trigger || !l0)
		return 0;
	in = calloc(v->m.num_files, sizeof(*in));
	if (!in)
		return -ENOMEM;
	for (size_t i = 0; i < v->m.num_files; i++) {
		const struct rhook_file_meta *fm = &v->m.files[i];

		if (fm->level == 0 || (key_cmp(&fm->pk_max, lo) >= 0 && key_cmp(&fm->pk_min, hi) <= 0))
			in[(*n)++] = fm;
	}
	*out = in;
	return 0;
}

static int commit(struct lsm_region *r, bool remote, const struct rhook_file_meta *const *in, size_t n_in,
		  const struct lsm__outputs *o, uint64_t *version)
{
	struct rhook_file_meta *removed = calloc(n_in, sizeof(*removed));
	struct rhook_action_list *list = rhook_action_list_new();
	struct rhook_action_edit edit = { .files_to_add = o->metas, .num_files_to_add = o->num,
					  .files_to_remove = removed, .num_files_to_remove = n_in,
					  .timestamp_ms = lsm__now_ms(), .has_compaction_time_window = true,
					  .compaction_time_window_s = COMPACTION_WINDOW_S };
	int err = removed && list ? 0 : -ENOMEM;

	/* Shallow copies: add_edit deep-copies them into the list. */
	for (size_t i = 0; !err && i < n_in; i++)
		removed[i] = *in[i];
	if (!err)
		err = rhook_action_list_add_edit(list, &edit);
	if (!err)
		err = lsm__region_commit(r, list, remote ? RHOOK_CAUSE_REMOTE_COMPACTION : RHOOK_CAUSE_COMPACTION,
					   LSM__ROLE(remote ? LSM_ROLE_COMPACTOR : LSM_ROLE_LEADER), "compaction",
					   NULL, NULL, version);
	else
		lsm__fail(err, "compaction: out of memory");
	rhook_action_list_free(list);
	free(removed);
	return err;
}

/* Reads and merges the inputs. */
static int read_inputs(struct lsm_region *r, const struct lsm__version *v, const struct rhook_file_meta *const *in,
		       size_t n, struct lsm_row_set *rows)
{
	char where[4096], name[LSM__SST_NAME_MAX];
	int err = 0;

	snprintf(where, sizeof(where), "%s/data", r->dir);
	for (size_t i = 0; !err && i < n; i++) {
		lsm__sst_name(&in[i]->file_id, name);
		err = lsm__sst_read(r->engine, r->data_fd, where, name, in[i]->has_sequence, in[i]->sequence, rows,
				      NULL);
	}
	if (!err)
		lsm__rows_merge(rows, v->m.truncated_sequence);
	return err;
}

/* compact_lock held; see lsm_region_compact(). */
int lsm__region_compact_locked(struct lsm_region *r, struct lsm_region_op_result *res)
{
	bool remote = lsm_region_get_role(r) == LSM_ROLE_COMPACTOR;
	struct lsm_row_set rows = { 0 };
	struct lsm__outputs o = { 0 };
	const struct rhook_file_meta **in;
	struct lsm__version *v;
	uint64_t start;
	size_t n_in;
	int err;

	memset(res, 0, sizeof(*res));
	err = lsm__region_check_role(r, LSM__ROLE(remote ? LSM_ROLE_COMPACTOR : LSM_ROLE_LEADER), "compaction");
	if (err)
		return err;
	v = lsm__region_acquire(r);
	err = pick(v, r->engine->compaction_trigger, &in, &n_in);
	if (err || !in) {
		lsm__region_release(r, v);
		return err ? lsm__fail(err, "compaction: out of memory") : 0;
	}
	for (size_t i = 0; i < n_in; i++)
		res->bytes_in += in[i]->file_size;
	res->files_in = (uint32_t)n_in;
	start = rhook_trace_compaction_begin(r->id, res->files_in, res->bytes_in, remote);
	/* Outputs of another process are invisible to the leader's GC only through this lock. */
	if (remote)
		flock(r->files_lock_fd, LOCK_SH);
	err = read_inputs(r, v, in, n_in, &rows);
	if (!err)
		err = lsm__outputs_write(r, &v->m.meta, rows.rows, rows.num_rows, 1, &o);
	if (!err) {
		rhook_sst_files_written(r->engine->registry, r->id, &v->m.meta, o.files, o.num,
					remote ? RHOOK_ORIGIN_REMOTE_COMPACTION : RHOOK_ORIGIN_COMPACTION);
		res->files_out = (uint32_t)o.num;
		res->bytes_out = o.bytes;
		res->rows = rows.num_rows;
		err = commit(r, remote, in, n_in, &o, &res->version);
		if (err)
			lsm__outputs_discard(r, &o, err);
		else
			lsm__outputs_done(r, &o);
	}
	if (remote)
		flock(r->files_lock_fd, LOCK_UN);
	rhook_trace_compaction_end(start, r->id, res->files_in, res->files_out, res->bytes_in, res->bytes_out, remote,
				   err);
	lsm_row_set_free(&rows);
	free(in);
	lsm__region_release(r, v);
	if (err)
		memset(res, 0, sizeof(*res));
	return err;
}

/* Any thread; one compaction per region at a time (compact_lock), concurrent with flushes and scans. */
int lsm_region_compact(struct lsm_region *r, struct lsm_region_op_result *res)
{
	struct lsm_region_op_result local;
	int err;

	pthread_mutex_lock(&r->compact_lock);
	err = lsm__region_compact_locked(r, res ? res : &local);
	pthread_mutex_unlock(&r->compact_lock);
	return err;
}
