/*
 * version.h - a region's manifest state at one version (not installed).
 *
 * A version is immutable once installed: a write builds the next one by
 * applying an action list to a copy, and readers (scans, GC, hooks) hold
 * references to the one they started with.
 */
#ifndef LSM_VERSION_H
#define LSM_VERSION_H

#include "engine.h"

struct lsm__version {
	struct lsm_region_manifest m;
	bool has_compaction_time_window;
	int64_t compaction_time_window_s;
	bool removed;                       /* a remove action was applied */
	unsigned refs;                      /* [region state lock] */
	struct lsm__version *prev, *next; /* [region state lock] the region's referenced versions */
};

/* The state before version 1: nothing. */
struct lsm__version *lsm__version_new_empty(void);
void lsm__version_free(struct lsm__version *v);

/*
 * Applies @actions to a copy of @base, producing version @version in
 * *out.  -ESTALE when the list refers to a file the state does not hold
 * (removed concurrently, or a damaged log), -EINVAL for a change of
 * another region, -ENOMEM; the message says which.  @base is unchanged.
 */
int lsm__version_apply(const struct lsm__version *base, uint64_t version,
			 const struct rhook_action_list *actions, struct lsm__version **out);

/* The action list that rebuilds @v from nothing (a checkpoint's body); 0 or -ENOMEM. */
int lsm__version_snapshot(const struct lsm__version *v, struct rhook_action_list **out);

/* The live file @id, or NULL. */
const struct rhook_file_meta *lsm__version_find(const struct lsm__version *v, const rhook_file_id *id);

/* Deep copy of a manifest state; 0 or -ENOMEM. */
int lsm__manifest_copy(struct lsm_region_manifest *dst, const struct lsm_region_manifest *src);

#endif /* LSM_VERSION_H */
