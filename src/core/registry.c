/*
 * registry.c - the RCU-protected hook list and its dispatch slow paths.
 *
 * The registry publishes an immutable, NULL-able array of hooks (a "set").
 * Writers (add, remove, free) serialize on one process-wide mutex, build
 * a new set, publish it with a release store and retire the old one after
 * a grace period.  Readers (dispatch) load the set under urcu-bp's read
 * lock and walk it without any lock.
 *
 * Synchronization:
 *   reg->head.set   written under `writers` (release), read by dispatch
 *                   (acquire) inside an RCU read-side section.
 *   a set           immutable once published; freed by call_rcu.
 *   a hook          immutable once added; released after the grace period
 *                   that follows the publication of a set without it.
 *
 * Where a writer may not wait for a grace period (rhook__may_wait_grace_period():
 * inside a callback, or holding a manifest mutex) it defers the release
 * to liburcu's call_rcu thread instead; rhook_registry_free() also defers
 * on a call_rcu thread, where rcu_barrier() would wait for itself.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/hook.h>

#include "base/abi.h"
#include "base/internal.h"
#include "base/urcu.h"
#include "trace/emit.h"

__thread unsigned rhook__dispatch_depth __attribute__((tls_model("initial-exec")));

struct rhook_hook {
	struct rhook_hook_ops ops; /* copied, zero-extended to our size */
	void *priv;
	struct rcu_head rcu;       /* deferred release */
};

struct rhook__hook_set {
	struct rcu_head rcu;
	size_t nr;
	struct rhook_hook *hooks[];
};

struct rhook_registry {
	/* Must stay first: rhook/static/dispatch.h reads it. */
	struct rhook__registry_head head;
};

/*
 * Serializes the writers of every registry (add, remove, free), and is
 * held across fork() so that a child never finds it taken by a thread
 * that does not exist there.  Innermost lock: taken under a manifest
 * mutex and inside callbacks, never held while waiting for a grace
 * period, entering a read-side section or calling out of rhook (the fork
 * order of atfork.c relies on it).  Writers are rare: one lock for all
 * registries costs nothing.
 */
static pthread_mutex_t writers = PTHREAD_MUTEX_INITIALIZER;

/* The smallest struct rhook_hook_ops accepted: the first published one. */
#define HOOK_OPS_MIN_SIZE RHOOK__ABI_SIZE_TO(struct rhook_hook_ops, release)

/* Grace-period token for ThreadSanitizer annotations (no data). */
static char gp_token __attribute__((unused));

static struct rhook__hook_set *set_load(const struct rhook_registry *reg, memory_order mo)
{
	return atomic_load_explicit((_Atomic(struct rhook__hook_set *) *)&reg->head.set, mo);
}

static void set_publish(struct rhook_registry *reg, struct rhook__hook_set *set)
{
	/* Publish the set's contents (and the hooks') before the pointer; pairs with set_load(acquire). */
	atomic_store_explicit((_Atomic(struct rhook__hook_set *) *)&reg->head.set, set, memory_order_release);
}

static void set_free_rcu(struct rcu_head *head)
{
	RHOOK__TSAN_ACQUIRE(&gp_token);
	free(caa_container_of(head, struct rhook__hook_set, rcu));
}

static void set_retire(struct rhook__hook_set *set)
{
	if (set) {
		RHOOK__TSAN_RELEASE(&gp_token);
		urcu_bp_call_rcu(&set->rcu, set_free_rcu);
	}
}

static void hook_release(struct rhook_hook *hook)
{
	if (hook->ops.release)
		hook->ops.release(hook->priv);
	free(hook);
}

static void hook_release_rcu(struct rcu_head *head)
{
	RHOOK__TSAN_ACQUIRE(&gp_token);
	hook_release(caa_container_of(head, struct rhook_hook, rcu));
}

/* Releases @hook on the call_rcu thread after a grace period: for callers that may not wait. */
static void hook_release_deferred(struct rhook_hook *hook)
{
	RHOOK__TSAN_RELEASE(&gp_token);
	urcu_bp_call_rcu(&hook->rcu, hook_release_rcu);
}

