/*
 * core_external.c - external manifest contexts (rhook/external.h): an
 * engine with its own lock tells rhook what it committed; the receipt
 * rules of contract §3 hold (fire detects the engine's lock through
 * lock_held, merge, the debug ledger), the events reach a real recorder
 * file and rhook-read check accepts them.
 *
 * Debug builds abort on contract violations: those cases run in a child
 * (this program with --child CASE), as in core_receipt.c.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rhook/external.h>
#include <rhook/trace.h>

#include "rt.h"
#include "store_nothing.h"

static const char *self_path;

/* The engine's own lock, and the way it answers "does this thread hold it". */
struct engine_lock {
	pthread_mutex_t mu;
	pthread_t owner;
	int held;
};

static bool engine_lock_held(void *p)
{
	struct engine_lock *l = p;

	/* Only the owner compares equal, and only its own stores set it. */
	return __atomic_load_n(&l->held, __ATOMIC_RELAXED) && pthread_equal(l->owner, pthread_self());
}

static void engine_lock(struct engine_lock *l)
{
	pthread_mutex_lock(&l->mu);
	l->owner = pthread_self();
	__atomic_store_n(&l->held, 1, __ATOMIC_RELAXED);
}

static void engine_unlock(struct engine_lock *l)
{
	__atomic_store_n(&l->held, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&l->mu);
}

struct seen {
	int calls;
	uint64_t versions[8];
	size_t num_actions[8];
};

static void on_manifest(void *priv, rhook_region_id region_id, const struct rhook_action_list *actions,
			uint64_t version)
{
	struct seen *s = priv;

	(void)region_id;
	if (s->calls < 8) {
		s->versions[s->calls] = version;
		s->num_actions[s->calls] = actions->num_actions;
	}
	s->calls++;
}

static const struct rhook_hook_ops hook_ops = { .size = sizeof(hook_ops), .on_manifest_updated = on_manifest };

struct fixture {
	struct engine_lock lock;
	struct seen seen;
	struct rhook_registry *reg;
	struct rhook_manifest_ctx *ctx;
	struct rhook_action_list *edit;
	struct rhook_file_meta fm;
};

#define REGION rhook_region_id_make(77, 2)

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct rhook_external_manifest_config cfg = {
		.size = sizeof(cfg), .region_id = REGION, .lock_held = engine_lock_held,
	};
	struct rhook_action_edit ed = { .files_to_add = &f->fm, .num_files_to_add = 1 };

	pthread_mutex_init(&f->lock.mu, NULL);
	assert_int_equal(rhook_registry_new(&f->reg), 0);
	assert_int_equal(rhook_registry_add(f->reg, &hook_ops, &f->seen, NULL), 0);
	cfg.registry = f->reg;
	cfg.engine_lock = &f->lock;
	assert_int_equal(rhook_manifest_ctx_new_external(&cfg, &f->ctx), 0);
	f->fm.region_id = REGION;
	f->fm.file_id = rhook_file_id_generate();
	f->edit = rhook_action_list_new();
	assert_non_null(f->edit);
	assert_int_equal(rhook_action_list_add_edit(f->edit, &ed), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rhook_action_list_free(f->edit);
	rhook_manifest_ctx_free(f->ctx);
	rhook_registry_free(f->reg);
	pthread_mutex_destroy(&f->lock.mu);
	free(f);
	return 0;
}

