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

#include "out.h"
#include "schema.h"

/* One sub-buffer of a buffer, in the order the stream reads them. */
struct sbref {
	uint64_t seq;
	uint32_t slot;
};

struct rhook__recstream {
	struct rhook__rd_stream s; /* first: streams are handed out as this */
	struct rhook__recfile *f;
	const uint8_t *buf;        /* the buffer's first sub-buffer */
	struct sbref *order;
	uint32_t num_sb, next_sb;
	const uint8_t *cur;        /* records of the current sub-buffer */
	size_t cur_offset;         /* file offset of cur[0] */
	uint32_t off, commit, last_size;
	struct rhr_anchor anchor;
	uint32_t tid;
	uint64_t last_mono;
	uint8_t *copy;             /* live files: private copy of the current sub-buffer */
};

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
		return rhook__fail(err, err_size, -EBADMSG,
				   "incomplete header: the writer stopped before it finished creating the file");
	if (h->version != RHR_VERSION)
		return rhook__fail(err, err_size, -EPROTONOSUPPORT,
			    "unsupported recorder format version %u (this rhook-read reads version %u)", h->version,
			    RHR_VERSION);
	if (h->header_size != RHR_HEADER_SIZE || h->bufhdr_size != RHR_BUFHDR_SIZE ||
	    h->sbhdr_size != RHR_SBHDR_SIZE)
		return rhook__fail(err, err_size, -EINVAL, "unexpected header sizes %u/%u/%u", h->header_size,
			    h->bufhdr_size, h->sbhdr_size);
	if (!is_pow2(h->buffer_size) || h->buffer_size > (1u << 30) || !is_pow2(h->num_subbuffers) ||
	    h->num_subbuffers < 2 || h->buffer_size / h->num_subbuffers < RHR_MIN_SUBBUF_SIZE ||
	    h->num_buffers > 4096)
		return rhook__fail(err, err_size, -EINVAL, "bad geometry: %u buffers of %llu bytes in %u sub-buffers",
			    h->num_buffers, (unsigned long long)h->buffer_size, h->num_subbuffers);
	if (h->mode > 1 || (h->clock != RHR_CLOCK_TSC && h->clock != RHR_CLOCK_MONOTONIC) ||
	    h->state < RHR_STATE_RECORDING || h->state > RHR_STATE_EXITED)
		return rhook__fail(err, err_size, -EINVAL, "bad mode %u, clock %u or state %u", h->mode, h->clock,
			    h->state);
	per_buffer = RHR_BUFHDR_SIZE + h->buffer_size;
	need = RHR_HEADER_SIZE + per_buffer * h->num_buffers; /* <= 4 TiB: no overflow */
	if (len < need)
		return rhook__fail(err, err_size, -EINVAL, "truncated: %zu bytes, the header describes %llu", len,
			    (unsigned long long)need);
	if (h->clock == RHR_CLOCK_TSC &&
	    (h->calib.tsc <= h->start.tsc || h->calib.mono_ns <= h->start.mono_ns))
		return rhook__fail(err, err_size, -EINVAL, "bad clock calibration");
	return 0;
}

static const uint8_t *buffer_at(const struct rhook__recfile *f, uint32_t i)
{
	return f->base + RHR_HEADER_SIZE + (size_t)i * (RHR_BUFHDR_SIZE + f->hdr.buffer_size);
}

/*
 * Reads a sub-buffer header.  On a live file seq is loaded first with
 * acquire, pairing with the writer's release store of seq after it wrote
 * the header (format.h), so the rest of the header is the one that seq
 * published.
 */
static void read_sbhdr(const struct rhook__recfile *f, const uint8_t *p, struct rhr_sbhdr *out)
{
	if (f->live) {
		out->seq = __atomic_load_n((const uint64_t *)(const void *)p, __ATOMIC_ACQUIRE);
		memcpy((uint8_t *)out + sizeof(out->seq), p + sizeof(out->seq), sizeof(*out) - sizeof(out->seq));
	} else {
		memcpy(out, p, sizeof(*out));
	}
}

