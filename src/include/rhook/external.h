/*
 * rhook/external.h - engines that commit their manifest themselves.
 *
 * rhook has two ways to learn that a logical manifest change was
 * committed; an engine picks one per region:
 *
 *  - the manifest context (rhook/manifest.h): rhook owns the region's
 *    manifest write mutex and calls the engine's store under it
 *    (rhook_manifest_update_locked()).  For an engine whose commit path
 *    can be built around rhook's lock;
 *
 *  - an external context (this header): the engine keeps its own lock and
 *    its own manifest writer (RocksDB's DB mutex and LogAndApply) and tells
 *    rhook, once its write is durable, what it committed.  rhook then does
 *    what the manifest context does after the commit: it emits
 *    rhook:manifest_commit (with the timings the engine measured, if any)
 *    and hands back a receipt whose fire emits rhook:manifest_updated and
 *    dispatches on_manifest_updated.
 *
 * The receipt rules of contract §3 hold for both: a receipt is
 * must-use (and in debug builds reported if never fired nor discarded),
 * receipts of one region merge, and a receipt never fires while the
 * calling thread holds the engine's lock, when the engine gave rhook a
 * way to ask (lock_held below): rhook_receipt_fire() then returns
 * -EDEADLK in release builds and aborts with a message in debug builds,
 * exactly as for a manifest context's mutex.  Without lock_held rhook
 * cannot see the engine's lock, and firing under it is the engine's bug
 * to avoid.  Which hooks a receipt notifies is the rule of
 * rhook/manifest.h (the set at fire).
 *
 * An external context has no mutex of rhook's: rhook_manifest_lock(),
 * rhook_manifest_trylock() and rhook_manifest_unlock() abort with a
 * message (a programming error, like locking twice),
 * rhook_manifest_update_locked() and rhook_manifest_advance_version()
 * return -EOPNOTSUPP, rhook_manifest_held() is false.
 */
#ifndef RHOOK_EXTERNAL_H
#define RHOOK_EXTERNAL_H

#include <rhook/manifest.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Extensible (first field its size, fields only grow at the end; see
 * struct rhook_manifest_store_ops for what is accepted).
 */
struct rhook_external_manifest_config {
	size_t size; /* sizeof(struct rhook_external_manifest_config) */
	rhook_region_id region_id;
	struct rhook_registry *registry; /* may be NULL: no hooks */
	uint64_t last_version;           /* version of the manifest as opened */
	/*
	 * Optional: whether the calling thread holds the engine's manifest
	 * lock (@engine_lock is passed back).  Called by rhook_receipt_fire(),
	 * from any thread that fires, so concurrently with itself; it must not
	 * block nor call into rhook.
	 */
	bool (*lock_held)(void *engine_lock);
	void *engine_lock;
};

/* 0, -EINVAL (NULL @cfg or @out, a size too small or an unknown field set) or -ENOMEM. */
RHOOK_API int rhook_manifest_ctx_new_external(const struct rhook_external_manifest_config *cfg,
					      struct rhook_manifest_ctx **out);

/* Whether @ctx was made by rhook_manifest_ctx_new_external(). */
RHOOK_API bool rhook_manifest_is_external(const struct rhook_manifest_ctx *ctx);

/*
 * What the engine knows of one commit; every field may be 0.  Extensible
 * like the config.
 */
struct rhook_commit_info {
	size_t size;           /* sizeof(struct rhook_commit_info) */
	uint64_t version;      /* the engine's version; 0: rhook assigns last + 1 */
	uint64_t lock_wait_ns; /* the engine's figures for rhook:manifest_commit */
	uint64_t lock_hold_ns;
	uint64_t persist_ns;
};

/*
 * Tells rhook that the engine committed @actions (durably, successfully)
 * to @ctx's region for @cause.  Any thread, concurrently with itself and
 * with fire; the engine's lock may be held or not (no hook runs here).
 * Emits rhook:manifest_commit at once (result 0), and makes *receipt
 * pending, with a copy of @actions when @ctx has a registry or
 * rhook:manifest_updated is enabled (the rule of rhook/manifest.h).
 *
 * The version is @info->version, or last + 1 when @info is NULL or its
 * version 0.  rhook keeps the largest as the last version and does not
 * check the order of the engine's versions: calls made after the
 * engine's lock is released may arrive out of commit order
 * (rhook-read check tolerates that within its reorder window).  Calls
 * that let rhook assign versions get them in call order, and emit their
 * rhook:manifest_commit events in that order.
 *
 * Returns 0, or -EINVAL (NULL argument, a context that is not external,
 * an unknown cause, a @info size too small or an unknown field set, or a
 * list the rule of rhook/action.h refuses, message in
 * rhook_action_list_errmsg()), -EBUSY (*receipt already pending) or
 * -ENOMEM; on error nothing is emitted, the version does not move and
 * *receipt is left as it was.  Merge receipts with rhook_receipt_merge();
 * fire them with rhook_receipt_fire(), which returns -EDEADLK (debug
 * builds: aborts) if lock_held says the calling thread holds the
 * engine's lock.  The -EBUSY of a manifest context's fire (its hold not
 * over yet) does not apply: rhook sees no hold of the engine's lock.
 */
#define rhook_manifest_committed(ctx, actions, cause, info, receipt) \
	rhook__manifest_committed((ctx), (actions), (cause), (info), (receipt), __FILE__, __LINE__)
RHOOK_API RHOOK_MUST_USE int rhook__manifest_committed(struct rhook_manifest_ctx *ctx,
						       const struct rhook_action_list *actions,
						       enum rhook_cause cause, const struct rhook_commit_info *info,
						       struct rhook_receipt *receipt, const char *file, int line);

/*
 * The common case, after the engine's lock is released: committed, then
 * fire.  *version (if not NULL) receives the version.  Returns
 * committed()'s error, or fire's (-EDEADLK: called under the engine's
 * lock, the notification is dropped; debug builds abort).
 */
RHOOK_API RHOOK_MUST_USE int rhook_manifest_notify(struct rhook_manifest_ctx *ctx,
						   const struct rhook_action_list *actions, enum rhook_cause cause,
						   const struct rhook_commit_info *info, uint64_t *version);

#ifdef __cplusplus
}
#endif

#endif /* RHOOK_EXTERNAL_H */
