/*
 * index.h - index files of SSTs (not installed).
 *
 *   "RHKIDX01" u64 index version, file id (16 bytes)
 *   bloom:    u32 bits (power of two), u32 hashes, bits / 8 bytes
 *   inverted: u32 keys, then per distinct key (sorted) u32 len, key, u32 first row group
 *   u64 xxh64 of everything before
 *
 * Named "<file id>.<index version>.idx" next to the SST, so a rebuilt
 * index never replaces a file a reader may be using.
 */
#ifndef LSM_INDEX_H
#define LSM_INDEX_H

#include "engine.h"

#define LSM__INDEX_NAME_MAX 64
void lsm__index_name(const rhook_file_id *id, uint64_t version, char buf[LSM__INDEX_NAME_MAX]);

/*
 * Builds the index of @rows (an SST's, sorted) as a new file in @data_fd
 * (fsync'ed; the directory is the caller's to sync) and fills @out.
 */
int lsm__index_write(int data_fd, const rhook_file_id *id, uint64_t version, const struct lsm_row *rows,
		       size_t num_rows, uint32_t row_group_rows, struct rhook_index_output *out);

/*
 * False only when @fm's bloom filter proves @key absent.  A missing or
 * damaged index answers true: an index may prune work, never rows.
 */
bool lsm__index_may_contain(int data_fd, const struct rhook_file_meta *fm, const uint8_t *key, uint32_t key_len);

#endif /* LSM_INDEX_H */
