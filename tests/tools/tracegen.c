/*
 * tracegen.c - rhook-tracegen: real rhook traffic without an engine.
 *
 * Drives the public API the way an LSM engine does: per region a
 * manifest context over an in-memory store, a registry with one hook,
 * and rounds of flushes (SSTs written, then committed), local and remote
 * compactions, and the other manifest writes of contract §2 (edit, copy,
 * staging enter/apply/exit, alter, truncate, index build, the last one
 * as two writes merged into one receipt).  Every Nth persist can fail
 * (--fail-every), which turns that flush or compaction into a failed one
 * whose SSTs are never committed.
 *
 * Recording is whatever the environment asks for: RHOOK_TRACE_DIR for
 * the flight recorder, RHOOK_LTTNG=on and a session for LTTng.  At the
 * end it prints how many events of each kind it caused, so that tests can
 * check a reader's counts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rhook/trace.h>

struct options {
	unsigned threads;
	unsigned regions;   /* per thread */
	unsigned rounds;    /* per region */
	unsigned fail_every;
	bool fork_child;
	bool no_hook;
};

/* The in-memory manifest store; persist() runs under the region's mutex. */
struct store {
	atomic_uint writes;
	unsigned fail_every;
};

/* Counts of what the run caused, summed over the threads at the end. */
struct counts {
	unsigned long sst, commit_ok, commit_failed, updated, dispatch, flush, compaction;
};

struct worker {
	pthread_t thread;
	unsigned index;
	const struct options *opt;
	struct rhook_registry *reg;
	struct store *store;
	struct counts counts;
	int err;
};

static int persist(void *priv, rhook_region_id region_id, uint64_t version, const struct rhook_action_list *actions,
		   const char *json, size_t json_len)
{
	struct store *s = priv;
	/* Relaxed: a count that picks which writes fail, ordering nothing. */
	unsigned n = atomic_fetch_add_explicit(&s->writes, 1, memory_order_relaxed) + 1;

	(void)region_id;
	(void)version;
	(void)actions;
	(void)json;
	(void)json_len;
	return s->fail_every && n % s->fail_every == 0 ? -EIO : 0;
}

static const struct rhook_manifest_store_ops store_ops = { .size = sizeof(store_ops), .persist = persist };

/* A hook that does nothing: its callbacks make the core dispatch and emit hook_dispatch. */
static void on_sst(void *priv, rhook_region_id region_id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t num_files)
{
	(void)priv;
	(void)region_id;
	(void)meta;
	(void)files;
	(void)num_files;
}

static void on_updated(void *priv, rhook_region_id region_id, const struct rhook_action_list *actions,
		       uint64_t version)
{
	(void)priv;
	(void)region_id;
	(void)actions;
	(void)version;
}

static const struct rhook_hook_ops hook_ops = {
	.size = sizeof(hook_ops), .on_sst_files_written = on_sst, .on_manifest_updated = on_updated
};

/* Per region: its context and the live files a compaction may remove. */
struct region {
	rhook_region_id id;
	struct rhook_manifest_ctx *ctx;
	struct rhook_region_meta meta;
	struct rhook_file_meta live[8];
	unsigned num_live;
};

static struct rhook_file_meta new_file(const struct region *r, unsigned round, uint8_t level)
{
	struct rhook_file_meta fm = {
		.region_id = r->id,
		.file_id = rhook_file_id_generate(),
		.time_range = { .start = (int64_t)round * 1000, .end = (int64_t)round * 1000 + 999,
				.unit = RHOOK_TIME_UNIT_MILLISECOND },
		.level = level,
		.file_size = 4096u + round * 17u,
		.index_file_size = 512u + round,
		.num_rows = 100u + round,
		.num_row_groups = 1u + round % 3u,
		.num_series = 10,
	};

	return fm;
}

static void count_dispatch(struct worker *w)
{
	if (!w->opt->no_hook)
		w->counts.dispatch++;
}

/* One manifest write: the common case.  Returns the update's result. */
static int update(struct worker *w, struct region *r, const struct rhook_action_list *list, enum rhook_cause cause)
{
	int err = rhook_manifest_update(r->ctx, list, cause, NULL);

	if (err) {
		w->counts.commit_failed++;
		return err;
	}
	w->counts.commit_ok++;
	w->counts.updated++;
	count_dispatch(w);
	return 0;
}

