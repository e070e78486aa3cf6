/*
 * recorder_live.c - reading a trace while it is being written, and
 * starting and stopping the recorder under writers.
 *
 *   recorder_live [THREADS] [ROUNDS]      (default 2 threads, 20 rounds)
 *
 * Live reading: writer threads fill small overwrite rings nonstop while
 * rhook-read (another process) prints and counts the file, ROUNDS times.
 * Sub-buffers recycled under the reader are dropped and counted, never
 * decoded: every printed event must carry the values its thread wrote,
 * and each thread's events must come in increasing order.
 *
 * In-process live reading: the same, with the reader a thread of the
 * writers' process decoding the writers' own mapping, so that
 * ThreadSanitizer sees both sides of the protocol (recorder_format.h): every
 * word a live reader loads while a writer may store it must be an
 * atomic access ordered as the protocol says, or it reports a race.
 *
 * Half the writers (rounded down) have no per-thread buffer: they write
 * through the shared buffer(s), a buffer held per event, so that the
 * live readers read the shared path too (with up to 4 threads, one
 * shared buffer: each thread's events are in one stream).
 *
 * Start/stop churn: writers emit nonstop while the main thread starts and
 * stops the recorder ROUNDS times (a new file each time).  Every file
 * decodes without damage, every event is one a writer wrote, and no
 * more events are kept or counted lost than were emitted.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "reader/recfile.h"
#include "recorder_payload.h"
#include "rt.h"
#include "wire/events.h"

#define MAX_THREADS 16

static unsigned threads = 2, rounds = 20;
static atomic_int stop;
static atomic_ulong emitted;
static atomic_uint writing; /* writers that have emitted at least once */
static pthread_t writers[MAX_THREADS];
static bool writers_running;

/* Per-thread buffers for half the writers (see the top), at least one. */
static unsigned private_buffers(void)
{
	return threads > 1 ? (threads + 1) / 2 : 1;
}

/* Emits until told to stop; counts its emits once, at the end. */
static void *writer(void *arg)
{
	uint64_t t = (uint64_t)(uintptr_t)arg, seq = 0;
	struct timespec nap = { 0, 50000 };

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		rhook_trace_flush_begin(t + 1, seq, recorder_mix(t, seq));
		if (!seq)
			atomic_fetch_add(&writing, 1);
		/* Bursts of 64: the rings still turn over every few ms, and readers get a CPU. */
		if (!(++seq & 63))
			nanosleep(&nap, NULL);
	}
	atomic_fetch_add(&emitted, seq);
	return NULL;
}

static void start_writers(void)
{
	atomic_store(&stop, 0);
	atomic_store(&emitted, 0);
	atomic_store(&writing, 0);
	for (unsigned t = 0; t < threads; t++)
		assert_int_equal(pthread_create(&writers[t], NULL, writer, (void *)(uintptr_t)t), 0);
	writers_running = true;
}

static void stop_writers(void)
{
	atomic_store(&stop, 1);
	for (unsigned t = 0; writers_running && t < threads; t++)
		pthread_join(writers[t], NULL);
	writers_running = false;
}

/* After a test, even a failed one: no writer left, no recorder running. */
static int teardown(void **state)
{
	(void)state;
	stop_writers();
	rhook_recorder_stop();
	return 0;
}

/*
 * Checks one "print" output (its newlines are overwritten): consistent
 * values, increasing rows per thread.  Returns the number of events: a
 * live reader may find every sub-buffer recycled under it and print none.
 */
