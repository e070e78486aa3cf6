/*
 * pfout.c - the merged timeline as a Perfetto trace (see pfout.h).
 *
 * A Perfetto trace file is the serialization of Trace { repeated
 * TracePacket packet = 1; }: concatenated records 0x0a, varint(length),
 * packet.  Each packet is built on the stack with protobuf-c, packed into
 * a scratch buffer and appended with its tag and length; no Trace exists
 * in memory.  Names of events, categories and annotations are interned
 * once, in the first packet of the one packet sequence.
 */
#define _GNU_SOURCE
#include "pfout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "map.h"
#include "outfile.h"
#include "reader/out.h"
#include "reader/schema.h"
#include "rhook_perfetto.pb-c.h"

typedef RhookPerfetto__TracePacket Packet;
typedef RhookPerfetto__TrackEvent TrackEvent;
typedef RhookPerfetto__TrackDescriptor TrackDescriptor;
typedef RhookPerfetto__DebugAnnotation Annotation;

#define SLICE_BEGIN RHOOK_PERFETTO__TRACK_EVENT__TYPE__TYPE_SLICE_BEGIN
#define SLICE_END RHOOK_PERFETTO__TRACK_EVENT__TYPE__TYPE_SLICE_END
#define INSTANT RHOOK_PERFETTO__TRACK_EVENT__TYPE__TYPE_INSTANT
#define COUNTER RHOOK_PERFETTO__TRACK_EVENT__TYPE__TYPE_COUNTER

/* Interned event names (iid = value; then N_COUNT + id: every event of the schema). */
enum name {
	N_NONE,
	N_FLUSH,
	N_COMPACTION,
	N_REMOTE_COMPACTION,
	N_SST_WRITTEN,
	N_COMMIT,
	N_LOCK_WAIT,
	N_LOCK_HOLD,
	N_PERSIST,
	N_MANIFEST_UPDATED,
	N_HOOK_DISPATCH,
	N_COUNT,
};

static const char *const name_str[N_COUNT] = {
	[N_FLUSH] = "flush",
	[N_COMPACTION] = "compaction",
	[N_REMOTE_COMPACTION] = "remote_compaction",
	[N_SST_WRITTEN] = "sst_file_written",
	[N_COMMIT] = "commit",
	[N_LOCK_WAIT] = "lock wait",
	[N_LOCK_HOLD] = "lock hold",
	[N_PERSIST] = "persist",
	[N_MANIFEST_UPDATED] = "manifest_updated",
	[N_HOOK_DISPATCH] = "hook_dispatch",
};

enum category { C_NONE, C_JOB, C_SST, C_COMMIT, C_HOOK, C_COUNT };

static const char *const category_str[C_COUNT] = {
	[C_JOB] = "job", [C_SST] = "sst", [C_COMMIT] = "commit", [C_HOOK] = "hook",
};

/*
 * Annotation names: "job" first, then every field and list name of the
 * schema, interned by their position in it (FIELD_IID), so an
 * annotation is named exactly as its field.
 */
#define A_JOB 1
#define FIELDS_PER_EVENT 32 /* annotations of an event's fields and lists, at most */
#define FIELD_IID(id, f) (2 + (uint64_t)(id) * FIELDS_PER_EVENT + (f))
#define MAX_ANNOTATIONS (1 + FIELDS_PER_EVENT)
#define LEVELS 3 /* contract §4: levels 0..2 */

/* A region as one process sees it: its tracks. */
struct region_tracks {
	uint64_t uuid, manifest, files;
	uint64_t lane[RDR_JOBS_MAX_LANES]; /* 0 until described */
	uint64_t lane_end[RDR_JOBS_MAX_LANES]; /* last slice end on the lane */
	uint64_t manifest_end;                    /* last commit slice end */
};

/* A region's LSM state over all processes: counters. */
struct region_lsm {
	uint64_t uuid;
	uint64_t counter[LEVELS + 1]; /* files of level 0..2, then bytes; 0 until described */
	int64_t files[LEVELS], bytes;
};

/* A file announced by sst_file_written. */
struct sst {
	uint64_t size;
	uint8_t level;
	bool live; /* added by a notification, not removed since */
};

