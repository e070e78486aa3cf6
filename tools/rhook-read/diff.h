/*
 * diff.h - rhook-read diff BASE NEW: did a change make it slower?
 *
 * Side by side, per phase (stats.h's metrics) and cause: the count, p50,
 * p90, p99, p99.9 and max of BASE and NEW, their ratio NEW / BASE, and
 * whether the difference is beyond noise.
 *
 * Noise: a percentile of n samples is known only within a confidence
 * interval.  For quantile q, the order statistics of ranks
 * n*q -/+ 1.96*sqrt(n*q*(1-q)) (rounded outwards, the upper one plus
 * one) bound the true quantile with at least 95 % confidence whatever
 * the distribution (the binomial count of samples below the quantile, in
 * its normal approximation); a rank outside 1..n leaves that side
 * unbounded.  NEW is "slower" when its interval lies entirely above
 * BASE's, "faster" when entirely below, else "same".  Non-overlap of two
 * 95 % intervals is a conservative test (about 0.5 % false alarms for
 * equal distributions), chosen because it needs no resampling (it works
 * on the histograms of stats, exact counts, values within 1/128) and it
 * answers per percentile, which is what a latency budget names; a shift
 * of the whole distribution is what a rank test would find, and a p99
 * regression is not always one.  Few samples give wide intervals: a
 * percentile that needs more samples than it has (p99 needs 563 to be
 * bounded above, p99.9 5662) is never beyond noise.  The max has no interval: its verdict is "-".
 *
 * --fail-on rules: [PHASE[.CAUSE]:]STAT>[+|-]N% (STAT one of p50, p90,
 * p99, p99.9, max): triggered by every phase and cause (of the PHASE and
 * CAUSE named, if named) measured in both traces whose NEW / BASE ratio
 * of STAT exceeds 1 + N/100 and, for a percentile, whose difference is
 * beyond noise.  Single-threaded.
 */
#ifndef RDR_DIFF_H
#define RDR_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "reader/out.h"
#include "stats.h"

enum rdr_diff_stat {
	RDR_DS_P50,
	RDR_DS_P90,
	RDR_DS_P99,
	RDR_DS_P999,
	RDR_DS_MAX,
	RDR_DS_COUNT,
};

enum rdr_verdict {
	RDR_V_SAME,
	RDR_V_SLOWER,
	RDR_V_FASTER,
	RDR_V_NONE, /* no interval (max) */
};

/* One statistic of BASE and NEW; an interval bound of 0 / UINT64_MAX is unbounded. */
struct rdr_diff_cell {
	uint64_t base, new;
	double ratio; /* new / base; 0 when base is 0 */
	uint64_t base_lo, base_hi, new_lo, new_hi;
	enum rdr_verdict verdict;
};

/* Compares statistic @stat of two non-empty histograms. */
void rdr_diff_compare(const struct rdr_hist *base, const struct rdr_hist *new, enum rdr_diff_stat stat,
			 struct rdr_diff_cell *cell);

/* "p50", ..., "max"; "same", "slower", "faster", "-". */
const char *rdr_diff_stat_name(enum rdr_diff_stat stat);
const char *rdr_verdict_name(enum rdr_verdict v);

/* --fail-on rules of one run, at most. */
#define RDR_DIFF_MAX_RULES 32

struct rdr_diff_rule {
	int metric;             /* enum rdr_metric, or -1: any */
	int cause;              /* a cause value, or -1: any */
	enum rdr_diff_stat stat;
	double limit;           /* triggered above this ratio */
	const char *text;       /* as given */
};

/* Parses @text; 0, or -EINVAL with a message naming what is wrong in @err. */
int rdr_diff_parse_rule(const char *text, struct rdr_diff_rule *rule, char *err, size_t err_size);

/* A side of the comparison. */
struct rdr_diff_side {
	const char *path;
	const struct rdr_stats *stats;
	uint64_t lost;
};

/*
 * Writes the comparison (text, or one JSON document if @json: its shape
 * in rhook-read.1) and the rules' findings; returns how many rules
 * triggered.  At most RDR_DIFF_MAX_RULES rules.
 */
size_t rdr_diff_report(const struct rdr_diff_side *base, const struct rdr_diff_side *new,
			  const struct rdr_diff_rule *rules, size_t num_rules, bool json, struct rdr_out *o);

#endif /* RDR_DIFF_H */
