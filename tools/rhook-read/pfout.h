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
 * Timestamps are rhook__rd_event.ts (ns, wall clock).  Memory grows with
 * the tracks and the SST files of the trace (about 40 bytes a file), not
 * with its events.  Single-threaded.
 */
#ifndef RHOOK_READ_PFOUT_H
#define RHOOK_READ_PFOUT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct rhook__pfout;

/* What an export wrote. */
struct rhook__pfout_counts {
	uint64_t events, packets, bytes, tracks, slices, instants, counters, flows;
	uint64_t unknown_files; /* files a notification added or removed with no sst_file_written seen */
};

/*
 * Starts an export into @path, created 0600 and renamed into place when
 * complete (outfile.h: never through a symbolic link, never in a
 * directory others can write).  0, or a negative errno with a message
 * in @err.
 */
int rhook__pfout_open(struct rhook__pfout **out, const char *path, char *err, size_t err_size);
/* Adds the next event of the merged timeline: 0, or a negative errno with a message in @err. */
int rhook__pfout_add(struct rhook__pfout *x, const struct rhook__rd_event *ev, char *err, size_t err_size);
/*
 * Ends the slices of jobs still open at the last timestamp, writes the
 * file and frees @x; on error (then also when @keep is false: a failed
 * run) nothing is left at the path.  0, or a negative errno with a
 * message in @err.
 */
int rhook__pfout_close(struct rhook__pfout *x, bool keep, struct rhook__pfout_counts *counts, char *err,
		       size_t err_size);

#endif /* RHOOK_READ_PFOUT_H */
