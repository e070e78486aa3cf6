/*
 * core_registry.c - the hook registry: order, optional callbacks, removal
 * and release semantics, removal from inside a callback.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/hook.h>

/* What a test hook saw. */
struct probe {
	int id;
	int *order;        /* shared call log */
	int *order_len;
	atomic_int sst_calls;
	atomic_int manifest_calls;
	atomic_int released;
	uint64_t last_version;
	size_t last_num_files;
	/* Optional behaviour inside on_manifest_updated. */
	struct rhook_registry *reg;
	struct rhook_hook *remove_me;       /* removed from inside the callback */
	const struct rhook_hook_ops *add_ops; /* added from inside the callback */
	struct probe *add_priv;
};

static void on_sst(void *priv, rhook_region_id region_id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t n)
{
	struct probe *p = priv;

	(void)region_id;
	(void)meta;
	(void)files;
	p->last_num_files = n;
	atomic_fetch_add(&p->sst_calls, 1);
}

static void on_manifest(void *priv, rhook_region_id region_id, const struct rhook_action_list *actions,
			uint64_t version)
{
	struct probe *p = priv;

	(void)region_id;
	(void)actions;
	if (p->order)
		p->order[(*p->order_len)++] = p->id;
	p->last_version = version;
	atomic_fetch_add(&p->manifest_calls, 1);
	if (p->remove_me) {
		assert_int_equal(rhook_registry_remove(p->reg, p->remove_me), 0);
		p->remove_me = NULL;
	}
	if (p->add_ops) {
		assert_int_equal(rhook_registry_add(p->reg, p->add_ops, p->add_priv, NULL), 0);
		p->add_ops = NULL;
	}
}

static void release(void *priv)
{
	struct probe *p = priv;

	atomic_fetch_add(&p->released, 1);
}

static const struct rhook_hook_ops full_ops = {
	.size = sizeof(struct rhook_hook_ops),
	.on_sst_files_written = on_sst,
	.on_manifest_updated = on_manifest,
	.release = release,
};

static const struct rhook_hook_ops manifest_only_ops = {
	.size = sizeof(struct rhook_hook_ops),
	.on_manifest_updated = on_manifest,
	.release = release,
};

static int evaluated;

static const struct rhook_action_list *count_evaluation(void)
{
	evaluated++;
	return NULL;
}

static void test_no_hook_is_a_noop(void **state)
{
	struct rhook_registry *reg;

	(void)state;
	assert_int_equal(rhook_registry_new(&reg), 0);
	assert_false(rhook_registry_has_hooks(reg));
	evaluated = 0;
	rhook_dispatch_manifest_updated(reg, 1, count_evaluation(), 1);
	rhook_dispatch_sst_files_written(reg, 1, NULL, count_evaluation() ? NULL : NULL, 0);
	/* The fast path does not evaluate the arguments. */
	assert_int_equal(evaluated, 0);
	rhook_sst_files_written(NULL, 1, NULL, NULL, 0, RHOOK_ORIGIN_FLUSH);
	rhook_registry_free(reg);
}

static void test_order_and_optional_callbacks(void **state)
{
	struct rhook_registry *reg;
	int order[16], len = 0;
	struct probe p[3] = { { .id = 0 }, { .id = 1 }, { .id = 2 } };
	struct rhook_file_meta fm = { .file_id = rhook_file_id_generate() };
	struct rhook_sst_info si = { .file_id = fm.file_id };
	struct rhook_sst_file files[2] = { { &si, &fm }, { &si, &fm } };

	(void)state;
	assert_int_equal(rhook_registry_new(&reg), 0);
	for (int i = 0; i < 3; i++) {
		p[i].order = order;
		p[i].order_len = &len;
		assert_int_equal(rhook_registry_add(reg, i == 1 ? &manifest_only_ops : &full_ops, &p[i], NULL), 0);
	}
	assert_int_equal(rhook_registry_count(reg), 3);
	rhook_dispatch_manifest_updated(reg, 5, NULL, 17);
	assert_int_equal(len, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(order[i], i);
		assert_int_equal(p[i].last_version, 17);
	}
	rhook_sst_files_written(reg, 5, NULL, files, 2, RHOOK_ORIGIN_COMPACTION);
	assert_int_equal(atomic_load(&p[0].sst_calls), 1);
	assert_int_equal(atomic_load(&p[1].sst_calls), 0); /* absent callback: skipped */
	assert_int_equal(atomic_load(&p[2].sst_calls), 1);
	assert_int_equal(p[2].last_num_files, 2);
	rhook_registry_free(reg);
	for (int i = 0; i < 3; i++)
		assert_int_equal(atomic_load(&p[i].released), 1);
}

