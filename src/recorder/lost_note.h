/*
 * lost_note.h - the recorder tells whoever watches (the lost>N snapshot
 * trigger, src/trace/trigger.h) that it dropped an event, without
 * knowing who watches: a flag tested at the drop sites (already slow
 * paths), a pending word, and an eventfd to write to.
 */
#ifndef RHOOK_RECORDER_LOST_NOTE_H
#define RHOOK_RECORDER_LOST_NOTE_H

#include <stdbool.h>

/* Non-zero while someone watches drops; relaxed (a hint). */
extern int rhook__rec_lost_watched;

/* Marks a drop pending and writes 1 to the watcher's eventfd; async-signal-safe. */
void rhook__rec_lost_note_slow(void);

/* At a drop site: one load and a branch when nobody watches. */
static inline void rhook__rec_lost_note(void)
{
	if (__atomic_load_n(&rhook__rec_lost_watched, __ATOMIC_RELAXED))
		rhook__rec_lost_note_slow();
}

/* Starts or stops watching; drops are then written to @fd (rhook__rec_lost_set_fd()). */
void rhook__rec_lost_watch(bool on);
/* The eventfd to write to (-1: none). */
void rhook__rec_lost_set_fd(int fd);
/* Whether a drop was noted since the last call (the watcher's thread). */
bool rhook__rec_lost_take(void);

#endif /* RHOOK_RECORDER_LOST_NOTE_H */
