/*
 * core_receipt.c - the receipt rules of contract §3, one test each.
 *
 * Debug builds abort on contract violations; those cases run in a child
 * process (this program re-executed with --child CASE) and the test checks
 * that the child died of SIGABRT with the explanation on stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/manifest.h>

#include "rt.h"

static const char *self_path;

/* An in-memory manifest store that can be told to fail. */
struct mem_store {
	char *json[64];
	uint64_t versions[64];
	size_t n;
	int fail_next; /* errno to return from the next persist, 0: succeed */
};

static int mem_persist(void *store, rhook_region_id region_id, uint64_t version,
		       const struct rhook_action_list *actions, const char *json, size_t len)
{
	struct mem_store *s = store;

	(void)region_id;
	(void)actions;
	if (s->fail_next) {
		int err = s->fail_next;

		s->fail_next = 0;
		return -err;
	}
	if (s->n == 64)
		return -ENOSPC;
	s->json[s->n] = strndup(json, len);
	s->versions[s->n++] = version;
	return 0;
}

static const struct rhook_manifest_store_ops mem_ops = { sizeof(mem_ops), mem_persist };

/* A hook that records its notifications and reads the manifest under the lock. */
struct recorder_hook {
	struct rhook_manifest_ctx *ctx;
	int calls;
	uint64_t versions[16];
	size_t num_actions[16];
	enum rhook_action_kind first_kind[16], last_kind[16];
	uint64_t version_seen_under_lock[16];
};

static void on_manifest(void *priv, rhook_region_id region_id, const struct rhook_action_list *actions,
			uint64_t version)
{
	struct recorder_hook *h = priv;

	(void)region_id;
	assert_true(h->calls < 16);
	h->versions[h->calls] = version;
	h->num_actions[h->calls] = actions->num_actions;
	h->first_kind[h->calls] = actions->actions[0].kind;
	h->last_kind[h->calls] = actions->actions[actions->num_actions - 1].kind;
	/* The hook never runs under the manifest mutex: it can take it. */
	rhook_manifest_lock(h->ctx);
	h->version_seen_under_lock[h->calls] = rhook_manifest_last_version(h->ctx);
	rhook_manifest_unlock(h->ctx);
	h->calls++;
}

static const struct rhook_hook_ops hook_ops = { .size = sizeof(hook_ops), .on_manifest_updated = on_manifest };

struct fixture {
	struct mem_store store;
	struct rhook_registry *reg;
	struct rhook_manifest_ctx *ctx;
	struct recorder_hook hook;
	struct rhook_action_list *edit, *alter;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rhook_manifest_ctx_config cfg = {
		.size = sizeof(cfg), .region_id = rhook_region_id_make(42, 1), .store_ops = &mem_ops,
	};
	struct rhook_file_meta fm = { .region_id = cfg.region_id, .file_id = rhook_file_id_generate() };
	struct rhook_action_edit ed = { .files_to_add = &fm, .num_files_to_add = 1 };
	struct rhook_action_change ch = { .metadata = { .region_id = cfg.region_id, .schema_version = 2 } };

