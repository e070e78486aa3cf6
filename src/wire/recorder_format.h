/*
 * recorder_format.h - on-disk layout of a flight recorder file (version 2).
 *
 * Shared by the writer (librhook) and the reader (src/reader).  A wire
 * format (src/wire): header-only, libc only.  Prefix rhr_ / RHR_ (rhook
 * recorder), as recorder_shm.h.  Native
 * little-endian x86-64 layout; every multi-byte field is naturally
 * aligned.
 *
 *   file   := header (RHR_HEADER_SIZE) buffer[num_buffers]
 *   buffer := buffer header (RHR_BUFHDR_SIZE) subbuf[num_subbuffers]
 *   subbuf := subbuf header (RHR_SBHDR_SIZE) records (subbuf_size - RHR_SBHDR_SIZE)
 *   record := rhr_record payload [tail], a multiple of 8 bytes
 *
 * The first num_buffers - num_shared buffers are per-thread: a thread
 * claims one at its first event and keeps it until it exits.  The last
 * num_shared are shared: threads that found no per-thread buffer free
 * take one of them for the length of one event (T1 below).  Version 2
 * added num_shared and the thread record (and the payloads of RHR_VERSION
 * below).
 *
 * Each buffer has one writer at a time (the thread that claimed it, or
 * that holds the shared buffer for one event).
 * Writer and reader (another process, or a crash later) share the file
 * through memory.  Every word the writer changes while a reader may look
 * is stored with an atomic store, every word a live reader loads with an
 * atomic load (8-byte aligned words, lock-free and address-free on
 * x86-64, so the model holds across processes).  The pairs:
 *
 *   C1  a record's words are stored (relaxed) before the sub-buffer's
 *       commit is raised past them (release); a reader loads commit
 *       (acquire) and reads only below it.  A record beyond commit is
 *       torn and ignored.
 *   S1  a sub-buffer is (re)started by storing seq 0 (relaxed), then a
 *       release fence, then its header; its new seq is stored (release)
 *       once the header is complete, and its records follow (C1).  A
 *       reader loads seq (acquire), then the header, commit and records
 *       it needs, then issues an acquire fence and loads seq again
 *       (relaxed): if the reader saw any store made after the writer's
 *       fence, the fences synchronize and the second load sees 0 or a
 *       newer seq, and the copy is dropped (a seqlock).  A sub-buffer
 *       with seq 0 is being (re)started and is ignored.
 *   B1  a thread hands its buffer back at exit by storing its state
 *       RETIRED (release); the next owner's claim (a CAS, acquire) sees
 *       everything it wrote (one process: ordinary thread hand-off).
 *   T1  a shared buffer is held for one event: its state goes from
 *       SHARED to OWNED by a CAS (acquire), and back to SHARED (or to
 *       FULL, discard mode, when its ring is full) by a release store
 *       after the event's commit; the next holder's CAS sees everything
 *       the previous holder wrote, as B1 does for per-thread buffers.
 *   W1  records carry no thread id: a sub-buffer's records are those of
 *       rhr_sbhdr.tid until a thread record (RHR_RECORD_THREAD), whose
 *       records follow it until the next one.  A writer that continues a
 *       sub-buffer another thread wrote last (a shared buffer, a retired
 *       buffer taken over) appends a thread record first, committed as
 *       any record (C1): a reader never attributes a record to the wrong
 *       thread, a torn thread record is ignored with what follows it.
 *   H1  the header's version is stored last (release); a reader that
 *       loads it (acquire) non-zero sees a complete header.
 *   H2  state is stored (release) after the final clock anchor.
 *   Counters (lost_*) are single words updated with relaxed atomics and
 *   read with relaxed loads: they order nothing.
 *
 * Liveness: while a file may still be written, its writer holds an open
 * file description lock (F_OFD_SETLK, F_WRLCK) on its first
 * RHR_LOCK_LEN bytes, and sets RHR_FLAG_WRITER_LOCK in the header before
 * the version.  A reader tests for that lock (F_OFD_GETLK): held means a
 * writer lives, in whatever PID namespace; not held with the flag set
 * means no writer can touch the file again; anything else is unknown
 * and is treated as live.  The pid in the header is informative only.
 * A forked child shares its parent's descriptor only until its fork
 * handler closes it; its own file has its own lock.
 */