struct rdr_pfout {
	struct rdr_outfile file;
	struct rdr_out o;
	struct rdr_pfout_counts n;
	struct rdr_jobs jobs;
	struct rdr_map procs;   /* (proc, 0) -> track uuid */
	struct rdr_map threads; /* (proc, tid) -> track uuid */
	struct rdr_map regions; /* (proc, region) -> struct region_tracks */
	struct rdr_map lsm;     /* (region, 0) -> struct region_lsm */
	struct rdr_map ssts;    /* file id -> struct sst */
	uint64_t next_uuid, lsm_root, last_ts;
	bool started;
	uint8_t *scratch;
	size_t scratch_size;
	/* The annotations of the event being built. */
	Annotation ann[MAX_ANNOTATIONS];
	Annotation *annp[MAX_ANNOTATIONS];
	size_t num_ann;
	char strings[RHW_EV_MAX_LISTS][RHW_EV_MAX_LISTED_IDS * 37 + 1];
	char uuid_string[37];
};

/* ---------------------------------------------------------------- packets */

static int write_packet(struct rdr_pfout *x, Packet *p)
{
	uint8_t head[11];
	size_t size, k = 0;

	p->has_trusted_packet_sequence_id = 1;
	p->trusted_packet_sequence_id = 1;
	if (!p->has_sequence_flags) {
		p->has_sequence_flags = 1;
		p->sequence_flags = RHOOK_PERFETTO__TRACE_PACKET__SEQUENCE_FLAGS__SEQ_NEEDS_INCREMENTAL_STATE;
	}
	size = protobuf_c_message_get_packed_size(&p->base);
	if (size > x->scratch_size) {
		uint8_t *s = realloc(x->scratch, size);

		if (!s)
			return -ENOMEM;
		x->scratch = s;
		x->scratch_size = size;
	}
	protobuf_c_message_pack(&p->base, x->scratch);
	head[k++] = 0x0a; /* Trace.packet: field 1, wire type 2 (length-delimited) */
	for (size_t v = size; ; v >>= 7) {
		head[k++] = (uint8_t)(v < 0x80 ? v : (v & 0x7f) | 0x80);
		if (v < 0x80)
			break;
	}
	rdr_out_mem(&x->o, head, k);
	rdr_out_mem(&x->o, x->scratch, size);
	x->n.packets++;
	x->n.bytes += k + size;
	return x->o.err;
}

/* The first packet: clears the sequence's state and interns every name. */
static int write_interned(struct rdr_pfout *x, uint64_t ts)
{
	RhookPerfetto__EventName en[N_COUNT + RHW_EV_MAX_ID + 1], *enp[N_COUNT + RHW_EV_MAX_ID + 1];
	RhookPerfetto__EventCategory ec[C_COUNT], *ecp[C_COUNT];
	RhookPerfetto__DebugAnnotationName dn[1 + (RHW_EV_MAX_ID + 1) * FIELDS_PER_EVENT], *dnp[1 + (RHW_EV_MAX_ID + 1) * FIELDS_PER_EVENT];
	RhookPerfetto__InternedData id = RHOOK_PERFETTO__INTERNED_DATA__INIT;
	Packet p = RHOOK_PERFETTO__TRACE_PACKET__INIT;
	size_t nd = 0;

	for (int i = 1; i < N_COUNT; i++) {
		rhook_perfetto__event_name__init(&en[i]);
		en[i].has_iid = 1;
		en[i].iid = (uint64_t)i;
		en[i].name = (char *)name_str[i];
		enp[i - 1] = &en[i];
	}
	/* Every event of the schema by its own name, for those drawn as plain instants (other_event()). */
	for (unsigned e = 1; e <= RHW_EV_MAX_ID; e++) {
		rhook_perfetto__event_name__init(&en[N_COUNT + e]);
		en[N_COUNT + e].has_iid = 1;
		en[N_COUNT + e].iid = N_COUNT + e;
		en[N_COUNT + e].name = (char *)rdr_schema_event(e)->name;
		enp[N_COUNT - 2 + e] = &en[N_COUNT + e];
	}
	for (int i = 1; i < C_COUNT; i++) {
		rhook_perfetto__event_category__init(&ec[i]);
		ec[i].has_iid = 1;
		ec[i].iid = (uint64_t)i;
		ec[i].name = (char *)category_str[i];
		ecp[i - 1] = &ec[i];
	}
	rhook_perfetto__debug_annotation_name__init(&dn[nd]);
	dn[nd].has_iid = 1;
	dn[nd].iid = A_JOB;
	dn[nd].name = "job";
	dnp[nd] = &dn[nd];
	nd++;
	for (unsigned e = 1; e <= RHW_EV_MAX_ID; e++) {
		const struct rdr_event_desc *d = rdr_schema_event(e);

		for (uint32_t f = 0; f < d->num_fields + d->num_lists && f < FIELDS_PER_EVENT; f++) {
			rhook_perfetto__debug_annotation_name__init(&dn[nd]);
			dn[nd].has_iid = 1;
			dn[nd].iid = FIELD_IID(e, f);
			dn[nd].name = (char *)(f < d->num_fields ? d->fields[f].name : d->lists[f - d->num_fields].name);
			dnp[nd] = &dn[nd];
			nd++;
		}
	}
	id.n_event_names = N_COUNT - 1 + RHW_EV_MAX_ID;
	id.event_names = enp;
	id.n_event_categories = C_COUNT - 1;
	id.event_categories = ecp;
	id.n_debug_annotation_names = nd;
	id.debug_annotation_names = dnp;
	p.has_timestamp = 1;
	p.timestamp = ts;
	p.interned_data = &id;
	p.has_first_packet_on_sequence = 1;
	p.first_packet_on_sequence = 1;
	p.has_sequence_flags = 1;
	p.sequence_flags = RHOOK_PERFETTO__TRACE_PACKET__SEQUENCE_FLAGS__SEQ_INCREMENTAL_STATE_CLEARED;
	return write_packet(x, &p);
}

