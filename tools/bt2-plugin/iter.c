/*
 * iter.c - the message iterator of source.rhook.recorder.
 *
 * Every stream of every process in one time-ordered sequence (a binary
 * heap keyed by the event's time from the clock origin, ties broken by
 * stream order, as rhook-read's merge).  Each stream is advanced as soon
 * as its event is sent, so that its end is known at the time of its last
 * event: every message then carries a time no earlier than the one
 * before, which the muxer and the sinks require.
 *
 * Per stream: stream beginning; one packet from its first event on, cut
 * where it lost events; stream end at its last event.  Lost events are
 * announced as a discarded-events message at the time of the event that
 * follows them (the decoder counts a buffer's overwritten events before
 * its first event, those it met while reading before the next one), and
 * at the last event for the rest (discard mode's newest events, what the
 * process lost outside any buffer).  Each announcement follows the end of
 * a packet (an empty one if the stream has none yet) and precedes an
 * empty packet, all at that time: the layout sink.ctf.fs demands of CTF
 * 1.8, and one that reads back with its count (a first packet's count
 * would read back as unknown).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader/recfile.h"
#include "rhbt.h"

#define QUEUE_MAX 16

struct rhbt_iter {
	struct rhbt_source *src;
	bt_self_message_iterator *self;
	size_t *heap; /* stream indexes */
	size_t heap_n;
	bt_message *queue[QUEUE_MAX];
	unsigned q_head, q_len;
	bool started; /* a step ran: the decoder is past the beginning */
};

/* Time from the clock origin of @s's next message: its event's, or its last one's. */
static uint64_t key(const struct rhbt_stream *s)
{
	return (s->has_ev ? s->rd->ev.mono : s->last) + (uint64_t)s->t->proc->clock_offset_ns;
}

static bool before(const struct rhbt_iter *it, size_t a, size_t b)
{
	uint64_t ka = key(&it->src->streams[a]), kb = key(&it->src->streams[b]);

	return ka < kb || (ka == kb && a < b);
}

static void sift_down(struct rhbt_iter *it, size_t i)
{
	size_t x = it->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= it->heap_n)
			break;
		if (c + 1 < it->heap_n && before(it, it->heap[c + 1], it->heap[c]))
			c++;
		if (!before(it, it->heap[c], x))
			break;
		it->heap[i] = it->heap[c];
		i = c;
	}
	it->heap[i] = x;
}

static int push(struct rhbt_iter *it, bt_message *msg)
{
	if (!msg)
		return -ENOMEM;
	it->queue[it->q_len++] = msg;
	return 0;
}

static int packet_begin(struct rhbt_iter *it, struct rhbt_stream *s, uint64_t at)
{
	bt_field *ctx;

	s->packet = bt_packet_create(s->stream);
	if (!s->packet)
		return -ENOMEM;
	ctx = bt_packet_borrow_context_field(s->packet);
	/* cpu_id: the recorder buffer (lttshape.h). */
	bt_field_integer_unsigned_set_value(bt_field_structure_borrow_member_field_by_index(ctx, 0),
					    bt_stream_get_id(s->stream));
	s->packets = true;
	return push(it, bt_message_packet_beginning_create_with_default_clock_snapshot(it->self, s->packet, at));
}

static int packet_end(struct rhbt_iter *it, struct rhbt_stream *s, uint64_t at)
{
	int ret = push(it, bt_message_packet_end_create_with_default_clock_snapshot(it->self, s->packet, at));

	bt_packet_put_ref(s->packet);
	s->packet = NULL;
	return ret;
}

static int empty_packet(struct rhbt_iter *it, struct rhbt_stream *s, uint64_t at)
{
	int ret = packet_begin(it, s, at);

	return ret ? ret : packet_end(it, s, at);
}

/* Announces @n events @s lost by time @at: at most 6 messages. */
static int announce(struct rhbt_iter *it, struct rhbt_stream *s, uint64_t at, uint64_t n)
{
	bt_message *msg;
	int ret = 0;

	if (s->packet)
		ret = packet_end(it, s, at);
	if (!ret && !s->packets)
		ret = empty_packet(it, s, at);
	if (ret)
		return ret;
	msg = bt_message_discarded_events_create_with_default_clock_snapshots(it->self, s->stream, at, at);
	if (msg)
		bt_message_discarded_events_set_count(msg, n);
	s->reported += n;
	ret = push(it, msg);
	return ret ? ret : empty_packet(it, s, at);
}