#if !defined(__x86_64__) || !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "rhook's flight recorder supports x86-64 only: its file format is the little-endian x86-64 layout, its clock the TSC, and writer and reader share the file through 8-byte lock-free atomics; port recorder_format.h, clock.h and the reader before building for another architecture"
#endif

#ifndef RHR_FORMAT_H
#define RHR_FORMAT_H

#include <stdint.h>

#define RHR_MAGIC "RHOOKREC"
/*
 * Version 2: per-thread and shared buffers (num_shared, thread records),
 * and the payloads of events.h with job ids, compaction inputs and
 * sst_file_removed.  A record's payload layout is its event's, so a
 * change of a payload is a new version: a reader never decodes a file of
 * another version with the wrong layout, it refuses it by its number.
 */
#define RHR_VERSION 2
#define RHR_HEADER_SIZE 4096u
#define RHR_BUFHDR_SIZE 256u
#define RHR_SBHDR_SIZE 64u
#define RHR_MIN_SUBBUF_SIZE 4096u
#define RHR_RECORD_MAGIC 0x5248u /* "RH" */
#define RHR_MAX_BUFFERS 65536u /* per-thread and shared, in one file */
/*
 * rhr_record.id of a thread record (W1): no event; its payload is one
 * word, the thread id of the records that follow (low 32 bits, high 32
 * zero); its timestamp is when the writer switched.  Not counted in
 * rhr_sbhdr.records (which counts events).
 */
#define RHR_RECORD_THREAD 0xffffu
#define RHR_THREAD_RECORD_SIZE 24u
#define RHR_FILE_SUFFIX ".rhr"
#define RHR_LOCK_LEN RHR_HEADER_SIZE /* the bytes the writer's OFD lock covers */

/* rhr_header.flags */
#define RHR_FLAG_WRITER_LOCK 1u /* the writer holds the liveness lock (see above) */

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
	RHR_BUF_SHARED = 3,  /* a shared buffer nobody holds (T1) */
	RHR_BUF_FULL = 4,    /* a shared buffer whose ring is full, discard mode: never held again */
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
	uint32_t num_events;       /* events in the schema (RHW_EV_MAX_ID) */
	uint64_t lost_no_buffer;   /* events dropped: no recorder yet (a forked child creating its file), or
	                              every shared buffer held for a second */
	uint64_t lost_nested;      /* events dropped: emitted from inside an emit (signal) */
	char hostname[64];         /* NUL-terminated */
	char comm[32];             /* process name, NUL-terminated */
	uint8_t boot_id[16];       /* /proc/sys/kernel/random/boot_id: same boot, same clock */
	uint32_t flags;            /* RHR_FLAG_*; 0 in files of older writers */
	uint32_t num_shared;       /* the last num_shared buffers are shared (T1) */
};

struct rhr_bufhdr {
	uint32_t state;            /* enum rhr_buf_state; CAS to claim */
	uint32_t tid;              /* current or last owner; shared: the last writer */
	uint64_t last_seq;         /* seq of the newest sub-buffer (0: none yet) */
	uint64_t lost_discard;     /* records dropped: discard mode, buffer full */
	uint64_t lost_overwrite;   /* records overwritten: overwrite mode */
	uint64_t owners;           /* threads that have owned it (shared: not counted) */
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
 * padding.  The payload is the event's struct rhw_ev_<name>
 * (src/wire/events.h), followed by the listed ids of its id lists (kind
 * IDS), 16 bytes each, list after list in table order: min(count, 64) of
 * each (for manifest_updated: files_added, then files_removed).
 */
struct rhr_record {
	uint16_t magic;            /* RHR_RECORD_MAGIC */
	uint16_t id;               /* enum rhw_event_id */
	uint16_t size;
	uint16_t reserved;
	uint64_t timestamp;        /* in the file's clock */
};

_Static_assert(sizeof(struct rhr_header) <= RHR_HEADER_SIZE, "header too large");
_Static_assert(sizeof(struct rhr_bufhdr) <= RHR_BUFHDR_SIZE, "buffer header too large");
_Static_assert(sizeof(struct rhr_sbhdr) <= RHR_SBHDR_SIZE, "sub-buffer header too large");
_Static_assert(sizeof(struct rhr_record) == 16, "record header is 16 bytes");
_Static_assert(__atomic_always_lock_free(8, 0) && __atomic_always_lock_free(4, 0),
	       "the shared-memory protocol needs lock-free (address-free) 4- and 8-byte atomics");

#endif /* RHR_FORMAT_H */
