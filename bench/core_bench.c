/*
 * core_bench.c - costs of the hook core, side by side in one run:
 *
 *   dispatch with 0, 1 and 4 no-op hooks   vs an empty loop and a direct call
 *   receipt fire with no hook              vs an empty loop
 *   commit + fire, context with a registry but no hook (the receipt keeps a
 *     copy of the actions: a hook may come before the fire)
 *                                          vs the same with no registry
 *   tracepoint with no session             vs an empty loop
 *   dispatch while another thread adds and removes hooks   vs dispatch with 1 hook
 *   liburcu read-side sections: qsbr, bp, memb, mb
 *
 * usage: rhook-bench-core [rounds [iterations]]
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

/* Receipts committed ahead of time, fired in the timed loop. */
struct receipts {
	struct rhook_receipt *r;
	uint64_t n, next;
};

static void run_fire(uint64_t iters, void *arg)
{
	struct receipts *rs = arg;

	for (uint64_t i = 0; i < iters; i++) {
		/* Past the pool, firing empty receipts: the early return.  It cannot fail here. */
		if (rhook_receipt_fire(&rs->r[rs->next < rs->n ? rs->next++ : rs->n - 1]))
			abort();
		BENCH_BARRIER();
	}
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

/* Commits @n versions with no hook registered and keeps their receipts pending. */
static void make_receipts(struct receipts *rs, uint64_t n)
{
	static const struct rhook_manifest_store_ops ops = { sizeof(ops), persist_nothing };
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = 1, .store_ops = &ops };
	struct rhook_manifest_ctx *ctx;
	struct rhook_action_list *l = rhook_action_list_new();

	if (!l || rhook_action_list_add_remove(l, 1) || rhook_manifest_ctx_new(&cfg, &ctx))
		abort();
	rs->r = calloc(n, sizeof(*rs->r));
	rs->n = n;
	rs->next = 0;
	if (!rs->r)
		abort();
	for (uint64_t i = 0; i < n; i++) {
		rhook_manifest_lock(ctx);
		if (rhook_manifest_update_locked(ctx, l, RHOOK_CAUSE_EDIT, &rs->r[i]))
			abort();
		rhook_manifest_unlock(ctx);
	}
	rhook_action_list_free(l);
	/* The context must outlive the receipts: it is reclaimed at exit. */
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

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 21;
	uint64_t iters = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000;
	struct rhook_registry *reg0, *reg1, *reg4, *reg16, *reg_churn;
	struct receipts rs;
	pthread_t churner;

	if (rounds < 3 || rounds > 64 || iters < 1000) {
		fprintf(stderr, "usage: %s [rounds 3..64 [iterations >= 1000]]\n", argv[0]);
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
	make_receipts(&rs, iters);
	bench_urcu_qsbr_register();
	bench_urcu_memb_register();
	bench_urcu_mb_register();
	bench_urcu_bp_register();

	if (lttng_recording()) {
		fprintf(stderr, "rhook-bench-core: an LTTng session is recording rhook events; the figures would "
				"measure tracing, not its absence (see lttng list)\n");
		return 1;
	}
	fprintf(stderr, "rhook-bench-core: %d rounds x %llu ops, LTTng provider %s\n", rounds, (unsigned long long)iters,
		rhook_lttng_loaded() ? "loaded (no session)" : "not loaded");
	{
		struct bench_case c[] = {
			{ "empty_loop", run_empty, NULL },
			{ "direct_callback", run_direct_call, NULL },
			{ "dispatch_0_hooks", run_dispatch, reg0 },
			{ "dispatch_1_hook", run_dispatch, reg1 },
			{ "dispatch_4_hooks", run_dispatch, reg4 },
			{ "receipt_fire_no_hook", run_fire, &rs },
			{ "tracepoint_no_session", run_tracepoint, NULL },
			{ "urcu_qsbr_read", bench_urcu_qsbr_read, NULL },
			{ "urcu_bp_read", bench_urcu_bp_read, NULL },
			{ "urcu_memb_read", bench_urcu_memb_read, NULL },
			{ "urcu_mb_read", bench_urcu_mb_read, NULL },
			{ "dispatch_16_hooks", run_dispatch, reg16 },
		};
		int n = (int)(sizeof(c) / sizeof(c[0]));
		double empty, direct;

		/* The receipt pool is consumed once; later rounds fire empty receipts, so time it alone. */
		bench_run(&c[5], 1, 1, iters - iters / 10 - 2);
		c[5].run = run_empty;
		{
			double fire = c[5].samples[0];

			bench_run(c, n, rounds, iters);
			c[5].median = fire;
		}
		empty = c[0].median;
		direct = c[1].median;
		bench_report("dispatch_0_hooks", c[2].median, "ns/op", "empty_loop", empty);
		bench_report("dispatch_1_hook", c[3].median, "ns/op", "direct_callback", direct);
		bench_report("dispatch_4_hooks", c[4].median, "ns/op", "direct_callback_x4", 4 * direct);
		bench_report("dispatch_16_hooks", c[11].median, "ns/op", "direct_callback_x16", 16 * direct);
		bench_report("receipt_fire_no_hook", c[5].median, "ns/op", "empty_loop", empty);
		bench_report("tracepoint_no_session", c[6].median, "ns/op", "empty_loop", empty);
		bench_report("urcu_qsbr_read", c[7].median, "ns/op", "empty_loop", empty);
		bench_report("urcu_bp_read", c[8].median, "ns/op", "empty_loop", empty);
		bench_report("urcu_memb_read", c[9].median, "ns/op", "empty_loop", empty);
		bench_report("urcu_mb_read", c[10].median, "ns/op", "empty_loop", empty);
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
		bench_report("registry_churn_dispatch", c[1].median, "ns/op", "dispatch_1_hook", c[0].median);
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
		bench_report("receipt_commit_registry_no_hook", c[1].median, "ns/op", "receipt_commit_no_registry",
			     c[0].median);
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
		bench_report("commit_hold_no_encoding", c[1].median, "ns/op", "commit_hold_json", c[0].median);
		commit_case_free(&json);
		commit_case_free(&none);
	}
	rhook_registry_free(reg0);
	rhook_registry_free(reg1);
	rhook_registry_free(reg4);
	rhook_registry_free(reg16);
	rhook_registry_free(reg_churn);
	free(rs.r);
	return 0;
}
