/*
 * engine_rt.c - helpers of the engine's tests (see engine_rt.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_rt.h"
#include "log.h"
#include "rt.h"

static void rec_push(struct ert_recorder *r, const struct ert_call *c)
{
	pthread_mutex_lock(&r->lock);
	if (r->num_calls == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->calls = realloc(r->calls, r->cap * sizeof(*r->calls));
		assert_non_null(r->calls);
	}
	r->calls[r->num_calls++] = *c;
	pthread_mutex_unlock(&r->lock);
}

static void on_sst(void *priv, rhook_region_id id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t n)
{
	struct ert_call c = { .kind = ERT_SST, .region_id = id, .num_files = n };

	/* Recorded, not asserted: cmocka must not run on the engine's workers. */
	c.meta_ok = meta && meta->region_id == id;
	c.files = calloc(n ? n : 1, sizeof(*c.files));
	for (size_t i = 0; c.files && i < n; i++) {
		c.files[i] = files[i].file_meta->file_id;
		c.rows += files[i].sst_info->num_rows;
	}
	rec_push(priv, &c);
}

static void on_manifest(void *priv, rhook_region_id id, const struct rhook_action_list *actions, uint64_t version)
{
	struct ert_call c = { .kind = ERT_MANIFEST, .region_id = id, .version = version };

	rhook_action_list_copy(actions, &c.actions);
	rec_push(priv, &c);
}

void ert_recorder_init(struct ert_recorder *r)
{
	static const struct rhook_hook_ops ops = { .size = sizeof(ops), .on_sst_files_written = on_sst,
						   .on_manifest_updated = on_manifest };

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	assert_int_equal(rhook_registry_new(&r->registry), 0);
	assert_int_equal(rhook_registry_add(r->registry, &ops, r, NULL), 0);
}

void ert_recorder_reset(struct ert_recorder *r)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->num_calls; i++) {
		rhook_action_list_free(r->calls[i].actions);
		free(r->calls[i].files);
	}
	r->num_calls = 0;
	pthread_mutex_unlock(&r->lock);
}

void ert_recorder_fini(struct ert_recorder *r)
{
	rhook_registry_free(r->registry);
	ert_recorder_reset(r);
	free(r->calls);
	pthread_mutex_destroy(&r->lock);
}

size_t ert_count(struct ert_recorder *r, enum ert_kind kind)
{
	size_t n = 0;

	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->num_calls; i++)
		n += r->calls[i].kind == kind;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void ert_setup(struct ert_env *e, const char *tag)
{
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .row_group_rows = 64, .sst_max_rows = 500 };

	memset(e, 0, sizeof(*e));
	rt_tmpdir(e->dir, tag);
	ert_recorder_init(&e->rec);
	cfg.registry = e->rec.registry;
	assert_int_equal(lsm_engine_new(&cfg, &e->engine), 0);
}

void ert_teardown(struct ert_env *e)
{
	lsm_engine_free(e->engine);
	ert_recorder_fini(&e->rec);
	tc_rmtree(e->dir);
}

int ert_fixture_setup(void **state)
{
	struct ert_env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	ert_setup(e, "engine");
	*state = e;
	return 0;
}

int ert_fixture_teardown(void **state)
{
	ert_teardown(*state);
	free(*state);
	return 0;
}

void ert_region_meta(struct rhook_region_meta *m, rhook_region_id id, uint64_t schema_version)
{
	static struct rhook_column cols[3] = {
		{ 0, "host", RHOOK_COLUMN_STRING, RHOOK_SEMANTIC_TAG, false },
		{ 1, "ts", RHOOK_COLUMN_TIMESTAMP, RHOOK_SEMANTIC_TIMESTAMP, false },
		{ 2, "value", RHOOK_COLUMN_BINARY, RHOOK_SEMANTIC_FIELD, true },
	};
	static uint32_t pk[1] = { 0 };

	*m = (struct rhook_region_meta){ .region_id = id, .schema_version = schema_version, .columns = cols,
					 .num_columns = 3, .primary_key = pk, .num_primary_key = 1 };
}

struct lsm_region *ert_region(struct ert_env *e, char path[ERT_PATH])
{
	struct rhook_region_meta m;
	struct lsm_region *r = NULL;
	char p[ERT_PATH];
	unsigned n = ++e->next_region;
	rhook_region_id id = 0;
	int err;

	assert_int_equal(rhook_region_id_make_group(7, 1, n, &id), 0);
	ert_region_meta(&m, id, 1);
	snprintf(p, sizeof(p), "%s/region-%u", e->dir, n);
	err = lsm_region_create(e->engine, p, &m, &r);
	if (err)
		fail_msg("lsm_region_create(%s): %s", p, lsm_engine_errmsg());
	if (path)
		snprintf(path, ERT_PATH, "%s", p);
	return r;
}

