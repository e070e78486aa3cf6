/*
 * bench.c - the side-by-side harness (see bench.h).
 */
#include "bench.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <x86intrin.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_run(struct bench_case *cases, int n, int rounds, uint64_t iters)
{
	if (rounds > 64)
		rounds = 64;
	for (int i = 0; i < n; i++)
		cases[i].run(iters / 10 + 1, cases[i].arg); /* warm caches and lazy registrations */
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < n; i++) {
			uint64_t t0 = bench_now_ns();

			cases[i].run(iters, cases[i].arg);
			cases[i].samples[r] = (double)(bench_now_ns() - t0) / (double)iters;
		}
	}
	for (int i = 0; i < n; i++) {
		double sorted[64];

		/* A sorted copy: samples stay in round order, paired with the other cases' (bench_report_case). */
		memcpy(sorted, cases[i].samples, sizeof(double) * (size_t)rounds);
		cases[i].median = bench_median(sorted, (size_t)rounds);
		cases[i].rounds = rounds;
	}
}

void bench_report(const char *name, double value, const char *unit, const char *baseline, double baseline_value)
{
	bench_report_ratio(name, value, unit, baseline, baseline_value, baseline_value > 0 ? value / baseline_value : 0);
}

void bench_report_ratio(const char *name, double value, const char *unit, const char *baseline,
			double baseline_value, double ratio)
{
	fprintf(stderr, "%-28s %10.3f %-6s  baseline %-22s %10.3f  ratio %7.3f  delta %+.3f\n", name, value, unit,
		baseline, baseline_value, ratio, value - baseline_value);
	printf("{\"name\": \"%s\", \"value\": %.4f, \"unit\": \"%s\", \"baseline\": \"%s\", \"baseline_value\": %.4f, "
	       "\"ratio\": %.4f, \"delta\": %.4f}\n",
	       name, value, unit, baseline, baseline_value, ratio, value - baseline_value);
	fflush(stdout);
}

void bench_report_spread(const char *name, double value, const char *unit, const char *baseline,
			 double baseline_value, const struct bench_spread *sp)
{
	double noise = fmax(fabs(sp->ci_low - 1), fabs(sp->ci_high - 1));

	fprintf(stderr,
		"%-28s %10.3f %-6s  baseline %-22s %10.3f  ratio %7.4f  95%% CI [%.4f, %.4f]  A/A [%.4f, %.4f]  "
		"min %.4f max %.4f  %s\n",
		name, value, unit, baseline, baseline_value, sp->ratio, sp->ci_low, sp->ci_high, sp->noise_low,
		sp->noise_high, sp->min, sp->max, sp->resolved ? "resolved" : "NOT resolved from the noise");
	printf("{\"name\": \"%s\", \"value\": %.4f, \"unit\": \"%s\", \"baseline\": \"%s\", \"baseline_value\": %.4f, "
	       "\"ratio\": %.5f, \"delta\": %.4f, \"min\": %.5f, \"max\": %.5f, \"ci_low\": %.5f, \"ci_high\": %.5f, "
	       "\"noise_low\": %.5f, \"noise_high\": %.5f, \"noise\": %.5f, \"rounds\": %u, \"resolved\": %s}\n",
	       name, value, unit, baseline, baseline_value, sp->ratio, value - baseline_value, sp->min, sp->max,
	       sp->ci_low, sp->ci_high, sp->noise_low, sp->noise_high, noise, sp->rounds,
	       sp->resolved ? "true" : "false");
	fflush(stdout);
}

/* min, max and the bootstrap interval of the median of @v[0..n). */
static void spread_of(const double *v, unsigned n, double *min, double *max, double *lo, double *hi)
{
	*min = *max = v[0];
	for (unsigned i = 1; i < n; i++) {
		*min = fmin(*min, v[i]);
		*max = fmax(*max, v[i]);
	}
	bench_bootstrap_ci(v, n, lo, hi);
}

