/*
 * fsutil.h - file system helpers for rhook's tools, tests and benchmarks.
 */
#ifndef TC_FSUTIL_H
#define TC_FSUTIL_H

/* rm -rf @path, following no symlink; a missing @path is not an error.  0 or -1. */
int tc_rmtree(const char *path);

#endif /* TC_FSUTIL_H */
