/*
 * fs.c - durable file I/O: every file the engine creates is private
 * (0600, directories 0700), created with O_EXCL and never through a
 * symlink; replacements go through a temporary file and a rename.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define TEMP_PREFIX ".tmp-"

int lsm__fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int lsm__fs_create(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}

/*
 * Bench-only engines alive (engine.h, bench_only_skip_fsync).  Relaxed:
 * a setting read by every sync, ordering nothing; a sync that races
 * with creating or freeing such an engine may sync or skip, which only
 * a bench can see (its engine is created before its workload starts).
 */
static atomic_int skip_sync;

void lsm__fs_skip_sync_ref(int delta)
{
	atomic_fetch_add_explicit(&skip_sync, delta, memory_order_relaxed);
}

int lsm__fs_sync(int fd)
{
	if (atomic_load_explicit(&skip_sync, memory_order_relaxed))
		return 0;
	return fsync(fd) ? -errno : 0;
}

int lsm__fs_sync_dir(int dirfd)
{
	return lsm__fs_sync(dirfd);
}

bool lsm__fs_is_temp(const char *name)
{
	return strncmp(name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0;
}

/* Writes a private temporary file and renames it to @name; the directory is the caller's to sync. */
static int write_rename(int dirfd, const char *name, const void *buf, size_t len, bool noreplace)
{
	char tmp[256];
	int fd = -1, err;

	for (int attempt = 0;; attempt++) {
		snprintf(tmp, sizeof(tmp), TEMP_PREFIX "%s-%08lx", name, (unsigned long)random());
		fd = lsm__fs_create(dirfd, tmp);
		if (fd >= 0 || fd != -EEXIST || attempt == 16)
			break;
	}
	if (fd < 0)
		return fd;
	err = lsm__fs_write_all(fd, buf, len);
	if (!err)
		err = lsm__fs_sync(fd);
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat2(dirfd, tmp, dirfd, name, noreplace ? RENAME_NOREPLACE : 0))
		err = -errno;
	if (err)
		unlinkat(dirfd, tmp, 0);
	return err;
}

int lsm__fs_write_atomic(int dirfd, const char *name, const void *buf, size_t len, bool noreplace)
{
	int err = write_rename(dirfd, name, buf, len, noreplace);

	return err ? err : lsm__fs_sync_dir(dirfd);
}

int lsm__fs_replace_nodirsync(int dirfd, const char *name, const void *buf, size_t len)
{
	return write_rename(dirfd, name, buf, len, false);
}

int lsm__fs_read_all(int dirfd, const char *name, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	char *b;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		err = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO; /* shrank under us */
			free(b);
			goto out;
		}
		got += (size_t)n;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
out:
	close(fd);
	return err;
}

/* Copies the open file @in to a new file @dst_name; the new file is fsync'ed. */
static int copy_fd(int in, int dst_dirfd, const char *dst_name)
{
	char buf[1 << 16];
	int out = lsm__fs_create(dst_dirfd, dst_name), err = 0;

	if (out < 0)
		return out;
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		err = lsm__fs_write_all(out, buf, (size_t)n);
		if (err)
			break;
	}
	if (!err)
		err = lsm__fs_sync(out);
	if (close(out) && !err)
		err = -errno;
	if (err)
		unlinkat(dst_dirfd, dst_name, 0);
	return err;
}

int lsm__fs_copy(int src_dirfd, const char *src_name, int dst_dirfd, const char *dst_name)
{
	int in = openat(src_dirfd, src_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err;

	if (in < 0)
		return -errno;
	err = copy_fd(in, dst_dirfd, dst_name);
	close(in);
	return err;
}

int lsm__fs_link_or_copy(int src_dirfd, const char *src_name, int dst_dirfd, const char *dst_name)
{
	if (!linkat(src_dirfd, src_name, dst_dirfd, dst_name, 0))
		return 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK)
		return -errno;
	return lsm__fs_copy(src_dirfd, src_name, dst_dirfd, dst_name);
}

int lsm__fs_open_dir(int dirfd, const char *name, bool create)
{
	int fd;

	if (create && mkdirat(dirfd, name, 0700) && errno != EEXIST)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int remove_entry(const char *name, void *arg)
{
	return lsm__fs_remove_tree(*(int *)arg, name);
}

int lsm__fs_remove_tree(int dirfd, const char *name)
{
	int fd, err;

	if (!unlinkat(dirfd, name, 0))
		return 0;
	if (errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = lsm__fs_for_each(fd, remove_entry, &fd);
	close(fd);
	if (!err && unlinkat(dirfd, name, AT_REMOVEDIR))
		err = -errno;
	return err;
}

int lsm__fs_for_each(int dirfd, int (*fn)(const char *name, void *arg), void *arg)
{
	struct dirent *de;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return err;
	}
	while (!err && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			err = fn(de->d_name, arg);
	closedir(d);
	return err;
}
