/*
 * snapshot.c - copies the recorder's rings into a new trace directory
 * while recording goes on (see snapshot.h).
 */
#define _GNU_SOURCE
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/urcu.h"
#include "clock.h"
#include "fault.h"
#include "recorder_impl.h"
#include "wire/recorder_format.h"
#include "wire/recorder_shm.h"

/* One snapshot at a time: they share nothing, but two would double the memory and I/O for nothing. */
static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;

void rhook__rec_snapshot_before_fork(void)
{
	pthread_mutex_lock(&snap_lock);
}

void rhook__rec_snapshot_after_fork(void)
{
	pthread_mutex_unlock(&snap_lock);
}

int rhook__rec_view_begin(unsigned index, struct rhook__rec_view *v)
{
	struct rhook__recorder *r;

	urcu_bp_read_lock();
	/* Pairs with the release store that published the recorder (recorder.c, publish()). */
	r = atomic_load_explicit(&rhook__rec_current, memory_order_acquire);
	/* Today a recorder has one file. */
	if (!r || index > 0) {
		urcu_bp_read_unlock();
		return -ENOENT;
	}
	v->map = r->map;
	v->len = r->map_size;
	v->gen = r->gen;
	v->clock = r->clock;
	v->mode = r->mode;
	v->name = strrchr(r->path, '/') + 1;
	v->dir = r->dir;
	return 0;
}

void rhook__rec_view_end(void)
{
	/* Every load from the mapping happens before stop unmaps it (TSan's view of the grace period). */
	RHOOK__TSAN_RELEASE(&rhook__rec_gp_token);
	urcu_bp_read_unlock();
}

_Static_assert(sizeof(struct rhr_header) % 8 == 0 && offsetof(struct rhr_header, stop) % 8 == 0 &&
		       offsetof(struct rhr_header, state) % 8 == 0,
	       "the header is copied in words");

/* The geometry of a file, from its header (immutable once its version is set: recorder_format.h, H1). */
struct geom {
	uint64_t buffer_size;
	uint32_t num_buffers, num_subbuffers, subbuf_size;
	size_t len;
};

static int read_geom(const struct rhook__rec_view *v, struct geom *g)
{
	const struct rhr_header *h = (const struct rhr_header *)(const void *)v->map;

	/* Pairs with the writer's release store of the version after the header (H1). */
	if (__atomic_load_n(&h->version, __ATOMIC_ACQUIRE) != RHR_VERSION)
		return -EPROTO;
	g->buffer_size = h->buffer_size;
	g->num_buffers = h->num_buffers;
	g->num_subbuffers = h->num_subbuffers;
	g->subbuf_size = (uint32_t)(g->buffer_size / g->num_subbuffers);
	g->len = RHR_HEADER_SIZE + (size_t)g->num_buffers * (RHR_BUFHDR_SIZE + g->buffer_size);
	return g->len <= v->len ? 0 : -EPROTO;
}

/*
 * The records of a copied sub-buffer up to the first one stamped after
 * @cut (or malformed): sets @commit and @records to what stays.
 */
static void cut_records(const uint8_t *recs, uint32_t *commit, uint32_t *records, uint64_t cut)
{
	uint32_t off = 0, n = 0;

	while (off + sizeof(struct rhr_record) <= *commit) {
		struct rhr_record rec;

		memcpy(&rec, recs + off, sizeof(rec));
		if (rec.magic != RHR_RECORD_MAGIC || rec.size < sizeof(rec) || (rec.size & 7) ||
		    rec.size > *commit - off || rec.timestamp > cut)
			break;
		off += rec.size;
		n++;
	}
	*commit = off;
	*records = n;
}

/*
 * Copies buffer @i of @v into @out (bufhdr + sub-buffers, zeroed first)
 * by the live reader's rules (recorder_format.h, C1 and S1); adds to @res.
 */
