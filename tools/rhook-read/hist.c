/*
 * hist.c - log-linear latency histograms (see hist.h).
 */
#include "hist.h"

#include <errno.h>
#include <stdlib.h>

#define SUB (1u << RDR_HIST_SUB_BITS)

static unsigned block_size(unsigned b)
{
	return b ? SUB : 2 * SUB;
}

/* Block and index of @v. */
static void locate(uint64_t v, unsigned *block, unsigned *index)
{
	unsigned e;

	if (v < 2 * SUB) {
		*block = 0;
		*index = (unsigned)v;
		return;
	}
	e = 63u - (unsigned)__builtin_clzll(v); /* v >= 256: e >= 8 */
	*block = e - RDR_HIST_SUB_BITS;
	*index = (unsigned)(v >> (e - RDR_HIST_SUB_BITS)) - SUB;
}

/* Largest value of bucket (@block, @index). */
static uint64_t bucket_top(unsigned block, unsigned index)
{
	unsigned shift;

	if (!block)
		return index;
	shift = block - 1;
	return (((uint64_t)(SUB + index) + 1) << (shift + 1)) - 1;
}

int rdr_hist_add(struct rdr_hist *h, uint64_t v)
{
	unsigned b, i;

	locate(v, &b, &i);
	if (!h->blocks[b]) {
		h->blocks[b] = calloc(block_size(b), sizeof(uint64_t));
		if (!h->blocks[b])
			return -ENOMEM;
	}
	h->blocks[b][i]++;
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	return 0;
}

uint64_t rdr_hist_percentile(const struct rdr_hist *h, unsigned permille)
{
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	/* Nearest rank: ceil(count * permille / 1000), at least 1. */
	rank = (h->count / 1000) * permille + ((h->count % 1000) * permille + 999) / 1000;
	if (rank < 1)
		rank = 1;
	for (unsigned b = 0; b < RDR_HIST_BLOCKS; b++) {
		if (!h->blocks[b])
			continue;
		for (unsigned i = 0; i < block_size(b); i++) {
			seen += h->blocks[b][i];
			if (seen >= rank) {
				uint64_t top = bucket_top(b, i);

				return top < h->max ? top : h->max;
			}
		}
	}
	return h->max;
}

void rdr_hist_free(struct rdr_hist *h)
{
	for (unsigned b = 0; b < RDR_HIST_BLOCKS; b++)
		free(h->blocks[b]);
}
