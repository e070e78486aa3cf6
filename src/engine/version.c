/*
 * version.c - applying action lists to a region's state, and the
 * snapshot a checkpoint stores.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <rhook/action.h>

#include "util.h"
#include "version.h"

struct lsm__version *lsm__version_new_empty(void)
{
	return calloc(1, sizeof(struct lsm__version));
}

static void files_free(struct rhook_file_meta *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rhook_file_meta_clear(&files[i]);
	free(files);
}

void lsm_region_manifest_clear(struct lsm_region_manifest *m)
{
	rhook_region_meta_clear(&m->meta);
	files_free(m->files, m->num_files);
	memset(m, 0, sizeof(*m));
}

void lsm__version_free(struct lsm__version *v)
{
	if (!v)
		return;
	lsm_region_manifest_clear(&v->m);
	free(v);
}

int lsm__manifest_copy(struct lsm_region_manifest *dst, const struct lsm_region_manifest *src)
{
	*dst = *src;
	dst->files = NULL;
	dst->num_files = 0;
	if (rhook_region_meta_copy(&dst->meta, &src->meta))
		return -ENOMEM;
	if (src->num_files) {
		dst->files = calloc(src->num_files, sizeof(*dst->files));
		if (!dst->files)
			goto nomem;
		for (size_t i = 0; i < src->num_files; i++) {
			if (rhook_file_meta_copy(&dst->files[i], &src->files[i]))
				goto nomem;
			dst->num_files = i + 1;
		}
	}
	return 0;
nomem:
	lsm_region_manifest_clear(dst);
	return -ENOMEM;
}

static ssize_t find_index(const struct lsm_region_manifest *m, const rhook_file_id *id)
{
	for (size_t i = 0; i < m->num_files; i++)
		if (rhook_file_id_equal(&m->files[i].file_id, id))
			return (ssize_t)i;
	return -1;
}

const struct rhook_file_meta *lsm__version_find(const struct lsm__version *v, const rhook_file_id *id)
{
	ssize_t i = find_index(&v->m, id);

	return i < 0 ? NULL : &v->m.files[i];
}

static int missing_file(const rhook_file_id *id, const char *what)
{
	char s[RHOOK_FILE_ID_STRLEN];

	rhook_file_id_format(id, s);
	return lsm__fail(-ESTALE, "%s file %s is not in the manifest", what, s);
}

static int remove_file(struct lsm_region_manifest *m, const rhook_file_id *id, const char *what)
{
	ssize_t i = find_index(m, id);

	if (i < 0)
		return missing_file(id, what);
	rhook_file_meta_clear(&m->files[i]);
	m->files[i] = m->files[--m->num_files];
	return 0;
}

/* Adds @fm, or replaces the file of the same id (an index build updates metadata). */
static int add_file(struct lsm_region_manifest *m, const struct rhook_file_meta *fm)
{
	ssize_t i = find_index(m, &fm->file_id);
	struct rhook_file_meta copy, *files;

	if (rhook_file_meta_copy(&copy, fm))
		return -ENOMEM;
	if (i >= 0) {
		rhook_file_meta_clear(&m->files[i]);
		m->files[i] = copy;
		return 0;
	}
	files = realloc(m->files, (m->num_files + 1) * sizeof(*files));
	if (!files) {
		rhook_file_meta_clear(&copy);
		return -ENOMEM;
	}
	m->files = files;
	m->files[m->num_files++] = copy;
	return 0;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static int apply_edit(struct lsm__version *v, const struct rhook_action_edit *e)
{
	struct lsm_region_manifest *m = &v->m;
	int err;

	for (size_t i = 0; i < e->num_files_to_remove; i++)
		if ((err = remove_file(m, &e->files_to_remove[i].file_id, "edit: removed")))
			return err;
	for (size_t i = 0; i < e->num_files_to_add; i++)
		if ((err = add_file(m, &e->files_to_add[i])))
			return err;
	if (e->has_compaction_time_window) {
		v->has_compaction_time_window = true;
		v->compaction_time_window_s = e->compaction_time_window_s;
	}
	if (e->has_flushed_entry_id)
		m->flushed_entry_id = max_u64(m->flushed_entry_id, e->flushed_entry_id);
	if (e->has_flushed_sequence)
		m->flushed_sequence = max_u64(m->flushed_sequence, e->flushed_sequence);
	if (e->has_committed_sequence)
		m->committed_sequence = max_u64(m->committed_sequence, e->committed_sequence);
	return 0;
}

static int apply_truncate(struct lsm__version *v, const struct rhook_action_truncate *t)
{
	struct lsm_region_manifest *m = &v->m;
	int err;

	if (t->kind == RHOOK_TRUNCATE_FILES) {
		for (size_t i = 0; i < t->num_files; i++)
			if ((err = remove_file(m, &t->files[i].file_id, "truncate:")))
				return err;
		return 0;
	}
	files_free(m->files, m->num_files);
	m->files = NULL;
	m->num_files = 0;
	m->truncated_entry_id = max_u64(m->truncated_entry_id, t->truncated_entry_id);
	m->truncated_sequence = max_u64(m->truncated_sequence, t->truncated_sequence);
	m->flushed_entry_id = max_u64(m->flushed_entry_id, t->truncated_entry_id);
	m->flushed_sequence = max_u64(m->flushed_sequence, t->truncated_sequence);
	m->committed_sequence = max_u64(m->committed_sequence, t->truncated_sequence);
	return 0;
}

static int apply_one(struct lsm__version *v, const struct rhook_action *a)
{
	struct rhook_region_meta meta;
	char *expr;

	switch (a->kind) {
	case RHOOK_ACTION_CHANGE:
		if (v->m.version && a->u.change.metadata.region_id != v->m.meta.region_id)
			return lsm__fail(-EINVAL, "change: metadata of region %llu applied to region %llu",
					   (unsigned long long)a->u.change.metadata.region_id,
					   (unsigned long long)v->m.meta.region_id);
		if (rhook_region_meta_copy(&meta, &a->u.change.metadata))
			return -ENOMEM;
		meta.sst_format = a->u.change.sst_format;
		meta.append_mode = a->u.change.append_mode;
		rhook_region_meta_clear(&v->m.meta);
		v->m.meta = meta;
		return 0;
	case RHOOK_ACTION_PARTITION_EXPR_CHANGE:
		expr = NULL;
		if (a->u.partition_expr_change.partition_expr &&
		    !(expr = strdup(a->u.partition_expr_change.partition_expr)))
			return -ENOMEM;
		free(v->m.meta.partition_expr);
		v->m.meta.partition_expr = expr;
		return 0;
	case RHOOK_ACTION_EDIT:
		return apply_edit(v, &a->u.edit);
	case RHOOK_ACTION_REMOVE:
		v->removed = true;
		return 0;
	case RHOOK_ACTION_TRUNCATE:
		return apply_truncate(v, &a->u.truncate);
	}
	return lsm__fail(-EINVAL, "unknown action kind %u", (unsigned)a->kind);
}

int lsm__version_apply(const struct lsm__version *base, uint64_t version,
			 const struct rhook_action_list *actions, struct lsm__version **out)
{
	struct lsm__version *v = calloc(1, sizeof(*v));
	int err;

	if (!v)
		return -ENOMEM;
	err = lsm__manifest_copy(&v->m, &base->m);
	if (err) {
		free(v);
		return err;
	}
	v->has_compaction_time_window = base->has_compaction_time_window;
	v->compaction_time_window_s = base->compaction_time_window_s;
	v->removed = base->removed;
	for (size_t i = 0; i < actions->num_actions; i++) {
		err = apply_one(v, &actions->actions[i]);
		if (err) {
			lsm__version_free(v);
			return err;
		}
	}
	v->m.version = version;
	*out = v;
	return 0;
}

int lsm__version_snapshot(const struct lsm__version *v, struct rhook_action_list **out)
{
	struct rhook_action_list *list = rhook_action_list_new();
	struct rhook_action_change change = { .metadata = v->m.meta, .sst_format = v->m.meta.sst_format,
					       .append_mode = v->m.meta.append_mode };
	struct rhook_action_truncate trunc = { .kind = RHOOK_TRUNCATE_ALL,
					       .truncated_entry_id = v->m.truncated_entry_id,
					       .truncated_sequence = v->m.truncated_sequence };
	struct rhook_action_edit edit = {
		.files_to_add = v->m.files, .num_files_to_add = v->m.num_files,
		.has_compaction_time_window = v->has_compaction_time_window,
		.compaction_time_window_s = v->compaction_time_window_s,
		.has_flushed_entry_id = true, .flushed_entry_id = v->m.flushed_entry_id,
		.has_flushed_sequence = true, .flushed_sequence = v->m.flushed_sequence,
		.has_committed_sequence = true, .committed_sequence = v->m.committed_sequence,
	};
	int err;

	if (!list)
		return -ENOMEM;
	/* The truncation first: applied to nothing it only records the marks. */
	err = rhook_action_list_add_change(list, &change);
	if (!err && (v->m.truncated_entry_id || v->m.truncated_sequence))
		err = rhook_action_list_add_truncate(list, &trunc);
	if (!err)
		err = rhook_action_list_add_edit(list, &edit);
	if (!err && v->removed)
		err = rhook_action_list_add_remove(list, v->m.meta.region_id);
	if (err) {
		rhook_action_list_free(list);
		return err;
	}
	*out = list;
	return 0;
}
