/*
 * recorder_bench.c - the flight recorder and rhook-read against LTTng
 * and babeltrace2, side by side in one run:
 *
 *   recorder_event            recorder, 1 thread      vs LTTng-UST session (discard mode), 1 thread
 *   recorder_event_2_threads  recorder, 2 threads     vs LTTng-UST, 2 threads
 *   lttng_event               LTTng-UST, 1 thread     vs the recorder (the same pair, seen from LTTng)
 *   recorder_event_monotonic  recorder on CLOCK_MONOTONIC instead of the TSC, 1 thread, vs LTTng-UST
 *   recorder_event_ordered    recorder, an event stamped with an ordered TSC read (sst_file_written,
 *                             src/trace/emit.c), 1 thread  vs LTTng-UST, the same event
 *   lttng_event_sst           LTTng-UST, that event   vs the recorder
 *   recorder_event_shared_Nt  recorder, N = 4 x CPUs threads, all on the one shared buffer (the
 *                             slow path: a buffer held per event), wall ns per event of all threads
 *                             vs recorder_event_private_Nt
 *   recorder_event_private_Nt the same N threads, each with its own buffer (the fast path)
 *   tsc_read_rdtscp           one RDTSCP, the recorder's ordered TSC read  vs a bare RDTSC
 *   tsc_read_lfence_rdtsc     LFENCE; RDTSC, the other ordered read       vs a bare RDTSC
 *
 * rhook-read against babeltrace2 (reader_stats_vs_babeltrace2, ...) is
 * rhook-bench-reader's (reader_bench.c).
 *
 * Per-event costs: the same event (rhook:flush_end, no clock read of its
 * own; or rhook:sst_file_written, whose recorder timestamp waits for the
 * instructions before it, through rhook_sst_files_written() without a
 * registry) emitted through the public API in a loop, in a fresh worker
 * process per sample: LTTng workers load the provider (RHOOK_LTTNG=on)
 * under a session with one channel in discard mode, 4 MiB x 8
 * sub-buffers; recorder workers never load it and record into rings of
 * the same size in overwrite mode.  Samples of all cases alternate,
 * round after round; each case reports its median ns per event (per
 * thread, wall time, with 2 threads recording at once).
 *
 * TSC reads: each kind in a loop of its own, interleaved round after
 * round (bench_run); the median ns per read.
 *
 * usage: rhook-bench-recorder [ROUNDS]        (default 7)
 * Prints a table on stderr and one JSON object per figure on stdout
 * (name, value, unit, baseline, baseline_value, ratio, delta).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <x86intrin.h>

#include <rhook/hook.h>
#include <rhook/trace.h>

#include "bench.h"
#include "fsutil.h"
#include "lttngctl.h"
#include "proc.h"

#define MAX_ROUNDS 64
#define MAX_THREADS 64
#define ITERS 400000u  /* per thread per sample: fits LTTng's 32 MiB per-CPU ring, no discards */
#define WARMUP 20000u
/*
 * A recorder worker's warm-up: one whole pass over its ring (no record is
 * under 64 bytes), so that a sample times the steady state, not the first
 * touch of the mapped file's pages (a page fault per 36 to 64 events,
 * which made sst_file_written's figure 3x flush_end's).  An engine wraps
 * its rings many times; LTTng workers keep WARMUP: more would overflow
 * LTTng's discard-mode buffers.
 */
#define RECORDER_WARMUP (RING / 64u + WARMUP)
#define RING (32u << 20)


static char self[PATH_MAX], bindir[PATH_MAX];

static void die(const char *what)
{
	fprintf(stderr, "rhook-bench-recorder: %s\n", what);
	exit(1);
}

/* The session the workers run under: each joins its tracker before it execs (NULL: none). */
static struct tc_lttngctl *session;

/* Runs @argv with @env added, stdout to @out_fd (-1: /dev/null); dies if it cannot start. */
static int spawn(char *const argv[], char *const env[], int out_fd)
{
	int st = tc_proc_run_fd(argv, env, out_fd, session ? tc_lttngctl_track_hook : NULL, session ? session->name : NULL);

	if (st < 0)
		die(argv[0]);
	return st;
}

