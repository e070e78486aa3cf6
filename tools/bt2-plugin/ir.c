/*
 * ir.c - the trace IR of a recorder process: the classes babeltrace2's
 * source.ctf.fs makes of an LTTng-UST trace of rhook's provider
 * (lttshape.h), generated from the schema (schema.h), and the event
 * fields filled from decoded events.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reader/lttshape.h"
#include "reader/out.h"
#include "reader/schema.h"
#include "rhbt.h"

/* An unsigned or signed integer field class of @bits bits. */
static bt_field_class *int_class(bt_trace_class *tc, unsigned bits, bool is_signed)
{
	bt_field_class *fc = is_signed ? bt_field_class_integer_signed_create(tc)
				       : bt_field_class_integer_unsigned_create(tc);

	if (fc)
		bt_field_class_integer_set_field_value_range(fc, bits);
	return fc;
}

/* An unsigned enumeration of @bits bits with one mapping per label of @labels. */
static bt_field_class *enum_class(bt_trace_class *tc, unsigned bits, const struct rdr_labels *labels)
{
	bt_field_class *fc = bt_field_class_enumeration_unsigned_create(tc);

	if (!fc)
		return NULL;
	bt_field_class_integer_set_field_value_range(fc, bits);
	for (uint32_t v = 0; v < labels->count; v++) {
		bt_integer_range_set_unsigned *range = bt_integer_range_set_unsigned_create();
		bool ok = range && bt_integer_range_set_unsigned_add_range(range, v, v) ==
					   BT_INTEGER_RANGE_SET_ADD_RANGE_STATUS_OK &&
			  bt_field_class_enumeration_unsigned_add_mapping(fc, labels->labels[v], range) ==
				  BT_FIELD_CLASS_ENUMERATION_ADD_MAPPING_STATUS_OK;

		bt_integer_range_set_unsigned_put_ref(range);
		if (!ok) {
			bt_field_class_put_ref(fc);
			return NULL;
		}
	}
	return fc;
}

/* The field class of schema field @f: what source.ctf.fs makes of the provider's field. */
static bt_field_class *field_class(bt_trace_class *tc, const struct rdr_field *f)
{
	unsigned bits = rdr_fkind_size(f->kind) * 8;

	if (f->kind == RDR_FK_UUID)
		return bt_field_class_string_create(tc); /* a 36-character text array */
	if (f->labels)
		return enum_class(tc, bits, f->labels);
	return int_class(tc, bits, rdr_fkind_signed(f->kind));
}

/* Appends member @name of class @fc (NULL: creation failed) to @st, dropping our reference. */
static bool append(bt_field_class *st, const char *name, bt_field_class *fc)
{
	bool ok = fc && bt_field_class_structure_append_member(st, name, fc) ==
				BT_FIELD_CLASS_STRUCTURE_APPEND_MEMBER_STATUS_OK;

	bt_field_class_put_ref(fc);
	return ok;
}

static bt_event_class *event_class(bt_trace_class *tc, bt_stream_class *sc, const struct rdr_event_desc *d)
{
	bt_event_class *ec = bt_event_class_create_with_id(sc, rdr_lt_event_id(d->id));
	bt_field_class *payload = bt_field_class_structure_create(tc);
	bool ok = ec && payload && bt_event_class_set_name(ec, d->full_name) == BT_EVENT_CLASS_SET_NAME_STATUS_OK;

	for (uint32_t i = 0; ok && i < d->num_fields; i++)
		ok = append(payload, d->fields[i].name, field_class(tc, &d->fields[i]));
	/* The id lists after the fields, as the provider records them (events.h). */
	for (uint32_t k = 0; ok && k < d->num_lists; k++)
		ok = append(payload, d->lists[k].name, bt_field_class_string_create(tc));
	if (ok) {
		/* LTTng-UST's default log level: babeltrace2 shows "Debug (line)". */
		_Static_assert(RDR_LT_LOGLEVEL == BT_EVENT_CLASS_LOG_LEVEL_DEBUG_LINE, "log levels");
		bt_event_class_set_log_level(ec, BT_EVENT_CLASS_LOG_LEVEL_DEBUG_LINE);
		ok = bt_event_class_set_payload_field_class(ec, payload) ==
		     BT_EVENT_CLASS_SET_FIELD_CLASS_STATUS_OK;
	}
	bt_field_class_put_ref(payload);
	if (!ok) {
		bt_event_class_put_ref(ec);
		return NULL;
	}
	return ec;
}