/*
 * Whether rhook_registry_free() may wait for the deferred releases
 * (rcu_barrier): not where it may not wait for a grace period, and not on
 * a call_rcu thread (a release() that frees a registry runs there), whose
 * own queue the barrier would wait for.
 */
static bool may_wait_barrier(void)
{
	return rhook__may_wait_grace_period() && !urcu_bp_get_thread_call_rcu_data();
}

void rhook__registry_before_fork(void)
{
	pthread_mutex_lock(&writers);
}

void rhook__registry_after_fork(void)
{
	pthread_mutex_unlock(&writers);
}

int rhook_registry_new(struct rhook_registry **out)
{
	struct rhook_registry *reg;

	if (!out)
		return -EINVAL;
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return -ENOMEM;
	*out = reg;
	return 0;
}

void rhook_registry_free(struct rhook_registry *reg)
{
	struct rhook__hook_set *set;

	if (!reg)
		return;
	pthread_mutex_lock(&writers);
	set = set_load(reg, memory_order_relaxed);
	set_publish(reg, NULL);
	pthread_mutex_unlock(&writers);

	if (!may_wait_barrier()) {
		/*
		 * Waiting could deadlock: every hook is released on the call_rcu
		 * thread after a grace period, in registration order.  Nothing
		 * reads @reg past this point (a dispatch in progress, the
		 * caller's own included, walks the set it loaded).
		 */
		if (set) {
			for (size_t i = 0; i < set->nr; i++)
				hook_release_deferred(set->hooks[i]);
			set_retire(set);
		}
		free(reg);
		return;
	}
	urcu_bp_synchronize_rcu();
	RHOOK__TSAN_ACQUIRE(&gp_token);
	if (set) {
		for (size_t i = 0; i < set->nr; i++)
			hook_release(set->hooks[i]);
		free(set);
	}
	/* Deferred releases of hooks removed earlier without waiting. */
	urcu_bp_barrier();
	free(reg);
}

int rhook_registry_add(struct rhook_registry *reg, const struct rhook_hook_ops *ops, void *priv,
		       struct rhook_hook **out)
{
	struct rhook__hook_set *old, *set;
	struct rhook_hook *hook;
	size_t nr;
	int err;

	if (!reg)
		return -EINVAL;
	hook = calloc(1, sizeof(*hook));
	if (!hook)
		return -ENOMEM;
	err = rhook__abi_copy(&hook->ops, sizeof(hook->ops), ops, HOOK_OPS_MIN_SIZE);
	if (err) {
		free(hook);
		return err;
	}
	hook->priv = priv;

	pthread_mutex_lock(&writers);
	old = set_load(reg, memory_order_relaxed);
	nr = old ? old->nr : 0;
	set = malloc(sizeof(*set) + (nr + 1) * sizeof(set->hooks[0]));
	if (!set) {
		pthread_mutex_unlock(&writers);
		free(hook);
		return -ENOMEM;
	}
	set->nr = nr + 1;
	if (nr)
		memcpy(set->hooks, old->hooks, nr * sizeof(set->hooks[0]));
	set->hooks[nr] = hook;
	/*
	 * The handle exists before any callback can run: a hook may remove
	 * itself from its first callback.  Ordered before the callbacks by
	 * set_publish(release) / set_load(acquire).
	 */
	if (out)
		*out = hook;
	set_publish(reg, set);
	pthread_mutex_unlock(&writers);

	set_retire(old);
	return 0;
}

