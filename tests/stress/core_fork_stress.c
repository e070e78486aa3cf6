/*
 * core_fork_stress.c - fork() while hooks churn and the recorder records.
 *
 * usage: core_fork_stress [seconds [max-forks]]
 *
 * One thread adds and removes hooks (each add retires a hook set through
 * call_rcu, so liburcu's call_rcu thread is busy with grace periods), and
 * some hooks remove themselves from their first callback (a deferred
 * release); dispatcher threads record events into the flight recorder,
 * commit manifest versions and dispatch; one thread forks over and over.
 * Each child dispatches (its resident hook must see it), removes a hook
 * (its release must have run when the remove returns), records an event,
 * stops its recorder and exits.
 *
 * Nothing may hang: the parent gives each child a bounded time to exit,
 * and main gives every thread a bounded time to finish once told to stop;
 * a thread stuck past it is a deadlock, reported before the process gives
 * up (it cannot unwind a deadlocked thread).  After joining, main checks
 * the conservation laws: every fork was reaped, with status 0; every hook
 * the churn thread added was released exactly once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "rt.h"
#include "store_nothing.h"

#define NUM_DISPATCHERS 2
#define CHILD_TIMEOUT_S 20 /* a child that takes longer is stuck */
#define JOIN_TIMEOUT_S 30  /* so is a thread still running this long after stop */

/* Exit statuses of a child. */
enum { CHILD_OK = 0, CHILD_NOT_DISPATCHED = 3, CHILD_REMOVE_FAILED = 4, CHILD_NOT_RELEASED = 5, CHILD_STOP_FAILED = 6 };

struct counting_hook {
	atomic_uint_fast64_t calls;
	atomic_int released;
};

/*
 * A churned hook.  Self-removing ones remove themselves from their first
 * callback.  Two references: the churn thread's and the release's; the
 * last to drop frees it (a deferred release may run after the churn
 * thread moved on).
 */
struct churned {
	struct rhook_hook *handle;
	atomic_int refs;
	atomic_int removed_by_callback;
	atomic_int released;
	bool self_removing;
};

/*
 * ASan as built by GCC 12 does not hold its allocator's locks across
 * fork(): a child may hang in malloc() on a lock that a parent thread
 * held, for a reason outside rhook (glibc's own malloc is safe).  In ASan
 * builds the worker threads therefore leave this gate only between steps
 * and the forking thread closes it around fork(); liburcu's call_rcu
 * thread, whose grace periods the fork handlers' order is about, is not
 * gated.  Other builds fork with the workers anywhere.
 */
#if defined(__SANITIZE_ADDRESS__)
#define GATED 1
#else
#define GATED 0
#endif
static pthread_rwlock_t gate;

static void gate_enter(void)
{
	if (GATED)
		pthread_rwlock_rdlock(&gate);
}

static void gate_leave(void)
{
	if (GATED)
		pthread_rwlock_unlock(&gate);
}

static struct rhook_registry *reg;
static struct rhook_manifest_ctx *ctx;
static struct rhook_action_list *actions;
static struct counting_hook resident, child_hook;
static struct rhook_hook *child_handle;
static atomic_int stop;
static atomic_uint_fast64_t churned_released, double_releases;

/* Per-thread counters: written by their thread, read by main after joining. */
static uint64_t churned_hooks, churn_errors, release_errors;
static uint64_t dispatches[NUM_DISPATCHERS], dispatch_errors[NUM_DISPATCHERS];
static uint64_t forks, reaped_ok, child_failures, child_hangs, fork_errors;
static int last_child_status;

static void count_manifest(void *priv, rhook_region_id r, const struct rhook_action_list *a, uint64_t v)
{
	struct counting_hook *h = priv;

	(void)r;
	(void)a;
	(void)v;
	atomic_fetch_add_explicit(&h->calls, 1, memory_order_relaxed);
}

static void count_release(void *priv)
{
	struct counting_hook *h = priv;

	atomic_fetch_add(&h->released, 1);
}

static const struct rhook_hook_ops counting_ops = {
	.size = sizeof(counting_ops), .on_manifest_updated = count_manifest, .release = count_release,
};

static void churned_put(struct churned *c)
{
	if (atomic_fetch_sub(&c->refs, 1) == 1)
		free(c);
}

static void churned_manifest(void *priv, rhook_region_id r, const struct rhook_action_list *a, uint64_t v)
{
	struct churned *c = priv;

	(void)r;
	(void)a;
	(void)v;
	if (c->self_removing && rhook_registry_remove(reg, c->handle) == 0)
		atomic_store(&c->removed_by_callback, 1);
}

