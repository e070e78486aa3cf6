/*
 * core_files_removed.c - the third callback, on_files_removed, and its
 * deletion site rhook_files_removed(): the ops structure grew at the end
 * and an older, smaller one keeps working (its caller never gets the new
 * call, whatever lies past its size); arguments reach the hooks as given,
 * in registration order; bad arguments are refused; a call under a
 * manifest mutex is refused (release builds) or aborts (debug builds),
 * and a hook may take the manifest mutex from inside the callback.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/manifest.h>

#include "store_nothing.h"


struct seen {
	int calls;
	int order[4];
	int num_order;
	rhook_region_id region;
	size_t num_files;
	enum rhook_remove_reason reason;
	struct rhook_removed_file first;
	struct rhook_manifest_ctx *ctx; /* locked and unlocked from inside the callback when set */
	bool ctx_locked;
};

struct probe {
	int id;
	struct seen *seen;
};

static void on_removed(void *priv, rhook_region_id region, const struct rhook_removed_file *files, size_t n,
		       enum rhook_remove_reason reason)
{
	struct probe *p = priv;
	struct seen *s = p->seen;

	s->calls++;
	s->order[s->num_order++] = p->id;
	s->region = region;
	s->num_files = n;
	s->reason = reason;
	s->first = files[0];
	if (s->ctx) {
		rhook_manifest_lock(s->ctx);
		s->ctx_locked = rhook_manifest_held(s->ctx);
		rhook_manifest_unlock(s->ctx);
	}
}

/* What an old caller's memory may hold past its structure: anything. */
static void must_not_run(void *priv, rhook_region_id region, const struct rhook_removed_file *files, size_t n,
			 enum rhook_remove_reason reason)
{
	(void)priv;
	(void)region;
	(void)files;
	(void)n;
	(void)reason;
	fail_msg("on_files_removed called on a hook whose ops structure ends before it");
}


static struct rhook_manifest_ctx *new_ctx(struct rhook_registry *reg)
{
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = 9, .registry = reg,
						 .store_ops = &rt_store_nothing };
	struct rhook_manifest_ctx *ctx;

	assert_int_equal(rhook_manifest_ctx_new(&cfg, &ctx), 0);
	return ctx;
}

static const struct rhook_removed_file two[2] = {
	{ .level = 1, .file_size = 4096, .index_file_size = 100, .num_rows = 77, .removed_version = 12 },
	{ .level = RHOOK_LEVEL_UNKNOWN, .file_size = 10 },
};

static void test_old_ops_size(void **state)
{
	struct rhook_registry *reg;
	struct seen s = { 0 };
	struct probe p = { .id = 1, .seen = &s };
	/*
	 * The first published struct rhook_hook_ops ends at release: an
	 * older client's structure has that size, and what follows it in its
	 * memory is none of rhook's business (here: a callback that fails).
	 */
	struct rhook_hook_ops old = { .size = offsetof(struct rhook_hook_ops, release) + sizeof(((struct rhook_hook_ops *)0)->release),
				      .on_files_removed = must_not_run };
	struct rhook_hook_ops now = { .size = sizeof(now), .on_files_removed = on_removed };

	(void)state;
	assert_true(old.size < sizeof(old));
	assert_int_equal(offsetof(struct rhook_hook_ops, on_files_removed), old.size);
	assert_int_equal(rhook_registry_new(&reg), 0);
	assert_int_equal(rhook_registry_add(reg, &old, NULL, NULL), 0);
	assert_int_equal(rhook_registry_add(reg, &now, &p, NULL), 0);
	assert_int_equal(rhook_files_removed(reg, 5, two, 2, RHOOK_REMOVE_COMPACTION), 0);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.region, 5);
	assert_int_equal(s.num_files, 2);
	assert_int_equal(s.reason, RHOOK_REMOVE_COMPACTION);
	assert_memory_equal(&s.first, &two[0], sizeof(two[0]));
	rhook_registry_free(reg);
}

