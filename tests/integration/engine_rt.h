/*
 * engine_rt.h - helpers shared by the engine's tests: a recording hook,
 * fresh regions in a temporary directory, rows with a known content, and
 * comparisons of what the hooks saw with what was committed.
 *
 * Callbacks may run on the engine's worker threads: the recorder locks;
 * the main thread asserts.
 */
#ifndef RHOOK_TESTS_ENGINE_RT_H
#define RHOOK_TESTS_ENGINE_RT_H

#include <limits.h>
#include <pthread.h>

#include "engine.h"

/* Paths under a test directory (which is at most PATH_MAX long). */
#define ERT_PATH (PATH_MAX + 64)

enum ert_kind { ERT_SST = 0, ERT_MANIFEST = 1 };

struct ert_call {
	enum ert_kind kind;
	rhook_region_id region_id;
	uint64_t version;                 /* ERT_MANIFEST */
	struct rhook_action_list *actions; /* ERT_MANIFEST: a copy */
	rhook_file_id *files;             /* ERT_SST: the announced files */
	size_t num_files;
	uint64_t rows;                    /* ERT_SST: rows announced, summed over files */
	bool meta_ok;                     /* ERT_SST: the region metadata handed over was this region's */
};

struct ert_recorder {
	pthread_mutex_t lock;
	struct ert_call *calls;
	size_t num_calls, cap;
	struct rhook_registry *registry;
};

/* A registry with one recording hook. */
void ert_recorder_init(struct ert_recorder *r);
void ert_recorder_reset(struct ert_recorder *r);
void ert_recorder_fini(struct ert_recorder *r);
size_t ert_count(struct ert_recorder *r, enum ert_kind kind);

struct ert_env {
	char dir[PATH_MAX];
	struct ert_recorder rec;
	struct lsm_engine *engine;
	unsigned next_region;
};

/* An engine whose registry records, working in a fresh temporary directory. */
void ert_setup(struct ert_env *e, const char *tag);
void ert_teardown(struct ert_env *e);
/* cmocka fixtures: *state is a struct ert_env set up as above. */
int ert_fixture_setup(void **state);
int ert_fixture_teardown(void **state);
/* A fresh leader region (asserts success); its directory in @path if not NULL. */
struct lsm_region *ert_region(struct ert_env *e, char path[ERT_PATH]);
void ert_region_meta(struct rhook_region_meta *m, rhook_region_id id, uint64_t schema_version);

/* Row i of generation @gen: key "k<i % keys>", ts t0 + i, value "g<gen>-<i>". */
struct ert_rows {
	struct lsm_row *rows;
	char (*bufs)[48];
	size_t n;
};
void ert_rows_make(struct ert_rows *r, size_t n, unsigned keys, int64_t t0, unsigned gen);
void ert_rows_free(struct ert_rows *r);
/* Puts @n rows (as ert_rows_make) and asserts success; returns the last sequence. */
uint64_t ert_put(struct lsm_region *region, size_t n, unsigned keys, int64_t t0, unsigned gen);
/* Puts @n rows over 40 keys and flushes them (asserts success). */
void ert_put_flush(struct lsm_region *region, size_t n, int64_t t0, unsigned gen);
/* The region's manifest version. */
uint64_t ert_version(struct lsm_region *region);
/* Flips bits of the byte of @path at @off (negative: from the end). */
void ert_flip(const char *path, long off);
/* A pre-written SST file @dir/@name.sst of @n rows. */
void ert_external_sst(struct ert_env *e, const char *name, char path[ERT_PATH], size_t n, int64_t t0, unsigned gen);

/* Whether the ids of @files (n) are exactly the set @ids (m). */
bool ert_same_ids(const struct rhook_file_meta *files, size_t n, const rhook_file_id *ids, size_t m);
/* The action list of delta @version on disk in @region_dir (staging log if @staging). */
struct rhook_action_list *ert_disk_delta(const char *region_dir, uint64_t version, bool staging);
/* Whether two action lists encode to the same JSON. */
bool ert_same_actions(const struct rhook_action_list *a, const struct rhook_action_list *b);
/* A scan of the whole region (asserts success). */
void ert_scan(struct lsm_region *region, struct lsm_row_set *out);
/* Whether two scans hold the same rows (key, ts, value; sequences may differ). */
bool ert_same_rows(const struct lsm_row_set *a, const struct lsm_row_set *b);
/* Number of regular files in @dir/@sub. */
size_t ert_count_files(const char *dir, const char *sub);

#endif /* RHOOK_TESTS_ENGINE_RT_H */
