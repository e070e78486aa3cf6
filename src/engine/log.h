/*
 * log.h - the manifest log on disk (not installed).
 *
 * A delta file "<version:020>.json" and a checkpoint file
 * "<version:020>.checkpoint.json" are one JSON object each:
 *
 *   {"version":V,"prev":P,"xxh64":"<16 hex>","body":<action list JSON>}
 *
 * where P is the version the delta applies on top of (versions may skip:
 * staging writes and failed writes use numbers the live log never sees)
 * and the checksum covers the body bytes exactly as written.  The envelope
 * is written and parsed in this exact form, so the body is checked before
 * it is decoded.  "_last_checkpoint" names the newest checkpoint with its
 * size and checksum: {"version":V,"file":"...","size":N,"xxh64":"..."}.
 *
 * "_latest" is the sealed record of the newest committed live version:
 *
 *   {"version":V,"file":"<V:020>.json","size":N,"xxh64":"<16 hex>","seal":"<16 hex>"}\n
 *
 * with the size and checksum of that delta file, and a seal (xxh64 of the
 * text before ',"seal"'); it is parsed in this exact form.  A commit
 * writes its delta durably (the commit point), then replaces _latest
 * (file synced, directory not: the next delta's directory sync covers
 * it).  So at any moment, after a crash or a power loss, _latest names
 * the newest delta or the one before it, never a version the log does
 * not hold.  Opening refuses a log that does not reach the version
 * _latest names: a deleted newest delta no longer rolls the region back
 * silently.  A delta beyond the record (a crash between the two writes)
 * is a committed version and is kept; a leader's open then brings the
 * record up to date.  Limit: a delta deleted in that window (before the
 * record names it) is not detected.
 */
#ifndef LSM_LOG_H
#define LSM_LOG_H

#include <rhook/action.h>

#include "engine.h"

#define LSM__LOG_NAME_MAX 64

/* "<version:020>.json" or "<version:020>.checkpoint.json". */
void lsm__log_name(uint64_t version, bool checkpoint, char buf[LSM__LOG_NAME_MAX]);

/*
 * Writes a delta (or checkpoint) durably and atomically; a delta never
 * replaces an existing file (-EEXIST).  The file's size and checksum go
 * to *size and *hash when not NULL.  0 or -errno.
 */
int lsm__log_write(int dirfd, uint64_t version, uint64_t prev, bool checkpoint, const char *json, size_t len,
		     uint64_t *size, uint64_t *hash);

/*
 * Verifies a delta or checkpoint file held in @buf (@len bytes, and
 * buf[len] == '\0'): envelope form, version, checksum, then decodes the
 * body.  -EBADMSG with a message naming @where/@name for any damage,
 * -ENOMEM.  Pure: any thread (the message is the thread's).
 */
int lsm__log_decode(const char *buf, size_t len, const char *where, const char *name, uint64_t version,
		      uint64_t *prev, struct rhook_action_list **out);

/*
 * Reads @name and decodes it (lsm__log_decode); the file's size and
 * xxh64 go to *size and *hash when not NULL.  -EBADMSG for damage, -errno
 * for I/O (-ENOENT: missing, said so in the message).
 */
int lsm__log_read(int dirfd, const char *where, const char *name, uint64_t version, uint64_t *prev,
		    struct rhook_action_list **out, uint64_t *size, uint64_t *hash);

struct lsm__log_listing {
	uint64_t *deltas; /* ascending */
	size_t num_deltas;
	uint64_t *checkpoints; /* ascending */
	size_t num_checkpoints;
	char **temps;     /* leftover temporary files */
	size_t num_temps;
};
/* Lists a log directory; unknown names give -EBADMSG (the directory is not ours). */
int lsm__log_list(int dirfd, const char *where, struct lsm__log_listing *out);
void lsm__log_listing_free(struct lsm__log_listing *l);

/* A pointer file's content: the version it names, that file's size and xxh64. */
struct lsm__log_pointer {
	uint64_t version;
	uint64_t size;
	uint64_t hash;
};

/*
 * Parses the text of _last_checkpoint (@len bytes): 0, or -EBADMSG with a
 * message naming @where/_last_checkpoint.
 */
int lsm__log_parse_last_checkpoint(const char *buf, size_t len, const char *where, struct lsm__log_pointer *out);
/* Whether @buf (@len bytes) is the checkpoint @ptr names: 0, or -EBADMSG naming that file. */
int lsm__log_check_pointed(const struct lsm__log_pointer *ptr, const char *buf, size_t len, const char *where);

/* Points _last_checkpoint at checkpoint @version (@size bytes, checksum @hash). */
int lsm__log_write_last_checkpoint(int dirfd, uint64_t version, uint64_t size, uint64_t hash);
/*
 * Reads _last_checkpoint and verifies the checkpoint it names (size and
 * checksum).  -ENOENT when there is none; -EBADMSG when either is damaged.
 */
int lsm__log_read_last_checkpoint(int dirfd, const char *where, uint64_t *version);

#define LSM__LOG_LATEST_MAX 160
/* Records delta @version (@size bytes, xxh64 @hash) as the newest committed one in _latest. */
int lsm__log_write_latest(int dirfd, uint64_t version, uint64_t size, uint64_t hash);
/*
 * Parses the text of _latest (@len bytes, buf[len] == '\0'): 0, or
 * -EBADMSG with a message naming @where/_latest.
 */
int lsm__log_parse_latest(const char *buf, size_t len, const char *where, struct lsm__log_pointer *out);
/* Reads _latest: 0, or -EBADMSG (missing or damaged, said which), -errno for I/O. */
int lsm__log_read_latest(int dirfd, const char *where, struct lsm__log_pointer *out);

#endif /* LSM_LOG_H */
