/*
 * schema.c - event descriptors generated from src/wire/events.h.
 */
#include "schema.h"

#include <string.h>

/* Label tables: X(NAME, value, "label") must list values 0, 1, 2, ... in order. */
#define LABEL(NAME, value, label) [value] = label,
#define LABEL_COUNT(NAME, value, label) +1
#define LABEL_TABLE(e)                                                                               \
	static const char *const e##_strings[] = { RHW_ENUM_##e(LABEL) };                         \
	static const struct rdr_labels e##_labels = { #e, e##_strings, 0 RHW_ENUM_##e(LABEL_COUNT) }; \
	_Static_assert(sizeof(e##_strings) / sizeof(e##_strings[0]) == 0 RHW_ENUM_##e(LABEL_COUNT), \
		       #e " labels are not 0..n-1");
RHW_ENUMS(LABEL_TABLE)

/* Field descriptors of the structure named cur_t in scope; PAD contributes nothing. */
#define FIELD_U8(name, arg) { #name, RDR_FK_U8, offsetof(cur_t, name), NULL },
#define FIELD_U32(name, arg) { #name, RDR_FK_U32, offsetof(cur_t, name), NULL },
#define FIELD_I32(name, arg) { #name, RDR_FK_I32, offsetof(cur_t, name), NULL },
#define FIELD_U64(name, arg) { #name, RDR_FK_U64, offsetof(cur_t, name), NULL },
#define FIELD_I64(name, arg) { #name, RDR_FK_I64, offsetof(cur_t, name), NULL },
#define FIELD_UUID(name, arg) { #name, RDR_FK_UUID, offsetof(cur_t, name), NULL },
#define FIELD_E8(name, arg) { #name, RDR_FK_E8, offsetof(cur_t, name), &arg##_labels },
#define FIELD_E32(name, arg) { #name, RDR_FK_E32, offsetof(cur_t, name), &arg##_labels },
#define FIELD_PAD(name, arg)
#define FIELD_IDS(name, arg) { #arg, RDR_FK_U32, offsetof(cur_t, arg), NULL },
#define FIELD(kind, name, arg) FIELD_##kind(name, arg)

/* List descriptors: IDS fields only. */
#define LIST_IDS(name, arg) { #name, offsetof(cur_t, arg) },
#define LIST_U8(name, arg)
#define LIST_U32(name, arg)
#define LIST_I32(name, arg)
#define LIST_U64(name, arg)
#define LIST_I64(name, arg)
#define LIST_UUID(name, arg)
#define LIST_E8(name, arg)
#define LIST_E32(name, arg)
#define LIST_PAD(name, arg)
#define LIST(kind, name, arg) LIST_##kind(name, arg)

/*
 * One case per event: a block-scope typedef binds the payload structure,
 * so the events.h field table expands unchanged with its offsets.  The
 * list table ends with a sentinel (C has no empty arrays).
 */
#define EVENT_CASE(num, ev, FIELDS)                                                                  \
	case num: {                                                                                  \
		typedef struct rhw_ev_##ev cur_t;                                                 \
		static const struct rdr_field fields[] = { FIELDS(FIELD) };                       \
		static const struct rdr_list lists[] = { FIELDS(LIST) { NULL, 0 } };              \
		static const struct rdr_event_desc desc = {                                      \
			num, #ev, "rhook:" #ev, sizeof(cur_t), sizeof(fields) / sizeof(fields[0]), fields, \
			sizeof(lists) / sizeof(lists[0]) - 1, lists                                  \
		};                                                                                   \
		return &desc;                                                                        \
	}

const struct rdr_event_desc *rdr_schema_event(unsigned id)
{
	switch (id) {
		RHW_EVENTS(EVENT_CASE)
	}
	return NULL;
}

const struct rdr_event_desc *rdr_schema_event_by_name(const char *name)
{
	if (!strncmp(name, "rhook:", 6))
		name += 6;
	for (unsigned id = 1; id <= RHW_EV_MAX_ID; id++) {
		const struct rdr_event_desc *ev = rdr_schema_event(id);

		if (ev && !strcmp(ev->name, name))
			return ev;
	}
	return NULL;
}

const struct rdr_field *rdr_schema_field(const struct rdr_event_desc *ev, const char *name)
{
	for (uint32_t i = 0; i < ev->num_fields; i++)
		if (!strcmp(ev->fields[i].name, name))
			return &ev->fields[i];
	return NULL;
}

unsigned rdr_fkind_size(enum rdr_fkind kind)
{
	switch (kind) {
	case RDR_FK_U8:
	case RDR_FK_E8:
		return 1;
	case RDR_FK_U32:
	case RDR_FK_I32:
	case RDR_FK_E32:
		return 4;
	case RDR_FK_U64:
	case RDR_FK_I64:
		return 8;
	case RDR_FK_UUID:
		return 16;
	}
	return 0;
}

bool rdr_fkind_signed(enum rdr_fkind kind)
{
	return kind == RDR_FK_I32 || kind == RDR_FK_I64;
}

void rdr_field_set(const struct rdr_field *f, void *payload, uint64_t v)
{
	uint8_t *p = (uint8_t *)payload + f->offset;
	unsigned size = rdr_fkind_size(f->kind);
	uint32_t v32 = (uint32_t)v;
	uint8_t v8 = (uint8_t)v;

	/* Little-endian layout (recorder_format.h): the low bytes of @v. */
	if (size == 8)
		memcpy(p, &v, 8);
	else if (size == 4)
		memcpy(p, &v32, 4);
	else if (size == 1)
		*p = v8;
}
