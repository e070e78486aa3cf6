/*
 * meta.c - deep copy and release of file and region metadata; names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rhook/types.h>

#include "meta.h"

int rhook__strdup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int bytes_copy(struct rhook_bytes *dst, const struct rhook_bytes *src)
{
	dst->data = NULL;
	dst->len = 0;
	if (!src->data)
		return 0;
	/* malloc(0) may return NULL: keep "present but empty" distinct from absent. */
	dst->data = malloc(src->len ? src->len : 1);
	if (!dst->data)
		return -ENOMEM;
	memcpy(dst->data, src->data, src->len);
	dst->len = src->len;
	return 0;
}

int rhook_file_meta_copy(struct rhook_file_meta *dst, const struct rhook_file_meta *src)
{
	*dst = *src;
	dst->partition_expr = NULL;
	dst->pk_min = (struct rhook_bytes){ 0 };
	dst->pk_max = (struct rhook_bytes){ 0 };
	if (rhook__strdup_opt(&dst->partition_expr, src->partition_expr) ||
	    bytes_copy(&dst->pk_min, &src->pk_min) || bytes_copy(&dst->pk_max, &src->pk_max)) {
		rhook_file_meta_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

void rhook_file_meta_clear(struct rhook_file_meta *fm)
{
	free(fm->partition_expr);
	free(fm->pk_min.data);
	free(fm->pk_max.data);
	memset(fm, 0, sizeof(*fm));
}

int rhook__file_meta_array_copy(struct rhook_file_meta **dst, const struct rhook_file_meta *src, size_t n)
{
	*dst = NULL;
	if (n == 0)
		return 0;
	*dst = calloc(n, sizeof(**dst));
	if (!*dst)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (rhook_file_meta_copy(&(*dst)[i], &src[i])) {
			rhook__file_meta_array_free(*dst, i);
			*dst = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

void rhook__file_meta_array_free(struct rhook_file_meta *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rhook_file_meta_clear(&files[i]);
	free(files);
}

int rhook_region_meta_copy(struct rhook_region_meta *dst, const struct rhook_region_meta *src)
{
	*dst = *src;
	dst->columns = NULL;
	dst->primary_key = NULL;
	dst->partition_expr = NULL;
	dst->num_columns = 0;
	dst->num_primary_key = 0;

	if (src->num_columns) {
		dst->columns = calloc(src->num_columns, sizeof(*dst->columns));
		if (!dst->columns)
			goto fail;
		for (size_t i = 0; i < src->num_columns; i++) {
			dst->columns[i] = src->columns[i];
			dst->columns[i].name = NULL;
			dst->num_columns = i + 1;
			if (rhook__strdup_opt(&dst->columns[i].name, src->columns[i].name))
				goto fail;
		}
	}
	if (src->num_primary_key) {
		dst->primary_key = malloc(src->num_primary_key * sizeof(*dst->primary_key));
		if (!dst->primary_key)
			goto fail;
		memcpy(dst->primary_key, src->primary_key, src->num_primary_key * sizeof(*dst->primary_key));
		dst->num_primary_key = src->num_primary_key;
	}
	if (rhook__strdup_opt(&dst->partition_expr, src->partition_expr))
		goto fail;
	return 0;
fail:
	rhook_region_meta_clear(dst);
	return -ENOMEM;
}

void rhook_region_meta_clear(struct rhook_region_meta *rm)
{
	for (size_t i = 0; i < rm->num_columns; i++)
		free(rm->columns[i].name);
	free(rm->columns);
	free(rm->primary_key);
	free(rm->partition_expr);
	memset(rm, 0, sizeof(*rm));
}

const char *rhook_time_unit_name(enum rhook_time_unit unit)
{
	static const char *const names[] = {
#define RHOOK__LABEL(NAME, value, label) [value] = label,
		RHOOK_TIME_UNITS(RHOOK__LABEL)
#undef RHOOK__LABEL
	};

	return (unsigned)unit < sizeof(names) / sizeof(names[0]) ? names[unit] : NULL;
}

const char *rhook_column_type_name(enum rhook_column_type type)
{
	static const char *const names[] = { "int64", "uint64", "float64", "string", "binary", "timestamp", "bool" };

	return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

const char *rhook_semantic_name(enum rhook_semantic semantic)
{
	static const char *const names[] = { "tag", "field", "timestamp" };

	return (unsigned)semantic < sizeof(names) / sizeof(names[0]) ? names[semantic] : NULL;
}

const char *rhook_sst_format_name(enum rhook_sst_format format)
{
	static const char *const names[] = { "primary_key", "flat" };

	return (unsigned)format < sizeof(names) / sizeof(names[0]) ? names[format] : NULL;
}
