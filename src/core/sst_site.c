/*
 * sst_site.c - the SST write and deletion sites: events for each file,
 * then the on_sst_files_written or on_files_removed hooks.
 */
#include <errno.h>

#include <rhook/hook.h>

#include "base/internal.h"
#include "trace/emit.h"

const char *rhook_origin_name(enum rhook_origin origin)
{
	static const char *const names[] = {
#define RHOOK__LABEL(NAME, value, label) [value] = label,
		RHOOK_ORIGINS(RHOOK__LABEL)
#undef RHOOK__LABEL
	};

	return (unsigned)origin < sizeof(names) / sizeof(names[0]) ? names[origin] : NULL;
}

/* Any thread; no lock (see rhook/hook.h). */
void rhook_sst_files_written(struct rhook_registry *reg, rhook_region_id region_id,
			     const struct rhook_region_meta *region_meta, const struct rhook_sst_file *files,
			     size_t num_files, enum rhook_origin origin)
{
	if (rhook__ev_wanted(RHW_EV_sst_file_written))
		for (size_t i = 0; i < num_files; i++)
			rhook__emit_sst_file_written(region_id, files[i].file_meta, origin);
	if (reg)
		rhook_dispatch_sst_files_written(reg, region_id, region_meta, files, num_files);
}

const char *rhook_remove_reason_name(enum rhook_remove_reason reason)
{
	static const char *const names[] = {
#define RHOOK__LABEL(NAME, value, label) [value] = label,
		RHOOK_REMOVE_REASONS(RHOOK__LABEL)
#undef RHOOK__LABEL
	};

	return (unsigned)reason < sizeof(names) / sizeof(names[0]) ? names[reason] : NULL;
}

/*
 * Any thread; no lock (see rhook/hook.h).  The manifest-mutex check is
 * the receipts' (contract §3): rhook__manifest_holds counts the manifest
 * mutexes this thread holds, so a deletion notified under one is refused.
 */
int rhook_files_removed(struct rhook_registry *reg, rhook_region_id region_id, const struct rhook_removed_file *files,
			size_t num_files, enum rhook_remove_reason reason)
{
	if (!rhook_remove_reason_name(reason) || (!files && num_files))
		return -EINVAL;
	if (rhook__manifest_holds) {
#ifdef RHOOK_DEBUG
		rhook__fatal("rhook_files_removed(): %zu file(s) of region %llu notified while this thread holds a "
			     "manifest mutex: notify after rhook_manifest_unlock()",
			     num_files, (unsigned long long)region_id);
#else
		return -EDEADLK;
#endif
	}
	if (rhook__ev_wanted(RHW_EV_sst_file_removed))
		for (size_t i = 0; i < num_files; i++)
			rhook__emit_sst_file_removed(region_id, &files[i], reason);
	if (reg && num_files)
		rhook_dispatch_files_removed(reg, region_id, files, num_files, reason);
	return 0;
}
