/*
 * removal.c - what the engine tells on_files_removed: the files a
 * committed version removed from the manifest (kept until GC purges
 * them), and the deletions of one operation gathered under its locks and
 * notified after them (contract §1: after the physical delete, never
 * under the manifest mutex).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"

void lsm__removals_add(struct lsm__removals *rm, const struct rhook_removed_file *f,
			 enum rhook_remove_reason reason)
{
	size_t n = rm->num[reason];

	if (n == rm->cap[reason]) {
		size_t cap = n ? 2 * n : 8;
		struct rhook_removed_file *a = realloc(rm->files[reason], cap * sizeof(*a));

		if (!a) {
			rm->lost = true;
			return;
		}
		rm->files[reason] = a;
		rm->cap[reason] = cap;
	}
	rm->files[reason][rm->num[reason]++] = *f;
}

void lsm__removals_fire(struct lsm_region *r, struct lsm__removals *rm)
{
	for (unsigned k = 0; k <= RHOOK_REMOVE_STAGING_ABORT; k++) {
		/* -EDEADLK only if a caller broke the rule above: an engine bug, said loudly. */
		if (rm->num[k] &&
		    rhook_files_removed(r->engine->registry, r->id, rm->files[k], rm->num[k], (enum rhook_remove_reason)k))
			fprintf(stderr, "rhook engine: %s: BUG: %zu deletions notified under a manifest mutex, refused\n",
				r->dir, rm->num[k]);
		free(rm->files[k]);
	}
	if (rm->lost)
		fprintf(stderr, "rhook engine: %s: out of memory: some deleted files were not notified\n", r->dir);
	memset(rm, 0, sizeof(*rm));
}

void lsm__retired_adopt_locked(struct lsm_region *r, struct lsm__version *v)
{
	enum lsm_region_role role = (enum lsm_region_role)atomic_load_explicit(&r->role, memory_order_relaxed);
	struct lsm__retired *a;

	if (!v->num_retired)
		return;
	/*
	 * Only a leader purges (GC is leader-only): a follower or compactor
	 * that kept the table would grow it for nothing.  A follower promoted
	 * later reports the files removed before its promotion as orphans.
	 */
	if (role == LSM_ROLE_FOLLOWER || role == LSM_ROLE_COMPACTOR) {
		free(v->retired);
		v->retired = NULL;
		v->num_retired = 0;
		return;
	}
	a = realloc(r->retired, (r->num_retired + v->num_retired) * sizeof(*a));
	if (a) {
		/* Without memory the files are purged all the same, reported as orphans. */
		memcpy(a + r->num_retired, v->retired, v->num_retired * sizeof(*a));
		r->retired = a;
		r->num_retired += v->num_retired;
	}
	free(v->retired);
	v->retired = NULL;
	v->num_retired = 0;
}

struct lsm__retired *lsm__retired_find_locked(struct lsm_region *r, const rhook_file_id *id)
{
	/* Newest first: a file removed, added again (a copy back) and removed again reports the last. */
	for (size_t i = r->num_retired; i-- > 0;)
		if (rhook_file_id_equal(&r->retired[i].f.file_id, id))
			return &r->retired[i];
	return NULL;
}

void lsm__retired_add_locked(struct lsm_region *r, const struct rhook_file_meta *fm, uint64_t version,
			       enum rhook_remove_reason reason)
{
	struct lsm__retired *a = realloc(r->retired, (r->num_retired + 1) * sizeof(*a));

	if (!a)
		return; /* reported as an orphan when purged */
	r->retired = a;
	a[r->num_retired++] = (struct lsm__retired){
		.f = { .file_id = fm->file_id, .level = fm->level, .file_size = fm->file_size,
		       .index_file_size = fm->index_file_size, .num_rows = fm->num_rows,
		       .removed_version = version },
		.reason = reason,
		.seen = r->gc_pass,
	};
}

void lsm__retired_prune_locked(struct lsm_region *r, uint64_t pass)
{
	size_t n = 0;

	for (size_t i = 0; i < r->num_retired; i++)
		if (r->retired[i].seen == pass)
			r->retired[n++] = r->retired[i];
	r->num_retired = n;
}

void lsm__retired_remove_locked(struct lsm_region *r, const rhook_file_id *id)
{
	size_t n = 0;

	for (size_t i = 0; i < r->num_retired; i++)
		if (!rhook_file_id_equal(&r->retired[i].f.file_id, id))
			r->retired[n++] = r->retired[i];
	r->num_retired = n;
}
