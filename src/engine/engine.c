/*
 * engine.c - the engine: configuration, failpoints and the worker pool
 * that runs flushes and compactions of many regions at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "region.h"
#include "util.h"

/* Worker: takes jobs until stopping; pool_lock only around the queue. */
static void *worker(void *arg)
{
	struct lsm_engine *e = arg;

	pthread_mutex_lock(&e->pool_lock);
	for (;;) {
		struct lsm__job *job;
		int err;

		while (!e->head && !e->stopping)
			pthread_cond_wait(&e->work_cond, &e->pool_lock);
		if (!e->head)
			break;
		job = e->head;
		e->head = job->next;
		if (!e->head)
			e->tail = NULL;
		pthread_mutex_unlock(&e->pool_lock);

		err = job->kind == LSM_JOB_FLUSH ? lsm_region_flush(job->region, NULL)
						   : lsm_region_compact(job->region, NULL);

		pthread_mutex_lock(&e->pool_lock);
		if (err && !e->first_err) {
			e->first_err = err;
			snprintf(e->first_msg, sizeof(e->first_msg), "%s", lsm_engine_errmsg());
		}
		job->region->jobs--;
		e->outstanding--;
		pthread_cond_broadcast(&e->idle_cond);
		free(job);
	}
	pthread_mutex_unlock(&e->pool_lock);
	return NULL;
}

int lsm_engine_new(const struct lsm_engine_config *cfg, struct lsm_engine **out)
{
	struct lsm_engine *e;
	int err = 0;

	if (!cfg || cfg->size < sizeof(*cfg))
		return lsm__fail(-EINVAL, "lsm_engine_new: bad configuration");
	if (cfg->bench_only_skip_fsync) {
		const char *ok = getenv("LSM_BENCH_ONLY_SKIP_FSYNC");

		if (!ok || strcmp(ok, "1"))
			return lsm__fail(-EPERM, "lsm_engine_new: bench_only_skip_fsync is for benches only "
						 "(set LSM_BENCH_ONLY_SKIP_FSYNC=1 to allow it)");
		fprintf(stderr, "lsm_engine_new: BENCH ONLY: fsync skipped, nothing this process writes is durable\n");
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return lsm__fail(-ENOMEM, "out of memory");
	e->registry = cfg->registry;
	e->row_group_rows = cfg->row_group_rows ? cfg->row_group_rows : 1024;
	e->sst_max_rows = cfg->sst_max_rows ? cfg->sst_max_rows : 65536;
	e->checkpoint_interval = cfg->checkpoint_interval ? cfg->checkpoint_interval : 32;
	e->compaction_trigger = cfg->compaction_trigger ? cfg->compaction_trigger : 2;
	e->skip_fsync = cfg->bench_only_skip_fsync;
	if (e->skip_fsync)
		lsm__fs_skip_sync_ref(1);
	atomic_init(&e->num_timed, 0);
	for (int i = 0; i < LSM_FAULT_COUNT; i++)
		atomic_init(&e->fault_armed[i], false);
	pthread_mutex_init(&e->fault_lock, NULL);
	pthread_mutex_init(&e->pool_lock, NULL);
	pthread_cond_init(&e->work_cond, NULL);
	pthread_cond_init(&e->idle_cond, NULL);
	if (cfg->commit_timings) {
		e->timed = calloc(cfg->commit_timings, sizeof(*e->timed));
		e->cap_timed = e->timed ? cfg->commit_timings : 0;
	}
	e->num_threads = cfg->workers ? cfg->workers : 2;
	e->threads = calloc(e->num_threads, sizeof(*e->threads));
	if (!e->threads || (cfg->commit_timings && !e->timed)) {
		free(e->threads);
		e->threads = NULL;
		e->num_threads = 0;
		err = -ENOMEM;
	}
	for (unsigned i = 0; !err && i < e->num_threads; i++) {
		err = -pthread_create(&e->threads[i], NULL, worker, e);
		if (err)
			e->num_threads = i;
	}
	if (err) {
		lsm_engine_free(e);
		return lsm__fail(err, "lsm_engine_new: cannot start workers");
	}
	*out = e;
	return 0;
}

void lsm_engine_free(struct lsm_engine *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->pool_lock);
	e->stopping = true;
	pthread_cond_broadcast(&e->work_cond);
	pthread_mutex_unlock(&e->pool_lock);
	for (unsigned i = 0; i < e->num_threads; i++)
		pthread_join(e->threads[i], NULL);
	free(e->threads);
	pthread_cond_destroy(&e->work_cond);
	pthread_cond_destroy(&e->idle_cond);
	pthread_mutex_destroy(&e->pool_lock);
	pthread_mutex_destroy(&e->fault_lock);
	if (e->skip_fsync)
		lsm__fs_skip_sync_ref(-1);
	free(e->timed);
	free(e);
}

