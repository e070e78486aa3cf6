/*
 * reader_lifecycle.c - the reader's lifecycle model (lifecycle.h) on
 * timelines built event by event: jobs pair by process and job id, not
 * by region and time (two interleaved jobs on one region); a remote
 * compaction's files are born in the compactor under the leader's job id
 * and deleted by the leader's GC; a truncate that lists no file ends the
 * life of every live file of its region; levels and write amplification
 * follow; and check's removed-live-file rule fires on a deletion of a
 * live file, not on a drop nor after the commit that removed it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rhook/manifest.h>

#include "check.h"
#include "lifecycle.h"
#include "reader/out.h"

#define REGION 0x0000000500000001ull

static struct rdr_proc leader = { .host = "h", .comm = "leader", .pid = 100, .index = 0 };
static struct rdr_proc compactor = { .host = "h", .comm = "compactor", .pid = 200, .index = 1 };

/* A timeline under construction: payloads and ids kept alive for the model's pointers. */
struct tl {
	union rhw_ev_any payloads[64];
	uint8_t ids[64][2][16];
	struct rdr_event ev[64];
	size_t n;
	uint64_t ts;
};

static void id_of(uint8_t out[16], unsigned k)
{
	memset(out, 0, 16);
	out[0] = (uint8_t)k;
	out[15] = 0x5a;
}

/* Appends an event of @id with payload @p (copied) and @added / @removed listed ids (manifest_updated). */
static struct rdr_event *push(struct tl *t, const struct rdr_proc *proc, unsigned id, const void *p,
				    size_t size)
{
	struct rdr_event *ev = &t->ev[t->n];

	assert_true(t->n < 64);
	memcpy(&t->payloads[t->n], p, size);
	*ev = (struct rdr_event){ .ts = (t->ts += 1000), .proc = proc, .payload = &t->payloads[t->n],
					.ids = (const uint8_t *)t->ids[t->n], .tid = 1, .id = (uint16_t)id };
	t->n++;
	return ev;
}

static void written(struct tl *t, const struct rdr_proc *proc, uint64_t job, unsigned file, uint8_t level,
		    uint64_t size, enum rhook_origin origin)
{
	struct rhw_ev_sst_file_written e = { .region_id = REGION, .job_id = job, .file_size = size, .num_rows = 10,
						.level = level, .origin = (uint8_t)origin };

	id_of(e.file_id, file);
	push(t, proc, RHW_EV_sst_file_written, &e, sizeof(e));
}

static void updated(struct tl *t, const struct rdr_proc *proc, uint64_t job, uint64_t version,
		    enum rhook_cause cause, unsigned added, unsigned removed, uint32_t kinds)
{
	struct rhw_ev_manifest_updated e = { .region_id = REGION, .job_id = job, .version = version,
						.action_kinds = kinds, .num_actions = 1,
						.num_files_added = added ? 1 : 0, .num_files_removed = removed ? 1 : 0,
						.cause = (uint8_t)cause };
	struct rdr_event *ev = push(t, proc, RHW_EV_manifest_updated, &e, sizeof(e));
	size_t n = t->n - 1;

	if (added)
		id_of(t->ids[n][ev->num_ids++], added);
	if (removed)
		id_of(t->ids[n][ev->num_ids++], removed);
	ev->list_len[0] = added ? 1 : 0;
	ev->list_len[1] = removed ? 1 : 0;
}

static void deleted(struct tl *t, const struct rdr_proc *proc, unsigned file, uint64_t version,
		    enum rhook_remove_reason reason)
{
	struct rhw_ev_sst_file_removed e = { .region_id = REGION, .file_size = 4096, .removed_version = version,
						.level = RHOOK_LEVEL_UNKNOWN, .reason = (uint8_t)reason };

	id_of(e.file_id, file);
	push(t, proc, RHW_EV_sst_file_removed, &e, sizeof(e));
}

static void feed(struct rdr_lifecycle *lc, const struct tl *t)
{
	for (size_t i = 0; i < t->n; i++)
		rdr_lc_add(lc, &t->ev[i]);
	assert_int_equal(lc->err, 0);
}