/* Runs @argv with @env added; returns its first line of output as a number (-1 if none). */
static double spawn_value(char *const argv[], char *const env[])
{
	char buf[128] = "";
	int fd[2];
	ssize_t n;

	if (pipe2(fd, O_CLOEXEC))
		die("pipe");
	if (spawn(argv, env, fd[1]))
		die("a worker failed");
	close(fd[1]);
	n = read(fd[0], buf, sizeof(buf) - 1);
	close(fd[0]);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? strtod(buf, NULL) : -1;
}

/* ---- worker: one sample of per-event cost ---- */

struct emitter {
	pthread_t thread;
	pthread_barrier_t *go;
	unsigned warmup;
	unsigned iters;
	bool sst;
};

static void emit_loop(unsigned n, uint64_t base, bool sst)
{
	struct rhook_file_meta fm = { .region_id = 7, .level = 1, .file_size = 4096 };
	struct rhook_sst_file f = { .file_meta = &fm };

	for (unsigned i = 0; i < n; i++) {
		if (sst) {
			fm.num_rows = base + i;
			rhook_sst_files_written(NULL, 7, NULL, &f, 1, RHOOK_ORIGIN_FLUSH);
		} else {
			rhook_trace_flush_end(0, base + i, i, i * 64u, 1, 0);
		}
		BENCH_BARRIER();
	}
}

static void *emitter(void *arg)
{
	struct emitter *e = arg;

	emit_loop(e->warmup, 1, e->sst); /* first events: buffer claim, registration, page faults */
	pthread_barrier_wait(e->go);
	emit_loop(e->iters, 2, e->sst);
	return NULL;
}

/*
 * Prints ns per event (per thread, wall clock) of @threads threads
 * emitting at once; @what: lttng, recorder or recorder-monotonic, with
 * "-sst" for sst_file_written events; recorder-shared (every thread on
 * the one shared buffer: the main thread holds the one per-thread
 * buffer) and recorder-private (a buffer each) print wall ns per event
 * of all threads' events.
 */
static int worker(const char *what, unsigned threads, const char *dir)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .dir = dir, .buffer_size = RING,
					     .num_buffers = threads, .num_subbuffers = 8,
					     .mode = RHOOK_RECORDER_OVERWRITE };
	struct emitter e[MAX_THREADS];
	pthread_barrier_t go;
	uint64_t t0, t1;
	bool recorder = strncmp(what, "lttng", 5) != 0, sst = strstr(what, "-sst") != NULL;
	bool shared = !strcmp(what, "recorder-shared"), all = shared || !strcmp(what, "recorder-private");

	if (!strcmp(what, "recorder-monotonic"))
		cfg.clock = RHOOK_RECORDER_CLOCK_MONOTONIC;
	if (shared)
		cfg.num_buffers = 1; /* and 1 + 1 / 8 = 1 shared buffer */
	if (threads < 1 || threads > (all ? MAX_THREADS : 2))
		die("worker: 1 or 2 threads (recorder-shared, -private: up to 64)");
	if (recorder ? rhook_lttng_loaded() : !rhook_lttng_loaded())
		die(recorder ? "worker: the LTTng provider is loaded" : "worker: the LTTng provider is not loaded");
	if (recorder && rhook_recorder_start(&cfg))
		die("worker: cannot start the recorder");
	if (shared)
		rhook_trace_flush_end(0, 1, 0, 0, 0, 0); /* the main thread takes the one per-thread buffer */
	pthread_barrier_init(&go, NULL, threads + 1);
	for (unsigned i = 0; i < threads; i++) {
		e[i] = (struct emitter){ .go = &go, .warmup = recorder ? RECORDER_WARMUP : WARMUP, .iters = ITERS,
					 .sst = sst };
		if (pthread_create(&e[i].thread, NULL, emitter, &e[i]))
			die("pthread_create");
	}
	pthread_barrier_wait(&go);
	t0 = bench_now_ns();
	for (unsigned i = 0; i < threads; i++)
		pthread_join(e[i].thread, NULL);
	t1 = bench_now_ns();
	if (recorder)
		rhook_recorder_stop();
	printf("%.4f\n", (double)(t1 - t0) / ITERS / (all ? threads : 1));
	return 0;
}

/* ---- parent: LTTng session, per-event cases ---- */