/* Sends the next event of @s and advances @s: at most 8 messages. */
static int send_event(struct rhbt_iter *it, struct rhbt_stream *s)
{
	const struct rdr_event *ev = &s->rd->ev;
	uint64_t at = ev->mono, lost = rdr_lost_total(&s->rd->lost);
	bt_message *msg;
	int ret = 0;

	if (lost > s->reported)
		ret = announce(it, s, at, lost - s->reported);
	if (!ret && !s->packet)
		ret = packet_begin(it, s, at);
	if (ret)
		return ret;
	msg = bt_message_event_create_with_packet_and_default_clock_snapshot(it->self, s->t->ec[ev->id], s->packet,
									     at);
	if (!msg)
		return -ENOMEM;
	ret = rhbt_event_fill(bt_message_event_borrow_event(msg), s->t, ev);
	if (ret) {
		bt_message_put_ref(msg);
		return ret;
	}
	push(it, msg);
	s->last = at;
	s->has_ev = s->rd->next(s->rd);
	return 0;
}

/* Whether the recorder file of @p shrank while it was read (its lost records are counted as damaged). */
static bool truncated(const struct rhbt_source *src, const struct rdr_proc *p)
{
	for (size_t i = 0; i < src->reader.num_files; i++)
		if (src->reader.files[i]->proc == p)
			return src->reader.files[i]->truncated;
	return false;
}

/* Ends @s at its last event, announcing what is left of its losses: at most 8 messages. */
static int end_stream(struct rhbt_iter *it, struct rhbt_stream *s)
{
	uint64_t lost = rdr_sat_add(s->rd ? rdr_lost_total(&s->rd->lost) : 0, s->extra);
	int ret = 0;

	if (s->rd && s->rd->err) {
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_MESSAGE_ITERATOR(it->self, "%s: cannot decode: %s",
									   s->t->proc->origin, strerror(-s->rd->err));
		return -EIO;
	}
	if (lost > s->reported)
		ret = announce(it, s, s->last, lost - s->reported);
	if (!ret && s->packet)
		ret = packet_end(it, s, s->last);
	if (!ret)
		ret = push(it, bt_message_stream_end_create(it->self, s->stream));
	if (!ret && s->rd && s->rd->lost.damaged)
		rhbt_log(it->src, BT_LOGGING_LEVEL_WARNING, "%s: buffer %u: %llu damaged records were skipped%s",
			 s->t->proc->origin, s->rd->buffer, (unsigned long long)s->rd->lost.damaged,
			 truncated(it->src, s->t->proc) ? " (the file was truncated while being read)" : "");
	return ret;
}

/*
 * Queues the messages of the next step in time (with a stream beginning,
 * at most 9 of QUEUE_MAX); *@more is false when every stream has ended.
 */
static int step(struct rhbt_iter *it, bool *more)
{
	struct rhbt_stream *s;
	int ret = 0;

	*more = it->heap_n > 0;
	if (!*more)
		return 0;
	it->started = true;
	s = &it->src->streams[it->heap[0]];
	if (!s->begun) {
		s->begun = true;
		ret = push(it, bt_message_stream_beginning_create(it->self, s->stream));
	}
	if (!ret && s->has_ev) {
		ret = send_event(it, s);
	} else if (!ret) {
		ret = end_stream(it, s);
		it->heap[0] = it->heap[--it->heap_n];
	}
	if (it->heap_n)
		sift_down(it, 0);
	return ret;
}

static void release(struct rhbt_iter *it)
{
	for (unsigned i = 0; i < it->q_len; i++)
		bt_message_put_ref(it->queue[it->q_head + i]);
	it->q_head = it->q_len = 0;
}

bt_message_iterator_class_next_method_status rhbt_iter_next(bt_self_message_iterator *self,
							    bt_message_array_const msgs, uint64_t capacity,
							    uint64_t *count)
{
	struct rhbt_iter *it = bt_self_message_iterator_get_data(self);
	uint64_t n = 0;
	int ret = 0;

	while (n < capacity && !ret) {
		bool more;

		if (it->q_len) {
			msgs[n++] = it->queue[it->q_head++];
			it->q_len--;
			continue;
		}
		it->q_head = 0;
		ret = step(it, &more);
		if (!more)
			break;
	}
	if (ret) {
		release(it);
		for (uint64_t i = 0; i < n; i++)
			bt_message_put_ref(msgs[i]);
		if (ret == -ENOMEM) {
			BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_MESSAGE_ITERATOR(self, "out of memory");
			return BT_MESSAGE_ITERATOR_CLASS_NEXT_METHOD_STATUS_MEMORY_ERROR;
		}
		return BT_MESSAGE_ITERATOR_CLASS_NEXT_METHOD_STATUS_ERROR;
	}
	*count = n;
	return n ? BT_MESSAGE_ITERATOR_CLASS_NEXT_METHOD_STATUS_OK : BT_MESSAGE_ITERATOR_CLASS_NEXT_METHOD_STATUS_END;
}

