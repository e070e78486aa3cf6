/*
 * store_nothing.h - a manifest store that keeps nothing, for tests that
 * need manifest writes (and their events, receipts, hooks) but no storage.
 */
#ifndef RHOOK_TESTS_STORE_NOTHING_H
#define RHOOK_TESTS_STORE_NOTHING_H

#include <rhook/manifest.h>

/* Every write succeeds and is forgotten. */
static inline int rt_persist_nothing(void *store, rhook_region_id region_id, uint64_t version,
					   const struct rhook_action_list *actions, const char *json, size_t json_len)
{
	(void)store;
	(void)region_id;
	(void)version;
	(void)actions;
	(void)json;
	(void)json_len;
	return 0;
}

static const struct rhook_manifest_store_ops rt_store_nothing __attribute__((unused)) = {
	.size = sizeof(rt_store_nothing), .persist = rt_persist_nothing
};

#endif /* RHOOK_TESTS_STORE_NOTHING_H */
