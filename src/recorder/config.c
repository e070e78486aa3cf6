/*
 * config.c - recorder configuration: from the environment, and the one
 * check every configuration goes through, whichever way it came.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rhook/trace.h>

#include "base/abi.h"
#include "clock.h"
#include "recorder_impl.h"
#include "wire/recorder_format.h"

#define DEFAULT_BUFFER_SIZE (1u << 20)
#define DEFAULT_NUM_BUFFERS 16u
#define DEFAULT_NUM_SUBBUFFERS 8u
#define MAX_BUFFER_SIZE (1u << 30)
#define MAX_NUM_BUFFERS 4096u
#define MAX_NUM_SUBBUFFERS 65536u

/* What each setting is called, in the environment and in the structure. */
enum setting { S_DIR, S_BUFFER_SIZE, S_BUFFERS, S_SUBBUFFERS, S_MODE, S_CLOCK };
static const char *const env_names[] = { "RHOOK_TRACE_DIR",     "RHOOK_TRACE_BUFFER_SIZE", "RHOOK_TRACE_BUFFERS",
					 "RHOOK_TRACE_SUBBUFFERS", "RHOOK_TRACE_MODE",       "RHOOK_TRACE_CLOCK" };
static const char *const field_names[] = { "rhook_recorder_config.dir",
					   "rhook_recorder_config.buffer_size",
					   "rhook_recorder_config.num_buffers",
					   "rhook_recorder_config.num_subbuffers",
					   "rhook_recorder_config.mode",
					   "rhook_recorder_config.clock" };

