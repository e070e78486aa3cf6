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
#ifndef RDR_INPUT_H
#define RDR_INPUT_H

#include <stddef.h>

#include "event.h"

struct rdr_recfile;
struct rdr_ctfin;

struct rdr_clock_domain {
	uint8_t boot_id[16];
	int64_t offset_ns;
};

struct rdr_reader {
	struct rdr_proc **procs;
	size_t num_procs, cap_procs;
	struct rdr_stream **streams;
	size_t num_streams, cap_streams;
	struct rdr_recfile **files;
	size_t num_files, cap_files;
	struct rdr_ctfin **ctfs;
	size_t num_ctfs, cap_ctfs;
	struct rdr_clock_domain *domains;
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
int rdr_reader_open(struct rdr_reader *r, char *const *paths, int num_paths);
void rdr_reader_close(struct rdr_reader *r);

/* What rdr_reader_add_recorder() did with a recorder file. */
enum rdr_added {
	RDR_OPENED,   /* a new process, with its streams */
	RDR_STARTING, /* left out, nothing lost: its process is creating it (header not complete yet) */
	RDR_SKIPPED,  /* unusable (see rdr_reader_open()): left out and counted in @skipped */
};

/*
 * Opens the recorder file at @path as a new process with its streams,
 * by the one rule of rdr_reader_open() (which calls it for each file)
 * and of the babeltrace2 plugin: @added says whether the file was opened
 * or left out, and why (the reason in @err); the caller says so, a
 * warning for RDR_SKIPPED, a note for RDR_STARTING.
 * Returns 0, or -ENOMEM (@err says so; the reader must then be closed).
 */
int rdr_reader_add_recorder(struct rdr_reader *r, const char *path, enum rdr_added *added, char *err,
			       size_t err_size);

/*
 * A new process for events of source @origin; its clock offset is set
 * by rdr_reader_place() once its boot id and realtime offset are
 * known.  NULL on allocation failure.
 */
struct rdr_proc *rdr_reader_new_proc(struct rdr_reader *r, const char *origin);

/* Sets @p's clock offset from its boot id and realtime offset (see above); 0 or -ENOMEM. */
int rdr_reader_place(struct rdr_reader *r, struct rdr_proc *p);

/* Sum of every process's lost counters. */
struct rdr_lost rdr_reader_lost(const struct rdr_reader *r);

/*
 * Whether the run read less than its input held: a skipped input, a
 * damaged record, a file truncated while it was read.  Says what on
 * stderr (warnings); the run should then exit non-zero.
 */
bool rdr_reader_incomplete(const struct rdr_reader *r);

/* Reports stream errors (CTF decoding failures); returns the first one, or 0. */
int rdr_reader_stream_error(const struct rdr_reader *r);

#endif /* RDR_INPUT_H */
