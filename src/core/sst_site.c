/*
 * sst_site.c - the SST write site: events for each written file, then the
 * on_sst_files_written hooks.
 */
#include <rhook/hook.h>

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