/* Puts back what the iterator holds: queued messages, open packets. */
static void unload(struct rhbt_iter *it)
{
	release(it);
	for (size_t i = 0; i < it->src->num_streams; i++) {
		bt_packet_put_ref(it->src->streams[i].packet);
		it->src->streams[i].packet = NULL;
	}
}

/* Starts every stream from its beginning: first events loaded, heap built. */
static void load(struct rhbt_iter *it)
{
	struct rhbt_source *src = it->src;

	it->heap_n = 0;
	it->started = false;
	for (size_t i = 0; i < src->num_streams; i++) {
		struct rhbt_stream *s = &src->streams[i];

		s->reported = 0;
		s->begun = s->packets = false;
		s->has_ev = s->rd && s->rd->next(s->rd);
		/* A stream without events (only losses) stands at its process's start. */
		s->last = s->has_ev ? s->rd->ev.mono : s->t->proc->start_mono;
		it->heap[it->heap_n++] = i;
	}
	src->consumed = true;
	for (size_t i = it->heap_n / 2; i-- > 0;)
		sift_down(it, i);
}

bt_message_iterator_class_initialize_method_status rhbt_iter_init(bt_self_message_iterator *self,
								  bt_self_message_iterator_configuration *config,
								  bt_self_component_port_output *port)
{
	struct rhbt_source *src = bt_self_component_get_data(bt_self_message_iterator_borrow_component(self));
	struct rhbt_iter *it;

	(void)port;
	if (src->iterating) {
		/* The decoder's streams have one reading position each. */
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_MESSAGE_ITERATOR(
			self, "source.rhook.recorder: one message iterator at a time per component");
		return BT_MESSAGE_ITERATOR_CLASS_INITIALIZE_METHOD_STATUS_ERROR;
	}
	/* An earlier iterator read the streams: read them again from the start. */
	if (src->consumed && rhbt_source_rewind(src))
		return BT_MESSAGE_ITERATOR_CLASS_INITIALIZE_METHOD_STATUS_ERROR;
	it = calloc(1, sizeof(*it));
	if (it)
		it->heap = malloc((src->num_streams ? src->num_streams : 1) * sizeof(*it->heap));
	if (!it || !it->heap) {
		if (it)
			free(it->heap);
		free(it);
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_MESSAGE_ITERATOR(self, "out of memory");
		return BT_MESSAGE_ITERATOR_CLASS_INITIALIZE_METHOD_STATUS_MEMORY_ERROR;
	}
	src->iterating = true;
	it->src = src;
	it->self = self;
	load(it);
	/* Reading on from the beginning reaches any later time: babeltrace2 seeks a time that way. */
	bt_self_message_iterator_configuration_set_can_seek_forward(config, BT_TRUE);
	bt_self_message_iterator_set_data(self, it);
	return BT_MESSAGE_ITERATOR_CLASS_INITIALIZE_METHOD_STATUS_OK;
}

bt_message_iterator_class_can_seek_beginning_method_status rhbt_iter_can_seek_beginning(bt_self_message_iterator *self,
											bt_bool *can_seek)
{
	(void)self;
	*can_seek = BT_TRUE;
	return BT_MESSAGE_ITERATOR_CLASS_CAN_SEEK_BEGINNING_METHOD_STATUS_OK;
}

/* Back to the beginning: nothing to do before the first step, else the files are read again. */
bt_message_iterator_class_seek_beginning_method_status rhbt_iter_seek_beginning(bt_self_message_iterator *self)
{
	struct rhbt_iter *it = bt_self_message_iterator_get_data(self);

	if (!it->started)
		return BT_MESSAGE_ITERATOR_CLASS_SEEK_BEGINNING_METHOD_STATUS_OK;
	unload(it);
	if (rhbt_source_rewind(it->src)) {
		/* No going on from a failed seek: nothing more to read. */
		it->heap_n = 0;
		return BT_MESSAGE_ITERATOR_CLASS_SEEK_BEGINNING_METHOD_STATUS_ERROR;
	}
	load(it);
	return BT_MESSAGE_ITERATOR_CLASS_SEEK_BEGINNING_METHOD_STATUS_OK;
}

void rhbt_iter_finalize(bt_self_message_iterator *self)
{
	struct rhbt_iter *it = bt_self_message_iterator_get_data(self);

	unload(it);
	it->src->iterating = false;
	free(it->heap);
	free(it);
}
