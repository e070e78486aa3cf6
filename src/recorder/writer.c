/*
 * writer.c - the recorder's write path, out of line: a thread's buffer
 * claim and hand-back, sub-buffer switching, the shared path, drops;
 * the fast path is in emit_inline.h.
 *
 * Signal handlers.  After a thread's first event, an event makes no
 * system call and calls no function, but on the shared path (a thread
 * without a per-thread buffer) when every shared buffer is held by
 * another thread: it calls sched_yield() (async-signal-safe) and tries
 * again (emit_shared()).  A thread's first event (the claim)
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
#include <sched.h>
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

/*
 * Whether @bh can take no record of @need bytes (with the thread record
 * a writer other than its last one puts first: W1) without recycling a
 * sub-buffer: its newest sub-buffer has no room for them, and the slot
 * after it holds a sub-buffer.  Loads of words the buffer's writer stores; exact for its
 * holder, a hint for others.
 */
static bool ring_full_any(const struct rhook__recorder *r, struct rhr_bufhdr *bh, uint32_t need)
{
	uint64_t seq = rhr_ld64(&bh->last_seq);
	uint32_t mask = r->num_subbuffers - 1;

	return seq &&
	       rhr_ld32(&rhook__rec_subbuf(r, bh, (uint32_t)((seq - 1) & mask))->commit) + need > r->subbuf_payload &&
	       __atomic_load_n(&rhook__rec_subbuf(r, bh, (uint32_t)(seq & mask))->seq, __ATOMIC_RELAXED) != 0;
}

/* ring_full_any() in discard mode, which never recycles: the buffer can take nothing more. */
static bool ring_full(const struct rhook__recorder *r, struct rhr_bufhdr *bh, uint32_t need)
{
	return r->mode == RHOOK_RECORDER_DISCARD && ring_full_any(r, bh, need);
}

/*
 * Takes a per-thread buffer in @expected state; NULL if none.  A retired
 * buffer that is full for a record of @need bytes is left alone when
 * @room (its thread's events are kept longer), and always in discard
 * mode (a new owner could record nothing there).
 */
static struct rhr_bufhdr *take_buffer(const struct rhook__recorder *r, uint32_t expected, uint32_t need, bool room)
{
	bool (*full)(const struct rhook__recorder *, struct rhr_bufhdr *, uint32_t) = room ? ring_full_any : ring_full;

