/*
 * util.h - small helpers of the region engine: error messages, durable
 * file I/O, failpoints (not installed).
 */
#ifndef LSM_UTIL_H
#define LSM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

/* Sets the calling thread's message (lsm_engine_errmsg) and returns @err. */
__attribute__((format(printf, 2, 3))) int lsm__fail(int err, const char *fmt, ...);

/* Wall-clock milliseconds (edit timestamps). */
int64_t lsm__now_ms(void);
/* CLOCK_MONOTONIC ns, never 0 (commit timing). */
uint64_t lsm__now_ns(void);

/* 0, or -errno; retries short writes and EINTR. */
int lsm__fs_write_all(int fd, const void *buf, size_t len);
/* Creates @name in @dirfd for writing: O_EXCL, O_NOFOLLOW, 0600.  A descriptor or -errno. */
int lsm__fs_create(int dirfd, const char *name);
/* fsync of a directory (makes renames and creations in it durable); 0 or -errno. */
int lsm__fs_sync_dir(int dirfd);
/* fsync of @fd, or nothing while a bench-only engine skips fsync; 0 or -errno. */
int lsm__fs_sync(int fd);
/*
 * Engines created with bench_only_skip_fsync: lsm__fs_sync() skips while
 * the count is non-zero.  Any thread (an atomic count).
 */
void lsm__fs_skip_sync_ref(int delta);
/*
 * Durable atomic write: a private temporary file ".tmp-<name>-XXXXXX",
 * fsync, rename over @name (never over an existing file when
 * @noreplace: -EEXIST), fsync of the directory.  0 or -errno; the
 * temporary file never survives a failure.
 */
int lsm__fs_write_atomic(int dirfd, const char *name, const void *buf, size_t len, bool noreplace);
/*
 * The same replacement of @name without the final directory sync: after
 * a power loss the directory may still show the previous file (whole,
 * never torn).  For records whose previous version stays valid.
 */
int lsm__fs_replace_nodirsync(int dirfd, const char *name, const void *buf, size_t len);
/* Reads a whole regular file (O_NOFOLLOW) into a malloc'ed, NUL-terminated buffer. */
int lsm__fs_read_all(int dirfd, const char *name, char **buf, size_t *len);
/* Copies @src_name (not through a symlink) to a new file @dst_name (0600, fsync'ed). */
int lsm__fs_copy(int src_dirfd, const char *src_name, int dst_dirfd, const char *dst_name);
/* Hard-links @src_name into @dst_dirfd as @dst_name, or copies it across file systems. */
int lsm__fs_link_or_copy(int src_dirfd, const char *src_name, int dst_dirfd, const char *dst_name);
/* Removes @name under @dirfd and everything below it (no symlink is followed); 0 or -errno. */
int lsm__fs_remove_tree(int dirfd, const char *name);
/* Opens (creating 0700 if @create) a directory under @dirfd without following symlinks. */
int lsm__fs_open_dir(int dirfd, const char *name, bool create);
/*
 * Calls @fn for each entry of directory @dirfd but "." and "..", in
 * readdir order; stops at the first non-zero return and returns it.
 * 0, or -errno if the directory cannot be read.
 */
int lsm__fs_for_each(int dirfd, int (*fn)(const char *name, void *arg), void *arg);
/* Whether @name starts with the temporary-file prefix. */
bool lsm__fs_is_temp(const char *name);

/*
 * Failpoint: -err if @fault is armed and its skip count ran out (it then
 * disarms), else 0.  One relaxed load when nothing is armed.
 */
int lsm__fault_hit(struct lsm_engine *engine, enum lsm_fault fault);

#endif /* LSM_UTIL_H */
