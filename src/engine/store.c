/*
 * store.c - the region's manifest store: persisting a logical write
 * (the rhook manifest context calls lsm__region_persist under the
 * manifest mutex), replaying the log, catching up on other processes'
 * writes, checkpoints, and the commit sequence every operation uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "log.h"
#include "region.h"
#include "util.h"

/* What a replay saw of the live log. */
struct replay {
	const char *where;
	bool pointer;                     /* _last_checkpoint was there */
	struct lsm__log_pointer newest; /* the newest delta applied (version 0: none) */
	struct lsm__log_pointer named;  /* the delta _latest names, if applied (version 0: not seen) */
	uint64_t latest;                  /* the version _latest names */
};

/* Applies the checkpoint or delta @version on top of *state (consumed). */
static int load_one(int fd, struct replay *rp, uint64_t version, bool checkpoint, struct lsm__version **state)
{
	struct rhook_action_list *list = NULL;
	struct lsm__version *next;
	const char *where = rp->where;
	char name[LSM__LOG_NAME_MAX], missing[LSM__LOG_NAME_MAX];
	uint64_t prev, size, hash, at = (*state)->m.version;
	int err;

	lsm__log_name(version, checkpoint, name);
	err = lsm__log_read(fd, where, name, version, &prev, &list, &size, &hash);
	if (err)
		return err == -ENOENT ? -EBADMSG : err;
	if (!checkpoint && prev != at) {
		rhook_action_list_free(list);
		lsm__log_name(prev, false, missing);
		/* Versions may skip, but a delta names the one it follows: that one is gone. */
		if (at == 0 && !rp->pointer)
			return lsm__fail(-EBADMSG,
					   "%s/_last_checkpoint: missing: the oldest delta %s follows version %llu, which "
					   "only a checkpoint holds",
					   where, name, (unsigned long long)prev);
		if (prev > at)
			return lsm__fail(-EBADMSG, "%s/%s: missing: %s follows version %llu, but the log before it ends "
					   "at version %llu",
					   where, missing, name, (unsigned long long)prev, (unsigned long long)at);
		return lsm__fail(-EBADMSG, "%s/%s: follows version %llu, but the log is already at version %llu "
				   "(a delta out of place)",
				   where, name, (unsigned long long)prev, (unsigned long long)at);
	}
	err = lsm__version_apply(*state, version, list, &next);
	rhook_action_list_free(list);
	if (err == -ENOMEM)
		return err;
	if (err)
		return lsm__fail(-EBADMSG, "%s/%s: does not apply to version %llu: %s", where, name,
				   (unsigned long long)at, lsm_engine_errmsg());
	/* The files removed on the way stay known, for on_files_removed once purged. */
	if (lsm__version_inherit_retired(next, *state)) {
		lsm__version_free(next);
		return -ENOMEM;
	}
	lsm__version_free(*state);
	*state = next;
	if (!checkpoint) {
		rp->newest = (struct lsm__log_pointer){ version, size, hash };
		if (version == rp->latest)
			rp->named = rp->newest;
	}
	return 0;
}

/*
 * The tail check (log.h): the log must reach the version _latest names,
 * through the very delta it names.  @base: the version the replay
 * started from (checkpoint or @from); versions up to it were checked
 * before or are the checkpoint's.
 */
static int check_tail(const struct replay *rp, const struct lsm__log_pointer *rec, uint64_t base, uint64_t end)
{
	char name[LSM__LOG_NAME_MAX];

	if (rec->version <= base)
		return 0;
	lsm__log_name(rec->version, false, name);
	if (!rp->named.version)
		return lsm__fail(-EBADMSG,
				   "%s/%s: missing: _latest names version %llu as committed, but the log ends at version "
				   "%llu",
				   rp->where, name, (unsigned long long)rec->version, (unsigned long long)end);
	if (rp->named.size != rec->size || rp->named.hash != rec->hash)
		return lsm__fail(-EBADMSG, "%s/%s: size or checksum disagrees with _latest (replaced or damaged)",
				   rp->where, name);
	return 0;
}

