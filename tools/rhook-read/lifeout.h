/*
 * lifeout.h - the reports of rhook-read files and rhook-read amp, in
 * text or JSON lines, from a lifecycle model fed the whole timeline
 * (lifecycle.h).
 *
 * files: one row per SST seen, in order of first appearance: id, region,
 * level, size, rows; born (time, job, origin, process); live from
 * (version, cause, job); removed from the manifest (version, cause,
 * job); deleted (time, reason, process); lifetime (birth, or first
 * sight, to deletion); "live" for a file still live at the end of the
 * trace.  A fact the trace does not hold is "?" (JSON: absent), never a
 * guess.
 *
 * amp: per region and in total, SST bytes flushed, written by local and
 * remote compaction, write amplification (all SST bytes written / bytes
 * flushed), files and bytes per level now, the largest level-0 backlog,
 * the per-level samples (one per commit; --json), and the slowest jobs.
 *
 * Single-threaded.
 */
#ifndef RDR_LIFEOUT_H
#define RDR_LIFEOUT_H

#include <stdbool.h>

#include "lifecycle.h"
#include "reader/out.h"

/* How many of the slowest jobs amp lists. */
#define RDR_AMP_SLOWEST RDR_LC_TOP_JOBS

void rdr_files_report(const struct rdr_lifecycle *lc, struct rdr_out *o, bool json);
void rdr_amp_report(const struct rdr_lifecycle *lc, struct rdr_out *o, bool json);
/* One line: the total's bytes flushed and written by compaction, and its write amplification. */
void rdr_amp_brief(const struct rdr_lifecycle *lc, struct rdr_out *o);

#endif /* RDR_LIFEOUT_H */
