/*
 * reader_algos.c - rhook-read's histograms (against exact percentiles),
 * hash map and k-way merge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hist.h"
#include "map.h"
#include "versions.h"
#include "reader/merge.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	/* xorshift64: reproducible values without libc's state. */
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentiles are within 1/128 above the exact nearest-rank value; count, min, max exact. */
static void test_hist(void **state)
{
	enum { N = 50000 };
	static const unsigned permille[] = { 1, 500, 900, 990, 999, 1000 };
	uint64_t *v = malloc(N * sizeof(*v));
	struct rdr_hist h;

	(void)state;
	assert_non_null(v);
	memset(&h, 0, sizeof(h));
	assert_int_equal(rdr_hist_percentile(&h, 500), 0);
	for (int i = 0; i < N; i++) {
		/* Log-uniform over 1 ns .. ~1 s, like latencies. */
		v[i] = (next_rand() % 1000) << (next_rand() % 20);
		assert_int_equal(rdr_hist_add(&h, v[i]), 0);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	assert_int_equal(h.count, N);
	assert_int_equal(h.min, v[0]);
	assert_int_equal(h.max, v[N - 1]);
	for (size_t i = 0; i < sizeof(permille) / sizeof(permille[0]); i++) {
		uint64_t rank = ((uint64_t)N * permille[i] + 999) / 1000;
		uint64_t exact = v[rank - 1], got = rdr_hist_percentile(&h, permille[i]);

		assert_true(got >= exact);
		assert_true(got - exact <= exact / 128);
	}
	rdr_hist_free(&h);

	/* Below 256 every value has its own bucket: exact. */
	memset(&h, 0, sizeof(h));
	for (uint64_t i = 1; i <= 200; i++)
		rdr_hist_add(&h, i);
	assert_int_equal(rdr_hist_percentile(&h, 500), 100);
	assert_int_equal(rdr_hist_percentile(&h, 990), 198);
	assert_int_equal(rdr_hist_percentile(&h, 1000), 200);
	rdr_hist_free(&h);
	free(v);
}

static void test_map(void **state)
{
	enum { N = 100000 };
	struct rdr_map m;
	size_t seen = 0;
	bool created;

	(void)state;
	rdr_map_init(&m, sizeof(uint64_t));
	assert_null(rdr_map_find(&m, 1, 2));
	for (uint64_t i = 0; i < N; i++) {
		uint64_t *v = rdr_map_insert(&m, i, i * 3, &created);

		assert_non_null(v);
		assert_true(created);
		assert_int_equal(*v, 0);
		*v = i + 1;
	}
	assert_false(*(uint64_t *)rdr_map_insert(&m, 5, 15, &created) != 6 || created);
	for (uint64_t i = 0; i < N; i++) {
		uint64_t *v = rdr_map_find(&m, i, i * 3);

		assert_non_null(v);
		assert_int_equal(*v, i + 1);
		assert_null(rdr_map_find(&m, i, i * 3 + 1));
	}
	for (size_t i = 0; i < m.cap; i++) {
		uint64_t k0, k1, *v = rdr_map_slot(&m, i, &k0, &k1);

		if (v) {
			assert_int_equal(k1, k0 * 3);
			assert_int_equal(*v, k0 + 1);
			seen++;
		}
	}
	assert_int_equal(seen, N);
	assert_int_equal(m.count, N);
	rdr_map_free(&m);
}

/* Keys that come and go (a sliding window, as SSTs born and deleted): every live key stays findable, capacity tracks the peak. */
/* Random states of versions of two regions, against a plain array: runs split and merge as states change. */
static void test_versions(void **state)
{
	enum { V = 300, STEPS = 20000 };
	static const unsigned states[] = { RDR_V_COMMITTED, RDR_V_PLAIN, RDR_V_PLAIN, RDR_V_PLAIN,
					   RDR_V_PLAIN | RDR_V_EXIT_NOTIFIED };
	static unsigned ref[2][V];
	struct rdr_versions v;
	uint64_t x = 12345;

	(void)state;
	rdr_versions_init(&v);
	for (int i = 0; i < STEPS; i++) {
		unsigned r, ver, st;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		r = (unsigned)(x >> 63);
		/* Mostly in order (as commits come), sometimes anywhere. */
		ver = (x >> 20) % 8 ? (unsigned)(i / 60) % V : (unsigned)(x >> 33) % V;
		st = states[(x >> 40) % 5];
		assert_int_equal(rdr_versions_set(&v, r + 7, ver, st), 0);
		ref[r][ver] = st;
		for (unsigned k = 0; k < V; k += 1 + (unsigned)(x >> 50) % 7)
			assert_int_equal(rdr_versions_get(&v, r + 7, k), ref[r][k]);
	}
	for (unsigned r = 0; r < 2; r++)
		for (unsigned k = 0; k < V; k++)
			assert_int_equal(rdr_versions_get(&v, r + 7, k), ref[r][k]);
	assert_int_equal(rdr_versions_get(&v, 3, 5), 0);
	rdr_versions_free(&v);
	/* In order, all plain: one run, no entries. */
	rdr_versions_init(&v);
	for (uint64_t k = 1; k <= 100000; k++) {
		assert_int_equal(rdr_versions_set(&v, 1, k, RDR_V_COMMITTED), 0);
		assert_int_equal(rdr_versions_set(&v, 1, k, RDR_V_PLAIN), 0);
	}
	assert_int_equal(v.other.count, 0);
	assert_int_equal(rdr_versions_get(&v, 1, 100000), RDR_V_PLAIN);
	assert_int_equal(rdr_versions_get(&v, 1, 100001), 0);
	assert_int_equal(rdr_versions_runs(&v, 1), 1);
	rdr_versions_free(&v);
}

static void test_map_remove(void **state)
{
	enum { N = 200000, W = 1000 };
	struct rdr_map m;
	bool created;

	(void)state;
	rdr_map_init(&m, sizeof(uint64_t));
	rdr_map_remove(&m, 1, 1); /* empty map: no-op */
	for (uint64_t i = 0; i < N; i++) {
		uint64_t *v = rdr_map_insert(&m, i, ~i, &created);

		assert_true(v && created);
		*v = i;
		if (i >= W)
			rdr_map_remove(&m, i - W, ~(i - W));
		rdr_map_remove(&m, i, i); /* absent key: no-op */
		if (i % 997 == 0)
			for (uint64_t j = i >= W ? i - W + 1 : 0; j <= i; j++) {
				v = rdr_map_find(&m, j, ~j);
				assert_non_null(v);
				assert_int_equal(*v, j);
			}
	}
	assert_int_equal(m.count, W);
	assert_true(m.cap <= 4 * W);
	assert_null(rdr_map_find(&m, N - W - 1, ~(uint64_t)(N - W - 1)));
	rdr_map_free(&m);
}

/* A stream over a fixed array of timestamps. */
struct array_stream {
	struct rdr_stream s;
	const uint64_t *ts;
	size_t n, next;
	uint16_t tag;
};

static bool array_next(struct rdr_stream *s)
{
	struct array_stream *a = (struct array_stream *)s;

	if (a->next == a->n)
		return false;
	s->ev.ts = a->ts[a->next++];
	s->ev.id = a->tag;
	return true;
}

/* Time order across streams; equal times in stream order; empty streams are fine. */
static void test_merge(void **state)
{
	static const uint64_t a[] = { 1, 4, 4, 9 }, b[] = { 2, 4, 10 }, c[] = { 0 };
	struct array_stream st[4] = {
		{ .s.next = array_next, .ts = a, .n = 4, .tag = 0 },
		{ .s.next = array_next, .ts = b, .n = 3, .tag = 1 },
		{ .s.next = array_next, .ts = c, .n = 0, .tag = 2 },
		{ .s.next = array_next, .ts = c, .n = 1, .tag = 3 },
	};
	struct rdr_stream *streams[4] = { &st[0].s, &st[1].s, &st[2].s, &st[3].s };
	static const uint64_t want_ts[] = { 0, 1, 2, 4, 4, 4, 9, 10 };
	static const uint16_t want_tag[] = { 3, 0, 1, 0, 0, 1, 0, 1 };
	const struct rdr_event *ev;
	struct rdr_merge m;
	size_t i = 0;

	(void)state;
	assert_int_equal(rdr_merge_init(&m, streams, 4), 0);
	while ((ev = rdr_merge_next(&m))) {
		assert_true(i < 8);
		assert_int_equal(ev->ts, want_ts[i]);
		assert_int_equal(ev->id, want_tag[i]);
		i++;
	}
	assert_int_equal(i, 8);
	assert_null(rdr_merge_next(&m));
	rdr_merge_free(&m);
}

/* Loss counters of a hostile file: sums saturate, a wrap would under-report the loss. */
static void test_lost_saturates(void **state)
{
	struct rdr_lost l = { .discard = 12800, .no_buffer = UINT64_MAX - 255, .nested = 255, .damaged = 1 };
	struct rdr_lost sum = { .discard = UINT64_MAX - 1, .reader = 7 };

	(void)state;
	assert_true(rdr_lost_total(&l) == UINT64_MAX);
	assert_true(rdr_sat_add(UINT64_MAX - 1, 5) == UINT64_MAX);
	rdr_lost_add(&sum, &l);
	assert_true(sum.discard == UINT64_MAX && sum.no_buffer == UINT64_MAX - 255 && sum.reader == 7 && sum.damaged == 1);
	l = (struct rdr_lost){ .discard = 1, .overwrite = 2, .no_buffer = 3, .nested = 4, .reader = 5, .damaged = 6 };
	assert_int_equal(rdr_lost_total(&l), 21);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_map_remove),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_lost_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
