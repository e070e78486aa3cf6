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
 */
#ifndef RHOOK_ENGINE_LOG_H
#define RHOOK_ENGINE_LOG_H

#include <rhook/action.h>

#include "engine.h"

#define RHOOK__LOG_NAME_MAX 64

/* "<version:020>.json" or "<version:020>.checkpoint.json". */
void rhook__log_name(uint64_t version, bool checkpoint, char buf[RHOOK__LOG_NAME_MAX]);

/*
 * Writes a delta (or checkpoint) durably and atomically; a delta never
 * replaces an existing file (-EEXIST).  The file's size and checksum go
 * to *size and *hash when not NULL.  0 or -errno.
 */
int rhook__log_write(int dirfd, uint64_t version, uint64_t prev, bool checkpoint, const char *json, size_t len,
		     uint64_t *size, uint64_t *hash);

/*
 * Reads and verifies a delta or checkpoint file: envelope form, version,
 * checksum, then decodes the body.  -EBADMSG with a message naming
 * @where/@name for any damage, -errno for I/O.
 */
int rhook__log_read(int dirfd, const char *where, const char *name, uint64_t version, uint64_t *prev,
		    struct rhook_action_list **out);

struct rhook__log_listing {
	uint64_t *deltas; /* ascending */
	size_t num_deltas;
	uint64_t *checkpoints; /* ascending */
	size_t num_checkpoints;
	char **temps;     /* leftover temporary files */
	size_t num_temps;
};
/* Lists a log directory; unknown names give -EBADMSG (the directory is not ours). */
int rhook__log_list(int dirfd, const char *where, struct rhook__log_listing *out);
void rhook__log_listing_free(struct rhook__log_listing *l);

/* Points _last_checkpoint at checkpoint @version (@size bytes, checksum @hash). */
int rhook__log_write_last_checkpoint(int dirfd, uint64_t version, uint64_t size, uint64_t hash);
/*
 * Reads _last_checkpoint and verifies the checkpoint it names (size and
 * checksum).  -ENOENT when there is none; -EBADMSG when either is damaged.
 */
int rhook__log_read_last_checkpoint(int dirfd, const char *where, uint64_t *version);

#endif /* RHOOK_ENGINE_LOG_H */
