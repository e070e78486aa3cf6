/*
 * event.h - the one in-memory form of an event, whatever the input.
 *
 * A recorder record and a CTF event both become a struct rdr_event:
 * the payload is the event's struct rhw_ev_<name> (src/wire/events.h)
 * and the ids of its id lists (events.h) are in binary, so the
 * printers, the statistics, the checker and the CTF exporter never care
 * where an event came from.
 *
 * Streams yield events in time order; rdr_merge (merge.h) interleaves
 * streams.  An event (and what it points to) stays valid until the next
 * call to its stream's next().  Single-threaded: one reader thread owns
 * every stream.
 *
 * The reader library (src/reader, prefix rdr_ / RDR_) includes the wire
 * formats (src/wire) and librhook's public enums, never librhook's
 * internals.
 */
#ifndef RDR_EVENT_H
#define RDR_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/events.h"

/* Events lost by a process, by reason; summed by stats. */
struct rdr_lost {
	uint64_t discard;    /* recorder discard mode, or CTF discarded-events */
	uint64_t overwrite;  /* recorder overwrite mode */
	uint64_t no_buffer;  /* recorder: every buffer was owned */
	uint64_t nested;     /* recorder: emitted from inside an emit */
	uint64_t reader;     /* overwritten while rhook-read copied them from a live trace */
	uint64_t damaged;    /* committed but malformed (the file was damaged): skipped */
};

/* A process (or a CTF trace standing for one) that recorded events. */
struct rdr_proc {
	char host[64];
	char comm[32];
	uint64_t pid;
	uint8_t boot_id[16];
	bool has_boot_id;
	/* CLOCK_REALTIME - CLOCK_MONOTONIC as the process measured it. */
	int64_t realtime_offset_ns;
	/*
	 * Added to monotonic timestamps to make rdr_event.ts: the
	 * realtime offset of the first process of the same boot, so that
	 * events of one machine keep their exact monotonic order.
	 */
	int64_t clock_offset_ns;
	char origin[256]; /* the file or trace directory it came from */
	/* What recorded it: "flight-recorder", or a CTF trace's tracer (its rhook_source if it has one). */
	char source[32];
	uint64_t start_mono; /* CLOCK_MONOTONIC ns when it started recording (CTF: its first event) */
	struct rdr_lost lost;
	uint64_t events;  /* events read so far */
	/*
	 * Events lost at unknown moments (no buffer, nested, damaged, CTF
	 * discards): a missing companion event may be among them.
	 */
	bool lossy;
	/* Overwrite mode lost the oldest events: complete from this monotonic time on. */
	uint64_t complete_from;
	/* Discard mode lost the newest events: complete up to this monotonic time (0: to the end). */
	uint64_t complete_until;
	unsigned index; /* position in the reader's process table */
};

struct rdr_event {
	uint64_t ts;      /* ns: monotonic + proc->clock_offset_ns (wall clock) */
	uint64_t mono;    /* CLOCK_MONOTONIC ns */
	const struct rdr_proc *proc;
	const void *payload; /* struct rhw_ev_<name>, 8-byte aligned */
	const uint8_t *ids;  /* listed ids of the event's id lists, list after list, 16 bytes each */
	uint32_t tid;
	uint16_t id;         /* enum rhw_event_id */
	uint16_t num_ids;
	uint16_t list_len[RHW_EV_MAX_LISTS]; /* ids of each list (schema order), summing to num_ids */
};

/* The first id of list @list (schema order) of @ev: its list_len[@list] ids follow, 16 bytes each. */
static inline const uint8_t *rdr_event_list(const struct rdr_event *ev, unsigned list)
{
	const uint8_t *ids = ev->ids;

	for (unsigned l = 0; l < list; l++)
		ids += (size_t)ev->list_len[l] * 16;
	return ids;
}

/* A time-ordered source of events. */
struct rdr_stream {
	/* Loads the next event into @ev; false at the end (or on a fatal error, see @err). */
	bool (*next)(struct rdr_stream *s);
	struct rdr_event ev;
	int err; /* negative errno once next() failed for good */
	/*
	 * Recorder streams: the index of the buffer read (in its file), and
	 * the events that buffer lost (discard, overwrite, reader, damaged),
	 * its share of its process's counters; what belongs to no stream
	 * (no_buffer, nested, damage in a buffer left unread) is counted on
	 * the process only.  Zero for a CTF stream.
	 */
	uint32_t buffer;
	struct rdr_lost lost;
};

/* The stream that handed out @ev: every stream hands out its own ev member. */
static inline const struct rdr_stream *rdr_event_stream(const struct rdr_event *ev)
{
	return (const struct rdr_stream *)(const void *)((const char *)ev - offsetof(struct rdr_stream, ev));
}

/*
 * @a + @b, saturated at UINT64_MAX: loss counters come from files anyone
 * may have written, and a sum that wrapped would under-report a loss (and
 * make a stream's share exceed its process's). Saturation keeps every sum
 * monotone, so sums taken in any grouping agree.
 */
static inline uint64_t rdr_sat_add(uint64_t a, uint64_t b)
{
	uint64_t sum;

	return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
}

/* Adds every counter of @l into @into, saturated. */
static inline void rdr_lost_add(struct rdr_lost *into, const struct rdr_lost *l)
{
	into->discard = rdr_sat_add(into->discard, l->discard);
	into->overwrite = rdr_sat_add(into->overwrite, l->overwrite);
	into->no_buffer = rdr_sat_add(into->no_buffer, l->no_buffer);
	into->nested = rdr_sat_add(into->nested, l->nested);
	into->reader = rdr_sat_add(into->reader, l->reader);
	into->damaged = rdr_sat_add(into->damaged, l->damaged);
}

/* Sum of the counters of @l, saturated. */
static inline uint64_t rdr_lost_total(const struct rdr_lost *l)
{
	uint64_t t = rdr_sat_add(l->discard, l->overwrite);

	t = rdr_sat_add(t, l->no_buffer);
	t = rdr_sat_add(t, l->nested);
	t = rdr_sat_add(t, l->reader);
	return rdr_sat_add(t, l->damaged);
}

#endif /* RDR_EVENT_H */