static int write_descriptor(struct rdr_pfout *x, TrackDescriptor *d)
{
	Packet p = RHOOK_PERFETTO__TRACE_PACKET__INIT;

	p.data_case = RHOOK_PERFETTO__TRACE_PACKET__DATA_TRACK_DESCRIPTOR;
	p.track_descriptor = d;
	x->n.tracks++;
	return write_packet(x, &p);
}

/* ---------------------------------------------------------------- annotations */

static Annotation *annotation(struct rdr_pfout *x, uint64_t iid)
{
	Annotation *a = &x->ann[x->num_ann];

	rhook_perfetto__debug_annotation__init(a);
	a->has_name_iid = 1;
	a->name_iid = iid;
	x->annp[x->num_ann++] = a;
	return a;
}

/* Every field and id list of @ev as an annotation, and its job's label (jobs.h) if it has one. */
static void annotate(struct rdr_pfout *x, const struct rdr_event *ev, const struct rdr_job *job)
{
	const struct rdr_event_desc *d = rdr_schema_event(ev->id);
	const uint8_t *ids = ev->ids;
	Annotation *a;

	x->num_ann = 0;
	if (job) {
		a = annotation(x, A_JOB);
		a->value_case = RHOOK_PERFETTO__DEBUG_ANNOTATION__VALUE_UINT_VALUE;
		a->uint_value = rdr_job_label(job);
	}
	for (uint32_t f = 0; f < d->num_fields && f < FIELDS_PER_EVENT; f++) {
		const struct rdr_field *fd = &d->fields[f];
		uint64_t v;

		a = annotation(x, FIELD_IID(ev->id, f));
		if (fd->kind == RDR_FK_UUID) {
			char *s = x->uuid_string;

			rdr_fmt_uuid(s, (const uint8_t *)ev->payload + fd->offset);
			s[36] = '\0';
			a->value_case = RHOOK_PERFETTO__DEBUG_ANNOTATION__VALUE_STRING_VALUE;
			a->string_value = s;
			continue;
		}
		v = rdr_field_u64(fd, ev->payload);
		if (fd->labels && rdr_label(fd->labels, v)) {
			a->value_case = RHOOK_PERFETTO__DEBUG_ANNOTATION__VALUE_STRING_VALUE;
			a->string_value = (char *)rdr_label(fd->labels, v);
		} else if (rdr_fkind_signed(fd->kind)) {
			a->value_case = RHOOK_PERFETTO__DEBUG_ANNOTATION__VALUE_INT_VALUE;
			a->int_value = (int64_t)v;
		} else {
			a->value_case = RHOOK_PERFETTO__DEBUG_ANNOTATION__VALUE_UINT_VALUE;
			a->uint_value = v;
		}
	}
	for (uint32_t l = 0; l < d->num_lists && d->num_fields + l < FIELDS_PER_EVENT; l++) {
		char *s = x->strings[l];
		size_t k = 0;

		for (uint16_t i = 0; i < ev->list_len[l]; i++, ids += 16) {
			if (i)
				s[k++] = ',';
			rdr_fmt_uuid(s + k, ids);
			k += 36;
		}
		s[k] = '\0';
		a = annotation(x, FIELD_IID(ev->id, d->num_fields + l));
		a->value_case = RHOOK_PERFETTO__DEBUG_ANNOTATION__VALUE_STRING_VALUE;
		a->string_value = k ? s : RHW_EV_EMPTY_ID_LIST;
	}
}

/* ---------------------------------------------------------------- track events */

