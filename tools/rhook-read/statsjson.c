/*
 * statsjson.c - rhook-read stats --json: the figures of stats as one
 * JSON document (see stats.h; its shape is documented in rhook-read.1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "schema.h"
#include "stats.h"

static void group_json(struct rhook__out *o, const struct rhook__stats_group *g)
{
	bool first = true;

	rhook__out_str(o, "{\"events\":{");
	for (unsigned id = 1; id <= RHOOK__EV_MAX_ID; id++) {
		if (!g->events[id])
			continue;
		rhook__out_printf(o, "%s\"%s\":%" PRIu64, first ? "" : ",", rhook__schema_event(id)->name, g->events[id]);
		first = false;
	}
	rhook__out_str(o, "},\"failed\":{");
	first = true;
	for (unsigned id = 1; id <= RHOOK__EV_MAX_ID; id++) {
		if (!g->failed[id])
			continue;
		rhook__out_printf(o, "%s\"%s\":%" PRIu64, first ? "" : ",", rhook__schema_event(id)->name, g->failed[id]);
		first = false;
	}
	rhook__out_printf(o, "},\"sst_bytes\":%" PRIu64 ",\"latency_ns\":{", g->sst_bytes);
	first = true;
	for (unsigned m = 0; m < RHOOK__M_COUNT; m++) {
		const struct rhook__hist *h = &g->lat[m];

		if (!h->count)
			continue;
		rhook__out_printf(o,
				  "%s\"%s\":{\"count\":%" PRIu64 ",\"min\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p90\":%" PRIu64
				  ",\"p99\":%" PRIu64 ",\"p99.9\":%" PRIu64 ",\"max\":%" PRIu64 "}",
				  first ? "" : ",", rhook__metric_name((enum rhook__metric)m), h->count, h->min,
				  rhook__hist_percentile(h, 500), rhook__hist_percentile(h, 900),
				  rhook__hist_percentile(h, 990), rhook__hist_percentile(h, 999), h->max);
		first = false;
	}
	rhook__out_str(o, "}}");
}

static bool group_empty(const struct rhook__stats_group *g)
{
	for (unsigned id = 0; id <= RHOOK__EV_MAX_ID; id++)
		if (g->events[id])
			return false;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void rhook__stats_report_json(struct rhook__stats *s, struct rhook__out *o, struct rhook__rd_proc *const *procs,
			      size_t num_procs)
{
	const struct rhook__labels *causes =
		rhook__schema_field(rhook__schema_event(RHOOK__EV_manifest_commit), "cause")->labels;
	uint64_t *ids = malloc((s->regions.count ? s->regions.count : 1) * sizeof(*ids));
	struct rhook__rd_lost t = { 0 };
	bool first = true;
	size_t n = 0;

	rhook__out_printf(o, "{\"events\":%" PRIu64 ",\"sources\":[", s->events);
	for (size_t i = 0; i < num_procs; i++) {
		const struct rhook__rd_proc *p = procs[i];

		rhook__out_str(o, i ? ",{\"origin\":" : "{\"origin\":");
		rhook__out_json_str(o, p->origin);
		rhook__out_str(o, ",\"host\":");
		rhook__out_json_str(o, p->host);
		rhook__out_printf(o, ",\"pid\":%" PRIu64 ",\"comm\":", p->pid);
		rhook__out_json_str(o, p->comm);
		rhook__out_printf(o, ",\"events\":%" PRIu64 ",\"lost\":%" PRIu64 "}", p->events,
				  rhook__rd_lost_total(&p->lost));
		t.discard += p->lost.discard;
		t.overwrite += p->lost.overwrite;
		t.no_buffer += p->lost.no_buffer;
		t.nested += p->lost.nested;
		t.reader += p->lost.reader;
		t.damaged += p->lost.damaged;
	}
	rhook__out_printf(o,
			  "],\"lost\":{\"total\":%" PRIu64 ",\"discard\":%" PRIu64 ",\"overwrite\":%" PRIu64
			  ",\"no_buffer\":%" PRIu64 ",\"nested\":%" PRIu64 ",\"reader\":%" PRIu64 ",\"damaged\":%" PRIu64
			  "},\"all\":",
			  rhook__rd_lost_total(&t), t.discard, t.overwrite, t.no_buffer, t.nested, t.reader, t.damaged);
	group_json(o, &s->all);
	rhook__out_str(o, ",\"causes\":{");
	for (unsigned c = 0; c < RHOOK__STATS_CAUSES; c++) {
		const char *name = rhook__label(causes, c);

		if (group_empty(&s->cause[c]))
			continue;
		rhook__out_printf(o, "%s\"%s\":", first ? "" : ",", name ? name : "unknown");
		group_json(o, &s->cause[c]);
		first = false;
	}
	rhook__out_str(o, "},\"regions\":[");
	for (size_t i = 0; ids && i < s->regions.cap; i++) {
		uint64_t k0, k1;

		if (rhook__map_slot(&s->regions, i, &k0, &k1))
			ids[n++] = k0;
	}
	if (!ids)
		s->err = -ENOMEM;
	qsort(ids, n, sizeof(*ids), cmp_u64);
	for (size_t i = 0; i < n; i++) {
		struct rhook__stats_group **g = rhook__map_find(&s->regions, ids[i], 0);

		rhook__out_printf(o, "%s{\"region_id\":%" PRIu64 ",\"table\":%" PRIu32 ",\"number\":%" PRIu32 ",\"figures\":",
				  i ? "," : "", ids[i], (uint32_t)(ids[i] >> 32), (uint32_t)ids[i]);
		group_json(o, *g);
		rhook__out_char(o, '}');
	}
	rhook__out_str(o, "]}\n");
	free(ids);
}
