/*
 * role.c - follower sync, leader downgrade and follower promotion.  No
 * hook fires here: a follower does not author manifest changes.
 */
#include <sys/file.h>

#include "region.h"
#include "util.h"

/* Any thread; manifest mutex, then the LOCK flock shared. */
int rhook_region_sync(struct rhook_region *r)
{
	int err;

	rhook_manifest_lock(r->ctx);
	err = rhook__region_check_role(r, RHOOK__ROLE(RHOOK_ROLE_FOLLOWER), "sync");
	if (!err) {
		flock(r->lock_fd, LOCK_SH);
		err = rhook__region_catch_up_locked(r, false);
		flock(r->lock_fd, LOCK_UN);
	}
	rhook_manifest_unlock(r->ctx);
	return err;
}

/* Any thread: refuses writes, flushes what the memtable holds, then follows. */
int rhook_region_downgrade(struct rhook_region *r)
{
	int err;

	rhook_manifest_lock(r->ctx);
	err = rhook__region_check_role(r, RHOOK__LEADER_ONLY, "downgrade");
	if (!err)
		rhook__region_set_role(r, RHOOK_ROLE_LEADER_DOWNGRADING);
	rhook_manifest_unlock(r->ctx);
	if (err)
		return err;
	err = rhook_region_flush(r, NULL);
	rhook_manifest_lock(r->ctx);
	rhook__region_set_role(r, err ? RHOOK_ROLE_LEADER : RHOOK_ROLE_FOLLOWER);
	rhook_manifest_unlock(r->ctx);
	return err;
}

/* Any thread: catches up on everything written, then leads. */
int rhook_region_promote(struct rhook_region *r)
{
	int err;

	rhook_manifest_lock(r->ctx);
	err = rhook__region_check_role(r, RHOOK__ROLE(RHOOK_ROLE_FOLLOWER), "promote");
	if (!err) {
		flock(r->lock_fd, LOCK_EX);
		err = rhook__region_catch_up_locked(r, false);
		if (!err)
			rhook__region_set_role(r, RHOOK_ROLE_LEADER);
		flock(r->lock_fd, LOCK_UN);
	}
	rhook_manifest_unlock(r->ctx);
	return err;
}
