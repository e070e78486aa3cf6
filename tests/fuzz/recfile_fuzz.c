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

#include "out.h"
#include "print.h"
#include "recfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rhook__rd_proc proc;
	struct rhook__recfile f;
	struct rhook__out o;
	char err[256];
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy || rhook__out_init(&o, -1)) {
		free(copy);
		return 0;
	}
	memcpy(copy, data, size);
	memset(&proc, 0, sizeof(proc));
	if (!rhook__recfile_init(&f, copy, size, false, &proc, err, sizeof(err))) {
		uint64_t shares = 0;

		for (uint32_t i = 0; i < f.num_streams; i++) {
			struct rhook__rd_stream *s = rhook__recfile_stream(&f, i);

			while (s->next(s)) {
				rhook__print_event(&o, &s->ev, false);
				rhook__print_event(&o, &s->ev, true);
			}
			shares = rhook__rd_sat_add(shares, rhook__rd_lost_total(&s->lost));
		}
		if (shares > rhook__rd_lost_total(&proc.lost))
			abort();
		rhook__recfile_close(&f);
	}
	rhook__out_close(&o);
	free(copy);
	return 0;
}
