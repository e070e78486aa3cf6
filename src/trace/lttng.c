/*
 * lttng.c - defines rhook's tracepoints and loads their LTTng-UST provider.
 *
 * The tracepoints are defined here with dynamic probe linkage, the way
 * LTTng-UST recommends for a library: librhook depends only on the small
 * liblttng-ust-tracepoint (dlopen'ed by the tracepoint constructors), and
 * the probes, which pull in liblttng-ust and its listener threads, live in
 * librhook-lttng.so.  rhook__lttng_init() decides whether to load them
 * now, later (lttng_watch.c) or never.
 */
#define _GNU_SOURCE /* dladdr */
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include "rhook_tp.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rhook/trace.h>

#include "lttng.h"
#include "lttng_watch.h"

#define PROVIDER_SONAME "librhook-lttng.so." RHOOK_SOVERSION_STR

/* Written once by rhook__lttng_load() (release); read by anyone (acquire). */
static _Atomic(void *) provider_handle;
/* $RHOOK_LTTNG_PROVIDER, copied by the constructor (the watcher loads later). */
static char provider_path[PATH_MAX];

bool rhook_lttng_loaded(void)
{
	return atomic_load_explicit(&provider_handle, memory_order_acquire) != NULL;
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

bool rhook__lttng_load(void)
{
	void *h = NULL;

	if (rhook_lttng_loaded())
		return true;
	if (provider_path[0])
		h = dlopen(provider_path, RTLD_NOW | RTLD_GLOBAL);
	if (!h)
		h = open_beside_library();
	if (!h)
		h = dlopen(PROVIDER_SONAME, RTLD_NOW | RTLD_GLOBAL);
	/* Pairs with the acquire in rhook_lttng_loaded(). */
	atomic_store_explicit(&provider_handle, h, memory_order_release);
	return h != NULL;
}

void rhook__lttng_init(void)
{
	const char *mode = getenv("RHOOK_LTTNG");
	const char *path = getenv("RHOOK_LTTNG_PROVIDER");
	bool forced = mode && (!strcasecmp(mode, "on") || !strcmp(mode, "1"));
	int err;

	if (mode && (!strcasecmp(mode, "off") || !strcmp(mode, "0")))
		return;
	if (mode && !forced && strcasecmp(mode, "auto"))
		fprintf(stderr, "rhook: RHOOK_LTTNG=%s not understood (on, off, auto); using auto\n", mode);
	if (path && strlen(path) < sizeof(provider_path))
		strcpy(provider_path, path);
	else if (path)
		fprintf(stderr, "rhook: RHOOK_LTTNG_PROVIDER is longer than %zu bytes; ignored\n", sizeof(provider_path) - 1);
	rhook__lttng_watch_init();
	if (forced || rhook__lttng_sessiond_present()) {
		if (!rhook__lttng_load() && forced)
			fprintf(stderr, "rhook: cannot load the LTTng provider %s: %s\n",
				provider_path[0] ? provider_path : PROVIDER_SONAME, dlerror());
		return;
	}
	err = rhook__lttng_watch_start();
	if (err)
		fprintf(stderr, "rhook: cannot watch for an LTTng session daemon (%s): LTTng tracing needs one "
				"running at start-up\n", strerror(-err));
}