/* LTTng's clock: CLOCK_MONOTONIC ns from an origin at the Unix epoch (lttshape.h). */
static bt_clock_class *clock_class(bt_self_component *self, const struct rdr_proc *p)
{
	bt_clock_class *cc = bt_clock_class_create(self);
	int64_t s;
	uint64_t ns;

	if (!cc)
		return NULL;
	if (bt_clock_class_set_name(cc, RDR_LT_CLOCK_NAME) != BT_CLOCK_CLASS_SET_NAME_STATUS_OK ||
	    bt_clock_class_set_description(cc, RDR_LT_CLOCK_DESCRIPTION) !=
		    BT_CLOCK_CLASS_SET_DESCRIPTION_STATUS_OK) {
		bt_clock_class_put_ref(cc);
		return NULL;
	}
	bt_clock_class_set_frequency(cc, 1000000000);
	bt_clock_class_set_precision(cc, 0);
	rdr_lt_clock_offset(p->clock_offset_ns, &s, &ns);
	bt_clock_class_set_offset(cc, s, ns);
	bt_clock_class_set_origin_is_unix_epoch(cc, BT_TRUE);
	if (p->has_boot_id)
		bt_clock_class_set_uuid(cc, p->boot_id);
	return cc;
}

/* The stream class: LTTng's packets, losses, packet context and common context. */
static int stream_class(bt_self_component *self, struct rhbt_trace *t)
{
	bt_clock_class *cc = clock_class(self, t->proc);
	bt_field_class *pctx = bt_field_class_structure_create(t->tc);
	bt_field_class *cctx = bt_field_class_structure_create(t->tc);
	bool ok;

	t->sc = bt_stream_class_create(t->tc);
	ok = cc && pctx && cctx && t->sc &&
	     bt_stream_class_set_default_clock_class(t->sc, cc) == BT_STREAM_CLASS_SET_DEFAULT_CLOCK_CLASS_STATUS_OK;
	if (ok) {
		bt_stream_class_set_assigns_automatic_event_class_id(t->sc, BT_FALSE);
		bt_stream_class_set_assigns_automatic_stream_id(t->sc, BT_FALSE);
		bt_stream_class_set_supports_packets(t->sc, BT_TRUE, BT_TRUE, BT_TRUE);
		bt_stream_class_set_supports_discarded_events(t->sc, BT_TRUE, BT_TRUE);
		bt_stream_class_set_supports_discarded_packets(t->sc, BT_TRUE, BT_TRUE);
		ok = append(pctx, "cpu_id", int_class(t->tc, 32, false)) &&
		     append(cctx, "vpid", int_class(t->tc, 32, true)) &&
		     append(cctx, "vtid", int_class(t->tc, 32, true)) &&
		     append(cctx, "procname", bt_field_class_string_create(t->tc)) &&
		     bt_stream_class_set_packet_context_field_class(t->sc, pctx) ==
			     BT_STREAM_CLASS_SET_FIELD_CLASS_STATUS_OK &&
		     bt_stream_class_set_event_common_context_field_class(t->sc, cctx) ==
			     BT_STREAM_CLASS_SET_FIELD_CLASS_STATUS_OK;
	}
	bt_clock_class_put_ref(cc);
	bt_field_class_put_ref(pctx);
	bt_field_class_put_ref(cctx);
	return ok ? 0 : -ENOMEM;
}

static int environment(struct rhbt_trace *t)
{
	const struct rdr_proc *p = t->proc;
	struct rdr_lt_env env;
	char name[256];

	rdr_lt_env(&env, p);
	/* As source.ctf.fs names an LTTng trace: its host, then the session. */
	snprintf(name, sizeof(name), "%s/%s", p->host[0] ? p->host : "host", env.trace_name);
	if (bt_trace_set_name(t->trace, name) != BT_TRACE_SET_NAME_STATUS_OK)
		return -ENOMEM;
	for (unsigned i = 0; i < env.n; i++) {
		const struct rdr_lt_env_entry *e = &env.e[i];

		if ((e->str ? bt_trace_set_environment_entry_string(t->trace, e->key, e->str)
			    : bt_trace_set_environment_entry_integer(t->trace, e->key, e->num)) !=
		    BT_TRACE_SET_ENVIRONMENT_ENTRY_STATUS_OK)
			return -ENOMEM;
	}
	return 0;
}

