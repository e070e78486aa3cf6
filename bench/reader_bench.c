/*
 * reader_bench.c - rhook-bench-reader: rhook-read against babeltrace2, and
 * every subcommand on traces of three sizes, in one run (issue 15, section 3).
 *
 * Decoding against babeltrace2, on the middle trace (rhook-read reads the
 * recorder file, babeltrace2 its CTF export: the same events), each run a
 * whole process (start-up included, as a user sees it), the cases
 * interleaved round after round; events per second, median over rounds:
 *
 *   reader_stats_vs_babeltrace2  rhook-read stats        vs babeltrace2 -c sink.utils.dummy
 *   reader_print_vs_babeltrace2  rhook-read print        vs babeltrace2 (text), both to /dev/null
 *   reader_print_json            rhook-read print --json to a file (tmpfs)  vs rhook-read print
 *
 * Scaling: rhook-tracegen records three traces whose per-thread buffers
 * hold 16 MiB, 128 MiB and 1 GiB of events (4 threads, 2 regions each, a
 * buffer of 4 MiB, 32 MiB, 256 MiB per thread, discard mode, enough
 * rounds to fill them; the file also holds the recorder's shared
 * buffer, unused here), and times each subcommand on each:
 *
 *   reader_<cmd>_16mib, reader_<cmd>_128mib   seconds at those sizes (median over rounds;
 *                                             heaps and RSS: the largest over rounds)
 *   reader_<cmd>_1gib                         seconds at 1 GiB, with
 *       peak_heap_bytes, peak_rss_bytes, s_per_gib (per size), linear_ratio
 *       (s/GiB at 1 GiB / s/GiB at 128 MiB; 1 = linear), linear
 *       (linear_ratio <= 1.5), heap_ratio (peak heap at 1 GiB / at 128 MiB),
 *       streaming and heap_flat (heap_ratio <= 1.5) for the streaming ones
 *
 * for cmd in stats, print, print_json, files, amp, report (-o FILE.html),
 * export_perfetto (FILE), diff (the trace against itself).  Outputs go to
 * /dev/null, or to a file in the bench directory that is removed at once.
 *
 * Peak heap: the largest RssAnon (resident anonymous memory: malloc'ed
 * heap, anonymous mappings, stacks) read from /proc/PID/status every
 * millisecond while the command runs.  The trace's mapping is file (or
 * tmpfs shmem) memory and never counts; a peak shorter than a
 * millisecond can be missed, and a run that ends before the first sample
 * (a few ms, only with --quick's tiny traces) has none: null.  peak_rss_bytes is the kernel's exact peak
 * of everything (wait4's ru_maxrss), the mapped trace included.
 *
 * A command still running after RHOOK_BENCH_TIMEOUT seconds (default 60)
 * is killed; its figure says "timed_out": true with a null value, and the
 * report counts it as missed, never as a number.
 *
 * Traces live in RHOOK_BENCH_DIR, else /dev/shm (tmpfs), else TMPDIR/tmp,
 * in a private directory removed at the end.  The largest needs about
 * 1.3 GiB plus room for the largest output (a Perfetto file: about 2.5 GiB
 * at 1 GiB); with less free space it shrinks, halving, and says so on
 * stderr and in its figures ("trace_bytes", "shrunk").
 *
 * usage: rhook-bench-reader [--quick] [ROUNDS]
 *   ROUNDS (default 3, 1..64): rounds of the babeltrace2 legs and of the two
 *   smaller sizes; 1 GiB runs once.  --quick: traces of 1, 2 and 4 MiB and
 *   one round, for the test that checks the figures are all there (the
 *   names stay those of the full run).
 * Prints a table on stderr and one JSON object per figure on stdout.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "fsutil.h"
#include "proc.h"

#define MAX_ROUNDS 64
#define THREADS 4
#define REGIONS 2           /* per thread */
#define BYTES_PER_ROUND 850 /* recorded per region and round by rhook-tracegen (measured) */
#define LINEAR_LIMIT 1.5
#define HEAP_FLAT_LIMIT 1.5

