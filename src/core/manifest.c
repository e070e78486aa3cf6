/*
 * manifest.c - the manifest context: the region's write mutex with
 * timing, the version counter, and update_locked(), the only path that
 * writes a logical manifest change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/manifest.h>

#include "base/abi.h"
#include "base/internal.h"
#include "manifest_ctx.h"
#include "model/validate.h"
#include "trace/emit.h"

/* The smallest structures accepted: their first published versions. */
#define CONFIG_MIN_SIZE RHOOK__ABI_SIZE_TO(struct rhook_manifest_ctx_config, last_version)
#define STORE_OPS_MIN_SIZE RHOOK__ABI_SIZE_TO(struct rhook_manifest_store_ops, persist)

const char *rhook_cause_name(enum rhook_cause cause)
{
	static const char *const names[] = {
#define RHOOK__LABEL(NAME, value, label) [value] = label,
		RHOOK_CAUSES(RHOOK__LABEL)
#undef RHOOK__LABEL
	};

	return (unsigned)cause < RHOOK_CAUSE_COUNT ? names[cause] : NULL;
}

int rhook_manifest_ctx_new(const struct rhook_manifest_ctx_config *in, struct rhook_manifest_ctx **out)
{
	struct rhook_manifest_ctx_config cfg;
	struct rhook_manifest_ctx *ctx;
	int err;

	if (!out)
		return -EINVAL;
	err = rhook__abi_copy(&cfg, sizeof(cfg), in, CONFIG_MIN_SIZE);
	if (err)
		return err;
	if (!cfg.store_ops)
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	err = rhook__abi_copy(&ctx->store_ops, sizeof(ctx->store_ops), cfg.store_ops, STORE_OPS_MIN_SIZE);
	if (err || !ctx->store_ops.persist ||
	    (ctx->store_ops.encoding != RHOOK_MANIFEST_ENCODING_JSON &&
	     ctx->store_ops.encoding != RHOOK_MANIFEST_ENCODING_NONE)) {
		free(ctx);
		return -EINVAL;
	}
	rhook__ctx_init(ctx, cfg.region_id, cfg.registry, cfg.last_version);
	ctx->store = cfg.store;
	*out = ctx;
	return 0;
}

void rhook_manifest_ctx_free(struct rhook_manifest_ctx *ctx)
{
	char id[RHOOK_REGION_ID_STRLEN];

	if (!ctx)
		return;
	if (atomic_load_explicit(rhook__ctx_owner(ctx), memory_order_relaxed))
		rhook__fatal("rhook_manifest_ctx_free(): the manifest mutex of region %s is held",
			     rhook_region_id_format(ctx->region_id, id));
	rhook__ledger_forget_ctx(ctx);
	pthread_mutex_destroy(&ctx->lock);
	pthread_mutex_destroy(&ctx->emit_lock);
	free(ctx->commits);
	free(ctx);
}

rhook_region_id rhook_manifest_region_id(const struct rhook_manifest_ctx *ctx)
{
	return ctx->region_id;
}

/* Bookkeeping at the start of a hold; mutex held. */
static void hold_begin(struct rhook_manifest_ctx *ctx, uint64_t t0)
{
	rhook__manifest_holds++;
	ctx->hold++;
	atomic_store_explicit(rhook__ctx_owner(ctx), rhook__self(), memory_order_relaxed);
	ctx->acquired_ns = t0 ? rhook__now_ns() : 0;
	ctx->wait_ns = t0 ? ctx->acquired_ns - t0 : 0;
}

void rhook_manifest_lock(struct rhook_manifest_ctx *ctx)
{
	uint64_t t0 = rhook__ev_wanted(RHW_EV_manifest_commit) ? rhook__now_ns() : 0;
	char id[RHOOK_REGION_ID_STRLEN];

	if (ctx->head.external)
		rhook__fatal("rhook_manifest_lock(): region %s: an external context has no mutex (rhook/external.h)",
			     rhook_region_id_format(ctx->region_id, id));
	if (atomic_load_explicit(rhook__ctx_owner(ctx), memory_order_relaxed) == rhook__self())
		rhook__fatal("rhook_manifest_lock(): region %s: this thread already holds the manifest mutex",
			     rhook_region_id_format(ctx->region_id, id));
	pthread_mutex_lock(&ctx->lock);
	hold_begin(ctx, t0);
}

