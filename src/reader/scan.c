/*
 * scan.c - finding traces under paths (see scan.h).
 */
#define _GNU_SOURCE
#include "scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "out.h"
#include "wire/recorder_format.h"

static int add_path(char ***list, size_t *n, size_t *cap, const char *path)
{
	char *dup = strdup(path);

	if (dup && *n == *cap) {
		size_t c = *cap ? 2 * *cap : 8;
		char **p = realloc(*list, c * sizeof(*p));

		if (!p) {
			free(dup);
			return -ENOMEM;
		}
		*list = p;
		*cap = c;
	}
	if (!dup)
		return -ENOMEM;
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
static int walk(struct rdr_found *f, const char *path, int depth)
{
	struct dirent **names;
	char sub[4096];
	int n, ret = 0;

	if (depth > RDR_SCAN_MAX_DEPTH)
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

int rdr_scan_path(struct rdr_found *f, const char *path, char *err, size_t err_size)
{
	size_t rec = f->num_rec, ctf = f->num_ctf;
	const char *slash = strrchr(path, '/');
	struct stat st;
	int ret;

	if (stat(path, &st))
		return rdr_fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		ret = walk(f, path, 0);
		if (ret)
			return rdr_fail(err, err_size, ret, "%s: %s", path, strerror(-ret));
		if (f->num_rec == rec && f->num_ctf == ctf)
			return rdr_fail(err, err_size, -ENOENT,
					   "%s: not a trace (no recorder file *%s, no CTF metadata)", path,
					   RHR_FILE_SUFFIX);
		if (f->num_rec > rec)
			qsort(f->rec + rec, f->num_rec - rec, sizeof(char *), cmp_str);
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return rdr_fail(err, err_size, -EINVAL, "%s: not a trace (not a file or directory)", path);
	if (!strcmp(slash ? slash + 1 : path, "metadata")) {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
		ret = add_path(&f->ctf, &f->num_ctf, &f->cap_ctf, dir);
	} else {
		ret = add_path(&f->rec, &f->num_rec, &f->cap_rec, path);
	}
	return ret ? rdr_fail(err, err_size, ret, "out of memory") : 0;
}

void rdr_found_free(struct rdr_found *f)
{
	for (size_t i = 0; i < f->num_rec; i++)
		free(f->rec[i]);
	for (size_t i = 0; i < f->num_ctf; i++)
		free(f->ctf[i]);
	free(f->rec);
	free(f->ctf);
	f->rec = f->ctf = NULL;
	f->num_rec = f->cap_rec = f->num_ctf = f->cap_ctf = 0;
}