static char bindir[PATH_MAX], root[PATH_MAX / 2];
static double timeout_s = 60;

static void die(const char *what)
{
	fprintf(stderr, "rhook-bench-reader: %s\n", what);
	if (root[0])
		tc_rmtree(root);
	exit(1);
}

/* ---- one measured run ---- */

struct run {
	double seconds;       /* wall */
	double peak_heap;     /* bytes, largest RssAnon sampled; NAN if it ended before the first sample */
	double peak_rss;      /* bytes, ru_maxrss */
	bool timed_out;
};

/* RssAnon of @pid in bytes, or -1 once it is gone. */
static double rss_anon(pid_t pid)
{
	char path[64], buf[4096];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "RssAnon:");
	return p ? strtod(p + 8, NULL) * 1024 : -1;
}

/*
 * Runs @argv, stdout to @out_fd (-1: /dev/null), timing it and sampling
 * its heap; kills it at the timeout; dies if it fails.
 */
static struct run measure_to(char *const argv[], int out_fd)
{
	int devnull = out_fd >= 0 ? fcntl(out_fd, F_DUPFD_CLOEXEC, 0) : open("/dev/null", O_WRONLY | O_CLOEXEC), st = 0;
	struct run r = { .peak_heap = NAN };
	struct rusage ru;
	uint64_t t0 = bench_now_ns(), deadline = t0 + (uint64_t)(timeout_s * 1e9);
	pid_t pid;

	if (devnull < 0 || tc_proc_spawn(argv, NULL, (const int[3]){ -1, devnull, -1 }, NULL, NULL, &pid))
		die(argv[0]);
	close(devnull);
	for (;;) {
		pid_t w = wait4(pid, &st, WNOHANG, &ru);
		double h;

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			die("wait4");
		h = rss_anon(pid);
		if (h >= 0 && !(h <= r.peak_heap))
			r.peak_heap = h;
		if (!r.timed_out && bench_now_ns() > deadline) {
			r.timed_out = true;
			kill(pid, SIGKILL);
		}
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	r.seconds = (double)(bench_now_ns() - t0) / 1e9;
	/* A run that ended after its deadline took too long too, killed or not. */
	r.timed_out = r.timed_out || r.seconds > timeout_s;
	r.peak_rss = (double)ru.ru_maxrss * 1024;
	if (!r.timed_out && (!WIFEXITED(st) || WEXITSTATUS(st))) {
		fprintf(stderr, "rhook-bench-reader: %s %s failed (status %d)\n", argv[0], argv[1], st);
		die("a measured command failed");
	}
	return r;
}

static struct run measure(char *const argv[])
{
	return measure_to(argv, -1);
}

/* ---- traces ---- */

struct trace {
	char label[16];    /* "16mib": the size it was asked to have */
	char path[PATH_MAX / 2 + 32];
	double data_bytes; /* per-thread buffers: the events' room */
	double file_bytes;
	double events;
	bool shrunk;
};

/* Events in the trace at @path, from rhook-read stats' first line. */
static double count_events(const char *path)
{
	char reader[PATH_MAX + 16], *out = NULL;
	double n = 0;

	snprintf(reader, sizeof(reader), "%s/rhook-read", bindir);
	if (tc_proc_run((char *[]){ reader, "stats", "--brief", (char *)path, NULL }, NULL, &out, NULL) || !out ||
	    sscanf(out, "rhook-read stats: %lf events", &n) != 1)
		die("rhook-read stats --brief");
	free(out);
	return n;
}

/* Bytes of the files in @dir (one level). */
static double dir_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	double sum = 0;

	if (!d)
		die("opendir");
	while ((e = readdir(d))) {
		struct stat st;

		if (!fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode))
			sum += (double)st.st_size;
	}
	closedir(d);
	return sum;
}

/*
 * Records a trace whose THREADS per-thread buffers hold @buffer bytes
 * each, halving @buffer while the bench directory has not room for the
 * file plus @spare_per_byte times its events' room.
 */
