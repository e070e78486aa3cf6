/*
 * abi.h - extensible structures a caller hands to librhook (not installed).
 *
 * Public ops and config structures start with `size_t size` (the caller's
 * sizeof) and only grow at the end.  librhook accepts a structure from an
 * older caller (@size down to the first published version, the fields it
 * lacks read as zero) and one from a newer caller whose extra fields are
 * all zero (they would only ask for the defaults), and refuses a newer
 * one with a non-zero field it does not know: it cannot honour what that
 * field asks for (as LTTng-UST does for its probe descriptors).
 */
#ifndef RHOOK_BASE_ABI_H
#define RHOOK_BASE_ABI_H

#include <stddef.h>

/*
 * Checks the caller's structure @src (its first field is its size) against
 * this library's @known size and the smallest size it accepts, @min:
 * 0, or -EINVAL when @src is NULL, smaller than @min, or larger than
 * @known with a non-zero byte past @known.  Reads @src's size bytes.
 */
int rhook__abi_check(const void *src, size_t known, size_t min);

/*
 * rhook__abi_check(), then copies @src into @dst (@known bytes): the
 * fields @src lacks are zero and dst's size field is @known.  @dst is
 * left untouched on error.
 */
int rhook__abi_copy(void *dst, size_t known, const void *src, size_t min);

/* The size of a structure up to and including @member: its first published version. */
#define RHOOK__ABI_SIZE_TO(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

#endif /* RHOOK_BASE_ABI_H */
