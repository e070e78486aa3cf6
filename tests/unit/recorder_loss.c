/*
 * recorder_loss.c - what the recorder keeps and what it counts as lost,
 * exactly: discard mode keeps the oldest events, overwrite mode the
 * newest, and a thread that finds every buffer owned loses its events to
 * lost_no_buffer.  In every case kept + lost = written.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
static void *owner(void *arg)
{
	(void)arg;
	rhook_trace_flush_begin(2, 0, 0);
	pthread_barrier_wait(&barrier);
	pthread_barrier_wait(&barrier);
	return NULL;
}

static void test_no_buffer(void **state)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 2 * SUBBUF, .num_buffers = 1,
					     .mode = RHOOK_RECORDER_DISCARD, .num_subbuffers = 2 };
	struct rdr_proc proc;
	struct rdr_recfile f;
	char dir[PATH_MAX], path[PATH_MAX], err[256];
	pthread_t t;
	unsigned n = 0;

	(void)state;
	rt_tmpdir(dir, "nobuf");
	cfg.dir = dir;
	assert_int_equal(rhook_recorder_start(&cfg), 0);
	assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
	assert_int_equal(pthread_create(&t, NULL, owner, NULL), 0);
	pthread_barrier_wait(&barrier);
	for (unsigned i = 0; i < 50; i++)
		rhook_trace_flush_begin(1, i, 0);
	pthread_barrier_wait(&barrier);
	pthread_join(t, NULL);
	/* The owner exited: its buffer is taken over at the next event. */
	rhook_trace_flush_begin(1, 50, 0);
	assert_int_equal(rhook_recorder_stop(), 0);
	pthread_barrier_destroy(&barrier);

	memset(&proc, 0, sizeof(proc));
	if (rdr_recfile_open(&f, path, &proc, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	assert_int_equal(proc.lost.no_buffer, 50);
	for (uint32_t s = 0; s < f.num_streams; s++) {
		struct rdr_stream *st = rdr_recfile_stream(&f, s);

		while (st->next(st)) {
			const struct rhw_ev_flush_begin *e = st->ev.payload;

			/* The owner's event, then the main thread's after the takeover. */
			assert_int_equal(e->region_id, n ? 1 : 2);
			assert_int_equal(e->rows, n ? 50 : 0);
			n++;
		}
	}
	assert_int_equal(n, 2);
	rdr_recfile_close(&f);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discard),
		cmocka_unit_test(test_overwrite),
		cmocka_unit_test(test_no_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
