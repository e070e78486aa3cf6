/*
 * safedir.c - safe directories for the files rhook creates (see safedir.h).
 */
#define _GNU_SOURCE
#include "safedir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ANCESTORS 256

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t size, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && size) {
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* The real path of @fd, or "(N levels up)" when /proc cannot say. */
static void name_of(int fd, unsigned level, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, size - 1);
	if (n > 0) {
		buf[n] = '\0';
		return;
	}
	snprintf(buf, size, "(%u level%s up)", level, level == 1 ? "" : "s");
}

int rhook__safedir_check(int dfd, const char *path, char *err, size_t err_size)
{
	uid_t me = geteuid();
	struct stat st, up;
	int fd = dfd;
	int ret = 0;

	if (fstat(dfd, &st))
		return fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(err, err_size, -ENOTDIR, "%s: not a directory", path);
	if (st.st_uid != me)
		return fail(err, err_size, -EPERM,
			    "%s: owned by uid %u, not by this process's uid %u; refusing to write there", path,
			    (unsigned)st.st_uid, (unsigned)me);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fail(err, err_size, -EPERM,
			    "%s: writable by %s (mode %04o); refusing to write there (chmod go-w, or use a private directory)",
			    path, st.st_mode & S_IWOTH ? "others" : "its group", (unsigned)(st.st_mode & 07777));
	/* The real ancestors, up to the root (whose ".." is itself). */
	for (unsigned level = 1; level <= MAX_ANCESTORS; level++) {
		/* O_PATH: an ancestor may grant search (x) only. */
		int parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		char name[PATH_MAX];

		if (parent < 0) {
			ret = fail(err, err_size, -errno, "%s: cannot check its parent directories: %s", path,
				   strerror(errno));
			break;
		}
		if (fd != dfd)
			close(fd);
		fd = parent;
		if (fstat(fd, &up)) {
			ret = fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
			break;
		}
		if (up.st_uid != 0 && up.st_uid != me) {
			name_of(fd, level, name, sizeof(name));
			ret = fail(err, err_size, -EPERM,
				   "%s: its parent directory %s is owned by uid %u (neither root nor this process's uid %u), "
				   "who could replace it; refusing to write there",
				   path, name, (unsigned)up.st_uid, (unsigned)me);
			break;
		}
		if ((up.st_mode & S_IWOTH) && !(up.st_mode & S_ISVTX)) {
			name_of(fd, level, name, sizeof(name));
			ret = fail(err, err_size, -EPERM,
				   "%s: its parent directory %s is writable by others and not sticky (mode %04o), "
				   "so anyone could replace it; refusing to write there",
				   path, name, (unsigned)(up.st_mode & 07777));
			break;
		}
		if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
			break; /* the root */
		st = up;
	}
	if (fd != dfd)
		close(fd);
	return ret;
}

int rhook__safedir_open(const char *path, bool create, char *err, size_t err_size)
{
	char buf[PATH_MAX];
	size_t len = path ? strlen(path) : 0;
	int dfd, ret;

	if (!len)
		return fail(err, err_size, -EINVAL, "no directory given");
	if (len >= sizeof(buf))
		return fail(err, err_size, -ENAMETOOLONG, "%.64s...: path too long", path);
	/* "dir/" would resolve a symbolic link named dir: drop trailing slashes. */
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	if (create && mkdir(buf, 0700) && errno != EEXIST)
		return fail(err, err_size, -errno, "%s: cannot create: %s", path, strerror(errno));
	dfd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		struct stat st;

		ret = -errno;
		if ((ret == -ELOOP || ret == -ENOTDIR) && !lstat(buf, &st) && S_ISLNK(st.st_mode))
			return fail(err, err_size, -ELOOP, "%s: is a symbolic link; refusing to follow it", path);
		if (ret == -ENOTDIR)
			return fail(err, err_size, ret, "%s: not a directory", path);
		return fail(err, err_size, ret, "%s: %s", path, strerror(-ret));
	}
	ret = rhook__safedir_check(dfd, path, err, err_size);
	if (ret) {
		close(dfd);
		return ret;
	}
	return dfd;
}
