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

struct rhook__rd_proc *rhook__reader_new_proc(struct rhook__reader *r, const char *origin)
{
	struct rhook__rd_proc *p;

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

int rhook__reader_place(struct rhook__reader *r, struct rhook__rd_proc *p)
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

static int add_stream(struct rhook__reader *r, struct rhook__rd_stream *s)
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
int rhook__reader_add_recorder(struct rhook__reader *r, const char *path, enum rhook__rd_added *added, char *err,
			       size_t err_size)
{
	struct rhook__recfile *f = calloc(1, sizeof(*f));
	struct rhook__rd_proc *p = rhook__reader_new_proc(r, path);
	int ret;

	*added = RHOOK__RD_SKIPPED;
	if (!f || !p || !grow(&r->files, &r->cap_files, r->num_files, sizeof(*r->files))) {
		ret = -ENOMEM;
		snprintf(err, err_size, "out of memory");
	} else {
		ret = rhook__recfile_open(f, path, p, err, err_size);
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
			*added = RHOOK__RD_STARTING;
		else
			r->skipped++;
		return 0;
	}
	*added = RHOOK__RD_OPENED;
	r->files[r->num_files++] = f;
	ret = rhook__reader_place(r, p);
	for (uint32_t i = 0; !ret && i < f->num_streams; i++)
		ret = add_stream(r, rhook__recfile_stream(f, i));
	if (ret)
		snprintf(err, err_size, "out of memory");
	return ret;
}

static int open_recorder(struct rhook__reader *r, const char *path)
{
	enum rhook__rd_added added;
	char err[256];
	int ret = rhook__reader_add_recorder(r, path, &added, err, sizeof(err));

	if (ret)
		fprintf(stderr, "rhook-read: %s: %s\n", path, err);
	else if (added == RHOOK__RD_STARTING)
		fprintf(stderr, "rhook-read: note: %s: skipped: %s\n", path, err);
	else if (added == RHOOK__RD_SKIPPED)
		fprintf(stderr, "rhook-read: warning: %s: skipped: %s\n", path, err);
	return ret;
}

/* Opens CTF trace @dir; skipped and counted like a recorder file when unusable. */
static int open_ctf(struct rhook__reader *r, const char *dir)
{
	struct rhook__ctfin *c;
	char err[512];
	int ret;

	if (!grow(&r->ctfs, &r->cap_ctfs, r->num_ctfs, sizeof(*r->ctfs))) {
		fprintf(stderr, "rhook-read: out of memory\n");
		return -ENOMEM;
	}
	ret = rhook__ctfin_open(&c, r, dir, err, sizeof(err));
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
	ret = add_stream(r, rhook__ctfin_stream(c));
	if (ret)
		fprintf(stderr, "rhook-read: out of memory\n");
	return ret;
}

int rhook__reader_open(struct rhook__reader *r, char *const *paths, int num_paths)
{
	struct rhook__found f = { 0 };
	char err[4200];
	int ret = 0;

	memset(r, 0, sizeof(*r));
	for (int i = 0; !ret && i < num_paths; i++) {
		ret = rhook__scan_path(&f, paths[i], err, sizeof(err));
		if (ret)
			fprintf(stderr, "rhook-read: %s\n", err);
	}
	/* Recorder files first: their clocks are exact, so they set each boot's offset. */
	for (size_t i = 0; !ret && i < f.num_rec; i++)
		ret = open_recorder(r, f.rec[i]);
	for (size_t i = 0; !ret && i < f.num_ctf; i++)
		ret = open_ctf(r, f.ctf[i]);
	rhook__found_free(&f);
	if (!ret && !r->num_files && !r->num_ctfs) {
		/* Every file was skipped: nothing to read is an error, not an empty trace. */
		fprintf(stderr, "rhook-read: no readable trace\n");
		ret = -ENODATA;
	}
	if (ret)
		rhook__reader_close(r);
	return ret;
}

void rhook__reader_close(struct rhook__reader *r)
{
	for (size_t i = 0; i < r->num_files; i++) {
		rhook__recfile_close(r->files[i]);
		free(r->files[i]);
	}
	for (size_t i = 0; i < r->num_ctfs; i++)
		rhook__ctfin_close(r->ctfs[i]);
	for (size_t i = 0; i < r->num_procs; i++)
		free(r->procs[i]);
	free(r->files);
	free(r->ctfs);
	free(r->procs);
	free(r->streams);
	free(r->domains);
	memset(r, 0, sizeof(*r));
}

struct rhook__rd_lost rhook__reader_lost(const struct rhook__reader *r)
{
	struct rhook__rd_lost t = { 0 };

	for (size_t i = 0; i < r->num_procs; i++)
		rhook__rd_lost_add(&t, &r->procs[i]->lost);
	return t;
}

bool rhook__reader_incomplete(const struct rhook__reader *r)
{
	struct rhook__rd_lost lost = rhook__reader_lost(r);
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

int rhook__reader_stream_error(const struct rhook__reader *r)
{
	int err = 0;

	for (size_t i = 0; i < r->num_ctfs; i++) {
		const char *msg = rhook__ctfin_error(r->ctfs[i]);

		if (msg) {
			fprintf(stderr, "rhook-read: %s\n", msg);
			if (!err)
				err = rhook__ctfin_stream(r->ctfs[i])->err;
		}
	}
	return err;
}