static void make_trace(struct trace *t, const char *label, uint64_t buffer, double spare_per_byte)
{
	char gen[PATH_MAX + 16], env_dir[PATH_MAX + 32], env_size[64], rounds[32];
	uint64_t want = buffer;
	struct statvfs vfs;

	snprintf(t->label, sizeof(t->label), "%s", label);
	snprintf(t->path, sizeof(t->path), "%s/%s", root, label);
	if (statvfs(root, &vfs))
		die("statvfs");
	while (buffer > (1u << 20) &&
	       (double)buffer * THREADS * (1.3 + spare_per_byte) > (double)vfs.f_bavail * (double)vfs.f_frsize)
		buffer /= 2;
	t->shrunk = buffer != want;
	if (t->shrunk)
		fprintf(stderr,
			"rhook-bench-reader: NOTE: not enough free space in %s for the %s trace: it shrank to %llu MiB "
			"of events (figures say \"shrunk\": true)\n",
			root, label, (unsigned long long)(buffer * THREADS >> 20));
	snprintf(gen, sizeof(gen), "%s/rhook-tracegen", bindir);
	snprintf(env_dir, sizeof(env_dir), "RHOOK_TRACE_DIR=%s", t->path);
	snprintf(env_size, sizeof(env_size), "RHOOK_TRACE_BUFFER_SIZE=%llu", (unsigned long long)buffer);
	/* 97 % of the rounds the buffers hold: nearly full, none discarded (babeltrace2 would warn of discards). */
	snprintf(rounds, sizeof(rounds), "%llu",
		 (unsigned long long)((double)buffer * 0.97 / (REGIONS * BYTES_PER_ROUND)) + 1);
	if (tc_proc_run_fd((char *[]){ gen, "--threads", "4", "--regions", "2", "--rounds", rounds, "--no-hook", NULL },
			   (char *[]){ env_dir, env_size, "RHOOK_TRACE_BUFFERS=4", "RHOOK_TRACE_MODE=discard",
				       "RHOOK_LTTNG=off", NULL },
			   -1, NULL, NULL))
		die("rhook-tracegen");
	t->data_bytes = (double)buffer * THREADS;
	t->file_bytes = dir_bytes(t->path);
	t->events = count_events(t->path);
	fprintf(stderr, "trace %s: %.0f events, %.0f MiB of events, file %.0f MiB, %s\n", label, t->events,
		t->data_bytes / (1 << 20), t->file_bytes / (1 << 20), t->path);
}

/* ---- subcommands on traces of three sizes ---- */

struct cmd {
	const char *name;
	bool streaming;    /* state bounded by regions and causes, not by the trace: heap must stay flat */
	const char *out;   /* the output file's suffix, NULL: stdout */
};

static const struct cmd cmds[] = {
	{ "stats", true, NULL },	  { "print", true, NULL },	{ "print_json", true, NULL },
	{ "files", false, NULL },	  { "amp", false, NULL },	{ "report", false, ".html" },
	{ "export_perfetto", false, ".pftrace" }, { "diff", true, NULL },
};
#define NUM_CMDS (sizeof(cmds) / sizeof(cmds[0]))
#define NUM_SIZES 3

/* rhook-read's argv for @c on @t, its output (if a file) at @out. */
static void argv_of(const struct cmd *c, const struct trace *t, char *reader, char *out, char *argv[8])
{
	char *tp = (char *)t->path;
	int n = 0;

	argv[n++] = reader;
	if (!strcmp(c->name, "print_json")) {
		argv[n++] = "print";
		argv[n++] = "--json";
	} else if (!strcmp(c->name, "report")) {
		argv[n++] = "report";
		argv[n++] = "-o";
		argv[n++] = out;
	} else if (!strcmp(c->name, "export_perfetto")) {
		argv[n++] = "export";
		argv[n++] = "--perfetto";
		argv[n++] = out;
	} else {
		argv[n++] = (char *)c->name;
	}
	argv[n++] = tp;
	if (!strcmp(c->name, "diff"))
		argv[n++] = tp; /* the trace against itself: both sides decoded and compared in full */
	argv[n] = NULL;
}

struct leg {
	struct run runs[MAX_ROUNDS];
	unsigned n;
	bool timed_out;
};

