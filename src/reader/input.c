/*
 * input.c - finding and opening the traces of one run (see input.h).
 */
#define _GNU_SOURCE
#include "input.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctfin.h"
#include "recfile.h"
#include "scan.h"

static bool grow(void *arrayp, size_t *cap, size_t n, size_t elem)
{
	void **array = arrayp;

	if (n < *cap)
		return true;
	{
		size_t c = *cap ? 2 * *cap : 8;
		void *p = realloc(*array, c * elem);

		if (!p)
			return false;
		*array = p;
		*cap = c;
	}
	return true;
}

struct rdr_proc *rdr_reader_new_proc(struct rdr_reader *r, const char *origin)
{
	struct rdr_proc *p;

	if (!grow(&r->procs, &r->cap_procs, r->num_procs, sizeof(*r->procs)))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->origin, sizeof(p->origin), "%s", origin);
	p->index = (unsigned)r->num_procs;
	r->procs[r->num_procs++] = p;
	return p;
}

int rdr_reader_place(struct rdr_reader *r, struct rdr_proc *p)
{
	p->clock_offset_ns = p->realtime_offset_ns;
	if (!p->has_boot_id)
		return 0;
	for (size_t i = 0; i < r->num_domains; i++) {
		if (!memcmp(r->domains[i].boot_id, p->boot_id, 16)) {
			p->clock_offset_ns = r->domains[i].offset_ns;
			return 0;
		}
	}
	if (!grow(&r->domains, &r->cap_domains, r->num_domains, sizeof(*r->domains)))
		return -ENOMEM;
	memcpy(r->domains[r->num_domains].boot_id, p->boot_id, 16);
	r->domains[r->num_domains++].offset_ns = p->realtime_offset_ns;
	return 0;
}

static int add_stream(struct rdr_reader *r, struct rdr_stream *s)
{
	if (!grow(&r->streams, &r->cap_streams, r->num_streams, sizeof(*r->streams)))
		return -ENOMEM;
	r->streams[r->num_streams++] = s;
	return 0;
}

/*
 * The one rule for a recorder file that cannot be opened (rhook-read and
 * the babeltrace2 plugin both follow it): out of memory is an error; a
 * header not complete yet while a writer holds the file (-EAGAIN) is a
 * process starting its recorder, nothing lost; anything else (empty,
 * truncated, garbage, unknown version, never completed, shrank while
 * opened) is an unusable input, skipped and counted.
 */
int rdr_reader_add_recorder(struct rdr_reader *r, const char *path, enum rdr_added *added, char *err,
			       size_t err_size)
{
	struct rdr_recfile *f = calloc(1, sizeof(*f));
	struct rdr_proc *p = rdr_reader_new_proc(r, path);
	int ret;

	*added = RDR_SKIPPED;
	if (!f || !p || !grow(&r->files, &r->cap_files, r->num_files, sizeof(*r->files))) {
		ret = -ENOMEM;
		snprintf(err, err_size, "out of memory");
	} else {
		ret = rdr_recfile_open(f, path, p, err, err_size);
	}
	if (ret) {
		free(f);
		if (p) {
			r->num_procs--;
			free(p);
		}
		if (ret == -ENOMEM)
			return ret;
		if (ret == -EAGAIN)
			*added = RDR_STARTING;
		else
			r->skipped++;
		return 0;
	}
	*added = RDR_OPENED;
	r->files[r->num_files++] = f;
	ret = rdr_reader_place(r, p);
	for (uint32_t i = 0; !ret && i < f->num_streams; i++)
		ret = add_stream(r, rdr_recfile_stream(f, i));
	if (ret)
		snprintf(err, err_size, "out of memory");
	return ret;
}

static int open_recorder(struct rdr_reader *r, const char *path)
{
	enum rdr_added added;
	char err[256];
	int ret = rdr_reader_add_recorder(r, path, &added, err, sizeof(err));

	if (ret)
		fprintf(stderr, "rhook-read: %s: %s\n", path, err);
	else if (added == RDR_STARTING)
		fprintf(stderr, "rhook-read: note: %s: skipped: %s\n", path, err);
	else if (added == RDR_SKIPPED)
		fprintf(stderr, "rhook-read: warning: %s: skipped: %s\n", path, err);
	return ret;
}

