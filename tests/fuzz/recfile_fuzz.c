/*
 * recfile_fuzz.c - libFuzzer target for the flight recorder file decoder.
 *
 * Each input is decoded as a whole recorder file: header and geometry
 * checks, every sub-buffer header, every record of every stream, the
 * clock conversion, and the text and JSON printers on whatever decodes.
 * Nothing may read out of bounds, crash or hang, whatever the bytes; and
 * the streams' loss counters stay shares of their process's (event.h),
 * which the babeltrace2 plugin and the CTF export announce the rest of.
 * The input is copied into an 8-byte aligned buffer, as mmap() would give.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "reader/out.h"
#include "reader/recfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rdr_proc proc;
	struct rdr_recfile f;
	struct rdr_out o;
	char err[256];
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy || rdr_out_init(&o, -1)) {
		free(copy);
		return 0;
	}
	memcpy(copy, data, size);
	memset(&proc, 0, sizeof(proc));
	if (!rdr_recfile_init(&f, copy, size, false, &proc, err, sizeof(err))) {
		uint64_t shares = 0;

		for (uint32_t i = 0; i < f.num_streams; i++) {
			struct rdr_stream *s = rdr_recfile_stream(&f, i);

			while (s->next(s)) {
				rdr_print_event(&o, &s->ev, false);
				rdr_print_event(&o, &s->ev, true);
			}
			shares = rdr_sat_add(shares, rdr_lost_total(&s->lost));
		}
		if (shares > rdr_lost_total(&proc.lost))
			abort();
		rdr_recfile_close(&f);
	}
	rdr_out_close(&o);
	free(copy);
	return 0;
}
