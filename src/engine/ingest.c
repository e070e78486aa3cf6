/*
 * ingest.c - region edit (bulk ingestion of pre-written SST files) and
 * copy region: files that reach the manifest without the engine writing
 * them, so only on_manifest_updated fires.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index.h"
#include "output.h"
#include "sst.h"
#include "util.h"

/* A fresh sequence for ingested rows: they win over every row written before. */
static uint64_t next_sequence(struct lsm_region *r)
{
	uint64_t seq;

	pthread_mutex_lock(&r->mem_lock);
	seq = ++r->last_seq;
	pthread_mutex_unlock(&r->mem_lock);
	return seq;
}

int lsm__edit_list(const struct rhook_file_meta *files, size_t n, uint64_t committed_seq,
		     struct rhook_action_list **out)
{
	struct rhook_action_edit edit = { .files_to_add = (struct rhook_file_meta *)files, .num_files_to_add = n,
					  .timestamp_ms = lsm__now_ms(), .has_committed_sequence = committed_seq != 0,
					  .committed_sequence = committed_seq };
	struct rhook_action_list *list = rhook_action_list_new();
	int err = list ? rhook_action_list_add_edit(list, &edit) : -ENOMEM;

	if (err) {
		rhook_action_list_free(list);
		return lsm__fail(err, "out of memory");
	}
	*out = list;
	return 0;
}

int lsm__ingest_commit(struct lsm_region *r, const char *const *paths, size_t num_paths, enum rhook_cause cause,
			 unsigned roles, const char *op, struct lsm__outputs *o)
{
	struct rhook_action_list *list = NULL;
	struct lsm__version *v;
	uint64_t seq;
	int err = lsm__region_check_role(r, roles, op);

	if (err)
		return err;
	seq = next_sequence(r);
	v = lsm__region_acquire(r);
	err = lsm__outputs_ingest(r, &v->m.meta, paths, num_paths, seq, o);
	lsm__region_release(r, v);
	if (err)
		return err;
	err = lsm__edit_list(o->metas, o->num, seq, &list);
	if (!err)
		err = lsm__region_commit(r, list, cause, roles, op, NULL, NULL, NULL);
	rhook_action_list_free(list);
	if (err)
		lsm__outputs_discard(r, o, err);
	return err;
}

/* Any thread; concurrent with everything (the commit validates under the manifest mutex). */
int lsm_region_ingest(struct lsm_region *r, const char *const *paths, size_t num_paths)
{
	struct lsm__outputs o;
	int err = lsm__ingest_commit(r, paths, num_paths, RHOOK_CAUSE_EDIT, LSM__LEADER_ONLY, "region edit", &o);

	if (!err)
		lsm__outputs_done(r, &o);
	return err;
}

/* Copies one file (SST and its index) from @src to @dst; metadata for @dst in @fm. */
static int copy_one(struct lsm_region *dst, struct lsm_region *src, const struct rhook_file_meta *from,
		    struct rhook_file_meta *fm)
{
	char sst[LSM__SST_NAME_MAX], idx[LSM__INDEX_NAME_MAX], id[RHOOK_FILE_ID_STRLEN];
	int err;

	rhook_file_id_format(&from->file_id, id);
	if (rhook_file_meta_copy(fm, from))
		return lsm__fail(-ENOMEM, "out of memory");
	fm->region_id = dst->id;
	lsm__sst_name(&from->file_id, sst);
	lsm__index_name(&from->file_id, from->index_version, idx);
	err = lsm__region_pending_add(dst, &from->file_id);
	if (err)
		goto fail;
	err = lsm__fs_link_or_copy(src->data_fd, sst, dst->data_fd, sst);
	if (!err && from->available_indexes) {
		err = lsm__fs_link_or_copy(src->data_fd, idx, dst->data_fd, idx);
		if (err)
			unlinkat(dst->data_fd, sst, 0);
	}
	if (!err)
		return 0;
	lsm__region_pending_remove(dst, &from->file_id);
fail:
	rhook_file_meta_clear(fm);
	return lsm__fail(err, "copy of file %s from %s to %s: %s", id, src->dir, dst->dir, strerror(-err));
}

/* Any thread; @src is only read. */
int lsm_region_copy_files(struct lsm_region *dst, struct lsm_region *src, const rhook_file_id *ids,
			    size_t num_ids)
{
	struct rhook_action_list *list = NULL;
	struct rhook_file_meta *files;
	struct lsm__version *v;
	size_t n = 0, want;
	int err;

	err = lsm__region_check_role(dst, LSM__LEADER_ONLY, "copy region");
	if (err)
		return err;
	v = lsm__region_acquire(src);
	want = num_ids ? num_ids : v->m.num_files;
	files = calloc(want ? want : 1, sizeof(*files));
	err = files ? 0 : lsm__fail(-ENOMEM, "out of memory");
	for (size_t i = 0; !err && i < want; i++) {
		const struct rhook_file_meta *from = num_ids ? lsm__version_find(v, &ids[i]) : &v->m.files[i];

		if (!from) {
			char s[RHOOK_FILE_ID_STRLEN];

			rhook_file_id_format(&ids[i], s);
			err = lsm__fail(-ENOENT, "copy region: file %s is not in %s", s, src->dir);
		} else if (!(err = copy_one(dst, src, from, &files[n]))) {
			n++;
		}
	}
	if (!err)
		err = lsm__fs_sync_dir(dst->data_fd);
	/* The copied rows keep their sequences: the target's counter moves past them. */
	if (!err)
		err = lsm__edit_list(files, n, v->m.committed_sequence, &list);
	if (!err)
		err = lsm__region_commit(dst, list, RHOOK_CAUSE_COPY, LSM__LEADER_ONLY, "copy region", NULL, NULL,
					   NULL);
	lsm__region_release(src, v);
	rhook_action_list_free(list);
	for (size_t i = 0; i < n; i++) {
		if (err) {
			char sst[LSM__SST_NAME_MAX], idx[LSM__INDEX_NAME_MAX];

			lsm__sst_name(&files[i].file_id, sst);
			lsm__index_name(&files[i].file_id, files[i].index_version, idx);
			unlinkat(dst->data_fd, sst, 0);
			unlinkat(dst->data_fd, idx, 0);
		}
		lsm__region_pending_remove(dst, &files[i].file_id);
		rhook_file_meta_clear(&files[i]);
	}
	free(files);
	return err;
}