static int cmp_seq(const void *a, const void *b)
{
	const struct sbref *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whether sub-buffer header @sb is usable in slot @slot; seq 0 is simply empty. */
static bool sb_valid(const struct rhook__recfile *f, const struct rhr_sbhdr *sb, uint32_t slot)
{
	return sb->seq && ((sb->seq - 1) & (f->hdr.num_subbuffers - 1)) == slot &&
	       sb->commit <= f->subbuf_size - RHR_SBHDR_SIZE && !(sb->commit & 7);
}

/* Widens the clock baseline with anchor @a (one read after the start anchor). */
static void widen(const struct rhook__recfile *f, const struct rhr_anchor *a, struct rhr_anchor *end)
{
	if (a->tsc > f->hdr.start.tsc && a->mono_ns > f->hdr.start.mono_ns && a->mono_ns > end->mono_ns)
		*end = *a;
}

/* Builds the stream of buffer @i if it holds data; returns 0 or -ENOMEM. */
static int add_stream(struct rhook__recfile *f, uint32_t i, struct rhr_anchor *end)
{
	const uint8_t *bh = buffer_at(f, i);
	struct rhook__recstream *s = &f->streams[f->num_streams];
	struct rhr_bufhdr b;

	memcpy(&b, bh, sizeof(b));
	f->proc->lost.discard += b.lost_discard;
	f->proc->lost.overwrite += b.lost_overwrite;
	memset(s, 0, sizeof(*s));
	s->f = f;
	s->buf = bh + RHR_BUFHDR_SIZE;
	s->s.buffer = i;
	s->s.lost.discard = b.lost_discard;
	s->s.lost.overwrite = b.lost_overwrite;
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
		s->order[s->num_sb++] = (struct sbref){ .seq = sb.seq, .slot = slot };
		widen(f, &sb.anchor, end);
	}
	if (!s->num_sb)
		return 0;
	qsort(s->order, s->num_sb, sizeof(*s->order), cmp_seq);
	if (f->live) {
		s->copy = malloc(f->subbuf_size);
		if (!s->copy) {
			free(s->order);
			return -ENOMEM;
		}
	}
	f->num_streams++;
	return 0;
}

/*
 * GCC warns that ThreadSanitizer does not model the fence in
 * next_subbuf(); the writer it orders against is another process, which
 * ThreadSanitizer never sees anyway.
 */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#endif
