/*
 * engine_bench.c - the reference engine's flush + compaction workload
 * (several regions x many rows, real files and fsyncs) timed four ways
 * side by side in one run: no hook, one no-op hook, an LTTng session
 * recording rhook:*, and the flight recorder.  Legs are interleaved round
 * by round (in a rotating order) so drift hits all of them alike; each
 * reports its median beside the no-hook leg's, and, as its ratio, the
 * median over rounds of its time divided by the no-hook leg's time in the
 * same round (paired, so slow rounds of the shared disk cancel out):
 * e2e_hook_overhead (floor 1.01), e2e_lttng_overhead (floor 1.03) and
 * e2e_recorder_overhead.
 *
 * The LTTng leg starts its own session (and an lttng-sessiond if none
 * runs) and stops it after the timed part of each round.  librhook loads
 * its provider at start-up only, so the program re-executes itself with
 * RHOOK_LTTNG=on unless RHOOK_LTTNG is already set ("off" skips the leg).
 *
 * Usage: rhook-bench-engine [ROUNDS [REGIONS [ROWS_PER_FLUSH]]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "bench.h"
#include "engine.h"
#include "fsutil.h"
#include "lttngctl.h"


#define FLUSHES 8
#define MAX_ROUNDS 64

static unsigned rounds = 31, regions = 4, rows_per_flush = 8000;

static void noop_sst(void *priv, rhook_region_id id, const struct rhook_region_meta *meta,
		     const struct rhook_sst_file *files, size_t n)
{
	(void)priv, (void)id, (void)meta, (void)files, (void)n;
}

static void noop_manifest(void *priv, rhook_region_id id, const struct rhook_action_list *a, uint64_t v)
{
	(void)priv, (void)id, (void)a, (void)v;
}

/* Empties the regions' directory between rounds (outside the timing). */
static void reset_dir(const char *dir)
{
	tc_rmtree(dir);
	mkdir(dir, 0700);
}

static uint64_t trace_bytes;

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path, (void)ftw;
	if (flag == FTW_F)
		trace_bytes += (uint64_t)st->st_size;
	return 0;
}

static void die(const char *what)
{
	fprintf(stderr, "rhook-bench-engine: %s: %s\n", what, lsm_engine_errmsg());
	exit(1);
}

/*
 * The workload: @regions fresh regions, each receiving FLUSHES batches of
 * rows flushed on the engine's workers, then compacted; returns the ns
 * it took.  Region creation and removal are outside the timing.
 */
static uint64_t workload(struct lsm_engine *e, const char *dir, unsigned round)
{
	struct lsm_region **rs = calloc(regions, sizeof(*rs));
	struct lsm_row *rows = calloc(rows_per_flush, sizeof(*rows));
	char (*keys)[24] = calloc(rows_per_flush, sizeof(*keys)), path[PATH_MAX + 32];
	static const char value[64] = "a value of some realistic length for a time series point.....";
	uint64_t t0, t1;

	if (!rs || !rows || !keys)
		die("out of memory");
	for (unsigned r = 0; r < regions; r++) {
		struct rhook_region_meta meta = { .region_id = rhook_region_id_make(round + 1, r), .schema_version = 1 };

		snprintf(path, sizeof(path), "%s/r%u-%u", dir, round, r);
		if (lsm_region_create(e, path, &meta, &rs[r]))
			die("create");
	}
	t0 = bench_now_ns();
	for (unsigned f = 0; f < FLUSHES; f++) {
		for (unsigned r = 0; r < regions; r++) {
			for (unsigned i = 0; i < rows_per_flush; i++) {
				int kl = snprintf(keys[i], sizeof(keys[i]), "host-%04u", (i * 7919u + f) % 1000u);

				rows[i] = (struct lsm_row){ .ts = (int64_t)f * rows_per_flush + i,
							      .key = (const uint8_t *)keys[i], .key_len = (uint32_t)kl,
							      .value = (const uint8_t *)value, .value_len = sizeof(value) };
			}
			if (lsm_region_put(rs[r], rows, rows_per_flush, NULL) ||
			    lsm_engine_submit(e, rs[r], LSM_JOB_FLUSH))
				die("put");
		}
		if (lsm_engine_wait(e))
			die("flush");
	}
	for (unsigned r = 0; r < regions; r++)
		if (lsm_engine_submit(e, rs[r], LSM_JOB_COMPACT))
			die("submit");
	if (lsm_engine_wait(e))
		die("compaction");
	t1 = bench_now_ns();
	for (unsigned r = 0; r < regions; r++)
		lsm_region_close(rs[r]);
	free(rs);
	free(rows);
	free(keys);
	return t1 - t0;
}

