/*
 * writer.c - the recorder's write path, out of line: a thread's buffer
 * claim and hand-back, sub-buffer switching, drops; the fast path is in
 * emit_inline.h.
 *
 * Signal handlers.  After a thread's first event, an event makes no
 * system call and calls no function.  A thread's first event (the claim)
 * makes system calls (gettid, prctl) and two registrations: urcu-bp's
 * (its first read-side section; with every signal blocked) and the
 * thread-exit key that hands the buffer back, pthread_setspecific().
 * glibc sets keys 0..31, kept in the thread descriptor, with plain
 * stores; a higher key may allocate.  Both keys are created when
 * librhook and liburcu-bp load, so with librhook loaded at program start
 * (as its initial-exec TLS requires anyway) they are low and a thread's
 * first event may come from a signal handler.  A program that dlopen()s
 * librhook after creating 31 keys of its own must not emit a thread's
 * first event from a signal handler.  A forked child's first event also
 * creates its file: system calls only (rhook__rec_start_pending()).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "emit_inline.h"
#include "lost_note.h"
#include "recorder.h"
#include "wire/events.h"

/* Records are whole words: every payload is (each has a uint64_t field). */
#define RHOOK__EV_WORDS(id, name, FIELDS) \
	_Static_assert(sizeof(struct rhw_ev_##name) % 8 == 0, "rhw_ev_" #name " is not whole words");
RHW_EVENTS(RHOOK__EV_WORDS)
#undef RHOOK__EV_WORDS

__thread struct rhook__rec_tls rhook__rec_tls __attribute__((tls_model("initial-exec")));
static pthread_key_t exit_key;

#ifdef RHOOK_FAILPOINTS
void (*rhook__failpoint_hook)(const char *name);
#endif

/*
 * Thread exit (the key's destructor, never a signal handler): hand the
 * buffer back so a later thread can take it over.
 */
static void thread_exit(void *arg)
{
	struct rhook__rec_tls *t = arg;
	struct rhook__recorder *r;

	pthread_mutex_lock(&rhook__rec_lock);
	r = atomic_load_explicit(&rhook__rec_current, memory_order_relaxed);
	if (r && t->gen == r->gen && t->bh) {
		/*
		 * Everything this thread wrote happens before the next owner's
		 * claim: pairs with the acquire CAS in take_buffer().
		 */
		__atomic_store_n(&t->bh->state, RHR_BUF_RETIRED, __ATOMIC_RELEASE);
		RHOOK__FAILPOINT("exit.retired");
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
	rhook__rec_tls.gen = 0;
	rhook__rec_tls.bh = NULL;
	rhook__rec_tls.sb = NULL;
}

/* Takes a buffer in @expected state; NULL if none. */
static struct rhr_bufhdr *take_buffer(const struct rhook__recorder *r, uint32_t expected)
{
	for (uint32_t i = 0; i < r->num_buffers; i++) {
		struct rhr_bufhdr *bh = rhook__rec_bufhdr(r, i);
		uint32_t want = expected;

		/* Acquire: see what the previous owner wrote before retiring it (thread_exit()). */
		if (__atomic_load_n(&bh->state, __ATOMIC_RELAXED) == expected &&
		    __atomic_compare_exchange_n(&bh->state, &want, RHR_BUF_OWNED, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return bh;
	}
	return NULL;
}

/*
 * Slow path: the thread's first event for recorder @r, or a retry after
 * the pool was exhausted.  Touches every page of a fresh buffer, so that
 * the fast path never takes a page fault.  System calls and one
 * pthread_setspecific() only (see the top of this file).
 */
static void claim(struct rhook__rec_tls *t, struct rhook__recorder *r)
{
	struct rhr_bufhdr *bh;
	char name[16] = { 0 };
	uint64_t words[2];
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
	RHOOK__FAILPOINT("claim.taken");
	if (fresh) {
		/*
		 * Only the sub-buffer bytes, nobody else's: the buffer header
		 * holds the state other claimers read (its page is written just
		 * below), and the last page may hold the next buffer's header.
		 * An atomic no-op per page: faults the page in, changes nothing.
		 */
		uint8_t *p = (uint8_t *)bh + RHR_BUFHDR_SIZE;

		for (size_t off = 0; off < r->buffer_size; off += r->page_size)
			__atomic_fetch_add((uint64_t *)(void *)(p + off), 0, __ATOMIC_RELAXED);
		__atomic_fetch_add((uint64_t *)(void *)(p + r->buffer_size - 8), 0, __ATOMIC_RELAXED);
	}
	rhr_st32(&bh->tid, t->tid);
	RHOOK__FAILPOINT("claim.tid");
	rhr_st64(&bh->owners, rhr_ld64(&bh->owners) + 1);
	RHOOK__FAILPOINT("claim.owners");
	prctl(PR_GET_NAME, name);
	memcpy(words, name, sizeof(words));
	rhr_st64(bh->thread_name, words[0]);
	rhr_st64(bh->thread_name + 8, words[1]);
	RHOOK__FAILPOINT("claim.name");
	t->bh = bh;
	t->sb = NULL;
	t->off = r->subbuf_payload; /* forces a new sub-buffer: one writer per sub-buffer */
}

/*
 * Moves to the next sub-buffer of the ring (recorder_format.h, S1).  Overwrite
 * mode recycles the oldest, counting its records as lost first (a loss
 * is never under-reported); discard mode stops at a full ring.
 */
static bool next_subbuf(struct rhook__rec_tls *t, const struct rhook__recorder *r)
{
	struct rhr_bufhdr *bh = t->bh;
	uint64_t seq = rhr_ld64(&bh->last_seq) + 1;
	struct rhr_sbhdr *sb = rhook__rec_subbuf(r, bh, (uint32_t)((seq - 1) & (r->num_subbuffers - 1)));
	struct rhr_anchor a;

	/* Only this buffer's owners store seq; relaxed: this thread's own stores, or its claim's acquire. */
	if (__atomic_load_n(&sb->seq, __ATOMIC_RELAXED)) {
		if (r->mode == RHOOK_RECORDER_DISCARD) {
			rhr_st64(&bh->lost_discard, rhr_ld64(&bh->lost_discard) + 1);
			RHOOK__FAILPOINT("discard.lost");
			rhook__rec_lost_note();
			return false;
		}
		rhr_st64(&bh->lost_overwrite, rhr_ld64(&bh->lost_overwrite) + rhr_ld32(&sb->records));
		RHOOK__FAILPOINT("recycle.lost");
		/* S1: the sub-buffer is invalid before any of its words change... */
		__atomic_store_n(&sb->seq, 0, __ATOMIC_RELAXED);
		RHOOK__FAILPOINT("recycle.seq0");
		/*
		 * ...and the release fence keeps every store below after that
		 * one, for a reader whose acquire fence follows loads of them
		 * (recfile.c, next_subbuf()).
		 */
		rhr_fence_release();
	}
	rhr_st32(&sb->commit, 0);
	RHOOK__FAILPOINT("subbuf.commit");
	rhr_st32(&sb->records, 0);
	RHOOK__FAILPOINT("subbuf.records");
	rhr_st32(&sb->tid, t->tid);
	RHOOK__FAILPOINT("subbuf.tid");
	rhr_st32(&sb->reserved, 0);
	a = rhook__anchor_now(r->clock);
	rhr_st64(&sb->anchor.tsc, a.tsc);
	RHOOK__FAILPOINT("subbuf.anchor_tsc");
	rhr_st64(&sb->anchor.mono_ns, a.mono_ns);
	RHOOK__FAILPOINT("subbuf.anchor_mono");
	/* S1: the header is complete before seq makes the sub-buffer valid; pairs with the reader's acquire load. */
	__atomic_store_n(&sb->seq, seq, __ATOMIC_RELEASE);
	RHOOK__FAILPOINT("subbuf.seq");
	rhr_st64(&bh->last_seq, seq);
	RHOOK__FAILPOINT("subbuf.last_seq");
	t->sb = sb;
	t->off = 0;
	t->records = 0;
	return true;
}

void rhook__rec_emit_nested(void)
{
	struct rhook__recorder *r;

	urcu_bp_read_lock();
	r = atomic_load_explicit(&rhook__rec_current, memory_order_acquire);
	if (r)
		__atomic_fetch_add(&r->hdr->lost_nested, 1, __ATOMIC_RELAXED);
	else
		rhook__rec_count_pending_lost();
	RHOOK__FAILPOINT("nested.lost");
	rhook__rec_lost_note();
	/* As in rhook__rec_emit(): this use of @r happens before stop unmaps it. */
	RHOOK__TSAN_RELEASE(&rhook__rec_gp_token);
	urcu_bp_read_unlock();
}

void rhook__rec_emit_slow(struct rhook__rec_tls *t, struct rhook__recorder *r, unsigned id, const void *payload,
			  uint32_t len, const void *tail, uint32_t tail_len, bool ordered)
{
	uint32_t size = (uint32_t)sizeof(struct rhr_record) + len + tail_len;

	if (!r && !(r = rhook__rec_start_pending()))
		return;
	if (t->gen != r->gen || (!t->bh && t->retired_seen != r->retired_epoch))
		claim(t, r);
	if (!t->bh) {
		__atomic_fetch_add(&r->hdr->lost_no_buffer, 1, __ATOMIC_RELAXED);
		RHOOK__FAILPOINT("no_buffer.lost");
		rhook__rec_lost_note();
		return;
	}
	if (t->off + size > r->subbuf_payload && !next_subbuf(t, r))
		return;
	rhook__rec_put(t, id, payload, len, tail, tail_len,
		       ordered ? rhook__rec_now_ordered(r->clock) : rhook__rec_now(r->clock));
}
