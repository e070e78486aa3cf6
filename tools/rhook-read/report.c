/*
 * report.c - the HTML report of a trace (see report.h).
 *
 * Collection (rdr_report_add) keeps: the statistics of stats.h (the
 * latency histograms), the checker of check.h, the timeline rows
 * (downsampled as report.h says), time series buckets, per-region file
 * counts, the slowest commits and jobs.  Writing assembles the page:
 * the head, dygraphs' CSS and scripts, the figures as JSON, the page
 * script.
 */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jobs.h"
#include "map.h"
#include "outfile.h"
#include "reader/out.h"
#include "reader/schema.h"
#include "stats.h"

/*
 * The page's parts, embedded when rhook-read is built (report/assets.c).
 * Without the chart library there is nothing to embed and no page is
 * ever written (rdr_report_available()): empty stand-ins.
 */
#ifdef RHOOK_REPORT_ASSETS
#define ASSET(name) extern const char rhook__asset_##name[], rhook__asset_##name##_end[];
#else
#define ASSET(name) static const char rhook__asset_##name[1], rhook__asset_##name##_end[1];
#endif
ASSET(page_head)
ASSET(page_js)
ASSET(dygraph_js)
ASSET(dygraph_css)
ASSET(synchronizer_js)
#undef ASSET

#define LEVELS 3 /* contract §4: levels 0..2 */
#define SLOWEST 10
#define GRID 100 /* percentile plot: x = 10^(k/20), k = 0..GRID, i.e. 0 .. 99.999 % */

/* Ticks of a region's row: commits, SSTs born, SSTs deleted (sst_file_removed). */
enum mark { MARK_COMMIT, MARK_BORN, MARK_DELETED, MARKS };

struct span {
	uint64_t s, e;
	uint32_t count;
	uint8_t kinds; /* a bit per enum rdr_job_kind merged into it */
};

struct tick {
	uint64_t t;
	uint32_t count;
};

/* A timeline row: a job lane (lane >= 0) or the ticks (lane -1) of a region in a process. */
struct row {
	uint32_t proc;
	int32_t lane;
	uint64_t region;
	struct span *spans;
	size_t num_spans, cap_spans;
	struct tick *ticks[MARKS];
	size_t num_ticks[MARKS], cap_ticks[MARKS];
};

struct bucket {
	uint64_t flush_bytes, flush_rows, compaction_bytes;
	int64_t files[LEVELS]; /* live files of every region at the bucket's last change */
	int64_t bytes[LEVELS]; /* and their bytes */
	int64_t l0_worst;      /* the most L0 files of one region in the bucket */
	bool set;
};

struct sst {
	uint64_t region, size;
	uint8_t level;
	bool live;
};

struct region_files {
	int64_t files[LEVELS];
};

struct slow {
	uint64_t key, ts, a, b, c, region, job, version;
	uint32_t proc, kind;
};

struct rdr_report {
	struct rdr_stats stats;
	struct rdr_check *check;
	struct rdr_jobs jobs;
	struct rdr_map row_index; /* (proc << 32 | lane + 1, region) -> size_t + 1 */
	struct row *rows;
	size_t num_rows, cap_rows;
	uint64_t resolution; /* ns: timeline items closer than this merge */
	size_t items, source_items;
	struct bucket buckets[RDR_REPORT_BUCKETS];
	uint64_t bucket_ns;
	struct rdr_map ssts;    /* file id -> struct sst */
	struct rdr_map regions; /* (region, 0) -> struct region_files */
	int64_t files[LEVELS], bytes[LEVELS];
	struct rdr_map threads; /* (proc, tid) -> seen */
	uint64_t *proc_threads;
	size_t num_proc_threads;
	uint64_t events, t0, t1;
	struct slow slow_commits[SLOWEST], slow_jobs[SLOWEST];
	int num_slow_commits, num_slow_jobs;
	int err;
};

bool rdr_report_available(const char **why)
{
#ifdef RHOOK_REPORT_ASSETS
	*why = NULL;
	return true;
#else
	*why = "this rhook-read was built without the chart library the report inlines: install Debian's "
	       "libjs-dygraphs (tools/install-deps) and build again";
	return false;
#endif
}

int rdr_report_new(struct rdr_report **out)
{
	struct rdr_report *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r || !(r->check = malloc(sizeof(*r->check)))) {
		free(r);
		return -ENOMEM;
	}
	rdr_stats_init(&r->stats);
	rdr_check_init(r->check, 100000000);
	rdr_jobs_init(&r->jobs);
	rdr_map_init(&r->row_index, sizeof(size_t));
	rdr_map_init(&r->ssts, sizeof(struct sst));
	rdr_map_init(&r->regions, sizeof(struct region_files));
	rdr_map_init(&r->threads, 1);
	r->resolution = 1000;
	r->bucket_ns = 10000000; /* 10 ms, doubled as the trace grows */
	*out = r;
	return 0;
}

void rdr_report_free(struct rdr_report *r)
{
	if (!r)
		return;
	rdr_stats_free(&r->stats);
	rdr_check_free(r->check);
	free(r->check);
	rdr_jobs_free(&r->jobs);
	for (size_t i = 0; i < r->num_rows; i++) {
		free(r->rows[i].spans);
		for (int m = 0; m < MARKS; m++)
			free(r->rows[i].ticks[m]);
	}
	free(r->rows);
	rdr_map_free(&r->row_index);
	rdr_map_free(&r->ssts);
	rdr_map_free(&r->regions);
	rdr_map_free(&r->threads);
	free(r->proc_threads);
	free(r);
}

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *q;

	if (n < *cap)
		return true;
	q = realloc(*p, c * size);
	if (!q)
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* ---------------------------------------------------------------- timeline */

