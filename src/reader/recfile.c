/*
 * recfile.c - flight recorder file decoder (see recfile.h).
 */
#define _GNU_SOURCE
#include "recfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"
#include "out.h"
#include "schema.h"
#include "wire/recorder_shm.h"

/* One sub-buffer of a buffer, in the order the stream reads them. */
struct sbref {
	uint64_t seq;
	uint32_t slot;
	uint32_t records; /* complete records when the file was opened */
};

struct rdr_recstream {
	struct rdr_stream s; /* first: streams are handed out as this */
	struct rdr_recfile *f;
	const uint8_t *buf;        /* the buffer's first sub-buffer */
	struct sbref *order;
	uint32_t num_sb, next_sb;
	const uint8_t *src;        /* records of the current sub-buffer, in the mapping */
	size_t cur_offset;         /* file offset of src[0] */
	uint32_t off, commit, last_size;
	uint32_t decoded;          /* records decoded from the current sub-buffer */
	struct rhr_anchor anchor;
	uint32_t tid;
	uint64_t last_mono;
	/*
	 * The private copy records are decoded from: bytes [win_start,
	 * win_start + win_len) of the current sub-buffer's records.  A live
	 * file's sub-buffer is copied whole (the seqlock checks the copy);
	 * others a window at a time, refilled as decoding moves on.
	 */
	uint8_t *copy;
	uint32_t win_start, win_len, copy_size;
};

/* The window of files no writer changes: small enough to stay in cache, more than any record. */
#define WINDOW (256u * 1024u)
/* The largest record the format can express (rhr_record.size is 16 bits). */
#define RECORD_MAX 65536u

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static bool sniff(const void *data, size_t len)
{
	return len >= sizeof(RHR_MAGIC) - 1 && !memcmp(data, RHR_MAGIC, sizeof(RHR_MAGIC) - 1);
}

/* Checks the header's geometry against the file; 0 or -errno with a message. */
static int check_header(const struct rhr_header *h, size_t len, char *err, size_t err_size)
{
	uint64_t per_buffer, need;

	if (h->version == 0)
		return rdr_fail(err, err_size, -EBADMSG,
				   "incomplete header: the writer stopped before it finished creating the file");
	if (h->version != RHR_VERSION)
		return rdr_fail(err, err_size, -EPROTONOSUPPORT,
			    "unsupported recorder format version %u (this rhook-read reads version %u)", h->version,
			    RHR_VERSION);
	if (h->header_size != RHR_HEADER_SIZE || h->bufhdr_size != RHR_BUFHDR_SIZE ||
	    h->sbhdr_size != RHR_SBHDR_SIZE)
		return rdr_fail(err, err_size, -EINVAL, "unexpected header sizes %u/%u/%u", h->header_size,
			    h->bufhdr_size, h->sbhdr_size);
	if (!is_pow2(h->buffer_size) || h->buffer_size > (1u << 30) || !is_pow2(h->num_subbuffers) ||
	    h->num_subbuffers < 2 || h->buffer_size / h->num_subbuffers < RHR_MIN_SUBBUF_SIZE ||
	    h->num_buffers > 4096)
		return rdr_fail(err, err_size, -EINVAL, "bad geometry: %u buffers of %llu bytes in %u sub-buffers",
			    h->num_buffers, (unsigned long long)h->buffer_size, h->num_subbuffers);
	if (h->mode > 1 || (h->clock != RHR_CLOCK_TSC && h->clock != RHR_CLOCK_MONOTONIC) ||
	    h->state < RHR_STATE_RECORDING || h->state > RHR_STATE_EXITED)
		return rdr_fail(err, err_size, -EINVAL, "bad mode %u, clock %u or state %u", h->mode, h->clock,
			    h->state);
	per_buffer = RHR_BUFHDR_SIZE + h->buffer_size;
	need = RHR_HEADER_SIZE + per_buffer * h->num_buffers; /* <= 4 TiB: no overflow */
	if (len < need)
		return rdr_fail(err, err_size, -EINVAL, "truncated: %zu bytes, the header describes %llu", len,
			    (unsigned long long)need);
	if (h->clock == RHR_CLOCK_TSC &&
	    (h->calib.tsc <= h->start.tsc || h->calib.mono_ns <= h->start.mono_ns))
		return rdr_fail(err, err_size, -EINVAL, "bad clock calibration");
	return 0;
}