static size_t check_print(char *text)
{
	uint64_t last[MAX_THREADS] = { 0 };
	bool seen[MAX_THREADS] = { false };
	char *text_end = text + strlen(text);
	size_t n = 0;

	/*
	 * Line by line, with memchr(): strstr() or strchr() over the rest of
	 * a large output for each event would be quadratic (ASan's
	 * strict_string_checks measures the whole string at each call).
	 */
	for (char *line = text, *end; line < text_end; line = end ? end + 1 : text_end) {
		unsigned long long region, rows, bytes;
		const char *p;
		uint64_t t;

		/* The line alone for strstr() and sscanf() (which measures its input). */
		end = memchr(line, '\n', (size_t)(text_end - line));
		if (end)
			*end = '\0';
		p = strstr(line, "{ region_id = ");
		if (!p)
			continue;

		assert_int_equal(sscanf(p, "{ region_id = %llu, job_id = 0, rows = %llu, bytes = %llu", &region, &rows, &bytes), 3);
		t = region - 1;
		assert_true(t < threads);
		assert_int_equal(bytes, recorder_mix(t, rows));
		if (seen[t])
			assert_true(rows > last[t]);
		seen[t] = true;
		last[t] = rows;
		n++;
	}
	return n;
}

static void test_live_read(void **state)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 1024 * 1024, .num_buffers = private_buffers(),
					     .num_subbuffers = 16, .mode = RHOOK_RECORDER_OVERWRITE };
	char dir[PATH_MAX], path[PATH_MAX];
	size_t printed = 0;

	(void)state;
	rt_tmpdir(dir, "live");
	cfg.dir = dir;
	assert_int_equal(rhook_recorder_start(&cfg), 0);
	assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	start_writers();
	for (unsigned r = 0; r < rounds; r++) {
		char *argv[] = { (char *)rt_bin("rhook-read"), r % 2 ? "stats" : "print", path, NULL };
		char *out, *err;
		int st;

		argv[0] = strdup(argv[0]);
		st = rt_run(argv, NULL, &out, &err);
		if (st)
			fail_msg("rhook-read %s on a live trace: exit %d\n%s", argv[1], st, err);
		if (r % 2)
			assert_non_null(strstr(out, "damaged 0)"));
		else
			printed += check_print(out);
		free(argv[0]);
		free(out);
		free(err);
	}
	stop_writers();
	assert_int_equal(rhook_recorder_stop(), 0);
	/* Rings of 16 sub-buffers: over all rounds the reader gets to some of them. */
	assert_true(printed > 0);
	tc_rmtree(dir);
}

/* The address and length of this process's mapping of @path (/proc/self/maps). */
static void *find_mapping(const char *path, size_t *len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 256];
	void *found = NULL;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8], file[PATH_MAX + 1] = "";

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4096s", &lo, &hi, perms, file) == 4 && !strcmp(file, path) &&
		    perms[3] == 's') {
			found = (void *)lo;
			*len = hi - lo;
		}
	}
	fclose(f);
	return found;
}

struct inproc_reader {
	const void *map;
	size_t len;
	unsigned reads;
	/* Results, asserted by the main thread. */
	char failure[512];
	uint64_t events, damaged;
	uint64_t shared; /* of them read from a shared buffer */
};

static void *inproc_read(void *arg)
{
	struct inproc_reader *x = arg;

	for (unsigned r = 0; r < x->reads && !x->failure[0]; r++) {
		struct rdr_proc proc;
		struct rdr_recfile f;
		char err[256];

		memset(&proc, 0, sizeof(proc));
		if (rdr_recfile_init(&f, x->map, x->len, true, &proc, err, sizeof(err))) {
			snprintf(x->failure, sizeof(x->failure), "read %u: %s", r, err);
			break;
		}
		for (uint32_t i = 0; i < f.num_streams && !x->failure[0]; i++) {
			struct rdr_stream *st = rdr_recfile_stream(&f, i);
			/* In order within a stream: a shared-path writer's events may be in several. */
			uint64_t last[MAX_THREADS] = { 0 };
			bool seen[MAX_THREADS] = { false };

			while (st->next(st)) {
				const struct rhw_ev_flush_begin *e = st->ev.payload;
				uint64_t t = e->region_id - 1;

				if (t >= threads || e->bytes != recorder_mix(t, e->rows) || (seen[t] && e->rows <= last[t])) {
					snprintf(x->failure, sizeof(x->failure),
						 "read %u: a torn record: region %llu, rows %llu, bytes %llu", r,
						 (unsigned long long)e->region_id, (unsigned long long)e->rows,
						 (unsigned long long)e->bytes);
					break;
				}
				seen[t] = true;
				last[t] = e->rows;
				x->events++;
				x->shared += st->buffer >= f.hdr.num_buffers - f.hdr.num_shared;
			}
		}
		x->damaged += proc.lost.damaged;
		rdr_recfile_close(&f);
	}
	return NULL;
}

