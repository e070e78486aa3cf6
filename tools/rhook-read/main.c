/*
 * main.c - rhook-read: command line and the subcommands.
 *
 * Exit status: 0 success; 1 check found a violation, or part of the
 * input could not be read (a file skipped, damaged records, a file
 * truncated while read: the rest was processed); 2 usage or input error
 * (nothing was processed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "diff.h"
#include "pfout.h"
#include "lifeout.h"
#include "print.h"
#include "reader/ctfout.h"
#include "reader/input.h"
#include "reader/merge.h"
#include "report.h"
#include "stats.h"

#define EXIT_VIOLATION 1
#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: rhook-read print [--json] TRACE...\n"
	"       rhook-read stats [--brief | --json] TRACE...\n"
	"       rhook-read check [--reorder-window MS] TRACE...\n"
	"       rhook-read export --ctf DIR [--force] TRACE...\n"
	"       rhook-read export --perfetto FILE TRACE...\n"
	"       rhook-read report -o FILE.html TRACE...\n"
	"       rhook-read diff [--json] [--fail-on RULE]... BASE NEW\n"
	"       rhook-read files [--json] TRACE...\n"
	"       rhook-read amp [--json | --brief] TRACE...\n"
	"\n"
	"TRACE is a flight recorder file or directory (RHOOK_TRACE_DIR), a CTF trace\n"
	"directory (an LTTng session output or an export), or a directory holding\n"
	"several of them; all are merged into one timeline.\n"
	"\n"
	"  print    one line per event in time order (--json: JSON lines)\n"
	"  stats    counts and latency percentiles per region and cause, lost events\n"
	"           (--brief: the whole trace and one line per cause; --json: one document)\n"
	"  check    verify the hook contract; exit 1 with a report on a violation\n"
	"  export   write CTF 1.8 traces shaped as LTTng-UST's, for babeltrace2 and\n"
	"           Trace Compass (--force: into a non-empty directory); --perfetto: one\n"
	"           Perfetto trace file for ui.perfetto.dev and trace_processor\n"
	"  report   one self-contained HTML page: latency distributions, a timeline,\n"
	"           the LSM over time, the check verdict, the slowest commits and jobs\n"
	"  diff     BASE and NEW side by side per phase and cause (count, p50, p90, p99,\n"
	"           p99.9, max, ratio, beyond noise or not); --fail-on 'p99>+10%%' (also\n"
	"           PHASE[.CAUSE]:STAT>+N%%): exit 1 when NEW regressed so\n"
	"  files    the life of every SST: born, live, removed from the manifest,\n"
	"           deleted, by which job and process (--json: JSON lines)\n"
	"  amp      write amplification and files per level, per region and in\n"
	"           total, and the slowest jobs (--json: JSON lines; --brief: the\n"
	"           total's write amplification, one line)\n"
	"\n"
	"Exit status: 0 ok; 1 contract violation, a --fail-on regression, or part of the input unreadable (skipped\n"
	"files, damaged records; the rest was processed); 2 usage or input error.\n";

#ifdef RHOOK_SANITIZER_BUILD
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);

/*
 * Sanitizer hooks (sanitizer builds only): babeltrace2 2.0.4's CTF source
 * leaks 16 bytes when it fails to initialize on broken metadata; that is
 * its bug, not rhook-read's, and must not turn a clean "not a CTF trace"
 * error into a leak report.  The plugin has no frame pointers: the slow
 * unwinder records the stack the suppression matches.
 */
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void)
{
	return "leak:bt_graph_add_source_component_with_initialize_method_data\n";
}

__attribute__((visibility("default"))) const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}
#endif

enum cmd { CMD_PRINT, CMD_STATS, CMD_CHECK, CMD_EXPORT, CMD_REPORT, CMD_DIFF, CMD_FILES, CMD_AMP };

