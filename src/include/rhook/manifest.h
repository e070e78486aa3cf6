/*
 * rhook/manifest.h - manifest context and receipts (contract §3).
 *
 * A manifest context guards one region's manifest: it owns the region's
 * manifest write mutex, the version counter and the store the encoded
 * action lists go to.  rhook_manifest_update_locked() is the only way to
 * write a logical change; on success it hands back a receipt, which the
 * caller fires after dropping the mutex:
 *
 *	rhook_manifest_lock(ctx);
 *	err = rhook_manifest_update_locked(ctx, actions, RHOOK_CAUSE_EDIT, &r);
 *	... more work under the lock, maybe a second update merged into r ...
 *	rhook_manifest_unlock(ctx);
 *	err = rhook_receipt_fire(&r);
 *
 * rhook_manifest_update() is that sequence in one call.
 *
 * Lock order: the manifest mutex may be taken while holding nothing of
 * rhook's; rhook takes the registry writer mutex (briefly) only under it,
 * never the other way round.  Hooks never run under the manifest mutex, so
 * a hook may lock it to read the manifest.  Because a hook on another
 * thread may be waiting for it, a thread holding a manifest mutex never
 * waits for a grace period: rhook_registry_remove() and
 * rhook_registry_free() defer their releases, rhook_recorder_stop()
 * returns -EDEADLK (rhook/hook.h).
 *
 * Which hooks a receipt notifies: those registered in the context's
 * registry when it fires (the set at fire), with the actions committed.
 * A hook added between the commit and the fire is notified; one removed
 * before the fire is not (rhook_registry_remove()'s promise).  So a
 * context with a registry keeps a copy of the actions in every receipt,
 * hook or no hook at the commit; a context without one keeps them only
 * for rhook:manifest_updated when that event is enabled at the commit.
 * Merging obeys the same rule: the merged receipt notifies the hooks of
 * the fire with the first's actions, then the second's.
 */
#ifndef RHOOK_MANIFEST_H
#define RHOOK_MANIFEST_H

#include <rhook/action.h>
#include <rhook/hook.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Why a manifest write happened: X(NAME, value, "label"), stated once for
 * enum rhook_cause, rhook_cause_name() and the trace's CTF enumeration.
 */
#define RHOOK_CAUSES(X)                                                                           \
	X(FLUSH, 0, "flush") X(COMPACTION, 1, "compaction")                                       \
	X(REMOTE_COMPACTION, 2, "remote_compaction") X(EDIT, 3, "edit") X(COPY, 4, "copy")        \
	X(STAGING_ENTER, 5, "staging_enter") X(STAGING_APPLY, 6, "staging_apply")                 \
	X(STAGING_EXIT, 7, "staging_exit") X(ALTER, 8, "alter") X(TRUNCATE, 9, "truncate")        \
	X(INDEX_BUILD, 10, "index_build")

#define RHOOK__CAUSE_ENUMERATOR(NAME, value, label) RHOOK_CAUSE_##NAME = value,
enum rhook_cause { RHOOK_CAUSES(RHOOK__CAUSE_ENUMERATOR) };
#undef RHOOK__CAUSE_ENUMERATOR
#define RHOOK__CAUSE_ONE(NAME, value, label) +1
#define RHOOK_CAUSE_COUNT (0 RHOOK_CAUSES(RHOOK__CAUSE_ONE))

/* "flush", "compaction", ...; NULL for an unknown value. */
RHOOK_API const char *rhook_cause_name(enum rhook_cause cause);

/*
 * Where committed action lists go.  persist() is called with the manifest
 * mutex held, once per logical write, with the list and its JSON encoding;
 * it makes version @version durable and returns 0, or a negative errno,
 * in which case nothing was committed and no hook fires.
 *
 * This and struct rhook_manifest_ctx_config are extensible: @size is the
 * caller's sizeof, fields only grow at the end.  rhook_manifest_ctx_new()
 * accepts this version or a newer, larger one whose fields past this
 * version are all zero, and refuses (-EINVAL) a newer one with a
 * non-zero field this library does not know.
 */
/*
 * What persist() receives beside the list: its JSON encoding
 * (rhook_action_list_to_json(), the default) or nothing (@json NULL,
 * @json_len 0), for a store that encodes the list its own way or keeps
 * it in memory.  The encoding runs under the manifest mutex, so a store
 * that does not use it should say NONE (rhook-bench-core,
 * receipt_commit_json against receipt_commit_no_encoding).
 */
enum rhook_manifest_encoding {
	RHOOK_MANIFEST_ENCODING_JSON = 0,
	RHOOK_MANIFEST_ENCODING_NONE = 1,
};

