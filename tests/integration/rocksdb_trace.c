/*
 * rocksdb_trace.c - rhook-rocksdb on a real RocksDB run
 * (rhook-rocksdb-demo), checked against RocksDB's own accounting of the
 * same run, which never passes through the listener:
 *
 *   accounting  bytes written by flushes and by compactions in the
 *               recorder trace (rhook:sst_file_written by origin) equal
 *               RocksDB's: its info LOG's EVENT_LOG_v1 table_file_creation
 *               records (a flush job's are those with a flush_started
 *               record), its COMPACT_WRITE_BYTES ticker and its
 *               compaction_finished total_output_size; the files live at
 *               the end per rhook's lineage (manifest_updated, adds and
 *               removes in time order) are exactly RocksDB's live files
 *               (GetLiveFilesMetaData, by unique id) in every column
 *               family left; every file rhook saw removed is gone from
 *               RocksDB's list; the hooks saw one call per event;
 *               rhook-read check passes; each flush that ended well
 *               committed once; every deletion RocksDB logged is
 *               traced (sst_file_removed: compaction inputs, the dropped
 *               family's files by reason drop) and none of a live file;
 *               every event of a job carries its job id; rhook-read amp
 *               gives RocksDB's byte counts.  Then the same with one flush failing
 *               (--fail-flush): its flush_end carries -EIO and nothing
 *               of it is committed.
 *   lttng       the same run under a real LTTng session: every
 *               notification a hook saw has its rhook:manifest_updated
 *               event (same region and version) and the recorder has the
 *               same events by cause, every file a hook saw its
 *               rhook:sst_file_written, and nothing else.
 *
 * Arguments: "accounting" or "lttng" (two CTest entries, the second
 * holding the LTTng lock).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "rt.h"

#define KEYS "20000"
#define MAX_FILES 4096
#define NUM_CAUSES 16

struct id_set {
	char (*ids)[64];
	size_t n;
};

static void set_add(struct id_set *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->ids[i], id))
			return;
	assert_true(s->n < MAX_FILES);
	snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", id);
}

static bool set_has(const struct id_set *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->ids[i], id))
			return true;
	return false;
}

static void set_del(struct id_set *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->ids[i], id)) {
			memcpy(s->ids[i], s->ids[--s->n], sizeof(s->ids[0]));
			return;
		}
}

static void set_init(struct id_set *s)
{
	s->ids = calloc(MAX_FILES, sizeof(s->ids[0]));
	s->n = 0;
	assert_non_null(s->ids);
}

#define MAX_REGIONS 8

/* What the recorder trace says, from rhook-read print --json. */
struct rhook_view {
	uint64_t flush_bytes, compaction_bytes;
	uint64_t flush_end_bytes, compaction_end_bytes; /* the spans' own figures (flushes that succeeded) */
	size_t flush_ok[MAX_REGIONS], flush_failed[MAX_REGIONS], compaction_failed, flush_commits[MAX_REGIONS];
	size_t written, updated;
	struct id_set live[MAX_REGIONS];    /* per column family (region number) */
	struct id_set removed[MAX_REGIONS]; /* removed and not added again */
	size_t by_cause[NUM_CAUSES];
	char causes[NUM_CAUSES][32];
	size_t num_causes;
	char (*pairs)[48];                  /* "region version" of each manifest_updated */
	struct id_set sst_ids;              /* sst_file_written file ids */
	struct id_set deleted[MAX_REGIONS]; /* sst_file_removed */
	size_t removed_by_reason[8], num_removed;
	uint64_t jobs[4096];                /* job ids of flush_begin and compaction_begin */
	size_t num_jobs, jobless;           /* events of a job whose job id no begin announced */
};

static bool job_known(const struct rhook_view *v, uint64_t id)
{
	for (size_t i = 0; i < v->num_jobs; i++)
		if (v->jobs[i] == id)
			return true;
	return false;
}