static void churned_release(void *priv)
{
	struct churned *c = priv;

	if (atomic_fetch_add(&c->released, 1))
		atomic_fetch_add(&double_releases, 1);
	atomic_fetch_add(&churned_released, 1);
	churned_put(c);
}

static const struct rhook_hook_ops churned_ops = {
	.size = sizeof(churned_ops), .on_manifest_updated = churned_manifest, .release = churned_release,
};

/* Adds and removes hooks until told to stop. */
static void *churn_loop(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct churned *c;
		int err;

		gate_enter();
		c = calloc(1, sizeof(*c));
		if (!c) {
			gate_leave();
			churn_errors++;
			break;
		}
		atomic_init(&c->refs, 2);
		c->self_removing = churned_hooks % 2;
		if (rhook_registry_add(reg, &churned_ops, c, &c->handle)) {
			gate_leave();
			churn_errors++;
			free(c);
			break;
		}
		churned_hooks++;
		if (c->self_removing) {
			/* The dispatchers call it soon; remove it here only if they have not. */
			gate_leave();
			for (int i = 0; i < 2000 && !atomic_load(&c->removed_by_callback); i++)
				usleep(5);
			gate_enter();
			err = rhook_registry_remove(reg, c->handle);
			if (err == -ENOENT ? !atomic_load(&c->removed_by_callback) : err != 0)
				churn_errors++;
		} else {
			if (rhook_registry_remove(reg, c->handle))
				churn_errors++;
			else if (atomic_load(&c->released) != 1)
				release_errors++; /* outside a callback, remove returns after the release */
		}
		churned_put(c);
		gate_leave();
	}
	return NULL;
}

static void *dispatch_loop(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	rhook_region_id region = rhook_region_id_make(9, id);
	struct rhook_file_meta fm = { .region_id = region };
	struct rhook_sst_info si = { .num_rows = 1 };
	struct rhook_sst_file file = { &si, &fm };

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t t;

		gate_enter();
		t = rhook_trace_flush_begin(region, 1, 1);
		fm.file_id = rhook_file_id_generate();
		si.file_id = fm.file_id;
		rhook_sst_files_written(reg, region, NULL, &file, 1, RHOOK_ORIGIN_FLUSH);
		rhook_trace_flush_end(t, region, 1, 1, 1, 0);
		if (id == 0 && rhook_manifest_update(ctx, actions, RHOOK_CAUSE_FLUSH, NULL))
			dispatch_errors[id]++;
		rhook_dispatch_manifest_updated(reg, region, actions, dispatches[id]);
		dispatches[id]++;
		gate_leave();
	}
	return NULL;
}

/*
 * In the child: dispatch, remove a hook, record, then take every lock
 * rhook's exit path takes (the recorder's, the debug ledger's) and exit.
 * _exit(): a child of a multi-threaded parent inherits allocations of
 * threads that do not exist there, which LeakSanitizer would report.
 */
static void child_main(void)
{
	uint64_t before = atomic_load(&resident.calls);
	int err;

	rhook_dispatch_manifest_updated(reg, 1, actions, 1);
	if (atomic_load(&resident.calls) == before)
		_exit(CHILD_NOT_DISPATCHED);
	if (rhook_registry_remove(reg, child_handle))
		_exit(CHILD_REMOVE_FAILED);
	if (atomic_load(&child_hook.released) != 1)
		_exit(CHILD_NOT_RELEASED);
	rhook_trace_compaction_end(rhook_trace_compaction_begin(1, 1, 1, false), 1, 1, 1, 1, 1, false, 0);
	(void)rhook_debug_unfired_receipts(false);
	/* The child records into a file of its own: stopping it is 0 (-ENOENT if it never started one). */
	err = rhook_recorder_stop();
	_exit(err == 0 || err == -ENOENT ? CHILD_OK : CHILD_STOP_FAILED);
}

/* Waits for @pid at most CHILD_TIMEOUT_S; kills it past that. */
static void reap(pid_t pid)
{
	struct timespec pause = { 0, 1000000 };
	int status;

	for (long waited_ms = 0; waited_ms < CHILD_TIMEOUT_S * 1000L; waited_ms++) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_OK) {
				reaped_ok++;
			} else {
				child_failures++;
				last_child_status = status;
			}
			return;
		}
		if (w < 0 && errno != EINTR) {
			child_failures++;
			return;
		}
		nanosleep(&pause, NULL);
	}
	child_hangs++;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

struct fork_args {
	uint64_t max_forks;
};

static void *fork_loop(void *arg)
{
	const struct fork_args *fa = arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed) && forks < fa->max_forks) {
		pid_t pid;

		if (GATED)
			pthread_rwlock_wrlock(&gate);
		pid = fork();
		if (GATED && pid != 0)
			pthread_rwlock_unlock(&gate);

		if (pid == 0)
			child_main();
		if (pid < 0) {
			fork_errors++;
			break;
		}
		forks++;
		reap(pid);
	}
	return NULL;
}

