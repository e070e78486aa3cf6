/*
 * emit_inline.h - the recorder's write path, fast path inlined into the
 * emitters (src/trace/emit.c), where each event's payload size is a
 * constant; the slow paths (a thread's first event, a new sub-buffer, a
 * forked child's first event, drops) are out of line in writer.c.
 *
 * One single-writer ring per thread: a thread claims a buffer of the
 * mapped file at its first event, then appends records to the current
 * sub-buffer with relaxed atomic stores of whole words and one release
 * store of the commit count (recorder_format.h, C1 and S1).  No lock, no
 * read-modify-write and no shared cache line on the fast path: buffers
 * are owned by one thread and laid out apart.  A thread that found every
 * per-thread buffer taken has none (t->bh NULL): each of its events
 * takes the slow path, which holds a shared buffer for that event
 * (writer.c, emit_shared(); recorder_format.h, T1).  Why this design, and what
 * each path costs: README, "The flight recorder".  In short: a shared
 * buffer with an atomic reservation of space (LTTng-UST's) puts a
 * read-modify-write on every event and leaves an unwalkable hole when a
 * writer dies between reserving and sizing its record; per-CPU buffers
 * with rseq need a per-architecture abort path around many stores.
 * Holding a shared buffer per event keeps one writer per sub-buffer, so
 * torn records stay beyond commit, and leaves this fast path as it was:
 * measured side by side, the single-writer cost is unchanged (per-round
 * ratio 1.019 against the previous design, within the noise), and 8
 * threads on 2 CPUs all on one shared buffer cost 2.8x the same threads
 * with buffers of their own (2026-12-01, rhook-bench-recorder).
 *
 * Concurrency: rhook__rec_emit() runs on any thread at any time,
 * including signal handlers (re-entry on a thread is dropped and
 * counted; writer.c says what a thread's first event calls) and
 * concurrently with start/stop: the urcu-bp read-side section keeps the
 * mapping alive.
 */
#ifndef RHOOK_RECORDER_EMIT_INLINE_H
#define RHOOK_RECORDER_EMIT_INLINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/urcu.h"
#include "clock.h"
#include "failpoint.h"
#include "recorder_impl.h"
#include "wire/recorder_shm.h"

/* A thread's writer state; only its thread touches it (signal handlers included). */
struct rhook__rec_tls {
	uint64_t gen;           /* recorder this state belongs to; 0: none */
	struct rhr_bufhdr *bh;  /* claimed per-thread buffer, NULL: none free (the shared path) */
	struct rhr_sbhdr *sb;   /* current sub-buffer */
	uint32_t off;           /* bytes committed in @sb (mirror of sb->commit) */
	uint32_t records;       /* records committed in @sb (mirror of sb->records) */
	uint32_t tid;
	unsigned retired_seen;  /* r->retired_epoch at the last failed claim */
	unsigned nesting;       /* inside rhook__rec_emit() on this thread */
};

extern __thread struct rhook__rec_tls rhook__rec_tls __attribute__((tls_model("initial-exec")));

/* Inlined even at -O0 (see clock.h). */
#define RHOOK__EMIT_INLINE static inline __attribute__((always_inline))

/* An emit while this thread is inside one (a signal handler): dropped and counted. */
void rhook__rec_emit_nested(void);

/*
 * Everything the fast path does not do: no recorder published (a forked
 * child's first event), a claim, no buffer, a new sub-buffer; then the
 * record, its timestamp read as @ordered says.  Inside the caller's
 * read-side section, @r as it loaded it.
 */
void rhook__rec_emit_slow(struct rhook__rec_tls *t, struct rhook__recorder *r, unsigned id, const void *payload,
			  uint32_t len, const void *tail, uint32_t tail_len, bool ordered);

/*
 * Stores @len bytes (whole words) of @src as words of the record at @dst.
 * Unrolled: a payload's @len is a constant of its emitter, so its words
 * go from the registers the emitter built them in straight to the ring
 * (rhook-bench-payload, recorder_event_vs_rdtsc), with no loop.
 */
RHOOK__EMIT_INLINE void rhook__rec_put_words(uint64_t *dst, const void *src, uint32_t len)
{
	const uint8_t *s = src;

#pragma GCC unroll 16
	for (uint32_t i = 0; i < len / 8; i++) {
		uint64_t v;

		memcpy(&v, s + 8 * (size_t)i, 8);
		rhr_st64(&dst[i], v);
		RHOOK__FAILPOINT("emit.word");
	}
}

/*
 * Appends the record (header, payload, tail) stamped @ts at t->off of
 * the current sub-buffer, which has room, and publishes it.
 */
RHOOK__EMIT_INLINE void rhook__rec_put(struct rhook__rec_tls *t, unsigned id, const void *payload, uint32_t len,
				       const void *tail, uint32_t tail_len, uint64_t ts)
{
	uint32_t size = (uint32_t)sizeof(struct rhr_record) + len + tail_len;
	/* Read once: the ring's stores below would make the compiler read them again. */
	struct rhr_sbhdr *sb = t->sb;
	uint32_t off = t->off + size, records = t->records + 1;
	uint64_t *w = (uint64_t *)(void *)((uint8_t *)sb + RHR_SBHDR_SIZE + t->off);

	/* struct rhr_record, little-endian: magic, id, size, reserved 0; then the timestamp. */
	rhr_st64(&w[0], RHR_RECORD_MAGIC | (uint64_t)(uint16_t)id << 16 | (uint64_t)size << 32);
	RHOOK__FAILPOINT("emit.head");
	rhr_st64(&w[1], ts);
	RHOOK__FAILPOINT("emit.timestamp");
	rhook__rec_put_words(w + 2, payload, len);
	if (tail_len)
		rhook__rec_put_words(w + 2 + len / 8, tail, tail_len);
	t->off = off;
	t->records = records;
	rhr_st32(&sb->records, records);
	RHOOK__FAILPOINT("emit.records");
	/* C1: the record's words before the commit that covers them; pairs with the reader's acquire load. */
	__atomic_store_n(&sb->commit, off, __ATOMIC_RELEASE);
	RHOOK__FAILPOINT("emit.commit");
}

/*
 * rhook__rec_emit(id, payload, len, tail, tail_len): appends one record
 * (event @id, @len payload bytes, @tail_len tail bytes, both multiples
 * of 8) to the calling thread's buffer, its timestamp read whenever the
 * CPU gets to it (clock.h).  rhook__rec_emit_ordered(): the same, its
 * timestamp read after everything before it.  No system call and no
 * allocation once the thread has its buffer.  One body, two variants
 * (emit_variant.h).
 */
#define RHOOK__EMIT_NAME rhook__rec_emit
#define RHOOK__EMIT_ORDERED false
#define RHOOK__EMIT_NOW rhook__rec_now
#include "emit_variant.h"

#define RHOOK__EMIT_NAME rhook__rec_emit_ordered
#define RHOOK__EMIT_ORDERED true
#define RHOOK__EMIT_NOW rhook__rec_now_ordered
#include "emit_variant.h"

#endif /* RHOOK_RECORDER_EMIT_INLINE_H */
