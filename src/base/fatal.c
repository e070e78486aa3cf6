/*
 * fatal.c - the one way rhook aborts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

void rhook__fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("rhook: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
