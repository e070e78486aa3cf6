/*
 * recorder_roundtrip.c - events written through the public API by
 * several threads are the events the decoder reads back, field by field,
 * in each thread's order, on both clocks; and with sub-buffers larger
 * than the decoder's copy window (recfile.c), so that records are read
 * across its refills.
 *
 * Every value an event carries is a function of (thread, iteration),
 * except the measured lock and persist times of manifest_commit; flush
 * and compaction ends get start 0, which makes their duration 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "reader/recfile.h"
#include "reader/schema.h"
#include "store_nothing.h"
#include "rt.h"

#define THREADS 4
#define ITERS 300
#define ITERS_LARGE 1500 /* ~1 MB per thread: several 256 KiB windows per sub-buffer */

/* Per thread: iterations of the run. */
static unsigned iters = ITERS;
/* flush_begin, 2 sst, commit, updated, flush_end, compaction_begin, compaction_end, 2 sst_file_removed */
#define EVENTS_PER_ITER 10

struct worker {
	pthread_t thread;
	unsigned index;
	uint32_t tid;
	int err;
};

static rhook_region_id region_of(unsigned t)
{
	return rhook_region_id_make(100 + t, t * 7);
}

static rhook_file_id file_id_of(unsigned t, unsigned i, unsigned k)
{
	rhook_file_id id;

	memset(&id, 0, sizeof(id));
	id.bytes[0] = (uint8_t)t;
	memcpy(id.bytes + 1, &i, sizeof(i));
	id.bytes[5] = (uint8_t)k;
	id.bytes[15] = 0xa5;
	return id;
}

static struct rhook_file_meta file_of(unsigned t, unsigned i, unsigned k)
{
	struct rhook_file_meta fm = {
		.region_id = region_of(t),
		.file_id = file_id_of(t, i, k),
		.time_range = { .start = -(int64_t)i, .end = (int64_t)i * 1000, .unit = RHOOK_TIME_UNIT_MICROSECOND },
		.level = (uint8_t)(i % 3),
		.file_size = 1000u * i + k,
		.index_file_size = 10u * i,
		.num_rows = 7u * i,
		.num_row_groups = i % 5,
	};

	return fm;
}

/* A job id per thread and iteration, never 0. */
static uint64_t job_of(unsigned t, unsigned i)
{
	return (uint64_t)(t + 1) << 32 | (i + 1);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned t = w->index;
	rhook_region_id region = region_of(t);
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg), .region_id = region,
						 .store_ops = &rt_store_nothing };
	struct rhook_manifest_ctx *ctx;

	w->tid = (uint32_t)gettid();
	w->err = rhook_manifest_ctx_new(&cfg, &ctx);
	for (unsigned i = 0; !w->err && i < iters; i++) {
		struct rhook_file_meta files[2] = { file_of(t, i, 0), file_of(t, i, 1) };
		struct rhook_file_meta old = file_of(t, i, 9);
		struct rhook_sst_info info = { 0 };
		struct rhook_sst_file sst[2] = { { &info, &files[0] }, { &info, &files[1] } };
		struct rhook_action_edit edit = { .files_to_add = files, .num_files_to_add = 2,
						  .files_to_remove = &old, .num_files_to_remove = i % 2,
						  .has_flushed_entry_id = true, .flushed_entry_id = i,
						  .has_flushed_sequence = true, .flushed_sequence = i * 10u };
		struct rhook_action_list *list = rhook_action_list_new();
		const rhook_file_id inputs[2] = { files[0].file_id, files[1].file_id };
		const struct rhook_removed_file gone[2] = {
			{ .file_id = files[0].file_id, .level = files[0].level, .file_size = files[0].file_size,
			  .index_file_size = files[0].index_file_size, .num_rows = files[0].num_rows,
			  .removed_version = i + 1 },
			{ .file_id = files[1].file_id, .level = RHOOK_LEVEL_UNKNOWN, .file_size = files[1].file_size },
		};
		uint64_t prev = rhook_job_enter(job_of(t, i));

		rhook_trace_flush_begin(region, i, i * 7u);
		rhook_sst_files_written(NULL, region, NULL, sst, 2, RHOOK_ORIGIN_FLUSH);
		w->err = list ? rhook_action_list_add_edit(list, &edit) : -ENOMEM;
		if (!w->err)
			w->err = rhook_manifest_update(ctx, list, (enum rhook_cause)(i % RHOOK_CAUSE_COUNT), NULL);
		rhook_action_list_free(list);
		rhook_trace_flush_end(0, region, i, i * 7u, 2, -(int)(i % 2));
		/* Odd iterations list their inputs; even ones use the call that lists none. */
		if (i % 2)
			rhook_trace_compaction_begin_inputs(region, inputs, 2, i * 3u, true);
		else
			rhook_trace_compaction_begin(region, 2, i * 3u, false);
		rhook_trace_compaction_end(0, region, 2, 1, i * 3u, i * 2u, i % 2, 0);
		rhook_job_enter(prev);
		/* Outside any job: job_id 0 where the event has one. */
		if (!w->err)
			w->err = rhook_files_removed(NULL, region, gone, 2, (enum rhook_remove_reason)(i % 6));
	}
	rhook_manifest_ctx_free(ctx);
	return NULL;
}