static struct row *row_of(struct rdr_report *r, uint32_t proc, uint64_t region, int32_t lane)
{
	size_t *slot;
	bool created;

	slot = rdr_map_insert(&r->row_index, (uint64_t)proc << 32 | (uint32_t)(lane + 1), region, &created);
	if (!slot)
		return NULL;
	if (created) {
		if (!grow((void **)&r->rows, &r->cap_rows, r->num_rows, sizeof(*r->rows)))
			return NULL;
		r->rows[r->num_rows] = (struct row){ .proc = proc, .lane = lane, .region = region };
		*slot = ++r->num_rows;
	}
	return &r->rows[*slot - 1];
}

static size_t merge_spans(struct span *a, size_t n, uint64_t gap)
{
	size_t w = 0;

	for (size_t i = 1; i < n; i++) {
		if (a[i].s <= a[w].e + gap) {
			if (a[i].e > a[w].e)
				a[w].e = a[i].e;
			a[w].count += a[i].count;
			a[w].kinds |= a[i].kinds;
		} else {
			a[++w] = a[i];
		}
	}
	return n ? w + 1 : 0;
}

static size_t merge_ticks(struct tick *a, size_t n, uint64_t gap)
{
	size_t w = 0;

	for (size_t i = 1; i < n; i++) {
		if (a[i].t < a[w].t + gap)
			a[w].count += a[i].count;
		else
			a[++w] = a[i];
	}
	return n ? w + 1 : 0;
}

/* Doubles the resolution until the timeline fits its budget again. */
static void coarsen(struct rdr_report *r)
{
	while (r->items > RDR_REPORT_TIMELINE_BUDGET) {
		r->resolution *= 2;
		r->items = 0;
		for (size_t i = 0; i < r->num_rows; i++) {
			struct row *w = &r->rows[i];

			w->num_spans = merge_spans(w->spans, w->num_spans, r->resolution);
			r->items += w->num_spans;
			for (int m = 0; m < MARKS; m++) {
				w->num_ticks[m] = merge_ticks(w->ticks[m], w->num_ticks[m], r->resolution);
				r->items += w->num_ticks[m];
			}
		}
	}
}

static void add_span(struct rdr_report *r, const struct rdr_job *job, uint64_t end)
{
	struct row *w = row_of(r, job->proc, job->region, (int32_t)job->lane);
	struct span *last;

	if (!w) {
		r->err = -ENOMEM;
		return;
	}
	r->source_items++;
	last = w->num_spans ? &w->spans[w->num_spans - 1] : NULL;
	if (last && job->begin_ts <= last->e + r->resolution) {
		if (end > last->e)
			last->e = end;
		last->count++;
		last->kinds |= (uint8_t)(1u << job->kind);
		return;
	}
	if (!grow((void **)&w->spans, &w->cap_spans, w->num_spans, sizeof(*w->spans))) {
		r->err = -ENOMEM;
		return;
	}
	w->spans[w->num_spans++] = (struct span){ job->begin_ts, end, 1, (uint8_t)(1u << job->kind) };
	r->items++;
	coarsen(r);
}

static void add_tick(struct rdr_report *r, const struct rdr_event *ev, uint64_t region, enum mark m)
{
	struct row *w = row_of(r, ev->proc->index, region, -1);

	if (!w) {
		r->err = -ENOMEM;
		return;
	}
	r->source_items++;
	if (w->num_ticks[m] && ev->ts < w->ticks[m][w->num_ticks[m] - 1].t + r->resolution) {
		w->ticks[m][w->num_ticks[m] - 1].count++;
		return;
	}
	if (!grow((void **)&w->ticks[m], &w->cap_ticks[m], w->num_ticks[m], sizeof(struct tick))) {
		r->err = -ENOMEM;
		return;
	}
	w->ticks[m][w->num_ticks[m]++] = (struct tick){ ev->ts, 1 };
	r->items++;
	coarsen(r);
}

/* ---------------------------------------------------------------- series */

static struct bucket *bucket_at(struct rdr_report *r, uint64_t ts)
{
	uint64_t i = (ts - r->t0) / r->bucket_ns;

	while (i >= RDR_REPORT_BUCKETS) {
		/* Pairs of buckets merge: sums add, the later state wins, maxima combine. */
		for (int k = 0; k < RDR_REPORT_BUCKETS / 2; k++) {
			struct bucket a = r->buckets[2 * k], b = r->buckets[2 * k + 1];

			a.flush_bytes += b.flush_bytes;
			a.flush_rows += b.flush_rows;
			a.compaction_bytes += b.compaction_bytes;
			if (b.set) {
				memcpy(a.files, b.files, sizeof(a.files));
				memcpy(a.bytes, b.bytes, sizeof(a.bytes));
				a.set = true;
			}
			if (b.l0_worst > a.l0_worst)
				a.l0_worst = b.l0_worst;
			r->buckets[k] = a;
		}
		memset(&r->buckets[RDR_REPORT_BUCKETS / 2], 0, sizeof(r->buckets[0]) * (RDR_REPORT_BUCKETS / 2));
		r->bucket_ns *= 2;
		i = (ts - r->t0) / r->bucket_ns;
	}
	return &r->buckets[i];
}