/*
 * Every combination of the three callbacks, one hook each, twice over (14
 * hooks): each dispatch kind calls exactly the hooks that have that
 * callback, in registration order, with its arguments; and still after
 * removing hooks from the front, the middle and the end, and adding one.
 */
struct kind_log {
	int calls[3][64]; /* hook numbers, per kind, in call order */
	int n[3];
};

struct kind_probe {
	struct kind_log *log;
	int id;
};

static void kind_sst(void *priv, rhook_region_id r, const struct rhook_region_meta *m, const struct rhook_sst_file *f,
		     size_t n)
{
	struct kind_probe *p = priv;

	(void)m;
	(void)f;
	assert_int_equal(r, 11);
	assert_int_equal(n, 2);
	p->log->calls[0][p->log->n[0]++] = p->id;
}

static void kind_manifest(void *priv, rhook_region_id r, const struct rhook_action_list *a, uint64_t v)
{
	struct kind_probe *p = priv;

	(void)a;
	assert_int_equal(r, 12);
	assert_int_equal(v, 99);
	p->log->calls[1][p->log->n[1]++] = p->id;
}

static void kind_removed(void *priv, rhook_region_id r, const struct rhook_removed_file *f, size_t n,
			 enum rhook_remove_reason reason)
{
	struct kind_probe *p = priv;

	(void)f;
	assert_int_equal(r, 13);
	assert_int_equal(n, 1);
	assert_int_equal(reason, RHOOK_REMOVE_DROP);
	p->log->calls[2][p->log->n[2]++] = p->id;
}

/* Dispatches each kind once and checks the hooks @live[0..n) (masks @mask[]) were called as they should. */
static void check_kinds(struct rhook_registry *reg, struct kind_log *log, const int *live, const unsigned *mask, int n)
{
	struct rhook_file_meta fm = { .file_id = rhook_file_id_generate() };
	struct rhook_sst_info si = { .file_id = fm.file_id };
	struct rhook_sst_file files[2] = { { &si, &fm }, { &si, &fm } };
	struct rhook_removed_file rf = { .file_id = fm.file_id };

	memset(log, 0, sizeof(*log));
	assert_int_equal(rhook_registry_count(reg), n);
	rhook_dispatch_sst_files_written(reg, 11, NULL, files, 2);
	rhook_dispatch_manifest_updated(reg, 12, NULL, 99);
	assert_int_equal(rhook_files_removed(reg, 13, &rf, 1, RHOOK_REMOVE_DROP), 0);
	for (int k = 0; k < 3; k++) {
		int want = 0;

		for (int i = 0; i < n; i++)
			if (mask[live[i]] & 1u << k)
				assert_int_equal(log->calls[k][want++], live[i]);
		assert_int_equal(log->n[k], want);
	}
}

