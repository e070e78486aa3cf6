/*
 * map.c - open-addressing hash map (see map.h).
 */
#include "map.h"

#include <stdlib.h>
#include <string.h>

/* Slot: used flag, the two key words, then the value. */
struct slot_head {
	uint64_t used;
	uint64_t k0, k1;
};

static uint64_t mix(uint64_t k0, uint64_t k1)
{
	/* splitmix64 finalizer over both words. */
	uint64_t x = k0 ^ (k1 * 0x9e3779b97f4a7c15ull);

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void rdr_map_init(struct rdr_map *m, size_t val_size)
{
	memset(m, 0, sizeof(*m));
	m->val_size = val_size;
	m->slot_size = sizeof(struct slot_head) + ((val_size + 7) & ~(size_t)7);
}

void rdr_map_free(struct rdr_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}

static struct slot_head *slot(const struct rdr_map *m, size_t i)
{
	return (struct slot_head *)(void *)(m->slots + i * m->slot_size);
}

/* The slot of the key, or the empty slot where it would go. */
static struct slot_head *probe(const struct rdr_map *m, uint64_t k0, uint64_t k1)
{
	size_t i = (size_t)mix(k0, k1) & (m->cap - 1);

	for (;;) {
		struct slot_head *s = slot(m, i);

		if (!s->used || (s->k0 == k0 && s->k1 == k1))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

void *rdr_map_find(const struct rdr_map *m, uint64_t k0, uint64_t k1)
{
	struct slot_head *s;

	if (!m->cap)
		return NULL;
	s = probe(m, k0, k1);
	return s->used ? s + 1 : NULL;
}

static bool grow(struct rdr_map *m)
{
	struct rdr_map n = *m;

	n.cap = m->cap ? 2 * m->cap : 64;
	n.slots = calloc(n.cap, n.slot_size);
	if (!n.slots)
		return false;
	for (size_t i = 0; i < m->cap; i++) {
		struct slot_head *s = slot(m, i);

		if (s->used)
			memcpy(probe(&n, s->k0, s->k1), s, m->slot_size);
	}
	free(m->slots);
	*m = n;
	return true;
}

void *rdr_map_insert(struct rdr_map *m, uint64_t k0, uint64_t k1, bool *created)
{
	struct slot_head *s;

	*created = false;
	if (m->cap) {
		s = probe(m, k0, k1);
		if (s->used)
			return s + 1;
	}
	/* At most half full: probes stay short. */
	if (2 * (m->count + 1) > m->cap && !grow(m))
		return NULL;
	s = probe(m, k0, k1);
	s->used = 1;
	s->k0 = k0;
	s->k1 = k1;
	m->count++;
	*created = true;
	return s + 1;
}

void rdr_map_remove(struct rdr_map *m, uint64_t k0, uint64_t k1)
{
	struct slot_head *s;
	size_t hole, i;

	if (!m->cap || !(s = probe(m, k0, k1))->used)
		return;
	hole = (size_t)((uint8_t *)s - m->slots) / m->slot_size;
	/* Pull back every later key of the run that may sit at the hole: its home is not in (hole, i]. */
	for (i = (hole + 1) & (m->cap - 1); slot(m, i)->used; i = (i + 1) & (m->cap - 1)) {
		struct slot_head *t = slot(m, i);
		size_t home = (size_t)mix(t->k0, t->k1) & (m->cap - 1);

		if (((i - home) & (m->cap - 1)) >= ((i - hole) & (m->cap - 1))) {
			memcpy(slot(m, hole), t, m->slot_size);
			hole = i;
		}
	}
	memset(slot(m, hole), 0, m->slot_size);
	m->count--;
}

void *rdr_map_slot(const struct rdr_map *m, size_t i, uint64_t *k0, uint64_t *k1)
{
	struct slot_head *s = slot(m, i);

	if (!s->used)
		return NULL;
	*k0 = s->k0;
	*k1 = s->k1;
	return s + 1;
}
