/*
 * gc.c - checkpoint, garbage collection and drop: bookkeeping that goes
 * around the hooks on purpose (no logical change).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "index.h"
#include "log.h"
#include "region.h"
#include "util.h"

#define DROPPED_FILE "DROPPED"

/* Any thread. */
int lsm_region_checkpoint(struct lsm_region *r)
{
	int err;

	rhook_manifest_lock(r->ctx);
	err = lsm__region_write_begin(r, LSM__LEADER_ONLY, "checkpoint");
	if (!err) {
		err = lsm__region_checkpoint_locked(r);
		flock(r->lock_fd, LOCK_UN);
	}
	rhook_manifest_unlock(r->ctx);
	return err;
}

/*
 * Whether data file @name is still needed: an SST of a referenced version
 * or a pending write, or the index of one at the referenced index version
 * (or a name the engine does not make).
 * state_lock held.
 */
static bool needed_locked(struct lsm_region *r, const char *name)
{
	char s[RHOOK_FILE_ID_STRLEN], idx[LSM__INDEX_NAME_MAX];
	bool is_sst = strlen(name) == 40 && !strcmp(name + 36, ".sst");
	rhook_file_id id;

	snprintf(s, sizeof(s), "%.36s", name);
	if (rhook_file_id_parse(s, &id))
		return true; /* not a file of ours: left alone */
	for (size_t i = 0; i < r->num_pending; i++)
		if (rhook_file_id_equal(&r->pending[i], &id))
			return true;
	for (const struct lsm__version *v = r->versions.next; v != &r->versions; v = v->next) {
		const struct rhook_file_meta *fm = lsm__version_find(v, &id);

		if (!fm)
			continue;
		if (is_sst)
			return true;
		lsm__index_name(&id, fm->index_version, idx);
		if (fm->available_indexes && !strcmp(idx, name))
			return true;
	}
	return false;
}

struct gc_data {
	struct lsm_region *region;
	size_t removed;
};

/*
 * Removes one data file unless it is needed.  The listing comes first,
 * then this check: a file created after the listing was registered as
 * pending before it.
 */
static int gc_data_file(const char *name, void *arg)
{
	struct gc_data *g = arg;
	bool needed;

	if (name[0] == '.')
		return 0;
	pthread_mutex_lock(&g->region->state_lock);
	needed = needed_locked(g->region, name);
	pthread_mutex_unlock(&g->region->state_lock);
	if (!needed && !unlinkat(g->region->data_fd, name, 0))
		g->removed++;
	return 0;
}

/* Deltas and checkpoints the last checkpoint made redundant, and temporary files. */
static int gc_manifest(struct lsm_region *r, size_t *removed)
{
	struct lsm__log_listing l;
	char name[LSM__LOG_NAME_MAX];
	int err = lsm__log_list(r->manifest_fd, r->dir, &l);

	if (err)
		return err;
	for (size_t i = 0; i < l.num_deltas && r->checkpoint_version; i++) {
		lsm__log_name(l.deltas[i], false, name);
		if (l.deltas[i] <= r->checkpoint_version && !unlinkat(r->manifest_fd, name, 0))
			(*removed)++;
	}
	for (size_t i = 0; i < l.num_checkpoints; i++) {
		lsm__log_name(l.checkpoints[i], true, name);
		if (l.checkpoints[i] < r->checkpoint_version && !unlinkat(r->manifest_fd, name, 0))
			(*removed)++;
	}
	for (size_t i = 0; i < l.num_temps; i++)
		unlinkat(r->manifest_fd, l.temps[i], 0);
	lsm__log_listing_free(&l);
	return 0;
}

/* Any thread.  Holds the manifest mutex and LOCK_EX, so no writer of any process runs meanwhile. */
int lsm_region_gc(struct lsm_region *r, struct lsm_gc_stats *stats)
{
	struct lsm_gc_stats local = { 0 };
	struct gc_data g = { .region = r };
	int err;

	rhook_manifest_lock(r->ctx);
	/* Caught up first: files another process just committed must count as referenced. */
	err = lsm__region_write_begin(r, LSM__LEADER_ONLY, "gc");
	if (err)
		goto unlock;
	if (flock(r->files_lock_fd, LOCK_EX | LOCK_NB)) {
		err = lsm__fail(-EBUSY, "%s: gc: a remote compaction holds uncommitted files; try again later",
				  r->dir);
		goto end;
	}
	err = lsm__fs_for_each(r->data_fd, gc_data_file, &g);
	local.files_removed = g.removed;
	if (!err)
		err = gc_manifest(r, &local.deltas_removed);
	else
		lsm__fail(err, "%s/data: gc: %s", r->dir, strerror(-err));
	flock(r->files_lock_fd, LOCK_UN);
	if (!err && ((err = lsm__fs_sync_dir(r->data_fd)) || (err = lsm__fs_sync_dir(r->manifest_fd))))
		lsm__fail(err, "%s: gc: %s", r->dir, strerror(-err));
end:
	flock(r->lock_fd, LOCK_UN);
unlock:
	rhook_manifest_unlock(r->ctx);
	if (stats)
		*stats = local;
	return err;
}

/* Any thread; waits for the region's flush and compaction.  The handle is DROPPED afterwards. */
int lsm_region_drop(struct lsm_region *r)
{
	static const char *const parts[] = { "manifest", "staging", "data", "REGION", "FILES.lock", "LOCK" };
	int err;

	pthread_mutex_lock(&r->flush_lock);
	pthread_mutex_lock(&r->compact_lock);
	rhook_manifest_lock(r->ctx);
	err = lsm__region_write_begin(r, LSM__LEADER_ONLY, "drop");
	if (err)
		goto unlock;
	lsm__region_set_role(r, LSM_ROLE_DROPPING);
	/* The marker first: a crash half-way leaves a region that refuses to open, not a damaged one. */
	err = lsm__fs_write_atomic(r->dir_fd, DROPPED_FILE, "dropped\n", 8, false);
	for (size_t i = 0; !err && i < sizeof(parts) / sizeof(parts[0]); i++)
		err = lsm__fs_remove_tree(r->dir_fd, parts[i]);
	if (!err && unlinkat(r->dir_fd, DROPPED_FILE, 0))
		err = -errno;
	if (!err && rmdir(r->dir))
		err = -errno;
	/* A failed drop stays DROPPING: part of the region may be gone already. */
	if (err)
		lsm__fail(err, "%s: drop: %s", r->dir, strerror(-err));
	else
		lsm__region_set_role(r, LSM_ROLE_DROPPED);
	flock(r->lock_fd, LOCK_UN);
unlock:
	rhook_manifest_unlock(r->ctx);
	pthread_mutex_unlock(&r->compact_lock);
	pthread_mutex_unlock(&r->flush_lock);
	return err;
}
