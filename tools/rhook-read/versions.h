/*
 * versions.h - the commit state of every (region, version) a trace
 * showed, for check's version-order, receipt-after-commit and
 * notified-once rules, in memory that grows with the irregular versions,
 * not with the commits.
 *
 * Almost every version ends "committed, notified once" (RDR_V_PLAIN):
 * those are kept per region as sorted runs [lo, hi] of consecutive
 * versions, so a region that commits 1, 2, 3, ... holds one run.  Every
 * other state (committed and not yet notified, notified a second time
 * by exit-staging) is one map entry.  A gap (a version never committed,
 * e.g. after a failed write) costs one run boundary.
 *
 * Single-threaded.
 */
#ifndef RDR_VERSIONS_H
#define RDR_VERSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "map.h"

/* Bits of a version's state; 0: never committed. */
enum {
	RDR_V_COMMITTED = 1u << 0,
	RDR_V_NOTIFIED = 1u << 1,      /* a manifest_updated announced it */
	RDR_V_EXIT_NOTIFIED = 1u << 2, /* and an exit-staging one again */
};
#define RDR_V_PLAIN (RDR_V_COMMITTED | RDR_V_NOTIFIED)

struct rdr_versions {
	struct rdr_map other;   /* (region, version) -> uint8_t state, for states but RDR_V_PLAIN */
	struct rdr_map regions; /* (region, 0) -> struct rdr_vruns: the RDR_V_PLAIN runs */
};

void rdr_versions_init(struct rdr_versions *v);
void rdr_versions_free(struct rdr_versions *v);
/* The state of @version of @region (0: never set). */
unsigned rdr_versions_get(const struct rdr_versions *v, uint64_t region, uint64_t version);
/* Sets the state of @version of @region to @state (not 0).  0, or -ENOMEM (the state is then unchanged). */
int rdr_versions_set(struct rdr_versions *v, uint64_t region, uint64_t version, unsigned state);

/* How many runs hold @region's RDR_V_PLAIN versions: what its memory grows with. */
size_t rdr_versions_runs(const struct rdr_versions *v, uint64_t region);

#endif /* RDR_VERSIONS_H */
