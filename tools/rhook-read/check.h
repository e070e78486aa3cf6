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
 *                         else it is orphaned.
 *
 * Tolerances, none of which hides a violation the trace can prove:
 *   - commits are emitted after the unlock, so two threads may emit theirs
 *     out of version order; a lower version never seen before is accepted
 *     within the reorder window after the higher one;
 *   - SSTs of a flush or compaction that ended with an error are expected
 *     never to be committed: reported, not violations;
 *   - where the process lost events that could hold the missing
 *     companion (see struct rhook__rd_proc), a finding is "unverifiable",
 *     reported but not a violation;
 *   - a manifest_updated listing fewer ids than it added (more than the
 *     event can list) makes earlier SSTs of its region unverifiable;
 *   - an SST of a flush or compaction whose end event the trace does not
 *     hold (the trace stops in the middle of it: a recorder stopped or a
 *     snapshot taken while it ran, a crash) is unverifiable: its commit
 *     may come after the end of the trace.
 *
 * Single-threaded.
 */
#ifndef RHOOK_READ_CHECK_H
#define RHOOK_READ_CHECK_H

#include "event.h"
#include "map.h"
#include "out.h"

enum rhook__rule {
	RHOOK__RULE_RECEIPT_AFTER_COMMIT,
	RHOOK__RULE_VERSION_ORDER,
	RHOOK__RULE_NOTIFIED_ONCE,
	RHOOK__RULE_SST_ADDED,
	RHOOK__RULE_COUNT,
};

#define RHOOK__CHECK_EXAMPLES 10

struct rhook__check {
	uint64_t reorder_window_ns;
	struct rhook__map commits;  /* (region, version) -> struct commit_state */
	struct rhook__map regions;  /* (region, 0) -> struct region_state */
	struct rhook__map ssts;     /* file id -> struct sst_state */
	struct rhook__map threads;  /* (proc << 32 | tid, region) -> current flush/compaction span */
	struct rhook__map failed;   /* spans of failed flushes and compactions */
	uint64_t spans;             /* spans begun: each gets a number, from 1 */
	uint64_t events, commits_ok, commits_failed, notifications, announced;
	uint64_t violations[RHOOK__RULE_COUNT];
	uint64_t unverifiable[RHOOK__RULE_COUNT];
	uint64_t reordered, abandoned;
	char examples[RHOOK__RULE_COUNT][RHOOK__CHECK_EXAMPLES][200];
	int err;                    /* -ENOMEM: the verdict is incomplete */
};

void rhook__check_init(struct rhook__check *c, uint64_t reorder_window_ns);
/* Feeds the next event of the merged timeline. */
void rhook__check_add(struct rhook__check *c, const struct rhook__rd_event *ev);
/* Ends the run (orphans), writes the report; returns the number of violations. */
uint64_t rhook__check_finish(struct rhook__check *c, struct rhook__out *o, struct rhook__rd_proc *const *procs);
void rhook__check_free(struct rhook__check *c);

/* "receipt-after-commit", ... */
const char *rhook__rule_name(enum rhook__rule rule);

#endif /* RHOOK_READ_CHECK_H */
