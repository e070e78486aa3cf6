/*
 * statsjson.c - rhook-read stats --json: the figures of stats as one
 * JSON document (see stats.h; its shape is documented in rhook-read.1).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "reader/schema.h"
#include "stats.h"

static void group_json(struct rdr_out *o, const struct rdr_stats_group *g)
{
	bool first = true;

	rdr_out_str(o, "{\"events\":{");
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		if (!g->events[id])
			continue;
		rdr_out_printf(o, "%s\"%s\":%" PRIu64, first ? "" : ",", rdr_schema_event(id)->name, g->events[id]);
		first = false;
	}
	rdr_out_str(o, "},\"failed\":{");
	first = true;
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		if (!g->failed[id])
			continue;
		rdr_out_printf(o, "%s\"%s\":%" PRIu64, first ? "" : ",", rdr_schema_event(id)->name, g->failed[id]);
		first = false;
	}
	rdr_out_printf(o, "},\"sst_bytes\":%" PRIu64 ",\"latency_ns\":{", g->sst_bytes);
	first = true;
	for (unsigned m = 0; m < RDR_M_COUNT; m++) {
		const struct rdr_hist *h = &g->lat[m];

		if (!h->count)
			continue;
		rdr_out_printf(o,
				  "%s\"%s\":{\"count\":%" PRIu64 ",\"min\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p90\":%" PRIu64
				  ",\"p99\":%" PRIu64 ",\"p99.9\":%" PRIu64 ",\"max\":%" PRIu64 "}",
				  first ? "" : ",", rdr_metric_name((enum rdr_metric)m), h->count, h->min,
				  rdr_hist_percentile(h, 500), rdr_hist_percentile(h, 900),
				  rdr_hist_percentile(h, 990), rdr_hist_percentile(h, 999), h->max);
		first = false;
	}
	rdr_out_str(o, "}}");
}


void rdr_stats_report_json(struct rdr_stats *s, struct rdr_out *o, struct rdr_proc *const *procs,
			      size_t num_procs)
{
	const struct rdr_labels *causes =
		rdr_schema_field(rdr_schema_event(RHW_EV_manifest_commit), "cause")->labels;
	struct rdr_lost t = { 0 };
	bool first = true;
	uint64_t *ids;
	size_t n;

	rdr_out_printf(o, "{\"events\":%" PRIu64 ",\"sources\":[", s->events);
	for (size_t i = 0; i < num_procs; i++) {
		const struct rdr_proc *p = procs[i];

		rdr_out_str(o, i ? ",{\"origin\":" : "{\"origin\":");
		rdr_out_json_str(o, p->origin);
		rdr_out_str(o, ",\"host\":");
		rdr_out_json_str(o, p->host);
		rdr_out_printf(o, ",\"pid\":%" PRIu64 ",\"comm\":", p->pid);
		rdr_out_json_str(o, p->comm);
		rdr_out_printf(o, ",\"events\":%" PRIu64 ",\"lost\":%" PRIu64 "}", p->events,
				  rdr_lost_total(&p->lost));
		rdr_lost_add(&t, &p->lost); /* saturating, as stats' text */
	}
	rdr_out_printf(o,
			  "],\"lost\":{\"total\":%" PRIu64 ",\"discard\":%" PRIu64 ",\"overwrite\":%" PRIu64
			  ",\"no_buffer\":%" PRIu64 ",\"nested\":%" PRIu64 ",\"reader\":%" PRIu64 ",\"damaged\":%" PRIu64
			  "},\"all\":",
			  rdr_lost_total(&t), t.discard, t.overwrite, t.no_buffer, t.nested, t.reader, t.damaged);
	group_json(o, &s->all);
	rdr_out_str(o, ",\"causes\":{");
	for (unsigned c = 0; c < RDR_STATS_CAUSES; c++) {
		const char *name = rdr_label(causes, c);

		if (rdr_stats_group_empty(&s->cause[c]))
			continue;
		rdr_out_printf(o, "%s\"%s\":", first ? "" : ",", name ? name : "unknown");
		group_json(o, &s->cause[c]);
		first = false;
	}
	rdr_out_str(o, "},\"regions\":[");
	ids = rdr_stats_region_ids(s, &n);
	for (size_t i = 0; i < n; i++) {
		struct rdr_stats_group **g = rdr_map_find(&s->regions, ids[i], 0);

		rdr_out_printf(o, "%s{\"region_id\":%" PRIu64 ",\"table\":%" PRIu32 ",\"number\":%" PRIu32 ",\"figures\":",
				  i ? "," : "", ids[i], (uint32_t)(ids[i] >> 32), (uint32_t)ids[i]);
		group_json(o, *g);
		rdr_out_char(o, '}');
	}
	rdr_out_str(o, "]}\n");
	free(ids);
}