/* A slice begin or end, or an instant, with the annotations built for it (consumed). */
static int track_event(struct rdr_pfout *x, uint64_t ts, RhookPerfetto__TrackEvent__Type type, uint64_t track,
		       uint64_t name, enum category cat, uint64_t flow, uint64_t terminating_flow)
{
	TrackEvent ev = RHOOK_PERFETTO__TRACK_EVENT__INIT;
	Packet p = RHOOK_PERFETTO__TRACE_PACKET__INIT;
	uint64_t cat_iid = cat;

	ev.has_type = 1;
	ev.type = type;
	ev.has_track_uuid = 1;
	ev.track_uuid = track;
	if (name) {
		ev.has_name_iid = 1;
		ev.name_iid = name;
	}
	if (cat) {
		ev.n_category_iids = 1;
		ev.category_iids = &cat_iid;
	}
	if (flow) {
		ev.n_flow_ids = 1;
		ev.flow_ids = &flow;
		x->n.flows++;
	}
	if (terminating_flow) {
		ev.n_terminating_flow_ids = 1;
		ev.terminating_flow_ids = &terminating_flow;
		x->n.flows++;
	}
	ev.n_debug_annotations = x->num_ann;
	ev.debug_annotations = x->annp;
	x->num_ann = 0;
	p.has_timestamp = 1;
	p.timestamp = ts;
	p.data_case = RHOOK_PERFETTO__TRACE_PACKET__DATA_TRACK_EVENT;
	p.track_event = &ev;
	if (type == SLICE_BEGIN)
		x->n.slices++;
	else if (type == INSTANT)
		x->n.instants++;
	return write_packet(x, &p);
}

static int counter(struct rdr_pfout *x, uint64_t ts, uint64_t track, int64_t v)
{
	TrackEvent ev = RHOOK_PERFETTO__TRACK_EVENT__INIT;
	Packet p = RHOOK_PERFETTO__TRACE_PACKET__INIT;

	ev.has_type = 1;
	ev.type = COUNTER;
	ev.has_track_uuid = 1;
	ev.track_uuid = track;
	ev.has_counter_value = 1;
	ev.counter_value = v;
	p.has_timestamp = 1;
	p.timestamp = ts;
	p.data_case = RHOOK_PERFETTO__TRACE_PACKET__DATA_TRACK_EVENT;
	p.track_event = &ev;
	x->n.counters++;
	return write_packet(x, &p);
}

/* ---------------------------------------------------------------- tracks */

/* A job's flow id: its number, which is unique in the trace and never 0. */
static uint64_t flow_of(const struct rdr_job *job)
{
	return job ? job->number : 0;
}

static int child_track(struct rdr_pfout *x, uint64_t uuid, uint64_t parent, const char *name, int rank,
		       RhookPerfetto__CounterDescriptor *cd, bool explicit_order)
{
	TrackDescriptor d = RHOOK_PERFETTO__TRACK_DESCRIPTOR__INIT;

	d.has_uuid = 1;
	d.uuid = uuid;
	if (parent) {
		d.has_parent_uuid = 1;
		d.parent_uuid = parent;
	}
	d.name = (char *)name;
	if (rank >= 0) {
		d.has_sibling_order_rank = 1;
		d.sibling_order_rank = rank;
	}
	if (explicit_order) {
		d.has_child_ordering = 1;
		d.child_ordering = RHOOK_PERFETTO__TRACK_DESCRIPTOR__CHILD_TRACKS_ORDERING__EXPLICIT;
	}
	d.counter = cd;
	return write_descriptor(x, &d);
}

static int process_track(struct rdr_pfout *x, const struct rdr_proc *proc, uint64_t *uuid)
{
	RhookPerfetto__ProcessDescriptor pd = RHOOK_PERFETTO__PROCESS_DESCRIPTOR__INIT;
	TrackDescriptor d = RHOOK_PERFETTO__TRACK_DESCRIPTOR__INIT;
	bool created;
	uint64_t *slot = rdr_map_insert(&x->procs, proc->index, 0, &created);

	if (!slot)
		return -ENOMEM;
	if (!created) {
		*uuid = *slot;
		return 0;
	}
	*uuid = *slot = ++x->next_uuid;
	pd.has_pid = 1;
	pd.pid = (int32_t)proc->pid;
	pd.process_name = (char *)(proc->comm[0] ? proc->comm : "process");
	d.has_uuid = 1;
	d.uuid = *uuid;
	d.process = &pd;
	return write_descriptor(x, &d);
}

