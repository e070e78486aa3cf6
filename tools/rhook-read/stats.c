/*
 * stats.c - counts and latency percentiles (see stats.h).
 */
#include "stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader/schema.h"

static const char *const metric_names[RDR_M_COUNT] = {
	[RDR_M_FLUSH] = "flush",
	[RDR_M_COMPACTION] = "compaction",
	[RDR_M_LOCK_WAIT] = "lock_wait",
	[RDR_M_LOCK_HOLD] = "lock_hold",
	[RDR_M_PERSIST] = "persist",
	[RDR_M_HOOK_DISPATCH] = "hook_dispatch",
};

const char *rdr_metric_name(enum rdr_metric m)
{
	return metric_names[m];
}

/* What stats keeps of one job: its kind, its duration, and the commit it produced. */
struct job_times {
	uint64_t duration, hold, persist;
	uint8_t kind; /* 0 flush, 1 compaction, 2 remote compaction */
	uint8_t has_kind, has_begin, has_end, has_commit;
	uint8_t folded; /* taken into the histograms by a report (ended without a commit) */
};

void rdr_stats_init(struct rdr_stats *s)
{
	memset(s, 0, sizeof(*s));
	rdr_map_init(&s->regions, sizeof(struct rdr_stats_group *));
	rdr_map_init(&s->jobs, sizeof(struct job_times));
}

/* The job @job of @ev's process; NULL for no job (0) or no memory. */
static struct job_times *job_of(struct rdr_stats *s, const struct rdr_event *ev, uint64_t job)
{
	struct job_times *t;
	bool created;

	if (!job)
		return NULL;
	t = rdr_map_insert(&s->jobs, ev->proc->index, job, &created);
	if (!t)
		s->err = -ENOMEM;
	return t;
}

/* Takes the times of job @t (with its kind and end) into the histograms. */
static void job_fold(struct rdr_stats *s, const struct job_times *t)
{
	s->job_count[t->kind]++;
	if (rdr_hist_add(&s->job_lat[t->kind][0], t->duration) ||
	    (t->has_commit && (rdr_hist_add(&s->job_lat[t->kind][1], t->hold) ||
			       rdr_hist_add(&s->job_lat[t->kind][2], t->persist))))
		s->err = -ENOMEM;
}

/*
 * A job whose begin, end and commit have all been seen is done (the
 * events come in no particular order: stats reads the streams one by
 * one, unmerged, and a job has one of each): folded, out of the map.
 */
static void job_maybe_done(struct rdr_stats *s, const struct rdr_event *ev, uint64_t job,
			   const struct job_times *t)
{
	if (t->has_begin && t->has_end && t->has_commit && t->kind < RDR_STATS_JOB_KINDS) {
		job_fold(s, t);
		rdr_map_remove(&s->jobs, ev->proc->index, job);
	}
}

/* A begin or end of a job of @kind; an end brings its duration. */
static void job_span(struct rdr_stats *s, const struct rdr_event *ev, uint64_t job, int kind, bool end,
		     uint64_t duration)
{
	struct job_times *t = job_of(s, ev, job);

	if (!t)
		return;
	t->kind = (uint8_t)kind;
	t->has_kind = 1;
	if (end) {
		t->duration = duration;
		t->has_end = 1;
	} else {
		t->has_begin = 1;
	}
	job_maybe_done(s, ev, job, t);
}

/* A successful commit of a job: the first one it produced (a job commits once in this engine). */
static void job_commit(struct rdr_stats *s, const struct rdr_event *ev)
{
	const struct rhw_ev_manifest_commit *e = ev->payload;
	struct job_times *t = e->result ? NULL : job_of(s, ev, e->job_id);

	if (!t || t->has_commit)
		return;
	t->hold = e->lock_hold_ns;
	t->persist = e->persist_ns;
	t->has_commit = 1;
	job_maybe_done(s, ev, e->job_id, t);
}

static struct rdr_stats_group *region_group(struct rdr_stats *s, uint64_t region)
{
	struct rdr_stats_group **slot;
	bool created;

	/* Consecutive events of a stream mostly share a region. */
	if (s->last_group && s->last_region == region)
		return s->last_group;
	slot = rdr_map_insert(&s->regions, region, 0, &created);
	if (!slot)
		return NULL;
	if (created) {
		*slot = calloc(1, sizeof(**slot));
		if (!*slot)
			return NULL;
	}
	s->last_region = region;
	s->last_group = *slot;
	return *slot;
}