static void test_notify_versions(void **state)
{
	struct fixture *f = *state;
	struct rhook_commit_info info = { .size = sizeof(info), .version = 10 };
	uint64_t v = 0;

	assert_true(rhook_manifest_is_external(f->ctx));
	assert_int_equal(rhook_manifest_notify(f->ctx, f->edit, RHOOK_CAUSE_FLUSH, NULL, &v), 0);
	assert_int_equal(v, 1);
	/* The engine's own version, then rhook's next one after it. */
	assert_int_equal(rhook_manifest_notify(f->ctx, f->edit, RHOOK_CAUSE_COMPACTION, &info, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(rhook_manifest_notify(f->ctx, f->edit, RHOOK_CAUSE_FLUSH, NULL, &v), 0);
	assert_int_equal(v, 11);
	/* A lower engine version (a call that arrived late) is notified; the last version stays. */
	info.version = 5;
	assert_int_equal(rhook_manifest_notify(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &info, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(rhook_manifest_last_version(f->ctx), 11);
	assert_int_equal(f->seen.calls, 4);
	assert_int_equal(f->seen.versions[0], 1);
	assert_int_equal(f->seen.versions[1], 10);
	assert_int_equal(f->seen.versions[2], 11);
	assert_int_equal(f->seen.versions[3], 5);
}

/* Committed under the engine's lock, fired under it: refused, stays pending, fires after unlock. */
static void fire_under_engine_lock(struct fixture *f)
{
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;

	engine_lock(&f->lock);
	assert_int_equal(rhook_manifest_committed(f->ctx, f->edit, RHOOK_CAUSE_FLUSH, NULL, &r), 0);
	assert_int_equal(rhook_receipt_fire(&r), -EDEADLK); /* debug builds abort here */
	assert_true(rhook_receipt_pending(&r));
	assert_int_equal(f->seen.calls, 0);
	engine_unlock(&f->lock);
	assert_int_equal(rhook_receipt_fire(&r), 0);
	assert_false(rhook_receipt_pending(&r));
	assert_int_equal(f->seen.calls, 1);
}

/* rhook_manifest_notify() under the engine's lock: the error, no hook, nothing left pending. */
static void notify_under_engine_lock(struct fixture *f)
{
	uint64_t v = 0;

	engine_lock(&f->lock);
	assert_int_equal(rhook_manifest_notify(f->ctx, f->edit, RHOOK_CAUSE_FLUSH, NULL, &v), -EDEADLK);
	engine_unlock(&f->lock);
	assert_int_equal(f->seen.calls, 0);
}

/* Runs this program with --child @name; expects SIGABRT and @msg on stderr. */
static void expect_child_abort(const char *name, const char *msg)
{
	char *argv[] = { (char *)self_path, "--child", (char *)name, NULL };
	char *env[] = { "ASAN_OPTIONS=detect_leaks=0", NULL };
	char *err;
	int st = rt_run(argv, env, NULL, &err);

	if (st != 128 + SIGABRT || !strstr(err, msg))
		fail_msg("child %s: status %d, stderr:\n%s", name, st, err);
	free(err);
}

static void test_fire_under_engine_lock(void **state)
{
	struct fixture *f = *state;

	if (rhook_debug_build()) {
		expect_child_abort("fire-under-engine-lock",
				   "region 330712481794(77, 2) version 1 fired while this thread holds the region's "
				   "manifest lock (the engine's lock_held says so)");
		expect_child_abort("notify-under-engine-lock", "the engine's lock_held says so");
		return;
	}
	fire_under_engine_lock(f);
	f->seen.calls = 0;
	notify_under_engine_lock(f);
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

/* Another thread may fire while the engine still holds its lock: lock_held is per thread. */
static void test_fire_on_other_thread(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;
	struct other_thread o = { &r, -1 };
	pthread_t t;

	engine_lock(&f->lock);
	assert_int_equal(rhook_manifest_committed(f->ctx, f->edit, RHOOK_CAUSE_EDIT, NULL, &r), 0);
	assert_int_equal(pthread_create(&t, NULL, fire_elsewhere, &o), 0);
	pthread_join(t, NULL);
	engine_unlock(&f->lock);
	assert_int_equal(o.ret, 0);
	assert_int_equal(f->seen.calls, 1);
}

static void test_merge(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt a = RHOOK_RECEIPT_INIT, b = RHOOK_RECEIPT_INIT;

	engine_lock(&f->lock);
	assert_int_equal(rhook_manifest_committed(f->ctx, f->edit, RHOOK_CAUSE_STAGING_EXIT, NULL, &a), 0);
	assert_int_equal(rhook_manifest_committed(f->ctx, f->edit, RHOOK_CAUSE_ALTER, NULL, &b), 0);
	assert_int_equal(rhook_receipt_merge(&a, &a), -EINVAL);
	assert_int_equal(rhook_receipt_merge(&a, &b), 0);
	assert_false(rhook_receipt_pending(&b));
	/* A pending receipt cannot take a second commit. */
	assert_int_equal(rhook_manifest_committed(f->ctx, f->edit, RHOOK_CAUSE_ALTER, NULL, &a), -EBUSY);
	engine_unlock(&f->lock);
	assert_int_equal(rhook_receipt_fire(&a), 0);
	assert_int_equal(f->seen.calls, 1);
	assert_int_equal(f->seen.versions[0], 2);
	assert_int_equal(f->seen.num_actions[0], 2);
	assert_int_equal(rhook_manifest_last_version(f->ctx), 2); /* the -EBUSY call consumed nothing */
}

/* Threads notify at once; rhook assigns versions.  Conservation: every version 1..N*K once. */
#define THREADS 4
#define PER_THREAD 500

struct version_hook {
	pthread_mutex_t mu;
	unsigned char seen[THREADS * PER_THREAD + 1];
	int calls, dup, out_of_range;
};

static void on_manifest_count(void *priv, rhook_region_id region_id, const struct rhook_action_list *actions,
			      uint64_t version)
{
	struct version_hook *h = priv;

	(void)region_id;
	(void)actions;
	pthread_mutex_lock(&h->mu);
	h->calls++;
	if (version < 1 || version > THREADS * PER_THREAD)
		h->out_of_range++;
	else if (h->seen[version]++)
		h->dup++;
	pthread_mutex_unlock(&h->mu);
}

struct notifier {
	struct rhook_manifest_ctx *ctx;
	const struct rhook_action_list *actions;
	int errors;
};

static void *notify_many(void *arg)
{
	struct notifier *n = arg;

	for (int i = 0; i < PER_THREAD; i++)
		if (rhook_manifest_notify(n->ctx, n->actions, RHOOK_CAUSE_FLUSH, NULL, NULL))
			n->errors++;
	return NULL;
}

static void test_concurrent_notify(void **state)
{
	static const struct rhook_hook_ops ops = { .size = sizeof(ops), .on_manifest_updated = on_manifest_count };
	struct fixture *f = *state;
	struct version_hook h = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct rhook_external_manifest_config cfg = { .size = sizeof(cfg), .region_id = REGION };
	struct rhook_manifest_ctx *ctx;
	struct rhook_registry *reg;
	struct notifier n[THREADS];
	pthread_t t[THREADS];

	/* Its own registry: the fixture's hook is not thread-safe. */
	assert_int_equal(rhook_registry_new(&reg), 0);
	assert_int_equal(rhook_registry_add(reg, &ops, &h, NULL), 0);
	cfg.registry = reg;
	assert_int_equal(rhook_manifest_ctx_new_external(&cfg, &ctx), 0);
	for (int i = 0; i < THREADS; i++) {
		n[i] = (struct notifier){ ctx, f->edit, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, notify_many, &n[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(n[i].errors, 0);
	}
	assert_int_equal(h.calls, THREADS * PER_THREAD);
	assert_int_equal(h.dup, 0);
	assert_int_equal(h.out_of_range, 0);
	assert_int_equal(rhook_manifest_last_version(ctx), THREADS * PER_THREAD);
	rhook_manifest_ctx_free(ctx);
	rhook_registry_free(reg);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;
	struct rhook_commit_info bad = { .size = 8 };
	struct rhook_file_meta fm = f->fm;
	struct rhook_action_edit ed = { .files_to_add = &fm, .num_files_to_add = 1 };
	struct rhook_action_list *invalid = rhook_action_list_new();
	struct {
		struct rhook_external_manifest_config cfg;
		uint64_t unknown;
	} newer = { { .size = sizeof(newer) }, 1 };
	struct rhook_manifest_ctx *ctx = NULL;

	assert_int_equal(rhook_manifest_update_locked(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &r), -EOPNOTSUPP);
	assert_int_equal(rhook_manifest_advance_version(f->ctx, 3), -EOPNOTSUPP);
	assert_false(rhook_manifest_held(f->ctx));
	assert_int_equal(rhook_manifest_committed(f->ctx, f->edit, (enum rhook_cause)99, NULL, &r), -EINVAL);
	assert_int_equal(rhook_manifest_committed(f->ctx, f->edit, RHOOK_CAUSE_EDIT, &bad, &r), -EINVAL);
	assert_int_equal(rhook_manifest_committed(NULL, f->edit, RHOOK_CAUSE_EDIT, NULL, &r), -EINVAL);
	/* The one rule of rhook/action.h, as for update_locked. */
	fm.level = 3;
	assert_non_null(invalid);
	assert_int_equal(rhook_action_list_add_edit(invalid, &ed), -EINVAL);
	assert_false(rhook_receipt_pending(&r));
	assert_int_equal(rhook_manifest_last_version(f->ctx), 0);
	rhook_action_list_free(invalid);
	/* Extensible config: an unknown non-zero field is refused. */
	assert_int_equal(rhook_manifest_ctx_new_external(&newer.cfg, &ctx), -EINVAL);
	newer.unknown = 0;
	assert_int_equal(rhook_manifest_ctx_new_external(&newer.cfg, &ctx), 0);
	rhook_manifest_ctx_free(ctx);
	{
		/* A manifest context is not external: committed() refuses it. */
		struct rhook_manifest_ctx_config mc = { .size = sizeof(mc), .region_id = REGION, .store_ops = &rt_store_nothing };

		assert_int_equal(rhook_manifest_ctx_new(&mc, &ctx), 0);
		assert_false(rhook_manifest_is_external(ctx));
		assert_int_equal(rhook_manifest_committed(ctx, f->edit, RHOOK_CAUSE_EDIT, NULL, &r), -EINVAL);
		rhook_manifest_ctx_free(ctx);
	}
	expect_child_abort("lock-external", "an external context has no mutex");
}

/* The events of an external context in a real recorder file: rhook-read sees them and check passes. */
static void test_recorded_and_checked(void **state)
{
	struct fixture *f = *state;
	struct rhook_recorder_config rc = { .size = sizeof(rc), .buffer_size = 64 * 1024, .num_buffers = 2 };
	struct rhook_commit_info info = { .size = sizeof(info), .lock_hold_ns = 12345 };
	char dir[PATH_MAX], path[PATH_MAX], *out = NULL;
	uint64_t v;

	rt_tmpdir(dir, "external");
	rc.dir = dir;
	assert_int_equal(rhook_recorder_start(&rc), 0);
	assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	{
		/* The commit and its notification carry the calling thread's job. */
		uint64_t prev = rhook_job_enter(4242);

		for (int i = 0; i < 3; i++)
			assert_int_equal(rhook_manifest_notify(f->ctx, f->edit, RHOOK_CAUSE_FLUSH, &info, &v), 0);
		rhook_job_enter(prev);
	}
	assert_int_equal(rhook_recorder_stop(), 0);
	{
		char *argv[] = { (char *)rt_bin("rhook-read"), "print", "--json", path, NULL };

		assert_int_equal(rt_run(argv, NULL, &out, NULL), 0);
	}
	for (unsigned i = 1; i <= 3; i++) {
		char commit[160], updated[160];

		snprintf(commit, sizeof(commit), "\"job_id\":4242,\"version\":%u,\"lock_wait_ns\":0,\"lock_hold_ns\":12345", i);
		snprintf(updated, sizeof(updated), "\"job_id\":4242,\"version\":%u,", i);
		if (!strstr(out, commit) || !strstr(out, updated))
			fail_msg("no manifest_commit of version %u with the engine's hold time in:\n%s", i, out);
	}
	free(out);
	{
		char *argv[] = { (char *)rt_bin("rhook-read"), "check", path, NULL };

		assert_int_equal(rt_run(argv, NULL, &out, NULL), 0);
	}
	free(out);
	assert_int_equal(tc_rmtree(dir), 0);
}

static void test_unfired_receipt_reported(void **state)
{
	struct fixture *f = *state;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;

	assert_int_equal(rhook_manifest_committed(f->ctx, f->edit, RHOOK_CAUSE_EDIT, NULL, &r), 0);
	if (!rhook_debug_build()) {
		rhook_receipt_discard(&r);
		return;
	}
	assert_int_equal(rhook_debug_unfired_receipts(false), 1);
	rhook_receipt_discard(&r);
	assert_int_equal(rhook_debug_unfired_receipts(false), 0);
}

static int child(const char *name)
{
	void *state;
	struct fixture *f;

	setup(&state);
	f = state;
	if (!strcmp(name, "fire-under-engine-lock"))
		fire_under_engine_lock(f);
	else if (!strcmp(name, "notify-under-engine-lock"))
		notify_under_engine_lock(f);
	else if (!strcmp(name, "lock-external"))
		rhook_manifest_lock(f->ctx);
	else
		fprintf(stderr, "unknown child case %s\n", name);
	return 3; /* reached only if the violation was not caught */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fire_under_engine_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fire_on_other_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recorded_and_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unfired_receipt_reported, setup, teardown),
	};

	self_path = argv[0];
	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
