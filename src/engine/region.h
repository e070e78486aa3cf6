/*
 * region.h - the engine's and a region's internal structures (not installed).
 *
 * Locks of a region, outermost first; a thread only takes a lock listed
 * after every lock it holds:
 *
 *   flush_lock     one flush at a time (held through its hooks)
 *   compact_lock   one compaction, index build or remote compaction at a time
 *   manifest mutex rhook's context (ctx): every manifest write, catch-up,
 *                  checkpoint, GC and role transition.  The LOCK flock is
 *                  taken only under it (so threads of one process never
 *                  contend on the flock), and it is never held while a hook
 *                  runs.
 *   mem_lock       memtables, sequences, and role changes (with ctx)
 *   state_lock     the current version, the list of referenced versions,
 *                  the pending-file set
 *
 * Truncate and drop take flush_lock then compact_lock.  Hooks run with at
 * most flush_lock or compact_lock held, so a hook may take the manifest
 * mutex (lsm_region_manifest) but must not flush or compact the region
 * that called it.
 */
#ifndef LSM_REGION_H
#define LSM_REGION_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine.h"
#include "version.h"

struct lsm__job {
	struct lsm__job *next;
	struct lsm_region *region;
	enum lsm_job kind;
};

struct lsm_engine {
	struct rhook_registry *registry;
	uint32_t row_group_rows;
	uint64_t sst_max_rows;
	uint32_t checkpoint_interval;
	uint32_t compaction_trigger;
	bool skip_fsync; /* bench_only_skip_fsync: holds a lsm__fs_skip_sync_ref */
	/*
	 * Commit timing: a committer claims a slot with a relaxed fetch_add
	 * on num_timed and fills it; readers run when no commit does
	 * (lsm_engine_commit_timings), ordered by the caller's
	 * synchronization (the pool lock of lsm_engine_wait).
	 */
	struct lsm_commit_timing *timed;
	size_t cap_timed;
	atomic_size_t num_timed;

	/*
	 * Failpoints.  fault_armed is the fast-path flag, read relaxed: a hit
	 * that races with arming may miss it, which tests avoid by arming
	 * before starting the operation.  The rest is under fault_lock.
	 */
	atomic_bool fault_armed[LSM_FAULT_COUNT];
	pthread_mutex_t fault_lock;
	int fault_err[LSM_FAULT_COUNT];
	unsigned fault_skip[LSM_FAULT_COUNT];
	uint64_t fault_delay_ns[LSM_FAULT_COUNT];    /* once, after fault_delay_skip hits */
	uint64_t fault_delay_every[LSM_FAULT_COUNT]; /* every hit (lsm_engine_set_persist_delay()) */
	unsigned fault_delay_skip[LSM_FAULT_COUNT];

	/* Worker pool: everything below is under pool_lock (innermost lock). */
	pthread_mutex_t pool_lock;
	pthread_cond_t work_cond; /* a job was queued, or stopping */
	pthread_cond_t idle_cond; /* a job finished */
	struct lsm__job *head, *tail;
	unsigned outstanding;     /* queued or running */
	int first_err;
	char first_msg[512];      /* what first_err's job said */
	bool stopping;
	pthread_t *threads;
	unsigned num_threads;
};

struct lsm__memtable {
	struct lsm_row_set rows;
	uint64_t max_seq;
	uint64_t max_entry_id;
	uint64_t bytes;
};

struct lsm_region {
	struct lsm_engine *engine;
	char *dir;
	char *mdir;        /* "<dir>/manifest", for messages naming manifest files */
	rhook_region_id id;
	int dir_fd, data_fd, manifest_fd;
	int lock_fd;       /* LOCK: flock LOCK_EX to write the manifest, LOCK_SH to read it */
	int files_lock_fd; /* FILES.lock: LOCK_SH by a remote compactor, LOCK_EX by GC */

	/*
	 * enum lsm_region_role.  Written with the manifest mutex and
	 * mem_lock both held, so holders of either see it stable; read
	 * relaxed elsewhere (a hint for error messages only).
	 */
	atomic_int role;

	struct rhook_manifest_ctx *ctx;
	pthread_mutex_t flush_lock;
	pthread_mutex_t compact_lock;

