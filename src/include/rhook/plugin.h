/*
 * rhook/plugin.h - hooks in a shared object, for programs that open
 * regions on their own (rhook-compactor): such a program cannot be
 * handed hook pointers, so it is handed a plugin path instead.
 *
 * A plugin exports one function, named RHOOK_PLUGIN_INIT_SYMBOL, of type
 * rhook_plugin_init_fn.  The host dlopen()s the plugin, creates its
 * registry, and calls the function once, before it opens any region, with
 * that registry and the argument it was given for the plugin (NULL if
 * none).  The function registers its hooks with rhook_registry_add() and
 * returns 0, or a negative errno to make the host fail.  The host frees the
 * registry (each hook's release() runs) before it unloads the plugin.
 *
 *	int rhook_plugin_init(struct rhook_registry *registry, const char *arg)
 *	{
 *		static const struct rhook_hook_ops ops = {
 *			.size = sizeof(ops), .on_manifest_updated = my_callback,
 *		};
 *		return rhook_registry_add(registry, &ops, NULL, NULL);
 *	}
 */
#ifndef RHOOK_PLUGIN_H
#define RHOOK_PLUGIN_H

#include <rhook/hook.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RHOOK_PLUGIN_INIT_SYMBOL "rhook_plugin_init"

typedef int (*rhook_plugin_init_fn)(struct rhook_registry *registry, const char *arg);

#ifdef __cplusplus
}
#endif

#endif /* RHOOK_PLUGIN_H */