int rhbt_trace_init(bt_self_component *self, struct rhbt_trace *t, const struct rdr_proc *p)
{
	memset(t, 0, sizeof(*t));
	t->proc = p;
	t->tc = bt_trace_class_create(self);
	if (!t->tc || stream_class(self, t))
		return -ENOMEM;
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		const struct rdr_event_desc *d = rdr_schema_event(id);

		if (d && !(t->ec[id] = event_class(t->tc, t->sc, d)))
			return -ENOMEM;
	}
	t->trace = bt_trace_create(t->tc);
	if (!t->trace)
		return -ENOMEM;
	return environment(t);
}

void rhbt_trace_fini(struct rhbt_trace *t)
{
	for (unsigned id = 0; id <= RHW_EV_MAX_ID; id++)
		bt_event_class_put_ref(t->ec[id]);
	bt_trace_put_ref(t->trace);
	bt_stream_class_put_ref(t->sc);
	bt_trace_class_put_ref(t->tc);
	memset(t, 0, sizeof(*t));
}

int rhbt_stream_init(struct rhbt_stream *s, struct rhbt_trace *t, uint32_t buffer)
{
	char name[32];

	s->t = t;
	s->stream = bt_stream_create_with_id(t->sc, t->trace, buffer);
	if (!s->stream)
		return -ENOMEM;
	/* Named as LTTng names its stream files; sink.ctf.fs uses the name for the file. */
	snprintf(name, sizeof(name), RDR_LT_STREAM_PREFIX "%u", buffer);
	return bt_stream_set_name(s->stream, name) == BT_STREAM_SET_NAME_STATUS_OK ? 0 : -ENOMEM;
}

static bool set_string(bt_field *f, const char *s)
{
	return bt_field_string_set_value(f, s) == BT_FIELD_STRING_SET_VALUE_STATUS_OK;
}

int rhbt_event_fill(bt_event *event, const struct rhbt_trace *t, const struct rdr_event *ev)
{
	const struct rdr_event_desc *d = rdr_schema_event(ev->id);
	bt_field *ctx = bt_event_borrow_common_context_field(event);
	bt_field *payload = bt_event_borrow_payload_field(event);
	char text[RDR_LT_ID_LIST_MAX];

	bt_field_integer_signed_set_value(bt_field_structure_borrow_member_field_by_index(ctx, 0),
					  (int32_t)t->proc->pid);
	bt_field_integer_signed_set_value(bt_field_structure_borrow_member_field_by_index(ctx, 1), (int32_t)ev->tid);
	rdr_lt_procname(text, t->proc);
	if (!set_string(bt_field_structure_borrow_member_field_by_index(ctx, 2), text))
		return -ENOMEM;
	for (uint32_t i = 0; i < d->num_fields; i++) {
		const struct rdr_field *f = &d->fields[i];
		bt_field *m = bt_field_structure_borrow_member_field_by_index(payload, i);
		uint64_t v;

		if (f->kind == RDR_FK_UUID) {
			rdr_fmt_uuid(text, (const uint8_t *)ev->payload + f->offset);
			text[36] = '\0';
			if (!set_string(m, text))
				return -ENOMEM;
			continue;
		}
		v = rdr_field_u64(f, ev->payload);
		if (rdr_fkind_signed(f->kind))
			bt_field_integer_signed_set_value(m, (int64_t)v);
		else
			bt_field_integer_unsigned_set_value(m, v);
	}
	for (uint32_t k = 0, from = 0; k < d->num_lists; from += ev->list_len[k++]) {
		rdr_lt_id_list(text, ev->ids + (size_t)from * 16, ev->list_len[k]);
		if (!set_string(bt_field_structure_borrow_member_field_by_index(payload, d->num_fields + k), text))
			return -ENOMEM;
	}
	return 0;
}
