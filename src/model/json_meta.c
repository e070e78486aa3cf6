/*
 * json_meta.c - JSON encoding of file metadata and region metadata.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/action.h>

#include "json.h"
#include "validate.h"

static const char *const index_names[] = { "inverted", "fulltext", "bloom" };
#define NUM_INDEX_KINDS (sizeof(index_names) / sizeof(index_names[0]))

static json_t *hex_of(const struct rhook_bytes *b)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(b->len * 2 + 1);
	json_t *j;

	if (!s)
		return NULL;
	for (size_t i = 0; i < b->len; i++) {
		s[2 * i] = digits[b->data[i] >> 4];
		s[2 * i + 1] = digits[b->data[i] & 15];
	}
	s[b->len * 2] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

static int set_opt(json_t *obj, const char *key, json_t *v)
{
	return v ? json_object_set_new(obj, key, v) : -1;
}

json_t *rhook__file_meta_to_json(const struct rhook_file_meta *fm)
{
	char id[RHOOK_FILE_ID_STRLEN];
	json_t *idx = json_array();
	json_t *j;
	int bad = 0;

	rhook_file_id_format(&fm->file_id, id);
	for (size_t i = 0; idx && i < NUM_INDEX_KINDS; i++)
		if (fm->available_indexes & (1u << i))
			bad |= json_array_append_new(idx, json_string(index_names[i]));
	j = json_pack("{s:o, s:s, s:{s:I, s:I, s:s}, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		      "region_id", rhook__json_u64(fm->region_id), "file_id", id, "time_range", "start",
		      (json_int_t)fm->time_range.start, "end", (json_int_t)fm->time_range.end, "unit",
		      rhook_time_unit_name(fm->time_range.unit),
		      "level", (int)fm->level, "file_size", rhook__json_u64(fm->file_size),
		      "max_row_group_uncompressed_size", rhook__json_u64(fm->max_row_group_uncompressed_size),
		      "available_indexes", idx, "index_file_size", rhook__json_u64(fm->index_file_size),
		      "index_version", rhook__json_u64(fm->index_version), "num_rows",
		      rhook__json_u64(fm->num_rows), "num_row_groups", rhook__json_u64(fm->num_row_groups),
		      "num_series", rhook__json_u64(fm->num_series));
	if (!j)
		return NULL;
	if (fm->has_sequence)
		bad |= set_opt(j, "sequence", rhook__json_u64(fm->sequence));
	if (fm->partition_expr)
		bad |= set_opt(j, "partition_expr", json_string(fm->partition_expr));
	if (fm->pk_min.data)
		bad |= set_opt(j, "pk_min", hex_of(&fm->pk_min));
	if (fm->pk_max.data)
		bad |= set_opt(j, "pk_max", hex_of(&fm->pk_max));
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int get_hex(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
		   struct rhook_bytes *out)
{
	char *s;
	size_t n;
	int err = rhook__jget_str(e, obj, path, key, false, &s);

	if (err || !s)
		return err;
	n = strlen(s);
	if (n % 2) {
		free(s);
		return rhook__jfail(e, path, key, "expected an even number of hex digits");
	}
	out->data = malloc(n / 2 + 1);
	if (!out->data) {
		free(s);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(s);
			free(out->data);
			out->data = NULL;
			return rhook__jfail(e, path, key, "expected lowercase hex digits");
		}
		out->data[i] = (uint8_t)(hi << 4 | lo);
	}
	out->len = n / 2;
	free(s);
	return 0;
}

static const char *time_unit_of(int i)
{
	return rhook_time_unit_name((enum rhook_time_unit)i);
}

int rhook__file_meta_from_json(struct rhook__jerr *e, const json_t *j, const char *path, struct rhook_file_meta *out)
{
	static const char *const keys[] = { "region_id", "file_id", "time_range", "level", "file_size",
					    "max_row_group_uncompressed_size", "available_indexes",
					    "index_file_size", "index_version", "num_rows", "num_row_groups",
					    "num_series", "sequence", "partition_expr", "pk_min", "pk_max", NULL };
	static const char *const tr_keys[] = { "start", "end", "unit", NULL };
	char sub[RHOOK__JPATH_MAX];
	const json_t *v;
	uint64_t level;
	int unit, err;

	memset(out, 0, sizeof(*out));
	err = rhook__jcheck_keys(e, j, path, keys);
	if (err)
		return err;
	if ((err = rhook__jget_u64(e, j, path, "region_id", true, NULL, &out->region_id)))
		goto fail;
	v = json_object_get(j, "file_id");
	if (!json_is_string(v) || rhook_file_id_parse(json_string_value(v), &out->file_id)) {
		err = rhook__jfail(e, path, "file_id", v ? "expected a UUID string" : "missing");
		goto fail;
	}
	rhook__jpath(sub, "%s.time_range", path);
	v = json_object_get(j, "time_range");
	if (!v) {
		err = rhook__jfail(e, path, "time_range", "missing");
		goto fail;
	}
	if ((err = rhook__jcheck_keys(e, v, sub, tr_keys)) ||
	    (err = rhook__jget_i64(e, v, sub, "start", true, NULL, &out->time_range.start)) ||
	    (err = rhook__jget_i64(e, v, sub, "end", true, NULL, &out->time_range.end)) ||
	    (err = rhook__jget_enum(e, v, sub, "unit", time_unit_of, 4, &unit)))
		goto fail;
	out->time_range.unit = (enum rhook_time_unit)unit;
	/* The rule's own check before narrowing (the range checks are validate.c's, after decoding). */
	if ((err = rhook__jget_u64(e, j, path, "level", true, NULL, &level)) ||
	    (err = rhook__validate_level(e, path, level)))
		goto fail;
	out->level = (uint8_t)level;
	v = json_object_get(j, "available_indexes");
	if (!json_is_array(v)) {
		err = rhook__jfail(e, path, "available_indexes", v ? "expected an array" : "missing");
		goto fail;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		const char *name = json_string_value(json_array_get(v, i));
		size_t k;

		for (k = 0; name && k < NUM_INDEX_KINDS; k++)
			if (!strcmp(name, index_names[k]))
				break;
		if (!name || k == NUM_INDEX_KINDS) {
			err = rhook__jfail(e, path, "available_indexes", "unknown index kind");
			goto fail;
		}
		out->available_indexes |= 1u << k;
	}
	if ((err = rhook__jget_u64(e, j, path, "file_size", true, NULL, &out->file_size)) ||
	    (err = rhook__jget_u64(e, j, path, "max_row_group_uncompressed_size", true, NULL,
				   &out->max_row_group_uncompressed_size)) ||
	    (err = rhook__jget_u64(e, j, path, "index_file_size", true, NULL, &out->index_file_size)) ||
	    (err = rhook__jget_u64(e, j, path, "index_version", true, NULL, &out->index_version)) ||
	    (err = rhook__jget_u64(e, j, path, "num_rows", true, NULL, &out->num_rows)) ||
	    (err = rhook__jget_u64(e, j, path, "num_row_groups", true, NULL, &out->num_row_groups)) ||
	    (err = rhook__jget_u64(e, j, path, "num_series", true, NULL, &out->num_series)) ||
	    (err = rhook__jget_u64(e, j, path, "sequence", false, &out->has_sequence, &out->sequence)) ||
	    (err = rhook__jget_str(e, j, path, "partition_expr", false, &out->partition_expr)) ||
	    (err = get_hex(e, j, path, "pk_min", &out->pk_min)) ||
	    (err = get_hex(e, j, path, "pk_max", &out->pk_max)))
		goto fail;
	return 0;