	/* [manifest mutex] */
	uint64_t live_tail;          /* newest version of the live log */
	uint64_t checkpoint_version; /* named by _last_checkpoint, 0: none */
	int staging_fd;              /* staging/ while staging, else -1 */
	uint64_t staging_tail;       /* newest version of the staging log */
	struct lsm__version *staging;      /* state of the staging manifest */
	struct rhook_action_list *staged;    /* actions of the staging log, in order */
	struct rhook_action_list *remapped;  /* remap bookkeeping (files mapped in), or NULL */
	int poisoned;                /* a write failed half-way: later writes refused */
	bool persist_failed;         /* the last update_locked failed in persist (message set) */

	/* [mem_lock] */
	pthread_mutex_t mem_lock;
	struct lsm__memtable *active;
	struct lsm__memtable *frozen; /* being flushed, or left by a failed flush */
	uint64_t last_seq;
	uint64_t last_entry_id;

	/* [state_lock] */
	pthread_mutex_t state_lock;
	struct lsm__version *current;
	struct lsm__version versions; /* sentinel of the referenced versions */
	rhook_file_id *pending;         /* files being written, not yet committed */
	size_t num_pending, cap_pending;
	/*
	 * Files no longer in the manifest whose data file may still be in
	 * data/, with the version and reason that removed them (removal.c):
	 * what on_files_removed says when GC purges them.  Kept until GC
	 * finds the file gone, on leaders only.
	 */
	struct lsm__retired *retired;
	size_t num_retired;
	uint64_t gc_pass;               /* GC passes begun */

	size_t orphans;   /* set at open */
	unsigned jobs;    /* [engine->pool_lock] queued or running jobs */
};

#define LSM__ROLE(r) (1u << (r))
#define LSM__LEADER_ONLY LSM__ROLE(LSM_ROLE_LEADER)

/*
 * 0 if the region's role is in @roles; else -EROFS (read-only roles) or
 * -EBUSY, with a message naming @op.  Call with ctx or mem_lock held for
 * a stable answer.
 */
int lsm__region_check_role(struct lsm_region *region, unsigned roles, const char *op);
/* Role change; the caller holds the manifest mutex, mem_lock is taken here. */
void lsm__region_set_role(struct lsm_region *region, enum lsm_region_role role);

/* A reference to the current version (state_lock inside); drop it with _release. */
struct lsm__version *lsm__region_acquire(struct lsm_region *region);
void lsm__region_release(struct lsm_region *region, struct lsm__version *v);
/*
 * Makes @v current (state_lock inside) and raises the sequence counter to
 * its committed sequence (mem_lock inside).  Manifest mutex held.
 */
void lsm__region_install(struct lsm_region *region, struct lsm__version *v);

/* Files being written: GC leaves them alone.  Register before creating the file. */
int lsm__region_pending_add(struct lsm_region *region, const rhook_file_id *id);
void lsm__region_pending_remove(struct lsm_region *region, const rhook_file_id *id);

/*
 * Start of a write under the manifest mutex (held on entry and exit):
 * takes the LOCK flock exclusively, refuses a poisoned region or a role
 * outside @roles, and catches up on versions another process wrote.  On
 * error the flock is released again.
 */
int lsm__region_write_begin(struct lsm_region *region, unsigned roles, const char *op);
/* End of a write: a checkpoint if one is due (leader), then releases the flock. */
void lsm__region_write_end(struct lsm_region *region);

/*
 * rhook_manifest_update_locked() with an error message for failures that
 * did not come from the store (which sets its own).  Manifest mutex and
 * LOCK_EX held (write_begin).
 */
RHOOK_MUST_USE int lsm__region_update_locked(struct lsm_region *region, const struct rhook_action_list *actions,
				enum rhook_cause cause, const char *op, struct rhook_receipt *receipt);

/*
 * rhook_receipt_fire() after the manifest mutex was dropped.  A receipt
 * that cannot fire (a caller still holding the mutex: a bug) is
 * discarded, so that it is not leaked, and the error returned with a
 * message: the version is committed, its hooks were not notified.  0 for
 * an empty receipt.
 */
RHOOK_MUST_USE int lsm__region_fire(struct lsm_region *region, struct rhook_receipt *receipt, const char *op);

/*
 * The common logical write: manifest mutex, write_begin, @check (may be
 * NULL) against the caught-up version, update_locked with @cause,
 * write_end, unlock, fire.  *version (may be NULL) gets the committed
 * version.  Caller holds no manifest mutex.
 */
