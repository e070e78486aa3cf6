/*
 * main.c - rhook-read: command line and the four subcommands.
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
#include "print.h"
#include "reader/ctfout.h"
#include "reader/input.h"
#include "reader/merge.h"
#include "stats.h"

#define EXIT_VIOLATION 1
#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: rhook-read print [--json] TRACE...\n"
	"       rhook-read stats [--brief] TRACE...\n"
	"       rhook-read check [--reorder-window MS] TRACE...\n"
	"       rhook-read export --ctf DIR [--force] TRACE...\n"
	"\n"
	"TRACE is a flight recorder file or directory (RHOOK_TRACE_DIR), a CTF trace\n"
	"directory (an LTTng session output or an export), or a directory holding\n"
	"several of them; all are merged into one timeline.\n"
	"\n"
	"  print    one line per event in time order (--json: JSON lines)\n"
	"  stats    counts and latency percentiles per region and cause, lost events\n"
	"           (--brief: the whole trace and one line per cause)\n"
	"  check    verify the hook contract; exit 1 with a report on a violation\n"
	"  export   write CTF 1.8 traces shaped as LTTng-UST's, for babeltrace2 and\n"
	"           Trace Compass (--force: into a non-empty directory)\n"
	"\n"
	"Exit status: 0 ok; 1 contract violation, or part of the input unreadable (skipped\n"
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

enum cmd { CMD_PRINT, CMD_STATS, CMD_CHECK, CMD_EXPORT };

struct args {
	enum cmd cmd;
	bool json, force, brief;
	const char *ctf_dir;
	uint64_t reorder_window_ns;
	char *const *paths;
	int num_paths;
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
		{ "reorder-window", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const names[] = { "print", "stats", "check", "export" };
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
	for (a->cmd = CMD_PRINT; a->cmd <= CMD_EXPORT && strcmp(cmd, names[a->cmd]); a->cmd++)
		;
	if (a->cmd > CMD_EXPORT)
		return usage_error("unknown command '%s'", cmd);
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;
		unsigned long long ms;

		switch (c) {
		case 'j':
			if (a->cmd != CMD_PRINT)
				return usage_error("%s", "--json is an option of print");
			a->json = true;
			break;
		case 'b':
			if (a->cmd != CMD_STATS)
				return usage_error("%s", "--brief is an option of stats");
			a->brief = true;
			break;
		case 'c':
		case 'f':
			if (a->cmd != CMD_EXPORT)
				return usage_error("%s", "--ctf and --force are options of export");
			if (c == 'c')
				a->ctf_dir = optarg;
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
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			return usage_error("%s", "bad option");
		}
	}
	if (a->cmd == CMD_EXPORT && !a->ctf_dir)
		return usage_error("%s", "export needs --ctf DIR");
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

static int stats_cmd(struct rdr_reader *r, bool brief)
{
	struct rdr_stats s;
	struct rdr_out o;
	int ret;

	if (rdr_out_init(&o, STDOUT_FILENO)) {
		fprintf(stderr, "rhook-read: out of memory\n");
		return EXIT_USAGE;
	}
	rdr_stats_init(&s);
	/* Order does not matter to counts and percentiles: each stream on its own, no merge. */
	for (size_t i = 0; i < r->num_streams; i++) {
		struct rdr_stream *st = r->streams[i];

		while (st->next(st))
			rdr_stats_add(&s, &st->ev);
	}
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

int main(int argc, char **argv)
{
	struct rdr_reader r;
	struct args a;
	int ret = parse_args(argc, argv, &a);

	if (ret)
		return ret < 0 ? 0 : ret;
	if (rdr_reader_open(&r, a.paths, a.num_paths))
		return EXIT_USAGE;
	switch (a.cmd) {
	case CMD_PRINT:
		ret = print_cmd(&r, a.json);
		break;
	case CMD_STATS:
		ret = stats_cmd(&r, a.brief);
		break;
	case CMD_CHECK:
		ret = check_cmd(&r, a.reorder_window_ns);
		break;
	case CMD_EXPORT:
		ret = export_cmd(&r, a.ctf_dir, a.force);
		break;
	}
	if (rdr_reader_stream_error(&r))
		ret = EXIT_USAGE;
	if (rdr_reader_incomplete(&r) && !ret)
		ret = EXIT_VIOLATION;
	rdr_reader_close(&r);
	return ret;
}
