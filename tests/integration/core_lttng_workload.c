/*
 * core_lttng_workload.c - drives the hook core through every event it
 * emits and prints what it did, one fact per line, for core_lttng to
 * compare with what LTTng recorded:
 *
 *   file <uuid> <region> <level> <size> <rows> <row_groups> <index_size> <start> <end> <origin>
 *   commit <region> <version> <cause> <result>
 *   updated <region> <version> <cause> <kinds> <num_actions> <flushed_entry_id> <flushed_seq> <added ids|-> <removed ids|->
 *   dispatch <region> <callback> <num_hooks>
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/trace.h>

#define REGION rhook_region_id_make(1024, 5)

static int fail_next;

static int persist(void *store, rhook_region_id region_id, uint64_t version, const struct rhook_action_list *a,
		   const char *json, size_t len)
{
	(void)store;
	(void)region_id;
	(void)version;
	(void)a;
	(void)json;
	(void)len;
	if (fail_next) {
		fail_next = 0;
		return -EIO;
	}
	return 0;
}

static void on_sst(void *priv, rhook_region_id r, const struct rhook_region_meta *m, const struct rhook_sst_file *f,
		   size_t n)
{
	(void)priv;
	(void)m;
	(void)f;
	(void)n;
	printf("dispatch %llu on_sst_files_written 1\n", (unsigned long long)r);
}

static void on_manifest(void *priv, rhook_region_id r, const struct rhook_action_list *a, uint64_t v)
{
	(void)priv;
	(void)a;
	(void)v;
	printf("dispatch %llu on_manifest_updated 1\n", (unsigned long long)r);
}

static void print_ids(const struct rhook_file_meta *files, size_t n)
{
	char id[RHOOK_FILE_ID_STRLEN];

	for (size_t i = 0; i < n; i++) {
		rhook_file_id_format(&files[i].file_id, id);
		printf("%s%s", i ? "," : "", id);
	}
	if (!n)
		printf("-");
}

static int commit(struct rhook_manifest_ctx *ctx, const struct rhook_action_list *l, enum rhook_cause cause,
		  const char *kinds, uint64_t flushed_id, uint64_t flushed_seq, int inject)
{
	uint64_t v = rhook_manifest_last_version(ctx) + 1;
	int err;

	fail_next = inject;
	err = rhook_manifest_update(ctx, l, cause, NULL);
	printf("commit %llu %llu %s %d\n", (unsigned long long)REGION, (unsigned long long)v, rhook_cause_name(cause),
	       err);
	if (err)
		return err;
	printf("updated %llu %llu %s %s %zu %llu %llu ", (unsigned long long)REGION, (unsigned long long)v,
	       rhook_cause_name(cause), kinds, l->num_actions, (unsigned long long)flushed_id,
	       (unsigned long long)flushed_seq);
	for (size_t i = 0; i < l->num_actions; i++) {
		if (l->actions[i].kind == RHOOK_ACTION_EDIT) {
			print_ids(l->actions[i].u.edit.files_to_add, l->actions[i].u.edit.num_files_to_add);
			printf(" ");
			print_ids(l->actions[i].u.edit.files_to_remove, l->actions[i].u.edit.num_files_to_remove);
		}
	}
	printf("\n");
	return 0;
}

int main(void)
{
	static const struct rhook_hook_ops hook = {
		.size = sizeof(hook), .on_sst_files_written = on_sst, .on_manifest_updated = on_manifest,
	};
	static const struct rhook_manifest_store_ops store = { sizeof(store), persist };
	struct rhook_registry *reg;
	struct rhook_manifest_ctx *ctx;
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = REGION, .store_ops = &store };
	struct rhook_file_meta files[3];
	struct rhook_sst_info infos[3];
	struct rhook_sst_file sst[3];
	uint64_t t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!rhook_lttng_loaded()) {
		fprintf(stderr, "the LTTng provider is not loaded (RHOOK_LTTNG=on?)\n");
		return 1;
	}
	if (rhook_registry_new(&reg) || rhook_registry_add(reg, &hook, NULL, NULL))
		return 1;
	cfg.registry = reg;
	if (rhook_manifest_ctx_new(&cfg, &ctx))
		return 1;

	/* A flush: three files written, then committed. */
	t = rhook_trace_flush_begin(REGION, 3000, 1u << 20);
	for (int i = 0; i < 3; i++) {
		files[i] = (struct rhook_file_meta){
			.region_id = REGION,
			.file_id = rhook_file_id_generate(),
			.time_range = { 1000 * i, 1000 * i + 999, RHOOK_TIME_UNIT_MILLISECOND },
			.level = 0,
			.file_size = 10000u + (uint64_t)i,
			.num_rows = 1000u + (uint64_t)i,
			.num_row_groups = 2u + (uint64_t)i,
			.index_file_size = 300u + (uint64_t)i,
		};
		infos[i] = (struct rhook_sst_info){ .file_id = files[i].file_id, .file_size = files[i].file_size };
		sst[i] = (struct rhook_sst_file){ &infos[i], &files[i] };
		printf("file ");
		print_ids(&files[i], 1);
		printf(" %llu 0 %llu %llu %llu %llu %lld %lld flush\n", (unsigned long long)REGION,
		       (unsigned long long)files[i].file_size, (unsigned long long)files[i].num_rows,
		       (unsigned long long)files[i].num_row_groups, (unsigned long long)files[i].index_file_size,
		       (long long)files[i].time_range.start, (long long)files[i].time_range.end);
	}
	rhook_sst_files_written(reg, REGION, NULL, sst, 3, RHOOK_ORIGIN_FLUSH);
	{
		struct rhook_action_list *l = rhook_action_list_new();
		struct rhook_action_edit ed = {
			.files_to_add = files, .num_files_to_add = 3,
			.has_flushed_entry_id = true, .flushed_entry_id = 77,
			.has_flushed_sequence = true, .flushed_sequence = 7777,
		};

		rhook_action_list_add_edit(l, &ed);
		if (commit(ctx, l, RHOOK_CAUSE_FLUSH, "edit", 77, 7777, 0))
			return 1;
		rhook_trace_flush_end(t, REGION, 3000, 1u << 20, 3, 0);
		/* A persist failure: a manifest_commit with the error, nothing else. */
		if (commit(ctx, l, RHOOK_CAUSE_COMPACTION, "edit", 77, 7777, EIO) != -EIO)
			return 1;
		rhook_action_list_free(l);
	}
	/* A compaction: files 0 and 1 replaced by one level-1 file. */
	{
		struct rhook_action_list *l = rhook_action_list_new();
		struct rhook_file_meta out = files[2];
		struct rhook_action_edit ed = { .files_to_add = &out, .num_files_to_add = 1, .files_to_remove = files,
						.num_files_to_remove = 2 };

		t = rhook_trace_compaction_begin(REGION, 2, 20001, false);
		out.file_id = rhook_file_id_generate();
		out.level = 1;
		rhook_action_list_add_edit(l, &ed);
		if (commit(ctx, l, RHOOK_CAUSE_COMPACTION, "edit", 0, 0, 0))
			return 1;
		rhook_trace_compaction_end(t, REGION, 2, 1, 20001, 10002, false, 0);
		rhook_action_list_free(l);
	}
	/* Two writes under one hold, merged: one notification, the later version. */
	{
		struct rhook_action_list *a = rhook_action_list_new(), *b = rhook_action_list_new();
		struct rhook_action_change ch = { .metadata = { .region_id = REGION, .schema_version = 3 } };
		struct rhook_receipt r1 = RHOOK_RECEIPT_INIT, r2 = RHOOK_RECEIPT_INIT;
		uint64_t v = rhook_manifest_last_version(ctx);

		rhook_action_list_add_partition_expr_change(a, "host < 'm'");
		rhook_action_list_add_change(b, &ch);
		rhook_manifest_lock(ctx);
		if (rhook_manifest_update_locked(ctx, a, RHOOK_CAUSE_STAGING_EXIT, &r1) ||
		    rhook_manifest_update_locked(ctx, b, RHOOK_CAUSE_ALTER, &r2) || rhook_receipt_merge(&r1, &r2))
			return 1;
		rhook_manifest_unlock(ctx);
		printf("commit %llu %llu staging_exit 0\ncommit %llu %llu alter 0\n", (unsigned long long)REGION,
		       (unsigned long long)v + 1, (unsigned long long)REGION, (unsigned long long)v + 2);
		printf("updated %llu %llu staging_exit change+partition_expr_change 2 0 0 - -\n",
		       (unsigned long long)REGION, (unsigned long long)v + 2);
		if (rhook_receipt_fire(&r1))
			return 1;
		rhook_action_list_free(a);
		rhook_action_list_free(b);
	}
	rhook_manifest_ctx_free(ctx);
	rhook_registry_free(reg);
	return 0;
}