typedef int (*lsm__commit_check)(const struct lsm__version *current, const void *arg);
int lsm__region_commit(struct lsm_region *region, const struct rhook_action_list *actions,
			 enum rhook_cause cause, unsigned roles, const char *op, lsm__commit_check check,
			 const void *check_arg, uint64_t *version);

/*
 * Loads versions newer than the current one from the live log (a
 * checkpoint first when it is newer) and installs the result; no hook.
 * Manifest mutex and a LOCK flock (shared or exclusive) held.  @quick
 * only looks for the next delta first (writers: another process writes
 * exactly live_tail + 1).
 */
int lsm__region_catch_up_locked(struct lsm_region *region, bool quick);

/* Writes a checkpoint of the current version.  Manifest mutex and LOCK_EX held. */
int lsm__region_checkpoint_locked(struct lsm_region *region);

/*
 * Replays the live log on top of @from (NULL: from nothing): the newest
 * checkpoint when it is newer, then every later delta in chain order, and
 * checks that it reaches the version _latest names (log.h).  *out is the
 * new state, or NULL when nothing is newer.  -EBADMSG for a damaged or
 * incomplete log, with a message naming the file under @where (the
 * manifest directory's path).  Reads only: when the newest delta is
 * beyond _latest (a crash between the two writes of a commit), *behind
 * (may be NULL) gets the record a writer may store; else its version is 0.
 */
struct lsm__log_pointer;
int lsm__log_load(int manifest_fd, const char *where, const struct lsm__version *from,
		    struct lsm__version **out, uint64_t *checkpoint_version, struct lsm__log_pointer *behind);

/* The persist callback of the region's manifest store. */
int lsm__region_persist(void *store, rhook_region_id region_id, uint64_t version,
			  const struct rhook_action_list *actions, const char *json, size_t json_len);

/* Frees the staging state (staging dir removed by the caller).  Manifest mutex held. */
void lsm__region_staging_clear(struct lsm_region *region);

/*
 * Physical deletions to notify (on_files_removed), gathered while locks
 * are held and fired after every manifest mutex is dropped (removal.c).
 */
struct lsm__removals {
	struct rhook_removed_file *files[RHOOK_REMOVE_STAGING_ABORT + 1];
	size_t num[RHOOK_REMOVE_STAGING_ABORT + 1];
	size_t cap[RHOOK_REMOVE_STAGING_ABORT + 1];
	bool lost; /* out of memory: some deletions go unreported */
};

/* Notes the deletion of @f for @reason (any lock state). */
void lsm__removals_add(struct lsm__removals *rm, const struct rhook_removed_file *f,
			 enum rhook_remove_reason reason);
/*
 * rhook_files_removed() for each reason, then frees @rm.  The caller
 * holds no manifest mutex (hooks may take it); flush_lock or
 * compact_lock may be held, as for the other hooks.
 */
void lsm__removals_fire(struct lsm_region *region, struct lsm__removals *rm);

/*
 * Moves @v's retired files into the region's table (dropped on a
 * follower or compactor, which never purge).  state_lock held; the role
 * is stable (install runs under the manifest mutex, or before the region
 * is shared).
 */
void lsm__retired_adopt_locked(struct lsm_region *region, struct lsm__version *v);
/* The retired entry of @id, or NULL.  state_lock held. */
struct lsm__retired *lsm__retired_find_locked(struct lsm_region *region, const rhook_file_id *id);
/* Records @fm as retired for @reason at @version (0: never in the manifest).  state_lock held. */
void lsm__retired_add_locked(struct lsm_region *region, const struct rhook_file_meta *fm, uint64_t version,
			       enum rhook_remove_reason reason);
/* Drops the entries whose file GC pass @pass did not find (gone already).  state_lock held. */
void lsm__retired_prune_locked(struct lsm_region *region, uint64_t pass);
/* Drops the entry of @id, if any.  state_lock held. */
void lsm__retired_remove_locked(struct lsm_region *region, const rhook_file_id *id);

/* The local or remote (COMPACTOR role) compaction; compact_lock held. */
int lsm__region_compact_locked(struct lsm_region *region, struct lsm_region_op_result *res);

#endif /* LSM_REGION_H */
