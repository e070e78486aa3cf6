/*
 * recorder_loss.c - what the recorder keeps and what it counts as lost,
 * exactly: discard mode keeps the oldest events, overwrite mode the
 * newest, and a thread that finds every per-thread buffer owned records
 * into the shared one, which loses events only as its mode says.  In
 * every case kept + lost = written.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "reader/recfile.h"
#include "rt.h"
#include "wire/events.h"

#define SUBBUF 4096u
#define WRITTEN 1000u
/* flush_begin: 16-byte record header and a 24-byte payload. */
#define RECORD (16u + (unsigned)sizeof(struct rhw_ev_flush_begin))
#define PER_SUBBUF ((SUBBUF - RHR_SBHDR_SIZE) / RECORD)

struct decoded {
	uint64_t rows[WRITTEN];
	unsigned n;
	struct rdr_lost lost;
};

/* Records @count flush_begin events (rows 0..count-1) and reads them back. */
static void record(enum rhook_recorder_mode mode, unsigned subbufs, struct decoded *out)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = SUBBUF * subbufs, .num_buffers = 1,
					     .num_subbuffers = subbufs, .mode = mode,
					     .clock = RHOOK_RECORDER_CLOCK_MONOTONIC };
	struct rdr_proc proc;
	struct rdr_recfile f;
	char dir[PATH_MAX], path[PATH_MAX], err[256];

	rt_tmpdir(dir, "loss");
	cfg.dir = dir;
	assert_int_equal(rhook_recorder_start(&cfg), 0);
	assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	for (unsigned i = 0; i < WRITTEN; i++)
		rhook_trace_flush_begin(1, i, 0);
	assert_int_equal(rhook_recorder_stop(), 0);

	memset(&proc, 0, sizeof(proc));
	memset(out, 0, sizeof(*out));
	if (rdr_recfile_open(&f, path, &proc, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	for (uint32_t s = 0; s < f.num_streams; s++) {
		struct rdr_stream *st = rdr_recfile_stream(&f, s);

		while (st->next(st)) {
			assert_int_equal(st->ev.id, RHW_EV_flush_begin);
			out->rows[out->n++] = ((const struct rhw_ev_flush_begin *)st->ev.payload)->rows;
		}
	}
	out->lost = proc.lost;
	rdr_recfile_close(&f);
	tc_rmtree(dir);
}

static void test_discard(void **state)
{
	struct decoded d;

	(void)state;
	for (unsigned subbufs = 2; subbufs <= 4; subbufs *= 2) {
		unsigned kept = PER_SUBBUF * subbufs;

		record(RHOOK_RECORDER_DISCARD, subbufs, &d);
		/* The oldest events, in order; every later one counted. */
		assert_int_equal(d.n, kept);
		for (unsigned i = 0; i < d.n; i++)
			assert_int_equal(d.rows[i], i);
		assert_int_equal(d.lost.discard, WRITTEN - kept);
		assert_int_equal(d.lost.overwrite + d.lost.no_buffer + d.lost.nested + d.lost.damaged, 0);
	}
}

static void test_overwrite(void **state)
{
	struct decoded d;

	(void)state;
	for (unsigned subbufs = 2; subbufs <= 4; subbufs *= 2) {
		/* The ring holds the last full sub-buffers and the partial one being filled. */
		unsigned last = WRITTEN % PER_SUBBUF ? WRITTEN % PER_SUBBUF : PER_SUBBUF;
		unsigned kept = PER_SUBBUF * (subbufs - 1) + last;

		record(RHOOK_RECORDER_OVERWRITE, subbufs, &d);
		assert_int_equal(d.n, kept);
		for (unsigned i = 0; i < d.n; i++)
			assert_int_equal(d.rows[i], WRITTEN - kept + i);
		assert_int_equal(d.lost.overwrite, WRITTEN - kept);
		assert_int_equal(d.lost.discard + d.lost.no_buffer + d.lost.nested + d.lost.damaged, 0);
	}
}

static pthread_barrier_t barrier;

/* Holds the only buffer while the main thread records; releases it by exiting. */
static pid_t owner_tid;

static void *owner(void *arg)
{
	(void)arg;
	owner_tid = gettid();
	rhook_trace_flush_begin(2, 0, 0);
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	return NULL;
}

/*
 * One per-thread buffer, owned by another thread: the main thread's
 * events go to the shared buffer, attributed to it, until its ring is
 * full (discard: counted); once the owner exits, the main thread takes
 * its buffer over and continues the owner's sub-buffer, after a thread
 * record.  Nothing is lost for want of a buffer.
 */
static void test_shared(void **state)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 2 * SUBBUF, .num_buffers = 1,
					     .mode = RHOOK_RECORDER_DISCARD, .num_subbuffers = 2 };
	struct rdr_proc proc;
	struct rdr_recfile f;
	char dir[PATH_MAX], path[PATH_MAX], err[256];
	unsigned n[2] = { 0, 0 };
	pthread_t t;

	(void)state;
	rt_tmpdir(dir, "shared");
	cfg.dir = dir;
	assert_int_equal(rhook_recorder_start(&cfg), 0);
	assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
	assert_int_equal(pthread_create(&t, NULL, owner, NULL), 0);
	pthread_barrier_wait(&barrier);
	for (unsigned i = 0; i < 2 * PER_SUBBUF + 50; i++)
		rhook_trace_flush_begin(1, i, 0);
	pthread_barrier_wait(&barrier);
	pthread_join(t, NULL);
	/* The owner exited: its buffer is taken over at the next event. */
	rhook_trace_flush_begin(1, 2 * PER_SUBBUF + 50, 0);
	assert_int_equal(rhook_recorder_stop(), 0);
	pthread_barrier_destroy(&barrier);

	memset(&proc, 0, sizeof(proc));
	if (rdr_recfile_open(&f, path, &proc, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	assert_int_equal(f.hdr.num_buffers, 2);
	assert_int_equal(f.hdr.num_shared, 1);
	assert_int_equal(proc.lost.no_buffer, 0);
	/* The shared ring holds two sub-buffers of the main thread's events; the rest are counted. */
	assert_int_equal(proc.lost.discard, 50);
	assert_int_equal(proc.lost.damaged + proc.lost.overwrite + proc.lost.nested, 0);
	for (uint32_t s = 0; s < f.num_streams; s++) {
		struct rdr_stream *st = rdr_recfile_stream(&f, s);
		unsigned b = st->buffer;

		assert_true(b < 2);
		while (st->next(st)) {
			const struct rhw_ev_flush_begin *e = st->ev.payload;

			if (b == 0) {
				/* The owner's event, then the main thread's after the takeover. */
				assert_int_equal(e->region_id, n[0] ? 1 : 2);
				assert_int_equal(e->rows, n[0] ? 2 * PER_SUBBUF + 50 : 0);
				assert_int_equal(st->ev.tid, n[0] ? (uint32_t)gettid() : (uint32_t)owner_tid);
			} else {
				assert_int_equal(e->region_id, 1);
				assert_int_equal(e->rows, n[1]);
				assert_int_equal(st->ev.tid, (uint32_t)gettid());
			}
			n[b]++;
		}
	}
	assert_int_equal(n[0], 2);
	assert_int_equal(n[1], 2 * PER_SUBBUF);
	rdr_recfile_close(&f);
	tc_rmtree(dir);
}

struct burst {
	uint64_t region, count;
	pid_t tid;
};

static void *burst(void *arg)
{
	struct burst *b = arg;

	b->tid = gettid();
	for (uint64_t i = 0; i < b->count; i++)
		rhook_trace_flush_begin(b->region, i, 0);
	return NULL;
}

static void run_burst(struct burst *b)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, burst, b), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

