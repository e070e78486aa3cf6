/*
 * merge.c - k-way merge (see merge.h).
 */
#include "merge.h"

#include <errno.h>
#include <stdlib.h>

static bool before(const struct rdr_merge_slot *a, const struct rdr_merge_slot *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->stream < b->stream);
}

static void sift_down(struct rdr_merge *m, size_t i)
{
	struct rdr_merge_slot x = m->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= m->n)
			break;
		if (c + 1 < m->n && before(&m->heap[c + 1], &m->heap[c]))
			c++;
		if (!before(&m->heap[c], &x))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	m->heap[i] = x;
}

int rdr_merge_init(struct rdr_merge *m, struct rdr_stream **streams, size_t n)
{
	m->streams = streams;
	m->n = 0;
	m->started = false;
	m->heap = malloc((n ? n : 1) * sizeof(*m->heap));
	if (!m->heap)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (streams[i]->next(streams[i]))
			m->heap[m->n++] = (struct rdr_merge_slot){ .ts = streams[i]->ev.ts, .stream = (uint32_t)i };
	for (size_t i = m->n / 2; i-- > 0;)
		sift_down(m, i);
	return 0;
}

const struct rdr_event *rdr_merge_next(struct rdr_merge *m)
{
	if (m->started && m->n) {
		struct rdr_stream *s = m->streams[m->heap[0].stream];

		if (s->next(s))
			m->heap[0].ts = s->ev.ts;
		else
			m->heap[0] = m->heap[--m->n];
		if (m->n)
			sift_down(m, 0);
	}
	m->started = true;
	return m->n ? &m->streams[m->heap[0].stream]->ev : NULL;
}

void rdr_merge_free(struct rdr_merge *m)
{
	free(m->heap);
	m->heap = NULL;
	m->n = 0;
}
