/*
 * recorder_alloc.c - no allocation on the recorder's write path after a
 * thread's first event, proven with a counting malloc interposer.
 *
 * The program defines malloc and friends; they count calls made by a
 * thread while its counting flag is set, and forward to the next
 * definition (libc's, or the sanitizer's).  Two threads record every
 * event kind; after each thread's first events, the events that involve
 * no allocation in the hook core (spans, SST site with a hook, dispatch)
 * must allocate nothing, and a manifest update must allocate exactly as
 * much with the recorder on as with it off.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "store_nothing.h"
#include "rt.h"

/*
 * Default visibility: the build hides symbols, and these must interpose
 * for every library.  Not instrumented by ThreadSanitizer, whose runtime
 * calls them while it initializes.
 */
#define INTERPOSE __attribute__((visibility("default"), no_sanitize("thread")))

INTERPOSE void *malloc(size_t n);
INTERPOSE void *calloc(size_t n, size_t size);
INTERPOSE void *realloc(void *p, size_t n);
INTERPOSE void free(void *p);
INTERPOSE int posix_memalign(void **out, size_t align, size_t n);
INTERPOSE void *aligned_alloc(size_t align, size_t n);

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static int (*next_posix_memalign)(void **, size_t, size_t);
static void *(*next_aligned_alloc)(size_t, size_t);

/* dlsym() may allocate before the real functions are known: served from here, never freed. */
static _Alignas(16) char boot[16384];
static atomic_size_t boot_used;

/* Per thread: whether to count, and how many calls were counted. */
static _Thread_local int counting;
static _Thread_local unsigned long allocations;

__attribute__((no_sanitize("thread"))) static void *boot_alloc(size_t n)
{
	size_t at = atomic_fetch_add(&boot_used, (n + 15) & ~(size_t)15);

	return at + n <= sizeof(boot) ? boot + at : NULL;
}

__attribute__((no_sanitize("thread"))) static bool in_boot(const void *p)
{
	return (const char *)p >= boot && (const char *)p < boot + sizeof(boot);
}

__attribute__((no_sanitize("thread"))) static void resolve(void)
{
	static _Thread_local int resolving;

	if (resolving)
		return;
	resolving = 1;
	next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	next_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
	next_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
	resolving = 0;
}

__attribute__((no_sanitize("thread"))) static void count(void)
{
	if (counting)
		allocations++;
}

void *malloc(size_t n)
{
	count();
	if (!next_malloc)
		resolve();
	return next_malloc ? next_malloc(n) : boot_alloc(n);
}

void *calloc(size_t n, size_t size)
{
	count();
	if (!next_calloc)
		resolve();
	/* boot is zero-initialized and never reused. */
	return next_calloc ? next_calloc(n, size) : boot_alloc(n * size);
}

void *realloc(void *p, size_t n)
{
	count();
	if (!next_realloc)
		resolve();
	return next_realloc(p, n);
}

void free(void *p)
{
	if (!p || in_boot(p))
		return;
	if (!next_free)
		resolve();
	next_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	count();
	if (!next_posix_memalign)
		resolve();
	return next_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	count();
	if (!next_aligned_alloc)
		resolve();
	return next_aligned_alloc(align, n);
}

/*
 * LeakSanitizer hook, used by sanitizer builds: glibc leaks the old
 * global scope array of the dynamic linker on purpose (dl-open.c, it may
 * still be read concurrently); with this interposer that allocation goes
 * through malloc, where LeakSanitizer sees it.
 */
INTERPOSE const char *__lsan_default_suppressions(void);

INTERPOSE const char *__lsan_default_suppressions(void)
{
	return "leak:add_to_global_resize\n";
}

#define ROUNDS 2000

static void on_sst(void *priv, rhook_region_id region_id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t num_files)
{
	(void)priv;
	(void)region_id;
	(void)meta;
	(void)files;
	(void)num_files;
}

static void on_updated(void *priv, rhook_region_id region_id, const struct rhook_action_list *actions,
		       uint64_t version)
{
	(void)priv;
	(void)region_id;
	(void)actions;
	(void)version;
}

/* With a hook the core copies every committed list, recorder or not: the comparison is fair. */
static const struct rhook_hook_ops hook_ops = {
	.size = sizeof(hook_ops), .on_sst_files_written = on_sst, .on_manifest_updated = on_updated
};

