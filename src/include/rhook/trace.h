/*
 * rhook/trace.h - engine-side events and the embedded flight recorder.
 *
 * rhook emits its events (contract §5) to two independent consumers:
 *
 *  - LTTng-UST, provider "rhook".  The probes live in librhook-lttng.so,
 *    which librhook loads at start-up when RHOOK_LTTNG is "on", or when it
 *    is unset/"auto" and an lttng-sessiond is running; with "auto" and no
 *    daemon, its thread "rhook-lttng" loads it when one appears.  "off"
 *    never loads it.  Without the provider a tracepoint is one load and
 *    one branch.
 *
 *  - The embedded flight recorder: per-thread lock-free ring buffers in a
 *    memory-mapped file under a trace directory (threads beyond the
 *    per-thread buffers share the file's shared buffers, one event at a
 *    time: no thread is ever without a buffer), readable by rhook-read
 *    after the process exits or crashes.  Started by
 *    rhook_recorder_start() or, for any program, by setting
 *    RHOOK_TRACE_DIR (see rhook_recorder_config_from_env()).  A forked
 *    child records into a file of its own, created at its first event.
 *    Events may be emitted from signal handlers; an event emitted while
 *    the same thread is inside an emission is dropped and counted.  A
 *    thread's first event (and a forked child's, which creates its
 *    file) makes system calls and registers the thread with urcu-bp and
 *    a pthread key, which glibc does without allocating for the low keys
 *    of a library loaded at program start-up; a program that dlopen()s
 *    librhook after creating 31 pthread keys of its own must not emit a
 *    thread's first event from a signal handler.
 *
 * All functions here may be called from any thread.
 */
#ifndef RHOOK_TRACE_H
#define RHOOK_TRACE_H

#include <rhook/manifest.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Job identity (contract §5).  A job is one flush or compaction; every
 * event its thread emits between rhook_job_enter(job) and the
 * rhook_job_enter(previous) that ends it carries the job id
 * (sst_file_written, manifest_commit, manifest_updated, flush_begin/end,
 * compaction_begin/end), so a reader pairs them exactly.  Events outside
 * any job carry 0.  The id is the calling thread's (thread-local): a
 * receipt keeps the id of its commit, fired on whatever thread.
 *
 * rhook_job_new(): a new id, unique in the process (a forked child goes
 * on counting where its parent was at the fork), never 0.  Any thread.
 * rhook_job_enter(): makes @job_id the calling thread's current job (0:
 * none) and returns the one it replaces, to restore when the job ends.
 * A remote compactor enters the job id the leader passed it, so that its
 * events carry the leader's.
 * rhook_job_current(): the calling thread's current job id, 0 if none.
 */
RHOOK_API uint64_t rhook_job_new(void);
RHOOK_API uint64_t rhook_job_enter(uint64_t job_id);
RHOOK_API uint64_t rhook_job_current(void);

/*
 * Flush and compaction spans (rhook:flush_begin/end,
 * rhook:compaction_begin/end), with the calling thread's current job id.
 * _begin returns a start time for _end's duration (0 when no consumer
 * wants the events).  @status is 0 or a negative errno.
 * rhook_trace_compaction_begin_inputs() also lists the input file ids
 * (the first RHOOK_TRACE_MAX_LISTED_IDS of them; input_files counts them
 * all), so that lineage survives the loss of the commit from an
 * overwritten ring; rhook_trace_compaction_begin() lists none.
 */
#define RHOOK_TRACE_MAX_LISTED_IDS 64
RHOOK_API uint64_t rhook_trace_flush_begin(rhook_region_id region_id, uint64_t rows, uint64_t bytes);
RHOOK_API void rhook_trace_flush_end(uint64_t start, rhook_region_id region_id, uint64_t rows, uint64_t bytes,
				     uint32_t files, int status);
RHOOK_API uint64_t rhook_trace_compaction_begin(rhook_region_id region_id, uint32_t input_files, uint64_t bytes_in,
						bool remote);
RHOOK_API uint64_t rhook_trace_compaction_begin_inputs(rhook_region_id region_id, const rhook_file_id *inputs,
						       uint32_t input_files, uint64_t bytes_in, bool remote);
RHOOK_API void rhook_trace_compaction_end(uint64_t start, rhook_region_id region_id, uint32_t input_files,
					  uint32_t output_files, uint64_t bytes_in, uint64_t bytes_out, bool remote,
					  int status);