static const uint8_t *buffer_at(const struct rdr_recfile *f, uint32_t i)
{
	return f->base + RHR_HEADER_SIZE + (size_t)i * (RHR_BUFHDR_SIZE + f->hdr.buffer_size);
}

/*
 * Reads a sub-buffer header.  On a live file seq is loaded first with
 * acquire, pairing with the writer's release store of seq after it wrote
 * the header (recorder_format.h, S1), then commit with acquire, pairing with its
 * release store of commit after the records below it (C1); the rest
 * relaxed.  The caller checks seq again after using what it read.
 */
static void read_sbhdr(const struct rdr_recfile *f, const uint8_t *p, struct rhr_sbhdr *out)
{
	const struct rhr_sbhdr *sb = (const struct rhr_sbhdr *)(const void *)p;

	if (!f->live) {
		memcpy(out, p, sizeof(*out));
		return;
	}
	out->seq = __atomic_load_n(&sb->seq, __ATOMIC_ACQUIRE);
	out->commit = __atomic_load_n(&sb->commit, __ATOMIC_ACQUIRE);
	out->records = rhr_ld32(&sb->records);
	out->tid = rhr_ld32(&sb->tid);
	out->reserved = 0;
	out->anchor.tsc = rhr_ld64(&sb->anchor.tsc);
	out->anchor.mono_ns = rhr_ld64(&sb->anchor.mono_ns);
}

