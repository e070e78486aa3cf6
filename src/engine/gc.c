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
#include <sys/stat.h>
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
	uint64_t pass;
	struct lsm__removals rm;
};

/*
 * What on_files_removed says of SST @name, which GC is about to delete:
 * the retired entry (version and reason of its removal), else an orphan
 * (written, never committed) of which only the size is known.  Marks the
 * entry as found by this pass.  state_lock held.
 */
static void describe_locked(struct gc_data *g, const char *name, const rhook_file_id *id,
			    struct rhook_removed_file *f, enum rhook_remove_reason *reason)
{
	struct lsm__retired *t = lsm__retired_find_locked(g->region, id);
	struct stat st;

	if (t) {
		t->seen = g->pass;
		*f = t->f;
		*reason = t->reason;
		return;
	}
	*f = (struct rhook_removed_file){ .file_id = *id, .level = RHOOK_LEVEL_UNKNOWN };
	if (!fstatat(g->region->data_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		f->file_size = (uint64_t)st.st_size;
	*reason = RHOOK_REMOVE_ORPHAN;
}

/*
 * The LSM_FAULT_GC_LIVE failpoint: GC takes live SST @id for garbage,
 * the data-loss bug rhook-read check's removed-live-file rule exists to
 * catch.  Fills @f from the live metadata.  state_lock held.
 */
static bool injected_live_locked(struct lsm_region *r, const rhook_file_id *id, struct rhook_removed_file *f)
{
	const struct rhook_file_meta *fm = lsm__version_find(r->current, id);

	if (!fm || lsm__fault_hit(r->engine, LSM_FAULT_GC_LIVE) == 0)
		return false;
	*f = (struct rhook_removed_file){ .file_id = *id, .level = fm->level, .file_size = fm->file_size,
					  .index_file_size = fm->index_file_size, .num_rows = fm->num_rows };
	return true;
}

/*
 * Removes one data file unless it is needed.  The listing comes first,
 * then this check: a file created after the listing was registered as
 * pending before it.  A deleted SST is noted for on_files_removed (its
 * index files go in the same pass: nothing references them either).
 */
static int gc_data_file(const char *name, void *arg)
{
	struct gc_data *g = arg;
	struct rhook_removed_file f;
	enum rhook_remove_reason reason = RHOOK_REMOVE_ORPHAN;
	bool is_sst = strlen(name) == 40 && !strcmp(name + 36, ".sst");
	char s[RHOOK_FILE_ID_STRLEN];
	rhook_file_id id;
	bool needed;

	if (name[0] == '.')
		return 0;
	snprintf(s, sizeof(s), "%.36s", name);
	is_sst = is_sst && !rhook_file_id_parse(s, &id);
	pthread_mutex_lock(&g->region->state_lock);
	needed = needed_locked(g->region, name);
	if (is_sst && needed && injected_live_locked(g->region, &id, &f))
		needed = false;
	else if (is_sst)
		describe_locked(g, name, &id, &f, &reason);
	pthread_mutex_unlock(&g->region->state_lock);
	if (!needed && !unlinkat(g->region->data_fd, name, 0)) {
		g->removed++;
		if (is_sst)
			lsm__removals_add(&g->rm, &f, reason);
	}
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

/*
 * Any thread.  Holds the manifest mutex and LOCK_EX, so no writer of any
 * process runs meanwhile; the deleted SSTs are notified after the unlock.
 */
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
	pthread_mutex_lock(&r->state_lock);
	g.pass = ++r->gc_pass;
	pthread_mutex_unlock(&r->state_lock);
	err = lsm__fs_for_each(r->data_fd, gc_data_file, &g);
	local.files_removed = g.removed;
	/* Retired files this pass did not find are gone already (an earlier process purged them). */
	pthread_mutex_lock(&r->state_lock);
	if (!err)
		lsm__retired_prune_locked(r, g.pass);
	for (unsigned k = 0; k <= RHOOK_REMOVE_STAGING_ABORT; k++)
		for (size_t i = 0; i < g.rm.num[k]; i++)
			lsm__retired_remove_locked(r, &g.rm.files[k][i].file_id);
	pthread_mutex_unlock(&r->state_lock);
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
	/* After the deletes and their directory sync, outside the manifest mutex (contract §1). */
	lsm__removals_fire(r, &g.rm);
	if (stats)
		*stats = local;
	return err;
}

struct drop_data {
	struct lsm_region *region;
	struct rhook_removed_file *files;
	size_t num, cap;
	int err;
};

/* Notes SST @name before the drop deletes it: live metadata, a retired entry's, or its size. */
static int drop_note(const char *name, void *arg)
{
	struct drop_data *d = arg;
	char s[RHOOK_FILE_ID_STRLEN];
	const struct rhook_file_meta *fm;
	struct lsm__retired *t = NULL;
	struct rhook_removed_file *f;
	struct stat st;
	rhook_file_id id;

	snprintf(s, sizeof(s), "%.36s", name);
	if (strlen(name) != 40 || strcmp(name + 36, ".sst") || rhook_file_id_parse(s, &id))
		return 0;
	if (d->num == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;

		f = realloc(d->files, cap * sizeof(*f));
		if (!f)
			return d->err = -ENOMEM;
		d->files = f;
		d->cap = cap;
	}
	f = &d->files[d->num++];
	*f = (struct rhook_removed_file){ .file_id = id, .level = RHOOK_LEVEL_UNKNOWN };
	pthread_mutex_lock(&d->region->state_lock);
	if ((fm = lsm__version_find(d->region->current, &id)))
		*f = (struct rhook_removed_file){ .file_id = id, .level = fm->level, .file_size = fm->file_size,
						  .index_file_size = fm->index_file_size, .num_rows = fm->num_rows };
	else if ((t = lsm__retired_find_locked(d->region, &id)))
		*f = t->f;
	pthread_mutex_unlock(&d->region->state_lock);
	if (!fm && !t && !fstatat(d->region->data_fd, name, &st, AT_SYMLINK_NOFOLLOW))
		f->file_size = (uint64_t)st.st_size;
	return 0;
}

/*
 * Any thread; waits for the region's flush and compaction.  The handle is
 * DROPPED afterwards.  Every SST the drop deleted is notified (reason
 * drop) after the manifest mutex is dropped; a drop that failed half-way
 * notifies those that are gone.
 */
int lsm_region_drop(struct lsm_region *r)
{
	static const char *const parts[] = { "manifest", "staging", "data", "REGION", "FILES.lock", "LOCK" };
	struct drop_data d = { .region = r };
	struct lsm__removals rm = { 0 };
	char name[RHOOK_FILE_ID_STRLEN + 8];
	int err;

	pthread_mutex_lock(&r->flush_lock);
	pthread_mutex_lock(&r->compact_lock);
	rhook_manifest_lock(r->ctx);
	err = lsm__region_write_begin(r, LSM__LEADER_ONLY, "drop");
	if (err)
		goto unlock;
	lsm__region_set_role(r, LSM_ROLE_DROPPING);
	/* What data/ holds, before it goes: an incomplete list would hide deletions, so none without it. */
	err = lsm__fs_for_each(r->data_fd, drop_note, &d);
	if (!err && d.err)
		err = d.err;
	if (err) {
		lsm__fail(err, "%s: drop: listing data/: %s", r->dir, strerror(-err));
		lsm__region_set_role(r, LSM_ROLE_LEADER);
		flock(r->lock_fd, LOCK_UN);
		goto unlock;
	}
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
	/* data_fd still names the directory, removed or not: what it no longer holds was deleted. */
	for (size_t i = 0; i < d.num; i++) {
		rhook_file_id_format(&d.files[i].file_id, name);
		strcat(name, ".sst");
		if (faccessat(r->data_fd, name, F_OK, AT_SYMLINK_NOFOLLOW))
			lsm__removals_add(&rm, &d.files[i], RHOOK_REMOVE_DROP);
	}
unlock:
	rhook_manifest_unlock(r->ctx);
	pthread_mutex_unlock(&r->compact_lock);
	pthread_mutex_unlock(&r->flush_lock);
	/* With no lock of the region held: a hook may do anything but use the dropped region. */
	lsm__removals_fire(r, &rm);
	free(d.files);
	return err;
}