/* The payload thread @t wrote as event @n of its sequence, in @buf; its event id. */
static unsigned expected(unsigned t, unsigned n, void *buf, uint8_t ids[3][16], unsigned *num_ids)
{
	unsigned i = n / EVENTS_PER_ITER, k = n % EVENTS_PER_ITER;
	rhook_region_id region = region_of(t);

	memset(buf, 0, 128);
	*num_ids = 0;
	switch (k) {
	case 0:
		*(struct rhw_ev_flush_begin *)buf = (struct rhw_ev_flush_begin){
			.region_id = region, .job_id = job_of(t, i), .rows = i, .bytes = i * 7u };
		return RHW_EV_flush_begin;
	case 1:
	case 2: {
		struct rhook_file_meta fm = file_of(t, i, k - 1);
		struct rhw_ev_sst_file_written *e = buf;

		e->region_id = region;
		e->job_id = job_of(t, i);
		memcpy(e->file_id, fm.file_id.bytes, 16);
		e->time_start = fm.time_range.start;
		e->time_end = fm.time_range.end;
		e->file_size = fm.file_size;
		e->num_rows = fm.num_rows;
		e->num_row_groups = fm.num_row_groups;
		e->index_file_size = fm.index_file_size;
		e->level = fm.level;
		e->time_unit = RHOOK_TIME_UNIT_MICROSECOND;
		e->origin = RHOOK_ORIGIN_FLUSH;
		return RHW_EV_sst_file_written;
	}
	case 3: {
		struct rhw_ev_manifest_commit *e = buf;

		e->region_id = region;
		e->job_id = job_of(t, i);
		e->version = i + 1;
		e->cause = (uint8_t)(i % RHOOK_CAUSE_COUNT);
		return RHW_EV_manifest_commit;
	}
	case 4: {
		struct rhw_ev_manifest_updated *e = buf;

		e->region_id = region;
		e->job_id = job_of(t, i);
		e->version = i + 1;
		e->flushed_entry_id = i;
		e->flushed_sequence = i * 10u;
		e->action_kinds = RHOOK_ACTION_EDIT;
		e->num_actions = 1;
		e->num_files_added = 2;
		e->num_files_removed = i % 2;
		e->cause = (uint8_t)(i % RHOOK_CAUSE_COUNT);
		memcpy(ids[0], file_id_of(t, i, 0).bytes, 16);
		memcpy(ids[1], file_id_of(t, i, 1).bytes, 16);
		memcpy(ids[2], file_id_of(t, i, 9).bytes, 16);
		*num_ids = 2 + i % 2;
		return RHW_EV_manifest_updated;
	}
	case 5:
		*(struct rhw_ev_flush_end *)buf = (struct rhw_ev_flush_end){
			.region_id = region, .job_id = job_of(t, i), .rows = i, .bytes = i * 7u, .files = 2,
			.status = -(int)(i % 2) };
		return RHW_EV_flush_end;
	case 6: {
		struct rhw_ev_compaction_begin *e = buf;

		e->region_id = region;
		e->job_id = job_of(t, i);
		e->bytes_in = i * 3u;
		e->input_files = 2;
		e->num_inputs = i % 2 ? 2 : 0;
		e->mode = (uint8_t)(i % 2);
		if (i % 2) {
			memcpy(ids[0], file_id_of(t, i, 0).bytes, 16);
			memcpy(ids[1], file_id_of(t, i, 1).bytes, 16);
			*num_ids = 2;
		}
		return RHW_EV_compaction_begin;
	}
	case 7: {
		struct rhw_ev_compaction_end *e = buf;

		e->region_id = region;
		e->job_id = job_of(t, i);
		e->bytes_in = i * 3u;
		e->bytes_out = i * 2u;
		e->input_files = 2;
		e->output_files = 1;
		e->mode = (uint8_t)(i % 2);
		return RHW_EV_compaction_end;
	}
	default: {
		struct rhook_file_meta fm = file_of(t, i, k - 8);
		struct rhw_ev_sst_file_removed *e = buf;

		e->region_id = region;
		memcpy(e->file_id, fm.file_id.bytes, 16);
		e->file_size = fm.file_size;
		e->reason = (uint8_t)(i % 6);
		if (k == 8) {
			e->level = fm.level;
			e->index_file_size = fm.index_file_size;
			e->num_rows = fm.num_rows;
			e->removed_version = i + 1;
		} else {
			e->level = RHOOK_LEVEL_UNKNOWN;
		}
		return RHW_EV_sst_file_removed;
	}
	}
}