static void test_each_kind_calls_its_hooks(void **state)
{
	enum { N = 14 };
	struct rhook_registry *reg;
	struct kind_log log;
	struct kind_probe p[N + 1];
	struct rhook_hook_ops ops[N + 1];
	struct rhook_hook *h[N + 1];
	unsigned mask[N + 1];
	int live[N + 1], n = 0;

	(void)state;
	assert_int_equal(rhook_registry_new(&reg), 0);
	for (int i = 0; i <= N; i++) {
		mask[i] = (unsigned)(i % 7 + 1) & 7; /* 1..7, then 0 (no callback at all) for i % 7 == 6 */
		mask[i] = i % 7 == 6 ? 0 : mask[i];
		ops[i] = (struct rhook_hook_ops){ .size = sizeof(ops[i]),
						  .on_sst_files_written = mask[i] & 1 ? kind_sst : NULL,
						  .on_manifest_updated = mask[i] & 2 ? kind_manifest : NULL,
						  .on_files_removed = mask[i] & 4 ? kind_removed : NULL };
		p[i] = (struct kind_probe){ &log, i };
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(rhook_registry_add(reg, &ops[i], &p[i], &h[i]), 0);
		live[n++] = i;
		check_kinds(reg, &log, live, mask, n);
	}
	/* Remove the first, one in the middle and the last; add one more at the end. */
	{
		const int gone[3] = { 0, 6, N - 1 };

		for (int g = 0; g < 3; g++) {
			int j = 0;

			assert_int_equal(rhook_registry_remove(reg, h[gone[g]]), 0);
			for (int i = 0; i < n; i++)
				if (live[i] != gone[g])
					live[j++] = live[i];
			n = j;
			check_kinds(reg, &log, live, mask, n);
		}
	}
	assert_int_equal(rhook_registry_add(reg, &ops[N], &p[N], &h[N]), 0);
	live[n++] = N;
	check_kinds(reg, &log, live, mask, n);
	rhook_registry_free(reg);
}

/* struct rhook_hook_ops as a newer caller would have it: one more callback. */
struct newer_ops {
	struct rhook_hook_ops ops;
	void (*on_something_new)(void *priv);
};

