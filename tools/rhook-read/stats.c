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

/* What stats keeps of one job: the timestamps it saw (0: not seen) and its kind. */
struct job_times {
	uint64_t begin, end, commit;
	uint8_t kind; /* 0 flush, 1 compaction, 2 remote compaction */
	uint8_t has_kind;
};

void rhook__stats_init(struct rhook__stats *s)
{
	memset(s, 0, sizeof(*s));
	rhook__map_init(&s->regions, sizeof(struct rhook__stats_group *));
	rhook__map_init(&s->jobs, sizeof(struct job_times));
}

/* Notes a job's event at @ts: @what 0 begin, 1 end, 2 commit (the earliest of a job's commits). */
static void job_note(struct rhook__stats *s, const struct rhook__rd_event *ev, uint64_t job, int what, int kind)
{
	struct job_times *t;
	bool created;

	if (!job)
		return;
	t = rhook__map_insert(&s->jobs, ev->proc->index, job, &created);
	if (!t) {
		s->err = -ENOMEM;
		return;
	}
	if (kind >= 0) {
		t->kind = (uint8_t)kind;
		t->has_kind = 1;
	}
	if (what == 0)
		t->begin = ev->ts;
	else if (what == 1)
		t->end = ev->ts;
	else if (!t->commit || ev->ts < t->commit)
		t->commit = ev->ts;
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
		job_note(s, ev, ((const struct rhook__ev_flush_begin *)ev->payload)->job_id, 0, 0);
		break;
	case RHOOK__EV_flush_end:
		job_note(s, ev, ((const struct rhook__ev_flush_end *)ev->payload)->job_id, 1, 0);
		break;
	case RHOOK__EV_compaction_begin:
		job_note(s, ev, ((const struct rhook__ev_compaction_begin *)ev->payload)->job_id, 0, (int)cause);
		break;
	case RHOOK__EV_compaction_end:
		job_note(s, ev, ((const struct rhook__ev_compaction_end *)ev->payload)->job_id, 1, (int)cause);
		break;
	case RHOOK__EV_manifest_updated:
		job_note(s, ev, ((const struct rhook__ev_manifest_updated *)ev->payload)->job_id, 2, -1);
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

/* Per-job latency: end to end, and to the commit the job produced, per kind. */
static void report_jobs(struct rhook__stats *s, struct rhook__out *o)
{
	static const char *const kinds[RHOOK__STATS_JOB_KINDS] = { "flush", "compaction", "remote_compaction" };
	struct rhook__hist e2e[RHOOK__STATS_JOB_KINDS] = { 0 }, commit[RHOOK__STATS_JOB_KINDS] = { 0 };
	uint64_t jobs[RHOOK__STATS_JOB_KINDS] = { 0 }, partial = 0;

	if (!s->jobs.count)
		return;
	for (size_t i = 0; i < s->jobs.cap; i++) {
		uint64_t k0, k1;
		const struct job_times *t = rhook__map_slot(&s->jobs, i, &k0, &k1);

		if (!t)
			continue;
		/* A job seen only by its commit (its spans lost), or with no kind: counted, not timed. */
		if (!t->has_kind || !t->begin || t->kind >= RHOOK__STATS_JOB_KINDS) {
			partial++;
			continue;
		}
		jobs[t->kind]++;
		if (t->end >= t->begin && t->end && rhook__hist_add(&e2e[t->kind], t->end - t->begin))
			s->err = -ENOMEM;
		if (t->commit >= t->begin && t->commit && rhook__hist_add(&commit[t->kind], t->commit - t->begin))
			s->err = -ENOMEM;
		if (!t->end)
			partial++;
	}
	rhook__out_printf(o, "\n== jobs (paired by process and job id) ==\n%-30s %8s %10s %12s %12s %12s %12s\n",
			  "latency_ns", "jobs", "count", "p50", "p90", "p99", "max");
	for (unsigned k = 0; k < RHOOK__STATS_JOB_KINDS; k++) {
		const struct rhook__hist *h[2] = { &e2e[k], &commit[k] };
		static const char *const what[2] = { "end_to_end", "to_commit" };

		for (unsigned w = 0; w < 2 && jobs[k]; w++) {
			char name[48];

			snprintf(name, sizeof(name), "%s_%s", kinds[k], what[w]);
			rhook__out_printf(o, "%-30s %8" PRIu64 " %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
					  " %12" PRIu64 "\n",
					  name, jobs[k], h[w]->count, rhook__hist_percentile(h[w], 500),
					  rhook__hist_percentile(h[w], 900), rhook__hist_percentile(h[w], 990), h[w]->max);
		}
		rhook__hist_free(&e2e[k]);
		rhook__hist_free(&commit[k]);
	}
	if (partial)
		rhook__out_printf(o, "%" PRIu64 " jobs seen in part (begin or end lost): not timed end to end\n", partial);
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
		uint64_t lost = p->lost.discard + p->lost.overwrite + p->lost.no_buffer + p->lost.nested +
				p->lost.reader + p->lost.damaged;

		rhook__out_printf(o, "  %s: host %s, pid %" PRIu64 " (%s), %" PRIu64 " events, %" PRIu64 " lost\n",
				  p->origin, p->host[0] ? p->host : "?", p->pid, p->comm[0] ? p->comm : "?", p->events,
				  lost);
		t.discard += p->lost.discard;
		t.overwrite += p->lost.overwrite;
		t.no_buffer += p->lost.no_buffer;
		t.nested += p->lost.nested;
		t.reader += p->lost.reader;
		t.damaged += p->lost.damaged;
	}
	rhook__out_char(o, '\n');
	report_group(o, "all", &s->all);
	rhook__out_printf(o,
			  "lost: %" PRIu64 " (discard %" PRIu64 ", overwrite %" PRIu64 ", no buffer %" PRIu64
			  ", nested %" PRIu64 ", read while overwritten %" PRIu64 ", damaged %" PRIu64 ")\n",
			  t.discard + t.overwrite + t.no_buffer + t.nested + t.reader + t.damaged, t.discard,
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