void ert_rows_make(struct ert_rows *r, size_t n, unsigned keys, int64_t t0, unsigned gen)
{
	r->n = n;
	r->rows = calloc(n ? n : 1, sizeof(*r->rows));
	r->bufs = calloc(n ? 2 * n : 1, sizeof(*r->bufs));
	assert_true(r->rows && r->bufs);
	for (size_t i = 0; i < n; i++) {
		int kl = snprintf(r->bufs[2 * i], sizeof(r->bufs[0]), "k%05zu", i % keys);
		int vl = snprintf(r->bufs[2 * i + 1], sizeof(r->bufs[0]), "g%u-%zu", gen, i);

		r->rows[i] = (struct lsm_row){ .ts = t0 + (int64_t)i, .key = (const uint8_t *)r->bufs[2 * i],
						 .key_len = (uint32_t)kl, .value = (const uint8_t *)r->bufs[2 * i + 1],
						 .value_len = (uint32_t)vl };
	}
}

void ert_rows_free(struct ert_rows *r)
{
	free(r->rows);
	free(r->bufs);
	memset(r, 0, sizeof(*r));
}

uint64_t ert_put(struct lsm_region *region, size_t n, unsigned keys, int64_t t0, unsigned gen)
{
	struct ert_rows rows;
	uint64_t seq = 0;
	int err;

	ert_rows_make(&rows, n, keys, t0, gen);
	err = lsm_region_put(region, rows.rows, rows.n, &seq);
	if (err)
		fail_msg("put: %s", lsm_engine_errmsg());
	ert_rows_free(&rows);
	return seq;
}

void ert_put_flush(struct lsm_region *region, size_t n, int64_t t0, unsigned gen)
{
	ert_put(region, n, 40, t0, gen);
	if (lsm_region_flush(region, NULL))
		fail_msg("flush: %s", lsm_engine_errmsg());
}

uint64_t ert_version(struct lsm_region *region)
{
	struct lsm_region_manifest m;
	uint64_t v;

	assert_int_equal(lsm_region_manifest(region, &m), 0);
	v = m.version;
	lsm_region_manifest_clear(&m);
	return v;
}

void ert_flip(const char *path, long off)
{
	int fd = open(path, O_RDWR);
	struct stat st;
	unsigned char c;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	if (off < 0)
		off += st.st_size;
	assert_int_equal(pread(fd, &c, 1, off), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

void ert_external_sst(struct ert_env *e, const char *name, char path[ERT_PATH], size_t n, int64_t t0, unsigned gen)
{
	struct ert_rows rows;

	ert_rows_make(&rows, n, (unsigned)n, t0, gen);
	snprintf(path, ERT_PATH, "%s/%s.sst", e->dir, name);
	if (lsm_sst_write_file(path, rows.rows, rows.n))
		fail_msg("lsm_sst_write_file: %s", lsm_engine_errmsg());
	ert_rows_free(&rows);
}

bool ert_same_ids(const struct rhook_file_meta *files, size_t n, const rhook_file_id *ids, size_t m)
{
	if (n != m)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool found = false;

		for (size_t j = 0; j < m && !found; j++)
			found = rhook_file_id_equal(&files[i].file_id, &ids[j]);
		if (!found)
			return false;
	}
	return true;
}

struct rhook_action_list *ert_disk_delta(const char *region_dir, uint64_t version, bool staging)
{
	struct rhook_action_list *list = NULL;
	char dir[ERT_PATH], name[LSM__LOG_NAME_MAX];
	uint64_t prev;
	int fd;

	snprintf(dir, sizeof(dir), "%s/%s", region_dir, staging ? "staging" : "manifest");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return NULL;
	lsm__log_name(version, false, name);
	if (lsm__log_read(fd, dir, name, version, &prev, &list, NULL, NULL))
		list = NULL;
	close(fd);
	return list;
}

bool ert_same_actions(const struct rhook_action_list *a, const struct rhook_action_list *b)
{
	char *ja = NULL, *jb = NULL;
	bool same;

	if (!a || !b)
		return false;
	assert_int_equal(rhook_action_list_to_json(a, &ja, NULL), 0);
	assert_int_equal(rhook_action_list_to_json(b, &jb, NULL), 0);
	same = !strcmp(ja, jb);
	if (!same)
		fprintf(stderr, "action lists differ:\n  %s\n  %s\n", ja, jb);
	free(ja);
	free(jb);
	return same;
}

void ert_scan(struct lsm_region *region, struct lsm_row_set *out)
{
	if (lsm_region_scan(region, NULL, out))
		fail_msg("scan: %s", lsm_engine_errmsg());
}

static bool bytes_eq(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl)
{
	return al == bl && (!al || !memcmp(a, b, al));
}

bool ert_same_rows(const struct lsm_row_set *a, const struct lsm_row_set *b)
{
	if (a->num_rows != b->num_rows) {
		fprintf(stderr, "scans differ: %zu rows vs %zu\n", a->num_rows, b->num_rows);
		return false;
	}
	for (size_t i = 0; i < a->num_rows; i++) {
		const struct lsm_row *x = &a->rows[i], *y = &b->rows[i];

		if (x->ts != y->ts || !bytes_eq(x->key, x->key_len, y->key, y->key_len) ||
		    !bytes_eq(x->value, x->value_len, y->value, y->value_len)) {
			fprintf(stderr, "scans differ at row %zu\n", i);
			return false;
		}
	}
	return true;
}

size_t ert_count_files(const char *dir, const char *sub)
{
	char path[ERT_PATH];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	while (d && (de = readdir(d)))
		n += de->d_type == DT_REG;
	if (d)
		closedir(d);
	return n;
}