	assert_int_equal(rhook_registry_new(&f->reg), 0);
	cfg.registry = f->reg;
	cfg.store = &f->store;
	assert_int_equal(rhook_manifest_ctx_new(&cfg, &f->ctx), 0);
	f->hook.ctx = f->ctx;
	f->edit = rhook_action_list_new();
	f->alter = rhook_action_list_new();
	assert_int_equal(rhook_action_list_add_edit(f->edit, &ed), 0);
	assert_int_equal(rhook_action_list_add_change(f->alter, &ch), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rhook_manifest_ctx_free(f->ctx);
	rhook_registry_free(f->reg);
	rhook_action_list_free(f->edit);
	rhook_action_list_free(f->alter);
	for (size_t i = 0; i < f->store.n; i++)
		free(f->store.json[i]);
	free(f);
	return 0;
}

static void add_hook(struct fixture *f)
{
	assert_int_equal(rhook_registry_add(f->reg, &hook_ops, &f->hook, NULL), 0);
}

/* The common case: consecutive versions, the hook sees the committed list. */
static void test_update_manifest(void **state)
{
	struct fixture *f = *state;
	struct rhook_action_list *decoded;
	uint64_t v;

	add_hook(f);
	for (uint64_t i = 1; i <= 3; i++) {
		assert_int_equal(rhook_manifest_update(f->ctx, f->edit, RHOOK_CAUSE_FLUSH, &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(f->hook.calls, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->hook.versions[i], (uint64_t)i + 1);
		assert_int_equal(f->hook.num_actions[i], 1);
		assert_int_equal(f->hook.first_kind[i], RHOOK_ACTION_EDIT);
		assert_int_equal(f->store.versions[i], (uint64_t)i + 1);
	}
	/* The store got the encoding of exactly the committed list. */
	assert_int_equal(rhook_action_list_from_json(f->store.json[0], strlen(f->store.json[0]), &decoded, NULL, 0), 0);
	assert_int_equal(decoded->num_actions, 1);
	assert_true(rhook_file_id_equal(&decoded->actions[0].u.edit.files_to_add[0].file_id,
					&f->edit->actions[0].u.edit.files_to_add[0].file_id));
	rhook_action_list_free(decoded);
}

/* Rule: fired after unlock, a hook may take the manifest mutex. */
static void test_hook_takes_manifest_lock(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;

	add_hook(f);
	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), 0);
	assert_true(rhook_receipt_pending(&r));
	assert_int_equal(f->hook.calls, 0); /* nothing runs under the lock */
	rhook_manifest_unlock(f->ctx);
	assert_int_equal(rhook_receipt_fire(&r), 0);
	assert_false(rhook_receipt_pending(&r));
	assert_int_equal(f->hook.calls, 1);
	assert_int_equal(f->hook.version_seen_under_lock[0], 1);
	/* A fired receipt is empty: firing again does nothing. */
	assert_int_equal(rhook_receipt_fire(&r), 0);
	assert_int_equal(f->hook.calls, 1);
}

/* Rule: firing while this thread holds the mutex is detected. */
static void fire_under_lock(struct fixture *f, bool relock)
{
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;

	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), 0);
	if (relock) {
		rhook_manifest_unlock(f->ctx);
		rhook_manifest_lock(f->ctx);
	}
	assert_int_equal(rhook_receipt_fire(&r), -EDEADLK); /* debug builds abort here */
	assert_true(rhook_receipt_pending(&r));
	assert_int_equal(f->hook.calls, 0);
	rhook_manifest_unlock(f->ctx);
	assert_int_equal(rhook_receipt_fire(&r), 0);
	assert_int_equal(f->hook.calls, 1);
}

/* Runs this program with --child @name; expects SIGABRT and @msg on stderr. */
static void expect_child_abort(const char *name, const char *msg)
{
	char *argv[] = { (char *)self_path, "--child", (char *)name, NULL };
	char *err;
	int st = rt_run(argv, NULL, NULL, &err);

	if (st != 128 + SIGABRT || !strstr(err, msg))
		fail_msg("child %s: status %d, stderr:\n%s", name, st, err);
	free(err);
}

static void test_fire_under_lock_detected(void **state)
{
	struct fixture *f = *state;

	add_hook(f);
	if (rhook_debug_build()) {
		/* Region ids are printed as u64(table, number) (contract §4). */
		expect_child_abort("fire-under-lock",
				   "region 180388626433(42, 1) version 1 fired while this thread holds the region's "
				   "manifest mutex");
		expect_child_abort("fire-under-relock", "fired while this thread holds the region's manifest mutex");
		return;
	}
	fire_under_lock(f, false);
	f->hook.calls = 0;
	fire_under_lock(f, true);
}

