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

#include <stdio.h>
#include <stdlib.h>

#include "reader/schema.h"

/*
 * The constant text around each field, per event, built once: the
 * field's name and separators in text (", name = ") and in JSON
 * (",\"name\":"), and the event's head.  A piece is copied with one
 * fixed-size move (PIECE_COPY bytes, its pool padded after it) instead of
 * a strlen and a variable memcpy per field: that, and the numbers, are
 * what printing costs.
 */
#define PIECE_COPY 64u
#define PIECE_SLOT 128u /* pool bytes per piece: a name and its separators */

struct piece {
	const char *s;
	uint32_t len;
};

/* Every member of every payload, and every possible list, bounds the pieces. */
#define PIECE_MEMBER(kind, name, arg) +1
#define PIECE_EVENT(id, name, FIELDS) +(0 FIELDS(PIECE_MEMBER)) + RHW_EV_MAX_LISTS
enum { MAX_PIECES = 0 RHW_EVENTS(PIECE_EVENT) };
#undef PIECE_EVENT
#undef PIECE_MEMBER

struct event_pieces {
	struct piece head[2];     /* text: "rhook:name: { pid = "; JSON: ",\"event\":\"rhook:name\"" */
	const struct piece *item[2]; /* per field, then per list; [0] text, [1] JSON */
};

static struct {
	bool ready;
	struct event_pieces ev[RHW_EV_MAX_ID + 1];
	struct piece items[2][MAX_PIECES];
	/* Each piece's text, padded with PIECE_COPY bytes so every copy reads inside. */
	char pool[(2 * MAX_PIECES + 2 * (RHW_EV_MAX_ID + 1)) * PIECE_SLOT + PIECE_COPY];
	size_t used;
} pieces;

/* Adds a formatted piece to the pool (a slot each: the schema's names are short). */
static struct piece piece_new(const char *fmt, const char *a, const char *b)
{
	char *dst = pieces.pool + pieces.used;
	int n = snprintf(dst, PIECE_SLOT, fmt, a, b);

	if (n < 0 || (unsigned)n >= PIECE_SLOT)
		abort(); /* a name of the built-in schema longer than a slot: impossible */
	pieces.used += PIECE_SLOT;
	return (struct piece){ .s = dst, .len = (uint32_t)n };
}

/* Builds every event's pieces; single-threaded, like all of print (first call). */
static void pieces_init(void)
{
	size_t next = 0;

	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		const struct rdr_event_desc *d = rdr_schema_event(id);
		struct event_pieces *e = &pieces.ev[id];

		if (!d)
			continue;
		e->head[0] = piece_new("%s%s: { pid = ", d->full_name, "");
		e->head[1] = piece_new(",\"event\":\"%s%s\"", d->full_name, "");
		e->item[0] = &pieces.items[0][next];
		e->item[1] = &pieces.items[1][next];
		for (uint32_t i = 0; i < d->num_fields; i++, next++) {
			pieces.items[0][next] = piece_new("%s%s = ", i ? ", " : "", d->fields[i].name);
			pieces.items[1][next] = piece_new(",\"%s%s\":", d->fields[i].name, "");
		}
		for (uint32_t k = 0; k < d->num_lists; k++, next++) {
			pieces.items[0][next] = piece_new(", %s%s = \"", d->lists[k].name, "");
			pieces.items[1][next] = piece_new(",\"%s%s\":[", d->lists[k].name, "");
		}
	}
	pieces.ready = true;
}

/* Appends @p; the caller reserved room (rdr_out_reserve: more than PIECE_COPY). */
static inline void put(struct rdr_out *o, const struct piece *p)
{
	if (p->len > PIECE_COPY) {
		rdr_out_mem(o, p->s, p->len);
		return;
	}
	memcpy(o->buf + o->len, p->s, PIECE_COPY);
	o->len += p->len;
}

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
	if (f->kind == RDR_FK_I32 || f->kind == RDR_FK_I64)
		rdr_out_i64(o, (int64_t)v);
	else
		rdr_out_u64(o, v);
}

static void print_text(struct rdr_out *o, const struct rdr_event *ev, const struct rdr_event_desc *d)
{
	const struct event_pieces *e = &pieces.ev[d->id];

	rdr_out_reserve(o);
	rdr_out_char(o, '[');
	o->len += rdr_fmt_ts(o->buf + o->len, ev->ts);
	RDR_OUT_LIT(o, "] ");
	if (ev->proc->host[0]) {
		rdr_out_str(o, ev->proc->host);
		rdr_out_char(o, ' ');
	}
	put(o, &e->head[0]);
	rdr_out_u64(o, ev->proc->pid);
	RDR_OUT_LIT(o, ", tid = ");
	rdr_out_u64(o, ev->tid);
	RDR_OUT_LIT(o, " }, { ");
	for (uint32_t i = 0; i < d->num_fields; i++) {
		rdr_out_reserve(o);
		put(o, &e->item[0][i]);
		value_text(o, &d->fields[i], ev->payload);
	}
	for (uint32_t k = 0, from = 0; k < d->num_lists; from += ev->list_len[k++]) {
		rdr_out_reserve(o);
		put(o, &e->item[0][d->num_fields + k]);
		text_list(o, ev, from, from + ev->list_len[k]);
		rdr_out_char(o, '"');
	}
	RDR_OUT_LIT(o, " }\n");
}

static void print_json(struct rdr_out *o, const struct rdr_event *ev, const struct rdr_event_desc *d)
{
	const struct event_pieces *e = &pieces.ev[d->id];

	rdr_out_reserve(o);
	RDR_OUT_LIT(o, "{\"ts\":");
	rdr_out_u64(o, ev->ts);
	RDR_OUT_LIT(o, ",\"host\":");
	rdr_out_json_str(o, ev->proc->host);
	RDR_OUT_LIT(o, ",\"pid\":");
	rdr_out_u64(o, ev->proc->pid);
	RDR_OUT_LIT(o, ",\"tid\":");
	rdr_out_u64(o, ev->tid);
	put(o, &e->head[1]);
	for (uint32_t i = 0; i < d->num_fields; i++) {
		const struct rdr_field *f = &d->fields[i];
		bool quote = f->labels && rdr_label(f->labels, rdr_field_u64(f, ev->payload));

		rdr_out_reserve(o);
		put(o, &e->item[1][i]);
		if (quote)
			rdr_out_char(o, '"');
		value_text(o, f, ev->payload);
		if (quote)
			rdr_out_char(o, '"');
	}
	for (uint32_t k = 0, from = 0; k < d->num_lists; from += ev->list_len[k++]) {
		rdr_out_reserve(o);
		put(o, &e->item[1][d->num_fields + k]);
		id_list(o, ev, from, from + ev->list_len[k], ",", "\"", "\"");
		rdr_out_reserve(o);
		rdr_out_char(o, ']');
	}
	RDR_OUT_LIT(o, "}\n");
}

void rdr_print_event(struct rdr_out *o, const struct rdr_event *ev, bool json)
{
	const struct rdr_event_desc *d = rdr_schema_event(ev->id);

	if (!pieces.ready)
		pieces_init();
	if (json)
		print_json(o, ev, d);
	else
		print_text(o, ev, d);
}
