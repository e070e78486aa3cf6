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
#include <unistd.h>

#include <rhook/trace.h>

#include "base/abi.h"
#include "clock.h"
#include "recorder_impl.h"
#include "wire/recorder_format.h"

/*
 * The per-thread share: 256 KiB holds ~3,000 events of the common kinds
 * (64 to 100 bytes), a few seconds of a busy engine thread.  The total:
 * 2 MiB per CPU (LTTng-UST's default channel is 4 x 512 KiB per CPU),
 * at least 64 MiB (255 buffers: 225 per-thread and 30 shared), so that a
 * server with a few hundred threads gives every one its own buffer; at
 * most 1 GiB unless asked.
 */
#define DEFAULT_BUFFER_SIZE (256u << 10)
#define DEFAULT_NUM_SUBBUFFERS 8u
#define DEFAULT_TOTAL_MIN (64ull << 20)
#define DEFAULT_TOTAL_PER_CPU (2ull << 20)
#define DEFAULT_TOTAL_MAX (1ull << 30)
#define MAX_BUFFER_SIZE (1u << 30)
#define MAX_NUM_BUFFERS 4096u
#define MAX_NUM_SUBBUFFERS 65536u
#define MAX_TOTAL_SIZE (64ull << 30)
/* The structure as first published (up to clock), which callers built then pass. */
#define CONFIG_V1_SIZE RHOOK__ABI_SIZE_TO(struct rhook_recorder_config, clock)

/* What each setting is called, in the environment and in the structure. */
enum setting { S_DIR, S_BUFFER_SIZE, S_BUFFERS, S_SUBBUFFERS, S_MODE, S_CLOCK, S_SIZE };
static const char *const env_names[] = { "RHOOK_TRACE_DIR",        "RHOOK_TRACE_BUFFER_SIZE", "RHOOK_TRACE_BUFFERS",
					 "RHOOK_TRACE_SUBBUFFERS", "RHOOK_TRACE_MODE",        "RHOOK_TRACE_CLOCK",
					 "RHOOK_TRACE_SIZE" };
static const char *const field_names[] = { "rhook_recorder_config.dir",
					   "rhook_recorder_config.buffer_size",
					   "rhook_recorder_config.num_buffers",
					   "rhook_recorder_config.num_subbuffers",
					   "rhook_recorder_config.mode",
					   "rhook_recorder_config.clock",
					   "rhook_recorder_config.total_size" };

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

int rhook__rec_fail(char *err, size_t size, int code, const char *fmt, ...)
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

/*
 * Splits a file of @total bytes (header included) into buffers of
 * @per_buffer bytes (buffer header included): *@num_private per-thread
 * ones and *@num_shared >= 1 + *@num_private / 8 shared ones.  @total
 * holds at least two buffers.
 */
static void split(uint64_t total, uint64_t per_buffer, uint32_t *num_private, uint32_t *num_shared)
{
	uint64_t all = (total - RHR_HEADER_SIZE) / per_buffer;

	/* At least 1 + private / 8 shared: 8 (all - 1) / 9 private satisfies it and wastes none. */
	*num_private = (uint32_t)(8 * (all - 1) / 9);
	if (!*num_private)
		*num_private = 1;
	*num_shared = (uint32_t)all - *num_private;
}

/*
 * Fixes out->num_buffers (per-thread buffers) and out->total_size (the
 * file's size, whole buffers) from whichever of the two was given, or
 * the default size; out->buffer_size is checked.  0 or -EINVAL.
 */