struct other_thread {
	struct rhook_receipt *r;
	int ret;
};

static void *fire_elsewhere(void *arg)
{
	struct other_thread *o = arg;

	o->ret = rhook_receipt_fire(o->r);
	return NULL;
}

/*
 * Rule: a receipt handed to another thread cannot fire before the hold
 * ends: -EBUSY, as the header says, in release and debug builds alike
 * (the firer is early, not wrong), and the receipt stays pending.
 */
static void test_fire_before_hold_ends(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;
	struct other_thread o = { &r, 1 };
	pthread_t t;

	add_hook(f);
	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), 0);
	assert_int_equal(pthread_create(&t, NULL, fire_elsewhere, &o), 0);
	pthread_join(t, NULL);
	assert_int_equal(o.ret, -EBUSY);
	assert_int_equal(f->hook.calls, 0);
	assert_true(rhook_receipt_pending(&r));
	if (rhook_debug_build())
		assert_int_equal(rhook_debug_unfired_receipts(false), 1);
	rhook_manifest_unlock(f->ctx);
	assert_int_equal(pthread_create(&t, NULL, fire_elsewhere, &o), 0);
	pthread_join(t, NULL);
	assert_int_equal(o.ret, 0);
	assert_int_equal(f->hook.calls, 1);
}

/* Rule: merge keeps the first's actions then the second's; the later version wins. */
static void test_merge(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r1 = RHOOK_RECEIPT_INIT, r2 = RHOOK_RECEIPT_INIT, empty = RHOOK_RECEIPT_INIT;

	add_hook(f);
	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_STAGING_EXIT, &r1), 0);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->alter, RHOOK_CAUSE_ALTER, &r2), 0);
	assert_int_equal(rhook_receipt_version(&r1), 1);
	assert_int_equal(rhook_receipt_version(&r2), 2);
	assert_int_equal(rhook_receipt_merge(&r1, &r2), 0);
	assert_false(rhook_receipt_pending(&r2));
	/* Merging an empty receipt changes nothing. */
	assert_int_equal(rhook_receipt_merge(&r1, &empty), 0);
	rhook_manifest_unlock(f->ctx);
	assert_int_equal(rhook_receipt_fire(&r2), 0); /* empty: no-op */
	assert_int_equal(rhook_receipt_fire(&r1), 0);
	assert_int_equal(f->hook.calls, 1);
	assert_int_equal(f->hook.versions[0], 2);
	assert_int_equal(f->hook.num_actions[0], 2);
	assert_int_equal(f->hook.first_kind[0], RHOOK_ACTION_EDIT);
	assert_int_equal(f->hook.last_kind[0], RHOOK_ACTION_CHANGE);
	/* Merging into an empty receipt takes the other over. */
	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->alter, RHOOK_CAUSE_ALTER, &r2), 0);
	assert_int_equal(rhook_receipt_merge(&empty, &r2), 0);
	rhook_manifest_unlock(f->ctx);
	assert_true(rhook_receipt_pending(&empty));
	assert_int_equal(rhook_receipt_fire(&empty), 0);
	assert_int_equal(f->hook.calls, 2);
	assert_int_equal(f->hook.versions[1], 3);
}

