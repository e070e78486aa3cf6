/*
 * core_grace.c - the calls that wait for a grace period (registry remove
 * and free, recorder stop) never hang their caller, in every documented
 * use: under a manifest mutex that another thread's hook waits for, from
 * inside a callback, and from a release() on liburcu's call_rcu thread.
 *
 * A hang is the failure these tests look for: every wait is bounded, and
 * an alarm ends the program with a message if a call never returns.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "rt.h"
#include "store_nothing.h"

#define ALARM_S 60     /* the whole program; a call that never returns ends it */
#define WAIT_MS 20000  /* for an asynchronous release */

static const char *current_test = "?";

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: a call did not return: deadlock in ";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0 || write(2, current_test, strlen(current_test)) < 0 ||
	    write(2, "\n", 1) < 0)
		_exit(1);
	_exit(1);
}

/* Polls @flag for up to WAIT_MS; whether it became non-zero. */
static bool wait_flag(atomic_int *flag)
{
	for (int i = 0; i < WAIT_MS && !atomic_load(flag); i++)
		usleep(1000);
	return atomic_load(flag) != 0;
}


static struct rhook_manifest_ctx *new_ctx(struct rhook_registry *reg)
{
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = rhook_region_id_make(5, 1),
						 .registry = reg, .store_ops = &rt_store_nothing };
	struct rhook_manifest_ctx *ctx = NULL;

	assert_int_equal(rhook_manifest_ctx_new(&cfg, &ctx), 0);
	return ctx;
}

/* A hook that, when called, reads the manifest (takes its mutex) as the API allows. */
struct reader_hook {
	struct rhook_manifest_ctx *ctx;
	atomic_int entered, done;
};

static void reader_manifest(void *priv, rhook_region_id r, const struct rhook_action_list *a, uint64_t v)
{
	struct reader_hook *h = priv;

	(void)r;
	(void)a;
	(void)v;
	atomic_store(&h->entered, 1);
	rhook_manifest_lock(h->ctx);
	rhook_manifest_unlock(h->ctx);
	atomic_store(&h->done, 1);
}

static const struct rhook_hook_ops reader_ops = { .size = sizeof(reader_ops), .on_manifest_updated = reader_manifest };

/* A hook that only counts its releases; the release may take a manifest mutex. */
struct counted {
	atomic_int released;
	struct rhook_manifest_ctx *lock_in_release;
};

static void counted_release(void *priv)
{
	struct counted *c = priv;

	if (c->lock_in_release) {
		rhook_manifest_lock(c->lock_in_release);
		rhook_manifest_unlock(c->lock_in_release);
	}
	atomic_fetch_add(&c->released, 1);
}

static const struct rhook_hook_ops counted_ops = { .size = sizeof(counted_ops), .release = counted_release };

struct dispatch_arg {
	struct rhook_registry *reg;
};

static void *dispatch_thread(void *arg)
{
	struct dispatch_arg *d = arg;

	rhook_dispatch_manifest_updated(d->reg, 1, NULL, 1);
	return NULL;
}

/*
 * Issue 8 item 2: the caller holds a manifest mutex and another thread's
 * hook waits for it.  A grace period would wait for that hook, which
 * waits for the caller: remove and free (of unrelated registries) must
 * defer their releases, recorder stop must refuse with -EDEADLK.  A
 * release that takes the very mutex the freeing thread holds must not run
 * on that thread either.
 */