static void announce(struct worker *w, struct region *r, struct rhook_file_meta *files, unsigned n,
		     enum rhook_origin origin)
{
	struct rhook_sst_info info[4];
	struct rhook_sst_file sst[4];

	for (unsigned i = 0; i < n; i++) {
		info[i] = (struct rhook_sst_info){ .file_id = files[i].file_id, .time_range = files[i].time_range,
						   .file_size = files[i].file_size, .num_rows = files[i].num_rows,
						   .num_row_groups = files[i].num_row_groups };
		sst[i] = (struct rhook_sst_file){ .sst_info = &info[i], .file_meta = &files[i] };
	}
	rhook_sst_files_written(w->reg, r->id, &r->meta, sst, n, origin);
	w->counts.sst += n;
	count_dispatch(w);
}

static int flush(struct worker *w, struct region *r, unsigned round)
{
	struct rhook_file_meta files[2] = { new_file(r, round, 0), new_file(r, round, 0) };
	struct rhook_action_edit edit = { .files_to_add = files, .num_files_to_add = 2,
					  .has_flushed_entry_id = true, .flushed_entry_id = round,
					  .has_flushed_sequence = true, .flushed_sequence = (uint64_t)round * 10 };
	struct rhook_action_list *list = rhook_action_list_new();
	uint64_t t = rhook_trace_flush_begin(r->id, 100u * round, 4096u * round);
	int err;

	if (!list)
		return -ENOMEM;
	announce(w, r, files, 2, RHOOK_ORIGIN_FLUSH);
	err = rhook_action_list_add_edit(list, &edit);
	if (!err)
		err = update(w, r, list, RHOOK_CAUSE_FLUSH);
	rhook_trace_flush_end(t, r->id, 100u * round, 4096u * round, 2, err);
	w->counts.flush++;
	if (!err && r->num_live + 2 <= sizeof(r->live) / sizeof(r->live[0])) {
		r->live[r->num_live++] = files[0];
		r->live[r->num_live++] = files[1];
	}
	rhook_action_list_free(list);
	return err == -EIO ? 0 : err;
}

static int compact(struct worker *w, struct region *r, unsigned round, bool remote)
{
	struct rhook_file_meta out = new_file(r, round, 1);
	struct rhook_action_edit edit = { .files_to_add = &out, .num_files_to_add = 1,
					  .files_to_remove = r->live, .num_files_to_remove = r->num_live,
					  .has_compaction_time_window = true, .compaction_time_window_s = 3600 };
	struct rhook_action_list *list = rhook_action_list_new();
	uint64_t t = rhook_trace_compaction_begin(r->id, r->num_live, 8192u * r->num_live, remote);
	int err;

	if (!list)
		return -ENOMEM;
	announce(w, r, &out, 1, remote ? RHOOK_ORIGIN_REMOTE_COMPACTION : RHOOK_ORIGIN_COMPACTION);
	err = rhook_action_list_add_edit(list, &edit);
	if (!err)
		err = update(w, r, list, remote ? RHOOK_CAUSE_REMOTE_COMPACTION : RHOOK_CAUSE_COMPACTION);
	rhook_trace_compaction_end(t, r->id, r->num_live, 1, 8192u * r->num_live, out.file_size, remote, err);
	w->counts.compaction++;
	if (!err) {
		r->live[0] = out;
		r->num_live = 1;
	}
	rhook_action_list_free(list);
	return err == -EIO ? 0 : err;
}

