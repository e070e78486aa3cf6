/*
 * out.h - buffered output with hand-rolled formatting.
 *
 * rhook-read prints millions of lines: a 1 MiB buffer flushed with
 * write(2) when nearly full, and number formatting without printf.
 * Appending never fails; a write error is remembered and reported by
 * rdr_out_flush().  Single-threaded.
 */
#ifndef RDR_OUT_H
#define RDR_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RDR_OUT_SIZE (1u << 20)
/* Room guaranteed by rdr_out_reserve(): more than any one field or line head. */
#define RDR_OUT_SLACK 4096u

struct rdr_out {
	int fd;     /* -1: discard everything (fuzzing, benchmarks of decoding alone) */
	int err;    /* first write error, negative errno */
	size_t len;
	char *buf;  /* RDR_OUT_SIZE bytes */
};

/* 0 or -ENOMEM. */
int rdr_out_init(struct rdr_out *o, int fd);
/* Writes what is buffered; returns 0 or the first write error. */
int rdr_out_flush(struct rdr_out *o);
/* Flushes and frees; returns rdr_out_flush()'s result. */
int rdr_out_close(struct rdr_out *o);

void rdr_out_flush_slow(struct rdr_out *o);

/* Makes sure RDR_OUT_SLACK bytes can be appended without a check. */
static inline void rdr_out_reserve(struct rdr_out *o)
{
	if (o->len > RDR_OUT_SIZE - RDR_OUT_SLACK)
		rdr_out_flush_slow(o);
}

static inline void rdr_out_mem(struct rdr_out *o, const void *p, size_t n)
{
	if (o->len + n > RDR_OUT_SIZE)
		rdr_out_flush_slow(o);
	if (n > RDR_OUT_SIZE) {
		/* Larger than the buffer: only happens for absurd inputs, write it in pieces. */
		while (n) {
			size_t k = n < RDR_OUT_SIZE ? n : RDR_OUT_SIZE;

			rdr_out_mem(o, p, k);
			p = (const char *)p + k;
			n -= k;
		}
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static inline void rdr_out_str(struct rdr_out *o, const char *s)
{
	rdr_out_mem(o, s, strlen(s));
}

static inline void rdr_out_char(struct rdr_out *o, char c)
{
	if (o->len == RDR_OUT_SIZE)
		rdr_out_flush_slow(o);
	o->buf[o->len++] = c;
}

/* The following append without a bounds check: call rdr_out_reserve() first. */

/* Decimal digits of @v at @p; returns the length (at most 20). */
size_t rdr_fmt_u64(char *p, uint64_t v);
size_t rdr_fmt_i64(char *p, int64_t v);
/* Canonical lower-case UUID text (36 characters). */
void rdr_fmt_uuid(char *p, const uint8_t id[16]);
/* "sec.nnnnnnnnn" of @ns; returns the length. */
size_t rdr_fmt_ts(char *p, uint64_t ns);

static inline void rdr_out_u64(struct rdr_out *o, uint64_t v)
{
	o->len += rdr_fmt_u64(o->buf + o->len, v);
}

static inline void rdr_out_i64(struct rdr_out *o, int64_t v)
{
	o->len += rdr_fmt_i64(o->buf + o->len, v);
}

static inline void rdr_out_uuid(struct rdr_out *o, const uint8_t id[16])
{
	rdr_fmt_uuid(o->buf + o->len, id);
	o->len += 36;
}

static inline void rdr_out_lit(struct rdr_out *o, const char *s, size_t n)
{
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

#define RDR_OUT_LIT(o, s) rdr_out_lit((o), (s), sizeof(s) - 1)

/* Formats a message into @err (@size bytes) and returns @code: for "return rdr_fail(...)". */
__attribute__((format(printf, 4, 5))) int rdr_fail(char *err, size_t size, int code, const char *fmt, ...);

/* printf-style append for reports (not for per-event output); checked. */
__attribute__((format(printf, 2, 3))) void rdr_out_printf(struct rdr_out *o, const char *fmt, ...);

/* @s as a JSON string (quotes included), escaped; checked append. */
void rdr_out_json_str(struct rdr_out *o, const char *s);
/* The same inside an HTML script element: "<" escaped too, so that no "</script>" in @s ends it. */
void rdr_out_json_html_str(struct rdr_out *o, const char *s);
/* @s as a TSDL / babeltrace-style double-quoted string; checked append. */
void rdr_out_quoted(struct rdr_out *o, const char *s);

#endif /* RDR_OUT_H */
