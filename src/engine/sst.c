/*
 * sst.c - SST writer and verifying reader (format in sst.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "codec.h"
#include "rows.h"
#include "sst.h"
#include "util.h"

static const char header_magic[8] = { 'R', 'H', 'K', 'S', 'S', 'T', '0', '1' };
static const char footer_magic[8] = { 'R', 'H', 'K', 'S', 'S', 'T', 'F', '1' };
#define FORMAT      1u
#define HEADER_SIZE 16u
#define FOOTER_SIZE (12u * 8u + 8u)
#define RG_META     48u /* bytes per row group in the meta block */
#define ROW_FIXED   24u

void lsm__sst_name(const rhook_file_id *id, char buf[LSM__SST_NAME_MAX])
{
	char s[RHOOK_FILE_ID_STRLEN];

	rhook_file_id_format(id, s);
	memcpy(buf, s, RHOOK_FILE_ID_STRLEN - 1);
	memcpy(buf + RHOOK_FILE_ID_STRLEN - 1, ".sst", 5);
}

/* Encodes rows [from, to) into @buf (large enough); returns the end. */
static uint8_t *encode_rows(uint8_t *p, const struct lsm_row *rows, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		p = lsm__put_u64(p, (uint64_t)rows[i].ts);
		p = lsm__put_u64(p, rows[i].seq);
		p = lsm__put_u32(p, rows[i].key_len);
		p = lsm__put_u32(p, rows[i].value_len);
		if (rows[i].key_len)
			memcpy(p, rows[i].key, rows[i].key_len);
		p += rows[i].key_len;
		if (rows[i].value_len)
			memcpy(p, rows[i].value, rows[i].value_len);
		p += rows[i].value_len;
	}
	return p;
}

static bool same_key(const struct lsm_row *a, const struct lsm_row *b)
{
	return a->key_len == b->key_len && (!a->key_len || !memcmp(a->key, b->key, a->key_len));
}

/* Summary fields that depend on the rows only. */
static void summarize_rows(const struct lsm_row *rows, size_t n, struct lsm__sst_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->num_rows = n;
	s->ts_min = INT64_MAX;
	s->ts_max = INT64_MIN;
	s->min_seq = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].ts < s->ts_min)
			s->ts_min = rows[i].ts;
		if (rows[i].ts > s->ts_max)
			s->ts_max = rows[i].ts;
		if (rows[i].seq < s->min_seq)
			s->min_seq = rows[i].seq;
		if (rows[i].seq > s->max_seq)
			s->max_seq = rows[i].seq;
		if (i == 0 || !same_key(&rows[i - 1], &rows[i]))
			s->num_series++;
	}
	s->key_min = rows[0].key;
	s->key_min_len = rows[0].key_len;
	s->key_max = rows[n - 1].key;
	s->key_max_len = rows[n - 1].key_len;
}