/* Loads the next usable sub-buffer of @s; false when none is left. */
static bool next_subbuf(struct rhook__recstream *s)
{
	struct rhook__recfile *f = s->f;

	while (s->next_sb < s->num_sb) {
		const struct sbref *ref = &s->order[s->next_sb++];
		const uint8_t *p = s->buf + (size_t)ref->slot * f->subbuf_size;
		struct rhr_sbhdr sb;

		read_sbhdr(f, p, &sb);
		if (sb.seq != ref->seq || !sb_valid(f, &sb, ref->slot)) {
			/* Recycled by the live writer since open: its records are gone. */
			f->proc->lost.reader += sb.records;
			s->s.lost.reader += sb.records;
			continue;
		}
		if (f->live) {
			memcpy(s->copy, p + RHR_SBHDR_SIZE, sb.commit);
			/*
			 * Seqlock reader: the copy's loads complete before seq is
			 * loaded again.  Pairs with the writer's acq_rel exchange
			 * of seq to 0 before it reuses the sub-buffer (writer.c,
			 * next_subbuf): a copy that raced with a reuse sees seq
			 * changed and is dropped.
			 */
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n((const uint64_t *)(const void *)p, __ATOMIC_RELAXED) != ref->seq) {
				f->proc->lost.reader += sb.records;
				s->s.lost.reader += sb.records;
				continue;
			}
			s->cur = s->copy;
		} else {
			s->cur = p + RHR_SBHDR_SIZE;
		}
		s->cur_offset = (size_t)(p + RHR_SBHDR_SIZE - f->base);
		s->commit = sb.commit;
		s->off = 0;
		s->anchor = sb.anchor;
		s->tid = sb.tid;
		return true;
	}
	return false;
}
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* Converts a record timestamp with the current sub-buffer's anchor. */
static uint64_t to_mono(struct rhook__recstream *s, uint64_t ts)
{
	const struct rhook__recfile *f = s->f;
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

/* Validates the record at s->cur + s->off and fills s->s.ev; false if malformed. */
static bool decode(struct rhook__recstream *s)
{
	const uint8_t *p = s->cur + s->off;
	uint32_t avail = s->commit - s->off, expect;
	const struct rhook__event_desc *desc;
	struct rhook__rd_event *ev = &s->s.ev;
	struct rhr_record rec;
	uint32_t ids = 0, added = 0;

	if (avail < sizeof(rec))
		return false;
	memcpy(&rec, p, sizeof(rec));
	desc = rhook__schema_event(rec.id);
	if (rec.magic != RHR_RECORD_MAGIC || !desc || rec.size > avail || rec.size < sizeof(rec) + desc->payload_size)
		return false;
	if (desc->has_id_lists)
		ids = rhook__listed_ids((const void *)(p + sizeof(rec)), &added);
	/* The exact size the writer gives this payload and tail: anything else is damage. */
	expect = ((uint32_t)sizeof(rec) + desc->payload_size + ids * 16u + 7u) & ~7u;
	if (rec.size != expect)
		return false;
	ev->id = rec.id;
	ev->payload = p + sizeof(rec);
	ev->ids = p + sizeof(rec) + desc->payload_size;
	ev->num_ids = (uint16_t)ids;
	ev->num_added = (uint16_t)added;
	ev->tid = s->tid;
	ev->mono = to_mono(s, rec.timestamp);
	ev->ts = ev->mono + (uint64_t)s->f->proc->clock_offset_ns;
	s->last_size = rec.size;
	s->off += rec.size;
	return true;
}

static bool stream_next(struct rhook__rd_stream *base)
{
	struct rhook__recstream *s = (struct rhook__recstream *)base;

	for (;;) {
		if (s->off < s->commit) {
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

struct rhook__rd_stream *rhook__recfile_stream(struct rhook__recfile *f, uint32_t i)
{
	return &f->streams[i].s;
}

struct rhook__recpos rhook__recstream_pos(const struct rhook__rd_stream *base)
{
	const struct rhook__recstream *s = (const struct rhook__recstream *)base;

	return (struct rhook__recpos){ .offset = s->cur_offset + s->off - s->last_size, .size = s->last_size };
}

/*
 * The first and last monotonic times of stream @s, read ahead on scratch
 * copies: the first record of its oldest sub-buffer, the last of its
 * newest (all of them if the newest holds none).
 */
static void span(const struct rhook__recstream *s, uint64_t *first, uint64_t *last)
{
	struct rhook__recstream t = *s;
	struct rhook__rd_lost lost = s->f->proc->lost;
	uint64_t events = s->f->proc->events;

	*first = *last = 0;
	if (s->f->live) {
		/* The scratch stream would write into the shared copy: skip the read-ahead. */
		return;
	}
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
static void completeness(struct rhook__recfile *f)
{
	for (uint32_t i = 0; i < f->num_streams; i++) {
		const struct rhook__recstream *s = &f->streams[i];
		const struct rhr_bufhdr *b = (const struct rhr_bufhdr *)(const void *)(s->buf - RHR_BUFHDR_SIZE);
		uint64_t first, last;

		if (!b->lost_overwrite && !b->lost_discard)
			continue;
		span(s, &first, &last);
		if (b->lost_overwrite && first > f->proc->complete_from)
			f->proc->complete_from = first;
		if (b->lost_discard && (!f->proc->complete_until || last < f->proc->complete_until))
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

int rhook__recfile_init(struct rhook__recfile *f, const void *data, size_t len, bool live,
			struct rhook__rd_proc *proc, char *err, size_t err_size)
{
	static const uint8_t zero[sizeof(RHR_MAGIC) - 1];
	struct rhr_anchor end;
	int ret;

	memset(f, 0, sizeof(*f));
	f->base = data;
	f->len = len;
	f->live = live;
	f->proc = proc;
	if (len < sizeof(f->hdr))
		return rhook__fail(err, err_size, -EINVAL, "truncated: %zu bytes, shorter than a recorder header", len);
	if (live) {
		/* Pairs with the writer's release store of version, the header's last field written. */
		uint32_t version = __atomic_load_n(&((const struct rhr_header *)data)->version, __ATOMIC_ACQUIRE);

		memcpy(&f->hdr, data, sizeof(f->hdr));
		f->hdr.version = version;
	} else {
		memcpy(&f->hdr, data, sizeof(f->hdr));
	}
	if (!sniff(data, len) && memcmp(f->hdr.magic, zero, sizeof(zero)))
		return rhook__fail(err, err_size, -EINVAL, "not a recorder file (bad magic)");
	if (!f->hdr.version)
		return rhook__fail(err, err_size, -ENODATA, "header never completed (the process died while starting)");
	if (!sniff(data, len))
		return rhook__fail(err, err_size, -EINVAL, "not a recorder file (bad magic)");
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
			return rhook__fail(err, err_size, -ENOMEM, "out of memory");
	}
	end = f->hdr.calib;
	if (f->hdr.state != RHR_STATE_RECORDING)
		widen(f, &f->hdr.stop, &end);
	for (uint32_t i = 0; i < f->hdr.num_buffers; i++) {
		ret = add_stream(f, i, &end);
		if (ret) {
			rhook__recfile_close(f);
			return rhook__fail(err, err_size, ret, "out of memory");
		}
	}
	f->ns_per_tick = f->hdr.clock == RHR_CLOCK_TSC ? (double)(end.mono_ns - f->hdr.start.mono_ns) /
								 (double)(end.tsc - f->hdr.start.tsc)
						       : 1.0;
	/* kHz to THz: anything else is a damaged calibration. */
	if (!(f->ns_per_tick > 1e-3 && f->ns_per_tick < 1e6)) {
		rhook__recfile_close(f);
		return rhook__fail(err, err_size, -EINVAL, "bad clock calibration");
	}
	for (uint32_t i = 0; i < f->num_streams; i++) {
		f->streams[i].s.next = stream_next;
		f->streams[i].s.ev.proc = proc;
	}
	proc->lossy = proc->lost.no_buffer || proc->lost.nested || proc->lost.damaged;
	completeness(f);
	return 0;
}

/* Whether the file's process still runs on this machine and boot (so it may still write). */
static bool writer_alive(const struct rhr_header *h)
{
	char buf[64] = "", want[36];
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	rhook__fmt_uuid(want, h->boot_id);
	if (n < 36 || memcmp(buf, want, 36))
		return false;
	return h->pid <= (uint64_t)INT32_MAX && (kill((pid_t)h->pid, 0) == 0 || errno == EPERM);
}

int rhook__recfile_open(struct rhook__recfile *f, const char *path, struct rhook__rd_proc *proc, char *err,
			size_t err_size)
{
	struct stat st;
	void *map;
	int fd, ret;
	bool live;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rhook__fail(err, err_size, -errno, "%s", strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return rhook__fail(err, err_size, -EINVAL, "not a regular file");
	}
	if ((size_t)st.st_size < sizeof(struct rhr_header)) {
		close(fd);
		return rhook__fail(err, err_size, -EINVAL, "truncated: %lld bytes, shorter than a recorder header",
			    (long long)st.st_size);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	ret = -errno;
	close(fd);
	if (map == MAP_FAILED)
		return rhook__fail(err, err_size, ret, "mmap: %s", strerror(-ret));
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	live = ((const struct rhr_header *)map)->state == RHR_STATE_RECORDING &&
	       writer_alive((const struct rhr_header *)map);
	ret = rhook__recfile_init(f, map, (size_t)st.st_size, live, proc, err, err_size);
	if (ret) {
		munmap(map, (size_t)st.st_size);
		return ret;
	}
	f->mapped = true;
	snprintf(proc->origin, sizeof(proc->origin), "%s", path);
	return 0;
}

void rhook__recfile_close(struct rhook__recfile *f)
{
	for (uint32_t i = 0; i < f->num_streams; i++) {
		free(f->streams[i].order);
		free(f->streams[i].copy);
	}
	free(f->streams);
	if (f->mapped)
		munmap((void *)(uintptr_t)f->base, f->len);
	memset(f, 0, sizeof(*f));
}