static void test_add_rejects_bad_ops(void **state)
{
	struct rhook_registry *reg;
	struct rhook_hook_ops short_ops = full_ops;
	struct newer_ops newer = { .ops = full_ops };
	struct probe p = { 0 };

	(void)state;
	assert_int_equal(rhook_registry_new(&reg), 0);
	short_ops.size = offsetof(struct rhook_hook_ops, release);
	assert_int_equal(rhook_registry_add(reg, &short_ops, NULL, NULL), -EINVAL);
	assert_int_equal(rhook_registry_add(reg, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(rhook_registry_add(NULL, &full_ops, NULL, NULL), -EINVAL);
	/* A newer caller asking for a callback this library does not know: refused, not ignored. */
	newer.ops.size = sizeof(newer);
	newer.on_something_new = release;
	assert_int_equal(rhook_registry_add(reg, &newer.ops, &p, NULL), -EINVAL);
	assert_int_equal(rhook_registry_count(reg), 0);
	/* The same, the new field left zero: accepted, and it works as this version. */
	newer.on_something_new = NULL;
	assert_int_equal(rhook_registry_add(reg, &newer.ops, &p, NULL), 0);
	rhook_dispatch_manifest_updated(reg, 1, NULL, 4);
	assert_int_equal(atomic_load(&p.manifest_calls), 1);
	assert_int_equal(rhook_registry_count(reg), 1);
	rhook_registry_free(reg);
	assert_int_equal(atomic_load(&p.released), 1);
	assert_int_equal(rhook_registry_new(NULL), -EINVAL);
}

static void test_remove_releases_once(void **state)
{
	struct rhook_registry *reg;
	struct rhook_hook *a, *b;
	struct probe pa = { 0 }, pb = { 0 };

	(void)state;
	assert_int_equal(rhook_registry_new(&reg), 0);
	assert_int_equal(rhook_registry_add(reg, &full_ops, &pa, &a), 0);
	assert_int_equal(rhook_registry_add(reg, &full_ops, &pb, &b), 0);
	assert_int_equal(rhook_registry_remove(reg, a), 0);
	/* Outside a callback, removal returns after the release. */
	assert_int_equal(atomic_load(&pa.released), 1);
	rhook_dispatch_manifest_updated(reg, 1, NULL, 1);
	assert_int_equal(atomic_load(&pa.manifest_calls), 0);
	assert_int_equal(atomic_load(&pb.manifest_calls), 1);
	assert_int_equal(rhook_registry_remove(reg, b), 0);
	assert_false(rhook_registry_has_hooks(reg));
	assert_int_equal(rhook_registry_remove(reg, b), -ENOENT);
	rhook_registry_free(reg);
	assert_int_equal(atomic_load(&pa.released), 1);
	assert_int_equal(atomic_load(&pb.released), 1);
}

static void test_remove_from_inside_callback(void **state)
{
	struct rhook_registry *reg;
	struct rhook_hook *a, *b;
	struct probe pa = { 0 }, pb = { 0 };

	(void)state;
	assert_int_equal(rhook_registry_new(&reg), 0);
	assert_int_equal(rhook_registry_add(reg, &full_ops, &pa, &a), 0);
	assert_int_equal(rhook_registry_add(reg, &full_ops, &pb, &b), 0);
	/* a removes b, then itself, from its own callback: neither may deadlock. */
	pa.reg = reg;
	pa.remove_me = b;
	rhook_dispatch_manifest_updated(reg, 1, NULL, 1);
	/* b was in the set this dispatch walked: it may still be called, once. */
	assert_true(atomic_load(&pb.manifest_calls) <= 1);
	pa.remove_me = a;
	rhook_dispatch_manifest_updated(reg, 1, NULL, 2);
	assert_int_equal(atomic_load(&pa.manifest_calls), 2);
	assert_false(rhook_registry_has_hooks(reg));
	rhook_dispatch_manifest_updated(reg, 1, NULL, 3);
	assert_int_equal(atomic_load(&pa.manifest_calls), 2);
	/* The deferred releases have all run, once, when free returns. */
	rhook_registry_free(reg);
	assert_int_equal(atomic_load(&pa.released), 1);
	assert_int_equal(atomic_load(&pb.released), 1);
}

static void test_add_from_inside_callback(void **state)
{
	struct rhook_registry *reg;
	struct probe pa = { 0 }, pb = { 0 };

	(void)state;
	assert_int_equal(rhook_registry_new(&reg), 0);
	pa.reg = reg;
	pa.add_ops = &full_ops;
	pa.add_priv = &pb;
	assert_int_equal(rhook_registry_add(reg, &full_ops, &pa, NULL), 0);
	rhook_dispatch_manifest_updated(reg, 1, NULL, 1);
	/* The dispatch walked the set it started with. */
	assert_int_equal(atomic_load(&pb.manifest_calls), 0);
	rhook_dispatch_manifest_updated(reg, 1, NULL, 2);
	assert_int_equal(atomic_load(&pb.manifest_calls), 1);
	rhook_registry_free(reg);
	assert_int_equal(atomic_load(&pb.released), 1);
}

/* A hook whose callback blocks until told to go. */
struct slow_hook {
	atomic_int entered, go, exited, released, released_after_exit;
};

static void slow_manifest(void *priv, rhook_region_id r, const struct rhook_action_list *a, uint64_t v)
{
	struct slow_hook *s = priv;

	(void)r;
	(void)a;
	(void)v;
	atomic_store(&s->entered, 1);
	while (!atomic_load(&s->go))
		usleep(1000);
	atomic_store(&s->exited, 1);
}

static void slow_release(void *priv)
{
	struct slow_hook *s = priv;

	atomic_store(&s->released_after_exit, atomic_load(&s->exited));
	atomic_fetch_add(&s->released, 1);
}

struct remover {
	struct rhook_registry *reg;
	struct rhook_hook *hook;
	atomic_int returned;
};

static void *dispatcher(void *arg)
{
	rhook_dispatch_manifest_updated((struct rhook_registry *)arg, 1, NULL, 1);
	return NULL;
}

static void *remove_thread(void *arg)
{
	struct remover *rm = arg;

	rhook_registry_remove(rm->reg, rm->hook);
	atomic_store(&rm->returned, 1);
	return NULL;
}

static void test_release_after_last_dispatch(void **state)
{
	static const struct rhook_hook_ops ops = {
		.size = sizeof(ops), .on_manifest_updated = slow_manifest, .release = slow_release
	};
	struct slow_hook s = { 0 };
	struct remover rm = { 0 };
	pthread_t d, r;

	(void)state;
	assert_int_equal(rhook_registry_new(&rm.reg), 0);
	assert_int_equal(rhook_registry_add(rm.reg, &ops, &s, &rm.hook), 0);
	assert_int_equal(pthread_create(&d, NULL, dispatcher, rm.reg), 0);
	while (!atomic_load(&s.entered))
		usleep(1000);
	assert_int_equal(pthread_create(&r, NULL, remove_thread, &rm), 0);
	/* While the callback runs, removal must wait and the release must not run. */
	usleep(100000);
	assert_int_equal(atomic_load(&rm.returned), 0);
	assert_int_equal(atomic_load(&s.released), 0);
	atomic_store(&s.go, 1);
	pthread_join(d, NULL);
	pthread_join(r, NULL);
	assert_int_equal(atomic_load(&rm.returned), 1);
	assert_int_equal(atomic_load(&s.released), 1);
	assert_int_equal(atomic_load(&s.released_after_exit), 1);
	rhook_registry_free(rm.reg);
	assert_int_equal(atomic_load(&s.released), 1);
}

/*
 * Issue 8 item 6: a hook removes itself from its first callback, while
 * several threads dispatch and hooks keep being added: the handle must
 * exist before any callback can run.  Worker threads record, main checks.
 */
#define SELF_HOOKS 20000
#define SELF_DISPATCHERS 3

struct self_remover {
	struct rhook_hook *handle; /* written by rhook_registry_add() */
	atomic_int removed, released;
};

static struct rhook_registry *self_reg;
static atomic_int self_stop;
static atomic_uint_fast64_t null_handles, remove_errors;

static void self_manifest(void *priv, rhook_region_id r, const struct rhook_action_list *a, uint64_t v)
{
	struct self_remover *s = priv;
	int err;

	(void)r;
	(void)a;
	(void)v;
	if (!s->handle) {
		atomic_fetch_add(&null_handles, 1);
		return;
	}
	/* Several dispatchers may be in their first call at once: one removes, the others see -ENOENT. */
	err = rhook_registry_remove(self_reg, s->handle);
	if (err == 0)
		atomic_fetch_add(&s->removed, 1);
	else if (err != -ENOENT)
		atomic_fetch_add(&remove_errors, 1);
}

static void self_release(void *priv)
{
	struct self_remover *s = priv;

	atomic_fetch_add(&s->released, 1);
}

static const struct rhook_hook_ops self_ops = {
	.size = sizeof(self_ops), .on_manifest_updated = self_manifest, .release = self_release,
};

static void *self_dispatch(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&self_stop, memory_order_relaxed))
		rhook_dispatch_manifest_updated(self_reg, 1, NULL, 1);
	return NULL;
}

