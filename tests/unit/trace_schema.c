/*
 * trace_schema.c - the consumers generated from the event schema
 * (src/wire/events.h) agree with it, event for event and field for
 * field: the LTTng-UST provider librhook-lttng.so (its probe descriptor,
 * as liblttng-ust receives it) and rhook-read's descriptors (schema.c);
 * and rhook-read's CTF export (ctfout.c, lttshape.c), which names no
 * event or list, writes every id list of every event as babeltrace2
 * reads it back.
 *
 * This program interposes lttng_ust_probe_register() (it is exported from
 * the executable, so the provider's constructor calls it instead of
 * liblttng-ust's), loads the provider named by $RHOOK_TEST_PROVIDER and
 * walks the descriptor it was given.
 *
 * Built twice: against the schema, and (RHOOK_SCHEMA_EXTENDED) against a
 * copy of events.h with one field added to an event and one event added,
 * each a one-line change (tests/unit/CMakeLists.txt makes the copy), with
 * the provider, the reader's descriptors and its CTF export rebuilt from
 * that copy: the additions reach them without any other edit.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <lttng/ust-events.h>

#include "reader/ctfout.h"
#include "reader/out.h"
#include "reader/schema.h"
#include "rt.h"

static const struct lttng_ust_probe_desc *provider;

/* The provider's constructor registers its probe here; liblttng-ust's built-in probes are ignored. */
#define EXPORTED __attribute__((visibility("default")))

EXPORTED struct lttng_ust_registered_probe *lttng_ust_probe_register(const struct lttng_ust_probe_desc *desc);
struct lttng_ust_registered_probe *lttng_ust_probe_register(const struct lttng_ust_probe_desc *desc)
{
	static char cookie;

	if (!strcmp(desc->provider_name, "rhook"))
		provider = desc;
	return (struct lttng_ust_registered_probe *)&cookie;
}

EXPORTED void lttng_ust_probe_unregister(struct lttng_ust_registered_probe *reg);
void lttng_ust_probe_unregister(struct lttng_ust_registered_probe *reg)
{
	(void)reg;
}

static const struct lttng_ust_event_desc *provider_event(const char *name)
{
	for (unsigned i = 0; i < provider->nr_events; i++)
		if (!strcmp(provider->event_desc[i]->event_name, name))
			return provider->event_desc[i];
	return NULL;
}

static void expect_integer(const char *ev, const char *field, const struct lttng_ust_type_common *t,
			   unsigned bits, bool is_signed)
{
	const struct lttng_ust_type_integer *i = (const struct lttng_ust_type_integer *)t;

	if (t->type != lttng_ust_type_integer || i->size != bits || i->signedness != is_signed)
		fail_msg("rhook:%s.%s: LTTng type %d (%u bits, signed %u), want a %u-bit %s integer", ev, field,
			 (int)t->type, t->type == lttng_ust_type_integer ? i->size : 0,
			 t->type == lttng_ust_type_integer ? i->signedness : 0, bits, is_signed ? "signed" : "unsigned");
}

static void expect_enum(const char *ev, const struct rdr_field *f, const struct lttng_ust_type_common *t)
{
	const struct lttng_ust_type_enum *e = (const struct lttng_ust_type_enum *)t;
	char name[64];

	if (t->type != lttng_ust_type_enum)
		fail_msg("rhook:%s.%s: LTTng type %d, want an enumeration", ev, f->name, (int)t->type);
	expect_integer(ev, f->name, e->container_type, 8 * rdr_fkind_size(f->kind), false);
	snprintf(name, sizeof(name), "rhook_%s", f->labels->name);
	assert_string_equal(e->desc->name, name);
	assert_int_equal(e->desc->nr_entries, f->labels->count);
	for (unsigned v = 0; v < e->desc->nr_entries; v++) {
		const struct lttng_ust_enum_entry *x = e->desc->entries[v];

		assert_int_equal(x->start.value, v);
		assert_int_equal(x->end.value, v);
		assert_string_equal(x->string, rdr_label(f->labels, v));
	}
}

