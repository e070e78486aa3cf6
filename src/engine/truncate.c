/*
 * truncate.c - truncating everything written so far, or a list of files
 * (cause truncate).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "rows.h"
#include "util.h"

/* Drops memtable rows the truncation covers (scans filter them anyway).  mem_lock held. */
static void drop_truncated_rows(struct lsm_region *r, uint64_t seq)
{
	struct lsm__memtable *m = r->active;
	size_t n = 0;

	if (r->frozen) {
		lsm_row_set_free(&r->frozen->rows);
		free(r->frozen);
		r->frozen = NULL;
	}
	for (size_t i = 0; i < m->rows.num_rows; i++)
		if (m->rows.rows[i].seq > seq)
			m->rows.rows[n++] = m->rows.rows[i];
	m->rows.num_rows = n;
	if (!n)
		m->bytes = 0;
}

/* Any thread; waits for the region's flush and compaction. */
int lsm_region_truncate(struct lsm_region *r)
{
	struct rhook_receipt receipt = RHOOK_RECEIPT_INIT;
	struct rhook_action_truncate t = { .kind = RHOOK_TRUNCATE_ALL, .timestamp_ms = lsm__now_ms() };
	struct rhook_action_list *list = rhook_action_list_new();
	int err = list ? 0 : lsm__fail(-ENOMEM, "truncate: out of memory");

	if (err)
		return err;
	/* No flush or compaction may commit files written before the truncation after it. */
	pthread_mutex_lock(&r->flush_lock);
	pthread_mutex_lock(&r->compact_lock);
	rhook_manifest_lock(r->ctx);
	err = lsm__region_write_begin(r, LSM__LEADER_ONLY, "truncate");
	if (!err) {
		pthread_mutex_lock(&r->mem_lock);
		t.truncated_sequence = r->last_seq;
		t.truncated_entry_id = r->last_entry_id;
		pthread_mutex_unlock(&r->mem_lock);
		err = rhook_action_list_add_truncate(list, &t);
		if (err)
			lsm__fail(err, "truncate: out of memory");
		else
			err = lsm__region_update_locked(r, list, RHOOK_CAUSE_TRUNCATE, "truncate", &receipt);
		if (!err) {
			pthread_mutex_lock(&r->mem_lock);
			drop_truncated_rows(r, t.truncated_sequence);
			pthread_mutex_unlock(&r->mem_lock);
		}
		lsm__region_write_end(r);
	}
	rhook_manifest_unlock(r->ctx);
	pthread_mutex_unlock(&r->compact_lock);
	pthread_mutex_unlock(&r->flush_lock);
	rhook_action_list_free(list);
	return err ? err : lsm__region_fire(r, &receipt, "truncate");
}

/* Any thread; files already gone give -ESTALE (the apply checks under the manifest mutex). */
int lsm_region_truncate_files(struct lsm_region *r, const rhook_file_id *ids, size_t num_ids)
{
	struct rhook_action_truncate t = { .kind = RHOOK_TRUNCATE_FILES, .timestamp_ms = lsm__now_ms() };
	struct rhook_action_list *list = rhook_action_list_new();
	struct lsm__version *v = lsm__region_acquire(r);
	int err = list ? 0 : -ENOMEM;

	t.files = calloc(num_ids ? num_ids : 1, sizeof(*t.files));
	if (!t.files)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < num_ids; i++) {
		const struct rhook_file_meta *fm = lsm__version_find(v, &ids[i]);
		char s[RHOOK_FILE_ID_STRLEN];

		if (!fm) {
			rhook_file_id_format(&ids[i], s);
			err = lsm__fail(-ENOENT, "truncate: file %s is not in the region", s);
			break;
		}
		t.files[t.num_files++] = *fm; /* shallow: add_truncate deep-copies */
	}
	if (!err)
		err = rhook_action_list_add_truncate(list, &t);
	lsm__region_release(r, v);
	if (err == -ENOMEM)
		lsm__fail(err, "truncate: out of memory");
	if (!err)
		err = lsm__region_commit(r, list, RHOOK_CAUSE_TRUNCATE, LSM__LEADER_ONLY, "truncate", NULL, NULL,
					   NULL);
	free(t.files);
	rhook_action_list_free(list);
	return err;
}
