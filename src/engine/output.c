/*
 * output.c - files written or ingested into data/ ahead of a commit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "rows.h"
#include "sst.h"
#include "util.h"

static int reserve(struct lsm__outputs *o, size_t n)
{
	struct rhook_sst_info *infos = realloc(o->infos, n * sizeof(*infos));
	struct rhook_file_meta *metas;

	if (!infos)
		return -ENOMEM;
	o->infos = infos;
	metas = realloc(o->metas, n * sizeof(*metas));
	if (!metas)
		return -ENOMEM;
	o->metas = metas;
	return 0;
}

static int copy_bytes(struct rhook_bytes *dst, const uint8_t *src, uint32_t len)
{
	dst->data = malloc(len ? len : 1);
	if (!dst->data)
		return -ENOMEM;
	if (len)
		memcpy(dst->data, src, len);
	dst->len = len;
	return 0;
}

/* Fills slot o->num from an SST summary; the slot owns its strings afterwards. */
static int add_output(struct lsm__outputs *o, rhook_region_id region_id, const rhook_file_id *id, uint8_t level,
		      const struct lsm__sst_summary *s, const char *partition_expr, bool has_seq, uint64_t seq)
{
	struct rhook_sst_info *info = &o->infos[o->num];
	struct rhook_file_meta *fm = &o->metas[o->num];

	memset(info, 0, sizeof(*info));
	memset(fm, 0, sizeof(*fm));
	info->file_id = *id;
	info->time_range = (struct rhook_time_range){ s->ts_min, s->ts_max, RHOOK_TIME_UNIT_MILLISECOND };
	info->file_size = s->file_size;
	info->num_rows = s->num_rows;
	info->num_row_groups = s->num_row_groups;
	info->num_series = s->num_series;
	info->max_row_group_uncompressed_size = s->max_row_group_size;

	fm->region_id = region_id;
	fm->file_id = *id;
	fm->time_range = info->time_range;
	fm->level = level;
	fm->file_size = s->file_size;
	fm->max_row_group_uncompressed_size = s->max_row_group_size;
	fm->num_rows = s->num_rows;
	fm->num_row_groups = s->num_row_groups;
	fm->num_series = s->num_series;
	fm->has_sequence = has_seq;
	fm->sequence = seq;
	if ((partition_expr && !(fm->partition_expr = strdup(partition_expr))) ||
	    copy_bytes(&fm->pk_min, s->key_min, s->key_min_len) || copy_bytes(&fm->pk_max, s->key_max, s->key_max_len)) {
		rhook_file_meta_clear(fm);
		return -ENOMEM;
	}
	o->num++;
	o->bytes += s->file_size;
	return 0;
}

/* Pairs infos and metas for the hook (after the arrays stopped moving). */
static int pair_files(struct lsm__outputs *o)
{
	o->files = calloc(o->num ? o->num : 1, sizeof(*o->files));
	if (!o->files)
		return -ENOMEM;
	for (size_t i = 0; i < o->num; i++)
		o->files[i] = (struct rhook_sst_file){ &o->infos[i], &o->metas[i] };
	return 0;
}

static void outputs_free(struct lsm__outputs *o)
{
	for (size_t i = 0; i < o->num; i++)
		rhook_file_meta_clear(&o->metas[i]);
	free(o->infos);
	free(o->metas);
	free(o->files);
	memset(o, 0, sizeof(*o));
}

/* Removes file @id (written or half-written); returns whether it is gone. */
static bool remove_file(struct lsm_region *r, const rhook_file_id *id)
{
	char name[LSM__SST_NAME_MAX];

	lsm__sst_name(id, name);
	return !unlinkat(r->data_fd, name, 0) || errno == ENOENT;
}

