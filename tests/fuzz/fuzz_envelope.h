/*
 * fuzz_envelope.h - for the fuzz targets of manifest files: gives a
 * mutated envelope the checksum of its body, so that mutations reach the
 * body's decoder and the replay, not only the checksum test.
 */
#ifndef RHOOK_FUZZ_ENVELOPE_H
#define RHOOK_FUZZ_ENVELOPE_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

/*
 * In @buf (@len bytes, NUL-terminated), an envelope's "xxh64" is set to
 * the checksum of its body; false if @buf does not have the envelope's
 * shape (then it is unchanged).
 */
static inline bool rhook_fuzz_fix_checksum(char *buf, size_t len)
{
	static const char body_key[] = "\",\"body\":";
	unsigned long long v, p;
	char hex[17];
	int at = 0;
	size_t body;

	if (sscanf(buf, "{\"version\":%llu,\"prev\":%llu,\"xxh64\":\"%n", &v, &p, &at) != 2 || !at ||
	    len < (size_t)at + 16 + strlen(body_key) + 2 || memcmp(buf + at + 16, body_key, strlen(body_key)))
		return false;
	body = (size_t)at + 16 + strlen(body_key);
	snprintf(hex, sizeof(hex), "%016" PRIx64, (uint64_t)XXH64(buf + body, len - body - 2, 0));
	memcpy(buf + at, hex, 16);
	return true;
}

#endif /* RHOOK_FUZZ_ENVELOPE_H */
