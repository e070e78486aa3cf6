/*
 * staging.c - staging: enter (cause staging_enter), remap (bookkeeping,
 * no hook), apply (the staged edit, cause staging_apply, then exit
 * staging: the staged actions merged into the live manifest with a
 * metadata backfill, one notification, cause staging_exit), abort.
 *
 * While the role is ENTERING_STAGING or STAGING, the store writes to the
 * staging log (staging/), which a restart discards; EXITING_STAGING
 * writes to the live log again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "output.h"
#include "sst.h"
#include "util.h"

#define STAGING_DIR "staging"
#define REMAP_FILE  "remap.json"

/* Leaves staging: state dropped, staging/ removed.  Manifest mutex held. */
static void staging_leave(struct lsm_region *r)
{
	lsm__region_staging_clear(r);
	lsm__fs_remove_tree(r->dir_fd, STAGING_DIR);
	lsm__fs_sync_dir(r->dir_fd);
	lsm__region_set_role(r, LSM_ROLE_LEADER);
}

/* Any thread. */
int lsm_region_enter_staging(struct lsm_region *r, const char *partition_expr)
{
	struct rhook_receipt receipt = RHOOK_RECEIPT_INIT;
	struct rhook_action_list *list = rhook_action_list_new();
	int err = list ? rhook_action_list_add_partition_expr_change(list, partition_expr) : -ENOMEM;

	if (err) {
		rhook_action_list_free(list);
		return lsm__fail(err, "enter staging: out of memory");
	}
	rhook_manifest_lock(r->ctx);
	err = lsm__region_write_begin(r, LSM__LEADER_ONLY, "enter staging");
	if (err)
		goto unlock;
	lsm__fs_remove_tree(r->dir_fd, STAGING_DIR);
	r->staging_fd = lsm__fs_open_dir(r->dir_fd, STAGING_DIR, true);
	if (r->staging_fd < 0) {
		err = lsm__fail(r->staging_fd, "%s/" STAGING_DIR ": %s", r->dir, strerror(-r->staging_fd));
		r->staging_fd = -1;
		goto end;
	}
	/* The staging state starts as a copy of the live one. */
	r->staged = rhook_action_list_new();
	err = r->staged ? lsm__version_apply(r->current, r->current->m.version, r->staged, &r->staging) : -ENOMEM;
	if (err) {
		lsm__fail(err, "enter staging: out of memory");
		staging_leave(r);
		goto end;
	}
	r->staging_tail = r->live_tail;
	lsm__region_set_role(r, LSM_ROLE_ENTERING_STAGING);
	err = lsm__region_update_locked(r, list, RHOOK_CAUSE_STAGING_ENTER, "enter staging", &receipt);
	if (err)
		staging_leave(r);
	else
		lsm__region_set_role(r, LSM_ROLE_STAGING);
end:
	lsm__region_write_end(r);
unlock:
	rhook_manifest_unlock(r->ctx);
	rhook_action_list_free(list);
	return err ? err : lsm__region_fire(r, &receipt, "enter staging");
}

/* Links @src's live files into @dst (same ids); metadata for @dst appended to @files. */
static int link_files(struct lsm_region *dst, const struct lsm__version *v, struct lsm_region *src,
		      struct rhook_file_meta *files, size_t *n)
{
	for (size_t i = 0; i < v->m.num_files; i++) {
		const struct rhook_file_meta *fm = &v->m.files[i];
		char sst[LSM__SST_NAME_MAX], idx[LSM__INDEX_NAME_MAX];
		int err;

		lsm__sst_name(&fm->file_id, sst);
		lsm__index_name(&fm->file_id, fm->index_version, idx);
		err = lsm__fs_link_or_copy(src->data_fd, sst, dst->data_fd, sst);
		if (!err && fm->available_indexes)
			err = lsm__fs_link_or_copy(src->data_fd, idx, dst->data_fd, idx);
		if (!err && rhook_file_meta_copy(&files[*n], fm))
			err = -ENOMEM;
		if (err)
			return lsm__fail(err, "remap: %s/data/%s into %s: %s", src->dir, sst, dst->dir, strerror(-err));
		files[(*n)++].region_id = dst->id;
	}
	return lsm__fs_sync_dir(dst->data_fd);
}

/*
 * Any thread.  Staging bookkeeping, not a logical write: the mapped
 * files reach the live manifest with the exit-staging merge.
 */