enum { LEG_OFF, LEG_NOOP, LEG_LTTNG, LEG_RECORDER, LEGS };

/* Around the timed part of a leg: tracing on, and off again. */
static void leg_begin(int l, struct tc_lttngctl *s, const char *rec_dir)
{
	struct rhook_recorder_config rc = { .size = sizeof(rc), .dir = rec_dir };

	if (l == LEG_LTTNG && tc_lttngctl_start(s))
		die("lttng start");
	if (l == LEG_RECORDER && rhook_recorder_start(&rc))
		die("recorder start");
	/*
	 * Starting a session sets up the application's buffers and wakes the
	 * consumer daemon; let that settle so the leg measures tracing, not
	 * session start-up.  Every leg waits alike, so none gets a quieter
	 * disk than the others.
	 */
	usleep(300000);
}

static void leg_end(int l, struct tc_lttngctl *s, const char *rec_dir)
{
	if (l == LEG_LTTNG && tc_lttngctl_stop(s))
		die("lttng stop");
	if (l == LEG_RECORDER) {
		if (rhook_recorder_stop())
			die("recorder stop");
		nftw(rec_dir, add_size, 16, FTW_PHYS);
		reset_dir(rec_dir);
	}
}

int main(int argc, char **argv)
{
	static const struct rhook_hook_ops noop = { .size = sizeof(noop), .on_sst_files_written = noop_sst,
						    .on_manifest_updated = noop_manifest };
	static const char *const ratios[LEGS] = { NULL, "e2e_hook_overhead", "e2e_lttng_overhead",
						  "e2e_recorder_overhead" };
	/* The issues' floors; the recorder leg has none. */
	static const double floors[LEGS] = { 0, 1.01, 1.03, 0 };
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .workers = 2 };
	struct rhook_registry *none, *one;
	struct lsm_engine *engines[LEGS];
	double samples[LEGS][MAX_ROUNDS], paired[LEGS][MAX_ROUNDS], med[LEGS];
	const char *tmp = getenv("TMPDIR");
	struct tc_lttngctl s;
	struct tc_lttngctl_opts so = { 0 };
	char root[PATH_MAX], dir[PATH_MAX + 16], trace_dir[PATH_MAX + 16], rec_dir[PATH_MAX + 16];
	uint64_t recorder_bytes;
	bool lttng;

	if (!getenv("RHOOK_LTTNG")) {
		setenv("RHOOK_LTTNG", "on", 1);
		execv("/proc/self/exe", argv);
		perror("rhook-bench-engine: re-exec");
		return 1;
	}
	if (argc > 1)
		rounds = (unsigned)atoi(argv[1]);
	if (argc > 2)
		regions = (unsigned)atoi(argv[2]);
	if (argc > 3)
		rows_per_flush = (unsigned)atoi(argv[3]);
	if (!rounds || rounds > MAX_ROUNDS || !regions || !rows_per_flush) {
		fprintf(stderr, "usage: rhook-bench-engine [ROUNDS (1..%d) [REGIONS [ROWS_PER_FLUSH]]]\n", MAX_ROUNDS);
		return 2;
	}
	snprintf(root, sizeof(root), "%s/rhook-bench-engine-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		perror("rhook-bench-engine: mkdtemp");
		return 1;
	}
	/* Regions in root/regions, emptied every round; traces in root/trace and root/rec. */
	snprintf(dir, sizeof(dir), "%s/regions", root);
	snprintf(trace_dir, sizeof(trace_dir), "%s/trace", root);
	snprintf(rec_dir, sizeof(rec_dir), "%s/rec", root);
	mkdir(dir, 0700);
	so.output_dir = trace_dir;
	lttng = rhook_lttng_loaded();
	/* This process records: the session tracks it (already registered with LTTng-UST, nothing emitted yet). */
	if (lttng && tc_lttngctl_begin(&s, &so)) {
		fprintf(stderr, "rhook-bench-engine: cannot create an LTTng session; the LTTng leg is skipped\n");
		lttng = false;
	} else if (lttng && tc_lttngctl_track(s.name, getpid())) {
		fprintf(stderr, "rhook-bench-engine: cannot track this process in the LTTng session; the LTTng leg is skipped\n");
		tc_lttngctl_end(&s);
		lttng = false;
	}
	if (rhook_registry_new(&none) || rhook_registry_new(&one) || rhook_registry_add(one, &noop, NULL, NULL))
		die("registry");
	for (int l = 0; l < LEGS; l++) {
		cfg.registry = l == LEG_NOOP ? one : none;
		if (lsm_engine_new(&cfg, &engines[l]))
			die("engine");
	}
	fprintf(stderr, "rhook-bench-engine: %u rounds x %u regions x %u flushes of %u rows + compaction, LTTng %s\n",
		rounds, regions, FLUSHES, rows_per_flush, lttng ? "session per round" : "skipped");
	/* One warm-up round, not counted: page cache, allocator, first fsyncs. */
	workload(engines[LEG_OFF], dir, 0);
	reset_dir(dir);
	for (unsigned round = 0; round < rounds; round++) {
		for (int k = 0; k < LEGS; k++) {
			int l = (int)((round + (unsigned)k) % LEGS);

			if (l == LEG_LTTNG && !lttng)
				continue;
			leg_begin(l, &s, rec_dir);
			samples[l][round] = (double)workload(engines[l], dir, round + 1) / 1e6;
			leg_end(l, &s, rec_dir);
			reset_dir(dir);
		}
	}
	for (int l = LEG_NOOP; l < LEGS; l++)
		for (unsigned i = 0; i < rounds; i++)
			paired[l][i] = samples[l][i] / samples[LEG_OFF][i];
	for (int l = 0; l < LEGS; l++)
		med[l] = l == LEG_LTTNG && !lttng ? 0 : bench_median(samples[l], rounds);
	/* Each e2e figure: its leg's median beside the no-hook median, and the paired ratio. */
	for (int l = LEG_NOOP; l < LEGS; l++) {
		double r = bench_median(paired[l], rounds);

		if (l == LEG_LTTNG && !lttng)
			continue;
		bench_report_ratio(ratios[l], med[l], "ms", "engine_hooks_off", med[LEG_OFF], r);
		if (floors[l])
			fprintf(stderr, "%-28s paired ratio %.3f, floor %.2f: %s\n", ratios[l], r, floors[l],
				r <= floors[l] ? "met" : "MISSED");
	}
	for (int l = 0; l < LEGS; l++)
		lsm_engine_free(engines[l]);
	rhook_registry_free(none);
	rhook_registry_free(one);
	/* The traced legs must have produced traces, or they measured nothing. */
	recorder_bytes = trace_bytes;
	trace_bytes = 0;
	if (lttng) {
		tc_lttngctl_end(&s);
		nftw(trace_dir, add_size, 16, FTW_PHYS);
		fprintf(stderr, "rhook-bench-engine: the LTTng leg recorded %llu bytes of trace\n",
			(unsigned long long)trace_bytes);
	}
	fprintf(stderr, "rhook-bench-engine: the recorder leg wrote %llu bytes of trace files\n",
		(unsigned long long)recorder_bytes);
	tc_rmtree(root);
	return (lttng && !trace_bytes) || !recorder_bytes ? 1 : 0;
}