struct rhook_manifest_store_ops {
	size_t size; /* sizeof(struct rhook_manifest_store_ops) */
	int (*persist)(void *store, rhook_region_id region_id, uint64_t version,
		       const struct rhook_action_list *actions, const char *json, size_t json_len);
	enum rhook_manifest_encoding encoding; /* added in 0.2; 0: JSON */
};

struct rhook_manifest_ctx_config {
	size_t size; /* sizeof(struct rhook_manifest_ctx_config) */
	rhook_region_id region_id;
	struct rhook_registry *registry;  /* may be NULL: no hooks */
	const struct rhook_manifest_store_ops *store_ops;
	void *store;
	uint64_t last_version;            /* version of the manifest as opened */
};

struct rhook_manifest_ctx;

/*
 * 0, -EINVAL (NULL @cfg, @out, store_ops or persist; a size too small or
 * an unknown field set, see struct rhook_manifest_store_ops; an unknown
 * encoding) or -ENOMEM.
 */
RHOOK_API int rhook_manifest_ctx_new(const struct rhook_manifest_ctx_config *cfg, struct rhook_manifest_ctx **out);

/*
 * Frees the context.  The mutex must not be held.  Debug builds report
 * receipts of this context that were neither fired nor discarded.
 */
RHOOK_API void rhook_manifest_ctx_free(struct rhook_manifest_ctx *ctx);

RHOOK_API rhook_region_id rhook_manifest_region_id(const struct rhook_manifest_ctx *ctx);

/*
 * The manifest write mutex (not recursive).  lock() blocks; trylock()
 * returns false if another holder has it.  unlock() must come from the
 * thread that locked; after dropping the mutex it emits one
 * rhook:manifest_commit per write attempted during the hold.  Acquire and
 * release semantics as pthread mutexes.  The manifest_commit events of
 * successive holds are emitted in hold order, so in version order.
 */
RHOOK_API void rhook_manifest_lock(struct rhook_manifest_ctx *ctx);
RHOOK_API bool rhook_manifest_trylock(struct rhook_manifest_ctx *ctx);
RHOOK_API void rhook_manifest_unlock(struct rhook_manifest_ctx *ctx);
/* Whether the calling thread holds @ctx's mutex. */
RHOOK_API bool rhook_manifest_held(const struct rhook_manifest_ctx *ctx);

/* Last committed version.  Any thread; exact only under the mutex. */
RHOOK_API uint64_t rhook_manifest_last_version(const struct rhook_manifest_ctx *ctx);

/*
 * Moves the version counter forward after the manifest was advanced by
 * someone else (a follower catching up on another process's writes).
 * Mutex held.  0, -EPERM (not held) or -EINVAL (@version goes backwards).
 */
RHOOK_API int rhook_manifest_advance_version(struct rhook_manifest_ctx *ctx, uint64_t version);

/*
 * A deferred on_manifest_updated notification.  Treat the fields as
 * private.  Zero-initialized (RHOOK_RECEIPT_INIT) it is empty: firing,
 * discarding or merging an empty receipt is a no-op.  After fire or
 * discard a receipt is empty again.
 */
struct rhook_receipt {
	struct rhook_manifest_ctx *rhook__ctx;
	struct rhook_action_list *rhook__actions; /* NULL: nothing to notify */
	uint64_t rhook__version;
	uint64_t rhook__hold;   /* hold of the mutex that produced it */
	uint64_t rhook__serial; /* debug ledger entry, 0 if none */
	uint32_t rhook__cause;
	uint32_t rhook__pending;
	uint64_t rhook__job_id; /* the committing thread's job (rhook_job_enter()), for the event */
};
#define RHOOK_RECEIPT_INIT { 0 }

/*
 * Persists @actions as version last + 1 through the store.  The caller
 * holds @ctx's mutex.  On success returns 0, the version is committed and
 * *receipt is pending; it carries a copy of @actions if @ctx has a
 * registry (hooks or not: one may be added before the fire) or the
 * rhook:manifest_updated event is enabled.  On failure
 * returns a negative errno (-EPERM: mutex not held by the caller, -EINVAL:
 * bad arguments or a list the rule of rhook/action.h refuses, checked
 * first, with the message in rhook_action_list_errmsg(); -EBUSY: *receipt
 * is already pending; or the store's error), the version does not move,
 * nothing reached the store unless its persist() failed, and *receipt is
 * left as it was.  What it accepts, rhook_action_list_from_json() reads
 * back identically.
 */
#define rhook_manifest_update_locked(ctx, actions, cause, receipt) \
	rhook__manifest_update_locked((ctx), (actions), (cause), (receipt), __FILE__, __LINE__)
RHOOK_API RHOOK_MUST_USE int rhook__manifest_update_locked(struct rhook_manifest_ctx *ctx,
							   const struct rhook_action_list *actions,
							   enum rhook_cause cause, struct rhook_receipt *receipt,
							   const char *file, int line);

