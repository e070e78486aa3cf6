/*
 * print.c - one line per event, as text or JSON (rhook-read print).
 *
 * The text form follows babeltrace2's (`--clock-seconds --no-delta`), so
 * that the same parser reads both and the lines compare field by field:
 *
 *   [1700000000.123456789] host rhook:flush_begin: { pid = 7, tid = 8 }, { region_id = 1, rows = 2, bytes = 3 }
 *
 * Enumerations print as their label, file ids as quoted UUIDs, and id
 * lists (after the fields) as quoted comma-separated UUIDs, which is what
 * the LTTng provider records.
 */
#include "print.h"

#include "reader/schema.h"

/* Appends the listed ids [from, to) of @ev, separated by @sep. */
static void id_list(struct rdr_out *o, const struct rdr_event *ev, unsigned from, unsigned to,
		    const char *sep, const char *open, const char *close)
{
	for (unsigned i = from; i < to; i++) {
		rdr_out_reserve(o);
		if (i > from)
			rdr_out_str(o, sep);
		rdr_out_str(o, open);
		rdr_out_uuid(o, ev->ids + (size_t)i * 16);
		rdr_out_str(o, close);
	}
}

/* A text id list as LTTng records it: comma-separated, "-" when empty (events.h). */
static void text_list(struct rdr_out *o, const struct rdr_event *ev, unsigned from, unsigned to)
{
	if (from == to)
		RDR_OUT_LIT(o, RHW_EV_EMPTY_ID_LIST);
	id_list(o, ev, from, to, ",", "", "");
	rdr_out_reserve(o);
}

/* A field's value in text form; enumerations as labels. */
static void value_text(struct rdr_out *o, const struct rdr_field *f, const void *payload)
{
	uint64_t v;
	const char *label;

	if (f->kind == RDR_FK_UUID) {
		rdr_out_char(o, '"');
		rdr_out_uuid(o, (const uint8_t *)payload + f->offset);
		rdr_out_char(o, '"');
		return;
	}
	v = rdr_field_u64(f, payload);
	if (f->labels && (label = rdr_label(f->labels, v))) {
		rdr_out_str(o, label);
		return;
	}
	if (rdr_fkind_signed(f->kind))
		rdr_out_i64(o, (int64_t)v);
	else
		rdr_out_u64(o, v);
}

static void print_text(struct rdr_out *o, const struct rdr_event *ev, const struct rdr_event_desc *d)
{
	rdr_out_reserve(o);
	rdr_out_char(o, '[');
	o->len += rdr_fmt_ts(o->buf + o->len, ev->ts);
	RDR_OUT_LIT(o, "] ");
	if (ev->proc->host[0]) {
		rdr_out_str(o, ev->proc->host);
		rdr_out_char(o, ' ');
	}
	rdr_out_str(o, d->full_name);
	RDR_OUT_LIT(o, ": { pid = ");
	rdr_out_u64(o, ev->proc->pid);
	RDR_OUT_LIT(o, ", tid = ");
	rdr_out_u64(o, ev->tid);
	RDR_OUT_LIT(o, " }, { ");
	for (uint32_t i = 0; i < d->num_fields; i++) {
		const struct rdr_field *f = &d->fields[i];

		if (i)
			RDR_OUT_LIT(o, ", ");
		rdr_out_str(o, f->name);
		RDR_OUT_LIT(o, " = ");
		value_text(o, f, ev->payload);
	}
	for (uint32_t k = 0, from = 0; k < d->num_lists; from += ev->list_len[k++]) {
		RDR_OUT_LIT(o, ", ");
		rdr_out_str(o, d->lists[k].name);
		RDR_OUT_LIT(o, " = \"");
		text_list(o, ev, from, from + ev->list_len[k]);
		rdr_out_char(o, '"');
	}
	RDR_OUT_LIT(o, " }\n");
}

static void print_json(struct rdr_out *o, const struct rdr_event *ev, const struct rdr_event_desc *d)
{
	rdr_out_reserve(o);
	RDR_OUT_LIT(o, "{\"ts\":");
	rdr_out_u64(o, ev->ts);
	RDR_OUT_LIT(o, ",\"host\":");
	rdr_out_json_str(o, ev->proc->host);
	RDR_OUT_LIT(o, ",\"pid\":");
	rdr_out_u64(o, ev->proc->pid);
	RDR_OUT_LIT(o, ",\"tid\":");
	rdr_out_u64(o, ev->tid);
	RDR_OUT_LIT(o, ",\"event\":\"");
	rdr_out_str(o, d->full_name);
	rdr_out_char(o, '"');
	for (uint32_t i = 0; i < d->num_fields; i++) {
		const struct rdr_field *f = &d->fields[i];
		bool quote = f->labels && rdr_label(f->labels, rdr_field_u64(f, ev->payload));

		RDR_OUT_LIT(o, ",\"");
		rdr_out_str(o, f->name);
		RDR_OUT_LIT(o, "\":");
		if (quote)
			rdr_out_char(o, '"');
		value_text(o, f, ev->payload);
		if (quote)
			rdr_out_char(o, '"');
	}
	for (uint32_t k = 0, from = 0; k < d->num_lists; from += ev->list_len[k++]) {
		RDR_OUT_LIT(o, ",\"");
		rdr_out_str(o, d->lists[k].name);
		RDR_OUT_LIT(o, "\":[");
		id_list(o, ev, from, from + ev->list_len[k], ",", "\"", "\"");
		rdr_out_reserve(o);
		rdr_out_char(o, ']');
	}
	RDR_OUT_LIT(o, "}\n");
}

void rdr_print_event(struct rdr_out *o, const struct rdr_event *ev, bool json)
{
	const struct rdr_event_desc *d = rdr_schema_event(ev->id);

	if (json)
		print_json(o, ev, d);
	else
		print_text(o, ev, d);
}