static void test_live_read_in_process(void **state)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 64 * 1024, .num_buffers = private_buffers(),
					     .num_subbuffers = 16, .mode = RHOOK_RECORDER_OVERWRITE };
	struct inproc_reader x = { .reads = 5 * rounds };
	char dir[PATH_MAX], path[PATH_MAX];
	pthread_t reader;

	(void)state;
	rt_tmpdir(dir, "inproc");
	cfg.dir = dir;
	assert_int_equal(rhook_recorder_start(&cfg), 0);
	assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	x.map = find_mapping(path, &x.len);
	assert_non_null(x.map);
	start_writers();
	/* Every writer, the shared-path ones too, has data in the file before the reads begin. */
	while (atomic_load(&writing) < threads)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	assert_int_equal(pthread_create(&reader, NULL, inproc_read, &x), 0);
	pthread_join(reader, NULL);
	stop_writers();
	assert_int_equal(rhook_recorder_stop(), 0);
	if (x.failure[0])
		fail_msg("%s", x.failure);
	assert_int_equal(x.damaged, 0);
	assert_true(x.events > 0);
	if (threads > 1)
		assert_true(x.shared > 0);
	tc_rmtree(dir);
}

static void test_start_stop_churn(void **state)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 64 * 1024, .num_buffers = private_buffers(),
					     .mode = RHOOK_RECORDER_DISCARD };
	struct dirent **names;
	char dir[PATH_MAX];
	uint64_t kept = 0, lost = 0;
	int n;

	(void)state;
	rt_tmpdir(dir, "churn");
	cfg.dir = dir;
	start_writers();
	for (unsigned r = 0; r < rounds; r++) {
		struct timespec pause_ns = { 0, 1000000 };

		assert_int_equal(rhook_recorder_start(&cfg), 0);
		nanosleep(&pause_ns, NULL);
		assert_int_equal(rhook_recorder_stop(), 0);
	}
	stop_writers();

	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + 300], err[256];
		struct rdr_proc proc;
		struct rdr_recfile f;

		if (strstr(names[i]->d_name, ".rhr")) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			memset(&proc, 0, sizeof(proc));
			if (rdr_recfile_open(&f, path, &proc, err, sizeof(err)))
				fail_msg("%s: %s", path, err);
			assert_int_equal(f.hdr.state, RHR_STATE_STOPPED);
			for (uint32_t s = 0; s < f.num_streams; s++) {
				struct rdr_stream *st = rdr_recfile_stream(&f, s);

				while (st->next(st)) {
					const struct rhw_ev_flush_begin *e = st->ev.payload;

					assert_true(e->region_id >= 1 && e->region_id <= threads);
					assert_int_equal(e->bytes, recorder_mix(e->region_id - 1, e->rows));
					kept++;
				}
			}
			assert_int_equal(proc.lost.damaged, 0);
			lost += proc.lost.discard + proc.lost.overwrite + proc.lost.no_buffer + proc.lost.nested;
			rdr_recfile_close(&f);
		}
		free(names[i]);
	}
	free(names);
	assert_true(kept > 0);
	assert_true(kept + lost <= atomic_load(&emitted));
	tc_rmtree(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_live_read, teardown),
		cmocka_unit_test_teardown(test_live_read_in_process, teardown),
		cmocka_unit_test_teardown(test_start_stop_churn, teardown),
	};

	if (argc > 1)
		threads = (unsigned)atoi(argv[1]);
	if (argc > 2)
		rounds = (unsigned)atoi(argv[2]);
	if (threads < 1 || threads > MAX_THREADS || rounds < 1) {
		fprintf(stderr, "usage: recorder_live [THREADS 1..%d] [ROUNDS]\n", MAX_THREADS);
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
