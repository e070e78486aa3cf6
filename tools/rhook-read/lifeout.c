/*
 * lifeout.c - rhook-read files and amp (see lifeout.h).
 */
#include "lifeout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/hook.h>

#include "reader/schema.h"

/* The labels of enumeration @field of event @id ("cause" of manifest_updated, ...). */
static const char *label_of(unsigned id, const char *field, uint64_t v)
{
	const char *l = rdr_label(rdr_schema_field(rdr_schema_event(id), field)->labels, v);

	return l ? l : "unknown";
}

static const char *cause_name(uint64_t v)
{
	return label_of(RHW_EV_manifest_updated, "cause", v);
}

static const char *origin_name(uint64_t v)
{
	return label_of(RHW_EV_sst_file_written, "origin", v);
}

static const char *reason_name(uint64_t v)
{
	return label_of(RHW_EV_sst_file_removed, "reason", v);
}

static void put_ts(struct rdr_out *o, uint64_t ts)
{
	char t[32];

	t[rdr_fmt_ts(t, ts)] = '\0';
	rdr_out_printf(o, "[%s]", t);
}

static void put_proc(struct rdr_out *o, const struct rdr_proc *p, bool json)
{
	if (json) {
		rdr_out_printf(o, ",\"pid\":%" PRIu64 ",\"comm\":", p->pid);
		rdr_out_json_str(o, p->comm);
	} else {
		rdr_out_printf(o, " pid %" PRIu64 " (%s)", p->pid, p->comm[0] ? p->comm : "?");
	}
}

static void file_text(struct rdr_out *o, const struct rdr_lc_file *f)
{
	char id[37];

	rdr_fmt_uuid(id, f->id);
	id[36] = '\0';
	rdr_out_printf(o, "%s region %" PRIu64 "(%" PRIu32 ", %" PRIu32 ")", id, f->region,
			  (uint32_t)(f->region >> 32), (uint32_t)f->region);
	if (f->level <= 2)
		rdr_out_printf(o, " L%u", f->level);
	else
		rdr_out_str(o, " L?");
	rdr_out_printf(o, " size %" PRIu64 " rows %" PRIu64, f->file_size, f->num_rows);
	rdr_out_str(o, "\n  born:    ");
	if (f->known & RDR_LC_BORN) {
		put_ts(o, f->born_ts);
		rdr_out_printf(o, " %s job %" PRIu64, origin_name(f->origin), f->born_job);
		put_proc(o, f->born_proc, false);
	} else {
		rdr_out_str(o, "? (not in the trace: written before it, or lost)");
	}
	rdr_out_str(o, "\n  live:    ");
	if (f->known & RDR_LC_LIVE)
		rdr_out_printf(o, "from version %" PRIu64 " (%s, job %" PRIu64 ")", f->live_version,
				  cause_name(f->live_cause), f->live_job);
	else
		rdr_out_str(o, "? (no commit adding it in the trace)");
	rdr_out_str(o, "\n  removed: ");
	if ((f->known & RDR_LC_UNLIVE) && f->unlive_version)
		rdr_out_printf(o, "from the manifest by version %" PRIu64 " (%s, job %" PRIu64 ")", f->unlive_version,
				  cause_name(f->unlive_cause), f->unlive_job);
	else if (f->known & RDR_LC_UNLIVE)
		rdr_out_str(o, "with its region (drop)");
	else if (rdr_lc_file_live(f))
		rdr_out_str(o, "no: live at the end of the trace");
	else
		rdr_out_str(o, "?");
	rdr_out_str(o, "\n  deleted: ");
	if (f->known & RDR_LC_DELETED) {
		put_ts(o, f->deleted_ts);
		rdr_out_printf(o, " %s", reason_name(f->reason));
		if (f->deleted_version)
			rdr_out_printf(o, " (removed by version %" PRIu64 ")", f->deleted_version);
		put_proc(o, f->deleted_proc, false);
		if (f->known & RDR_LC_BORN)
			rdr_out_printf(o, "; lifetime %.3f s", (double)(f->deleted_ts - f->born_ts) / 1e9);
	} else {
		rdr_out_str(o, "no");
	}
	rdr_out_char(o, '\n');
}

