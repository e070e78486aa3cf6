/*
 * alter.c - schema change (cause alter).
 */
#include <errno.h>

#include "region.h"
#include "util.h"

/* The new metadata must belong to this region and move the schema version forward. */
static int check_alter(const struct lsm__version *cur, const void *arg)
{
	const struct rhook_region_meta *meta = arg;

	if (meta->region_id != cur->m.meta.region_id)
		return lsm__fail(-EINVAL, "alter: metadata of region %llu given to region %llu",
				   (unsigned long long)meta->region_id, (unsigned long long)cur->m.meta.region_id);
	if (meta->schema_version <= cur->m.meta.schema_version)
		return lsm__fail(-EINVAL, "alter: schema version %llu does not follow %llu",
				   (unsigned long long)meta->schema_version,
				   (unsigned long long)cur->m.meta.schema_version);
	return 0;
}

/* Any thread. */
int lsm_region_alter(struct lsm_region *r, const struct rhook_region_meta *meta)
{
	struct rhook_action_change change = { .metadata = *meta, .sst_format = meta->sst_format,
					       .append_mode = meta->append_mode };
	struct rhook_action_list *list = rhook_action_list_new();
	int err = list ? rhook_action_list_add_change(list, &change) : -ENOMEM;

	if (err)
		err = lsm__fail(err, "alter: out of memory");
	else
		err = lsm__region_commit(r, list, RHOOK_CAUSE_ALTER, LSM__LEADER_ONLY, "alter", check_alter, meta,
					   NULL);
	rhook_action_list_free(list);
	return err;
}
