/*
 * core_registry_stress.c - dispatch at full speed on several threads while
 * another thread registers and removes hooks.
 *
 * usage: core_registry_stress [dispatch-threads [seconds]]
 *
 * Dispatcher t numbers its dispatches 1, 2, ... and publishes how many it
 * started and completed.  The churn thread adds a hook, notes the
 * dispatchers' "started" counters, lets time pass, notes their
 * "completed" counters, and removes it.  Every dispatch of thread t
 * numbered in (started at add, completed before remove] began after the
 * hook was visible and ended before its removal began, so the hook must
 * have seen all of them, as one contiguous run.  After joining, main
 * checks that for every hook, and that no callback ran after a release,
 * that every release ran exactly once, and that long-lived hooks saw
 * every dispatch.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rhook/hook.h>

#define MAX_THREADS 16
#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			failures++;                                            \
		}                                                              \
	} while (0)

struct per_thread {
	uint64_t count, min, max; /* written by one dispatcher only */
	char pad[64 - 3 * sizeof(uint64_t)];
};

struct hook_state {
	struct per_thread seen[MAX_THREADS];
	atomic_int released;
	uint64_t started_at_add[MAX_THREADS];
	uint64_t completed_before_remove[MAX_THREADS];
};

struct dispatcher {
	pthread_t thread;
	unsigned id;
	_Alignas(64) atomic_uint_fast64_t started;
	_Alignas(64) atomic_uint_fast64_t completed;
};

static struct rhook_registry *reg;
static struct dispatcher dispatchers[MAX_THREADS];
static unsigned nthreads = 2;
static atomic_int stop;
static atomic_uint_fast64_t calls_after_release;

/* Results the churn thread records, checked by main. */
static uint64_t hooks_checked, gaps, missed_window, release_counts_wrong;

static void on_manifest(void *priv, rhook_region_id t, const struct rhook_action_list *a, uint64_t k)
{
	struct hook_state *h = priv;
	struct per_thread *s = &h->seen[t];

	(void)a;
	if (atomic_load_explicit(&h->released, memory_order_relaxed))
		atomic_fetch_add(&calls_after_release, 1);
	if (!s->count || k < s->min)
		s->min = k;
	if (k > s->max)
		s->max = k;
	s->count++;
}

static void on_release(void *priv)
{
	struct hook_state *h = priv;

	atomic_fetch_add(&h->released, 1);
}

static const struct rhook_hook_ops ops = {
	.size = sizeof(ops), .on_manifest_updated = on_manifest, .release = on_release,
};

static void *dispatch_loop(void *arg)
{
	struct dispatcher *d = arg;
	uint64_t k = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		k++;
		/* Announce dispatch k before it loads the hook set. */
		atomic_store_explicit(&d->started, k, memory_order_seq_cst);
		rhook_dispatch_manifest_updated(reg, d->id, NULL, k);
		atomic_store_explicit(&d->completed, k, memory_order_seq_cst);
	}
	return NULL;
}

/* Checks a removed hook; runs on the churn thread after removal returned. */
static void verify(const struct hook_state *h)
{
	if (atomic_load(&h->released) != 1)
		release_counts_wrong++;
	for (unsigned t = 0; t < nthreads; t++) {
		const struct per_thread *s = &h->seen[t];
		uint64_t lo = h->started_at_add[t] + 1, hi = h->completed_before_remove[t];

		if (s->count && s->count != s->max - s->min + 1)
			gaps++;
		if (lo <= hi && (!s->count || s->min > lo || s->max < hi))
			missed_window++;
	}
	hooks_checked++;
}

static void *churn_loop(void *arg)
{
	unsigned seed = 12345;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct hook_state *h = calloc(1, sizeof(*h));
		struct rhook_hook *hook;
		struct timespec pause = { 0, (long)(rand_r(&seed) % 200) * 1000 };

		if (!h || rhook_registry_add(reg, &ops, h, &hook)) {
			fprintf(stderr, "add failed\n");
			abort();
		}
		for (unsigned t = 0; t < nthreads; t++)
			h->started_at_add[t] = atomic_load_explicit(&dispatchers[t].started, memory_order_seq_cst);
		nanosleep(&pause, NULL);
		for (unsigned t = 0; t < nthreads; t++)
			h->completed_before_remove[t] = atomic_load_explicit(&dispatchers[t].completed, memory_order_seq_cst);
		if (rhook_registry_remove(reg, hook)) {
			fprintf(stderr, "remove failed\n");
			abort();
		}
		verify(h);
		free(h);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned seconds = 3, failures = 0;
	struct hook_state *resident = calloc(1, sizeof(*resident));
	struct rhook_hook *resident_hook;
	pthread_t churn;
	uint64_t total = 0;

	if (argc > 1)
		nthreads = (unsigned)atoi(argv[1]);
	if (argc > 2)
		seconds = (unsigned)atoi(argv[2]);
	if (nthreads < 1 || nthreads > MAX_THREADS || seconds < 1 || !resident) {
		fprintf(stderr, "usage: %s [dispatch-threads 1..%d [seconds >= 1]]\n", argv[0], MAX_THREADS);
		return 2;
	}
	if (rhook_registry_new(&reg) || rhook_registry_add(reg, &ops, resident, &resident_hook))
		return 1;
	for (unsigned t = 0; t < nthreads; t++) {
		dispatchers[t].id = t;
		pthread_create(&dispatchers[t].thread, NULL, dispatch_loop, &dispatchers[t]);
	}
	pthread_create(&churn, NULL, churn_loop, NULL);
	sleep(seconds);
	atomic_store(&stop, 1);
	for (unsigned t = 0; t < nthreads; t++)
		pthread_join(dispatchers[t].thread, NULL);
	pthread_join(churn, NULL);
	rhook_registry_remove(reg, resident_hook);

	for (unsigned t = 0; t < nthreads; t++) {
		uint64_t n = atomic_load(&dispatchers[t].completed);

		total += n;
		printf("dispatcher %u: %" PRIu64 " dispatches\n", t, n);
		/* The resident hook was registered before and removed after: it saw all. */
		CHECK(resident->seen[t].count == n, "resident hook saw %" PRIu64 " of %" PRIu64 " dispatches of thread %u",
		      resident->seen[t].count, n, t);
		CHECK(n > 0, "dispatcher %u made no progress", t);
	}
	printf("hooks added and removed: %" PRIu64 ", dispatches: %" PRIu64 "\n", hooks_checked, total);
	CHECK(hooks_checked > 0, "the churn thread made no progress");
	CHECK(atomic_load(&calls_after_release) == 0, "%" PRIu64 " callbacks ran after their hook's release",
	      (uint64_t)atomic_load(&calls_after_release));
	CHECK(release_counts_wrong == 0, "%" PRIu64 " hooks not released exactly once", release_counts_wrong);
	CHECK(gaps == 0, "%" PRIu64 " hooks missed dispatches in the middle of their run", gaps);
	CHECK(missed_window == 0, "%" PRIu64 " hooks missed dispatches made while they were registered", missed_window);
	CHECK(atomic_load(&resident->released) == 1, "resident hook released %d times", atomic_load(&resident->released));
	rhook_registry_free(reg);
	free(resident);
	if (failures)
		return 1;
	printf("OK\n");
	return 0;
}
