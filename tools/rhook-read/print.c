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

#include "schema.h"

/* Appends the listed ids [from, to) of @ev, separated by @sep. */
static void id_list(struct rhook__out *o, const struct rhook__rd_event *ev, unsigned from, unsigned to,
		    const char *sep, const char *open, const char *close)
{
	for (unsigned i = from; i < to; i++) {
		rhook__out_reserve(o);
		if (i > from)
			rhook__out_str(o, sep);
		rhook__out_str(o, open);
		rhook__out_uuid(o, ev->ids + (size_t)i * 16);
		rhook__out_str(o, close);
	}
}

/* A text id list as LTTng records it: comma-separated, "-" when empty (events.h). */
static void text_list(struct rhook__out *o, const struct rhook__rd_event *ev, unsigned from, unsigned to)
{
	if (from == to)
		RHOOK__OUT_LIT(o, RHOOK__EV_EMPTY_ID_LIST);
	id_list(o, ev, from, to, ",", "", "");
	rhook__out_reserve(o);
}

/* A field's value in text form; enumerations as labels. */
static void value_text(struct rhook__out *o, const struct rhook__field *f, const void *payload)
{
	uint64_t v;
	const char *label;

	if (f->kind == RHOOK__FK_UUID) {
		rhook__out_char(o, '"');
		rhook__out_uuid(o, (const uint8_t *)payload + f->offset);
		rhook__out_char(o, '"');
		return;
	}
	v = rhook__field_u64(f, payload);
	if (f->labels && (label = rhook__label(f->labels, v))) {
		rhook__out_str(o, label);
		return;
	}
	if (rhook__fkind_signed(f->kind))
		rhook__out_i64(o, (int64_t)v);
	else
		rhook__out_u64(o, v);
}

static void print_text(struct rhook__out *o, const struct rhook__rd_event *ev, const struct rhook__event_desc *d)
{
	rhook__out_reserve(o);
	rhook__out_char(o, '[');
	o->len += rhook__fmt_ts(o->buf + o->len, ev->ts);
	RHOOK__OUT_LIT(o, "] ");
	if (ev->proc->host[0]) {
		rhook__out_str(o, ev->proc->host);
		rhook__out_char(o, ' ');
	}
	rhook__out_str(o, d->full_name);
	RHOOK__OUT_LIT(o, ": { pid = ");
	rhook__out_u64(o, ev->proc->pid);
	RHOOK__OUT_LIT(o, ", tid = ");
	rhook__out_u64(o, ev->tid);
	RHOOK__OUT_LIT(o, " }, { ");
	for (uint32_t i = 0; i < d->num_fields; i++) {
		const struct rhook__field *f = &d->fields[i];

		if (i)
			RHOOK__OUT_LIT(o, ", ");
		rhook__out_str(o, f->name);
		RHOOK__OUT_LIT(o, " = ");
		value_text(o, f, ev->payload);
	}
	for (uint32_t k = 0, from = 0; k < d->num_lists; from += ev->list_len[k++]) {
		RHOOK__OUT_LIT(o, ", ");
		rhook__out_str(o, d->lists[k].name);
		RHOOK__OUT_LIT(o, " = \"");
		text_list(o, ev, from, from + ev->list_len[k]);
		rhook__out_char(o, '"');
	}
	RHOOK__OUT_LIT(o, " }\n");
}

static void print_json(struct rhook__out *o, const struct rhook__rd_event *ev, const struct rhook__event_desc *d)
{
	rhook__out_reserve(o);
	RHOOK__OUT_LIT(o, "{\"ts\":");
	rhook__out_u64(o, ev->ts);
	RHOOK__OUT_LIT(o, ",\"host\":");
	rhook__out_json_str(o, ev->proc->host);
	RHOOK__OUT_LIT(o, ",\"pid\":");
	rhook__out_u64(o, ev->proc->pid);
	RHOOK__OUT_LIT(o, ",\"tid\":");
	rhook__out_u64(o, ev->tid);
	RHOOK__OUT_LIT(o, ",\"event\":\"");
	rhook__out_str(o, d->full_name);
	rhook__out_char(o, '"');
	for (uint32_t i = 0; i < d->num_fields; i++) {
		const struct rhook__field *f = &d->fields[i];
		bool quote = f->labels && rhook__label(f->labels, rhook__field_u64(f, ev->payload));

		RHOOK__OUT_LIT(o, ",\"");
		rhook__out_str(o, f->name);
		RHOOK__OUT_LIT(o, "\":");
		if (quote)
			rhook__out_char(o, '"');
		value_text(o, f, ev->payload);
		if (quote)
			rhook__out_char(o, '"');
	}
	for (uint32_t k = 0, from = 0; k < d->num_lists; from += ev->list_len[k++]) {
		RHOOK__OUT_LIT(o, ",\"");
		rhook__out_str(o, d->lists[k].name);
		RHOOK__OUT_LIT(o, "\":[");
		id_list(o, ev, from, from + ev->list_len[k], ",", "\"", "\"");
		rhook__out_reserve(o);
		rhook__out_char(o, ']');
	}
	RHOOK__OUT_LIT(o, "}\n");
}

void rhook__print_event(struct rhook__out *o, const struct rhook__rd_event *ev, bool json)
{
	const struct rhook__event_desc *d = rhook__schema_event(ev->id);

	if (json)
		print_json(o, ev, d);
	else
		print_text(o, ev, d);
}
