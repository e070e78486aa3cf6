/*
 * out.c - buffered output and number formatting (see out.h).
 */
#include "out.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int rdr_out_init(struct rdr_out *o, int fd)
{
	o->fd = fd;
	o->err = 0;
	o->len = 0;
	o->buf = malloc(RDR_OUT_SIZE);
	return o->buf ? 0 : -ENOMEM;
}

void rdr_out_flush_slow(struct rdr_out *o)
{
	size_t done = 0;

	while (o->fd >= 0 && !o->err && done < o->len) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			o->err = n < 0 ? -errno : -EIO;
		else
			done += (size_t)n;
	}
	o->len = 0;
}

int rdr_out_flush(struct rdr_out *o)
{
	rdr_out_flush_slow(o);
	return o->err;
}

int rdr_out_close(struct rdr_out *o)
{
	int err = o->buf ? rdr_out_flush(o) : 0;

	free(o->buf);
	o->buf = NULL;
	return err;
}

static const char digits2[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
			      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
			      "8081828384858687888990919293949596979899";

size_t rdr_fmt_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = sizeof(tmp), len;

	/* Two digits per division, right to left. */
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;

		v /= 100;
		tmp[--n] = digits2[d + 1];
		tmp[--n] = digits2[d];
	}
	if (v >= 10) {
		tmp[--n] = digits2[v * 2 + 1];
		tmp[--n] = digits2[v * 2];
	} else {
		tmp[--n] = (char)('0' + v);
	}
	len = sizeof(tmp) - n;
	memcpy(p, tmp + n, len);
	return len;
}

size_t rdr_fmt_i64(char *p, int64_t v)
{
	if (v >= 0)
		return rdr_fmt_u64(p, (uint64_t)v);
	*p = '-';
	return 1 + rdr_fmt_u64(p + 1, 0 - (uint64_t)v);
}

void rdr_fmt_uuid(char *p, const uint8_t id[16])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[id[i] >> 4];
		*p++ = hex[id[i] & 15];
	}
}

size_t rdr_fmt_ts(char *p, uint64_t ns)
{
	size_t n = rdr_fmt_u64(p, ns / 1000000000u);
	uint32_t frac = (uint32_t)(ns % 1000000000u);

	p[n++] = '.';
	for (int i = 8; i >= 0; i--) {
		p[n + (size_t)i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	return n + 9;
}

/* Appends @s escaped for JSON (json) or for a C-like quoted string (TSDL, babeltrace). */
static void quoted(struct rdr_out *o, const char *s, int json)
{
	static const char hex[] = "0123456789abcdef";

	rdr_out_char(o, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			rdr_out_char(o, '\\');
			rdr_out_char(o, (char)c);
		} else if (c < 0x20 && json) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			rdr_out_mem(o, esc, sizeof(esc));
		} else if (c < 0x20) {
			rdr_out_char(o, '?');
		} else {
			rdr_out_char(o, (char)c);
		}
	}
	rdr_out_char(o, '"');
}

void rdr_out_json_str(struct rdr_out *o, const char *s)
{
	quoted(o, s, 1);
}

void rdr_out_quoted(struct rdr_out *o, const char *s)
{
	quoted(o, s, 0);
}

void rdr_out_printf(struct rdr_out *o, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		rdr_out_mem(o, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

int rdr_fail(char *err, size_t size, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return code;
}
