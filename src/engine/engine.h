/*
 * engine.h - rhook's reference LSM region engine (issue 3).
 *
 * A client of librhook's public headers (the rhook/ headers) only, like any
 * host.  Prefix lsm_ / LSM_ for its clients (tools, tests, benchmarks),
 * lsm__ / LSM__ inside the engine.
 *
 * A region is a directory holding a manifest log, SST data files and
 * index files.  Every logical manifest write goes through rhook's manifest
 * context (rhook/manifest.h), so the hooks of the engine's registry see
 * exactly the calls of contract §2; flush and compaction call the SST
 * write site (rhook_sst_files_written) between writing and committing.
 *
 * On disk (see log.c, sst.c, index.c for the formats):
 *
 *   REGION                 identity: format and region id (JSON)
 *   LOCK                   flock: manifest writers LOCK_EX, readers LOCK_SH,
 *                          across processes (leader, followers, rhook-compactor)
 *   FILES.lock             flock: a remote compactor holds LOCK_SH while its
 *                          outputs are uncommitted; GC needs LOCK_EX
 *   manifest/<v:020>.json  one delta per version (action list in a checksummed
 *                          envelope that names the previous version)
 *   manifest/<v:020>.checkpoint.json, manifest/_last_checkpoint
 *   manifest/_latest       sealed record of the newest committed version, so
 *                          that a log missing its newest delta is refused
 *   staging/               the staging manifest while the region is staging
 *   data/<file id>.sst, data/<file id>.<index version>.idx
 *
 * Errors: functions return 0 or a negative errno; lsm_engine_errmsg()
 * then says what failed, for the calling thread.  Roles (enum
 * lsm_region_role) gate every operation: the wrong role gives -EROFS
 * (read-only roles) or -EBUSY (staging and transitional roles).
 *
 * Synchronization: every rhook_region_* function may be called from any
 * thread, concurrently with any other on the same or another region,
 * except lsm_region_close() (nothing may run on the region during or
 * after it) and lsm_engine_free() (its regions closed first).  Flushes
 * of one region run one at a time, as do its compactions, index builds
 * and remote compactions; truncate and drop wait for both kinds.  Scans
 * see a consistent version and never block writers for long.  Across
 * processes, manifest writes exclude each other through the LOCK flock.
 *
 * Locks of a region, outermost first (each documented in region.h):
 * flush lock, compaction lock, manifest mutex (rhook's context; the LOCK
 * flock is only taken under it), memtable lock, state lock.  Hooks run
 * with none of them held except the flush or compaction lock of the
 * operation that fired them; a hook may call lsm_region_manifest(), but
 * must not flush or compact the region that called it.
 */
#ifndef LSM_ENGINE_H
#define LSM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rhook/manifest.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lsm_engine;
struct lsm_region;

struct lsm_engine_config {
	size_t size;                     /* sizeof(struct lsm_engine_config) */
	struct rhook_registry *registry; /* hooks every region notifies; NULL: none */
	unsigned workers;                /* threads of lsm_engine_submit(); 0: 2 */
	uint32_t row_group_rows;         /* rows per SST row group; 0: 1024 */
	uint64_t sst_max_rows;           /* rows per output SST; 0: 65536 */
	uint32_t checkpoint_interval;    /* checkpoint after this many versions; 0: 32 */
	uint32_t compaction_trigger;     /* level-0 files that make compaction worth it; 0: 2 */
	/*
	 * BENCH ONLY, never in production: true skips every fsync of the
	 * engine (files and directories), so nothing it writes is durable.
	 * For rhook-bench-engine's CPU-per-operation legs on a tmpfs, where
	 * the disk's noise would hide tracing's cost.  Refused (-EPERM)
	 * unless the environment has LSM_BENCH_ONLY_SKIP_FSYNC=1, and
	 * lsm_engine_new() warns on stderr when it is granted.  The
	 * engine's file helpers take no engine, so the effect is
	 * process-wide: while any engine created with it lives, every
	 * engine of the process skips fsync.
	 */
	bool bench_only_skip_fsync;
	/*
	 * Commit timing (lsm_engine_commit_timings()): the engine times the
	 * first @commit_timings commits of lsm__region_commit (flush,
	 * compaction, ingest, alter, truncate, index build) since creation
	 * or the last reset; 0: none, and no clock is read.
	 */
	size_t commit_timings;
};

/* 0, -EINVAL, -EPERM (bench_only_skip_fsync outside a bench) or -ENOMEM (or a pthread error). */
int lsm_engine_new(const struct lsm_engine_config *cfg, struct lsm_engine **out);
/* Waits for submitted jobs and stops the workers.  Regions must be closed first. */
void lsm_engine_free(struct lsm_engine *engine);

