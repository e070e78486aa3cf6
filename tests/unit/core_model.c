/*
 * core_model.c - the data model: ids, metadata copies, action lists and
 * their JSON encoding (contract §4).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rhook/action.h>

static void test_region_id(void **state)
{
	char buf[RHOOK_REGION_ID_STRLEN];
	rhook_region_id id = 0, kept;

	(void)state;
	assert_int_equal(rhook_region_id_make_group(1024, 3, 0x123456, &id), 0);
	assert_int_equal(rhook_region_table_id(id), 1024);
	assert_int_equal(rhook_region_group(id), 3);
	assert_int_equal(rhook_region_seq(id), 0x123456);
	assert_int_equal(rhook_region_number(id), (3u << 24) | 0x123456);
	assert_string_equal(rhook_region_id_format(rhook_region_id_make(1024, 7), buf), "4398046511111(1024, 7)");
	assert_string_equal(rhook_region_id_format(rhook_region_id_make(UINT32_MAX, UINT32_MAX), buf),
			    "18446744073709551615(4294967295, 4294967295)");
	/* The bounds are valid; one past either would name another region: refused, nothing stored. */
	assert_int_equal(rhook_region_id_make_group(1, RHOOK_REGION_GROUP_MAX, RHOOK_REGION_SEQ_MAX, &id), 0);
	assert_int_equal(rhook_region_group(id), 255);
	assert_int_equal(rhook_region_seq(id), RHOOK_REGION_SEQ_MAX);
	kept = id;
	assert_int_equal(rhook_region_id_make_group(1, 0, RHOOK_REGION_SEQ_MAX + 1, &id), -EINVAL);
	assert_int_equal(rhook_region_id_make_group(1, 0, UINT32_MAX, &id), -EINVAL);
	assert_int_equal(rhook_region_id_make_group(1, RHOOK_REGION_GROUP_MAX + 1, 0, &id), -EINVAL);
	assert_int_equal(rhook_region_id_make_group(1, UINT32_MAX, 0, &id), -EINVAL);
	assert_true(id == kept);
}

static void test_file_id(void **state)
{
	rhook_file_id a = rhook_file_id_generate(), b = rhook_file_id_generate(), c;
	char s[RHOOK_FILE_ID_STRLEN];

	(void)state;
	assert_false(rhook_file_id_equal(&a, &b));
	rhook_file_id_format(&a, s);
	assert_int_equal(strlen(s), 36);
	assert_int_equal(rhook_file_id_parse(s, &c), 0);
	assert_true(rhook_file_id_equal(&a, &c));
	assert_int_equal(rhook_file_id_parse("not-a-uuid", &c), -EINVAL);
	assert_int_equal(rhook_file_id_parse("0c4bdda0-0246-471b-a36a-5fdd872d432bX", &c), -EINVAL);
	assert_int_equal(rhook_file_id_parse(NULL, &c), -EINVAL);
}

static struct rhook_file_meta make_file(uint8_t level, uint64_t rows)
{
	static uint8_t pk_lo[] = { 0x00, 0x01 }, pk_hi[] = { 0xfe, 0xff, 0x10 };
	struct rhook_file_meta fm = {
		.region_id = rhook_region_id_make(7, 1),
		.file_id = rhook_file_id_generate(),
		.time_range = { -5, 1000, RHOOK_TIME_UNIT_MILLISECOND },
		.level = level,
		.file_size = 4096 * rows,
		.max_row_group_uncompressed_size = 1u << 20,
		.available_indexes = RHOOK_INDEX_INVERTED | RHOOK_INDEX_BLOOM,
		.index_file_size = 512,
		.index_version = 2,
		.num_rows = rows,
		.num_row_groups = 3,
		.num_series = 9,
		.has_sequence = true,
		.sequence = UINT64_MAX - 1, /* above INT64_MAX: encoded as a string */
		.partition_expr = "host = 'a'",
		.pk_min = { pk_lo, sizeof(pk_lo) },
		.pk_max = { pk_hi, sizeof(pk_hi) },
	};