static void slow_add(struct slow *a, int *n, const struct slow *s)
{
	int i;

	if (*n == SLOWEST && a[SLOWEST - 1].key >= s->key)
		return;
	i = *n < SLOWEST ? (*n)++ : SLOWEST - 1;
	while (i > 0 && a[i - 1].key < s->key) {
		a[i] = a[i - 1];
		i--;
	}
	a[i] = *s;
}

/* Moves the files of list @list of @ev in or out of the live set. */
static void count_files(struct rdr_report *r, const struct rdr_event *ev, unsigned list, bool add,
			struct region_files *g)
{
	const uint8_t *ids = rdr_event_list(ev, list);

	for (uint16_t i = 0; i < ev->list_len[list]; i++, ids += 16) {
		uint64_t k[2];
		struct sst *s;

		memcpy(k, ids, 16);
		s = rdr_map_find(&r->ssts, k[0], k[1]);
		if (!s || s->live == add)
			continue;
		s->live = add;
		g->files[s->level] += add ? 1 : -1;
		r->files[s->level] += add ? 1 : -1;
		r->bytes[s->level] += add ? (int64_t)s->size : -(int64_t)s->size;
		/* Out of the manifest for good (only live files are ever re-added): the map holds what may move. */
		if (!add)
			rdr_map_remove(&r->ssts, k[0], k[1]);
	}
}

static void on_updated(struct rdr_report *r, const struct rdr_event *ev)
{
	const struct rhw_ev_manifest_updated *e = ev->payload;
	struct region_files *g;
	struct bucket *b;
	bool created;

	g = rdr_map_insert(&r->regions, e->region_id, 0, &created);
	if (!g) {
		r->err = -ENOMEM;
		return;
	}
	/* files_added is list 0, files_removed list 1 (events.h). */
	count_files(r, ev, 0, true, g);
	count_files(r, ev, 1, false, g);
	b = bucket_at(r, ev->ts);
	memcpy(b->files, r->files, sizeof(b->files));
	memcpy(b->bytes, r->bytes, sizeof(b->bytes));
	b->set = true;
	if (g->files[0] > b->l0_worst)
		b->l0_worst = g->files[0];
}

static void on_sst(struct rdr_report *r, const struct rdr_event *ev)
{
	const struct rhw_ev_sst_file_written *e = ev->payload;
	struct bucket *b = bucket_at(r, ev->ts);
	uint64_t k[2];
	struct sst *s;
	bool created;

	if (e->origin == RHOOK_ORIGIN_FLUSH)
		b->flush_bytes += e->file_size;
	else
		b->compaction_bytes += e->file_size;
	memcpy(k, e->file_id, 16);
	s = rdr_map_insert(&r->ssts, k[0], k[1], &created);
	if (!s) {
		r->err = -ENOMEM;
		return;
	}
	if (!s->live)
		*s = (struct sst){ .region = e->region_id, .size = e->file_size,
				   .level = e->level < LEVELS ? e->level : LEVELS - 1 };
	add_tick(r, ev, e->region_id, MARK_BORN);
}

static void job_ended(struct rdr_report *r, const struct rdr_job *job, uint64_t end, uint64_t files,
		      uint64_t bytes)
{
	struct slow s = { .key = end - job->begin_ts, .ts = job->begin_ts, .a = end - job->begin_ts, .b = files,
			  .c = bytes, .region = job->region, .job = rdr_job_label(job), .proc = job->proc, .kind = job->kind };

	add_span(r, job, end);
	slow_add(r->slow_jobs, &r->num_slow_jobs, &s);
}

static void count_thread(struct rdr_report *r, const struct rdr_event *ev)
{
	bool created;

	if (!rdr_map_insert(&r->threads, ev->proc->index, ev->tid, &created)) {
		r->err = -ENOMEM;
		return;
	}
	if (!created)
		return;
	if (ev->proc->index >= r->num_proc_threads) {
		size_t n = ev->proc->index + 1;
		uint64_t *p = realloc(r->proc_threads, n * sizeof(*p));

		if (!p) {
			r->err = -ENOMEM;
			return;
		}
		memset(p + r->num_proc_threads, 0, (n - r->num_proc_threads) * sizeof(*p));
		r->proc_threads = p;
		r->num_proc_threads = n;
	}
	r->proc_threads[ev->proc->index]++;
}