/*
 * Whether librhook loaded the LTTng-UST provider.  With RHOOK_LTTNG=auto
 * it may turn true at any time (a session daemon appeared), never false.
 */
RHOOK_API bool rhook_lttng_loaded(void);

enum rhook_recorder_mode {
	RHOOK_RECORDER_OVERWRITE = 0, /* flight recorder: the newest events are kept */
	RHOOK_RECORDER_DISCARD = 1,   /* the oldest events are kept, new ones dropped when full */
};

enum rhook_recorder_clock {
	RHOOK_RECORDER_CLOCK_AUTO = 0,      /* TSC when invariant, else CLOCK_MONOTONIC */
	RHOOK_RECORDER_CLOCK_TSC = 1,       /* TSC, calibrated against CLOCK_MONOTONIC */
	RHOOK_RECORDER_CLOCK_MONOTONIC = 2, /* clock_gettime(CLOCK_MONOTONIC) */
};

/*
 * Extensible: @size is sizeof(struct rhook_recorder_config) as the
 * caller knows it.  A larger @size (a caller built against a newer
 * rhook) is accepted when the bytes past this rhook's fields are zero,
 * refused (-EINVAL) otherwise: a setting this rhook does not know is
 * never ignored.  A smaller one, down to the first version's (up to
 * @clock, before @total_size was added), is a caller built against an
 * older rhook: the fields it lacks are 0, their defaults.
 */
struct rhook_recorder_config {
	size_t size;              /* sizeof(struct rhook_recorder_config) */
	const char *dir;          /* trace directory; created (0700) if missing */
	size_t buffer_size;       /* bytes per buffer, power of two up to 1 GiB; 0: 256 KiB */
	/*
	 * Per-thread buffers, up to 4096, plus 1 + num_buffers / 8 shared
	 * ones; 0: as many as total_size holds.  Set at most one of
	 * num_buffers and total_size.
	 */
	unsigned num_buffers;
	unsigned num_subbuffers;  /* sub-buffers per buffer, power of two 2..65536, each >= 4 KiB; 0: 8 */
	enum rhook_recorder_mode mode;
	enum rhook_recorder_clock clock;
	/*
	 * The trace file's size in bytes (header and every buffer), up to
	 * 64 GiB and 65536 buffers, at least two buffers; 0: 2 MiB per CPU,
	 * at least 64 MiB and 2 buffers, at most 1 GiB.  About 8/9 of its
	 * buffers are per-thread, the rest shared (README, "The flight
	 * recorder").
	 */
	size_t total_size;
};

/*
 * Fills @cfg from RHOOK_TRACE_DIR, RHOOK_TRACE_SIZE (total_size: bytes,
 * k/m/g suffixes), RHOOK_TRACE_BUFFER_SIZE (bytes, k/m/g suffixes),
 * RHOOK_TRACE_BUFFERS, RHOOK_TRACE_SUBBUFFERS, RHOOK_TRACE_MODE
 * (overwrite|discard) and RHOOK_TRACE_CLOCK (auto|tsc|monotonic);
 * RHOOK_TRACE_SIZE and RHOOK_TRACE_BUFFERS together are refused.
 * Returns 1 if RHOOK_TRACE_DIR is set, 0 if not, -EINVAL on a malformed
 * or out-of-range value, alone or with the others (sub-buffers under
 * 4 KiB), with a message in @err naming the variable and what it accepts.
 */
RHOOK_API int rhook_recorder_config_from_env(struct rhook_recorder_config *cfg, char *err, size_t err_size);

