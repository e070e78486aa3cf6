/*
 * pfout.h - rhook-read export --perfetto: the merged timeline as a
 * Perfetto trace (a protobuf Trace of TracePackets with TrackDescriptors
 * and TrackEvents, perfetto/rhook_perfetto.proto), for ui.perfetto.dev
 * and trace_processor.
 *
 * Tracks: one per process (its pid and comm) and per thread; under each
 * process one per region, holding "manifest commits" (a slice per commit,
 * its lock hold), "jobs #N" (flush and compaction jobs as slices, one
 * lane per job running at once: overlapping jobs never nest) and "SST
 * files" (SSTs written outside any job).  A thread's track has each of
 * its commits as a slice "commit" holding "lock wait" and "lock hold",
 * the latter holding "persist", and hook dispatches as instants.  SST
 * births and commit notifications (manifest_updated) are instants, and
 * so is any other event of the schema (named as it, on its region's "SST
 * files" track: SST deletions once the schema has them); every event's
 * fields are debug annotations.  Counter tracks per region (all
 * processes): live SST files per level and their bytes, following the
 * files that notifications add and remove.  Flows: a job, its SSTs, its
 * commit and its manifest_updated form one flow (jobs.h says which
 * events belong to a job).
 *
 * Timestamps are rdr_event.ts (ns, wall clock).  Memory grows with
 * the tracks and the SST files of the trace (about 40 bytes a file), not
 * with its events.  Single-threaded.
 */
#ifndef RDR_PFOUT_H
#define RDR_PFOUT_H

#include <stddef.h>
#include <stdint.h>

#include "reader/event.h"

struct rdr_pfout;

/* What an export wrote. */
struct rdr_pfout_counts {
	uint64_t events, packets, bytes, tracks, slices, instants, counters, flows;
	uint64_t unknown_files; /* files a notification added or removed with no sst_file_written seen */
};

/*
 * Starts an export into @path, created 0600 and renamed into place when
 * complete (outfile.h: never through a symbolic link, never in a
 * directory others can write).  0, or a negative errno with a message
 * in @err.
 */
int rdr_pfout_open(struct rdr_pfout **out, const char *path, char *err, size_t err_size);
/* Adds the next event of the merged timeline: 0, or a negative errno with a message in @err. */
int rdr_pfout_add(struct rdr_pfout *x, const struct rdr_event *ev, char *err, size_t err_size);
/*
 * Ends the slices of jobs still open at the last timestamp, writes the
 * file and frees @x; on error (then also when @keep is false: a failed
 * run) nothing is left at the path.  0, or a negative errno with a
 * message in @err.
 */
int rdr_pfout_close(struct rdr_pfout *x, bool keep, struct rdr_pfout_counts *counts, char *err,
		       size_t err_size);

#endif /* RDR_PFOUT_H */