void rdr_report_add(struct rdr_report *r, const struct rdr_event *ev)
{
	const struct rdr_job *job, *closed;
	uint64_t region;

	memcpy(&region, ev->payload, sizeof(region));
	if (!r->events++)
		r->t0 = ev->ts;
	if (ev->ts > r->t1)
		r->t1 = ev->ts;
	rdr_stats_add(&r->stats, ev);
	rdr_check_add(r->check, ev);
	count_thread(r, ev);
	if (rdr_jobs_add(&r->jobs, ev, &job, &closed))
		r->err = -ENOMEM;
	if (closed)
		job_ended(r, closed, ev->ts, 0, 0);
	switch (ev->id) {
	case RHW_EV_flush_end:
		if (job) {
			const struct rhw_ev_flush_end *e = ev->payload;

			bucket_at(r, ev->ts)->flush_rows += e->rows;
			job_ended(r, job, ev->ts, e->files, e->bytes);
		}
		break;
	case RHW_EV_compaction_end:
		if (job) {
			const struct rhw_ev_compaction_end *e = ev->payload;

			job_ended(r, job, ev->ts, e->output_files, e->bytes_out);
		}
		break;
	case RHW_EV_sst_file_written:
		on_sst(r, ev);
		break;
	case RHW_EV_sst_file_removed: {
		const struct rhw_ev_sst_file_removed *e = ev->payload;
		uint64_t k[2];
		const struct sst *s;

		/* A file deleted before it was ever added (a failed job's) leaves the map too. */
		memcpy(k, e->file_id, 16);
		s = rdr_map_find(&r->ssts, k[0], k[1]);
		if (s && !s->live)
			rdr_map_remove(&r->ssts, k[0], k[1]);
		add_tick(r, ev, region, MARK_DELETED);
		break;
	}
	case RHW_EV_manifest_commit: {
		const struct rhw_ev_manifest_commit *e = ev->payload;
		struct slow s = { .key = e->lock_wait_ns + e->lock_hold_ns, .ts = ev->ts, .a = e->lock_wait_ns,
				  .b = e->lock_hold_ns, .c = e->persist_ns, .region = region,
				  .job = job ? rdr_job_label(job) : 0, .version = e->version, .proc = ev->proc->index,
				  .kind = e->cause };

		slow_add(r->slow_commits, &r->num_slow_commits, &s);
		add_tick(r, ev, region, MARK_COMMIT);
		break;
	}
	case RHW_EV_manifest_updated:
		on_updated(r, ev);
		break;
	}
}

/* ---------------------------------------------------------------- page */

/* Seconds from the start of the trace. */
static double rel(const struct rdr_report *r, uint64_t ts)
{
	return ts > r->t0 ? (double)(ts - r->t0) * 1e-9 : 0.0;
}

/*
 * Appends an embedded asset without its source map comment: in an
 * inlined script it would point a browser's developer tools at a file
 * the page does not have.
 */
static void asset(struct rdr_out *o, const char *p, const char *end)
{
	static const char *const marks[] = { "//# sourceMappingURL=", "/*# sourceMappingURL=" };

	for (;;) {
		const char *cut = NULL, *resume;

		for (int m = 0; m < 2; m++) {
			const char *q = memmem(p, (size_t)(end - p), marks[m], strlen(marks[m]));

			if (q && (!cut || q < cut))
				cut = q;
		}
		if (!cut) {
			rdr_out_mem(o, p, (size_t)(end - p));
			return;
		}
		rdr_out_mem(o, p, (size_t)(cut - p));
		resume = memchr(cut, '\n', (size_t)(end - cut));
		if (cut[1] == '*') {
			const char *close = memmem(cut, (size_t)(end - cut), "*/", 2);

			resume = close ? close + 2 : NULL;
		}
		if (!resume)
			return;
		p = resume;
	}
}

static const char *const metric_titles[RDR_M_COUNT] = {
	[RDR_M_FLUSH] = "Flush duration",
	[RDR_M_COMPACTION] = "Compaction duration",
	[RDR_M_LOCK_WAIT] = "Manifest lock wait",
	[RDR_M_LOCK_HOLD] = "Manifest lock hold",
	[RDR_M_PERSIST] = "Manifest persist",
	[RDR_M_HOOK_DISPATCH] = "Hook dispatch",
};


/* The name of cause @c, "other" for values outside the schema. */
static const char *cause_name(unsigned c)
{
	const struct rdr_field *f = rdr_schema_field(rdr_schema_event(RHW_EV_manifest_commit), "cause");
	const char *l = rdr_label(f->labels, c);

	return l ? l : "other";
}

/*
 * The latency series of metric @m: one per cause (hook dispatch has no
 * cause: one for all), as (name, histogram) pairs.  Returns how many.
 */
static int metric_series(struct rdr_report *r, enum rdr_metric m, const char *names[RDR_STATS_CAUSES],
			 const struct rdr_hist *h[RDR_STATS_CAUSES])
{
	int n = 0;

	if (m == RDR_M_HOOK_DISPATCH) {
		if (r->stats.all.lat[m].count) {
			names[0] = "all callbacks";
			h[0] = &r->stats.all.lat[m];
			n = 1;
		}
		return n;
	}
	for (unsigned c = 0; c < RDR_STATS_CAUSES; c++) {
		if (!r->stats.cause[c].lat[m].count)
			continue;
		names[n] = cause_name(c);
		h[n++] = &r->stats.cause[c].lat[m];
	}
	return n;
}

