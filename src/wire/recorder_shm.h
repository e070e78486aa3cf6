/*
 * recorder_shm.h - the accesses writer and reader make to the words of a trace
 * file they share (the pairs of recorder_format.h): relaxed atomic loads and
 * stores of aligned words, word-by-word copies, and the two fences of
 * the sub-buffer seqlock.  Shared by librhook and rhook-read.
 */
#ifndef RHR_SHM_H
#define RHR_SHM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t rhr_ld64(const void *p)
{
	return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
}

static inline uint32_t rhr_ld32(const void *p)
{
	return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
}

static inline void rhr_st64(void *p, uint64_t v)
{
	__atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
}

static inline void rhr_st32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, v, __ATOMIC_RELAXED);
}

/* Copies @len bytes (a multiple of 8) out of shared words at @src (8-aligned). */
static inline void rhr_copy_out(void *dst, const void *src, size_t len)
{
	const uint64_t *s = src;
	uint8_t *d = dst;

	for (size_t i = 0; i < len / 8; i++) {
		uint64_t v = __atomic_load_n(&s[i], __ATOMIC_RELAXED);

		memcpy(d + 8 * i, &v, 8);
	}
}

/*
 * GCC warns that ThreadSanitizer does not model fences.  The accesses
 * they order are all atomic, so ThreadSanitizer reports no race on them
 * either way; the fences are for the hardware and the compiler.
 */
#if defined(__SANITIZE_THREAD__) && !defined(__clang__)
#define RHR_NO_TSAN_WARNING_BEGIN _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wtsan\"")
#define RHR_NO_TSAN_WARNING_END _Pragma("GCC diagnostic pop")
#else
#define RHR_NO_TSAN_WARNING_BEGIN
#define RHR_NO_TSAN_WARNING_END
#endif

/* S1, writer: orders the store of seq 0 before every store after it. */
static inline void rhr_fence_release(void)
{
	RHR_NO_TSAN_WARNING_BEGIN
	__atomic_thread_fence(__ATOMIC_RELEASE);
	RHR_NO_TSAN_WARNING_END
}

/* S1, reader: orders every load before it before the second load of seq. */
static inline void rhr_fence_acquire(void)
{
	RHR_NO_TSAN_WARNING_BEGIN
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	RHR_NO_TSAN_WARNING_END
}

#endif /* RHR_SHM_H */
