/*
 * emit.c - builds each event's payload once and hands it to LTTng-UST, to
 * the flight recorder and to the USDT probe.  Nothing is built unless a
 * consumer wants it.
 */
#include <stdio.h>
#include <string.h>

#include <rhook/trace.h>

#include "../core/internal.h"
#include "emit.h"
/*
 * After emit.h: its LTTng-UST headers must not see the _LGPL_SOURCE that
 * urcu.h defines (they would inline LTTng's own urcu, which librhook does
 * not link: the provider is loaded at run time).
 */
#include "../recorder/emit_inline.h"

/* The USDT semaphores, in the section perf, bpftrace and systemtap patch. */
#define RHOOK__USDT_SEMAPHORE_DEF(num, name, FIELDS) \
	__attribute__((section(".probes"))) volatile unsigned short rhook_##name##_semaphore;
RHOOK__EVENTS(RHOOK__USDT_SEMAPHORE_DEF)
#undef RHOOK__USDT_SEMAPHORE_DEF

/*
 * The recorder's timestamps (src/recorder/clock.h): the events whose
 * order across threads and processes the trace's readers rely on
 * (versions in commit order, a notification after its commit, an SST
 * before the commit that adds it: rhook-read check) read the TSC after
 * everything before them, rhook__rec_emit_ordered(); the others (spans,
 * dispatch times), whose order the reader keeps within each thread, do
 * not wait for it, rhook__rec_emit().
 */

/*
 * Emits a fixed-size event @name whose payload is *@ev to every consumer,
 * to the recorder with @rec_emit; the USDT probe gets region_id, the
 * payload, its size and @... (scalars).
 */
#define EMIT_FIXED(name, rec_emit, ev, ...)                                           \
	do {                                                                          \
		if (lttng_ust_tracepoint_enabled(rhook, name))                        \
			lttng_ust_do_tracepoint(rhook, name, (ev));                   \
		if (rhook__rec_on())                                                  \
			rec_emit(RHOOK__EV_##name, (ev), sizeof(*(ev)), NULL, 0);     \
		STAP_PROBEV(rhook, name, (ev)->region_id, (ev), sizeof(*(ev)), __VA_ARGS__); \
	} while (0)

void rhook__emit_sst_file_written(rhook_region_id region_id, const struct rhook_file_meta *fm,
				  enum rhook_origin origin)
{
	struct rhook__ev_sst_file_written ev = {
		.region_id = region_id,
		.time_start = fm->time_range.start,
		.time_end = fm->time_range.end,
		.file_size = fm->file_size,
		.num_rows = fm->num_rows,
		.num_row_groups = fm->num_row_groups,
		.index_file_size = fm->index_file_size,
		.level = fm->level,
		.time_unit = (uint8_t)fm->time_range.unit,
		.origin = (uint8_t)origin,
	};

	memcpy(ev.file_id, fm->file_id.bytes, sizeof(ev.file_id));
	if (lttng_ust_tracepoint_enabled(rhook, sst_file_written)) {
		char id[RHOOK_FILE_ID_STRLEN];

		rhook_file_id_format(&fm->file_id, id);
		lttng_ust_do_tracepoint(rhook, sst_file_written, &ev, id);
	}
	if (rhook__rec_on())
		rhook__rec_emit_ordered(RHOOK__EV_sst_file_written, &ev, sizeof(ev), NULL, 0);
	STAP_PROBEV(rhook, sst_file_written, ev.region_id, &ev, sizeof(ev), ev.file_size, ev.num_rows, ev.level,
		    ev.origin);
}

void rhook__emit_manifest_commit(const struct rhook__ev_manifest_commit *ev)
{
	EMIT_FIXED(manifest_commit, rhook__rec_emit_ordered, ev, ev->version, ev->cause, ev->result, ev->lock_wait_ns,
		   ev->lock_hold_ns, ev->persist_ns);
}

/* The file ids an event lists: at most RHOOK__EV_MAX_LISTED_IDS per list. */
struct id_lists {
	uint8_t ids[2 * RHOOK__EV_MAX_LISTED_IDS][16]; /* added, then removed */
	uint32_t listed[2];
	uint32_t total[2];
};

static void list_files(struct id_lists *l, int which, const struct rhook_file_meta *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (l->listed[which] < RHOOK__EV_MAX_LISTED_IDS)
			memcpy(l->ids[which * RHOOK__EV_MAX_LISTED_IDS + l->listed[which]++], files[i].file_id.bytes, 16);
		l->total[which]++;
	}
}

/*
 * "uuid,uuid,...", NUL-terminated, of list @which into @buf; "-" for an
 * empty list (RHOOK__EV_EMPTY_ID_LIST).
 */
static void format_ids(const struct id_lists *l, int which, char *buf)
{
	uint32_t len = 0;

	if (!l->listed[which]) {
		strcpy(buf, RHOOK__EV_EMPTY_ID_LIST);
		return;
	}

	for (uint32_t i = 0; i < l->listed[which]; i++) {
		rhook_file_id id;

		memcpy(id.bytes, l->ids[which * RHOOK__EV_MAX_LISTED_IDS + i], 16);
		if (i)
			buf[len++] = ',';
		rhook_file_id_format(&id, buf + len);
		len += RHOOK_FILE_ID_STRLEN - 1;
	}
	buf[len] = '\0';
}