static void test_under_manifest_mutex(void **state)
{
	struct rhook_registry *waiting_reg, *other_reg, *freed_reg;
	struct rhook_recorder_config rc = { .size = sizeof(rc), .buffer_size = 64 * 1024, .num_buffers = 2 };
	struct counted x = { 0 }, y = { 0 }, z = { 0 };
	struct rhook_hook *x_handle;
	struct reader_hook w = { 0 };
	struct rhook_manifest_ctx *ctx;
	struct dispatch_arg d;
	char dir[PATH_MAX];
	pthread_t t;

	(void)state;
	current_test = "test_under_manifest_mutex";
	rt_tmpdir(dir, "grace");
	rc.dir = dir;
	assert_int_equal(rhook_recorder_start(&rc), 0);
	assert_int_equal(rhook_registry_new(&waiting_reg), 0);
	assert_int_equal(rhook_registry_new(&other_reg), 0);
	assert_int_equal(rhook_registry_new(&freed_reg), 0);
	ctx = new_ctx(NULL);
	w.ctx = ctx;
	assert_int_equal(rhook_registry_add(waiting_reg, &reader_ops, &w, NULL), 0);
	assert_int_equal(rhook_registry_add(other_reg, &counted_ops, &x, &x_handle), 0);
	z.lock_in_release = ctx;
	assert_int_equal(rhook_registry_add(freed_reg, &counted_ops, &y, NULL), 0);
	assert_int_equal(rhook_registry_add(freed_reg, &counted_ops, &z, NULL), 0);

	rhook_manifest_lock(ctx);
	d.reg = waiting_reg;
	assert_int_equal(pthread_create(&t, NULL, dispatch_thread, &d), 0);
	assert_true(wait_flag(&w.entered)); /* the hook is inside its callback, waiting for ctx */

	/* Removal of a hook of another registry: returns at once; the release waits for the grace period. */
	assert_int_equal(rhook_registry_remove(other_reg, x_handle), 0);
	assert_int_equal(rhook_registry_remove(other_reg, x_handle), -ENOENT);
	assert_int_equal(atomic_load(&x.released), 0); /* the waiting hook holds the grace period open */
	/* Free of a registry: returns at once too, its releases deferred (z's takes ctx: not on this thread). */
	rhook_registry_free(freed_reg);
	assert_int_equal(atomic_load(&y.released) + atomic_load(&z.released), 0);
	/* Recorder stop refuses, still recording. */
	assert_int_equal(rhook_recorder_stop(), -EDEADLK);
	{
		char path[PATH_MAX];

		assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	}
	assert_int_equal(atomic_load(&w.done), 0);
	rhook_manifest_unlock(ctx);

	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&w.done), 1);
	assert_true(wait_flag(&x.released));
	assert_true(wait_flag(&y.released));
	assert_true(wait_flag(&z.released));
	assert_int_equal(rhook_recorder_stop(), 0);
	rhook_registry_free(other_reg);
	rhook_registry_free(waiting_reg);
	assert_int_equal(atomic_load(&x.released), 1);
	assert_int_equal(atomic_load(&y.released), 1);
	assert_int_equal(atomic_load(&z.released), 1);
	rhook_manifest_ctx_free(ctx);
	assert_int_equal(tc_rmtree(dir), 0);
}

/*
 * A hook whose release() frees its own registry (the plugin pattern: the
 * last hook tears down).  @self_remove: the hook removes itself from its
 * callback, so the release runs on the call_rcu thread.
 */
struct owner_hook {
	struct rhook_registry *reg;
	struct rhook_hook *handle;
	bool self_remove;
	bool free_in_callback;
	atomic_int calls, freed;
};

static void owner_manifest(void *priv, rhook_region_id r, const struct rhook_action_list *a, uint64_t v)
{
	struct owner_hook *o = priv;

	(void)r;
	(void)a;
	(void)v;
	atomic_fetch_add(&o->calls, 1);
	if (o->self_remove)
		assert_int_equal(rhook_registry_remove(o->reg, o->handle), 0);
	if (o->free_in_callback) {
		rhook_registry_free(o->reg);
		atomic_store(&o->freed, 1);
	}
}

static void owner_release(void *priv)
{
	struct owner_hook *o = priv;

	if (!o->free_in_callback) {
		rhook_registry_free(o->reg);
		atomic_store(&o->freed, 1);
	}
}