static void count_cause(struct rhook_view *v, const char *cause)
{
	size_t i;

	for (i = 0; i < v->num_causes && strcmp(v->causes[i], cause); i++)
		;
	if (i == v->num_causes) {
		assert_true(v->num_causes < NUM_CAUSES);
		snprintf(v->causes[v->num_causes++], sizeof(v->causes[0]), "%s", cause);
	}
	v->by_cause[i]++;
}

static void read_rhook(const char *trace, struct rhook_view *v)
{
	char *argv[] = { (char *)rt_bin("rhook-read"), "print", "--json", (char *)trace, NULL };
	char *out = NULL, *line, *save;

	memset(v, 0, sizeof(*v));
	for (int i = 0; i < MAX_REGIONS; i++) {
		set_init(&v->live[i]);
		set_init(&v->removed[i]);
		set_init(&v->deleted[i]);
	}
	set_init(&v->sst_ids);
	v->pairs = calloc(MAX_FILES, sizeof(v->pairs[0]));
	assert_non_null(v->pairs);
	assert_int_equal(rt_run(argv, NULL, &out, NULL), 0);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *e = json_loads(line, 0, &jerr);
		const char *ev;
		uint64_t region;

		if (!e)
			fail_msg("rhook-read print --json: not JSON: %s (%s)", line, jerr.text);
		ev = json_string_value(json_object_get(e, "event"));
		region = (uint64_t)json_integer_value(json_object_get(e, "region_id"));
		assert_true((region & 0xffffffffu) < MAX_REGIONS);
		if (ev && (!strcmp(ev, "rhook:flush_begin") || !strcmp(ev, "rhook:compaction_begin"))) {
			assert_true(v->num_jobs < sizeof(v->jobs) / sizeof(v->jobs[0]));
			v->jobs[v->num_jobs++] = (uint64_t)json_integer_value(json_object_get(e, "job_id"));
		} else if (ev && !strcmp(ev, "rhook:sst_file_removed")) {
			static const char *const reasons[] = { "compaction", "truncate", "drop", "edit", "orphan",
							       "staging_abort" };
			const char *reason = json_string_value(json_object_get(e, "reason"));
			const char *id = json_string_value(json_object_get(e, "file_id"));
			size_t k;

			for (k = 0; k < 6 && strcmp(reasons[k], reason); k++)
				;
			assert_true(k < 6);
			v->removed_by_reason[k]++;
			v->num_removed++;
			set_add(&v->deleted[region & 0xffffffffu], id);
			/* A drop deletes its region's live files: they leave the lineage with it. */
			if (!strcmp(reason, "drop"))
				set_del(&v->live[region & 0xffffffffu], id);
		}
		if (ev && (!strcmp(ev, "rhook:sst_file_written") || !strcmp(ev, "rhook:flush_end") ||
			   !strcmp(ev, "rhook:compaction_end") ||
			   (!strcmp(ev, "rhook:manifest_updated") &&
			    strcmp(json_string_value(json_object_get(e, "cause")), "edit"))))
			if (!job_known(v, (uint64_t)json_integer_value(json_object_get(e, "job_id"))))
				v->jobless++;
		if (ev && !strcmp(ev, "rhook:sst_file_written")) {
			uint64_t size = (uint64_t)json_integer_value(json_object_get(e, "file_size"));
			const char *origin = json_string_value(json_object_get(e, "origin"));

			if (!strcmp(origin, "flush"))
				v->flush_bytes += size;
			else if (!strcmp(origin, "compaction"))
				v->compaction_bytes += size;
			else
				fail_msg("origin %s in %s", origin, line);
			set_add(&v->sst_ids, json_string_value(json_object_get(e, "file_id")));
			v->written++;
		} else if (ev && !strcmp(ev, "rhook:flush_end")) {
			if (json_integer_value(json_object_get(e, "status"))) {
				/* The status is RocksDB's, as a negative errno: the injected I/O error. */
				assert_int_equal(json_integer_value(json_object_get(e, "status")), -EIO);
				v->flush_failed[region & 0xffffffffu]++;
			} else {
				v->flush_ok[region & 0xffffffffu]++;
				v->flush_end_bytes += (uint64_t)json_integer_value(json_object_get(e, "bytes"));
			}
		} else if (ev && !strcmp(ev, "rhook:compaction_end")) {
			/* A failed compaction counts what it wrote, as RocksDB's compaction_finished does. */
			if (json_integer_value(json_object_get(e, "status")))
				v->compaction_failed++;
			v->compaction_end_bytes += (uint64_t)json_integer_value(json_object_get(e, "bytes_out"));
		} else if (ev && !strcmp(ev, "rhook:manifest_updated")) {
			json_t *add = json_object_get(e, "files_added"), *rm = json_object_get(e, "files_removed");
			struct id_set *live = &v->live[region & 0xffffffffu], *gone = &v->removed[region & 0xffffffffu];
			size_t i;
			json_t *id;

			/* The event lists every id it counts (fewer than the list's limit here). */
			assert_int_equal(json_array_size(add), json_integer_value(json_object_get(e, "num_files_added")));
			assert_int_equal(json_array_size(rm), json_integer_value(json_object_get(e, "num_files_removed")));
			/* Removes first: a trivial move removes and adds the same file. */
			json_array_foreach (rm, i, id) {
				set_del(live, json_string_value(id));
				set_add(gone, json_string_value(id));
			}
			json_array_foreach (add, i, id) {
				set_add(live, json_string_value(id));
				set_del(gone, json_string_value(id));
			}
			count_cause(v, json_string_value(json_object_get(e, "cause")));
			if (!strcmp(json_string_value(json_object_get(e, "cause")), "flush"))
				v->flush_commits[region & 0xffffffffu]++;
			assert_true(v->updated < MAX_FILES);
			snprintf(v->pairs[v->updated++], sizeof(v->pairs[0]), "%llu %llu", (unsigned long long)region,
				 (unsigned long long)json_integer_value(json_object_get(e, "version")));
		}
		json_decref(e);
	}
	free(out);
}

