/*
 * trigger_bench.c - what snapshot triggers cost where their events are
 * produced (src/trace/trigger.h), side by side in one run, with the
 * flight recorder recording (overwrite mode, 16 x 1 MiB):
 *
 *   dispatch_trigger_unnamed  a hook dispatch (rhook:hook_dispatch emitted) with a
 *                             condition armed on another event    vs no condition
 *   dispatch_trigger_named    the same with dispatch>1000s armed (checked, never holds)
 *   commit_trigger_unnamed    a manifest commit (lock, update_locked, unlock, fire;
 *                             rhook:manifest_commit emitted) with dispatch>1000s armed
 *                                                                  vs no condition
 *   commit_trigger_named      the same with hold>, persist>, wait>1000s armed
 *
 * Each case arms its conditions (rhook_recorder_snapshot_on()) before
 * its loop; cases alternate round after round (bench_run), each reports
 * its median ns per operation.
 *
 * usage: rhook-bench-trigger [ROUNDS]        (default 9)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rhook/hook.h>
#include <rhook/trace.h>

#include "bench.h"
#include "fsutil.h"

static struct rhook_registry *reg;
static struct rhook_manifest_ctx *ctx;
static struct rhook_action_list *actions;

static void arm(const char *spec)
{
	char err[256];

	if (rhook_recorder_snapshot_on(spec, err, sizeof(err))) {
		fprintf(stderr, "rhook-bench-trigger: %s\n", err);
		exit(1);
	}
}

static void on_sst(void *priv, rhook_region_id id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t n)
{
	(void)priv, (void)id, (void)meta, (void)files, (void)n;
}

static void run_dispatch(uint64_t iters, void *arg)
{
	arm(arg);
	for (uint64_t i = 0; i < iters; i++) {
		rhook_sst_files_written(reg, 1, NULL, NULL, 0, RHOOK_ORIGIN_FLUSH);
		BENCH_BARRIER();
	}
}

static int persist_nothing(void *s, rhook_region_id r, uint64_t v, const struct rhook_action_list *a, const char *j,
			   size_t l)
{
	(void)s, (void)r, (void)v, (void)a, (void)j, (void)l;
	return 0;
}

static void run_commit(uint64_t iters, void *arg)
{
	arm(arg);
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t version;

		if (rhook_manifest_update(ctx, actions, RHOOK_CAUSE_EDIT, &version))
			abort();
		BENCH_BARRIER();
	}
}

int main(int argc, char **argv)
{
	static const struct rhook_hook_ops ops = { .size = sizeof(ops), .on_sst_files_written = on_sst };
	static const struct rhook_manifest_store_ops store = { sizeof(store), persist_nothing };
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = 1, .store_ops = &store };
	char root[] = "/tmp/rhook-bench-trigger-XXXXXX", dir[64];
	struct rhook_recorder_config rc = { .size = sizeof(rc), .dir = dir };
	int rounds = argc > 1 ? atoi(argv[1]) : 9;
	struct bench_case c[] = {
		{ .name = "dispatch_plain", .run = run_dispatch, .arg = "off" },
		{ .name = "dispatch_trigger_unnamed", .run = run_dispatch, .arg = "hold>1000s" },
		{ .name = "dispatch_trigger_named", .run = run_dispatch, .arg = "dispatch>1000s" },
		{ .name = "commit_plain", .run = run_commit, .arg = "off" },
		{ .name = "commit_trigger_unnamed", .run = run_commit, .arg = "dispatch>1000s" },
		{ .name = "commit_trigger_named", .run = run_commit, .arg = "hold>1000s,persist>1000s,wait>1000s" },
	};

	if (rounds < 1 || rounds > 64 || !mkdtemp(root)) {
		fprintf(stderr, "usage: rhook-bench-trigger [ROUNDS 1..64]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/trace", root);
	if (rhook_registry_new(&reg) || rhook_registry_add(reg, &ops, NULL, NULL) || rhook_manifest_ctx_new(&cfg, &ctx) ||
	    !(actions = rhook_action_list_new()) || rhook_action_list_add_remove(actions, 1) || rhook_recorder_start(&rc)) {
		fprintf(stderr, "rhook-bench-trigger: setup failed\n");
		return 1;
	}
	fprintf(stderr, "rhook-bench-trigger: %d rounds\n", rounds);
	bench_run(c, 3, rounds, 200000);
	bench_run(c + 3, 3, rounds, 20000);
	/* With every round: min / median / max and intervals in the report. */
	bench_report_case("dispatch_trigger_unnamed", "ns/op", &c[1], "dispatch_recorded", &c[0]);
	bench_report_case("dispatch_trigger_named", "ns/op", &c[2], "dispatch_recorded", &c[0]);
	bench_report_case("commit_trigger_unnamed", "ns/op", &c[4], "commit_recorded", &c[3]);
	bench_report_case("commit_trigger_named", "ns/op", &c[5], "commit_recorded", &c[3]);
	rhook_recorder_stop();
	rhook_manifest_ctx_free(ctx);
	rhook_action_list_free(actions);
	rhook_registry_free(reg);
	tc_rmtree(root);
	return 0;
}
