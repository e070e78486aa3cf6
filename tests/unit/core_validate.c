/*
 * core_validate.c - the one rule of what a manifest entry may hold
 * (rhook/action.h): whatever update_locked accepts, from_json reads back
 * identically; whatever it rejects is rejected before anything is
 * persisted, a version consumed or a hook fired.
 *
 * A property test generates thousands of action lists from a
 * deterministic PRNG, each valid or carrying exactly one defect of a
 * known class at a known field, over every action kind and every field.
 * The generator, not the validator, is the oracle: it knows whether it
 * injected a defect and which field the error must name.  Then a test per
 * defect of issue 8.
 *
 * Usage: core_validate [LISTS [SEED]]   (default 3000 lists, seed 0x5eed)
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <rhook/manifest.h>

static unsigned long num_lists = 3000;
static uint64_t seed = 0x5eed;

/* ---- deterministic PRNG (splitmix64) ---- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return rnd(r) % n;
}

static bool chance(struct rng *r, unsigned pct)
{
	return below(r, 100) < pct;
}

/* Values biased to the edges of the encoding (the u64 string form above INT64_MAX). */
static uint64_t gen_u64(struct rng *r)
{
	static const uint64_t edges[] = { 0, 1, INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX, UINT64_MAX - 1 };

	switch (below(r, 4)) {
	case 0:
		return edges[below(r, sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return below(r, 1000);
	default:
		return rnd(r);
	}
}

static int64_t gen_i64(struct rng *r)
{
	static const int64_t edges[] = { INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX };

	switch (below(r, 4)) {
	case 0:
		return edges[below(r, sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return (int64_t)below(r, 2000) - 1000;
	default:
		return (int64_t)rnd(r);
	}
}

/* ---- an arena: generated lists may be invalid in any way, so the test frees them itself ---- */

struct arena {
	void **blocks;
	size_t n, cap;
};

static void *a_alloc(struct arena *a, size_t size)
{
	void *p = calloc(1, size ? size : 1);

	assert_non_null(p);
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->blocks = realloc(a->blocks, a->cap * sizeof(*a->blocks));
		assert_non_null(a->blocks);
	}
	a->blocks[a->n++] = p;
	return p;
}

static void a_free(struct arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->blocks[i]);
	free(a->blocks);
	memset(a, 0, sizeof(*a));
}

/* Appends the UTF-8 encoding of @cp. */
static size_t put_utf8(char *p, uint32_t cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xc0 | cp >> 6);
		p[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (char)(0xe0 | cp >> 12);
		p[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		p[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | cp >> 18);
	p[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	p[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	p[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Valid UTF-8: ASCII (quotes, backslashes, control characters too) and 2-, 3- and 4-byte characters. */
static char *gen_str(struct rng *r, struct arena *a)
{
	size_t n = below(r, 12);
	char *s = a_alloc(a, n * 4 + 1), *p = s;

	for (size_t i = 0; i < n; i++) {
		uint32_t cp;

		switch (below(r, 6)) {
		case 0:
			cp = 1 + (uint32_t)below(r, 31);
			break;
		case 1:
			cp = "\"\\/'{}"[below(r, 6)];
			break;
		case 2:
			cp = 0x80 + (uint32_t)below(r, 0x800 - 0x80);
			break;
		case 3:
			do
				cp = 0x800 + (uint32_t)below(r, 0x10000 - 0x800);
			while (cp >= 0xd800 && cp <= 0xdfff);
			break;
		case 4:
			cp = 0x10000 + (uint32_t)below(r, 0x110000 - 0x10000);
			break;
		default:
			cp = 0x20 + (uint32_t)below(r, 0x5f);
			break;
		}
		p += put_utf8(p, cp);
	}
	*p = '\0';
	return s;
}

/* A valid string with an invalid UTF-8 sequence inserted at a character boundary. */
static char *gen_bad_str(struct rng *r, struct arena *a)
{
	static const char *const bad[] = {
		"\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf",
		"\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xe2\x82", "\xc3(", "\xf0\x9f\x98",
	};
	const char *b = bad[below(r, sizeof(bad) / sizeof(bad[0]))];
	char *head = gen_str(r, a), *tail = gen_str(r, a);
	char *s = a_alloc(a, strlen(head) + strlen(b) + strlen(tail) + 1);

	sprintf(s, "%s%s%s", head, b, tail);
	return s;
}

/* ---- defect sites: where one defect can be injected, and the field the error must name ---- */

enum defect {
	D_LIST_ACTIONS_NULL,
	D_ACTION_KIND,
	D_ARRAY_NULL,          /* files_to_add, files_to_remove, truncate files, columns, primary_key */
	D_FILE_LEVEL,
	D_FILE_RANGE,
	D_FILE_UNIT,
	D_FILE_INDEX,
	D_FILE_SEQ_ABSENT,
	D_FILE_EXPR_UTF8,
	D_FILE_PK_NULL,
	D_EDIT_ABSENT,         /* compaction_time_window_s, flushed_entry_id, flushed_sequence, committed_sequence */
	D_TRUNC_KIND,
	D_TRUNC_ALL_FILES,
	D_TRUNC_FILES_MARKS,
	D_COL_NAME_NULL,
	D_COL_NAME_UTF8,
	D_COL_TYPE,
	D_COL_SEMANTIC,
	D_META_FORMAT,
	D_META_EXPR_UTF8,
	D_CHANGE_FORMAT,
	D_PEC_UTF8,
	D_COUNT
};

static const char *const defect_names[D_COUNT] = {
	"list actions NULL", "action kind", "array NULL", "file level", "file time range", "file time unit",
	"file index bits", "file sequence absent", "file partition_expr UTF-8", "file pk NULL",
	"edit field absent", "truncate kind", "truncate all with files", "truncate files with marks",
	"column name NULL", "column name UTF-8", "column type", "column semantic", "metadata sst_format",
	"metadata partition_expr UTF-8", "change sst_format", "partition_expr_change UTF-8",
};

struct site {
	enum defect d;
	char path[256]; /* the field the error names: "actions[1].edit.files_to_add[0].level" */
	void *target;   /* the structure the defect goes into */
	void *count;    /* D_ARRAY_NULL: the size_t count beside the array pointer */
	int which;      /* a variant: which optional field, pk_min or pk_max, ... */
};

struct gen {
	struct rng *r;
	struct arena *a;
	struct site *sites;
	size_t num_sites, cap_sites;
};

static struct site *add_site(struct gen *g, enum defect d, void *target, int which, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static struct site *add_site(struct gen *g, enum defect d, void *target, int which, const char *fmt, ...)
{
	struct site *s;
	va_list ap;

	if (g->num_sites == g->cap_sites) {
		g->cap_sites = g->cap_sites ? 2 * g->cap_sites : 64;
		g->sites = realloc(g->sites, g->cap_sites * sizeof(*g->sites));
		assert_non_null(g->sites);
	}
	s = &g->sites[g->num_sites++];
	memset(s, 0, sizeof(*s));
	s->d = d;
	s->target = target;
	s->which = which;
	va_start(ap, fmt);
	vsnprintf(s->path, sizeof(s->path), fmt, ap);
	va_end(ap);
	return s;
}

static void gen_bytes(struct gen *g, struct rhook_bytes *b)
{
	switch (below(g->r, 3)) {
	case 0:
		*b = (struct rhook_bytes){ 0 }; /* absent */
		break;
	case 1:
		b->data = a_alloc(g->a, 1); /* present, empty */
		b->len = 0;
		break;
	default:
		b->len = 1 + below(g->r, 8);
		b->data = a_alloc(g->a, b->len);
		for (size_t i = 0; i < b->len; i++)
			b->data[i] = (uint8_t)rnd(g->r);
		break;
	}
}

static void gen_file(struct gen *g, struct rhook_file_meta *fm, const char *path)
{
	int64_t x = gen_i64(g->r), y = gen_i64(g->r);

	fm->region_id = gen_u64(g->r);
	for (int i = 0; i < 16; i++)
		fm->file_id.bytes[i] = (uint8_t)rnd(g->r);
	fm->time_range.start = x < y ? x : y;
	fm->time_range.end = x < y ? y : x;
	fm->time_range.unit = (enum rhook_time_unit)below(g->r, 4);
	fm->level = (uint8_t)below(g->r, RHOOK_MAX_LEVEL + 1);
	fm->file_size = gen_u64(g->r);
	fm->max_row_group_uncompressed_size = gen_u64(g->r);
	fm->available_indexes = (uint32_t)below(g->r, RHOOK_INDEX_ALL + 1);
	fm->index_file_size = gen_u64(g->r);
	fm->index_version = gen_u64(g->r);
	fm->num_rows = gen_u64(g->r);
	fm->num_row_groups = gen_u64(g->r);
	fm->num_series = gen_u64(g->r);
	fm->has_sequence = chance(g->r, 50);
	fm->sequence = fm->has_sequence ? gen_u64(g->r) : 0;
	fm->partition_expr = chance(g->r, 40) ? gen_str(g->r, g->a) : NULL;
	gen_bytes(g, &fm->pk_min);
	gen_bytes(g, &fm->pk_max);

	add_site(g, D_FILE_LEVEL, fm, 0, "%s.level", path);
	add_site(g, D_FILE_RANGE, fm, 0, "%s.time_range", path);
	add_site(g, D_FILE_UNIT, fm, 0, "%s.time_range.unit", path);
	add_site(g, D_FILE_INDEX, fm, 0, "%s.available_indexes", path);
	add_site(g, D_FILE_SEQ_ABSENT, fm, 0, "%s.sequence", path);
	add_site(g, D_FILE_EXPR_UTF8, fm, 0, "%s.partition_expr", path);
	add_site(g, D_FILE_PK_NULL, fm, 0, "%s.pk_min", path);
	add_site(g, D_FILE_PK_NULL, fm, 1, "%s.pk_max", path);
}

/* 0..3 files at @path.@field; *files may be non-NULL with no files (a count of 0 needs no array). */
static void gen_files(struct gen *g, struct rhook_file_meta **files, size_t *n, size_t max, const char *path,
		      const char *field)
{
	char p[256];

	*n = below(g->r, max + 1);
	*files = *n || chance(g->r, 50) ? a_alloc(g->a, (*n ? *n : 1) * sizeof(**files)) : NULL;
	for (size_t i = 0; i < *n; i++) {
		snprintf(p, sizeof(p), "%s.%s[%zu]", path, field, i);
		gen_file(g, &(*files)[i], p);
	}
	add_site(g, D_ARRAY_NULL, files, 0, "%s.%s", path, field)->count = n;
}

static void gen_region_meta(struct gen *g, struct rhook_region_meta *rm, const char *path)
{
	rm->region_id = gen_u64(g->r);
	rm->schema_version = gen_u64(g->r);
	rm->num_columns = below(g->r, 5);
	rm->columns = rm->num_columns || chance(g->r, 50) ? a_alloc(g->a, (rm->num_columns + 1) * sizeof(*rm->columns))
							   : NULL;
	for (size_t i = 0; i < rm->num_columns; i++) {
		struct rhook_column *c = &rm->columns[i];

		c->column_id = (uint32_t)rnd(g->r);
		c->name = gen_str(g->r, g->a);
		c->type = (enum rhook_column_type)below(g->r, 7);
		c->semantic = (enum rhook_semantic)below(g->r, 3);
		c->nullable = chance(g->r, 50);
		add_site(g, D_COL_NAME_NULL, c, 0, "%s.columns[%zu].name", path, i);
		add_site(g, D_COL_NAME_UTF8, c, 0, "%s.columns[%zu].name", path, i);
		add_site(g, D_COL_TYPE, c, 0, "%s.columns[%zu].type", path, i);
		add_site(g, D_COL_SEMANTIC, c, 0, "%s.columns[%zu].semantic", path, i);
	}
	add_site(g, D_ARRAY_NULL, &rm->columns, 0, "%s.columns", path)->count = &rm->num_columns;
	rm->num_primary_key = below(g->r, 4);
	rm->primary_key = a_alloc(g->a, (rm->num_primary_key + 1) * sizeof(*rm->primary_key));
	for (size_t i = 0; i < rm->num_primary_key; i++)
		rm->primary_key[i] = (uint32_t)rnd(g->r);
	add_site(g, D_ARRAY_NULL, &rm->primary_key, 0, "%s.primary_key", path)->count = &rm->num_primary_key;
	rm->partition_expr = chance(g->r, 40) ? gen_str(g->r, g->a) : NULL;
	rm->sst_format = (enum rhook_sst_format)below(g->r, 2);
	rm->append_mode = chance(g->r, 50);
	add_site(g, D_META_FORMAT, rm, 0, "%s.sst_format", path);
	add_site(g, D_META_EXPR_UTF8, rm, 0, "%s.partition_expr", path);
}

static const char *const edit_optional[] = { "compaction_time_window_s", "flushed_entry_id", "flushed_sequence",
					     "committed_sequence" };

static void gen_action(struct gen *g, struct rhook_action *a, size_t index)
{
	static const enum rhook_action_kind kinds[] = { RHOOK_ACTION_CHANGE, RHOOK_ACTION_PARTITION_EXPR_CHANGE,
							RHOOK_ACTION_EDIT, RHOOK_ACTION_REMOVE, RHOOK_ACTION_TRUNCATE };
	char p[256];

	a->kind = kinds[below(g->r, 5)];
	add_site(g, D_ACTION_KIND, a, 0, "actions[%zu].kind", index);
	snprintf(p, sizeof(p), "actions[%zu].%s", index, rhook_action_kind_name(a->kind));
	switch (a->kind) {
	case RHOOK_ACTION_CHANGE: {
		char m[300];

		snprintf(m, sizeof(m), "%s.metadata", p);
		gen_region_meta(g, &a->u.change.metadata, m);
		a->u.change.sst_format = (enum rhook_sst_format)below(g->r, 2);
		a->u.change.append_mode = chance(g->r, 50);
		add_site(g, D_CHANGE_FORMAT, &a->u.change, 0, "%s.sst_format", p);
		break;
	}
	case RHOOK_ACTION_PARTITION_EXPR_CHANGE:
		a->u.partition_expr_change.partition_expr = chance(g->r, 70) ? gen_str(g->r, g->a) : NULL;
		add_site(g, D_PEC_UTF8, &a->u.partition_expr_change, 0, "%s.partition_expr", p);
		break;
	case RHOOK_ACTION_EDIT: {
		struct rhook_action_edit *e = &a->u.edit;

		gen_files(g, &e->files_to_add, &e->num_files_to_add, 3, p, "files_to_add");
		gen_files(g, &e->files_to_remove, &e->num_files_to_remove, 3, p, "files_to_remove");
		e->timestamp_ms = gen_i64(g->r);
		if ((e->has_compaction_time_window = chance(g->r, 50)))
			e->compaction_time_window_s = gen_i64(g->r);
		if ((e->has_flushed_entry_id = chance(g->r, 50)))
			e->flushed_entry_id = gen_u64(g->r);
		if ((e->has_flushed_sequence = chance(g->r, 50)))
			e->flushed_sequence = gen_u64(g->r);
		if ((e->has_committed_sequence = chance(g->r, 50)))
			e->committed_sequence = gen_u64(g->r);
		for (int k = 0; k < 4; k++)
			add_site(g, D_EDIT_ABSENT, e, k, "%s.%s", p, edit_optional[k]);
		break;
	}
	case RHOOK_ACTION_REMOVE:
		a->u.remove.region_id = gen_u64(g->r);
		break;
	case RHOOK_ACTION_TRUNCATE: {
		struct rhook_action_truncate *t = &a->u.truncate;

		t->timestamp_ms = gen_i64(g->r);
		add_site(g, D_TRUNC_KIND, t, 0, "%s.kind", p);
		if (chance(g->r, 50)) {
			t->kind = RHOOK_TRUNCATE_ALL;
			t->truncated_entry_id = gen_u64(g->r);
			t->truncated_sequence = gen_u64(g->r);
			add_site(g, D_TRUNC_ALL_FILES, t, 0, "%s.files", p);
		} else {
			t->kind = RHOOK_TRUNCATE_FILES;
			gen_files(g, &t->files, &t->num_files, 3, p, "files");
			add_site(g, D_TRUNC_FILES_MARKS, t, 0, "%s.truncated_entry_id", p);
			add_site(g, D_TRUNC_FILES_MARKS, t, 1, "%s.truncated_sequence", p);
		}
		break;
	}
	}
}

static struct rhook_action_list *gen_list(struct gen *g)
{
	struct rhook_action_list *l = a_alloc(g->a, sizeof(*l));

	l->num_actions = below(g->r, 7);
	l->capacity = l->num_actions;
	l->actions = l->num_actions || chance(g->r, 50) ? a_alloc(g->a, (l->num_actions + 1) * sizeof(*l->actions))
							 : NULL;
	for (size_t i = 0; i < l->num_actions; i++)
		gen_action(g, &l->actions[i], i);
	if (l->num_actions)
		add_site(g, D_LIST_ACTIONS_NULL, l, 0, "actions");
	return l;
}

/* Injects the defect of @s into the list it belongs to. */
static void inject(struct gen *g, const struct site *s)
{
	struct rng *r = g->r;

	switch (s->d) {
	case D_LIST_ACTIONS_NULL:
		((struct rhook_action_list *)s->target)->actions = NULL;
		break;
	case D_ACTION_KIND: {
		static const uint32_t bad[] = { 0, 3, 1u << 5, 1u << 31, RHOOK_ACTION_KIND_ALL, 6 };

		((struct rhook_action *)s->target)->kind = (enum rhook_action_kind)bad[below(r, 6)];
		break;
	}
	case D_ARRAY_NULL:
		*(void **)s->target = NULL;
		if (!*(size_t *)s->count)
			*(size_t *)s->count = 1 + below(r, 3);
		break;
	case D_FILE_LEVEL:
		((struct rhook_file_meta *)s->target)->level = (uint8_t)(RHOOK_MAX_LEVEL + 1 + below(r, 255 - RHOOK_MAX_LEVEL));
		break;
	case D_FILE_RANGE: {
		struct rhook_time_range *tr = &((struct rhook_file_meta *)s->target)->time_range;
		int64_t x = gen_i64(r), y = gen_i64(r);

		if (x == y)
			y = x == INT64_MAX ? x - 1 : x + 1;
		tr->start = x > y ? x : y;
		tr->end = x > y ? y : x;
		break;
	}
	case D_FILE_UNIT:
		((struct rhook_file_meta *)s->target)->time_range.unit = (enum rhook_time_unit)(4 + below(r, 1000));
		break;
	case D_FILE_INDEX:
		((struct rhook_file_meta *)s->target)->available_indexes |= 1u << (3 + below(r, 29));
		break;
	case D_FILE_SEQ_ABSENT: {
		struct rhook_file_meta *fm = s->target;

		fm->has_sequence = false;
		fm->sequence = 1 + below(r, UINT64_MAX - 1);
		break;
	}
	case D_FILE_EXPR_UTF8:
		((struct rhook_file_meta *)s->target)->partition_expr = gen_bad_str(r, g->a);
		break;
	case D_FILE_PK_NULL: {
		struct rhook_file_meta *fm = s->target;
		struct rhook_bytes *b = s->which ? &fm->pk_max : &fm->pk_min;

		b->data = NULL;
		b->len = 1 + below(r, 16);
		break;
	}
	case D_EDIT_ABSENT: {
		struct rhook_action_edit *e = s->target;
		uint64_t v = 1 + below(r, UINT64_MAX - 1);

		switch (s->which) {
		case 0:
			e->has_compaction_time_window = false;
			e->compaction_time_window_s = (int64_t)v;
			break;
		case 1:
			e->has_flushed_entry_id = false;
			e->flushed_entry_id = v;
			break;
		case 2:
			e->has_flushed_sequence = false;
			e->flushed_sequence = v;
			break;
		default:
			e->has_committed_sequence = false;
			e->committed_sequence = v;
			break;
		}
		break;
	}
	case D_TRUNC_KIND:
		((struct rhook_action_truncate *)s->target)->kind = (enum rhook_truncate_kind)(2 + below(r, 1000));
		break;
	case D_TRUNC_ALL_FILES: {
		struct rhook_action_truncate *t = s->target;

		t->num_files = 1 + below(r, 2);
		t->files = a_alloc(g->a, t->num_files * sizeof(*t->files));
		for (size_t i = 0; i < t->num_files; i++)
			gen_file(g, &t->files[i], "(unused)");
		break;
	}
	case D_TRUNC_FILES_MARKS: {
		struct rhook_action_truncate *t = s->target;

		if (s->which)
			t->truncated_sequence = 1 + below(r, UINT64_MAX - 1);
		else
			t->truncated_entry_id = 1 + below(r, UINT64_MAX - 1);
		break;
	}
	case D_COL_NAME_NULL:
		((struct rhook_column *)s->target)->name = NULL;
		break;
	case D_COL_NAME_UTF8:
		((struct rhook_column *)s->target)->name = gen_bad_str(r, g->a);
		break;
	case D_COL_TYPE:
		((struct rhook_column *)s->target)->type = (enum rhook_column_type)(7 + below(r, 1000));
		break;
	case D_COL_SEMANTIC:
		((struct rhook_column *)s->target)->semantic = (enum rhook_semantic)(3 + below(r, 1000));
		break;
	case D_META_FORMAT:
		((struct rhook_region_meta *)s->target)->sst_format = (enum rhook_sst_format)(2 + below(r, 1000));
		break;
	case D_META_EXPR_UTF8:
		((struct rhook_region_meta *)s->target)->partition_expr = gen_bad_str(r, g->a);
		break;
	case D_CHANGE_FORMAT:
		((struct rhook_action_change *)s->target)->sst_format = (enum rhook_sst_format)(2 + below(r, 1000));
		break;
	case D_PEC_UTF8:
		((struct rhook_action_partition_expr_change *)s->target)->partition_expr = gen_bad_str(r, g->a);
		break;
	case D_COUNT:
		break;
	}
}

/*
 * The same defect written into the JSON of the valid list, where JSON can
 * say it (the rest, such as invalid UTF-8 or a NULL array with a count,
 * only a C caller can produce): a value to put at the site's path, or
 * NULL.  The path of a site is also its place in the JSON document.
 * @exact gets the whole message when the decoder must say exactly what
 * the rule says (a value JSON and C share), else "".
 */
static json_t *json_defect(struct rng *r, const struct site *s, char exact[300])
{
	exact[0] = '\0';
	switch (s->d) {
	case D_FILE_LEVEL: {
		static const json_int_t big[] = { 3, 4, 255, 256, 300, 1ll << 40, INT64_MAX };
		json_int_t v = big[below(r, 7)];

		/* The rule's own message, value and all (not narrowed to the field first). */
		assert_true(snprintf(exact, 300, "%s: %lld is not in 0..2", s->path, (long long)v) < 300);
		return json_integer(v);
	}
	case D_FILE_RANGE: {
		json_int_t end = (json_int_t)below(r, 1000) - 500;

		assert_true(snprintf(exact, 300, "%s: start %lld is after end %lld", s->path, (long long)end + 1,
				     (long long)end) < 300);
		return json_pack("{s:I, s:I, s:s}", "start", end + 1, "end", end, "unit", "us");
	}
	case D_FILE_UNIT:
		return json_string("fortnight");
	case D_FILE_INDEX:
		return json_pack("[s, s]", "bloom", "zstd");
	case D_TRUNC_KIND:
		return json_string("some");
	case D_TRUNC_ALL_FILES:
		return json_array();
	case D_TRUNC_FILES_MARKS:
		return json_integer(1 + (json_int_t)below(r, 1000));
	case D_COL_NAME_NULL:
		return json_null();
	case D_COL_TYPE:
		return json_string("decimal");
	case D_COL_SEMANTIC:
		return json_string("label");
	case D_META_FORMAT:
	case D_CHANGE_FORMAT:
		return json_string("parquet");
	case D_ARRAY_NULL:
	case D_LIST_ACTIONS_NULL:
		return json_null();
	default:
		return NULL;
	}
}

/* Sets the value at @path ("actions[1].edit.files_to_add[0].level") in @root; false if the path is not there. */
static bool json_set_path(json_t *root, const char *path, json_t *value)
{
	char buf[256], *seg, *save = NULL;
	json_t *cur = root;
	char *last = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (seg = strtok_r(buf, ".", &save); seg; seg = strtok_r(NULL, ".", &save)) {
		char *br = strchr(seg, '[');

		if (last) {
			cur = json_object_get(cur, last);
			if (!cur)
				return false;
		}
		if (br) {
			*br = '\0';
			cur = json_array_get(json_object_get(cur, seg), strtoul(br + 1, NULL, 10));
			if (!cur)
				return false;
			last = NULL;
		} else {
			last = seg;
		}
	}
	return last && json_object_set_new(cur, last, value) == 0;
}

/* ---- structural comparison, field by field ---- */

static void expect_str(const char *a, const char *b, const char *what)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		fail_msg("%s: \"%s\" != \"%s\"", what, a ? a : "(null)", b ? b : "(null)");
}

static void expect_bytes(const struct rhook_bytes *a, const struct rhook_bytes *b)
{
	assert_int_equal(a->data != NULL, b->data != NULL);
	assert_int_equal(a->len, b->len);
	if (a->len)
		assert_memory_equal(a->data, b->data, a->len);
}

static void expect_file(const struct rhook_file_meta *a, const struct rhook_file_meta *b)
{
	assert_int_equal(a->region_id, b->region_id);
	assert_memory_equal(a->file_id.bytes, b->file_id.bytes, 16);
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
	assert_int_equal(a->sequence, b->sequence);
	expect_str(a->partition_expr, b->partition_expr, "file partition_expr");
	expect_bytes(&a->pk_min, &b->pk_min);
	expect_bytes(&a->pk_max, &b->pk_max);
}

static void expect_files(const struct rhook_file_meta *a, size_t na, const struct rhook_file_meta *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++)
		expect_file(&a[i], &b[i]);
}

static void expect_region_meta(const struct rhook_region_meta *a, const struct rhook_region_meta *b)
{
	assert_int_equal(a->region_id, b->region_id);
	assert_int_equal(a->schema_version, b->schema_version);
	assert_int_equal(a->num_columns, b->num_columns);
	for (size_t i = 0; i < a->num_columns; i++) {
		assert_int_equal(a->columns[i].column_id, b->columns[i].column_id);
		expect_str(a->columns[i].name, b->columns[i].name, "column name");
		assert_int_equal(a->columns[i].type, b->columns[i].type);
		assert_int_equal(a->columns[i].semantic, b->columns[i].semantic);
		assert_int_equal(a->columns[i].nullable, b->columns[i].nullable);
	}
	assert_int_equal(a->num_primary_key, b->num_primary_key);
	for (size_t i = 0; i < a->num_primary_key; i++)
		assert_int_equal(a->primary_key[i], b->primary_key[i]);
	expect_str(a->partition_expr, b->partition_expr, "metadata partition_expr");
	assert_int_equal(a->sst_format, b->sst_format);
	assert_int_equal(a->append_mode, b->append_mode);
}

static void expect_list(const struct rhook_action_list *a, const struct rhook_action_list *b)
{
	assert_int_equal(a->num_actions, b->num_actions);
	for (size_t i = 0; i < a->num_actions; i++) {
		const struct rhook_action *x = &a->actions[i], *y = &b->actions[i];

		assert_int_equal(x->kind, y->kind);
		switch (x->kind) {
		case RHOOK_ACTION_CHANGE:
			expect_region_meta(&x->u.change.metadata, &y->u.change.metadata);
			assert_int_equal(x->u.change.sst_format, y->u.change.sst_format);
			assert_int_equal(x->u.change.append_mode, y->u.change.append_mode);
			break;
		case RHOOK_ACTION_PARTITION_EXPR_CHANGE:
			expect_str(x->u.partition_expr_change.partition_expr, y->u.partition_expr_change.partition_expr,
				   "partition_expr_change");
			break;
		case RHOOK_ACTION_EDIT: {
			const struct rhook_action_edit *e = &x->u.edit, *f = &y->u.edit;

			expect_files(e->files_to_add, e->num_files_to_add, f->files_to_add, f->num_files_to_add);
			expect_files(e->files_to_remove, e->num_files_to_remove, f->files_to_remove, f->num_files_to_remove);
			assert_int_equal(e->timestamp_ms, f->timestamp_ms);
			assert_int_equal(e->has_compaction_time_window, f->has_compaction_time_window);
			assert_int_equal(e->compaction_time_window_s, f->compaction_time_window_s);
			assert_int_equal(e->has_flushed_entry_id, f->has_flushed_entry_id);
			assert_int_equal(e->flushed_entry_id, f->flushed_entry_id);
			assert_int_equal(e->has_flushed_sequence, f->has_flushed_sequence);
			assert_int_equal(e->flushed_sequence, f->flushed_sequence);
			assert_int_equal(e->has_committed_sequence, f->has_committed_sequence);
			assert_int_equal(e->committed_sequence, f->committed_sequence);
			break;
		}
		case RHOOK_ACTION_REMOVE:
			assert_int_equal(x->u.remove.region_id, y->u.remove.region_id);
			break;
		case RHOOK_ACTION_TRUNCATE:
			assert_int_equal(x->u.truncate.kind, y->u.truncate.kind);
			assert_int_equal(x->u.truncate.truncated_entry_id, y->u.truncate.truncated_entry_id);
			assert_int_equal(x->u.truncate.truncated_sequence, y->u.truncate.truncated_sequence);
			expect_files(x->u.truncate.files, x->u.truncate.num_files, y->u.truncate.files,
				     y->u.truncate.num_files);
			assert_int_equal(x->u.truncate.timestamp_ms, y->u.truncate.timestamp_ms);
			break;
		}
	}
}

/* ---- a manifest context with a counting store and a counting hook ---- */

struct probe {
	struct rhook_registry *reg;
	struct rhook_manifest_ctx *ctx;
	unsigned long persists;
	char *last_json;
	unsigned long hook_calls;
	const struct rhook_action_list *expected; /* what the next notification must carry */
};

static int probe_persist(void *store, rhook_region_id region_id, uint64_t version,
			 const struct rhook_action_list *actions, const char *json, size_t len)
{
	struct probe *p = store;

	(void)region_id;
	(void)version;
	(void)actions;
	p->persists++;
	free(p->last_json);
	p->last_json = strndup(json, len);
	return p->last_json ? 0 : -ENOMEM;
}

static const struct rhook_manifest_store_ops probe_ops = { sizeof(probe_ops), probe_persist };

static void probe_on_manifest(void *priv, rhook_region_id region_id, const struct rhook_action_list *actions,
			      uint64_t version)
{
	struct probe *p = priv;

	(void)region_id;
	(void)version;
	p->hook_calls++;
	assert_non_null(p->expected);
	expect_list(p->expected, actions);
}

static const struct rhook_hook_ops probe_hook = { .size = sizeof(probe_hook),
						  .on_manifest_updated = probe_on_manifest };

static void probe_init(struct probe *p)
{
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = rhook_region_id_make(8, 1),
						 .store_ops = &probe_ops, .store = p };

	memset(p, 0, sizeof(*p));
	assert_int_equal(rhook_registry_new(&p->reg), 0);
	assert_int_equal(rhook_registry_add(p->reg, &probe_hook, p, NULL), 0);
	cfg.registry = p->reg;
	assert_int_equal(rhook_manifest_ctx_new(&cfg, &p->ctx), 0);
}

static void probe_fini(struct probe *p)
{
	rhook_manifest_ctx_free(p->ctx);
	rhook_registry_free(p->reg);
	free(p->last_json);
}

/* update_locked must refuse @l: -EINVAL, nothing persisted, no version, no hook; returns its message. */
static void expect_refused_commit(struct probe *p, const struct rhook_action_list *l, const char *msg)
{
	struct rhook_receipt rc = RHOOK_RECEIPT_INIT;
	uint64_t v = rhook_manifest_last_version(p->ctx);
	unsigned long persists = p->persists, calls = p->hook_calls;
	int err;

	p->expected = NULL;
	rhook_manifest_lock(p->ctx);
	err = rhook_manifest_update_locked(p->ctx, l, RHOOK_CAUSE_EDIT, &rc);
	rhook_manifest_unlock(p->ctx);
	if (err != -EINVAL)
		fail_msg("update_locked accepted (%d) a list refused with \"%s\"", err, msg);
	if (strcmp(rhook_action_list_errmsg(), msg))
		fail_msg("update_locked said \"%s\", the rule says \"%s\"", rhook_action_list_errmsg(), msg);
	assert_false(rhook_receipt_pending(&rc));
	assert_int_equal(rhook_receipt_fire(&rc), 0); /* an empty receipt: nothing to notify */
	assert_int_equal(rhook_manifest_last_version(p->ctx), v);
	assert_int_equal(p->persists, persists);
	assert_int_equal(p->hook_calls, calls);
	/* The one-call form refuses it the same way. */
	assert_int_equal(rhook_manifest_update(p->ctx, l, RHOOK_CAUSE_EDIT, NULL), -EINVAL);
	assert_int_equal(rhook_manifest_last_version(p->ctx), v);
	assert_int_equal(p->persists, persists);
	assert_int_equal(p->hook_calls, calls);
}

/* update_locked must accept @l, persist exactly @json and notify the hook with @l. */
static void expect_commit(struct probe *p, const struct rhook_action_list *l, const char *json)
{
	struct rhook_receipt rc = RHOOK_RECEIPT_INIT;
	uint64_t v = rhook_manifest_last_version(p->ctx);
	unsigned long persists = p->persists, calls = p->hook_calls;
	int err;

	rhook_manifest_lock(p->ctx);
	err = rhook_manifest_update_locked(p->ctx, l, RHOOK_CAUSE_EDIT, &rc);
	rhook_manifest_unlock(p->ctx);
	if (err)
		fail_msg("update_locked refused a valid list: %d \"%s\"", err, rhook_action_list_errmsg());
	assert_string_equal(rhook_action_list_errmsg(), "");
	assert_int_equal(rhook_manifest_last_version(p->ctx), v + 1);
	assert_int_equal(p->persists, persists + 1);
	assert_string_equal(p->last_json, json);
	p->expected = l;
	assert_int_equal(rhook_receipt_fire(&rc), 0);
	assert_int_equal(p->hook_calls, calls + 1);
	p->expected = NULL;
}

/* ---- the property test ---- */

static void check_valid(struct probe *p, const struct rhook_action_list *l)
{
	struct rhook_action_list *d = NULL;
	char err[512] = "x", *json, *json2;
	size_t len, len2;

	if (rhook_action_list_validate(l, err, sizeof(err)))
		fail_msg("a valid list was refused: %s", err);
	assert_string_equal(err, "");
	assert_int_equal(rhook_action_list_to_json(l, &json, &len), 0);
	if (rhook_action_list_from_json(json, len, &d, err, sizeof(err)))
		fail_msg("the decoder refused what the encoder wrote: %s\n%s", err, json);
	expect_list(l, d);
	/* Stable: the decoded list encodes to the same bytes. */
	assert_int_equal(rhook_action_list_to_json(d, &json2, &len2), 0);
	assert_int_equal(len, len2);
	assert_string_equal(json, json2);
	rhook_action_list_free(d);
	free(json2);
	expect_commit(p, l, json);
	free(json);
}

static void check_invalid(struct probe *p, struct rng *r, const struct rhook_action_list *l, const struct site *s,
			  const char *valid_json)
{
	char msg[512], want[300], exact[300];
	json_t *root, *v;
	char *json = NULL;
	size_t len;
	int err;

	snprintf(want, sizeof(want), "%s: ", s->path);
	if (rhook_action_list_validate(l, msg, sizeof(msg)) != -EINVAL)
		fail_msg("a list with a defect (%s at %s) was accepted", defect_names[s->d], s->path);
	if (strncmp(msg, want, strlen(want)))
		fail_msg("defect %s at %s: the message \"%s\" names another field", defect_names[s->d], s->path, msg);
	/* The encoder refuses it with the same message: -EINVAL, never -ENOMEM. */
	err = rhook_action_list_to_json(l, &json, &len);
	if (err != -EINVAL)
		fail_msg("to_json of a list with a defect (%s at %s): %d, want -EINVAL", defect_names[s->d], s->path, err);
	assert_null(json);
	assert_string_equal(rhook_action_list_errmsg(), msg);
	expect_refused_commit(p, l, msg);

	/* Where JSON can carry the defect, the decoder names the same field. */
	v = json_defect(r, s, exact);
	if (!v)
		return;
	root = json_loads(valid_json, 0, NULL);
	assert_non_null(root);
	if (!json_set_path(root, s->path, v))
		fail_msg("no %s in %s", s->path, valid_json);
	json = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	{
		struct rhook_action_list *d = NULL;
		char derr[512] = "";

		err = rhook_action_list_from_json(json, strlen(json), &d, derr, sizeof(derr));
		if (err != -EINVAL || strncmp(derr, want, strlen(want)))
			fail_msg("decoding %s: %d \"%s\", want -EINVAL naming %s", json, err, derr, s->path);
		assert_null(d);
		if (*exact && strcmp(derr, exact))
			fail_msg("decoding %s: \"%s\", the rule says \"%s\"", json, derr, exact);
	}
	free(json);
}

static void test_property(void **state)
{
	unsigned long valid = 0, invalid = 0, by_defect[D_COUNT] = { 0 }, by_kind[5] = { 0 };
	struct rng r = { seed };
	struct probe p;

	(void)state;
	probe_init(&p);
	for (unsigned long n = 0; n < num_lists; n++) {
		struct arena a = { 0 };
		struct gen g = { .r = &r, .a = &a };
		struct rhook_action_list *l = gen_list(&g);

		for (size_t i = 0; i < l->num_actions; i++)
			by_kind[__builtin_ctz(l->actions[i].kind)]++;
		if (g.num_sites && chance(&r, 55)) {
			/* A copy: injecting may generate files, and so grow the site array. */
			struct site s = g.sites[below(&r, g.num_sites)];
			char *json;
			size_t len;

			/* The valid list's JSON first: the decoder side writes the defect into it. */
			assert_int_equal(rhook_action_list_to_json(l, &json, &len), 0);
			inject(&g, &s);
			check_invalid(&p, &r, l, &s, json);
			free(json);
			by_defect[s.d]++;
			invalid++;
		} else {
			check_valid(&p, l);
			valid++;
		}
		free(g.sites);
		a_free(&a);
	}
	probe_fini(&p);
	printf("core_validate: seed 0x%" PRIx64 ": %lu lists, %lu valid (committed and read back), %lu invalid "
	       "(refused)\n", seed, num_lists, valid, invalid);
	/* The generator covered every action kind and every defect class. */
	for (int k = 0; k < 5; k++)
		if (!by_kind[k])
			fail_msg("no action of kind %s was generated", rhook_action_kind_name(1u << k));
	for (int d = 0; d < D_COUNT; d++) {
		printf("  %-32s %lu\n", defect_names[d], by_defect[d]);
		if (!by_defect[d])
			fail_msg("defect class '%s' was never injected", defect_names[d]);
	}
}

/* ---- one test per defect of issue 8 ---- */

static struct rhook_file_meta good_file(void)
{
	struct rhook_file_meta fm = {
		.region_id = rhook_region_id_make(8, 1),
		.file_id = rhook_file_id_generate(),
		.time_range = { 10, 20, RHOOK_TIME_UNIT_MILLISECOND },
		.level = 1,
		.file_size = 4096,
		.num_rows = 10,
		.num_row_groups = 1,
		.num_series = 1,
	};

	return fm;
}

/* A list of one edit adding @fm, built by hand (the add functions refuse what the rule refuses). */
static struct rhook_action_list hand_edit(struct rhook_action *a, struct rhook_file_meta *fm)
{
	memset(a, 0, sizeof(*a));
	a->kind = RHOOK_ACTION_EDIT;
	a->u.edit.files_to_add = fm;
	a->u.edit.num_files_to_add = 1;
	return (struct rhook_action_list){ .actions = a, .num_actions = 1, .capacity = 1 };
}

/*
 * A file defect: add_edit refuses it with @msg, update_locked refuses the
 * hand-built list with @msg before persisting, and @json_value (if not
 * NULL) in place of the field @json_field of a valid encoding is refused by
 * the decoder at the same field (with @msg when @same).
 */
static void expect_file_defect(struct rhook_file_meta *fm, const char *msg, const char *json_field,
			       const char *json_value, bool same)
{
	struct rhook_action_list *l = rhook_action_list_new(), hand, *d = NULL;
	struct rhook_file_meta good = good_file();
	struct rhook_action_edit ed = { .files_to_add = fm, .num_files_to_add = 1 };
	struct rhook_action a;
	struct probe p;
	char err[512] = "", *json, *field;
	size_t len;

	probe_init(&p);
	assert_int_equal(rhook_action_list_add_edit(l, &ed), -EINVAL);
	assert_string_equal(rhook_action_list_errmsg(), msg);
	assert_int_equal(l->num_actions, 0);
	hand = hand_edit(&a, fm);
	expect_refused_commit(&p, &hand, msg);
	assert_int_equal(rhook_action_list_to_json(&hand, &json, &len), -EINVAL);
	assert_string_equal(rhook_action_list_errmsg(), msg);

	if (json_field) {
		struct rhook_action_list good_list = hand_edit(&a, &good);
		char *patched, *at, *end;

		/* Replace the field's value in a valid encoding: {"...","level":1,...}. */
		assert_int_equal(rhook_action_list_to_json(&good_list, &json, &len), 0);
		field = strstr(json, json_field);
		assert_non_null(field);
		at = field + strlen(json_field);
		end = at;
		if (*end == '{' || *end == '[') {
			char close = *end == '{' ? '}' : ']';

			end = strchr(end, close) + 1;
		} else if (*end == '"') {
			end = strchr(end + 1, '"') + 1;
		} else {
			end += strspn(end, "-0123456789");
		}
		patched = malloc(len + strlen(json_value) + 1);
		assert_non_null(patched);
		sprintf(patched, "%.*s%s%s", (int)(at - json), json, json_value, end);
		assert_int_equal(rhook_action_list_from_json(patched, strlen(patched), &d, err, sizeof(err)), -EINVAL);
		assert_null(d);
		if (same)
			assert_string_equal(err, msg);
		else
			assert_int_equal(strncmp(err, msg, strcspn(msg, ":")), 0);
		free(patched);
		free(json);
	}
	rhook_action_list_free(l);
	probe_fini(&p);
}

static void test_level_3(void **state)
{
	struct rhook_file_meta fm = good_file();

	(void)state;
	fm.level = 3;
	expect_file_defect(&fm, "actions[0].edit.files_to_add[0].level: 3 is not in 0..2", "\"level\":", "3", true);
	fm.level = 255;
	expect_file_defect(&fm, "actions[0].edit.files_to_add[0].level: 255 is not in 0..2", "\"level\":", "255", true);
}

/* A level that does not fit the field is refused by the same rule, not wrapped into range. */

static void test_level_300_json(void **state)
{
	struct rhook_file_meta fm = good_file();
	struct rhook_action a;
	struct rhook_action_list l = hand_edit(&a, &fm), *d = NULL;
	char err[512], *json, *patched, *at;
	size_t len;

	(void)state;
	assert_int_equal(rhook_action_list_to_json(&l, &json, &len), 0);
	at = strstr(json, "\"level\":1");
	assert_non_null(at);
	patched = malloc(len + 8);
	assert_non_null(patched);
	sprintf(patched, "%.*s\"level\":300%s", (int)(at - json), json, at + strlen("\"level\":1"));
	assert_int_equal(rhook_action_list_from_json(patched, strlen(patched), &d, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "actions[0].edit.files_to_add[0].level: 300 is not in 0..2");
	free(patched);
	free(json);
}

static void test_start_after_end(void **state)
{
	struct rhook_file_meta fm = good_file();

	(void)state;
	fm.time_range.start = 21;
	expect_file_defect(&fm, "actions[0].edit.files_to_add[0].time_range: start 21 is after end 20", "\"time_range\":",
			   "{\"start\":21,\"end\":20,\"unit\":\"ms\"}", true);
}

static void test_unknown_unit(void **state)
{
	struct rhook_file_meta fm = good_file();

	(void)state;
	fm.time_range.unit = (enum rhook_time_unit)4;
	expect_file_defect(&fm, "actions[0].edit.files_to_add[0].time_range.unit: 4 is not a time unit (0..3: s, ms, us, ns)",
			   "\"unit\":", "\"ks\"", false);
}

/* Before the rule, an unknown index bit was committed and silently dropped by the encoding. */
static void test_unknown_index_bit(void **state)
{
	struct rhook_file_meta fm = good_file();

	(void)state;
	fm.available_indexes = RHOOK_INDEX_BLOOM | 1u << 3;
	expect_file_defect(&fm,
			   "actions[0].edit.files_to_add[0].available_indexes: 0xc holds bits outside the known index "
			   "kinds (0x7: inverted, fulltext, bloom)",
			   "\"available_indexes\":", "[\"bloom\",\"zstd\"]", false);
}

/* A truncate-all that lists files is refused everywhere (before: committed, the files lost in the round trip). */
static void test_truncate_all_with_files(void **state)
{
	static const char msg[] = "actions[0].truncate.files: a truncate of kind all lists no files (1 given; use kind files)";
	struct rhook_file_meta fm = good_file();
	struct rhook_action_truncate t = { .kind = RHOOK_TRUNCATE_ALL, .truncated_entry_id = 5, .truncated_sequence = 50,
					   .files = &fm, .num_files = 1 };
	struct rhook_action a = { .kind = RHOOK_ACTION_TRUNCATE, .u.truncate = t };
	struct rhook_action_list *l = rhook_action_list_new(), hand = { &a, 1, 1 }, *d = NULL;
	static const char json[] = "{\"format\":1,\"actions\":[{\"truncate\":{\"kind\":\"all\",\"truncated_entry_id\":5,"
				   "\"truncated_sequence\":50,\"timestamp_ms\":0,\"files\":[]}}]}";
	struct probe p;
	char err[512];

	(void)state;
	probe_init(&p);
	assert_int_equal(rhook_action_list_add_truncate(l, &t), -EINVAL);
	assert_string_equal(rhook_action_list_errmsg(), msg);
	expect_refused_commit(&p, &hand, msg);
	/* The decoder refuses the same field. */
	assert_int_equal(rhook_action_list_from_json(json, strlen(json), &d, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "actions[0].truncate.files: unknown field");
	/* Nor does a truncate of files carry the marks of a truncate-all. */
	t.kind = RHOOK_TRUNCATE_FILES;
	assert_int_equal(rhook_action_list_add_truncate(l, &t), -EINVAL);
	assert_string_equal(rhook_action_list_errmsg(),
			    "actions[0].truncate.truncated_entry_id: 5 given, but a truncate of kind files truncates no entries");
	/* Each kind alone is fine. */
	t.truncated_entry_id = t.truncated_sequence = 0;
	assert_int_equal(rhook_action_list_add_truncate(l, &t), 0);
	t = (struct rhook_action_truncate){ .kind = RHOOK_TRUNCATE_ALL, .truncated_entry_id = 5 };
	assert_int_equal(rhook_action_list_add_truncate(l, &t), 0);
	p.expected = l;
	assert_int_equal(rhook_manifest_update(p.ctx, l, RHOOK_CAUSE_TRUNCATE, NULL), 0);
	assert_int_equal(p.hook_calls, 1);
	rhook_action_list_free(l);
	probe_fini(&p);
}

/* Invalid values are -EINVAL naming the field, never -ENOMEM (the encoder used to report them as memory). */
static void test_no_enomem_for_bad_values(void **state)
{
	struct rhook_region_meta rm = { .region_id = 1, .sst_format = (enum rhook_sst_format)9 };
	struct rhook_column col = { 1, "\xc3(", RHOOK_COLUMN_INT64, RHOOK_SEMANTIC_FIELD, false };
	char *json = NULL;
	size_t len;

	(void)state;
	assert_int_equal(rhook_region_meta_to_json(&rm, &json, &len), -EINVAL);
	assert_string_equal(rhook_action_list_errmsg(), "sst_format: 9 is not an SST format (0: primary_key, 1: flat)");
	rm.sst_format = RHOOK_SST_FORMAT_FLAT;
	rm.columns = &col;
	rm.num_columns = 1;
	assert_int_equal(rhook_region_meta_to_json(&rm, &json, &len), -EINVAL);
	assert_string_equal(rhook_action_list_errmsg(), "columns[0].name: not valid UTF-8 (byte 0)");
	assert_null(json);
	col.name = "cpu";
	assert_int_equal(rhook_region_meta_to_json(&rm, &json, &len), 0);
	free(json);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_property),
		cmocka_unit_test(test_level_3),
		cmocka_unit_test(test_level_300_json),
		cmocka_unit_test(test_start_after_end),
		cmocka_unit_test(test_unknown_unit),
		cmocka_unit_test(test_unknown_index_bit),
		cmocka_unit_test(test_truncate_all_with_files),
		cmocka_unit_test(test_no_enomem_for_bad_values),
	};

	if (argc > 1)
		num_lists = strtoul(argv[1], NULL, 0);
	if (argc > 2)
		seed = strtoull(argv[2], NULL, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
