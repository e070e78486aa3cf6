/*
 * emit.c - builds each event's payload once and hands it to LTTng-UST, to
 * the flight recorder and to the USDT probe.  The emitters of the events
 * are generated from the schema (events.h); the functions after them
 * fill an event at its site.  Nothing is built unless a consumer wants it.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rhook/trace.h>

#include "base/internal.h"
#include "emit.h"
#include "trigger.h"

/* The recorder's write path, inlined into the emitters below. */
#include "recorder/emit_inline.h"

/* The USDT semaphores, in the section perf, bpftrace and systemtap patch. */
#define RHOOK__USDT_SEMAPHORE_DEF(num, name, FIELDS) \
	__attribute__((section(".probes"))) volatile unsigned short rhook_##name##_semaphore;
RHW_EVENTS(RHOOK__USDT_SEMAPHORE_DEF)
#undef RHOOK__USDT_SEMAPHORE_DEF

/* The text LTTng records for a file id: 36 characters and a NUL. */
static void format_uuid(const uint8_t bytes[16], char out[RHOOK_FILE_ID_STRLEN])
{
	rhook_file_id id;

	memcpy(id.bytes, bytes, sizeof(id.bytes));
	rhook_file_id_format(&id, out);
}

/* "uuid,uuid,...", NUL-terminated, of the listed ids of @l; "-" for an empty list (events.h). */
static void format_ids(const struct rhook__id_list *l, char *buf)
{
	uint32_t len = 0;

	if (!l->listed) {
		strcpy(buf, RHW_EV_EMPTY_ID_LIST);
		return;
	}
	for (uint32_t i = 0; i < l->listed; i++) {
		if (i)
			buf[len++] = ',';
		format_uuid(l->ids[i], buf + len);
		len += RHOOK_FILE_ID_STRLEN - 1;
	}
	buf[len] = '\0';
}

/*
 * Per kind of field, what each consumer does with it: the text of the
 * LTTng tracepoint (TP_TEXT), the USDT probe's slots (USDT).
 */
#define NOTHING(name, arg)
#define TP_TEXT_U8 NOTHING
#define TP_TEXT_U32 NOTHING
#define TP_TEXT_I32 NOTHING
#define TP_TEXT_U64 NOTHING
#define TP_TEXT_I64 NOTHING
#define TP_TEXT_E8 NOTHING
#define TP_TEXT_E32 NOTHING
#define TP_TEXT_PAD NOTHING
#define TP_TEXT_UUID(name, arg) format_uuid(e->p.name, tp.name);
#define TP_TEXT_IDS(name, arg) format_ids(&e->name, tp.name);
#define TP_TEXT(kind, name, arg) TP_TEXT_##kind(name, arg)

/* Every integer field but region_id (offset 0: the probe's first argument). */
#define USDT_INT(member)                                                                     \
	if (offsetof(__typeof__(e->p), member) && n < RHOOK__USDT_SLOTS)                     \
		v[n++] = (uint64_t)e->p.member;
#define USDT_U8(name, arg) USDT_INT(name)
#define USDT_U32(name, arg) USDT_INT(name)
#define USDT_I32(name, arg) USDT_INT(name)
#define USDT_U64(name, arg) USDT_INT(name)
#define USDT_I64(name, arg) USDT_INT(name)
#define USDT_E8(name, arg) USDT_INT(name)
#define USDT_E32(name, arg) USDT_INT(name)
#define USDT_IDS(name, arg) USDT_INT(arg)
#define USDT_UUID NOTHING
#define USDT_PAD NOTHING
#define USDT(kind, name, arg) USDT_##kind(name, arg)

/*
 * Packs the listed ids of @lists (NULL-terminated, table order) into
 * @tail, list after list (recorder_format.h); returns their bytes.
 */
static uint32_t rhook__ev_pack_lists(uint8_t *tail, const struct rhook__id_list *const *lists);