static void test_merge_other_region_rejected(void **state)
{
	struct fixture *f = *state;
	struct rhook_manifest_ctx *other;
	struct mem_store s2 = { 0 };
	struct rhook_manifest_ctx_config cfg = {
		.size = sizeof(cfg), .region_id = rhook_region_id_make(42, 2), .store_ops = &mem_ops, .store = &s2,
	};
	struct rhook_receipt r1 = RHOOK_RECEIPT_INIT, r2 = RHOOK_RECEIPT_INIT;

	if (rhook_debug_build()) {
		expect_child_abort("merge-other-region", "cannot merge receipts of regions 180388626433(42, 1) and 7(0, 7)");
		return;
	}
	assert_int_equal(rhook_manifest_ctx_new(&cfg, &other), 0);
	assert_int_equal(rhook_manifest_update(f->ctx, f->edit, RHOOK_CAUSE_EDIT, NULL), 0);
	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r1), 0);
	rhook_manifest_unlock(f->ctx);
	rhook_manifest_lock(other);
	assert_int_equal(rhook_manifest_update_locked(other, f->edit, RHOOK_CAUSE_EDIT, &r2), 0);
	rhook_manifest_unlock(other);
	assert_int_equal(rhook_receipt_merge(&r1, &r2), -EINVAL);
	assert_true(rhook_receipt_pending(&r1));
	assert_true(rhook_receipt_pending(&r2));
	rhook_receipt_discard(&r1);
	rhook_receipt_discard(&r2);
	rhook_manifest_ctx_free(other);
	free(s2.json[0]);
}

/* Rule: a failed persist commits nothing and fires nothing; no version gap. */
static void test_failed_persist_fires_nothing(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;
	uint64_t v;

	add_hook(f);
	f->store.fail_next = EIO;
	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_FLUSH, &r), -EIO);
	assert_false(rhook_receipt_pending(&r));
	assert_int_equal(rhook_manifest_last_version(f->ctx), 0);
	rhook_manifest_unlock(f->ctx);
	assert_int_equal(rhook_receipt_fire(&r), 0);
	assert_int_equal(f->hook.calls, 0);
	f->store.fail_next = ENOSPC;
	assert_int_equal(rhook_manifest_update(f->ctx, f->edit, RHOOK_CAUSE_FLUSH, &v), -ENOSPC);
	assert_int_equal(f->hook.calls, 0);
	assert_int_equal(rhook_manifest_update(f->ctx, f->edit, RHOOK_CAUSE_FLUSH, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(f->hook.calls, 1);
	assert_int_equal(f->store.n, 1);
}

/* The inline fire (rhook/manifest.h's macro), as a function. */
static int fire_inline(struct rhook_receipt *r)
{
	return rhook_receipt_fire(r);
}

struct hookless_firer {
	struct rhook_receipt *r;
	int (*fire)(struct rhook_receipt *);
	int ret;
};

static void *hookless_fire_elsewhere(void *arg)
{
	struct hookless_firer *o = arg;

	o->ret = o->fire(o->r);
	return NULL;
}

/*
 * Rule: a receipt with nothing to notify (no registry, no event: the
 * inline fast path's case) is checked as any other, by the inline path
 * and by the exported function alike: -EDEADLK under the mutex (release
 * builds; debug builds abort, tested above), -EBUSY from another thread
 * before the hold ends, pending after both; fired and empty after.
 */
static void test_hookless_fire_checks(void **state)
{
	struct fixture *f = *state;
	int (*const fires[2])(struct rhook_receipt *) = { fire_inline, rhook_receipt_fire /* the function */ };

	for (int k = 0; k < 2; k++) {
		struct rhook_receipt r = RHOOK_RECEIPT_INIT;
		struct mem_store s2 = { 0 };
		struct rhook_manifest_ctx_config cfg = {
			.size = sizeof(cfg), .region_id = rhook_region_id_make(42, 3), .store_ops = &mem_ops,
			.store = &s2,
		};
		struct rhook_manifest_ctx *lone;
		struct hookless_firer o = { &r, fires[k], 1 };
		pthread_t t;

		assert_int_equal(rhook_manifest_ctx_new(&cfg, &lone), 0);
		rhook_manifest_lock(lone);
		assert_int_equal(rhook_manifest_update_locked(lone, f->edit, RHOOK_CAUSE_EDIT, &r), 0);
		assert_null(r.rhook__actions);
		if (!rhook_debug_build()) {
			assert_int_equal(fires[k](&r), -EDEADLK);
			assert_true(rhook_receipt_pending(&r));
		}
		assert_int_equal(pthread_create(&t, NULL, hookless_fire_elsewhere, &o), 0);
		pthread_join(t, NULL);
		assert_int_equal(o.ret, -EBUSY);
		assert_true(rhook_receipt_pending(&r));
		/* A later hold of this thread: still the mutex held here. */
		rhook_manifest_unlock(lone);
		rhook_manifest_lock(lone);
		if (!rhook_debug_build())
			assert_int_equal(fires[k](&r), -EDEADLK);
		rhook_manifest_unlock(lone);
		assert_int_equal(fires[k](&r), 0);
		assert_false(rhook_receipt_pending(&r));
		assert_int_equal(rhook_receipt_version(&r), 0);
		assert_int_equal(fires[k](&r), 0);
		if (rhook_debug_build())
			assert_int_equal(rhook_debug_unfired_receipts(false), 0);
		rhook_manifest_ctx_free(lone);
		free(s2.json[0]);
	}
}

/*
 * Rule: with no hook registered, firing is a no-op.  A context without a
 * registry (nobody can listen) copies nothing; one with a registry keeps
 * the actions, since a hook may be added before the fire.
 */
static void test_no_hook_fire_is_noop(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;
	struct mem_store s2 = { 0 };
	struct rhook_manifest_ctx_config cfg = {
		.size = sizeof(cfg), .region_id = rhook_region_id_make(42, 2), .store_ops = &mem_ops, .store = &s2,
	};
	struct rhook_manifest_ctx *lone;

	assert_int_equal(rhook_manifest_ctx_new(&cfg, &lone), 0);
	rhook_manifest_lock(lone);
	assert_int_equal(rhook_manifest_update_locked(lone, f->edit, RHOOK_CAUSE_EDIT, &r), 0);
	rhook_manifest_unlock(lone);
	assert_true(rhook_receipt_pending(&r));
	assert_null(r.rhook__actions); /* no registry, no event: the list was not copied */
	assert_int_equal(rhook_receipt_fire(&r), 0);
	assert_false(rhook_receipt_pending(&r));
	assert_int_equal(rhook_manifest_last_version(lone), 1);
	rhook_manifest_ctx_free(lone);
	free(s2.json[0]);

	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), 0);
	rhook_manifest_unlock(f->ctx);
	assert_non_null(r.rhook__actions);
	assert_int_equal(rhook_receipt_fire(&r), 0);
	assert_false(rhook_receipt_pending(&r));
	assert_int_equal(f->hook.calls, 0);
}