/* What failed last on the calling thread (never NULL). */
const char *lsm_engine_errmsg(void);

/*
 * Fault injection for tests and the demo (failpoints).  Arms @fault to
 * fail with @err (a negative errno) at its (@skip + 1)-th hit, once;
 * @err == 0 disarms.  Any thread.
 */
enum lsm_fault {
	LSM_FAULT_PERSIST = 0,  /* the manifest store, before writing a delta */
	LSM_FAULT_SST_WRITE,    /* writing an SST row group */
	LSM_FAULT_SST_READ,     /* reading an SST (compaction input) */
	LSM_FAULT_LATEST,       /* the manifest store, recording a durable delta in manifest/_latest */
	LSM_FAULT_GC_LIVE,      /* GC deletes a live SST (a data-loss bug, for rhook-read check's tests); any @err */
	LSM_FAULT_COUNT
};
void lsm_engine_set_fault(struct lsm_engine *engine, enum lsm_fault fault, int err, unsigned skip);
/*
 * Arms @fault to sleep @delay_ns (then succeed) at its (@skip + 1)-th
 * hit, once; 0 disarms.  Independent of lsm_engine_set_fault(): both
 * may be armed, the delay comes first.  Any thread.
 */
void lsm_engine_set_fault_delay(struct lsm_engine *engine, enum lsm_fault fault, uint64_t delay_ns,
				  unsigned skip);

/*
 * Failpoint for latency tools (rhook-read diff, the demo's
 * --persist-delay-us): every manifest persist of @engine's regions
 * sleeps @ns first (0: none), under the manifest mutex as a slow disk
 * would: the LSM_FAULT_PERSIST failpoint's delay on every hit, added to
 * a one-hit lsm_engine_set_fault_delay().  Any thread; persists that
 * start after it see it.
 */
void lsm_engine_set_persist_delay(struct lsm_engine *engine, uint64_t ns);

enum lsm_region_role {
	LSM_ROLE_LEADER = 0,          /* writable */
	LSM_ROLE_LEADER_DOWNGRADING,  /* leader -> follower: flushing, refusing writes */
	LSM_ROLE_ENTERING_STAGING,
	LSM_ROLE_STAGING,             /* logical writes go to the staging manifest */
	LSM_ROLE_EXITING_STAGING,
	LSM_ROLE_FOLLOWER,            /* read-only, catches up on the leader's writes */
	LSM_ROLE_COMPACTOR,           /* opened by a remote compactor: compaction only */
	LSM_ROLE_DROPPING,
	LSM_ROLE_DROPPED,
};
const char *lsm_region_role_name(enum lsm_region_role role);

/* A row: a key's value at a timestamp.  Latest sequence wins per (key, ts). */
struct lsm_row {
	int64_t ts;
	uint64_t seq; /* assigned by put; the effective sequence in scans */
	const uint8_t *key;
	uint32_t key_len;
	const uint8_t *value;
	uint32_t value_len;
};

struct lsm__chunk;

/* Rows and the memory their keys and values live in. */
struct lsm_row_set {
	struct lsm_row *rows;
	size_t num_rows;
	size_t cap;
	struct lsm__chunk *chunks;
};
void lsm_row_set_free(struct lsm_row_set *set);

/*
 * Creates a region directory @dir (0700; it must not exist) with @meta
 * (region_id and schema) as manifest version 1, and opens it as leader.
 * Creation is not a hooked write (as in the seed's engine).
 */
int lsm_region_create(struct lsm_engine *engine, const char *dir, const struct rhook_region_meta *meta,
			struct lsm_region **out);

/*
 * Opens @dir as LEADER, FOLLOWER or COMPACTOR: replays the last
 * checkpoint and the deltas after it.  A damaged manifest (bad checksum,
 * torn delta, missing version, undecodable or inapplicable action list, a
 * log that ends before the version manifest/_latest names, a missing or
 * damaged _latest or _last_checkpoint) gives -EBADMSG, a message naming
 * the file (its path under @dir/manifest/), and changes nothing on disk.
 * A delta a crash left beyond _latest is a committed version: it is kept,
 * and a leader's open records it in _latest.  A leader removes leftover
 * temporary files and an abandoned staging manifest; SST files nobody
 * references are left for lsm_region_gc() and counted in
 * lsm_region_orphans().
 */
int lsm_region_open(struct lsm_engine *engine, const char *dir, enum lsm_region_role role,
		      struct lsm_region **out);
/* Waits for the region's jobs, frees it.  No call on @region may run or follow. */
void lsm_region_close(struct lsm_region *region);

