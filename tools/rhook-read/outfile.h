/*
 * outfile.h - files rhook-read writes (a report, a Perfetto export):
 * private and complete or absent.
 *
 * The file is written under a temporary name in its directory (created
 * 0600 with O_EXCL | O_NOFOLLOW) and renamed over @path only when
 * complete, so a reader never sees half a file and a failed run leaves
 * what was there.  The directory must exist and pass the checks of
 * safedir.h (not writable by others, not below a directory others can
 * change); @path itself must not be a symbolic link or anything but a
 * regular file.  Single-threaded.
 */
#ifndef RDR_OUTFILE_H
#define RDR_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>

struct rdr_outfile {
	int dfd;        /* the directory */
	int fd;         /* the temporary file, to write to */
	char *name;     /* @path's last component */
	char *tmp;      /* the temporary name in the directory */
	char *path;     /* as given, for messages */
};

/* 0, or a negative errno with a message naming the path in @err. */
int rdr_outfile_open(struct rdr_outfile *f, const char *path, char *err, size_t err_size);
/*
 * @commit: fsyncs and renames the file into place; else (or when that
 * fails) removes it.  Frees @f.  0, or a negative errno with a message.
 */
int rdr_outfile_close(struct rdr_outfile *f, bool commit, char *err, size_t err_size);

#endif /* RDR_OUTFILE_H */
