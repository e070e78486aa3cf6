/*
 * seeds.c - rhook-fuzz-seeds: the seed corpora of the decoder fuzz
 * targets, made from real files the reference engine writes.
 *
 *   rhook-fuzz-seeds OUT_DIR
 *
 * Runs a small workload on a fresh region (create, flushes, a compaction,
 * an index build, an ingestion, an alter, a staging round, truncates, a
 * checkpoint and a flush after it), then writes under OUT_DIR/:
 *
 *   envelope/    every delta of the manifest, as on disk
 *   actions/     the action list of each delta (its body)
 *   regionmeta/  the region metadata of each change action
 *   sst/         the smallest SST files of data/
 *   checkpoint/  _last_checkpoint + "\n" + the checkpoint it names, and
 *                _latest (without its newline) + "\n" + the delta it names
 *
 * Files are small on purpose (few rows, small row groups).  Exits 0, or 1
 * with a message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "util.h"

#define ROWS 12

static const char *out_dir;

static void die(const char *what)
{
	fprintf(stderr, "rhook-fuzz-seeds: %s: %s\n", what, lsm_engine_errmsg());
	exit(1);
}

static void check(int err, const char *what)
{
	if (err)
		die(what);
}

/* Writes OUT_DIR/@sub/@name from up to two parts (joined by a newline when both are given). */
static void seed(const char *sub, const char *name, const char *a, size_t alen, const char *b, size_t blen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, sub);
	if (mkdir(path, 0755) && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/%s", out_dir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen || (b && (fputc('\n', f) == EOF || fwrite(b, 1, blen, f) != blen)) ||
	    fclose(f))
		die(path);
}

static void put_flush(struct lsm_region *r, int64_t t0, unsigned gen)
{
	struct lsm_row rows[ROWS];
	char keys[ROWS][16], values[ROWS][24];

	for (int i = 0; i < ROWS; i++) {
		int kl = snprintf(keys[i], sizeof(keys[i]), "host-%02d", i % 5);
		int vl = snprintf(values[i], sizeof(values[i]), "g%u-%d", gen, i);

		rows[i] = (struct lsm_row){ .ts = t0 + i, .key = (const uint8_t *)keys[i], .key_len = (uint32_t)kl,
					      .value = (const uint8_t *)values[i], .value_len = (uint32_t)vl };
	}
	check(lsm_region_put(r, rows, ROWS, NULL), "put");
	check(lsm_region_flush(r, NULL), "flush");
}

/* A pre-written SST for ingestion and staging. */
static void external_sst(const char *path, int64_t t0)
{
	struct lsm_row rows[4];
	char keys[4][16];

	for (int i = 0; i < 4; i++) {
		int kl = snprintf(keys[i], sizeof(keys[i]), "ext-%d", i);

		rows[i] = (struct lsm_row){ .ts = t0 + i, .key = (const uint8_t *)keys[i], .key_len = (uint32_t)kl,
					      .value = (const uint8_t *)"x", .value_len = 1 };
	}
	check(lsm_sst_write_file(path, rows, 4), "external SST");
}

static void workload(struct lsm_engine *e, const char *dir, const char *tmp)
{
	static struct rhook_column cols[] = {
		{ 0, "host", RHOOK_COLUMN_STRING, RHOOK_SEMANTIC_TAG, false },
		{ 1, "ts", RHOOK_COLUMN_TIMESTAMP, RHOOK_SEMANTIC_TIMESTAMP, false },
		{ 2, "cpu", RHOOK_COLUMN_FLOAT64, RHOOK_SEMANTIC_FIELD, true },
		{ 3, "note \"\xc3\xa9t\xc3\xa9\"", RHOOK_COLUMN_STRING, RHOOK_SEMANTIC_FIELD, true },
	};
	static uint32_t pk[] = { 0 };
	struct rhook_region_meta meta = { .schema_version = 1, .columns = cols, .num_columns = 3, .primary_key = pk,
					  .num_primary_key = 1 };
	struct lsm_region_manifest m;
	struct lsm_region *r;
	char ext[2][4096];
	const char *paths[1];

	check(rhook_region_id_make_group(9, 2, 5, &meta.region_id), "region id");
	check(lsm_region_create(e, dir, &meta, &r), "create");
	for (unsigned g = 0; g < 3; g++)
		put_flush(r, g * 100, g);
	check(lsm_region_compact(r, NULL), "compact");
	check(lsm_region_build_index(r, NULL), "index build");
	snprintf(ext[0], sizeof(ext[0]), "%s/ingest.sst", tmp);
	external_sst(ext[0], 5000);
	paths[0] = ext[0];
	check(lsm_region_ingest(r, paths, 1), "ingest");
	meta.schema_version = 2;
	meta.num_columns = 4;
	meta.partition_expr = "host >= 'm'";
	meta.sst_format = RHOOK_SST_FORMAT_FLAT;
	check(lsm_region_alter(r, &meta), "alter");
	check(lsm_region_enter_staging(r, "host < 'q'"), "enter staging");
	snprintf(ext[1], sizeof(ext[1]), "%s/staged.sst", tmp);
	external_sst(ext[1], 6000);
	paths[0] = ext[1];
	check(lsm_region_apply_staging(r, paths, 1), "apply staging");
	check(lsm_region_manifest(r, &m), "manifest");
	if (m.num_files)
		check(lsm_region_truncate_files(r, &m.files[0].file_id, 1), "truncate files");
	lsm_region_manifest_clear(&m);
	put_flush(r, 7000, 7);
	check(lsm_region_truncate(r), "truncate");
	put_flush(r, 8000, 8);
	check(lsm_region_checkpoint(r), "checkpoint");
	put_flush(r, 9000, 9); /* _latest names a delta after the checkpoint */
	lsm_region_close(r);
}

