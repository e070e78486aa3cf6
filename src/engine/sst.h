/*
 * sst.h - SST data files (not installed).
 *
 *   header   "RHKSST01" u32 format u32 0
 *   row groups, each rows of: i64 ts, u64 seq, u32 key_len, u32 value_len, key, value
 *   meta     u32 row groups; per group u64 offset, u64 size, u64 rows, i64 ts min,
 *            i64 ts max, u64 xxh64 of the group; u32 len + smallest key; u32 len + largest key
 *   footer   u64 meta offset, u64 meta size, u64 meta xxh64, u64 rows, u64 row groups,
 *            u64 series, i64 ts min, i64 ts max, u64 min seq, u64 max seq,
 *            u64 largest row group, u64 xxh64 of the footer so far, "RHKSSTF1"
 *
 * Little-endian.  Rows are sorted by lsm__row_cmp and unique per (key, ts).
 */
#ifndef LSM_SST_H
#define LSM_SST_H

#include "engine.h"

struct lsm__sst_summary {
	uint64_t file_size;
	uint64_t num_rows;
	uint64_t num_row_groups;
	uint64_t num_series;
	uint64_t max_row_group_size;
	uint64_t min_seq;
	uint64_t max_seq;
	int64_t ts_min;
	int64_t ts_max;
	const uint8_t *key_min; /* into the rows written or the set read */
	uint32_t key_min_len;
	const uint8_t *key_max;
	uint32_t key_max_len;
};

/*
 * Writes @rows (sorted, unique, num_rows > 0) as a new file @name in
 * @dirfd (O_EXCL, 0600) and fsyncs it; the directory is the caller's to
 * sync.  Row groups of @row_group_rows.  @engine (may be NULL) supplies
 * the SST_WRITE failpoint.  On failure the file may exist, partially
 * written: the caller removes it.
 */
int lsm__sst_write(struct lsm_engine *engine, int dirfd, const char *name, const struct lsm_row *rows,
		     size_t num_rows, uint32_t row_group_rows, struct lsm__sst_summary *out);

/*
 * Reads and verifies the whole file @name (every checksum and bound),
 * appending its rows to @set (which adopts the file's buffer); when
 * @has_seq, every row takes sequence @seq (an ingested file's).  @sum
 * may be NULL.  -EBADMSG with a message naming @where/@name for a damaged
 * file, -errno for I/O, or the SST_READ failpoint's error.
 */
int lsm__sst_read(struct lsm_engine *engine, int dirfd, const char *where, const char *name, bool has_seq,
		    uint64_t seq, struct lsm_row_set *set, struct lsm__sst_summary *sum);

/*
 * The verifying decoder of lsm__sst_read() on a whole file held in
 * @buf (@len bytes, malloc'ed): on success @set adopts @buf, on failure
 * it is freed.  Same results, without the failpoint.
 */
int lsm__sst_decode(char *buf, size_t len, const char *where, const char *name, bool has_seq, uint64_t seq,
		      struct lsm_row_set *set, struct lsm__sst_summary *sum);

/* "data/<file id>.sst" names: <id>.sst into @buf. */
#define LSM__SST_NAME_MAX 48
void lsm__sst_name(const rhook_file_id *id, char buf[LSM__SST_NAME_MAX]);

#endif /* LSM_SST_H */
