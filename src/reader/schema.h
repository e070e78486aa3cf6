/*
 * schema.h - rhook-read's view of the event schema, generated from the
 * X-macro tables of src/wire/events.h: one descriptor per event with its
 * printable fields (padding left out), their offsets in the payload
 * structure, their enumeration labels, and its id lists.  The decoders, printers, the
 * CTF source and the CTF exporter all walk these descriptors.
 *
 * Read-only after static initialization: any thread may use it.
 */
#ifndef RDR_SCHEMA_H
#define RDR_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/events.h"

enum rdr_fkind {
	RDR_FK_U8,
	RDR_FK_U32,
	RDR_FK_I32,
	RDR_FK_U64,
	RDR_FK_I64,
	RDR_FK_UUID,
	RDR_FK_E8,
	RDR_FK_E32,
};

/* Labels of an enumeration: labels[value] for value < count. */
struct rdr_labels {
	const char *name; /* "cause" */
	const char *const *labels;
	uint32_t count;
};

struct rdr_field {
	const char *name;
	enum rdr_fkind kind;
	uint16_t offset; /* in struct rhw_ev_<event> */
	const struct rdr_labels *labels; /* E8 / E32 only */
};

/* An id list of an event (field kind IDS in events.h). */
struct rdr_list {
	const char *name;      /* "files_added" */
	uint16_t count_offset; /* of its u32 count in the payload */
};

struct rdr_event_desc {
	unsigned id;           /* enum rhw_event_id */
	const char *name;      /* "manifest_commit" */
	const char *full_name; /* "rhook:manifest_commit" */
	uint32_t payload_size; /* sizeof(struct rhw_ev_<name>) */
	uint32_t num_fields;
	const struct rdr_field *fields; /* the payload's, in table order (an id list's count included) */
	/*
	 * The id lists, in table order: their listed ids follow the payload
	 * in a recorder record; every text form renders them after the
	 * fields, as comma-separated UUIDs (as the LTTng provider records
	 * them).  At most RHW_EV_MAX_LISTS.
	 */
	uint32_t num_lists;
	const struct rdr_list *lists;
};

/* The descriptor of event @id, or NULL if @id is not in the schema. */
const struct rdr_event_desc *rdr_schema_event(unsigned id);
/* The descriptor named @name ("manifest_commit" or "rhook:manifest_commit"), or NULL. */
const struct rdr_event_desc *rdr_schema_event_by_name(const char *name);
/* Field @name of @ev, or NULL. */
const struct rdr_field *rdr_schema_field(const struct rdr_event_desc *ev, const char *name);

/* Byte size of a field of @kind in the payload. */
unsigned rdr_fkind_size(enum rdr_fkind kind);
/* Whether @kind is a signed integer. */
bool rdr_fkind_signed(enum rdr_fkind kind);

/* Reads integer field @f of @payload (zero-extended or sign-extended to 64 bits). */
static inline uint64_t rdr_field_u64(const struct rdr_field *f, const void *payload)
{
	const uint8_t *p = (const uint8_t *)payload + f->offset;
	uint32_t u32;
	int32_t i32;
	uint64_t u64;

	/* memcpy: no alignment or aliasing assumption; compiles to one load. */
	switch (f->kind) {
	case RDR_FK_U8:
	case RDR_FK_E8:
		return *p;
	case RDR_FK_U32:
	case RDR_FK_E32:
		memcpy(&u32, p, 4);
		return u32;
	case RDR_FK_I32:
		memcpy(&i32, p, 4);
		return (uint64_t)(int64_t)i32;
	case RDR_FK_U64:
	case RDR_FK_I64:
		memcpy(&u64, p, 8);
		return u64;
	case RDR_FK_UUID:
		break;
	}
	return 0;
}

/* Writes integer field @f of @payload from @v (truncated to the field's width). */
void rdr_field_set(const struct rdr_field *f, void *payload, uint64_t v);

/* The label of value @v of @labels, or NULL when out of range. */
static inline const char *rdr_label(const struct rdr_labels *labels, uint64_t v)
{
	return v < labels->count ? labels->labels[v] : NULL;
}

/*
 * Number of file ids listed after @payload of event @d: min(count,
 * RHW_EV_MAX_LISTED_IDS) for each list, stored in @len[0..num_lists)
 * (the rest of @len is zeroed).
 */
static inline uint32_t rdr_listed_ids(const struct rdr_event_desc *d, const void *payload,
					 uint16_t len[RHW_EV_MAX_LISTS])
{
	uint32_t total = 0;

	memset(len, 0, RHW_EV_MAX_LISTS * sizeof(len[0]));
	for (uint32_t k = 0; k < d->num_lists; k++) {
		uint32_t n;

		memcpy(&n, (const uint8_t *)payload + d->lists[k].count_offset, 4);
		len[k] = (uint16_t)(n < RHW_EV_MAX_LISTED_IDS ? n : RHW_EV_MAX_LISTED_IDS);
		total += len[k];
	}
	return total;
}

#endif /* RDR_SCHEMA_H */