/* Two writes under one hold, merged into one receipt (one notification). */
static int index_build(struct worker *w, struct region *r, unsigned round)
{
	struct rhook_file_meta fm = new_file(r, round, 1);
	struct rhook_action_edit edit = { .files_to_add = &fm, .num_files_to_add = 1 };
	struct rhook_receipt first = RHOOK_RECEIPT_INIT, second = RHOOK_RECEIPT_INIT;
	struct rhook_action_list *list = rhook_action_list_new();
	int err, err2 = -ENOENT;

	if (!list)
		return -ENOMEM;
	fm.available_indexes = RHOOK_INDEX_INVERTED;
	err = rhook_action_list_add_edit(list, &edit);
	if (err)
		goto out;
	rhook_manifest_lock(r->ctx);
	err = rhook_manifest_update_locked(r->ctx, list, RHOOK_CAUSE_INDEX_BUILD, &first);
	if (!err) {
		err2 = rhook_manifest_update_locked(r->ctx, list, RHOOK_CAUSE_INDEX_BUILD, &second);
		if (!err2)
			err2 = rhook_receipt_merge(&first, &second);
	}
	rhook_manifest_unlock(r->ctx);
	w->counts.commit_ok += !err + !err2;
	w->counts.commit_failed += (err != 0) + (!err && err2 != 0);
	if (!err) {
		err = rhook_receipt_fire(&first);
		w->counts.updated++;
		count_dispatch(w);
	}
	rhook_receipt_discard(&second);
out:
	rhook_action_list_free(list);
	return err == -EIO ? 0 : err;
}

/* The manifest writes of contract §2 other than flush and compaction, in turn. */
static int other_write(struct worker *w, struct region *r, unsigned round)
{
	struct rhook_action_list *list = rhook_action_list_new();
	struct rhook_file_meta fm = new_file(r, round, 0);
	struct rhook_action_edit edit = { .files_to_add = &fm, .num_files_to_add = 1, .timestamp_ms = round };
	struct rhook_action_truncate trunc = { .kind = RHOOK_TRUNCATE_ALL, .truncated_entry_id = round,
					       .truncated_sequence = (uint64_t)round * 10 };
	struct rhook_action_change change = { .metadata = r->meta };
	int err;

	if (!list)
		return -ENOMEM;
	switch (round / 5 % 6) {
	case 0:
		err = rhook_action_list_add_edit(list, &edit);
		if (!err)
			err = update(w, r, list, round % 2 ? RHOOK_CAUSE_EDIT : RHOOK_CAUSE_COPY);
		break;
	case 1:
		err = rhook_action_list_add_change(list, &change);
		if (!err)
			err = update(w, r, list, RHOOK_CAUSE_STAGING_ENTER);
		if (!err)
			err = rhook_action_list_add_edit(list, &edit);
		if (!err)
			err = update(w, r, list, RHOOK_CAUSE_STAGING_APPLY);
		if (!err)
			err = update(w, r, list, RHOOK_CAUSE_STAGING_EXIT);
		break;
	case 2:
		change.metadata.schema_version = round;
		err = rhook_action_list_add_change(list, &change);
		if (!err)
			err = update(w, r, list, RHOOK_CAUSE_ALTER);
		break;
	case 3:
		err = rhook_action_list_add_truncate(list, &trunc);
		if (!err)
			err = update(w, r, list, RHOOK_CAUSE_TRUNCATE);
		if (!err)
			r->num_live = 0;
		break;
	case 4:
		err = index_build(w, r, round);
		break;
	default:
		err = rhook_action_list_add_partition_expr_change(list, round % 2 ? "host" : NULL);
		if (!err)
			err = update(w, r, list, RHOOK_CAUSE_ALTER);
		break;
	}
	rhook_action_list_free(list);
	return err == -EIO ? 0 : err;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	const struct options *o = w->opt;
	struct region *regions = calloc(o->regions, sizeof(*regions));
	int err = regions ? 0 : -ENOMEM;

	for (unsigned i = 0; !err && i < o->regions; i++) {
		struct region *r = &regions[i];
		struct rhook_manifest_ctx_config cfg = {
			.size = sizeof(cfg), .registry = w->reg, .store_ops = &store_ops, .store = w->store,
		};

		/* Tables differ per process and thread, so that forked runs share no region. */
		err = rhook_region_id_make_group((unsigned)getpid() % 100000u * 64u + w->index % 64u, 0, i, &r->id);
		if (err)
			break;
		r->meta.region_id = r->id;
		cfg.region_id = r->id;
		err = rhook_manifest_ctx_new(&cfg, &r->ctx);
	}
	for (unsigned round = 1; !err && round <= o->rounds; round++) {
		for (unsigned i = 0; !err && i < o->regions; i++) {
			struct region *r = &regions[i];

			err = flush(w, r, round);
			if (!err && round % 4 == 0)
				err = compact(w, r, round, round % 8 == 0);
			if (!err && round % 5 == 0)
				err = other_write(w, r, round);
		}
	}
	for (unsigned i = 0; regions && i < o->regions; i++)
		rhook_manifest_ctx_free(regions[i].ctx);
	free(regions);
	w->err = err;
	return NULL;
}

