/*
 * rhook-compactor - remote compaction: opens a region with its own hook
 * registry, compacts it, and commits the outputs itself (cause and
 * origin remote_compaction), so both callbacks fire in this process.
 * The leader then catches up on the update without firing anything.
 *
 * Hooks reach this process by configuration: the built-in tracing of
 * librhook (RHOOK_LTTNG, RHOOK_TRACE_DIR) and user hooks from a plugin
 * (rhook/plugin.h) named with --hook.
 *
 * Prints one JSON line with what it did; exit 0 on success (including
 * nothing to compact), 1 on failure, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/plugin.h>

#include "engine.h"

static void usage(FILE *f)
{
	fputs("usage: rhook-compactor [--hook PLUGIN.so] [--hook-arg ARG] REGION_DIR\n"
	      "Compacts the region at REGION_DIR (level 0 into level 1) and commits the result.\n"
	      "  --hook PLUGIN.so  load hooks from a plugin (its " RHOOK_PLUGIN_INIT_SYMBOL "())\n"
	      "  --hook-arg ARG    argument passed to the plugin's init function\n",
	      f);
}

/* Loads @path and lets it register its hooks; the handle in *handle. */
static int load_plugin(const char *path, const char *arg, struct rhook_registry *reg, void **handle)
{
	rhook_plugin_init_fn init;
	int err;

	*handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!*handle) {
		fprintf(stderr, "rhook-compactor: cannot load plugin: %s\n", dlerror());
		return -1;
	}
	*(void **)&init = dlsym(*handle, RHOOK_PLUGIN_INIT_SYMBOL);
	if (!init) {
		fprintf(stderr, "rhook-compactor: %s: no %s() in the plugin\n", path, RHOOK_PLUGIN_INIT_SYMBOL);
		return -1;
	}
	err = init(reg, arg);
	if (err) {
		fprintf(stderr, "rhook-compactor: %s: %s() failed: %s\n", path, RHOOK_PLUGIN_INIT_SYMBOL,
			strerror(-err));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "hook", required_argument, NULL, 'k' },
					      { "hook-arg", required_argument, NULL, 'a' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .workers = 1 };
	const char *hook = NULL, *hook_arg = NULL, *dir;
	struct lsm_region_op_result res;
	struct rhook_registry *reg = NULL;
	struct lsm_engine *engine = NULL;
	struct lsm_region *region = NULL;
	void *plugin = NULL;
	char id[RHOOK_REGION_ID_STRLEN];
	int c, status = 1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			hook = optarg;
			break;
		case 'a':
			hook_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || (hook_arg && !hook)) {
		fputs(hook_arg && !hook ? "rhook-compactor: --hook-arg needs --hook\n"
					: "rhook-compactor: expected exactly one region directory\n",
		      stderr);
		usage(stderr);
		return 2;
	}
	dir = argv[optind];
	if (rhook_registry_new(&reg)) {
		fputs("rhook-compactor: out of memory\n", stderr);
		return 1;
	}
	if (hook && load_plugin(hook, hook_arg, reg, &plugin))
		goto out;
	cfg.registry = reg;
	if (lsm_engine_new(&cfg, &engine) || lsm_region_open(engine, dir, LSM_ROLE_COMPACTOR, &region) ||
	    lsm_region_compact(region, &res)) {
		fprintf(stderr, "rhook-compactor: %s\n", lsm_engine_errmsg());
		goto out;
	}
	rhook_region_id_format(lsm_region_get_id(region), id);
	printf("{\"region\":\"%s\",\"version\":%" PRIu64 ",\"input_files\":%" PRIu32 ",\"output_files\":%" PRIu32
	       ",\"rows\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64 "}\n",
	       id, res.version, res.files_in, res.files_out, res.rows, res.bytes_in, res.bytes_out);
	status = fflush(stdout) ? 1 : 0;
out:
	lsm_region_close(region);
	lsm_engine_free(engine);
	/* Every hook is released before the code that implements it is unmapped. */
	rhook_registry_free(reg);
	if (plugin)
		dlclose(plugin);
	return status;
}