/* RocksDB's own accounting: the demo's file, and the DB's info LOG. */
struct rocks_view {
	uint64_t compact_ticker, log_flush_bytes, log_compaction_bytes, log_compaction_finished;
	size_t log_deletions;
	unsigned dropped;
	struct id_set live[MAX_REGIONS];
	size_t hook_sst, hook_manifest;
	char (*hook_pairs)[48];
	struct id_set hook_ids;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	for (;;) {
		char chunk[65536];
		size_t n = fread(chunk, 1, sizeof(chunk), f);
		char *t;

		if (!n)
			break;
		t = realloc(buf, len + n + 1);
		assert_non_null(t);
		buf = t;
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!buf)
		buf = strdup("");
	buf[len] = 0;
	return buf;
}

static void read_rocks(const char *dir, struct rocks_view *r)
{
	char path[PATH_MAX + 32], *text, *line, *save;
	int flush_jobs[4096];
	size_t num_flush_jobs = 0;
	struct {
		int job;
		uint64_t size;
	} *created = calloc(MAX_FILES, sizeof(*created));
	size_t num_created = 0;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < MAX_REGIONS; i++)
		set_init(&r->live[i]);
	set_init(&r->hook_ids);
	r->hook_pairs = calloc(MAX_FILES, sizeof(r->hook_pairs[0]));
	assert_non_null(r->hook_pairs);
	assert_non_null(created);

	snprintf(path, sizeof(path), "%s/accounting", dir);
	text = slurp(path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char id[64];
		unsigned cf, level;
		unsigned long long n, size, number;

		if (sscanf(line, "ticker compact_write_bytes %llu", &n) == 1) {
			r->compact_ticker = n;
		} else if (sscanf(line, "dropped %u", &cf) == 1) {
			r->dropped = cf;
		} else if (sscanf(line, "live %63s %u %u %llu %llu", id, &cf, &level, &size, &number) == 5) {
			assert_true(cf < MAX_REGIONS);
			assert_string_not_equal(id, "unknown");
			set_add(&r->live[cf], id);
		} else if (sscanf(line, "hook_sst %llu %63s", &n, id) == 2) {
			r->hook_sst++;
			set_add(&r->hook_ids, id);
		} else if (!strncmp(line, "hook_manifest ", 14)) {
			assert_true(r->hook_manifest < MAX_FILES);
			snprintf(r->hook_pairs[r->hook_manifest++], sizeof(r->hook_pairs[0]), "%s", line + 14);
		}
	}
	free(text);

	/* RocksDB's event log: one JSON object per EVENT_LOG_v1 line. */
	snprintf(path, sizeof(path), "%s/db/LOG", dir);
	text = slurp(path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *j = strstr(line, "EVENT_LOG_v1 ");
		json_t *e;
		const char *ev;
		int job;

		if (!j || !(e = json_loads(j + 13, 0, NULL)))
			continue;
		ev = json_string_value(json_object_get(e, "event"));
		job = (int)json_integer_value(json_object_get(e, "job"));
		if (ev && !strcmp(ev, "flush_started")) {
			assert_true(num_flush_jobs < sizeof(flush_jobs) / sizeof(flush_jobs[0]));
			flush_jobs[num_flush_jobs++] = job;
		} else if (ev && !strcmp(ev, "table_file_creation")) {
			assert_true(num_created < MAX_FILES);
			created[num_created].job = job;
			created[num_created++].size = (uint64_t)json_integer_value(json_object_get(e, "file_size"));
		} else if (ev && !strcmp(ev, "table_file_deletion")) {
			r->log_deletions++;
		} else if (ev && !strcmp(ev, "compaction_finished")) {
			r->log_compaction_finished += (uint64_t)json_integer_value(json_object_get(e, "total_output_size"));
		}
		json_decref(e);
	}
	free(text);
	for (size_t i = 0; i < num_created; i++) {
		bool flush = false;

		for (size_t k = 0; k < num_flush_jobs && !flush; k++)
			flush = flush_jobs[k] == created[i].job;
		if (flush)
			r->log_flush_bytes += created[i].size;
		else
			r->log_compaction_bytes += created[i].size;
	}
	free(created);
}

