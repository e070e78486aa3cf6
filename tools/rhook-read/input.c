/*
 * input.c - finding and opening the traces of one run (see input.h).
 */
#define _GNU_SOURCE
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctfin.h"
#include "recfile.h"

#define MAX_DEPTH 16

/* Paths found under the arguments, by kind, in a stable order. */
struct found {
	char **rec;  /* recorder files */
	size_t num_rec, cap_rec;
	char **ctf;  /* CTF trace directories */
	size_t num_ctf, cap_ctf;
};

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

static int add_path(char ***list, size_t *n, size_t *cap, const char *path)
{
	char *dup = strdup(path);

	if (!dup || !grow(list, cap, *n, sizeof(**list))) {
		free(dup);
		return -ENOMEM;
	}
	(*list)[(*n)++] = dup;
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks directory @path (no symlinks followed), collecting traces. */
static int walk(struct found *f, const char *path, int depth)
{
	struct dirent **names;
	char sub[4096];
	int n, ret = 0;

	if (depth > MAX_DEPTH)
		return 0;
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		struct stat st;

		if (ret || !strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, name) >= sizeof(sub) || lstat(sub, &st))
			continue;
		if (S_ISREG(st.st_mode) && has_suffix(name, RHR_FILE_SUFFIX))
			ret = add_path(&f->rec, &f->num_rec, &f->cap_rec, sub);
		else if (S_ISREG(st.st_mode) && !strcmp(name, "metadata"))
			ret = add_path(&f->ctf, &f->num_ctf, &f->cap_ctf, path);
		else if (S_ISDIR(st.st_mode))
			ret = walk(f, sub, depth + 1);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

/* Sorts @path into @f; a message on stderr and -errno if it is no trace. */
static int classify(struct found *f, const char *path)
{
	size_t rec = f->num_rec, ctf = f->num_ctf;
	struct stat st;
	int ret;

	if (stat(path, &st)) {
		ret = -errno;
		fprintf(stderr, "rhook-read: %s: %s\n", path, strerror(errno));
		return ret;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = walk(f, path, 0);
		if (ret) {
			fprintf(stderr, "rhook-read: %s: %s\n", path, strerror(-ret));
			return ret;
		}
		if (f->num_rec == rec && f->num_ctf == ctf) {
			fprintf(stderr, "rhook-read: %s: not a trace (no recorder file *%s, no CTF metadata)\n", path,
				RHR_FILE_SUFFIX);
			return -ENOENT;
		}
		if (f->num_rec > rec)
			qsort(f->rec + rec, f->num_rec - rec, sizeof(char *), cmp_str);
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "rhook-read: %s: not a trace (not a file or directory)\n", path);
		return -EINVAL;
	}
	if (!strcmp(strrchr(path, '/') ? strrchr(path, '/') + 1 : path, "metadata")) {
		char dir[4096];
		const char *slash = strrchr(path, '/');

		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
		ret = add_path(&f->ctf, &f->num_ctf, &f->cap_ctf, dir);
	} else {
		ret = add_path(&f->rec, &f->num_rec, &f->cap_rec, path);
	}
	if (ret)
		fprintf(stderr, "rhook-read: out of memory\n");
	return ret;
}

static void found_free(struct found *f)
{
	for (size_t i = 0; i < f->num_rec; i++)
		free(f->rec[i]);
	for (size_t i = 0; i < f->num_ctf; i++)
		free(f->ctf[i]);
	free(f->rec);
	free(f->ctf);
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
 * Opens recorder file @path.  An unusable file is skipped with a warning
 * naming it and why, and counted (r->skipped); only running out of
 * memory is an error.
 */
static int open_recorder(struct rhook__reader *r, const char *path)
{
	struct rhook__recfile *f = calloc(1, sizeof(*f));
	struct rhook__rd_proc *p = rhook__reader_new_proc(r, path);
	char err[256];
	int ret;

	if (!f || !p || !grow(&r->files, &r->cap_files, r->num_files, sizeof(*r->files))) {
		ret = -ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
	} else {
		ret = rhook__recfile_open(f, path, p, err, sizeof(err));
	}
	if (ret) {
		free(f);
		if (p) {
			r->num_procs--;
			free(p);
		}
		if (ret == -ENOMEM) {
			fprintf(stderr, "rhook-read: %s: %s\n", path, err);
			return ret;
		}
		if (ret == -EAGAIN) {
			/* A process creating its file right now: nothing recorded yet, nothing lost. */
			fprintf(stderr, "rhook-read: note: %s: skipped: %s\n", path, err);
			return 0;
		}
		fprintf(stderr, "rhook-read: warning: %s: skipped: %s\n", path, err);
		r->skipped++;
		return 0;
	}
	r->files[r->num_files++] = f;
	ret = rhook__reader_place(r, p);
	for (uint32_t i = 0; !ret && i < f->num_streams; i++)
		ret = add_stream(r, rhook__recfile_stream(f, i));
	if (ret)
		fprintf(stderr, "rhook-read: out of memory\n");
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
	struct found f = { 0 };
	int ret = 0;

	memset(r, 0, sizeof(*r));
	for (int i = 0; !ret && i < num_paths; i++)
		ret = classify(&f, paths[i]);
	/* Recorder files first: their clocks are exact, so they set each boot's offset. */
	for (size_t i = 0; !ret && i < f.num_rec; i++)
		ret = open_recorder(r, f.rec[i]);
	for (size_t i = 0; !ret && i < f.num_ctf; i++)
		ret = open_ctf(r, f.ctf[i]);
	found_free(&f);
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

	for (size_t i = 0; i < r->num_procs; i++) {
		const struct rhook__rd_lost *l = &r->procs[i]->lost;

		t.discard += l->discard;
		t.overwrite += l->overwrite;
		t.no_buffer += l->no_buffer;
		t.nested += l->nested;
		t.reader += l->reader;
		t.damaged += l->damaged;
	}
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
