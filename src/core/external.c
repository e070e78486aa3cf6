/*
 * external.c - external manifest contexts (rhook/external.h): the engine
 * commits under its own lock and tells rhook afterwards; rhook emits the
 * commit event and hands back a receipt that fire and merge treat like
 * any other.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/external.h>

#include "base/abi.h"
#include "base/internal.h"
#include "manifest_ctx.h"
#include "model/validate.h"
#include "trace/emit.h"

#define CONFIG_MIN_SIZE RHOOK__ABI_SIZE_TO(struct rhook_external_manifest_config, engine_lock)
#define INFO_MIN_SIZE RHOOK__ABI_SIZE_TO(struct rhook_commit_info, persist_ns)

int rhook_manifest_ctx_new_external(const struct rhook_external_manifest_config *in,
				    struct rhook_manifest_ctx **out)
{
	struct rhook_external_manifest_config cfg;
	struct rhook_manifest_ctx *ctx;
	int err;

	if (!out)
		return -EINVAL;
	err = rhook__abi_copy(&cfg, sizeof(cfg), in, CONFIG_MIN_SIZE);
	if (err)
		return err;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	rhook__ctx_init(ctx, cfg.region_id, cfg.registry, cfg.last_version);
	ctx->head.external = true;
	ctx->lock_held = cfg.lock_held;
	ctx->engine_lock = cfg.engine_lock;
	*out = ctx;
	return 0;
}

bool rhook_manifest_is_external(const struct rhook_manifest_ctx *ctx)
{
	return ctx && ctx->head.external;
}

/*
 * Raises the last version to @version if it is larger.  emit_lock held:
 * every writer of last_version in an external context holds it; the
 * release store pairs with rhook_manifest_last_version()'s acquire, which
 * reads without the lock.
 */
static void raise_last_version(struct rhook_manifest_ctx *ctx, uint64_t version)
{
	if (version > atomic_load_explicit(&ctx->last_version, memory_order_relaxed))
		atomic_store_explicit(&ctx->last_version, version, memory_order_release);
}

/*
 * Any thread, concurrently with itself.  emit_lock (innermost: nothing of
 * rhook's is taken under it but the recorder's write path) makes
 * "assign the version, emit the commit" one step, so assigned versions
 * reach the trace in order.
 */
int rhook__manifest_committed(struct rhook_manifest_ctx *ctx, const struct rhook_action_list *actions,
			      enum rhook_cause cause, const struct rhook_commit_info *in, struct rhook_receipt *receipt,
			      const char *file, int line)
{
	struct rhook_commit_info info = { .size = sizeof(info) };
	struct rhw_ev_manifest_commit ev;
	struct rhook_action_list *copy = NULL;
	uint64_t version;
	int err;

	if ((err = rhook__action_list_check(actions)))
		return err;
	if (!ctx || !actions || !receipt || !ctx->head.external || !rhook_cause_name(cause))
		return -EINVAL;
	if (in && (err = rhook__abi_copy(&info, sizeof(info), in, INFO_MIN_SIZE)))
		return err;
	if (receipt->rhook__pending)
		return -EBUSY;
	/* The rule of rhook/manifest.h: with a registry, keep the actions for the hooks of the fire. */
	if (ctx->registry || rhook__ev_wanted(RHW_EV_manifest_updated)) {
		err = rhook_action_list_copy(actions, &copy);
		if (err)
			return err;
	}

	pthread_mutex_lock(&ctx->emit_lock);
	if (info.version) {
		version = info.version;
		raise_last_version(ctx, version);
	} else {
		version = atomic_load_explicit(&ctx->last_version, memory_order_relaxed) + 1;
		raise_last_version(ctx, version);
	}
	if (rhook__ev_wanted(RHW_EV_manifest_commit)) {
		memset(&ev, 0, sizeof(ev));
		ev.region_id = ctx->region_id;
		ev.job_id = rhook__job_id; /* the calling thread's job (rhook_job_enter()) */
		ev.version = version;
		ev.lock_wait_ns = info.lock_wait_ns;
		ev.lock_hold_ns = info.lock_hold_ns;
		ev.persist_ns = info.persist_ns;
		ev.result = 0;
		ev.cause = (uint8_t)cause;
		rhook__emit_manifest_commit(&ev);
	}
	pthread_mutex_unlock(&ctx->emit_lock);

	receipt->rhook__ctx = ctx;
	receipt->rhook__actions = copy;
	receipt->rhook__version = version;
	receipt->rhook__hold = 0; /* no hold of rhook's to wait for: fire's -EBUSY check passes */
	receipt->rhook__cause = (uint32_t)cause;
	receipt->rhook__job_id = rhook__job_id;
	receipt->rhook__pending = 1;
	receipt->rhook__serial = rhook__ledger_add(ctx, version, file, line);
	return 0;
}

int rhook_manifest_notify(struct rhook_manifest_ctx *ctx, const struct rhook_action_list *actions,
			  enum rhook_cause cause, const struct rhook_commit_info *info, uint64_t *version)
{
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;
	int err;

	err = rhook_manifest_committed(ctx, actions, cause, info, &r);
	if (err)
		return err;
	if (version)
		*version = r.rhook__version;
	err = rhook_receipt_fire(&r);
	if (err)
		rhook_receipt_discard(&r); /* -EDEADLK: reported to the caller, never left pending */
	return err;
}