/* Runs the demo, with @extra as its last option if not NULL. */
static void run_demo(const char *dir, char *extra)
{
	char db[PATH_MAX + 8], trace[PATH_MAX + 8], acc[PATH_MAX + 16];
	char *argv[] = { (char *)rt_bin("rhook-rocksdb-demo"), "--db", db, "--trace", trace,
			 "--accounting", acc, "--keys", KEYS, extra, NULL };
	char *out = NULL;
	int st;

	snprintf(db, sizeof(db), "%s/db", dir);
	snprintf(trace, sizeof(trace), "%s/trace", dir);
	snprintf(acc, sizeof(acc), "%s/accounting", dir);
	st = rt_run(argv, NULL, &out, NULL);
	if (st)
		fail_msg("rhook-rocksdb-demo exited %d:\n%s", st, out ? out : "");
	if (!strstr(out, "check: OK"))
		fail_msg("no check verdict in the demo's output:\n%s", out);
	/* The same summary and page as rhook-demo's: write amplification, then the report beside the trace. */
	if (!strstr(out, "write amplification") || !strstr(out, "report:   file://"))
		fail_msg("no write amplification or report in the demo's output:\n%s", out);
	{
		char html[PATH_MAX + 32];
		struct stat st_html;

		snprintf(html, sizeof(html), "%s.report.html", trace);
		assert_int_equal(stat(html, &st_html), 0);
		assert_true(st_html.st_size > 100000); /* dygraphs is inlined */
		assert_int_equal(st_html.st_mode & 0777, 0600);
	}
	free(out);
}

