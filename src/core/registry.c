/*
 * registry.c - the RCU-protected hook list and its dispatch slow paths.
 *
 * The registry publishes an immutable, NULL-able array of hooks (a "set").
 * Writers (add, remove, free) serialize on reg->lock, build a new set,
 * publish it with a release store and retire the old one after a grace
 * period.  Readers (dispatch) load the set under urcu-bp's read lock and
 * walk it without any lock.
 *
 * Synchronization:
 *   reg->head.set   written under reg->lock (release), read by dispatch
 *                   (acquire) inside an RCU read-side section.
 *   a set           immutable once published; freed by call_rcu.
 *   a hook          immutable once added; released after the grace period
 *                   that follows the publication of a set without it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/hook.h>

#include "../trace/emit.h"
#include "internal.h"
#include "urcu.h"

__thread unsigned rhook__dispatch_depth __attribute__((tls_model("initial-exec")));

struct rhook_hook {
	struct rhook_hook_ops ops; /* copied, zero-extended to our size */
	void *priv;
	struct rcu_head rcu;       /* deferred release (removal from a callback) */
};

struct rhook__hook_set {
	struct rcu_head rcu;
	size_t nr;
	struct rhook_hook *hooks[];
};

struct rhook_registry {
	/* Must stay first: rhook/static/dispatch.h reads it. */
	struct rhook__registry_head head;
	/* Serializes writers; never taken by dispatch. Innermost lock. */
	pthread_mutex_t lock;
};

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

/* Called by rhook's constructor: keep urcu-bp consistent across fork(). */
void rhook__urcu_atfork(void)
{
	/* call_rcu's own lock is taken first and dropped last. */
	pthread_atfork(urcu_bp_call_rcu_before_fork, urcu_bp_call_rcu_after_fork_parent,
		       urcu_bp_call_rcu_after_fork_child);
	pthread_atfork(urcu_bp_before_fork, urcu_bp_after_fork_parent, urcu_bp_after_fork_child);
}

int rhook_registry_new(struct rhook_registry **out)
{
	struct rhook_registry *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return -ENOMEM;
	pthread_mutex_init(&reg->lock, NULL);
	*out = reg;
	return 0;
}

void rhook_registry_free(struct rhook_registry *reg)
{
	struct rhook__hook_set *set;

	if (!reg)
		return;
	if (rhook__dispatch_depth)
		rhook__fatal("rhook_registry_free() called from inside a hook callback");
	pthread_mutex_lock(&reg->lock);
	set = set_load(reg, memory_order_relaxed);
	set_publish(reg, NULL);
	pthread_mutex_unlock(&reg->lock);

	urcu_bp_synchronize_rcu();
	RHOOK__TSAN_ACQUIRE(&gp_token);
	if (set) {
		for (size_t i = 0; i < set->nr; i++)
			hook_release(set->hooks[i]);
		free(set);
	}
	/* Deferred releases of hooks removed from callbacks. */
	urcu_bp_barrier();
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

int rhook_registry_add(struct rhook_registry *reg, const struct rhook_hook_ops *ops, void *priv,
		       struct rhook_hook **out)
{
	struct rhook__hook_set *old, *set;
	struct rhook_hook *hook;
	size_t nr;

	if (!reg || !ops || ops->size < offsetof(struct rhook_hook_ops, release) + sizeof(ops->release))
		return -EINVAL;
	hook = calloc(1, sizeof(*hook));
	if (!hook)
		return -ENOMEM;
	memcpy(&hook->ops, ops, ops->size < sizeof(hook->ops) ? ops->size : sizeof(hook->ops));
	hook->ops.size = sizeof(hook->ops);
	hook->priv = priv;

	pthread_mutex_lock(&reg->lock);
	old = set_load(reg, memory_order_relaxed);
	nr = old ? old->nr : 0;
	set = malloc(sizeof(*set) + (nr + 1) * sizeof(set->hooks[0]));
	if (!set) {
		pthread_mutex_unlock(&reg->lock);
		free(hook);
		return -ENOMEM;
	}
	set->nr = nr + 1;
	if (nr)
		memcpy(set->hooks, old->hooks, nr * sizeof(set->hooks[0]));
	set->hooks[nr] = hook;
	set_publish(reg, set);
	pthread_mutex_unlock(&reg->lock);

	set_retire(old);
	if (out)
		*out = hook;
	return 0;
}

int rhook_registry_remove(struct rhook_registry *reg, struct rhook_hook *hook)
{
	struct rhook__hook_set *old, *set = NULL;
	size_t i, nr;

	if (!reg || !hook)
		return -EINVAL;
	pthread_mutex_lock(&reg->lock);
	old = set_load(reg, memory_order_relaxed);
	nr = old ? old->nr : 0;
	for (i = 0; i < nr && old->hooks[i] != hook; i++)
		;
	if (i == nr) {
		pthread_mutex_unlock(&reg->lock);
		return -ENOENT;
	}
	if (nr > 1) {
		set = malloc(sizeof(*set) + (nr - 1) * sizeof(set->hooks[0]));
		if (!set) {
			pthread_mutex_unlock(&reg->lock);
			return -ENOMEM;
		}
		set->nr = nr - 1;
		memcpy(set->hooks, old->hooks, i * sizeof(set->hooks[0]));
		memcpy(set->hooks + i, old->hooks + i + 1, (nr - i - 1) * sizeof(set->hooks[0]));
	}
	set_publish(reg, set);
	pthread_mutex_unlock(&reg->lock);

	if (rhook__dispatch_depth) {
		/* Inside a read-side section: waiting would deadlock, defer both. */
		RHOOK__TSAN_RELEASE(&gp_token);
		urcu_bp_call_rcu(&hook->rcu, hook_release_rcu);
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
	urcu_bp_read_unlock();
	return n;
}

/* What one dispatch passes to the callbacks of one kind. */
struct dispatch_args {
	unsigned callback; /* RHOOK__CALLBACK_* */
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
	bool timed = rhook__ev_wanted(RHOOK__EV_hook_dispatch);
	uint64_t t0 = timed ? rhook__now_ns() : 0;
	struct rhook__hook_set *set;
	uint32_t called = 0;

	rhook__dispatch_depth++;
	urcu_bp_read_lock();
	set = set_load(reg, memory_order_acquire);
	for (size_t i = 0; set && i < set->nr; i++) {
		const struct rhook_hook *h = set->hooks[i];

		if (a->callback == RHOOK__CALLBACK_SST_FILES_WRITTEN && h->ops.on_sst_files_written) {
			h->ops.on_sst_files_written(h->priv, region_id, a->region_meta, a->files, a->num_files);
			called++;
		} else if (a->callback == RHOOK__CALLBACK_MANIFEST_UPDATED && h->ops.on_manifest_updated) {
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
	const struct dispatch_args a = { .callback = RHOOK__CALLBACK_SST_FILES_WRITTEN,
					 .region_meta = region_meta, .files = files, .num_files = num_files };

	dispatch(reg, region_id, &a);
}

void rhook__dispatch_manifest_updated_slow(struct rhook_registry *reg, rhook_region_id region_id,
					   const struct rhook_action_list *actions, uint64_t version)
{
	const struct dispatch_args a = { .callback = RHOOK__CALLBACK_MANIFEST_UPDATED,
					 .actions = actions, .version = version };

	dispatch(reg, region_id, &a);
}