int lsm__log_load(int manifest_fd, const char *where, const struct lsm__version *from,
		    struct lsm__version **out, uint64_t *checkpoint_version, struct lsm__log_pointer *behind)
{
	struct lsm__version *state = NULL;
	struct lsm__log_listing l;
	struct lsm__log_pointer rec;
	struct replay rp = { .where = where, .pointer = true };
	uint64_t base = from ? from->m.version : 0, cp = 0;
	int err = lsm__log_read_last_checkpoint(manifest_fd, where, &cp);

	*out = NULL;
	if (behind)
		behind->version = 0;
	if (err == -ENOENT) {
		cp = 0;
		rp.pointer = false;
	} else if (err) {
		return err;
	}
	if ((err = lsm__log_read_latest(manifest_fd, where, &rec)))
		return err;
	rp.latest = rec.version;
	err = lsm__log_list(manifest_fd, where, &l);
	if (err)
		return err;
	if (cp > base) {
		state = lsm__version_new_empty();
		err = state ? load_one(manifest_fd, &rp, cp, true, &state) : -ENOMEM;
		base = cp;
	} else if (from) {
		/* Apply to a copy: @from stays as it is. */
		err = lsm__version_apply(from, from->m.version, &(struct rhook_action_list){ 0 }, &state);
	} else {
		state = lsm__version_new_empty();
		err = state ? 0 : -ENOMEM;
	}
	for (size_t i = 0; !err && i < l.num_deltas; i++)
		if (l.deltas[i] > base)
			err = load_one(manifest_fd, &rp, l.deltas[i], false, &state);
	if (!err && !rp.pointer && !state->m.version && l.num_checkpoints)
		err = lsm__fail(-EBADMSG, "%s/_last_checkpoint: missing: checkpoints are there, but nothing names one",
				  where);
	if (!err)
		err = check_tail(&rp, &rec, base, state->m.version);
	lsm__log_listing_free(&l);
	if (err) {
		lsm__version_free(state);
		return err == -ENOMEM ? lsm__fail(err, "%s: out of memory replaying the manifest", where) : err;
	}
	if (checkpoint_version)
		*checkpoint_version = cp;
	/* A delta beyond the record: a crash came between the two writes of its commit. */
	if (behind && rp.newest.version > rec.version)
		*behind = rp.newest;
	if (from && state->m.version == from->m.version) {
		lsm__version_free(state);
		return 0;
	}
	*out = state;
	return 0;
}

int lsm__region_catch_up_locked(struct lsm_region *r, bool quick)
{
	struct lsm__version *v;
	char name[LSM__LOG_NAME_MAX];
	uint64_t cp;
	int err;

	if (quick) {
		lsm__log_name(r->live_tail + 1, false, name);
		if (faccessat(r->manifest_fd, name, F_OK, AT_SYMLINK_NOFOLLOW))
			return 0;
	}
	/* Only this thread installs versions now (manifest mutex): current cannot go away. */
	err = lsm__log_load(r->manifest_fd, r->mdir, r->current, &v, &cp, NULL);
	if (err || !v)
		return err;
	r->checkpoint_version = cp;
	r->live_tail = v->m.version;
	lsm__region_install(r, v);
	if (r->live_tail > rhook_manifest_last_version(r->ctx))
		return rhook_manifest_advance_version(r->ctx, r->live_tail);
	return 0;
}

int lsm__region_write_begin(struct lsm_region *r, unsigned roles, const char *op)
{
	int err;

	flock(r->lock_fd, LOCK_EX);
	if (r->poisoned)
		err = lsm__fail(r->poisoned, "%s: an earlier manifest write failed half-way; reopen the region",
				  r->dir);
	else
		err = lsm__region_check_role(r, roles, op);
	if (!err)
		err = lsm__region_catch_up_locked(r, true);
	if (err)
		flock(r->lock_fd, LOCK_UN);
	return err;
}