static int thread_track(struct rdr_pfout *x, const struct rdr_event *ev, uint64_t *uuid)
{
	RhookPerfetto__ThreadDescriptor td = RHOOK_PERFETTO__THREAD_DESCRIPTOR__INIT;
	TrackDescriptor d = RHOOK_PERFETTO__TRACK_DESCRIPTOR__INIT;
	uint64_t proc_uuid, *slot;
	char name[32];
	bool created;
	int ret = process_track(x, ev->proc, &proc_uuid);

	if (ret)
		return ret;
	slot = rdr_map_insert(&x->threads, ev->proc->index, ev->tid, &created);
	if (!slot)
		return -ENOMEM;
	if (!created) {
		*uuid = *slot;
		return 0;
	}
	*uuid = *slot = ++x->next_uuid;
	snprintf(name, sizeof(name), "tid %u", ev->tid);
	td.has_pid = 1;
	td.pid = (int32_t)ev->proc->pid;
	td.has_tid = 1;
	td.tid = ev->tid;
	td.thread_name = name;
	d.has_uuid = 1;
	d.uuid = *uuid;
	d.thread = &td;
	return write_descriptor(x, &d);
}

static void region_name(char *buf, size_t size, uint64_t region)
{
	/* Contract §4: u64(table, number). */
	snprintf(buf, size, "region %llu(%u, %u)", (unsigned long long)region, (unsigned)(region >> 32),
		 (unsigned)region);
}

/* The tracks of @region in @ev's process, described the first time. */
static int region_tracks(struct rdr_pfout *x, const struct rdr_event *ev, uint64_t region,
			 struct region_tracks **out)
{
	struct region_tracks *r;
	uint64_t proc_uuid;
	char name[64];
	bool created;
	int ret = process_track(x, ev->proc, &proc_uuid);

	if (ret)
		return ret;
	r = rdr_map_insert(&x->regions, ev->proc->index, region, &created);
	if (!r)
		return -ENOMEM;
	*out = r;
	if (!created)
		return 0;
	r->uuid = ++x->next_uuid;
	r->manifest = ++x->next_uuid;
	r->files = ++x->next_uuid;
	region_name(name, sizeof(name), region);
	if ((ret = child_track(x, r->uuid, proc_uuid, name, -1, NULL, true)) ||
	    (ret = child_track(x, r->manifest, r->uuid, "manifest commits", 0, NULL, false)))
		return ret;
	return child_track(x, r->files, r->uuid, "SST files", 1 + RDR_JOBS_MAX_LANES, NULL, false);
}

static int lane_track(struct rdr_pfout *x, struct region_tracks *r, uint32_t lane, uint64_t *uuid)
{
	char name[32];

	if (!r->lane[lane]) {
		int ret;

		r->lane[lane] = ++x->next_uuid;
		/* Distinct names: Perfetto merges sibling tracks of one name. */
		snprintf(name, sizeof(name), "jobs #%u", lane);
		ret = child_track(x, r->lane[lane], r->uuid, name, 1 + (int)lane, NULL, false);
		if (ret)
			return ret;
	}
	*uuid = r->lane[lane];
	return 0;
}

/* The counter track @k (level 0..2 files, LEVELS: bytes) of @region, described the first time. */
static int lsm_counter(struct rdr_pfout *x, uint64_t region, struct region_lsm *g, int k, uint64_t *uuid)
{
	RhookPerfetto__CounterDescriptor cd = RHOOK_PERFETTO__COUNTER_DESCRIPTOR__INIT;
	char name[64];
	int ret;

	if (!x->lsm_root) {
		x->lsm_root = ++x->next_uuid;
		ret = child_track(x, x->lsm_root, 0, "LSM levels (all processes)", -1, NULL, true);
		if (ret)
			return ret;
	}
	if (!g->uuid) {
		g->uuid = ++x->next_uuid;
		region_name(name, sizeof(name), region);
		ret = child_track(x, g->uuid, x->lsm_root, name, -1, NULL, true);
		if (ret)
			return ret;
	}
	if (!g->counter[k]) {
		g->counter[k] = ++x->next_uuid;
		cd.has_unit = 1;
		if (k < LEVELS) {
			cd.unit = RHOOK_PERFETTO__COUNTER_DESCRIPTOR__UNIT__UNIT_COUNT;
			snprintf(name, sizeof(name), "L%d files", k);
		} else {
			cd.unit = RHOOK_PERFETTO__COUNTER_DESCRIPTOR__UNIT__UNIT_SIZE_BYTES;
			snprintf(name, sizeof(name), "SST bytes");
		}
		ret = child_track(x, g->counter[k], g->uuid, name, k, &cd, false);
		if (ret)
			return ret;
	}
	*uuid = g->counter[k];
	return 0;
}

