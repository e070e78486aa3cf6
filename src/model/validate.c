/*
 * validate.c - the one rule of what a manifest entry may hold (see
 * validate.h): every encoder, decoder and writer of action lists calls
 * these, and nothing else decides validity.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <rhook/action.h>

#include "validate.h"

/*
 * The calling thread's last message.  Cold, so the general TLS model:
 * librhook's initial-exec TLS stays small for hosts that dlopen it.
 */
static __thread char last_err[256] __attribute__((tls_model("global-dynamic")));

const char *rhook_action_list_errmsg(void)
{
	return last_err;
}

/* "<path>.<name>" (or "<name>" at the root), with an index when @index >= 0. */
static void sub(char buf[RHOOK__JPATH_MAX], const char *path, const char *name, long index)
{
	if (index >= 0)
		rhook__jpath(buf, "%s%s%s[%ld]", path, *path ? "." : "", name, index);
	else
		rhook__jpath(buf, "%s%s%s", path, *path ? "." : "", name);
}

/* Offset of the first byte that is not part of valid UTF-8 (as jansson checks it), or -1. */
static long utf8_error(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long i = 0;

	while (p[i]) {
		unsigned c = p[i], n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c < 0xc2 || c > 0xf4)
			return i; /* a continuation byte, an overlong lead, or beyond U+10FFFF */
		n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
		cp = c & (0x3fu >> n);
		for (unsigned k = 1; k <= n; k++) {
			/* The NUL terminator fails this test: nothing past it is read. */
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (p[i + k] & 0x3fu);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += (long)n + 1;
	}
	return -1;
}

/* @s (NULL allowed when @optional) must be UTF-8. */
static int check_str(struct rhook__jerr *e, const char *path, const char *field, const char *s, bool optional)
{
	long bad;

	if (!s)
		return optional ? 0 : rhook__jfail(e, path, field, "missing (NULL)");
	bad = utf8_error(s);
	if (bad >= 0)
		return rhook__jfailf(e, path, field, "not valid UTF-8 (byte %ld)", bad);
	return 0;
}

/* An absent optional field (has_* false) holds 0: the encoding omits it, the decoder reads 0. */
static int check_absent(struct rhook__jerr *e, const char *path, const char *field, bool present, uint64_t value,
			const char *flag)
{
	if (!present && value)
		return rhook__jfailf(e, path, field, "%" PRIu64 " given, but %s is false", value, flag);
	return 0;
}

static int check_absent_i64(struct rhook__jerr *e, const char *path, const char *field, bool present, int64_t value,
			    const char *flag)
{
	if (!present && value)
		return rhook__jfailf(e, path, field, "%" PRId64 " given, but %s is false", value, flag);
	return 0;
}

/* A count must come with its array. */
static int check_array(struct rhook__jerr *e, const char *path, const char *field, const void *array, size_t n)
{
	if (n && !array)
		return rhook__jfailf(e, path, field, "%zu given, but the array is NULL", n);
	return 0;
}

static int check_bytes(struct rhook__jerr *e, const char *path, const char *field, const struct rhook_bytes *b)
{
	if (!b->data && b->len)
		return rhook__jfailf(e, path, field, "%zu bytes given, but data is NULL (absent)", b->len);
	return 0;
}

int rhook__validate_level(struct rhook__jerr *e, const char *path, uint64_t level)
{
	if (level > RHOOK_MAX_LEVEL)
		return rhook__jfailf(e, path, "level", "%" PRIu64 " is not in 0..%d", level, RHOOK_MAX_LEVEL);
	return 0;
}

