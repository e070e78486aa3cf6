/*
 * checkpoint_fuzz.c - libFuzzer target for the files a region is opened
 * from: a pointer file and the file it names.  An input is
 *
 *   <pointer text> "\n" <file bytes>
 *
 * where the pointer is the text of _last_checkpoint (then the file is a
 * checkpoint) or of _latest without its final newline (then the file is
 * the newest delta).  Both parsers run on the first line; a parsed pointer
 * is checked against the file (size and checksum), the file is decoded as
 * a checkpoint or delta of the version named (as it is, then with the
 * checksum of its body, so that mutations reach the replay), and a
 * checkpoint's state is rebuilt from nothing.
 *
 * The checkpoint property: the snapshot of a state (what the engine
 * writes as the next checkpoint) rebuilds that same state; a difference
 * aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_envelope.h"
#include "log.h"
#include "version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void finding(const char *what)
{
	fprintf(stderr, "checkpoint_fuzz: %s\n", what);
	abort();
}

/* The state a checkpoint of @v would hold must be @v again. */
static void check_snapshot(const struct lsm__version *v)
{
	struct rhook_action_list *snap, *back;
	struct lsm__version *empty, *again;
	const struct lsm_region_manifest *a = &v->m, *b;
	char err[512], *json;
	size_t len;

	if (lsm__version_snapshot(v, &snap))
		return; /* memory */
	if (rhook_action_list_validate(snap, err, sizeof(err)))
		finding(err);
	if (rhook_action_list_to_json(snap, &json, &len)) {
		rhook_action_list_free(snap);
		return;
	}
	rhook_action_list_free(snap);
	if (rhook_action_list_from_json(json, len, &back, err, sizeof(err)))
		finding(err);
	free(json);
	empty = lsm__version_new_empty();
	if (!empty || lsm__version_apply(empty, v->m.version, back, &again)) {
		if (empty)
			finding("a snapshot does not apply to an empty state");
		rhook_action_list_free(back);
		return;
	}
	b = &again->m;
	if (a->num_files != b->num_files || a->flushed_entry_id != b->flushed_entry_id ||
	    a->flushed_sequence != b->flushed_sequence || a->committed_sequence != b->committed_sequence ||
	    a->truncated_entry_id != b->truncated_entry_id || a->truncated_sequence != b->truncated_sequence ||
	    a->meta.region_id != b->meta.region_id || a->meta.schema_version != b->meta.schema_version ||
	    a->meta.num_columns != b->meta.num_columns || v->removed != again->removed ||
	    v->has_compaction_time_window != again->has_compaction_time_window ||
	    v->compaction_time_window_s != again->compaction_time_window_s)
		finding("a snapshot rebuilt another state");
	for (size_t i = 0; i < a->num_files; i++)
		if (!lsm__version_find(again, &a->files[i].file_id))
			finding("a snapshot lost a file");
	lsm__version_free(again);
	lsm__version_free(empty);
	rhook_action_list_free(back);
}

static void decode_one(const char *file, size_t len, uint64_t version, bool checkpoint)
{
	struct rhook_action_list *list;
	struct lsm__version *empty, *v;
	uint64_t prev;

	if (lsm__log_decode(file, len, "fuzz", checkpoint ? "checkpoint" : "delta", version, &prev, &list))
		return;
	empty = lsm__version_new_empty();
	if (empty && !lsm__version_apply(empty, version, list, &v)) {
		if (checkpoint)
			check_snapshot(v);
		lsm__version_free(v);
	}
	lsm__version_free(empty);
	rhook_action_list_free(list);
}

/* @file as it is, then with its body's checksum (@file is changed). */
static void decode(char *file, size_t len, uint64_t version, bool checkpoint)
{
	decode_one(file, len, version, checkpoint);
	if (rhook_fuzz_fix_checksum(file, len))
		decode_one(file, len, version, checkpoint);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct lsm__log_pointer p;
	size_t plen, flen;
	char *ptr, *file;

	if (!nl)
		return 0;
	plen = (size_t)(nl - data);
	flen = size - plen - 1;
	/* NUL-terminated copies, as lsm__fs_read_all() gives files; _latest keeps its newline. */
	ptr = malloc(plen + 2);
	file = malloc(flen + 1);
	if (!ptr || !file)
		goto out;
	memcpy(ptr, data, plen);
	ptr[plen] = '\0';
	memcpy(file, nl + 1, flen);
	file[flen] = '\0';
	if (!lsm__log_parse_last_checkpoint(ptr, plen, "fuzz", &p)) {
		/* The open path checks the pointer first; here the file is decoded either way. */
		(void)lsm__log_check_pointed(&p, file, flen, "fuzz");
		decode(file, flen, p.version, true);
	}
	ptr[plen] = '\n';
	ptr[plen + 1] = '\0';
	if (!lsm__log_parse_latest(ptr, plen + 1, "fuzz", &p)) {
		memcpy(file, nl + 1, flen); /* undo the checksum fix-up of the first pass */
		decode(file, flen, p.version, false);
	}
out:
	free(ptr);
	free(file);
	return 0;
}