	return fm;
}

static struct rhook_region_meta make_region_meta(void)
{
	static struct rhook_column cols[] = {
		{ 0, "host", RHOOK_COLUMN_STRING, RHOOK_SEMANTIC_TAG, false },
		{ 1, "cpu", RHOOK_COLUMN_FLOAT64, RHOOK_SEMANTIC_FIELD, true },
		{ 2, "ts", RHOOK_COLUMN_TIMESTAMP, RHOOK_SEMANTIC_TIMESTAMP, false },
	};
	static uint32_t pk[] = { 0 };
	struct rhook_region_meta rm = {
		.region_id = rhook_region_id_make(7, 1),
		.schema_version = 4,
		.columns = cols,
		.num_columns = 3,
		.primary_key = pk,
		.num_primary_key = 1,
		.partition_expr = NULL,
		.sst_format = RHOOK_SST_FORMAT_FLAT,
		.append_mode = true,
	};

	return rm;
}

/* One action of every kind, with optional fields present and absent. */
static struct rhook_action_list *make_list(void)
{
	struct rhook_action_list *l = rhook_action_list_new();
	struct rhook_file_meta add[2] = { make_file(0, 10), make_file(1, 20) }, rm = make_file(1, 5);
	struct rhook_action_change ch = { make_region_meta(), RHOOK_SST_FORMAT_PRIMARY_KEY, false };
	struct rhook_action_edit ed = {
		.files_to_add = add,
		.num_files_to_add = 2,
		.files_to_remove = &rm,
		.num_files_to_remove = 1,
		.timestamp_ms = 1700000000000,
		.has_compaction_time_window = true,
		.compaction_time_window_s = 3600,
		.has_flushed_entry_id = true,
		.flushed_entry_id = 42,
		.has_flushed_sequence = true,
		.flushed_sequence = 4242,
	};
	struct rhook_action_truncate all = { .kind = RHOOK_TRUNCATE_ALL, .truncated_entry_id = 9, .truncated_sequence = 99 };
	struct rhook_action_truncate some = { .kind = RHOOK_TRUNCATE_FILES, .files = add, .num_files = 1 };

	assert_non_null(l);
	add[1].partition_expr = NULL;
	add[1].pk_min = (struct rhook_bytes){ 0 };
	add[1].has_sequence = false;
	add[1].sequence = 0; /* absent holds 0 (the rule of rhook/action.h) */
	assert_int_equal(rhook_action_list_add_change(l, &ch), 0);
	assert_int_equal(rhook_action_list_add_partition_expr_change(l, "a > 1"), 0);
	assert_int_equal(rhook_action_list_add_partition_expr_change(l, NULL), 0);
	assert_int_equal(rhook_action_list_add_edit(l, &ed), 0);
	assert_int_equal(rhook_action_list_add_remove(l, rhook_region_id_make(7, 2)), 0);
	assert_int_equal(rhook_action_list_add_truncate(l, &all), 0);
	assert_int_equal(rhook_action_list_add_truncate(l, &some), 0);
	return l;
}