static struct leg legs[NUM_CMDS][NUM_SIZES];

/* Runs every subcommand @rounds times on @t (size index @s), interleaved round after round. */
static void scale_leg(const struct trace *t, int s, unsigned rounds)
{
	char reader[PATH_MAX + 16], out[PATH_MAX + 32];

	snprintf(reader, sizeof(reader), "%s/rhook-read", bindir);
	for (unsigned r = 0; r < rounds; r++) {
		for (size_t c = 0; c < NUM_CMDS; c++) {
			struct leg *l = &legs[c][s];
			char *argv[8];

			/* Timed out on a smaller trace: it would again, only later. */
			if (l->timed_out || (s && legs[c][s - 1].timed_out)) {
				l->timed_out = true;
				continue;
			}
			snprintf(out, sizeof(out), "%s/out%s", root, cmds[c].out ? cmds[c].out : "");
			argv_of(&cmds[c], t, reader, out, argv);
			l->runs[l->n] = measure(argv);
			if (cmds[c].out)
				unlink(out);
			if (l->runs[l->n].timed_out) {
				fprintf(stderr, "reader_%s_%s: TIMED OUT after %.0f s (missed)\n", cmds[c].name, t->label,
					timeout_s);
				l->timed_out = true;
				continue;
			}
			l->n++;
		}
	}
}

static double median_of(const struct leg *l, size_t off)
{
	double v[MAX_ROUNDS];

	for (unsigned i = 0; i < l->n; i++)
		v[i] = *(const double *)((const char *)&l->runs[i] + off);
	return l->n ? bench_median(v, l->n) : NAN;
}

/* The largest of a field over the rounds (NAN ones skipped; NAN if all are). */
static double peak_of(const struct leg *l, size_t off)
{
	double m = NAN;

	for (unsigned i = 0; i < l->n; i++) {
		double v = *(const double *)((const char *)&l->runs[i] + off);

		if (!isnan(v) && !(v <= m))
			m = v;
	}
	return m;
}

static void json_num(const char *key, double v)
{
	if (isfinite(v))
		printf(", \"%s\": %.6g", key, v);
	else
		printf(", \"%s\": null", key);
}

