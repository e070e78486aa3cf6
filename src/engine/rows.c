/*
 * rows.c - row sets and the merge (latest sequence wins).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"

#define CHUNK_MIN (64u * 1024)

struct lsm__chunk {
	struct lsm__chunk *next;
	uint8_t *data;
	size_t used;
	size_t cap;
};

int lsm__row_cmp(const struct lsm_row *a, const struct lsm_row *b)
{
	uint32_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = n ? memcmp(a->key, b->key, n) : 0;

	if (c)
		return c;
	if (a->key_len != b->key_len)
		return a->key_len < b->key_len ? -1 : 1;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq > b->seq ? -1 : 1;
	return 0;
}

static int chunk_add(struct lsm_row_set *set, void *data, size_t used, size_t cap)
{
	struct lsm__chunk *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->data = data;
	c->used = used;
	c->cap = cap;
	c->next = set->chunks;
	set->chunks = c;
	return 0;
}

/* Space for @n bytes in the arena, or NULL. */
static uint8_t *arena_alloc(struct lsm_row_set *set, size_t n)
{
	struct lsm__chunk *c = set->chunks;
	uint8_t *p;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
		void *data = malloc(cap);

		if (!data || chunk_add(set, data, 0, cap)) {
			free(data);
			return NULL;
		}
		c = set->chunks;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

int lsm__rows_push_ref(struct lsm_row_set *set, const struct lsm_row *row)
{
	if (set->num_rows == set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 256;
		struct lsm_row *rows = realloc(set->rows, cap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		set->rows = rows;
		set->cap = cap;
	}
	set->rows[set->num_rows++] = *row;
	return 0;
}

int lsm__rows_push(struct lsm_row_set *set, const struct lsm_row *row)
{
	struct lsm_row r = *row;
	uint8_t *p = arena_alloc(set, (size_t)row->key_len + row->value_len);

	if (!p)
		return -ENOMEM;
	if (row->key_len)
		memcpy(p, row->key, row->key_len);
	if (row->value_len)
		memcpy(p + row->key_len, row->value, row->value_len);
	r.key = p;
	r.value = p + row->key_len;
	return lsm__rows_push_ref(set, &r);
}

int lsm__rows_adopt(struct lsm_row_set *set, void *buf)
{
	/* A full chunk: arena_alloc never carves from it. */
	return chunk_add(set, buf, 0, 0);
}

static int cmp_rows(const void *a, const void *b)
{
	return lsm__row_cmp(a, b);
}

void lsm__rows_merge(struct lsm_row_set *set, uint64_t truncated_seq)
{
	size_t out = 0;

	if (!set->num_rows)
		return;
	qsort(set->rows, set->num_rows, sizeof(set->rows[0]), cmp_rows);
	for (size_t i = 0; i < set->num_rows; i++) {
		const struct lsm_row *r = &set->rows[i];

		if (truncated_seq && r->seq <= truncated_seq)
			continue;
		/* Sorted newest first within a (key, ts): a repeat of the last kept one is older. */
		if (out && set->rows[out - 1].ts == r->ts && set->rows[out - 1].key_len == r->key_len &&
		    (!r->key_len || !memcmp(set->rows[out - 1].key, r->key, r->key_len)))
			continue;
		set->rows[out++] = *r;
	}
	set->num_rows = out;
}

uint64_t lsm__rows_bytes(const struct lsm_row *rows, size_t n)
{
	uint64_t b = 0;

	for (size_t i = 0; i < n; i++)
		b += 24u + rows[i].key_len + rows[i].value_len;
	return b;
}

void lsm_row_set_free(struct lsm_row_set *set)
{
	struct lsm__chunk *c, *next;

	if (!set)
		return;
	for (c = set->chunks; c; c = next) {
		next = c->next;
		free(c->data);
		free(c);
	}
	free(set->rows);
	memset(set, 0, sizeof(*set));
}