int lsm_region_remap(struct lsm_region *dst, struct lsm_region *src)
{
	struct rhook_action_list *next = NULL, *edit = NULL;
	struct rhook_file_meta *files;
	struct lsm__version *v = lsm__region_acquire(src);
	size_t n = 0;
	char *json = NULL;
	size_t len;
	int err;

	files = calloc(v->m.num_files ? v->m.num_files : 1, sizeof(*files));
	rhook_manifest_lock(dst->ctx);
	err = lsm__region_check_role(dst, LSM__ROLE(LSM_ROLE_STAGING), "remap");
	if (!err && !files)
		err = lsm__fail(-ENOMEM, "out of memory");
	if (!err)
		err = link_files(dst, v, src, files, &n);
	if (!err)
		err = lsm__edit_list(files, n, v->m.committed_sequence, &edit);
	if (!err && (!(next = rhook_action_list_new()) ||
		     (dst->remapped && rhook_action_list_extend(next, dst->remapped)) ||
		     rhook_action_list_extend(next, edit) || rhook_action_list_to_json(next, &json, &len)))
		err = lsm__fail(-ENOMEM, "out of memory");
	if (!err) {
		err = lsm__fs_write_atomic(dst->staging_fd, REMAP_FILE, json, len, false);
		if (err)
			lsm__fail(err, "%s/" STAGING_DIR "/" REMAP_FILE ": %s", dst->dir, strerror(-err));
	}
	if (!err) {
		rhook_action_list_free(dst->remapped);
		dst->remapped = next;
		next = NULL;
	}
	rhook_manifest_unlock(dst->ctx);
	lsm__region_release(src, v);
	for (size_t i = 0; i < n; i++)
		rhook_file_meta_clear(&files[i]);
	free(files);
	free(json);
	rhook_action_list_free(edit);
	rhook_action_list_free(next);
	return err;
}

/* The metadata backfill after the merge: the live metadata, one schema version on. */
static int backfill_list(const struct lsm__version *cur, struct rhook_action_list **out)
{
	struct rhook_action_change change = { .metadata = cur->m.meta, .sst_format = cur->m.meta.sst_format,
					       .append_mode = cur->m.meta.append_mode };
	struct rhook_action_list *list = rhook_action_list_new();
	int err;

	change.metadata.schema_version++;
	err = list ? rhook_action_list_add_change(list, &change) : -ENOMEM;
	if (err) {
		rhook_action_list_free(list);
		return lsm__fail(err, "exit staging: out of memory");
	}
	*out = list;
	return 0;
}

/*
 * Exit staging: merges the remapped files and the staged actions into
 * the live manifest, then backfills the metadata under the same hold;
 * the two receipts merge into one notification.
 */
static int exit_staging(struct lsm_region *r)
{
	struct rhook_receipt receipt = RHOOK_RECEIPT_INIT, backfill = RHOOK_RECEIPT_INIT;
	struct rhook_action_list *merged = rhook_action_list_new(), *fill = NULL;
	int err, fire_err, fire2_err;

	rhook_manifest_lock(r->ctx);
	err = lsm__region_write_begin(r, LSM__ROLE(LSM_ROLE_STAGING), "exit staging");
	if (err)
		goto unlock;
	if (!merged || (r->remapped && rhook_action_list_extend(merged, r->remapped)) ||
	    rhook_action_list_extend(merged, r->staged)) {
		err = lsm__fail(-ENOMEM, "exit staging: out of memory");
		goto end;
	}
	lsm__region_set_role(r, LSM_ROLE_EXITING_STAGING);
	err = lsm__region_update_locked(r, merged, RHOOK_CAUSE_STAGING_EXIT, "exit staging", &receipt);
	if (err) {
		/* Nothing reached the live log: still staging, the caller may retry or abort. */
		lsm__region_set_role(r, LSM_ROLE_STAGING);
		goto end;
	}
	staging_leave(r);
	err = backfill_list(r->current, &fill);
	if (!err)
		err = lsm__region_update_locked(r, fill, RHOOK_CAUSE_STAGING_EXIT, "exit staging backfill",
						  &backfill);
	/* One notification; if merging runs out of memory both stay pending and fire in turn. */
	if (!err)
		(void)rhook_receipt_merge(&receipt, &backfill);
end:
	lsm__region_write_end(r);
unlock:
	rhook_manifest_unlock(r->ctx);
	rhook_action_list_free(merged);
	rhook_action_list_free(fill);
	/* The merge may have committed even when the backfill failed: its receipt fires regardless. */
	fire_err = lsm__region_fire(r, &receipt, "exit staging");
	fire2_err = lsm__region_fire(r, &backfill, "exit staging backfill");
	return err ? err : fire_err ? fire_err : fire2_err;
}

/* Any thread: the staged edit, then exit staging. */
int lsm_region_apply_staging(struct lsm_region *r, const char *const *paths, size_t num_paths)
{
	struct lsm__outputs o;
	int err = lsm__ingest_commit(r, paths, num_paths, RHOOK_CAUSE_STAGING_APPLY, LSM__ROLE(LSM_ROLE_STAGING),
				       "apply staging", &o);

	if (err)
		return err;
	/* The files stay pending until they are live: GC must not see them unreferenced. */
	err = exit_staging(r);
	lsm__outputs_done(r, &o);
	return err;
}

/* Any thread; drops the staged state (its files become garbage for GC).  No hook. */
int lsm_region_abort_staging(struct lsm_region *r)
{
	int err;

	rhook_manifest_lock(r->ctx);
	err = lsm__region_check_role(r, LSM__ROLE(LSM_ROLE_STAGING), "abort staging");
	if (!err)
		staging_leave(r);
	rhook_manifest_unlock(r->ctx);
	return err;
}
