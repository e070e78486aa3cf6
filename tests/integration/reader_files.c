/*
 * reader_files.c - rhook-read files and amp on a real engine trace,
 * against the ground truth the test takes from the engine itself: the
 * bytes each flush and compaction wrote (the hooks and the operation
 * results, a remote compaction's in rhook-compactor), the files created
 * and the files deleted (on_files_removed), the files live at the end
 * (the manifest).  The remote compaction's files are born in the
 * compactor's process under a job id of the leader's.  And a failpoint
 * that makes GC delete a live file is caught by rhook-read check
 * (removed-live-file).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

#include <rhook/trace.h>

#include "engine_rt.h"
#include "reader_common.h"

#define MAX_FILES 256

/* What the hooks of this process saw. */
static struct {
	pthread_mutex_t lock;
	uint64_t bytes[3];                 /* by origin */
	rhook_file_id created[MAX_FILES];
	size_t num_created;
	rhook_file_id deleted[MAX_FILES];
	enum rhook_remove_reason reason[MAX_FILES];
	size_t num_deleted;
} truth = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void on_sst(void *priv, rhook_region_id id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t n)
{
	(void)priv, (void)id, (void)meta;
	pthread_mutex_lock(&truth.lock);
	for (size_t i = 0; i < n; i++) {
		/* Flush or compaction: the level says which in this engine (0 flush, 1 compaction). */
		truth.bytes[files[i].file_meta->level ? RHOOK_ORIGIN_COMPACTION : RHOOK_ORIGIN_FLUSH] +=
			files[i].sst_info->file_size;
		if (truth.num_created < MAX_FILES)
			truth.created[truth.num_created++] = files[i].file_meta->file_id;
	}
	pthread_mutex_unlock(&truth.lock);
}

static void on_removed(void *priv, rhook_region_id id, const struct rhook_removed_file *files, size_t n,
		       enum rhook_remove_reason reason)
{
	(void)priv, (void)id;
	pthread_mutex_lock(&truth.lock);
	for (size_t i = 0; i < n && truth.num_deleted < MAX_FILES; i++) {
		truth.reason[truth.num_deleted] = reason;
		truth.deleted[truth.num_deleted++] = files[i].file_id;
	}
	pthread_mutex_unlock(&truth.lock);
}

static const struct rhook_hook_ops ops = { .size = sizeof(ops), .on_sst_files_written = on_sst,
					   .on_files_removed = on_removed };

struct env {
	char dir[PATH_MAX], trace[PATH_MAX + 16];
	struct rhook_registry *reg;
	struct lsm_engine *engine;
};

static void env_up(struct env *e, const char *tag)
{
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .row_group_rows = 64, .sst_max_rows = 500 };
	struct rhook_recorder_config rc = { .size = sizeof(rc), .mode = RHOOK_RECORDER_DISCARD };

	memset(&truth.bytes, 0, sizeof(truth.bytes));
	truth.num_created = truth.num_deleted = 0;
	rt_tmpdir(e->dir, tag);
	snprintf(e->trace, sizeof(e->trace), "%s/trace", e->dir);
	rc.dir = e->trace;
	assert_int_equal(rhook_recorder_start(&rc), 0);
	/* The compactor records too, by configuration (librhook's constructor). */
	setenv("RHOOK_TRACE_DIR", e->trace, 1);
	assert_int_equal(rhook_registry_new(&e->reg), 0);
	assert_int_equal(rhook_registry_add(e->reg, &ops, NULL, NULL), 0);
	cfg.registry = e->reg;
	assert_int_equal(lsm_engine_new(&cfg, &e->engine), 0);
}

static void env_down(struct env *e)
{
	lsm_engine_free(e->engine);
	rhook_registry_free(e->reg);
	assert_int_equal(rhook_recorder_stop(), 0);
	unsetenv("RHOOK_TRACE_DIR");
}

static struct lsm_region *region(struct env *e, unsigned n)
{
	struct rhook_region_meta m;
	struct lsm_region *r;
	rhook_region_id id;
	char path[PATH_MAX + 32];

	assert_int_equal(rhook_region_id_make_group(9, 0, n, &id), 0);
	ert_region_meta(&m, id, 1);
	snprintf(path, sizeof(path), "%s/region-%u", e->dir, n);
	assert_int_equal(lsm_region_create(e->engine, path, &m, &r), 0);
	return r;
}

