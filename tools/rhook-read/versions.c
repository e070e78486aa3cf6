/*
 * versions.c - per-version commit states as runs and exceptions (see
 * versions.h).
 */
#include "versions.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct run {
	uint64_t lo, hi; /* inclusive */
};

/* A region's RDR_V_PLAIN versions: disjoint runs sorted by lo, never adjacent (adjacent runs merge). */
struct rdr_vruns {
	struct run *runs;
	size_t num, cap;
};

void rdr_versions_init(struct rdr_versions *v)
{
	rdr_map_init(&v->other, sizeof(uint8_t));
	rdr_map_init(&v->regions, sizeof(struct rdr_vruns));
}

void rdr_versions_free(struct rdr_versions *v)
{
	for (size_t i = 0; i < v->regions.cap; i++) {
		uint64_t k0, k1;
		struct rdr_vruns *r = rdr_map_slot(&v->regions, i, &k0, &k1);

		if (r)
			free(r->runs);
	}
	rdr_map_free(&v->other);
	rdr_map_free(&v->regions);
}

/* The index of the first run whose hi is >= @x (r->num if none). */
static size_t first_up_to(const struct rdr_vruns *r, uint64_t x)
{
	size_t lo = 0, hi = r->num;

	/* Commits come in version order: the last run is the usual answer. */
	if (r->num && r->runs[r->num - 1].hi < x)
		return r->num;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->runs[mid].hi < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool in_runs(const struct rdr_vruns *r, uint64_t x)
{
	size_t i = r ? first_up_to(r, x) : 0;

	return r && i < r->num && r->runs[i].lo <= x;
}

unsigned rdr_versions_get(const struct rdr_versions *v, uint64_t region, uint64_t version)
{
	const uint8_t *s = rdr_map_find(&v->other, region, version);

	if (s)
		return *s;
	return in_runs(rdr_map_find(&v->regions, region, 0), version) ? RDR_V_PLAIN : 0;
}

/* Makes room for one more run at @i. */
static int open_at(struct rdr_vruns *r, size_t i)
{
	if (r->num == r->cap) {
		size_t c = r->cap ? 2 * r->cap : 4;
		struct run *n = realloc(r->runs, c * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->runs = n;
		r->cap = c;
	}
	memmove(&r->runs[i + 1], &r->runs[i], (r->num - i) * sizeof(*r->runs));
	r->num++;
	return 0;
}

/* Adds @x (in no run) to the runs, merging with its neighbours. */
static int runs_add(struct rdr_vruns *r, uint64_t x)
{
	size_t i = first_up_to(r, x); /* runs[i] is the first run after x, runs[i - 1] the one before */
	bool join_prev = i > 0 && r->runs[i - 1].hi + 1 == x, join_next = i < r->num && r->runs[i].lo == x + 1;

	if (join_prev && join_next) {
		r->runs[i - 1].hi = r->runs[i].hi;
		memmove(&r->runs[i], &r->runs[i + 1], (r->num - i - 1) * sizeof(*r->runs));
		r->num--;
	} else if (join_prev) {
		r->runs[i - 1].hi = x;
	} else if (join_next) {
		r->runs[i].lo = x;
	} else {
		if (open_at(r, i))
			return -ENOMEM;
		r->runs[i] = (struct run){ x, x };
	}
	return 0;
}

/* Takes @x (in a run) out of the runs, splitting its run. */
static int runs_remove(struct rdr_vruns *r, uint64_t x)
{
	size_t i = first_up_to(r, x);
	struct run *u = &r->runs[i];

	if (u->lo == x && u->hi == x) {
		memmove(u, u + 1, (r->num - i - 1) * sizeof(*u));
		r->num--;
	} else if (u->lo == x) {
		u->lo++;
	} else if (u->hi == x) {
		u->hi--;
	} else {
		uint64_t hi = u->hi;

		if (open_at(r, i + 1))
			return -ENOMEM;
		r->runs[i].hi = x - 1;
		r->runs[i + 1] = (struct run){ x + 1, hi };
	}
	return 0;
}

int rdr_versions_set(struct rdr_versions *v, uint64_t region, uint64_t version, unsigned state)
{
	struct rdr_vruns *r;
	uint8_t *s;
	bool created;

	r = rdr_map_insert(&v->regions, region, 0, &created);
	if (!r)
		return -ENOMEM;
	if (state == RDR_V_PLAIN) {
		if (in_runs(r, version))
			return 0;
		if (runs_add(r, version))
			return -ENOMEM;
		rdr_map_remove(&v->other, region, version);
		return 0;
	}
	s = rdr_map_insert(&v->other, region, version, &created);
	if (!s)
		return -ENOMEM;
	if (in_runs(r, version) && runs_remove(r, version)) {
		if (created)
			rdr_map_remove(&v->other, region, version);
		return -ENOMEM;
	}
	*s = (uint8_t)state;
	return 0;
}

size_t rdr_versions_runs(const struct rdr_versions *v, uint64_t region)
{
	const struct rdr_vruns *r = rdr_map_find(&v->regions, region, 0);

	return r ? r->num : 0;
}
