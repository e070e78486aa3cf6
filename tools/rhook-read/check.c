/*
 * check.c - contract rules over the merged timeline (see check.h).
 */
#include "check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rhook/manifest.h>

#include "reader/out.h"

#include "reader/schema.h"

struct region_state {
	uint64_t max_version;
	uint64_t max_ts;       /* when max_version was committed */
	uint64_t unlisted_ts;  /* last manifest_updated that could not list all its added ids */
	uint8_t has_version;
};

struct sst_state {
	uint64_t region;
	uint64_t ts, span;
	uint32_t proc, tid;
};

static const char *const rule_names[RDR_RULE_COUNT] = {
	[RDR_RULE_RECEIPT_AFTER_COMMIT] = "receipt-after-commit",
	[RDR_RULE_VERSION_ORDER] = "version-order",
	[RDR_RULE_NOTIFIED_ONCE] = "notified-once",
	[RDR_RULE_SST_ADDED] = "sst-added",
	[RDR_RULE_REMOVED_LIVE_FILE] = "removed-live-file",
};

const char *rdr_rule_name(enum rdr_rule rule)
{
	return rule_names[rule];
}

void rdr_check_init(struct rdr_check *c, uint64_t reorder_window_ns)
{
	memset(c, 0, sizeof(*c));
	c->reorder_window_ns = reorder_window_ns;
	rdr_versions_init(&c->commits);
	rdr_map_init(&c->regions, sizeof(struct region_state));
	rdr_map_init(&c->ssts, sizeof(struct sst_state));
	rdr_map_init(&c->threads, sizeof(uint64_t));
	rdr_map_init(&c->failed, 1);
	rdr_lc_init(&c->lc);
	c->lc.liveness_only = true;
}

void rdr_check_free(struct rdr_check *c)
{
	rdr_versions_free(&c->commits);
	rdr_map_free(&c->regions);
	rdr_map_free(&c->ssts);
	rdr_map_free(&c->threads);
	rdr_map_free(&c->failed);
	rdr_lc_free(&c->lc);
}

static void *insert(struct rdr_check *c, struct rdr_map *m, uint64_t k0, uint64_t k1, bool *created)
{
	void *v = rdr_map_insert(m, k0, k1, created);

	if (!v)
		c->err = -ENOMEM;
	return v;
}

/* "[ts] host pid P tid T: region R(table, number)" */
static size_t where(char *buf, size_t size, uint64_t ts, const char *host, uint64_t pid, uint32_t tid,
		    uint64_t region)
{
	char t[32];

	t[rdr_fmt_ts(t, ts)] = '\0';
	return (size_t)snprintf(buf, size, "[%s] %s pid %" PRIu64 " tid %" PRIu32 ": region %" PRIu64 "(%" PRIu32
					   ", %" PRIu32 ")",
				t, host[0] ? host : "?", pid, tid, region, (uint32_t)(region >> 32), (uint32_t)region);
}

/* Counts a finding of @rule; keeps the first few as examples. */
__attribute__((format(printf, 4, 5))) static void finding(struct rdr_check *c, enum rdr_rule rule,
							  const struct rdr_event *ev, const char *fmt, ...)
{
	uint64_t n = c->violations[rule]++;
	char *buf;
	size_t len;
	va_list ap;

	if (n >= RDR_CHECK_EXAMPLES)
		return;
	buf = c->examples[rule][n];
	len = where(buf, sizeof(c->examples[rule][n]), ev->ts, ev->proc->host, ev->proc->pid, ev->tid,
		    *(const uint64_t *)ev->payload);
	if (len < sizeof(c->examples[rule][n]) - 2) {
		buf[len++] = ':';
		buf[len++] = ' ';
		va_start(ap, fmt);
		vsnprintf(buf + len, sizeof(c->examples[rule][n]) - len, fmt, ap);
		va_end(ap);
	}
}