static void write_meta(struct rdr_report *r, struct rdr_out *o, struct rdr_proc *const *procs,
		       size_t num_procs)
{
	rdr_out_printf(o, "\"meta\":{\"generator\":\"rhook-read report\",\"events\":%" PRIu64 ",\"span_s\":%.6f,"
			     "\"start_ns\":%" PRIu64 ",\"regions\":%zu,\"hosts\":[",
			  r->events, rel(r, r->t1), r->t0, r->stats.regions.count);
	for (size_t i = 0, n = 0; i < num_procs; i++) {
		size_t j;

		for (j = 0; j < i && strcmp(procs[j]->host, procs[i]->host); j++)
			;
		if (j < i)
			continue;
		if (n++)
			rdr_out_char(o, ',');
		rdr_out_json_html_str(o, procs[i]->host);
	}
	rdr_out_str(o, "],\"processes\":[");
	for (size_t i = 0; i < num_procs; i++) {
		const struct rdr_proc *p = procs[i];

		rdr_out_printf(o, "%s{\"pid\":%" PRIu64 ",\"name\":", i ? "," : "", p->pid);
		rdr_out_json_html_str(o, p->comm);
		rdr_out_str(o, ",\"host\":");
		rdr_out_json_html_str(o, p->host);
		rdr_out_str(o, ",\"source\":");
		rdr_out_json_html_str(o, p->source);
		rdr_out_str(o, ",\"origin\":");
		rdr_out_json_html_str(o, p->origin);
		rdr_out_printf(o, ",\"threads\":%" PRIu64 ",\"events\":%" PRIu64 "}",
				  p->index < r->num_proc_threads ? r->proc_threads[p->index] : 0, p->events);
	}
	rdr_out_str(o, "]},\n");
}

/* The loss banner's figures: every counter of every process that lost events, and what is complete. */
static void write_loss(struct rdr_report *r, struct rdr_out *o, struct rdr_proc *const *procs,
		       size_t num_procs)
{
	static const char *const names[] = { "discard mode (buffer full)", "overwrite mode (oldest overwritten)",
					     "no free buffer", "emitted inside an emission",
					     "overwritten while read", "damaged records" };
	uint64_t total = 0;
	bool first = true;

	for (size_t i = 0; i < num_procs; i++)
		total += rdr_lost_total(&procs[i]->lost);
	if (!total) {
		rdr_out_str(o, "\"loss\":null,\n");
		return;
	}
	rdr_out_printf(o, "\"loss\":{\"lost\":%" PRIu64 ",\"counters\":[", total);
	for (size_t i = 0; i < num_procs; i++) {
		const struct rdr_lost *l = &procs[i]->lost;
		const uint64_t v[] = { l->discard, l->overwrite, l->no_buffer, l->nested, l->reader, l->damaged };

		for (int k = 0; k < 6; k++) {
			if (!v[k])
				continue;
			rdr_out_printf(o, "%s{\"name\":", first ? "" : ",");
			rdr_out_json_html_str(o, names[k]);
			rdr_out_printf(o, ",\"pid\":%" PRIu64 ",\"process\":", procs[i]->pid);
			rdr_out_json_html_str(o, procs[i]->comm);
			rdr_out_printf(o, ",\"count\":%" PRIu64 "}", v[k]);
			first = false;
		}
	}
	rdr_out_str(o, "],\"complete\":[");
	for (size_t i = 0; i < num_procs; i++) {
		const struct rdr_proc *p = procs[i];
		uint64_t from = p->complete_from ? p->complete_from + (uint64_t)p->clock_offset_ns : r->t0;
		uint64_t until = p->complete_until ? p->complete_until + (uint64_t)p->clock_offset_ns : r->t1;

		rdr_out_printf(o, "%s{\"pid\":%" PRIu64 ",\"process\":", i ? "," : "", p->pid);
		rdr_out_json_html_str(o, p->comm);
		rdr_out_printf(o, ",\"from\":%.6f,\"until\":%.6f,\"lossy\":%s}", rel(r, from), rel(r, until),
				  p->lossy ? "true" : "false");
	}
	rdr_out_str(o, "]},\n");
}

static void write_percentiles(struct rdr_report *r, struct rdr_out *o)
{
	bool first = true;

	rdr_out_str(o, "\"pct\":{\"grid\":[");
	for (int k = 0; k <= GRID; k++)
		rdr_out_printf(o, "%s%.6g", k ? "," : "", pow(10.0, k / 20.0));
	rdr_out_str(o, "],\"groups\":[");
	for (int m = 0; m < RDR_M_COUNT; m++) {
		const char *names[RDR_STATS_CAUSES];
		const struct rdr_hist *h[RDR_STATS_CAUSES];
		int n = metric_series(r, (enum rdr_metric)m, names, h);

		if (!n)
			continue;
		rdr_out_printf(o, "%s{\"id\":\"%s\",\"title\":\"%s\",\"series\":[", first ? "" : ",", rdr_metric_name((enum rdr_metric)m),
				  metric_titles[m]);
		first = false;
		for (int s = 0; s < n; s++) {
			rdr_out_printf(o, "%s{\"name\":\"%s\",\"n\":%" PRIu64 ",\"y\":[", s ? "," : "", names[s],
					  h[s]->count);
			for (int k = 0; k <= GRID; k++) {
				double x = pow(10.0, k / 20.0), p = 1.0 - 1.0 / x;

				/* A percentile needs 1 / (1 - p) samples to be more than the max. */
				if (x > (double)h[s]->count * 1.0000001)
					rdr_out_printf(o, "%snull", k ? "," : "");
				else
					rdr_out_printf(o, "%s%" PRIu64, k ? "," : "",
							  rdr_hist_at_rank(h[s], (uint64_t)ceil(p * (double)h[s]->count)));
			}
			rdr_out_str(o, "]}");
		}
		rdr_out_str(o, "]}");
	}
	rdr_out_str(o, "]},\n\"summary\":[");
	first = true;
	for (int m = 0; m < RDR_M_COUNT; m++) {
		const char *names[RDR_STATS_CAUSES];
		const struct rdr_hist *h[RDR_STATS_CAUSES];
		int n = metric_series(r, (enum rdr_metric)m, names, h);

		for (int s = 0; s < n; s++) {
			rdr_out_printf(o,
					  "%s{\"group\":\"%s\",\"name\":\"%s\",\"n\":%" PRIu64 ",\"p50\":%" PRIu64
					  ",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64 ",\"p9999\":%" PRIu64
					  ",\"max\":%" PRIu64 "}",
					  first ? "" : ",", metric_titles[m], names[s], h[s]->count,
					  rdr_hist_percentile(h[s], 500), rdr_hist_percentile(h[s], 900),
					  rdr_hist_percentile(h[s], 990), rdr_hist_percentile(h[s], 999),
					  rdr_hist_at_rank(h[s], (uint64_t)ceil(0.9999 * (double)h[s]->count)),
					  h[s]->max);
			first = false;
		}
	}
	rdr_out_str(o, "],\n");
}

