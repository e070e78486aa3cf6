/*
 * core_bench.c - costs of the hook core, side by side in one run:
 *
 *   dispatch with 0, 1, 4 and 16 no-op hooks   vs an empty loop and 0, 1, 4, 16 direct calls
 *   receipt fire with no hook              vs the same timed batches without the fires
 *   commit + fire, context with a registry but no hook (the receipt keeps a
 *     copy of the actions: a hook may come before the fire)
 *                                          vs the same with no registry
 *   tracepoint with no session             vs an empty loop
 *   dispatch while another thread adds and removes hooks   vs dispatch with 1 hook
 *   liburcu read-side sections: qsbr, bp, memb, mb
 *
 * usage: rhook-bench-core [rounds [iterations]]
 *        rhook-bench-core --case NAME ITERATIONS   (one case, for a profiler)
 * Prints a table on stderr and one JSON object per figure on stdout.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "bench.h"
#include "rhook_tp.h"

void bench_urcu_qsbr_register(void);
void bench_urcu_qsbr_read(uint64_t iters, void *arg);
void bench_urcu_bp_register(void);
void bench_urcu_bp_read(uint64_t iters, void *arg);
void bench_urcu_memb_register(void);
void bench_urcu_memb_read(uint64_t iters, void *arg);
void bench_urcu_mb_register(void);
void bench_urcu_mb_read(uint64_t iters, void *arg);

static void noop_manifest(void *priv, rhook_region_id r, const struct rhook_action_list *a, uint64_t v)
{
	(void)priv;
	(void)r;
	(void)a;
	(void)v;
	BENCH_BARRIER();
}

static const struct rhook_hook_ops noop_ops = { .size = sizeof(noop_ops), .on_manifest_updated = noop_manifest };

/* The callback's own cost: an indirect call the compiler cannot see through. */
static void (*volatile direct_callback)(void *, rhook_region_id, const struct rhook_action_list *,
					uint64_t) = noop_manifest;

static void run_empty(uint64_t iters, void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < iters; i++)
		BENCH_BARRIER();
}

static void run_direct_call(uint64_t iters, void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < iters; i++) {
		direct_callback(NULL, 1, NULL, i);
		BENCH_BARRIER();
	}
}

static void run_dispatch(uint64_t iters, void *arg)
{
	struct rhook_registry *reg = arg;

	for (uint64_t i = 0; i < iters; i++) {
		rhook_dispatch_manifest_updated(reg, 1, NULL, i);
		BENCH_BARRIER();
	}
}

static int persist_nothing(void *s, rhook_region_id r, uint64_t v, const struct rhook_action_list *a, const char *j,
			   size_t l)
{
	(void)s;
	(void)r;
	(void)v;
	(void)a;
	(void)j;
	(void)l;
	return 0;
}

/*
 * Receipt fire with no hook: a context without a registry commits a batch
 * of receipts under one hold (not timed), then the batch is fired (timed).
 * A batch stays in L1, as the receipt an engine fires right after its
 * unlock does; a pool of every receipt of a round would time the memory
 * bus instead (56 bytes per receipt streamed in and out).
 */
#define FIRE_BATCH 256

struct fire_case {
	struct rhook_manifest_ctx *ctx;
	struct rhook_action_list *list;
	struct rhook_receipt r[FIRE_BATCH];
};

static void fire_case_init(struct fire_case *fc)
{
	static const struct rhook_manifest_store_ops ops = { sizeof(ops), persist_nothing, RHOOK_MANIFEST_ENCODING_NONE };
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = 1, .store_ops = &ops };

	fc->list = rhook_action_list_new();
	if (!fc->list || rhook_action_list_add_remove(fc->list, 1) || rhook_manifest_ctx_new(&cfg, &fc->ctx))
		abort();
}

static void fire_case_free(struct fire_case *fc)
{
	rhook_manifest_ctx_free(fc->ctx);
	rhook_action_list_free(fc->list);
}