rhook_region_id lsm_region_get_id(const struct lsm_region *region);
/* The role now; another thread may change it right after (a snapshot). */
enum lsm_region_role lsm_region_get_role(const struct lsm_region *region);
/* Unreferenced files found in data/ at open. */
size_t lsm_region_orphans(const struct lsm_region *region);

/* Appends rows (leader); their sequences are assigned in order, the last one in *last_seq. */
int lsm_region_put(struct lsm_region *region, const struct lsm_row *rows, size_t num_rows, uint64_t *last_seq);

/* What an operation did; version 0 when it had nothing to do. */
struct lsm_region_op_result {
	uint64_t version;
	uint32_t files_in;
	uint32_t files_out;
	uint64_t rows;
	uint64_t bytes_in;
	uint64_t bytes_out;
};

/*
 * Flush: memtable -> level-0 SST files -> edit (cause flush).  Fires
 * on_sst_files_written then on_manifest_updated.  An empty memtable is
 * a no-op.  On failure the written files are removed (on_files_removed,
 * reason orphan), the rows stay in memory and the previous state stays
 * readable.  A flush is a job (rhook_job_new()): its events carry its id.
 * @res may be NULL.
 */
int lsm_region_flush(struct lsm_region *region, struct lsm_region_op_result *res);

/*
 * Local compaction: level-0 files and the level-1 files they overlap ->
 * level-1 files, in one edit (cause compaction).  Fewer level-0 files than
 * the engine's trigger is a no-op.  A COMPACTOR region does the same with
 * origin and cause remote_compaction.  A compaction is a job: its events
 * carry a new job id, or, on a COMPACTOR region, the calling thread's
 * current one when it has one (the leader's, rhook-compactor --job-id).
 * The inputs stay in data/ until GC purges them (on_files_removed,
 * reason compaction, in the process that runs the GC).
 */
int lsm_region_compact(struct lsm_region *region, struct lsm_region_op_result *res);

/*
 * Remote compaction client: runs @program (rhook-compactor) on this
 * region's directory, which writes the outputs and the manifest update
 * with its own hooks (@hook_path, a plugin, and @hook_arg may be NULL),
 * then catches up on that update as a follower would, firing nothing.
 * The compaction is a job of this process: its id is passed to the
 * compactor (--job-id), whose events carry it.
 */
struct lsm_remote_compaction {
	size_t size; /* sizeof(struct lsm_remote_compaction) */
	const char *program;
	const char *hook_path;
	const char *hook_arg;
	/*
	 * NULL, or called on the calling thread (the region's compaction lock
	 * held: it must not compact this region) with the compactor's pid after
	 * its fork and before its exec (it waits on a pipe until then): e.g.
	 * to add it to an LTTng session's process tracker before its
	 * LTTng-UST registers.  Non-zero: the compactor is killed unrun and
	 * the compaction fails with -ECHILD.
	 */
	int (*before_exec)(pid_t pid, void *arg);
	void *before_exec_arg;
};
int lsm_region_compact_remote(struct lsm_region *region, const struct lsm_remote_compaction *req,
				struct lsm_region_op_result *res);

/*
 * Writes a standalone SST file at @path (0600, must not exist) from
 * @rows, for ingestion: the pre-written files of a region edit.
 */
int lsm_sst_write_file(const char *path, const struct lsm_row *rows, size_t num_rows);

/* Region edit: ingests pre-written SST files (copied in, the copies verified); cause edit. */
int lsm_region_ingest(struct lsm_region *region, const char *const *paths, size_t num_paths);

/* Copies files of @src (all live ones when @num_ids is 0) into @dst; cause copy on @dst. */
int lsm_region_copy_files(struct lsm_region *dst, struct lsm_region *src, const rhook_file_id *ids,
			    size_t num_ids);

/* Schema change: @meta becomes the region's metadata (same region id); cause alter. */
int lsm_region_alter(struct lsm_region *region, const struct rhook_region_meta *meta);

/* Truncates everything written so far (files and memtable rows); cause truncate. */
int lsm_region_truncate(struct lsm_region *region);
/* Truncates the listed files; cause truncate. */
int lsm_region_truncate_files(struct lsm_region *region, const rhook_file_id *ids, size_t num_ids);

/* Async index build: index files for the SSTs that lack one, their metadata updated; cause index_build. */
int lsm_region_build_index(struct lsm_region *region, struct lsm_region_op_result *res);

/*
 * Staging.  enter: leader -> staging with a new partition expression,
 * written to the staging manifest (cause staging_enter).  remap: maps
 * @src's live files into the staging region (bookkeeping, no hook).
 * apply: the pre-written files become a staged edit (cause
 * staging_apply), then exit-staging merges every staged action into the
 * live manifest and backfills the metadata, one notification (cause
 * staging_exit).  abort: drops the staged state, no manifest hook; the
 * files remap mapped in are purged by the next GC (on_files_removed,
 * reason staging_abort).
 */
