/*
 * check.h - rhook-read check: the contract (CONTRACT.md §3, §5) verified
 * from a trace alone, fed with the merged timeline in time order.
 *
 * Rules:
 *   receipt-after-commit  each manifest_updated comes after a successful
 *                         manifest_commit of the same region and version
 *                         (the receipt fires after the unlock);
 *   version-order         successful commits of a region have increasing
 *                         versions, none committed twice;
 *   notified-once         a version is notified once; a second time only
 *                         by staging_exit (apply staging notifies twice);
 *   sst-added             every SST announced by sst_file_written is added
 *                         by a later manifest_updated of its region,
 *                         else it is orphaned;
 *   removed-live-file     no sst_file_removed for a file the trace shows
 *                         live: added by a manifest_updated of its region
 *                         and not removed by a later one (files_removed,
 *                         or a truncate that lists none, which removes
 *                         them all).  A drop deletes live files with
 *                         their region: reason drop is exempt.
 *
 * Tolerances, none of which hides a violation the trace can prove:
 *   - commits are emitted after the unlock, so two threads may emit theirs
 *     out of version order; a lower version never seen before is accepted
 *     within the reorder window after the higher one;
 *   - SSTs of a flush or compaction that ended with an error are expected
 *     never to be committed: reported, not violations;
 *   - where the process lost events that could hold the missing
 *     companion (see struct rdr_proc), a finding is "unverifiable",
 *     reported but not a violation;
 *   - a manifest_updated listing fewer ids than it added (more than the
 *     event can list) makes earlier SSTs of its region unverifiable;
 *   - an SST of a flush or compaction whose end event the trace does not
 *     hold (the trace stops in the middle of it: a recorder stopped or a
 *     snapshot taken while it ran, a crash) is unverifiable: its commit
 *     may come after the end of the trace.
 *   - a deletion of a file that looks live is unverifiable when a process
 *     seen so far lost events, or a commit of its region listed fewer ids
 *     than it had: the commit that removed it may be among what is missing.
 *
 * Engines with their own manifest (rhook/external.h, rhook-rocksdb) emit
 * the same manifest_commit then manifest_updated pair per commit: every
 * rule applies unchanged, no mode is needed.
 *
 * Single-threaded.
 */
#ifndef RDR_CHECK_H
#define RDR_CHECK_H

#include "lifecycle.h"
#include "map.h"
#include "reader/event.h"
#include "reader/out.h"
#include "versions.h"

enum rdr_rule {
	RDR_RULE_RECEIPT_AFTER_COMMIT,
	RDR_RULE_VERSION_ORDER,
	RDR_RULE_NOTIFIED_ONCE,
	RDR_RULE_SST_ADDED,
	RDR_RULE_REMOVED_LIVE_FILE,
	RDR_RULE_COUNT,
};

#define RDR_CHECK_EXAMPLES 10

struct rdr_check {
	uint64_t reorder_window_ns;
	struct rdr_versions commits; /* (region, version) -> committed, notified, exit-notified */
	struct rdr_map regions;  /* (region, 0) -> struct region_state */
	struct rdr_map ssts;     /* file id -> struct sst_state */
	struct rdr_map threads;  /* (proc << 32 | tid, region) -> current flush/compaction span */
	struct rdr_map failed;   /* spans of failed flushes and compactions */
	uint64_t spans;             /* spans begun: each gets a number, from 1 */
	struct rdr_lifecycle lc; /* which files are live (removed-live-file) */
	bool lossy_seen;            /* an event of a process that lost events was seen */
	uint64_t deletions;
	uint64_t events, commits_ok, commits_failed, notifications, announced;
	uint64_t violations[RDR_RULE_COUNT];
	uint64_t unverifiable[RDR_RULE_COUNT];
	uint64_t reordered, abandoned;
	char examples[RDR_RULE_COUNT][RDR_CHECK_EXAMPLES][200];
	int err;                    /* -ENOMEM: the verdict is incomplete */
};

void rdr_check_init(struct rdr_check *c, uint64_t reorder_window_ns);
/* Feeds the next event of the merged timeline. */
void rdr_check_add(struct rdr_check *c, const struct rdr_event *ev);
/* Ends the run (orphans), writes the report; returns the number of violations. */
uint64_t rdr_check_finish(struct rdr_check *c, struct rdr_out *o, struct rdr_proc *const *procs);
void rdr_check_free(struct rdr_check *c);

/* "receipt-after-commit", ... */
const char *rdr_rule_name(enum rdr_rule rule);

#endif /* RDR_CHECK_H */
