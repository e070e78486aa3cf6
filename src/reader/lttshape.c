/*
 * lttshape.c - the LTTng-UST shape of a recorder trace (see lttshape.h).
 */
#define _GNU_SOURCE
#include "lttshape.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "out.h"
#include "wire/recorder_format.h"

void rdr_lt_procname(char out[RDR_LT_PROCNAME_LEN], const struct rdr_proc *p)
{
	size_t n = strnlen(p->comm, RDR_LT_PROCNAME_LEN - 1);

	memset(out, 0, RDR_LT_PROCNAME_LEN);
	memcpy(out, p->comm, n);
}

void rdr_lt_clock_offset(int64_t ns, int64_t *seconds, uint64_t *rem)
{
	int64_t s = ns / 1000000000 - (ns % 1000000000 < 0);

	*seconds = s;
	*rem = (uint64_t)(ns - s * 1000000000);
}

/* "20261201T075756+0000" (LTTng's form) of the wall-clock time @mono + @offset. */
static void datetime(char *out, size_t size, uint64_t mono, int64_t offset)
{
	int64_t s;
	uint64_t ns;
	time_t t;
	struct tm tm;

	rdr_lt_clock_offset((int64_t)mono + offset, &s, &ns);
	t = (time_t)s;
	if (!gmtime_r(&t, &tm) || !strftime(out, size, "%Y%m%dT%H%M%S+0000", &tm))
		snprintf(out, size, "19700101T000000+0000");
}

void rdr_lt_env(struct rdr_lt_env *env, const struct rdr_proc *p)
{
	const char *base = strrchr(p->origin, '/');
	size_t n, suffix = strlen(RHR_FILE_SUFFIX);
	unsigned i = 0;

	base = base && base[1] ? base + 1 : p->origin;
	n = strlen(base);
	if (n > suffix && !strcmp(base + n - suffix, RHR_FILE_SUFFIX))
		n -= suffix;
	snprintf(env->trace_name, sizeof(env->trace_name), "%.*s", (int)n, base);
	datetime(env->datetime, sizeof(env->datetime), p->start_mono, p->clock_offset_ns);
	rdr_lt_procname(env->procname, p);
#define STR(k, v) env->e[i++] = (struct rdr_lt_env_entry){ (k), (v), 0 }
#define NUM(k, v) env->e[i++] = (struct rdr_lt_env_entry){ (k), NULL, (int64_t)(v) }
	STR("domain", "ust");
	STR("tracer_name", RDR_LT_TRACER_NAME);
	NUM("tracer_major", RDR_LT_TRACER_MAJOR);
	NUM("tracer_minor", RDR_LT_TRACER_MINOR);
	STR("tracer_buffering_scheme", "pid");
	NUM("tracer_buffering_id", p->pid);
	NUM("architecture_bit_width", 64); /* the recorder format is x86-64's (recorder_format.h) */
	STR("trace_name", env->trace_name);
	STR("trace_creation_datetime", env->datetime);
	STR("hostname", p->host);
	NUM("tracer_patchlevel", RDR_LT_TRACER_PATCHLEVEL);
	NUM("vpid", p->pid);
	STR("procname", env->procname);
	STR("vpid_datetime", env->datetime);
	STR(RDR_LT_SOURCE_KEY, p->source[0] ? p->source : "unknown");
#undef STR
#undef NUM
	env->n = i;
}

size_t rdr_lt_id_list(char *dst, const uint8_t *ids, unsigned n)
{
	size_t len = 0;

	if (n > RHW_EV_MAX_LISTED_IDS)
		n = RHW_EV_MAX_LISTED_IDS;
	if (!n) {
		memcpy(dst, RHW_EV_EMPTY_ID_LIST, sizeof(RHW_EV_EMPTY_ID_LIST));
		return sizeof(RHW_EV_EMPTY_ID_LIST) - 1;
	}
	for (unsigned i = 0; i < n; i++) {
		if (i)
			dst[len++] = ',';
		rdr_fmt_uuid(dst + len, ids + (size_t)i * 16);
		len += 36;
	}
	dst[len] = '\0';
	return len;
}
