/*
 * codec.h - little-endian encoding of the engine's binary files (not installed).
 */
#ifndef LSM_CODEC_H
#define LSM_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline uint8_t *lsm__put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 4;
}

static inline uint8_t *lsm__put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 8;
}

static inline uint32_t lsm__get_u32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline uint64_t lsm__get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* A bounds-checked reader over a buffer: every get fails (returns false) past the end. */
struct lsm__cursor {
	const uint8_t *p;
	const uint8_t *end;
};

static inline bool lsm__cur_u32(struct lsm__cursor *c, uint32_t *v)
{
	if (c->end - c->p < 4)
		return false;
	*v = lsm__get_u32(c->p);
	c->p += 4;
	return true;
}

static inline bool lsm__cur_u64(struct lsm__cursor *c, uint64_t *v)
{
	if (c->end - c->p < 8)
		return false;
	*v = lsm__get_u64(c->p);
	c->p += 8;
	return true;
}

static inline bool lsm__cur_bytes(struct lsm__cursor *c, size_t n, const uint8_t **out)
{
	if ((size_t)(c->end - c->p) < n)
		return false;
	*out = c->p;
	c->p += n;
	return true;
}

#endif /* LSM_CODEC_H */
