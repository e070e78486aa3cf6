/*
 * error.c - the calling thread's last error message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "util.h"

static _Thread_local char errmsg[1024];

int lsm__fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return err;
}

const char *lsm_engine_errmsg(void)
{
	return errmsg[0] ? errmsg : "no error";
}

int64_t lsm__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t lsm__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + 1; /* never 0: 0 means untimed */
}