static void copy_buffer(const struct rhook__rec_view *v, const struct geom *g, uint32_t i, uint8_t *out,
			uint64_t cut, struct rhook__snap_result *res)
{
	const uint8_t *bh = v->map + RHR_HEADER_SIZE + (size_t)i * (RHR_BUFHDR_SIZE + g->buffer_size);
	const struct rhr_bufhdr *b = (const struct rhr_bufhdr *)(const void *)bh;
	struct rhr_bufhdr *ob = (struct rhr_bufhdr *)(void *)out;
	uint64_t dropped = 0;

	memset(out, 0, RHR_BUFHDR_SIZE + g->buffer_size);
	for (uint32_t j = 0; j < g->num_subbuffers; j++) {
		const uint8_t *p = bh + RHR_BUFHDR_SIZE + (size_t)j * g->subbuf_size;
		const struct rhr_sbhdr *sb = (const struct rhr_sbhdr *)(const void *)p;
		uint8_t *o = out + RHR_BUFHDR_SIZE + (size_t)j * g->subbuf_size;
		struct rhr_sbhdr hdr;

		/* S1: pairs with the writer's release store of seq once the header is complete. */
		hdr.seq = __atomic_load_n(&sb->seq, __ATOMIC_ACQUIRE);
		if (!hdr.seq)
			continue; /* never used, or being (re)started */
		/* C1: pairs with the writer's release store of commit after the records below it. */
		hdr.commit = __atomic_load_n(&sb->commit, __ATOMIC_ACQUIRE);
		hdr.records = rhr_ld32(&sb->records);
		hdr.tid = rhr_ld32(&sb->tid);
		hdr.reserved = 0;
		hdr.anchor.tsc = rhr_ld64(&sb->anchor.tsc);
		hdr.anchor.mono_ns = rhr_ld64(&sb->anchor.mono_ns);
		if (hdr.commit > g->subbuf_size - RHR_SBHDR_SIZE || (hdr.commit & 7))
			continue; /* not a header the writer completed: being restarted */
		rhr_copy_out(o + RHR_SBHDR_SIZE, p + RHR_SBHDR_SIZE, hdr.commit);
		/*
		 * S1: every load above completes before seq is loaded again;
		 * pairs with the writer's release fence after it stores seq 0 to
		 * reuse the sub-buffer (writer.c, next_subbuf()).
		 */
		rhr_fence_acquire();
		if (rhr_ld64(&sb->seq) != hdr.seq) {
			memset(o + RHR_SBHDR_SIZE, 0, hdr.commit);
			dropped += hdr.records;
			continue;
		}
		cut_records(o + RHR_SBHDR_SIZE, &hdr.commit, &hdr.records, cut);
		memset(o + RHR_SBHDR_SIZE + hdr.commit, 0, g->subbuf_size - RHR_SBHDR_SIZE - hdr.commit);
		memcpy(o, &hdr, sizeof(hdr));
		res->records += hdr.records;
	}
	/* After the records: every loss up to their copy is in them (never under-reported). */
	ob->state = rhr_ld32(&b->state);
	ob->tid = rhr_ld32(&b->tid);
	ob->last_seq = rhr_ld64(&b->last_seq);
	ob->lost_discard = rhr_ld64(&b->lost_discard);
	ob->lost_overwrite = rhr_ld64(&b->lost_overwrite) + dropped;
	ob->owners = rhr_ld64(&b->owners);
	rhr_copy_out(ob->thread_name, b->thread_name, sizeof(ob->thread_name));
	res->dropped += dropped;
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* rhook__rec_view_begin() of file @index of recorder @gen only; 0 (in the section) or -ENOENT. */
static int begin_same(unsigned index, uint64_t gen, struct rhook__rec_view *v)
{
	if (rhook__rec_view_begin(index, v))
		return -ENOENT;
	if (v->gen != gen) {
		rhook__rec_view_end();
		return -ENOENT;
	}
	return 0;
}

/*
 * Copies file @index of the current recorder into directory @dfd; 0, 1
 * when there is no such file (past the last, or another recorder
 * started since the first), or -errno with a message.
 */
static int copy_file(unsigned index, int dfd, const char *dir, uint64_t *gen, struct rhook__snap_result *res,
		     char *err, size_t err_size)
{
	struct rhook__rec_view v;
	struct rhr_header hdr;
	struct geom g = { 0 };
	char name[NAME_MAX + 1];
	uint8_t *buf = NULL;
	uint64_t cut;
	int fd = -1, ret;

	if (*gen ? begin_same(index, *gen, &v) : rhook__rec_view_begin(index, &v))
		return 1;
	*gen = v.gen;
	ret = read_geom(&v, &g);
	snprintf(name, sizeof(name), "%s", v.name);
	/* The moment of the cut, read after every earlier event of this thread (the trigger record). */
	cut = rhook__rec_now_ordered(v.clock);
	rhook__rec_view_end();
	if (ret)
		return rhook__rec_fail(err, err_size, ret, "%s: the recorder's file is not in format version %u", name, RHR_VERSION);

	buf = malloc(RHR_BUFHDR_SIZE + g.buffer_size);
	if (!buf)
		return rhook__rec_fail(err, err_size, -ENOMEM, "out of memory for a buffer of %llu bytes",
			    (unsigned long long)g.buffer_size);
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = rhook__rec_fail(err, err_size, -errno, "%s/%s: cannot create: %s", dir, name, strerror(errno));
		goto out;
	}
	if (ftruncate(fd, (off_t)g.len)) {
		ret = rhook__rec_fail(err, err_size, -errno, "%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	for (uint32_t i = 0; i < g.num_buffers; i++) {
		/* One buffer per read-side section: a stop waits for one buffer's copy at most. */
		if (begin_same(index, *gen, &v)) {
			ret = rhook__rec_fail(err, err_size, -ENOENT, "recording stopped during the snapshot");
			goto out;
		}
		copy_buffer(&v, &g, i, buf, cut, res);
		rhook__rec_view_end();
		ret = write_all(fd, buf, RHR_BUFHDR_SIZE + g.buffer_size,
				(off_t)(RHR_HEADER_SIZE + (size_t)i * (RHR_BUFHDR_SIZE + g.buffer_size)));
		if (ret) {
			rhook__rec_fail(err, err_size, ret, "%s/%s: cannot write: %s", dir, name, strerror(-ret));
			goto out;
		}
	}
	/* The header last, as the writer does (H1): counters read after every record was copied. */
	if (begin_same(index, *gen, &v)) {
		ret = rhook__rec_fail(err, err_size, -ENOENT, "recording stopped during the snapshot");
		goto out;
	}
	/*
	 * Every word but the stop anchor, which stop and exit store plainly
	 * before their release store of state (recorder_format.h, H2): the snapshot
	 * has a stop anchor of its own.
	 */
	rhr_copy_out(&hdr, v.map, offsetof(struct rhr_header, stop));
	rhr_copy_out(&hdr.state, v.map + offsetof(struct rhr_header, state),
		     sizeof(hdr) - offsetof(struct rhr_header, state));
	hdr.stop = rhook__anchor_now(v.clock);
	rhook__rec_view_end();
	hdr.state = RHR_STATE_STOPPED;
	hdr.flags &= ~RHR_FLAG_WRITER_LOCK; /* no writer: a finished trace */
	ret = write_all(fd, &hdr, sizeof(hdr), 0);
	if (ret)
		rhook__rec_fail(err, err_size, ret, "%s/%s: cannot write: %s", dir, name, strerror(-ret));
	else
		res->files++;
out:
	if (fd >= 0)
		close(fd);
	if (ret && fd >= 0)
		unlinkat(dfd, name, 0);
	free(buf);
	return ret;
}

/* Whether @name is one path component a directory may have (not ".", "..", no '/'). */
static bool one_component(const char *name)
{
	size_t n = strlen(name);

	return n && n <= NAME_MAX - 5 && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/* Removes the files copy_file() made in @dfd (their names are the recorder's), then the directory. */
static void remove_tmp(int parent_dfd, const char *tmp, int dfd, unsigned files)
{
	struct rhook__rec_view v;

	for (unsigned i = 0; i < files + 1; i++) {
		char name[NAME_MAX + 1];

		if (rhook__rec_view_begin(i, &v))
			break;
		snprintf(name, sizeof(name), "%s", v.name);
		rhook__rec_view_end();
		unlinkat(dfd, name, 0);
	}
	unlinkat(parent_dfd, tmp, AT_REMOVEDIR);
}

int rhook__rec_snapshot(int parent_dfd, const char *parent_path, const char *name, struct rhook__snap_result *res,
			char *err, size_t err_size)
{
	char tmp[NAME_MAX + 1];
	uint64_t gen = 0;
	int dfd, ret = 0;
	unsigned i;

	if (err && err_size)
		err[0] = '\0';
	memset(res, 0, sizeof(*res));
	if (!one_component(name))
		return rhook__rec_fail(err, err_size, -EINVAL, "%s: a snapshot's name is one path component", name);
	if (snprintf(res->path, sizeof(res->path), "%s/%s", parent_path, name) >= (int)sizeof(res->path))
		return rhook__rec_fail(err, err_size, -ENAMETOOLONG, "%s/%s: path too long", parent_path, name);
	if (!faccessat(parent_dfd, name, F_OK, AT_SYMLINK_NOFOLLOW))
		return rhook__rec_fail(err, err_size, -EEXIST, "%s: exists; a snapshot goes into a new directory", res->path);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	pthread_mutex_lock(&snap_lock);
	if (mkdirat(parent_dfd, tmp, 0700)) {
		ret = rhook__rec_fail(err, err_size, -errno, "%s/%s: cannot create: %s", parent_path, tmp, strerror(errno));
		goto unlock;
	}
	dfd = openat(parent_dfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		ret = rhook__rec_fail(err, err_size, -errno, "%s/%s: %s", parent_path, tmp, strerror(errno));
		unlinkat(parent_dfd, tmp, AT_REMOVEDIR);
		goto unlock;
	}
	for (i = 0; (ret = copy_file(i, dfd, res->path, &gen, res, err, err_size)) == 0; i++)
		;
	if (ret > 0 && i == 0)
		ret = rhook__rec_fail(err, err_size, -ENOENT, "not recording");
	else if (ret > 0)
		ret = 0; /* past the last file */
	/* Its file was truncated meanwhile (fault.h): what was copied may be zeros, not the rings. */
	if (!ret && rhook__rec_faulted())
		ret = rhook__rec_fail(err, err_size, -EIO, "the recorder lost its trace file (truncated, or an I/O error)");
	if (!ret && renameat2(parent_dfd, tmp, parent_dfd, name, RENAME_NOREPLACE))
		ret = rhook__rec_fail(err, err_size, -errno, "%s: cannot rename %s to it: %s", res->path, tmp, strerror(errno));
	if (ret)
		remove_tmp(parent_dfd, tmp, dfd, res->files);
	close(dfd);
unlock:
	pthread_mutex_unlock(&snap_lock);
	return ret;
}
