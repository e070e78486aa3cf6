/*
 * fsutil.h - file system helpers for rhook's tools, tests and benchmarks.
 */
#ifndef RHOOK_TOOLS_FSUTIL_H
#define RHOOK_TOOLS_FSUTIL_H

/* rm -rf @path, following no symlink; a missing @path is not an error.  0 or -1. */
int rhook_rmtree(const char *path);

#endif /* RHOOK_TOOLS_FSUTIL_H */