/* The LTTng session of the per-event cases: their two events only, discard mode, 4 MiB x 8 sub-buffers. */
static void session_begin(struct tc_lttngctl *s, char dir[PATH_MAX], const char *root)
{
	static const char *const channel[] = { "--discard", "--subbuf-size=4M", "--num-subbuf=8", NULL };
	struct tc_lttngctl_opts o = { .output_dir = dir, .channel = channel, .events = "rhook:flush_end,rhook:sst_file_written",
					 .start = true };

	snprintf(dir, PATH_MAX, "%s/lttng", root);
	if (tc_lttngctl_begin(s, &o))
		die("cannot set up the LTTng session");
}

/* Events in the trace at @dir, from rhook-read stats' first line. */
static double count_events(const char *dir)
{
	char reader[PATH_MAX + 16], tmp[] = "/tmp/rhook-bench-XXXXXX", buf[256] = "";
	int fd = mkstemp(tmp);
	double n = 0;

	snprintf(reader, sizeof(reader), "%s/rhook-read", bindir);
	if (fd < 0 || spawn((char *[]){ reader, "stats", (char *)dir, NULL }, NULL, fd))
		die("rhook-read stats");
	if (pread(fd, buf, sizeof(buf) - 1, 0) > 0)
		sscanf(buf, "rhook-read stats: %lf events", &n);
	close(fd);
	unlink(tmp);
	return n;
}

/* The LTTng samples measured real recording: every event is in the trace. */
static void check_lttng_trace(const char *dir, double expected)
{
	double got = count_events(dir);

	fprintf(stderr, "LTTng trace: %.0f of %.0f events recorded%s\n", got, expected,
		got < expected ? " (discards or a missed registration: the LTTng figures are not comparable)" : "");
}

enum {
	C_LTTNG_1,
	C_RECORDER_1,
	C_LTTNG_2,
	C_RECORDER_2,
	C_MONOTONIC_1,
	C_LTTNG_SST,
	C_RECORDER_SST,
	C_SHARED_N,
	C_PRIVATE_N,
	C_EVENT_CASES
};

/* 4 x the CPUs (at most MAX_THREADS), for the shared-path cases. */
static char oversubscribed[16];

/* Fills @samples[c][r]: case c's ns/event in round r. */
static void event_costs(int rounds, const char *root, double samples[C_EVENT_CASES][MAX_ROUNDS])
{
	static const char *const what[C_EVENT_CASES] = { "lttng", "recorder", "lttng", "recorder",
							  "recorder-monotonic", "lttng-sst", "recorder-sst",
							  "recorder-shared", "recorder-private" };
	const char *const nthreads[C_EVENT_CASES] = { "1", "1", "2", "2", "1", "1", "1", oversubscribed, oversubscribed };
	char recdir[PATH_MAX + 16], lttng_dir[PATH_MAX];
	struct tc_lttngctl s;

	snprintf(recdir, sizeof(recdir), "%s/rec-events", root);
	session_begin(&s, lttng_dir, root);
	session = &s;
	for (int r = 0; r < rounds; r++) {
		for (int c = 0; c < C_EVENT_CASES; c++) {
			char *argv[] = { self, "--worker", (char *)what[c], (char *)nthreads[c], recdir, NULL };
			char *env[] = { strncmp(what[c], "lttng", 5) ? "RHOOK_LTTNG=off" : "RHOOK_LTTNG=on", NULL };

			samples[c][r] = spawn_value(argv, env);
			/* Each recorder sample leaves a file of RING bytes per thread: keep the disk free. */
			tc_rmtree(recdir);
		}
	}
	session = NULL;
	tc_lttngctl_end(&s);
	/* Per round: 1 + 2 + 1 LTTng threads. */
	check_lttng_trace(lttng_dir, (double)rounds * 4 * (WARMUP + ITERS));
}

/* ---- TSC reads ---- */

static volatile uint64_t tsc_sink;

static void tsc_rdtscp(uint64_t iters, void *arg)
{
	uint64_t sum = 0;
	unsigned aux;

	(void)arg;
	for (uint64_t i = 0; i < iters; i++) {
		sum += __rdtscp(&aux);
		BENCH_BARRIER();
	}
	tsc_sink = sum;
}

static void tsc_lfence(uint64_t iters, void *arg)
{
	uint64_t sum = 0;

	(void)arg;
	for (uint64_t i = 0; i < iters; i++) {
		_mm_lfence();
		sum += __rdtsc();
		BENCH_BARRIER();
	}
	tsc_sink = sum;
}

