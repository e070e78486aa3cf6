/*
 * writer.c - the recorder's write path: one single-writer ring per thread.
 *
 * A thread claims a buffer of the mapped file at its first event (the
 * only time it may make system calls or allocate), then appends records
 * to the current sub-buffer of that buffer with plain stores and one
 * release store of the commit count.  No lock, no atomic read-modify-
 * write and no shared cache line on the write path: buffers are owned by
 * one thread and laid out apart.
 *
 * Concurrency: rhook__rec_emit() runs on any thread at any time,
 * including signal handlers (re-entry on a thread is dropped and counted)
 * and concurrently with start/stop (urcu-bp read side guards the mapping).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../core/urcu.h"
#include "clock.h"
#include "recorder.h"
#include "recorder_impl.h"

struct rec_tls {
	uint64_t gen;           /* recorder this state belongs to; 0: none */
	struct rhr_bufhdr *bh;  /* claimed buffer, NULL: none free */
	struct rhr_sbhdr *sb;   /* current sub-buffer */
	uint32_t off;           /* bytes committed in @sb (mirror of sb->commit) */
	uint32_t tid;
	unsigned retired_seen;  /* r->retired_epoch at the last failed claim */
	unsigned nesting;       /* inside rhook__rec_emit() on this thread */
};

static __thread struct rec_tls tls __attribute__((tls_model("initial-exec")));
static pthread_key_t exit_key;

/* Thread exit: hand the buffer back so a later thread can take it over. */
static void thread_exit(void *arg)
{
	struct rec_tls *t = arg;
	struct rhook__recorder *r;

	pthread_mutex_lock(&rhook__rec_lock);
	r = atomic_load_explicit(&rhook__rec_current, memory_order_relaxed);
	if (r && t->gen == r->gen && t->bh) {
		/* Everything this thread wrote before the buffer is claimable again. */
		__atomic_store_n(&t->bh->state, RHR_BUF_RETIRED, __ATOMIC_RELEASE);
		__atomic_fetch_add(&r->retired_epoch, 1, __ATOMIC_RELAXED);
	}
	t->gen = 0;
	t->bh = NULL;
	pthread_mutex_unlock(&rhook__rec_lock);
}

void rhook__rec_writer_init(void)
{
	pthread_key_create(&exit_key, thread_exit);
}

void rhook__rec_thread_forget(void)
{
	tls.gen = 0;
	tls.bh = NULL;
	tls.sb = NULL;
}