bool rhook_manifest_trylock(struct rhook_manifest_ctx *ctx)
{
	uint64_t t0 = rhook__ev_wanted(RHW_EV_manifest_commit) ? rhook__now_ns() : 0;
	char id[RHOOK_REGION_ID_STRLEN];

	if (ctx->head.external)
		rhook__fatal("rhook_manifest_trylock(): region %s: an external context has no mutex (rhook/external.h)",
			     rhook_region_id_format(ctx->region_id, id));
	if (pthread_mutex_trylock(&ctx->lock))
		return false;
	hold_begin(ctx, t0);
	return true;
}

void rhook_manifest_unlock(struct rhook_manifest_ctx *ctx)
{
	struct rhw_ev_manifest_commit local[4], *commits = local;
	char id[RHOOK_REGION_ID_STRLEN];
	uint64_t hold_ns;
	size_t n;

	if (atomic_load_explicit(rhook__ctx_owner(ctx), memory_order_relaxed) != rhook__self())
		rhook__fatal("rhook_manifest_unlock(): region %s: the calling thread does not hold the mutex",
			     rhook_region_id_format(ctx->region_id, id));
	n = ctx->num_commits;
	if (n > sizeof(local) / sizeof(local[0])) {
		/* Hand the array over: the events are emitted after the unlock. */
		commits = ctx->commits;
		ctx->commits = NULL;
		ctx->cap_commits = 0;
	} else if (n) {
		memcpy(local, ctx->commits, n * sizeof(local[0]));
	}
	ctx->num_commits = 0;
	if (n)
		pthread_mutex_lock(&ctx->emit_lock); /* after the previous hold's events */
	/* The hold ends here: waiting for emit_lock was part of it. */
	hold_ns = ctx->acquired_ns ? rhook__now_ns() - ctx->acquired_ns : 0;
	for (size_t i = 0; i < n; i++) {
		commits[i].lock_wait_ns = ctx->wait_ns;
		commits[i].lock_hold_ns = hold_ns;
	}
	atomic_store_explicit(rhook__ctx_owner(ctx), NULL, memory_order_relaxed);
	/* End of this hold, published before the mutex is free; pairs with fire's acquire. */
	atomic_store_explicit(rhook__ctx_released(ctx), ctx->hold, memory_order_release);
	rhook__manifest_holds--;
	pthread_mutex_unlock(&ctx->lock);

	for (size_t i = 0; i < n; i++)
		rhook__emit_manifest_commit(&commits[i]);
	if (n)
		pthread_mutex_unlock(&ctx->emit_lock);
	if (commits != local)
		free(commits);
}

bool rhook_manifest_held(const struct rhook_manifest_ctx *ctx)
{
	return atomic_load_explicit(rhook__ctx_owner(ctx), memory_order_relaxed) == rhook__self();
}

uint64_t rhook_manifest_last_version(const struct rhook_manifest_ctx *ctx)
{
	return atomic_load_explicit(&ctx->last_version, memory_order_acquire);
}

int rhook_manifest_advance_version(struct rhook_manifest_ctx *ctx, uint64_t version)
{
	if (ctx->head.external)
		return -EOPNOTSUPP;
	if (!rhook_manifest_held(ctx))
		return -EPERM;
	if (version < atomic_load_explicit(&ctx->last_version, memory_order_relaxed))
		return -EINVAL;
	atomic_store_explicit(&ctx->last_version, version, memory_order_release);
	return 0;
}

