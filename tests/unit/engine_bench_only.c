/*
 * engine_bench_only.c - the engine's bench-only settings (issue 15):
 * bench_only_skip_fsync is refused outside a bench and, when granted,
 * takes every fsync away while such an engine lives (and only then);
 * commit_timings records the first N commits and nothing when 0.
 *
 * fsync is counted through the linker (--wrap=fsync on this test), so
 * the real calls the engine makes are seen, not a model of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "rt.h"

int __real_fsync(int fd);
int __wrap_fsync(int fd);

static unsigned fsyncs;

int __wrap_fsync(int fd)
{
	__atomic_fetch_add(&fsyncs, 1, __ATOMIC_RELAXED); /* a count, read after the engine's work */
	return __real_fsync(fd);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* Creates a region in a fresh directory (removed again) and flushes @flushes batches of rows into it. */
static void write_region(struct lsm_engine *e, unsigned flushes)
{
	static unsigned seq;
	char root[PATH_MAX], dir[PATH_MAX + 16];
	struct rhook_region_meta meta = { .region_id = rhook_region_id_make(7, ++seq), .schema_version = 1 };
	struct lsm_region *r;

	rt_tmpdir(root, "engine_bench_only");
	snprintf(dir, sizeof(dir), "%s/r", root);
	assert_int_equal(lsm_region_create(e, dir, &meta, &r), 0);
	for (unsigned f = 0; f < flushes; f++) {
		struct lsm_row row = { .ts = f, .key = (const uint8_t *)"k", .key_len = 1,
				       .value = (const uint8_t *)"v", .value_len = 1 };

		assert_int_equal(lsm_region_put(r, &row, 1, NULL), 0);
		assert_int_equal(lsm_region_flush(r, NULL), 0);
	}
	lsm_region_close(r);
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_refused_outside_a_bench(void **state)
{
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .bench_only_skip_fsync = true };
	struct lsm_engine *e = NULL;

	(void)state;
	unsetenv("LSM_BENCH_ONLY_SKIP_FSYNC");
	assert_int_equal(lsm_engine_new(&cfg, &e), -EPERM);
	assert_non_null(strstr(lsm_engine_errmsg(), "bench"));
	setenv("LSM_BENCH_ONLY_SKIP_FSYNC", "yes", 1);
	assert_int_equal(lsm_engine_new(&cfg, &e), -EPERM);
	assert_null(e);
	unsetenv("LSM_BENCH_ONLY_SKIP_FSYNC");
}

static void test_skips_fsync_while_alive(void **state)
{
	struct lsm_engine_config cfg = { .size = sizeof(cfg) };
	struct lsm_engine *plain, *bench;

	(void)state;
	assert_int_equal(lsm_engine_new(&cfg, &plain), 0);
	fsyncs = 0;
	write_region(plain, 2);
	assert_true(fsyncs > 0); /* the durable engine syncs */

	setenv("LSM_BENCH_ONLY_SKIP_FSYNC", "1", 1);
	cfg.bench_only_skip_fsync = true;
	assert_int_equal(lsm_engine_new(&cfg, &bench), 0);
	unsetenv("LSM_BENCH_ONLY_SKIP_FSYNC");
	fsyncs = 0;
	write_region(bench, 2);
	write_region(plain, 1); /* process-wide while the bench engine lives (engine.h) */
	assert_int_equal(fsyncs, 0);
	lsm_engine_free(bench);

	fsyncs = 0;
	write_region(plain, 1);
	assert_true(fsyncs > 0); /* durable again once it is gone */
	lsm_engine_free(plain);
}

static void test_commit_timings(void **state)
{
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .commit_timings = 3 };
	struct lsm_commit_timing t[8];
	struct lsm_engine *e, *untimed;

	(void)state;
	assert_int_equal(lsm_engine_new(&cfg, &e), 0);
	write_region(e, 2);
	assert_int_equal(lsm_engine_commit_timings(e, t, 8, false), 2);
	for (int i = 0; i < 2; i++) {
		assert_true(t[i].hold_ns > 0);
		assert_true(t[i].hold_ns <= t[i].commit_ns);
	}
	write_region(e, 3); /* 5 commits: the first 3 are kept */
	assert_int_equal(lsm_engine_commit_timings(e, t, 1, true), 3);
	assert_int_equal(lsm_engine_commit_timings(e, NULL, 0, false), 0);
	write_region(e, 1);
	assert_int_equal(lsm_engine_commit_timings(e, t, 8, false), 1);
	lsm_engine_free(e);

	cfg.commit_timings = 0;
	assert_int_equal(lsm_engine_new(&cfg, &untimed), 0);
	write_region(untimed, 2);
	assert_int_equal(lsm_engine_commit_timings(untimed, t, 8, false), 0);
	lsm_engine_free(untimed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_outside_a_bench),
		cmocka_unit_test(test_skips_fsync_while_alive),
		cmocka_unit_test(test_commit_timings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
