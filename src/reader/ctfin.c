/*
 * ctfin.c - CTF input through libbabeltrace2 (see ctfin.h).
 */
#include "ctfin.h"

#include <babeltrace2/babeltrace.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "lttshape.h"
#include "schema.h"

#define MAX_FIELDS 32
#define MAX_CLASSES 256

#define PAYLOAD_MEMBER(id, name, FIELDS) struct rhw_ev_##name name;
union payload {
	RHW_EVENTS(PAYLOAD_MEMBER)
};

/* How the members of one event class map onto the schema; built at first sight. */
struct evclass {
	const bt_event_class *cls;
	const struct rdr_event_desc *desc; /* NULL: not an rhook event */
	int16_t member[MAX_FIELDS];           /* payload member per schema field, -1: absent */
	int16_t lists[RHW_EV_MAX_LISTS];   /* members of the id lists */
	int16_t ctx_pid, ctx_tid;             /* common context members */
};

/* A decoded event waiting in the queue; pointers are set when it is handed out. */
struct qent {
	union payload payload;
	struct rdr_event ev;
	size_t ids_off;
};

/* A process of a CTF trace, keyed by (trace, pid). */
struct tproc {
	const bt_trace *trace;
	uint64_t pid;
	struct rdr_proc *proc;
};

struct rdr_ctfin {
	struct rdr_stream s; /* first: handed out as this */
	struct rdr_reader *reader;
	char dir[256];
	bt_graph *graph;
	const bt_plugin *ctf_plugin, *utils_plugin;
	bt_message_iterator *it;
	bool ended;
	struct evclass classes[MAX_CLASSES];
	unsigned num_classes;
	struct tproc *procs;
	size_t num_procs, cap_procs;
	const bt_trace *lossy_traces[16]; /* traces that reported discarded events */
	unsigned num_lossy;
	struct qent *q;
	size_t q_len, q_head, q_cap;
	uint8_t *ids;
	size_t ids_len, ids_cap;
	int err;
	char errmsg[512];
	char errfull[800];
};

static void set_error(struct rdr_ctfin *c, int err, const char *fmt, ...)
{
	va_list ap;

	if (c->err)
		return;
	c->err = err;
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
}

/* Appends libbabeltrace2's own error causes (innermost first) to c->errmsg. */
static void take_bt_error(struct rdr_ctfin *c)
{
	const bt_error *e = bt_current_thread_take_error();
	size_t len = strlen(c->errmsg);

	if (!e)
		return;
	for (uint64_t i = bt_error_get_cause_count(e); i-- > 0 && len + 4 < sizeof(c->errmsg);) {
		const char *m = bt_error_cause_get_message(bt_error_borrow_cause_by_index(e, i));

		len += (size_t)snprintf(c->errmsg + len, sizeof(c->errmsg) - len, "%s%s", len ? ": " : "", m);
	}
	bt_error_release(e);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Parses a 36-character UUID at @s; false if malformed. */
static bool parse_uuid(const char *s, size_t len, uint8_t out[16])
{
	size_t j = 0;

	if (len < 36)
		return false;
	for (int i = 0; i < 16; i++) {
		int hi, lo;

		if (j == 8 || j == 13 || j == 18 || j == 23) {
			if (s[j] != '-')
				return false;
			j++;
		}
		hi = hexval(s[j]);
		lo = hexval(s[j + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
		j += 2;
	}
	return true;
}

static int16_t member_index(const bt_field_class *st, const char *name)
{
	uint64_t n;

	if (!st || bt_field_class_get_type(st) != BT_FIELD_CLASS_TYPE_STRUCTURE)
		return -1;
	n = bt_field_class_structure_get_member_count(st);
	for (uint64_t i = 0; i < n && i < INT16_MAX; i++) {
		const bt_field_class_structure_member *m = bt_field_class_structure_borrow_member_by_index_const(st, i);

		if (!strcmp(bt_field_class_structure_member_get_name(m), name))
			return (int16_t)i;
	}
	return -1;
}

static const struct evclass *lookup_class(struct rdr_ctfin *c, const bt_event_class *cls)
{
	const bt_field_class *payload, *ctx;
	const char *name;
	struct evclass *e;

	for (unsigned i = 0; i < c->num_classes; i++)
		if (c->classes[i].cls == cls)
			return &c->classes[i];
	if (c->num_classes == MAX_CLASSES) {
		set_error(c, -E2BIG, "more than %d event classes", MAX_CLASSES);
		return NULL;
	}
	e = &c->classes[c->num_classes++];
	memset(e, 0, sizeof(*e));
	e->cls = cls;
	name = bt_event_class_get_name(cls);
	e->desc = name && !strncmp(name, "rhook:", 6) ? rdr_schema_event_by_name(name) : NULL;
	if (!e->desc)
		return e;
	if (e->desc->num_fields > MAX_FIELDS) {
		set_error(c, -E2BIG, "event %s has too many fields", name);
		return NULL;
	}
	payload = bt_event_class_borrow_payload_field_class_const(cls);
	for (uint32_t i = 0; i < e->desc->num_fields; i++)
		e->member[i] = member_index(payload, e->desc->fields[i].name);
	for (uint32_t k = 0; k < e->desc->num_lists; k++)
		e->lists[k] = member_index(payload, e->desc->lists[k].name);
	ctx = bt_stream_class_borrow_event_common_context_field_class_const(
		bt_event_class_borrow_stream_class_const(cls));
	e->ctx_pid = member_index(ctx, "vpid");
	if (e->ctx_pid < 0)
		e->ctx_pid = member_index(ctx, "pid");
	e->ctx_tid = member_index(ctx, "vtid");
	if (e->ctx_tid < 0)
		e->ctx_tid = member_index(ctx, "tid");
	return e;
}

static uint64_t int_value(const bt_field *f)
{
	bt_field_class_type t = bt_field_get_class_type(f);

	if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER))
		return bt_field_integer_unsigned_get_value(f);
	if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER))
		return (uint64_t)bt_field_integer_signed_get_value(f);
	return 0;
}