/* Notes a write attempt of this hold for rhook:manifest_commit; mutex held. */
static void note_commit(struct rhook_manifest_ctx *ctx, uint64_t version, enum rhook_cause cause,
			uint64_t persist_ns, int result)
{
	struct rhw_ev_manifest_commit *c;

	if (!rhook__ev_wanted(RHW_EV_manifest_commit))
		return;
	if (ctx->num_commits == ctx->cap_commits) {
		size_t cap = ctx->cap_commits ? 2 * ctx->cap_commits : 4;

		c = realloc(ctx->commits, cap * sizeof(*c));
		if (!c)
			return; /* tracing only: the event is lost, the commit is not */
		ctx->commits = c;
		ctx->cap_commits = cap;
	}
	c = &ctx->commits[ctx->num_commits++];
	memset(c, 0, sizeof(*c));
	c->region_id = ctx->region_id;
	c->job_id = rhook__job_id;
	c->version = version;
	c->persist_ns = persist_ns;
	c->result = result;
	c->cause = (uint8_t)cause;
}

int rhook__manifest_update_locked(struct rhook_manifest_ctx *ctx, const struct rhook_action_list *actions,
				  enum rhook_cause cause, struct rhook_receipt *receipt, const char *file, int line)
{
	struct rhook_action_list *copy = NULL;
	uint64_t version, t0;
	char *json;
	size_t len;
	int err;

	/* The one rule (validate.h), before anything is copied, encoded or persisted. */
	if ((err = rhook__action_list_check(actions)))
		return err;
	if (!ctx || !actions || !receipt || !rhook_cause_name(cause))
		return -EINVAL;
	if (ctx->head.external)
		return -EOPNOTSUPP;
	if (!rhook_manifest_held(ctx))
		return -EPERM;
	if (receipt->rhook__pending)
		return -EBUSY;

	/*
	 * The receipt notifies the hooks registered when it fires (rhook/manifest.h),
	 * so with a registry the actions are kept even if it has no hook now:
	 * one may be added before the fire.  Copied before persisting: once
	 * committed, the notification must not be lost to ENOMEM.
	 */
	if (ctx->registry || rhook__ev_wanted(RHW_EV_manifest_updated)) {
		err = rhook_action_list_copy(actions, &copy);
		if (err)
			return err;
	}
	/* Under the mutex: only for a store that asked for it. */
	json = NULL;
	len = 0;
	if (ctx->store_ops.encoding == RHOOK_MANIFEST_ENCODING_JSON) {
		err = rhook_action_list_to_json(actions, &json, &len);
		if (err) {
			rhook_action_list_free(copy);
			return err;
		}
	}

	version = atomic_load_explicit(&ctx->last_version, memory_order_relaxed) + 1;
	t0 = rhook__now_ns();
	err = ctx->store_ops.persist(ctx->store, ctx->region_id, version, actions, json, len);
	if (err > 0)
		err = -EIO; /* the store broke its contract; never report success */
	note_commit(ctx, version, cause, rhook__now_ns() - t0, err);
	free(json);
	if (err) {
		rhook_action_list_free(copy);
		return err;
	}
	atomic_store_explicit(&ctx->last_version, version, memory_order_release);

	receipt->rhook__ctx = ctx;
	receipt->rhook__actions = copy;
	receipt->rhook__version = version;
	receipt->rhook__hold = ctx->hold;
	receipt->rhook__cause = (uint32_t)cause;
	receipt->rhook__job_id = rhook__job_id;
	receipt->rhook__pending = 1;
	receipt->rhook__serial = rhook__ledger_add(ctx, version, file, line);
	return 0;
}

int rhook_manifest_update(struct rhook_manifest_ctx *ctx, const struct rhook_action_list *actions,
			  enum rhook_cause cause, uint64_t *version)
{
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;
	int err;

	if (!ctx)
		return -EINVAL;
	rhook_manifest_lock(ctx);
	err = rhook_manifest_update_locked(ctx, actions, cause, &r);
	rhook_manifest_unlock(ctx);
	if (err)
		return err;
	if (version)
		*version = r.rhook__version;
	/* The hold is over and this thread does not hold the mutex: firing cannot fail, nor leak. */
	err = rhook_receipt_fire(&r);
	if (err)
		rhook_receipt_discard(&r);
	return err;
}
