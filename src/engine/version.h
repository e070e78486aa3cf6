/*
 * version.h - a region's manifest state at one version (not installed).
 *
 * A version is immutable once installed: a write builds the next one by
 * applying an action list to a copy, and readers (scans, GC, hooks) hold
 * references to the one they started with.
 */
#ifndef RHOOK_ENGINE_VERSION_H
#define RHOOK_ENGINE_VERSION_H

#include "engine.h"

/* A file a version removed from the manifest, and why (for on_files_removed once it is purged). */
struct rhook__retired {
	struct rhook_removed_file f;    /* removed_version: the version that removed it */
	enum rhook_remove_reason reason;
	uint64_t seen;                  /* [region state lock] last GC pass that found its file */
};

struct rhook__version {
	struct rhook_region_manifest m;
	/*
	 * Files the actions applied to reach this version removed, oldest
	 * first; handed to the region when it is installed (region.c), empty
	 * afterwards.  Reasons: an edit with a compaction time window is a
	 * compaction's (the engine's compactions set one, ingestion does not),
	 * another edit's removals are EDIT's, a truncation's TRUNCATE.
	 */
	struct rhook__retired *retired;
	size_t num_retired;
	bool has_compaction_time_window;
	int64_t compaction_time_window_s;
	bool removed;                       /* a remove action was applied */
	unsigned refs;                      /* [region state lock] */
	struct rhook__version *prev, *next; /* [region state lock] the region's referenced versions */
};

/* The state before version 1: nothing. */
struct rhook__version *rhook__version_new_empty(void);
void rhook__version_free(struct rhook__version *v);

/*
 * Applies @actions to a copy of @base, producing version @version in
 * *out.  -ESTALE when the list refers to a file the state does not hold
 * (removed concurrently, or a damaged log), -EINVAL for a change of
 * another region, -ENOMEM; the message says which.  @base is unchanged.
 */
int rhook__version_apply(const struct rhook__version *base, uint64_t version,
			 const struct rhook_action_list *actions, struct rhook__version **out);

/* Moves @from's retired files ahead of @to's (a replay applying delta after delta); 0 or -ENOMEM. */
int rhook__version_inherit_retired(struct rhook__version *to, struct rhook__version *from);

/* The action list that rebuilds @v from nothing (a checkpoint's body); 0 or -ENOMEM. */
int rhook__version_snapshot(const struct rhook__version *v, struct rhook_action_list **out);

/* The live file @id, or NULL. */
const struct rhook_file_meta *rhook__version_find(const struct rhook__version *v, const rhook_file_id *id);

/* Deep copy of a manifest state; 0 or -ENOMEM. */
int rhook__manifest_copy(struct rhook_region_manifest *dst, const struct rhook_region_manifest *src);

#endif /* RHOOK_ENGINE_VERSION_H */
