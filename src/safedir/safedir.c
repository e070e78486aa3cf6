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

/*
 * The ancestor rule, from directory @fd (named @what in messages) up to
 * the root: owned by root or the effective uid, and not writable by
 * others unless sticky.  0 or -errno with a message about @path.
 */
static int check_ancestors(int fd, const char *path, unsigned level, char *err, size_t err_size)
{
	uid_t me = geteuid();
	struct stat st, up;
	int cur = fd, ret = 0;

	if (fstat(fd, &st))
		return fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
	for (; level <= MAX_ANCESTORS; level++) {
		char name[PATH_MAX];
		int parent;

		if (st.st_uid != 0 && st.st_uid != me) {
			name_of(cur, level, name, sizeof(name));
			ret = fail(err, err_size, -EPERM,
				   "%s: its parent directory %s is owned by uid %u (neither root nor this process's uid %u), "
				   "who could replace it; refusing to write there",
				   path, name, (unsigned)st.st_uid, (unsigned)me);
			break;
		}
		if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
			name_of(cur, level, name, sizeof(name));
			ret = fail(err, err_size, -EPERM,
				   "%s: its parent directory %s is writable by others and not sticky (mode %04o), "
				   "so anyone could replace it; refusing to write there",
				   path, name, (unsigned)(st.st_mode & 07777));
			break;
		}
		/* O_PATH: an ancestor may grant search (x) only. */
		parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0) {
			ret = fail(err, err_size, -errno, "%s: cannot check its parent directories: %s", path,
				   strerror(errno));
			break;
		}
		if (fstat(parent, &up)) {
			ret = fail(err, err_size, -errno, "%s: %s", path, strerror(errno));
			close(parent);
			break;
		}
		if (cur != fd)
			close(cur);
		cur = parent;
		if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
			break; /* the root, whose ".." is itself */
		st = up;
	}
	if (cur != fd)
		close(cur);
	return ret;
}

int rhook__safedir_check(int dfd, const char *path, char *err, size_t err_size)
{
	uid_t me = geteuid();
	struct stat st;
	int parent, ret;

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
	parent = openat(dfd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return fail(err, err_size, -errno, "%s: cannot check its parent directories: %s", path, strerror(errno));
	ret = check_ancestors(parent, path, 1, err, err_size);
	close(parent);
	return ret;
}

int rhook__safedir_open(const char *path, char *err, size_t err_size)
{
	char buf[PATH_MAX];
	const char *base;
	size_t len = path ? strlen(path) : 0;
	int pfd, dfd, ret;
	char *slash;

	if (!len)
		return fail(err, err_size, -EINVAL, "no directory given");
	if (len >= sizeof(buf))
		return fail(err, err_size, -ENAMETOOLONG, "%.64s...: path too long", path);
	/* "dir/" would resolve a symbolic link named dir: drop trailing slashes. */
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	/* The parent, through whatever links name it, checked before anything is created in it. */
	slash = strrchr(buf, '/');
	if (!slash) {
		pfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		base = buf;
	} else if (slash == buf) {
		pfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		base = buf[1] ? buf + 1 : ".";
	} else {
		*slash = '\0';
		pfd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
		base = slash + 1;
	}
	if (pfd < 0)
		return fail(err, err_size, -errno, "%s: its parent directory: %s", path, strerror(errno));
	ret = check_ancestors(pfd, path, 1, err, err_size);
	if (!ret && mkdirat(pfd, base, 0700) && errno != EEXIST)
		ret = fail(err, err_size, -errno, "%s: cannot create: %s", path, strerror(errno));
	if (ret) {
		close(pfd);
		return ret;
	}
	dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		struct stat st;

		ret = -errno;
		if ((ret == -ELOOP || ret == -ENOTDIR) && !fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISLNK(st.st_mode))
			ret = fail(err, err_size, -ELOOP, "%s: is a symbolic link; refusing to follow it", path);
		else if (ret == -ENOTDIR)
			ret = fail(err, err_size, ret, "%s: not a directory", path);
		else
			ret = fail(err, err_size, ret, "%s: %s", path, strerror(-ret));
		close(pfd);
		return ret;
	}
	close(pfd);
	ret = rhook__safedir_check(dfd, path, err, err_size);
	if (ret) {
		close(dfd);
		return ret;
	}
	return dfd;
}