static int geometry(struct rhook_recorder_config *out, const char *const *n, char *err, size_t err_size)
{
	uint64_t per = RHR_BUFHDR_SIZE + (uint64_t)out->buffer_size, total = out->total_size, all;
	uint32_t priv, shared;
	char a[32], b[32];

	if (out->num_buffers && total)
		return rhook__rec_fail(err, err_size, -EINVAL,
			   "%s=%u and %s=%s are both set: set one (%s is the total, and the per-thread buffers follow)",
			   n[S_BUFFERS], out->num_buffers, n[S_SIZE], fmt_size(a, sizeof(a), total), n[S_SIZE]);
	if (out->num_buffers) {
		if (out->num_buffers > MAX_NUM_BUFFERS)
			return rhook__rec_fail(err, err_size, -EINVAL, "%s=%u: expected 1 to %u (or set %s, the total size)",
				   n[S_BUFFERS], out->num_buffers, MAX_NUM_BUFFERS, n[S_SIZE]);
		all = out->num_buffers + 1 + out->num_buffers / 8;
		out->total_size = (size_t)(RHR_HEADER_SIZE + all * per);
		return 0;
	}
	if (!total) {
		long cpus = sysconf(_SC_NPROCESSORS_CONF);

		total = (uint64_t)(cpus > 0 ? cpus : 1) * DEFAULT_TOTAL_PER_CPU;
		if (total < DEFAULT_TOTAL_MIN)
			total = DEFAULT_TOTAL_MIN;
		if (total > DEFAULT_TOTAL_MAX)
			total = DEFAULT_TOTAL_MAX;
		if (total < RHR_HEADER_SIZE + 2 * per)
			total = RHR_HEADER_SIZE + 2 * per;
	}
	if (total > MAX_TOTAL_SIZE)
		return rhook__rec_fail(err, err_size, -EINVAL, "%s=%s: expected at most 64g", n[S_SIZE],
			   fmt_size(a, sizeof(a), total));
	if (total < RHR_HEADER_SIZE + 2 * per)
		return rhook__rec_fail(err, err_size, -EINVAL,
			   "%s=%s holds fewer than 2 buffers of %s=%s (a per-thread one and a shared one): "
			   "expected %s >= %llu, or smaller buffers",
			   n[S_SIZE], fmt_size(a, sizeof(a), total), n[S_BUFFER_SIZE],
			   fmt_size(b, sizeof(b), out->buffer_size), n[S_SIZE],
			   (unsigned long long)(RHR_HEADER_SIZE + 2 * per));
	all = (total - RHR_HEADER_SIZE) / per;
	if (all > RHR_MAX_BUFFERS)
		return rhook__rec_fail(err, err_size, -EINVAL,
			   "%s=%s holds %llu buffers of %s=%s; a file has at most %u: expected a smaller total or "
			   "larger buffers",
			   n[S_SIZE], fmt_size(a, sizeof(a), total), (unsigned long long)all, n[S_BUFFER_SIZE],
			   fmt_size(b, sizeof(b), out->buffer_size), RHR_MAX_BUFFERS);
	split(total, per, &priv, &shared);
	out->num_buffers = priv;
	out->total_size = (size_t)(RHR_HEADER_SIZE + all * per);
	return 0;
}