/* Flush 7 and compaction 8 on one region, interleaved: begin 7, begin 8, end 7, end 8. */
static void test_interleaved_jobs(void **state)
{
	static struct tl t;
	struct rdr_lifecycle lc;
	struct rhw_ev_flush_begin fb = { .region_id = REGION, .job_id = 7, .rows = 5, .bytes = 50 };
	struct rhw_ev_compaction_begin cb = { .region_id = REGION, .job_id = 8, .bytes_in = 900, .input_files = 2 };
	struct rhw_ev_flush_end fe = { .region_id = REGION, .job_id = 7, .rows = 5, .bytes = 50, .files = 1 };
	struct rhw_ev_compaction_end ce = { .region_id = REGION, .job_id = 8, .bytes_in = 900, .bytes_out = 800,
					       .input_files = 2, .output_files = 1, .status = -5 };
	const struct rdr_lc_job *flush, *compaction;

	(void)state;
	memset(&t, 0, sizeof(t));
	push(&t, &leader, RHW_EV_flush_begin, &fb, sizeof(fb));           /* ts 1000 */
	push(&t, &leader, RHW_EV_compaction_begin, &cb, sizeof(cb));      /* ts 2000 */
	written(&t, &leader, 7, 1, 0, 100, RHOOK_ORIGIN_FLUSH);              /* ts 3000 */
	written(&t, &leader, 8, 2, 1, 800, RHOOK_ORIGIN_COMPACTION);         /* ts 4000 */
	updated(&t, &leader, 7, 3, RHOOK_CAUSE_FLUSH, 1, 0, RHOOK_ACTION_EDIT); /* ts 5000 */
	push(&t, &leader, RHW_EV_flush_end, &fe, sizeof(fe));             /* ts 6000 */
	push(&t, &leader, RHW_EV_compaction_end, &ce, sizeof(ce));        /* ts 7000 */
	rdr_lc_init(&lc);
	feed(&lc, &t);
	assert_int_equal(lc.num_jobs, 2);
	flush = rdr_lc_job_find(&lc, &leader, 7);
	compaction = rdr_lc_job_find(&lc, &leader, 8);
	assert_non_null(flush);
	assert_non_null(compaction);
	/* Paired by id: each end closes its own begin, whatever came between. */
	assert_int_equal(flush->kind, RDR_LC_FLUSH);
	assert_int_equal(flush->begin_ts, 1000);
	assert_int_equal(flush->end_ts, 6000);
	assert_int_equal(flush->known, RDR_LC_JOB_BEGIN | RDR_LC_JOB_END | RDR_LC_JOB_COMMIT);
	assert_int_equal(flush->commit_version, 3);
	assert_int_equal(flush->written_files, 1);
	assert_int_equal(compaction->kind, RDR_LC_COMPACTION);
	assert_int_equal(compaction->begin_ts, 2000);
	assert_int_equal(compaction->end_ts, 7000);
	assert_int_equal(compaction->status, -5);
	assert_false(compaction->known & RDR_LC_JOB_COMMIT);
	assert_int_equal(compaction->written_bytes, 800);
	/* The same job id in another process is another job. */
	assert_null(rdr_lc_job_find(&lc, &compactor, 7));
	rdr_lc_free(&lc);
}

/*
 * Remote compaction: born in the compactor under the leader's job 40,
 * committed there, inputs deleted by the leader's GC; a truncate-all then
 * ends the output's life; levels and write amplification follow.
 */
static void test_remote_lineage_and_amp(void **state)
{
	static struct tl t;
	struct rdr_lifecycle lc;
	struct rhw_ev_compaction_begin cb = { .region_id = REGION, .job_id = 40, .input_files = 2, .mode = 1 };
	struct rhw_ev_compaction_end ce = { .region_id = REGION, .job_id = 40, .input_files = 2, .output_files = 1,
					       .mode = 1 };
	const struct rdr_lc_file *in, *out;
	const struct rdr_lc_region *r;

	(void)state;
	memset(&t, 0, sizeof(t));
	written(&t, &leader, 1, 1, 0, 1000, RHOOK_ORIGIN_FLUSH);
	updated(&t, &leader, 1, 2, RHOOK_CAUSE_FLUSH, 1, 0, RHOOK_ACTION_EDIT);
	written(&t, &leader, 2, 2, 0, 1000, RHOOK_ORIGIN_FLUSH);
	updated(&t, &leader, 2, 3, RHOOK_CAUSE_FLUSH, 2, 0, RHOOK_ACTION_EDIT);
	push(&t, &compactor, RHW_EV_compaction_begin, &cb, sizeof(cb));
	written(&t, &compactor, 40, 3, 1, 1500, RHOOK_ORIGIN_REMOTE_COMPACTION);
	updated(&t, &compactor, 40, 4, RHOOK_CAUSE_REMOTE_COMPACTION, 3, 1, RHOOK_ACTION_EDIT);
	updated(&t, &compactor, 40, 4, RHOOK_CAUSE_REMOTE_COMPACTION, 0, 2, RHOOK_ACTION_EDIT);
	push(&t, &compactor, RHW_EV_compaction_end, &ce, sizeof(ce));
	deleted(&t, &leader, 1, 4, RHOOK_REMOVE_COMPACTION);
	deleted(&t, &leader, 2, 4, RHOOK_REMOVE_COMPACTION);
	updated(&t, &leader, 0, 5, RHOOK_CAUSE_TRUNCATE, 0, 0, RHOOK_ACTION_TRUNCATE);
	rdr_lc_init(&lc);
	feed(&lc, &t);

	assert_int_equal(lc.num_files, 3);
	out = &lc.files[2];
	assert_int_equal(out->known, RDR_LC_BORN | RDR_LC_LIVE | RDR_LC_UNLIVE);
	assert_ptr_equal(out->born_proc, &compactor);
	assert_int_equal(out->born_job, 40);
	assert_int_equal(out->origin, RHOOK_ORIGIN_REMOTE_COMPACTION);
	assert_int_equal(out->live_version, 4);
	assert_int_equal(out->unlive_version, 5); /* the truncate-all */
	assert_int_equal(out->unlive_cause, RHOOK_CAUSE_TRUNCATE);
	in = &lc.files[0];
	assert_int_equal(in->known, RDR_LC_BORN | RDR_LC_LIVE | RDR_LC_UNLIVE | RDR_LC_DELETED);
	assert_int_equal(in->unlive_version, 4);
	assert_int_equal(in->unlive_job, 40);
	assert_ptr_equal(in->deleted_proc, &leader);
	assert_int_equal(in->reason, RHOOK_REMOVE_COMPACTION);
	assert_int_equal(in->level, 0); /* from its birth, not the deletion's "unknown" */
	assert_int_equal(rdr_lc_job_find(&lc, &compactor, 40)->commit_version, 4);

	assert_int_equal(lc.num_regions, 1);
	r = &lc.regions[0];
	assert_int_equal(r->written_bytes[RHOOK_ORIGIN_FLUSH], 2000);
	assert_int_equal(r->written_bytes[RHOOK_ORIGIN_REMOTE_COMPACTION], 1500);
	assert_true(rdr_lc_write_amp(r) > 1.749 && rdr_lc_write_amp(r) < 1.751);
	assert_int_equal(r->max_l0, 2);
	assert_int_equal(r->num_samples, 5);
	assert_int_equal(r->samples[2].files[0], 1); /* after the compactor's first commit of version 4 */
	assert_int_equal(r->samples[2].files[1], 1);
	assert_int_equal(r->samples[3].files[0], 0);
	assert_int_equal(r->samples[3].bytes[1], 1500);
	for (unsigned l = 0; l < RDR_LC_LEVELS; l++)
		assert_int_equal(r->files[l], 0); /* truncated */
	assert_false(r->partial);
	rdr_lc_free(&lc);
}

