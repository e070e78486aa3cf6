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
 *    memory-mapped file under a trace directory, readable by rhook-read
 *    after the process exits or crashes.  Started by
 *    rhook_recorder_start() or, for any program, by setting
 *    RHOOK_TRACE_DIR (see rhook_recorder_config_from_env()).
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
 * Flush and compaction spans (rhook:flush_begin/end,
 * rhook:compaction_begin/end).  _begin returns a start time for _end's
 * duration (0 when no consumer wants the events).  @status is 0 or a
 * negative errno.
 */
RHOOK_API uint64_t rhook_trace_flush_begin(rhook_region_id region_id, uint64_t rows, uint64_t bytes);
RHOOK_API void rhook_trace_flush_end(uint64_t start, rhook_region_id region_id, uint64_t rows, uint64_t bytes,
				     uint32_t files, int status);
RHOOK_API uint64_t rhook_trace_compaction_begin(rhook_region_id region_id, uint32_t input_files, uint64_t bytes_in,
						bool remote);
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

struct rhook_recorder_config {
	size_t size;              /* sizeof(struct rhook_recorder_config) */
	const char *dir;          /* trace directory; created (0700) if missing */
	size_t buffer_size;       /* bytes per buffer, power of two; 0: 1 MiB */
	unsigned num_buffers;     /* buffers (threads recording at once); 0: 16 */
	unsigned num_subbuffers;  /* sub-buffers per buffer, power of two >= 2; 0: 8 */
	enum rhook_recorder_mode mode;
	enum rhook_recorder_clock clock;
};

/*
 * Fills @cfg from RHOOK_TRACE_DIR, RHOOK_TRACE_BUFFER_SIZE (bytes, k/m
 * suffixes), RHOOK_TRACE_BUFFERS, RHOOK_TRACE_SUBBUFFERS, RHOOK_TRACE_MODE
 * (overwrite|discard) and RHOOK_TRACE_CLOCK (auto|tsc|monotonic).
 * Returns 1 if RHOOK_TRACE_DIR is set, 0 if not, -EINVAL on a malformed
 * value (with a message in @err).
 */
RHOOK_API int rhook_recorder_config_from_env(struct rhook_recorder_config *cfg, char *err, size_t err_size);

/*
 * Creates a new trace file in cfg->dir (private: 0600, directory 0700,
 * never following a symlink) and starts recording.  0, -EALREADY if
 * recording, -EINVAL (bad size or count), or an errno from the file
 * system.  Nothing is recorded before it returns.
 */
RHOOK_API int rhook_recorder_start(const struct rhook_recorder_config *cfg);

/*
 * Stops recording, waits for writers in flight, records the final
 * counters and unmaps the file.  The file stays readable.  0, or -ENOENT
 * if not recording.  Must not be called from a hook callback.
 */
RHOOK_API int rhook_recorder_stop(void);

/* Path of the current trace file into @buf; 0, -ENOENT or -ERANGE. */
RHOOK_API int rhook_recorder_path(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* RHOOK_TRACE_H */
