/*
 * recorder_killsteps.c - a writer killed (SIGKILL) at every step of the
 * recorder's write protocol, one step at a time: nothing torn is ever
 * decoded and no loss is under-reported.
 *
 *   recorder_killsteps [SPREAD]      (default 6 kills per point and mode)
 *
 * Linked with librhook-failpoints, librhook built with a named failpoint
 * between every store of the write path, of sub-buffer switching, of a
 * buffer's claim and of its hand-back at thread exit
 * (src/recorder/failpoint.h).  Nothing here knows the points or the file
 * layout: a census run of the workload learns which points exist and how
 * often each is hit; then, for each point and for hits spread over its
 * range (the first, the second, the third, ..., the last), a child runs
 * the same workload and kills itself when the point is reached that
 * many times.  The parent then decodes the child's file with rhook-read's
 * decoder and checks it against what the child attempted and completed
 * (kept in shared memory):
 *   - no damaged record, every record the one its thread wrote
 *     (flush_begin: region = thread + 1, rows = its sequence number,
 *     bytes = recorder_mix(thread, rows)), each thread's in order;
 *   - no event the child did not attempt;
 *   - discard mode keeps the oldest: each thread's events start at 0 and
 *     kept + counted lost >= completed emits (and <= attempted);
 *   - overwrite mode keeps the newest: each thread's last completed emit
 *     is there, and every missing older one is counted lost.
 *
 * And a shared buffer whose holder never finishes does not hang the
 * other threads (test_stuck_holder).
 *
 * The workload: thread 0 emits, exits (its buffer is handed back), then
 * thread 1 takes the buffer over, continues thread 0's sub-buffer after
 * a thread record, and emits; while it still owns the one per-thread
 * buffer, thread 2 then thread 3 emit through the one shared buffer
 * (held for each event; thread 3 continues after a thread record).  All
 * buffers have two small sub-buffers, so that they fill, switch and
 * (overwrite) recycle; in discard mode the shared one fills up (FULL,
 * then counted losses).  Every event must carry its own thread's tid.
 */
#define _GNU_SOURCE
#include <dirent.h>
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
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "reader/recfile.h"
#include "recorder_payload.h"
#include "rt.h"
#include "wire/events.h"

#define THREADS 4
#define EVENTS_0 150u /* thread 0: more than one sub-buffer */
#define EVENTS_1 250u /* thread 1: enough to fill (discard) or recycle (overwrite) */
#define EVENTS_SHARED 150u /* threads 2 and 3, together enough to fill or recycle the shared buffer */
#define MAX_POINTS 96

/* Set by the test, called by librhook-failpoints at each point. */
extern void (*rhook__failpoint_hook)(const char *name);

struct point {
	const char *name; /* librhook's string: same address in every child (fork) */
	uint64_t hits;
};

struct shared {
	_Atomic uint64_t attempted[THREADS]; /* emits begun */
	_Atomic uint64_t completed[THREADS]; /* emits returned */
	_Atomic int tid[THREADS];            /* each writer's tid */
	struct point points[MAX_POINTS];     /* census */
	unsigned num_points;
	int census_overflow;
};

static struct shared *sh;
static unsigned spread = 6;

/* The child's kill target: the @target_hit-th time point @target is reached. */
static const char *target;
static uint64_t target_hit, hits;

static void census(const char *name)
{
	unsigned i;

	for (i = 0; i < sh->num_points && sh->points[i].name != name; i++)
		;
	if (i == sh->num_points) {
		if (i == MAX_POINTS) {
			sh->census_overflow = 1;
			return;
		}
		sh->points[sh->num_points++].name = name;
	}
	sh->points[i].hits++;
}

static void kill_at(const char *name)
{
	if (name == target && ++hits == target_hit)
		kill(getpid(), SIGKILL);
}

/* Thread 1 keeps the per-thread buffer until the shared-path writers are done. */
static atomic_int release_owner;

static void *writer(void *arg)
{
	uint64_t t = (uint64_t)(uintptr_t)arg;
	unsigned n = t == 0 ? EVENTS_0 : t == 1 ? EVENTS_1 : EVENTS_SHARED;

	atomic_store(&sh->tid[t], gettid());
	for (uint64_t seq = 0; seq < n; seq++) {
		atomic_store(&sh->attempted[t], seq + 1);
		rhook_trace_flush_begin(t + 1, seq, recorder_mix(t, seq));
		atomic_store(&sh->completed[t], seq + 1);
	}
	while (t == 1 && !atomic_load(&release_owner))
		sched_yield();
	return NULL;
}