/* JSON lines of `rhook-read CMD --json TRACE`. */
static json_t **read_json(const char *cmd, const char *trace, size_t *n)
{
	json_t **lines = calloc(4096, sizeof(*lines));
	char *out, *err, *save, *line;

	assert_non_null(lines);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ cmd, "--json", trace, NULL }), 0);
	*n = 0;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;

		assert_true(*n < 4096);
		lines[*n] = json_loads(line, 0, &je);
		if (!lines[*n])
			fail_msg("%s --json: not JSON: %s", cmd, line);
		(*n)++;
	}
	free(out);
	free(err);
	return lines;
}

static void free_json(json_t **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(lines[i]);
	free(lines);
}

static json_int_t num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("no integer '%s'", key);
	return json_integer_value(v);
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("no string '%s'", key);
	return json_string_value(v);
}

static bool id_in(const char *text, const rhook_file_id *ids, size_t n, size_t *at)
{
	rhook_file_id id;

	assert_int_equal(rhook_file_id_parse(text, &id), 0);
	for (size_t i = 0; i < n; i++)
		if (rhook_file_id_equal(&id, &ids[i])) {
			if (at)
				*at = i;
			return true;
		}
	return false;
}

static void test_files_and_amp(void **state)
{
	struct env e;
	char program[PATH_MAX + 32];
	struct lsm_remote_compaction req = { .size = sizeof(req), .program = program };
	struct lsm_region_op_result remote;
	struct lsm_region_manifest ma, mb;
	struct lsm_region *a, *b;
	uint64_t job_before, job_after, flushed, compacted;
	rhook_region_id id_a;
	json_t **lines;
	size_t n, born = 0, deleted = 0, live = 0, remote_born = 0;
	json_t *total = NULL;

	(void)state;
	snprintf(program, sizeof(program), "%s", rt_bin("rhook-compactor"));
	env_up(&e, "lifecycle");
	a = region(&e, 1);
	b = region(&e, 2);
	/* a: three flushes, a local compaction, its purge, a truncation of one file, its purge. */
	ert_put_flush(a, 600, 0, 1);
	ert_put_flush(a, 300, 1000, 2);
	ert_put_flush(a, 300, 2000, 3);
	assert_int_equal(lsm_region_compact(a, NULL), 0);
	assert_int_equal(lsm_region_gc(a, NULL), 0);
	ert_put_flush(a, 200, 3000, 4);
	assert_int_equal(lsm_region_manifest(a, &ma), 0);
	assert_int_equal(lsm_region_truncate_files(a, &ma.files[0].file_id, 1), 0);
	lsm_region_manifest_clear(&ma);
	assert_int_equal(lsm_region_gc(a, NULL), 0);
	/* b: two flushes, a remote compaction in rhook-compactor, the leader's purge. */
	ert_put_flush(b, 300, 0, 1);
	ert_put_flush(b, 300, 1000, 2);
	job_before = rhook_job_new();
	assert_int_equal(lsm_region_compact_remote(b, &req, &remote), 0);
	job_after = rhook_job_new();
	assert_int_equal(lsm_region_gc(b, NULL), 0);
	assert_int_equal(lsm_region_manifest(a, &ma), 0);
	assert_int_equal(lsm_region_manifest(b, &mb), 0);
	id_a = lsm_region_get_id(a);
	lsm_region_close(a);
	lsm_region_close(b);
	env_down(&e);
	flushed = truth.bytes[RHOOK_ORIGIN_FLUSH];
	compacted = truth.bytes[RHOOK_ORIGIN_COMPACTION];
	assert_true(flushed > 0 && compacted > 0 && remote.bytes_out > 0);

	/* amp: bytes per origin and the write amplification are the engine's. */
	lines = read_json("amp", e.trace, &n);
	for (size_t i = 0; i < n; i++)
		if (json_is_true(json_object_get(lines[i], "total")))
			total = lines[i];
	assert_non_null(total);
	assert_int_equal(num(total, "flushed_bytes"), flushed);
	assert_int_equal(num(total, "compaction_bytes"), compacted);
	assert_int_equal(num(total, "remote_compaction_bytes"), remote.bytes_out);
	{
		double wa = json_real_value(json_object_get(total, "write_amplification"));
		double want = (double)(flushed + compacted + remote.bytes_out) / (double)flushed;

		assert_true(wa > want - 0.0001 && wa < want + 0.0001);
	}
	/* Live now, per region: the manifest's files. */
	for (size_t i = 0; i < n; i++) {
		json_t *lv = json_object_get(lines[i], "levels");
		json_int_t files = 0;

		/* Region lines only (the slowest jobs' lines name a region too). */
		if (!json_object_get(lines[i], "region") || !lv)
			continue;
		for (size_t l = 0; l < json_array_size(lv); l++)
			files += num(json_array_get(lv, l), "files");
		assert_int_equal(files, (json_int_t)(num(lines[i], "region") == (json_int_t)id_a ?
							     ma.num_files :
							     mb.num_files));
	}
	free_json(lines, n);

	/* files: every file the engine created, deleted as the hooks were told, live as the manifests say. */
	lines = read_json("files", e.trace, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *f = lines[i], *bj = json_object_get(f, "born"), *dj = json_object_get(f, "deleted");
		const char *fid = str(f, "file");
		size_t at;

		if (bj) {
			born++;
			if (!strcmp(str(bj, "origin"), "remote_compaction")) {
				/* Born in the compactor, under the leader's job (an id of this process's counter). */
				remote_born++;
				assert_string_equal(str(bj, "comm"), "rhook-compactor");
				assert_true(num(bj, "job") > (json_int_t)job_before && num(bj, "job") < (json_int_t)job_after);
			} else {
				assert_true(id_in(fid, truth.created, truth.num_created, NULL));
			}
		}
		if (dj) {
			deleted++;
			assert_true(id_in(fid, truth.deleted, truth.num_deleted, &at));
			assert_string_equal(str(dj, "reason"), rhook_remove_reason_name(truth.reason[at]));
			assert_string_equal(str(dj, "comm"), "reader_files");
		}
		if (json_is_true(json_object_get(f, "live_at_end"))) {
			live++;
			assert_null(dj);
		}
	}
	assert_int_equal(remote_born, remote.files_out);
	assert_int_equal(born, truth.num_created + remote.files_out);
	assert_int_equal(deleted, truth.num_deleted);
	assert_true(truth.num_deleted >= 3 + 2 + 1); /* a's compaction inputs, b's, one truncated file */
	assert_int_equal(live, ma.num_files + mb.num_files);
	free_json(lines, n);

	/* The text forms say the same, and check proves no live file was deleted. */
	{
		char *out, *err;

		assert_int_equal(rr_read(&out, &err, (const char *const[]){ "check", e.trace, NULL }), 0);
		assert_non_null(strstr(out, "\nremoved-live-file      ok"));
		free(out);
		free(err);
		assert_int_equal(rr_read(&out, &err, (const char *const[]){ "amp", "--brief", e.trace, NULL }), 0);
		assert_non_null(strstr(out, "write amplification "));
		free(out);
		free(err);
	}
	lsm_region_manifest_clear(&ma);
	lsm_region_manifest_clear(&mb);
	tc_rmtree(e.dir);
}

/* The failpoint: GC deletes a live SST; the hooks are told, and check proves the data loss. */
static void test_gc_deletes_live_file(void **state)
{
	struct env e;
	struct lsm_region *r;
	char *out, *err;

	(void)state;
	env_up(&e, "livegc");
	r = region(&e, 1);
	ert_put_flush(r, 300, 0, 1);
	lsm_engine_set_fault(e.engine, LSM_FAULT_GC_LIVE, -EIO, 0);
	assert_int_equal(lsm_region_gc(r, NULL), 0);
	lsm_region_close(r);
	env_down(&e);
	assert_int_equal(truth.num_deleted, 1);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "check", e.trace, NULL }), 1);
	if (!strstr(out, "\nremoved-live-file      FAILED (1 violation)") || !strstr(out, "while live"))
		fail_msg("removed-live-file not caught:\n%s", out);
	free(out);
	free(err);
	tc_rmtree(e.dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_and_amp),
		cmocka_unit_test(test_gc_deletes_live_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