/*
 * Creates a new trace file in cfg->dir and starts recording.  The file
 * is private (0600, created with O_EXCL|O_NOFOLLOW) in a directory that
 * is opened without following a symbolic link (created 0700 if missing)
 * and refused if another uid owns it, if its group or others can write
 * it, or if a parent directory is owned by a uid other than root and
 * this one or is writable by others without the sticky bit.  Nothing is
 * recorded before it returns.  Returns 0, or:
 *  -EALREADY   recording already (also in a forked child of a recording
 *              process, whose recorder starts at its first event);
 *  -EINVAL     a size, count, mode or clock out of range, both
 *              num_buffers and total_size set, or unknown non-zero
 *              trailing fields (see the structure);
 *  -ENOTSUP    RHOOK_RECORDER_CLOCK_TSC on a CPU whose TSC is not
 *              invariant or has no RDTSCP;
 *  -ELOOP      cfg->dir is a symbolic link;
 *  -ENOTDIR    cfg->dir is not a directory;
 *  -EPERM      cfg->dir or a parent is unsafe (see above);
 *  -ENOMEM, -ENAMETOOLONG, or an errno of mkdir, open, posix_fallocate
 *  or mmap (-ENOSPC...).
 * Started from RHOOK_TRACE_DIR, librhook prints the reason on stderr,
 * naming the variable and the directory.
 *
 * A trace file truncated or unreadable under the process (logrotate's
 * copytruncate, `: > file`, an I/O error) does not kill it: librhook
 * keeps a SIGBUS handler while a recorder maps a file, which takes the
 * faults in its own mapping (recording stops, with a message on stderr)
 * and hands every other SIGBUS to the handler it replaced, or to the
 * default action.  A program that installs a SIGBUS handler after the
 * recorder started must likewise pass on the faults it does not own.
 */
RHOOK_API int rhook_recorder_start(const struct rhook_recorder_config *cfg);

/*
 * Stops recording, waits for writers in flight (a grace period: see
 * rhook/hook.h for what the caller must not hold), records the final
 * counters and unmaps the file.  The file stays readable.  0; -EIO if
 * recording had stopped because the file was truncated or unreadable
 * (the recorder is stopped all the same); -ENOENT if not recording;
 * -EDEADLK (still recording) when called from a hook callback or while
 * the calling thread holds a manifest mutex, where that wait could
 * deadlock: stop after leaving them.
 */
RHOOK_API int rhook_recorder_stop(void);

/*
 * Path of the current trace file into @buf; 0, -ENOENT or -ERANGE.  In a
 * forked child that has not recorded yet, creates the child's file first.
 */
RHOOK_API int rhook_recorder_path(char *buf, size_t size);

/*
 * Writes a snapshot: a consistent copy of what the recorder's rings hold
 * now, into a new trace directory, while recording goes on (as
 * `rhook-ctl PID snapshot` does).  The copy is cut at the moment it
 * starts (later records are left out); a sub-buffer its writer recycles
 * during the copy is left out and counted as overwritten.  @dir is the
 * new directory (it must not exist; its parent is created 0700 if
 * missing and checked as a trace directory is, see
 * rhook_recorder_start()); NULL makes one in $RHOOK_TRACE_SNAPSHOT_DIR,
 * by default "<trace directory>.snapshots", named
 * "snapshot-<pid>-<n>-<UTC time>".  The directory is filled under a
 * temporary name and renamed when complete.  Its path goes to @path
 * (@path_size bytes; @path may be NULL).  Readable by every rhook-read
 * subcommand and the babeltrace2 plugin.  Not from a signal handler.
 * 0, or -ENOENT (not recording), -EEXIST (@dir exists), -EIO (the
 * recorder lost its trace file: truncated under it), -ELOOP,
 * -ENOTDIR, -EPERM (as for rhook_recorder_start()), -ERANGE (taken, but
 * its path does not fit @path), -ENOMEM, or an errno of mkdir, open,
 * write or rename.
 */
RHOOK_API int rhook_recorder_snapshot(const char *dir, char *path, size_t path_size);

/*
 * Arms the snapshot triggers of @spec, replacing the armed ones ("" or
 * "off": none), as RHOOK_TRACE_SNAPSHOT_ON does at start-up:
 * comma-separated conditions hold>D, persist>D, wait>D (lock_hold_ns,
 * persist_ns, lock_wait_ns of rhook:manifest_commit), dispatch>D
 * (rhook:hook_dispatch's duration), commit_failed, lost>N (events the
 * recorder dropped), D with ns, us, ms or s.  When one holds while the
 * recorder records, the thread that produced the event emits
 * rhook:snapshot_trigger (which condition, on which event) and the
 * thread rhook-ctl takes a snapshot into the snapshot directory, named
 * "trigger-...": at most one per $RHOOK_TRACE_SNAPSHOT_INTERVAL
 * (default 10s), the newest $RHOOK_TRACE_SNAPSHOT_KEEP (default 4)
 * kept.  Starts the thread rhook-ctl if it does not run (RHOOK_CTL=off).
 * 0, or -EINVAL with a message in @err naming the condition, or an
 * errno of pthread_create() or eventfd().
 */
RHOOK_API int rhook_recorder_snapshot_on(const char *spec, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif /* RHOOK_TRACE_H */