static void file_json(struct rdr_out *o, const struct rdr_lc_file *f)
{
	char id[37];

	rdr_fmt_uuid(id, f->id);
	id[36] = '\0';
	rdr_out_printf(o, "{\"file\":\"%s\",\"region\":%" PRIu64 ",\"table\":%" PRIu32 ",\"number\":%" PRIu32, id,
			  f->region, (uint32_t)(f->region >> 32), (uint32_t)f->region);
	if (f->level <= 2)
		rdr_out_printf(o, ",\"level\":%u", f->level);
	rdr_out_printf(o, ",\"size\":%" PRIu64 ",\"rows\":%" PRIu64, f->file_size, f->num_rows);
	if (f->known & RDR_LC_BORN) {
		rdr_out_printf(o, ",\"born\":{\"ts\":%" PRIu64 ",\"job\":%" PRIu64 ",\"origin\":\"%s\"", f->born_ts,
				  f->born_job, origin_name(f->origin));
		put_proc(o, f->born_proc, true);
		rdr_out_char(o, '}');
	}
	if (f->known & RDR_LC_LIVE)
		rdr_out_printf(o, ",\"live\":{\"ts\":%" PRIu64 ",\"version\":%" PRIu64 ",\"cause\":\"%s\",\"job\":%" PRIu64
				  "}",
				  f->live_ts, f->live_version, cause_name(f->live_cause), f->live_job);
	if ((f->known & RDR_LC_UNLIVE) && f->unlive_version)
		rdr_out_printf(o,
				  ",\"removed\":{\"ts\":%" PRIu64 ",\"version\":%" PRIu64 ",\"cause\":\"%s\",\"job\":%" PRIu64
				  "}",
				  f->unlive_ts, f->unlive_version, cause_name(f->unlive_cause), f->unlive_job);
	if (f->known & RDR_LC_DELETED) {
		rdr_out_printf(o, ",\"deleted\":{\"ts\":%" PRIu64 ",\"reason\":\"%s\",\"version\":%" PRIu64,
				  f->deleted_ts, reason_name(f->reason), f->deleted_version);
		put_proc(o, f->deleted_proc, true);
		rdr_out_char(o, '}');
		if (f->known & RDR_LC_BORN)
			rdr_out_printf(o, ",\"lifetime_ns\":%" PRIu64, f->deleted_ts - f->born_ts);
	}
	rdr_out_printf(o, ",\"live_at_end\":%s}\n", rdr_lc_file_live(f) ? "true" : "false");
}

void rdr_files_report(const struct rdr_lifecycle *lc, struct rdr_out *o, bool json)
{
	size_t born = 0, live = 0, deleted = 0;

	for (size_t i = 0; i < lc->num_files; i++) {
		const struct rdr_lc_file *f = &lc->files[i];

		born += !!(f->known & RDR_LC_BORN);
		live += rdr_lc_file_live(f);
		deleted += !!(f->known & RDR_LC_DELETED);
		if (json)
			file_json(o, f);
		else
			file_text(o, f);
	}
	if (!json)
		rdr_out_printf(o,
				  "rhook-read files: %zu files, %zu born in the trace, %zu live at its end, %zu deleted\n",
				  lc->num_files, born, live, deleted);
}

/* Totals over every region, for the "total" line. */
static void add_region(struct rdr_lc_region *t, const struct rdr_lc_region *r)
{
	for (unsigned k = 0; k < 3; k++) {
		t->written_bytes[k] += r->written_bytes[k];
		t->written_files[k] += r->written_files[k];
	}
	for (unsigned l = 0; l < RDR_LC_LEVELS; l++) {
		t->files[l] += r->files[l];
		t->bytes[l] += r->bytes[l];
	}
	if (r->max_l0 > t->max_l0)
		t->max_l0 = r->max_l0;
	t->partial |= r->partial;
}

