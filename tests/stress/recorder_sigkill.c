/*
 * recorder_sigkill.c - SIGKILL in the middle of heavy recording, many
 * times: nothing committed is lost, nothing torn is decoded.
 *
 *   recorder_sigkill [THREADS] [ROUNDS]      (default 3 threads, 24 rounds)
 *
 * Each round forks a child that records flush_begin events as fast as
 * its threads can, into small rings that wrap (overwrite) or fill
 * (discard), on the TSC and the monotonic clock in turn.  After each
 * emit returns, a thread publishes how many it completed in shared
 * memory.  The parent kills the child with SIGKILL at a random moment
 * and decodes its file:
 *   - every record decodes to the values its thread wrote (rows = its
 *     sequence number, bytes = a hash of thread and sequence): a torn
 *     record would break the hash or the sequence;
 *   - discard mode: each thread's events are 0..n-1 and, over all
 *     threads, kept + counted as lost = completed emits (+1 per thread
 *     for the emit in flight);
 *   - overwrite mode: each thread's events are consecutive and end with
 *     its last completed emit (or the one in flight).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "reader/recfile.h"
#include "recorder_payload.h"
#include "rt.h"
#include "wire/events.h"

#define MAX_THREADS 16
#define SUBBUFS 4u
#define BUFFER (256u * 1024u)
/* Events per thread before a kill: enough to wrap or fill the ring several times. */
#define WARMUP 30000u

static unsigned threads = 3, rounds = 24;

struct shared {
	_Atomic uint64_t done[MAX_THREADS]; /* emits completed, per thread */
	_Atomic int failed;                 /* the child could not start recording */
};

static struct shared *sh;

static void *writer(void *arg)
{
	uint64_t t = (uint64_t)(uintptr_t)arg;

	for (uint64_t seq = 0;; seq++) {
		rhook_trace_flush_begin(t + 1, seq, recorder_mix(t, seq));
		/* Published after the emit returned: pairs with the parent's read after the kill. */
		atomic_store_explicit(&sh->done[t], seq + 1, memory_order_release);
	}
	return NULL;
}

static void child(const char *dir, unsigned round)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .dir = dir, .buffer_size = BUFFER,
					     .num_buffers = threads, .num_subbuffers = SUBBUFS,
					     .mode = round % 2 ? RHOOK_RECORDER_OVERWRITE : RHOOK_RECORDER_DISCARD,
					     .clock = round % 4 < 2 ? RHOOK_RECORDER_CLOCK_TSC
								    : RHOOK_RECORDER_CLOCK_MONOTONIC };
	pthread_t t;

	if (rhook_recorder_start(&cfg) == -ENOTSUP) {
		cfg.clock = RHOOK_RECORDER_CLOCK_MONOTONIC;
		if (rhook_recorder_start(&cfg))
			atomic_store(&sh->failed, 1);
	}
	for (unsigned i = 0; i < threads; i++)
		if (pthread_create(&t, NULL, writer, (void *)(uintptr_t)i))
			atomic_store(&sh->failed, 1);
	for (;;)
		pause();
}

struct per_thread {
	uint64_t n, first, last;
};

/* Decodes the child's file and checks it against what the child completed. */
static void verify(const char *dir, pid_t pid, bool overwrite, const uint64_t *done)
{
	struct per_thread pt[MAX_THREADS];
	struct rdr_proc proc;
	struct rdr_recfile f;
	char path[PATH_MAX + 64], err[256];
	uint64_t kept = 0, completed = 0;

	snprintf(path, sizeof(path), "%s/rhook-%ld-0.rhr", dir, (long)pid);
	memset(&proc, 0, sizeof(proc));
	memset(pt, 0, sizeof(pt));
	if (rdr_recfile_open(&f, path, &proc, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	assert_int_equal(f.hdr.state, RHR_STATE_RECORDING); /* killed: never finished */
	for (uint32_t s = 0; s < f.num_streams; s++) {
		struct rdr_stream *st = rdr_recfile_stream(&f, s);

		while (st->next(st)) {
			const struct rhw_ev_flush_begin *e = st->ev.payload;
			uint64_t t = e->region_id - 1;

			assert_int_equal(st->ev.id, RHW_EV_flush_begin);
			assert_true(t < threads);
			assert_int_equal(e->bytes, recorder_mix(t, e->rows));
			if (pt[t].n)
				assert_int_equal(e->rows, pt[t].last + 1);
			else
				pt[t].first = e->rows;
			pt[t].last = e->rows;
			pt[t].n++;
		}
	}
	assert_int_equal(proc.lost.damaged, 0);
	for (unsigned t = 0; t < threads; t++) {
		assert_true(pt[t].n > 0);
		/* The newest committed event is there (or the one in flight made it). */
		if (overwrite)
			assert_true(pt[t].last + 1 == done[t] || pt[t].last == done[t]);
		else
			assert_int_equal(pt[t].first, 0);
		kept += pt[t].n;
		completed += done[t];
	}
	if (!overwrite) {
		/* Conservation: every completed emit is kept or counted; in-flight ones may be either. */
		assert_true(kept + proc.lost.discard >= completed);
		assert_true(kept + proc.lost.discard <= completed + threads);
	}
	rdr_recfile_close(&f);
}

static void test_sigkill(void **state)
{
	(void)state;
	srand((unsigned)getpid());
	for (unsigned round = 0; round < rounds; round++) {
		char dir[PATH_MAX];
		uint64_t done[MAX_THREADS];
		struct timespec delay = { 0, 0 };
		int status;
		pid_t pid;

		rt_tmpdir(dir, "sigkill");
		memset(sh, 0, sizeof(*sh));
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			child(dir, round);
		/* Wait for every thread to be well into recording, then kill at a random moment. */
		for (unsigned t = 0; t < threads; t++) {
			while (atomic_load_explicit(&sh->done[t], memory_order_acquire) < WARMUP) {
				if (atomic_load(&sh->failed) || waitpid(pid, &status, WNOHANG)) {
					kill(pid, SIGKILL);
					fail_msg("round %u: the child could not record", round);
				}
				usleep(1000);
			}
		}
		delay.tv_nsec = rand() % 5000000;
		nanosleep(&delay, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		for (unsigned t = 0; t < threads; t++)
			done[t] = atomic_load_explicit(&sh->done[t], memory_order_acquire);
		verify(dir, pid, round % 2, done);
		tc_rmtree(dir);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill),
	};

	if (argc > 1)
		threads = (unsigned)atoi(argv[1]);
	if (argc > 2)
		rounds = (unsigned)atoi(argv[2]);
	if (threads < 1 || threads > MAX_THREADS || rounds < 1) {
		fprintf(stderr, "usage: recorder_sigkill [THREADS 1..%d] [ROUNDS]\n", MAX_THREADS);
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