static void assert_file_equal(const struct rhook_file_meta *a, const struct rhook_file_meta *b)
{
	assert_int_equal(a->region_id, b->region_id);
	assert_true(rhook_file_id_equal(&a->file_id, &b->file_id));
	assert_int_equal(a->time_range.start, b->time_range.start);
	assert_int_equal(a->time_range.end, b->time_range.end);
	assert_int_equal(a->time_range.unit, b->time_range.unit);
	assert_int_equal(a->level, b->level);
	assert_int_equal(a->file_size, b->file_size);
	assert_int_equal(a->max_row_group_uncompressed_size, b->max_row_group_uncompressed_size);
	assert_int_equal(a->available_indexes, b->available_indexes);
	assert_int_equal(a->index_file_size, b->index_file_size);
	assert_int_equal(a->index_version, b->index_version);
	assert_int_equal(a->num_rows, b->num_rows);
	assert_int_equal(a->num_row_groups, b->num_row_groups);
	assert_int_equal(a->num_series, b->num_series);
	assert_int_equal(a->has_sequence, b->has_sequence);
	if (a->has_sequence)
		assert_int_equal(a->sequence, b->sequence);
	if (a->partition_expr || b->partition_expr)
		assert_string_equal(a->partition_expr, b->partition_expr);
	assert_int_equal(a->pk_min.data != NULL, b->pk_min.data != NULL);
	assert_int_equal(a->pk_min.len, b->pk_min.len);
	if (a->pk_min.len)
		assert_memory_equal(a->pk_min.data, b->pk_min.data, a->pk_min.len);
	assert_int_equal(a->pk_max.len, b->pk_max.len);
	if (a->pk_max.len)
		assert_memory_equal(a->pk_max.data, b->pk_max.data, a->pk_max.len);
}

static void assert_list_equal(const struct rhook_action_list *a, const struct rhook_action_list *b)
{
	assert_int_equal(a->num_actions, b->num_actions);
	for (size_t i = 0; i < a->num_actions; i++) {
		const struct rhook_action *x = &a->actions[i], *y = &b->actions[i];

		assert_int_equal(x->kind, y->kind);
		switch (x->kind) {
		case RHOOK_ACTION_CHANGE: {
			const struct rhook_region_meta *m = &x->u.change.metadata, *n = &y->u.change.metadata;

			assert_int_equal(x->u.change.sst_format, y->u.change.sst_format);
			assert_int_equal(x->u.change.append_mode, y->u.change.append_mode);
			assert_int_equal(m->region_id, n->region_id);
			assert_int_equal(m->schema_version, n->schema_version);
			assert_int_equal(m->num_columns, n->num_columns);
			for (size_t c = 0; c < m->num_columns; c++) {
				assert_string_equal(m->columns[c].name, n->columns[c].name);
				assert_int_equal(m->columns[c].column_id, n->columns[c].column_id);
				assert_int_equal(m->columns[c].type, n->columns[c].type);
				assert_int_equal(m->columns[c].semantic, n->columns[c].semantic);
				assert_int_equal(m->columns[c].nullable, n->columns[c].nullable);
			}
			assert_int_equal(m->num_primary_key, n->num_primary_key);
			assert_memory_equal(m->primary_key, n->primary_key, m->num_primary_key * sizeof(uint32_t));
			assert_int_equal(m->sst_format, n->sst_format);
			assert_int_equal(m->append_mode, n->append_mode);
			break;
		}
		case RHOOK_ACTION_PARTITION_EXPR_CHANGE:
			if (x->u.partition_expr_change.partition_expr || y->u.partition_expr_change.partition_expr)
				assert_string_equal(x->u.partition_expr_change.partition_expr,
						    y->u.partition_expr_change.partition_expr);
			break;
		case RHOOK_ACTION_EDIT: {
			const struct rhook_action_edit *e = &x->u.edit, *f = &y->u.edit;

			assert_int_equal(e->num_files_to_add, f->num_files_to_add);
			for (size_t k = 0; k < e->num_files_to_add; k++)
				assert_file_equal(&e->files_to_add[k], &f->files_to_add[k]);
			assert_int_equal(e->num_files_to_remove, f->num_files_to_remove);
			for (size_t k = 0; k < e->num_files_to_remove; k++)
				assert_file_equal(&e->files_to_remove[k], &f->files_to_remove[k]);
			assert_int_equal(e->timestamp_ms, f->timestamp_ms);
			assert_int_equal(e->has_compaction_time_window, f->has_compaction_time_window);
			assert_int_equal(e->compaction_time_window_s, f->compaction_time_window_s);
			assert_int_equal(e->has_flushed_entry_id, f->has_flushed_entry_id);
			assert_int_equal(e->flushed_entry_id, f->flushed_entry_id);
			assert_int_equal(e->has_flushed_sequence, f->has_flushed_sequence);
			assert_int_equal(e->flushed_sequence, f->flushed_sequence);
			assert_int_equal(e->has_committed_sequence, f->has_committed_sequence);
			break;
		}
		case RHOOK_ACTION_REMOVE:
			assert_int_equal(x->u.remove.region_id, y->u.remove.region_id);
			break;
		case RHOOK_ACTION_TRUNCATE:
			assert_int_equal(x->u.truncate.kind, y->u.truncate.kind);
			assert_int_equal(x->u.truncate.truncated_entry_id, y->u.truncate.truncated_entry_id);
			assert_int_equal(x->u.truncate.truncated_sequence, y->u.truncate.truncated_sequence);
			assert_int_equal(x->u.truncate.num_files, y->u.truncate.num_files);
			for (size_t k = 0; k < x->u.truncate.num_files; k++)
				assert_file_equal(&x->u.truncate.files[k], &y->u.truncate.files[k]);
			break;
		}
	}
}