/* Takes a buffer in @expected state; NULL if none. */
static struct rhr_bufhdr *take_buffer(const struct rhook__recorder *r, uint32_t expected)
{
	for (uint32_t i = 0; i < r->num_buffers; i++) {
		struct rhr_bufhdr *bh = rhook__rec_bufhdr(r, i);
		uint32_t want = expected;

		/* Acquire: see what the previous owner wrote before retiring it. */
		if (__atomic_load_n(&bh->state, __ATOMIC_RELAXED) == expected &&
		    __atomic_compare_exchange_n(&bh->state, &want, RHR_BUF_OWNED, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return bh;
	}
	return NULL;
}

/*
 * Slow path: the thread's first event for recorder @r, or a retry after
 * the pool was exhausted.  May make system calls and touch every page of
 * a fresh buffer, so that the fast path never takes a page fault.
 */
static void claim(struct rec_tls *t, struct rhook__recorder *r)
{
	struct rhr_bufhdr *bh;
	bool fresh = true;

	if (t->gen != r->gen) {
		t->gen = r->gen;
		t->tid = (uint32_t)gettid();
		pthread_setspecific(exit_key, t);
	}
	t->bh = NULL;
	t->retired_seen = __atomic_load_n(&r->retired_epoch, __ATOMIC_RELAXED);
	bh = take_buffer(r, RHR_BUF_FREE);
	if (!bh) {
		bh = take_buffer(r, RHR_BUF_RETIRED);
		fresh = false;
	}
	if (!bh)
		return;
	if (fresh) {
		/*
		 * Only the sub-buffer bytes, nobody else's: the buffer header
		 * holds the state other claimers read (its page is written just
		 * below), and the last page may hold the next buffer's header.
		 */
		volatile uint8_t *p = (uint8_t *)bh + RHR_BUFHDR_SIZE;
		long page = sysconf(_SC_PAGESIZE);

		for (size_t off = 0; off < r->buffer_size; off += (size_t)page)
			p[off] = p[off];
		p[r->buffer_size - 1] = p[r->buffer_size - 1];
	}
	bh->tid = t->tid;
	bh->owners++;
	memset(bh->thread_name, 0, sizeof(bh->thread_name));
	prctl(PR_GET_NAME, bh->thread_name);
	t->bh = bh;
	t->sb = NULL;
	t->off = r->subbuf_payload; /* forces a new sub-buffer: one writer per sub-buffer */
}

/*
 * Moves to the next sub-buffer of the ring.  Overwrite mode recycles the
 * oldest, counting its records as lost; discard mode stops at a full ring.
 */
static bool next_subbuf(struct rec_tls *t, const struct rhook__recorder *r)
{
	struct rhr_bufhdr *bh = t->bh;
	uint64_t seq = bh->last_seq + 1;
	struct rhr_sbhdr *sb = rhook__rec_subbuf(r, bh, (uint32_t)((seq - 1) & (r->num_subbuffers - 1)));

	if (__atomic_load_n(&sb->seq, __ATOMIC_RELAXED)) {
		if (r->mode == RHOOK_RECORDER_DISCARD) {
			bh->lost_discard++;
			return false;
		}
		bh->lost_overwrite += sb->records;
		/*
		 * Invalidate the sub-buffer before any of its bytes change
		 * (seqlock writer): the acquire half keeps the stores below
		 * from moving above the exchange.
		 */
		__atomic_exchange_n(&sb->seq, 0, __ATOMIC_ACQ_REL);
	}
	sb->commit = 0;
	sb->records = 0;
	sb->tid = t->tid;
	sb->reserved = 0;
	sb->anchor = rhook__anchor_now(r->clock);
	/* The header is complete before the sub-buffer becomes valid. */
	__atomic_store_n(&sb->seq, seq, __ATOMIC_RELEASE);
	bh->last_seq = seq;
	t->sb = sb;
	t->off = 0;
	return true;
}

static void count_nested(void)
{
	struct rhook__recorder *r;

	urcu_bp_read_lock();
	r = atomic_load_explicit(&rhook__rec_current, memory_order_acquire);
	if (r)
		__atomic_fetch_add(&r->hdr->lost_nested, 1, __ATOMIC_RELAXED);
	/* As in rhook__rec_emit(): this use of @r happens before stop unmaps it. */
	RHOOK__TSAN_RELEASE(&rhook__rec_gp_token);
	urcu_bp_read_unlock();
}

void rhook__rec_emit(unsigned id, const void *payload, uint32_t len, const void *tail, uint32_t tail_len)
{
	struct rec_tls *t = &tls;
	struct rhook__recorder *r;
	uint32_t size = (uint32_t)(sizeof(struct rhr_record) + len + tail_len + 7) & ~7u;

	if (t->nesting) {
		count_nested();
		return;
	}
	t->nesting = 1;
	urcu_bp_read_lock();
	r = atomic_load_explicit(&rhook__rec_current, memory_order_acquire);
	if (!r)
		goto out;
	if (RHOOK_UNLIKELY(t->gen != r->gen || (!t->bh && t->retired_seen != r->retired_epoch)))
		claim(t, r);
	if (RHOOK_UNLIKELY(!t->bh)) {
		__atomic_fetch_add(&r->hdr->lost_no_buffer, 1, __ATOMIC_RELAXED);
		goto out;
	}
	if (RHOOK_UNLIKELY(t->off + size > r->subbuf_payload) && !next_subbuf(t, r))
		goto out;

	{
		uint8_t *p = (uint8_t *)t->sb + RHR_SBHDR_SIZE + t->off;
		struct rhr_record *rec = (struct rhr_record *)p;
		uint32_t used = (uint32_t)sizeof(*rec) + len + tail_len;

		rec->magic = RHR_RECORD_MAGIC;
		rec->id = (uint16_t)id;
		rec->size = (uint16_t)size;
		rec->reserved = 0;
		rec->timestamp = rhook__rec_now(r->clock);
		memcpy(p + sizeof(*rec), payload, len);
		if (tail_len)
			memcpy(p + sizeof(*rec) + len, tail, tail_len);
		if (used != size)
			memset(p + used, 0, size - used);
		t->off += size;
		t->sb->records++;
		/* Publish the record's bytes before the commit count that covers them. */
		__atomic_store_n(&t->sb->commit, t->off, __ATOMIC_RELEASE);
	}
out:
	/* Every use of @r happens before stop unmaps it (TSan's view of the grace period). */
	RHOOK__TSAN_RELEASE(&rhook__rec_gp_token);
	urcu_bp_read_unlock();
	t->nesting = 0;
}