static int run(const struct options *o, struct rhook_registry *reg)
{
	struct store store = { .fail_every = o->fail_every };
	struct worker *w = calloc(o->threads, sizeof(*w));
	struct counts c = { 0 };
	int err = 0;

	if (!w)
		return -ENOMEM;
	for (unsigned i = 0; i < o->threads; i++) {
		w[i] = (struct worker){ .index = i, .opt = o, .reg = reg, .store = &store };
		if (pthread_create(&w[i].thread, NULL, work, &w[i])) {
			fprintf(stderr, "rhook-tracegen: pthread_create failed\n");
			exit(1);
		}
	}
	for (unsigned i = 0; i < o->threads; i++) {
		pthread_join(w[i].thread, NULL);
		if (w[i].err && !err)
			err = w[i].err;
		c.sst += w[i].counts.sst;
		c.commit_ok += w[i].counts.commit_ok;
		c.commit_failed += w[i].counts.commit_failed;
		c.updated += w[i].counts.updated;
		c.dispatch += w[i].counts.dispatch;
		c.flush += w[i].counts.flush;
		c.compaction += w[i].counts.compaction;
	}
	free(w);
	printf("pid=%ld sst_file_written=%lu manifest_commit=%lu failed_commits=%lu manifest_updated=%lu "
	       "hook_dispatch=%lu flush=%lu compaction=%lu\n",
	       (long)getpid(), c.sst, c.commit_ok + c.commit_failed, c.commit_failed, c.updated, c.dispatch, c.flush,
	       c.compaction);
	fflush(stdout);
	return err;
}

static unsigned parse_uint(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > 1000000000ul) {
		fprintf(stderr, "rhook-tracegen: bad %s: %s\n", what, s);
		exit(2);
	}
	return (unsigned)v;
}

static void usage(FILE *f)
{
	fputs("usage: rhook-tracegen [--threads N] [--regions N] [--rounds N] [--fail-every N] [--fork] [--no-hook]\n"
	      "Drives rhook's public API like an engine; records per RHOOK_TRACE_DIR / RHOOK_LTTNG.\n"
	      "--fork runs the same workload in a forked child as well (its own recorder file).\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' }, { "regions", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'n' },  { "fail-every", required_argument, NULL, 'f' },
		{ "fork", no_argument, NULL, 'F' },          { "no-hook", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	struct options o = { .threads = 2, .regions = 2, .rounds = 40 };
	struct rhook_registry *reg = NULL;
	pid_t child = 0;
	int c, err;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o.threads = parse_uint(optarg, "--threads"); break;
		case 'r': o.regions = parse_uint(optarg, "--regions"); break;
		case 'n': o.rounds = parse_uint(optarg, "--rounds"); break;
		case 'f': o.fail_every = parse_uint(optarg, "--fail-every"); break;
		case 'F': o.fork_child = true; break;
		case 'H': o.no_hook = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !o.threads || !o.regions) {
		usage(stderr);
		return 2;
	}
	if (o.fork_child) {
		fflush(stdout);
		child = fork();
		if (child < 0) {
			perror("rhook-tracegen: fork");
			return 1;
		}
	}
	err = rhook_registry_new(&reg);
	if (!err && !o.no_hook)
		err = rhook_registry_add(reg, &hook_ops, NULL, NULL);
	if (!err)
		err = run(&o, reg);
	rhook_registry_free(reg);
	if (child == 0 && o.fork_child)
		return err ? 1 : 0;
	if (child > 0) {
		int status;

		if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			err = err ? err : -ECHILD;
	}
	if (err)
		fprintf(stderr, "rhook-tracegen: %s\n", strerror(-err));
	return err ? 1 : 0;
}
