/*
 * memtable.c - writes into the memtable, and the rows a scan or flush
 * takes from it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "rows.h"
#include "util.h"

/* Any thread; serialized with other writers, flush freezing and role changes by mem_lock. */
int lsm_region_put(struct lsm_region *region, const struct lsm_row *rows, size_t num_rows, uint64_t *last_seq)
{
	struct lsm__memtable *m;
	size_t base;
	int err = 0;

	pthread_mutex_lock(&region->mem_lock);
	err = lsm__region_check_role(region, LSM__LEADER_ONLY, "put");
	if (err)
		goto out;
	m = region->active;
	base = m->rows.num_rows;
	for (size_t i = 0; i < num_rows; i++) {
		struct lsm_row r = rows[i];

		r.seq = region->last_seq + 1 + i;
		err = lsm__rows_push(&m->rows, &r);
		if (err) {
			/* All or nothing: the batch's rows that made it in are dropped again. */
			m->rows.num_rows = base;
			err = lsm__fail(err, "put: out of memory");
			goto out;
		}
		m->bytes += 24u + r.key_len + r.value_len;
	}
	if (num_rows) {
		region->last_seq += num_rows;
		m->max_seq = region->last_seq;
		m->max_entry_id = ++region->last_entry_id;
	}
	if (last_seq)
		*last_seq = region->last_seq;
out:
	pthread_mutex_unlock(&region->mem_lock);
	return err;
}