static const bt_field *member(const bt_field *st, int16_t i)
{
	return st && i >= 0 ? bt_field_structure_borrow_member_field_by_index_const(st, (uint64_t)i) : NULL;
}

static const char *string_value(const bt_field *f)
{
	return f && bt_field_get_class_type(f) == BT_FIELD_CLASS_TYPE_STRING ? bt_field_string_get_value(f) : NULL;
}

static const bt_value *env_entry(const bt_trace *t, const char *name)
{
	return bt_trace_borrow_environment_entry_value_by_name_const(t, name);
}

static int64_t env_int(const bt_trace *t, const char *name)
{
	const bt_value *v = env_entry(t, name);

	return v && bt_value_get_type(v) == BT_VALUE_TYPE_SIGNED_INTEGER ? bt_value_integer_signed_get(v) : 0;
}

static void env_str(const bt_trace *t, const char *name, char *out, size_t size)
{
	const bt_value *v = env_entry(t, name);

	if (v && bt_value_get_type(v) == BT_VALUE_TYPE_STRING)
		snprintf(out, size, "%s", bt_value_string_get(v));
}

static bool trace_lossy(const struct rdr_ctfin *c, const bt_trace *t)
{
	for (unsigned i = 0; i < c->num_lossy; i++)
		if (c->lossy_traces[i] == t)
			return true;
	return false;
}

/* Clock offset of @cc in ns from its origin. */
static int64_t clock_offset_ns(const bt_clock_class *cc)
{
	uint64_t freq = bt_clock_class_get_frequency(cc), cycles;
	int64_t seconds;

	bt_clock_class_get_offset(cc, &seconds, &cycles);
	return seconds * 1000000000 + (int64_t)(cycles / freq * 1000000000u + cycles % freq * 1000000000u / freq);
}

/*
 * The process of (@t, @pid).  @cc (may be NULL) gives its clock.  Losses
 * come as discarded-events messages, whoever wrote the trace (an
 * rhook-read export writes the recorder's as LTTng does, lttshape.h).
 */