int lsm__sst_write(struct lsm_engine *engine, int dirfd, const char *name, const struct lsm_row *rows,
		     size_t num_rows, uint32_t row_group_rows, struct lsm__sst_summary *out)
{
	size_t num_rg = (num_rows + row_group_rows - 1) / row_group_rows;
	size_t meta_size = 4 + num_rg * RG_META + 8 + (size_t)rows[0].key_len + rows[num_rows - 1].key_len;
	uint8_t *meta = NULL, *buf = NULL, *mp, footer[FOOTER_SIZE], *fp, head[HEADER_SIZE];
	uint64_t off = HEADER_SIZE;
	int fd, err;

	summarize_rows(rows, num_rows, out);
	fd = lsm__fs_create(dirfd, name);
	if (fd < 0)
		return fd;
	meta = malloc(meta_size);
	if (!meta) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(head, header_magic, 8);
	lsm__put_u32(lsm__put_u32(head + 8, FORMAT), 0);
	err = lsm__fs_write_all(fd, head, sizeof(head));
	mp = lsm__put_u32(meta, (uint32_t)num_rg);
	for (size_t g = 0; !err && g < num_rg; g++) {
		size_t from = g * row_group_rows, to = from + row_group_rows < num_rows ? from + row_group_rows : num_rows;
		uint64_t size = lsm__rows_bytes(rows + from, to - from);
		int64_t tmin = INT64_MAX, tmax = INT64_MIN;
		uint8_t *nb = realloc(buf, size);

		if (!nb) {
			err = -ENOMEM;
			break;
		}
		buf = nb;
		encode_rows(buf, rows, from, to);
		for (size_t i = from; i < to; i++) {
			tmin = rows[i].ts < tmin ? rows[i].ts : tmin;
			tmax = rows[i].ts > tmax ? rows[i].ts : tmax;
		}
		err = lsm__fault_hit(engine, LSM_FAULT_SST_WRITE);
		if (err) {
			/* A torn file, as a failing disk would leave it. */
			lsm__fs_write_all(fd, buf, size / 2);
			break;
		}
		err = lsm__fs_write_all(fd, buf, size);
		mp = lsm__put_u64(mp, off);
		mp = lsm__put_u64(mp, size);
		mp = lsm__put_u64(mp, to - from);
		mp = lsm__put_u64(mp, (uint64_t)tmin);
		mp = lsm__put_u64(mp, (uint64_t)tmax);
		mp = lsm__put_u64(mp, XXH64(buf, size, 0));
		off += size;
		if (size > out->max_row_group_size)
			out->max_row_group_size = size;
	}
	if (err)
		goto out;
	mp = lsm__put_u32(mp, rows[0].key_len);
	if (rows[0].key_len)
		memcpy(mp, rows[0].key, rows[0].key_len);
	mp += rows[0].key_len;
	mp = lsm__put_u32(mp, rows[num_rows - 1].key_len);
	if (rows[num_rows - 1].key_len)
		memcpy(mp, rows[num_rows - 1].key, rows[num_rows - 1].key_len);
	err = lsm__fs_write_all(fd, meta, meta_size);
	if (err)
		goto out;

	out->num_row_groups = num_rg;
	fp = lsm__put_u64(footer, off);
	fp = lsm__put_u64(fp, meta_size);
	fp = lsm__put_u64(fp, XXH64(meta, meta_size, 0));
	fp = lsm__put_u64(fp, out->num_rows);
	fp = lsm__put_u64(fp, out->num_row_groups);
	fp = lsm__put_u64(fp, out->num_series);
	fp = lsm__put_u64(fp, (uint64_t)out->ts_min);
	fp = lsm__put_u64(fp, (uint64_t)out->ts_max);
	fp = lsm__put_u64(fp, out->min_seq);
	fp = lsm__put_u64(fp, out->max_seq);
	fp = lsm__put_u64(fp, out->max_row_group_size);
	fp = lsm__put_u64(fp, XXH64(footer, (size_t)(fp - footer), 0));
	memcpy(fp, footer_magic, 8);
	err = lsm__fs_write_all(fd, footer, sizeof(footer));
	if (!err)
		err = lsm__fs_sync(fd);
	out->file_size = off + meta_size + FOOTER_SIZE;
out:
	if (close(fd) && !err)
		err = -errno;
	free(meta);
	free(buf);
	return err;
}

#define DAMAGED(what) lsm__fail(-EBADMSG, "%s/%s: damaged SST: %s", where, name, what)

/* Decodes one verified row group into @set; false if its contents are malformed. */
static bool decode_group(const uint8_t *p, uint64_t size, uint64_t nrows, bool has_seq, uint64_t seq,
			 struct lsm_row_set *set, int *err)
{
	struct lsm__cursor c = { p, p + size };

	for (uint64_t i = 0; i < nrows; i++) {
		struct lsm_row r;
		uint64_t ts;

		if (!lsm__cur_u64(&c, &ts) || !lsm__cur_u64(&c, &r.seq) || !lsm__cur_u32(&c, &r.key_len) ||
		    !lsm__cur_u32(&c, &r.value_len) || !lsm__cur_bytes(&c, r.key_len, &r.key) ||
		    !lsm__cur_bytes(&c, r.value_len, &r.value))
			return false;
		r.ts = (int64_t)ts;
		if (has_seq)
			r.seq = seq;
		*err = lsm__rows_push_ref(set, &r);
		if (*err)
			return true;
	}
	return c.p == c.end;
}

int lsm__sst_decode(char *buf, size_t len, const char *where, const char *name, bool has_seq, uint64_t seq,
		      struct lsm_row_set *set, struct lsm__sst_summary *sum)
{
	struct lsm__sst_summary s;
	struct lsm__cursor mc;
	uint64_t meta_off, meta_size, meta_hash, v[12], off = HEADER_SIZE, total = 0;
	const uint8_t *f, *b = (const uint8_t *)buf;
	size_t base = set->num_rows;
	uint32_t num_rg;
	int err = 0;

