/*
 * manifest_ctx.h - the manifest context's layout, shared by the update
 * path (manifest.c) and the receipt path (receipt.c).
 */
#ifndef RHOOK_CORE_MANIFEST_CTX_H
#define RHOOK_CORE_MANIFEST_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <rhook/manifest.h>

#include "wire/events.h"

struct rhook_manifest_ctx {
	/*
	 * Must stay first: rhook/manifest.h's inline fire reads it.
	 * head.owner: thread token of the holder, NULL when free.  Written by
	 * the holder only (relaxed: a thread compares it with its own token,
	 * and only its own store can make them equal; the inline fire reads
	 * NULL only when this thread does not hold the mutex).
	 * head.released: number of the last hold that ended.  Stored (release)
	 * before the mutex is dropped, so it never goes backwards; fire loads
	 * it (acquire) to check the receipt's hold is over.
	 * head.external: set at creation (external.c), before any receipt.
	 * Accessed through ctx_owner() and ctx_released() below.
	 */
	struct rhook__manifest_head head;

	/*
	 * The region's manifest write mutex.  Protects every field below
	 * marked [lock].  Outermost of rhook's locks: emit_lock, the registry
	 * mutex and the debug ledger mutex may be taken under it, never the
	 * reverse.
	 */
	pthread_mutex_t lock;

	/*
	 * Orders the rhook:manifest_commit events of successive holds: taken
	 * under @lock by a hold that wrote, released after its events are
	 * emitted, which is after @lock is dropped.  So a region's commits
	 * reach the trace in version order although the contract emits them
	 * after the unlock.  Never held while calling out of rhook.
	 */
	pthread_mutex_t emit_lock;

	/* Last committed version: written under the lock, read anywhere. */
	_Atomic uint64_t last_version;

	uint64_t hold;             /* [lock] number of the current hold */
	uint64_t acquired_ns;      /* [lock] when the hold began, 0 if untimed */
	uint64_t wait_ns;          /* [lock] how long its lock() waited */
	struct rhw_ev_manifest_commit *commits; /* [lock] writes of this hold */
	size_t num_commits;        /* [lock] */
	size_t cap_commits;        /* [lock] */

	rhook_region_id region_id;
	struct rhook_registry *registry;
	struct rhook_manifest_store_ops store_ops; /* zero in an external context */
	void *store;

	/*
	 * An external context (head.external, rhook/external.h): the engine
	 * holds its own lock, @lock is never taken, @emit_lock orders the commits' events
	 * (taken by rhook__manifest_committed() around assigning the version
	 * and emitting, so the events are in version order).
	 */
	bool (*lock_held)(void *engine_lock); /* NULL: rhook cannot tell */
	void *engine_lock;
};

/* The head's fields as the atomics they are (the public header spells them plainly). */
_Static_assert(sizeof(_Atomic(const void *)) == sizeof(const void *) && sizeof(_Atomic uint64_t) == sizeof(uint64_t),
	       "struct rhook__manifest_head: atomics of the plain types' size");
static inline _Atomic(const void *) *rhook__ctx_owner(const struct rhook_manifest_ctx *ctx)
{
	return (_Atomic(const void *) *)(void *)&((struct rhook_manifest_ctx *)(void *)ctx)->head.owner;
}

static inline _Atomic uint64_t *rhook__ctx_released(const struct rhook_manifest_ctx *ctx)
{
	return (_Atomic uint64_t *)(void *)&((struct rhook_manifest_ctx *)(void *)ctx)->head.released;
}

/*
 * The part of a new context (zeroed) that both kinds share: its locks
 * (an external context never takes @lock; initialized so that
 * rhook_manifest_ctx_free() treats both alike), identity, registry, last
 * version, and a free, never-held head.  Before @ctx is published.
 */
static inline void rhook__ctx_init(struct rhook_manifest_ctx *ctx, rhook_region_id region_id,
				   struct rhook_registry *registry, uint64_t last_version)
{
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_mutex_init(&ctx->emit_lock, NULL);
	ctx->region_id = region_id;
	ctx->registry = registry;
	atomic_init(&ctx->last_version, last_version);
	atomic_init(rhook__ctx_released(ctx), 0);
	atomic_init(rhook__ctx_owner(ctx), NULL);
}

/*
 * Whether the calling thread holds the lock that guards @ctx's manifest:
 * rhook's mutex, or in an external context the engine's, if it said how
 * to ask.  Any thread.
 */
static inline bool rhook__manifest_lock_held_here(const struct rhook_manifest_ctx *ctx, const void *self)
{
	if (ctx->head.external)
		return ctx->lock_held && ctx->lock_held(ctx->engine_lock);
	return atomic_load_explicit(rhook__ctx_owner(ctx), memory_order_relaxed) == self;
}

/*
 * Debug ledger of pending receipts (receipt_ledger.c).  Release builds keep
 * none, and these compile to nothing on the fire path.
 */
#ifdef RHOOK_DEBUG
uint64_t rhook__ledger_add(const struct rhook_manifest_ctx *ctx, uint64_t version, const char *file, int line);
void rhook__ledger_remove(uint64_t serial);
/* Reports and forgets the pending receipts of @ctx (it is being freed). */
void rhook__ledger_forget_ctx(const struct rhook_manifest_ctx *ctx);
/* The ledger lock across fork(): taken by the prepare handler, dropped after. */
void rhook__ledger_before_fork(void);
void rhook__ledger_after_fork(void);
#else
static inline uint64_t rhook__ledger_add(const struct rhook_manifest_ctx *ctx, uint64_t version, const char *file,
					 int line)
{
	(void)ctx;
	(void)version;
	(void)file;
	(void)line;
	return 0;
}

static inline void rhook__ledger_remove(uint64_t serial)
{
	(void)serial;
}

static inline void rhook__ledger_forget_ctx(const struct rhook_manifest_ctx *ctx)
{
	(void)ctx;
}

static inline void rhook__ledger_before_fork(void)
{
}

static inline void rhook__ledger_after_fork(void)
{
}
#endif

#endif /* RHOOK_CORE_MANIFEST_CTX_H */