/* The workload, in a child; never returns. */
static void child(const char *dir, bool overwrite, void (*hook)(const char *))
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .dir = dir, .buffer_size = 8192, .num_buffers = 1,
					     .num_subbuffers = 2,
					     .mode = overwrite ? RHOOK_RECORDER_OVERWRITE : RHOOK_RECORDER_DISCARD,
					     .clock = RHOOK_RECORDER_CLOCK_MONOTONIC };

	rhook__failpoint_hook = hook;
	if (rhook_recorder_start(&cfg))
		_exit(3);
	pthread_t owner, th;

	if (pthread_create(&th, NULL, writer, (void *)0) || pthread_join(th, NULL))
		_exit(4);
	if (pthread_create(&owner, NULL, writer, (void *)1))
		_exit(4);
	while (atomic_load(&sh->completed[1]) < EVENTS_1)
		sched_yield();
	for (uintptr_t t = 2; t < THREADS; t++)
		if (pthread_create(&th, NULL, writer, (void *)t) || pthread_join(th, NULL))
			_exit(4);
	atomic_store(&release_owner, 1);
	if (pthread_join(owner, NULL))
		_exit(4);
	rhook__failpoint_hook = NULL;
	_exit(rhook_recorder_stop() ? 5 : 0);
}

/* The one recorder file in @dir into @path; false if there is none. */
static bool find_file(const char *dir, char *path, size_t size)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	bool found = false;

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (strstr(names[i]->d_name, ".rhr")) {
			assert_false(found);
			snprintf(path, size, "%s/%s", dir, names[i]->d_name);
			found = true;
		}
		free(names[i]);
	}
	free(names);
	return found;
}

struct seen {
	uint64_t n, first, last;
};

/* Decodes the file a child left in @dir and checks it against sh (see the top). */
static void verify(const char *dir, bool overwrite, const char *what)
{
	struct seen seen[THREADS];
	struct rdr_proc proc;
	struct rdr_recfile f;
	char path[PATH_MAX + 300], err[256];
	uint64_t kept = 0, lost, attempted = 0, completed = 0;
	int ret;

	memset(seen, 0, sizeof(seen));
	memset(&proc, 0, sizeof(proc));
	for (unsigned t = 0; t < THREADS; t++) {
		attempted += atomic_load(&sh->attempted[t]);
		completed += atomic_load(&sh->completed[t]);
	}
	if (!find_file(dir, path, sizeof(path))) {
		/* Killed before the file existed: nothing recorded, nothing attempted. */
		if (attempted)
			fail_msg("%s: no file, but %llu emits were attempted", what, (unsigned long long)attempted);
		return;
	}
	ret = rdr_recfile_open(&f, path, &proc, err, sizeof(err));
	if (ret == -ENODATA && !attempted)
		return; /* killed while writing its header: nothing was attempted yet */
	if (ret)
		fail_msg("%s: %s: %s", what, path, err);
	assert_false(f.live); /* the writer is dead: its lock is gone */
	for (uint32_t s = 0; s < f.num_streams; s++) {
		struct rdr_stream *st = rdr_recfile_stream(&f, s);

		while (st->next(st)) {
			const struct rhw_ev_flush_begin *e = st->ev.payload;
			uint64_t t = e->region_id - 1;

			if (st->ev.id != RHW_EV_flush_begin || t >= THREADS || e->bytes != recorder_mix(t, e->rows))
				fail_msg("%s: a torn or foreign record was decoded (event %u, region %llu, rows %llu)", what,
					 st->ev.id, (unsigned long long)e->region_id, (unsigned long long)e->rows);
			if ((int)st->ev.tid != atomic_load(&sh->tid[t]))
				fail_msg("%s: thread %llu's event %llu has tid %u, want %d", what, (unsigned long long)t,
					 (unsigned long long)e->rows, st->ev.tid, atomic_load(&sh->tid[t]));
			if (seen[t].n && e->rows != seen[t].last + 1)
				fail_msg("%s: thread %llu: event %llu after %llu", what, (unsigned long long)t,
					 (unsigned long long)e->rows, (unsigned long long)seen[t].last);
			if (!seen[t].n)
				seen[t].first = e->rows;
			seen[t].last = e->rows;
			seen[t].n++;
			if (e->rows >= atomic_load(&sh->attempted[t]))
				fail_msg("%s: thread %llu: event %llu was never attempted", what, (unsigned long long)t,
					 (unsigned long long)e->rows);
		}
	}
	if (proc.lost.damaged)
		fail_msg("%s: %llu damaged records", what, (unsigned long long)proc.lost.damaged);
	lost = proc.lost.discard + proc.lost.overwrite + proc.lost.no_buffer + proc.lost.nested;
	for (unsigned t = 0; t < THREADS; t++)
		kept += seen[t].n;
	if (!overwrite) {
		for (unsigned t = 0; t < THREADS; t++)
			if (seen[t].n && seen[t].first != 0)
				fail_msg("%s: discard mode lost thread %u's oldest events", what, t);
		if (kept + lost < completed)
			fail_msg("%s: %llu kept + %llu counted lost < %llu completed: a loss was not reported", what,
				 (unsigned long long)kept, (unsigned long long)lost, (unsigned long long)completed);
		if (kept + lost > attempted)
			fail_msg("%s: %llu kept + %llu lost > %llu attempted", what, (unsigned long long)kept,
				 (unsigned long long)lost, (unsigned long long)attempted);
	} else {
		uint64_t missing = 0;
		int newest = -1;

		for (unsigned t = 0; t < THREADS; t++) {
			uint64_t done = atomic_load(&sh->completed[t]);

			/* A thread with events kept has its newest completed one kept (older ones go first)... */
			if (seen[t].n && seen[t].last + 1 < done)
				fail_msg("%s: thread %u: its last completed event %llu is missing", what, t,
					 (unsigned long long)(done - 1));
			if (done)
				newest = (int)t;
			missing += seen[t].n ? seen[t].first : done;
		}
		/* ...and the newest completed event of all is kept. */
		if (newest >= 0 && !seen[newest].n)
			fail_msg("%s: thread %d's events are all missing, the newest of the trace among them", what,
				 newest);
		if (lost < missing)
			fail_msg("%s: %llu older events are missing but only %llu are counted lost", what,
				 (unsigned long long)missing, (unsigned long long)lost);
	}
	rdr_recfile_close(&f);
}

