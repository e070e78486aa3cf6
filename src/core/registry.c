/*
 * registry.c - the RCU-protected hook list and its dispatch slow paths.
 *
 * The registry publishes an immutable, NULL-able array of hooks (a "set").
 * Writers (add, remove, free) serialize on one process-wide mutex, build
 * a new set, publish it with a release store and retire the old one after
 * a grace period.  Readers (dispatch) load the set under urcu-bp's read
 * lock and walk it without any lock.
 *
 * A set also lists, per callback kind, the (function, priv) pairs of the
 * hooks that have that callback, in registration order: a dispatch loads
 * the set and calls, one dependent load less than through each hook and
 * no test of absent callbacks.  The registry and every set have cache
 * lines of their own, so that a writer's allocations and frees next to
 * them never make a reader's lines bounce (registry_churn_dispatch).
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/hook.h>

#include "base/abi.h"
#include "base/internal.h"
#include "base/urcu.h"
#include "fork.h"
#include "trace/emit.h"

struct rhook_hook {
	struct rhook_hook_ops ops; /* copied, zero-extended to our size */
	void *priv;
	struct rcu_head rcu;       /* deferred release */
};

/* One hook's callback of one kind, as dispatch calls it. */
struct hook_call {
	union {
		void (*sst_files_written)(void *priv, rhook_region_id region_id,
					  const struct rhook_region_meta *region_meta,
					  const struct rhook_sst_file *files, size_t num_files);
		void (*manifest_updated)(void *priv, rhook_region_id region_id,
					 const struct rhook_action_list *actions, uint64_t version);
		void (*files_removed)(void *priv, rhook_region_id region_id, const struct rhook_removed_file *files,
				      size_t num_files, enum rhook_remove_reason reason);
	} fn;
	void *priv;
};

#define NUM_CALLBACKS 3 /* RHW_CALLBACK_*: 0, 1, 2 */
_Static_assert(RHW_CALLBACK_SST_FILES_WRITTEN == 0 && RHW_CALLBACK_MANIFEST_UPDATED == 1 &&
		       RHW_CALLBACK_FILES_REMOVED == NUM_CALLBACKS - 1,
	       "a set's calls are indexed by callback kind");

struct rhook__hook_set {
	struct rcu_head rcu;
	size_t nr;
	struct rhook_hook **hooks;   /* @nr, in registration order (inside this block) */
	uint32_t end[NUM_CALLBACKS]; /* calls of kind k: calls[k ? end[k - 1] : 0 .. end[k]) */
	struct hook_call calls[];
};

struct rhook_registry {
	/* Must stay first: rhook/static/dispatch.h reads it. */
	struct rhook__registry_head head;
};
_Static_assert(sizeof(struct rhook_registry) <= 64, "rhook_registry_new() gives a registry one cache line");

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

/*
 * A new set: the hooks of @old (NULL: none) but its @skip-th (SIZE_MAX:
 * none), then @extra (NULL: none), with the calls of each kind; at least
 * one hook.  Cache-line aligned and sized: a reader's lines share nothing
 * with the allocations around them.  Writers' mutex held.  NULL on
 * -ENOMEM.
 */
static struct rhook__hook_set *set_new(const struct rhook__hook_set *old, size_t skip, struct rhook_hook *extra)
{
	size_t nr = old ? old->nr : 0, n = nr - (skip < nr) + (extra != NULL), ncalls = 0, j = 0;
	size_t calls_size = sizeof(struct rhook__hook_set) + NUM_CALLBACKS * n * sizeof(struct hook_call);
	size_t size = (calls_size + n * sizeof(struct rhook_hook *) + 63) & ~(size_t)63;
	struct rhook__hook_set *set = aligned_alloc(64, size);

