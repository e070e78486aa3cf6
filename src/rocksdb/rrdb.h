/*
 * rrdb.h - the C side of rhook-rocksdb (not installed).  listener.cc, the
 * one C++ file, turns each RocksDB callback into plain structures and calls
 * these functions; they do the mapping onto rhook (rhook/rocksdb.h says
 * which callback becomes what).
 *
 * Concurrency: RocksDB calls its listeners from its background threads
 * and from user threads, concurrently, never with the DB mutex held.
 * Every function here may run concurrently with every other on the same
 * adapter; the adapter's own mutex (struct rrdb__adapter.lock) guards the
 * file table, the open jobs and the per-column-family contexts, and is
 * never held while emitting, dispatching or calling back into RocksDB.
 */
#ifndef RHOOK_ROCKSDB_RRDB_H
#define RHOOK_ROCKSDB_RRDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rhook/rocksdb.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Why RocksDB wrote a table file (TableFileCreationReason). */
enum rrdb__reason {
	RRDB__FLUSH,
	RRDB__COMPACTION,
	RRDB__RECOVERY,
	RRDB__OTHER,
};

/* What a callback tells of one SST file; what it does not know is 0. */
struct rrdb__file {
	uint64_t number;
	uint32_t cf_id;
	int level;                  /* RocksDB's level, -1 unknown */
	uint64_t size;
	uint64_t entries;           /* table properties */
	uint64_t data_blocks;
	uint64_t creation_time_s;   /* file_creation_time */
	uint64_t largest_seqno;
	bool has_uid;
	uint8_t uid[16];            /* first 128 bits of RocksDB's unique id */
};

struct rrdb__adapter;

/* 0, -EINVAL (bad config) or -ENOMEM. */
int rrdb__adapter_new(const struct rrdb_config *cfg, struct rrdb__adapter **out);
/* No callback may run any more (the listener is being destroyed). */
void rrdb__adapter_free(struct rrdb__adapter *a);

void rrdb__flush_begin(struct rrdb__adapter *a, int job, uint32_t cf_id);
/* @status: 0 or a negative errno (the file is then not committed). */
void rrdb__table_created(struct rrdb__adapter *a, int job, enum rrdb__reason reason, int status,
			 const struct rrdb__file *f);
void rrdb__flush_completed(struct rrdb__adapter *a, int job, const struct rrdb__file *f);
void rrdb__compaction_begin(struct rrdb__adapter *a, int job, uint32_t cf_id, const struct rrdb__file *in,
			    size_t num_in);
/* @in and @out carry number, level and (when the callback has them) uid. */
void rrdb__compaction_completed(struct rrdb__adapter *a, int job, uint32_t cf_id, int status,
				const struct rrdb__file *in, size_t num_in, const struct rrdb__file *out,
				size_t num_out);
void rrdb__file_ingested(struct rrdb__adapter *a, const struct rrdb__file *f);
void rrdb__table_deleted(struct rrdb__adapter *a, uint64_t number);

#ifdef __cplusplus
}
#endif

#endif /* RHOOK_ROCKSDB_RRDB_H */