/* Histogram bins: 10 per decade; a bucket of hist.h counts in the bin of its largest value. */
struct bins {
	int lo;
	uint64_t *counts;
	int n;
};

static void bin_add(void *arg, uint64_t top, uint64_t count)
{
	struct bins *b = arg;
	int i = (int)floor(10.0 * log10((double)(top ? top : 1))) - b->lo;

	if (i >= 0 && i < b->n)
		b->counts[i] += count;
}

static void write_histograms(struct rdr_report *r, struct rdr_out *o)
{
	bool first = true;

	rdr_out_str(o, "\"hist\":{\"groups\":[");
	for (int m = 0; m < RDR_M_COUNT; m++) {
		const char *names[RDR_STATS_CAUSES];
		const struct rdr_hist *h[RDR_STATS_CAUSES];
		int n = metric_series(r, (enum rdr_metric)m, names, h), b0 = 1000, b1 = 0;
		uint64_t counts[200];

		for (int s = 0; s < n; s++) {
			int lo = (int)floor(10.0 * log10((double)(h[s]->min ? h[s]->min : 1)));
			int hi = (int)floor(10.0 * log10((double)(h[s]->max ? h[s]->max : 1))) + 1;

			if (lo < b0)
				b0 = lo;
			if (hi > b1)
				b1 = hi;
		}
		if (!n)
			continue;
		if (b1 - b0 >= (int)(sizeof(counts) / sizeof(counts[0])))
			b1 = b0 + (int)(sizeof(counts) / sizeof(counts[0])) - 1;
		rdr_out_printf(o, "%s{\"id\":\"%s\",\"title\":\"%s\",\"edges\":[", first ? "" : ",", rdr_metric_name((enum rdr_metric)m),
				  metric_titles[m]);
		first = false;
		for (int b = b0; b <= b1; b++)
			rdr_out_printf(o, "%s%.6g", b > b0 ? "," : "", pow(10.0, b / 10.0));
		rdr_out_str(o, "],\"series\":[");
		for (int s = 0; s < n; s++) {
			struct bins bins = { b0, counts, b1 - b0 + 1 };

			memset(counts, 0, sizeof(counts));
			rdr_hist_each(h[s], bin_add, &bins);
			rdr_out_printf(o, "%s{\"name\":\"%s\",\"counts\":[", s ? "," : "", names[s]);
			for (int b = 0; b < bins.n; b++)
				rdr_out_printf(o, "%s%" PRIu64, b ? "," : "", counts[b]);
			rdr_out_str(o, "]}");
		}
		rdr_out_str(o, "]}");
	}
	rdr_out_str(o, "]},\n");
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	return (x->lane > y->lane) - (x->lane < y->lane);
}

static void write_timeline(struct rdr_report *r, struct rdr_out *o, struct rdr_proc *const *procs)
{
	static const char *const mark_names[MARKS] = { "commit", "born", "deleted" };

	qsort(r->rows, r->num_rows, sizeof(*r->rows), row_cmp);
	rdr_out_printf(o,
			  "\"timeline\":{\"res_ns\":%" PRIu64 ",\"total\":%zu,\"source\":%zu,\"t_min\":0,"
			  "\"t_max\":%.6f,\"kinds\":[\"flush\",\"compaction\",\"remote_compaction\"],\"rows\":[",
			  r->resolution, r->items, r->source_items, rel(r, r->t1));
	for (size_t i = 0; i < r->num_rows; i++) {
		const struct row *w = &r->rows[i];
		char name[160];

		/* Short, so that the axis labels fit on one line: process, pid, region (table, number), lane. */
		if (w->lane < 0)
			snprintf(name, sizeof(name), "%.12s %" PRIu64 " r(%u,%u) ticks", procs[w->proc]->comm,
				 procs[w->proc]->pid, (unsigned)(w->region >> 32), (unsigned)w->region);
		else
			snprintf(name, sizeof(name), "%.12s %" PRIu64 " r(%u,%u) jobs #%d", procs[w->proc]->comm,
				 procs[w->proc]->pid, (unsigned)(w->region >> 32), (unsigned)w->region, w->lane);
		rdr_out_str(o, i ? ",\n{\"name\":" : "{\"name\":");
		rdr_out_json_html_str(o, name);
		if (w->lane >= 0) {
			rdr_out_str(o, ",\"s\":[");
			for (size_t k = 0; k < w->num_spans; k++)
				rdr_out_printf(o, "%s%.6f", k ? "," : "", rel(r, w->spans[k].s));
			rdr_out_str(o, "],\"e\":[");
			for (size_t k = 0; k < w->num_spans; k++)
				rdr_out_printf(o, "%s%.6f", k ? "," : "", rel(r, w->spans[k].e));
			rdr_out_str(o, "],\"k\":[");
			for (size_t k = 0; k < w->num_spans; k++)
				rdr_out_printf(o, "%s%u", k ? "," : "", w->spans[k].kinds);
			rdr_out_str(o, "],\"c\":[");
			for (size_t k = 0; k < w->num_spans; k++)
				rdr_out_printf(o, "%s%u", k ? "," : "", w->spans[k].count);
			rdr_out_char(o, ']');
		} else {
			rdr_out_str(o, ",\"m\":{");
			for (int m = 0; m < MARKS; m++) {
				rdr_out_printf(o, "%s\"%s\":[", m ? "," : "", mark_names[m]);
				for (size_t k = 0; k < w->num_ticks[m]; k++)
					rdr_out_printf(o, "%s%.6f", k ? "," : "", rel(r, w->ticks[m][k].t));
				rdr_out_char(o, ']');
			}
			rdr_out_char(o, '}');
		}
		rdr_out_char(o, '}');
	}
	rdr_out_str(o, "]},\n");
}

