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
 * CPU per operation (issue 15): the disk's noise (fsync waits on a
 * shared disk, +-3-7 %) hides tracing's cost, so the regions live on a
 * tmpfs (/dev/shm, or RHOOK_BENCH_DIR) and the engine (one for every leg:
 * the hook legs add the no-op hook and remove it) is created with the
 * bench-only bench_only_skip_fsync option.  Every leg measures the
 * process's CPU time (CLOCK_PROCESS_CPUTIME_ID: the caller, the engine's
 * workers and LTTng-UST's threads, user + system) per committed
 * operation (a flush or compaction commit).  Legs: no hook (twice, A and
 * B: the A/A noise), one no-op hook, the recorder, an LTTng session, and
 * recorder + LTTng + hook.  Each figure is the median over rounds of the
 * leg's CPU time divided by leg A's in the same round, with a bootstrap
 * 95 % interval over rounds (ci_low, ci_high); "resolved" says whether
 * that interval lies outside the A/A interval, so a figure the noise
 * hides says so instead of claiming a number: e2e_cpu_aa_noise,
 * e2e_cpu_hook, e2e_cpu_recorder, e2e_cpu_lttng, e2e_cpu_all.
 *
 * Latency on the same fast store, from the engine's own commit timing
 * (lsm_engine_commit_timings): manifest mutex hold and whole commit,
 * p50 and p99 over every commit of the recorder leg against the no-hook
 * leg's (commit_hold_p50_recorder, commit_hold_p99_recorder,
 * commit_latency_p50_recorder, commit_latency_p99_recorder), with
 * bootstrap intervals over commits and the A/A leg's interval beside.
 *
 * The LTTng leg starts its own session (and an lttng-sessiond if none
 * runs) and stops it after the timed part of each round.  librhook loads
 * its provider at start-up only, so the program re-executes itself with
 * RHOOK_LTTNG=on unless RHOOK_LTTNG is already set ("off" skips the leg).
 *
 * Usage: rhook-bench-engine [ROUNDS (2..64, default 41) [REGIONS (1..64) [ROWS_PER_FLUSH]]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "bench.h"
#include "engine.h"
#include "fsutil.h"
#include "lttngctl.h"


#define FLUSHES 8
#define MAX_ROUNDS 64

static unsigned rounds = 41, regions = 4, rows_per_flush = 8000;

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


/* Committed operations of one workload: FLUSHES flushes and one compaction per region. */
#define OPS_PER_ROUND ((double)regions * (FLUSHES + 1))

/*
 * The workload: @regions fresh regions, each receiving FLUSHES batches of
 * rows flushed on the engine's workers, then compacted; returns the wall
 * ns it took and sets *@cpu_ns to the process CPU ns it took.  Region
 * creation and removal are outside the timing.
 */
static uint64_t workload(struct lsm_engine *e, const char *dir, unsigned round, uint64_t *cpu_ns)
{
	struct lsm_region **rs = calloc(regions, sizeof(*rs));
	struct lsm_row *rows = calloc(rows_per_flush, sizeof(*rows));
	char (*keys)[24] = calloc(rows_per_flush, sizeof(*keys)), path[PATH_MAX + 32];
	static const char value[64] = "a value of some realistic length for a time series point.....";
	uint64_t t0, t1, c0, c1;

	if (!rs || !rows || !keys)
		die("out of memory");
	for (unsigned r = 0; r < regions; r++) {
		struct rhook_region_meta meta = { .region_id = rhook_region_id_make(round + 1, r), .schema_version = 1 };

		snprintf(path, sizeof(path), "%s/r%u-%u", dir, round, r);
		if (lsm_region_create(e, path, &meta, &rs[r]))
			die("create");
	}
	c0 = bench_cpu_ns();
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
	c1 = bench_cpu_ns();
	*cpu_ns = c1 - c0;
	for (unsigned r = 0; r < regions; r++)
		lsm_region_close(rs[r]);
	free(rs);
	free(rows);
	free(keys);
	return t1 - t0;
}

/* LEG_OFF_B is a second no-hook leg: its ratio to LEG_OFF is the A/A noise. */
enum { LEG_OFF, LEG_OFF_B, LEG_NOOP, LEG_LTTNG, LEG_RECORDER, LEG_ALL, LEGS };

static bool leg_lttng(int l)
{
	return l == LEG_LTTNG || l == LEG_ALL;
}

static bool leg_hook(int l)
{
	return l == LEG_NOOP || l == LEG_ALL;
}

static bool leg_recorder(int l)
{
	return l == LEG_RECORDER || l == LEG_ALL;
}

/* Around the timed part of a leg: tracing on, and off again. */
static void leg_begin(int l, struct tc_lttngctl *s, const char *rec_dir)
{
	struct rhook_recorder_config rc = { .size = sizeof(rc), .dir = rec_dir };

	if (leg_lttng(l) && tc_lttngctl_start(s))
		die("lttng start");
	if (leg_recorder(l) && rhook_recorder_start(&rc))
		die("recorder start");
	/*
	 * Starting a session sets up the application's buffers and wakes the
	 * consumer daemon; let that settle so the leg measures tracing, not
	 * session start-up.  Every leg waits alike.
	 */
	usleep(100000);
}

static void leg_end(int l, struct tc_lttngctl *s, const char *rec_dir)
{
	if (leg_lttng(l) && tc_lttngctl_stop(s))
		die("lttng stop");
	if (leg_recorder(l)) {
		if (rhook_recorder_stop())
			die("recorder stop");
		nftw(rec_dir, add_size, 16, FTW_PHYS);
		reset_dir(rec_dir);
	}
}

/* Per leg: every timed commit of the timed rounds. */
#define MAX_TIMED (MAX_ROUNDS * 64 * (FLUSHES + 1))
static struct lsm_commit_timing timed[LEGS][MAX_TIMED];
static size_t num_timed[LEGS];

static void collect_timings(int l, struct lsm_engine *e)
{
	num_timed[l] += lsm_engine_commit_timings(e, timed[l] + num_timed[l], MAX_TIMED - num_timed[l], true);
}

/* The @q quantile (0..1) of @n values (sorts @v in place). */
static double quantile(double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);

	bench_median(v, n); /* sorts */
	return v[i];
}

