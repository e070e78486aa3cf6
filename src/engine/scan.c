/*
 * scan.c - merged reads of memtables and SST files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "index.h"
#include "region.h"
#include "rows.h"
#include "sst.h"
#include "util.h"

static bool key_is(const struct lsm_row *r, const uint8_t *key, uint32_t len)
{
	return r->key_len == len && (!len || !memcmp(r->key, key, len));
}

/* Appends the memtable rows (of @key only when not NULL). */
static int take_memtable(struct lsm_row_set *out, const struct lsm__memtable *m, const uint8_t *key, uint32_t len)
{
	for (size_t i = 0; m && i < m->rows.num_rows; i++) {
		int err;

		if (key && !key_is(&m->rows.rows[i], key, len))
			continue;
		err = lsm__rows_push(out, &m->rows.rows[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Whether @fm's key range and index say the file may hold @key. */
static bool may_hold(struct lsm_region *r, const struct rhook_file_meta *fm, const uint8_t *key, uint32_t len)
{
	struct lsm_row probe = { .key = key, .key_len = len };
	struct lsm_row lo = { .key = fm->pk_min.data, .key_len = (uint32_t)fm->pk_min.len };
	struct lsm_row hi = { .key = fm->pk_max.data, .key_len = (uint32_t)fm->pk_max.len };

	/* Rows of the same key compare by key only here: ts and seq are 0 on all three. */
	if (fm->pk_min.data && fm->pk_max.data && (lsm__row_cmp(&probe, &lo) < 0 || lsm__row_cmp(&probe, &hi) > 0))
		return false;
	return lsm__index_may_contain(r->data_fd, fm, key, len);
}

/* Any thread, any role but dropped; takes mem_lock then state_lock briefly. */
int lsm_region_scan(struct lsm_region *region, const struct lsm_scan_opts *opts, struct lsm_row_set *out)
{
	const uint8_t *key = opts && opts->key ? opts->key : NULL;
	uint32_t key_len = key ? opts->key_len : 0;
	struct lsm__version *v;
	char where[4096];
	int err;

	memset(out, 0, sizeof(*out));
	if (opts && opts->size < sizeof(*opts))
		return lsm__fail(-EINVAL, "scan: bad options");
	snprintf(where, sizeof(where), "%s/data", region->dir);
	pthread_mutex_lock(&region->mem_lock);
	err = lsm__region_check_role(region, ~LSM__ROLE(LSM_ROLE_DROPPED), "scan");
	if (!err)
		err = take_memtable(out, region->active, key, key_len);
	if (!err)
		err = take_memtable(out, region->frozen, key, key_len);
	/* The version is taken with the memtables: rows a flush moves between them are in one or the other. */
	v = lsm__region_acquire(region);
	pthread_mutex_unlock(&region->mem_lock);
	if (err == -ENOMEM)
		lsm__fail(err, "scan: out of memory");
	for (size_t i = 0; !err && i < v->m.num_files; i++) {
		const struct rhook_file_meta *fm = &v->m.files[i];
		char name[LSM__SST_NAME_MAX];

		if (key && !may_hold(region, fm, key, key_len))
			continue;
		lsm__sst_name(&fm->file_id, name);
		err = lsm__sst_read(NULL, region->data_fd, where, name, fm->has_sequence, fm->sequence, out, NULL);
	}
	if (!err) {
		lsm__rows_merge(out, v->m.truncated_sequence);
		if (key) {
			size_t n = 0;

			for (size_t i = 0; i < out->num_rows; i++)
				if (key_is(&out->rows[i], key, key_len))
					out->rows[n++] = out->rows[i];
			out->num_rows = n;
		}
	}
	lsm__region_release(region, v);
	if (err)
		lsm_row_set_free(out);
	return err;
}