static void region_text(struct rdr_out *o, const char *title, const struct rdr_lc_region *r)
{
	rdr_out_printf(o,
			  "%s: flushed %" PRIu64 " B (%" PRIu64 " files), compaction %" PRIu64 " B (%" PRIu64
			  " files), remote compaction %" PRIu64 " B (%" PRIu64 " files), write amplification %.2f\n",
			  title, r->written_bytes[0], r->written_files[0], r->written_bytes[1], r->written_files[1],
			  r->written_bytes[2], r->written_files[2], rdr_lc_write_amp(r));
	rdr_out_str(o, "  live now:");
	for (unsigned l = 0; l < RDR_LC_LEVELS; l++)
		if (l < 3 || r->files[l])
			rdr_out_printf(o, "%s %s %" PRIu32 " files %" PRIu64 " B", l ? "," : "",
					  l < 3 ? (const char *[]){ "L0", "L1", "L2" }[l] : "level unknown", r->files[l],
					  r->bytes[l]);
	rdr_out_printf(o, "; largest L0 backlog %" PRIu32 " files%s\n", r->max_l0,
			  r->partial ? " (lower bounds: a commit listed fewer file ids than it had)" : "");
}

static void region_json(struct rdr_out *o, const struct rdr_lc_region *r, bool total)
{
	if (total)
		rdr_out_str(o, "{\"total\":true");
	else
		rdr_out_printf(o, "{\"region\":%" PRIu64 ",\"table\":%" PRIu32 ",\"number\":%" PRIu32, r->region,
				  (uint32_t)(r->region >> 32), (uint32_t)r->region);
	rdr_out_printf(o,
			  ",\"flushed_bytes\":%" PRIu64 ",\"flushed_files\":%" PRIu64 ",\"compaction_bytes\":%" PRIu64
			  ",\"compaction_files\":%" PRIu64 ",\"remote_compaction_bytes\":%" PRIu64
			  ",\"remote_compaction_files\":%" PRIu64 ",\"write_amplification\":%.4f,\"max_l0_files\":%" PRIu32
			  ",\"partial\":%s,\"levels\":[",
			  r->written_bytes[0], r->written_files[0], r->written_bytes[1], r->written_files[1],
			  r->written_bytes[2], r->written_files[2], rdr_lc_write_amp(r), r->max_l0,
			  r->partial ? "true" : "false");
	for (unsigned l = 0; l < RDR_LC_LEVELS; l++)
		rdr_out_printf(o, "%s{\"level\":%s,\"files\":%" PRIu32 ",\"bytes\":%" PRIu64 "}", l ? "," : "",
				  l < 3 ? (const char *[]){ "0", "1", "2" }[l] : "null", r->files[l], r->bytes[l]);
	rdr_out_str(o, "]");
	if (!total) {
		rdr_out_str(o, ",\"samples\":[");
		for (size_t i = 0; i < r->num_samples; i++) {
			const struct rdr_lc_sample *s = &r->samples[i];

			rdr_out_printf(o, "%s{\"ts\":%" PRIu64 ",\"version\":%" PRIu64 ",\"files\":[%" PRIu32
					  ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 "],\"bytes\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64
					  ",%" PRIu64 "]}",
					  i ? "," : "", s->ts, s->version, s->files[0], s->files[1], s->files[2],
					  s->files[3], s->bytes[0], s->bytes[1], s->bytes[2], s->bytes[3]);
		}
		rdr_out_str(o, "]");
	}
	rdr_out_str(o, "}\n");
}

/* Slowest first. */
static int cmp_job(const void *a, const void *b)
{
	const struct rdr_lc_job *x = *(const struct rdr_lc_job *const *)a, *y = *(const struct rdr_lc_job *const *)b;
	uint64_t dx = x->end_ts - x->begin_ts, dy = y->end_ts - y->begin_ts;

	return dx < dy ? 1 : dx > dy ? -1 : 0;
}

