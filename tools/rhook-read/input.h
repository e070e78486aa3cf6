/*
 * input.h - the inputs of one rhook-read run: recorder files and CTF
 * traces found under the paths given, their processes and streams.
 *
 * A path may be a recorder file, a CTF trace directory (or its metadata
 * file), or a directory holding any number of both at any depth (a trace
 * directory of several processes, an LTTng session output), found as
 * scan.h describes.
 *
 * Time: every process gets a clock offset that turns its CLOCK_MONOTONIC
 * timestamps into wall-clock time.  Processes of one boot (same boot id,
 * which the recorder stores and LTTng-UST uses as its clock UUID) share
 * the offset of the first of them, so their events keep the exact order
 * of their common monotonic clock; other machines are placed by their
 * own realtime offset.
 *
 * Single-threaded.
 */
#ifndef RHOOK_READ_INPUT_H
#define RHOOK_READ_INPUT_H

#include <stddef.h>

#include "event.h"

struct rhook__recfile;
struct rhook__ctfin;

struct rhook__clock_domain {
	uint8_t boot_id[16];
	int64_t offset_ns;
};

struct rhook__reader {
	struct rhook__rd_proc **procs;
	size_t num_procs, cap_procs;
	struct rhook__rd_stream **streams;
	size_t num_streams, cap_streams;
	struct rhook__recfile **files;
	size_t num_files, cap_files;
	struct rhook__ctfin **ctfs;
	size_t num_ctfs, cap_ctfs;
	struct rhook__clock_domain *domains;
	size_t num_domains, cap_domains;
};

/*
 * Opens every trace under @paths.  On error prints "rhook-read: PATH:
 * reason" on stderr and returns a negative errno; the reader is then
 * empty (closed).
 */
int rhook__reader_open(struct rhook__reader *r, char *const *paths, int num_paths);
void rhook__reader_close(struct rhook__reader *r);

/*
 * Opens the recorder file at @path as a new process with its streams
 * (the way rhook__reader_open() opens each one).  Returns 0, or a
 * negative errno with the reason in @err: -ENODATA for a file whose
 * header was never completed (rhook__reader_open() skips those), else
 * as rhook__recfile_open().
 */
int rhook__reader_add_recorder(struct rhook__reader *r, const char *path, char *err, size_t err_size);

/*
 * A new process for events of source @origin; its clock offset is set
 * by rhook__reader_place() once its boot id and realtime offset are
 * known.  NULL on allocation failure.
 */
struct rhook__rd_proc *rhook__reader_new_proc(struct rhook__reader *r, const char *origin);

/* Sets @p's clock offset from its boot id and realtime offset (see above); 0 or -ENOMEM. */
int rhook__reader_place(struct rhook__reader *r, struct rhook__rd_proc *p);

/* Sum of every process's lost counters. */
struct rhook__rd_lost rhook__reader_lost(const struct rhook__reader *r);

/* Whether some process has damaged records (the run should exit non-zero). */
bool rhook__reader_damaged(const struct rhook__reader *r);

/* Reports stream errors (CTF decoding failures); returns the first one, or 0. */
int rhook__reader_stream_error(const struct rhook__reader *r);

#endif /* RHOOK_READ_INPUT_H */
