/*
 * rhbt.h - the babeltrace2 plugin "rhook": its source component class
 * source.rhook.recorder reads flight recorder files and directories
 * through rhook-read's decoder (rhook_decode) and emits them as the
 * LTTng-UST traces of the same events would be (lttshape.h), so that
 * every babeltrace2 filter and sink, and every analysis written for an
 * LTTng trace of rhook's provider, applies to a recorder trace.
 *
 * Mapping: one trace per process (recorder file), one stream per buffer
 * holding data (stream id and cpu_id: the buffer index), one message
 * iterator per component (one output port "out") that merges every
 * stream into one time-ordered sequence, as rhook-read print does.
 * Lost events become discarded-events messages (see iter.c).
 *
 * babeltrace2 calls a component's methods and its iterator's from one
 * thread at a time: nothing here is shared between threads.
 */
#ifndef RDR_BT2_RHBT_H
#define RDR_BT2_RHBT_H

#include <babeltrace2/babeltrace.h>
#include <stdbool.h>
#include <stdint.h>

#include "reader/input.h"
#include "wire/events.h"

/* One process: a trace of its own class (its own clock, placed as input.h says). */
struct rhbt_trace {
	const struct rdr_proc *proc;
	bt_trace_class *tc;
	bt_stream_class *sc;
	bt_trace *trace;
	bt_event_class *ec[RHW_EV_MAX_ID + 1]; /* by schema id */
};

/* One recorder buffer: a stream. */
struct rhbt_stream {
	struct rhbt_trace *t;
	struct rdr_stream *rd; /* NULL: a process that lost events and kept none */
	bt_stream *stream;
	/* Lost events of the process outside its streams, announced at this stream's end. */
	uint64_t extra;
	/* Iteration state (iter.c). */
	bt_packet *packet; /* the open packet, NULL between packets */
	uint64_t reported; /* lost events already announced */
	uint64_t last;     /* clock value of its last event (or of its start) */
	bool has_ev;       /* rd->ev holds its next event */
	bool begun;        /* stream beginning sent */
	bool packets;      /* a packet was sent */
};

struct rhbt_source {
	bt_self_component *self;
	bt_logging_level log_level;
	struct rdr_reader reader;
	struct rhbt_trace *traces;
	size_t num_traces;
	struct rhbt_stream *streams;
	size_t num_streams;
	char **paths; /* the recorder files opened, for rhbt_source_rewind() */
	size_t num_paths;
	bool iterating; /* a message iterator exists */
	bool consumed;  /* the decoder's streams have been read from */
};

/* The component class methods (source.c). */
bt_component_class_initialize_method_status rhbt_source_init(bt_self_component_source *self,
							     bt_self_component_source_configuration *config,
							     const bt_value *params, void *init_data);
void rhbt_source_finalize(bt_self_component_source *self);
bt_component_class_query_method_status rhbt_source_query(bt_self_component_class_source *cls,
							 bt_private_query_executor *exec, const char *object,
							 const bt_value *params, void *data, const bt_value **result);

/*
 * Reopens the recorder files, so that every stream reads from its start
 * again (source.c).  The streams must be the same as before (a live
 * process may have started writing a new buffer since: that is an
 * error).  0, or a negative errno with the error cause appended.
 */
int rhbt_source_rewind(struct rhbt_source *src);

/* The message iterator class methods (iter.c). */
bt_message_iterator_class_initialize_method_status rhbt_iter_init(bt_self_message_iterator *self,
								  bt_self_message_iterator_configuration *config,
								  bt_self_component_port_output *port);
void rhbt_iter_finalize(bt_self_message_iterator *self);
bt_message_iterator_class_next_method_status rhbt_iter_next(bt_self_message_iterator *self,
							    bt_message_array_const msgs, uint64_t capacity,
							    uint64_t *count);
bt_message_iterator_class_can_seek_beginning_method_status rhbt_iter_can_seek_beginning(bt_self_message_iterator *self,
											bt_bool *can_seek);
bt_message_iterator_class_seek_beginning_method_status rhbt_iter_seek_beginning(bt_self_message_iterator *self);

/*
 * Builds @t's trace class (clock, stream class, event classes) and trace
 * (environment) for process @p (ir.c).  0 or -ENOMEM; the caller appends
 * the error cause.  rhbt_trace_fini() releases what it made, also after
 * a failure.
 */
int rhbt_trace_init(bt_self_component *self, struct rhbt_trace *t, const struct rdr_proc *p);
void rhbt_trace_fini(struct rhbt_trace *t);

/* Creates the stream of buffer @buffer of @t in @s->stream (ir.c); 0 or -ENOMEM. */
int rhbt_stream_init(struct rhbt_stream *s, struct rhbt_trace *t, uint32_t buffer);

/*
 * Fills the common context and payload of @event, an event of class
 * @t->ec[@ev->id], from @ev (ir.c).  0 or -ENOMEM.
 */
int rhbt_event_fill(bt_event *event, const struct rhbt_trace *t, const struct rdr_event *ev);

/*
 * Prints a message of @level (BT_LOGGING_LEVEL_INFO or _WARNING) on
 * stderr if @src's logging level lets it through: a component's
 * warnings and notes, which babeltrace2 leaves to its components.
 */
__attribute__((format(printf, 3, 4))) void rhbt_log(const struct rhbt_source *src, bt_logging_level level,
						    const char *fmt, ...);

#endif /* RDR_BT2_RHBT_H */
