/*
 * recfile.h - decoder of flight recorder files (src/wire/recorder_format.h).
 *
 * A file is validated as a whole at open (header, geometry, clock
 * calibration, every sub-buffer header); each buffer with data becomes a
 * stream of its records in seq order.  Nothing in the file is trusted:
 * every offset and size is checked against the file length before use,
 * so that garbage gives an error or a count of damaged records, never a
 * read out of bounds.
 *
 * Files a writer may still change (recorder_format.h: as its liveness lock says,
 * never as a pid says) are read the way recorder_format.h prescribes (seq,
 * commit, copy, seq again); others are copied plainly.  Records are
 * decoded from a private copy of their sub-buffer, and every load from
 * the mapping is guarded (guard.h): a file truncated while it is read
 * ends its streams early, the records it lost counted as damaged.  Timestamps are converted to CLOCK_MONOTONIC ns: for TSC
 * files the rate comes from the widest baseline in the file (start anchor
 * to the latest anchor found) and the offset from each sub-buffer's own
 * anchor.
 *
 * Single-threaded: one reader owns a recfile and its streams.
 */
#ifndef RDR_RECFILE_H
#define RDR_RECFILE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "wire/recorder_format.h"

struct rdr_recstream;

struct rdr_recfile {
	const uint8_t *base; /* the whole file */
	size_t len;
	bool live;           /* a writer may still change it */
	bool mapped;         /* base is our mmap() of the file */
	struct rhr_header hdr;
	uint32_t subbuf_size;
	double ns_per_tick;
	struct rdr_proc *proc;
	uint32_t num_streams;
	uint32_t num_slots;  /* streams allocated (one per buffer) */
	struct rdr_recstream *streams;
	bool truncated;      /* the file shrank while it was read: records lost (counted as damaged) */
};

/* Position of one record in the file, for tools that patch files (tests). */
struct rdr_recpos {
	size_t offset;  /* of the record header */
	uint32_t size;
};

/*
 * Decodes @len bytes at @data as a recorder file, which a writer may
 * still change if @live.  @proc receives the process identity and loss
 * counters.  Returns 0, or -ENODATA (a file whose header was never
 * written: the process died while starting), -EAGAIN (live, header not
 * written yet: the process is starting), -EPROTONOSUPPORT (unknown
 * format version), -EINVAL (not a recorder file, truncated,
 * inconsistent) or -EIO (it shrank while being read), with a message in
 * @err.  -ENOMEM.  @data must stay mapped until rdr_recfile_close().
 */
int rdr_recfile_init(struct rdr_recfile *f, const void *data, size_t len, bool live,
			struct rdr_proc *proc, char *err, size_t err_size);

/*
 * Maps and decodes the file at @path (see rdr_recfile_init); a file
 * whose writer may still change it is read as live.  Errors as init, or
 * a negative errno from open/mmap.
 */
int rdr_recfile_open(struct rdr_recfile *f, const char *path, struct rdr_proc *proc, char *err,
			size_t err_size);

void rdr_recfile_close(struct rdr_recfile *f);

/* Stream @i of @f (0 <= i < num_streams). */
struct rdr_stream *rdr_recfile_stream(struct rdr_recfile *f, uint32_t i);

/* Where the event just returned by stream @s lies in the file. */
struct rdr_recpos rdr_recstream_pos(const struct rdr_stream *s);

#endif /* RDR_RECFILE_H */
