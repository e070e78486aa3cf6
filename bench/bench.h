/*
 * bench.h - side-by-side micro-benchmark harness.
 *
 * Cases run interleaved, round after round, so that a noisy neighbour on
 * a shared machine hits every case alike; each case reports its median
 * ns/op over the rounds.  Figures are ratios against a baseline measured
 * in the same run.
 */
#ifndef RHOOK_BENCH_H
#define RHOOK_BENCH_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* A case runs @iters operations and returns nothing; the harness times it. */
struct bench_case {
	const char *name;
	void (*run)(uint64_t iters, void *arg);
	void *arg;
	double samples[64]; /* ns/op of each round, in round order (paired across cases) */
	double median;      /* ns/op */
	int rounds;         /* samples filled by bench_run() */
};

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keeps the compiler from deleting or merging loop iterations. */
#define BENCH_BARRIER() __asm__ __volatile__("" ::: "memory")

/* The median of @n samples (sorts @v in place). */
double bench_median(double *v, size_t n);

/* Runs @n cases for @rounds rounds (at most 64) of @iters operations each; fills samples and medians. */
void bench_run(struct bench_case *cases, int n, int rounds, uint64_t iters);

/*
 * Prints one figure: a human line on stderr and a JSON object on stdout,
 * {"name", "value", "unit", "baseline", "baseline_value", "ratio", "delta"},
 * with ratio = value / baseline_value.
 */
void bench_report(const char *name, double value, const char *unit, const char *baseline, double baseline_value);

/* The same with a ratio of its own (a median of per-round ratios, say). */
void bench_report_ratio(const char *name, double value, const char *unit, const char *baseline,
			double baseline_value, double ratio);

/*
 * A ratio over rounds with its spread: the median of per-round ratios,
 * their min and max, a bootstrap 95 % interval of the median, the A/A
 * noise's interval beside it, and whether the figure is resolved (its
 * interval lies outside the noise's; for the A/A figure itself, within
 * 0.5 % of 1).
 */
struct bench_spread {
	double ratio, min, max, ci_low, ci_high, noise_low, noise_high;
	unsigned rounds;
	bool resolved;
};

/*
 * bench_report_ratio() plus the spread's fields: "min", "max", "ci_low",
 * "ci_high", "noise_low", "noise_high", "rounds", "resolved", and
 * "noise" = max(|ci_low - 1|, |ci_high - 1|) (the A/A floor's field).
 */
void bench_report_spread(const char *name, double value, const char *unit, const char *baseline,
			 double baseline_value, const struct bench_spread *sp);

/*
 * A figure with every round it came from (issue 15, section 4): @v[r]
 * and @base[r] were measured in the same round r (@base may be NULL: no
 * baseline), 1 <= @n <= 64.  Prints bench_report()'s fields with
 * value = median(v), baseline_value = median(base) and ratio = the
 * median of the per-round ratios v[r] / base[r]; plus "value_min",
 * "value_max", "value_ci_low", "value_ci_high" (bootstrap 95 % interval
 * of the median value), "min", "max", "ci_low", "ci_high" (the same of
 * the per-round ratio, as bench_report_spread()), "rounds" and
 * "samples" (v in round order).  One thread.
 */
void bench_report_rounds(const char *name, const char *unit, const char *baseline, const double *v,
			 const double *base, unsigned n);

/* bench_report_rounds() of two bench_run() cases: @c against @base (NULL: none). */
void bench_report_case(const char *name, const char *unit, const struct bench_case *c, const char *baseline,
		       const struct bench_case *base);

/* Resamples of bench_bootstrap_ci(). */
#define BENCH_BOOTSTRAP 2000

/* A uniform integer below @n (xorshift64*, fixed seed: reproducible intervals).  One thread. */
unsigned bench_rng_below(unsigned n);

/*
 * A bootstrap 95 % interval of the median of @v[0..n) (n <= 64), the
 * rounds resampled with replacement BENCH_BOOTSTRAP times.  One thread.
 */
void bench_bootstrap_ci(const double *v, unsigned n, double *lo, double *hi);

/* The process's CPU time (every thread, user + system), ns. */
uint64_t bench_cpu_ns(void);

/*
 * Where a bench keeps its files: RHOOK_BENCH_DIR, else /dev/shm (a
 * tmpfs: no disk in the figures), else TMPDIR, else /tmp.
 */
const char *bench_fast_dir(void);

/* A bench_case run: @iters bare RDTSC reads (the unit of the recorder's figures). */
void bench_run_rdtsc(uint64_t iters, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* RHOOK_BENCH_H */