/* One figure per subcommand and size; the 1 GiB one carries linearity and heap. */
static void scale_report(const struct trace t[NUM_SIZES], bool quick)
{
	for (size_t c = 0; c < NUM_CMDS; c++) {
		double secs[NUM_SIZES], heap[NUM_SIZES], rss[NUM_SIZES], per_gib[NUM_SIZES];

		for (int s = 0; s < NUM_SIZES; s++) {
			const struct leg *l = &legs[c][s];

			secs[s] = l->timed_out ? NAN : median_of(l, offsetof(struct run, seconds));
			heap[s] = l->timed_out ? NAN : peak_of(l, offsetof(struct run, peak_heap));
			rss[s] = l->timed_out ? NAN : peak_of(l, offsetof(struct run, peak_rss));
			per_gib[s] = secs[s] / (t[s].data_bytes / (1u << 30));
		}
		for (int s = 0; s < NUM_SIZES; s++) {
			const struct leg *l = &legs[c][s];
			double lin = per_gib[2] / per_gib[1], hr = heap[2] / heap[1];
			double vmin = INFINITY, vmax = -INFINITY;

			for (unsigned i = 0; i < l->n; i++) {
				vmin = fmin(vmin, l->runs[i].seconds);
				vmax = fmax(vmax, l->runs[i].seconds);
			}
			printf("{\"name\": \"reader_%s_%s\"", cmds[c].name, t[s].label);
			json_num("value", secs[s]);
			printf(", \"unit\": \"s\"");
			if (s) {
				printf(", \"baseline\": \"reader_%s_%s\"", cmds[c].name, t[s - 1].label);
				json_num("baseline_value", secs[s - 1]);
				json_num("ratio", secs[s] / secs[s - 1]);
			} else {
				printf(", \"baseline\": \"\", \"baseline_value\": 0, \"ratio\": 0");
			}
			json_num("value_min", l->n ? vmin : NAN);
			json_num("value_max", l->n ? vmax : NAN);
			printf(", \"rounds\": %u, \"samples\": [", l->n);
			for (unsigned i = 0; i < l->n; i++)
				printf("%s%.6g", i ? ", " : "", l->runs[i].seconds);
			printf("], \"timed_out\": %s", l->timed_out ? "true" : "false");
			json_num("timeout_s", timeout_s);
			json_num("trace_bytes", t[s].data_bytes);
			json_num("file_bytes", t[s].file_bytes);
			json_num("events", t[s].events);
			json_num("mevents_per_s", t[s].events / secs[s] / 1e6);
			json_num("peak_heap_bytes", heap[s]);
			json_num("peak_rss_bytes", rss[s]);
			printf(", \"shrunk\": %s, \"quick\": %s", t[s].shrunk ? "true" : "false", quick ? "true" : "false");
			if (s == NUM_SIZES - 1) {
				printf(", \"s_per_gib\": {");
				for (int k = 0; k < NUM_SIZES; k++) {
					printf("%s\"%s\": ", k ? ", " : "", t[k].label);
					if (isfinite(per_gib[k]))
						printf("%.6g", per_gib[k]);
					else
						printf("null");
				}
				printf("}");
				json_num("linear_ratio", lin);
				printf(", \"linear\": %s", isfinite(lin) && lin <= LINEAR_LIMIT ? "true" : "false");
				json_num("heap_ratio", hr);
				printf(", \"streaming\": %s", cmds[c].streaming ? "true" : "false");
				if (cmds[c].streaming)
					printf(", \"heap_flat\": %s", isfinite(hr) && hr <= HEAP_FLAT_LIMIT ? "true" : "false");
			}
			printf("}\n");
			fprintf(stderr, "reader_%-16s_%-6s ", cmds[c].name, t[s].label);
			if (l->timed_out)
				fprintf(stderr, "TIMED OUT (> %.0f s)\n", timeout_s);
			else
				fprintf(stderr, "%8.3f s [%.3f, %.3f]  %6.1f s/GiB  %7.2f Mevents/s  heap %7.1f MiB  rss %7.1f MiB\n",
					secs[s], vmin, vmax, per_gib[s], t[s].events / secs[s] / 1e6, heap[s] / (1 << 20),
					rss[s] / (1 << 20));
		}
		fflush(stdout);
	}
}

/* ---- against babeltrace2 ---- */

enum { D_STATS, D_BT_DUMMY, D_PRINT, D_BT_TEXT, D_JSON, D_CASES };

/* Case @c against case @b as bench_report_rounds(), or a timed-out figure (no value) if either timed out. */
static void decode_report(const char *name, const char *baseline, double rate[][MAX_ROUNDS], int c, int b,
			  const bool timed_out[], unsigned rounds)
{
	if (!timed_out[c] && !timed_out[b]) {
		bench_report_rounds(name, "Mevents/s", baseline, rate[c], rate[b], rounds);
		return;
	}
	fprintf(stderr, "%-28s TIMED OUT (> %.0f s): missed\n", name, timeout_s);
	printf("{\"name\": \"%s\", \"value\": null, \"unit\": \"Mevents/s\", \"baseline\": \"%s\", "
	       "\"baseline_value\": null, \"ratio\": null, \"timed_out\": true, \"timeout_s\": %.6g}\n",
	       name, baseline, timeout_s);
	fflush(stdout);
}