fail:
	rhook_file_meta_clear(out);
	return err;
}

json_t *rhook__region_meta_to_json_obj(const struct rhook_region_meta *rm)
{
	json_t *cols = json_array(), *pk = json_array(), *j;
	int bad = !cols || !pk;

	for (size_t i = 0; !bad && i < rm->num_columns; i++) {
		const struct rhook_column *c = &rm->columns[i];

		bad |= json_array_append_new(cols, json_pack("{s:I, s:s, s:s, s:s, s:b}", "column_id",
							     (json_int_t)c->column_id, "name", c->name ? c->name : "",
							     "type", rhook_column_type_name(c->type),
							     "semantic", rhook_semantic_name(c->semantic),
							     "nullable", (int)c->nullable));
	}
	for (size_t i = 0; !bad && i < rm->num_primary_key; i++)
		bad |= json_array_append_new(pk, json_integer(rm->primary_key[i]));
	if (bad) {
		json_decref(cols);
		json_decref(pk);
		return NULL;
	}
	j = json_pack("{s:o, s:o, s:o, s:o, s:s, s:b}", "region_id", rhook__json_u64(rm->region_id),
		      "schema_version", rhook__json_u64(rm->schema_version), "columns", cols, "primary_key", pk,
		      "sst_format", rhook_sst_format_name(rm->sst_format), "append_mode", (int)rm->append_mode);
	if (j && rm->partition_expr && set_opt(j, "partition_expr", json_string(rm->partition_expr))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static const char *column_type_of(int i)
{
	return rhook_column_type_name((enum rhook_column_type)i);
}

static const char *semantic_of(int i)
{
	return rhook_semantic_name((enum rhook_semantic)i);
}

static const char *sst_format_of(int i)
{
	return rhook_sst_format_name((enum rhook_sst_format)i);
}

static int column_from_json(struct rhook__jerr *e, const json_t *j, const char *path, struct rhook_column *c)
{
	static const char *const keys[] = { "column_id", "name", "type", "semantic", "nullable", NULL };
	uint64_t id;
	int type, sem, err;

	if ((err = rhook__jcheck_keys(e, j, path, keys)) ||
	    (err = rhook__jget_u64(e, j, path, "column_id", true, NULL, &id)))
		return err;
	if (id > UINT32_MAX)
		return rhook__jfail(e, path, "column_id", "out of range");
	c->column_id = (uint32_t)id;
	if ((err = rhook__jget_enum(e, j, path, "type", column_type_of, 7, &type)) ||
	    (err = rhook__jget_enum(e, j, path, "semantic", semantic_of, 3, &sem)) ||
	    (err = rhook__jget_bool(e, j, path, "nullable", &c->nullable)) ||
	    (err = rhook__jget_str(e, j, path, "name", true, &c->name)))
		return err;
	c->type = (enum rhook_column_type)type;
	c->semantic = (enum rhook_semantic)sem;
	return 0;
}

int rhook__region_meta_from_json_obj(struct rhook__jerr *e, const json_t *j, const char *path,
				     struct rhook_region_meta *out)
{
	static const char *const keys[] = { "region_id", "schema_version", "columns", "primary_key",
					    "partition_expr", "sst_format", "append_mode", NULL };
	char sub[RHOOK__JPATH_MAX];
	const json_t *cols, *pk;
	int fmt, err;

	memset(out, 0, sizeof(*out));
	if ((err = rhook__jcheck_keys(e, j, path, keys)) ||
	    (err = rhook__jget_u64(e, j, path, "region_id", true, NULL, &out->region_id)) ||
	    (err = rhook__jget_u64(e, j, path, "schema_version", true, NULL, &out->schema_version)) ||
	    (err = rhook__jget_enum(e, j, path, "sst_format", sst_format_of, 2, &fmt)) ||
	    (err = rhook__jget_bool(e, j, path, "append_mode", &out->append_mode)) ||
	    (err = rhook__jget_str(e, j, path, "partition_expr", false, &out->partition_expr)))
		goto fail;
	out->sst_format = (enum rhook_sst_format)fmt;
	cols = json_object_get(j, "columns");
	pk = json_object_get(j, "primary_key");
	if (!json_is_array(cols)) {
		err = rhook__jfail(e, path, "columns", cols ? "expected an array" : "missing");
		goto fail;
	}
	if (!json_is_array(pk)) {
		err = rhook__jfail(e, path, "primary_key", pk ? "expected an array" : "missing");
		goto fail;
	}
	if (json_array_size(cols)) {
		out->columns = calloc(json_array_size(cols), sizeof(*out->columns));
		if (!out->columns) {
			err = -ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < json_array_size(cols); i++) {
		rhook__jpath(sub, "%s%scolumns[%zu]", path, *path ? "." : "", i);
		out->num_columns = i + 1;
		if ((err = column_from_json(e, json_array_get(cols, i), sub, &out->columns[i])))
			goto fail;
	}
	if (json_array_size(pk)) {
		out->primary_key = calloc(json_array_size(pk), sizeof(*out->primary_key));
		if (!out->primary_key) {
			err = -ENOMEM;
			goto fail;
		}
	}
	for (size_t i = 0; i < json_array_size(pk); i++) {
		const json_t *v = json_array_get(pk, i);

		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX) {
			rhook__jpath(sub, "primary_key[%zu]", i);
			err = rhook__jfail(e, path, sub, "expected a column id");
			goto fail;
		}
		out->primary_key[i] = (uint32_t)json_integer_value(v);
		out->num_primary_key = i + 1;
	}
	return 0;
fail:
	rhook_region_meta_clear(out);
	return err;
}

int rhook_region_meta_to_json(const struct rhook_region_meta *rm, char **out, size_t *len)
{
	int err = rhook__region_meta_check(rm);

	if (err)
		return err;
	return rhook__json_dump(rhook__region_meta_to_json_obj(rm), out, len);
}

int rhook_region_meta_from_json(const char *buf, size_t len, struct rhook_region_meta *out, char *err,
				size_t err_size)
{
	struct rhook__jerr e = { err, err_size };
	json_t *root;
	int ret = rhook__json_load(&e, buf, len, &root);

	if (ret)
		return ret;
	ret = rhook__region_meta_from_json_obj(&e, root, "", out);
	if (!ret && (ret = rhook__validate_region_meta(&e, "", out)))
		rhook_region_meta_clear(out);
	json_decref(root);
	return ret;
}