static const struct rhook_hook_ops owner_ops = {
	.size = sizeof(owner_ops), .on_manifest_updated = owner_manifest, .release = owner_release,
};

/*
 * Issue 8 item 3: release() frees the hook's own registry, in each way a
 * release can come to run: removed from inside its callback (on the
 * call_rcu thread), removed from outside (on the remover's thread), and
 * the registry freed from inside a callback.  Another hook of the
 * registry is released too, exactly once.
 */
static void test_release_frees_own_registry(void **state)
{
	for (int mode = 0; mode < 3; mode++) {
		struct owner_hook o = { .self_remove = mode == 0, .free_in_callback = mode == 2 };
		struct counted other = { 0 };

		(void)state;
		current_test = mode == 0 ? "release frees its registry after removal from its callback"
			       : mode == 1 ? "release frees its registry after removal from outside"
					   : "a callback frees its registry";
		assert_int_equal(rhook_registry_new(&o.reg), 0);
		assert_int_equal(rhook_registry_add(o.reg, &owner_ops, &o, &o.handle), 0);
		assert_int_equal(rhook_registry_add(o.reg, &counted_ops, &other, NULL), 0);
		rhook_dispatch_manifest_updated(o.reg, 1, NULL, 1);
		assert_int_equal(atomic_load(&o.calls), 1);
		if (mode == 1) {
			assert_int_equal(rhook_registry_remove(o.reg, o.handle), 0);
			assert_int_equal(atomic_load(&o.freed), 1); /* synchronous: done when remove returned */
		}
		if (!wait_flag(&o.freed))
			fail_msg("%s: rhook_registry_free() never returned", current_test);
		if (!wait_flag(&other.released))
			fail_msg("%s: the other hook was never released", current_test);
		/* Give a second release a chance to show up, then check there was one. */
		usleep(20000);
		assert_int_equal(atomic_load(&other.released), 1);
	}
}

/* A release on the call_rcu thread that removes a hook of another registry (waits for a grace period there). */
struct chain_hook {
	struct rhook_registry *reg, *next_reg;
	struct rhook_hook *handle, *next_handle;
	atomic_int removed_next;
};

static void chain_manifest(void *priv, rhook_region_id r, const struct rhook_action_list *a, uint64_t v)
{
	struct chain_hook *c = priv;

	(void)r;
	(void)a;
	(void)v;
	assert_int_equal(rhook_registry_remove(c->reg, c->handle), 0);
}

static void chain_release(void *priv)
{
	struct chain_hook *c = priv;

	if (rhook_registry_remove(c->next_reg, c->next_handle) == 0)
		atomic_store(&c->removed_next, 1);
}

static const struct rhook_hook_ops chain_ops = {
	.size = sizeof(chain_ops), .on_manifest_updated = chain_manifest, .release = chain_release,
};

static void test_release_removes_elsewhere(void **state)
{
	struct chain_hook c = { 0 };
	struct counted next = { 0 };

	(void)state;
	current_test = "test_release_removes_elsewhere";
	assert_int_equal(rhook_registry_new(&c.reg), 0);
	assert_int_equal(rhook_registry_new(&c.next_reg), 0);
	assert_int_equal(rhook_registry_add(c.next_reg, &counted_ops, &next, &c.next_handle), 0);
	assert_int_equal(rhook_registry_add(c.reg, &chain_ops, &c, &c.handle), 0);
	rhook_dispatch_manifest_updated(c.reg, 1, NULL, 1);
	assert_true(wait_flag(&c.removed_next));
	assert_int_equal(atomic_load(&next.released), 1); /* the remove on the call_rcu thread waited */
	rhook_registry_free(c.reg);
	rhook_registry_free(c.next_reg);
	assert_int_equal(atomic_load(&next.released), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_under_manifest_mutex),
		cmocka_unit_test(test_release_frees_own_registry),
		cmocka_unit_test(test_release_removes_elsewhere),
	};

	signal(SIGALRM, on_alarm);
	alarm(ALARM_S);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