/* Commits FIRE_BATCH versions under one hold; their receipts are pending afterwards. */
static void fire_case_commit(struct fire_case *fc)
{
	rhook_manifest_lock(fc->ctx);
	for (int i = 0; i < FIRE_BATCH; i++) {
		fc->r[i] = (struct rhook_receipt)RHOOK_RECEIPT_INIT;
		if (rhook_manifest_update_locked(fc->ctx, fc->list, RHOOK_CAUSE_EDIT, &fc->r[i]))
			abort();
	}
	rhook_manifest_unlock(fc->ctx);
	/*
	 * Back into L1 (the commits' own work evicts some): an engine fires the
	 * receipt it has just been handed.
	 */
	for (int i = 0; i < FIRE_BATCH; i++)
		if (!rhook_receipt_pending(&fc->r[i]))
			abort();
}

/* The timed part: FIRE_BATCH fires (not inlined: callgrind --toggle-collect=fire_case_fire counts it alone). */
__attribute__((noinline)) static void fire_case_fire(struct fire_case *fc)
{
	for (int i = 0; i < FIRE_BATCH; i++) {
		if (rhook_receipt_fire(&fc->r[i]))
			abort(); /* the hold is over and this thread holds no mutex: it cannot fail */
		BENCH_BARRIER();
	}
}

/* ns per fire over @iters fires (rounded up to whole batches), commits excluded. */
static double fire_sample(struct fire_case *fc, uint64_t iters)
{
	uint64_t timed = 0, n = 0;

	for (; n < iters; n += FIRE_BATCH) {
		uint64_t t0;

		fire_case_commit(fc);
		t0 = bench_now_ns();
		fire_case_fire(fc);
		timed += bench_now_ns() - t0;
	}
	return (double)timed / (double)n;
}

/* The same loop with the fires left out: what fire_sample() times around nothing. */
static double fire_clock_sample(uint64_t iters)
{
	uint64_t timed = 0, n = 0;

	for (; n < iters; n += FIRE_BATCH) {
		uint64_t t0 = bench_now_ns();

		for (int i = 0; i < FIRE_BATCH; i++)
			BENCH_BARRIER();
		timed += bench_now_ns() - t0;
	}
	return (double)timed / (double)n;
}

static void run_tracepoint(uint64_t iters, void *arg)
{
	struct rhw_ev_hook_dispatch ev = { 0 };

	(void)arg;
	for (uint64_t i = 0; i < iters; i++) {
		ev.duration_ns = i;
		/* As the emitters do: the argument is built only when the tracepoint is enabled. */
		lttng_ust_tracepoint(rhook, hook_dispatch, &(struct rhook__tp_hook_dispatch){ .ev = &ev });
		BENCH_BARRIER();
	}
}


/* What one commit case works on: a context (with or without a registry) and the list it commits. */
struct commit_case {
	struct rhook_manifest_ctx *ctx;
	struct rhook_action_list *list;
};

/* The common case of an engine: lock, update_locked, unlock, fire. */
static void run_commit(uint64_t iters, void *arg)
{
	struct commit_case *c = arg;

	for (uint64_t i = 0; i < iters; i++) {
		struct rhook_receipt r = RHOOK_RECEIPT_INIT;

		rhook_manifest_lock(c->ctx);
		if (rhook_manifest_update_locked(c->ctx, c->list, RHOOK_CAUSE_FLUSH, &r))
			abort();
		rhook_manifest_unlock(c->ctx);
		if (rhook_receipt_fire(&r))
			abort();
		BENCH_BARRIER();
	}
}

/*
 * What runs under the manifest mutex alone: lock, update_locked, unlock
 * (the fire, after the unlock, is left out), so a case's time per op is
 * the mutex hold plus the lock and unlock themselves.
 */
static void run_hold(uint64_t iters, void *arg)
{
	struct commit_case *c = arg;

	for (uint64_t i = 0; i < iters; i++) {
		struct rhook_receipt r = RHOOK_RECEIPT_INIT;

		rhook_manifest_lock(c->ctx);
		if (rhook_manifest_update_locked(c->ctx, c->list, RHOOK_CAUSE_FLUSH, &r))
			abort();
		rhook_manifest_unlock(c->ctx);
		rhook_receipt_discard(&r);
		BENCH_BARRIER();
	}
}