static bool pair_listed(char (*pairs)[48], size_t n, const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(pairs[i], p))
			return true;
	return false;
}

static void free_views(struct rhook_view *v, struct rocks_view *r)
{
	for (int i = 0; i < MAX_REGIONS; i++) {
		free(v->live[i].ids);
		free(v->removed[i].ids);
		free(v->deleted[i].ids);
		free(r->live[i].ids);
	}
	free(v->sst_ids.ids);
	free(v->pairs);
	free(r->hook_ids.ids);
	free(r->hook_pairs);
}

/* The comparisons of the file comment, on the run in @dir; the views are the caller's to free. */
static void check_accounting(const char *dir, struct rhook_view *vp, struct rocks_view *rp)
{
	char trace[PATH_MAX + 8];
	struct rhook_view v;
	struct rocks_view r;
	size_t live_total = 0;

	snprintf(trace, sizeof(trace), "%s/trace", dir);
	{
		char *argv[] = { (char *)rt_bin("rhook-read"), "check", trace, NULL };
		char *out = NULL;

		if (rt_run(argv, NULL, &out, NULL))
			fail_msg("rhook-read check fails on the RocksDB trace:\n%s", out);
		free(out);
	}
	read_rhook(trace, &v);
	read_rocks(dir, &r);

	/* Bytes written, by job kind: the trace against RocksDB's three accounts. */
	assert_true(v.flush_bytes > 0 && v.compaction_bytes > 0);
	assert_int_equal(v.flush_bytes, r.log_flush_bytes);
	assert_int_equal(v.compaction_bytes, r.log_compaction_bytes);
	assert_int_equal(v.compaction_bytes, r.compact_ticker);
	assert_int_equal(v.compaction_bytes, r.log_compaction_finished);
	/* The spans say the same (a trivial move writes nothing). */
	assert_int_equal(v.flush_end_bytes, r.log_flush_bytes);
	assert_int_equal(v.compaction_end_bytes, r.log_compaction_finished);

	/* Lineage: the files live at the end, column family by column family. */
	for (unsigned cf = 0; cf < MAX_REGIONS; cf++) {
		for (size_t i = 0; i < r.live[cf].n; i++)
			if (!set_has(&v.live[cf], r.live[cf].ids[i]))
				fail_msg("cf %u: RocksDB's live file %s is not live in rhook's lineage", cf,
					 r.live[cf].ids[i]);
		for (size_t i = 0; i < v.live[cf].n; i++)
			if (!set_has(&r.live[cf], v.live[cf].ids[i]))
				fail_msg("cf %u: %s is live in rhook's lineage, not in RocksDB", cf, v.live[cf].ids[i]);
		for (size_t i = 0; i < v.removed[cf].n; i++)
			if (set_has(&r.live[cf], v.removed[cf].ids[i]))
				fail_msg("cf %u: %s was removed per rhook, RocksDB still lists it", cf,
					 v.removed[cf].ids[i]);
		for (size_t i = 0; i < v.deleted[cf].n; i++)
			if (set_has(&r.live[cf], v.deleted[cf].ids[i]))
				fail_msg("cf %u: %s was deleted per rhook, RocksDB still lists it", cf,
					 v.deleted[cf].ids[i]);
		live_total += r.live[cf].n;
	}
	assert_true(live_total > 0);

	/* Deletions: one per RocksDB's, the dropped family's by reason drop, the inputs' by compaction. */
	assert_int_equal(v.num_removed, r.log_deletions);
	assert_true(v.removed_by_reason[0] > 0); /* compaction */
	assert_true(v.removed_by_reason[2] > 0); /* drop */
	assert_int_equal(v.live[r.dropped].n, 0);
	/* Jobs: every event of a flush or compaction carries the id its begin announced. */
	assert_int_equal(v.jobless, 0);
	/* rhook-read amp, on the same trace. */
	{
		char *argv[] = { (char *)rt_bin("rhook-read"), "amp", "--json", trace, NULL };
		char *out = NULL, *tot;
		unsigned long long flushed = 0, compacted = 0;

		assert_int_equal(rt_run(argv, NULL, &out, NULL), 0);
		tot = strstr(out, "{\"total\":true");
		if (!tot || !strstr(tot, "\"flushed_bytes\":") || !strstr(tot, "\"compaction_bytes\":") ||
		    sscanf(strstr(tot, "\"flushed_bytes\":"), "\"flushed_bytes\":%llu", &flushed) != 1 ||
		    sscanf(strstr(tot, "\"compaction_bytes\":"), "\"compaction_bytes\":%llu", &compacted) != 1)
			fail_msg("no total in rhook-read amp --json:\n%s", out);
		assert_int_equal(flushed, r.log_flush_bytes);
		assert_int_equal(compacted, r.log_compaction_bytes);
		free(out);
	}

	/* The hooks saw what the trace shows, one call per event. */
	assert_int_equal(r.hook_sst, v.written);
	for (size_t i = 0; i < v.sst_ids.n; i++)
		assert_true(set_has(&r.hook_ids, v.sst_ids.ids[i]));
	assert_int_equal(r.hook_manifest, v.updated);
	for (size_t i = 0; i < v.updated; i++)
		if (!pair_listed(r.hook_pairs, r.hook_manifest, v.pairs[i]))
			fail_msg("manifest_updated %s: no hook call", v.pairs[i]);
	/* Each flush that succeeded committed once; one that failed, never. */
	for (int i = 0; i < MAX_REGIONS; i++)
		if (v.flush_commits[i] != v.flush_ok[i])
			fail_msg("region %d: %zu flushes ended well, %zu flush commits", i, v.flush_ok[i],
				 v.flush_commits[i]);
	*vp = v;
	*rp = r;
}