/* Parses "123", "64k", "4m", "1g"; 0 or -EINVAL. */
static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end || v > (ULLONG_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

/* @v as "64k", "1m", "3g" when it is a whole multiple, else in bytes. */
static const char *fmt_size(char *buf, size_t size, unsigned long long v)
{
	if (v && !(v & ((1ull << 30) - 1)))
		snprintf(buf, size, "%llug", v >> 30);
	else if (v && !(v & ((1ull << 20) - 1)))
		snprintf(buf, size, "%llum", v >> 20);
	else if (v && !(v & ((1ull << 10) - 1)))
		snprintf(buf, size, "%lluk", v >> 10);
	else
		snprintf(buf, size, "%llu", v);
	return buf;
}

__attribute__((format(printf, 4, 5))) static int bad(char *err, size_t size, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && size) {
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

int rhook__rec_config_check(const struct rhook_recorder_config *in, struct rhook_recorder_config *out, bool env,
			    bool check_cpu, char *err, size_t err_size)
{
	const char *const *n = env ? env_names : field_names;
	char a[32], b[32];
	uint64_t sub;

	if (!in)
		return bad(err, err_size, -EINVAL, "no configuration given");
	if (in->size < sizeof(*in))
		return bad(err, err_size, -EINVAL,
			   "rhook_recorder_config.size is %zu; this rhook needs at least %zu (set it to sizeof the structure)",
			   in->size, sizeof(*in));
	if (rhook__abi_check(in, sizeof(*in), sizeof(*in)))
		return bad(err, err_size, -EINVAL,
			   "rhook_recorder_config.size is %zu, and the %zu bytes past the %zu this rhook knows are not "
			   "zero: settings of a newer rhook cannot be honoured",
			   in->size, in->size - sizeof(*in), sizeof(*in));
	if (!in->dir || !*in->dir)
		return bad(err, err_size, -EINVAL, "%s is empty: expected a directory path", n[S_DIR]);
	*out = *in;
	out->size = sizeof(*out);
	if (!out->buffer_size)
		out->buffer_size = DEFAULT_BUFFER_SIZE;
	if (!out->num_buffers)
		out->num_buffers = DEFAULT_NUM_BUFFERS;
	if (!out->num_subbuffers)
		out->num_subbuffers = DEFAULT_NUM_SUBBUFFERS;
	if (!is_pow2(out->buffer_size) || out->buffer_size > MAX_BUFFER_SIZE)
		return bad(err, err_size, -EINVAL, "%s=%s: expected a power of two of bytes up to 1g (k, m, g suffixes)",
			   n[S_BUFFER_SIZE], fmt_size(a, sizeof(a), out->buffer_size));
	if (out->num_buffers > MAX_NUM_BUFFERS)
		return bad(err, err_size, -EINVAL, "%s=%u: expected 1 to %u", n[S_BUFFERS], out->num_buffers,
			   MAX_NUM_BUFFERS);
	if (!is_pow2(out->num_subbuffers) || out->num_subbuffers < 2 || out->num_subbuffers > MAX_NUM_SUBBUFFERS)
		return bad(err, err_size, -EINVAL, "%s=%u: expected a power of two from 2 to %u", n[S_SUBBUFFERS],
			   out->num_subbuffers, MAX_NUM_SUBBUFFERS);
	sub = out->buffer_size / out->num_subbuffers;
	if (sub < RHR_MIN_SUBBUF_SIZE)
		return bad(err, err_size, -EINVAL,
			   "%s=%s with %s=%u makes sub-buffers of %llu bytes; each needs at least %u: "
			   "expected %s >= %s, or fewer sub-buffers",
			   n[S_BUFFER_SIZE], fmt_size(a, sizeof(a), out->buffer_size), n[S_SUBBUFFERS],
			   out->num_subbuffers, (unsigned long long)sub, RHR_MIN_SUBBUF_SIZE, n[S_BUFFER_SIZE],
			   fmt_size(b, sizeof(b), (unsigned long long)RHR_MIN_SUBBUF_SIZE * out->num_subbuffers));
	if (out->mode != RHOOK_RECORDER_OVERWRITE && out->mode != RHOOK_RECORDER_DISCARD)
		return bad(err, err_size, -EINVAL, "%s=%d: expected %s", n[S_MODE], (int)out->mode,
			   env ? "overwrite or discard" : "RHOOK_RECORDER_OVERWRITE (0) or RHOOK_RECORDER_DISCARD (1)");
	if ((unsigned)out->clock > RHOOK_RECORDER_CLOCK_MONOTONIC)
		return bad(err, err_size, -EINVAL, "%s=%d: expected %s", n[S_CLOCK], (int)out->clock,
			   env ? "auto, tsc or monotonic"
			       : "RHOOK_RECORDER_CLOCK_AUTO (0), _TSC (1) or _MONOTONIC (2)");
	if (check_cpu && out->clock == RHOOK_RECORDER_CLOCK_TSC && !rhook__tsc_usable())
		return bad(err, err_size, -ENOTSUP,
			   "%s=tsc: this CPU's TSC is not invariant or it has no RDTSCP; expected auto or monotonic",
			   n[S_CLOCK]);
	return 0;
}

static int bad_value(char *err, size_t size, const char *var, const char *val, const char *what)
{
	return bad(err, size, -EINVAL, "%s=%s: %s", var, val, what);
}

static const char *env_lookup(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

int rhook_recorder_config_from_env(struct rhook_recorder_config *cfg, char *err, size_t err_size)
{
	return rhook__rec_config_lookup(cfg, env_lookup, NULL, err, err_size);
}

int rhook__rec_config_lookup(struct rhook_recorder_config *cfg, const char *(*lookup)(const char *name, void *arg),
			     void *arg, char *err, size_t err_size)
{
	const char *dir = lookup("RHOOK_TRACE_DIR", arg);
	struct rhook_recorder_config checked;
	const char *v;
	unsigned long long n;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	if (!dir || !*dir)
		return 0;
	cfg->dir = dir;
	if ((v = lookup("RHOOK_TRACE_BUFFER_SIZE", arg))) {
		if (parse_size(v, &n) || n == 0 || n > MAX_BUFFER_SIZE || (n & (n - 1)))
			return bad_value(err, err_size, "RHOOK_TRACE_BUFFER_SIZE", v,
					 "expected a power of two of bytes up to 1g (k, m, g suffixes)");
		cfg->buffer_size = n;
	}
	if ((v = lookup("RHOOK_TRACE_BUFFERS", arg))) {
		if (parse_size(v, &n) || n == 0 || n > MAX_NUM_BUFFERS)
			return bad_value(err, err_size, "RHOOK_TRACE_BUFFERS", v, "expected 1 to 4096");
		cfg->num_buffers = (unsigned)n;
	}
	if ((v = lookup("RHOOK_TRACE_SUBBUFFERS", arg))) {
		if (parse_size(v, &n) || n < 2 || n > MAX_NUM_SUBBUFFERS || (n & (n - 1)))
			return bad_value(err, err_size, "RHOOK_TRACE_SUBBUFFERS", v,
					 "expected a power of two from 2 to 65536");
		cfg->num_subbuffers = (unsigned)n;
	}
	if ((v = lookup("RHOOK_TRACE_MODE", arg))) {
		if (!strcasecmp(v, "overwrite"))
			cfg->mode = RHOOK_RECORDER_OVERWRITE;
		else if (!strcasecmp(v, "discard"))
			cfg->mode = RHOOK_RECORDER_DISCARD;
		else
			return bad_value(err, err_size, "RHOOK_TRACE_MODE", v, "expected overwrite or discard");
	}
	if ((v = lookup("RHOOK_TRACE_CLOCK", arg))) {
		if (!strcasecmp(v, "auto"))
			cfg->clock = RHOOK_RECORDER_CLOCK_AUTO;
		else if (!strcasecmp(v, "tsc"))
			cfg->clock = RHOOK_RECORDER_CLOCK_TSC;
		else if (!strcasecmp(v, "monotonic"))
			cfg->clock = RHOOK_RECORDER_CLOCK_MONOTONIC;
		else
			return bad_value(err, err_size, "RHOOK_TRACE_CLOCK", v, "expected auto, tsc or monotonic");
	}
	/* The settings together (sub-buffer size): what start would refuse is refused here, by name. */
	ret = rhook__rec_config_check(cfg, &checked, true, false, err, err_size);
	return ret ? ret : 1;
}