void rhook__emit_manifest_updated(rhook_region_id region_id, uint64_t version, enum rhook_cause cause,
				  const struct rhook_action_list *actions)
{
	struct rhook__ev_manifest_updated ev = {
		.region_id = region_id,
		.version = version,
		.action_kinds = rhook_action_list_kinds(actions),
		.num_actions = (uint32_t)actions->num_actions,
		.cause = (uint8_t)cause,
	};
	struct id_lists l;

	l.listed[0] = l.listed[1] = l.total[0] = l.total[1] = 0;
	for (size_t i = 0; i < actions->num_actions; i++) {
		const struct rhook_action *a = &actions->actions[i];

		if (a->kind == RHOOK_ACTION_EDIT) {
			list_files(&l, 0, a->u.edit.files_to_add, a->u.edit.num_files_to_add);
			list_files(&l, 1, a->u.edit.files_to_remove, a->u.edit.num_files_to_remove);
			if (a->u.edit.has_flushed_entry_id)
				ev.flushed_entry_id = a->u.edit.flushed_entry_id;
			if (a->u.edit.has_flushed_sequence)
				ev.flushed_sequence = a->u.edit.flushed_sequence;
		} else if (a->kind == RHOOK_ACTION_TRUNCATE) {
			list_files(&l, 1, a->u.truncate.files, a->u.truncate.num_files);
		}
	}
	ev.num_files_added = l.total[0];
	ev.num_files_removed = l.total[1];

	if (lttng_ust_tracepoint_enabled(rhook, manifest_updated)) {
		char added[RHOOK__EV_MAX_LISTED_IDS * RHOOK_FILE_ID_STRLEN];
		char removed[RHOOK__EV_MAX_LISTED_IDS * RHOOK_FILE_ID_STRLEN];
		format_ids(&l, 0, added);
		format_ids(&l, 1, removed);
		lttng_ust_do_tracepoint(rhook, manifest_updated, &ev, added, removed);
	}
	if (rhook__rec_on()) {
		/* The tail: listed added ids, then listed removed ids, contiguous. */
		memmove(l.ids[l.listed[0]], l.ids[RHOOK__EV_MAX_LISTED_IDS], (size_t)l.listed[1] * 16);
		rhook__rec_emit_ordered(RHOOK__EV_manifest_updated, &ev, sizeof(ev), l.ids,
					(uint32_t)(l.listed[0] + l.listed[1]) * 16);
	}
	STAP_PROBEV(rhook, manifest_updated, ev.region_id, &ev, sizeof(ev), ev.version, ev.cause, ev.action_kinds,
		    ev.num_files_added, ev.num_files_removed);
}

void rhook__emit_hook_dispatch(rhook_region_id region_id, unsigned callback, uint32_t num_hooks,
			       uint64_t duration_ns)
{
	struct rhook__ev_hook_dispatch ev = {
		.region_id = region_id,
		.duration_ns = duration_ns,
		.num_hooks = num_hooks,
		.callback = (uint8_t)callback,
	};

	EMIT_FIXED(hook_dispatch, rhook__rec_emit, &ev, ev.callback, ev.num_hooks, ev.duration_ns);
}

uint64_t rhook_trace_flush_begin(rhook_region_id region_id, uint64_t rows, uint64_t bytes)
{
	struct rhook__ev_flush_begin ev = { .region_id = region_id, .rows = rows, .bytes = bytes };

	if (!rhook__ev_wanted(RHOOK__EV_flush_begin) && !rhook__ev_wanted(RHOOK__EV_flush_end))
		return 0;
	EMIT_FIXED(flush_begin, rhook__rec_emit, &ev, ev.rows, ev.bytes);
	return rhook__now_ns();
}

void rhook_trace_flush_end(uint64_t start, rhook_region_id region_id, uint64_t rows, uint64_t bytes,
			   uint32_t files, int status)
{
	struct rhook__ev_flush_end ev = {
		.region_id = region_id,
		.rows = rows,
		.bytes = bytes,
		.files = files,
		.status = status,
	};

	if (!rhook__ev_wanted(RHOOK__EV_flush_end))
		return;
	ev.duration_ns = start ? rhook__now_ns() - start : 0;
	EMIT_FIXED(flush_end, rhook__rec_emit, &ev, ev.rows, ev.bytes, ev.files, ev.status, ev.duration_ns);
}

uint64_t rhook_trace_compaction_begin(rhook_region_id region_id, uint32_t input_files, uint64_t bytes_in,
				      bool remote)
{
	struct rhook__ev_compaction_begin ev = {
		.region_id = region_id,
		.bytes_in = bytes_in,
		.input_files = input_files,
		.mode = remote,
	};

	if (!rhook__ev_wanted(RHOOK__EV_compaction_begin) && !rhook__ev_wanted(RHOOK__EV_compaction_end))
		return 0;
	EMIT_FIXED(compaction_begin, rhook__rec_emit, &ev, ev.input_files, ev.bytes_in, ev.mode);
	return rhook__now_ns();
}

void rhook_trace_compaction_end(uint64_t start, rhook_region_id region_id, uint32_t input_files,
				uint32_t output_files, uint64_t bytes_in, uint64_t bytes_out, bool remote, int status)
{
	struct rhook__ev_compaction_end ev = {
		.region_id = region_id,
		.bytes_in = bytes_in,
		.bytes_out = bytes_out,
		.input_files = input_files,
		.output_files = output_files,
		.status = status,
		.mode = remote,
	};

	if (!rhook__ev_wanted(RHOOK__EV_compaction_end))
		return;
	ev.duration_ns = start ? rhook__now_ns() - start : 0;
	EMIT_FIXED(compaction_end, rhook__rec_emit, &ev, ev.input_files, ev.output_files, ev.bytes_in, ev.bytes_out,
		   ev.mode, ev.status, ev.duration_ns);
}
