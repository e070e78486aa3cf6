/*
 * out.h - buffered output with hand-rolled formatting.
 *
 * rhook-read prints millions of lines: a 1 MiB buffer flushed with
 * write(2) when nearly full, and number formatting without printf.
 * Appending never fails; a write error is remembered and reported by
 * rhook__out_flush().  Single-threaded.
 */
#ifndef RHOOK_READ_OUT_H
#define RHOOK_READ_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RHOOK__OUT_SIZE (1u << 20)
/* Room guaranteed by rhook__out_reserve(): more than any one field or line head. */
#define RHOOK__OUT_SLACK 4096u

struct rhook__out {
	int fd;     /* -1: discard everything (fuzzing, benchmarks of decoding alone) */
	int err;    /* first write error, negative errno */
	size_t len;
	char *buf;  /* RHOOK__OUT_SIZE bytes */
};

/* 0 or -ENOMEM. */
int rhook__out_init(struct rhook__out *o, int fd);
/* Writes what is buffered; returns 0 or the first write error. */
int rhook__out_flush(struct rhook__out *o);
/* Flushes and frees; returns rhook__out_flush()'s result. */
int rhook__out_close(struct rhook__out *o);

void rhook__out_flush_slow(struct rhook__out *o);

/* Makes sure RHOOK__OUT_SLACK bytes can be appended without a check. */
static inline void rhook__out_reserve(struct rhook__out *o)
{
	if (o->len > RHOOK__OUT_SIZE - RHOOK__OUT_SLACK)
		rhook__out_flush_slow(o);
}

static inline void rhook__out_mem(struct rhook__out *o, const void *p, size_t n)
{
	if (o->len + n > RHOOK__OUT_SIZE)
		rhook__out_flush_slow(o);
	if (n > RHOOK__OUT_SIZE) {
		/* Larger than the buffer: only happens for absurd inputs, write it in pieces. */
		while (n) {
			size_t k = n < RHOOK__OUT_SIZE ? n : RHOOK__OUT_SIZE;

			rhook__out_mem(o, p, k);
			p = (const char *)p + k;
			n -= k;
		}
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static inline void rhook__out_str(struct rhook__out *o, const char *s)
{
	rhook__out_mem(o, s, strlen(s));
}

static inline void rhook__out_char(struct rhook__out *o, char c)
{
	if (o->len == RHOOK__OUT_SIZE)
		rhook__out_flush_slow(o);
	o->buf[o->len++] = c;
}

/* The following append without a bounds check: call rhook__out_reserve() first. */

/* Decimal digits of @v at @p; returns the length (at most 20). */
size_t rhook__fmt_u64(char *p, uint64_t v);
size_t rhook__fmt_i64(char *p, int64_t v);
/* Canonical lower-case UUID text (36 characters). */
void rhook__fmt_uuid(char *p, const uint8_t id[16]);
/* "sec.nnnnnnnnn" of @ns; returns the length. */
size_t rhook__fmt_ts(char *p, uint64_t ns);

static inline void rhook__out_u64(struct rhook__out *o, uint64_t v)
{
	o->len += rhook__fmt_u64(o->buf + o->len, v);
}

static inline void rhook__out_i64(struct rhook__out *o, int64_t v)
{
	o->len += rhook__fmt_i64(o->buf + o->len, v);
}

static inline void rhook__out_uuid(struct rhook__out *o, const uint8_t id[16])
{
	rhook__fmt_uuid(o->buf + o->len, id);
	o->len += 36;
}

static inline void rhook__out_lit(struct rhook__out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

#define RHOOK__OUT_LIT(o, s) rhook__out_lit((o), (s), sizeof(s) - 1)

/* Formats a message into @err (@size bytes) and returns @code: for "return rhook__fail(...)". */
__attribute__((format(printf, 4, 5))) int rhook__fail(char *err, size_t size, int code, const char *fmt, ...);

/* printf-style append for reports (not for per-event output); checked. */
__attribute__((format(printf, 2, 3))) void rhook__out_printf(struct rhook__out *o, const char *fmt, ...);

/* @s as a JSON string (quotes included), escaped; checked append. */
void rhook__out_json_str(struct rhook__out *o, const char *s);
/* @s as a TSDL / babeltrace-style double-quoted string; checked append. */
void rhook__out_quoted(struct rhook__out *o, const char *s);

#endif /* RHOOK_READ_OUT_H */