/* Events per second of the decoding cases on @t, @rounds rounds interleaved. */
static void decode_legs(const struct trace *t, unsigned rounds)
{
	char reader[PATH_MAX + 16], ctf[PATH_MAX + 16], json[PATH_MAX + 16];
	double rate[D_CASES][MAX_ROUNDS];
	bool timed_out[D_CASES] = { false };
	char *tp = (char *)t->path;
	char *argv_json[] = { reader, "print", "--json", tp, NULL };

	snprintf(reader, sizeof(reader), "%s/rhook-read", bindir);
	snprintf(ctf, sizeof(ctf), "%s/ctf", root);
	snprintf(json, sizeof(json), "%s/print.json", root);
	if (tc_proc_run_fd((char *[]){ reader, "export", "--ctf", ctf, tp, NULL }, NULL, -1, NULL, NULL))
		die("rhook-read export --ctf");
	for (unsigned r = 0; r < rounds; r++) {
		char *const argv[D_CASES][6] = {
			[D_STATS] = { reader, "stats", tp, NULL },
			[D_BT_DUMMY] = { "babeltrace2", "-c", "sink.utils.dummy", ctf, NULL },
			[D_PRINT] = { reader, "print", tp, NULL },
			[D_BT_TEXT] = { "babeltrace2", ctf, NULL },
		};

		for (int c = 0; c < D_CASES; c++) {
			int fd = -1;
			struct run m;

			if (timed_out[c])
				continue; /* it would again */
			if (c == D_JSON) {
				/* To a file, as a user keeps it; a fresh one each round. */
				fd = open(json, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
				if (fd < 0)
					die("cannot create the JSON output file");
			}
			m = measure_to(c == D_JSON ? argv_json : argv[c], fd);
			if (fd >= 0) {
				close(fd);
				unlink(json);
			}
			timed_out[c] = m.timed_out;
			rate[c][r] = t->events / m.seconds / 1e6;
		}
	}
	tc_rmtree(ctf);
	fprintf(stderr, "decoding %.0f events (trace %s)\n", t->events, t->label);
	decode_report("reader_stats_vs_babeltrace2", "babeltrace2_dummy", rate, D_STATS, D_BT_DUMMY, timed_out, rounds);
	decode_report("reader_print_vs_babeltrace2", "babeltrace2_text", rate, D_PRINT, D_BT_TEXT, timed_out, rounds);
	decode_report("reader_print_json", "reader_print", rate, D_JSON, D_PRINT, timed_out, rounds);
}

int main(int argc, char **argv)
{
	static const char *const labels[NUM_SIZES] = { "16mib", "128mib", "1gib" };
	const uint64_t full[NUM_SIZES] = { 4u << 20, 32u << 20, 256u << 20 };
	const uint64_t tiny[NUM_SIZES] = { 256u << 10, 512u << 10, 1u << 20 };
	struct trace t[NUM_SIZES];
	bool quick = argc > 1 && !strcmp(argv[1], "--quick");
	int rounds = quick ? 1 : argc > 1 ? atoi(argv[1]) : 3;
	const char *tmo = getenv("RHOOK_BENCH_TIMEOUT");
	char self[PATH_MAX];
	ssize_t n;

	if (argc > 2 || rounds < 1 || rounds > MAX_ROUNDS)
		die("usage: rhook-bench-reader [--quick | ROUNDS 1..64]");
	if (tmo && (timeout_s = strtod(tmo, NULL)) <= 0)
		die("RHOOK_BENCH_TIMEOUT: seconds, > 0");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		die("readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(bindir, sizeof(bindir), "%.*s", (int)(strrchr(self, '/') - self), self);
	snprintf(root, sizeof(root), "%s/rhook-bench-reader-XXXXXX", bench_fast_dir());
	if (!mkdtemp(root)) {
		root[0] = '\0';
		die("mkdtemp in the bench directory");
	}
	fprintf(stderr, "rhook-bench-reader: %d rounds (1 GiB: 1), timeout %.0f s per command, traces in %s%s\n",
		rounds, timeout_s, root, quick ? " (quick: tiny traces)" : "");
	for (int s = 0; s < 2; s++)
		make_trace(&t[s], labels[s], (quick ? tiny : full)[s], 0);
	decode_legs(&t[1], (unsigned)rounds);
	scale_leg(&t[0], 0, (unsigned)rounds);
	scale_leg(&t[1], 1, (unsigned)rounds);
	/* Room for the largest output beside it: a Perfetto file is about 2.6 times the events' room. */
	make_trace(&t[2], labels[2], (quick ? tiny : full)[2], 2.6);
	scale_leg(&t[2], 2, 1);
	scale_report(t, quick);
	tc_rmtree(root);
	return 0;
}
