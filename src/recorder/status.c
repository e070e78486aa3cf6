/*
 * status.c - the recorder's state and loss counters (see status.h).
 */
#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "snapshot.h"
#include "wire/recorder_format.h"
#include "wire/recorder_shm.h"

int rhook__rec_status(struct rhook__rec_status *st)
{
	struct rhook__rec_view v;
	unsigned i;

	memset(st, 0, sizeof(*st));
	for (i = 0; !rhook__rec_view_begin(i, &v); i++) {
		const struct rhr_header *h = (const struct rhr_header *)(const void *)v.map;

		if (!i) {
			st->recording = true;
			snprintf(st->dir, sizeof(st->dir), "%s", v.dir);
			st->mode = v.mode;
			st->clock = v.clock;
			st->num_subbuffers = h->num_subbuffers;
			st->buffer_size = h->buffer_size;
		}
		snprintf(st->file, sizeof(st->file), "%s", v.name);
		st->num_buffers += h->num_buffers;
		st->lost_no_buffer += rhr_ld64(&h->lost_no_buffer);
		st->lost_nested += rhr_ld64(&h->lost_nested);
		for (uint32_t b = 0; b < h->num_buffers; b++) {
			const struct rhr_bufhdr *bh = (const struct rhr_bufhdr *)(const void *)(v.map + RHR_HEADER_SIZE +
				(size_t)b * (RHR_BUFHDR_SIZE + h->buffer_size));

			if (rhr_ld32(&bh->state) != RHR_BUF_FREE)
				st->buffers_used++;
			st->lost_discard += rhr_ld64(&bh->lost_discard);
			st->lost_overwrite += rhr_ld64(&bh->lost_overwrite);
		}
		rhook__rec_view_end();
	}
	st->files = i;
	return i ? 0 : -ENOENT;
}
