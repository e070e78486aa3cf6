/*
 * rhook/action.h - manifest action lists (contract §4).
 *
 * An action list is the unit of a logical manifest write: an ordered list
 * of actions, each one of five kinds.  Lists own their memory: every add
 * function deep-copies its argument, rhook_action_list_copy() duplicates a
 * whole list, and rhook_action_list_free() releases everything.
 *
 * A list is not thread-safe while it is being built; once built it is
 * only read, and any number of threads may read it.
 */
#ifndef RHOOK_ACTION_H
#define RHOOK_ACTION_H

#include <rhook/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Kinds are bits so that a set of kinds fits in one word (trace field). */
enum rhook_action_kind {
	RHOOK_ACTION_CHANGE = 1u << 0,
	RHOOK_ACTION_PARTITION_EXPR_CHANGE = 1u << 1,
	RHOOK_ACTION_EDIT = 1u << 2,
	RHOOK_ACTION_REMOVE = 1u << 3,
	RHOOK_ACTION_TRUNCATE = 1u << 4,
};
#define RHOOK_ACTION_KIND_ALL 0x1fu

/* New region metadata (schema change, options). */
struct rhook_action_change {
	struct rhook_region_meta metadata;
	enum rhook_sst_format sst_format;
	bool append_mode;
};

struct rhook_action_partition_expr_change {
	char *partition_expr; /* NULL: the expression is removed */
};

/* Files added and removed by a flush, compaction, ingestion or index build. */
struct rhook_action_edit {
	struct rhook_file_meta *files_to_add;
	size_t num_files_to_add;
	struct rhook_file_meta *files_to_remove;
	size_t num_files_to_remove;
	int64_t timestamp_ms;
	bool has_compaction_time_window;
	int64_t compaction_time_window_s;
	bool has_flushed_entry_id;
	uint64_t flushed_entry_id;
	bool has_flushed_sequence;
	uint64_t flushed_sequence;
	bool has_committed_sequence;
	uint64_t committed_sequence;
};

struct rhook_action_remove {
	rhook_region_id region_id;
};

enum rhook_truncate_kind {
	RHOOK_TRUNCATE_ALL = 0,   /* everything up to an entry id and sequence */
	RHOOK_TRUNCATE_FILES = 1, /* a list of files */
};

struct rhook_action_truncate {
	enum rhook_truncate_kind kind;
	uint64_t truncated_entry_id; /* RHOOK_TRUNCATE_ALL */
	uint64_t truncated_sequence; /* RHOOK_TRUNCATE_ALL */
	struct rhook_file_meta *files; /* RHOOK_TRUNCATE_FILES */
	size_t num_files;
	int64_t timestamp_ms;
};

struct rhook_action {
	enum rhook_action_kind kind;
	union {
		struct rhook_action_change change;
		struct rhook_action_partition_expr_change partition_expr_change;
		struct rhook_action_edit edit;
		struct rhook_action_remove remove;
		struct rhook_action_truncate truncate;
	} u;
};

struct rhook_action_list {
	struct rhook_action *actions;
	size_t num_actions;
	size_t capacity;
};

/* Returns NULL on allocation failure. */
RHOOK_API struct rhook_action_list *rhook_action_list_new(void);
RHOOK_API void rhook_action_list_free(struct rhook_action_list *list);
/* Deep copy; 0 or -ENOMEM. */
RHOOK_API int rhook_action_list_copy(const struct rhook_action_list *src, struct rhook_action_list **out);
/* Appends deep copies of @src's actions to @dst; 0 or -ENOMEM (dst unchanged). */
RHOOK_API int rhook_action_list_extend(struct rhook_action_list *dst, const struct rhook_action_list *src);