/* Compares every field of @got with the expected payload; measured times excepted. */
static void compare(const struct rdr_event *got, unsigned id, const void *want, uint8_t ids[3][16],
		    unsigned num_ids)
{
	const struct rdr_event_desc *d = rdr_schema_event(id);

	assert_int_equal(got->id, id);
	for (uint32_t f = 0; f < d->num_fields; f++) {
		const struct rdr_field *fd = &d->fields[f];

		if (id == RHW_EV_manifest_commit && strstr(fd->name, "_ns"))
			continue;
		if (fd->kind == RDR_FK_UUID)
			assert_memory_equal((const uint8_t *)got->payload + fd->offset,
					    (const uint8_t *)want + fd->offset, 16);
		else
			assert_int_equal(rdr_field_u64(fd, got->payload), rdr_field_u64(fd, want));
	}
	assert_int_equal(got->num_ids, num_ids);
	if (id != RHW_EV_compaction_begin)
		assert_int_equal(got->list_len[0], d->num_lists ? 2 : 0);
	else
		assert_int_equal(got->list_len[0], num_ids);
	if (num_ids)
		assert_memory_equal(got->ids, ids, num_ids * 16u);
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void roundtrip(enum rhook_recorder_clock clock, size_t buffer_size, unsigned num_subbuffers)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = buffer_size,
					     .num_buffers = THREADS + 2, .num_subbuffers = num_subbuffers,
					     .mode = RHOOK_RECORDER_DISCARD, .clock = clock };
	struct worker w[THREADS];
	struct rdr_proc proc;
	struct rdr_recfile f;
	char dir[PATH_MAX], path[PATH_MAX], err[256];
	unsigned seen[THREADS] = { 0 };
	uint64_t t0, t1;
	int ret;

	rt_tmpdir(dir, "roundtrip");
	cfg.dir = dir;
	ret = rhook_recorder_start(&cfg);
	if (ret == -ENOTSUP) {
		tc_rmtree(dir);
		skip(); /* no invariant TSC on this machine: only the monotonic run applies */
	}
	assert_int_equal(ret, 0);
	assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	t0 = mono_now();
	for (unsigned t = 0; t < THREADS; t++) {
		w[t] = (struct worker){ .index = t };
		assert_int_equal(pthread_create(&w[t].thread, NULL, work, &w[t]), 0);
	}
	for (unsigned t = 0; t < THREADS; t++) {
		pthread_join(w[t].thread, NULL);
		assert_int_equal(w[t].err, 0);
	}
	t1 = mono_now();
	assert_int_equal(rhook_recorder_stop(), 0);

	memset(&proc, 0, sizeof(proc));
	ret = rdr_recfile_open(&f, path, &proc, err, sizeof(err));
	if (ret)
		fail_msg("%s: %s", path, err);
	assert_int_equal(f.hdr.state, RHR_STATE_STOPPED);
	assert_int_equal(f.hdr.clock, clock == RHOOK_RECORDER_CLOCK_TSC ? RHR_CLOCK_TSC : RHR_CLOCK_MONOTONIC);
	assert_int_equal(proc.pid, (uint64_t)getpid());
	for (uint32_t s = 0; s < f.num_streams; s++) {
		struct rdr_stream *st = rdr_recfile_stream(&f, s);
		uint64_t last = 0;
		unsigned t = THREADS;

		while (st->next(st)) {
			uint8_t want[128], ids[3][16];
			unsigned num_ids, id;

			if (t == THREADS)
				for (t = 0; t < THREADS && w[t].tid != st->ev.tid; t++)
					;
			assert_true(t < THREADS);
			assert_int_equal(st->ev.tid, w[t].tid);
			assert_true(seen[t] < iters * EVENTS_PER_ITER);
			id = expected(t, seen[t]++, want, ids, &num_ids);
			compare(&st->ev, id, want, ids, num_ids);
			/* Converted timestamps are monotonic CLOCK_MONOTONIC values of the run. */
			assert_true(st->ev.mono >= last);
			last = st->ev.mono;
			assert_true(st->ev.mono + 2000000 >= t0 && st->ev.mono <= t1 + 2000000);
		}
	}
	for (unsigned t = 0; t < THREADS; t++)
		assert_int_equal(seen[t], iters * EVENTS_PER_ITER);
	assert_int_equal(proc.events, THREADS * iters * EVENTS_PER_ITER);
	assert_int_equal(proc.lost.discard + proc.lost.overwrite + proc.lost.no_buffer + proc.lost.nested +
				 proc.lost.damaged,
			 0);
	rdr_recfile_close(&f);
	tc_rmtree(dir);
}

static void test_monotonic(void **state)
{
	(void)state;
	iters = ITERS;
	roundtrip(RHOOK_RECORDER_CLOCK_MONOTONIC, 1u << 20, 8);
}

static void test_tsc(void **state)
{
	(void)state;
	iters = ITERS;
	roundtrip(RHOOK_RECORDER_CLOCK_TSC, 1u << 20, 8);
}

/* 2 MiB sub-buffers, each thread's ~1 MB in one of them: read through several windows. */
static void test_large_subbuffers(void **state)
{
	(void)state;
	iters = ITERS_LARGE;
	roundtrip(RHOOK_RECORDER_CLOCK_MONOTONIC, 4u << 20, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_tsc),
		cmocka_unit_test(test_large_subbuffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
