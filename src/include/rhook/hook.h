/*
 * rhook/hook.h - in-process hooks and the registry that holds them.
 *
 * A hook is an ops table plus a private pointer.  A registry is the list
 * of hooks one engine instance notifies (the seed's "plugins"); the engine
 * passes it to every region it opens, and a remote compactor builds its
 * own.  Hooks are called in registration order.
 *
 * Synchronization (liburcu, bulletproof flavor):
 *
 *   operation                      may run concurrently with     lock
 *   ---------------------------------------------------------------------
 *   rhook_dispatch_*()             everything except _free()      none (RCU read side)
 *   rhook_sst_files_written()      everything except _free()      none (RCU read side)
 *   rhook_registry_add()           everything except _free()      registry mutex, internal
 *   rhook_registry_remove()        everything except _free()      registry mutex, internal
 *   rhook_registry_free()          nothing on that registry       registry mutex, internal
 *
 * Dispatch never blocks and takes no lock.  Removal publishes a hook set
 * without the hook, waits for a grace period (every dispatch that could
 * have seen the hook has returned), then calls the hook's release()
 * exactly once.  Called from inside a callback, where waiting would
 * deadlock, removal returns at once and the release runs after the
 * grace period on liburcu's call_rcu thread.
 *
 * Why the bulletproof flavor: a library cannot make its host register
 * threads (memb, qsbr) nor announce quiescent states (qsbr); urcu-bp
 * registers a thread lazily on its first read-side section and cleans up
 * when it exits.  With sys_membarrier its read side is a few loads and
 * stores with no fence.  Read-side lock+unlock measured side by side
 * (rhook-bench-core, 2-core KVM): qsbr 0.0, memb 1.8, bp 2.0, mb 49 ns
 * above an empty loop; bp costs 0.2 ns more than memb and needs nothing
 * from the host.
 */
#ifndef RHOOK_HOOK_H
#define RHOOK_HOOK_H

#include <rhook/action.h>
#include <rhook/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rhook_registry;
struct rhook_hook;

/*
 * Callbacks run on the engine thread that reached the event, possibly on
 * several threads at once; they must be thread-safe with respect to @priv.
 * Both are optional.  A callback may take the region's manifest lock (it
 * never runs under it), register or remove hooks, and dispatch.
 */
struct rhook_hook_ops {
	size_t size; /* sizeof(struct rhook_hook_ops): fields only grow at the end */

	/* SST data files were written (flush, compaction), before the commit. */
	void (*on_sst_files_written)(void *priv, rhook_region_id region_id,
				     const struct rhook_region_meta *region_meta,
				     const struct rhook_sst_file *files, size_t num_files);

	/* A logical manifest write was committed and the lock released. */
	void (*on_manifest_updated)(void *priv, rhook_region_id region_id,
				    const struct rhook_action_list *actions, uint64_t version);

	/* Called once, after the last callback that could see the hook. */
	void (*release)(void *priv);
};

/* 0, or -ENOMEM. */
RHOOK_API int rhook_registry_new(struct rhook_registry **out);

/*
 * Removes every hook (releasing each) and frees the registry.  Waits for
 * deferred releases.  The caller guarantees no other call on @reg runs or
 * follows; must not be called from inside a callback.
 */
RHOOK_API void rhook_registry_free(struct rhook_registry *reg);

/*
 * Appends a hook.  Dispatches that start after the return see it.
 * Returns 0 and the handle in *out (may be NULL if never removed), or
 * -EINVAL (NULL ops, bad size) or -ENOMEM.
 */
RHOOK_API int rhook_registry_add(struct rhook_registry *reg, const struct rhook_hook_ops *ops,
				 void *priv, struct rhook_hook **out);

/*
 * Removes a hook.  Dispatches that start after the return do not see it.
 * Outside a callback: returns after the grace period, having called
 * release().  Inside a callback (of any registry): returns at once and
 * release() runs later.  0, or -ENOENT if @hook is not in @reg.
 */
RHOOK_API int rhook_registry_remove(struct rhook_registry *reg, struct rhook_hook *hook);

/* Number of hooks now registered (a snapshot). */
RHOOK_API size_t rhook_registry_count(const struct rhook_registry *reg);

/*
 * The SST write site (contract §1, §5): after the engine has written
 * @num_files SST data files and before it commits them.  Emits one
 * rhook:sst_file_written per file, then dispatches on_sst_files_written
 * and emits rhook:hook_dispatch.  @reg may be NULL (events only).
 * Concurrency: as dispatch.
 */
/* Which job wrote the files: X(NAME, value, "label"), for the enum, rhook_origin_name() and the trace. */
#define RHOOK_ORIGINS(X) X(FLUSH, 0, "flush") X(COMPACTION, 1, "compaction") X(REMOTE_COMPACTION, 2, "remote_compaction")

#define RHOOK__ORIGIN_ENUMERATOR(NAME, value, label) RHOOK_ORIGIN_##NAME = value,
enum rhook_origin { RHOOK_ORIGINS(RHOOK__ORIGIN_ENUMERATOR) };
#undef RHOOK__ORIGIN_ENUMERATOR

RHOOK_API void rhook_sst_files_written(struct rhook_registry *reg, rhook_region_id region_id,
				       const struct rhook_region_meta *region_meta,
				       const struct rhook_sst_file *files, size_t num_files,
				       enum rhook_origin origin);

RHOOK_API const char *rhook_origin_name(enum rhook_origin origin);

#ifdef __cplusplus
}
#endif

#include <rhook/static/dispatch.h>

#endif /* RHOOK_HOOK_H */
