/*
 * role.c - follower sync, leader downgrade and follower promotion.  No
 * hook fires here: a follower does not author manifest changes.
 */
#include <sys/file.h>

#include "region.h"
#include "util.h"

/* Any thread; manifest mutex, then the LOCK flock shared. */
int lsm_region_sync(struct lsm_region *r)
{
	int err;

	rhook_manifest_lock(r->ctx);
	err = lsm__region_check_role(r, LSM__ROLE(LSM_ROLE_FOLLOWER), "sync");
	if (!err) {
		flock(r->lock_fd, LOCK_SH);
		err = lsm__region_catch_up_locked(r, false);
		flock(r->lock_fd, LOCK_UN);
	}
	rhook_manifest_unlock(r->ctx);
	return err;
}

/* Any thread: refuses writes, flushes what the memtable holds, then follows. */
int lsm_region_downgrade(struct lsm_region *r)
{
	int err;

	rhook_manifest_lock(r->ctx);
	err = lsm__region_check_role(r, LSM__LEADER_ONLY, "downgrade");
	if (!err)
		lsm__region_set_role(r, LSM_ROLE_LEADER_DOWNGRADING);
	rhook_manifest_unlock(r->ctx);
	if (err)
		return err;
	err = lsm_region_flush(r, NULL);
	rhook_manifest_lock(r->ctx);
	lsm__region_set_role(r, err ? LSM_ROLE_LEADER : LSM_ROLE_FOLLOWER);
	rhook_manifest_unlock(r->ctx);
	return err;
}

/* Any thread: catches up on everything written, then leads. */
int lsm_region_promote(struct lsm_region *r)
{
	int err;

	rhook_manifest_lock(r->ctx);
	err = lsm__region_check_role(r, LSM__ROLE(LSM_ROLE_FOLLOWER), "promote");
	if (!err) {
		flock(r->lock_fd, LOCK_EX);
		err = lsm__region_catch_up_locked(r, false);
		if (!err)
			lsm__region_set_role(r, LSM_ROLE_LEADER);
		flock(r->lock_fd, LOCK_UN);
	}
	rhook_manifest_unlock(r->ctx);
	return err;
}