struct args {
	enum cmd cmd;
	bool json, force, brief;
	const char *ctf_dir, *perfetto_file, *output;
	uint64_t reorder_window_ns;
	char *const *paths;
	int num_paths;
	struct rdr_diff_rule rules[RDR_DIFF_MAX_RULES];
	size_t num_rules;
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("rhook-read: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "brief", no_argument, NULL, 'b' },
		{ "ctf", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "perfetto", required_argument, NULL, 'p' },
		{ "reorder-window", required_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const names[] = { "print", "stats", "check", "export", "report", "diff", "files", "amp" };
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int c;

	memset(a, 0, sizeof(*a));
	a->reorder_window_ns = 100000000; /* 100 ms */
	if (!cmd)
		return usage_error("%s", "missing command");
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		fputs(usage_text, stdout);
		return -1;
	}
	for (a->cmd = CMD_PRINT; a->cmd <= CMD_AMP && strcmp(cmd, names[a->cmd]); a->cmd++)
		;
	if (a->cmd > CMD_AMP)
		return usage_error("unknown command '%s'", cmd);
	optind = 2;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		char *end;
		unsigned long long ms;

		switch (c) {
		case 'j':
			if (a->cmd != CMD_PRINT && a->cmd != CMD_STATS && a->cmd != CMD_DIFF && a->cmd != CMD_FILES &&
			    a->cmd != CMD_AMP)
				return usage_error("%s", "--json is an option of print, stats, diff, files and amp");
			a->json = true;
			break;
		case 'F': {
			char err[256];

			if (a->cmd != CMD_DIFF)
				return usage_error("%s", "--fail-on is an option of diff");
			if (a->num_rules == RDR_DIFF_MAX_RULES)
				return usage_error("more than %s --fail-on rules", "32");
			if (rdr_diff_parse_rule(optarg, &a->rules[a->num_rules++], err, sizeof(err)))
				return usage_error("%s", err);
			break;
		}
		case 'b':
			if (a->cmd != CMD_STATS && a->cmd != CMD_AMP)
				return usage_error("%s", "--brief is an option of stats and amp");
			a->brief = true;
			break;
		case 'c':
		case 'f':
		case 'p':
			if (a->cmd != CMD_EXPORT)
				return usage_error("%s", "--ctf, --force and --perfetto are options of export");
			if (c == 'c')
				a->ctf_dir = optarg;
			else if (c == 'p')
				a->perfetto_file = optarg;
			else
				a->force = true;
			break;
		case 'w':
			errno = 0;
			ms = strtoull(optarg, &end, 10);
			if (a->cmd != CMD_CHECK || errno || *end || !*optarg || ms > 3600000)
				return usage_error("bad --reorder-window '%s' (check only, 0..3600000 ms)", optarg);
			a->reorder_window_ns = ms * 1000000;
			break;
		case 'o':
			if (a->cmd != CMD_REPORT)
				return usage_error("%s", "-o is an option of report");
			a->output = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			return usage_error("%s", "bad option");
		}
	}
	if (a->cmd == CMD_EXPORT && !a->ctf_dir == !a->perfetto_file)
		return usage_error("%s", "export needs one of --ctf DIR and --perfetto FILE");
	if (a->perfetto_file && a->force)
		return usage_error("%s", "--force is an option of --ctf (a Perfetto file is replaced whole)");
	if (a->cmd == CMD_REPORT && !a->output)
		return usage_error("%s", "report needs -o FILE.html");
	if (a->json && a->brief)
		return usage_error("%s", "--json and --brief exclude each other");
	if (a->cmd == CMD_DIFF && argc - optind != 2)
		return usage_error("%s", "diff compares two traces: BASE NEW");
	if (optind >= argc)
		return usage_error("%s", "no trace given");
	a->paths = argv + optind;
	a->num_paths = argc - optind;
	return 0;
}