/*
 * What a manifest may hold: one rule, checked by every add function, by
 * _to_json(), by rhook_manifest_update_locked() before anything is
 * persisted, and by the decoders after decoding.  So a list that
 * update_locked accepts is read back by _from_json() field for field,
 * and a list it rejects is never persisted.  A list is valid when:
 *
 *   - counts come with their arrays (n > 0 means a non-NULL pointer);
 *   - enums hold known values: action kind, truncate kind, time unit,
 *     SST format, column type, semantic type; available_indexes holds
 *     only RHOOK_INDEX_ALL bits;
 *   - file level is in 0..RHOOK_MAX_LEVEL, time_range.start <= end;
 *   - strings are valid UTF-8; column names are not NULL (other strings
 *     may be NULL: absent);
 *   - an absent optional field (its has_* flag false) holds 0, and a
 *     byte string with data NULL (absent) has length 0;
 *   - a truncate carries the fields of its kind only: RHOOK_TRUNCATE_ALL
 *     lists no files (num_files 0; a mix has no meaning, so it is
 *     refused rather than silently dropped), RHOOK_TRUNCATE_FILES has
 *     truncated_entry_id and truncated_sequence 0.
 *
 * A violation is -EINVAL with a message naming the field, e.g.
 * "actions[0].edit.files_to_add[2].level: 3 is not in 0..2".
 */
/* 0, or -EINVAL with the message in @err (if non-NULL; truncated to @err_size). */
RHOOK_API int rhook_action_list_validate(const struct rhook_action_list *list, char *err, size_t err_size);
RHOOK_API int rhook_region_meta_validate(const struct rhook_region_meta *rm, char *err, size_t err_size);

/*
 * The message of the calling thread's last -EINVAL from an add function,
 * rhook_action_list_to_json(), rhook_region_meta_to_json() or
 * rhook_manifest_update_locked() for an
 * invalid list; "" after one of them succeeded.  Valid until the thread's
 * next such call.
 */
RHOOK_API const char *rhook_action_list_errmsg(void);

/*
 * Each add deep-copies its argument; 0, -EINVAL (NULL list or argument,
 * or an action the rule above refuses; message in
 * rhook_action_list_errmsg(), naming actions[N] for the N it would have
 * had) or -ENOMEM (list unchanged).
 */
RHOOK_API int rhook_action_list_add_change(struct rhook_action_list *list, const struct rhook_action_change *change);
RHOOK_API int rhook_action_list_add_partition_expr_change(struct rhook_action_list *list, const char *partition_expr);
RHOOK_API int rhook_action_list_add_edit(struct rhook_action_list *list, const struct rhook_action_edit *edit);
RHOOK_API int rhook_action_list_add_remove(struct rhook_action_list *list, rhook_region_id region_id);
RHOOK_API int rhook_action_list_add_truncate(struct rhook_action_list *list, const struct rhook_action_truncate *truncate);

/* The set of kinds present, as enum rhook_action_kind bits. */
RHOOK_API uint32_t rhook_action_list_kinds(const struct rhook_action_list *list);
RHOOK_API const char *rhook_action_kind_name(enum rhook_action_kind kind);

/*
 * JSON encoding (the engine's manifest log format).
 *
 * rhook_action_list_to_json() returns a malloc'ed NUL-terminated string in
 * *out (its length in *len if non-NULL); 0, -EINVAL for a list the rule
 * above refuses (message in rhook_action_list_errmsg()), or -ENOMEM.
 *
 * rhook_action_list_from_json() accepts exactly what _to_json() produces,
 * and decodes it to a list equal field for field to the one encoded.
 * Malformed, incomplete or invalid input gives -EINVAL and, if @err is
 * non-NULL, a message naming the offending field, e.g.
 * "actions[1].edit.files_to_add[0].file_id: expected a UUID string"; the
 * rule is the same as for writing.  -ENOMEM for memory only.
 */
RHOOK_API int rhook_action_list_to_json(const struct rhook_action_list *list, char **out, size_t *len);
RHOOK_API int rhook_action_list_from_json(const char *buf, size_t len, struct rhook_action_list **out,
					  char *err, size_t err_size);

/* The same encoding and rule for region metadata alone (paths from the root: "columns[1].name"). */
RHOOK_API int rhook_region_meta_to_json(const struct rhook_region_meta *rm, char **out, size_t *len);
RHOOK_API int rhook_region_meta_from_json(const char *buf, size_t len, struct rhook_region_meta *out,
					  char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif /* RHOOK_ACTION_H */
