/*
 * status.h - what the flight recorder is doing, for rhook-ctl's status:
 * whether it records, where, how, and its loss counters.
 */
#ifndef RHOOK_RECORDER_STATUS_H
#define RHOOK_RECORDER_STATUS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct rhook__rec_status {
	bool recording;
	char dir[PATH_MAX];        /* the trace directory */
	char file[PATH_MAX];       /* the current file's name (files: how many) */
	unsigned files;
	uint32_t mode;             /* enum rhook_recorder_mode */
	uint32_t clock;            /* enum rhr_clock */
	uint32_t num_buffers, num_subbuffers;
	uint64_t buffer_size;
	uint32_t buffers_used;     /* buffers some thread has owned */
	uint64_t lost_discard, lost_overwrite, lost_no_buffer, lost_nested;
};

/*
 * Fills @st from the recorder's files (snapshot.h's views, the format's
 * counters read relaxed: each is exact, the set is not one instant).
 * Any thread but a signal handler; no lock.  0; -ENOENT (not recording,
 * @st->recording false).
 */
int rhook__rec_status(struct rhook__rec_status *st);

#endif /* RHOOK_RECORDER_STATUS_H */