static void on_commit(struct rdr_check *c, const struct rdr_event *ev)
{
	const struct rhw_ev_manifest_commit *e = ev->payload;
	struct region_state *r;
	bool created;

	if (e->result) {
		c->commits_failed++;
		return;
	}
	c->commits_ok++;
	if (rdr_versions_get(&c->commits, e->region_id, e->version)) {
		finding(c, RDR_RULE_VERSION_ORDER, ev, "version %" PRIu64 " committed a second time", e->version);
		return;
	}
	if (rdr_versions_set(&c->commits, e->region_id, e->version, RDR_V_COMMITTED)) {
		c->err = -ENOMEM;
		return;
	}
	r = insert(c, &c->regions, e->region_id, 0, &created);
	if (!r)
		return;
	if (r->has_version && e->version < r->max_version) {
		/* New version, emitted late by a thread that unlocked first: a reorder, not a regression. */
		if (ev->ts - r->max_ts <= c->reorder_window_ns)
			c->reordered++;
		else
			finding(c, RDR_RULE_VERSION_ORDER, ev,
				"version %" PRIu64 " committed after version %" PRIu64, e->version, r->max_version);
		return;
	}
	r->has_version = 1;
	r->max_version = e->version;
	r->max_ts = ev->ts;
}

/* Whether @ev's process may have lost the commit that would precede @ev. */
static bool may_miss_earlier(const struct rdr_event *ev)
{
	return ev->proc->lossy || (ev->proc->complete_from && ev->mono <= ev->proc->complete_from);
}

static void on_updated(struct rdr_check *c, const struct rdr_event *ev)
{
	const struct rhw_ev_manifest_updated *e = ev->payload;
	unsigned cs = rdr_versions_get(&c->commits, e->region_id, e->version);
	bool exit_cause = e->cause == RHOOK_CAUSE_STAGING_EXIT;

	c->notifications++;
	if (!cs) {
		if (may_miss_earlier(ev))
			c->unverifiable[RDR_RULE_RECEIPT_AFTER_COMMIT]++;
		else
			finding(c, RDR_RULE_RECEIPT_AFTER_COMMIT, ev,
				"version %" PRIu64 " notified with no successful manifest_commit before it", e->version);
	} else if (!(cs & RDR_V_NOTIFIED)) {
		if (rdr_versions_set(&c->commits, e->region_id, e->version, cs | RDR_V_NOTIFIED))
			c->err = -ENOMEM;
	} else if (exit_cause && !(cs & RDR_V_EXIT_NOTIFIED)) {
		if (rdr_versions_set(&c->commits, e->region_id, e->version, cs | RDR_V_EXIT_NOTIFIED))
			c->err = -ENOMEM;
	} else {
		const char *cause = rdr_label(
			rdr_schema_field(rdr_schema_event(RHW_EV_manifest_updated), "cause")->labels, e->cause);

		finding(c, RDR_RULE_NOTIFIED_ONCE, ev, "version %" PRIu64 " notified again (cause %s)", e->version,
			cause ? cause : "unknown");
	}
	/* files_added is list 0 of manifest_updated (events.h). */
	for (uint16_t i = 0; i < ev->list_len[0]; i++) {
		uint64_t k[2];
		struct sst_state *s;

		memcpy(k, ev->ids + (size_t)i * 16, 16);
		s = rdr_map_find(&c->ssts, k[0], k[1]);
		/* Added: its rule holds, it leaves the map (which holds the SSTs pending now, not every one). */
		if (s && s->region == e->region_id)
			rdr_map_remove(&c->ssts, k[0], k[1]);
	}
	if (e->num_files_added > ev->list_len[0]) {
		struct region_state *r;
		bool created;

		r = insert(c, &c->regions, e->region_id, 0, &created);
		if (r)
			r->unlisted_ts = ev->ts;
	}
}

/*
 * The open span of work (a flush or compaction) of this thread on this
 * region, opened by its begin event or, when that was lost, by its first
 * SST; closed by its end event.  Keyed by region as well, so that a trace
 * without thread ids still tells flushes of different regions apart.
 */
static uint64_t *span_slot(struct rdr_check *c, const struct rdr_event *ev)
{
	bool created;

	return insert(c, &c->threads, (uint64_t)ev->proc->index << 32 | ev->tid, *(const uint64_t *)ev->payload,
		      &created);
}