static void test_accounting(void **state)
{
	char dir[PATH_MAX];
	struct rhook_view v;
	struct rocks_view r;

	(void)state;
	rt_tmpdir(dir, "rocksdb");
	run_demo(dir, NULL);
	check_accounting(dir, &v, &r);
	for (int i = 0; i < MAX_REGIONS; i++)
		assert_int_equal(v.flush_failed[i], 0);
	assert_int_equal(v.compaction_failed, 0);
	free_views(&v, &r);
	assert_int_equal(tc_rmtree(dir), 0);
}

/* A flush that fails (its table file cannot be created): traced with its status, never committed. */
static void test_failed_flush(void **state)
{
	char dir[PATH_MAX];
	struct rhook_view v;
	struct rocks_view r;
	size_t failed = 0;

	(void)state;
	rt_tmpdir(dir, "rocksdb-fail");
	run_demo(dir, "--fail-flush");
	check_accounting(dir, &v, &r);
	for (int i = 0; i < MAX_REGIONS; i++)
		failed += v.flush_failed[i];
	assert_int_equal(failed, 1);
	assert_int_equal(v.flush_failed[1], 1); /* the demo fails a flush of cf1 */
	free_views(&v, &r);
	assert_int_equal(tc_rmtree(dir), 0);
}

/* Whether @e comes from process @pid (its vpid context). */
static bool ours(const struct rt_event *e, unsigned long pid)
{
	const char *v = rt_field(e, "vpid");

	return v && strtoul(v, NULL, 10) == pid;
}