/* Adds to the group of every set the event belongs to. */
static void lat(struct rdr_stats *s, struct rdr_stats_group *g[3], enum rdr_metric m, uint64_t v)
{
	for (int i = 0; i < 3; i++)
		if (g[i] && rdr_hist_add(&g[i]->lat[m], v))
			s->err = -ENOMEM;
}

void rdr_stats_add(struct rdr_stats *s, const struct rdr_event *ev)
{
	struct rdr_stats_group *g[3];
	uint64_t region, cause = RDR_STATS_CAUSES;
	bool failed = false;

	/* Every payload starts with the region id. */
	memcpy(&region, ev->payload, sizeof(region));
	s->events++;
	switch (ev->id) {
	case RHW_EV_sst_file_written:
		/* Origins flush, compaction, remote_compaction are causes 0, 1, 2. */
		cause = ((const struct rhw_ev_sst_file_written *)ev->payload)->origin;
		break;
	case RHW_EV_manifest_commit: {
		const struct rhw_ev_manifest_commit *e = ev->payload;

		cause = e->cause;
		failed = e->result != 0;
		break;
	}
	case RHW_EV_manifest_updated:
		cause = ((const struct rhw_ev_manifest_updated *)ev->payload)->cause;
		break;
	case RHW_EV_flush_begin:
		cause = 0;
		break;
	case RHW_EV_flush_end:
		cause = 0;
		failed = ((const struct rhw_ev_flush_end *)ev->payload)->status != 0;
		break;
	case RHW_EV_compaction_begin:
		/* Mode local (0) or remote (1): cause compaction (1) or remote_compaction (2). */
		cause = 1u + ((const struct rhw_ev_compaction_begin *)ev->payload)->mode;
		break;
	case RHW_EV_compaction_end:
		cause = 1u + ((const struct rhw_ev_compaction_end *)ev->payload)->mode;
		failed = ((const struct rhw_ev_compaction_end *)ev->payload)->status != 0;
		break;
	default:
		break;
	}
	g[0] = &s->all;
	g[1] = region_group(s, region);
	if (!g[1])
		s->err = -ENOMEM;
	g[2] = ev->id == RHW_EV_hook_dispatch || ev->id == RHW_EV_sst_file_removed ? NULL
						 : &s->cause[cause < RDR_STATS_CAUSES ? cause : RDR_STATS_CAUSES - 1];
	for (int i = 0; i < 3; i++) {
		if (!g[i])
			continue;
		g[i]->events[ev->id]++;
		g[i]->failed[ev->id] += failed;
		if (ev->id == RHW_EV_sst_file_written)
			g[i]->sst_bytes += ((const struct rhw_ev_sst_file_written *)ev->payload)->file_size;
	}
	switch (ev->id) {
	case RHW_EV_flush_begin:
		job_span(s, ev, ((const struct rhw_ev_flush_begin *)ev->payload)->job_id, 0, false, 0);
		break;
	case RHW_EV_flush_end: {
		const struct rhw_ev_flush_end *e = ev->payload;

		job_span(s, ev, e->job_id, 0, true, e->duration_ns);
		break;
	}
	case RHW_EV_compaction_begin:
		job_span(s, ev, ((const struct rhw_ev_compaction_begin *)ev->payload)->job_id, (int)cause, false, 0);
		break;
	case RHW_EV_compaction_end: {
		const struct rhw_ev_compaction_end *e = ev->payload;

		job_span(s, ev, e->job_id, (int)cause, true, e->duration_ns);
		break;
	}
	case RHW_EV_manifest_commit:
		job_commit(s, ev);
		break;
	default:
		break;
	}
	switch (ev->id) {
	case RHW_EV_manifest_commit: {
		const struct rhw_ev_manifest_commit *e = ev->payload;

		lat(s, g, RDR_M_LOCK_WAIT, e->lock_wait_ns);
		lat(s, g, RDR_M_LOCK_HOLD, e->lock_hold_ns);
		lat(s, g, RDR_M_PERSIST, e->persist_ns);
		break;
	}
	case RHW_EV_hook_dispatch:
		lat(s, g, RDR_M_HOOK_DISPATCH, ((const struct rhw_ev_hook_dispatch *)ev->payload)->duration_ns);
		break;
	case RHW_EV_flush_end:
		lat(s, g, RDR_M_FLUSH, ((const struct rhw_ev_flush_end *)ev->payload)->duration_ns);
		break;
	case RHW_EV_compaction_end:
		lat(s, g, RDR_M_COMPACTION, ((const struct rhw_ev_compaction_end *)ev->payload)->duration_ns);
		break;
	default:
		break;
	}
}

