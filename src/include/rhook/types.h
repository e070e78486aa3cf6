/*
 * rhook/types.h - the data model an engine hands to rhook (contract §4).
 *
 * Plain data: the engine fills these structures, hooks read them.  Every
 * structure that owns heap memory has a _copy / _clear pair; a _clear'ed
 * structure is zeroed and may be reused.  Pointers inside a structure
 * passed to a callback are valid only for the duration of the callback.
 */
#ifndef RHOOK_TYPES_H
#define RHOOK_TYPES_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rhook/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Region id: table id (u32) << 32 | region number (u32), where the region
 * number is group (high 8 bits) | sequence (low 24 bits).
 */
typedef uint64_t rhook_region_id;

#define RHOOK_REGION_SEQ_BITS 24u
#define RHOOK_REGION_SEQ_MAX  ((1u << RHOOK_REGION_SEQ_BITS) - 1u)
#define RHOOK_REGION_GROUP_MAX 255u

static inline rhook_region_id rhook_region_id_make(uint32_t table_id, uint32_t region_number)
{
	return ((uint64_t)table_id << 32) | region_number;
}

/*
 * The id of region @seq of group @group of table @table_id, into *out:
 * 0, or -EINVAL (nothing stored) if @group > RHOOK_REGION_GROUP_MAX or
 * @seq > RHOOK_REGION_SEQ_MAX: either would silently name another region.
 */
static inline RHOOK_MUST_USE int rhook_region_id_make_group(uint32_t table_id, uint32_t group, uint32_t seq,
							    rhook_region_id *out)
{
	if (group > RHOOK_REGION_GROUP_MAX || seq > RHOOK_REGION_SEQ_MAX)
		return -EINVAL;
	*out = rhook_region_id_make(table_id, (group << RHOOK_REGION_SEQ_BITS) | seq);
	return 0;
}

static inline uint32_t rhook_region_table_id(rhook_region_id id)
{
	return (uint32_t)(id >> 32);
}

static inline uint32_t rhook_region_number(rhook_region_id id)
{
	return (uint32_t)id;
}

static inline uint8_t rhook_region_group(rhook_region_id id)
{
	return (uint8_t)(rhook_region_number(id) >> RHOOK_REGION_SEQ_BITS);
}

static inline uint32_t rhook_region_seq(rhook_region_id id)
{
	return rhook_region_number(id) & RHOOK_REGION_SEQ_MAX;
}

/* "u64(table, number)" plus NUL: 20 + 2 + 10 + 2 + 10 + 1 + 1. */
#define RHOOK_REGION_ID_STRLEN 48

/* Formats @id as "u64(table, number)"; returns @buf. */
RHOOK_API char *rhook_region_id_format(rhook_region_id id, char buf[RHOOK_REGION_ID_STRLEN]);

/* File id: a UUID, in binary (RFC 4122 byte order). */
typedef struct rhook_file_id {
	uint8_t bytes[16];
} rhook_file_id;

#define RHOOK_FILE_ID_STRLEN 37 /* 36 characters plus NUL */

/* A new random (version 4) file id. */
RHOOK_API rhook_file_id rhook_file_id_generate(void);
RHOOK_API void rhook_file_id_format(const rhook_file_id *id, char buf[RHOOK_FILE_ID_STRLEN]);
/* 0, or -EINVAL when @str is not a canonical 36-character UUID. */
RHOOK_API int rhook_file_id_parse(const char *str, rhook_file_id *out);
RHOOK_API bool rhook_file_id_equal(const rhook_file_id *a, const rhook_file_id *b);

/* Time units: X(NAME, value, "label"), for the enum, rhook_time_unit_name() and the trace. */
#define RHOOK_TIME_UNITS(X) X(SECOND, 0, "s") X(MILLISECOND, 1, "ms") X(MICROSECOND, 2, "us") X(NANOSECOND, 3, "ns")

#define RHOOK__TIME_UNIT_ENUMERATOR(NAME, value, label) RHOOK_TIME_UNIT_##NAME = value,
enum rhook_time_unit { RHOOK_TIME_UNITS(RHOOK__TIME_UNIT_ENUMERATOR) };
#undef RHOOK__TIME_UNIT_ENUMERATOR

/* Inclusive on both ends. */
struct rhook_time_range {
	int64_t start;
	int64_t end;
	enum rhook_time_unit unit;
};