/* ---------------------------------------------------------------- events */

static int on_job_begin(struct rdr_pfout *x, const struct rdr_event *ev, const struct rdr_job *job)
{
	static const enum name names[RDR_JOB_KINDS] = { N_FLUSH, N_COMPACTION, N_REMOTE_COMPACTION };
	struct region_tracks *r;
	uint64_t lane, ts = ev->ts;
	int ret = region_tracks(x, ev, job->region, &r);

	if (ret || (ret = lane_track(x, r, job->lane, &lane)))
		return ret;
	/* Begins and ends of other threads may be a little out of order: never overlap the lane's last slice. */
	if (ts < r->lane_end[job->lane])
		ts = r->lane_end[job->lane];
	annotate(x, ev, job);
	return track_event(x, ts, SLICE_BEGIN, lane, names[job->kind], C_JOB, flow_of(job), 0);
}

static int job_end(struct rdr_pfout *x, const struct rdr_event *ev, const struct rdr_job *job, uint64_t ts)
{
	struct region_tracks *r = rdr_map_find(&x->regions, job->proc, job->region);

	if (!r || !r->lane[job->lane])
		return 0;
	if (ts < r->lane_end[job->lane])
		ts = r->lane_end[job->lane];
	r->lane_end[job->lane] = ts;
	if (ev)
		annotate(x, ev, job);
	else
		x->num_ann = 0;
	return track_event(x, ts, SLICE_END, r->lane[job->lane], N_NONE, C_NONE, 0, 0);
}

static int on_sst(struct rdr_pfout *x, const struct rdr_event *ev, const struct rdr_job *job)
{
	const struct rhw_ev_sst_file_written *e = ev->payload;
	struct region_tracks *r;
	uint64_t track, k[2];
	struct sst *s;
	bool created;
	int ret = region_tracks(x, ev, e->region_id, &r);

	if (ret)
		return ret;
	track = r->files;
	if (job && (ret = lane_track(x, r, job->lane, &track)))
		return ret;
	memcpy(k, e->file_id, 16);
	s = rdr_map_insert(&x->ssts, k[0], k[1], &created);
	if (!s)
		return -ENOMEM;
	if (created || !s->live)
		*s = (struct sst){ .size = e->file_size, .level = e->level < LEVELS ? e->level : LEVELS - 1 };
	annotate(x, ev, job);
	return track_event(x, ev->ts, INSTANT, track, N_SST_WRITTEN, C_SST, flow_of(job), 0);
}

static int on_hook(struct rdr_pfout *x, const struct rdr_event *ev, const struct rdr_job *job)
{
	uint64_t track;
	int ret = thread_track(x, ev, &track);

	if (ret)
		return ret;
	annotate(x, ev, job);
	return track_event(x, ev->ts, INSTANT, track, N_HOOK_DISPATCH, C_HOOK, 0, 0);
}

/*
 * A commit: manifest_commit is emitted after the unlock, so its phases
 * are rebuilt backwards from its timestamp (the end of the hold): lock
 * wait, then lock hold, persist ending with the hold.
 */
static int on_commit(struct rdr_pfout *x, const struct rdr_event *ev, const struct rdr_job *job)
{
	const struct rhw_ev_manifest_commit *e = ev->payload;
	uint64_t end = ev->ts, hold = e->lock_hold_ns < end ? e->lock_hold_ns : end;
	uint64_t hold_start = end - hold;
	uint64_t wait_start = hold_start - (e->lock_wait_ns < hold_start ? e->lock_wait_ns : hold_start);
	uint64_t persist_start = end - (e->persist_ns < hold ? e->persist_ns : hold);
	struct region_tracks *r;
	uint64_t thread;
	int ret;

	if ((ret = region_tracks(x, ev, e->region_id, &r)) || (ret = thread_track(x, ev, &thread)))
		return ret;
	annotate(x, ev, job);
	if ((ret = track_event(x, wait_start, SLICE_BEGIN, thread, N_COMMIT, C_COMMIT, 0, 0)) ||
	    (ret = track_event(x, wait_start, SLICE_BEGIN, thread, N_LOCK_WAIT, C_COMMIT, 0, 0)) ||
	    (ret = track_event(x, hold_start, SLICE_END, thread, N_NONE, C_NONE, 0, 0)) ||
	    (ret = track_event(x, hold_start, SLICE_BEGIN, thread, N_LOCK_HOLD, C_COMMIT, 0, 0)) ||
	    (ret = track_event(x, persist_start, SLICE_BEGIN, thread, N_PERSIST, C_COMMIT, 0, 0)) ||
	    (ret = track_event(x, end, SLICE_END, thread, N_NONE, C_NONE, 0, 0)) ||
	    (ret = track_event(x, end, SLICE_END, thread, N_NONE, C_NONE, 0, 0)) ||
	    (ret = track_event(x, end, SLICE_END, thread, N_NONE, C_NONE, 0, 0)))
		return ret;
	/* The region's holds never overlap (one mutex); rounding must not make them nest. */
	if (hold_start < r->manifest_end)
		hold_start = r->manifest_end;
	r->manifest_end = end;
	annotate(x, ev, job);
	if ((ret = track_event(x, hold_start, SLICE_BEGIN, r->manifest, N_COMMIT, C_COMMIT, flow_of(job), 0)))
		return ret;
	return track_event(x, end, SLICE_END, r->manifest, N_NONE, C_NONE, 0, 0);
}

