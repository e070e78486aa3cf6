/*
 * json.h - internal JSON helpers shared by the action list and metadata
 * codecs (jansson).
 */
#ifndef RHOOK_MODEL_JSON_H
#define RHOOK_MODEL_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <rhook/types.h>

/* Where a decode failed: the dotted path of the field and the reason. */
struct rhook__jerr {
	char *buf;
	size_t size;
};

/*
 * Decoders take the path of the value they read ("actions[2].edit") and
 * return 0, or -EINVAL after writing "<path>.<field>: <reason>" to @e.
 */
/* Builds a field path ("actions[2].edit") into @buf, truncating if needed. */
#define RHOOK__JPATH_MAX 512
__attribute__((format(printf, 2, 3))) void rhook__jpath(char buf[RHOOK__JPATH_MAX], const char *fmt, ...);

int rhook__jfail(struct rhook__jerr *e, const char *path, const char *field, const char *reason);
/* rhook__jfail() with a printf-formatted reason. */
__attribute__((format(printf, 4, 5))) int rhook__jfailf(struct rhook__jerr *e, const char *path, const char *field,
							 const char *fmt, ...);

/* u64 as an integer, or as a decimal string above INT64_MAX (exact round trip). */
json_t *rhook__json_u64(uint64_t v);
int rhook__jget_u64(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
		    bool required, bool *present, uint64_t *out);
int rhook__jget_i64(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
		    bool required, bool *present, int64_t *out);
int rhook__jget_bool(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key, bool *out);
/* *out is a malloc'ed copy, or NULL when absent (or null) and !required. */
int rhook__jget_str(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
		    bool required, char **out);
/* Index of the name in @names[0..n) that the string field @key holds. */
int rhook__jget_enum(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
		     const char *(*name_of)(int), int n, int *out);
/* Rejects keys of @obj not in the NULL-terminated @known list. */
int rhook__jcheck_keys(struct rhook__jerr *e, const json_t *obj, const char *path, const char *const *known);

json_t *rhook__file_meta_to_json(const struct rhook_file_meta *fm);
int rhook__file_meta_from_json(struct rhook__jerr *e, const json_t *j, const char *path, struct rhook_file_meta *out);
json_t *rhook__region_meta_to_json_obj(const struct rhook_region_meta *rm);
int rhook__region_meta_from_json_obj(struct rhook__jerr *e, const json_t *j, const char *path,
				     struct rhook_region_meta *out);

/* Serializes @root (stolen) compactly; 0 or -ENOMEM. */
int rhook__json_dump(json_t *root, char **out, size_t *len);
/* Parses @buf; 0, or -EINVAL with the parser's line and column in @e. */
int rhook__json_load(struct rhook__jerr *e, const char *buf, size_t len, json_t **out);

#endif /* RHOOK_MODEL_JSON_H */
