/*
 * recorder.h - the embedded flight recorder, as librhook's emitters and
 * constructor see it.
 */
#ifndef RHOOK_RECORDER_RECORDER_H
#define RHOOK_RECORDER_RECORDER_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Non-zero while a recorder is started (in a forked child of a recording
 * process too, whose recorder starts at its first event); zero after it
 * lost its file.  A hint for the emitters' fast path (relaxed):
 * rhook__rec_emit() re-checks under RCU.
 */
extern int rhook__rec_active;

static inline bool rhook__rec_on(void)
{
	return __atomic_load_n(&rhook__rec_active, __ATOMIC_RELAXED) != 0;
}

/*
 * Appends one record (event @id, @len payload bytes, @tail_len tail bytes,
 * both multiples of 8) to the calling thread's buffer.  Any thread, any
 * context including signal handlers (a nested call is dropped and
 * counted; see writer.c for a thread's first event); no lock; no system
 * call and no allocation once the thread has its buffer.
 */
void rhook__rec_emit(unsigned id, const void *payload, uint32_t len, const void *tail, uint32_t tail_len);

/* Constructor: starts the recorder if RHOOK_TRACE_DIR is set. */
void rhook__rec_init_from_env(void);

#endif /* RHOOK_RECORDER_RECORDER_H */