static void report_group(struct rdr_out *o, const char *title, const struct rdr_stats_group *g)
{
	bool any = false;

	rdr_out_printf(o, "== %s ==\n", title);
	rdr_out_str(o, "events:");
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		if (!g->events[id])
			continue;
		rdr_out_printf(o, " %s %" PRIu64, rdr_schema_event(id)->name, g->events[id]);
		if (g->failed[id])
			rdr_out_printf(o, " (%" PRIu64 " failed)", g->failed[id]);
		rdr_out_char(o, ',');
	}
	if (o->len && o->buf[o->len - 1] == ',')
		o->len--;
	rdr_out_char(o, '\n');
	if (g->events[RHW_EV_sst_file_written])
		rdr_out_printf(o, "sst bytes: %" PRIu64 "\n", g->sst_bytes);
	for (unsigned m = 0; m < RDR_M_COUNT; m++) {
		const struct rdr_hist *h = &g->lat[m];

		if (!h->count)
			continue;
		if (!any)
			rdr_out_printf(o, "%-16s %10s %12s %12s %12s %12s\n", "latency_ns", "count", "p50", "p90",
					  "p99", "max");
		any = true;
		rdr_out_printf(o, "%-16s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
				  metric_names[m], h->count, rdr_hist_percentile(h, 500),
				  rdr_hist_percentile(h, 900), rdr_hist_percentile(h, 990), h->max);
	}
}