/* An edit adding @n files, the shape of a flush's commit, to a store asking for @encoding. */
static void commit_case_init_encoding(struct commit_case *c, struct rhook_registry *reg, size_t n,
				      enum rhook_manifest_encoding encoding)
{
	static const struct rhook_manifest_store_ops json_ops = { sizeof(json_ops), persist_nothing,
								   RHOOK_MANIFEST_ENCODING_JSON };
	static const struct rhook_manifest_store_ops none_ops = { sizeof(none_ops), persist_nothing,
								   RHOOK_MANIFEST_ENCODING_NONE };
	struct rhook_manifest_ctx_config cfg = {
		.size = sizeof(cfg), .region_id = 2, .registry = reg,
		.store_ops = encoding == RHOOK_MANIFEST_ENCODING_NONE ? &none_ops : &json_ops,
	};
	struct rhook_file_meta fm[4] = { 0 };
	struct rhook_action_edit ed = { .files_to_add = fm, .num_files_to_add = n,
					.has_flushed_entry_id = true, .flushed_entry_id = 7,
					.has_flushed_sequence = true, .flushed_sequence = 9,
					.has_committed_sequence = true, .committed_sequence = 9 };

	for (size_t i = 0; i < n; i++) {
		fm[i].region_id = 2;
		fm[i].file_id = rhook_file_id_generate();
		fm[i].time_range = (struct rhook_time_range){ 0, 1000, RHOOK_TIME_UNIT_MILLISECOND };
		fm[i].file_size = 1 << 20;
		fm[i].num_rows = 1000;
		fm[i].num_row_groups = 1;
	}
	c->list = rhook_action_list_new();
	if (!c->list || rhook_action_list_add_edit(c->list, &ed) || rhook_manifest_ctx_new(&cfg, &c->ctx))
		abort();
}

static void commit_case_init(struct commit_case *c, struct rhook_registry *reg, size_t n)
{
	commit_case_init_encoding(c, reg, n, RHOOK_MANIFEST_ENCODING_JSON);
}

static void commit_case_free(struct commit_case *c)
{
	rhook_manifest_ctx_free(c->ctx);
	rhook_action_list_free(c->list);
}

static atomic_int churn_stop, churn_on;

/* Adds and removes a hook over and over while a churn case runs; idle otherwise. */
static void *churn(void *arg)
{
	struct rhook_registry *reg = arg;

	while (!atomic_load(&churn_stop)) {
		struct rhook_hook *h;

		if (!atomic_load(&churn_on)) {
			usleep(200);
			continue;
		}
		if (rhook_registry_add(reg, &noop_ops, NULL, &h) || rhook_registry_remove(reg, h))
			abort();
	}
	return NULL;
}

static void run_dispatch_churning(uint64_t iters, void *arg)
{
	atomic_store(&churn_on, 1);
	run_dispatch(iters, arg);
	atomic_store(&churn_on, 0);
}

/* The no-session figures mean nothing while a session records rhook:*. */
static bool lttng_recording(void)
{
#define RHOOK__BENCH_ENABLED(num, name, FIELDS) || lttng_ust_tracepoint_enabled(rhook, name)
	return false RHW_EVENTS(RHOOK__BENCH_ENABLED);
#undef RHOOK__BENCH_ENABLED
}

/*
 * --case NAME ITERS: runs one case once, for profilers (README,
 * "Benchmarks", hot paths): callgrind --toggle-collect=<its run function> counts
 * its instructions alone, perf record samples it alone.
 */
static int run_one(const char *name, uint64_t iters, struct bench_case *c, int n, struct fire_case *fc)
{
	if (!strcmp(name, "receipt_fire_no_hook")) {
		fprintf(stderr, "%s: %.3f ns/op\n", name, fire_sample(fc, iters));
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (!strcmp(c[i].name, name)) {
			uint64_t t0 = bench_now_ns();

			c[i].run(iters, c[i].arg);
			fprintf(stderr, "%s: %.3f ns/op\n", name, (double)(bench_now_ns() - t0) / (double)iters);
			return 0;
		}
	}
	fprintf(stderr, "rhook-bench-core: --case: no case %s\n", name);
	return 2;
}

