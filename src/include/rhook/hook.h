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
 *   rhook_files_removed()          everything except _free()      none (RCU read side);
 *                                  never with a manifest mutex held
 *   rhook_registry_add()           everything except _free()      writer mutex, internal
 *   rhook_registry_remove()        everything except _free()      writer mutex, internal
 *   rhook_registry_free()          nothing on that registry       writer mutex, internal
 *
 * The writer mutex is one for all registries, held briefly and never
 * while waiting or calling out of rhook.  Dispatch never blocks and takes
 * no lock.  Removal publishes a hook set without the hook, waits for a
 * grace period (every dispatch that could have seen the hook has
 * returned), then calls the hook's release() exactly once.
 *
 * Calls that wait for a grace period: rhook_registry_remove(),
 * rhook_registry_free() and rhook_recorder_stop().  A grace period is
 * process-wide: it waits for every callback running on any thread, in
 * any registry.  So these calls must not be made while holding a lock
 * that a callback may wait for, or they wait for a callback that waits
 * for the caller.  rhook sees two such cases and never waits there:
 * inside a callback, and while the calling thread holds a manifest mutex
 * (rhook_manifest_lock(), which callbacks may take).  There removal and
 * free return at once and the releases run later (see release() below);
 * rhook_recorder_stop() returns -EDEADLK.  Locks of the host's own, which
 * rhook cannot see, are the host's to drop first: a host that removes a
 * hook under its own lock L must not have a callback (or a release())
 * that takes L.
 *
 * Across fork(), the child's registries hold what the parent's held, and
 * the child may dispatch, add and remove as usual; a release() pending on
 * the call_rcu thread at the fork runs in the parent and in the child
 * (liburcu hands the child's copy of the queue to its new call_rcu thread).
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
 * Why SST files were deleted: X(NAME, value, "label"), for the enum,
 * rhook_remove_reason_name() and the trace's CTF enumeration.
 *   COMPACTION     inputs of a compaction (local or remote), once purged
 *   TRUNCATE       files a truncation removed, once purged
 *   DROP           the region was dropped
 *   EDIT           files a region edit removed, once purged
 *   ORPHAN         written but never committed: a failed flush's or
 *                  compaction's outputs, leftovers of a crash
 *   STAGING_ABORT  files mapped into a staging region that was abandoned
 */
#define RHOOK_REMOVE_REASONS(X)                                                                   \
	X(COMPACTION, 0, "compaction") X(TRUNCATE, 1, "truncate") X(DROP, 2, "drop")              \
	X(EDIT, 3, "edit") X(ORPHAN, 4, "orphan") X(STAGING_ABORT, 5, "staging_abort")

#define RHOOK__REMOVE_REASON_ENUMERATOR(NAME, value, label) RHOOK_REMOVE_##NAME = value,
enum rhook_remove_reason { RHOOK_REMOVE_REASONS(RHOOK__REMOVE_REASON_ENUMERATOR) };
#undef RHOOK__REMOVE_REASON_ENUMERATOR

/* The level of a deleted file whose metadata the engine did not have. */
#define RHOOK_LEVEL_UNKNOWN 255u

/* One deleted SST data file (its index files went with it). */
struct rhook_removed_file {
	rhook_file_id file_id;
	uint8_t level;             /* 0..RHOOK_MAX_LEVEL, or RHOOK_LEVEL_UNKNOWN */
	uint64_t file_size;        /* bytes of the SST file */
	uint64_t index_file_size;  /* bytes of its index file, 0 if none */
	uint64_t num_rows;         /* 0 when unknown */
	uint64_t removed_version;  /* manifest version that removed it; 0: never committed, or unknown */
};

/*
 * Callbacks run on the engine thread that reached the event, possibly on
 * several threads at once; they must be thread-safe with respect to @priv.
 * All are optional.  A callback may take the region's manifest lock (it
 * never runs under it), register or remove hooks (its own included, from
 * its first call on), free a registry, and dispatch.
 *
 * @size is the caller's sizeof(struct rhook_hook_ops); fields only grow at
 * the end.  rhook_registry_add() accepts this version or a newer, larger
 * one whose fields past this version are all zero, and refuses (-EINVAL)
 * a newer one with a non-zero field this library does not know.
 */
struct rhook_hook_ops {
	size_t size; /* sizeof(struct rhook_hook_ops) */

	/* SST data files were written (flush, compaction), before the commit. */
	void (*on_sst_files_written)(void *priv, rhook_region_id region_id,
				     const struct rhook_region_meta *region_meta,
				     const struct rhook_sst_file *files, size_t num_files);

	/* A logical manifest write was committed and the lock released. */
	void (*on_manifest_updated)(void *priv, rhook_region_id region_id,
				    const struct rhook_action_list *actions, uint64_t version);

	/*
	 * Called once, after the last callback that could see the hook, on
	 * one of two threads:
	 *  - the thread of rhook_registry_remove() or rhook_registry_free(),
	 *    before it returns, when that call could wait for a grace period;
	 *  - liburcu's call_rcu thread, later, when it could not: removed
	 *    from inside a callback or with a manifest mutex held; freed from
	 *    inside a callback, from a release(), or with a manifest mutex held.
	 * A release() may call any rhook function, including
	 * rhook_registry_free() of the hook's own registry.  On the call_rcu
	 * thread it delays the releases queued after it, and
	 * rhook_registry_free() (called where it may wait) waits for it: it
	 * must not wait for a lock held by a thread that frees a registry.
	 */
	void (*release)(void *priv);

	/*
	 * SST files (and their index files) were physically deleted from
	 * storage (contract §1: rhook_files_removed()).  Never under a
	 * manifest mutex.  Added after the first version: an ops structure
	 * whose @size ends before it never gets this call.
	 */
	void (*on_files_removed)(void *priv, rhook_region_id region_id, const struct rhook_removed_file *files,
				 size_t num_files, enum rhook_remove_reason reason);
};

/* 0, or -EINVAL (@out NULL) or -ENOMEM. */
RHOOK_API int rhook_registry_new(struct rhook_registry **out);

/*
 * Removes every hook and frees the registry.  The caller guarantees no
 * other call on @reg runs or follows (a dispatch of @reg in progress on
 * the calling thread, whose callback frees @reg, is fine).  Where it may
 * wait for a grace period and on a thread other than the call_rcu thread,
 * it returns after every hook's release() has run, those of hooks removed
 * earlier without waiting included (as a plugin host needs before
 * dlclose()).  Elsewhere (inside a callback, in a release() on the
 * call_rcu thread, with a manifest mutex held) it returns at once and the
 * releases run later on the call_rcu thread.
 */
RHOOK_API void rhook_registry_free(struct rhook_registry *reg);

/*
 * Appends a hook.  Dispatches that start after the return see it; one
 * that starts earlier may see it too, and *out holds the handle before
 * any callback can run, so a callback may remove its own hook.  Returns
 * 0 and the handle in *out (may be NULL if never removed), or -EINVAL
 * (NULL @reg or @ops, @ops->size too small, or a field unknown to this
 * library set: see struct rhook_hook_ops) or -ENOMEM.
 */
RHOOK_API int rhook_registry_add(struct rhook_registry *reg, const struct rhook_hook_ops *ops,
				 void *priv, struct rhook_hook **out);

/*
 * Removes a hook.  Dispatches that start after the return do not see it.
 * Where the caller may wait (not inside a callback of any registry, no
 * manifest mutex held): returns after the grace period, having called
 * release().  Otherwise, returns at once and release() runs later on the
 * call_rcu thread.  0, -EINVAL (NULL argument), -ENOENT if @hook is not
 * in @reg (already removed, by a concurrent call for instance), or
 * -ENOMEM (nothing removed).
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

/*
 * The deletion site (contract §1, §5): after the engine has physically
 * deleted @num_files SST files (and their index files) of @region_id for
 * @reason.  Emits one rhook:sst_file_removed per file, then dispatches
 * on_files_removed and emits rhook:hook_dispatch.  @reg may be NULL
 * (events only).  Concurrency: as dispatch; the caller must not hold a
 * manifest mutex (the hooks may take it, and a deletion is never
 * notified under it).  Returns 0; -EINVAL for an unknown @reason or NULL
 * @files with @num_files > 0 (nothing emitted); -EDEADLK, nothing
 * emitted, when the calling thread holds a manifest mutex (a bug: debug
 * builds abort with a message instead).
 */
RHOOK_API RHOOK_MUST_USE int rhook_files_removed(struct rhook_registry *reg, rhook_region_id region_id,
						 const struct rhook_removed_file *files, size_t num_files,
						 enum rhook_remove_reason reason);

/* "compaction", "truncate", ...; NULL for an unknown value. */
RHOOK_API const char *rhook_remove_reason_name(enum rhook_remove_reason reason);

#ifdef __cplusplus
}
#endif

#include <rhook/static/dispatch.h>

#endif /* RHOOK_HOOK_H */
