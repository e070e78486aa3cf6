/*
 * envelope_fuzz.c - libFuzzer target for the manifest delta envelope
 * ({"version":V,"prev":P,"xxh64":"...","body":...}, log.h): form, version,
 * checksum, the body's action list, then the list applied to an empty
 * region state, as a replay does.
 *
 * The version a file must hold comes from its name on disk; here it is
 * read from the input's own prefix, so that well-formed inputs get past
 * the version check.  Each input is decoded as it is (the checksum test),
 * then with the checksum of its body (the body's decoder and the replay).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_envelope.h"
#include "log.h"
#include "version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode(const char *buf, size_t size, uint64_t v)
{
	struct rhook_action_list *list = NULL;
	struct lsm__version *empty, *next = NULL;
	uint64_t prev;

	if (lsm__log_decode(buf, size, "fuzz", "delta.json", v, &prev, &list))
		return;
	empty = lsm__version_new_empty();
	if (empty && !lsm__version_apply(empty, v, list, &next))
		lsm__version_free(next);
	lsm__version_free(empty);
	rhook_action_list_free(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long v = 0;
	char *buf = malloc(size + 1);

	if (!buf)
		return 0;
	/* The decoder reads a file as lsm__fs_read_all() returns it: NUL-terminated. */
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (sscanf(buf, "{\"version\":%llu", &v) != 1)
		v = 0;
	decode(buf, size, v);
	if (rhook_fuzz_fix_checksum(buf, size))
		decode(buf, size, v);
	free(buf);
	return 0;
}