static void test_remove_self_from_first_callback(void **state)
{
	struct self_remover *s = calloc(SELF_HOOKS, sizeof(*s));
	pthread_t t[SELF_DISPATCHERS];
	size_t removed = 0, released = 0;

	(void)state;
	assert_non_null(s);
	assert_int_equal(rhook_registry_new(&self_reg), 0);
	for (int i = 0; i < SELF_DISPATCHERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, self_dispatch, NULL), 0);
	for (int i = 0; i < SELF_HOOKS; i++) {
		assert_int_equal(rhook_registry_add(self_reg, &self_ops, &s[i], &s[i].handle), 0);
		if (i % 64 == 63)
			sched_yield(); /* let the dispatchers catch up */
	}
	/* Every hook is removed by its own callback; bounded wait. */
	for (int ms = 0; ms < 60000 && rhook_registry_count(self_reg); ms++)
		usleep(1000);
	atomic_store(&self_stop, 1);
	for (int i = 0; i < SELF_DISPATCHERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(rhook_registry_count(self_reg), 0);
	rhook_registry_free(self_reg); /* waits for the deferred releases */
	for (int i = 0; i < SELF_HOOKS; i++) {
		removed += atomic_load(&s[i].removed) == 1;
		released += atomic_load(&s[i].released) == 1;
	}
	assert_int_equal(atomic_load(&null_handles), 0);
	assert_int_equal(atomic_load(&remove_errors), 0);
	assert_int_equal(removed, SELF_HOOKS);
	assert_int_equal(released, SELF_HOOKS);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_hook_is_a_noop),
		cmocka_unit_test(test_order_and_optional_callbacks),
		cmocka_unit_test(test_each_kind_calls_its_hooks),
		cmocka_unit_test(test_add_rejects_bad_ops),
		cmocka_unit_test(test_remove_releases_once),
		cmocka_unit_test(test_remove_from_inside_callback),
		cmocka_unit_test(test_add_from_inside_callback),
		cmocka_unit_test(test_release_after_last_dispatch),
		cmocka_unit_test(test_remove_self_from_first_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
