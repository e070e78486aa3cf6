/*
 * validate.h - the one rule of what a manifest entry may hold (not
 * installed).
 *
 * Every writer and reader of action lists goes through these checks:
 * rhook_action_list_add_*() on the action they add, _to_json() and
 * rhook_manifest_update_locked() on the whole list before anything is
 * encoded or persisted, and the JSON decoders on what they decoded.  So
 * whatever update_locked accepts, from_json() reads back identically, and
 * a list it rejects never reaches the store.
 *
 * A value is valid when the JSON encoding carries it without loss: enums
 * and bit sets hold known values only, strings are UTF-8, a count comes
 * with its array, an optional field absent (has_* false) holds 0, and a
 * truncate carries only the fields of its kind.  The data-model ranges
 * come on top: level 0..RHOOK_MAX_LEVEL, time range start <= end.
 *
 * Each function returns 0, or -EINVAL after writing "<path>.<field>:
 * <reason>" through @e (see json.h); @path names the value checked
 * ("actions[2].edit.files_to_add[0]", "" for a root).  Pure functions of
 * their arguments: any thread.
 */
#ifndef RHOOK_MODEL_VALIDATE_H
#define RHOOK_MODEL_VALIDATE_H

#include <rhook/action.h>

#include "json.h"

int rhook__validate_list(struct rhook__jerr *e, const struct rhook_action_list *list);
int rhook__validate_action(struct rhook__jerr *e, const char *path, const struct rhook_action *a);
int rhook__validate_file_meta(struct rhook__jerr *e, const char *path, const struct rhook_file_meta *fm);
int rhook__validate_region_meta(struct rhook__jerr *e, const char *path, const struct rhook_region_meta *rm);

/*
 * The level rule alone, for a value wider than the field it goes to: the
 * decoder checks a level before narrowing it, with the same message.
 */
int rhook__validate_level(struct rhook__jerr *e, const char *path, uint64_t level);

/*
 * rhook__validate_list() with the message kept for
 * rhook_action_list_errmsg() (the calling thread's; cleared on success).
 * update_locked, _to_json() and the add functions call this.
 */
int rhook__action_list_check(const struct rhook_action_list *list);
/* The same for region metadata alone (rhook_region_meta_to_json()). */
int rhook__region_meta_check(const struct rhook_region_meta *rm);
/* The same for one action about to become actions[@index] of a list. */
int rhook__action_check(size_t index, const struct rhook_action *a);

#endif /* RHOOK_MODEL_VALIDATE_H */
