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
 * The workload: thread 0 emits, exits (its buffer is handed back), then
 * thread 1 takes the buffer over and emits; one buffer of two small
 * sub-buffers, so that both fill, switch and (overwrite) recycle.
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
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "reader/recfile.h"
#include "recorder_payload.h"
#include "rt.h"
#include "wire/events.h"

#define THREADS 2
#define EVENTS_0 150u /* thread 0: more than one sub-buffer */
#define EVENTS_1 250u /* thread 1: enough to fill (discard) or recycle (overwrite) */
#define MAX_POINTS 64

/* Set by the test, called by librhook-failpoints at each point. */
extern void (*rhook__failpoint_hook)(const char *name);

struct point {
	const char *name; /* librhook's string: same address in every child (fork) */
	uint64_t hits;
};

struct shared {
	_Atomic uint64_t attempted[THREADS]; /* emits begun */
	_Atomic uint64_t completed[THREADS]; /* emits returned */
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

static void *writer(void *arg)
{
	uint64_t t = (uint64_t)(uintptr_t)arg;
	unsigned n = t ? EVENTS_1 : EVENTS_0;

	for (uint64_t seq = 0; seq < n; seq++) {
		atomic_store(&sh->attempted[t], seq + 1);
		rhook_trace_flush_begin(t + 1, seq, recorder_mix(t, seq));
		atomic_store(&sh->completed[t], seq + 1);
	}
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
	for (uintptr_t t = 0; t < THREADS; t++) {
		pthread_t th;

		if (pthread_create(&th, NULL, writer, (void *)t) || pthread_join(th, NULL))
			_exit(4);
	}
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
