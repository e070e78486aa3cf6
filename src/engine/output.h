/*
 * output.h - files a write puts into data/ before committing them: SSTs
 * written from rows (flush, compaction) or brought in from outside
 * (ingestion, staging).  Not installed.
 */
#ifndef LSM_OUTPUT_H
#define LSM_OUTPUT_H

#include "region.h"

struct lsm__outputs {
	struct rhook_sst_info *infos;
	struct rhook_file_meta *metas;
	struct rhook_sst_file *files; /* infos[i] paired with metas[i], for on_sst_files_written */
	size_t num;
	uint64_t bytes;               /* total file size */
};

/*
 * Writes @rows (merged) as SSTs of at most sst_max_rows rows at @level,
 * registered as pending, and syncs data/.  On failure removes what it
 * wrote; the message says what failed.
 */
int lsm__outputs_write(struct lsm_region *region, const struct rhook_region_meta *meta, const struct lsm_row *rows,
			 size_t num_rows, uint8_t level, struct lsm__outputs *out);

/*
 * Verifies pre-written SST files and links (or copies) them into data/
 * under new file ids, as level-0 files whose rows all take sequence @seq.
 */
int lsm__outputs_ingest(struct lsm_region *region, const struct rhook_region_meta *meta, const char *const *paths,
			  size_t num_paths, uint64_t seq, struct lsm__outputs *out);

/* The commit failed: removes the files, reporting any it could not remove in the message. */
void lsm__outputs_discard(struct lsm_region *region, struct lsm__outputs *out, int err);
/* The commit succeeded: the files are the manifest's now. */
void lsm__outputs_done(struct lsm_region *region, struct lsm__outputs *out);

/* An action list of one edit adding @files (and committed_sequence @committed_seq if non-zero). */
int lsm__edit_list(const struct rhook_file_meta *files, size_t n, uint64_t committed_seq,
		     struct rhook_action_list **out);

/*
 * Ingests pre-written files under a fresh sequence and commits them as one
 * edit with @cause, if the role is in @roles (@op names the operation in
 * messages).  On success the files are still pending in @o: the caller
 * calls lsm__outputs_done() once they may be collected like any other.
 * On failure nothing is left behind.
 */
int lsm__ingest_commit(struct lsm_region *region, const char *const *paths, size_t num_paths,
			 enum rhook_cause cause, unsigned roles, const char *op, struct lsm__outputs *o);

#endif /* LSM_OUTPUT_H */
