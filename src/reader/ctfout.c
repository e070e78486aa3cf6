/*
 * ctfout.c - CTF 1.8 export in LTTng-UST's shape (see ctfout.h).
 */
#define _GNU_SOURCE
#include "ctfout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lttshape.h"
#include "out.h"
#include "safedir/safedir.h"
#include "schema.h"

#define CTF_MAGIC 0xC1FC1FC1u
#define PACKET_SIZE (256u * 1024u)
/*
 * Packet header (magic, uuid, stream_id, stream_instance_id) and context
 * (timestamp_begin, timestamp_end, content_size, packet_size,
 * packet_seq_num, events_discarded, cpu_id); every field is byte-aligned.
 */
#define PACKET_HEAD (4u + 16u + 4u + 8u + 6u * 8u + 4u)
/*
 * Largest event: extended header, context, the biggest payload with its
 * UUIDs as text (36 bytes for 16), every id list full.
 */
#define EVENT_MAX                                                                        \
	(14u + 8u + RDR_LT_PROCNAME_LEN + 3u * sizeof(union rhw_ev_any) +          \
	 RHW_EV_MAX_LISTS * RDR_LT_ID_LIST_MAX)
/* The large event header's id that announces an extended header. */
#define EXTENDED_ID 65535u

struct trace;

/* One stream file: the events of one source stream of one process. */
struct stream {
	struct trace *t;
	const struct rdr_stream *src; /* NULL: a process with losses only */
	uint32_t buffer;
	int fd;
	uint8_t *pkt;       /* the packet being filled */
	size_t len;
	uint64_t begin, end; /* its time range */
	uint64_t clock;     /* the clock value a reader has after the last event written */
	uint64_t seq;       /* packet_seq_num of the next packet */
	uint64_t discarded; /* events_discarded of the packet being filled */
	bool written;       /* a packet was written */
};

struct trace {
	const struct rdr_proc *proc;
	int dfd;
	uint8_t uuid[16];
	struct stream **streams;
	size_t num_streams;
	char name[160];
};

struct rdr_ctfout {
	int dfd;
	bool force;
	struct trace **traces; /* by proc index; NULL: no event yet */
	size_t cap;
};