static void on_sst(struct rdr_check *c, const struct rdr_event *ev)
{
	const struct rhw_ev_sst_file_written *e = ev->payload;
	uint64_t k[2], *span = span_slot(c, ev);
	struct sst_state *s;
	bool created;

	c->announced++;
	if (span && !*span)
		*span = ++c->spans;
	memcpy(k, e->file_id, 16);
	s = insert(c, &c->ssts, k[0], k[1], &created);
	if (!s)
		return;
	*s = (struct sst_state){ .region = e->region_id, .ts = ev->ts, .span = span ? *span : 0,
				 .proc = ev->proc->index, .tid = ev->tid };
}

/* flush_begin / compaction_begin: a new span. */
static void on_begin(struct rdr_check *c, const struct rdr_event *ev)
{
	uint64_t *span = span_slot(c, ev);

	if (span)
		*span = ++c->spans;
}

/* flush_end / compaction_end: the span closes; with an error its SSTs are not expected in the manifest. */
static void on_end(struct rdr_check *c, const struct rdr_event *ev, int status)
{
	uint64_t *span = rdr_map_find(&c->threads, (uint64_t)ev->proc->index << 32 | ev->tid,
					 *(const uint64_t *)ev->payload);
	uint64_t id = span ? *span : 0;
	bool created;

	if (span)
		*span = 0;
	if (status && id)
		insert(c, &c->failed, id, 0, &created);
}

/* A deletion, checked against the live set before the model takes it in. */
static void on_removed(struct rdr_check *c, const struct rdr_event *ev)
{
	const struct rhw_ev_sst_file_removed *e = ev->payload;
	const struct rdr_lc_file *f = rdr_lc_file_find(&c->lc, e->file_id, e->region_id);
	const struct rdr_lc_region *r = NULL;
	const char *reason =
		rdr_label(rdr_schema_field(rdr_schema_event(RHW_EV_sst_file_removed), "reason")->labels, e->reason);
	char id[37];

	c->deletions++;
	if (!f || !rdr_lc_file_live(f) || e->reason == RHOOK_REMOVE_DROP)
		return;
	for (size_t i = 0; i < c->lc.num_regions; i++)
		if (c->lc.regions[i].region == e->region_id)
			r = &c->lc.regions[i];
	if (c->lossy_seen || may_miss_earlier(ev) || (r && r->partial)) {
		c->unverifiable[RDR_RULE_REMOVED_LIVE_FILE]++;
		return;
	}
	rdr_fmt_uuid(id, e->file_id);
	id[36] = '\0';
	finding(c, RDR_RULE_REMOVED_LIVE_FILE, ev,
		"SST %s deleted (reason %s) while live: added by version %" PRIu64 ", not removed since", id,
		reason ? reason : "unknown", f->live_version);
}

void rdr_check_add(struct rdr_check *c, const struct rdr_event *ev)
{
	c->events++;
	if (ev->proc->lossy || ev->proc->complete_from || ev->proc->complete_until)
		c->lossy_seen = true;
	if (ev->id == RHW_EV_sst_file_removed)
		on_removed(c, ev);
	rdr_lc_add(&c->lc, ev);
	if (c->lc.err)
		c->err = c->lc.err;
	switch (ev->id) {
	case RHW_EV_manifest_commit:
		on_commit(c, ev);
		break;
	case RHW_EV_manifest_updated:
		on_updated(c, ev);
		break;
	case RHW_EV_sst_file_written:
		on_sst(c, ev);
		break;
	case RHW_EV_flush_begin:
	case RHW_EV_compaction_begin:
		on_begin(c, ev);
		break;
	case RHW_EV_flush_end:
		on_end(c, ev, ((const struct rhw_ev_flush_end *)ev->payload)->status);
		break;
	case RHW_EV_compaction_end:
		on_end(c, ev, ((const struct rhw_ev_compaction_end *)ev->payload)->status);
		break;
	default:
		break;
	}
}

/* Whether the span of SST @s never ended in the trace (see check.h): its commit may come after it. */
static bool span_open(struct rdr_check *c, const struct sst_state *s)
{
	const uint64_t *span = rdr_map_find(&c->threads, (uint64_t)s->proc << 32 | s->tid, s->region);

	return s->span && span && *span == s->span;
}

