/*
 * format.h - on-disk layout of a flight recorder file (version 1).
 *
 * Shared by the writer (librhook) and the reader (rhook-read).  Native
 * little-endian x86-64 layout; every multi-byte field is naturally
 * aligned.
 *
 *   file   := header (RHR_HEADER_SIZE) buffer[num_buffers]
 *   buffer := buffer header (RHR_BUFHDR_SIZE) subbuf[num_subbuffers]
 *   subbuf := subbuf header (RHR_SBHDR_SIZE) records (subbuf_size - RHR_SBHDR_SIZE)
 *   record := rhr_record payload [tail], padded to 8 bytes
 *
 * Each buffer has one writer at a time (the thread that claimed it).
 * Crash consistency comes from the order of the writer's stores:
 *
 *   - a record's bytes are written before the sub-buffer's commit count
 *     is raised past it (release), so a record beyond commit is torn and
 *     ignored;
 *   - a sub-buffer being recycled has its seq set to 0 before any of its
 *     bytes change, and its new seq stored (release) once its header is
 *     ready, so a sub-buffer with seq 0 is ignored.
 *
 * A reader of a live process reads seq and commit (acquire), copies the
 * records, and re-reads seq: if it changed, the copy is discarded.
 */
#ifndef RHOOK_RECORDER_FORMAT_H
#define RHOOK_RECORDER_FORMAT_H

#include <stdint.h>

#define RHR_MAGIC "RHOOKREC"
#define RHR_VERSION 1
#define RHR_HEADER_SIZE 4096u
#define RHR_BUFHDR_SIZE 256u
#define RHR_SBHDR_SIZE 64u
#define RHR_MIN_SUBBUF_SIZE 4096u
#define RHR_RECORD_MAGIC 0x5248u /* "RH" */
#define RHR_FILE_SUFFIX ".rhr"

enum rhr_clock {
	RHR_CLOCK_TSC = 1,       /* record timestamps are TSC ticks */
	RHR_CLOCK_MONOTONIC = 2, /* record timestamps are CLOCK_MONOTONIC ns */
};

enum rhr_state {
	RHR_STATE_RECORDING = 1, /* still recording, or the process crashed */
	RHR_STATE_STOPPED = 2,   /* rhook_recorder_stop() finished */
	RHR_STATE_EXITED = 3,    /* the process exited normally while recording */
};

enum rhr_buf_state {
	RHR_BUF_FREE = 0,    /* never used */
	RHR_BUF_OWNED = 1,   /* a live thread writes it */
	RHR_BUF_RETIRED = 2, /* its thread exited; data readable, may be taken over */
};

/* A (TSC, CLOCK_MONOTONIC) pair read back to back. */
struct rhr_anchor {
	uint64_t tsc;
	uint64_t mono_ns;
};

struct rhr_header {
	char magic[8];             /* RHR_MAGIC, no NUL */
	uint32_t version;          /* RHR_VERSION; stored last (release): 0 = header never completed */
	uint32_t header_size;      /* RHR_HEADER_SIZE */
	uint32_t bufhdr_size;      /* RHR_BUFHDR_SIZE */
	uint32_t sbhdr_size;       /* RHR_SBHDR_SIZE */
	uint64_t buffer_size;      /* bytes of sub-buffers per buffer */
	uint32_t num_buffers;
	uint32_t num_subbuffers;   /* per buffer */
	uint32_t mode;             /* enum rhook_recorder_mode */
	uint32_t clock;            /* enum rhr_clock */
	uint64_t pid;
	int64_t realtime_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
	struct rhr_anchor start;   /* at start; calibration sample 1 */
	struct rhr_anchor calib;   /* ~1 ms later; calibration sample 2 */
	struct rhr_anchor stop;    /* at stop or exit; zero after a crash */
	uint32_t state;            /* enum rhr_state */
	uint32_t num_events;       /* events in the schema (RHOOK__EV_MAX_ID) */
	uint64_t lost_no_buffer;   /* events dropped: every buffer was owned */
	uint64_t lost_nested;      /* events dropped: emitted from inside an emit (signal) */
	char hostname[64];         /* NUL-terminated */
	char comm[32];             /* process name, NUL-terminated */
	uint8_t boot_id[16];       /* /proc/sys/kernel/random/boot_id: same boot, same clock */
};

struct rhr_bufhdr {
	uint32_t state;            /* enum rhr_buf_state; CAS to claim */
	uint32_t tid;              /* current or last owner */
	uint64_t last_seq;         /* seq of the newest sub-buffer (0: none yet) */
	uint64_t lost_discard;     /* records dropped: discard mode, buffer full */
	uint64_t lost_overwrite;   /* records overwritten: overwrite mode */
	uint64_t owners;           /* threads that have owned it */
	char thread_name[16];      /* current or last owner's name */
};

struct rhr_sbhdr {
	uint64_t seq;              /* 1-based fill order within the buffer; 0: invalid */
	uint32_t commit;           /* bytes of complete records after the header */
	uint32_t records;          /* number of complete records */
	uint32_t tid;              /* writer of this sub-buffer */
	uint32_t reserved;
	struct rhr_anchor anchor;  /* clock pair when the sub-buffer was started */
};

/*
 * Record header.  @size counts the header, the payload, the tail and the
 * padding.  The payload is the event's struct rhook__ev_<name>
 * (src/trace/events.h), followed by the listed ids of its id lists (kind
 * IDS), 16 bytes each, list after list in table order: min(count, 64) of
 * each (for manifest_updated: files_added, then files_removed).
 */
struct rhr_record {
	uint16_t magic;            /* RHR_RECORD_MAGIC */
	uint16_t id;               /* enum rhook__event_id */
	uint16_t size;
	uint16_t reserved;
	uint64_t timestamp;        /* in the file's clock */
};

_Static_assert(sizeof(struct rhr_header) <= RHR_HEADER_SIZE, "header too large");
_Static_assert(sizeof(struct rhr_bufhdr) <= RHR_BUFHDR_SIZE, "buffer header too large");
_Static_assert(sizeof(struct rhr_sbhdr) <= RHR_SBHDR_SIZE, "sub-buffer header too large");
_Static_assert(sizeof(struct rhr_record) == 16, "record header is 16 bytes");

#endif /* RHOOK_RECORDER_FORMAT_H */