bool rdr_stats_group_empty(const struct rdr_stats_group *g)
{
	for (unsigned id = 0; id <= RHW_EV_MAX_ID; id++)
		if (g->events[id])
			return false;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t *rdr_stats_region_ids(struct rdr_stats *s, size_t *n)
{
	uint64_t *ids = malloc((s->regions.count ? s->regions.count : 1) * sizeof(*ids));

	*n = 0;
	if (!ids) {
		s->err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < s->regions.cap; i++) {
		uint64_t k0, k1;

		if (rdr_map_slot(&s->regions, i, &k0, &k1))
			ids[(*n)++] = k0;
	}
	qsort(ids, *n, sizeof(*ids), cmp_u64);
	return ids;
}

/* One line per cause: how many writes and notifications, and what they cost. */
static void report_causes_brief(struct rdr_out *o, const struct rdr_stats *s, const struct rdr_labels *causes)
{
	rdr_out_printf(o, "%-23s %8s %8s %6s %14s %14s %14s\n", "cause", "commits", "updated", "ssts",
			  "persist_p50_ns", "persist_p99_ns", "hold_p99_ns");
	for (unsigned c = 0; c < RDR_STATS_CAUSES; c++) {
		const struct rdr_stats_group *g = &s->cause[c];
		const char *name = rdr_label(causes, c);

		if (rdr_stats_group_empty(g))
			continue;
		rdr_out_printf(o, "cause %-17s %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %14" PRIu64 " %14" PRIu64
				  " %14" PRIu64 "\n",
				  name ? name : "unknown", g->events[RHW_EV_manifest_commit],
				  g->events[RHW_EV_manifest_updated], g->events[RHW_EV_sst_file_written],
				  rdr_hist_percentile(&g->lat[RDR_M_PERSIST], 500),
				  rdr_hist_percentile(&g->lat[RDR_M_PERSIST], 990),
				  rdr_hist_percentile(&g->lat[RDR_M_LOCK_HOLD], 990));
	}
}

/*
 * Per-job latency, paired by process and job id: end to end (the end
 * event's duration), and the commit the job produced (its manifest_commit's
 * lock hold and persist times), per kind.  Payload figures only, so that
 * a recorder trace and an LTTng trace of one run report the same.
 */
static void report_jobs(struct rdr_stats *s, struct rdr_out *o)
{
	static const char *const kinds[RDR_STATS_JOB_KINDS] = { "flush", "compaction", "remote_compaction" };
	static const char *const what[3] = { "end_to_end", "commit_hold", "commit_persist" };
	uint64_t partial = 0, any = 0;

	/* What is still in the map ended without a commit, or was seen in part. */
	for (size_t i = 0; i < s->jobs.cap; i++) {
		uint64_t k0, k1;
		struct job_times *t = rdr_map_slot(&s->jobs, i, &k0, &k1);

		if (!t)
			continue;
		/* A job seen only by its commit, or without its end: counted, not timed. */
		if (!t->has_kind || !t->has_end || t->kind >= RDR_STATS_JOB_KINDS) {
			partial++;
			continue;
		}
		if (!t->folded) {
			job_fold(s, t);
			t->folded = 1; /* stays (removing while walking the slots could move a key past the walk) */
		}
	}
	for (unsigned k = 0; k < RDR_STATS_JOB_KINDS; k++)
		any += s->job_count[k];
	if (!any && !partial)
		return;
	rdr_out_printf(o, "\n== jobs (paired by process and job id) ==\n%-30s %8s %10s %12s %12s %12s %12s\n",
			  "latency_ns", "jobs", "count", "p50", "p90", "p99", "max");
	for (unsigned k = 0; k < RDR_STATS_JOB_KINDS; k++) {
		for (unsigned w = 0; w < 3; w++) {
			char name[48];

			if (s->job_count[k]) {
				snprintf(name, sizeof(name), "%s_%s", kinds[k], what[w]);
				rdr_out_printf(o,
						  "%-30s %8" PRIu64 " %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
						  " %12" PRIu64 "\n",
						  name, s->job_count[k], s->job_lat[k][w].count,
						  rdr_hist_percentile(&s->job_lat[k][w], 500),
						  rdr_hist_percentile(&s->job_lat[k][w], 900),
						  rdr_hist_percentile(&s->job_lat[k][w], 990), s->job_lat[k][w].max);
			}
		}
	}
	if (partial)
		rdr_out_printf(o, "%" PRIu64 " jobs seen in part (their end lost): not timed\n", partial);
}

void rdr_stats_report(struct rdr_stats *s, struct rdr_out *o, struct rdr_proc *const *procs,
			 size_t num_procs, bool brief)
{
	const struct rdr_labels *causes =
		rdr_schema_field(rdr_schema_event(RHW_EV_manifest_commit), "cause")->labels;
	struct rdr_lost t = { 0 };
	uint64_t *ids;
	size_t n;

	rdr_out_printf(o, "rhook-read stats: %" PRIu64 " events, %zu sources\n", s->events, num_procs);
	for (size_t i = 0; i < num_procs; i++) {
		const struct rdr_proc *p = procs[i];
		uint64_t lost = rdr_lost_total(&p->lost);

		rdr_out_printf(o, "  %s: host %s, pid %" PRIu64 " (%s), %" PRIu64 " events, %" PRIu64 " lost\n",
				  p->origin, p->host[0] ? p->host : "?", p->pid, p->comm[0] ? p->comm : "?", p->events,
				  lost);
		rdr_lost_add(&t, &p->lost);
	}
	rdr_out_char(o, '\n');
	report_group(o, "all", &s->all);
	rdr_out_printf(o,
			  "lost: %" PRIu64 " (discard %" PRIu64 ", overwrite %" PRIu64 ", no buffer %" PRIu64
			  ", nested %" PRIu64 ", read while overwritten %" PRIu64 ", damaged %" PRIu64 ")\n",
			  rdr_lost_total(&t), t.discard,
			  t.overwrite, t.no_buffer, t.nested, t.reader, t.damaged);
	report_jobs(s, o);
	if (brief) {
		rdr_out_char(o, '\n');
		report_causes_brief(o, s, causes);
		return;
	}
	for (unsigned c = 0; c < RDR_STATS_CAUSES; c++) {
		const char *name = rdr_label(causes, c);
		char title[64];

		if (rdr_stats_group_empty(&s->cause[c]))
			continue;
		snprintf(title, sizeof(title), "cause %s", name ? name : "unknown");
		report_group(o, title, &s->cause[c]);
	}
	ids = rdr_stats_region_ids(s, &n);
	for (size_t i = 0; i < n; i++) {
		struct rdr_stats_group **g = rdr_map_find(&s->regions, ids[i], 0);
		char title[80];

		snprintf(title, sizeof(title), "region %" PRIu64 "(%" PRIu32 ", %" PRIu32 ")", ids[i],
			 (uint32_t)(ids[i] >> 32), (uint32_t)ids[i]);
		report_group(o, title, *g);
	}
	free(ids);
}

static void group_free(struct rdr_stats_group *g)
{
	for (unsigned m = 0; m < RDR_M_COUNT; m++)
		rdr_hist_free(&g->lat[m]);
}

void rdr_stats_free(struct rdr_stats *s)
{
	for (size_t i = 0; i < s->regions.cap; i++) {
		uint64_t k0, k1;
		struct rdr_stats_group **g = rdr_map_slot(&s->regions, i, &k0, &k1);

		if (g && *g) {
			group_free(*g);
			free(*g);
		}
	}
	rdr_map_free(&s->regions);
	rdr_map_free(&s->jobs);
	for (unsigned k = 0; k < RDR_STATS_JOB_KINDS; k++)
		for (unsigned w = 0; w < 3; w++)
			rdr_hist_free(&s->job_lat[k][w]);
	group_free(&s->all);
	for (unsigned c = 0; c < RDR_STATS_CAUSES; c++)
		group_free(&s->cause[c]);
}
