/*
 * json_action.c - JSON encoding of action lists (the manifest log format).
 *
 *   {"format": 1, "actions": [{"<kind>": {...}}, ...]}
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/action.h>

#include "json.h"
#include "meta.h"
#include "validate.h"

#define ACTION_FORMAT 1

static json_t *files_to_json(const struct rhook_file_meta *files, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		if (json_array_append_new(a, rhook__file_meta_to_json(&files[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* Adds @key: @v to @obj when @present; returns non-zero on failure. */
static int set_if(json_t *obj, bool present, const char *key, json_t *v)
{
	if (!present) {
		json_decref(v);
		return 0;
	}
	return v ? json_object_set_new(obj, key, v) : -1;
}

static json_t *edit_to_json(const struct rhook_action_edit *ed)
{
	json_t *j = json_pack("{s:o, s:o, s:I}", "files_to_add", files_to_json(ed->files_to_add, ed->num_files_to_add),
			      "files_to_remove", files_to_json(ed->files_to_remove, ed->num_files_to_remove),
			      "timestamp_ms", (json_int_t)ed->timestamp_ms);

	if (j && (set_if(j, ed->has_compaction_time_window, "compaction_time_window_s",
			 json_integer(ed->compaction_time_window_s)) ||
		  set_if(j, ed->has_flushed_entry_id, "flushed_entry_id", rhook__json_u64(ed->flushed_entry_id)) ||
		  set_if(j, ed->has_flushed_sequence, "flushed_sequence", rhook__json_u64(ed->flushed_sequence)) ||
		  set_if(j, ed->has_committed_sequence, "committed_sequence",
			 rhook__json_u64(ed->committed_sequence)))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *action_to_json(const struct rhook_action *a)
{
	json_t *body = NULL;

	switch (a->kind) {
	case RHOOK_ACTION_CHANGE:
		body = json_pack("{s:o, s:s, s:b}", "metadata", rhook__region_meta_to_json_obj(&a->u.change.metadata),
				 "sst_format", rhook_sst_format_name(a->u.change.sst_format), "append_mode",
				 (int)a->u.change.append_mode);
		break;
	case RHOOK_ACTION_PARTITION_EXPR_CHANGE:
		body = json_pack("{s:s?}", "partition_expr", a->u.partition_expr_change.partition_expr);
		break;
	case RHOOK_ACTION_EDIT:
		body = edit_to_json(&a->u.edit);
		break;
	case RHOOK_ACTION_REMOVE:
		body = json_pack("{s:o}", "region_id", rhook__json_u64(a->u.remove.region_id));
		break;
	case RHOOK_ACTION_TRUNCATE: {
		const struct rhook_action_truncate *t = &a->u.truncate;

		if (t->kind == RHOOK_TRUNCATE_ALL)
			body = json_pack("{s:s, s:o, s:o, s:I}", "kind", "all", "truncated_entry_id",
					 rhook__json_u64(t->truncated_entry_id), "truncated_sequence",
					 rhook__json_u64(t->truncated_sequence), "timestamp_ms",
					 (json_int_t)t->timestamp_ms);
		else
			body = json_pack("{s:s, s:o, s:I}", "kind", "files", "files", files_to_json(t->files, t->num_files),
					 "timestamp_ms", (json_int_t)t->timestamp_ms);
		break;
	}
	}
	if (!body)
		return NULL;
	return json_pack("{s:o}", rhook_action_kind_name(a->kind), body);
}

int rhook_action_list_to_json(const struct rhook_action_list *list, char **out, size_t *len)
{
	json_t *actions;
	int err = rhook__action_list_check(list);

	/* Only what the decoder reads back identically is encoded. */
	if (err)
		return err;
	actions = json_array();

	for (size_t i = 0; actions && i < list->num_actions; i++) {
		if (json_array_append_new(actions, action_to_json(&list->actions[i]))) {
			json_decref(actions);
			actions = NULL;
		}
	}
	if (!actions)
		return -ENOMEM;
	return rhook__json_dump(json_pack("{s:i, s:o}", "format", ACTION_FORMAT, "actions", actions), out, len);
}

static int files_from_json(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
			   struct rhook_file_meta **files, size_t *n)
{
	const json_t *a = json_object_get(obj, key);
	char sub[RHOOK__JPATH_MAX];
	int err;

	*files = NULL;
	*n = 0;
	if (!json_is_array(a))
		return rhook__jfail(e, path, key, a ? "expected an array" : "missing");
	if (!json_array_size(a))
		return 0;
	*files = calloc(json_array_size(a), sizeof(**files));
	if (!*files)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(a); i++) {
		rhook__jpath(sub, "%s.%s[%zu]", path, key, i);
		err = rhook__file_meta_from_json(e, json_array_get(a, i), sub, &(*files)[i]);
		if (err) {
			rhook__file_meta_array_free(*files, i);
			*files = NULL;
			return err;
		}
	}
	*n = json_array_size(a);
	return 0;
}

static const char *sst_format_of(int i)
{
	return rhook_sst_format_name((enum rhook_sst_format)i);
}

static int change_from_json(struct rhook__jerr *e, const json_t *j, const char *path, struct rhook_action_change *c)
{
	static const char *const keys[] = { "metadata", "sst_format", "append_mode", NULL };
	const json_t *md = json_object_get(j, "metadata");
	char sub[RHOOK__JPATH_MAX];
	int fmt, err;

	if ((err = rhook__jcheck_keys(e, j, path, keys)))
		return err;
	if (!md)
		return rhook__jfail(e, path, "metadata", "missing");
	rhook__jpath(sub, "%s.metadata", path);
	if ((err = rhook__region_meta_from_json_obj(e, md, sub, &c->metadata)))
		return err;
	if ((err = rhook__jget_enum(e, j, path, "sst_format", sst_format_of, 2, &fmt)) ||
	    (err = rhook__jget_bool(e, j, path, "append_mode", &c->append_mode))) {
		rhook_region_meta_clear(&c->metadata);
		return err;
	}
	c->sst_format = (enum rhook_sst_format)fmt;
	return 0;
}

static int edit_from_json(struct rhook__jerr *e, const json_t *j, const char *path, struct rhook_action_edit *ed)
{
	static const char *const keys[] = { "files_to_add", "files_to_remove", "timestamp_ms",
					    "compaction_time_window_s", "flushed_entry_id", "flushed_sequence",
					    "committed_sequence", NULL };
	int err;

	if ((err = rhook__jcheck_keys(e, j, path, keys)) ||
	    (err = rhook__jget_i64(e, j, path, "timestamp_ms", true, NULL, &ed->timestamp_ms)) ||
	    (err = rhook__jget_i64(e, j, path, "compaction_time_window_s", false, &ed->has_compaction_time_window,
				   &ed->compaction_time_window_s)) ||
	    (err = rhook__jget_u64(e, j, path, "flushed_entry_id", false, &ed->has_flushed_entry_id,
				   &ed->flushed_entry_id)) ||
	    (err = rhook__jget_u64(e, j, path, "flushed_sequence", false, &ed->has_flushed_sequence,
				   &ed->flushed_sequence)) ||
	    (err = rhook__jget_u64(e, j, path, "committed_sequence", false, &ed->has_committed_sequence,
				   &ed->committed_sequence)))
		return err;
	err = files_from_json(e, j, path, "files_to_add", &ed->files_to_add, &ed->num_files_to_add);
	if (err)
		return err;
	err = files_from_json(e, j, path, "files_to_remove", &ed->files_to_remove, &ed->num_files_to_remove);
	if (err) {
		rhook__file_meta_array_free(ed->files_to_add, ed->num_files_to_add);
		ed->files_to_add = NULL;
		ed->num_files_to_add = 0;
	}
	return err;
}

static int truncate_from_json(struct rhook__jerr *e, const json_t *j, const char *path, struct rhook_action_truncate *t)
{
	static const char *const all_keys[] = { "kind", "truncated_entry_id", "truncated_sequence", "timestamp_ms", NULL };
	static const char *const files_keys[] = { "kind", "files", "timestamp_ms", NULL };
	const char *kind = json_string_value(json_object_get(j, "kind"));
	int err;

	if (!kind)
		return rhook__jfail(e, path, "kind", "expected \"all\" or \"files\"");
	if ((err = rhook__jget_i64(e, j, path, "timestamp_ms", true, NULL, &t->timestamp_ms)))
		return err;
	if (!strcmp(kind, "all")) {
		t->kind = RHOOK_TRUNCATE_ALL;
		if ((err = rhook__jcheck_keys(e, j, path, all_keys)) ||
		    (err = rhook__jget_u64(e, j, path, "truncated_entry_id", true, NULL, &t->truncated_entry_id)) ||
		    (err = rhook__jget_u64(e, j, path, "truncated_sequence", true, NULL, &t->truncated_sequence)))
			return err;
		return 0;
	}
	if (!strcmp(kind, "files")) {
		t->kind = RHOOK_TRUNCATE_FILES;
		if ((err = rhook__jcheck_keys(e, j, path, files_keys)))
			return err;
		return files_from_json(e, j, path, "files", &t->files, &t->num_files);
	}
	return rhook__jfail(e, path, "kind", "expected \"all\" or \"files\"");
}

/* Decodes one {"<kind>": {...}} object into @a (zeroed on entry). */
static int action_from_json(struct rhook__jerr *e, const json_t *j, const char *path, struct rhook_action *a)
{
	static const char *const kinds[] = { "change", "partition_expr_change", "edit", "remove", "truncate" };
	const char *key;
	const json_t *body;
	char sub[RHOOK__JPATH_MAX];
	size_t k;
	int err;

	if (!json_is_object(j) || json_object_size(j) != 1)
		return rhook__jfail(e, path, NULL, "expected an object with exactly one action kind");
	key = json_object_iter_key(json_object_iter((json_t *)j));
	body = json_object_get(j, key);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(key, kinds[k]))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return rhook__jfail(e, path, key, "unknown action kind");
	rhook__jpath(sub, "%s.%s", path, key);
	if (!json_is_object(body))
		return rhook__jfail(e, sub, NULL, "expected an object");
	a->kind = (enum rhook_action_kind)(1u << k);
	switch (a->kind) {
	case RHOOK_ACTION_CHANGE:
		return change_from_json(e, body, sub, &a->u.change);
	case RHOOK_ACTION_PARTITION_EXPR_CHANGE: {
		static const char *const keys[] = { "partition_expr", NULL };

		if ((err = rhook__jcheck_keys(e, body, sub, keys)))
			return err;
		return rhook__jget_str(e, body, sub, "partition_expr", false,
				       &a->u.partition_expr_change.partition_expr);
	}
	case RHOOK_ACTION_EDIT:
		return edit_from_json(e, body, sub, &a->u.edit);
	case RHOOK_ACTION_REMOVE: {
		static const char *const keys[] = { "region_id", NULL };

		if ((err = rhook__jcheck_keys(e, body, sub, keys)))
			return err;
		return rhook__jget_u64(e, body, sub, "region_id", true, NULL, &a->u.remove.region_id);
	}
	case RHOOK_ACTION_TRUNCATE:
		return truncate_from_json(e, body, sub, &a->u.truncate);
	}
	return -EINVAL;
}