/* The jobs with a begin and an end, slowest first: those still in jobs[], and the done ones of top_jobs. */
static void slowest_jobs(const struct rdr_lifecycle *lc, struct rdr_out *o, bool json)
{
	const struct rdr_lc_job **idx = malloc((lc->num_jobs + lc->num_top_jobs + 1) * sizeof(*idx));
	size_t n = 0;

	if (!idx) {
		rdr_out_str(o, json ? "{\"error\":\"out of memory\"}\n" : "slowest jobs: out of memory\n");
		return;
	}
	for (size_t i = 0; i < lc->num_jobs; i++)
		if ((lc->jobs[i].known & (RDR_LC_JOB_BEGIN | RDR_LC_JOB_END)) ==
		    (RDR_LC_JOB_BEGIN | RDR_LC_JOB_END))
			idx[n++] = &lc->jobs[i];
	for (size_t i = 0; i < lc->num_top_jobs; i++)
		idx[n++] = &lc->top_jobs[i];
	qsort(idx, n, sizeof(*idx), cmp_job);
	if (!json)
		rdr_out_printf(o, "slowest jobs (of %" PRIu64 " with begin and end):\n",
				  (uint64_t)(n - lc->num_top_jobs) + lc->done_jobs);
	for (size_t i = 0; i < n && i < RDR_AMP_SLOWEST; i++) {
		const struct rdr_lc_job *j = idx[i];
		const char *kind = j->kind == RDR_LC_FLUSH ? "flush" : j->remote ? "remote_compaction" : "compaction";

		if (json) {
			rdr_out_printf(o,
					  "{\"job\":%" PRIu64 ",\"kind\":\"%s\",\"region\":%" PRIu64 ",\"duration_ns\":%" PRIu64
					  ",\"status\":%" PRId32 ",\"begin_ts\":%" PRIu64,
					  j->job_id, kind, j->region, j->end_ts - j->begin_ts, j->status, j->begin_ts);
			if (j->known & RDR_LC_JOB_COMMIT)
				rdr_out_printf(o, ",\"commit_version\":%" PRIu64 ",\"to_commit_ns\":%" PRIu64,
						  j->commit_version, j->commit_ts - j->begin_ts);
			put_proc(o, j->proc, true);
			rdr_out_str(o, "}\n");
			continue;
		}
		rdr_out_printf(o, "  job %" PRIu64 " %s region %" PRIu64 "(%" PRIu32 ", %" PRIu32 ") %.3f ms", j->job_id,
				  kind, j->region, (uint32_t)(j->region >> 32), (uint32_t)j->region,
				  (double)(j->end_ts - j->begin_ts) / 1e6);
		if (j->status)
			rdr_out_printf(o, " failed (%" PRId32 ")", j->status);
		if (j->known & RDR_LC_JOB_COMMIT)
			rdr_out_printf(o, ", version %" PRIu64 " committed after %.3f ms", j->commit_version,
					  (double)(j->commit_ts - j->begin_ts) / 1e6);
		rdr_out_printf(o, ", %" PRIu64 " B in, %" PRIu64 " files written", j->bytes_in, j->written_files);
		put_proc(o, j->proc, false);
		rdr_out_char(o, '\n');
	}
	free(idx);
}

void rdr_amp_report(const struct rdr_lifecycle *lc, struct rdr_out *o, bool json)
{
	struct rdr_lc_region total = { 0 };

	for (size_t i = 0; i < lc->num_regions; i++) {
		const struct rdr_lc_region *r = &lc->regions[i];
		char title[80];

		add_region(&total, r);
		if (json) {
			region_json(o, r, false);
			continue;
		}
		snprintf(title, sizeof(title), "region %" PRIu64 "(%" PRIu32 ", %" PRIu32 ")", r->region,
			 (uint32_t)(r->region >> 32), (uint32_t)r->region);
		region_text(o, title, r);
	}
	if (json)
		region_json(o, &total, true);
	else
		region_text(o, "total", &total);
	slowest_jobs(lc, o, json);
}

void rdr_amp_brief(const struct rdr_lifecycle *lc, struct rdr_out *o)
{
	struct rdr_lc_region t = { 0 };

	for (size_t i = 0; i < lc->num_regions; i++)
		add_region(&t, &lc->regions[i]);
	rdr_out_printf(o,
			  "write amplification %.2f: %" PRIu64 " B flushed, %" PRIu64 " B by compaction, %" PRIu64
			  " B by remote compaction, over %zu regions%s\n",
			  rdr_lc_write_amp(&t), t.written_bytes[0], t.written_bytes[1], t.written_bytes[2],
			  lc->num_regions, t.partial ? " (lower bounds: some commits listed fewer ids than they had)" : "");
}
