/*
 * index_build.c - async index build: index files for SSTs that lack one,
 * then an edit carrying their updated metadata (cause index_build).  No
 * SST data is written, so on_sst_files_written does not fire.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index.h"
#include "output.h"
#include "rows.h"
#include "sst.h"
#include "util.h"

/* The edit re-adds files by id: each must still be live, or the build would resurrect it. */
static int check_live(const struct lsm__version *cur, const void *arg)
{
	const struct rhook_action_list *list = arg;
	const struct rhook_action_edit *e = &list->actions[0].u.edit;

	for (size_t i = 0; i < e->num_files_to_add; i++) {
		if (!lsm__version_find(cur, &e->files_to_add[i].file_id)) {
			char s[RHOOK_FILE_ID_STRLEN];

			rhook_file_id_format(&e->files_to_add[i].file_id, s);
			return lsm__fail(-ESTALE, "index build: file %s was removed meanwhile", s);
		}
	}
	return 0;
}

/* Builds the index of @fm into a new file; @out gets the updated metadata. */
static int build_one(struct lsm_region *r, const char *where, const struct rhook_file_meta *fm,
		     struct rhook_file_meta *out)
{
	struct lsm_row_set rows = { 0 };
	struct rhook_index_output idx;
	char name[LSM__SST_NAME_MAX];
	int err;

	lsm__sst_name(&fm->file_id, name);
	err = lsm__sst_read(NULL, r->data_fd, where, name, false, 0, &rows, NULL);
	if (!err) {
		err = lsm__index_write(r->data_fd, &fm->file_id, fm->index_version + 1, rows.rows, rows.num_rows,
					 r->engine->row_group_rows, &idx);
		if (err)
			lsm__fail(err, "%s/%s: writing its index: %s", where, name, strerror(-err));
	}
	lsm_row_set_free(&rows);
	if (err)
		return err;
	if (rhook_file_meta_copy(out, fm))
		return lsm__fail(-ENOMEM, "out of memory");
	out->available_indexes = RHOOK_INDEX_INVERTED | RHOOK_INDEX_BLOOM;
	out->index_file_size = idx.file_size;
	out->index_version = idx.version;
	return 0;
}

/* Any thread; excludes local compaction (compact_lock), a remote one is caught by the check. */
int lsm_region_build_index(struct lsm_region *r, struct lsm_region_op_result *res)
{
	struct lsm_region_op_result local = { 0 };
	struct rhook_action_list *list = NULL;
	struct rhook_file_meta *built = NULL;
	struct lsm__version *v;
	char where[4096];
	size_t n = 0;
	int err;

	snprintf(where, sizeof(where), "%s/data", r->dir);
	pthread_mutex_lock(&r->compact_lock);
	err = lsm__region_check_role(r, LSM__LEADER_ONLY, "index build");
	if (err)
		goto out;
	v = lsm__region_acquire(r);
	built = calloc(v->m.num_files ? v->m.num_files : 1, sizeof(*built));
	err = built ? 0 : lsm__fail(-ENOMEM, "out of memory");
	for (size_t i = 0; !err && i < v->m.num_files; i++) {
		const struct rhook_file_meta *fm = &v->m.files[i];

		if (fm->available_indexes)
			continue;
		/* Pending: GC must not take the new index file for garbage before the commit. */
		err = lsm__region_pending_add(r, &fm->file_id);
		if (err)
			break;
		err = build_one(r, where, fm, &built[n]);
		if (err) {
			lsm__region_pending_remove(r, &fm->file_id);
			break;
		}
		local.bytes_out += built[n].index_file_size;
		n++;
	}
	lsm__region_release(r, v);
	if (!err && n) {
		err = lsm__fs_sync_dir(r->data_fd);
		if (!err)
			err = lsm__edit_list(built, n, 0, &list);
		if (!err)
			err = lsm__region_commit(r, list, RHOOK_CAUSE_INDEX_BUILD, LSM__LEADER_ONLY, "index build",
						   check_live, list, &local.version);
	}
	local.files_out = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		if (err) {
			char idx[LSM__INDEX_NAME_MAX];

			lsm__index_name(&built[i].file_id, built[i].index_version, idx);
			unlinkat(r->data_fd, idx, 0);
		}
		lsm__region_pending_remove(r, &built[i].file_id);
		rhook_file_meta_clear(&built[i]);
	}
	free(built);
	rhook_action_list_free(list);
out:
	pthread_mutex_unlock(&r->compact_lock);
	if (res)
		*res = err ? (struct lsm_region_op_result){ 0 } : local;
	return err;
}