static void test_order_and_arguments(void **state)
{
	struct rhook_registry *reg;
	struct seen s = { 0 };
	struct probe p[3] = { { 0, &s }, { 1, &s }, { 2, &s } };
	struct rhook_hook_ops ops = { .size = sizeof(ops), .on_files_removed = on_removed };
	struct rhook_hook_ops none = { .size = sizeof(none) }; /* optional: absent is a no-op */

	(void)state;
	assert_int_equal(rhook_registry_new(&reg), 0);
	assert_int_equal(rhook_registry_add(reg, &ops, &p[0], NULL), 0);
	assert_int_equal(rhook_registry_add(reg, &none, NULL, NULL), 0);
	assert_int_equal(rhook_registry_add(reg, &ops, &p[2], NULL), 0);
	assert_int_equal(rhook_files_removed(reg, 6, two, 2, RHOOK_REMOVE_STAGING_ABORT), 0);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.order[0], 0);
	assert_int_equal(s.order[1], 2);
	assert_int_equal(s.reason, RHOOK_REMOVE_STAGING_ABORT);
	/* Nothing deleted: nothing to tell. */
	assert_int_equal(rhook_files_removed(reg, 6, NULL, 0, RHOOK_REMOVE_DROP), 0);
	assert_int_equal(s.calls, 2);
	/* Refused, nothing called. */
	assert_int_equal(rhook_files_removed(reg, 6, two, 2, (enum rhook_remove_reason)6), -EINVAL);
	assert_int_equal(rhook_files_removed(reg, 6, NULL, 1, RHOOK_REMOVE_DROP), -EINVAL);
	assert_int_equal(s.calls, 2);
	/* No registry: events only. */
	assert_int_equal(rhook_files_removed(NULL, 6, two, 2, RHOOK_REMOVE_DROP), 0);
	for (unsigned k = 0; k <= RHOOK_REMOVE_STAGING_ABORT; k++)
		assert_non_null(rhook_remove_reason_name((enum rhook_remove_reason)k));
	assert_string_equal(rhook_remove_reason_name(RHOOK_REMOVE_ORPHAN), "orphan");
	assert_null(rhook_remove_reason_name((enum rhook_remove_reason)6));
	rhook_registry_free(reg);
}

/* Never under a manifest mutex; a hook may take one. */
static void test_manifest_mutex(void **state)
{
	struct rhook_registry *reg;
	struct seen s = { 0 };
	struct probe p = { .id = 0, .seen = &s };
	struct rhook_hook_ops ops = { .size = sizeof(ops), .on_files_removed = on_removed };
	struct rhook_manifest_ctx *ctx;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(rhook_registry_new(&reg), 0);
	assert_int_equal(rhook_registry_add(reg, &ops, &p, NULL), 0);
	ctx = new_ctx(reg);
	s.ctx = ctx;
	assert_int_equal(rhook_files_removed(reg, 9, two, 1, RHOOK_REMOVE_TRUNCATE), 0);
	assert_int_equal(s.calls, 1);
	assert_true(s.ctx_locked);

	if (!rhook_debug_build()) {
		rhook_manifest_lock(ctx);
		assert_int_equal(rhook_files_removed(reg, 9, two, 1, RHOOK_REMOVE_TRUNCATE), -EDEADLK);
		rhook_manifest_unlock(ctx);
		assert_int_equal(s.calls, 1);
	} else {
		/* Debug builds abort with a message: in a child. */
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			rhook_manifest_lock(ctx);
			(void)!rhook_files_removed(reg, 9, two, 1, RHOOK_REMOVE_TRUNCATE);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	}
	rhook_manifest_ctx_free(ctx);
	rhook_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_ops_size),
		cmocka_unit_test(test_order_and_arguments),
		cmocka_unit_test(test_manifest_mutex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
