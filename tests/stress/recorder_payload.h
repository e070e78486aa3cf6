/*
 * recorder_payload.h - the values the recorder stress tests write, so
 * that a reader can tell a record it decoded from a torn or foreign one:
 * flush_begin with region = thread + 1, rows = sequence number and
 * bytes = recorder_mix(thread, sequence).
 */
#ifndef RHOOK_TESTS_RECORDER_PAYLOAD_H
#define RHOOK_TESTS_RECORDER_PAYLOAD_H

#include <stdint.h>

static inline uint64_t recorder_mix(uint64_t thread, uint64_t seq)
{
	uint64_t x = (thread + 1) * 0x9e3779b97f4a7c15ull ^ seq;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 29);
}

#endif /* RHOOK_TESTS_RECORDER_PAYLOAD_H */