static void test_lttng(void **state)
{
	char dir[PATH_MAX], ldir[PATH_MAX], trace[PATH_MAX + 8], db[PATH_MAX + 8], acc[PATH_MAX + 16];
	char *argv[] = { (char *)rt_bin("rhook-rocksdb-demo"), "--db", db, "--trace", trace,
			 "--accounting", acc, "--keys", KEYS, NULL };
	struct rt_trace t;
	struct rhook_view v;
	struct rocks_view r;
	size_t updated = 0, written = 0;
	unsigned long pid = 0;
	char *out = NULL;

	(void)state;
	rt_tmpdir(dir, "rocksdb-lttng");
	snprintf(db, sizeof(db), "%s/db", dir);
	snprintf(trace, sizeof(trace), "%s/trace", dir);
	snprintf(acc, sizeof(acc), "%s/accounting", dir);
	/* rt_lttng_record() with the process context: other programs may record on the same daemon. */
	{
		struct tc_lttngctl_opts o = { .output_dir = ldir, .process_context = true, .start = true };
		struct rt_lttng ctl;
		int st;

		rt_tmpdir(ldir, "rrdblt");
		/* The session records the processes rt_run() starts while it is open (vpid tracker). */
		assert_int_equal(rt_lttng_begin_with(&ctl, &o), 0);
		st = rt_run(argv, NULL, &out, NULL);
		assert_int_equal(rt_lttng_end(&ctl), 0);
		if (st)
			fail_msg("rhook-rocksdb-demo under LTTng: exit %d\n%s", st, out ? out : "");
		assert_int_equal(rt_babeltrace(ldir, &t), 0);
	}
	/* The session daemon is shared: keep this run's events, by the pid the demo prints. */
	{
		const char *p = strstr(out, "(pid ");

		if (!p || sscanf(p, "(pid %lu)", &pid) != 1)
			fail_msg("no pid in the demo's output:\n%s", out);
	}
	free(out);
	read_rhook(trace, &v);
	read_rocks(dir, &r);
	for (size_t i = 0; i < t.num_events; i++) {
		const struct rt_event *e = &t.events[i];

		if (!ours(e, pid))
			continue;
		if (!strcmp(e->name, "rhook:manifest_updated")) {
			char pair[48];

			snprintf(pair, sizeof(pair), "%llu %llu", (unsigned long long)rt_field_u64(e, "region_id"),
				 (unsigned long long)rt_field_u64(e, "version"));
			if (!pair_listed(r.hook_pairs, r.hook_manifest, pair))
				fail_msg("LTTng manifest_updated %s: no hook call", pair);
			updated++;
		} else if (!strcmp(e->name, "rhook:sst_file_written")) {
			if (!set_has(&r.hook_ids, rt_field(e, "file_id")))
				fail_msg("LTTng sst_file_written %s: no hook call", rt_field(e, "file_id"));
			written++;
		}
	}
	assert_true(r.hook_manifest > 0 && r.hook_sst > 0);
	assert_int_equal(updated, r.hook_manifest);
	assert_int_equal(written, r.hook_sst);
	/* By cause: LTTng's events and the recorder's of the same run agree. */
	for (size_t c = 0; c < v.num_causes; c++) {
		size_t n = 0;

		for (size_t i = 0; i < t.num_events; i++)
			if (ours(&t.events[i], pid) && !strcmp(t.events[i].name, "rhook:manifest_updated") &&
			    !strcmp(rt_field(&t.events[i], "cause"), v.causes[c]))
				n++;
		if (n != v.by_cause[c])
			fail_msg("cause %s: %zu LTTng events, %zu in the recorder", v.causes[c], n, v.by_cause[c]);
	}
	assert_true(v.num_causes >= 3); /* flush, compaction, edit (the ingestion) */
	free_views(&v, &r);
	rt_trace_free(&t);
	assert_int_equal(tc_rmtree(dir), 0);
	assert_int_equal(tc_rmtree(ldir), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest accounting[] = { cmocka_unit_test(test_accounting),
						 cmocka_unit_test(test_failed_flush) };
	const struct CMUnitTest lttng[] = { cmocka_unit_test(test_lttng) };

	if (argc == 2 && !strcmp(argv[1], "accounting"))
		return cmocka_run_group_tests(accounting, NULL, NULL);
	if (argc == 2 && !strcmp(argv[1], "lttng"))
		return cmocka_run_group_tests(lttng, NULL, NULL);
	fprintf(stderr, "usage: %s accounting|lttng\n", argv[0]);
	return 2;
}