/* Classifies the SSTs never added: abandoned, unverifiable or orphaned. */
static void orphans(struct rdr_check *c, struct rdr_proc *const *procs)
{
	for (size_t i = 0; i < c->ssts.cap; i++) {
		uint64_t k0, k1;
		struct sst_state *s = rdr_map_slot(&c->ssts, i, &k0, &k1);
		const struct rdr_proc *p;
		const struct region_state *r;
		char *buf;
		size_t len;
		uint64_t n;

		if (!s)
			continue;
		p = procs[s->proc];
		r = rdr_map_find(&c->regions, s->region, 0);
		if (s->span && rdr_map_find(&c->failed, s->span, 0)) {
			c->abandoned++;
			continue;
		}
		if (p->lossy || p->complete_until || (r && r->unlisted_ts >= s->ts) || span_open(c, s)) {
			c->unverifiable[RDR_RULE_SST_ADDED]++;
			continue;
		}
		n = c->violations[RDR_RULE_SST_ADDED]++;
		if (n >= RDR_CHECK_EXAMPLES)
			continue;
		buf = c->examples[RDR_RULE_SST_ADDED][n];
		len = where(buf, sizeof(c->examples[0][0]), s->ts, p->host, p->pid, s->tid, s->region);
		if (len < sizeof(c->examples[0][0]) - 60) {
			memcpy(buf + len, ": SST ", 6);
			rdr_fmt_uuid(buf + len + 6, (const uint8_t *)(uint64_t[2]){ k0, k1 });
			snprintf(buf + len + 42, sizeof(c->examples[0][0]) - len - 42, " orphaned: never added");
		}
	}
}

uint64_t rdr_check_finish(struct rdr_check *c, struct rdr_out *o, struct rdr_proc *const *procs)
{
	uint64_t total = 0, unverifiable = 0;

	orphans(c, procs);
	rdr_out_printf(o,
			  "rhook-read check: %" PRIu64 " events, %zu regions, %" PRIu64 " commits (%" PRIu64
			  " failed), %" PRIu64 " notifications, %" PRIu64 " SSTs, %" PRIu64 " deletions\n",
			  c->events, c->regions.count, c->commits_ok + c->commits_failed, c->commits_failed,
			  c->notifications, c->announced, c->deletions);
	for (unsigned r = 0; r < RDR_RULE_COUNT; r++) {
		uint64_t n = c->violations[r];

		total += n;
		unverifiable += c->unverifiable[r];
		rdr_out_printf(o, "%-22s %s", rule_names[r], n ? "FAILED" : "ok");
		if (n)
			rdr_out_printf(o, " (%" PRIu64 " violation%s)", n, n == 1 ? "" : "s");
		if (c->unverifiable[r])
			rdr_out_printf(o, ", %" PRIu64 " unverifiable: the trace lost events", c->unverifiable[r]);
		if (r == RDR_RULE_VERSION_ORDER && c->reordered)
			rdr_out_printf(o, ", %" PRIu64 " commit events emitted out of version order within the window",
					  c->reordered);
		if (r == RDR_RULE_SST_ADDED && c->abandoned)
			rdr_out_printf(o, ", %" PRIu64 " SSTs of failed flushes or compactions never added (expected)",
					  c->abandoned);
		rdr_out_char(o, '\n');
		for (uint64_t i = 0; i < n && i < RDR_CHECK_EXAMPLES; i++)
			rdr_out_printf(o, "  %s\n", c->examples[r][i]);
		if (n > RDR_CHECK_EXAMPLES)
			rdr_out_printf(o, "  ... and %" PRIu64 " more\n", n - RDR_CHECK_EXAMPLES);
	}
	if (c->err)
		rdr_out_str(o, "check: INCOMPLETE (out of memory)\n");
	else if (total)
		rdr_out_printf(o, "check: FAILED (%" PRIu64 " violation%s)\n", total, total == 1 ? "" : "s");
	else
		rdr_out_printf(o, "check: OK%s\n", unverifiable ? " (some findings unverifiable: events lost)" : "");
	return total;
}
