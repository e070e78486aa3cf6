/*
 * action.c - action lists: building, deep copy, release.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/action.h>

#include "meta.h"
#include "validate.h"

struct rhook_action_list *rhook_action_list_new(void)
{
	return calloc(1, sizeof(struct rhook_action_list));
}

static void action_clear(struct rhook_action *a)
{
	switch (a->kind) {
	case RHOOK_ACTION_CHANGE:
		rhook_region_meta_clear(&a->u.change.metadata);
		break;
	case RHOOK_ACTION_PARTITION_EXPR_CHANGE:
		free(a->u.partition_expr_change.partition_expr);
		break;
	case RHOOK_ACTION_EDIT:
		rhook__file_meta_array_free(a->u.edit.files_to_add, a->u.edit.num_files_to_add);
		rhook__file_meta_array_free(a->u.edit.files_to_remove, a->u.edit.num_files_to_remove);
		break;
	case RHOOK_ACTION_TRUNCATE:
		rhook__file_meta_array_free(a->u.truncate.files, a->u.truncate.num_files);
		break;
	case RHOOK_ACTION_REMOVE:
		break;
	}
	memset(a, 0, sizeof(*a));
}

void rhook_action_list_free(struct rhook_action_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->num_actions; i++)
		action_clear(&list->actions[i]);
	free(list->actions);
	free(list);
}

static int action_copy(struct rhook_action *dst, const struct rhook_action *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->kind = src->kind;
	switch (src->kind) {
	case RHOOK_ACTION_CHANGE:
		dst->u.change = src->u.change;
		if (rhook_region_meta_copy(&dst->u.change.metadata, &src->u.change.metadata))
			goto nomem;
		return 0;
	case RHOOK_ACTION_PARTITION_EXPR_CHANGE:
		if (rhook__strdup_opt(&dst->u.partition_expr_change.partition_expr,
				      src->u.partition_expr_change.partition_expr))
			goto nomem;
		return 0;
	case RHOOK_ACTION_EDIT: {
		const struct rhook_action_edit *se = &src->u.edit;
		struct rhook_action_edit *de = &dst->u.edit;

		*de = *se;
		de->files_to_add = NULL;
		de->files_to_remove = NULL;
		de->num_files_to_remove = 0;
		if (rhook__file_meta_array_copy(&de->files_to_add, se->files_to_add, se->num_files_to_add)) {
			de->num_files_to_add = 0;
			goto nomem;
		}
		if (rhook__file_meta_array_copy(&de->files_to_remove, se->files_to_remove,
						se->num_files_to_remove))
			goto nomem;
		de->num_files_to_remove = se->num_files_to_remove;
		return 0;
	}
	case RHOOK_ACTION_REMOVE:
		dst->u.remove = src->u.remove;
		return 0;
	case RHOOK_ACTION_TRUNCATE:
		dst->u.truncate = src->u.truncate;
		dst->u.truncate.files = NULL;
		if (rhook__file_meta_array_copy(&dst->u.truncate.files, src->u.truncate.files,
						src->u.truncate.num_files)) {
			dst->u.truncate.num_files = 0;
			goto nomem;
		}
		return 0;
	}
	return -EINVAL;
nomem:
	action_clear(dst);
	return -ENOMEM;
}

static int reserve(struct rhook_action_list *list, size_t extra)
{
	size_t need = list->num_actions + extra;
	size_t cap = list->capacity ? list->capacity : 4;
	struct rhook_action *a;

	if (need <= list->capacity)
		return 0;
	while (cap < need)
		cap *= 2;
	a = realloc(list->actions, cap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	list->actions = a;
	list->capacity = cap;
	return 0;
}

/* Appends a deep copy of @src after checking it against the rule (validate.h). */
static int push_copy(struct rhook_action_list *list, const struct rhook_action *src)
{
	int err;

	if (!list)
		return -EINVAL;
	err = rhook__action_check(list->num_actions, src);
	if (err)
		return err;
	err = reserve(list, 1);
	if (err)
		return err;
	err = action_copy(&list->actions[list->num_actions], src);
	if (err)
		return err;
	list->num_actions++;
	return 0;
}

int rhook_action_list_extend(struct rhook_action_list *dst, const struct rhook_action_list *src)
{
	size_t base = dst->num_actions;
	int err = reserve(dst, src->num_actions);

	if (err)
		return err;
	for (size_t i = 0; i < src->num_actions; i++) {
		err = action_copy(&dst->actions[base + i], &src->actions[i]);
		if (err) {
			while (i--)
				action_clear(&dst->actions[base + i]);
			return err;
		}
	}
	dst->num_actions = base + src->num_actions;
	return 0;
}

int rhook_action_list_copy(const struct rhook_action_list *src, struct rhook_action_list **out)
{
	struct rhook_action_list *list = rhook_action_list_new();
	int err;

	if (!list)
		return -ENOMEM;
	err = rhook_action_list_extend(list, src);
	if (err) {
		rhook_action_list_free(list);
		return err;
	}
	*out = list;
	return 0;
}

int rhook_action_list_add_change(struct rhook_action_list *list, const struct rhook_action_change *change)
{
	struct rhook_action a = { .kind = RHOOK_ACTION_CHANGE };

	if (!change)
		return -EINVAL;
	a.u.change = *change;
	return push_copy(list, &a);
}

int rhook_action_list_add_partition_expr_change(struct rhook_action_list *list, const char *partition_expr)
{
	struct rhook_action a = { .kind = RHOOK_ACTION_PARTITION_EXPR_CHANGE };

	/* The copy duplicates the string; the cast only fills the template. */
	a.u.partition_expr_change.partition_expr = (char *)partition_expr;
	return push_copy(list, &a);
}

int rhook_action_list_add_edit(struct rhook_action_list *list, const struct rhook_action_edit *edit)
{
	struct rhook_action a = { .kind = RHOOK_ACTION_EDIT };

	if (!edit)
		return -EINVAL;
	a.u.edit = *edit;
	return push_copy(list, &a);
}

int rhook_action_list_add_remove(struct rhook_action_list *list, rhook_region_id region_id)
{
	struct rhook_action a = { .kind = RHOOK_ACTION_REMOVE };

	a.u.remove.region_id = region_id;
	return push_copy(list, &a);
}

int rhook_action_list_add_truncate(struct rhook_action_list *list, const struct rhook_action_truncate *truncate)
{
	struct rhook_action a = { .kind = RHOOK_ACTION_TRUNCATE };

	if (!truncate)
		return -EINVAL;
	a.u.truncate = *truncate;
	return push_copy(list, &a);
}

uint32_t rhook_action_list_kinds(const struct rhook_action_list *list)
{
	uint32_t kinds = 0;

	for (size_t i = 0; i < list->num_actions; i++)
		kinds |= (uint32_t)list->actions[i].kind;
	return kinds;
}

const char *rhook_action_kind_name(enum rhook_action_kind kind)
{
	switch (kind) {
	case RHOOK_ACTION_CHANGE:
		return "change";
	case RHOOK_ACTION_PARTITION_EXPR_CHANGE:
		return "partition_expr_change";
	case RHOOK_ACTION_EDIT:
		return "edit";
	case RHOOK_ACTION_REMOVE:
		return "remove";
	case RHOOK_ACTION_TRUNCATE:
		return "truncate";
	}
	return NULL;
}