static void expect_field(const char *ev, const struct rdr_field *f, const struct lttng_ust_event_field *lf)
{
	const struct lttng_ust_type_array *a = (const struct lttng_ust_type_array *)lf->type;

	if (strcmp(lf->name, f->name))
		fail_msg("rhook:%s: LTTng field %s where the schema has %s", ev, lf->name, f->name);
	switch (f->kind) {
	case RDR_FK_U8:
	case RDR_FK_U32:
	case RDR_FK_I32:
	case RDR_FK_U64:
	case RDR_FK_I64:
		expect_integer(ev, f->name, lf->type, 8 * rdr_fkind_size(f->kind), rdr_fkind_signed(f->kind));
		break;
	case RDR_FK_E8:
	case RDR_FK_E32:
		expect_enum(ev, f, lf->type);
		break;
	case RDR_FK_UUID:
		/* A UUID is recorded as its 36 characters of text. */
		if (lf->type->type != lttng_ust_type_array || a->length != 36 ||
		    a->encoding != lttng_ust_string_encoding_UTF8)
			fail_msg("rhook:%s.%s: not a 36-character text array", ev, f->name);
		expect_integer(ev, f->name, a->elem_type, 8, true);
		break;
	}
}

/* Every event of the schema is a tracepoint whose fields are the reader's fields, then its lists. */
static void test_provider_is_the_schema(void **state)
{
	unsigned events = 0;

	(void)state;
	assert_non_null(provider);
	assert_string_equal(provider->provider_name, "rhook");
	assert_int_equal(provider->nr_events, RHW_EV_MAX_ID);
#define CHECK_EVENT(num, ev, FIELDS)                                                                 \
	{                                                                                              \
		const struct rdr_event_desc *d = rdr_schema_event(num);                          \
		const struct lttng_ust_event_desc *e = provider_event(#ev);                          \
		if (!e)                                                                                \
			fail_msg("the LTTng provider has no event rhook:%s", #ev);                   \
		assert_non_null(d);                                                                    \
		assert_string_equal(d->name, #ev);                                                   \
		assert_int_equal(e->tp_class->nr_fields, d->num_fields + d->num_lists);                \
		for (uint32_t i = 0; i < d->num_fields; i++)                                           \
			expect_field(#ev, &d->fields[i], e->tp_class->fields[i]);                    \
		for (uint32_t k = 0; k < d->num_lists; k++) {                                          \
			const struct lttng_ust_event_field *lf = e->tp_class->fields[d->num_fields + k]; \
			assert_string_equal(lf->name, d->lists[k].name);                               \
			assert_int_equal(lf->type->type, lttng_ust_type_string);                       \
		}                                                                                      \
		events++;                                                                              \
	}
	RHW_EVENTS(CHECK_EVENT)
#undef CHECK_EVENT
	assert_int_equal(events, RHW_EV_MAX_ID);
}

/* The reader's descriptors hold every field of the table, padding aside, at its offset. */
static void test_reader_is_the_schema(void **state)
{
	(void)state;
#define COUNT_FIELD(kind, name, arg) +(strcmp(#kind, "PAD") != 0)
#define COUNT_LIST(kind, name, arg) +(strcmp(#kind, "IDS") == 0)
#define CHECK_EVENT(num, ev, FIELDS)                                                         \
	{                                                                                      \
		const struct rdr_event_desc *d = rdr_schema_event(num);                  \
		assert_int_equal(d->payload_size, sizeof(struct rhw_ev_##ev));            \
		assert_int_equal(d->num_fields, 0 FIELDS(COUNT_FIELD));                        \
		assert_int_equal(d->num_lists, 0 FIELDS(COUNT_LIST));                          \
	}
	RHW_EVENTS(CHECK_EVENT)
#undef CHECK_EVENT
}

/* Id @k of list @list of event @id: bytes that name all three. */
static void list_id(uint8_t out[16], unsigned id, uint32_t list, unsigned k)
{
	memset(out, 0x11 * (list + 1), 16);
	out[0] = (uint8_t)id;
	out[15] = (uint8_t)k;
}

/*
 * One event of each event with id lists (k + 1 ids in its list k),
 * exported by rhook-read's CTF writer and read back by babeltrace2:
 * each list is a string field of its name holding its ids.
 */
static void test_export_lists(void **state)
{
	char dir[PATH_MAX], out_dir[PATH_MAX + 8], err[512], *argv[] = { "babeltrace2", out_dir, NULL }, *out;
	struct rdr_proc proc, *procs[] = { &proc };
	struct rdr_stream stream;
	struct rdr_ctfout *x;
	size_t traces;
	unsigned events = 0;

	(void)state;
	rt_tmpdir(dir, "schema-export");
	snprintf(out_dir, sizeof(out_dir), "%s/ctf", dir);
	memset(&proc, 0, sizeof(proc));
	memset(&stream, 0, sizeof(stream));
	snprintf(proc.host, sizeof(proc.host), "host");
	snprintf(proc.comm, sizeof(proc.comm), "schema");
	proc.pid = 1;
	assert_int_equal(rdr_ctfout_open(&x, out_dir, false, err, sizeof(err)), 0);
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		const struct rdr_event_desc *d = rdr_schema_event(id);
		uint8_t ids[RHW_EV_MAX_LISTS * RHW_EV_MAX_LISTS * 16];
		union rhw_ev_any payload;
		uint16_t n = 0;

		if (!d || !d->num_lists)
			continue;
		memset(&payload, 0, sizeof(payload));
		stream.ev = (struct rdr_event){ .mono = 1000 * id, .proc = &proc, .payload = &payload, .ids = ids,
						      .id = (uint16_t)id };
		for (uint32_t k = 0; k < d->num_lists; k++) {
			uint32_t count = k + 1;

			memcpy((uint8_t *)&payload + d->lists[k].count_offset, &count, 4);
			for (unsigned i = 0; i < count; i++)
				list_id(ids + (size_t)n++ * 16, id, k, i);
			stream.ev.list_len[k] = (uint16_t)count;
		}
		stream.ev.num_ids = n;
		if (rdr_ctfout_add(x, &stream.ev, err, sizeof(err)))
			fail_msg("export of rhook:%s: %s", d->name, err);
		events++;
	}
	assert_true(events > 0);
	assert_int_equal(rdr_ctfout_close(x, procs, 1, &traces, err, sizeof(err)), 0);
	assert_int_equal(traces, 1);
	if (rt_run(argv, NULL, &out, NULL))
		fail_msg("babeltrace2 cannot read the export of every event with lists");
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		const struct rdr_event_desc *d = rdr_schema_event(id);

		for (uint32_t k = 0; d && k < d->num_lists; k++) {
			char want[RHW_EV_MAX_LISTS * 37 + 80], *p = want;

			p += sprintf(p, "%s = \"", d->lists[k].name);
			for (unsigned i = 0; i <= k; i++) {
				uint8_t one[16];

				list_id(one, id, k, i);
				if (i)
					*p++ = ',';
				rdr_fmt_uuid(p, one);
				p += 36;
			}
			strcpy(p, "\"");
			if (!strstr(out, want))
				fail_msg("rhook:%s: `%s` is not in babeltrace2's output:\n%.3000s", d->name, want, out);
		}
	}
#ifdef RHOOK_SCHEMA_EXTENDED
	assert_non_null(strstr(out, "rhook:schema_test_event"));
#endif
	free(out);
	tc_rmtree(dir);
}

#ifdef RHOOK_SCHEMA_EXTENDED
/* The one-line additions reached both consumers. */
static void test_extension_reached_every_consumer(void **state)
{
	const struct rdr_event_desc *added = rdr_schema_event_by_name("schema_test_event");
	const struct rdr_event_desc *flush = rdr_schema_event(RHW_EV_flush_begin);

	(void)state;
	assert_non_null(added);
	assert_non_null(provider_event("schema_test_event"));
	assert_non_null(rdr_schema_field(flush, "schema_test_field"));
	assert_int_equal(added->num_lists, 1);
	assert_string_equal(added->lists[0].name, "schema_test_files");
}
#endif

int main(void)
{
	const char *path = getenv("RHOOK_TEST_PROVIDER");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_provider_is_the_schema),
		cmocka_unit_test(test_reader_is_the_schema),
		cmocka_unit_test(test_export_lists),
#ifdef RHOOK_SCHEMA_EXTENDED
		cmocka_unit_test(test_extension_reached_every_consumer),
#endif
	};

	if (!path || !dlopen(path, RTLD_NOW)) {
		fprintf(stderr, "trace_schema: cannot load the provider $RHOOK_TEST_PROVIDER (%s): %s\n",
			path ? path : "unset", path ? dlerror() : "");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
