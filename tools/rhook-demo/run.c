/*
 * run.c - rhook-demo run: a mixed LSM workload on the reference engine,
 * recorded by the embedded flight recorder.
 *
 * Writer threads put rows into several regions while the main thread
 * schedules flushes and local compactions on the engine's workers and,
 * spread over the run, every other operation of the coverage table: a
 * remote compaction through rhook-compactor, a region edit (ingestion),
 * a copy, a staging round, an alter, a truncate, an index build, plus GC
 * and checkpoints.  At the end it checks the trace against the contract
 * (rhook-read check, whose removed-live-file rule proves no live file was
 * deleted) and prints a summary (rhook-read stats, and the write
 * amplification: rhook-read amp --brief).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "demo.h"
#include "engine.h"
#include "lttngctl.h"

#define MAX_WRITER_REGIONS 64
#define MAX_WRITERS 64
/* Level-0 files that trigger a compaction (the engine's and rhook-compactor's default). */
#define DEMO_L0_TRIGGER 2

struct options {
	double seconds;
	unsigned regions; /* regions the writers fill */
	unsigned writers;
	const char *dir;
	const char *trace_dir;
	bool recorder;
	bool quiet;
	bool relayd;
	uint64_t persist_delay_ns;
};

/* Counted by the demo's own hook; callbacks run on any engine thread. */
static atomic_ulong sst_files_seen, manifest_updates_seen;

static void on_sst(void *priv, rhook_region_id id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t n)
{
	(void)priv, (void)id, (void)meta, (void)files;
	atomic_fetch_add_explicit(&sst_files_seen, n, memory_order_relaxed);
}

static void on_manifest(void *priv, rhook_region_id id, const struct rhook_action_list *actions, uint64_t v)
{
	(void)priv, (void)id, (void)actions, (void)v;
	atomic_fetch_add_explicit(&manifest_updates_seen, 1, memory_order_relaxed);
}

struct demo {
	struct options opt;
	char dir[PATH_MAX];
	char trace[PATH_MAX];
	struct lsm_engine *engine;
	struct rhook_registry *registry;
	struct lsm_region *regions[MAX_WRITER_REGIONS];
	struct lsm_region *copy_target; /* receives copies; no writers */
	struct lsm_region *staging;     /* staging rounds; no writers */
	atomic_bool stop;
	atomic_ulong rows;
	unsigned long flushes, compactions, remote_compactions, specials, failures;
	uint64_t schema_version;
	unsigned ingest_seq;
};