/*
 * The common case: lock, update_locked, unlock, fire.  *version (if not
 * NULL) receives the committed version.  Returns update_locked's result.
 */
RHOOK_API RHOOK_MUST_USE int rhook_manifest_update(struct rhook_manifest_ctx *ctx,
						   const struct rhook_action_list *actions,
						   enum rhook_cause cause, uint64_t *version);

/*
 * Notifies the hooks registered now (on_manifest_updated, in registration
 * order) and emits rhook:manifest_updated and rhook:hook_dispatch.  Must
 * run after the mutex hold that produced the receipt ended, and not while
 * the calling thread holds the mutex again:
 *   -EDEADLK  the calling thread holds the region's manifest mutex (a
 *             bug: debug builds abort with a message instead);
 *   -EBUSY    another thread still holds the hold that produced it (both
 *             builds: fire again once that hold ended);
 * in both cases the receipt stays pending: fire it later or discard it.
 * Returns 0 otherwise, and the receipt is empty.  Any thread may fire;
 * one receipt, one firer.
 *
 * A macro over an inline fast path (below); the function itself stays
 * exported, (rhook_receipt_fire)(r) or its address calls it.
 */
RHOOK_API RHOOK_MUST_USE int rhook_receipt_fire(struct rhook_receipt *receipt);

/*
 * Leading members of struct rhook_manifest_ctx, exposed for the inline
 * fire below only; treat them as private.  @owner is the holder's thread
 * token, NULL while rhook's mutex is free; @released the number of the
 * last hold that ended; @external whether the context is external
 * (rhook/external.h).  Written by the library only.
 */
struct rhook__manifest_head {
	const void *owner;
	uint64_t released;
	uint8_t external;
};

/*
 * rhook_receipt_fire() when a receipt has nothing to notify (a context
 * without a registry, rhook:manifest_updated off at the commit): the
 * checks of the fire and emptying the receipt, inline, a handful of
 * loads and stores.  Anything else goes to the function.
 */
static inline RHOOK_MUST_USE int rhook__receipt_fire_inline(struct rhook_receipt *r)
{
	const struct rhook__manifest_head *h;

	if (!r || !r->rhook__pending)
		return 0;
	h = (const struct rhook__manifest_head *)(const void *)r->rhook__ctx;
	/*
	 * No actions kept, no debug ledger entry, not external, and rhook's
	 * mutex free: so not held by this thread, whose own store of @owner
	 * this relaxed load would see (coherence; -EDEADLK is the function's
	 * to return).  The acquire load of @released pairs with the unlock's
	 * release store, as in the function: the hold is over (-EBUSY
	 * otherwise, also the function's).
	 */
	if (RHOOK_LIKELY(!r->rhook__actions && !r->rhook__serial && !h->external &&
			 !__atomic_load_n(&h->owner, __ATOMIC_RELAXED) &&
			 __atomic_load_n(&h->released, __ATOMIC_ACQUIRE) >= r->rhook__hold)) {
		*r = (struct rhook_receipt)RHOOK_RECEIPT_INIT;
		return 0;
	}
	return (rhook_receipt_fire)(r);
}
#define rhook_receipt_fire(receipt) rhook__receipt_fire_inline(receipt)

/* Drops a pending receipt without notifying (the caller decided so). */
RHOOK_API void rhook_receipt_discard(struct rhook_receipt *receipt);

/*
 * Merges @from into @into so that hooks see one notification: @into's
 * actions then @from's, the later version, the earlier cause and job.  @from is
 * empty afterwards.  0; -EINVAL if @into is @from (a receipt cannot be
 * merged into itself), a NULL argument, or receipts of different regions
 * (debug builds abort for the last); or -ENOMEM; on error both are
 * unchanged.  In a context without a registry, if only one of the two
 * kept its actions (rhook:manifest_updated enabled between the commits),
 * the merged receipt keeps none: an event must not show part of a change.
 */
RHOOK_API int rhook_receipt_merge(struct rhook_receipt *into, struct rhook_receipt *from);

static inline bool rhook_receipt_pending(const struct rhook_receipt *r)
{
	return r->rhook__pending != 0;
}

static inline uint64_t rhook_receipt_version(const struct rhook_receipt *r)
{
	return r->rhook__version;
}

/* Whether this library was built with debug checks (aborts, receipt ledger). */
RHOOK_API bool rhook_debug_build(void);

/*
 * Debug builds: the number of receipts created and neither fired nor
 * discarded, each reported on stderr with the file and line of the update
 * if @report.  Release builds: -ENOTSUP.
 */
RHOOK_API long rhook_debug_unfired_receipts(bool report);

#ifdef __cplusplus
}
#endif

#endif /* RHOOK_MANIFEST_H */