int rhook__validate_file_meta(struct rhook__jerr *e, const char *path, const struct rhook_file_meta *fm)
{
	char tr[RHOOK__JPATH_MAX];
	int err;

	sub(tr, path, "time_range", -1);
	if (!rhook_time_unit_name(fm->time_range.unit))
		return rhook__jfailf(e, tr, "unit", "%u is not a time unit (0..3: s, ms, us, ns)",
				     (unsigned)fm->time_range.unit);
	if (fm->time_range.start > fm->time_range.end)
		return rhook__jfailf(e, path, "time_range", "start %" PRId64 " is after end %" PRId64,
				     fm->time_range.start, fm->time_range.end);
	if ((err = rhook__validate_level(e, path, fm->level)))
		return err;
	if (fm->available_indexes & ~(uint32_t)RHOOK_INDEX_ALL)
		return rhook__jfailf(e, path, "available_indexes",
				     "0x%" PRIx32 " holds bits outside the known index kinds (0x%x: inverted, fulltext, bloom)",
				     fm->available_indexes, RHOOK_INDEX_ALL);
	if ((err = check_absent(e, path, "sequence", fm->has_sequence, fm->sequence, "has_sequence")) ||
	    (err = check_str(e, path, "partition_expr", fm->partition_expr, true)) ||
	    (err = check_bytes(e, path, "pk_min", &fm->pk_min)) || (err = check_bytes(e, path, "pk_max", &fm->pk_max)))
		return err;
	return 0;
}

static int check_sst_format(struct rhook__jerr *e, const char *path, enum rhook_sst_format f)
{
	if (!rhook_sst_format_name(f))
		return rhook__jfailf(e, path, "sst_format", "%u is not an SST format (0: primary_key, 1: flat)",
				     (unsigned)f);
	return 0;
}

int rhook__validate_region_meta(struct rhook__jerr *e, const char *path, const struct rhook_region_meta *rm)
{
	char p[RHOOK__JPATH_MAX];
	int err;

	if ((err = check_array(e, path, "columns", rm->columns, rm->num_columns)) ||
	    (err = check_array(e, path, "primary_key", rm->primary_key, rm->num_primary_key)))
		return err;
	for (size_t i = 0; i < rm->num_columns; i++) {
		const struct rhook_column *c = &rm->columns[i];

		sub(p, path, "columns", (long)i);
		if ((err = check_str(e, p, "name", c->name, false)))
			return err;
		if (!rhook_column_type_name(c->type))
			return rhook__jfailf(e, p, "type", "%u is not a column type (0..6)", (unsigned)c->type);
		if (!rhook_semantic_name(c->semantic))
			return rhook__jfailf(e, p, "semantic", "%u is not a semantic type (0: tag, 1: field, 2: timestamp)",
					     (unsigned)c->semantic);
	}
	if ((err = check_str(e, path, "partition_expr", rm->partition_expr, true)))
		return err;
	return check_sst_format(e, path, rm->sst_format);
}

/* Files of an edit or truncate: @field[i] each valid. */
static int check_files(struct rhook__jerr *e, const char *path, const char *field, const struct rhook_file_meta *files,
		       size_t n)
{
	char p[RHOOK__JPATH_MAX];
	int err = check_array(e, path, field, files, n);

	for (size_t i = 0; !err && i < n; i++) {
		sub(p, path, field, (long)i);
		err = rhook__validate_file_meta(e, p, &files[i]);
	}
	return err;
}

static int check_edit(struct rhook__jerr *e, const char *path, const struct rhook_action_edit *ed)
{
	int err;

	if ((err = check_files(e, path, "files_to_add", ed->files_to_add, ed->num_files_to_add)) ||
	    (err = check_files(e, path, "files_to_remove", ed->files_to_remove, ed->num_files_to_remove)) ||
	    (err = check_absent_i64(e, path, "compaction_time_window_s", ed->has_compaction_time_window,
				    ed->compaction_time_window_s, "has_compaction_time_window")) ||
	    (err = check_absent(e, path, "flushed_entry_id", ed->has_flushed_entry_id, ed->flushed_entry_id,
				"has_flushed_entry_id")) ||
	    (err = check_absent(e, path, "flushed_sequence", ed->has_flushed_sequence, ed->flushed_sequence,
				"has_flushed_sequence")) ||
	    (err = check_absent(e, path, "committed_sequence", ed->has_committed_sequence, ed->committed_sequence,
				"has_committed_sequence")))
		return err;
	return 0;
}

/*
 * A truncate is either kind, never both: "all" truncates up to an entry
 * id and sequence and lists no files; "files" lists files and truncates
 * no entries.  A mix has no meaning and no encoding, so it is refused.
 */
