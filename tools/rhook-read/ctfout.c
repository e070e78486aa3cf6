/*
 * ctfout.c - CTF 1.8 export (see ctfout.h).
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

#include "out.h"
#include "recorder/safedir.h"
#include "schema.h"

#define CTF_MAGIC 0xC1FC1FC1u
#define PACKET_SIZE (256u * 1024u)
/* Packet header (magic, uuid, stream id) and context (begin, end, content and packet sizes). */
#define PACKET_HEAD (4u + 16u + 4u + 4u * 8u)
/* Largest event: headers, the biggest payload with its UUIDs as text (37 bytes for 16), full id lists. */
#define EVENT_MAX (64u + 3u * sizeof(union rhook__ev_any) + RHOOK__EV_MAX_LISTS * RHOOK__EV_MAX_LISTED_IDS * 37u)

struct trace {
	const struct rhook__rd_proc *proc;
	int dfd;       /* the trace directory */
	int fd;        /* its stream file */
	uint8_t uuid[16];
	uint8_t *pkt;  /* the packet being filled */
	size_t len;
	uint64_t begin, end;
	uint64_t events;
};

struct rhook__ctfout {
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

int rhook__ctfout_open(struct rhook__ctfout **out, const char *dir, bool force, char *err, size_t err_size)
{
	struct rhook__ctfout *x;
	int dfd;

	*out = NULL;
	/* Created 0700 if missing; never a symlink, never a directory others can change (safedir.h). */
	dfd = rhook__safedir_open(dir, err, err_size);
	if (dfd < 0)
		return dfd;
	if (!force && !dir_empty(dfd)) {
		close(dfd);
		return rhook__fail(err, err_size, -EEXIST, "%s: exists and is not empty (--force writes into it)", dir);
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		close(dfd);
		return rhook__fail(err, err_size, -ENOMEM, "out of memory");
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

/*
 * Creates the directory of a trace under x->dfd.  With --force an
 * existing directory of that name is reused once rhook-read's own files
 * are removed from it; anything else there makes the creation fail.
 */
static int make_trace_dir(struct rhook__ctfout *x, const char *name, char *err, size_t err_size)
{
	int dfd, ret;

	if (mkdirat(x->dfd, name, 0700) && (errno != EEXIST || !x->force))
		return rhook__fail(err, err_size, -errno, "%s: %s", name, strerror(errno));
	dfd = openat(x->dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return rhook__fail(err, err_size, -errno, "%s: %s", name, strerror(errno));
	if (x->force) {
		/* Reused: as private as one the export creates. */
		ret = rhook__safedir_check(dfd, name, err, err_size);
		if (ret) {
			close(dfd);
			return ret;
		}
		unlinkat(dfd, "metadata", 0);
		unlinkat(dfd, "stream", 0);
	}
	return dfd;
}

static int create_file(int dfd, const char *name)
{
	return openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static struct trace *new_trace(struct rhook__ctfout *x, const struct rhook__rd_proc *p, char *err, size_t err_size)
{
	char host[64], comm[32], name[160];
	struct trace *t;
	int dfd = -EEXIST;

	name_part(host, sizeof(host), p->host, "host");
	name_part(comm, sizeof(comm), p->comm, "process");
	for (unsigned n = 0; n < 100 && dfd == -EEXIST; n++) {
		if (n)
			snprintf(name, sizeof(name), "%s-%s-%" PRIu64 "-%u", host, comm, p->pid, n);
		else
			snprintf(name, sizeof(name), "%s-%s-%" PRIu64, host, comm, p->pid);
		dfd = make_trace_dir(x, name, err, err_size);
	}
	if (dfd < 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t)
		t->pkt = malloc(PACKET_SIZE);
	if (!t || !t->pkt) {
		rhook__fail(err, err_size, -ENOMEM, "out of memory");
		goto fail;
	}
	t->fd = create_file(dfd, "stream");
	if (t->fd < 0) {
		rhook__fail(err, err_size, -errno, "%s/stream: %s", name, strerror(errno));
		goto fail;
	}
	if (getrandom(t->uuid, sizeof(t->uuid), 0) != sizeof(t->uuid)) {
		rhook__fail(err, err_size, -EIO, "getrandom: %s", strerror(errno));
		close(t->fd);
		goto fail;
	}
	t->uuid[6] = (uint8_t)((t->uuid[6] & 0x0f) | 0x40); /* version 4 */
	t->uuid[8] = (uint8_t)((t->uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	t->dfd = dfd;
	t->proc = p;
	t->len = PACKET_HEAD;
	return t;
fail:
	if (t)
		free(t->pkt);
	free(t);
	close(dfd);
	return NULL;
}

static void put(struct trace *t, const void *p, size_t n)
{
	memcpy(t->pkt + t->len, p, n);
	t->len += n;
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

/* Completes the packet's header and context and writes it. */
static int flush_packet(struct trace *t)
{
	uint32_t magic = CTF_MAGIC, stream_id = 0;
	uint64_t bits = (uint64_t)t->len * 8;
	size_t save = t->len;
	int ret;

	if (t->len == PACKET_HEAD)
		return 0;
	t->len = 0;
	put(t, &magic, 4);
	put(t, t->uuid, 16);
	put(t, &stream_id, 4);
	put(t, &t->begin, 8);
	put(t, &t->end, 8);
	put(t, &bits, 8); /* content size */
	put(t, &bits, 8); /* packet size: no padding */
	ret = write_all(t->fd, t->pkt, save);
	t->len = PACKET_HEAD;
	return ret;
}

/* A text id list as LTTng records it: comma-separated, "-" when empty (events.h). */
static void put_ids(struct trace *t, const uint8_t *ids, unsigned n)
{
	if (!n)
		put(t, RHOOK__EV_EMPTY_ID_LIST, sizeof(RHOOK__EV_EMPTY_ID_LIST) - 1);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			t->pkt[t->len++] = ',';
		rhook__fmt_uuid((char *)t->pkt + t->len, ids + (size_t)i * 16);
		t->len += 36;
	}
	t->pkt[t->len++] = '\0';
}

int rhook__ctfout_add(struct rhook__ctfout *x, const struct rhook__rd_event *ev, char *err, size_t err_size)
{
	const struct rhook__event_desc *d = rhook__schema_event(ev->id);
	unsigned i = ev->proc->index;
	struct trace *t;
	uint16_t id = (uint16_t)ev->id;
	uint32_t pid = (uint32_t)ev->proc->pid;

	if (i >= x->cap) {
		size_t cap = i + 16;
		struct trace **n = realloc(x->traces, cap * sizeof(*n));

		if (!n)
			return rhook__fail(err, err_size, -ENOMEM, "out of memory");
		memset(n + x->cap, 0, (cap - x->cap) * sizeof(*n));
		x->traces = n;
		x->cap = cap;
	}
	t = x->traces[i];
	if (!t) {
		t = x->traces[i] = new_trace(x, ev->proc, err, err_size);
		if (!t)
			return -EIO;
	}
	if (t->len + EVENT_MAX > PACKET_SIZE) {
		int ret = flush_packet(t);

		if (ret)
			return rhook__fail(err, err_size, ret, "write: %s", strerror(-ret));
	}
	if (t->len == PACKET_HEAD)
		t->begin = ev->mono;
	t->end = ev->mono;
	put(t, &id, 2);
	put(t, &ev->mono, 8);
	put(t, &pid, 4);
	put(t, &ev->tid, 4);
	for (uint32_t f = 0; f < d->num_fields; f++) {
		const struct rhook__field *fd = &d->fields[f];
		const uint8_t *src = (const uint8_t *)ev->payload + fd->offset;

		if (fd->kind == RHOOK__FK_UUID) {
			rhook__fmt_uuid((char *)t->pkt + t->len, src);
			t->len += 36;
			t->pkt[t->len++] = '\0';
		} else {
			/* Integers and enumerations: the payload's little-endian bytes as they are. */
			put(t, src, rhook__fkind_size(fd->kind));
		}
	}
	for (uint32_t k = 0, from = 0; k < d->num_lists; from += ev->list_len[k++])
		put_ids(t, ev->ids + (size_t)from * 16, ev->list_len[k]);
	t->events++;
	return 0;
}

static const char *int_type(enum rhook__fkind kind)
{
	switch (kind) {
	case RHOOK__FK_U8:
	case RHOOK__FK_E8:
		return "uint8_t";
	case RHOOK__FK_U32:
	case RHOOK__FK_E32:
		return "uint32_t";
	case RHOOK__FK_I32:
		return "int32_t";
	case RHOOK__FK_U64:
		return "uint64_t";
	case RHOOK__FK_I64:
		return "int64_t";
	case RHOOK__FK_UUID:
		break;
	}
	return "string";
}

static void metadata_events(struct rhook__out *o)
{
	for (unsigned id = 1; id <= RHOOK__EV_MAX_ID; id++) {
		const struct rhook__event_desc *d = rhook__schema_event(id);

		if (!d)
			continue;
		rhook__out_printf(o, "event {\n\tname = \"%s\";\n\tid = %u;\n\tstream_id = 0;\n\tfields := struct {\n",
				  d->full_name, id);
		for (uint32_t i = 0; i < d->num_fields; i++) {
			const struct rhook__field *f = &d->fields[i];

			rhook__out_str(o, "\t\t");
			if (f->labels) {
				rhook__out_printf(o, "enum : %s {", int_type(f->kind));
				for (uint32_t v = 0; v < f->labels->count; v++) {
					rhook__out_str(o, v ? ", " : " ");
					rhook__out_quoted(o, f->labels->labels[v]);
					rhook__out_printf(o, " = %u", v);
				}
				rhook__out_str(o, " }");
			} else {
				rhook__out_str(o, int_type(f->kind));
			}
			/* A leading underscore keeps names clear of TSDL keywords; readers drop it. */
			rhook__out_printf(o, " _%s;\n", f->name);
		}
		for (uint32_t k = 0; k < d->num_lists; k++)
			rhook__out_printf(o, "\t\tstring _%s;\n", d->lists[k].name);
		rhook__out_str(o, "\t};\n};\n\n");
	}
}

static void uuid_text(char out[37], const uint8_t id[16])
{
	rhook__fmt_uuid(out, id);
	out[36] = '\0';
}

static int write_metadata(const struct trace *t)
{
	const struct rhook__rd_proc *p = t->proc;
	int64_t off = p->clock_offset_ns;
	int64_t off_s = off / 1000000000 - (off % 1000000000 < 0);
	int64_t off_ns = off - off_s * 1000000000;
	char uuid[37], boot[37];
	struct rhook__out o;
	int fd = create_file(t->dfd, "metadata"), ret;

	if (fd < 0)
		return -errno;
	ret = rhook__out_init(&o, fd);
	if (ret) {
		close(fd);
		return ret;
	}
	uuid_text(uuid, t->uuid);
	rhook__out_str(&o, "/* CTF 1.8 */\n\n"
			   "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
			   "typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n"
			   "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
			   "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
			   "typealias integer { size = 32; align = 8; signed = true; } := int32_t;\n"
			   "typealias integer { size = 64; align = 8; signed = true; } := int64_t;\n\n");
	rhook__out_printf(&o,
			  "trace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"%s\";\n\tbyte_order = le;\n"
			  "\tpacket.header := struct {\n\t\tuint32_t magic;\n\t\tuint8_t uuid[16];\n"
			  "\t\tuint32_t stream_id;\n\t};\n};\n\n",
			  uuid);
	rhook__out_str(&o, "env {\n\thostname = ");
	rhook__out_quoted(&o, p->host);
	rhook__out_str(&o, ";\n\tprocname = ");
	rhook__out_quoted(&o, p->comm);
	rhook__out_printf(&o,
			  ";\n\ttracer_name = \"rhook\";\n\tvpid = %" PRIu64 ";\n\trhook_lost_discard = %" PRIu64
			  ";\n\trhook_lost_overwrite = %" PRIu64 ";\n\trhook_lost_no_buffer = %" PRIu64
			  ";\n\trhook_lost_nested = %" PRIu64 ";\n\trhook_lost_reader = %" PRIu64
			  ";\n\trhook_lost_damaged = %" PRIu64 ";\n\trhook_lossy = %d;\n\trhook_complete_from = %" PRIu64
			  ";\n\trhook_complete_until = %" PRIu64 ";\n};\n\n",
			  p->pid, p->lost.discard, p->lost.overwrite, p->lost.no_buffer, p->lost.nested, p->lost.reader,
			  p->lost.damaged, p->lossy ? 1 : 0, p->complete_from, p->complete_until);
	rhook__out_str(&o, "clock {\n\tname = \"monotonic\";\n");
	if (p->has_boot_id) {
		uuid_text(boot, p->boot_id);
		rhook__out_printf(&o, "\tuuid = \"%s\";\n", boot);
	}
	rhook__out_printf(&o,
			  "\tdescription = \"CLOCK_MONOTONIC\";\n\tfreq = 1000000000;\n\tprecision = 1;\n"
			  "\toffset_s = %" PRId64 ";\n\toffset = %" PRId64 ";\n\tabsolute = TRUE;\n};\n\n",
			  off_s, off_ns);
	rhook__out_str(&o, "typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } "
			   ":= uint64_clock_monotonic_t;\n\n"
			   "stream {\n\tid = 0;\n\tpacket.context := struct {\n"
			   "\t\tuint64_clock_monotonic_t timestamp_begin;\n\t\tuint64_clock_monotonic_t timestamp_end;\n"
			   "\t\tuint64_t content_size;\n\t\tuint64_t packet_size;\n\t};\n"
			   "\tevent.header := struct {\n\t\tuint16_t id;\n\t\tuint64_clock_monotonic_t timestamp;\n\t};\n"
			   "\tevent.context := struct {\n\t\tuint32_t _pid;\n\t\tuint32_t _tid;\n\t};\n};\n\n");
	metadata_events(&o);
	ret = rhook__out_close(&o);
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int rhook__ctfout_close(struct rhook__ctfout *x, size_t *traces, char *err, size_t err_size)
{
	int ret = 0;

	*traces = 0;
	for (size_t i = 0; i < x->cap; i++) {
		struct trace *t = x->traces[i];
		int r;

		if (!t)
			continue;
		r = flush_packet(t);
		if (close(t->fd) && !r)
			r = -errno;
		if (!r)
			r = write_metadata(t);
		if (r && !ret)
			ret = rhook__fail(err, err_size, r, "%s: %s", t->proc->origin, strerror(-r));
		*traces += !r;
		close(t->dfd);
		free(t->pkt);
		free(t);
	}
	free(x->traces);
	close(x->dfd);
	free(x);
	return ret;
}
