/*
 * outfile.c - private output files, complete or absent (see outfile.h).
 */
#define _GNU_SOURCE
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/out.h"
#include "safedir/safedir.h"

int rdr_outfile_open(struct rdr_outfile *f, const char *path, char *err, size_t err_size)
{
	char *dcopy = strdup(path), *bcopy = strdup(path);
	const char *dir, *base;
	struct stat st;
	int ret;

	memset(f, 0, sizeof(*f));
	f->dfd = f->fd = -1;
	if (!dcopy || !bcopy) {
		ret = rdr_fail(err, err_size, -ENOMEM, "out of memory");
		goto fail;
	}
	dir = dirname(dcopy);
	base = basename(bcopy);
	if (!*path || !strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, "..") || path[strlen(path) - 1] == '/') {
		ret = rdr_fail(err, err_size, -EINVAL, "%s: not a file name", path);
		goto fail;
	}
	f->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->dfd < 0) {
		ret = rdr_fail(err, err_size, -errno, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	ret = rhook__safedir_check(f->dfd, dir, err, err_size);
	if (ret)
		goto fail;
	if (!fstatat(f->dfd, base, &st, AT_SYMLINK_NOFOLLOW) && !S_ISREG(st.st_mode)) {
		ret = rdr_fail(err, err_size, -EEXIST, "%s: exists and is not a regular file", path);
		goto fail;
	}
	f->name = strdup(base);
	f->path = strdup(path);
	if (!f->name || !f->path || asprintf(&f->tmp, ".%s.%ld.tmp", base, (long)getpid()) < 0) {
		f->tmp = NULL;
		ret = rdr_fail(err, err_size, -ENOMEM, "out of memory");
		goto fail;
	}
	f->fd = openat(f->dfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		ret = rdr_fail(err, err_size, -errno, "%s/%s: %s", dir, f->tmp, strerror(errno));
		goto fail;
	}
	free(dcopy);
	free(bcopy);
	return 0;
fail:
	free(dcopy);
	free(bcopy);
	if (f->dfd >= 0)
		close(f->dfd);
	free(f->name);
	free(f->path);
	free(f->tmp);
	memset(f, 0, sizeof(*f));
	f->dfd = f->fd = -1;
	return ret;
}

int rdr_outfile_close(struct rdr_outfile *f, bool commit, char *err, size_t err_size)
{
	int ret = 0;

	if (commit && fsync(f->fd))
		ret = rdr_fail(err, err_size, -errno, "%s: %s", f->path, strerror(errno));
	if (close(f->fd) && commit && !ret)
		ret = rdr_fail(err, err_size, -errno, "%s: %s", f->path, strerror(errno));
	if (commit && !ret && renameat(f->dfd, f->tmp, f->dfd, f->name))
		ret = rdr_fail(err, err_size, -errno, "%s: %s", f->path, strerror(errno));
	if (!commit || ret)
		unlinkat(f->dfd, f->tmp, 0);
	close(f->dfd);
	free(f->name);
	free(f->path);
	free(f->tmp);
	memset(f, 0, sizeof(*f));
	f->dfd = f->fd = -1;
	return ret;
}