int lsm__outputs_write(struct lsm_region *r, const struct rhook_region_meta *meta, const struct lsm_row *rows,
			 size_t num_rows, uint8_t level, struct lsm__outputs *out)
{
	uint64_t per_file = r->engine->sst_max_rows;
	size_t nfiles = (num_rows + per_file - 1) / per_file;
	char name[LSM__SST_NAME_MAX] = "";
	rhook_file_id id;
	int err;

	memset(out, 0, sizeof(*out));
	if (nfiles && (err = reserve(out, nfiles)))
		return lsm__fail(err, "out of memory");
	for (size_t f = 0; f < nfiles; f++) {
		size_t from = f * per_file, n = num_rows - from < per_file ? num_rows - from : per_file;
		struct lsm__sst_summary s;

		id = rhook_file_id_generate();
		if ((err = lsm__region_pending_add(r, &id)))
			goto fail;
		lsm__sst_name(&id, name);
		err = lsm__sst_write(r->engine, r->data_fd, name, rows + from, n, r->engine->row_group_rows, &s);
		if (!err)
			err = add_output(out, r->id, &id, level, &s, meta->partition_expr, false, 0);
		if (err) {
			remove_file(r, &id);
			lsm__region_pending_remove(r, &id);
			goto fail;
		}
	}
	if ((err = lsm__fs_sync_dir(r->data_fd)) || (err = pair_files(out)))
		goto fail;
	return 0;
fail:
	lsm__fail(err, "%s/data: writing SST files (%s): %s", r->dir, name, strerror(-err));
	lsm__outputs_discard(r, out, err);
	return err;
}

int lsm__outputs_ingest(struct lsm_region *r, const struct rhook_region_meta *meta, const char *const *paths,
			  size_t num_paths, uint64_t seq, struct lsm__outputs *out)
{
	char name[LSM__SST_NAME_MAX], where[4096], msg[1024];
	int err;

	snprintf(where, sizeof(where), "%s/data", r->dir);
	memset(out, 0, sizeof(*out));
	if (num_paths && (err = reserve(out, num_paths)))
		return lsm__fail(err, "out of memory");
	for (size_t i = 0; i < num_paths; i++) {
		struct lsm_row_set scratch = { 0 };
		struct lsm__sst_summary s;
		rhook_file_id id = rhook_file_id_generate();

		/*
		 * Copied, not linked: the region's file must not share an inode its
		 * writer could still change.  The copy is what gets verified.
		 */
		err = lsm__region_pending_add(r, &id);
		if (err)
			goto fail;
		lsm__sst_name(&id, name);
		err = lsm__fs_copy(AT_FDCWD, paths[i], r->data_fd, name);
		if (err)
			lsm__fail(err, "%s: cannot copy it into %s/data: %s", paths[i], r->dir, strerror(-err));
		else if ((err = lsm__sst_read(NULL, r->data_fd, where, name, false, 0, &scratch, &s))) {
			/* The message names the copy; the caller knows the file by its path. */
			snprintf(msg, sizeof(msg), "%s", lsm_engine_errmsg());
			lsm__fail(err, "%s: refused: %s", paths[i], msg);
		}
		if (!err && !s.num_rows)
			err = lsm__fail(-EINVAL, "%s: an SST to ingest must hold rows", paths[i]);
		if (!err)
			err = add_output(out, r->id, &id, 0, &s, meta->partition_expr, true, seq);
		if (err) {
			remove_file(r, &id);
			lsm__region_pending_remove(r, &id);
		}
		lsm_row_set_free(&scratch);
		if (err)
			goto fail;
	}
	if ((err = lsm__fs_sync_dir(r->data_fd)) || (err = pair_files(out)))
		goto fail;
	return 0;
fail:
	lsm__outputs_discard(r, out, err);
	return err;
}

void lsm__outputs_discard(struct lsm_region *r, struct lsm__outputs *out, int err)
{
	size_t left = 0;

	for (size_t i = 0; i < out->num; i++) {
		if (!remove_file(r, &out->metas[i].file_id))
			left++;
		lsm__region_pending_remove(r, &out->metas[i].file_id);
	}
	if (out->num)
		lsm__fs_sync_dir(r->data_fd);
	if (left) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", lsm_engine_errmsg());
		lsm__fail(err, "%s (and %zu uncommitted SST files could not be removed; GC removes them)", msg, left);
	}
	outputs_free(out);
}

void lsm__outputs_done(struct lsm_region *r, struct lsm__outputs *out)
{
	for (size_t i = 0; i < out->num; i++)
		lsm__region_pending_remove(r, &out->metas[i].file_id);
	outputs_free(out);
}
