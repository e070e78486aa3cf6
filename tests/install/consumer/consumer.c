/*
 * consumer.c - a tiny engine built against an installed rhook: it registers
 * a hook, writes an SST and commits it, and checks the hook saw both.
 */
#include <stdio.h>

#include <rhook/trace.h>

static int sst_calls, manifest_calls;

static void on_sst(void *priv, rhook_region_id region, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t n)
{
	(void)priv;
	(void)region;
	(void)meta;
	(void)files;
	sst_calls += (int)n;
}

static void on_manifest(void *priv, rhook_region_id region, const struct rhook_action_list *actions, uint64_t v)
{
	char id[RHOOK_REGION_ID_STRLEN];

	(void)priv;
	printf("manifest of region %s at version %llu: %zu action(s)\n", rhook_region_id_format(region, id),
	       (unsigned long long)v, actions->num_actions);
	manifest_calls++;
}

static int persist(void *store, rhook_region_id region, uint64_t version, const struct rhook_action_list *actions,
		   const char *json, size_t len)
{
	(void)store;
	(void)region;
	(void)version;
	(void)actions;
	(void)json;
	(void)len;
	return 0;
}

int main(void)
{
	static const struct rhook_hook_ops ops = {
		.size = sizeof(ops), .on_sst_files_written = on_sst, .on_manifest_updated = on_manifest,
	};
	static const struct rhook_manifest_store_ops store = { sizeof(store), persist };
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = rhook_region_id_make(1, 0),
						 .store_ops = &store };
	struct rhook_registry *reg;
	struct rhook_manifest_ctx *ctx;
	struct rhook_action_list *actions = rhook_action_list_new();
	struct rhook_file_meta file = { .region_id = cfg.region_id, .file_id = rhook_file_id_generate(), .num_rows = 1 };
	struct rhook_sst_info info = { .file_id = file.file_id, .num_rows = 1 };
	struct rhook_sst_file written = { &info, &file };
	struct rhook_action_edit edit = { .files_to_add = &file, .num_files_to_add = 1 };

	if (!actions || rhook_registry_new(&reg) || rhook_registry_add(reg, &ops, NULL, NULL))
		return 1;
	cfg.registry = reg;
	if (rhook_manifest_ctx_new(&cfg, &ctx) || rhook_action_list_add_edit(actions, &edit))
		return 1;
	rhook_sst_files_written(reg, cfg.region_id, NULL, &written, 1, RHOOK_ORIGIN_FLUSH);
	if (rhook_manifest_update(ctx, actions, RHOOK_CAUSE_FLUSH, NULL))
		return 1;
	rhook_action_list_free(actions);
	rhook_manifest_ctx_free(ctx);
	rhook_registry_free(reg);
	return sst_calls == 1 && manifest_calls == 1 ? 0 : 1;
}
