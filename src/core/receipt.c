/*
 * receipt.c - firing, discarding and merging receipts (contract §3).
 */
#include <errno.h>
#include <stdlib.h>

#include <rhook/manifest.h>

#include "base/internal.h"
#include "manifest_ctx.h"
#include "trace/emit.h"

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
/* The message is compiled (its format checked) but never evaluated. */
#define CONTRACT_VIOLATION(err, ...)                    \
	do {                                            \
		if (0)                                  \
			rhook__fatal(__VA_ARGS__);      \
		return (err);                           \
	} while (0)
#endif

static void receipt_clear(struct rhook_receipt *r)
{
	rhook__ledger_remove(r->rhook__serial);
	*r = (struct rhook_receipt)RHOOK_RECEIPT_INIT;
}

/*
 * Any thread; one firer per receipt.  Acquire on ctx->released orders the
 * hooks after everything the committing hold did.  The hooks notified are
 * those registered now (the rule of rhook/manifest.h).
 */
/* Parenthesized: the name is also rhook/manifest.h's macro over the inline path. */
int (rhook_receipt_fire)(struct rhook_receipt *r)
{
	struct rhook_manifest_ctx *ctx;
	char id[RHOOK_REGION_ID_STRLEN];

	if (!r || !r->rhook__pending)
		return 0;
	ctx = r->rhook__ctx;
	if (rhook__manifest_lock_held_here(ctx, rhook__self()))
		CONTRACT_VIOLATION(-EDEADLK,
				   "receipt of region %s version %llu fired while this thread holds the region's "
				   "manifest %s",
				   rhook_region_id_format(ctx->region_id, id), (unsigned long long)r->rhook__version,
				   ctx->head.external ? "lock (the engine's lock_held says so): fire after releasing it"
						 : "mutex: fire after rhook_manifest_unlock()");
	/* Not a contract violation: the firer may simply be early; it retries after the hold ends. */
	if (atomic_load_explicit(rhook__ctx_released(ctx), memory_order_acquire) < r->rhook__hold)
		return -EBUSY;

	if (r->rhook__actions) {
		if (rhook__ev_wanted(RHW_EV_manifest_updated))
			rhook__emit_manifest_updated(ctx->region_id, r->rhook__job_id, r->rhook__version,
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
	char id1[RHOOK_REGION_ID_STRLEN], id2[RHOOK_REGION_ID_STRLEN];

	/* Merging a receipt into itself would empty it: a committed version never notified. */
	if (!into || !from || into == from)
		return -EINVAL;
	if (!from->rhook__pending)
		return 0;
	if (!into->rhook__pending) {
		*into = *from;
		*from = (struct rhook_receipt)RHOOK_RECEIPT_INIT;
		return 0;
	}
	if (into->rhook__ctx != from->rhook__ctx)
		CONTRACT_VIOLATION(-EINVAL, "cannot merge receipts of regions %s and %s",
				   rhook_region_id_format(into->rhook__ctx->region_id, id1),
				   rhook_region_id_format(from->rhook__ctx->region_id, id2));
	if (into->rhook__actions && from->rhook__actions) {
		int err = rhook_action_list_extend(into->rhook__actions, from->rhook__actions);

		if (err)
			return err;
		rhook_action_list_free(from->rhook__actions);
	} else if (into->rhook__actions || from->rhook__actions) {
		/*
		 * Only a context without a registry keeps no actions, and only when
		 * rhook:manifest_updated was off at that commit: the change is
		 * known in part, and an event showing a part would lie.  No event
		 * for the merged receipt (rhook:manifest_commit records both).
		 */
		rhook_action_list_free(into->rhook__actions);
		rhook_action_list_free(from->rhook__actions);
		into->rhook__actions = NULL;
	}
	from->rhook__actions = NULL;
	if (from->rhook__version > into->rhook__version)
		into->rhook__version = from->rhook__version;
	if (from->rhook__hold > into->rhook__hold)
		into->rhook__hold = from->rhook__hold;
	receipt_clear(from);
	return 0;
}