/* Index kinds, as a bit set in rhook_file_meta.available_indexes. */
enum rhook_index_kind {
	RHOOK_INDEX_INVERTED = 1u << 0,
	RHOOK_INDEX_FULLTEXT = 1u << 1,
	RHOOK_INDEX_BLOOM = 1u << 2,
};
#define RHOOK_INDEX_ALL (RHOOK_INDEX_INVERTED | RHOOK_INDEX_FULLTEXT | RHOOK_INDEX_BLOOM)

#define RHOOK_MAX_LEVEL 2

/* Variable-length byte string owned by its container (primary key bounds). */
struct rhook_bytes {
	uint8_t *data;
	size_t len;
};

/* Metadata of one SST file as the manifest records it. */
struct rhook_file_meta {
	rhook_region_id region_id;
	rhook_file_id file_id;
	struct rhook_time_range time_range;
	uint8_t level; /* 0..RHOOK_MAX_LEVEL */
	uint64_t file_size;
	uint64_t max_row_group_uncompressed_size;
	uint32_t available_indexes; /* enum rhook_index_kind bits */
	uint64_t index_file_size;
	uint64_t index_version;
	uint64_t num_rows;
	uint64_t num_row_groups;
	uint64_t num_series;
	bool has_sequence;
	uint64_t sequence;           /* 0 when !has_sequence */
	char *partition_expr;        /* NULL: none; UTF-8 */
	struct rhook_bytes pk_min;   /* data == NULL: absent (len 0) */
	struct rhook_bytes pk_max;
};
/* What a manifest may hold of these fields: the rule in rhook/action.h. */

RHOOK_API int rhook_file_meta_copy(struct rhook_file_meta *dst, const struct rhook_file_meta *src);
RHOOK_API void rhook_file_meta_clear(struct rhook_file_meta *fm);

/* What the index writer produced for one SST. */
struct rhook_index_output {
	uint64_t file_size;
	uint64_t version;
	uint64_t inverted_size;
	uint64_t fulltext_size;
	uint64_t bloom_size;
};

/* What the SST writer returns for one file. */
struct rhook_sst_info {
	rhook_file_id file_id;
	struct rhook_time_range time_range;
	uint64_t file_size;
	uint64_t num_rows;
	uint64_t num_row_groups;
	uint64_t num_series;
	uint64_t max_row_group_uncompressed_size;
	struct rhook_index_output index;
};

/* One written file: the writer's info paired with the file's metadata. */
struct rhook_sst_file {
	const struct rhook_sst_info *sst_info;
	const struct rhook_file_meta *file_meta;
};

enum rhook_column_type {
	RHOOK_COLUMN_INT64 = 0,
	RHOOK_COLUMN_UINT64 = 1,
	RHOOK_COLUMN_FLOAT64 = 2,
	RHOOK_COLUMN_STRING = 3,
	RHOOK_COLUMN_BINARY = 4,
	RHOOK_COLUMN_TIMESTAMP = 5,
	RHOOK_COLUMN_BOOL = 6,
};

enum rhook_semantic {
	RHOOK_SEMANTIC_TAG = 0,
	RHOOK_SEMANTIC_FIELD = 1,
	RHOOK_SEMANTIC_TIMESTAMP = 2,
};

struct rhook_column {
	uint32_t column_id;
	char *name;
	enum rhook_column_type type;
	enum rhook_semantic semantic;
	bool nullable;
};

enum rhook_sst_format {
	RHOOK_SST_FORMAT_PRIMARY_KEY = 0,
	RHOOK_SST_FORMAT_FLAT = 1,
};

/* Schema and options of a region. */
struct rhook_region_meta {
	rhook_region_id region_id;
	uint64_t schema_version;
	struct rhook_column *columns;
	size_t num_columns;
	uint32_t *primary_key;       /* column ids, in key order */
	size_t num_primary_key;
	char *partition_expr;        /* NULL: none */
	enum rhook_sst_format sst_format;
	bool append_mode;
};

RHOOK_API int rhook_region_meta_copy(struct rhook_region_meta *dst, const struct rhook_region_meta *src);
RHOOK_API void rhook_region_meta_clear(struct rhook_region_meta *rm);

/* Names used by the JSON encoding and by the trace readers. */
RHOOK_API const char *rhook_time_unit_name(enum rhook_time_unit unit);
RHOOK_API const char *rhook_column_type_name(enum rhook_column_type type);
RHOOK_API const char *rhook_semantic_name(enum rhook_semantic semantic);
RHOOK_API const char *rhook_sst_format_name(enum rhook_sst_format format);

#ifdef __cplusplus
}
#endif

#endif /* RHOOK_TYPES_H */