static int print_cmd(struct rdr_reader *r, bool json)
{
	struct rdr_merge m;
	struct rdr_out o;
	const struct rdr_event *ev;
	int ret = rdr_out_init(&o, STDOUT_FILENO);

	if (ret || (ret = rdr_merge_init(&m, r->streams, r->num_streams)))
		goto out;
	while ((ev = rdr_merge_next(&m)))
		rdr_print_event(&o, ev, json);
	rdr_merge_free(&m);
out:
	if (rdr_out_close(&o) && !ret)
		ret = o.err;
	if (ret)
		fprintf(stderr, "rhook-read: %s\n", ret == -ENOMEM ? "out of memory" : strerror(-ret));
	return ret ? EXIT_USAGE : 0;
}

/* The statistics of every event of @r (order does not matter to counts and percentiles: no merge). */
static void collect_stats(struct rdr_reader *r, struct rdr_stats *s)
{
	rdr_stats_init(s);
	for (size_t i = 0; i < r->num_streams; i++) {
		struct rdr_stream *st = r->streams[i];

		while (st->next(st))
			rdr_stats_add(s, &st->ev);
	}
}

static int stats_cmd(struct rdr_reader *r, bool brief, bool json)
{
	struct rdr_stats s;
	struct rdr_out o;
	int ret;

	if (rdr_out_init(&o, STDOUT_FILENO)) {
		fprintf(stderr, "rhook-read: out of memory\n");
		return EXIT_USAGE;
	}
	collect_stats(r, &s);
	if (json)
		rdr_stats_report_json(&s, &o, r->procs, r->num_procs);
	else
		rdr_stats_report(&s, &o, r->procs, r->num_procs, brief);
	ret = s.err;
	rdr_stats_free(&s);
	if (ret)
		fprintf(stderr, "rhook-read: out of memory: figures are incomplete\n");
	if (rdr_out_close(&o) && !ret)
		ret = -EIO;
	return ret ? EXIT_USAGE : 0;
}

static int check_cmd(struct rdr_reader *r, uint64_t window)
{
	struct rdr_check *c = malloc(sizeof(*c));
	const struct rdr_event *ev;
	struct rdr_merge m;
	struct rdr_out o;
	uint64_t violations = 0;
	int ret = c ? rdr_out_init(&o, STDOUT_FILENO) : -ENOMEM;

	if (!c) {
		fprintf(stderr, "rhook-read: out of memory\n");
		return EXIT_USAGE;
	}
	if (ret || (ret = rdr_merge_init(&m, r->streams, r->num_streams)))
		goto out;
	rdr_check_init(c, window);
	while ((ev = rdr_merge_next(&m)))
		rdr_check_add(c, ev);
	rdr_merge_free(&m);
	violations = rdr_check_finish(c, &o, r->procs);
	ret = c->err;
	rdr_check_free(c);
out:
	free(c);
	if (rdr_out_close(&o) && !ret)
		ret = o.err;
	if (ret)
		fprintf(stderr, "rhook-read: %s\n", ret == -ENOMEM ? "out of memory" : strerror(-ret));
	if (ret)
		return EXIT_USAGE;
	return violations ? EXIT_VIOLATION : 0;
}

/* files and amp: the lifecycle model of the merged timeline, then its report. */
static int life_cmd(struct rdr_reader *r, enum cmd cmd, bool json, bool brief)
{
	struct rdr_lifecycle lc;
	const struct rdr_event *ev;
	struct rdr_merge m;
	struct rdr_out o;
	int ret = rdr_out_init(&o, STDOUT_FILENO);

	if (ret || (ret = rdr_merge_init(&m, r->streams, r->num_streams)))
		goto out;
	rdr_lc_init(&lc);
	/* amp reports regions and jobs, not files: the model keeps the files that still exist. */
	lc.forget_deleted = cmd != CMD_FILES;
	lc.no_samples = cmd != CMD_FILES && !json;
	lc.forget_done_jobs = cmd != CMD_FILES;
	while ((ev = rdr_merge_next(&m)))
		rdr_lc_add(&lc, ev);
	rdr_merge_free(&m);
	ret = lc.err;
	if (!ret) {
		if (cmd == CMD_FILES)
			rdr_files_report(&lc, &o, json);
		else if (brief)
			rdr_amp_brief(&lc, &o);
		else
			rdr_amp_report(&lc, &o, json);
	}
	rdr_lc_free(&lc);
out:
	if (rdr_out_close(&o) && !ret)
		ret = o.err;
	if (ret)
		fprintf(stderr, "rhook-read: %s\n", ret == -ENOMEM ? "out of memory" : strerror(-ret));
	return ret ? EXIT_USAGE : 0;
}

