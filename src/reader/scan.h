/*
 * scan.h - finding the traces under the paths a reader is given
 * (rhook-read and the babeltrace2 plugin share it, so that both open the
 * same files in the same order and so place the same clocks, input.h).
 *
 * A path may be a recorder file, a CTF trace directory (or its metadata
 * file), or a directory holding any number of both at any depth (at most
 * RDR_SCAN_MAX_DEPTH levels).  Symbolic links met while walking a
 * directory are not followed.  The recorder files found under one path
 * are sorted by path name.
 *
 * Single-threaded.
 */
#ifndef RDR_SCAN_H
#define RDR_SCAN_H

#include <stddef.h>

#define RDR_SCAN_MAX_DEPTH 16

/* Paths found, by kind, in a stable order. */
struct rdr_found {
	char **rec; /* recorder files */
	size_t num_rec, cap_rec;
	char **ctf; /* CTF trace directories */
	size_t num_ctf, cap_ctf;
};

/*
 * Adds the traces under @path to @f.  Returns 0, or a negative errno with
 * "PATH: reason" in @err: -ENOENT (a directory holding no trace, or a
 * path that does not exist), -EINVAL (neither a file nor a directory),
 * -ENOMEM, or the errno of a directory that cannot be read.
 */
int rdr_scan_path(struct rdr_found *f, const char *path, char *err, size_t err_size);

void rdr_found_free(struct rdr_found *f);

#endif /* RDR_SCAN_H */