static bool dir_empty(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	bool empty = true;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

int rdr_ctfout_open(struct rdr_ctfout **out, const char *dir, bool force, char *err, size_t err_size)
{
	struct rdr_ctfout *x;
	int dfd;

	*out = NULL;
	/* Created 0700 if missing; never a symlink, never a directory others can change (safedir.h). */
	dfd = rhook__safedir_open(dir, err, err_size);
	if (dfd < 0)
		return dfd;
	if (!force && !dir_empty(dfd)) {
		close(dfd);
		return rdr_fail(err, err_size, -EEXIST, "%s: exists and is not empty (--force writes into it)", dir);
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		close(dfd);
		return rdr_fail(err, err_size, -ENOMEM, "out of memory");
	}
	x->dfd = dfd;
	x->force = force;
	*out = x;
	return 0;
}

/* Keeps letters, digits, '.', '-' and '_' of @s in a directory name. */
static void name_part(char *dst, size_t size, const char *s, const char *fallback)
{
	size_t n = 0;

	if (!*s)
		s = fallback;
	for (; *s && n + 1 < size; s++) {
		char c = *s;

		dst[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
					   c == '-' || c == '_'
				   ? c
				   : '_';
	}
	dst[n] = '\0';
}

/* Whether @name is a file the export writes into a trace directory. */
static bool own_file(const char *name)
{
	size_t n = strlen(RDR_LT_STREAM_PREFIX);

	if (!strcmp(name, "metadata"))
		return true;
	if (strncmp(name, RDR_LT_STREAM_PREFIX, n) || !name[n])
		return false;
	return strspn(name + n, "0123456789") == strlen(name + n);
}

/* Removes the export's own files from trace directory @dfd (--force); anything else stays. */
static void remove_own_files(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (own_file(e->d_name))
			unlinkat(dfd, e->d_name, 0);
	closedir(d);
}

/*
 * Creates the directory of a trace under x->dfd.  With --force an
 * existing directory of that name is reused, if it is as private as one
 * the export creates (safedir.h), once rhook-read's own files are
 * removed from it; anything else there makes the creation fail.
 */
static int make_trace_dir(struct rdr_ctfout *x, const char *name, char *err, size_t err_size)
{
	int dfd, ret;

	if (mkdirat(x->dfd, name, 0700) && (errno != EEXIST || !x->force))
		return rdr_fail(err, err_size, -errno, "%s: %s", name, strerror(errno));
	dfd = openat(x->dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return rdr_fail(err, err_size, -errno, "%s: %s", name, strerror(errno));
	if (x->force) {
		ret = rhook__safedir_check(dfd, name, err, err_size);
		if (ret) {
			close(dfd);
			return ret;
		}
		remove_own_files(dfd);
	}
	return dfd;
}

static int create_file(int dfd, const char *name)
{
	return openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static struct trace *new_trace(struct rdr_ctfout *x, const struct rdr_proc *p, char *err, size_t err_size)
{
	char host[64], comm[32];
	struct trace *t = calloc(1, sizeof(*t));
	int dfd = -EEXIST;

	if (!t) {
		rdr_fail(err, err_size, -ENOMEM, "out of memory");
		return NULL;
	}
	name_part(host, sizeof(host), p->host, "host");
	name_part(comm, sizeof(comm), p->comm, "process");
	for (unsigned n = 0; n < 100 && dfd == -EEXIST; n++) {
		if (n)
			snprintf(t->name, sizeof(t->name), "%s-%s-%" PRIu64 "-%u", host, comm, p->pid, n);
		else
			snprintf(t->name, sizeof(t->name), "%s-%s-%" PRIu64, host, comm, p->pid);
		dfd = make_trace_dir(x, t->name, err, err_size);
	}
	if (dfd < 0) {
		free(t);
		return NULL;
	}
	if (getrandom(t->uuid, sizeof(t->uuid), 0) != sizeof(t->uuid)) {
		rdr_fail(err, err_size, -EIO, "getrandom: %s", strerror(errno));
		close(dfd);
		free(t);
		return NULL;
	}
	t->uuid[6] = (uint8_t)((t->uuid[6] & 0x0f) | 0x40); /* version 4 */
	t->uuid[8] = (uint8_t)((t->uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	t->dfd = dfd;
	t->proc = p;
	return t;
}

static struct stream *new_stream(struct trace *t, const struct rdr_stream *src, char *err, size_t err_size)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct stream **n = realloc(t->streams, (t->num_streams + 1) * sizeof(*n));
	char name[32];

	if (n)
		t->streams = n;
	if (s)
		s->pkt = malloc(PACKET_SIZE);
	if (!s || !n || !s->pkt) {
		rdr_fail(err, err_size, -ENOMEM, "out of memory");
		goto fail;
	}
	s->t = t;
	s->src = src;
	s->buffer = src ? src->buffer : 0;
	snprintf(name, sizeof(name), RDR_LT_STREAM_PREFIX "%" PRIu32, s->buffer);
	s->fd = create_file(t->dfd, name);
	if (s->fd < 0) {
		rdr_fail(err, err_size, -errno, "%s/%s: %s", t->name, name, strerror(errno));
		goto fail;
	}
	s->len = PACKET_HEAD;
	t->streams[t->num_streams++] = s;
	return s;
fail:
	if (s)
		free(s->pkt);
	free(s);
	return NULL;
}

static void put(struct stream *s, const void *p, size_t n)
{
	memcpy(s->pkt + s->len, p, n);
	s->len += n;
}

static int write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* Completes the packet's header and context and writes it (an empty one too). */
static int write_packet(struct stream *s)
{
	uint32_t magic = CTF_MAGIC, stream_class = 0;
	uint64_t instance = s->buffer, bits = (uint64_t)s->len * 8;
	size_t save = s->len;
	int ret;

	s->len = 0;
	put(s, &magic, 4);
	put(s, s->t->uuid, 16);
	put(s, &stream_class, 4);
	put(s, &instance, 8);
	put(s, &s->begin, 8);
	put(s, &s->end, 8);
	put(s, &bits, 8); /* content size */
	put(s, &bits, 8); /* packet size: no padding */
	put(s, &s->seq, 8);
	put(s, &s->discarded, 8);
	put(s, &s->buffer, 4); /* cpu_id: the recorder buffer */
	ret = write_all(s->fd, s->pkt, save);
	s->len = PACKET_HEAD;
	s->seq++;
	s->written = true;
	return ret;
}

/* Writes the packet being filled, if it holds events. */
static int flush_events(struct stream *s)
{
	return s->len == PACKET_HEAD ? 0 : write_packet(s);
}

/* Writes an event-less packet at @ts counting @discarded lost events so far. */
static int empty_packet(struct stream *s, uint64_t ts, uint64_t discarded)
{
	s->begin = s->end = ts;
	s->discarded = discarded;
	return write_packet(s);
}

/*
 * Makes the packets of @s count @lost lost events from time @ts on: the
 * events so far go out with the old count, the next packet carries the
 * new one.  A stream's first packet must count none (a reader cannot
 * tell how many a first packet lost), hence an empty one first.
 */
static int account(struct stream *s, uint64_t lost, uint64_t ts)
{
	int ret;

	if (lost == s->discarded)
		return 0;
	ret = flush_events(s);
	if (!ret && !s->written)
		ret = empty_packet(s, ts, 0);
	s->discarded = lost;
	return ret;
}

static struct trace *trace_of(struct rdr_ctfout *x, const struct rdr_proc *p, char *err, size_t err_size)
{
	unsigned i = p->index;

	if (i >= x->cap) {
		size_t cap = i + 16;
		struct trace **n = realloc(x->traces, cap * sizeof(*n));

		if (!n) {
			rdr_fail(err, err_size, -ENOMEM, "out of memory");
			return NULL;
		}
		memset(n + x->cap, 0, (cap - x->cap) * sizeof(*n));
		x->traces = n;
		x->cap = cap;
	}
	if (!x->traces[i])
		x->traces[i] = new_trace(x, p, err, err_size);
	return x->traces[i];
}

static struct stream *stream_of(struct trace *t, const struct rdr_stream *src, char *err, size_t err_size)
{
	for (size_t i = 0; i < t->num_streams; i++)
		if (t->streams[i]->src == src)
			return t->streams[i];
	return new_stream(t, src, err, err_size);
}

/* The large event header: compact (32-bit timestamp) when the reader can extend it exactly. */
static void put_header(struct stream *s, uint16_t id, uint64_t ts)
{
	if (ts >= s->clock && ts - s->clock < (UINT64_C(1) << 32)) {
		uint32_t low = (uint32_t)ts;

		put(s, &id, 2);
		put(s, &low, 4);
	} else {
		uint16_t ext = EXTENDED_ID;
		uint32_t id32 = id;

		put(s, &ext, 2);
		put(s, &id32, 4);
		put(s, &ts, 8);
	}
	s->clock = ts;
}

int rdr_ctfout_add(struct rdr_ctfout *x, const struct rdr_event *ev, char *err, size_t err_size)
{
	const struct rdr_event_desc *d = rdr_schema_event(ev->id);
	const struct rdr_stream *src = rdr_event_stream(ev);
	char procname[RDR_LT_PROCNAME_LEN];
	struct trace *t = trace_of(x, ev->proc, err, err_size);
	struct stream *s = t ? stream_of(t, src, err, err_size) : NULL;
	int32_t vpid = (int32_t)ev->proc->pid, vtid = (int32_t)ev->tid;
	int ret;

	if (!s)
		return -EIO;
	ret = account(s, rdr_lost_total(&src->lost), ev->mono);
	if (!ret && s->len + EVENT_MAX > PACKET_SIZE)
		ret = flush_events(s);
	if (ret)
		return rdr_fail(err, err_size, ret, "write: %s", strerror(-ret));
	if (s->len == PACKET_HEAD) {
		s->begin = s->end = ev->mono;
		/* A reader starts each packet's clock at its timestamp_begin. */
		s->clock = ev->mono;
	}
	if (ev->mono > s->end)
		s->end = ev->mono;
	put_header(s, (uint16_t)rdr_lt_event_id(ev->id), ev->mono);
	rdr_lt_procname(procname, ev->proc);
	put(s, &vpid, 4);
	put(s, &vtid, 4);
	put(s, procname, sizeof(procname));
	for (uint32_t f = 0; f < d->num_fields; f++) {
		const struct rdr_field *fd = &d->fields[f];
		const uint8_t *v = (const uint8_t *)ev->payload + fd->offset;

		if (fd->kind == RDR_FK_UUID) {
			/* A 36-character text array, as the provider records file ids. */
			rdr_fmt_uuid((char *)s->pkt + s->len, v);
			s->len += 36;
		} else {
			/* Integers and enumerations: the payload's little-endian bytes as they are. */
			put(s, v, rdr_fkind_size(fd->kind));
		}
	}
	/* The id lists, in schema order, after the fields (lttshape.h). */
	for (uint32_t k = 0, from = 0; k < d->num_lists; from += ev->list_len[k++])
		s->len += rdr_lt_id_list((char *)s->pkt + s->len, ev->ids + (size_t)from * 16, ev->list_len[k]) + 1;
	return 0;
}

/* An integer field class as LTTng-UST declares it. */
static const char *int_decl(enum rdr_fkind kind)
{
	switch (kind) {
	case RDR_FK_U8:
	case RDR_FK_E8:
		return "integer { size = 8; align = 8; signed = 0; encoding = none; base = 10; }";
	case RDR_FK_U32:
	case RDR_FK_E32:
		return "integer { size = 32; align = 8; signed = 0; encoding = none; base = 10; }";
	case RDR_FK_I32:
		return "integer { size = 32; align = 8; signed = 1; encoding = none; base = 10; }";
	case RDR_FK_U64:
		return "integer { size = 64; align = 8; signed = 0; encoding = none; base = 10; }";
	case RDR_FK_I64:
		return "integer { size = 64; align = 8; signed = 1; encoding = none; base = 10; }";
	case RDR_FK_UUID:
		break;
	}
	return "integer { size = 8; align = 8; signed = 1; encoding = UTF8; base = 10; }";
}

static void metadata_events(struct rdr_out *o)
{
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		const struct rdr_event_desc *d = rdr_schema_event(id);

		if (!d)
			continue;
		rdr_out_str(o, "event {\n\tname = ");
		rdr_out_quoted(o, d->full_name);
		rdr_out_printf(o, ";\n\tid = %" PRIu64 ";\n\tstream_id = 0;\n\tloglevel = %d;\n\tfields := struct {\n",
				  rdr_lt_event_id(id), RDR_LT_LOGLEVEL);
		for (uint32_t i = 0; i < d->num_fields; i++) {
			const struct rdr_field *f = &d->fields[i];

			rdr_out_printf(o, "\t\t%s%s", f->labels ? "enum : " : "", int_decl(f->kind));
			if (f->labels) {
				rdr_out_str(o, " {\n");
				for (uint32_t v = 0; v < f->labels->count; v++) {
					rdr_out_str(o, "\t\t\t");
					rdr_out_quoted(o, f->labels->labels[v]);
					rdr_out_printf(o, " = %" PRIu32 ",\n", v);
				}
				rdr_out_str(o, "\t\t}");
			}
			/* LTTng's leading underscore keeps names clear of TSDL keywords; readers drop it. */
			rdr_out_printf(o, " _%s%s;\n", f->name, f->kind == RDR_FK_UUID ? "[36]" : "");
		}
		for (uint32_t k = 0; k < d->num_lists; k++)
			rdr_out_printf(o, "\t\tstring _%s;\n", d->lists[k].name);
		rdr_out_str(o, "\t};\n};\n\n");
	}
}

static void uuid_text(char out[37], const uint8_t id[16])
{
	rdr_fmt_uuid(out, id);
	out[36] = '\0';
}

static const char metadata_types[] =
	"typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
	"typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n"
	"typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
	"typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
	"typealias integer { size = 64; align = 8; signed = false; } := unsigned long;\n"
	"typealias integer { size = 5; align = 1; signed = false; } := uint5_t;\n"
	"typealias integer { size = 27; align = 1; signed = false; } := uint27_t;\n\n";

static const char metadata_stream[] =
	"typealias integer {\n\tsize = 27; align = 1; signed = false;\n\tmap = clock.monotonic.value;\n"
	"} := uint27_clock_monotonic_t;\n\n"
	"typealias integer {\n\tsize = 32; align = 8; signed = false;\n\tmap = clock.monotonic.value;\n"
	"} := uint32_clock_monotonic_t;\n\n"
	"typealias integer {\n\tsize = 64; align = 8; signed = false;\n\tmap = clock.monotonic.value;\n"
	"} := uint64_clock_monotonic_t;\n\n"
	"struct packet_context {\n"
	"\tuint64_clock_monotonic_t timestamp_begin;\n"
	"\tuint64_clock_monotonic_t timestamp_end;\n"
	"\tuint64_t content_size;\n"
	"\tuint64_t packet_size;\n"
	"\tuint64_t packet_seq_num;\n"
	"\tunsigned long events_discarded;\n"
	"\tuint32_t cpu_id;\n"
	"};\n\n"
	"struct event_header_compact {\n"
	"\tenum : uint5_t { compact = 0 ... 30, extended = 31 } id;\n"
	"\tvariant <id> {\n"
	"\t\tstruct {\n\t\t\tuint27_clock_monotonic_t timestamp;\n\t\t} compact;\n"
	"\t\tstruct {\n\t\t\tuint32_t id;\n\t\t\tuint64_clock_monotonic_t timestamp;\n\t\t} extended;\n"
	"\t} v;\n"
	"} align(8);\n\n"
	"struct event_header_large {\n"
	"\tenum : uint16_t { compact = 0 ... 65534, extended = 65535 } id;\n"
	"\tvariant <id> {\n"
	"\t\tstruct {\n\t\t\tuint32_clock_monotonic_t timestamp;\n\t\t} compact;\n"
	"\t\tstruct {\n\t\t\tuint32_t id;\n\t\t\tuint64_clock_monotonic_t timestamp;\n\t\t} extended;\n"
	"\t} v;\n"
	"} align(8);\n\n"
	"stream {\n"
	"\tid = 0;\n"
	"\tevent.header := struct event_header_large;\n"
	"\tpacket.context := struct packet_context;\n"
	"\tevent.context := struct {\n"
	"\t\tinteger { size = 32; align = 8; signed = 1; encoding = none; base = 10; } _vpid;\n"
	"\t\tinteger { size = 32; align = 8; signed = 1; encoding = none; base = 10; } _vtid;\n"
	"\t\tinteger { size = 8; align = 8; signed = 1; encoding = UTF8; base = 10; } _procname[17];\n"
	"\t};\n"
	"};\n\n";

_Static_assert(RDR_LT_PROCNAME_LEN == 17, "metadata_stream declares _procname[17]");

static int write_metadata(const struct trace *t)
{
	const struct rdr_proc *p = t->proc;
	struct rdr_lt_env env;
	char uuid[37], boot[37];
	struct rdr_out o;
	int fd = create_file(t->dfd, "metadata"), ret;

	if (fd < 0)
		return -errno;
	ret = rdr_out_init(&o, fd);
	if (ret) {
		close(fd);
		return ret;
	}
	uuid_text(uuid, t->uuid);
	rdr_out_str(&o, "/* CTF 1.8 */\n\n");
	rdr_out_str(&o, metadata_types);
	rdr_out_printf(&o,
			  "trace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"%s\";\n\tbyte_order = le;\n"
			  "\tpacket.header := struct {\n\t\tuint32_t magic;\n\t\tuint8_t  uuid[16];\n"
			  "\t\tuint32_t stream_id;\n\t\tuint64_t stream_instance_id;\n\t};\n};\n\n",
			  uuid);
	rdr_lt_env(&env, p);
	rdr_out_str(&o, "env {\n");
	for (unsigned i = 0; i < env.n; i++) {
		rdr_out_printf(&o, "\t%s = ", env.e[i].key);
		if (env.e[i].str)
			rdr_out_quoted(&o, env.e[i].str);
		else
			rdr_out_printf(&o, "%" PRId64, env.e[i].num);
		rdr_out_str(&o, ";\n");
	}
	rdr_out_str(&o, "};\n\nclock {\n\tname = \"" RDR_LT_CLOCK_NAME "\";\n");
	if (p->has_boot_id) {
		uuid_text(boot, p->boot_id);
		rdr_out_printf(&o, "\tuuid = \"%s\";\n", boot);
	}
	rdr_out_printf(&o,
			  "\tdescription = \"" RDR_LT_CLOCK_DESCRIPTION "\";\n"
			  "\tfreq = 1000000000; /* Frequency, in Hz */\n"
			  "\t/* clock value offset from Epoch is: offset * (1/freq) */\n"
			  "\toffset = %" PRId64 ";\n};\n\n",
			  p->clock_offset_ns);
	rdr_out_str(&o, metadata_stream);
	metadata_events(&o);
	ret = rdr_out_close(&o);
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/*
 * The final packets of trace @t: each stream's last events, then its
 * losses since; what the process lost outside its streams goes to the
 * first stream (a process with no stream gets one holding only that).
 */
static int finish_trace(struct trace *t, char *err, size_t err_size)
{
	const struct rdr_proc *p = t->proc;
	uint64_t rest = rdr_lost_total(&p->lost);
	int ret = 0;

	for (size_t i = 0; i < t->num_streams; i++)
		if (t->streams[i]->src)
			rest = rdr_sat_sub(rest, rdr_lost_total(&t->streams[i]->src->lost));
	if (!t->num_streams && !new_stream(t, NULL, err, err_size))
		return -ENOMEM;
	for (size_t i = 0; !ret && i < t->num_streams; i++) {
		struct stream *s = t->streams[i];
		uint64_t lost = rdr_sat_add(s->src ? rdr_lost_total(&s->src->lost) : 0, i ? 0 : rest);
		uint64_t at = s->written || s->len > PACKET_HEAD ? s->end : p->start_mono;

		ret = flush_events(s);
		if (!ret && lost != s->discarded) {
			ret = account(s, lost, at);
			if (!ret)
				ret = empty_packet(s, at, lost);
		}
		if (close(s->fd) && !ret)
			ret = -errno;
		s->fd = -1;
	}
	if (!ret)
		ret = write_metadata(t);
	if (ret)
		rdr_fail(err, err_size, ret, "%s: %s", t->name, strerror(-ret));
	return ret;
}

static void free_trace(struct trace *t)
{
	for (size_t i = 0; i < t->num_streams; i++) {
		if (t->streams[i]->fd >= 0)
			close(t->streams[i]->fd);
		free(t->streams[i]->pkt);
		free(t->streams[i]);
	}
	free(t->streams);
	close(t->dfd);
	free(t);
}

int rdr_ctfout_close(struct rdr_ctfout *x, struct rdr_proc *const *procs, size_t num_procs,
			size_t *traces, char *err, size_t err_size)
{
	int ret = 0;

	*traces = 0;
	/* A process that kept no event but lost some still gets a trace: losses are never hidden. */
	for (size_t i = 0; !ret && i < num_procs; i++)
		if (rdr_lost_total(&procs[i]->lost) && !trace_of(x, procs[i], err, err_size))
			ret = -EIO;
	for (size_t i = 0; i < x->cap; i++) {
		struct trace *t = x->traces[i];

		if (!t)
			continue;
		if (!ret) {
			ret = finish_trace(t, err, err_size);
			*traces += !ret;
		}
		free_trace(t);
	}
	free(x->traces);
	close(x->dfd);
	free(x);
	return ret;
}