static int export_cmd(struct rdr_reader *r, const char *dir, bool force)
{
	const struct rdr_event *ev;
	struct rdr_ctfout *x;
	struct rdr_merge m;
	uint64_t n = 0;
	size_t traces;
	char err[512];
	int ret;

	ret = rdr_ctfout_open(&x, dir, force, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "rhook-read: export: %s\n", err);
		return EXIT_USAGE;
	}
	if (rdr_merge_init(&m, r->streams, r->num_streams)) {
		rdr_ctfout_close(x, r->procs, r->num_procs, &traces, err, sizeof(err));
		fprintf(stderr, "rhook-read: out of memory\n");
		return EXIT_USAGE;
	}
	while (!ret && (ev = rdr_merge_next(&m))) {
		ret = rdr_ctfout_add(x, ev, err, sizeof(err));
		n++;
	}
	rdr_merge_free(&m);
	if (ret) {
		fprintf(stderr, "rhook-read: export: %s\n", err);
		rdr_ctfout_close(x, r->procs, r->num_procs, &traces, err, sizeof(err));
		return EXIT_USAGE;
	}
	ret = rdr_ctfout_close(x, r->procs, r->num_procs, &traces, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "rhook-read: export: %s\n", err);
		return EXIT_USAGE;
	}
	printf("exported %" PRIu64 " events to %s (%zu CTF trace%s)\n", n, dir, traces, traces == 1 ? "" : "s");
	return 0;
}

static int perfetto_cmd(struct rdr_reader *r, const char *path)
{
	const struct rdr_event *ev;
	struct rdr_pfout_counts n;
	struct rdr_pfout *x;
	struct rdr_merge m;
	char err[512];
	int ret;

	ret = rdr_pfout_open(&x, path, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "rhook-read: export: %s\n", err);
		return EXIT_USAGE;
	}
	ret = rdr_merge_init(&m, r->streams, r->num_streams);
	if (ret) {
		snprintf(err, sizeof(err), "out of memory");
	} else {
		while (!ret && (ev = rdr_merge_next(&m)))
			ret = rdr_pfout_add(x, ev, err, sizeof(err));
		rdr_merge_free(&m);
	}
	/* A failed run, or one whose input could not be read (stream errors), leaves no file. */
	if (ret || rdr_reader_stream_error(r)) {
		if (ret)
			fprintf(stderr, "rhook-read: export: %s\n", err);
		rdr_pfout_close(x, false, NULL, err, sizeof(err));
		return EXIT_USAGE;
	}
	ret = rdr_pfout_close(x, true, &n, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "rhook-read: export: %s\n", err);
		return EXIT_USAGE;
	}
	printf("exported %" PRIu64 " events to %s (Perfetto: %" PRIu64 " tracks, %" PRIu64 " slices, %" PRIu64
	       " instants, %" PRIu64 " counter values, %" PRIu64 " bytes)\n",
	       n.events, path, n.tracks, n.slices, n.instants, n.counters, n.bytes);
	return 0;
}

static int report_cmd(struct rdr_reader *r, const char *path)
{
	const struct rdr_event *ev;
	struct rdr_report *rep;
	struct rdr_merge m;
	char err[512];
	int ret;

	if (rdr_report_new(&rep) || rdr_merge_init(&m, r->streams, r->num_streams)) {
		rdr_report_free(rep);
		fprintf(stderr, "rhook-read: out of memory\n");
		return EXIT_USAGE;
	}
	while ((ev = rdr_merge_next(&m)))
		rdr_report_add(rep, ev);
	rdr_merge_free(&m);
	/* Input that could not be read gets no page: its figures would be wrong. */
	if (rdr_reader_stream_error(r)) {
		rdr_report_free(rep);
		return EXIT_USAGE;
	}
	ret = rdr_report_write(rep, path, r->procs, r->num_procs, err, sizeof(err));
	rdr_report_free(rep);
	if (ret) {
		fprintf(stderr, "rhook-read: report: %s\n", err);
		return EXIT_USAGE;
	}
	printf("wrote %s\n", path);
	return 0;
}

