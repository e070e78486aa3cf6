/*
 * rows.h - row sets: rows plus the arena their keys and values live in
 * (not installed).  A row set is owned by one thread at a time.
 */
#ifndef LSM_ROWS_H
#define LSM_ROWS_H

#include "engine.h"

/* Order of rows in SSTs and scans: key (bytes, shorter first on a tie), ts, then newest sequence first. */
int lsm__row_cmp(const struct lsm_row *a, const struct lsm_row *b);

/* Appends @row, copying its key and value into the set's arena; 0 or -ENOMEM. */
int lsm__rows_push(struct lsm_row_set *set, const struct lsm_row *row);
/* Appends @row as is: its key and value must live as long as the set (see _adopt). */
int lsm__rows_push_ref(struct lsm_row_set *set, const struct lsm_row *row);
/* Makes the set own @buf (malloc'ed), freed with the set; 0 or -ENOMEM (buf not taken). */
int lsm__rows_adopt(struct lsm_row_set *set, void *buf);
/*
 * Sorts by lsm__row_cmp and keeps, per (key, ts), the row with the
 * highest sequence, dropping rows with seq <= @truncated_seq (0: none):
 * the merge of a scan and of a compaction.
 */
void lsm__rows_merge(struct lsm_row_set *set, uint64_t truncated_seq);
/* Bytes of keys and values plus fixed fields: the size flush and compaction report. */
uint64_t lsm__rows_bytes(const struct lsm_row *rows, size_t n);

#endif /* LSM_ROWS_H */