	for (uint32_t i = 0; i < r->num_private; i++) {
		struct rhr_bufhdr *bh = rhook__rec_bufhdr(r, i);
		uint32_t want = expected;

		/* Acquire: see what the previous owner wrote before retiring it (thread_exit()). */
		if (__atomic_load_n(&bh->state, __ATOMIC_RELAXED) != expected ||
		    (expected == RHR_BUF_RETIRED && full(r, bh, need + RHR_THREAD_RECORD_SIZE)) ||
		    !__atomic_compare_exchange_n(&bh->state, &want, RHR_BUF_OWNED, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		if (expected == RHR_BUF_RETIRED && full(r, bh, need + RHR_THREAD_RECORD_SIZE)) {
			/* Filled up between the check and the claim: hand it back as it was (B1). */
			__atomic_store_n(&bh->state, RHR_BUF_RETIRED, __ATOMIC_RELEASE);
			continue;
		}
		return bh;
	}
	return NULL;
}

/*
 * Appends a thread record (recorder_format.h, W1) for t->tid at t->off of the
 * current sub-buffer, which has room.  Not an event: the sub-buffer's
 * record count stays.
 */
static void put_thread(struct rhook__rec_tls *t, const struct rhook__recorder *r)
{
	uint64_t *w = (uint64_t *)(void *)((uint8_t *)t->sb + RHR_SBHDR_SIZE + t->off);

	rhr_st64(&w[0], RHR_RECORD_MAGIC | (uint64_t)RHR_RECORD_THREAD << 16 | (uint64_t)RHR_THREAD_RECORD_SIZE << 32);
	RHOOK__FAILPOINT("thread.head");
	rhr_st64(&w[1], rhook__rec_now(r->clock));
	RHOOK__FAILPOINT("thread.timestamp");
	rhr_st64(&w[2], t->tid);
	RHOOK__FAILPOINT("thread.tid");
	t->off += RHR_THREAD_RECORD_SIZE;
	/* C1: the record's words before the commit that covers them; pairs with the reader's acquire load. */
	__atomic_store_n(&t->sb->commit, t->off, __ATOMIC_RELEASE);
	RHOOK__FAILPOINT("thread.commit");
}

/*
 * Points @t (bh and tid set; bh held by this thread) at the place the
 * buffer's last writer left: its newest sub-buffer, when that has room
 * for a thread record and @need bytes, with a thread record appended if
 * another thread wrote last (W1); else nowhere, so that the next record
 * starts a sub-buffer of its own.  Loads of the previous writer's
 * stores, which the hold's acquire made visible (B1, T1).
 */
static void resume(struct rhook__rec_tls *t, const struct rhook__recorder *r, uint32_t need)
{
	uint64_t seq = rhr_ld64(&t->bh->last_seq);
	struct rhr_sbhdr *sb;
	uint32_t off;
	bool other;

	t->sb = NULL;
	t->off = r->subbuf_payload;
	t->records = 0;
	if (!seq)
		return;
	sb = rhook__rec_subbuf(r, t->bh, (uint32_t)((seq - 1) & (r->num_subbuffers - 1)));
	off = rhr_ld32(&sb->commit);
	other = rhr_ld32(&t->bh->tid) != t->tid;
	if (off + (other ? RHR_THREAD_RECORD_SIZE : 0) + need > r->subbuf_payload)
		return;
	t->sb = sb;
	t->off = off;
	t->records = rhr_ld32(&sb->records);
	if (other)
		put_thread(t, r);
}

/*
 * Slow path: the thread's first event for recorder @r, or a retry after
 * every per-thread buffer was taken.  Touches every page of a fresh
 * buffer, so that the fast path never takes a page fault.  A retired
 * buffer is continued where its last owner stopped (resume()), so that
 * threads that come and go do not each waste a sub-buffer.  System
 * calls and one pthread_setspecific() only (see the top of this file).
 */
static void claim(struct rhook__rec_tls *t, struct rhook__recorder *r, uint32_t need)
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
	/* A fresh buffer, else a retired one with room, else (overwrite) the oldest events of one. */
	bh = take_buffer(r, RHR_BUF_FREE, need, false);
	if (!bh) {
		bh = take_buffer(r, RHR_BUF_RETIRED, need, true);
		if (!bh && r->mode == RHOOK_RECORDER_OVERWRITE)
			bh = take_buffer(r, RHR_BUF_RETIRED, need, false);
		fresh = false;
	}
	if (!bh)
		return;
	RHOOK__FAILPOINT("claim.taken");
	t->bh = bh;
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
		t->sb = NULL;
		t->off = r->subbuf_payload; /* forces a first sub-buffer */
	} else {
		resume(t, r, need);
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

/* How long emit_shared() waits for a shared buffer when every one is held (see there). */
#define SHARED_WAIT_NS 1000000000ull

/*
 * The shared path (recorder_format.h, T1), for a thread that found every
 * per-thread buffer taken: holds a shared buffer for this one event.
 * The thread starts at its home buffer (tid modulo their number: a
 * thread tends to find its own last record there, and needs no thread
 * record) and passes over buffers other threads hold; after a round in
 * which every one was held, it yields the CPU (the holders are within a
 * few stores of releasing, or preempted) and goes round again.  It never
 * waits on itself: an emit from a signal handler on a thread that holds
 * one is nested and dropped before it gets here.  In discard mode a
 * shared buffer whose ring is full is marked FULL and never held again;
 * when all are, the event is counted lost (discard) on the home buffer.
 * When every shared buffer stays held for a second (a holder that cannot
 * finish), the event is dropped and counted as no_buffer rather than
 * waiting longer.  Cost: a CAS and a release store on a line other
 * threads write, plus a thread record when the buffer's last writer was
 * another thread (bench/recorder_bench.c, recorder_event_shared_*).
 *
 * Concurrency: any thread without a per-thread buffer, at any time
 * (signal handlers included), inside the caller's read-side section;
 * holding no lock.  Ordering: T1 (recorder_format.h) between successive holders
 * of a buffer; C1 and S1 towards readers, as on the fast path.
 */
static void emit_shared(struct rhook__rec_tls *t, struct rhook__recorder *r, unsigned id, const void *payload,
			uint32_t len, const void *tail, uint32_t tail_len, bool ordered)
{
	uint32_t size = (uint32_t)sizeof(struct rhr_record) + len + tail_len, home = t->tid % r->num_shared;
	uint64_t since = 0;

	for (unsigned round = 0;; round++) {
		bool held = false;

		for (uint32_t k = 0; k < r->num_shared; k++) {
			struct rhr_bufhdr *bh = rhook__rec_bufhdr(r, r->num_private + (home + k) % r->num_shared);
			/* Acquire: a FULL state comes with its holder's last counts (see below). */
			uint32_t want = __atomic_load_n(&bh->state, __ATOMIC_ACQUIRE);
			struct rhook__rec_tls s;

			if (want != RHR_BUF_SHARED) {
				held |= want != RHR_BUF_FULL;
				continue;
			}
			/* T1: acquire, pairs with the previous holder's release store below. */
			if (!__atomic_compare_exchange_n(&bh->state, &want, RHR_BUF_OWNED, false, __ATOMIC_ACQUIRE,
							 __ATOMIC_RELAXED)) {
				held |= want != RHR_BUF_FULL;
				continue;
			}
			RHOOK__FAILPOINT("shared.held");
			s = (struct rhook__rec_tls){ .bh = bh, .tid = t->tid };
			resume(&s, r, size);
			if (s.off + size > r->subbuf_payload) {
				if (ring_full(r, bh, size + (rhr_ld32(&bh->tid) != t->tid ? RHR_THREAD_RECORD_SIZE : 0))) {
					/* T1: release, so that whoever counts a loss here sees the holders' stores. */
					__atomic_store_n(&bh->state, RHR_BUF_FULL, __ATOMIC_RELEASE);
					RHOOK__FAILPOINT("shared.full");
					continue;
				}
				next_subbuf(&s, r); /* not full: cannot fail */
			}
			rhr_st32(&bh->tid, t->tid);
			RHOOK__FAILPOINT("shared.tid");
			rhook__rec_put(&s, id, payload, len, tail, tail_len,
				       ordered ? rhook__rec_now_ordered(r->clock) : rhook__rec_now(r->clock));
			/* T1: the record happens before the next holder's acquire CAS. */
			__atomic_store_n(&bh->state, RHR_BUF_SHARED, __ATOMIC_RELEASE);
			RHOOK__FAILPOINT("shared.released");
			return;
		}
		if (!held) {
			/* Every shared ring is full (discard mode): the loss the user chose, counted. */
			__atomic_fetch_add(&rhook__rec_bufhdr(r, r->num_private + home)->lost_discard, 1,
					   __ATOMIC_RELAXED);
			RHOOK__FAILPOINT("shared.lost");
			rhook__rec_lost_note();
			return;
		}
		if (round % 64 == 63) {
			/*
			 * Never hang the host: a holder that cannot finish (stopped
			 * by a debugger, or a signal handler that jumped out of its
			 * emit) keeps its buffer forever.  After SHARED_WAIT_NS of
			 * every shared buffer held, the event is dropped and counted.
			 */
			uint64_t now = rhook__now_ns();

			if (!since) {
				since = now;
			} else if (now - since > SHARED_WAIT_NS) {
				__atomic_fetch_add(&r->hdr->lost_no_buffer, 1, __ATOMIC_RELAXED);
				RHOOK__FAILPOINT("shared.timeout");
				rhook__rec_lost_note();
				return;
			}
		}
		sched_yield();
	}
}

void rhook__rec_emit_slow(struct rhook__rec_tls *t, struct rhook__recorder *r, unsigned id, const void *payload,
			  uint32_t len, const void *tail, uint32_t tail_len, bool ordered)
{
	uint32_t size = (uint32_t)sizeof(struct rhr_record) + len + tail_len;

	if (!r && !(r = rhook__rec_start_pending()))
		return;
	/* Relaxed: a hint to try a claim again; the claim's CAS is what synchronizes (B1). */
	if (t->gen != r->gen ||
	    (!t->bh && t->retired_seen != __atomic_load_n(&r->retired_epoch, __ATOMIC_RELAXED)))
		claim(t, r, size);
	if (!t->bh) {
		emit_shared(t, r, id, payload, len, tail, tail_len, ordered);
		return;
	}
	if (t->off + size > r->subbuf_payload && !next_subbuf(t, r))
		return;
	rhook__rec_put(t, id, payload, len, tail, tail_len,
		       ordered ? rhook__rec_now_ordered(r->clock) : rhook__rec_now(r->clock));
}