struct worker {
	pthread_t thread;
	struct rhook_registry *reg;
	struct rhook_manifest_ctx *ctx;
	struct rhook_action_list *list;
	bool warm_only;        /* first events only */
	unsigned long spans;   /* allocations by spans and the SST site */
	unsigned long updates; /* allocations by ROUNDS manifest updates */
	int err;
};

/* One of each event kind that costs the hook core no allocation. */
static void spans_once(struct worker *w, unsigned i)
{
	struct rhook_file_meta fm = { .region_id = 1, .num_rows = i };
	struct rhook_sst_info info = { .num_rows = i };
	struct rhook_sst_file sst = { &info, &fm };
	uint64_t t = rhook_trace_flush_begin(1, i, i);

	rhook_sst_files_written(w->reg, 1, NULL, &sst, 1, RHOOK_ORIGIN_FLUSH); /* + hook_dispatch */
	rhook_trace_flush_end(t, 1, i, i, 1, 0);
	t = rhook_trace_compaction_begin(1, 2, i, false);
	rhook_trace_compaction_end(t, 1, 2, 1, i, i, false, 0);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned long before;

	/* The first events: buffer claim, urcu-bp registration, lazy TLS. */
	spans_once(w, 0);
	w->err = rhook_manifest_update(w->ctx, w->list, RHOOK_CAUSE_EDIT, NULL);
	if (w->warm_only || w->err)
		return NULL;

	counting = 1;
	before = allocations;
	for (unsigned i = 1; i <= ROUNDS; i++)
		spans_once(w, i);
	w->spans = allocations - before;
	before = allocations;
	for (unsigned i = 0; !w->err && i < ROUNDS; i++)
		w->err = rhook_manifest_update(w->ctx, w->list, RHOOK_CAUSE_EDIT, NULL);
	w->updates = allocations - before;
	counting = 0;
	return NULL;
}

/* Runs the counted workload on two threads at once; returns the update allocations. */
static unsigned long run(bool recording, const char *dir)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .dir = dir, .buffer_size = 1u << 20,
					     .num_buffers = 4, .mode = RHOOK_RECORDER_OVERWRITE };
	struct rhook_action_list *list = rhook_action_list_new();
	struct rhook_file_meta fm = { .region_id = 1 };
	struct rhook_action_edit edit = { .files_to_add = &fm, .num_files_to_add = 1 };
	struct rhook_manifest_ctx_config ccfg = { .size = sizeof(ccfg), .store_ops = &rt_store_nothing };
	struct rhook_registry *reg;
	struct worker w[2];
	unsigned long updates = 0;

	assert_non_null(list);
	assert_int_equal(rhook_action_list_add_edit(list, &edit), 0);
	assert_int_equal(rhook_registry_new(&reg), 0);
	assert_int_equal(rhook_registry_add(reg, &hook_ops, NULL, NULL), 0);
	if (recording)
		assert_int_equal(rhook_recorder_start(&cfg), 0);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct worker){ .reg = reg, .list = list };
		ccfg.region_id = (rhook_region_id)i + 1;
		ccfg.registry = reg;
		assert_int_equal(rhook_manifest_ctx_new(&ccfg, &w[i].ctx), 0);
		assert_int_equal(pthread_create(&w[i].thread, NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].err, 0);
		assert_int_equal(w[i].spans, 0);
		/* The same number of allocations on both threads. */
		if (i)
			assert_int_equal(w[i].updates, updates);
		updates = w[i].updates;
		rhook_manifest_ctx_free(w[i].ctx);
	}
	if (recording)
		assert_int_equal(rhook_recorder_stop(), 0);
	rhook_registry_free(reg);
	rhook_action_list_free(list);
	return updates;
}

static void test_no_alloc(void **state)
{
	char dir[PATH_MAX];
	unsigned long off, on;

	(void)state;
	rt_tmpdir(dir, "alloc");
	off = run(false, dir);
	on = run(true, dir);
	/* Updates allocate (the JSON encoding, the copy for the hook): counting works here. */
	assert_true(off > 0);
	/* The recorder adds nothing to what the manifest update itself allocates. */
	assert_int_equal(on, off);
	tc_rmtree(dir);
}

/* The interposer sees the library's allocations: the counts above could differ from zero. */
static void test_interposer_counts(void **state)
{
	struct rhook_action_list *list;
	unsigned long before = allocations;

	(void)state;
	counting = 1;
	list = rhook_action_list_new();
	counting = 0;
	assert_non_null(list);
	assert_true(allocations > before);
	rhook_action_list_free(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interposer_counts),
		cmocka_unit_test(test_no_alloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