static struct rdr_proc *find_proc(struct rdr_ctfin *c, const bt_trace *t, uint64_t pid,
					const bt_clock_class *cc)
{
	struct rdr_proc *p;
	struct tproc *tp;

	for (size_t i = c->num_procs; i-- > 0;)
		if (c->procs[i].trace == t && c->procs[i].pid == pid)
			return c->procs[i].proc;
	if (c->num_procs == c->cap_procs) {
		size_t cap = c->cap_procs ? 2 * c->cap_procs : 8;
		struct tproc *n = realloc(c->procs, cap * sizeof(*n));

		if (!n)
			goto nomem;
		c->procs = n;
		c->cap_procs = cap;
	}
	p = rdr_reader_new_proc(c->reader, c->dir);
	if (!p)
		goto nomem;
	tp = &c->procs[c->num_procs++];
	tp->trace = t;
	tp->pid = pid;
	tp->proc = p;
	p->pid = pid;
	env_str(t, "hostname", p->host, sizeof(p->host));
	env_str(t, "procname", p->comm, sizeof(p->comm));
	env_str(t, "tracer_name", p->source, sizeof(p->source));
	env_str(t, RDR_LT_SOURCE_KEY, p->source, sizeof(p->source));
	p->lossy = trace_lossy(c, t);
	if (cc) {
		bt_uuid uuid = bt_clock_class_get_uuid(cc);

		if (uuid) {
			memcpy(p->boot_id, uuid, 16);
			p->has_boot_id = true;
		}
		p->realtime_offset_ns = clock_offset_ns(cc);
		if (rdr_reader_place(c->reader, p))
			goto nomem;
	}
	return p;
nomem:
	set_error(c, -ENOMEM, "out of memory");
	return NULL;
}

/* Discarded events: counted, and every process of the trace may miss companions. */
static void discarded(struct rdr_ctfin *c, const bt_stream *stream, uint64_t count)
{
	const bt_trace *t = bt_stream_borrow_trace_const(stream);
	struct rdr_proc *p = find_proc(c, t, (uint64_t)env_int(t, "vpid"), NULL);

	if (!p)
		return;
	p->lost.discard += count;
	if (!trace_lossy(c, t) && c->num_lossy < sizeof(c->lossy_traces) / sizeof(c->lossy_traces[0]))
		c->lossy_traces[c->num_lossy++] = t;
	for (size_t i = 0; i < c->num_procs; i++)
		if (c->procs[i].trace == t)
			c->procs[i].proc->lossy = true;
}

static bool reserve_ids(struct rdr_ctfin *c, size_t more)
{
	if (c->ids_len + more > c->ids_cap) {
		size_t cap = (c->ids_len + more) * 2;
		uint8_t *n = realloc(c->ids, cap);

		if (!n) {
			set_error(c, -ENOMEM, "out of memory");
			return false;
		}
		c->ids = n;
		c->ids_cap = cap;
	}
	return true;
}

/* Parses "uuid,uuid,..." into the id arena; returns how many were listed. */
static unsigned parse_list(struct rdr_ctfin *c, const char *s)
{
	unsigned n = 0;

	while (s && *s && n < RHW_EV_MAX_LISTED_IDS && reserve_ids(c, 16)) {
		if (!parse_uuid(s, strlen(s), c->ids + c->ids_len))
			break;
		c->ids_len += 16;
		n++;
		s += 36;
		if (*s == ',')
			s++;
	}
	return n;
}

static void convert_event(struct rdr_ctfin *c, const bt_message *msg)
{
	const bt_event *event = bt_message_event_borrow_event_const(msg);
	const struct evclass *e = lookup_class(c, bt_event_borrow_class_const(event));
	const bt_clock_snapshot *cs;
	const bt_clock_class *cc;
	const bt_field *payload, *ctx;
	const bt_trace *trace;
	struct rdr_proc *p;
	struct qent *q;
	uint64_t pid, value, freq;

	if (!e || !e->desc)
		return;
	if (!bt_message_event_borrow_stream_class_default_clock_class_const(msg)) {
		set_error(c, -EINVAL, "event %s has no timestamp", e->desc->full_name);
		return;
	}
	if (c->q_len == c->q_cap) {
		size_t cap = c->q_cap ? 2 * c->q_cap : 64;
		struct qent *n = realloc(c->q, cap * sizeof(*n));

		if (!n) {
			set_error(c, -ENOMEM, "out of memory");
			return;
		}
		c->q = n;
		c->q_cap = cap;
	}
	cs = bt_message_event_borrow_default_clock_snapshot_const(msg);
	cc = bt_clock_snapshot_borrow_clock_class_const(cs);
	value = bt_clock_snapshot_get_value(cs);
	freq = bt_clock_class_get_frequency(cc);
	payload = bt_event_borrow_payload_field_const(event);
	ctx = bt_event_borrow_common_context_field_const(event);
	trace = bt_stream_borrow_trace_const(bt_event_borrow_stream_const(event));
	pid = e->ctx_pid >= 0 ? int_value(member(ctx, e->ctx_pid)) : (uint64_t)env_int(trace, "vpid");

	q = &c->q[c->q_len];
	memset(&q->payload, 0, sizeof(q->payload));
	p = find_proc(c, trace, pid, cc);
	if (!p)
		return;
	q->ev.proc = p;
	for (uint32_t i = 0; i < e->desc->num_fields; i++) {
		const struct rdr_field *f = &e->desc->fields[i];
		const bt_field *m = member(payload, e->member[i]);

		if (!m)
			continue;
		if (f->kind == RDR_FK_UUID) {
			const char *s = string_value(m);

			if (s)
				parse_uuid(s, strlen(s), (uint8_t *)&q->payload + f->offset);
		} else {
			rdr_field_set(f, &q->payload, int_value(m));
		}
	}
	q->ids_off = c->ids_len;
	q->ev.num_ids = 0;
	memset(q->ev.list_len, 0, sizeof(q->ev.list_len));
	for (uint32_t k = 0; k < e->desc->num_lists; k++) {
		q->ev.list_len[k] = (uint16_t)parse_list(c, string_value(member(payload, e->lists[k])));
		q->ev.num_ids = (uint16_t)(q->ev.num_ids + q->ev.list_len[k]);
	}
	q->ev.id = (uint16_t)e->desc->id;
	q->ev.tid = e->ctx_tid >= 0 ? (uint32_t)int_value(member(ctx, e->ctx_tid)) : 0;
	q->ev.mono = freq == 1000000000u ? value : value / freq * 1000000000u + value % freq * 1000000000u / freq;
	if (!p->start_mono)
		p->start_mono = q->ev.mono;
	c->q_len++;
}