/*
 * The receipt rule (rhook/manifest.h): the hooks registered at the fire
 * are notified, with the committed actions, whether or not a hook existed
 * at the commit; a hook removed before the fire is not.
 */
static void test_hooks_of_the_fire(void **state)
{
	struct fixture *f = *state;
	struct recorder_hook late = { .ctx = f->ctx }, gone = { .ctx = f->ctx };
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;
	struct rhook_hook *gone_handle;

	/* No hook at the commit; one added before the fire is notified. */
	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), 0);
	rhook_manifest_unlock(f->ctx);
	add_hook(f);
	assert_int_equal(rhook_receipt_fire(&r), 0);
	assert_int_equal(f->hook.calls, 1);
	assert_int_equal(f->hook.versions[0], 1);
	assert_int_equal(f->hook.num_actions[0], 1);
	assert_int_equal(f->hook.first_kind[0], RHOOK_ACTION_EDIT);

	/* Hooks at the commit: one added before the fire is notified alike, one removed is not. */
	assert_int_equal(rhook_registry_add(f->reg, &hook_ops, &gone, &gone_handle), 0);
	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->alter, RHOOK_CAUSE_ALTER, &r), 0);
	rhook_manifest_unlock(f->ctx);
	assert_int_equal(rhook_registry_add(f->reg, &hook_ops, &late, NULL), 0);
	assert_int_equal(rhook_registry_remove(f->reg, gone_handle), 0);
	assert_int_equal(rhook_receipt_fire(&r), 0);
	assert_int_equal(f->hook.calls, 2);
	assert_int_equal(late.calls, 1);
	assert_int_equal(late.versions[0], 2);
	assert_int_equal(late.first_kind[0], RHOOK_ACTION_CHANGE);
	assert_int_equal(gone.calls, 0);
}

