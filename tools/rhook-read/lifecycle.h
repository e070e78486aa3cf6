/*
 * lifecycle.h - the whole life of every SST file and every job, rebuilt
 * from a merged timeline: the data model of `rhook-read files`, `amp`,
 * the per-job latencies of `stats` and the removed-live-file rule of
 * `check`, and a small C API for other reports (an HTML report, a
 * Perfetto export) to walk the same model.
 *
 * Events are fed in time order (rdr_merge).  What each one tells:
 *
 *   flush_begin/end, compaction_begin/end   a job: (process, job id) ->
 *       kind, mode, region, begin and end times, status, bytes, files;
 *       compaction_begin's listed inputs
 *   sst_file_written     a file is born: time, process, job, origin,
 *                        level, size, rows
 *   manifest_updated     files become live (files_added) or leave the
 *                        manifest (files_removed, or every live file of
 *                        the region for a truncate that lists none): the
 *                        version, the cause and the job of the commit; a
 *                        sample of the region's files and bytes per level
 *   sst_file_removed     a file is deleted: time, process, reason, the
 *                        version that removed it
 *
 * A job is keyed by (process, job id): ids are unique per process, and a
 * remote compaction's events carry the leader's id in the compactor's
 * process (its files are born there, attributed to that job).  A file is
 * keyed by (file id, region): a copy keeps its id in another region.
 *
 * Partial traces: each fact has a bit in `known`; what the trace does not
 * show (an overwritten ring lost the birth, the commit) is reported as
 * unknown, never guessed.  A manifest_updated that lists fewer ids than
 * it counts (more than RHW_EV_MAX_LISTED_IDS) marks its region
 * `partial`: its per-level figures from then on are lower bounds.
 *
 * Single-threaded; every pointer handed out is valid until the next
 * rdr_lc_add() or rdr_lc_free().
 */
#ifndef RDR_LIFECYCLE_H
#define RDR_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "map.h"
#include "reader/event.h"

/* Levels 0..2; slot 3 counts live files whose level the trace did not show (ingested, copied). */
#define RDR_LC_LEVELS 4
#define RDR_LC_LEVEL_UNKNOWN 3

/* Bits of struct rdr_lc_file.known. */
enum {
	RDR_LC_BORN = 1u << 0,    /* sst_file_written seen */
	RDR_LC_LIVE = 1u << 1,    /* added by a manifest_updated */
	RDR_LC_UNLIVE = 1u << 2,  /* removed from the manifest by a manifest_updated */
	RDR_LC_DELETED = 1u << 3, /* sst_file_removed seen */
};

struct rdr_lc_file {
	uint8_t id[16];
	uint64_t region;
	uint8_t level;      /* 0..2, or 255 (RHOOK_LEVEL_UNKNOWN) */
	uint8_t known;      /* RHOOK__LC_* */
	uint8_t origin;     /* born: enum rhook_origin */
	uint8_t live_cause, unlive_cause; /* enum rhook_cause */
	uint8_t reason;     /* deleted: enum rhook_remove_reason */
	uint64_t file_size, num_rows;
	uint64_t born_ts, born_job;
	const struct rdr_proc *born_proc;
	uint64_t live_ts, live_version, live_job;
	uint64_t unlive_ts, unlive_version, unlive_job;
	uint64_t deleted_ts, deleted_version; /* deleted_version: the event's removed_version (0: unknown) */
	const struct rdr_proc *deleted_proc;
	/* Links of the region's list of live files (index + 1 in files[]; 0: none): truncate-all walks it. */
	size_t live_prev, live_next;
};

enum rdr_lc_job_kind { RDR_LC_FLUSH = 0, RDR_LC_COMPACTION = 1 };

/* Bits of struct rdr_lc_job.known. */
enum { RDR_LC_JOB_BEGIN = 1u << 0, RDR_LC_JOB_END = 1u << 1, RDR_LC_JOB_COMMIT = 1u << 2 };

struct rdr_lc_job {
	const struct rdr_proc *proc;
	uint64_t job_id;
	uint64_t region;
	uint8_t kind;       /* enum rdr_lc_job_kind */
	uint8_t remote;     /* compaction mode */
	uint8_t known;      /* RHOOK__LC_JOB_* */
	int32_t status;     /* end: 0 or a negative errno */
	uint64_t begin_ts, end_ts;
	uint64_t commit_ts, commit_version; /* the manifest_updated it produced */
	uint64_t bytes_in, bytes_out, rows;
	uint32_t files_in, files_out;
	uint64_t written_files, written_bytes; /* its sst_file_written events */
	size_t free_next;   /* forget_done_jobs: a freed slot's link (index + 1) */
};

