/*
 * sst_fuzz.c - libFuzzer target for the SST reader (sst.h): header,
 * footer and its checksum, the meta block, every row group's index,
 * checksum and rows, as lsm__sst_read() verifies a file before a scan
 * or a compaction uses it.  Whatever decodes must agree with its own
 * footer (rows counted, every row inside the buffer); a disagreement
 * aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"
#include "sst.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps the reads of every decoded byte. */
static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lsm_row_set set = { 0 };
	struct lsm__sst_summary sum;
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* The set adopts buf on success; the decoder frees it on failure. */
	if (!lsm__sst_decode(buf, size, "fuzz", "file.sst", size & 1, 7, &set, &sum)) {
		uint64_t bytes = 0;

		if (set.num_rows != sum.num_rows) {
			fprintf(stderr, "sst_fuzz: %zu rows decoded, the footer says %llu\n", set.num_rows,
				(unsigned long long)sum.num_rows);
			abort();
		}
		/* Touch every key and value: ASan checks they lie inside the file. */
		for (size_t i = 0; i < set.num_rows; i++) {
			const struct lsm_row *r = &set.rows[i];

			for (uint32_t k = 0; k < r->key_len; k++)
				bytes += r->key[k];
			for (uint32_t k = 0; k < r->value_len; k++)
				bytes += r->value[k];
		}
		if (sum.key_min_len)
			bytes += sum.key_min[0] + sum.key_min[sum.key_min_len - 1];
		if (sum.key_max_len)
			bytes += sum.key_max[0] + sum.key_max[sum.key_max_len - 1];
		sink = bytes;
	}
	lsm_row_set_free(&set);
	return 0;
}
