/*
 * stats.c - counts and latency percentiles (see stats.h).
 */
#include "stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

static const char *const metric_names[RHOOK__M_COUNT] = {
	[RHOOK__M_FLUSH] = "flush",
	[RHOOK__M_COMPACTION] = "compaction",
	[RHOOK__M_LOCK_WAIT] = "lock_wait",
	[RHOOK__M_LOCK_HOLD] = "lock_hold",
	[RHOOK__M_PERSIST] = "persist",
	[RHOOK__M_HOOK_DISPATCH] = "hook_dispatch",
};

/* What stats keeps of one job: its kind, its duration, and the commit it produced. */
struct job_times {
	uint64_t duration, hold, persist;
	uint8_t kind; /* 0 flush, 1 compaction, 2 remote compaction */
	uint8_t has_kind, has_end, has_commit;
};

void rhook__stats_init(struct rhook__stats *s)
{
	memset(s, 0, sizeof(*s));
	rhook__map_init(&s->regions, sizeof(struct rhook__stats_group *));
	rhook__map_init(&s->jobs, sizeof(struct job_times));
}

/* The job @job of @ev's process; NULL for no job (0) or no memory. */
static struct job_times *job_of(struct rhook__stats *s, const struct rhook__rd_event *ev, uint64_t job)
{
	struct job_times *t;
	bool created;

	if (!job)
		return NULL;
	t = rhook__map_insert(&s->jobs, ev->proc->index, job, &created);
	if (!t)
		s->err = -ENOMEM;
	return t;
}

/* A begin or end of a job of @kind; an end brings its duration. */
static void job_span(struct rhook__stats *s, const struct rhook__rd_event *ev, uint64_t job, int kind, bool end,
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
	}
}

/* A successful commit of a job: the first one it produced (a job commits once in this engine). */
static void job_commit(struct rhook__stats *s, const struct rhook__rd_event *ev)
{
	const struct rhook__ev_manifest_commit *e = ev->payload;
	struct job_times *t = e->result ? NULL : job_of(s, ev, e->job_id);

	if (!t || t->has_commit)
		return;
	t->hold = e->lock_hold_ns;
	t->persist = e->persist_ns;
	t->has_commit = 1;
}

static struct rhook__stats_group *region_group(struct rhook__stats *s, uint64_t region)
{
	struct rhook__stats_group **slot;
	bool created;