static void test_copy_and_kinds(void **state)
{
	struct rhook_action_list *l = make_list(), *c = NULL;

	(void)state;
	assert_int_equal(rhook_action_list_kinds(l), RHOOK_ACTION_KIND_ALL);
	assert_int_equal(rhook_action_list_copy(l, &c), 0);
	assert_list_equal(l, c);
	/* A deep copy: the original's strings are not shared. */
	assert_ptr_not_equal(l->actions[3].u.edit.files_to_add[0].partition_expr,
			     c->actions[3].u.edit.files_to_add[0].partition_expr);
	assert_int_equal(rhook_action_list_extend(c, l), 0);
	assert_int_equal(c->num_actions, 2 * l->num_actions);
	assert_int_equal(c->actions[l->num_actions].kind, RHOOK_ACTION_CHANGE);
	rhook_action_list_free(c);
	rhook_action_list_free(l);
}

static void test_add_rejects_bad_input(void **state)
{
	struct rhook_action_list *l = rhook_action_list_new();
	struct rhook_action_edit bad_edit = { .num_files_to_add = 2, .files_to_add = NULL };
	struct rhook_action_truncate bad_trunc = { .kind = 7 };

	(void)state;
	assert_int_equal(rhook_action_list_add_edit(l, &bad_edit), -EINVAL);
	assert_int_equal(rhook_action_list_add_edit(l, NULL), -EINVAL);
	assert_int_equal(rhook_action_list_add_truncate(l, &bad_trunc), -EINVAL);
	assert_int_equal(rhook_action_list_add_change(NULL, NULL), -EINVAL);
	assert_int_equal(l->num_actions, 0);
	rhook_action_list_free(l);
}

static void test_json_round_trip(void **state)
{
	struct rhook_action_list *l = make_list(), *d = NULL;
	struct rhook_region_meta rm = make_region_meta(), rm2;
	char err[256] = "", *json, *json2;
	size_t len, len2;

	(void)state;
	assert_int_equal(rhook_action_list_to_json(l, &json, &len), 0);
	assert_int_equal(strlen(json), len);
	assert_int_equal(rhook_action_list_from_json(json, len, &d, err, sizeof(err)), 0);
	assert_list_equal(l, d);
	/* Encoding is a function of the content: re-encoding gives the same bytes. */
	assert_int_equal(rhook_action_list_to_json(d, &json2, &len2), 0);
	assert_string_equal(json, json2);
	assert_non_null(strstr(json, "\"sequence\":\"18446744073709551614\""));
	free(json);
	free(json2);
	rhook_action_list_free(d);
	rhook_action_list_free(l);

	assert_int_equal(rhook_region_meta_to_json(&rm, &json, &len), 0);
	assert_int_equal(rhook_region_meta_from_json(json, len, &rm2, err, sizeof(err)), 0);
	assert_int_equal(rm2.num_columns, 3);
	assert_string_equal(rm2.columns[2].name, "ts");
	assert_int_equal(rm2.columns[1].nullable, true);
	assert_int_equal(rm2.append_mode, true);
	rhook_region_meta_clear(&rm2);
	free(json);
}

