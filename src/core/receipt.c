/*
 * receipt.c - firing, discarding and merging receipts (contract §3).
 */
#include <errno.h>
#include <stdlib.h>

#include <rhook/manifest.h>

#include "../trace/emit.h"
#include "internal.h"
#include "manifest_ctx.h"

bool rhook_debug_build(void)
{
#ifdef RHOOK_DEBUG
	return true;
#else
	return false;
#endif
}

/* Release builds return @err; debug builds abort with the message. */
#ifdef RHOOK_DEBUG
#define CONTRACT_VIOLATION(err, ...) rhook__fatal(__VA_ARGS__)
#else
#define CONTRACT_VIOLATION(err, ...) return (err)
#endif

static void receipt_clear(struct rhook_receipt *r)
{
	rhook__ledger_remove(r->rhook__serial);
	*r = (struct rhook_receipt)RHOOK_RECEIPT_INIT;
}

/*
 * Any thread; one firer per receipt.  Acquire on ctx->released orders the
 * hooks after everything the committing hold did.
 */
int rhook_receipt_fire(struct rhook_receipt *r)
{
	struct rhook_manifest_ctx *ctx;

	if (!r || !r->rhook__pending)
		return 0;
	ctx = r->rhook__ctx;
	if (atomic_load_explicit(&ctx->owner, memory_order_relaxed) == rhook__self())
		CONTRACT_VIOLATION(-EDEADLK,
				   "receipt of region %llu version %llu fired while this thread holds the region's "
				   "manifest mutex: fire after rhook_manifest_unlock()",
				   (unsigned long long)ctx->region_id, (unsigned long long)r->rhook__version);
	if (atomic_load_explicit(&ctx->released, memory_order_acquire) < r->rhook__hold)
		CONTRACT_VIOLATION(-EBUSY,
				   "receipt of region %llu version %llu fired while the hold that produced it is "
				   "still running on another thread",
				   (unsigned long long)ctx->region_id, (unsigned long long)r->rhook__version);

	if (r->rhook__actions) {
		if (rhook__ev_wanted(RHOOK__EV_manifest_updated))
			rhook__emit_manifest_updated(ctx->region_id, r->rhook__version,
						     (enum rhook_cause)r->rhook__cause, r->rhook__actions);
		if (ctx->registry)
			rhook_dispatch_manifest_updated(ctx->registry, ctx->region_id, r->rhook__actions,
							r->rhook__version);
		rhook_action_list_free(r->rhook__actions);
	}
	receipt_clear(r);
	return 0;
}

void rhook_receipt_discard(struct rhook_receipt *r)
{
	if (!r || !r->rhook__pending)
		return;
	rhook_action_list_free(r->rhook__actions);
	receipt_clear(r);
}

int rhook_receipt_merge(struct rhook_receipt *into, struct rhook_receipt *from)
{
	if (!into || !from)
		return -EINVAL;
	if (!from->rhook__pending)
		return 0;
	if (!into->rhook__pending) {
		*into = *from;
		*from = (struct rhook_receipt)RHOOK_RECEIPT_INIT;
		return 0;
	}
	if (into->rhook__ctx != from->rhook__ctx)
		CONTRACT_VIOLATION(-EINVAL, "cannot merge receipts of regions %llu and %llu",
				   (unsigned long long)into->rhook__ctx->region_id,
				   (unsigned long long)from->rhook__ctx->region_id);
	if (into->rhook__actions && from->rhook__actions) {
		int err = rhook_action_list_extend(into->rhook__actions, from->rhook__actions);

		if (err)
			return err;
		rhook_action_list_free(from->rhook__actions);
	} else if (from->rhook__actions) {
		into->rhook__actions = from->rhook__actions;
	}
	from->rhook__actions = NULL;
	if (from->rhook__version > into->rhook__version)
		into->rhook__version = from->rhook__version;
	if (from->rhook__hold > into->rhook__hold)
		into->rhook__hold = from->rhook__hold;
	receipt_clear(from);
	return 0;
}