/* The @q quantile of leg @l's hold (or commit) ns, over a resample when @resample. */
static double leg_quantile(int l, bool hold, double q, bool resample)
{
	static double v[MAX_TIMED];
	size_t n = num_timed[l];

	for (size_t i = 0; i < n; i++) {
		const struct lsm_commit_timing *t = &timed[l][resample ? bench_rng_below((unsigned)n) : i];

		v[i] = (double)(hold ? t->hold_ns : t->commit_ns);
	}
	return quantile(v, n, q);
}

/*
 * One latency figure: leg @l's quantile against the no-hook leg's, with
 * bootstrap intervals (commits resampled per leg) of that ratio and of
 * the A/A ratio beside it.
 */
static void report_latency(const char *name, int l, bool hold, double q)
{
	static double r[BENCH_BOOTSTRAP / 4], aa[BENCH_BOOTSTRAP / 4];
	const int nb = BENCH_BOOTSTRAP / 4;
	double base = leg_quantile(LEG_OFF, hold, q, false), value = leg_quantile(l, hold, q, false);
	struct bench_spread sp = { .ratio = value / base, .rounds = rounds };

	for (int b = 0; b < nb; b++) {
		double o = leg_quantile(LEG_OFF, hold, q, true);

		r[b] = leg_quantile(l, hold, q, true) / o;
		aa[b] = leg_quantile(LEG_OFF_B, hold, q, true) / o;
	}
	bench_median(r, nb);
	bench_median(aa, nb);
	sp.min = r[0];
	sp.max = r[nb - 1];
	sp.ci_low = r[(int)(nb * 0.025)];
	sp.ci_high = r[(int)(nb * 0.975) - 1];
	sp.noise_low = aa[(int)(nb * 0.025)];
	sp.noise_high = aa[(int)(nb * 0.975) - 1];
	sp.resolved = sp.ci_low > sp.noise_high || sp.ci_high < sp.noise_low;
	bench_report_spread(name, value / 1e3, "us", hold ? "engine_hold_hooks_off" : "engine_commit_hooks_off",
			    base / 1e3, &sp);
}