int rhook__rec_config_check(const struct rhook_recorder_config *in, struct rhook_recorder_config *out, bool env,
			    bool check_cpu, char *err, size_t err_size)
{
	const char *const *n = env ? env_names : field_names;
	char a[32], b[32];
	uint64_t sub;
	int ret;

	if (!in)
		return rhook__rec_fail(err, err_size, -EINVAL, "no configuration given");
	if (in->size < CONFIG_V1_SIZE)
		return rhook__rec_fail(err, err_size, -EINVAL,
			   "rhook_recorder_config.size is %zu; this rhook needs at least %zu (set it to sizeof the structure)",
			   in->size, CONFIG_V1_SIZE);
	/* A caller built before total_size existed passes the first version's size: the rest is zero. */
	if (rhook__abi_copy(out, sizeof(*out), in, CONFIG_V1_SIZE))
		return rhook__rec_fail(err, err_size, -EINVAL,
			   "rhook_recorder_config.size is %zu, and the %zu bytes past the %zu this rhook knows are not "
			   "zero: settings of a newer rhook cannot be honoured",
			   in->size, in->size - sizeof(*in), sizeof(*in));
	if (!out->dir || !*out->dir)
		return rhook__rec_fail(err, err_size, -EINVAL, "%s is empty: expected a directory path", n[S_DIR]);
	if (!out->buffer_size)
		out->buffer_size = DEFAULT_BUFFER_SIZE;
	if (!out->num_subbuffers)
		out->num_subbuffers = DEFAULT_NUM_SUBBUFFERS;
	if (!is_pow2(out->buffer_size) || out->buffer_size > MAX_BUFFER_SIZE)
		return rhook__rec_fail(err, err_size, -EINVAL, "%s=%s: expected a power of two of bytes up to 1g (k, m, g suffixes)",
			   n[S_BUFFER_SIZE], fmt_size(a, sizeof(a), out->buffer_size));
	if (!is_pow2(out->num_subbuffers) || out->num_subbuffers < 2 || out->num_subbuffers > MAX_NUM_SUBBUFFERS)
		return rhook__rec_fail(err, err_size, -EINVAL, "%s=%u: expected a power of two from 2 to %u", n[S_SUBBUFFERS],
			   out->num_subbuffers, MAX_NUM_SUBBUFFERS);
	ret = geometry(out, n, err, err_size);
	if (ret)
		return ret;
	sub = out->buffer_size / out->num_subbuffers;
	if (sub < RHR_MIN_SUBBUF_SIZE)
		return rhook__rec_fail(err, err_size, -EINVAL,
			   "%s=%s with %s=%u makes sub-buffers of %llu bytes; each needs at least %u: "
			   "expected %s >= %s, or fewer sub-buffers",
			   n[S_BUFFER_SIZE], fmt_size(a, sizeof(a), out->buffer_size), n[S_SUBBUFFERS],
			   out->num_subbuffers, (unsigned long long)sub, RHR_MIN_SUBBUF_SIZE, n[S_BUFFER_SIZE],
			   fmt_size(b, sizeof(b), (unsigned long long)RHR_MIN_SUBBUF_SIZE * out->num_subbuffers));
	if (out->mode != RHOOK_RECORDER_OVERWRITE && out->mode != RHOOK_RECORDER_DISCARD)
		return rhook__rec_fail(err, err_size, -EINVAL, "%s=%d: expected %s", n[S_MODE], (int)out->mode,
			   env ? "overwrite or discard" : "RHOOK_RECORDER_OVERWRITE (0) or RHOOK_RECORDER_DISCARD (1)");
	if ((unsigned)out->clock > RHOOK_RECORDER_CLOCK_MONOTONIC)
		return rhook__rec_fail(err, err_size, -EINVAL, "%s=%d: expected %s", n[S_CLOCK], (int)out->clock,
			   env ? "auto, tsc or monotonic"
			       : "RHOOK_RECORDER_CLOCK_AUTO (0), _TSC (1) or _MONOTONIC (2)");
	if (check_cpu && out->clock == RHOOK_RECORDER_CLOCK_TSC && !rhook__tsc_usable())
		return rhook__rec_fail(err, err_size, -ENOTSUP,
			   "%s=tsc: this CPU's TSC is not invariant or it has no RDTSCP; expected auto or monotonic",
			   n[S_CLOCK]);
	return 0;
}

static int bad_value(char *err, size_t size, const char *var, const char *val, const char *what)
{
	return rhook__rec_fail(err, size, -EINVAL, "%s=%s: %s", var, val, what);
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
	if ((v = lookup("RHOOK_TRACE_SIZE", arg))) {
		if (parse_size(v, &n) || n == 0 || n > MAX_TOTAL_SIZE)
			return bad_value(err, err_size, "RHOOK_TRACE_SIZE", v,
					 "expected the trace file's total size, bytes up to 64g (k, m, g suffixes)");
		cfg->total_size = (size_t)n;
	}
	if ((v = lookup("RHOOK_TRACE_BUFFERS", arg))) {
		if (parse_size(v, &n) || n == 0 || n > MAX_NUM_BUFFERS)
			return bad_value(err, err_size, "RHOOK_TRACE_BUFFERS", v,
					 "expected 1 to 4096 per-thread buffers (or set RHOOK_TRACE_SIZE, the total size)");
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