/* A counter the writer may be updating (relaxed: counters order nothing). */
static uint64_t counter(const struct rdr_recfile *f, const uint64_t *p)
{
	return f->live ? rhr_ld64(p) : *p;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct sbref *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whether sub-buffer header @sb is usable in slot @slot; seq 0 is simply empty. */
static bool sb_valid(const struct rdr_recfile *f, const struct rhr_sbhdr *sb, uint32_t slot)
{
	return sb->seq && ((sb->seq - 1) & (f->hdr.num_subbuffers - 1)) == slot &&
	       sb->commit <= f->subbuf_size - RHR_SBHDR_SIZE && !(sb->commit & 7);
}

/* Widens the clock baseline with anchor @a (one read after the start anchor). */
static void widen(const struct rdr_recfile *f, const struct rhr_anchor *a, struct rhr_anchor *end)
{
	if (a->tsc > f->hdr.start.tsc && a->mono_ns > f->hdr.start.mono_ns && a->mono_ns > end->mono_ns)
		*end = *a;
}

/* Builds the stream of buffer @i if it holds data; returns 0 or -ENOMEM. */
static int add_stream(struct rdr_recfile *f, uint32_t i, struct rhr_anchor *end)
{
	const uint8_t *bh = buffer_at(f, i);
	const struct rhr_bufhdr *b = (const struct rhr_bufhdr *)(const void *)bh;
	struct rdr_recstream *s = &f->streams[f->num_streams];

	memset(s, 0, sizeof(*s));
	s->f = f;
	s->buf = bh + RHR_BUFHDR_SIZE;
	s->s.buffer = i;
	s->s.lost.discard = counter(f, &b->lost_discard);
	s->s.lost.overwrite = counter(f, &b->lost_overwrite);
	/* Saturating: a hostile file's counters must not wrap the process's below its streams'. */
	f->proc->lost.discard = rdr_sat_add(f->proc->lost.discard, s->s.lost.discard);
	f->proc->lost.overwrite = rdr_sat_add(f->proc->lost.overwrite, s->s.lost.overwrite);
	for (uint32_t slot = 0; slot < f->hdr.num_subbuffers; slot++) {
		struct rhr_sbhdr sb;

		read_sbhdr(f, s->buf + (size_t)slot * f->subbuf_size, &sb);
		if (!sb.seq)
			continue;
		if (!sb_valid(f, &sb, slot)) {
			f->proc->lost.damaged++;
			s->s.lost.damaged++;
			continue;
		}
		if (!s->order) {
			s->order = malloc(f->hdr.num_subbuffers * sizeof(*s->order));
			if (!s->order)
				return -ENOMEM;
		}
		s->order[s->num_sb++] = (struct sbref){ .seq = sb.seq, .slot = slot, .records = sb.records };
		widen(f, &sb.anchor, end);
	}
	if (!s->num_sb)
		return 0;
	qsort(s->order, s->num_sb, sizeof(*s->order), cmp_seq);
	/* Records are read from a private copy: nothing decoded points into the mapping. */
	s->copy_size = f->subbuf_size - RHR_SBHDR_SIZE;
	if (!f->live && s->copy_size > WINDOW)
		s->copy_size = WINDOW;
	s->copy = malloc(s->copy_size);
	if (!s->copy)
		return -ENOMEM;
	f->num_streams++;
	return 0;
}

/*
 * The file shrank under the reader (a fault in the mapping): the records
 * not read yet of the sub-buffer being read (s->order[s->next_sb - 1])
 * and of those after it are damaged.
 */
static void shrunk(struct rdr_recstream *s)
{
	struct rdr_recfile *f = s->f;

	for (uint32_t k = s->next_sb ? s->next_sb - 1 : 0; k < s->num_sb; k++) {
		uint32_t left = s->order[k].records;

		if (k + 1 == s->next_sb)
			left = left > s->decoded ? left - s->decoded : 0;
		f->proc->lost.damaged += left ? left : 1;
		s->s.lost.damaged += left ? left : 1;
	}
	f->proc->lossy = true;
	f->truncated = true;
	s->next_sb = s->num_sb;
	s->off = s->commit = 0;
}

/* Copies the window at s->off of a file no writer changes; the caller guards the loads. */
static void fill_window(struct rdr_recstream *s)
{
	uint32_t n = s->commit - s->off;

	if (n > s->copy_size)
		n = s->copy_size;
	memcpy(s->copy, s->src + s->off, n);
	s->win_start = s->off;
	s->win_len = n;
}

/* fill_window() under a guard; false if the file shrank (counted). */
static bool refill(struct rdr_recstream *s)
{
	struct rdr_guard g;

	rdr_guard_arm(&g, s->f->base, s->f->len);
	if (sigsetjmp(g.jb, 1)) {
		rdr_guard_disarm(&g);
		shrunk(s);
		return false;
	}
	fill_window(s);
	rdr_guard_disarm(&g);
	return true;
}

/*
 * Makes the sub-buffer of @ref current, its records (live) or their
 * first window (others) copied; false if it is gone.  A live file is read
 * as a seqlock (recorder_format.h, S1): header, records (word by word, relaxed),
 * acquire fence, seq again.  The caller guards the loads.
 */
static bool load_subbuf(struct rdr_recstream *s, const struct sbref *ref)
{
	struct rdr_recfile *f = s->f;
	const uint8_t *p = s->buf + (size_t)ref->slot * f->subbuf_size;
	struct rhr_sbhdr sb;

	read_sbhdr(f, p, &sb);
	if (sb.seq != ref->seq || !sb_valid(f, &sb, ref->slot)) {
		/* Recycled by the live writer since open: its records are gone. */
		f->proc->lost.reader += ref->records;
		s->s.lost.reader += ref->records;
		return false;
	}
	s->src = p + RHR_SBHDR_SIZE;
	s->commit = sb.commit;
	s->off = 0;
	if (f->live) {
		rhr_copy_out(s->copy, p + RHR_SBHDR_SIZE, sb.commit);
		/*
		 * S1: the loads above complete before seq is loaded again; pairs
		 * with the writer's release fence after it stores seq 0 to reuse
		 * the sub-buffer (writer.c, next_subbuf()): a copy that read any
		 * store of the reuse sees seq changed and is dropped.
		 */
		rhr_fence_acquire();
		if (rhr_ld64(p) != ref->seq) {
			uint32_t gone = sb.records > ref->records ? sb.records : ref->records;

			f->proc->lost.reader += gone;
			s->s.lost.reader += gone;
			return false;
		}
		s->win_start = 0;
		s->win_len = sb.commit;
	} else {
		fill_window(s);
	}
	s->cur_offset = (size_t)(p + RHR_SBHDR_SIZE - f->base);
	s->decoded = 0;
	s->anchor = sb.anchor;
	s->tid = sb.tid;
	return true;
}

/* Loads the next usable sub-buffer of @s; false when none is left. */
static bool next_subbuf(struct rdr_recstream *s)
{
	struct rdr_guard g;

	rdr_guard_arm(&g, s->f->base, s->f->len);
	if (sigsetjmp(g.jb, 1)) {
		rdr_guard_disarm(&g);
		/* s->next_sb was advanced past the sub-buffer that faulted. */
		shrunk(s);
		return false;
	}
	while (s->next_sb < s->num_sb) {
		const struct sbref *ref = &s->order[s->next_sb++];

		if (load_subbuf(s, ref)) {
			rdr_guard_disarm(&g);
			return true;
		}
	}
	rdr_guard_disarm(&g);
	return false;
}

/* Converts a record timestamp with the current sub-buffer's anchor. */
static uint64_t to_mono(struct rdr_recstream *s, uint64_t ts)
{
	const struct rdr_recfile *f = s->f;
	uint64_t mono;

	if (f->hdr.clock == RHR_CLOCK_MONOTONIC) {
		mono = ts;
	} else {
		/* Ticks since the anchor, bounded so that garbage cannot overflow the conversion. */
		double delta = (double)(int64_t)(ts - s->anchor.tsc) * f->ns_per_tick;
		int64_t d = delta < -4e18 ? -4000000000000000000 : delta > 4e18 ? 4000000000000000000 : (int64_t)delta;

		mono = d < 0 && (uint64_t)-d > s->anchor.mono_ns ? 0 : s->anchor.mono_ns + (uint64_t)d;
	}
	/* Anchors jitter by a few ns: keep the stream in order. */
	if (mono < s->last_mono)
		mono = s->last_mono;
	s->last_mono = mono;
	return mono;
}

/* Validates the record at s->off (in the window) and fills s->s.ev; false if malformed. */
static bool decode(struct rdr_recstream *s)
{
	const uint8_t *p = s->copy + (s->off - s->win_start);
	uint32_t avail = s->win_start + s->win_len - s->off, expect;
	const struct rdr_event_desc *desc;
	struct rdr_event *ev = &s->s.ev;
	struct rhr_record rec;
	uint32_t ids;

	if (avail < sizeof(rec))
		return false;
	memcpy(&rec, p, sizeof(rec));
	desc = rdr_schema_event(rec.id);
	if (rec.magic != RHR_RECORD_MAGIC || !desc || rec.size > avail || rec.size < sizeof(rec) + desc->payload_size)
		return false;
	ids = rdr_listed_ids(desc, p + sizeof(rec), ev->list_len);
	/* The exact size the writer gives this payload and tail: anything else is damage. */
	expect = ((uint32_t)sizeof(rec) + desc->payload_size + ids * 16u + 7u) & ~7u;
	if (rec.size != expect)
		return false;
	ev->id = rec.id;
	ev->payload = p + sizeof(rec);
	ev->ids = p + sizeof(rec) + desc->payload_size;
	ev->num_ids = (uint16_t)ids;
	ev->tid = s->tid;
	ev->mono = to_mono(s, rec.timestamp);
	ev->ts = ev->mono + (uint64_t)s->f->proc->clock_offset_ns;
	s->last_size = rec.size;
	s->off += rec.size;
	s->decoded++;
	return true;
}

static bool stream_next(struct rdr_stream *base)
{
	struct rdr_recstream *s = (struct rdr_recstream *)base;

	for (;;) {
		if (s->off < s->commit) {
			/* A whole record in the window, unless the window ends the records. */
			if (s->off + RECORD_MAX > s->win_start + s->win_len && s->win_start + s->win_len < s->commit &&
			    !refill(s))
				return false;
			if (decode(s)) {
				s->f->proc->events++;
				return true;
			}
			/* Malformed inside the committed part: the file was damaged. */
			s->f->proc->lost.damaged++;
			s->s.lost.damaged++;
			s->f->proc->lossy = true;
			s->off = s->commit;
		}
		if (!next_subbuf(s))
			return false;
	}
}

struct rdr_stream *rdr_recfile_stream(struct rdr_recfile *f, uint32_t i)
{
	return &f->streams[i].s;
}

struct rdr_recpos rdr_recstream_pos(const struct rdr_stream *base)
{
	const struct rdr_recstream *s = (const struct rdr_recstream *)base;

	return (struct rdr_recpos){ .offset = s->cur_offset + s->off - s->last_size, .size = s->last_size };
}

/*
 * The first and last monotonic times of stream @s, read ahead on scratch
 * copies of it (before @s is read: sharing its copy buffer is harmless):
 * the first record of its oldest sub-buffer, the last of its newest (all
 * of them if the newest holds none).
 */
static void span(const struct rdr_recstream *s, uint64_t *first, uint64_t *last)
{
	struct rdr_recstream t = *s;
	struct rdr_lost lost = s->f->proc->lost;
	uint64_t events = s->f->proc->events;

	*first = *last = 0;
	if (stream_next(&t.s))
		*first = t.s.ev.mono;
	t = *s;
	t.next_sb = s->num_sb - 1;
	while (stream_next(&t.s))
		*last = t.s.ev.mono;
	if (!*last) {
		/* The newest sub-buffer holds no record: all of them then. */
		t = *s;
		while (stream_next(&t.s))
			*last = t.s.ev.mono;
	}
	s->f->proc->lost = lost;
	s->f->proc->events = events;
}

/* Where the trace of a buffer that lost events is complete (see event.h). */
static void completeness(struct rdr_recfile *f)
{
	for (uint32_t i = 0; i < f->num_streams; i++) {
		const struct rdr_recstream *s = &f->streams[i];
		/* The counters add_stream() read: a live writer's later losses are not in this view. */
		uint64_t first, last, overwrite = s->s.lost.overwrite, discard = s->s.lost.discard;

		if (!overwrite && !discard)
			continue;
		span(s, &first, &last);
		if (overwrite && first > f->proc->complete_from)
			f->proc->complete_from = first;
		if (discard && (!f->proc->complete_until || last < f->proc->complete_until))
			f->proc->complete_until = last;
	}
}

static void copy_str(char *dst, size_t size, const char *src, size_t src_size)
{
	size_t n = strnlen(src, src_size);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Copies the header.  Live: version first (acquire, recorder_format.h H1), then
 * the fields the writer still changes with atomic loads (state with
 * acquire, H2: the stop anchor is complete when it says so), the rest,
 * which it never changes after the version, plainly.
 */
static void read_header(struct rdr_recfile *f, const void *data)
{
	const struct rhr_header *h = data;
	struct rhr_header *o = &f->hdr;

	if (!f->live) {
		memcpy(o, data, sizeof(*o));
		return;
	}
	o->version = __atomic_load_n(&h->version, __ATOMIC_ACQUIRE);
	if (!o->version) {
		memcpy(o->magic, h->magic, sizeof(o->magic));
		return; /* not complete: nothing else is published */
	}
	o->state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
	memcpy(o->magic, h->magic, offsetof(struct rhr_header, version));
	memcpy((uint8_t *)o + offsetof(struct rhr_header, header_size), (const uint8_t *)h + offsetof(struct rhr_header, header_size),
	       offsetof(struct rhr_header, stop) - offsetof(struct rhr_header, header_size));
	o->stop.tsc = rhr_ld64(&h->stop.tsc);
	o->stop.mono_ns = rhr_ld64(&h->stop.mono_ns);
	o->num_events = h->num_events;
	o->lost_no_buffer = rhr_ld64(&h->lost_no_buffer);
	o->lost_nested = rhr_ld64(&h->lost_nested);
	memcpy(o->hostname, h->hostname, sizeof(*o) - offsetof(struct rhr_header, hostname));
}

/* rdr_recfile_init() once the mapping is guarded. */
static int init_guarded(struct rdr_recfile *f, const void *data, size_t len, struct rdr_proc *proc,
			char *err, size_t err_size)
{
	static const uint8_t zero[sizeof(RHR_MAGIC) - 1];
	struct rhr_anchor end;
	int ret;

	read_header(f, data);
	if (!sniff(data, len) && memcmp(f->hdr.magic, zero, sizeof(zero)))
		return rdr_fail(err, err_size, -EINVAL, "not a recorder file (bad magic)");
	if (!f->hdr.version)
		return f->live ? rdr_fail(err, err_size, -EAGAIN,
					     "header not complete yet: its process is starting its recorder")
			       : rdr_fail(err, err_size, -ENODATA,
					     "header never completed (the process died while starting)");
	if (!sniff(data, len))
		return rdr_fail(err, err_size, -EINVAL, "not a recorder file (bad magic)");
	ret = check_header(&f->hdr, len, err, err_size);
	if (ret)
		return ret;
	f->subbuf_size = (uint32_t)(f->hdr.buffer_size / f->hdr.num_subbuffers);

	copy_str(proc->host, sizeof(proc->host), f->hdr.hostname, sizeof(f->hdr.hostname));
	copy_str(proc->comm, sizeof(proc->comm), f->hdr.comm, sizeof(f->hdr.comm));
	proc->pid = f->hdr.pid;
	snprintf(proc->source, sizeof(proc->source), "flight-recorder");
	proc->start_mono = f->hdr.start.mono_ns;
	memcpy(proc->boot_id, f->hdr.boot_id, sizeof(proc->boot_id));
	proc->has_boot_id = memcmp(proc->boot_id, (const uint8_t[16]){ 0 }, 16) != 0;
	proc->realtime_offset_ns = f->hdr.realtime_offset_ns;
	proc->clock_offset_ns = f->hdr.realtime_offset_ns;
	proc->lost.no_buffer = f->hdr.lost_no_buffer;
	proc->lost.nested = f->hdr.lost_nested;

	if (f->hdr.num_buffers) {
		f->streams = calloc(f->hdr.num_buffers, sizeof(*f->streams));
		if (!f->streams)
			return rdr_fail(err, err_size, -ENOMEM, "out of memory");
		f->num_slots = f->hdr.num_buffers;
	}
	end = f->hdr.calib;
	if (f->hdr.state != RHR_STATE_RECORDING)
		widen(f, &f->hdr.stop, &end);
	for (uint32_t i = 0; i < f->hdr.num_buffers; i++) {
		ret = add_stream(f, i, &end);
		if (ret)
			return rdr_fail(err, err_size, ret, "out of memory");
	}
	f->ns_per_tick = f->hdr.clock == RHR_CLOCK_TSC ? (double)(end.mono_ns - f->hdr.start.mono_ns) /
								 (double)(end.tsc - f->hdr.start.tsc)
						       : 1.0;
	/* kHz to THz: anything else is a damaged calibration. */
	if (!(f->ns_per_tick > 1e-3 && f->ns_per_tick < 1e6))
		return rdr_fail(err, err_size, -EINVAL, "bad clock calibration");
	for (uint32_t i = 0; i < f->num_streams; i++) {
		f->streams[i].s.next = stream_next;
		f->streams[i].s.ev.proc = proc;
	}
	proc->lossy = proc->lost.no_buffer || proc->lost.nested || proc->lost.damaged;
	completeness(f);
	return 0;
}

int rdr_recfile_init(struct rdr_recfile *f, const void *data, size_t len, bool live,
			struct rdr_proc *proc, char *err, size_t err_size)
{
	struct rdr_guard g;
	int ret;

	memset(f, 0, sizeof(*f));
	f->base = data;
	f->len = len;
	f->live = live;
	f->proc = proc;
	if (len < sizeof(f->hdr))
		return rdr_fail(err, err_size, -EINVAL, "truncated: %zu bytes, shorter than a recorder header", len);
	rdr_guard_arm(&g, data, len);
	if (sigsetjmp(g.jb, 1)) {
		rdr_guard_disarm(&g);
		rdr_recfile_close(f);
		return rdr_fail(err, err_size, -EIO, "truncated while being read: the file shrank after it was opened");
	}
	ret = init_guarded(f, data, len, proc, err, err_size);
	rdr_guard_disarm(&g);
	if (ret)
		rdr_recfile_close(f);
	return ret;
}

/* What the liveness lock says (recorder_format.h). */
enum writer { WRITER_GONE, WRITER_HOLDS_LOCK, WRITER_UNKNOWN };

static enum writer writer_lock(int fd)
{
	struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = RHR_LOCK_LEN };

	/* A test only: never takes the lock, so it cannot get in a writer's way. */
	if (fcntl(fd, F_OFD_GETLK, &lk))
		return WRITER_UNKNOWN;
	return lk.l_type == F_UNLCK ? WRITER_GONE : WRITER_HOLDS_LOCK;
}

/*
 * Whether a writer may still change the file: never after a stop; else
 * as the lock says, and when the lock cannot tell (an older writer, a
 * file system without OFD locks, an error), yes.  A header not complete
 * yet says nothing of the lock (its flags come with it): the lock alone
 * then tells a process creating its file from one that died doing so.
 * Never from a pid, which means nothing in another PID namespace.
 */
static bool writer_may_write(int fd, const void *map, size_t len)
{
	const struct rhr_header *h = map;
	struct rdr_guard g;
	volatile uint32_t version = 0, state = 0, flags = 0;
	enum writer lock;

	rdr_guard_arm(&g, map, len);
	if (sigsetjmp(g.jb, 1)) {
		rdr_guard_disarm(&g);
		return false; /* shrank already: init reports it */
	}
	/* H1: flags and state are those of a complete header once version is set. */
	version = __atomic_load_n(&h->version, __ATOMIC_ACQUIRE);
	state = __atomic_load_n(&h->state, __ATOMIC_ACQUIRE);
	flags = rhr_ld32(&h->flags);
	rdr_guard_disarm(&g);
	lock = writer_lock(fd);
	if (!version)
		return lock != WRITER_GONE;
	if (state == RHR_STATE_STOPPED)
		return false;
	switch (lock) {
	case WRITER_HOLDS_LOCK:
		return true;
	case WRITER_GONE:
		return !(flags & RHR_FLAG_WRITER_LOCK);
	case WRITER_UNKNOWN:
		break;
	}
	return true;
}

int rdr_recfile_open(struct rdr_recfile *f, const char *path, struct rdr_proc *proc, char *err,
			size_t err_size)
{
	struct stat st;
	void *map;
	int fd, ret;
	bool live;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rdr_fail(err, err_size, -errno, "%s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return rdr_fail(err, err_size, -EINVAL, "not a regular file");
	}
	if ((size_t)st.st_size < sizeof(struct rhr_header)) {
		close(fd);
		return rdr_fail(err, err_size, -EINVAL, "truncated: %lld bytes, shorter than a recorder header",
			    (long long)st.st_size);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return rdr_fail(err, err_size, ret, "mmap: %s", strerror(-ret));
	}
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	live = writer_may_write(fd, map, (size_t)st.st_size);
	close(fd);
	ret = rdr_recfile_init(f, map, (size_t)st.st_size, live, proc, err, err_size);
	if (ret) {
		munmap(map, (size_t)st.st_size);
		return ret;
	}
	f->mapped = true;
	snprintf(proc->origin, sizeof(proc->origin), "%s", path);
	return 0;
}

void rdr_recfile_close(struct rdr_recfile *f)
{
	/* Every slot: init may have stopped (out of memory, a fault) with one half built. */
	for (uint32_t i = 0; i < f->num_slots; i++) {
		free(f->streams[i].order);
		free(f->streams[i].copy);
	}
	free(f->streams);
	if (f->mapped)
		munmap((void *)(uintptr_t)f->base, f->len);
	memset(f, 0, sizeof(*f));
}
