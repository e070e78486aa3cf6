/*
 * lost_note.c - drops noted for a watcher (see lost_note.h).
 *
 * @pending is set by any thread that drops (relaxed exchange) and taken
 * by the watcher (relaxed exchange) after the eventfd woke it: the
 * eventfd's write and read order the two (the kernel's counter), and
 * the word only says "look at the counters", which are read afterwards.
 */
#include "lost_note.h"

#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

int rhook__rec_lost_watched;
static atomic_bool pending;
static atomic_int note_fd = -1;

void rhook__rec_lost_note_slow(void)
{
	uint64_t one = 1;
	int fd;

	if (atomic_exchange_explicit(&pending, true, memory_order_relaxed))
		return; /* the watcher has not looked yet: one wake-up is enough */
	fd = atomic_load_explicit(&note_fd, memory_order_relaxed);
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0)
		return; /* non-blocking eventfd: full means already awake */
}

void rhook__rec_lost_watch(bool on)
{
	__atomic_store_n(&rhook__rec_lost_watched, on, __ATOMIC_RELAXED);
}

void rhook__rec_lost_set_fd(int fd)
{
	atomic_store_explicit(&note_fd, fd, memory_order_relaxed);
}

bool rhook__rec_lost_take(void)
{
	return atomic_exchange_explicit(&pending, false, memory_order_relaxed);
}
