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

/* The emitters append records with rhook__rec_emit() (emit_inline.h). */

/* Constructor: starts the recorder if RHOOK_TRACE_DIR is set. */
void rhook__rec_init_from_env(void);

#endif /* RHOOK_RECORDER_RECORDER_H */