struct writer {
	struct demo *d;
	unsigned id;
	pthread_t thread;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reports a failed engine call; the demo goes on (the trace shows it). */
static int note(struct demo *d, const char *what, int err)
{
	if (err) {
		d->failures++;
		fprintf(stderr, "\nrhook-demo: %s: %s\n", what, lsm_engine_errmsg());
	}
	return err;
}

static void region_meta(struct rhook_region_meta *meta, rhook_region_id id, uint64_t schema_version, bool extra)
{
	static struct rhook_column cols[] = {
		{ 0, "host", RHOOK_COLUMN_STRING, RHOOK_SEMANTIC_TAG, false },
		{ 1, "ts", RHOOK_COLUMN_TIMESTAMP, RHOOK_SEMANTIC_TIMESTAMP, false },
		{ 2, "usage", RHOOK_COLUMN_FLOAT64, RHOOK_SEMANTIC_FIELD, true },
		{ 3, "region_note", RHOOK_COLUMN_STRING, RHOOK_SEMANTIC_FIELD, true },
	};
	static uint32_t pk[] = { 0 };

	*meta = (struct rhook_region_meta){
		.region_id = id,
		.schema_version = schema_version,
		.columns = cols,
		.num_columns = extra ? 4 : 3,
		.primary_key = pk,
		.num_primary_key = 1,
		.sst_format = RHOOK_SST_FORMAT_PRIMARY_KEY,
	};
}

/* Rows for a writer batch or a pre-written file: keys host-N, values of a few dozen bytes. */
static void make_rows(struct lsm_row *rows, char (*keys)[16], char (*vals)[48], size_t n, unsigned *seed,
		      int64_t ts_base)
{
	for (size_t i = 0; i < n; i++) {
		int kl = snprintf(keys[i], sizeof(keys[i]), "host-%u", rand_r(seed) % 512);
		int vl = snprintf(vals[i], sizeof(vals[i]), "usage=%u.%02u", rand_r(seed) % 100, rand_r(seed) % 100);

		rows[i] = (struct lsm_row){ .ts = ts_base + (int64_t)i, .key = (const uint8_t *)keys[i],
					      .key_len = (uint32_t)kl, .value = (const uint8_t *)vals[i],
					      .value_len = (uint32_t)vl };
	}
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct demo *d = w->d;
	unsigned seed = 0x5eed + w->id;
	struct lsm_row rows[128];
	char keys[128][16], vals[128][48];
	int64_t ts = 1700000000000LL + (int64_t)w->id * 1000000000LL;
	const struct timespec pause = { 0, 2000000 };

	while (!atomic_load_explicit(&d->stop, memory_order_relaxed)) {
		struct lsm_region *r = d->regions[rand_r(&seed) % d->opt.regions];
		uint64_t last;

		make_rows(rows, keys, vals, 128, &seed, ts);
		ts += 128;
		/* A region between roles may refuse writes for a moment: that is not an error. */
		if (!lsm_region_put(r, rows, 128, &last))
			atomic_fetch_add_explicit(&d->rows, 128, memory_order_relaxed);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* Writes @n standalone SST files for an edit or a staging round; their paths in @paths. */
static int prewrite(struct demo *d, char (*paths)[PATH_MAX], size_t n)
{
	unsigned seed = d->ingest_seq * 7919u;
	struct lsm_row rows[256];
	char keys[256][16], vals[256][48];

	for (size_t i = 0; i < n; i++) {
		if (snprintf(paths[i], PATH_MAX, "%s/ingest/batch-%u.sst", d->dir, d->ingest_seq++) >= PATH_MAX)
			return note(d, "name a file to ingest", -ENAMETOOLONG);
		make_rows(rows, keys, vals, 256, &seed, 1600000000000LL + (int64_t)d->ingest_seq * 1000);
		if (note(d, "write a file to ingest", lsm_sst_write_file(paths[i], rows, 256)))
			return -1;
	}
	return 0;
}

static void op_remote_compaction(struct demo *d)
{
	char program[PATH_MAX];
	struct lsm_remote_compaction req = { .size = sizeof(req), .program = program,
					      /* under rhook-demo --lttng-relayd: into its session */
					      .before_exec = tc_lttngctl_track_inherited };
	struct lsm_region_op_result res;

	snprintf(program, sizeof(program), "%s/rhook-compactor", rhook_demo_exe_dir());
	/* Region 0 gets no local compaction: the compactor has its level 0 to itself. */
	if (!note(d, "flush before remote compaction", lsm_region_flush(d->regions[0], NULL)) &&
	    !note(d, "remote compaction", lsm_region_compact_remote(d->regions[0], &req, &res)) && res.version)
		d->remote_compactions++;
}

/*
 * Fills level 0 of @r with @files flushed files of fresh rows, so that a
 * compaction has its trigger's worth of inputs whatever the writers and
 * the background jobs managed (a loaded machine may give them little
 * time).  0 or the engine's error.
 */
static int fill_level0(struct demo *d, struct lsm_region *r, unsigned files)
{
	struct lsm_row rows[128];
	char keys[128][16], vals[128][48];
	unsigned seed = 0xf111 + d->ingest_seq;
	uint64_t last;
	int err = 0;

	for (unsigned i = 0; i < files && !err; i++) {
		make_rows(rows, keys, vals, 128, &seed, 1650000000000LL + (int64_t)d->ingest_seq++ * 1000);
		err = lsm_region_put(r, rows, 128, &last);
		if (!err)
			err = lsm_region_flush(r, NULL);
	}
	return err;
}

/*
 * The end of a run: one local and one remote compaction that commit,
 * whatever happened before, so that every cause of the coverage table is
 * in every trace (the background compactions are best effort: under load
 * they may find too few level-0 files or not run before the end).
 */
static void final_compactions(struct demo *d)
{
	struct lsm_region_op_result res = { 0 };

	if (!note(d, "fill level 0 before the final compaction", fill_level0(d, d->regions[1], DEMO_L0_TRIGGER)) &&
	    !note(d, "final compaction", lsm_region_compact(d->regions[1], &res)) && res.version)
		d->compactions++;
	if (!d->remote_compactions &&
	    !note(d, "fill level 0 before the final remote compaction", fill_level0(d, d->regions[0], DEMO_L0_TRIGGER)))
		op_remote_compaction(d);
	if (!d->remote_compactions) {
		d->failures++;
		fprintf(stderr, "\nrhook-demo: the remote compaction committed nothing\n");
	}
}

static void op_ingest(struct demo *d)
{
	char paths[2][PATH_MAX];
	const char *p[2] = { paths[0], paths[1] };

	if (!prewrite(d, paths, 2))
		note(d, "region edit (ingest)", lsm_region_ingest(d->regions[1 % d->opt.regions], p, 2));
}

static void op_copy(struct demo *d)
{
	note(d, "copy region", lsm_region_copy_files(d->copy_target, d->regions[1 % d->opt.regions], NULL, 0));
}

static void op_staging(struct demo *d)
{
	char paths[2][PATH_MAX];
	const char *p[2] = { paths[0], paths[1] };

	if (note(d, "enter staging", lsm_region_enter_staging(d->staging, "host >= 'host-256'")))
		return;
	if (prewrite(d, paths, 2) || note(d, "apply staging", lsm_region_apply_staging(d->staging, p, 2)))
		note(d, "abort staging", lsm_region_abort_staging(d->staging));
}

static void op_alter(struct demo *d)
{
	struct lsm_region *r = d->regions[2 % d->opt.regions];
	struct rhook_region_meta meta;

	d->schema_version++;
	/* Alternately add and drop the optional column. */
	region_meta(&meta, lsm_region_get_id(r), d->schema_version, d->schema_version % 2 == 0);
	note(d, "alter", lsm_region_alter(r, &meta));
}

static void op_truncate(struct demo *d)
{
	note(d, "truncate", lsm_region_truncate(d->regions[3 % d->opt.regions]));
}

static void op_index_build(struct demo *d)
{
	note(d, "index build", lsm_region_build_index(d->regions[0], NULL));
}

static void op_gc_checkpoint(struct demo *d)
{
	for (unsigned i = 0; i < d->opt.regions; i++) {
		int err = lsm_region_checkpoint(d->regions[i]);

		/* GC waits its turn while a remote compactor holds uncommitted outputs. */
		if (!err && (err = lsm_region_gc(d->regions[i], NULL)) == -EBUSY)
			err = 0;
		note(d, "checkpoint and GC", err);
	}
}

static void (*const specials[])(struct demo *) = {
	op_remote_compaction, op_ingest, op_copy, op_staging, op_alter, op_truncate, op_index_build, op_gc_checkpoint,
};
#define NUM_SPECIALS (sizeof(specials) / sizeof(specials[0]))

static void progress(struct demo *d, double elapsed, bool final)
{
	if (d->opt.quiet || (!final && !isatty(STDERR_FILENO)))
		return;
	fprintf(stderr,
		"\r%5.1fs  rows %-9lu flush jobs %-5lu compaction jobs %-4lu remote %-2lu operations %-3lu  "
		"hooks: %lu SSTs, %lu manifest updates%s",
		elapsed, (unsigned long)atomic_load(&d->rows), d->flushes, d->compactions, d->remote_compactions,
		d->specials, (unsigned long)atomic_load(&sst_files_seen), (unsigned long)atomic_load(&manifest_updates_seen),
		final ? "\n" : "");
}

static int open_regions(struct demo *d)
{
	struct rhook_region_meta meta;
	char path[PATH_MAX + 32];

	for (unsigned i = 0; i < d->opt.regions + 2; i++) {
		struct lsm_region **slot = i < d->opt.regions ? &d->regions[i]
					     : i == d->opt.regions ? &d->copy_target
								   : &d->staging;

		rhook_region_id id;

		if (rhook_region_id_make_group(1024, 0, i, &id)) {
			fprintf(stderr, "rhook-demo: region %u: past the last region number of a group\n", i);
			return -1;
		}
		region_meta(&meta, id, 1, false);
		snprintf(path, sizeof(path), "%s/regions/r%u", d->dir, i);
		if (note(d, "create region", lsm_region_create(d->engine, path, &meta, slot)))
			return -1;
	}
	return 0;
}

/* The main loop: schedule background work and the special operations. */
static void run_workload(struct demo *d)
{
	double start = now_s(), next_tick = start, next_compact = start + 0.5, next_special;
	double special_gap = d->opt.seconds / (double)(NUM_SPECIALS + 1);
	size_t done = 0;

	next_special = start + special_gap;
	while (now_s() - start < d->opt.seconds) {
		double t = now_s();

		if (t >= next_tick) {
			for (unsigned i = 0; i < d->opt.regions; i++)
				if (!note(d, "submit flush", lsm_engine_submit(d->engine, d->regions[i], LSM_JOB_FLUSH)))
					d->flushes++;
			next_tick = t + 0.2;
		}
		if (t >= next_compact) {
			/* Region 0 is compacted remotely only. */
			for (unsigned i = 1; i < d->opt.regions; i++)
				if (!note(d, "submit compaction",
					  lsm_engine_submit(d->engine, d->regions[i], LSM_JOB_COMPACT)))
					d->compactions++;
			next_compact = t + 1.0;
		}
		if (t >= next_special) {
			specials[done % NUM_SPECIALS](d);
			d->specials++;
			done++;
			next_special = t + special_gap;
		}
		progress(d, t - start, false);
		usleep(20000);
	}
	/* A short run still does every operation once. */
	for (; done < NUM_SPECIALS; done++, d->specials++)
		specials[done](d);
}

/* Runs "rhook-read @cmd [@opt] @trace" from beside rhook-demo (stdout shown if @show); its exit status. */
/* Runs rhook-read @cmd [@opt [@arg]] @trace; its stdout shown if @show.  Its exit status, or -1. */
static int run_reader(const char *cmd, const char *opt, const char *arg, const char *trace, bool show)
{
	char exe[PATH_MAX + 16];
	pid_t pid;
	int st;

	snprintf(exe, sizeof(exe), "%s/rhook-read", rhook_demo_exe_dir());
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!show && !freopen("/dev/null", "w", stdout))
			_exit(127);
		if (opt && arg)
			execl(exe, "rhook-read", cmd, opt, arg, trace, (char *)NULL);
		else if (opt)
			execl(exe, "rhook-read", cmd, opt, trace, (char *)NULL);
		else
			execl(exe, "rhook-read", cmd, trace, (char *)NULL);
		fprintf(stderr, "rhook-demo: cannot run %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void usage(FILE *f)
{
	fputs("usage: rhook-demo [run] [OPTIONS]\n"
	      "A mixed LSM workload on the reference engine, traced by the flight recorder.\n"
	      "  --seconds N     how long to run (default 10)\n"
	      "  --regions N     regions the writers fill, 4..64 (default 4)\n"
	      "  --writers N     writer threads, 1..64 (default 2)\n"
	      "  --dir DIR       work directory, must not exist (default: a new one under $TMPDIR)\n"
	      "  --trace DIR     flight recorder directory (default: DIR/trace; RHOOK_TRACE_DIR wins)\n"
	      "  --no-recorder   do not start the flight recorder\n"
	      "  --lttng-relayd  also stream to an lttng-relayd on 127.0.0.1 (started here), with\n"
	      "                  rhook-compactor's events, and check the collected trace\n"
	      "  --persist-delay-us N  every manifest persist of the demo's engine sleeps N us\n"
	      "                  first (a failpoint: a slow disk, for rhook-read diff)\n"
	      "  --quiet         no progress line\n",
	      f);
}

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' }, { "regions", required_argument, NULL, 'r' },
		{ "writers", required_argument, NULL, 'w' }, { "dir", required_argument, NULL, 'd' },
		{ "trace", required_argument, NULL, 't' },   { "no-recorder", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },         { "help", no_argument, NULL, 'h' },
		{ "lttng-relayd", no_argument, NULL, 'L' },  { "persist-delay-us", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx;

	*o = (struct options){ .seconds = 10, .regions = 4, .writers = 2, .recorder = true };
	while ((c = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		char *end = NULL;
		bool ok = true;

		switch (c) {
		case 's':
			o->seconds = strtod(optarg, &end);
			ok = !*end && o->seconds > 0 && o->seconds <= 86400;
			break;
		case 'r':
			o->regions = (unsigned)strtoul(optarg, &end, 10);
			ok = !*end && o->regions >= 4 && o->regions <= MAX_WRITER_REGIONS;
			break;
		case 'w':
			o->writers = (unsigned)strtoul(optarg, &end, 10);
			ok = !*end && o->writers >= 1 && o->writers <= MAX_WRITERS;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 't':
			o->trace_dir = optarg;
			break;
		case 'n':
			o->recorder = false;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'L':
			o->relayd = true;
			break;
		case 'p':
			o->persist_delay_ns = strtoull(optarg, &end, 10) * 1000;
			ok = *optarg && !*end && o->persist_delay_ns <= 1000000000ull;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (!ok) {
			fprintf(stderr, "rhook-demo: bad value for --%s: '%s'\n", longopts[idx].name, optarg);
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rhook-demo: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/* The work directory (new, private) and its subdirectories. */
static int make_dirs(struct demo *d)
{
	const char *tmp = getenv("TMPDIR");
	char sub[PATH_MAX + 16];

	if (d->opt.dir) {
		if (snprintf(d->dir, sizeof(d->dir), "%s", d->opt.dir) >= (int)sizeof(d->dir) || mkdir(d->dir, 0700)) {
			fprintf(stderr, "rhook-demo: cannot create %s: %s\n", d->opt.dir,
				errno == EEXIST ? "it already exists" : strerror(errno));
			return -1;
		}
	} else {
		snprintf(d->dir, sizeof(d->dir), "%s/rhook-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(d->dir)) {
			fprintf(stderr, "rhook-demo: cannot create a work directory: %s\n", strerror(errno));
			return -1;
		}
	}
	for (int i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", d->dir, i ? "ingest" : "regions");
		if (mkdir(sub, 0700)) {
			fprintf(stderr, "rhook-demo: cannot create %s: %s\n", sub, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Records into RHOOK_TRACE_DIR when the environment already started the
 * recorder, else starts it in --trace or DIR/trace, and exports the
 * directory so that rhook-compactor records beside the demo.
 */
static int start_recorder(struct demo *d)
{
	char path[PATH_MAX];
	struct rhook_recorder_config cfg = { .size = sizeof(cfg) };
	int err;

	if (!rhook_recorder_path(path, sizeof(path))) {
		snprintf(d->trace, sizeof(d->trace), "%s", getenv("RHOOK_TRACE_DIR"));
		return 0;
	}
	if (!d->opt.recorder)
		return 0;
	if (snprintf(d->trace, sizeof(d->trace), d->opt.trace_dir ? "%s" : "%s/trace",
		     d->opt.trace_dir ? d->opt.trace_dir : d->dir) >= (int)sizeof(d->trace)) {
		fprintf(stderr, "rhook-demo: trace directory name too long\n");
		return -1;
	}
	cfg.dir = d->trace;
	err = rhook_recorder_start(&cfg);
	if (err) {
		fprintf(stderr, "rhook-demo: cannot start the flight recorder in %s: %s\n", d->trace, strerror(-err));
		return -1;
	}
	setenv("RHOOK_TRACE_DIR", d->trace, 1);
	return 0;
}

int rhook_demo_report(const char *trace, const char *out_dir, int *status)
{
	char html[PATH_MAX + 16], pf[PATH_MAX + 16];
	int st = run_reader("check", NULL, NULL, trace, true);

	if (st < 0 || st == 127)
		return -1;
	if (st != 0) {
		fprintf(stderr, "rhook-demo: the trace breaks the contract (rhook-read check above)\n");
		*status = 1;
	}
	printf("\n");
	run_reader("stats", "--brief", NULL, trace, true);
	printf("\n");
	run_reader("amp", "--brief", NULL, trace, true);
	/* The page and the timeline, beside the trace; rhook-read says why when it cannot. */
	snprintf(html, sizeof(html), "%s/report.html", out_dir);
	snprintf(pf, sizeof(pf), "%s/trace.perfetto", out_dir);
	printf("\n");
	if (run_reader("report", "-o", html, trace, false)) {
		fprintf(stderr, "rhook-demo: no report written (rhook-read report above)\n");
		*status = 1;
	} else {
		printf("report:   file://%s\n", html);
	}
	if (run_reader("export", "--perfetto", pf, trace, false)) {
		fprintf(stderr, "rhook-demo: no Perfetto trace written (rhook-read export above)\n");
		*status = 1;
	} else {
		printf("timeline: %s (open it in https://ui.perfetto.dev)\n", pf);
	}
	/* rhook-read sits beside rhook-demo, which need not be in PATH. */
	printf("\nlook further:\n"
	       "  %s/rhook-read print %s | less\n"
	       "  %s/rhook-read stats %s\n"
	       "  %s/rhook-read files %s | less    # every SST's life\n"
	       "  %s/rhook-read amp %s             # write amplification per region\n"
	       "  %s/rhook-read export --ctf DIR %s && babeltrace2 DIR | less\n"
	       "  %s/rhook-read diff BASE_TRACE %s   (is a change slower?)\n",
	       rhook_demo_exe_dir(), trace, rhook_demo_exe_dir(), trace, rhook_demo_exe_dir(), trace,
	       rhook_demo_exe_dir(), trace, rhook_demo_exe_dir(), trace, rhook_demo_exe_dir(), trace);
	return 0;
}

/* rhook-demo run --lttng-relayd: this process conducts, a child runs the workload. */
static int conduct(struct demo *d, int argc, char **argv)
{
	char **child = calloc((size_t)argc + 4, sizeof(*child));
	char self[PATH_MAX + 16], work[PATH_MAX + 16];
	int n = 0, status = 0;

	if (!child || make_dirs(d))
		return 1;
	snprintf(self, sizeof(self), "%s/rhook-demo", rhook_demo_exe_dir());
	snprintf(work, sizeof(work), "%s/work", d->dir);
	child[n++] = self;
	child[n++] = "run";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--lttng-relayd"))
			continue;
		if (!strcmp(argv[i], "--dir")) {
			i++;
			continue;
		}
		if (!strncmp(argv[i], "--dir=", 6))
			continue;
		child[n++] = argv[i];
	}
	child[n++] = "--dir";
	child[n++] = work;
	if (rhook_demo_relayd(d->dir, child, &status))
		status = 1;
	free(child);
	return status;
}

/* How to trace this process from outside while it runs (rhook-ctl sits beside rhook-demo). */
static void print_ctl_usage(const struct demo *d)
{
	const char *bin = rhook_demo_exe_dir();
	int pid = (int)getpid();

	if (d->opt.quiet)
		return;
	printf("trace this run from another shell while it runs (pid %d; man rhook-ctl):\n", pid);
	printf("  %s/rhook-ctl %d status\n", bin, pid);
	if (!d->trace[0])
		printf("  %s/rhook-ctl %d start --dir %s/ctl-trace\n", bin, pid, d->dir);
	printf("  %s/rhook-ctl %d snapshot --dir %s/snapshot-1\n", bin, pid, d->dir);
	printf("  %s/rhook-ctl %d trigger 'persist>100ms,hold>200ms'\n", bin, pid);
	if (!d->trace[0])
		printf("  %s/rhook-ctl %d stop\n", bin, pid);
	printf("\n");
	fflush(stdout);
}

int rhook_demo_run(int argc, char **argv)
{
	static const struct rhook_hook_ops ops = {
		.size = sizeof(ops), .on_sst_files_written = on_sst, .on_manifest_updated = on_manifest,
	};
	struct lsm_engine_config ecfg = { .size = sizeof(ecfg), .workers = 2, .compaction_trigger = DEMO_L0_TRIGGER };
	struct writer writers[MAX_WRITERS];
	struct demo *d = calloc(1, sizeof(*d));
	double start;
	int status = 0;

	if (!d)
		return 1;
	if (parse(argc, argv, &d->opt)) {
		free(d);
		return 2;
	}
	if (d->opt.relayd) {
		int st = conduct(d, argc, argv);

		free(d);
		return st;
	}
	d->schema_version = 1;
	if (make_dirs(d) || start_recorder(d) || rhook_registry_new(&d->registry) ||
	    rhook_registry_add(d->registry, &ops, NULL, NULL)) {
		free(d);
		return 1;
	}
	ecfg.registry = d->registry;
	if (!note(d, "start the engine", lsm_engine_new(&ecfg, &d->engine)))
		lsm_engine_set_persist_delay(d->engine, d->opt.persist_delay_ns);
	if (!d->engine || open_regions(d))
		return 1;

	print_ctl_usage(d);
	start = now_s();
	for (unsigned i = 0; i < d->opt.writers; i++) {
		writers[i] = (struct writer){ .d = d, .id = i };
		pthread_create(&writers[i].thread, NULL, writer_main, &writers[i]);
	}
	run_workload(d);
	atomic_store(&d->stop, true);
	for (unsigned i = 0; i < d->opt.writers; i++)
		pthread_join(writers[i].thread, NULL);
	note(d, "background jobs", lsm_engine_wait(d->engine));
	for (unsigned i = 0; i < d->opt.regions; i++)
		note(d, "final flush", lsm_region_flush(d->regions[i], NULL));
	final_compactions(d);
	progress(d, now_s() - start, true);

	for (unsigned i = 0; i < d->opt.regions; i++)
		lsm_region_close(d->regions[i]);
	lsm_region_close(d->copy_target);
	lsm_region_close(d->staging);
	lsm_engine_free(d->engine);
	rhook_registry_free(d->registry);
	if (d->trace[0])
		rhook_recorder_stop();
	if (d->failures) {
		fprintf(stderr, "rhook-demo: %lu operations failed\n", d->failures);
		status = 1;
	}
	printf("\nwork directory: %s\n", d->dir);
	if (!d->trace[0])
		printf("no flight recorder trace (--no-recorder)\n");
	else if (printf("flight recorder trace: %s\n\n", d->trace) < 0 || rhook_demo_report(d->trace, d->dir, &status))
		status = 1;
	free(d);
	return status;
}