/* Decoding @json must fail with -EINVAL and a message containing @where. */
static void expect_reject(const char *json, const char *where)
{
	struct rhook_action_list *d = NULL;
	char err[256] = "";
	int ret = rhook_action_list_from_json(json, strlen(json), &d, err, sizeof(err));

	if (ret != -EINVAL || !strstr(err, where))
		fail_msg("input %s: got %d \"%s\", want -EINVAL naming \"%s\"", json, ret, err, where);
	assert_null(d);
}

static void test_json_rejects(void **state)
{
	(void)state;
	expect_reject("{\"format\":1,\"actions\":[", "malformed JSON");
	expect_reject("[]", "expected an object");
	expect_reject("{\"actions\":[]}", "format: missing");
	expect_reject("{\"format\":2,\"actions\":[]}", "format: unsupported version");
	expect_reject("{\"format\":1}", "actions: missing");
	expect_reject("{\"format\":1,\"actions\":[],\"extra\":1}", "extra: unknown field");
	expect_reject("{\"format\":1,\"actions\":[{\"explode\":{}}]}", "actions[0].explode: unknown action kind");
	expect_reject("{\"format\":1,\"actions\":[{\"remove\":{}}]}", "actions[0].remove.region_id: missing");
	expect_reject("{\"format\":1,\"actions\":[{\"remove\":{\"region_id\":-1}}]}",
		      "actions[0].remove.region_id: expected an unsigned");
	expect_reject("{\"format\":1,\"actions\":[{\"edit\":{\"files_to_add\":[{}],\"files_to_remove\":[],"
		      "\"timestamp_ms\":0}}]}",
		      "actions[0].edit.files_to_add[0].region_id: missing");
	expect_reject("{\"format\":1,\"actions\":[{\"edit\":{\"files_to_add\":[{\"region_id\":1,\"file_id\":\"zz\"}],"
		      "\"files_to_remove\":[],\"timestamp_ms\":0}}]}",
		      "actions[0].edit.files_to_add[0].file_id: expected a UUID string");
	expect_reject("{\"format\":1,\"actions\":[{\"edit\":{\"files_to_add\":[],\"timestamp_ms\":0}}]}",
		      "actions[0].edit.files_to_remove: missing");
	expect_reject("{\"format\":1,\"actions\":[{\"truncate\":{\"kind\":\"some\",\"timestamp_ms\":0}}]}",
		      "actions[0].truncate.kind");
	expect_reject("{\"format\":1,\"actions\":[{\"change\":{\"metadata\":{\"region_id\":1},\"sst_format\":\"flat\","
		      "\"append_mode\":false}}]}",
		      "actions[0].change.metadata.schema_version: missing");
	expect_reject("{\"format\":1,\"actions\":[{\"remove\":{\"region_id\":1},\"edit\":{}}]}",
		      "exactly one action kind");
	expect_reject("{\"format\":1,\"format\":1,\"actions\":[]}", "malformed JSON");
}

/* Every truncation of a valid encoding is rejected, never half-decoded. */
static void test_json_truncations(void **state)
{
	struct rhook_action_list *l = make_list();
	char *json;
	size_t len;

	(void)state;
	assert_int_equal(rhook_action_list_to_json(l, &json, &len), 0);
	for (size_t n = 0; n < len; n++) {
		struct rhook_action_list *d = NULL;
		char err[256];

		assert_int_equal(rhook_action_list_from_json(json, n, &d, err, sizeof(err)), -EINVAL);
		assert_null(d);
	}
	free(json);
	rhook_action_list_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_id),
		cmocka_unit_test(test_file_id),
		cmocka_unit_test(test_copy_and_kinds),
		cmocka_unit_test(test_add_rejects_bad_input),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_rejects),
		cmocka_unit_test(test_json_truncations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