/* rhook-read diff: each trace read on its own (BASE, then NEW), compared per phase and cause. */
static int diff_cmd(const struct args *a)
{
	struct rdr_reader r[2];
	struct rdr_stats s[2];
	struct rdr_diff_side side[2];
	struct rdr_out o;
	size_t triggered;
	int ret = 0, opened = 0;

	for (; opened < 2; opened++) {
		struct rdr_lost lost;

		if (rdr_reader_open(&r[opened], a->paths + opened, 1)) {
			ret = EXIT_USAGE;
			break;
		}
		collect_stats(&r[opened], &s[opened]);
		lost = rdr_reader_lost(&r[opened]);
		side[opened] = (struct rdr_diff_side){ a->paths[opened], &s[opened], rdr_lost_total(&lost) };
		if (rdr_reader_stream_error(&r[opened]) || s[opened].err) {
			if (s[opened].err)
				fprintf(stderr, "rhook-read: out of memory: figures are incomplete\n");
			rdr_stats_free(&s[opened]);
			rdr_reader_close(&r[opened]);
			ret = EXIT_USAGE;
			break;
		}
	}
	if (!ret && rdr_out_init(&o, STDOUT_FILENO)) {
		fprintf(stderr, "rhook-read: out of memory\n");
		ret = EXIT_USAGE;
	}
	if (!ret) {
		triggered = rdr_diff_report(&side[0], &side[1], a->rules, a->num_rules, a->json, &o);
		if (rdr_out_close(&o))
			ret = EXIT_USAGE;
		else if (triggered)
			ret = EXIT_VIOLATION;
		for (int i = 0; i < 2; i++)
			if (rdr_reader_incomplete(&r[i]) && !ret)
				ret = EXIT_VIOLATION;
	}
	for (int i = 0; i < opened; i++) {
		rdr_stats_free(&s[i]);
		rdr_reader_close(&r[i]);
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct rdr_reader r;
	struct args a;
	int ret = parse_args(argc, argv, &a);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (a.cmd == CMD_DIFF)
		return diff_cmd(&a);
	if (a.cmd == CMD_REPORT) {
		const char *why;

		/* Before reading anything: a report this build cannot write is a usage error. */
		if (!rdr_report_available(&why)) {
			fprintf(stderr, "rhook-read: report: %s\n", why);
			return EXIT_USAGE;
		}
	}
	if (rdr_reader_open(&r, a.paths, a.num_paths))
		return EXIT_USAGE;
	switch (a.cmd) {
	case CMD_PRINT:
		ret = print_cmd(&r, a.json);
		break;
	case CMD_STATS:
		ret = stats_cmd(&r, a.brief, a.json);
		break;
	case CMD_CHECK:
		ret = check_cmd(&r, a.reorder_window_ns);
		break;
	case CMD_REPORT:
		ret = report_cmd(&r, a.output);
		break;
	case CMD_DIFF:
		abort(); /* impossible: diff reads two traces, diff_cmd() above */
	case CMD_EXPORT:
		ret = a.perfetto_file ? perfetto_cmd(&r, a.perfetto_file) : export_cmd(&r, a.ctf_dir, a.force);
		break;
	case CMD_FILES:
	case CMD_AMP:
		ret = life_cmd(&r, a.cmd, a.json, a.brief);
		break;
	}
	if (rdr_reader_stream_error(&r))
		ret = EXIT_USAGE;
	if (rdr_reader_incomplete(&r) && !ret)
		ret = EXIT_VIOLATION;
	rdr_reader_close(&r);
	return ret;
}
