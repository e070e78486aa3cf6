/*
 * recorder_impl.h - the recorder's process-wide state, shared by its
 * life cycle (recorder.c), its configuration (config.c) and its write
 * path (writer.c).
 */
#ifndef RHOOK_RECORDER_IMPL_H
#define RHOOK_RECORDER_IMPL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <rhook/trace.h>

#include "wire/recorder_format.h"

/*
 * One recorder: one mapped trace file.  Immutable once published,
 * except the file's own counters and @retired_epoch.  Published through
 * rhook__rec_current; writers dereference it inside an urcu-bp
 * read-side section, and stop waits for a grace period before unmapping.
 *
 * In a forked child before its first event, the parent's recorder is
 * kept unpublished as rhook__rec_pending (its file unmapped): the
 * template, and the storage, of the child's own.
 */
struct rhook__recorder {
	uint64_t gen;              /* unique per recorder in this process tree */
	uint32_t clock;            /* enum rhr_clock */
	uint32_t mode;             /* enum rhook_recorder_mode */
	uint32_t num_buffers;      /* all of them: per-thread, then shared */
	uint32_t num_private;      /* per-thread buffers: [0, num_private) */
	uint32_t num_shared;       /* shared buffers: [num_private, num_buffers) */
	uint32_t num_subbuffers;
	uint32_t subbuf_size;      /* header included */
	uint32_t subbuf_payload;   /* subbuf_size - RHR_SBHDR_SIZE */
	uint64_t buffer_size;
	size_t page_size;
	uint8_t *map;
	size_t map_size;
	struct rhr_header *hdr;
	int fd;                    /* the file; holds the liveness lock (recorder_format.h) */
	int dfd;                   /* the trace directory, checked once (safedir.h) */
	bool locked;               /* the liveness lock was taken */
	pid_t pid;
	/* Buffers retired so far; bufferless threads retry a claim when it moves. */
	unsigned retired_epoch;    /* atomic: added to under rhook__rec_lock, loaded (relaxed) without it */
	/* The clock calibration samples; a forked child reuses them (same TSC). */
	struct rhr_anchor calib_start, calib_end;
	char dir[PATH_MAX];        /* as given: for messages and the file's path */
	char path[PATH_MAX];
};

/*
 * The current recorder or NULL.  Stored (release) under rhook__rec_lock;
 * loaded (acquire) under urcu-bp's read lock by writers.
 */
extern struct rhook__recorder *_Atomic rhook__rec_current;

/*
 * Serializes start, stop, fork, a forked child's first start and
 * thread-exit retirement.  Outermost lock of the recorder; the write
 * path only ever tries it (rhook__rec_start_pending()).
 */
extern pthread_mutex_t rhook__rec_lock;

/*
 * ThreadSanitizer's stand-in for the recorder's grace period: writers
 * release it after their last use of a recorder, stop acquires it after
 * synchronize_rcu().  Not rhook__rec_current itself: TSan models a
 * release store to an atomic as replacing the releases made before it.
 */
extern char rhook__rec_gp_token;

static inline struct rhr_bufhdr *rhook__rec_bufhdr(const struct rhook__recorder *r, uint32_t i)
{
	return (struct rhr_bufhdr *)(r->map + RHR_HEADER_SIZE + (size_t)i * (RHR_BUFHDR_SIZE + r->buffer_size));
}

static inline struct rhr_sbhdr *rhook__rec_subbuf(const struct rhook__recorder *r, struct rhr_bufhdr *bh,
						  uint32_t j)
{
	return (struct rhr_sbhdr *)((uint8_t *)bh + RHR_BUFHDR_SIZE + (size_t)j * r->subbuf_size);
}

/*
 * Checks @in and fills @out with it and the defaults; out->num_buffers
 * is then the number of per-thread buffers and out->total_size the
 * file's size (whole buffers), both fixed.  Messages name the
 * environment variables if @env, else the fields of struct
 * rhook_recorder_config; @check_cpu also checks that a TSC clock asked
 * for is usable.  0, -EINVAL or -ENOTSUP (TSC unusable).
 */