	/* Consecutive events of a stream mostly share a region. */
	if (s->last_group && s->last_region == region)
		return s->last_group;
	slot = rhook__map_insert(&s->regions, region, 0, &created);
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
static void lat(struct rhook__stats *s, struct rhook__stats_group *g[3], enum rhook__metric m, uint64_t v)
{
	for (int i = 0; i < 3; i++)
		if (g[i] && rhook__hist_add(&g[i]->lat[m], v))
			s->err = -ENOMEM;
}

void rhook__stats_add(struct rhook__stats *s, const struct rhook__rd_event *ev)
{
	struct rhook__stats_group *g[3];
	uint64_t region, cause = RHOOK__STATS_CAUSES;
	bool failed = false;

	/* Every payload starts with the region id. */
	memcpy(&region, ev->payload, sizeof(region));
	s->events++;
	switch (ev->id) {
	case RHOOK__EV_sst_file_written:
		/* Origins flush, compaction, remote_compaction are causes 0, 1, 2. */
		cause = ((const struct rhook__ev_sst_file_written *)ev->payload)->origin;
		break;
	case RHOOK__EV_manifest_commit: {
		const struct rhook__ev_manifest_commit *e = ev->payload;

		cause = e->cause;
		failed = e->result != 0;
		break;
	}
	case RHOOK__EV_manifest_updated:
		cause = ((const struct rhook__ev_manifest_updated *)ev->payload)->cause;
		break;
	case RHOOK__EV_flush_begin:
		cause = 0;
		break;
	case RHOOK__EV_flush_end:
		cause = 0;
		failed = ((const struct rhook__ev_flush_end *)ev->payload)->status != 0;
		break;
	case RHOOK__EV_compaction_begin:
		/* Mode local (0) or remote (1): cause compaction (1) or remote_compaction (2). */
		cause = 1u + ((const struct rhook__ev_compaction_begin *)ev->payload)->mode;
		break;
	case RHOOK__EV_compaction_end:
		cause = 1u + ((const struct rhook__ev_compaction_end *)ev->payload)->mode;
		failed = ((const struct rhook__ev_compaction_end *)ev->payload)->status != 0;
		break;
	default:
		break;
	}
	g[0] = &s->all;
	g[1] = region_group(s, region);
	if (!g[1])
		s->err = -ENOMEM;
	g[2] = ev->id == RHOOK__EV_hook_dispatch || ev->id == RHOOK__EV_sst_file_removed ? NULL
						 : &s->cause[cause < RHOOK__STATS_CAUSES ? cause : RHOOK__STATS_CAUSES - 1];
	for (int i = 0; i < 3; i++) {
		if (!g[i])
			continue;
		g[i]->events[ev->id]++;
		g[i]->failed[ev->id] += failed;
		if (ev->id == RHOOK__EV_sst_file_written)
			g[i]->sst_bytes += ((const struct rhook__ev_sst_file_written *)ev->payload)->file_size;
	}
	switch (ev->id) {
	case RHOOK__EV_flush_begin:
		job_span(s, ev, ((const struct rhook__ev_flush_begin *)ev->payload)->job_id, 0, false, 0);
		break;
	case RHOOK__EV_flush_end: {
		const struct rhook__ev_flush_end *e = ev->payload;

		job_span(s, ev, e->job_id, 0, true, e->duration_ns);
		break;
	}
	case RHOOK__EV_compaction_begin:
		job_span(s, ev, ((const struct rhook__ev_compaction_begin *)ev->payload)->job_id, (int)cause, false, 0);
		break;
	case RHOOK__EV_compaction_end: {
		const struct rhook__ev_compaction_end *e = ev->payload;

		job_span(s, ev, e->job_id, (int)cause, true, e->duration_ns);
		break;
	}
	case RHOOK__EV_manifest_commit:
		job_commit(s, ev);
		break;
	default:
		break;
	}
	switch (ev->id) {
	case RHOOK__EV_manifest_commit: {
		const struct rhook__ev_manifest_commit *e = ev->payload;

		lat(s, g, RHOOK__M_LOCK_WAIT, e->lock_wait_ns);
		lat(s, g, RHOOK__M_LOCK_HOLD, e->lock_hold_ns);
		lat(s, g, RHOOK__M_PERSIST, e->persist_ns);
		break;
	}
	case RHOOK__EV_hook_dispatch:
		lat(s, g, RHOOK__M_HOOK_DISPATCH, ((const struct rhook__ev_hook_dispatch *)ev->payload)->duration_ns);
		break;
	case RHOOK__EV_flush_end:
		lat(s, g, RHOOK__M_FLUSH, ((const struct rhook__ev_flush_end *)ev->payload)->duration_ns);
		break;
	case RHOOK__EV_compaction_end:
		lat(s, g, RHOOK__M_COMPACTION, ((const struct rhook__ev_compaction_end *)ev->payload)->duration_ns);
		break;
	default:
		break;
	}
}

static void report_group(struct rhook__out *o, const char *title, const struct rhook__stats_group *g)
{
	bool any = false;

	rhook__out_printf(o, "== %s ==\n", title);
	rhook__out_str(o, "events:");
	for (unsigned id = 1; id <= RHOOK__EV_MAX_ID; id++) {
		if (!g->events[id])
			continue;
		rhook__out_printf(o, " %s %" PRIu64, rhook__schema_event(id)->name, g->events[id]);
		if (g->failed[id])
			rhook__out_printf(o, " (%" PRIu64 " failed)", g->failed[id]);
		rhook__out_char(o, ',');
	}
	if (o->len && o->buf[o->len - 1] == ',')
		o->len--;
	rhook__out_char(o, '\n');
	if (g->events[RHOOK__EV_sst_file_written])
		rhook__out_printf(o, "sst bytes: %" PRIu64 "\n", g->sst_bytes);
	for (unsigned m = 0; m < RHOOK__M_COUNT; m++) {
		const struct rhook__hist *h = &g->lat[m];

		if (!h->count)
			continue;
		if (!any)
			rhook__out_printf(o, "%-16s %10s %12s %12s %12s %12s\n", "latency_ns", "count", "p50", "p90",
					  "p99", "max");
		any = true;
		rhook__out_printf(o, "%-16s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
				  metric_names[m], h->count, rhook__hist_percentile(h, 500),
				  rhook__hist_percentile(h, 900), rhook__hist_percentile(h, 990), h->max);
	}
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

/* One line per cause: how many writes and notifications, and what they cost. */
static void report_causes_brief(struct rhook__out *o, const struct rhook__stats *s, const struct rhook__labels *causes)
{
	rhook__out_printf(o, "%-23s %8s %8s %6s %14s %14s %14s\n", "cause", "commits", "updated", "ssts",
			  "persist_p50_ns", "persist_p99_ns", "hold_p99_ns");
	for (unsigned c = 0; c < RHOOK__STATS_CAUSES; c++) {
		const struct rhook__stats_group *g = &s->cause[c];
		const char *name = rhook__label(causes, c);

		if (group_empty(g))
			continue;
		rhook__out_printf(o, "cause %-17s %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %14" PRIu64 " %14" PRIu64
				  " %14" PRIu64 "\n",
				  name ? name : "unknown", g->events[RHOOK__EV_manifest_commit],
				  g->events[RHOOK__EV_manifest_updated], g->events[RHOOK__EV_sst_file_written],
				  rhook__hist_percentile(&g->lat[RHOOK__M_PERSIST], 500),
				  rhook__hist_percentile(&g->lat[RHOOK__M_PERSIST], 990),
				  rhook__hist_percentile(&g->lat[RHOOK__M_LOCK_HOLD], 990));
	}
}

/*
 * Per-job latency, paired by process and job id: end to end (the end
 * event's duration), and the commit the job produced (its manifest_commit's
 * lock hold and persist times), per kind.  Payload figures only, so that
 * a recorder trace and an LTTng trace of one run report the same.
 */
static void report_jobs(struct rhook__stats *s, struct rhook__out *o)
{
	static const char *const kinds[RHOOK__STATS_JOB_KINDS] = { "flush", "compaction", "remote_compaction" };
	static const char *const what[3] = { "end_to_end", "commit_hold", "commit_persist" };
	struct rhook__hist h[RHOOK__STATS_JOB_KINDS][3];
	uint64_t jobs[RHOOK__STATS_JOB_KINDS] = { 0 }, partial = 0;

	if (!s->jobs.count)
		return;
	memset(h, 0, sizeof(h));
	for (size_t i = 0; i < s->jobs.cap; i++) {
		uint64_t k0, k1;
		const struct job_times *t = rhook__map_slot(&s->jobs, i, &k0, &k1);

		if (!t)
			continue;
		/* A job seen only by its commit, or without its end: counted, not timed. */
		if (!t->has_kind || !t->has_end || t->kind >= RHOOK__STATS_JOB_KINDS) {
			partial++;
			continue;
		}
		jobs[t->kind]++;
		if (rhook__hist_add(&h[t->kind][0], t->duration) ||
		    (t->has_commit &&
		     (rhook__hist_add(&h[t->kind][1], t->hold) || rhook__hist_add(&h[t->kind][2], t->persist))))
			s->err = -ENOMEM;
	}
	rhook__out_printf(o, "\n== jobs (paired by process and job id) ==\n%-30s %8s %10s %12s %12s %12s %12s\n",
			  "latency_ns", "jobs", "count", "p50", "p90", "p99", "max");
	for (unsigned k = 0; k < RHOOK__STATS_JOB_KINDS; k++) {
		for (unsigned w = 0; w < 3; w++) {
			char name[48];

			if (jobs[k]) {
				snprintf(name, sizeof(name), "%s_%s", kinds[k], what[w]);
				rhook__out_printf(o,
						  "%-30s %8" PRIu64 " %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
						  " %12" PRIu64 "\n",
						  name, jobs[k], h[k][w].count, rhook__hist_percentile(&h[k][w], 500),
						  rhook__hist_percentile(&h[k][w], 900),
						  rhook__hist_percentile(&h[k][w], 990), h[k][w].max);
			}
			rhook__hist_free(&h[k][w]);
		}
	}
	if (partial)
		rhook__out_printf(o, "%" PRIu64 " jobs seen in part (their end lost): not timed\n", partial);
}

void rhook__stats_report(struct rhook__stats *s, struct rhook__out *o, struct rhook__rd_proc *const *procs,
			 size_t num_procs, bool brief)
{
	const struct rhook__labels *causes =
		rhook__schema_field(rhook__schema_event(RHOOK__EV_manifest_commit), "cause")->labels;
	struct rhook__rd_lost t = { 0 };
	uint64_t *ids = malloc((s->regions.count ? s->regions.count : 1) * sizeof(*ids));
	size_t n = 0;

	rhook__out_printf(o, "rhook-read stats: %" PRIu64 " events, %zu sources\n", s->events, num_procs);
	for (size_t i = 0; i < num_procs; i++) {
		const struct rhook__rd_proc *p = procs[i];
		uint64_t lost = rhook__rd_lost_total(&p->lost);

		rhook__out_printf(o, "  %s: host %s, pid %" PRIu64 " (%s), %" PRIu64 " events, %" PRIu64 " lost\n",
				  p->origin, p->host[0] ? p->host : "?", p->pid, p->comm[0] ? p->comm : "?", p->events,
				  lost);
		rhook__rd_lost_add(&t.discard, p->lost.discard);
		rhook__rd_lost_add(&t.overwrite, p->lost.overwrite);
		rhook__rd_lost_add(&t.no_buffer, p->lost.no_buffer);
		rhook__rd_lost_add(&t.nested, p->lost.nested);
		rhook__rd_lost_add(&t.reader, p->lost.reader);
		rhook__rd_lost_add(&t.damaged, p->lost.damaged);
	}
	rhook__out_char(o, '\n');
	report_group(o, "all", &s->all);
	rhook__out_printf(o,
			  "lost: %" PRIu64 " (discard %" PRIu64 ", overwrite %" PRIu64 ", no buffer %" PRIu64
			  ", nested %" PRIu64 ", read while overwritten %" PRIu64 ", damaged %" PRIu64 ")\n",
			  rhook__rd_lost_total(&t), t.discard,
			  t.overwrite, t.no_buffer, t.nested, t.reader, t.damaged);
	report_jobs(s, o);
	if (brief) {
		rhook__out_char(o, '\n');
		report_causes_brief(o, s, causes);
		free(ids);
		return;
	}
	for (unsigned c = 0; c < RHOOK__STATS_CAUSES; c++) {
		const char *name = rhook__label(causes, c);
		char title[64];

		if (group_empty(&s->cause[c]))
			continue;
		snprintf(title, sizeof(title), "cause %s", name ? name : "unknown");
		report_group(o, title, &s->cause[c]);
	}
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
		char title[80];

		snprintf(title, sizeof(title), "region %" PRIu64 "(%" PRIu32 ", %" PRIu32 ")", ids[i],
			 (uint32_t)(ids[i] >> 32), (uint32_t)ids[i]);
		report_group(o, title, *g);
	}
	free(ids);
}

static void group_free(struct rhook__stats_group *g)
{
	for (unsigned m = 0; m < RHOOK__M_COUNT; m++)
		rhook__hist_free(&g->lat[m]);
}

void rhook__stats_free(struct rhook__stats *s)
{
	for (size_t i = 0; i < s->regions.cap; i++) {
		uint64_t k0, k1;
		struct rhook__stats_group **g = rhook__map_slot(&s->regions, i, &k0, &k1);

		if (g && *g) {
			group_free(*g);
			free(*g);
		}
	}
	rhook__map_free(&s->regions);
	rhook__map_free(&s->jobs);
	group_free(&s->all);
	for (unsigned c = 0; c < RHOOK__STATS_CAUSES; c++)
		group_free(&s->cause[c]);
}