static void write_series(struct rdr_report *r, struct rdr_out *o)
{
	uint64_t nb = r->events ? (r->t1 - r->t0) / r->bucket_ns + 1 : 0;
	double secs = (double)r->bucket_ns * 1e-9, flushed = 0, written = 0;
	int64_t last[LEVELS] = { 0 }, last_bytes[LEVELS] = { 0 };

	if (nb > RDR_REPORT_BUCKETS)
		nb = RDR_REPORT_BUCKETS;
	rdr_out_printf(o, "\"series\":{\"bucket_ns\":%" PRIu64 ",\"t\":[", r->bucket_ns);
	for (uint64_t i = 0; i < nb; i++)
		rdr_out_printf(o, "%s%.6f", i ? "," : "", (double)i * secs);
	rdr_out_str(o, "],\"flush_bps\":[");
	for (uint64_t i = 0; i < nb; i++)
		rdr_out_printf(o, "%s%.0f", i ? "," : "", (double)r->buckets[i].flush_bytes / secs);
	rdr_out_str(o, "],\"comp_bps\":[");
	for (uint64_t i = 0; i < nb; i++)
		rdr_out_printf(o, "%s%.0f", i ? "," : "", (double)r->buckets[i].compaction_bytes / secs);
	rdr_out_str(o, "],\"rows_ps\":[");
	for (uint64_t i = 0; i < nb; i++)
		rdr_out_printf(o, "%s%.0f", i ? "," : "", (double)r->buckets[i].flush_rows / secs);
	rdr_out_str(o, "],\"levels\":[");
	for (int l = 0; l < LEVELS; l++) {
		rdr_out_str(o, l ? ",[" : "[");
		for (uint64_t i = 0; i < nb; i++) {
			if (r->buckets[i].set)
				last[l] = r->buckets[i].files[l];
			rdr_out_printf(o, "%s%" PRId64, i ? "," : "", last[l]);
		}
		rdr_out_char(o, ']');
	}
	rdr_out_str(o, "],\"level_bytes\":[");
	for (int l = 0; l < LEVELS; l++) {
		rdr_out_str(o, l ? ",[" : "[");
		for (uint64_t i = 0; i < nb; i++) {
			if (r->buckets[i].set)
				last_bytes[l] = r->buckets[i].bytes[l];
			rdr_out_printf(o, "%s%" PRId64, i ? "," : "", last_bytes[l]);
		}
		rdr_out_char(o, ']');
	}
	rdr_out_str(o, "],\"l0_worst\":[");
	for (uint64_t i = 0; i < nb; i++)
		rdr_out_printf(o, "%s%" PRId64, i ? "," : "", r->buckets[i].l0_worst);
	/* Write amplification: SST bytes written (flushes and compactions) per byte flushed, cumulative. */
	rdr_out_str(o, "],\"wamp\":[");
	for (uint64_t i = 0; i < nb; i++) {
		flushed += (double)r->buckets[i].flush_bytes;
		written += (double)(r->buckets[i].flush_bytes + r->buckets[i].compaction_bytes);
		if (flushed > 0)
			rdr_out_printf(o, "%s%.4f", i ? "," : "", written / flushed);
		else
			rdr_out_printf(o, "%snull", i ? "," : "");
	}
	rdr_out_str(o, "]},\n");
}

static void write_checks(struct rdr_report *r, struct rdr_out *o)
{
	const struct rdr_check *c = r->check;

	rdr_out_printf(o, "\"checks\":{\"commits\":%" PRIu64 ",\"failed_commits\":%" PRIu64
			     ",\"notifications\":%" PRIu64 ",\"ssts\":%" PRIu64 ",\"reordered\":%" PRIu64
			     ",\"abandoned\":%" PRIu64 ",\"rules\":[",
			  c->commits_ok + c->commits_failed, c->commits_failed, c->notifications, c->announced,
			  c->reordered, c->abandoned);
	for (unsigned k = 0; k < RDR_RULE_COUNT; k++) {
		rdr_out_printf(o, "%s{\"rule\":\"%s\",\"violations\":%" PRIu64 ",\"unverifiable\":%" PRIu64
				     ",\"examples\":[",
				  k ? "," : "", rdr_rule_name((enum rdr_rule)k), c->violations[k],
				  c->unverifiable[k]);
		for (uint64_t i = 0; i < c->violations[k] && i < RDR_CHECK_EXAMPLES; i++) {
			if (i)
				rdr_out_char(o, ',');
			rdr_out_json_html_str(o, c->examples[k][i]);
		}
		rdr_out_str(o, "]}");
	}
	rdr_out_str(o, "]},\n");
}

