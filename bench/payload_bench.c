/*
 * payload_bench.c - rhook-bench-payload: the recorder's cost per event
 * against one RDTSC and against the event's size, side by side in one
 * process (interleaved rounds, bench_run):
 *
 *   rdtsc                     one bare RDTSC
 *   recorder_event_vs_rdtsc   rhook:flush_end (recorder_event's event: no clock read of its own, the
 *                             recorder's timestamp a bare RDTSC)           vs rdtsc
 *   recorder_event_smallest   rhook:hook_dispatch, the smallest payload (24 bytes)   vs rdtsc
 *   recorder_event_largest    rhook:manifest_updated listing 64 added file ids (1 KiB of ids; an
 *                             ordered TSC read, src/wire/events.h)    vs recorder_event_smallest
 *   recorder_event_manifest_updated_0_ids   the same event with no id: its ordered read and fixed
 *                             fields alone                            vs recorder_event_smallest
 *
 * The events go through the library's own emitters (src/trace/emit.c),
 * so this program links librhook's objects rather than the shared
 * library: the emitters of hook_dispatch and manifest_updated are
 * internal.  One thread, recorder on, overwrite mode, rings of 32 MiB
 * x 8 sub-buffers; the LTTng provider is never loaded (RHOOK_LTTNG=off,
 * set by re-executing itself), so only the recorder records.
 *
 * usage: rhook-bench-payload [rounds [iterations]]      (default 21 x 400000)
 * Prints a table on stderr and one JSON object per figure on stdout.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rhook/action.h>
#include <rhook/trace.h>

#include "bench.h"
#include "fsutil.h"
#include "trace/emit.h"

static void run_flush_end(uint64_t iters, void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < iters; i++) {
		rhook_trace_flush_end(0, 7, i, i * 64u, 1, 0);
		BENCH_BARRIER();
	}
}

static void run_hook_dispatch(uint64_t iters, void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < iters; i++) {
		rhook__emit_hook_dispatch(7, 1, 1, i);
		BENCH_BARRIER();
	}
}

static void run_manifest_updated(uint64_t iters, void *arg)
{
	const struct rhook_action_list *l = arg;

	for (uint64_t i = 0; i < iters; i++) {
		rhook__emit_manifest_updated(7, 0, i + 1, RHOOK_CAUSE_FLUSH, l);
		BENCH_BARRIER();
	}
}

/* An edit adding @n files (a flush's or a compaction's commit). */
static struct rhook_action_list *edit_of(size_t n)
{
	static struct rhook_file_meta fm[RHOOK_TRACE_MAX_LISTED_IDS];
	struct rhook_action_edit ed = { .files_to_add = fm, .num_files_to_add = n,
					.has_flushed_entry_id = true, .flushed_entry_id = 7,
					.has_flushed_sequence = true, .flushed_sequence = 9 };
	struct rhook_action_list *l = rhook_action_list_new();

	for (size_t i = 0; i < n; i++) {
		fm[i].region_id = 7;
		fm[i].file_id = rhook_file_id_generate();
		fm[i].file_size = 1 << 20;
		fm[i].num_rows = 1000;
	}
	if (!l || rhook_action_list_add_edit(l, &ed))
		abort();
	return l;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/rhook-bench-payload-XXXXXX";
	int rounds = argc > 1 ? atoi(argv[1]) : 21;
	uint64_t iters = argc > 2 ? strtoull(argv[2], NULL, 10) : 400000;
	struct rhook_action_list *ids64, *ids0;
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 32u << 20, .num_buffers = 1,
					     .num_subbuffers = 8, .mode = RHOOK_RECORDER_OVERWRITE };

	if (rounds < 3 || rounds > 64 || iters < 1000) {
		fprintf(stderr, "usage: %s [rounds 3..64 [iterations >= 1000]]\n", argv[0]);
		return 2;
	}
	if (!getenv("RHOOK_LTTNG") || strcmp(getenv("RHOOK_LTTNG"), "off")) {
		/* The start-up code reads it before main: only the recorder must record. */
		setenv("RHOOK_LTTNG", "off", 1);
		unsetenv("RHOOK_TRACE_DIR");
		execv("/proc/self/exe", argv);
		perror("rhook-bench-payload: execv /proc/self/exe");
		return 1;
	}
	if (rhook_lttng_loaded() || !mkdtemp(dir))
		return 1;
	cfg.dir = dir;
	if (rhook_recorder_start(&cfg)) {
		fprintf(stderr, "rhook-bench-payload: cannot start the recorder in %s\n", dir);
		return 1;
	}
	ids64 = edit_of(RHOOK_TRACE_MAX_LISTED_IDS);
	ids0 = edit_of(0);
	fprintf(stderr, "rhook-bench-payload: %d rounds x %llu events, recorder only\n", rounds,
		(unsigned long long)iters);
	{
		struct bench_case c[] = {
			{ "rdtsc", bench_run_rdtsc, NULL },
			{ "flush_end", run_flush_end, NULL },
			{ "hook_dispatch", run_hook_dispatch, NULL },
			{ "manifest_updated_64_ids", run_manifest_updated, ids64 },
			{ "manifest_updated_0_ids", run_manifest_updated, ids0 },
		};

		bench_run(c, (int)(sizeof(c) / sizeof(c[0])), rounds, iters);
		bench_report_case("recorder_event_vs_rdtsc", "ns/event", &c[1], "rdtsc", &c[0]);
		bench_report_case("recorder_event_smallest", "ns/event", &c[2], "rdtsc", &c[0]);
		bench_report_case("recorder_event_largest", "ns/event", &c[3], "recorder_event_smallest", &c[2]);
		bench_report_case("recorder_event_manifest_updated_0_ids", "ns/event", &c[4], "recorder_event_smallest",
				  &c[2]);
	}
	rhook_recorder_stop();
	rhook_action_list_free(ids64);
	rhook_action_list_free(ids0);
	if (tc_rmtree(dir))
		fprintf(stderr, "rhook-bench-payload: could not remove %s\n", dir);
	return 0;
}