/* Rule: merging a receipt committed with no hook and one with a hook: the first's actions, then the second's. */
static void test_merge_hookless_then_hooked(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r1 = RHOOK_RECEIPT_INIT, r2 = RHOOK_RECEIPT_INIT;

	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_STAGING_EXIT, &r1), 0);
	add_hook(f); /* after the first commit, before the second */
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->alter, RHOOK_CAUSE_STAGING_EXIT, &r2), 0);
	assert_int_equal(rhook_receipt_merge(&r1, &r2), 0);
	rhook_manifest_unlock(f->ctx);
	assert_int_equal(rhook_receipt_fire(&r1), 0);
	assert_int_equal(f->hook.calls, 1);
	assert_int_equal(f->hook.versions[0], 2);
	assert_int_equal(f->hook.num_actions[0], 2);
	assert_int_equal(f->hook.first_kind[0], RHOOK_ACTION_EDIT);
	assert_int_equal(f->hook.last_kind[0], RHOOK_ACTION_CHANGE);
}

/* A receipt merged into itself would be emptied, its version never notified: refused. */
static void test_self_merge_refused(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;

	add_hook(f);
	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), 0);
	assert_int_equal(rhook_receipt_merge(&r, &r), -EINVAL);
	rhook_manifest_unlock(f->ctx);
	assert_true(rhook_receipt_pending(&r));
	assert_int_equal(rhook_receipt_version(&r), 1);
	if (rhook_debug_build())
		assert_int_equal(rhook_debug_unfired_receipts(false), 1);
	assert_int_equal(rhook_receipt_fire(&r), 0);
	assert_int_equal(f->hook.calls, 1);
	assert_int_equal(f->hook.versions[0], 1);
	assert_int_equal(f->hook.num_actions[0], 1);
	assert_int_equal(rhook_receipt_merge(NULL, &r), -EINVAL);
	assert_int_equal(rhook_receipt_merge(&r, NULL), -EINVAL);
}

/* A structure from a newer caller: zero extra fields accepted, a non-zero unknown field refused. */
struct newer_config {
	struct rhook_manifest_ctx_config cfg;
	uint64_t unknown_field;
};

struct newer_store_ops {
	struct rhook_manifest_store_ops ops;
	void *unknown_op;
};

static void test_extensible_structs(void **state)
{
	struct fixture *f = *state;
	struct newer_store_ops ops = { .ops = { .size = sizeof(ops), .persist = mem_persist } };
	struct newer_config nc = { .cfg = { .size = sizeof(nc), .region_id = 9, .registry = f->reg, .store = &f->store } };
	struct rhook_manifest_store_ops short_ops = mem_ops;
	struct rhook_manifest_ctx_config cfg = nc.cfg;
	struct rhook_manifest_ctx *ctx = NULL;

	nc.cfg.store_ops = &ops.ops;
	assert_int_equal(rhook_manifest_ctx_new(&nc.cfg, &ctx), 0);
	assert_int_equal(rhook_manifest_region_id(ctx), 9);
	assert_int_equal(rhook_manifest_update(ctx, f->edit, RHOOK_CAUSE_EDIT, NULL), 0);
	rhook_manifest_ctx_free(ctx);
	ctx = NULL;

	nc.unknown_field = 1;
	assert_int_equal(rhook_manifest_ctx_new(&nc.cfg, &ctx), -EINVAL);
	nc.unknown_field = 0;
	ops.unknown_op = (void *)&ops;
	assert_int_equal(rhook_manifest_ctx_new(&nc.cfg, &ctx), -EINVAL);
	ops.unknown_op = NULL;
	/* Smaller than the first published version: refused. */
	nc.cfg.size = offsetof(struct rhook_manifest_ctx_config, last_version);
	assert_int_equal(rhook_manifest_ctx_new(&nc.cfg, &ctx), -EINVAL);
	short_ops.size = offsetof(struct rhook_manifest_store_ops, persist);
	cfg.size = sizeof(cfg);
	cfg.store_ops = &short_ops;
	assert_int_equal(rhook_manifest_ctx_new(&cfg, &ctx), -EINVAL);
	assert_null(ctx);
	/* Exactly this version: accepted. */
	cfg.store_ops = &mem_ops;
	assert_int_equal(rhook_manifest_ctx_new(&cfg, &ctx), 0);
	rhook_manifest_ctx_free(ctx);
	assert_int_equal(rhook_manifest_ctx_new(NULL, &ctx), -EINVAL);
	assert_int_equal(rhook_manifest_ctx_new(&cfg, NULL), -EINVAL);
}

