/*
 * schema.h - rhook-read's view of the event schema, generated from the
 * X-macro tables of src/trace/events.h: one descriptor per event with its
 * printable fields (padding left out), their offsets in the payload
 * structure, their enumeration labels, and its id lists.  The decoders, printers, the
 * CTF source and the CTF exporter all walk these descriptors.
 *
 * Read-only after static initialization: any thread may use it.
 */
#ifndef RHOOK_READ_SCHEMA_H
#define RHOOK_READ_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "trace/events.h"

enum rhook__fkind {
	RHOOK__FK_U8,
	RHOOK__FK_U32,
	RHOOK__FK_I32,
	RHOOK__FK_U64,
	RHOOK__FK_I64,
	RHOOK__FK_UUID,
	RHOOK__FK_E8,
	RHOOK__FK_E32,
};

/* Labels of an enumeration: labels[value] for value < count. */
struct rhook__labels {
	const char *name; /* "cause" */
	const char *const *labels;
	uint32_t count;
};

struct rhook__field {
	const char *name;
	enum rhook__fkind kind;
	uint16_t offset; /* in struct rhook__ev_<event> */
	const struct rhook__labels *labels; /* E8 / E32 only */
};

/* An id list of an event (field kind IDS in events.h). */
struct rhook__list {
	const char *name;      /* "files_added" */
	uint16_t count_offset; /* of its u32 count in the payload */
};

struct rhook__event_desc {
	unsigned id;           /* enum rhook__event_id */
	const char *name;      /* "manifest_commit" */
	const char *full_name; /* "rhook:manifest_commit" */
	uint32_t payload_size; /* sizeof(struct rhook__ev_<name>) */
	uint32_t num_fields;
	const struct rhook__field *fields; /* the payload's, in table order (an id list's count included) */
	/*
	 * The id lists, in table order: their listed ids follow the payload
	 * in a recorder record; every text form renders them after the
	 * fields, as comma-separated UUIDs (as the LTTng provider records
	 * them).  At most RHOOK__EV_MAX_LISTS.
	 */
	uint32_t num_lists;
	const struct rhook__list *lists;
};

/* The descriptor of event @id, or NULL if @id is not in the schema. */
const struct rhook__event_desc *rhook__schema_event(unsigned id);
/* The descriptor named @name ("manifest_commit" or "rhook:manifest_commit"), or NULL. */
const struct rhook__event_desc *rhook__schema_event_by_name(const char *name);
/* Field @name of @ev, or NULL. */
const struct rhook__field *rhook__schema_field(const struct rhook__event_desc *ev, const char *name);

/* Byte size of a field of @kind in the payload. */
unsigned rhook__fkind_size(enum rhook__fkind kind);
/* Whether @kind is a signed integer. */
bool rhook__fkind_signed(enum rhook__fkind kind);

/* Reads integer field @f of @payload (zero-extended or sign-extended to 64 bits). */
static inline uint64_t rhook__field_u64(const struct rhook__field *f, const void *payload)
{
	const uint8_t *p = (const uint8_t *)payload + f->offset;
	uint32_t u32;
	int32_t i32;
	uint64_t u64;

	/* memcpy: no alignment or aliasing assumption; compiles to one load. */
	switch (f->kind) {
	case RHOOK__FK_U8:
	case RHOOK__FK_E8:
		return *p;
	case RHOOK__FK_U32:
	case RHOOK__FK_E32:
		memcpy(&u32, p, 4);
		return u32;
	case RHOOK__FK_I32:
		memcpy(&i32, p, 4);
		return (uint64_t)(int64_t)i32;
	case RHOOK__FK_U64:
	case RHOOK__FK_I64:
		memcpy(&u64, p, 8);
		return u64;
	case RHOOK__FK_UUID:
		break;
	}
	return 0;
}

/* Writes integer field @f of @payload from @v (truncated to the field's width). */
void rhook__field_set(const struct rhook__field *f, void *payload, uint64_t v);

/* The label of value @v of @labels, or NULL when out of range. */
static inline const char *rhook__label(const struct rhook__labels *labels, uint64_t v)
{
	return v < labels->count ? labels->labels[v] : NULL;
}

/*
 * Number of file ids listed after @payload of event @d: min(count,
 * RHOOK__EV_MAX_LISTED_IDS) for each list, stored in @len[0..num_lists)
 * (the rest of @len is zeroed).
 */
static inline uint32_t rhook__listed_ids(const struct rhook__event_desc *d, const void *payload,
					 uint16_t len[RHOOK__EV_MAX_LISTS])
{
	uint32_t total = 0;

	memset(len, 0, RHOOK__EV_MAX_LISTS * sizeof(len[0]));
	for (uint32_t k = 0; k < d->num_lists; k++) {
		uint32_t n;

		memcpy(&n, (const uint8_t *)payload + d->lists[k].count_offset, 4);
		len[k] = (uint16_t)(n < RHOOK__EV_MAX_LISTED_IDS ? n : RHOOK__EV_MAX_LISTED_IDS);
		total += len[k];
	}
	return total;
}

#endif /* RHOOK_READ_SCHEMA_H */
