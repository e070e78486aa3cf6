/*
 * snap.c - snapshot directories and names (see snap.h), and the public
 * rhook_recorder_snapshot().
 */
#define _GNU_SOURCE
#include "snap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "safedir/safedir.h"
#include "wire/recorder_format.h"

/* $RHOOK_TRACE_SNAPSHOT_DIR, copied by the constructor ("" : beside the trace directory). */
static char snapshot_dir[PATH_MAX];
/* Snapshots taken by this process, for their names. */
static atomic_uint snap_count;

void rhook__snap_init_from_env(void)
{
	const char *d = getenv("RHOOK_TRACE_SNAPSHOT_DIR");

	if (d && strlen(d) < sizeof(snapshot_dir))
		strcpy(snapshot_dir, d);
	else if (d)
		fprintf(stderr, "rhook: RHOOK_TRACE_SNAPSHOT_DIR is longer than %zu bytes; ignored\n",
			sizeof(snapshot_dir) - 1);
}

/* The default snapshot directory: "<trace dir>.snapshots"; 0 or -ENOENT (not recording). */
static int default_parent(char *buf, size_t size)
{
	struct rhook__rec_view v;
	size_t n;

	if (snapshot_dir[0]) {
		snprintf(buf, size, "%s", snapshot_dir);
		return 0;
	}
	if (rhook__rec_view_begin(0, &v))
		return -ENOENT;
	snprintf(buf, size, "%s", v.dir);
	rhook__rec_view_end();
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	if (n + sizeof(".snapshots") > size)
		return -ENAMETOOLONG;
	memcpy(buf + n, ".snapshots", sizeof(".snapshots"));
	return 0;
}

int rhook__snap_take(const char *dir, const char *kind, struct rhook__snap_result *res, char *err, size_t err_size)
{
	char parent[PATH_MAX], name[NAME_MAX + 1], msg[512];
	int pfd, ret;

	memset(res, 0, sizeof(*res));
	if (dir) {
		const char *slash;
		size_t len = strlen(dir);

		while (len > 1 && dir[len - 1] == '/')
			len--;
		if (!len || len >= sizeof(parent)) {
			snprintf(err, err_size, "%s: not a directory path", dir);
			return -EINVAL;
		}
		memcpy(parent, dir, len);
		parent[len] = '\0';
		slash = strrchr(parent, '/');
		if (strlen(slash ? slash + 1 : parent) >= sizeof(name)) {
			snprintf(err, err_size, "%s: name too long", dir);
			return -ENAMETOOLONG;
		}
		if (!slash) {
			memcpy(name, parent, strlen(parent) + 1);
			strcpy(parent, ".");
		} else {
			memcpy(name, slash + 1, strlen(slash + 1) + 1);
			if (slash == parent)
				parent[1] = '\0';
			else
				parent[slash - parent] = '\0';
		}
	} else {
		time_t now = time(NULL);
		struct tm tm;
		char stamp[32];

		ret = default_parent(parent, sizeof(parent));
		if (ret) {
			snprintf(err, err_size, ret == -ENOENT ? "not recording" : "the snapshot directory's path is too long");
			return ret;
		}
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(name, sizeof(name), "%s-%d-%u-%s", kind, (int)getpid(), atomic_fetch_add(&snap_count, 1) + 1,
			 stamp);
	}
	pfd = rhook__safedir_open(parent, msg, sizeof(msg));
	if (pfd < 0) {
		snprintf(err, err_size, "%s", msg);
		return pfd;
	}
	ret = rhook__rec_snapshot(pfd, parent, name, res, err, err_size);
	close(pfd);
	return ret;
}

int rhook__snap_remove(const char *path)
{
	char parent[PATH_MAX], msg[256];
	const char *name;
	struct dirent *de;
	DIR *d;
	int pfd, dfd, ret = 0;
	char *slash;

	if (snprintf(parent, sizeof(parent), "%s", path) >= (int)sizeof(parent) || !(slash = strrchr(parent, '/')))
		return -EINVAL;
	*slash = '\0';
	name = path + (slash - parent) + 1;
	pfd = rhook__safedir_open(parent[0] ? parent : "/", msg, sizeof(msg));
	if (pfd < 0)
		return pfd;
	dfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		close(pfd);
		return ret;
	}
	d = fdopendir(dfd);
	if (!d) {
		ret = -errno;
		close(dfd);
		close(pfd);
		return ret;
	}
	/* Only what a snapshot writes: recorder files (unlinkat never follows a link). */
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > sizeof(RHR_FILE_SUFFIX) - 1 && !strcmp(de->d_name + n - (sizeof(RHR_FILE_SUFFIX) - 1), RHR_FILE_SUFFIX))
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	if (unlinkat(pfd, name, AT_REMOVEDIR))
		ret = -errno;
	close(pfd);
	return ret;
}

int rhook_recorder_snapshot(const char *dir, char *path, size_t path_size)
{
	struct rhook__snap_result res;
	char err[768];
	int ret = rhook__snap_take(dir, "snapshot", &res, err, sizeof(err));

	if (ret)
		return ret;
	if (path && snprintf(path, path_size, "%s", res.path) >= (int)path_size)
		return -ERANGE;
	return 0;
}