/* How many of the slowest done jobs forget_done_jobs keeps (amp shows that many). */
#define RDR_LC_TOP_JOBS 5

/* A region's files and bytes per level at one commit. */
struct rdr_lc_sample {
	uint64_t ts, version;
	uint32_t files[RDR_LC_LEVELS];
	uint64_t bytes[RDR_LC_LEVELS];
};

struct rdr_lc_region {
	uint64_t region;
	/* SST bytes and files written (sst_file_written), by origin (enum rhook_origin). */
	uint64_t written_bytes[3], written_files[3];
	/* Live now (as of the last event fed). */
	uint32_t files[RDR_LC_LEVELS];
	uint64_t bytes[RDR_LC_LEVELS];
	uint32_t max_l0;        /* largest level-0 backlog seen at a commit */
	uint64_t max_l0_ts;
	bool partial;           /* a commit listed fewer ids than it had: figures are lower bounds */
	size_t live_head;       /* its live files, a list through rdr_lc_file.live_next (index + 1; 0: empty) */
	struct rdr_lc_sample *samples;
	size_t num_samples, cap_samples;
};

struct rdr_lifecycle {
	struct rdr_lc_file *files;
	size_t num_files, cap_files;
	struct rdr_lc_job *jobs;
	size_t num_jobs, cap_jobs;
	struct rdr_lc_region *regions;
	size_t num_regions, cap_regions;
	struct rdr_map file_index;   /* (id ^ region mix, id) -> index + 1 */
	struct rdr_map job_index;    /* (proc index, job id) -> index + 1 */
	struct rdr_map region_index; /* (region, 0) -> index + 1 */
	/*
	 * Set after rdr_lc_init() by a user that needs only which files are
	 * live and when they became so (check): no jobs, no samples, no
	 * births (so no sizes, levels or written bytes), and a file leaves
	 * the model (its slot is reused) once it is not live, so the model
	 * holds the files live now, not every file of the trace.
	 */
	bool liveness_only;
	/*
	 * Set after rdr_lc_init() by a user of the region and job figures
	 * only (amp): a file leaves the model once deleted (forget_deleted),
	 * no per-commit samples are kept (no_samples).
	 */
	bool forget_deleted, no_samples;
	/*
	 * amp too: a job whose begin, end and commit were seen leaves jobs[]
	 * (its slot is reused); it is counted in done_jobs and kept in
	 * top_jobs if among the RDR_LC_TOP_JOBS longest (end - begin).
	 */
	bool forget_done_jobs;
	struct rdr_lc_job top_jobs[RDR_LC_TOP_JOBS]; /* longest first */
	size_t num_top_jobs, free_job;
	uint64_t done_jobs;
	size_t free_head;            /* liveness_only, forget_deleted: freed slots, a list through live_next (index + 1) */
	int err;                        /* -ENOMEM: the model is incomplete */
};

void rdr_lc_init(struct rdr_lifecycle *lc);
void rdr_lc_free(struct rdr_lifecycle *lc);
/* Feeds the next event of the merged timeline. */
void rdr_lc_add(struct rdr_lifecycle *lc, const struct rdr_event *ev);

/* The file @id of @region, or NULL. */
struct rdr_lc_file *rdr_lc_file_find(const struct rdr_lifecycle *lc, const uint8_t id[16], uint64_t region);
/* Job @job_id of process @proc, or NULL. */
struct rdr_lc_job *rdr_lc_job_find(const struct rdr_lifecycle *lc, const struct rdr_proc *proc,
					 uint64_t job_id);
/* Whether @f is live by what the trace showed: added, not removed since. */
static inline bool rdr_lc_file_live(const struct rdr_lc_file *f)
{
	return (f->known & RDR_LC_LIVE) && !(f->known & RDR_LC_UNLIVE);
}

/*
 * Write amplification: every SST byte written (flush, compaction, remote
 * compaction) over the bytes flushed; 0 when nothing was flushed.
 */
double rdr_lc_write_amp(const struct rdr_lc_region *r);

#endif /* RDR_LIFECYCLE_H */
