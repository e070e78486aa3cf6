/*
 * reader_schema.c - rhook-read's schema tables against src/wire/events.h
 * and the public names, its number formatting, and its printers.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <rhook/manifest.h>

#include "print.h"
#include "reader/out.h"
#include "reader/schema.h"

/* Every event of events.h has a descriptor of the payload's size, found by id and by name. */
static void test_events(void **state)
{
	(void)state;
#define CHECK_EVENT(num, ev, FIELDS)                                                          \
	do {                                                                                    \
		const struct rdr_event_desc *d = rdr_schema_event(num);                   \
		assert_non_null(d);                                                             \
		assert_int_equal(d->id, num);                                                   \
		assert_string_equal(d->name, #ev);                                            \
		assert_string_equal(d->full_name, "rhook:" #ev);                              \
		assert_int_equal(d->payload_size, sizeof(struct rhw_ev_##ev));             \
		assert_ptr_equal(rdr_schema_event_by_name(#ev), d);                        \
		assert_ptr_equal(rdr_schema_event_by_name("rhook:" #ev), d);               \
		assert_int_equal(d->num_lists, RHW_EV_NUM_LISTS(FIELDS));                     \
	} while (0);
	RHW_EVENTS(CHECK_EVENT)
#undef CHECK_EVENT
	assert_null(rdr_schema_event(0));
	assert_null(rdr_schema_event(RHW_EV_MAX_ID + 1));
	assert_null(rdr_schema_event_by_name("rhook:nope"));
}

/*
 * Fields are in payload order, inside the payload, and every payload
 * starts with the region id (stats and check read it there).
 */
static void test_fields(void **state)
{
	(void)state;
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		const struct rdr_event_desc *d = rdr_schema_event(id);
		unsigned end = 0;

		assert_true(d->num_fields > 0);
		assert_string_equal(d->fields[0].name, "region_id");
		assert_int_equal(d->fields[0].offset, 0);
		assert_int_equal(d->fields[0].kind, RDR_FK_U64);
		for (uint32_t i = 0; i < d->num_fields; i++) {
			const struct rdr_field *f = &d->fields[i];

			assert_true(f->offset >= end);
			end = f->offset + rdr_fkind_size(f->kind);
			assert_true(end <= d->payload_size);
			assert_int_equal(f->labels != NULL, f->kind == RDR_FK_E8 || f->kind == RDR_FK_E32);
			assert_ptr_equal(rdr_schema_field(d, f->name), f);
		}
	}
	assert_int_equal(rdr_schema_field(rdr_schema_event(RHW_EV_manifest_commit), "version")->offset,
			 offsetof(struct rhw_ev_manifest_commit, version));
	assert_int_equal(rdr_schema_field(rdr_schema_event(RHW_EV_sst_file_written), "file_id")->kind,
			 RDR_FK_UUID);
}

/* The label tables are the ones the library names its enumerations with. */
static void test_labels(void **state)
{
	const struct rdr_labels *cause =
		rdr_schema_field(rdr_schema_event(RHW_EV_manifest_commit), "cause")->labels;
	const struct rdr_labels *origin =
		rdr_schema_field(rdr_schema_event(RHW_EV_sst_file_written), "origin")->labels;

	(void)state;
	assert_int_equal(cause->count, RHOOK_CAUSE_COUNT);
	for (unsigned c = 0; c < RHOOK_CAUSE_COUNT; c++)
		assert_string_equal(rdr_label(cause, c), rhook_cause_name((enum rhook_cause)c));
	assert_null(rdr_label(cause, RHOOK_CAUSE_COUNT));
	for (unsigned o = 0; o < origin->count; o++)
		assert_string_equal(rdr_label(origin, o), rhook_origin_name((enum rhook_origin)o));
	/* Causes 0..2 are the origins: stats files SSTs under the cause of their origin. */
	for (unsigned o = 0; o < origin->count; o++)
		assert_string_equal(rdr_label(origin, o), rdr_label(cause, o));
	assert_string_equal(
		rdr_label(rdr_schema_field(rdr_schema_event(RHW_EV_manifest_updated), "action_kinds")->labels,
			     RHOOK_ACTION_CHANGE | RHOOK_ACTION_EDIT),
		"change+edit");
}

/* Each action-kind set is labelled with the names of its kinds, joined by '+' ("none" for the empty set). */
static void test_action_kind_labels(void **state)
{
	const struct rdr_labels *l =
		rdr_schema_field(rdr_schema_event(RHW_EV_manifest_updated), "action_kinds")->labels;

	(void)state;
	assert_int_equal(l->count, RHOOK_ACTION_KIND_ALL + 1);
	for (unsigned set = 0; set <= RHOOK_ACTION_KIND_ALL; set++) {
		char want[128] = "";

		for (unsigned bit = 1; bit <= RHOOK_ACTION_KIND_ALL; bit <<= 1)
			if (set & bit) {
				if (want[0])
					strcat(want, "+");
				strcat(want, rhook_action_kind_name((enum rhook_action_kind)bit));
			}
		assert_string_equal(rdr_label(l, set), set ? want : "none");
	}
}

/* Writing then reading each integer field gives the value back, signed ones sign-extended. */
static void test_field_access(void **state)
{
	struct rhw_ev_compaction_end ev;
	const struct rdr_event_desc *d = rdr_schema_event(RHW_EV_compaction_end);

	(void)state;
	memset(&ev, 0, sizeof(ev));
	for (uint32_t i = 0; i < d->num_fields; i++)
		rdr_field_set(&d->fields[i], &ev, 0x0102030405060708ull + i);
	assert_int_equal(ev.region_id, 0x0102030405060708ull);
	assert_int_equal(ev.output_files, 0x05060708u + 5);
	rdr_field_set(rdr_schema_field(d, "status"), &ev, (uint64_t)-5);
	assert_int_equal(ev.status, -5);
	assert_int_equal((int64_t)rdr_field_u64(rdr_schema_field(d, "status"), &ev), -5);
	assert_int_equal(rdr_field_u64(rdr_schema_field(d, "mode"), &ev), 0x08 + 7);
	for (unsigned i = 0; i < sizeof(ev.pad0); i++)
		assert_int_equal(ev.pad0[i], 0);
}

static void test_format(void **state)
{
	static const uint64_t u[] = { 0, 9, 10, 99, 100, 12345, 4294967296ull, UINT64_MAX };
	static const int64_t s[] = { 0, -1, 42, INT64_MIN, INT64_MAX };
	static const uint8_t id[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
					0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	char got[64], want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		got[rdr_fmt_u64(got, u[i])] = '\0';
		snprintf(want, sizeof(want), "%" PRIu64, u[i]);
		assert_string_equal(got, want);
	}
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		got[rdr_fmt_i64(got, s[i])] = '\0';
		snprintf(want, sizeof(want), "%" PRId64, s[i]);
		assert_string_equal(got, want);
	}
	rdr_fmt_uuid(got, id);
	got[36] = '\0';
	assert_string_equal(got, "00112233-4455-6677-8899-aabbccddeeff");
	got[rdr_fmt_ts(got, 1700000000000000001ull)] = '\0';
	assert_string_equal(got, "1700000000.000000001");
	got[rdr_fmt_ts(got, 999999999ull)] = '\0';
	assert_string_equal(got, "0.999999999");
}

/* The text of what out has buffered (fd -1: never written anywhere). */
static const char *buffered(struct rdr_out *o)
{
	rdr_out_reserve(o);
	o->buf[o->len] = '\0';
	return o->buf;
}

static void test_print(void **state)
{
	struct rdr_proc proc = { .host = "h1", .pid = 7 };
	struct rhw_ev_manifest_updated mu = {
		.region_id = 4294967297ull, .version = 3, .flushed_entry_id = 9, .flushed_sequence = 90,
		.action_kinds = RHOOK_ACTION_EDIT, .num_actions = 1, .num_files_added = 2, .cause = 0,
	};
	uint8_t ids[32];
	struct rdr_event ev = { .ts = 1700000000000000042ull, .proc = &proc, .payload = &mu, .ids = ids,
				      .tid = 8, .id = RHW_EV_manifest_updated, .num_ids = 2, .list_len = { 2, 0 } };
	struct rdr_out o;

	(void)state;
	for (int i = 0; i < 32; i++)
		ids[i] = (uint8_t)i;
	assert_int_equal(rdr_out_init(&o, -1), 0);
	rdr_print_event(&o, &ev, false);
	assert_string_equal(buffered(&o),
			    "[1700000000.000000042] h1 rhook:manifest_updated: { pid = 7, tid = 8 }, { region_id = "
			    "4294967297, version = 3, flushed_entry_id = 9, flushed_sequence = 90, action_kinds = edit, "
			    "num_actions = 1, num_files_added = 2, num_files_removed = 0, cause = flush, files_added = "
			    "\"00010203-0405-0607-0809-0a0b0c0d0e0f,10111213-1415-1617-1819-1a1b1c1d1e1f\", "
			    "files_removed = \"-\" }\n");
	o.len = 0;
	rdr_print_event(&o, &ev, true);
	assert_string_equal(buffered(&o),
			    "{\"ts\":1700000000000000042,\"host\":\"h1\",\"pid\":7,\"tid\":8,\"event\":\"rhook:manifest_"
			    "updated\",\"region_id\":4294967297,\"version\":3,\"flushed_entry_id\":9,\"flushed_sequence\":"
			    "90,\"action_kinds\":\"edit\",\"num_actions\":1,\"num_files_added\":2,\"num_files_removed\":0,"
			    "\"cause\":\"flush\",\"files_added\":[\"00010203-0405-0607-0809-0a0b0c0d0e0f\",\"10111213-"
			    "1415-1617-1819-1a1b1c1d1e1f\"],\"files_removed\":[]}\n");
	/* A value outside its enumeration prints as a number. */
	mu.cause = 200;
	o.len = 0;
	rdr_print_event(&o, &ev, false);
	assert_non_null(strstr(buffered(&o), "cause = 200,"));
	rdr_out_close(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),       cmocka_unit_test(test_fields), cmocka_unit_test(test_labels),
		cmocka_unit_test(test_action_kind_labels),
		cmocka_unit_test(test_field_access), cmocka_unit_test(test_format), cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