static int check_truncate(struct rhook__jerr *e, const char *path, const struct rhook_action_truncate *t)
{
	switch (t->kind) {
	case RHOOK_TRUNCATE_ALL:
		if (t->num_files)
			return rhook__jfailf(e, path, "files",
					     "a truncate of kind all lists no files (%zu given; use kind files)",
					     t->num_files);
		return 0;
	case RHOOK_TRUNCATE_FILES:
		if (t->truncated_entry_id)
			return rhook__jfailf(e, path, "truncated_entry_id",
					     "%" PRIu64 " given, but a truncate of kind files truncates no entries",
					     t->truncated_entry_id);
		if (t->truncated_sequence)
			return rhook__jfailf(e, path, "truncated_sequence",
					     "%" PRIu64 " given, but a truncate of kind files truncates no entries",
					     t->truncated_sequence);
		return check_files(e, path, "files", t->files, t->num_files);
	}
	return rhook__jfailf(e, path, "kind", "%u is not a truncate kind (0: all, 1: files)", (unsigned)t->kind);
}

int rhook__validate_action(struct rhook__jerr *e, const char *path, const struct rhook_action *a)
{
	const char *name = rhook_action_kind_name(a->kind);
	char p[RHOOK__JPATH_MAX];
	int err;

	if (!name)
		return rhook__jfailf(e, path, "kind", "0x%x is not an action kind", (unsigned)a->kind);
	sub(p, path, name, -1);
	switch (a->kind) {
	case RHOOK_ACTION_CHANGE: {
		char m[RHOOK__JPATH_MAX];

		sub(m, p, "metadata", -1);
		if ((err = rhook__validate_region_meta(e, m, &a->u.change.metadata)))
			return err;
		return check_sst_format(e, p, a->u.change.sst_format);
	}
	case RHOOK_ACTION_PARTITION_EXPR_CHANGE:
		return check_str(e, p, "partition_expr", a->u.partition_expr_change.partition_expr, true);
	case RHOOK_ACTION_EDIT:
		return check_edit(e, p, &a->u.edit);
	case RHOOK_ACTION_REMOVE:
		return 0;
	case RHOOK_ACTION_TRUNCATE:
		return check_truncate(e, p, &a->u.truncate);
	}
	return -EINVAL; /* not reached: the name lookup knows every kind */
}

int rhook__validate_list(struct rhook__jerr *e, const struct rhook_action_list *list)
{
	char p[RHOOK__JPATH_MAX];
	int err;

	if (!list)
		return rhook__jfail(e, "", NULL, "no action list (NULL)");
	if ((err = check_array(e, "", "actions", list->actions, list->num_actions)))
		return err;
	for (size_t i = 0; i < list->num_actions; i++) {
		sub(p, "", "actions", (long)i);
		if ((err = rhook__validate_action(e, p, &list->actions[i])))
			return err;
	}
	return 0;
}

int rhook__action_list_check(const struct rhook_action_list *list)
{
	struct rhook__jerr e = { last_err, sizeof(last_err) };

	last_err[0] = '\0';
	return rhook__validate_list(&e, list);
}

int rhook__action_check(size_t index, const struct rhook_action *a)
{
	struct rhook__jerr e = { last_err, sizeof(last_err) };
	char p[RHOOK__JPATH_MAX];

	last_err[0] = '\0';
	sub(p, "", "actions", (long)index);
	return rhook__validate_action(&e, p, a);
}

int rhook__region_meta_check(const struct rhook_region_meta *rm)
{
	struct rhook__jerr e = { last_err, sizeof(last_err) };

	last_err[0] = '\0';
	if (!rm)
		return rhook__jfail(&e, "", NULL, "no region metadata (NULL)");
	return rhook__validate_region_meta(&e, "", rm);
}

int rhook_action_list_validate(const struct rhook_action_list *list, char *err, size_t err_size)
{
	struct rhook__jerr e = { err, err_size };

	if (err && err_size)
		err[0] = '\0';
	return rhook__validate_list(&e, list);
}

int rhook_region_meta_validate(const struct rhook_region_meta *rm, char *err, size_t err_size)
{
	struct rhook__jerr e = { err, err_size };

	if (err && err_size)
		err[0] = '\0';
	if (!rm)
		return rhook__jfail(&e, "", NULL, "no region metadata (NULL)");
	return rhook__validate_region_meta(&e, "", rm);
}
