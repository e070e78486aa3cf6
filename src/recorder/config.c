/*
 * config.c - recorder configuration from the environment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rhook/trace.h>

/* Parses "123", "64k", "4m", "1g"; 0 or -EINVAL. */
static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K':
		v <<= 10;
		end++;
		break;
	case 'm': case 'M':
		v <<= 20;
		end++;
		break;
	case 'g': case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int bad(char *err, size_t size, const char *var, const char *val, const char *what)
{
	if (err && size)
		snprintf(err, size, "%s=%s: %s", var, val, what);
	return -EINVAL;
}

int rhook_recorder_config_from_env(struct rhook_recorder_config *cfg, char *err, size_t err_size)
{
	const char *dir = getenv("RHOOK_TRACE_DIR");
	const char *v;
	unsigned long long n;

	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	if (!dir || !*dir)
		return 0;
	cfg->dir = dir;
	if ((v = getenv("RHOOK_TRACE_BUFFER_SIZE"))) {
		if (parse_size(v, &n) || n == 0 || (n & (n - 1)))
			return bad(err, err_size, "RHOOK_TRACE_BUFFER_SIZE", v, "expected a power of two (k, m, g suffixes)");
		cfg->buffer_size = n;
	}
	if ((v = getenv("RHOOK_TRACE_BUFFERS"))) {
		if (parse_size(v, &n) || n == 0 || n > 4096)
			return bad(err, err_size, "RHOOK_TRACE_BUFFERS", v, "expected 1..4096");
		cfg->num_buffers = (unsigned)n;
	}
	if ((v = getenv("RHOOK_TRACE_SUBBUFFERS"))) {
		if (parse_size(v, &n) || n < 2 || n > 65536 || (n & (n - 1)))
			return bad(err, err_size, "RHOOK_TRACE_SUBBUFFERS", v, "expected a power of two >= 2");
		cfg->num_subbuffers = (unsigned)n;
	}
	if ((v = getenv("RHOOK_TRACE_MODE"))) {
		if (!strcasecmp(v, "overwrite"))
			cfg->mode = RHOOK_RECORDER_OVERWRITE;
		else if (!strcasecmp(v, "discard"))
			cfg->mode = RHOOK_RECORDER_DISCARD;
		else
			return bad(err, err_size, "RHOOK_TRACE_MODE", v, "expected overwrite or discard");
	}
	if ((v = getenv("RHOOK_TRACE_CLOCK"))) {
		if (!strcasecmp(v, "auto"))
			cfg->clock = RHOOK_RECORDER_CLOCK_AUTO;
		else if (!strcasecmp(v, "tsc"))
			cfg->clock = RHOOK_RECORDER_CLOCK_TSC;
		else if (!strcasecmp(v, "monotonic"))
			cfg->clock = RHOOK_RECORDER_CLOCK_MONOTONIC;
		else
			return bad(err, err_size, "RHOOK_TRACE_CLOCK", v, "expected auto, tsc or monotonic");
	}
	return 1;
}