static bt_graph_simple_sink_component_initialize_func_status sink_init(bt_message_iterator *it, void *data)
{
	struct rdr_ctfin *c = data;

	c->it = it;
	return BT_GRAPH_SIMPLE_SINK_COMPONENT_INITIALIZE_FUNC_STATUS_OK;
}

/* Converts one batch of messages into queued events. */
static bt_graph_simple_sink_component_consume_func_status sink_consume(bt_message_iterator *it, void *data)
{
	struct rdr_ctfin *c = data;
	bt_message_array_const msgs;
	uint64_t count;

	switch (bt_message_iterator_next(it, &msgs, &count)) {
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
		break;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
	default:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
	}
	for (uint64_t i = 0; i < count; i++) {
		const bt_message *m = msgs[i];
		uint64_t n;

		switch (bt_message_get_type(m)) {
		case BT_MESSAGE_TYPE_EVENT:
			if (!c->err)
				convert_event(c, m);
			break;
		case BT_MESSAGE_TYPE_DISCARDED_EVENTS:
			if (bt_message_discarded_events_get_count(m, &n) != BT_PROPERTY_AVAILABILITY_AVAILABLE)
				n = 1;
			discarded(c, bt_message_discarded_events_borrow_stream_const(m), n);
			break;
		case BT_MESSAGE_TYPE_DISCARDED_PACKETS:
			if (bt_message_discarded_packets_get_count(m, &n) != BT_PROPERTY_AVAILABILITY_AVAILABLE)
				n = 1;
			discarded(c, bt_message_discarded_packets_borrow_stream_const(m), n);
			break;
		default:
			break;
		}
		bt_message_put_ref(m);
	}
	return c->err ? BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR
		      : BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

/* Runs the graph until an event is queued or the trace ends; false at the end or on error. */
static bool fill(struct rdr_ctfin *c)
{
	c->q_len = c->q_head = c->ids_len = 0;
	while (!c->q_len && !c->ended && !c->err) {
		switch (bt_graph_run_once(c->graph)) {
		case BT_GRAPH_RUN_ONCE_STATUS_OK:
		case BT_GRAPH_RUN_ONCE_STATUS_AGAIN:
			break;
		case BT_GRAPH_RUN_ONCE_STATUS_END:
			c->ended = true;
			break;
		default:
			set_error(c, -EIO, "cannot decode the CTF trace");
			take_bt_error(c);
			break;
		}
	}
	if (c->err)
		c->s.err = c->err;
	return c->q_len && !c->err;
}

static bool stream_next(struct rdr_stream *s)
{
	struct rdr_ctfin *c = (struct rdr_ctfin *)s;
	struct qent *q;

	if (c->q_head == c->q_len && !fill(c))
		return false;
	q = &c->q[c->q_head++];
	s->ev = q->ev;
	s->ev.payload = &q->payload;
	s->ev.ids = c->ids + q->ids_off;
	s->ev.ts = s->ev.mono + (uint64_t)s->ev.proc->clock_offset_ns;
	((struct rdr_proc *)s->ev.proc)->events++;
	return true;
}

static int build_graph(struct rdr_ctfin *c, const char *dir)
{
	const bt_component_class_source *fs;
	const bt_component_class_filter *muxer;
	const bt_component_source *src;
	const bt_component_filter *mux;
	const bt_component_sink *sink;
	bt_value *params = bt_value_map_create(), *inputs = NULL;
	uint64_t n;
	int ret = -ENOMEM;

	if (!params)
		return -ENOMEM;
	if (bt_value_map_insert_empty_array_entry(params, "inputs", &inputs) ||
	    bt_value_array_append_string_element(inputs, dir))
		goto out;
	ret = -ENOENT;
	if (bt_plugin_find("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, &c->ctf_plugin) !=
		    BT_PLUGIN_FIND_STATUS_OK ||
	    bt_plugin_find("utils", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, &c->utils_plugin) !=
		    BT_PLUGIN_FIND_STATUS_OK) {
		set_error(c, ret, "babeltrace2 plugins ctf and utils not found");
		goto out;
	}
	fs = bt_plugin_borrow_source_component_class_by_name_const(c->ctf_plugin, "fs");
	muxer = bt_plugin_borrow_filter_component_class_by_name_const(c->utils_plugin, "muxer");
	if (!fs || !muxer) {
		set_error(c, ret, "babeltrace2 components source.ctf.fs and filter.utils.muxer not found");
		goto out;
	}
	ret = -ENOMEM;
	c->graph = bt_graph_create(0);
	if (!c->graph)
		goto out;
	ret = -EINVAL;
	if (bt_graph_add_source_component(c->graph, fs, "src", params, BT_LOGGING_LEVEL_NONE, &src) ||
	    bt_graph_add_filter_component(c->graph, muxer, "mux", NULL, BT_LOGGING_LEVEL_NONE, &mux) ||
	    bt_graph_add_simple_sink_component(c->graph, "rhook-read", sink_init, sink_consume, NULL, c, &sink)) {
		set_error(c, ret, "not a CTF trace");
		take_bt_error(c);
		goto out;
	}
	n = bt_component_source_get_output_port_count(src);
	for (uint64_t i = 0; i < n; i++) {
		const bt_port_output *out = bt_component_source_borrow_output_port_by_index_const(src, i);
		/* The muxer adds an input port each time one gets connected: the last one is free. */
		const bt_port_input *in = bt_component_filter_borrow_input_port_by_index_const(
			mux, bt_component_filter_get_input_port_count(mux) - 1);

		if (bt_graph_connect_ports(c->graph, out, in, NULL)) {
			set_error(c, ret, "cannot connect babeltrace2 components");
			take_bt_error(c);
			goto out;
		}
	}
	if (bt_graph_connect_ports(c->graph, bt_component_filter_borrow_output_port_by_index_const(mux, 0),
				   bt_component_sink_borrow_input_port_by_index_const(sink, 0), NULL)) {
		set_error(c, ret, "cannot connect babeltrace2 components");
		take_bt_error(c);
		goto out;
	}
	ret = 0;
out:
	bt_value_put_ref(params);
	return ret;
}

int rdr_ctfin_open(struct rdr_ctfin **out, struct rdr_reader *r, const char *dir, char *err,
		      size_t err_size)
{
	struct rdr_ctfin *c = calloc(1, sizeof(*c));
	int ret;

	*out = NULL;
	if (!c) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	c->reader = r;
	c->s.next = stream_next;
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	ret = build_graph(c, dir);
	/* Read ahead to the first event: its clock places the trace's processes. */
	if (!ret && !fill(c) && c->err)
		ret = c->err;
	if (ret) {
		snprintf(err, err_size, "%s", c->errmsg[0] ? c->errmsg : strerror(-ret));
		rdr_ctfin_close(c);
		return ret;
	}
	*out = c;
	return 0;
}

void rdr_ctfin_close(struct rdr_ctfin *c)
{
	if (!c)
		return;
	bt_graph_put_ref(c->graph);
	bt_plugin_put_ref(c->ctf_plugin);
	bt_plugin_put_ref(c->utils_plugin);
	free(c->q);
	free(c->ids);
	free(c->procs);
	free(c);
}

struct rdr_stream *rdr_ctfin_stream(struct rdr_ctfin *c)
{
	return &c->s;
}

const char *rdr_ctfin_error(struct rdr_ctfin *c)
{
	if (!c->err)
		return NULL;
	snprintf(c->errfull, sizeof(c->errfull), "%s: %s", c->dir, c->errmsg);
	return c->errfull;
}