/*
 * Overwrite mode, threads that come and go: a new thread takes over a
 * retired buffer that has room before one whose ring is full, so an
 * exited thread's events are not overwritten while room is left.  A
 * fills its ring (three sub-buffers' worth: one recycled), B leaves its
 * buffer nearly empty; C, after both exited, writes into B's.
 */
static void test_takeover_keeps_events(void **state)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 2 * SUBBUF, .num_buffers = 2,
					     .mode = RHOOK_RECORDER_OVERWRITE, .num_subbuffers = 2,
					     .clock = RHOOK_RECORDER_CLOCK_MONOTONIC };
	struct burst a = { 1, 3 * PER_SUBBUF, 0 }, b = { 2, 5, 0 }, c = { 3, 50, 0 };
	struct rdr_proc proc;
	struct rdr_recfile f;
	char dir[PATH_MAX], path[PATH_MAX], err[256];
	uint64_t n[4] = { 0 };

	(void)state;
	rt_tmpdir(dir, "takeover");
	cfg.dir = dir;
	assert_int_equal(rhook_recorder_start(&cfg), 0);
	assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	run_burst(&a);
	run_burst(&b);
	run_burst(&c);
	assert_int_equal(rhook_recorder_stop(), 0);

	memset(&proc, 0, sizeof(proc));
	if (rdr_recfile_open(&f, path, &proc, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	for (uint32_t s = 0; s < f.num_streams; s++) {
		struct rdr_stream *st = rdr_recfile_stream(&f, s);

		while (st->next(st)) {
			const struct rhw_ev_flush_begin *e = st->ev.payload;
			const struct burst *w = e->region_id == 1 ? &a : e->region_id == 2 ? &b : &c;

			assert_true(e->region_id >= 1 && e->region_id <= 3);
			assert_int_equal(st->ev.tid, (uint32_t)w->tid);
			if (e->region_id == 1)
				assert_true(e->rows >= PER_SUBBUF); /* A's first sub-buffer was recycled by A */
			n[e->region_id]++;
		}
	}
	/* A's newest two sub-buffers, all of B's and C's: only A's own recycling lost anything. */
	assert_int_equal(n[1], 2 * PER_SUBBUF);
	assert_int_equal(n[2], 5);
	assert_int_equal(n[3], 50);
	assert_int_equal(proc.lost.overwrite, PER_SUBBUF);
	rdr_recfile_close(&f);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discard),
		cmocka_unit_test(test_overwrite),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_takeover_keeps_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