int lsm_region_enter_staging(struct lsm_region *region, const char *partition_expr);
int lsm_region_remap(struct lsm_region *dst, struct lsm_region *src);
int lsm_region_apply_staging(struct lsm_region *region, const char *const *paths, size_t num_paths);
int lsm_region_abort_staging(struct lsm_region *region);

/* Follower: catches up on the leader's (or a compactor's) writes; no hook. */
int lsm_region_sync(struct lsm_region *region);
/* Leader -> follower (flushes first); follower -> leader (catches up first). */
int lsm_region_downgrade(struct lsm_region *region);
int lsm_region_promote(struct lsm_region *region);

/* Writes a checkpoint of the current version; no hook. */
int lsm_region_checkpoint(struct lsm_region *region);

struct lsm_gc_stats {
	size_t files_removed;  /* SST and index files nobody references */
	size_t deltas_removed; /* deltas and checkpoints older than the last checkpoint */
};
/*
 * Removes unreferenced data files and manifest files made redundant by the
 * last checkpoint.  No manifest hook; the SSTs it deleted are notified
 * (on_files_removed) after the manifest mutex is dropped, by reason: the
 * inputs of a compaction (local, or remote: the leader's GC purges what
 * the compactor's commit removed), a truncation's or an edit's files,
 * those of an abandoned staging, and orphans (written, never committed,
 * or whose removal this process did not see: removed before the
 * checkpoint it opened from).  -EBUSY while a remote compactor has
 * uncommitted outputs.  @stats may be NULL.
 */
int lsm_region_gc(struct lsm_region *region, struct lsm_gc_stats *stats);

/*
 * Deletes the region's directory; the handle is DROPPED afterwards (close
 * it).  No manifest hook; every SST deleted is notified (on_files_removed,
 * reason drop) after the manifest mutex is dropped.
 */
int lsm_region_drop(struct lsm_region *region);

struct lsm_scan_opts {
	size_t size;          /* sizeof(struct lsm_scan_opts) */
	const uint8_t *key;   /* only this key (index files prune SSTs); NULL: all */
	uint32_t key_len;
};
/* Merged rows (latest sequence per key and ts), ordered by key then ts; @opts may be NULL. */
int lsm_region_scan(struct lsm_region *region, const struct lsm_scan_opts *opts, struct lsm_row_set *out);

/* A copy of the region's manifest state. */
struct lsm_region_manifest {
	uint64_t version;
	struct rhook_region_meta meta;
	struct rhook_file_meta *files;
	size_t num_files;
	uint64_t flushed_entry_id;
	uint64_t flushed_sequence;
	uint64_t committed_sequence;
	uint64_t truncated_entry_id;
	uint64_t truncated_sequence;
};
/*
 * Copies the current manifest state, taking the manifest mutex: safe from
 * a hook callback (hooks never run under it).  0 or -ENOMEM.
 */
int lsm_region_manifest(struct lsm_region *region, struct lsm_region_manifest *out);
void lsm_region_manifest_clear(struct lsm_region_manifest *m);

/* Background jobs on the engine's workers (several regions at once). */
enum lsm_job {
	LSM_JOB_FLUSH = 0,
	LSM_JOB_COMPACT = 1,
};
/* Queues a job; the region must stay open until lsm_engine_wait() returns.  0 or -ENOMEM. */
int lsm_engine_submit(struct lsm_engine *engine, struct lsm_region *region, enum lsm_job job);
/* Waits until every submitted job finished; the first error among them since the last wait, or 0. */
int lsm_engine_wait(struct lsm_engine *engine);

/*
 * One timed commit (config commit_timings), CLOCK_MONOTONIC ns as the
 * engine sees them: @hold_ns from the manifest mutex acquired to its
 * release requested (the persist and rhook's work under the mutex),
 * @commit_ns from asking for the mutex to the hooks notified (the whole
 * commit, waiting for the mutex included).
 */
struct lsm_commit_timing {
	uint64_t hold_ns;
	uint64_t commit_ns;
};

/*
 * Copies up to @max timed commits to @out (in no particular order) and
 * returns how many there were (at most commit_timings); @reset empties
 * the record.  Call it when no commit of @engine runs (after
 * lsm_engine_wait(), whose pool lock orders the workers' records before
 * it, or from the thread that committed): it is not safe concurrently
 * with a commit.  0 when the engine times nothing.
 */
size_t lsm_engine_commit_timings(struct lsm_engine *engine, struct lsm_commit_timing *out, size_t max, bool reset);

#ifdef __cplusplus
}
#endif

#endif /* LSM_ENGINE_H */