/* Moves the files of list @list of @ev in or out of the manifest's counts of @g. */
static void count_files(struct rdr_pfout *x, const struct rdr_event *ev, unsigned list, bool add,
			struct region_lsm *g, bool changed[LEVELS + 1])
{
	const uint8_t *ids = rdr_event_list(ev, list);

	for (uint16_t i = 0; i < ev->list_len[list]; i++, ids += 16) {
		uint64_t k[2];
		struct sst *s;

		memcpy(k, ids, 16);
		s = rdr_map_find(&x->ssts, k[0], k[1]);
		if (!s || s->live == add) {
			x->n.unknown_files += !s;
			continue;
		}
		s->live = add;
		g->files[s->level] += add ? 1 : -1;
		g->bytes += add ? (int64_t)s->size : -(int64_t)s->size;
		changed[s->level] = changed[LEVELS] = true;
		/* Out of the manifest for good (only live files are re-added): the map holds what may still move. */
		if (!add)
			rdr_map_remove(&x->ssts, k[0], k[1]);
	}
}

/* A deleted file that was never added (a failed job's) leaves the map. */
static void forget_unlive(struct rdr_pfout *x, const struct rdr_event *ev)
{
	const struct rhw_ev_sst_file_removed *e = ev->payload;
	const struct sst *s;
	uint64_t k[2];

	memcpy(k, e->file_id, 16);
	s = rdr_map_find(&x->ssts, k[0], k[1]);
	if (s && !s->live)
		rdr_map_remove(&x->ssts, k[0], k[1]);
}

static int on_updated(struct rdr_pfout *x, const struct rdr_event *ev, const struct rdr_job *job)
{
	const struct rhw_ev_manifest_updated *e = ev->payload;
	bool changed[LEVELS + 1] = { false };
	struct region_tracks *r;
	struct region_lsm *g;
	bool created;
	int ret = region_tracks(x, ev, e->region_id, &r);

	if (ret)
		return ret;
	annotate(x, ev, job);
	ret = track_event(x, ev->ts, INSTANT, r->manifest, N_MANIFEST_UPDATED, C_COMMIT, 0, flow_of(job));
	if (ret)
		return ret;
	g = rdr_map_insert(&x->lsm, e->region_id, 0, &created);
	if (!g)
		return -ENOMEM;
	/* files_added is list 0, files_removed list 1 (events.h). */
	count_files(x, ev, 0, true, g, changed);
	count_files(x, ev, 1, false, g, changed);
	for (int k = 0; k <= LEVELS; k++) {
		uint64_t track;

		if (!changed[k])
			continue;
		/* lsm_counter() may describe tracks: g stays valid (no insert into x->lsm). */
		if ((ret = lsm_counter(x, e->region_id, g, k, &track)) ||
		    (ret = counter(x, ev->ts, track, k < LEVELS ? g->files[k] : g->bytes)))
			return ret;
	}
	return 0;
}

/*
 * An event no view above draws: an instant named as the event, on the
 * region's "SST files" track (an SST's deletion, once the schema has
 * it), its fields annotated as for the others.
 */
static int other_event(struct rdr_pfout *x, const struct rdr_event *ev, const struct rdr_job *job)
{
	struct region_tracks *r;
	uint64_t region;
	int ret;

	memcpy(&region, ev->payload, sizeof(region)); /* every payload starts with the region id */
	if ((ret = region_tracks(x, ev, region, &r)))
		return ret;
	annotate(x, ev, job);
	return track_event(x, ev->ts, INSTANT, r->files, N_COUNT + ev->id, C_SST, flow_of(job), 0);
}

