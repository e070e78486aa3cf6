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

/* Decimal digits of @v (1..20). */
static unsigned num_digits(uint64_t v)
{
	static const uint64_t pow10[20] = { 1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
					    10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
					    100000000000ull, 1000000000000ull, 10000000000000ull,
					    100000000000000ull, 1000000000000000ull, 10000000000000000ull,
					    100000000000000000ull, 1000000000000000000ull,
					    10000000000000000000ull };
	/* log10(2) ~ 1233 / 4096: the digits of 2^bits, then one more if v reaches the next power of ten. */
	unsigned d = ((64u - (unsigned)__builtin_clzll(v | 1)) * 1233u) >> 12;

	if (v < 10)
		return 1;
	return d + (d < 20 && v >= pow10[d]);
}

/* The 8 digits of @x < 10^8 ending at @end (leading zeros kept), two per step in 32-bit arithmetic. */
static void put8(char *end, uint32_t x)
{
	for (int i = 0; i < 4; i++) {
		unsigned d = (x % 100) * 2;

		x /= 100;
		*--end = digits2[d + 1];
		*--end = digits2[d];
	}
}

size_t rdr_fmt_u64(char *p, uint64_t v)
{
	/*
	 * Straight into place from the right, the length known first: no
	 * scratch copy.  64-bit divisions only per 8 digits (a timestamp in
	 * ns has 19), the rest in 32 bits, two digits at a time.
	 */
	unsigned n = num_digits(v);
	char *e = p + n;
	uint32_t w;

	while (v >= 100000000u) {
		put8(e, (uint32_t)(v % 100000000u));
		v /= 100000000u;
		e -= 8;
	}
	w = (uint32_t)v;
	while (w >= 100) {
		unsigned d = (w % 100) * 2;

		w /= 100;
		*--e = digits2[d + 1];
		*--e = digits2[d];
	}
	if (w >= 10) {
		*--e = digits2[w * 2 + 1];
		*--e = digits2[w * 2];
	} else {
		*--e = (char)('0' + w);
	}
	return n;
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
	/* Nine digits: the last one alone, then eight. */
	p[n + 8] = (char)('0' + frac % 10);
	put8(p + n + 8, frac / 10);
	return n + 9;
}

/* How quoted() escapes: a C-like string (TSDL, babeltrace), JSON, JSON inside an HTML script. */
enum quoting { Q_C, Q_JSON, Q_JSON_HTML };

static void quoted(struct rdr_out *o, const char *s, enum quoting q)
{
	static const char hex[] = "0123456789abcdef";

	rdr_out_char(o, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			rdr_out_char(o, '\\');
			rdr_out_char(o, (char)c);
		} else if ((c < 0x20 && q != Q_C) || (c == '<' && q == Q_JSON_HTML)) {
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
	quoted(o, s, Q_JSON);
}

void rdr_out_json_html_str(struct rdr_out *o, const char *s)
{
	quoted(o, s, Q_JSON_HTML);
}

void rdr_out_quoted(struct rdr_out *o, const char *s)
{
	quoted(o, s, Q_C);
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