/* Runs one child (census if @point is NULL) and returns how it ended. */
static int run_child(const char *dir, bool overwrite, const char *point, uint64_t hit)
{
	int status;
	pid_t pid;

	for (unsigned t = 0; t < THREADS; t++) {
		atomic_store(&sh->attempted[t], 0);
		atomic_store(&sh->completed[t], 0);
		atomic_store(&sh->tid[t], 0);
	}
	target = point;
	target_hit = hit;
	hits = 0;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child(dir, overwrite, point ? kill_at : census);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static bool has_point(const struct point *points, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(points[i].name, name))
			return true;
	return false;
}

static void kill_every_step(bool overwrite)
{
	const char *mode = overwrite ? "overwrite" : "discard";
	struct point points[MAX_POINTS];
	unsigned num_points, kills = 0;
	char dir[PATH_MAX];
	int status;

	/* Census: the points of this mode's workload and how often each is hit. */
	rt_tmpdir(dir, "killsteps");
	sh->num_points = 0;
	memset(sh->points, 0, sizeof(sh->points));
	status = run_child(dir, overwrite, NULL, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("%s: the census child failed (status %#x)", mode, status);
	assert_false(sh->census_overflow);
	verify(dir, overwrite, mode); /* and the run that was not killed is right too */
	tc_rmtree(dir);
	num_points = sh->num_points;
	memcpy(points, sh->points, sizeof(points));
	/* The protocol's steps must all be there: a build without failpoints proves nothing. */
	assert_true(num_points >= 10);
	/* The workload takes every path: a takeover, the shared buffer, thread records, a full shared ring. */
	{
		static const char *const must[] = { "claim.taken", "exit.retired", "thread.commit", "shared.held",
						    "shared.tid", "shared.released" };
		static const char *const must_discard[] = { "shared.full", "shared.lost", "discard.lost" };

		for (size_t k = 0; k < sizeof(must) / sizeof(must[0]); k++)
			if (!has_point(points, num_points, must[k]))
				fail_msg("%s: the workload never reached %s", mode, must[k]);
		for (size_t k = 0; !overwrite && k < sizeof(must_discard) / sizeof(must_discard[0]); k++)
			if (!has_point(points, num_points, must_discard[k]))
				fail_msg("%s: the workload never reached %s", mode, must_discard[k]);
		if (overwrite && !has_point(points, num_points, "recycle.seq0"))
			fail_msg("%s: the workload never recycled a sub-buffer", mode);
	}

	for (unsigned i = 0; i < num_points; i++) {
		uint64_t last = 0;

		for (unsigned k = 0; k < spread; k++) {
			/* 1, 2, 3, then evenly up to the last hit. */
			uint64_t hit = k < 3 ? k + 1 : 1 + (points[i].hits - 1) * (k - 2) / (spread - 3);
			char what[256];

			if (hit > points[i].hits || hit <= last)
				continue;
			last = hit;
			snprintf(what, sizeof(what), "%s mode, killed at %s (hit %llu of %llu)", mode, points[i].name,
				 (unsigned long long)hit, (unsigned long long)points[i].hits);
			rt_tmpdir(dir, "killsteps");
			status = run_child(dir, overwrite, points[i].name, hit);
			if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
				fail_msg("%s: the child was not killed there (status %#x)", what, status);
			verify(dir, overwrite, what);
			tc_rmtree(dir);
			kills++;
		}
	}
	fprintf(stderr, "recorder_killsteps: %s mode: %u points, %u kills, every file checked\n", mode, num_points,
		kills);
}

/*
 * A holder that never finishes (here: a failpoint that jumps out of the
 * emit, as a signal handler's siglongjmp() would) keeps the one shared
 * buffer forever.  Another thread on the shared path must not hang: its
 * event is dropped after about a second and counted as no_buffer.  In a
 * child: the jump leaves its thread inside a read-side section, which a
 * stop would wait for forever.
 */
static sigjmp_buf stuck_jb;
static atomic_int stuck_armed, owner_ready;

static void jump_out(const char *name)
{
	if (atomic_load(&stuck_armed) && !strcmp(name, "shared.held")) {
		atomic_store(&stuck_armed, 0);
		siglongjmp(stuck_jb, 1);
	}
}

static void *buffer_owner(void *arg)
{
	(void)arg;
	rhook_trace_flush_begin(1, 0, recorder_mix(0, 0)); /* takes the one per-thread buffer */
	atomic_store(&owner_ready, 1);
	for (;;)
		pause();
	return NULL;
}

static void *late_writer(void *arg)
{
	(void)arg;
	rhook_trace_flush_begin(3, 0, recorder_mix(2, 0));
	return NULL;
}

static void test_stuck_holder(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], err[256];
	struct rdr_proc proc;
	struct rdr_recfile f;
	int status;
	pid_t pid;

	(void)state;
	rt_tmpdir(dir, "stuck");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rhook_recorder_config cfg = { .size = sizeof(cfg), .dir = dir, .buffer_size = 8192,
						     .num_buffers = 1, .num_subbuffers = 2 };
		pthread_t owner, late;

		alarm(30); /* a hang fails the test */
		if (rhook_recorder_start(&cfg) || pthread_create(&owner, NULL, buffer_owner, NULL))
			_exit(3);
		while (!atomic_load(&owner_ready))
			sched_yield();
		rhook__failpoint_hook = jump_out;
		atomic_store(&stuck_armed, 1);
		if (!sigsetjmp(stuck_jb, 1))
			rhook_trace_flush_begin(2, 0, recorder_mix(1, 0));
		rhook__failpoint_hook = NULL;
		if (atomic_load(&stuck_armed))
			_exit(4); /* never got to the shared buffer */
		/* This thread is stuck inside its emit now; another one writes. */
		if (pthread_create(&late, NULL, late_writer, NULL) || pthread_join(late, NULL))
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("the child did not finish (status %#x): a shared-path writer hung on a stuck holder", status);
	assert_true(find_file(dir, path, sizeof(path)));
	memset(&proc, 0, sizeof(proc));
	if (rdr_recfile_open(&f, path, &proc, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	assert_int_equal(proc.lost.no_buffer, 1);
	assert_int_equal(proc.lost.damaged, 0);
	rdr_recfile_close(&f);
	tc_rmtree(dir);
}

static void test_discard(void **state)
{
	(void)state;
	kill_every_step(false);
}

static void test_overwrite(void **state)
{
	(void)state;
	kill_every_step(true);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discard),
		cmocka_unit_test(test_overwrite),
		cmocka_unit_test(test_stuck_holder),
	};

	if (argc > 1)
		spread = (unsigned)atoi(argv[1]);
	if (spread < 4 || spread > 64) {
		fprintf(stderr, "usage: recorder_killsteps [SPREAD 4..64]\n");
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