void lsm__region_write_end(struct lsm_region *r)
{
	uint32_t every = r->engine->checkpoint_interval;
	char msg[1024];

	/*
	 * Best effort: a failed checkpoint is retried after the next write and
	 * the log stays complete; the operation's own message is kept.
	 */
	if (lsm_region_get_role(r) == LSM_ROLE_LEADER && r->live_tail >= r->checkpoint_version + every) {
		snprintf(msg, sizeof(msg), "%s", lsm_engine_errmsg());
		if (lsm__region_checkpoint_locked(r))
			lsm__fail(0, "%s", msg);
	}
	flock(r->lock_fd, LOCK_UN);
}

int lsm__region_checkpoint_locked(struct lsm_region *r)
{
	struct rhook_action_list *snap;
	uint64_t size, hash, version = r->current->m.version;
	char *json;
	size_t len;
	int err;

	if (version == r->checkpoint_version)
		return 0;
	err = lsm__version_snapshot(r->current, &snap);
	if (err)
		return lsm__fail(err, "%s: checkpoint: out of memory", r->dir);
	err = rhook_action_list_to_json(snap, &json, &len);
	rhook_action_list_free(snap);
	if (err)
		return lsm__fail(err, "%s: checkpoint: out of memory", r->dir);
	err = lsm__log_write(r->manifest_fd, version, version, true, json, len, &size, &hash);
	free(json);
	if (!err)
		err = lsm__log_write_last_checkpoint(r->manifest_fd, version, size, hash);
	if (err)
		return lsm__fail(err, "%s: checkpoint of version %llu: %s", r->dir, (unsigned long long)version,
				   strerror(-err));
	r->checkpoint_version = version;
	return 0;
}

/* Whether a write goes to the staging log (manifest mutex held). */
static bool staging_write(struct lsm_region *r)
{
	enum lsm_region_role role = lsm_region_get_role(r);

	return role == LSM_ROLE_ENTERING_STAGING || role == LSM_ROLE_STAGING;
}

/*
 * Called by update_locked with the manifest mutex held.  Builds the next
 * state first (nothing can fail after the delta is durable but the undo),
 * writes the delta, then installs the state.
 */
int lsm__region_persist(void *store, rhook_region_id region_id, uint64_t version,
			  const struct rhook_action_list *actions, const char *json, size_t json_len)
{
	struct lsm_region *r = store;
	bool staging = staging_write(r);
	struct lsm__version *next = NULL;
	struct rhook_action_list *staged = NULL;
	char name[LSM__LOG_NAME_MAX];
	uint64_t size, hash;
	int fd = staging ? r->staging_fd : r->manifest_fd, err;

	(void)region_id;
	r->persist_failed = true;
	err = lsm__fault_hit(r->engine, LSM_FAULT_PERSIST);
	if (err)
		return lsm__fail(err, "%s: manifest write of version %llu failed (injected)", r->dir,
				   (unsigned long long)version);
	if (r->poisoned)
		return lsm__fail(r->poisoned, "%s: an earlier manifest write failed half-way", r->dir);
	err = lsm__version_apply(staging ? r->staging : r->current, version, actions, &next);
	if (err)
		return err;
	if (staging && ((err = rhook_action_list_copy(r->staged, &staged)) ||
			(err = rhook_action_list_extend(staged, actions))))
		goto fail;
	err = lsm__log_write(fd, version, staging ? r->staging_tail : r->live_tail, false, json, json_len, &size,
			       &hash);
	lsm__log_name(version, false, name);
	if (err) {
		/*
		 * Unless the name was taken (-EEXIST: not ours to touch), a file of
		 * that name is our rename, done before a failed directory sync:
		 * undo it, or refuse further writes.
		 */
		if (err != -EEXIST && !faccessat(fd, name, F_OK, AT_SYMLINK_NOFOLLOW) &&
		    (unlinkat(fd, name, 0) || lsm__fs_sync_dir(fd)))
			r->poisoned = -EIO;
		err = lsm__fail(err, "%s: cannot write manifest version %llu: %s", r->dir,
				  (unsigned long long)version, strerror(-err));
		goto fail;
	}
	/* The staging log dies with the process: only the live log keeps a tail record. */
	if (!staging && ((err = lsm__fault_hit(r->engine, LSM_FAULT_LATEST)) ||
			 (err = lsm__log_write_latest(fd, version, size, hash)))) {
		/* Durable but unrecorded: take the delta back, or refuse further writes. */
		if (unlinkat(fd, name, 0) || lsm__fs_sync_dir(fd))
			r->poisoned = -EIO;
		err = lsm__fail(err, "%s/_latest: cannot record manifest version %llu: %s", r->mdir,
				  (unsigned long long)version, strerror(-err));
		goto fail;
	}
	if (staging) {
		lsm__version_free(r->staging);
		r->staging = next;
		r->staging_tail = version;
		rhook_action_list_free(r->staged);
		r->staged = staged;
	} else {
		r->live_tail = version;
		lsm__region_install(r, next);
	}
	r->persist_failed = false;
	return 0;
fail:
	rhook_action_list_free(staged);
	lsm__version_free(next);
	return err;
}