/* ---------------------------------------------------------------- API */

int rdr_pfout_open(struct rdr_pfout **out, const char *path, char *err, size_t err_size)
{
	struct rdr_pfout *x = calloc(1, sizeof(*x));
	int ret;

	*out = NULL;
	if (!x)
		return rdr_fail(err, err_size, -ENOMEM, "out of memory");
	ret = rdr_outfile_open(&x->file, path, err, err_size);
	if (ret) {
		free(x);
		return ret;
	}
	if (rdr_out_init(&x->o, x->file.fd)) {
		rdr_outfile_close(&x->file, false, err, err_size);
		free(x);
		return rdr_fail(err, err_size, -ENOMEM, "out of memory");
	}
	rdr_jobs_init(&x->jobs);
	rdr_map_init(&x->procs, sizeof(uint64_t));
	rdr_map_init(&x->threads, sizeof(uint64_t));
	rdr_map_init(&x->regions, sizeof(struct region_tracks));
	rdr_map_init(&x->lsm, sizeof(struct region_lsm));
	rdr_map_init(&x->ssts, sizeof(struct sst));
	*out = x;
	return 0;
}

static int fail_code(struct rdr_pfout *x, int ret, char *err, size_t err_size)
{
	if (ret == -ENOMEM)
		return rdr_fail(err, err_size, ret, "out of memory");
	return rdr_fail(err, err_size, ret, "%s: %s", x->file.path, strerror(-ret));
}

int rdr_pfout_add(struct rdr_pfout *x, const struct rdr_event *ev, char *err, size_t err_size)
{
	const struct rdr_job *job, *closed;
	int ret;

	x->n.events++;
	if (!x->started) {
		x->started = true;
		if ((ret = write_interned(x, ev->ts)))
			return fail_code(x, ret, err, err_size);
	}
	if (ev->ts > x->last_ts)
		x->last_ts = ev->ts;
	ret = rdr_jobs_add(&x->jobs, ev, &job, &closed);
	if (!ret && closed)
		ret = job_end(x, NULL, closed, ev->ts);
	if (ret)
		return fail_code(x, ret, err, err_size);
	switch (ev->id) {
	case RHW_EV_flush_begin:
	case RHW_EV_compaction_begin:
		ret = job ? on_job_begin(x, ev, job) : 0;
		break;
	case RHW_EV_flush_end:
	case RHW_EV_compaction_end:
		ret = job ? job_end(x, ev, job, ev->ts) : 0;
		break;
	case RHW_EV_sst_file_written:
		ret = on_sst(x, ev, job);
		break;
	case RHW_EV_manifest_commit:
		ret = on_commit(x, ev, job);
		break;
	case RHW_EV_manifest_updated:
		ret = on_updated(x, ev, job);
		break;
	case RHW_EV_hook_dispatch:
		ret = on_hook(x, ev, job);
		break;
	case RHW_EV_sst_file_removed:
		forget_unlive(x, ev);
		ret = other_event(x, ev, job);
		break;
	default:
		ret = other_event(x, ev, job);
		break;
	}
	return ret ? fail_code(x, ret, err, err_size) : 0;
}

struct end_open {
	struct rdr_pfout *x;
	int ret;
};

static void end_open_job(void *arg, const struct rdr_job *job)
{
	struct end_open *e = arg;

	if (!e->ret)
		e->ret = job_end(e->x, NULL, job, e->x->last_ts);
}

int rdr_pfout_close(struct rdr_pfout *x, bool keep, struct rdr_pfout_counts *counts, char *err,
		       size_t err_size)
{
	struct end_open e = { x, 0 };
	int ret;

	/* A trace that ends inside jobs (a crash, a live trace): their slices end with it. */
	rdr_jobs_each_open(&x->jobs, end_open_job, &e);
	ret = e.ret ? fail_code(x, e.ret, err, err_size) : 0;
	if (rdr_out_close(&x->o) && !ret)
		ret = fail_code(x, x->o.err ? x->o.err : -EIO, err, err_size);
	if (ret)
		rdr_outfile_close(&x->file, false, err, err_size);
	else
		ret = rdr_outfile_close(&x->file, keep, err, err_size);
	if (counts)
		*counts = x->n;
	rdr_jobs_free(&x->jobs);
	rdr_map_free(&x->procs);
	rdr_map_free(&x->threads);
	rdr_map_free(&x->regions);
	rdr_map_free(&x->lsm);
	rdr_map_free(&x->ssts);
	free(x->scratch);
	free(x);
	return ret;
}