static void test_update_locked_preconditions(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;

	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), -EPERM);
	rhook_manifest_lock(f->ctx);
	assert_true(rhook_manifest_held(f->ctx));
	assert_false(rhook_manifest_trylock(f->ctx));
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, (enum rhook_cause)99, &r), -EINVAL);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, NULL, RHOOK_CAUSE_EDIT, &r), -EINVAL);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), 0);
	/* A pending receipt is never overwritten (it would be forgotten). */
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), -EBUSY);
	assert_int_equal(rhook_manifest_last_version(f->ctx), 1);
	assert_int_equal(rhook_manifest_advance_version(f->ctx, 0), -EINVAL);
	assert_int_equal(rhook_manifest_advance_version(f->ctx, 10), 0);
	rhook_manifest_unlock(f->ctx);
	assert_false(rhook_manifest_held(f->ctx));
	assert_int_equal(rhook_manifest_advance_version(f->ctx, 11), -EPERM);
	rhook_receipt_discard(&r);
	assert_int_equal(rhook_manifest_update(f->ctx, f->edit, RHOOK_CAUSE_EDIT, NULL), 0);
	assert_int_equal(rhook_manifest_last_version(f->ctx), 11);
}

/* Debug builds keep a ledger of pending receipts; release builds do not. */
/* What persist() receives: the JSON for a JSON store, nothing for one that said NONE. */
struct encoding_store {
	int calls;
	bool json_null;
	char first; /* the JSON's first byte ('{': the envelope object), 0 without JSON */
	size_t len;
};

static int encoding_persist(void *store, rhook_region_id region_id, uint64_t version,
			    const struct rhook_action_list *actions, const char *json, size_t len)
{
	struct encoding_store *s = store;

	(void)region_id;
	(void)version;
	(void)actions;
	s->calls++;
	s->json_null = json == NULL;
	s->first = json && len ? json[0] : 0; /* read now: freed after the call */
	s->len = len;
	return 0;
}

static void test_store_encoding(void **state)
{
	struct fixture *f = *state;
	struct rhook_manifest_store_ops ops = { .size = sizeof(ops), .persist = encoding_persist };
	struct encoding_store s = { 0 };
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = 5, .store_ops = &ops, .store = &s };
	struct rhook_manifest_ctx *ctx = NULL;

	/* The default (0) is JSON, as before the field existed. */
	assert_int_equal(rhook_manifest_ctx_new(&cfg, &ctx), 0);
	assert_int_equal(rhook_manifest_update(ctx, f->edit, RHOOK_CAUSE_EDIT, NULL), 0);
	assert_int_equal(s.calls, 1);
	assert_true(s.len > 0 && !s.json_null && s.first == '{');
	rhook_manifest_ctx_free(ctx);

	ops.encoding = RHOOK_MANIFEST_ENCODING_NONE;
	assert_int_equal(rhook_manifest_ctx_new(&cfg, &ctx), 0);
	assert_int_equal(rhook_manifest_update(ctx, f->edit, RHOOK_CAUSE_EDIT, NULL), 0);
	assert_int_equal(s.calls, 2);
	assert_true(s.json_null);
	assert_int_equal(s.len, 0);
	assert_int_equal(rhook_manifest_last_version(ctx), 1);
	rhook_manifest_ctx_free(ctx);
	ctx = NULL;

	ops.encoding = (enum rhook_manifest_encoding)2;
	assert_int_equal(rhook_manifest_ctx_new(&cfg, &ctx), -EINVAL);
	assert_null(ctx);
}