int main(int argc, char **argv)
{
	static const struct rhook_hook_ops noop = { .size = sizeof(noop), .on_sst_files_written = noop_sst,
						    .on_manifest_updated = noop_manifest };
	static const char *const names[LEGS] = { "engine_hooks_off", "engine_hooks_off_b", "e2e_hook_overhead",
						 "e2e_lttng_overhead", "e2e_recorder_overhead", "e2e_all_overhead" };
	static const char *const cpu_names[LEGS] = { NULL, "e2e_cpu_aa_noise", "e2e_cpu_hook", "e2e_cpu_lttng",
						     "e2e_cpu_recorder", "e2e_cpu_all" };
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .workers = 2, .bench_only_skip_fsync = true,
					 .commit_timings = MAX_TIMED / MAX_ROUNDS };
	struct rhook_registry *reg;
	struct lsm_engine *engine;
	static double wall[LEGS][MAX_ROUNDS], cpu[LEGS][MAX_ROUNDS], cpaired[LEGS][MAX_ROUNDS], lo[LEGS], hi[LEGS];
	double cmed[LEGS], tmp[MAX_ROUNDS];
	struct tc_lttngctl s;
	struct tc_lttngctl_opts so = { 0 };
	char root[PATH_MAX], dir[PATH_MAX + 16], trace_dir[PATH_MAX + 16], rec_dir[PATH_MAX + 16];
	struct rhook_hook *hook;
	uint64_t recorder_bytes, cpu_ns;
	double load[3] = { 0 };
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
	if (argc > 4 || rounds < 2 || rounds > MAX_ROUNDS || !regions || regions > 64 || !rows_per_flush) {
		fprintf(stderr, "usage: rhook-bench-engine [ROUNDS (2..%d) [REGIONS (1..64) [ROWS_PER_FLUSH]]]\n",
			MAX_ROUNDS);
		return 2;
	}
	/* This program is a bench: it may take the durability away (engine.h). */
	setenv("LSM_BENCH_ONLY_SKIP_FSYNC", "1", 1);
	snprintf(root, sizeof(root), "%s/rhook-bench-engine-XXXXXX", bench_fast_dir());
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
		fprintf(stderr, "rhook-bench-engine: cannot create an LTTng session; the LTTng legs are skipped\n");
		lttng = false;
	} else if (lttng && tc_lttngctl_track(s.name, getpid())) {
		fprintf(stderr, "rhook-bench-engine: cannot track this process in the LTTng session; the LTTng leg is skipped\n");
		tc_lttngctl_end(&s);
		lttng = false;
	}
	if (rhook_registry_new(&reg))
		die("registry");
	/*
	 * One engine for every leg, so the legs differ only in tracing, not
	 * in whose workers and allocator arenas they ran on: the hook legs
	 * add the no-op hook to its registry and remove it again.
	 */
	cfg.registry = reg;
	if (lsm_engine_new(&cfg, &engine))
		die("engine");
	getloadavg(load, 3);
	fprintf(stderr,
		"rhook-bench-engine: %u rounds x %u regions x %u flushes of %u rows + compaction in %s (no fsync), "
		"LTTng %s, load average %.2f %.2f %.2f\n",
		rounds, regions, FLUSHES, rows_per_flush, root, lttng ? "session per round" : "skipped", load[0],
		load[1], load[2]);
	/* One warm-up round per engine, not counted: page cache, allocator, first files. */
	workload(engine, dir, 0, &cpu_ns);
	reset_dir(dir);
	lsm_engine_commit_timings(engine, NULL, 0, true);
	for (unsigned round = 0; round < rounds; round++) {
		for (int k = 0; k < LEGS; k++) {
			int l = (int)((round + (unsigned)k) % LEGS);

			if (leg_lttng(l) && !lttng)
				continue;
			if (leg_hook(l) && rhook_registry_add(reg, &noop, NULL, &hook))
				die("hook");
			leg_begin(l, &s, rec_dir);
			wall[l][round] = (double)workload(engine, dir, round + 1, &cpu_ns) / 1e6;
			cpu[l][round] = (double)cpu_ns / 1e3 / OPS_PER_ROUND;
			collect_timings(l, engine);
			leg_end(l, &s, rec_dir);
			if (leg_hook(l) && rhook_registry_remove(reg, hook))
				die("hook");
			reset_dir(dir);
		}
	}
	for (int l = 0; l < LEGS; l++) {
		for (unsigned i = 0; i < rounds; i++)
			cpaired[l][i] = cpu[l][i] / cpu[LEG_OFF][i];
		memcpy(tmp, cpu[l], sizeof(tmp));
		cmed[l] = bench_median(tmp, rounds);
	}
	/* The wall-clock figures of the fast store (their names predate issue 15). */
	for (int l = LEG_NOOP; l < LEGS; l++) {
		if (leg_lttng(l) && !lttng)
			continue;
		bench_report_rounds(names[l], "ms", "engine_hooks_off", wall[l], wall[LEG_OFF], rounds);
	}
	/* CPU per committed operation, each ratio with its interval beside the A/A noise's. */
	for (int l = LEG_OFF_B; l < LEGS; l++)
		if (!leg_lttng(l) || lttng)
			bench_bootstrap_ci(cpaired[l], rounds, &lo[l], &hi[l]);
	for (int l = LEG_OFF_B; l < LEGS; l++) {
		struct bench_spread sp = { .ci_low = lo[l], .ci_high = hi[l], .noise_low = lo[LEG_OFF_B],
					   .noise_high = hi[LEG_OFF_B], .rounds = rounds };

		if (leg_lttng(l) && !lttng)
			continue;
		memcpy(tmp, cpaired[l], sizeof(tmp));
		sp.ratio = bench_median(tmp, rounds);
		sp.min = tmp[0];
		sp.max = tmp[rounds - 1];
		/* A/A: resolved when its interval is within 0.5 % of 1 (the floor). */
		sp.resolved = l == LEG_OFF_B ? fmax(fabs(lo[l] - 1), fabs(hi[l] - 1)) <= 0.005
					     : lo[l] > hi[LEG_OFF_B] || hi[l] < lo[LEG_OFF_B];
		bench_report_spread(cpu_names[l], cmed[l], "us/op", "engine_cpu_hooks_off", cmed[LEG_OFF], &sp);
	}
	/* Latency where rhook works under the manifest mutex: with and without the recorder. */
	if (num_timed[LEG_OFF] && num_timed[LEG_OFF_B] && num_timed[LEG_RECORDER]) {
		report_latency("commit_hold_p50_recorder", LEG_RECORDER, true, 0.50);
		report_latency("commit_hold_p99_recorder", LEG_RECORDER, true, 0.99);
		report_latency("commit_latency_p50_recorder", LEG_RECORDER, false, 0.50);
		report_latency("commit_latency_p99_recorder", LEG_RECORDER, false, 0.99);
	}
	lsm_engine_free(engine);
	rhook_registry_free(reg);
	/* The traced legs must have produced traces, or they measured nothing. */
	recorder_bytes = trace_bytes;
	trace_bytes = 0;
	if (lttng) {
		tc_lttngctl_end(&s);
		nftw(trace_dir, add_size, 16, FTW_PHYS);
		fprintf(stderr, "rhook-bench-engine: the LTTng legs recorded %llu bytes of trace\n",
			(unsigned long long)trace_bytes);
	}
	fprintf(stderr, "rhook-bench-engine: the recorder legs wrote %llu bytes of trace files\n",
		(unsigned long long)recorder_bytes);
	tc_rmtree(root);
	return (lttng && !trace_bytes) || !recorder_bytes ? 1 : 0;
}
