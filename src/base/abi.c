/*
 * abi.c - checks and copies of the caller's extensible structures (abi.h).
 */
#include <errno.h>
#include <string.h>

#include "abi.h"

int rhook__abi_check(const void *src, size_t known, size_t min)
{
	const unsigned char *p = src;
	size_t size;

	if (!src)
		return -EINVAL;
	memcpy(&size, src, sizeof(size));
	if (size < min || size < sizeof(size_t))
		return -EINVAL;
	/* A field this library does not know asks for something it cannot do. */
	for (size_t i = known; i < size; i++)
		if (p[i])
			return -EINVAL;
	return 0;
}

int rhook__abi_copy(void *dst, size_t known, const void *src, size_t min)
{
	size_t size;
	int err = rhook__abi_check(src, known, min);

	if (err)
		return err;
	memcpy(&size, src, sizeof(size));
	memset(dst, 0, known);
	memcpy(dst, src, size < known ? size : known);
	memcpy(dst, &known, sizeof(known));
	return 0;
}