int main(int argc, char **argv)
{
	bool one = argc == 4 && !strcmp(argv[1], "--case");
	int rounds = !one && argc > 1 ? atoi(argv[1]) : 21;
	uint64_t iters = one ? strtoull(argv[3], NULL, 10) : argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000;
	struct rhook_registry *reg0, *reg1, *reg4, *reg16, *reg_churn;
	struct fire_case fc;
	pthread_t churner;

	if (rounds < 3 || rounds > 64 || iters < 1000) {
		fprintf(stderr, "usage: %s [rounds 3..64 [iterations >= 1000]]\n       %s --case NAME ITERATIONS\n",
			argv[0], argv[0]);
		return 2;
	}
	if (rhook_registry_new(&reg0) || rhook_registry_new(&reg1) || rhook_registry_new(&reg4) ||
	    rhook_registry_new(&reg16) || rhook_registry_new(&reg_churn))
		return 1;
	/* How dispatch grows with the number of hooks (issue 15): 0, 1, 4, 16. */
	for (int i = 0; i < 16; i++)
		if (rhook_registry_add(reg16, &noop_ops, NULL, NULL))
			return 1;
	for (int i = 0; i < 4; i++)
		if (rhook_registry_add(reg4, &noop_ops, NULL, NULL) || (i == 0 && rhook_registry_add(reg1, &noop_ops, NULL, NULL)))
			return 1;
	if (rhook_registry_add(reg_churn, &noop_ops, NULL, NULL))
		return 1;
	fire_case_init(&fc);
	bench_urcu_qsbr_register();
	bench_urcu_memb_register();
	bench_urcu_mb_register();
	bench_urcu_bp_register();

	if (one && !strcmp(argv[2], "registry_churn_dispatch")) {
		uint64_t t0;

		pthread_create(&churner, NULL, churn, reg_churn);
		t0 = bench_now_ns();
		run_dispatch_churning(iters, reg_churn);
		fprintf(stderr, "%s: %.3f ns/op\n", argv[2], (double)(bench_now_ns() - t0) / (double)iters);
		atomic_store(&churn_stop, 1);
		pthread_join(churner, NULL);
		return 0;
	}
	if (lttng_recording()) {
		fprintf(stderr, "rhook-bench-core: an LTTng session is recording rhook events; the figures would "
				"measure tracing, not its absence (see lttng list)\n");
		return 1;
	}
	{
		struct bench_case c[] = {
			{ "empty_loop", run_empty, NULL },
			{ "direct_callback", run_direct_call, NULL },
			{ "dispatch_0_hooks", run_dispatch, reg0 },
			{ "dispatch_1_hook", run_dispatch, reg1 },
			{ "dispatch_4_hooks", run_dispatch, reg4 },
			{ "dispatch_16_hooks", run_dispatch, reg16 },
			{ "tracepoint_no_session", run_tracepoint, NULL },
			{ "urcu_qsbr_read", bench_urcu_qsbr_read, NULL },
			{ "urcu_bp_read", bench_urcu_bp_read, NULL },
			{ "urcu_memb_read", bench_urcu_memb_read, NULL },
			{ "urcu_mb_read", bench_urcu_mb_read, NULL },
		};
		int n = (int)(sizeof(c) / sizeof(c[0]));
		double direct4[64], direct16[64], fire[64], clock[64];

		if (one)
			return run_one(argv[2], iters, c, n, &fc);
		fprintf(stderr, "rhook-bench-core: %d rounds x %llu ops, LTTng provider %s\n", rounds,
			(unsigned long long)iters, rhook_lttng_loaded() ? "loaded (no session)" : "not loaded");
		bench_run(c, n, rounds, iters);
		/* Each fire needs a commit (not timed, ~1 us): fewer of them per round. */
		fire_sample(&fc, iters / 100 + 1); /* warm up */
		for (int r = 0; r < rounds; r++) {
			fire[r] = fire_sample(&fc, iters / 20);
			clock[r] = fire_clock_sample(iters / 20);
		}
		for (int r = 0; r < rounds; r++) {
			direct4[r] = 4 * c[1].samples[r];
			direct16[r] = 16 * c[1].samples[r];
		}
		bench_report_case("dispatch_0_hooks", "ns/op", &c[2], "empty_loop", &c[0]);
		bench_report_case("dispatch_1_hook", "ns/op", &c[3], "direct_callback", &c[1]);
		bench_report_rounds("dispatch_4_hooks", "ns/op", "direct_callback_x4", c[4].samples, direct4,
				    (unsigned)rounds);
		bench_report_rounds("dispatch_16_hooks", "ns/op", "direct_callback_x16", c[5].samples, direct16,
				    (unsigned)rounds);
		/* Against the same timed batches without the fires: the delta is what a fire costs. */
		bench_report_rounds("receipt_fire_no_hook", "ns/op", "fire_batch_empty", fire, clock, (unsigned)rounds);
		bench_report_case("tracepoint_no_session", "ns/op", &c[6], "empty_loop", &c[0]);
		bench_report_case("urcu_qsbr_read", "ns/op", &c[7], "empty_loop", &c[0]);
		bench_report_case("urcu_bp_read", "ns/op", &c[8], "empty_loop", &c[0]);
		bench_report_case("urcu_memb_read", "ns/op", &c[9], "empty_loop", &c[0]);
		bench_report_case("urcu_mb_read", "ns/op", &c[10], "empty_loop", &c[0]);
	}
	{
		struct bench_case c[] = {
			{ "dispatch_1_hook", run_dispatch, reg1 },
			{ "registry_churn_dispatch", run_dispatch_churning, reg_churn },
		};

		pthread_create(&churner, NULL, churn, reg_churn);
		bench_run(c, 2, rounds, iters);
		atomic_store(&churn_stop, 1);
		pthread_join(churner, NULL);
		bench_report_case("registry_churn_dispatch", "ns/op", &c[1], "dispatch_1_hook", &c[0]);
	}
	{
		struct commit_case with_reg, without_reg;
		struct bench_case c[] = {
			{ "receipt_commit_no_registry", run_commit, &without_reg },
			{ "receipt_commit_registry_no_hook", run_commit, &with_reg },
		};

		commit_case_init(&without_reg, NULL, 2);
		commit_case_init(&with_reg, reg0, 2);
		/* A commit encodes JSON: some 10 µs, so fewer of them per round. */
		bench_run(c, 2, rounds, iters / 1000 < 100 ? 100 : iters / 1000);
		bench_report_case("receipt_commit_registry_no_hook", "ns/op", &c[1], "receipt_commit_no_registry", &c[0]);
		commit_case_free(&with_reg);
		commit_case_free(&without_reg);
	}
	{
		/* The mutex hold of a two-file commit, JSON encoded under it or not (issue 14). */
		struct commit_case json, none;
		struct bench_case c[] = {
			{ "commit_hold_json", run_hold, &json },
			{ "commit_hold_no_encoding", run_hold, &none },
		};

		commit_case_init_encoding(&json, reg0, 2, RHOOK_MANIFEST_ENCODING_JSON);
		commit_case_init_encoding(&none, reg0, 2, RHOOK_MANIFEST_ENCODING_NONE);
		bench_run(c, 2, rounds, iters / 1000 < 100 ? 100 : iters / 1000);
		bench_report_case("commit_hold_no_encoding", "ns/op", &c[1], "commit_hold_json", &c[0]);
		commit_case_free(&json);
		commit_case_free(&none);
	}
	rhook_registry_free(reg0);
	rhook_registry_free(reg1);
	rhook_registry_free(reg4);
	rhook_registry_free(reg16);
	rhook_registry_free(reg_churn);
	fire_case_free(&fc);
	return 0;
}