void bench_report_rounds(const char *name, const char *unit, const char *baseline, const double *v,
			 const double *base, unsigned n)
{
	double tmp[64], ratio[64], value, bvalue = 0, r = 0, vmin, vmax, vlo, vhi, rmin = 0, rmax = 0, rlo = 0, rhi = 0;

	if (n > 64)
		n = 64;
	memcpy(tmp, v, sizeof(double) * n);
	value = bench_median(tmp, n);
	spread_of(v, n, &vmin, &vmax, &vlo, &vhi);
	if (base) {
		for (unsigned i = 0; i < n; i++)
			ratio[i] = base[i] > 0 ? v[i] / base[i] : 0;
		memcpy(tmp, base, sizeof(double) * n);
		bvalue = bench_median(tmp, n);
		memcpy(tmp, ratio, sizeof(double) * n);
		r = bench_median(tmp, n);
		spread_of(ratio, n, &rmin, &rmax, &rlo, &rhi);
	}
	fprintf(stderr,
		"%-28s %10.3f %-6s [%.3f, %.3f] 95%% CI [%.3f, %.3f]  baseline %-22s %10.3f  ratio %7.3f [%.3f, %.3f] "
		"95%% CI [%.3f, %.3f]  %u rounds\n",
		name, value, unit, vmin, vmax, vlo, vhi, base ? baseline : "-", bvalue, r, rmin, rmax, rlo, rhi, n);
	printf("{\"name\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", \"baseline\": \"%s\", \"baseline_value\": %.6g, "
	       "\"ratio\": %.6g, \"delta\": %.6g, \"value_min\": %.6g, \"value_max\": %.6g, \"value_ci_low\": %.6g, "
	       "\"value_ci_high\": %.6g",
	       name, value, unit, base ? baseline : "", bvalue, r, value - bvalue, vmin, vmax, vlo, vhi);
	if (base)
		printf(", \"min\": %.6g, \"max\": %.6g, \"ci_low\": %.6g, \"ci_high\": %.6g", rmin, rmax, rlo, rhi);
	printf(", \"rounds\": %u, \"samples\": [", n);
	for (unsigned i = 0; i < n; i++)
		printf("%s%.6g", i ? ", " : "", v[i]);
	printf("]}\n");
	fflush(stdout);
}

void bench_report_case(const char *name, const char *unit, const struct bench_case *c, const char *baseline,
		       const struct bench_case *base)
{
	bench_report_rounds(name, unit, baseline, c->samples, base ? base->samples : NULL, (unsigned)c->rounds);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

unsigned bench_rng_below(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 0x2545f4914f6cdd1du) >> 33) % n;
}

void bench_bootstrap_ci(const double *v, unsigned n, double *lo, double *hi)
{
	static double meds[BENCH_BOOTSTRAP];
	double tmp[64];

	if (n > 64)
		n = 64;
	for (int b = 0; b < BENCH_BOOTSTRAP; b++) {
		for (unsigned i = 0; i < n; i++)
			tmp[i] = v[bench_rng_below(n)];
		meds[b] = bench_median(tmp, n);
	}
	bench_median(meds, BENCH_BOOTSTRAP); /* sorts */
	*lo = meds[(int)(BENCH_BOOTSTRAP * 0.025)];
	*hi = meds[(int)(BENCH_BOOTSTRAP * 0.975) - 1];
}

uint64_t bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *bench_fast_dir(void)
{
	const char *d = getenv("RHOOK_BENCH_DIR");
	struct stat st;

	if (d && *d)
		return d;
	if (!stat("/dev/shm", &st) && S_ISDIR(st.st_mode) && !access("/dev/shm", W_OK))
		return "/dev/shm";
	d = getenv("TMPDIR");
	return d && *d ? d : "/tmp";
}

static volatile uint64_t rdtsc_sink;

void bench_run_rdtsc(uint64_t iters, void *arg)
{
	uint64_t sum = 0;

	(void)arg;
	for (uint64_t i = 0; i < iters; i++) {
		sum += __rdtsc();
		BENCH_BARRIER();
	}
	rdtsc_sink = sum;
}
