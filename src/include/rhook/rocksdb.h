/*
 * rhook/rocksdb.h - rhook-rocksdb: a RocksDB EventListener that speaks
 * rhook (library librhook-rocksdb, prefix rrdb_).
 *
 * A RocksDB application adds one listener to its options:
 *
 *	#include <rhook/rocksdb.h>
 *	options.listeners.push_back(rrdb_listener(nullptr));   // or a registry of hooks
 *
 * and gets rhook's events (flight recorder with RHOOK_TRACE_DIR, LTTng,
 * USDT) and hooks for what RocksDB does:
 *
 *   RocksDB callback             rhook
 *   OnFlushBegin                 rhook:flush_begin
 *   OnTableFileCreated (OK)      rhook:sst_file_written, on_sst_files_written
 *                                (origin flush or compaction; before the
 *                                commit, as RocksDB calls it)
 *   OnFlushCompleted             rhook:flush_end (status 0), then the commit:
 *                                rhook:manifest_commit, rhook:manifest_updated
 *                                and on_manifest_updated, cause flush, an edit
 *                                adding the file
 *   OnCompactionBegin            rhook:compaction_begin (inputs, their bytes)
 *   OnCompactionCompleted        rhook:compaction_end with the status; if OK the
 *                                commit, cause compaction: an edit adding the
 *                                outputs and removing the inputs (a trivial move
 *                                removes and adds the same file at its new level)
 *   OnExternalFileIngested       the commit, cause edit, adding the file
 *   OnTableFileCreated (failed)  rhook:flush_end with the error, for a flush
 *   OnTableFileDeleted           rhook:sst_file_removed and on_files_removed:
 *                                reason compaction (with the version of the
 *                                commit that removed it), orphan (a failed job's
 *                                output, never committed) or drop (a live file
 *                                no compaction had as input: its column family
 *                                was dropped); an input deleted before its
 *                                compaction's report is reported after it
 *
 * Jobs: each RocksDB flush or compaction gets a rhook job id
 * (rhook_job_new(): RocksDB's job ids are per DB), entered around every
 * event of the job, so its begin, files, commit and end pair exactly;
 * an ingestion's commit has no job (0).
 *
 * Failed jobs are traced with their status (a negative errno: -EIO for an
 * I/O error, -ENOSPC, -ECANCELED for a cancelled or shut-down job,
 * -EBADMSG for corruption, -EIO otherwise) and commit nothing.
 *
 * Mapping.  A column family is a region: region id = table id of the
 * config (u32) << 32 | column family id.  A file's id is RocksDB's own
 * unique SST id (the first 128 bits of GetUniqueIdFromTableProperties()),
 * so rhook's lineage names the files RocksDB names; for a file whose
 * table has no unique id (written by a RocksDB before 7.0), the id is
 * "rrdb" + the file number.  Versions are a per-column-family sequence
 * the adapter owns (1, 2, ... per commit it reports since the listener
 * was created): rhook's version, never RocksDB's manifest number.  Levels
 * above 2 (rhook's data model has levels 0..2) are reported as 2: open
 * the DB with num_levels <= 3 for exact levels.  Rows are the table's
 * entries, row groups its data blocks, the time range the file's creation
 * time (RocksDB keys carry no time), the sequence its largest seqno.
 *
 * Commits are reported through external manifest contexts
 * (rhook/external.h), one per column family: RocksDB calls these
 * listeners after installing the result and without the DB mutex, so the
 * receipt fires at once; RocksDB gives no way to ask whether a thread
 * holds its mutex, so the contexts have no lock_held.  RocksDB calls
 * each job's listener on the job's own thread once the result is
 * installed, so one column family's reports may race: a compaction's
 * report waits (at most 2 s) until the reports that added its inputs were
 * made, so that no commit reaches the trace before the one that added
 * the files it removes.
 *
 * Limits.  One listener per DB (its file table is the DB's).  Files
 * written inside DB::Open (WAL recovery) are committed by RocksDB without
 * a completion callback: they are not traced as written.  A flush whose
 * file was written but whose manifest write failed gets no callback but
 * OnBackgroundError, which names no job: its span stays open and its file
 * is an orphan to rhook-read check.  Compaction inputs written before the
 * listener existed have size 0 in the trace (RocksDB's callback gives
 * only their number and level).  A file the adapter never saw (deleted
 * inside DB::Open, or written before the listener and never compacted
 * since) is not reported deleted: its region is unknown.
 */
#ifndef RHOOK_ROCKSDB_H
#define RHOOK_ROCKSDB_H

#include <rhook/hook.h>

#ifdef __cplusplus
#include <memory>

namespace rocksdb {
class EventListener;
}
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Extensible (first field its size, fields only grow at the end; a newer
 * caller's unknown non-zero field is refused).
 */
struct rrdb_config {
	size_t size;                     /* sizeof(struct rrdb_config) */
	struct rhook_registry *registry; /* may be NULL: events only */
	uint32_t table_id;               /* the table part of every region id: one per DB of a process */
};

#ifdef __cplusplus
}

/*
 * A new listener for one DB.  0, -EINVAL (NULL argument, a bad size or an
 * unknown field set) or -ENOMEM.  The registry must outlive the listener.
 */
RHOOK_API int rrdb_listener_new(const struct rrdb_config *cfg, std::shared_ptr<rocksdb::EventListener> *out);

/*
 * The listener of table 0 with @registry (may be NULL); throws
 * std::bad_alloc when memory runs out, as RocksDB's own options do.
 */
RHOOK_API std::shared_ptr<rocksdb::EventListener> rrdb_listener(struct rhook_registry *registry);
#endif

#endif /* RHOOK_ROCKSDB_H */