/* check: a deletion of a live file is a violation; a drop's, or one after the removing commit, is not. */
static void test_removed_live_file_rule(void **state)
{
	static struct tl t;
	struct rdr_check *c = calloc(1, sizeof(*c));
	struct rdr_proc *procs[] = { &leader };
	struct rdr_out o;

	(void)state;
	assert_non_null(c);
	memset(&t, 0, sizeof(t));
	written(&t, &leader, 1, 1, 0, 1000, RHOOK_ORIGIN_FLUSH);
	updated(&t, &leader, 1, 2, RHOOK_CAUSE_FLUSH, 1, 0, RHOOK_ACTION_EDIT);
	written(&t, &leader, 2, 2, 0, 1000, RHOOK_ORIGIN_FLUSH);
	updated(&t, &leader, 2, 3, RHOOK_CAUSE_FLUSH, 2, 0, RHOOK_ACTION_EDIT);
	updated(&t, &leader, 0, 4, RHOOK_CAUSE_EDIT, 0, 1, RHOOK_ACTION_EDIT);
	deleted(&t, &leader, 1, 4, RHOOK_REMOVE_EDIT); /* after its removal: fine */
	deleted(&t, &leader, 2, 0, RHOOK_REMOVE_ORPHAN); /* live: the violation */
	deleted(&t, &leader, 2, 0, RHOOK_REMOVE_DROP);   /* a drop takes live files: fine */
	rdr_check_init(c, 0);
	for (size_t i = 0; i < t.n; i++)
		rdr_check_add(c, &t.ev[i]);
	assert_int_equal(rdr_out_init(&o, -1), 0);
	/* The timeline has no manifest_commit events: receipt-after-commit fails too (3 notifications). */
	assert_int_equal(rdr_check_finish(c, &o, procs), 3 + 1);
	assert_int_equal(c->violations[RDR_RULE_RECEIPT_AFTER_COMMIT], 3);
	assert_int_equal(c->violations[RDR_RULE_REMOVED_LIVE_FILE], 1);
	assert_string_equal(rdr_rule_name(RDR_RULE_REMOVED_LIVE_FILE), "removed-live-file");
	o.buf[o.len] = '\0';
	assert_non_null(strstr(o.buf, "deleted (reason orphan) while live: added by version 3"));
	rdr_check_free(c);
	free(c);

	/* The same with a process that lost events: unverifiable, not a violation. */
	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	leader.lossy = true;
	rdr_check_init(c, 0);
	for (size_t i = 0; i < t.n; i++)
		rdr_check_add(c, &t.ev[i]);
	assert_int_equal(c->violations[RDR_RULE_REMOVED_LIVE_FILE], 0);
	assert_int_equal(c->unverifiable[RDR_RULE_REMOVED_LIVE_FILE], 1);
	leader.lossy = false;
	rdr_check_free(c);
	free(c);
	rdr_out_close(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved_jobs),
		cmocka_unit_test(test_remote_lineage_and_amp),
		cmocka_unit_test(test_removed_live_file_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