int rhook_registry_remove(struct rhook_registry *reg, struct rhook_hook *hook)
{
	struct rhook__hook_set *old, *set = NULL;
	size_t i, nr;

	if (!reg || !hook)
		return -EINVAL;
	pthread_mutex_lock(&writers);
	old = set_load(reg, memory_order_relaxed);
	nr = old ? old->nr : 0;
	for (i = 0; i < nr && old->hooks[i] != hook; i++)
		;
	if (i == nr) {
		pthread_mutex_unlock(&writers);
		return -ENOENT;
	}
	if (nr > 1) {
		set = malloc(sizeof(*set) + (nr - 1) * sizeof(set->hooks[0]));
		if (!set) {
			pthread_mutex_unlock(&writers);
			return -ENOMEM;
		}
		set->nr = nr - 1;
		memcpy(set->hooks, old->hooks, i * sizeof(set->hooks[0]));
		memcpy(set->hooks + i, old->hooks + i + 1, (nr - i - 1) * sizeof(set->hooks[0]));
	}
	set_publish(reg, set);
	pthread_mutex_unlock(&writers);

	if (!rhook__may_wait_grace_period()) {
		/* Inside a callback or holding a manifest mutex: waiting could deadlock, defer both. */
		hook_release_deferred(hook);
		set_retire(old);
		return 0;
	}
	urcu_bp_synchronize_rcu();
	RHOOK__TSAN_ACQUIRE(&gp_token);
	free(old);
	hook_release(hook);
	return 0;
}

size_t rhook_registry_count(const struct rhook_registry *reg)
{
	const struct rhook__hook_set *set;
	size_t n;

	urcu_bp_read_lock();
	set = set_load(reg, memory_order_acquire);
	n = set ? set->nr : 0;
	/* This read of the set happens before its reclamation (TSan's view, as in dispatch()). */
	RHOOK__TSAN_RELEASE(&gp_token);
	urcu_bp_read_unlock();
	return n;
}

/* What one dispatch passes to the callbacks of one kind. */
struct dispatch_args {
	unsigned callback; /* RHW_CALLBACK_* */
	const struct rhook_region_meta *region_meta;
	const struct rhook_sst_file *files;
	size_t num_files;
	const struct rhook_action_list *actions;
	uint64_t version;
};

/*
 * Calls every hook of the current set that has the callback, in
 * registration order.  Any thread, any number at once; takes no lock.
 * Emits rhook:hook_dispatch after the callbacks returned.
 */
static inline __attribute__((always_inline)) void dispatch(struct rhook_registry *reg, rhook_region_id region_id,
							   const struct dispatch_args *a)
{
	bool timed = rhook__ev_wanted(RHW_EV_hook_dispatch);
	uint64_t t0 = timed ? rhook__now_ns() : 0;
	struct rhook__hook_set *set;
	uint32_t called = 0;

	rhook__dispatch_depth++;
	urcu_bp_read_lock();
	set = set_load(reg, memory_order_acquire);
	for (size_t i = 0; set && i < set->nr; i++) {
		const struct rhook_hook *h = set->hooks[i];

		if (a->callback == RHW_CALLBACK_SST_FILES_WRITTEN && h->ops.on_sst_files_written) {
			h->ops.on_sst_files_written(h->priv, region_id, a->region_meta, a->files, a->num_files);
			called++;
		} else if (a->callback == RHW_CALLBACK_MANIFEST_UPDATED && h->ops.on_manifest_updated) {
			h->ops.on_manifest_updated(h->priv, region_id, a->actions, a->version);
			called++;
		}
	}
	/* Every read of the set happens before its reclamation (TSan's view). */
	RHOOK__TSAN_RELEASE(&gp_token);
	urcu_bp_read_unlock();
	rhook__dispatch_depth--;
	if (timed && called)
		rhook__emit_hook_dispatch(region_id, a->callback, called, rhook__now_ns() - t0);
}

void rhook__dispatch_sst_files_written_slow(struct rhook_registry *reg, rhook_region_id region_id,
					    const struct rhook_region_meta *region_meta,
					    const struct rhook_sst_file *files, size_t num_files)
{
	const struct dispatch_args a = { .callback = RHW_CALLBACK_SST_FILES_WRITTEN,
					 .region_meta = region_meta, .files = files, .num_files = num_files };

	dispatch(reg, region_id, &a);
}

void rhook__dispatch_manifest_updated_slow(struct rhook_registry *reg, rhook_region_id region_id,
					   const struct rhook_action_list *actions, uint64_t version)
{
	const struct dispatch_args a = { .callback = RHW_CALLBACK_MANIFEST_UPDATED,
					 .actions = actions, .version = version };

	dispatch(reg, region_id, &a);
}