static char *slurp(int dirfd, const char *name, size_t *len)
{
	char *buf;
	int err = lsm__fs_read_all(dirfd, name, &buf, len);

	if (err) {
		lsm__fail(err, "%s: %s", name, strerror(-err));
		die("read");
	}
	return buf;
}

static void harvest_manifest(const char *dir)
{
	char path[4096], name[LSM__LOG_NAME_MAX], seed_name[64];
	struct lsm__log_listing l;
	struct lsm__log_pointer p;
	size_t len, plen;
	char *buf, *ptr;
	int fd;

	snprintf(path, sizeof(path), "%s/manifest", dir);
	fd = open(path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		die(path);
	check(lsm__log_list(fd, path, &l), "list");
	for (size_t i = 0; i < l.num_deltas; i++) {
		struct rhook_action_list *list;
		uint64_t prev;
		char *json;
		size_t jlen;

		lsm__log_name(l.deltas[i], false, name);
		buf = slurp(fd, name, &len);
		snprintf(seed_name, sizeof(seed_name), "delta-%02llu", (unsigned long long)l.deltas[i]);
		seed("envelope", seed_name, buf, len, NULL, 0);
		check(lsm__log_decode(buf, len, path, name, l.deltas[i], &prev, &list), "decode");
		check(rhook_action_list_to_json(list, &json, &jlen), "encode");
		snprintf(seed_name, sizeof(seed_name), "actions-%02llu", (unsigned long long)l.deltas[i]);
		seed("actions", seed_name, json, jlen, NULL, 0);
		free(json);
		for (size_t k = 0; k < list->num_actions; k++) {
			if (list->actions[k].kind != RHOOK_ACTION_CHANGE)
				continue;
			check(rhook_region_meta_to_json(&list->actions[k].u.change.metadata, &json, &jlen), "encode");
			snprintf(seed_name, sizeof(seed_name), "meta-%02llu-%zu", (unsigned long long)l.deltas[i], k);
			seed("regionmeta", seed_name, json, jlen, NULL, 0);
			free(json);
		}
		rhook_action_list_free(list);
		free(buf);
	}
	lsm__log_listing_free(&l);

	ptr = slurp(fd, "_last_checkpoint", &plen);
	check(lsm__log_parse_last_checkpoint(ptr, plen, path, &p), "_last_checkpoint");
	lsm__log_name(p.version, true, name);
	buf = slurp(fd, name, &len);
	seed("checkpoint", "last-checkpoint", ptr, plen, buf, len);
	free(buf);
	free(ptr);
	ptr = slurp(fd, "_latest", &plen);
	check(lsm__log_parse_latest(ptr, plen, path, &p), "_latest");
	lsm__log_name(p.version, false, name);
	buf = slurp(fd, name, &len);
	seed("checkpoint", "latest", ptr, plen - 1, buf, len); /* the record's newline is the separator */
	free(buf);
	free(ptr);
	close(fd);
}

struct sst_pick {
	int fd;
	char names[3][64];
	off_t sizes[3];
	int n;
};

/* Keeps the three smallest SST files. */
static int pick_sst(const char *name, void *arg)
{
	struct sst_pick *p = arg;
	struct stat st;
	int slot = -1;

	if (strlen(name) < 4 || strcmp(name + strlen(name) - 4, ".sst") || fstatat(p->fd, name, &st, 0))
		return 0;
	if (p->n < 3)
		slot = p->n++;
	else
		for (int i = 0; i < 3; i++)
			if (st.st_size < p->sizes[i] && (slot < 0 || p->sizes[i] > p->sizes[slot]))
				slot = i;
	if (slot >= 0) {
		snprintf(p->names[slot], sizeof(p->names[slot]), "%s", name);
		p->sizes[slot] = st.st_size;
	}
	return 0;
}

static void harvest_data(const char *dir)
{
	struct sst_pick p = { 0 };
	char path[4096], seed_name[32];

	snprintf(path, sizeof(path), "%s/data", dir);
	p.fd = open(path, O_RDONLY | O_DIRECTORY);
	if (p.fd < 0 || lsm__fs_for_each(p.fd, pick_sst, &p))
		die(path);
	for (int i = 0; i < p.n; i++) {
		size_t len;
		char *buf = slurp(p.fd, p.names[i], &len);

		snprintf(seed_name, sizeof(seed_name), "sst-%d", i);
		seed("sst", seed_name, buf, len, NULL, 0);
		free(buf);
	}
	close(p.fd);
}

int main(int argc, char **argv)
{
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .workers = 1, .row_group_rows = 4,
					   .sst_max_rows = 64, .checkpoint_interval = 1000 };
	char tmp[] = "/tmp/rhook-fuzz-seeds-XXXXXX", dir[4096];
	struct lsm_engine *e;

	if (argc != 2) {
		fprintf(stderr, "usage: rhook-fuzz-seeds OUT_DIR\n");
		return 2;
	}
	out_dir = argv[1];
	if (!mkdtemp(tmp))
		die("mkdtemp");
	snprintf(dir, sizeof(dir), "%s/region", tmp);
	check(lsm_engine_new(&cfg, &e), "engine");
	workload(e, dir, tmp);
	lsm_engine_free(e);
	harvest_manifest(dir);
	harvest_data(dir);
	check(lsm__fs_remove_tree(AT_FDCWD, tmp), "cleanup");
	return 0;
}