static unsigned seconds = 3;
static uint64_t max_forks = 150;

/* Joins @t, or reports a deadlock and ends the process (a stuck thread cannot be unwound). */
static void join_or_die(pthread_t t, const char *what)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += JOIN_TIMEOUT_S;
	if (pthread_timedjoin_np(t, NULL, &deadline)) {
		fprintf(stderr, "FAIL: the %s thread is still running %d s after stop: deadlock\n", what,
			JOIN_TIMEOUT_S);
		_exit(1);
	}
}

static void test_fork_under_churn(void **state)
{
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = rhook_region_id_make(9, 0),
						 .store_ops = &rt_store_nothing };
	struct rhook_recorder_config rc = { .size = sizeof(rc), .buffer_size = 64 * 1024, .num_buffers = 4,
					    .num_subbuffers = 4 };
	struct fork_args fa = { max_forks };
	pthread_t churner, forker, disp[NUM_DISPATCHERS];
	struct rhook_hook *resident_handle;
	char dir[PATH_MAX];
	uint64_t total = 0;

	(void)state;
	{
		pthread_rwlockattr_t attr;

		/* The forking thread must not starve behind the workers. */
		pthread_rwlockattr_init(&attr);
		pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&gate, &attr);
		pthread_rwlockattr_destroy(&attr);
	}
	rt_tmpdir(dir, "forkstress");
	rc.dir = dir;
	assert_int_equal(rhook_recorder_start(&rc), 0);
	assert_int_equal(rhook_registry_new(&reg), 0);
	cfg.registry = reg;
	assert_int_equal(rhook_manifest_ctx_new(&cfg, &ctx), 0);
	actions = rhook_action_list_new();
	assert_non_null(actions);
	assert_int_equal(rhook_action_list_add_remove(actions, cfg.region_id), 0);
	assert_int_equal(rhook_registry_add(reg, &counting_ops, &resident, &resident_handle), 0);
	assert_int_equal(rhook_registry_add(reg, &counting_ops, &child_hook, &child_handle), 0);

	assert_int_equal(pthread_create(&churner, NULL, churn_loop, NULL), 0);
	for (unsigned i = 0; i < NUM_DISPATCHERS; i++)
		assert_int_equal(pthread_create(&disp[i], NULL, dispatch_loop, (void *)(uintptr_t)i), 0);
	assert_int_equal(pthread_create(&forker, NULL, fork_loop, &fa), 0);
	sleep(seconds);
	atomic_store(&stop, 1);
	join_or_die(forker, "forking");
	join_or_die(churner, "churn");
	for (unsigned i = 0; i < NUM_DISPATCHERS; i++)
		join_or_die(disp[i], "dispatcher");

	for (unsigned i = 0; i < NUM_DISPATCHERS; i++) {
		total += dispatches[i];
		assert_int_equal(dispatch_errors[i], 0);
	}
	printf("forks %" PRIu64 ", hooks churned %" PRIu64 ", dispatches %" PRIu64 "\n", forks, churned_hooks, total);
	if (child_failures)
		fail_msg("%" PRIu64 " children failed (last wait status 0x%x)", child_failures, last_child_status);
	assert_int_equal(child_hangs, 0);
	assert_int_equal(fork_errors, 0);
	assert_int_equal(reaped_ok, forks);
	assert_true(forks > 0);
	assert_true(total > 0);
	assert_int_equal(churn_errors, 0);
	assert_int_equal(release_errors, 0);
	assert_true(churned_hooks > 0);

	assert_int_equal(rhook_registry_remove(reg, resident_handle), 0);
	assert_int_equal(atomic_load(&resident.released), 1);
	rhook_manifest_ctx_free(ctx);
	rhook_registry_free(reg);
	/* Every churned hook was released exactly once (deferred ones by the time free returned). */
	assert_int_equal(atomic_load(&churned_released), churned_hooks);
	assert_int_equal(atomic_load(&double_releases), 0);
	assert_int_equal(atomic_load(&child_hook.released), 1);
	rhook_action_list_free(actions);
	assert_int_equal(rhook_recorder_stop(), 0);
	assert_int_equal(tc_rmtree(dir), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_under_churn),
	};

	if (argc > 1)
		seconds = (unsigned)atoi(argv[1]);
	if (argc > 2)
		max_forks = strtoull(argv[2], NULL, 10);
	if (seconds < 1 || max_forks < 1) {
		fprintf(stderr, "usage: %s [seconds >= 1 [max-forks >= 1]]\n", argv[0]);
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
