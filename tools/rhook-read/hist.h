/*
 * hist.h - latency histograms with bounded relative error.
 *
 * Log-linear buckets (HdrHistogram's scheme): values below 256 have a
 * bucket each; above, every power of two is split into 128 buckets, so a
 * percentile is reported within 1/128 (< 0.8 %) of the exact value, in
 * constant time per value and memory that grows only with the range of
 * values seen (a block of buckets per power of two, allocated when first
 * hit).  Count, min and max are exact.  Single-threaded.
 */
#ifndef RDR_HIST_H
#define RDR_HIST_H

#include <stdint.h>

#define RDR_HIST_SUB_BITS 7
#define RDR_HIST_BLOCKS (64 - RDR_HIST_SUB_BITS)

struct rdr_hist {
	uint64_t count, min, max;
	/* Block 0: values 0..255; block b > 0: [2^(b+7), 2^(b+8)) in 128 buckets. */
	uint64_t *blocks[RDR_HIST_BLOCKS];
};

/* Records @v; returns 0 or -ENOMEM (the value is then lost). */
int rdr_hist_add(struct rdr_hist *h, uint64_t v);
/*
 * The value at percentile @permille / 10 (0 < permille <= 1000, nearest
 * rank): the largest value of the bucket holding that rank, capped by the
 * exact max.  0 if empty.
 */
uint64_t rdr_hist_percentile(const struct rdr_hist *h, unsigned permille);
void rdr_hist_free(struct rdr_hist *h);

#endif /* RDR_HIST_H */
