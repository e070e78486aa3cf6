/*
 * lttng.c - defines rhook's tracepoints and loads their LTTng-UST provider.
 *
 * The tracepoints are defined here with dynamic probe linkage, the way
 * LTTng-UST recommends for a library: librhook depends only on the small
 * liblttng-ust-tracepoint (dlopen'ed by the tracepoint constructors), and
 * the probes, which pull in liblttng-ust and its listener threads, live in
 * librhook-lttng.so.  rhook__lttng_init() decides whether to load them.
 */
#define _GNU_SOURCE /* dladdr */
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include "rhook_tp.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "lttng.h"

#define PROVIDER_SONAME "librhook-lttng.so." RHOOK_SOVERSION_STR

static void *provider_handle;

bool rhook_lttng_loaded(void)
{
	return provider_handle != NULL;
}

/* Whether a session daemon has its application socket where lttng-ust looks. */
static bool sessiond_running(void)
{
	const char *home = getenv("LTTNG_HOME");
	char path[PATH_MAX];

	if (!access("/var/run/lttng/lttng-ust-sock-8", F_OK))
		return true;
	if (!home)
		home = getenv("HOME");
	if (!home)
		return false;
	snprintf(path, sizeof(path), "%s/.lttng/lttng-ust-sock-8", home);
	return !access(path, F_OK);
}

/* The provider next to librhook itself (build tree or install prefix). */
static void *open_beside_library(void)
{
	Dl_info info;
	char path[PATH_MAX];
	const char *slash;

	if (!dladdr((void *)rhook_lttng_loaded, &info) || !info.dli_fname)
		return NULL;
	slash = strrchr(info.dli_fname, '/');
	if (!slash)
		return NULL;
	snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - info.dli_fname), info.dli_fname, PROVIDER_SONAME);
	return dlopen(path, RTLD_NOW | RTLD_GLOBAL);
}

void rhook__lttng_init(void)
{
	const char *mode = getenv("RHOOK_LTTNG");
	const char *path = getenv("RHOOK_LTTNG_PROVIDER");
	bool forced = mode && (!strcasecmp(mode, "on") || !strcmp(mode, "1"));

	if (mode && (!strcasecmp(mode, "off") || !strcmp(mode, "0")))
		return;
	if (mode && !forced && strcasecmp(mode, "auto"))
		fprintf(stderr, "rhook: RHOOK_LTTNG=%s not understood (on, off, auto); using auto\n", mode);
	if (!forced && !sessiond_running())
		return;
	if (path)
		provider_handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!provider_handle)
		provider_handle = open_beside_library();
	if (!provider_handle)
		provider_handle = dlopen(PROVIDER_SONAME, RTLD_NOW | RTLD_GLOBAL);
	if (!provider_handle && forced)
		fprintf(stderr, "rhook: cannot load the LTTng provider %s: %s\n", path ? path : PROVIDER_SONAME,
			dlerror());
}