	if (len < HEADER_SIZE + FOOTER_SIZE || memcmp(b, header_magic, 8) || lsm__get_u32(b + 8) != FORMAT) {
		err = DAMAGED("not an SST file (bad header or too short)");
		goto fail;
	}
	f = b + len - FOOTER_SIZE;
	if (memcmp(f + FOOTER_SIZE - 8, footer_magic, 8)) {
		err = DAMAGED("footer magic missing (torn or truncated file)");
		goto fail;
	}
	for (int i = 0; i < 12; i++)
		v[i] = lsm__get_u64(f + 8 * i);
	if (XXH64(f, 11 * 8, 0) != v[11]) {
		err = DAMAGED("footer checksum mismatch");
		goto fail;
	}
	meta_off = v[0];
	meta_size = v[1];
	meta_hash = v[2];
	if (meta_off < HEADER_SIZE || meta_off > len - FOOTER_SIZE || meta_size != len - FOOTER_SIZE - meta_off) {
		err = DAMAGED("meta block out of bounds");
		goto fail;
	}
	if (XXH64(b + meta_off, meta_size, 0) != meta_hash) {
		err = DAMAGED("meta block checksum mismatch");
		goto fail;
	}
	memset(&s, 0, sizeof(s));
	s.file_size = len;
	s.num_rows = v[3];
	s.num_row_groups = v[4];
	s.num_series = v[5];
	s.ts_min = (int64_t)v[6];
	s.ts_max = (int64_t)v[7];
	s.min_seq = v[8];
	s.max_seq = v[9];
	s.max_row_group_size = v[10];
	mc = (struct lsm__cursor){ b + meta_off, b + meta_off + meta_size };
	if (!lsm__cur_u32(&mc, &num_rg) || num_rg != s.num_row_groups) {
		err = DAMAGED("row group count disagrees with the footer");
		goto fail;
	}
	for (uint32_t g = 0; g < num_rg; g++) {
		uint64_t goff, gsize, grows, tmin, tmax, ghash;

		if (!lsm__cur_u64(&mc, &goff) || !lsm__cur_u64(&mc, &gsize) || !lsm__cur_u64(&mc, &grows) ||
		    !lsm__cur_u64(&mc, &tmin) || !lsm__cur_u64(&mc, &tmax) || !lsm__cur_u64(&mc, &ghash) ||
		    goff != off || gsize > meta_off - off) {
			err = DAMAGED("row group index out of bounds");
			goto fail;
		}
		if (XXH64(b + goff, gsize, 0) != ghash) {
			err = DAMAGED("row group checksum mismatch");
			goto fail;
		}
		if (!decode_group(b + goff, gsize, grows, has_seq, seq, set, &err) && !err) {
			err = DAMAGED("malformed row group");
			goto fail;
		}
		if (err)
			goto fail;
		off += gsize;
		total += grows;
	}
	if (off != meta_off || total != s.num_rows || !lsm__cur_u32(&mc, &s.key_min_len) ||
	    !lsm__cur_bytes(&mc, s.key_min_len, &s.key_min) || !lsm__cur_u32(&mc, &s.key_max_len) ||
	    !lsm__cur_bytes(&mc, s.key_max_len, &s.key_max) || mc.p != mc.end) {
		err = DAMAGED("row count or key range disagrees with the footer");
		goto fail;
	}
	err = lsm__rows_adopt(set, buf);
	if (err)
		goto fail;
	if (sum)
		*sum = s;
	return 0;
fail:
	set->num_rows = base; /* the rows pointed into buf */
	free(buf);
	return err;
}

int lsm__sst_read(struct lsm_engine *engine, int dirfd, const char *where, const char *name, bool has_seq,
		    uint64_t seq, struct lsm_row_set *set, struct lsm__sst_summary *sum)
{
	size_t len;
	char *buf;
	int err = lsm__fault_hit(engine, LSM_FAULT_SST_READ);

	if (err)
		return lsm__fail(err, "%s/%s: read failed (injected)", where, name);
	err = lsm__fs_read_all(dirfd, name, &buf, &len);
	if (err)
		return lsm__fail(err, "%s/%s: %s", where, name, strerror(-err));
	return lsm__sst_decode(buf, len, where, name, has_seq, seq, set, sum);
}

int lsm_sst_write_file(const char *path, const struct lsm_row *rows, size_t num_rows)
{
	struct lsm_row_set set = { 0 };
	struct lsm__sst_summary s;
	int err = 0;

	if (!num_rows)
		return lsm__fail(-EINVAL, "%s: an SST holds at least one row", path);
	for (size_t i = 0; !err && i < num_rows; i++)
		err = lsm__rows_push_ref(&set, &rows[i]);
	if (!err) {
		lsm__rows_merge(&set, 0);
		err = lsm__sst_write(NULL, AT_FDCWD, path, set.rows, set.num_rows, 1024, &s);
		if (err) {
			lsm__fail(err, "%s: %s", path, strerror(-err));
			if (err != -EEXIST)
				unlink(path);
		}
	} else {
		lsm__fail(err, "out of memory");
	}
	lsm_row_set_free(&set);
	return err;
}
