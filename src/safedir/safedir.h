/*
 * safedir.h - the directories rhook writes into (trace directories of
 * the recorder, export directories of rhook-read), opened the way ssh
 * and systemd treat private state: never through a symbolic link, never
 * one someone else could change.
 *
 * Used by librhook and by rhook-read (which compiles it in); no state.
 */
#ifndef RHOOK_SAFEDIR_H
#define RHOOK_SAFEDIR_H

#include <stddef.h>

/*
 * Opens directory @path, first creating it (mode 0700) if it is missing,
 * and checks it.  Refused:
 *  - @path itself a symbolic link (its last component is opened with
 *    O_NOFOLLOW; trailing slashes are ignored): -ELOOP;
 *  - not a directory: -ENOTDIR;
 *  - owned by another uid than the effective one, or writable by its
 *    group or by others (sticky or not): -EPERM;
 *  - below an ancestor directory that a uid other than root and the
 *    effective one owns, or that others can write without the sticky
 *    bit (they could rename the directory away and put theirs in its
 *    place): -EPERM.  Ancestors are the real parents of the opened
 *    directory (walked with ".."), whatever symbolic links @path named;
 *    the parent is checked before the directory is created in it.
 * Returns a file descriptor (O_RDONLY | O_DIRECTORY | O_CLOEXEC) to
 * create files in with openat(), or a negative errno (also mkdir's and
 * open's), with a message naming the directory in @err.
 *
 * Any thread; system calls only on success (async-signal-safe); the
 * messages of failures are formatted with snprintf().
 */
int rhook__safedir_open(const char *path, char *err, size_t err_size);

/*
 * Checks the directory open at @dfd (named @path in messages) by the
 * rules above, ancestors included; 0 or -EPERM with a message.
 */
int rhook__safedir_check(int dfd, const char *path, char *err, size_t err_size);

#endif /* RHOOK_SAFEDIR_H */