/*
 * The recorder's emitter for event @id (a constant): ordered timestamp or
 * not (events.h), chosen at compile time, so that even at -O0 an emitter
 * holds only the read its event asks for (tests/unit/recorder_tsc_order.c).
 */
#define RHOOK__EV_REC_EMIT(id, ...) \
	__builtin_choose_expr(RHW_EV_ORDERED(id), rhook__rec_emit_ordered(id, __VA_ARGS__), rhook__rec_emit(id, __VA_ARGS__))

/*
 * rhook__ev_emit_<name>(): emits event @e to every consumer that wants
 * it, after setting the count field of each id list from the list.  The
 * checks are inline; what each consumer does is out of line (emit.c):
 * the LTTng tracepoint with the text of its file ids, the recorder's
 * record (with its tail of listed ids when the event has lists), the USDT
 * probe.  Generated for every event; inlined even at -O0, as the
 * recorder's fast path is, so that each rhook__emit_<name>() holds its own
 * timestamp read.
 */
#define RHOOK__EV_EMIT_DEF(id, name, FIELDS)                                                       \
	void rhook__ev_tp_##name(const struct rhook__event_##name *e);                             \
	void rhook__ev_usdt_##name(const struct rhook__event_##name *e);                           \
	RHOOK__EMIT_INLINE void rhook__ev_emit_##name(struct rhook__event_##name *e)               \
	{                                                                                          \
		FIELDS(RHOOK__EV_COUNT)                                                            \
		if (lttng_ust_tracepoint_enabled(rhook, name))                                     \
			rhook__ev_tp_##name(e);                                                    \
		if (rhook__rec_on()) {                                                             \
			const struct rhook__id_list *lists[] = { FIELDS(RHOOK__EV_LIST_PTR) NULL }; \
                                                                                                   \
			if (lists[0]) {                                                            \
				uint8_t tail[RHW_EV_MAX_LISTS * RHW_EV_MAX_LISTED_IDS * 16]; \
				uint32_t n = rhook__ev_pack_lists(tail, lists);                    \
                                                                                                   \
				RHOOK__EV_REC_EMIT(RHW_EV_##name, &e->p, sizeof(e->p), n ? tail : NULL, n); \
			} else {                                                                   \
				RHOOK__EV_REC_EMIT(RHW_EV_##name, &e->p, sizeof(e->p), NULL, 0); \
			}                                                                          \
		}                                                                                  \
		if (rhook_##name##_semaphore)                                                      \
			rhook__ev_usdt_##name(e);                                                  \
	}
RHW_EVENTS(RHOOK__EV_EMIT_DEF)
#undef RHOOK__EV_EMIT_DEF

static uint32_t rhook__ev_pack_lists(uint8_t *tail, const struct rhook__id_list *const *lists)
{
	uint32_t n = 0;

	for (; *lists; lists++) {
		memcpy(tail + n, (*lists)->ids, (size_t)(*lists)->listed * 16);
		n += (*lists)->listed * 16;
	}
	return n;
}

/*
 * What the inline emitters (emit.h) call for each consumer.  Out of line,
 * so that the stack holds one consumer's buffers at a time (LTTng's text
 * of two full id lists is 4.7 KiB, the recorder's tail 2 KiB).
 */
#define EMIT_DEF(id, name, FIELDS)                                                                   \
	void rhook__ev_tp_##name(const struct rhook__event_##name *e)                                \
	{                                                                                            \
		struct rhook__tp_##name tp;                                                          \
                                                                                                     \
		tp.ev = &e->p;                                                                       \
		FIELDS(TP_TEXT)                                                                      \
		lttng_ust_do_tracepoint(rhook, name, &tp);                                           \
	}                                                                                            \
	void rhook__ev_usdt_##name(const struct rhook__event_##name *e)                              \
	{                                                                                            \
		uint64_t v[RHOOK__USDT_SLOTS] = { 0 };                                               \
		unsigned n = 0;                                                                      \
                                                                                                     \
		FIELDS(USDT)                                                                         \
		STAP_PROBEV(rhook, name, e->p.region_id, &e->p, sizeof(e->p), v[0], v[1], v[2], v[3], \
			    v[4], v[5], v[6], v[7], v[8]);                                           \
	}
RHW_EVENTS(EMIT_DEF)
#undef EMIT_DEF

void rhook__emit_sst_file_written(rhook_region_id region_id, const struct rhook_file_meta *fm,
				  enum rhook_origin origin)
{
	struct rhook__event_sst_file_written e = { .p = {
		.region_id = region_id,
		.job_id = rhook__job_id,
		.time_start = fm->time_range.start,
		.time_end = fm->time_range.end,
		.file_size = fm->file_size,
		.num_rows = fm->num_rows,
		.num_row_groups = fm->num_row_groups,
		.index_file_size = fm->index_file_size,
		.level = fm->level,
		.time_unit = (uint8_t)fm->time_range.unit,
		.origin = (uint8_t)origin,
	} };

	memcpy(e.p.file_id, fm->file_id.bytes, sizeof(e.p.file_id));
	rhook__ev_emit_sst_file_written(&e);
}

void rhook__emit_sst_file_removed(rhook_region_id region_id, const struct rhook_removed_file *f,
				  enum rhook_remove_reason reason)
{
	struct rhook__event_sst_file_removed e = { .p = {
		.region_id = region_id,
		.file_size = f->file_size,
		.index_file_size = f->index_file_size,
		.num_rows = f->num_rows,
		.removed_version = f->removed_version,
		.level = f->level,
		.reason = (uint8_t)reason,
	} };

	memcpy(e.p.file_id, f->file_id.bytes, sizeof(e.p.file_id));
	rhook__ev_emit_sst_file_removed(&e);
}

void rhook__emit_manifest_commit(const struct rhw_ev_manifest_commit *ev)
{
	struct rhook__event_manifest_commit e = { .p = *ev };

	rhook__ev_emit_manifest_commit(&e);
	/* A snapshot trigger names this event (trigger.h): evaluated here, after it. */
	if (RHOOK_UNLIKELY(rhook__trig_watching(RHW_EV_manifest_commit)))
		rhook__trig_commit(&e.p);
}

static void list_files(struct rhook__id_list *l, const struct rhook_file_meta *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rhook__id_list_add(l, files[i].file_id.bytes);
}

void rhook__emit_manifest_updated(rhook_region_id region_id, uint64_t job_id, uint64_t version, enum rhook_cause cause,
				  const struct rhook_action_list *actions)
{
	struct rhook__event_manifest_updated e;

	/*
	 * Not zero-initialized as a whole: the lists' 2 KiB of ids would be
	 * cleared for every event; only their first @listed ids are ever read.
	 */
	e.p = (struct rhw_ev_manifest_updated){
		.region_id = region_id,
		.job_id = job_id,
		.version = version,
		.action_kinds = rhook_action_list_kinds(actions),
		.num_actions = (uint32_t)actions->num_actions,
		.cause = (uint8_t)cause,
	};
	rhook__id_list_init(&e.files_added);
	rhook__id_list_init(&e.files_removed);

	for (size_t i = 0; i < actions->num_actions; i++) {
		const struct rhook_action *a = &actions->actions[i];

		if (a->kind == RHOOK_ACTION_EDIT) {
			list_files(&e.files_added, a->u.edit.files_to_add, a->u.edit.num_files_to_add);
			list_files(&e.files_removed, a->u.edit.files_to_remove, a->u.edit.num_files_to_remove);
			if (a->u.edit.has_flushed_entry_id)
				e.p.flushed_entry_id = a->u.edit.flushed_entry_id;
			if (a->u.edit.has_flushed_sequence)
				e.p.flushed_sequence = a->u.edit.flushed_sequence;
		} else if (a->kind == RHOOK_ACTION_TRUNCATE) {
			list_files(&e.files_removed, a->u.truncate.files, a->u.truncate.num_files);
		}
	}
	rhook__ev_emit_manifest_updated(&e);
}

void rhook__emit_hook_dispatch(rhook_region_id region_id, unsigned callback, uint32_t num_hooks,
			       uint64_t duration_ns)
{
	struct rhook__event_hook_dispatch e = { .p = {
		.region_id = region_id,
		.duration_ns = duration_ns,
		.num_hooks = num_hooks,
		.callback = (uint8_t)callback,
	} };

	rhook__ev_emit_hook_dispatch(&e);
	if (RHOOK_UNLIKELY(rhook__trig_watching(RHW_EV_hook_dispatch)))
		rhook__trig_dispatch(&e.p);
}

void rhook__emit_snapshot_trigger(const struct rhw_ev_snapshot_trigger *ev)
{
	struct rhook__event_snapshot_trigger e = { .p = *ev };

	rhook__ev_emit_snapshot_trigger(&e);
}

uint64_t rhook_trace_flush_begin(rhook_region_id region_id, uint64_t rows, uint64_t bytes)
{
	struct rhook__event_flush_begin e = { .p = { .region_id = region_id, .job_id = rhook__job_id, .rows = rows,
						     .bytes = bytes } };

	if (!rhook__ev_wanted(RHW_EV_flush_begin) && !rhook__ev_wanted(RHW_EV_flush_end))
		return 0;
	rhook__ev_emit_flush_begin(&e);
	return rhook__now_ns();
}

void rhook_trace_flush_end(uint64_t start, rhook_region_id region_id, uint64_t rows, uint64_t bytes,
			   uint32_t files, int status)
{
	struct rhook__event_flush_end e = { .p = {
		.region_id = region_id,
		.job_id = rhook__job_id,
		.rows = rows,
		.bytes = bytes,
		.files = files,
		.status = status,
	} };

	if (!rhook__ev_wanted(RHW_EV_flush_end))
		return;
	e.p.duration_ns = start ? rhook__now_ns() - start : 0;
	rhook__ev_emit_flush_end(&e);
}

uint64_t rhook_trace_compaction_begin_inputs(rhook_region_id region_id, const rhook_file_id *inputs,
					     uint32_t input_files, uint64_t bytes_in, bool remote)
{
	struct rhook__event_compaction_begin e;

	if (!rhook__ev_wanted(RHW_EV_compaction_begin) && !rhook__ev_wanted(RHW_EV_compaction_end))
		return 0;
	/* Not zero-initialized as a whole (see rhook__emit_manifest_updated()). */
	e.p = (struct rhw_ev_compaction_begin){
		.region_id = region_id,
		.job_id = rhook__job_id,
		.bytes_in = bytes_in,
		.input_files = input_files,
		.mode = remote,
	};
	rhook__id_list_init(&e.inputs);
	/* Without ids (the older call) num_inputs is 0; input_files counts them all the same. */
	for (uint32_t i = 0; inputs && i < input_files; i++)
		rhook__id_list_add(&e.inputs, inputs[i].bytes);
	rhook__ev_emit_compaction_begin(&e);
	return rhook__now_ns();
}

uint64_t rhook_trace_compaction_begin(rhook_region_id region_id, uint32_t input_files, uint64_t bytes_in,
				      bool remote)
{
	return rhook_trace_compaction_begin_inputs(region_id, NULL, input_files, bytes_in, remote);
}

void rhook_trace_compaction_end(uint64_t start, rhook_region_id region_id, uint32_t input_files,
				uint32_t output_files, uint64_t bytes_in, uint64_t bytes_out, bool remote, int status)
{
	struct rhook__event_compaction_end e = { .p = {
		.region_id = region_id,
		.job_id = rhook__job_id,
		.bytes_in = bytes_in,
		.bytes_out = bytes_out,
		.input_files = input_files,
		.output_files = output_files,
		.status = status,
		.mode = remote,
	} };

	if (!rhook__ev_wanted(RHW_EV_compaction_end))
		return;
	e.p.duration_ns = start ? rhook__now_ns() - start : 0;
	rhook__ev_emit_compaction_end(&e);
}