/* Any thread. */
int lsm_engine_submit(struct lsm_engine *e, struct lsm_region *region, enum lsm_job kind)
{
	struct lsm__job *job = malloc(sizeof(*job));

	if (!job)
		return lsm__fail(-ENOMEM, "out of memory");
	*job = (struct lsm__job){ .region = region, .kind = kind };
	pthread_mutex_lock(&e->pool_lock);
	if (e->tail)
		e->tail->next = job;
	else
		e->head = job;
	e->tail = job;
	e->outstanding++;
	region->jobs++;
	pthread_cond_signal(&e->work_cond);
	pthread_mutex_unlock(&e->pool_lock);
	return 0;
}

/* Any thread; the error is reported to one waiter. */
int lsm_engine_wait(struct lsm_engine *e)
{
	int err;

	pthread_mutex_lock(&e->pool_lock);
	while (e->outstanding)
		pthread_cond_wait(&e->idle_cond, &e->pool_lock);
	err = e->first_err;
	e->first_err = 0;
	/* The job's message was the worker's: hand it to the waiter. */
	if (err)
		lsm__fail(err, "%s", e->first_msg);
	pthread_mutex_unlock(&e->pool_lock);
	return err;
}

size_t lsm_engine_commit_timings(struct lsm_engine *e, struct lsm_commit_timing *out, size_t max, bool reset)
{
	/* Relaxed: the caller's synchronization orders the records before this read. */
	size_t n = atomic_load_explicit(&e->num_timed, memory_order_relaxed);

	if (n > e->cap_timed)
		n = e->cap_timed;
	if (out && n && max)
		memcpy(out, e->timed, (n < max ? n : max) * sizeof(*out));
	if (reset)
		atomic_store_explicit(&e->num_timed, 0, memory_order_relaxed);
	return n;
}

void lsm_engine_set_fault(struct lsm_engine *e, enum lsm_fault fault, int err, unsigned skip)
{
	if ((unsigned)fault >= LSM_FAULT_COUNT)
		return;
	pthread_mutex_lock(&e->fault_lock);
	e->fault_err[fault] = err;
	e->fault_skip[fault] = skip;
	atomic_store_explicit(&e->fault_armed[fault], err != 0 || e->fault_delay_ns[fault] || e->fault_delay_every[fault],
			      memory_order_relaxed);
	pthread_mutex_unlock(&e->fault_lock);
}

void lsm_engine_set_fault_delay(struct lsm_engine *e, enum lsm_fault fault, uint64_t delay_ns, unsigned skip)
{
	if ((unsigned)fault >= LSM_FAULT_COUNT)
		return;
	pthread_mutex_lock(&e->fault_lock);
	e->fault_delay_ns[fault] = delay_ns;
	e->fault_delay_skip[fault] = skip;
	atomic_store_explicit(&e->fault_armed[fault], e->fault_err[fault] != 0 || delay_ns || e->fault_delay_every[fault],
			      memory_order_relaxed);
	pthread_mutex_unlock(&e->fault_lock);
}

void lsm_engine_set_persist_delay(struct lsm_engine *e, uint64_t ns)
{
	pthread_mutex_lock(&e->fault_lock);
	e->fault_delay_every[LSM_FAULT_PERSIST] = ns;
	atomic_store_explicit(&e->fault_armed[LSM_FAULT_PERSIST],
			      e->fault_err[LSM_FAULT_PERSIST] != 0 || e->fault_delay_ns[LSM_FAULT_PERSIST] || ns,
			      memory_order_relaxed);
	pthread_mutex_unlock(&e->fault_lock);
}

int lsm__fault_hit(struct lsm_engine *e, enum lsm_fault fault)
{
	uint64_t delay = 0;
	int err = 0;

	if (!e || !atomic_load_explicit(&e->fault_armed[fault], memory_order_relaxed))
		return 0;
	pthread_mutex_lock(&e->fault_lock);
	delay = e->fault_delay_every[fault];
	if (e->fault_delay_ns[fault]) {
		if (e->fault_delay_skip[fault]) {
			e->fault_delay_skip[fault]--;
		} else {
			delay += e->fault_delay_ns[fault];
			e->fault_delay_ns[fault] = 0;
		}
	}
	if (e->fault_err[fault]) {
		if (e->fault_skip[fault]) {
			e->fault_skip[fault]--;
		} else {
			err = e->fault_err[fault];
			e->fault_err[fault] = 0;
		}
	}
	atomic_store_explicit(&e->fault_armed[fault],
			      e->fault_err[fault] != 0 || e->fault_delay_ns[fault] || e->fault_delay_every[fault],
			      memory_order_relaxed);
	pthread_mutex_unlock(&e->fault_lock);
	if (delay) {
		/* Outside the lock: other failpoints go on meanwhile. */
		struct timespec ts = { (time_t)(delay / 1000000000u), (long)(delay % 1000000000u) };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	return err;
}
