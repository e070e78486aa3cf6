/*
 * core_commit_event.c - rhook:manifest_commit's lock_hold_ns covers the
 * whole hold of the manifest mutex, including the wait in
 * rhook_manifest_unlock() for the previous hold's events.
 *
 * White box: to make that wait long and certain, the test holds the
 * context's emit lock itself (what a previous hold still emitting its
 * events does), through the layout in src/core/manifest_ctx.h.  The event
 * is read back from a real recorder file with rhook-read.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "core/manifest_ctx.h"
#include "rt.h"
#include "store_nothing.h"

#define EMIT_WAIT_MS 100

struct holder {
	struct rhook_manifest_ctx *ctx;
	struct rhook_action_list *actions;
	atomic_int locked, go;
	int update_err, fire_err;
};

/* Holds the mutex, commits one version, and unlocks when told to. */
static void *hold(void *arg)
{
	struct holder *h = arg;
	struct rhook_receipt r = RHOOK_RECEIPT_INIT;

	rhook_manifest_lock(h->ctx);
	h->update_err = rhook_manifest_update_locked(h->ctx, h->actions, RHOOK_CAUSE_EDIT, &r);
	atomic_store(&h->locked, 1);
	while (!atomic_load(&h->go))
		usleep(100);
	rhook_manifest_unlock(h->ctx); /* waits for emit_lock, mutex still held */
	h->fire_err = rhook_receipt_fire(&r);
	return NULL;
}

static void test_hold_covers_emit_wait(void **state)
{
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = rhook_region_id_make(3, 1),
						 .store_ops = &rt_store_nothing };
	struct rhook_recorder_config rc = { .size = sizeof(rc), .buffer_size = 64 * 1024, .num_buffers = 2 };
	struct timespec pause = { 0, EMIT_WAIT_MS * 1000000L };
	struct holder h = { 0 };
	char dir[PATH_MAX], path[PATH_MAX], *out = NULL;
	const char *ev;
	unsigned long long hold_ns = 0;
	pthread_t t;

	(void)state;
	rt_tmpdir(dir, "commitev");
	rc.dir = dir;
	assert_int_equal(rhook_recorder_start(&rc), 0);
	assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	assert_int_equal(rhook_manifest_ctx_new(&cfg, &h.ctx), 0);
	h.actions = rhook_action_list_new();
	assert_non_null(h.actions);
	assert_int_equal(rhook_action_list_add_remove(h.actions, cfg.region_id), 0);

	assert_int_equal(pthread_create(&t, NULL, hold, &h), 0);
	while (!atomic_load(&h.locked))
		usleep(100);
	/* A previous hold still emitting: the holder's unlock must wait EMIT_WAIT_MS, mutex held. */
	pthread_mutex_lock(&h.ctx->emit_lock);
	atomic_store(&h.go, 1);
	nanosleep(&pause, NULL);
	pthread_mutex_unlock(&h.ctx->emit_lock);
	pthread_join(t, NULL);
	assert_int_equal(h.update_err, 0);
	assert_int_equal(h.fire_err, 0);
	assert_int_equal(rhook_recorder_stop(), 0);

	{
		char *argv[] = { (char *)rt_bin("rhook-read"), "print", "--json", path, NULL };

		assert_int_equal(rt_run(argv, NULL, &out, NULL), 0);
	}
	ev = strstr(out, "\"event\":\"rhook:manifest_commit\"");
	if (!ev || !strstr(ev, "\"lock_hold_ns\":") ||
	    sscanf(strstr(ev, "\"lock_hold_ns\":"), "\"lock_hold_ns\":%llu", &hold_ns) != 1)
		fail_msg("no manifest_commit event with lock_hold_ns in:\n%s", out);
	/* The mutex was held at least for the wait (a lower bound: never flaky). */
	if (hold_ns < EMIT_WAIT_MS * 1000000ull)
		fail_msg("lock_hold_ns %llu < %d ms: the wait for the emit lock under the mutex was not counted",
			 hold_ns, EMIT_WAIT_MS);
	free(out);
	rhook_action_list_free(h.actions);
	rhook_manifest_ctx_free(h.ctx);
	assert_int_equal(tc_rmtree(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_covers_emit_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