int rhook__rec_config_check(const struct rhook_recorder_config *in, struct rhook_recorder_config *out, bool env,
			    bool check_cpu, char *err, size_t err_size);

/* Formats a message into @err (if @size) and returns @code: the recorder's error returns. */
__attribute__((format(printf, 4, 5))) int rhook__rec_fail(char *err, size_t size, int code, const char *fmt, ...);

/*
 * rhook_recorder_config_from_env() with the values of the variables
 * given by @lookup(name, @arg) (NULL: unset) instead of the environment:
 * rhook-ctl's start, whose options are those variables.  Same results;
 * @cfg->dir points into what @lookup returned.
 */
int rhook__rec_config_lookup(struct rhook_recorder_config *cfg, const char *(*lookup)(const char *name, void *arg),
			     void *arg, char *err, size_t err_size);

/*
 * Starts a recorder for @cfg, as rhook_recorder_start(), with a message
 * in @err on failure (named as for rhook__rec_config_check()).
 */
int rhook__rec_start(const struct rhook_recorder_config *cfg, bool env, char *err, size_t err_size);

/*
 * The write path found no recorder published: in a forked child before
 * its first event, starts the child's own (the caller is inside an
 * urcu-bp read-side section) and returns it; else NULL.  When another
 * thread holds rhook__rec_lock (starting it, or stopping), the caller's
 * event is dropped and counted (as no_buffer).  Never blocks; no
 * allocation (see rhook_recorder_start() in rhook/trace.h for what it
 * calls).
 */
struct rhook__recorder *rhook__rec_start_pending(void);

/* Counts one event dropped while no recorder is published yet (see above). */
void rhook__rec_count_pending_lost(void);

/*
 * For a control channel that starts, stops and snapshots the recorder
 * (issue 13).  Start and stop: rhook__rec_start() (above) and
 * rhook_recorder_stop(), unchanged.  A consistent snapshot of every
 * buffer, without stopping, needs no new entry point in the writer:
 *  1. take rhook__rec_lock: no start, stop or fork meanwhile, so
 *     rhook__rec_current (load it relaxed) stays mapped; writers never
 *     wait for the lock (they only try it), so holding it for the copy
 *     delays nobody's events;
 *  2. copy the header, then each of r->num_buffers buffers (per-thread
 *     and shared alike, rhook__rec_bufhdr()): the buffer header with
 *     relaxed loads (rhr_ld64/rhr_ld32), then every sub-buffer as the
 *     live reader does (src/reader/recfile.c, load_subbuf();
 *     recorder_format.h S1 and C1): seq (acquire), commit (acquire), the header
 *     and the records below commit with rhr_copy_out(), rhr_fence_acquire(),
 *     seq again (relaxed); if seq changed, the sub-buffer was recycled
 *     meanwhile: store seq 0 in the copy and add its records to the
 *     copy's lost_overwrite.  Bytes at and above commit are left zero: a
 *     record being written (a shared buffer's holder included) is not
 *     copied, and its thread record (W1) is copied only once committed;
 *  3. in the copy, set state RHR_STATE_STOPPED, the stop anchor
 *     (rhook__anchor_now()), clear RHR_FLAG_WRITER_LOCK, and store the
 *     version last; write it with the rules of create_file() (O_EXCL,
 *     O_NOFOLLOW, 0600, a directory checked by rhook__safedir_open()).
 * rhook-read and the babeltrace2 plugin read such a copy as a stopped
 * file.  A load that faults (the file truncated under the process) is
 * taken by the recorder's SIGBUS handler (fault.h), which maps zeros
 * over the mapping: check rhook__rec_faulted() after the copy and drop
 * it if set.
 */

/* Writer side hooks for the life cycle; rhook__rec_lock held. */
void rhook__rec_writer_init(void);
/* Forgets this thread's buffer (the recorder it belonged to is going away). */
void rhook__rec_thread_forget(void);

#endif /* RHOOK_RECORDER_IMPL_H */