static void test_unfired_receipt_reported(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;

	rhook_manifest_lock(f->ctx);
	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), 0);
	rhook_manifest_unlock(f->ctx);
	if (!rhook_debug_build()) {
		assert_int_equal(rhook_debug_unfired_receipts(false), -ENOTSUP);
		rhook_receipt_discard(&r);
		return;
	}
	assert_int_equal(rhook_debug_unfired_receipts(false), 1);
	rhook_receipt_discard(&r);
	assert_int_equal(rhook_debug_unfired_receipts(false), 0);
	{
		char *argv[] = { (char *)self_path, "--child", "leak-receipt", NULL };
		/* The child leaks the receipt on purpose: LeakSanitizer would fail it. */
		char *env[] = { "ASAN_OPTIONS=detect_leaks=0", NULL };
		char *err;
		int st = rt_run(argv, env, NULL, &err);

		assert_int_equal(st, 0);
		if (!strstr(err, "receipt of region 180388626433(42, 1) version 1 (updated at ") ||
		    !strstr(err, "was neither fired nor discarded") || !strstr(err, "core_receipt.c:"))
			fail_msg("no report of the unfired receipt:\n%s", err);
		free(err);
	}
}

/* Child cases: each violates the contract and must abort in debug builds. */
static int child(const char *name)
{
	void *state;
	struct fixture *f;

	setup(&state);
	f = state;
	if (!strcmp(name, "fire-under-lock")) {
		fire_under_lock(f, false);
	} else if (!strcmp(name, "fire-under-relock")) {
		fire_under_lock(f, true);
	} else if (!strcmp(name, "merge-other-region")) {
		struct mem_store s2 = { 0 };
		struct rhook_manifest_ctx_config cfg = {
			.size = sizeof(cfg), .region_id = 7, .store_ops = &mem_ops, .store = &s2,
		};
		struct rhook_manifest_ctx *other;
		struct rhook_receipt r1 = RHOOK_RECEIPT_INIT, r2 = RHOOK_RECEIPT_INIT;

		rhook_manifest_ctx_new(&cfg, &other);
		rhook_manifest_lock(f->ctx);
		if (rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r1))
			return 1;
		rhook_manifest_unlock(f->ctx);
		rhook_manifest_lock(other);
		if (rhook_manifest_update_locked(other, f->edit, RHOOK_CAUSE_EDIT, &r2))
			return 1;
		rhook_manifest_unlock(other);
		rhook_receipt_merge(&r1, &r2);
	} else if (!strcmp(name, "leak-receipt")) {
		struct rhook_receipt r = RHOOK_RECEIPT_INIT;

		rhook_manifest_lock(f->ctx);
		if (rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r))
			return 1;
		rhook_manifest_unlock(f->ctx);
		return 0; /* the exit report names it */
	} else {
		fprintf(stderr, "unknown child case %s\n", name);
		return 1;
	}
	return 3; /* reached only if the violation was not caught */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_update_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hook_takes_manifest_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fire_under_lock_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fire_before_hold_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_other_region_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_persist_fires_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_hook_fire_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hookless_fire_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hooks_of_the_fire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_hookless_then_hooked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_merge_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extensible_structs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_locked_preconditions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unfired_receipt_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_encoding, setup, teardown),
	};

	self_path = argv[0];
	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