static void write_slowest(struct rdr_report *r, struct rdr_out *o, struct rdr_proc *const *procs)
{
	rdr_out_str(o, "\"slow_commits\":[");
	for (int i = 0; i < r->num_slow_commits; i++) {
		const struct slow *s = &r->slow_commits[i];

		rdr_out_printf(o,
				  "%s{\"t\":%.6f,\"pid\":%" PRIu64 ",\"region\":\"%" PRIu64 "(%u, %u)\",\"version\":%" PRIu64
				  ",\"cause\":\"%s\",\"job\":%" PRIu64 ",\"wait\":%" PRIu64 ",\"hold\":%" PRIu64
				  ",\"persist\":%" PRIu64 "}",
				  i ? "," : "", rel(r, s->ts), procs[s->proc]->pid, s->region, (unsigned)(s->region >> 32),
				  (unsigned)s->region, s->version, cause_name(s->kind), s->job, s->a, s->b, s->c);
	}
	rdr_out_str(o, "],\n\"slow_jobs\":[");
	for (int i = 0; i < r->num_slow_jobs; i++) {
		const struct slow *s = &r->slow_jobs[i];

		rdr_out_printf(o,
				  "%s{\"t\":%.6f,\"pid\":%" PRIu64 ",\"job\":%" PRIu64 ",\"kind\":\"%s\",\"region\":\"%" PRIu64
				  "(%u, %u)\",\"dur\":%" PRIu64 ",\"files\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
				  i ? "," : "", rel(r, s->ts), procs[s->proc]->pid, s->job,
				  rdr_job_kind_name((enum rdr_job_kind)s->kind), s->region, (unsigned)(s->region >> 32),
				  (unsigned)s->region, s->a, s->b, s->c);
	}
	rdr_out_str(o, "]");
}

static void end_open_job(void *arg, const struct rdr_job *job)
{
	struct rdr_report *r = arg;

	job_ended(r, job, r->t1, 0, 0);
}

int rdr_report_write(struct rdr_report *r, const char *path, struct rdr_proc *const *procs,
			size_t num_procs, char *err, size_t err_size)
{
	struct rdr_outfile f;
	struct rdr_out o, discard;
	const char *why;
	int ret;

	if (!rdr_report_available(&why))
		return rdr_fail(err, err_size, -ENOTSUP, "%s", why);
	/* Jobs the trace ended inside end with it. */
	rdr_jobs_each_open(&r->jobs, end_open_job, r);
	if (rdr_out_init(&discard, -1))
		return rdr_fail(err, err_size, -ENOMEM, "out of memory");
	rdr_check_finish(r->check, &discard, procs);
	rdr_out_close(&discard);
	if (r->err || r->stats.err || r->check->err)
		return rdr_fail(err, err_size, -ENOMEM, "out of memory: the report would be incomplete");
	if (!r->events)
		return rdr_fail(err, err_size, -ENODATA, "the trace holds no event: nothing to report");
	ret = rdr_outfile_open(&f, path, err, err_size);
	if (ret)
		return ret;
	if (rdr_out_init(&o, f.fd)) {
		rdr_outfile_close(&f, false, err, err_size);
		return rdr_fail(err, err_size, -ENOMEM, "out of memory");
	}
	asset(&o, rhook__asset_page_head, rhook__asset_page_head_end);
	rdr_out_str(&o, "<style>\n");
	asset(&o, rhook__asset_dygraph_css, rhook__asset_dygraph_css_end);
	rdr_out_str(&o, "\n</style>\n<script>\n");
	asset(&o, rhook__asset_dygraph_js, rhook__asset_dygraph_js_end);
	rdr_out_str(&o, "\n</script>\n<script>\n");
	asset(&o, rhook__asset_synchronizer_js, rhook__asset_synchronizer_js_end);
	rdr_out_str(&o, "\n</script>\n<script type=\"application/json\" id=\"rhook-data\">\n{");
	write_meta(r, &o, procs, num_procs);
	write_loss(r, &o, procs, num_procs);
	write_percentiles(r, &o);
	write_histograms(r, &o);
	write_timeline(r, &o, procs);
	write_series(r, &o);
	write_checks(r, &o);
	write_slowest(r, &o, procs);
	rdr_out_str(&o, "}\n</script>\n<script>\n");
	asset(&o, rhook__asset_page_js, rhook__asset_page_js_end);
	rdr_out_str(&o, "\n</script>\n</body>\n</html>\n");
	ret = rdr_out_close(&o);
	if (ret) {
		rdr_outfile_close(&f, false, err, err_size);
		return rdr_fail(err, err_size, ret, "%s: %s", path, strerror(-ret));
	}
	return rdr_outfile_close(&f, true, err, err_size);
}
