/*
 * rhook/static/dispatch.h - inline fast path of hook dispatch.
 *
 * Included by rhook/hook.h; do not include directly.  With no hook
 * registered, a dispatch is one relaxed load of the registry's set pointer
 * and one predictable branch, and, because these are macros, the
 * arguments are not evaluated.
 */
#ifndef RHOOK_STATIC_DISPATCH_H
#define RHOOK_STATIC_DISPATCH_H

#ifndef RHOOK_HOOK_H
#error "include <rhook/hook.h>, not <rhook/static/dispatch.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Leading member of struct rhook_registry, exposed for the fast path only.
 * @set is NULL exactly when no hook is registered; writers publish it
 * under the registry mutex, the slow path re-reads it under RCU.
 */
struct rhook__registry_head {
	void *set;
};

/*
 * Whether @reg had a hook at the moment of the load.  A relaxed load is
 * enough: a hook added concurrently may or may not be seen by this
 * dispatch either way; the slow path re-reads the set with acquire order.
 */
static inline bool rhook_registry_has_hooks(const struct rhook_registry *reg)
{
	const struct rhook__registry_head *head = (const struct rhook__registry_head *)(const void *)reg;

	return __atomic_load_n(&head->set, __ATOMIC_RELAXED) != NULL;
}

RHOOK_API void rhook__dispatch_sst_files_written_slow(struct rhook_registry *reg, rhook_region_id region_id,
						      const struct rhook_region_meta *region_meta,
						      const struct rhook_sst_file *files, size_t num_files);
RHOOK_API void rhook__dispatch_manifest_updated_slow(struct rhook_registry *reg, rhook_region_id region_id,
						     const struct rhook_action_list *actions, uint64_t version);
RHOOK_API void rhook__dispatch_files_removed_slow(struct rhook_registry *reg, rhook_region_id region_id,
						  const struct rhook_removed_file *files, size_t num_files,
						  enum rhook_remove_reason reason);

/* Calls every hook's on_sst_files_written; arguments evaluated only if one is registered. */
#define rhook_dispatch_sst_files_written(reg, region_id, region_meta, files, num_files)              \
	do {                                                                                         \
		struct rhook_registry *rhook__r = (reg);                                             \
		if (RHOOK_UNLIKELY(rhook_registry_has_hooks(rhook__r)))                              \
			rhook__dispatch_sst_files_written_slow(rhook__r, (region_id), (region_meta), \
							       (files), (num_files));                \
	} while (0)

/* Calls every hook's on_manifest_updated; arguments evaluated only if one is registered. */
#define rhook_dispatch_manifest_updated(reg, region_id, actions, version)                            \
	do {                                                                                         \
		struct rhook_registry *rhook__r = (reg);                                             \
		if (RHOOK_UNLIKELY(rhook_registry_has_hooks(rhook__r)))                              \
			rhook__dispatch_manifest_updated_slow(rhook__r, (region_id), (actions),      \
							      (version));                            \
	} while (0)

/*
 * Calls every hook's on_files_removed; arguments evaluated only if one is
 * registered.  Not under a manifest mutex: the deletion site
 * rhook_files_removed() checks that, then calls this.
 */
#define rhook_dispatch_files_removed(reg, region_id, files, num_files, reason)                       \
	do {                                                                                         \
		struct rhook_registry *rhook__r = (reg);                                             \
		if (RHOOK_UNLIKELY(rhook_registry_has_hooks(rhook__r)))                              \
			rhook__dispatch_files_removed_slow(rhook__r, (region_id), (files), (num_files), \
							   (reason));                                \
	} while (0)

#ifdef __cplusplus
}
#endif

#endif /* RHOOK_STATIC_DISPATCH_H */