void lsm__region_staging_clear(struct lsm_region *r)
{
	lsm__version_free(r->staging);
	rhook_action_list_free(r->staged);
	rhook_action_list_free(r->remapped);
	r->staging = NULL;
	r->staged = NULL;
	r->remapped = NULL;
	if (r->staging_fd >= 0)
		close(r->staging_fd);
	r->staging_fd = -1;
}

int lsm__region_update_locked(struct lsm_region *r, const struct rhook_action_list *actions,
				enum rhook_cause cause, const char *op, struct rhook_receipt *receipt)
{
	int err;

	r->persist_failed = false;
	err = rhook_manifest_update_locked(r->ctx, actions, cause, receipt);
	if (err == -EINVAL && *rhook_action_list_errmsg())
		err = lsm__fail(err, "%s: %s: manifest update refused: %s", r->dir, op, rhook_action_list_errmsg());
	else if (err && !r->persist_failed)
		err = lsm__fail(err, "%s: %s: manifest update: %s", r->dir, op, strerror(-err));
	return err;
}

int lsm__region_fire(struct lsm_region *r, struct rhook_receipt *receipt, const char *op)
{
	uint64_t version = rhook_receipt_version(receipt);
	int err = rhook_receipt_fire(receipt);

	if (!err)
		return 0;
	rhook_receipt_discard(receipt);
	return lsm__fail(err, "%s: %s: version %llu committed, its hooks not notified: %s", r->dir, op,
			   (unsigned long long)version, strerror(-err));
}

int lsm__region_commit(struct lsm_region *r, const struct rhook_action_list *actions, enum rhook_cause cause,
			 unsigned roles, const char *op, lsm__commit_check check, const void *check_arg,
			 uint64_t *version)
{
	struct rhook_receipt receipt = RHOOK_RECEIPT_INIT;
	struct lsm_engine *e = r->engine;
	uint64_t t0 = e->cap_timed ? lsm__now_ns() : 0, t1 = 0, t2 = 0;
	int err;

	rhook_manifest_lock(r->ctx);
	if (t0)
		t1 = lsm__now_ns();
	err = lsm__region_write_begin(r, roles, op);
	if (!err) {
		if (check)
			err = check(r->current, check_arg);
		if (!err)
			err = lsm__region_update_locked(r, actions, cause, op, &receipt);
		lsm__region_write_end(r);
	}
	if (t0)
		t2 = lsm__now_ns();
	rhook_manifest_unlock(r->ctx);
	if (err)
		return err;
	if (version)
		*version = rhook_receipt_version(&receipt);
	err = lsm__region_fire(r, &receipt, op);
	if (t0 && !err) {
		/* Relaxed: a slot of its own; lsm_engine_commit_timings' caller orders the read. */
		size_t slot = atomic_fetch_add_explicit(&e->num_timed, 1, memory_order_relaxed);

		if (slot < e->cap_timed)
			e->timed[slot] = (struct lsm_commit_timing){ .hold_ns = t2 - t1, .commit_ns = lsm__now_ns() - t0 };
	}
	return err;
}