	if (!set)
		return NULL;
	set->nr = n;
	set->hooks = (struct rhook_hook **)(void *)((char *)set + calls_size);
	for (size_t i = 0; i < nr; i++)
		if (i != skip)
			set->hooks[j++] = old->hooks[i];
	if (extra)
		set->hooks[j] = extra;
	for (unsigned k = 0; k < NUM_CALLBACKS; k++) {
		for (size_t i = 0; i < n; i++) {
			const struct rhook_hook *h = set->hooks[i];
			struct hook_call *c = &set->calls[ncalls];

			c->priv = h->priv;
			if (k == RHW_CALLBACK_SST_FILES_WRITTEN && h->ops.on_sst_files_written)
				c->fn.sst_files_written = h->ops.on_sst_files_written;
			else if (k == RHW_CALLBACK_MANIFEST_UPDATED && h->ops.on_manifest_updated)
				c->fn.manifest_updated = h->ops.on_manifest_updated;
			else if (k == RHW_CALLBACK_FILES_REMOVED && h->ops.on_files_removed)
				/* A hook added with an older, smaller ops has it zero (abi_copy). */
				c->fn.files_removed = h->ops.on_files_removed;
			else
				continue;
			ncalls++;
		}
		set->end[k] = (uint32_t)ncalls;
	}
	return set;
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
	/* A line of its own: readers load head.set, writers' neighbouring allocations must not bounce it. */
	reg = aligned_alloc(64, 64);
	if (!reg)
		return -ENOMEM;
	memset(reg, 0, 64);
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
	set = set_new(old, SIZE_MAX, hook);
	if (!set) {
		pthread_mutex_unlock(&writers);
		free(hook);
		return -ENOMEM;
	}
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
		set = set_new(old, i, NULL);
		if (!set) {
			pthread_mutex_unlock(&writers);
			return -ENOMEM;
		}
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
	const struct rhook_removed_file *removed;
	enum rhook_remove_reason reason;
};

/*
 * Calls the callbacks of kind a->callback of the current set, in
 * registration order, and returns how many it called.  Any thread, any
 * number at once; takes no lock.  The set's acquire load pairs with
 * set_publish()'s release: the calls it lists (and the hooks' privs) are
 * those the writer built.
 */
static inline __attribute__((always_inline)) uint32_t dispatch_calls(struct rhook_registry *reg,
								      rhook_region_id region_id,
								      const struct dispatch_args *a)
{
	const struct rhook__hook_set *set;
	uint32_t called = 0;

	rhook__dispatch_depth++;
	urcu_bp_read_lock();
	set = set_load(reg, memory_order_acquire);
	if (set) {
		const struct hook_call *c = set->calls + (a->callback ? set->end[a->callback - 1] : 0);
		const struct hook_call *end = set->calls + set->end[a->callback];

		called = (uint32_t)(end - c);
		for (; c < end; c++) {
			if (a->callback == RHW_CALLBACK_SST_FILES_WRITTEN)
				c->fn.sst_files_written(c->priv, region_id, a->region_meta, a->files, a->num_files);
			else if (a->callback == RHW_CALLBACK_MANIFEST_UPDATED)
				c->fn.manifest_updated(c->priv, region_id, a->actions, a->version);
			else
				c->fn.files_removed(c->priv, region_id, a->removed, a->num_files, a->reason);
		}
	}
	/* Every read of the set happens before its reclamation (TSan's view). */
	RHOOK__TSAN_RELEASE(&gp_token);
	urcu_bp_read_unlock();
	rhook__dispatch_depth--;
	return called;
}

/*
 * dispatch_calls() timed for rhook:hook_dispatch, emitted after the
 * callbacks returned.  Out of line, @a by value: the untimed loop then
 * keeps fewer registers live across the callbacks, and its arguments
 * stay in registers (a pointer to them would escape into the calls).
 */
static __attribute__((noinline)) void dispatch_timed(struct rhook_registry *reg, rhook_region_id region_id,
						     struct dispatch_args a)
{
	uint64_t t0 = rhook__now_ns();
	uint32_t called = dispatch_calls(reg, region_id, &a);

	if (called)
		rhook__emit_hook_dispatch(region_id, a.callback, called, rhook__now_ns() - t0);
}

/* Calls every hook that has the callback; emits rhook:hook_dispatch when it is wanted. */
static inline __attribute__((always_inline)) void dispatch(struct rhook_registry *reg, rhook_region_id region_id,
							   const struct dispatch_args *a)
{
	if (RHOOK_UNLIKELY(rhook__ev_wanted(RHW_EV_hook_dispatch)))
		dispatch_timed(reg, region_id, *a);
	else
		(void)dispatch_calls(reg, region_id, a);
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

void rhook__dispatch_files_removed_slow(struct rhook_registry *reg, rhook_region_id region_id,
					const struct rhook_removed_file *files, size_t num_files,
					enum rhook_remove_reason reason)
{
	const struct dispatch_args a = { .callback = RHW_CALLBACK_FILES_REMOVED, .removed = files,
					 .num_files = num_files, .reason = reason };

	dispatch(reg, region_id, &a);
}