int rhook_action_list_from_json(const char *buf, size_t len, struct rhook_action_list **out, char *err_buf,
				size_t err_size)
{
	static const char *const keys[] = { "format", "actions", NULL };
	struct rhook__jerr e = { err_buf, err_size };
	struct rhook_action_list *list = NULL;
	const json_t *actions;
	json_t *root;
	uint64_t format;
	int err;

	err = rhook__json_load(&e, buf, len, &root);
	if (err)
		return err;
	if ((err = rhook__jcheck_keys(&e, root, "", keys)) ||
	    (err = rhook__jget_u64(&e, root, "", "format", true, NULL, &format)))
		goto out;
	if (format != ACTION_FORMAT) {
		err = rhook__jfail(&e, "", "format", "unsupported version");
		goto out;
	}
	actions = json_object_get(root, "actions");
	if (!json_is_array(actions)) {
		err = rhook__jfail(&e, "", "actions", actions ? "expected an array" : "missing");
		goto out;
	}
	list = rhook_action_list_new();
	if (!list || (json_array_size(actions) &&
		      !(list->actions = calloc(json_array_size(actions), sizeof(*list->actions))))) {
		err = -ENOMEM;
		goto out;
	}
	list->capacity = json_array_size(actions);
	for (size_t i = 0; i < json_array_size(actions); i++) {
		char path[32];

		snprintf(path, sizeof(path), "actions[%zu]", i);
		/* Count the slot first: the free below releases what was decoded. */
		list->num_actions = i + 1;
		err = action_from_json(&e, json_array_get(actions, i), path, &list->actions[i]);
		if (!err)
			err = rhook__validate_action(&e, path, &list->actions[i]);
		if (err)
			goto out;
	}
	*out = list;
	list = NULL;
out:
	rhook_action_list_free(list);
	json_decref(root);
	return err;
}