enum { T_BARE, T_RDTSCP, T_LFENCE, T_CASES };

/* Runs the TSC read cases @c (T_CASES of them) for @rounds rounds. */
static void tsc_costs(int rounds, struct bench_case c[T_CASES])
{
	c[T_BARE] = (struct bench_case){ .name = "rdtsc", .run = bench_run_rdtsc };
	c[T_RDTSCP] = (struct bench_case){ .name = "rdtscp", .run = tsc_rdtscp };
	c[T_LFENCE] = (struct bench_case){ .name = "lfence_rdtsc", .run = tsc_lfence };
	bench_run(c, T_CASES, rounds, 2000000);
}

int main(int argc, char **argv)
{
	char root[] = "/tmp/rhook-bench-recorder-XXXXXX";
	static double ev[C_EVENT_CASES][MAX_ROUNDS];
	static struct bench_case tsc[T_CASES];
	int rounds = argc > 1 ? atoi(argv[1]) : 7;
	ssize_t n;

	if (argc == 5 && !strcmp(argv[1], "--worker"))
		return worker(argv[2], (unsigned)atoi(argv[3]), argv[4]);
	if (rounds < 1 || rounds > MAX_ROUNDS)
		die("usage: rhook-bench-recorder [ROUNDS 1..64]");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		die("readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(bindir, sizeof(bindir), "%.*s", (int)(strrchr(self, '/') - self), self);
	if (!mkdtemp(root))
		die("mkdtemp");

	{
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		unsigned want = cpus > 0 ? 4 * (unsigned)cpus : 4;

		snprintf(oversubscribed, sizeof(oversubscribed), "%u", want < MAX_THREADS ? want : MAX_THREADS);
	}
	fprintf(stderr, "rhook-bench-recorder: %d rounds; events of %u per thread per sample\n", rounds, ITERS);
	event_costs(rounds, root, ev);
	bench_report_rounds("recorder_event", "ns/event", "lttng_event", ev[C_RECORDER_1], ev[C_LTTNG_1], (unsigned)rounds);
	bench_report_rounds("recorder_event_2_threads", "ns/event", "lttng_event_2_threads", ev[C_RECORDER_2], ev[C_LTTNG_2], (unsigned)rounds);
	bench_report_rounds("lttng_event", "ns/event", "recorder_event", ev[C_LTTNG_1], ev[C_RECORDER_1], (unsigned)rounds);
	bench_report_rounds("lttng_event_2_threads", "ns/event", "recorder_event_2_threads", ev[C_LTTNG_2], ev[C_RECORDER_2], (unsigned)rounds);
	bench_report_rounds("recorder_event_monotonic", "ns/event", "lttng_event", ev[C_MONOTONIC_1], ev[C_LTTNG_1], (unsigned)rounds);
	bench_report_rounds("recorder_event_ordered", "ns/event", "lttng_event_sst", ev[C_RECORDER_SST], ev[C_LTTNG_SST], (unsigned)rounds);
	bench_report_rounds("lttng_event_sst", "ns/event", "recorder_event_ordered", ev[C_LTTNG_SST], ev[C_RECORDER_SST], (unsigned)rounds);
	{
		char shared[64], priv[64];

		snprintf(shared, sizeof(shared), "recorder_event_shared_%st", oversubscribed);
		snprintf(priv, sizeof(priv), "recorder_event_private_%st", oversubscribed);
		bench_report_rounds(shared, "ns/event", priv, ev[C_SHARED_N], ev[C_PRIVATE_N], (unsigned)rounds);
		bench_report_rounds(priv, "ns/event", "recorder_event", ev[C_PRIVATE_N], ev[C_RECORDER_1], (unsigned)rounds);
	}

	tsc_costs(rounds, tsc);
	bench_report_case("tsc_read_rdtscp", "ns/op", &tsc[T_RDTSCP], "tsc_read_rdtsc", &tsc[T_BARE]);
	bench_report_case("tsc_read_lfence_rdtsc", "ns/op", &tsc[T_LFENCE], "tsc_read_rdtsc", &tsc[T_BARE]);
	bench_report_case("tsc_read_rdtsc", "ns/op", &tsc[T_BARE], "tsc_read_rdtscp", &tsc[T_RDTSCP]);
	tc_rmtree(root);
	return 0;
}