/* Opens CTF trace @dir; skipped and counted like a recorder file when unusable. */
static int open_ctf(struct rdr_reader *r, const char *dir)
{
	struct rdr_ctfin *c;
	char err[512];
	int ret;

	if (!grow(&r->ctfs, &r->cap_ctfs, r->num_ctfs, sizeof(*r->ctfs))) {
		fprintf(stderr, "rhook-read: out of memory\n");
		return -ENOMEM;
	}
	ret = rdr_ctfin_open(&c, r, dir, err, sizeof(err));
	if (ret == -ENOMEM) {
		fprintf(stderr, "rhook-read: %s: %s\n", dir, err);
		return ret;
	}
	if (ret) {
		fprintf(stderr, "rhook-read: warning: %s: skipped: %s\n", dir, err);
		r->skipped++;
		return 0;
	}
	r->ctfs[r->num_ctfs++] = c;
	ret = add_stream(r, rdr_ctfin_stream(c));
	if (ret)
		fprintf(stderr, "rhook-read: out of memory\n");
	return ret;
}

int rdr_reader_open(struct rdr_reader *r, char *const *paths, int num_paths)
{
	struct rdr_found f = { 0 };
	char err[4200];
	int ret = 0;

	memset(r, 0, sizeof(*r));
	for (int i = 0; !ret && i < num_paths; i++) {
		ret = rdr_scan_path(&f, paths[i], err, sizeof(err));
		if (ret)
			fprintf(stderr, "rhook-read: %s\n", err);
	}
	/* Recorder files first: their clocks are exact, so they set each boot's offset. */
	for (size_t i = 0; !ret && i < f.num_rec; i++)
		ret = open_recorder(r, f.rec[i]);
	for (size_t i = 0; !ret && i < f.num_ctf; i++)
		ret = open_ctf(r, f.ctf[i]);
	rdr_found_free(&f);
	if (!ret && !r->num_files && !r->num_ctfs) {
		/* Every file was skipped: nothing to read is an error, not an empty trace. */
		fprintf(stderr, "rhook-read: no readable trace\n");
		ret = -ENODATA;
	}
	if (ret)
		rdr_reader_close(r);
	return ret;
}

void rdr_reader_close(struct rdr_reader *r)
{
	for (size_t i = 0; i < r->num_files; i++) {
		rdr_recfile_close(r->files[i]);
		free(r->files[i]);
	}
	for (size_t i = 0; i < r->num_ctfs; i++)
		rdr_ctfin_close(r->ctfs[i]);
	for (size_t i = 0; i < r->num_procs; i++)
		free(r->procs[i]);
	free(r->files);
	free(r->ctfs);
	free(r->procs);
	free(r->streams);
	free(r->domains);
	memset(r, 0, sizeof(*r));
}

struct rdr_lost rdr_reader_lost(const struct rdr_reader *r)
{
	struct rdr_lost t = { 0 };

	for (size_t i = 0; i < r->num_procs; i++) {
		const struct rdr_lost *l = &r->procs[i]->lost;

		t.discard += l->discard;
		t.overwrite += l->overwrite;
		t.no_buffer += l->no_buffer;
		t.nested += l->nested;
		t.reader += l->reader;
		t.damaged += l->damaged;
	}
	return t;
}

bool rdr_reader_incomplete(const struct rdr_reader *r)
{
	struct rdr_lost lost = rdr_reader_lost(r);
	bool incomplete = r->skipped || lost.damaged;

	for (size_t i = 0; i < r->num_files; i++) {
		if (r->files[i]->truncated)
			fprintf(stderr, "rhook-read: warning: %s: truncated while being read; the records it lost are "
				"counted as damaged\n", r->files[i]->proc->origin);
	}
	if (lost.damaged)
		fprintf(stderr, "rhook-read: warning: %" PRIu64 " damaged records were skipped\n", lost.damaged);
	if (r->skipped)
		fprintf(stderr, "rhook-read: warning: %zu unusable input%s skipped (see above)\n", r->skipped,
			r->skipped == 1 ? " was" : "s were");
	return incomplete;
}

int rdr_reader_stream_error(const struct rdr_reader *r)
{
	int err = 0;

	for (size_t i = 0; i < r->num_ctfs; i++) {
		const char *msg = rdr_ctfin_error(r->ctfs[i]);

		if (msg) {
			fprintf(stderr, "rhook-read: %s\n", msg);
			if (!err)
				err = rdr_ctfin_stream(r->ctfs[i])->err;
		}
	}
	return err;
}
