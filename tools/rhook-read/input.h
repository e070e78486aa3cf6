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
	size_t skipped; /* unusable files or traces left out, each with a warning */
};

/*
 * Opens every trace under @paths.  A recorder file or CTF trace that
 * cannot be used (empty, truncated, garbage, unknown version, a process
 * that died while creating it) is skipped with "rhook-read: warning:
 * PATH: skipped: reason" on stderr and counted in @skipped; the others
 * are read.  A recorder file whose process is creating it right now is
 * left out with a note ("rhook-read: note: PATH: skipped: ..."), not
 * counted: it holds nothing yet.  Errors: a path that does not exist or
 * is no trace, nothing readable at all (-ENODATA), out of memory; each
 * prints "rhook-read: PATH: reason" and returns a negative errno,
 * leaving the reader empty (closed).
 */
int rhook__reader_open(struct rhook__reader *r, char *const *paths, int num_paths);
void rhook__reader_close(struct rhook__reader *r);

/* What rhook__reader_add_recorder() did with a recorder file. */
enum rhook__rd_added {
	RHOOK__RD_OPENED,   /* a new process, with its streams */
	RHOOK__RD_STARTING, /* left out, nothing lost: its process is creating it (header not complete yet) */
	RHOOK__RD_SKIPPED,  /* unusable (see rhook__reader_open()): left out and counted in @skipped */
};

/*
 * Opens the recorder file at @path as a new process with its streams,
 * by the one rule of rhook__reader_open() (which calls it for each file)
 * and of the babeltrace2 plugin: @added says whether the file was opened
 * or left out, and why (the reason in @err); the caller says so, a
 * warning for RHOOK__RD_SKIPPED, a note for RHOOK__RD_STARTING.
 * Returns 0, or -ENOMEM (@err says so; the reader must then be closed).
 */
int rhook__reader_add_recorder(struct rhook__reader *r, const char *path, enum rhook__rd_added *added, char *err,
			       size_t err_size);

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

/*
 * Whether the run read less than its input held: a skipped input, a
 * damaged record, a file truncated while it was read.  Says what on
 * stderr (warnings); the run should then exit non-zero.
 */
bool rhook__reader_incomplete(const struct rhook__reader *r);

/* Reports stream errors (CTF decoding failures); returns the first one, or 0. */
int rhook__reader_stream_error(const struct rhook__reader *r);

#endif /* RHOOK_READ_INPUT_H */
