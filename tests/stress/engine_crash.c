/*
 * engine_crash.c - crash and reopen: a child process flushes, compacts,
 * checkpoints and collects garbage in a loop and is killed with SIGKILL
 * at a random moment, again and again.  After each kill the region must
 * reopen (the manifest replays), every file the manifest references must
 * exist, and a scan must return exactly the rows of the last committed
 * version: no acknowledged row lost, nothing resurrected or half-applied.
 *
 * Rows are a function of their sequence (key, ts and value derive from
 * it, with (key, ts) repeating so that the newest sequence must win), so
 * the expected content follows from the flushed sequence alone.  The
 * child acknowledges each commit on a pipe; the reopened region must be
 * at least as far as the last acknowledgement.
 *
 * Usage: engine_crash [ROUNDS]   (the test re-executes itself as the child)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "rt.h"

extern char **environ;

#define KEYS   61
#define BATCH  150

static const char *self;
static unsigned rounds = 24;

static void row_of(uint64_t seq, struct lsm_row *r, char key[16], char value[24])
{
	int kl = snprintf(key, 16, "k%02u", (unsigned)(seq % KEYS));
	int vl = snprintf(value, 24, "v%" PRIu64, seq);

	/* (key, ts) repeats every 3 * KEYS sequences: later rows overwrite earlier ones. */
	*r = (struct lsm_row){ .ts = (int64_t)(seq / (3 * KEYS)), .key = (const uint8_t *)key,
				 .key_len = (uint32_t)kl, .value = (const uint8_t *)value, .value_len = (uint32_t)vl };
}

static struct lsm_engine *engine_new(void)
{
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .workers = 1, .row_group_rows = 32,
					   .sst_max_rows = 100, .checkpoint_interval = 5 };
	struct lsm_engine *e;

	assert_int_equal(lsm_engine_new(&cfg, &e), 0);
	return e;
}

/* The child: writes until killed.  Acknowledges "version flushed_sequence" on fd 3 after each commit. */
static int child(const char *dir)
{
	struct lsm_engine_config cfg = { .size = sizeof(cfg), .workers = 1, .row_group_rows = 32,
					   .sst_max_rows = 100, .checkpoint_interval = 5 };
	struct lsm_region_op_result res;
	struct lsm_region_manifest m;
	struct lsm_engine *e;
	struct lsm_region *r;
	uint64_t seq;

	if (lsm_engine_new(&cfg, &e) || lsm_region_open(e, dir, LSM_ROLE_LEADER, &r) ||
	    lsm_region_manifest(r, &m))
		goto fail;
	seq = m.committed_sequence;
	lsm_region_manifest_clear(&m);
	for (unsigned n = 1;; n++) {
		struct lsm_row rows[BATCH];
		char keys[BATCH][16], values[BATCH][24];
		char ack[64];
		int len;

		for (int i = 0; i < BATCH; i++)
			row_of(seq + 1 + (uint64_t)i, &rows[i], keys[i], values[i]);
		if (lsm_region_put(r, rows, BATCH, &seq) || lsm_region_flush(r, &res))
			goto fail;
		len = snprintf(ack, sizeof(ack), "%" PRIu64 " %" PRIu64 "\n", res.version, seq);
		if (write(3, ack, (size_t)len) != len)
			goto fail;
		if (n % 3 == 0 && lsm_region_compact(r, NULL))
			goto fail;
		if (n % 7 == 0 && lsm_region_gc(r, NULL))
			goto fail;
	}
fail:
	fprintf(stderr, "engine_crash child: %s\n", lsm_engine_errmsg());
	return 1;
}

/* An expected row: what sequence @seq wrote. */
struct want {
	uint64_t seq;
	char key[16];
	int64_t ts;
};

static int want_cmp(const void *a, const void *b)
{
	const struct want *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->ts > y->ts) - (x->ts < y->ts);
}

/*
 * The scan after sequences 1..@seq must hold, per (key, ts), the value of
 * the newest sequence, and nothing else.  Sequence s is superseded when
 * s + KEYS <= @seq falls in the same ts block (same key, same ts).
 */
static void check_rows(const struct lsm_row_set *got, uint64_t seq)
{
	struct want *w = calloc(seq ? seq : 1, sizeof(*w));
	size_t n = 0;

	assert_non_null(w);
	for (uint64_t s = 1; s <= seq; s++) {
		struct lsm_row r;
		char value[24];

		if (s + KEYS <= seq && (s + KEYS) / (3 * KEYS) == s / (3 * KEYS))
			continue;
		row_of(s, &r, w[n].key, value);
		w[n].ts = r.ts;
		w[n++].seq = s;
	}
	if (n)
		qsort(w, n, sizeof(*w), want_cmp);
	if (got->num_rows != n)
		fail_msg("%zu rows after reopen, want %zu (flushed sequence %" PRIu64 ")", got->num_rows, n, seq);
	for (size_t i = 0; i < n; i++) {
		const struct lsm_row *g = &got->rows[i];
		char value[24];
		int vl = snprintf(value, sizeof(value), "v%" PRIu64, w[i].seq);

		if (g->ts != w[i].ts || g->key_len != strlen(w[i].key) || memcmp(g->key, w[i].key, g->key_len) ||
		    g->value_len != (uint32_t)vl || memcmp(g->value, value, (size_t)vl))
			fail_msg("row %zu after reopen: want key %s ts %" PRId64 " value %s", i, w[i].key, w[i].ts,
				 value);
	}
	free(w);
}

/* Every file the manifest references exists, with its index when it has one. */
static void check_files(const char *dir, const struct lsm_region_manifest *m)
{
	for (size_t i = 0; i < m->num_files; i++) {
		char id[RHOOK_FILE_ID_STRLEN], path[PATH_MAX + 128];
		struct stat st;

		rhook_file_id_format(&m->files[i].file_id, id);
		snprintf(path, sizeof(path), "%s/data/%s.sst", dir, id);
		if (stat(path, &st) || (uint64_t)st.st_size != m->files[i].file_size)
			fail_msg("%s: referenced by version %" PRIu64 " but missing or of the wrong size", path, m->version);
	}
}

static void test_crash_reopen(void **state)
{
	char root[PATH_MAX], dir[PATH_MAX + 16];
	char *argv[] = { (char *)self, "--child", dir, NULL };
	uint64_t acked_version = 0, acked_seq = 0, commits = 0;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	struct rhook_region_meta meta = { .region_id = rhook_region_id_make(9, 9), .schema_version = 1 };
	struct lsm_engine *e;
	struct lsm_region *r;

	(void)state;
	fprintf(stderr, "engine_crash: %u rounds, seed %u\n", rounds, seed);
	srand(seed);
	rt_tmpdir(root, "crash");
	snprintf(dir, sizeof(dir), "%s/region", root);
	e = engine_new();
	assert_int_equal(lsm_region_create(e, dir, &meta, &r), 0);
	lsm_region_close(r);
	lsm_engine_free(e);

	for (unsigned round = 0; round < rounds; round++) {
		posix_spawn_file_actions_t fa;
		struct lsm_region_manifest m;
		struct lsm_row_set rows;
		char buf[65536], *line, *save;
		size_t len = 0;
		ssize_t n;
		int p[2], status;
		pid_t pid;

		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, p[1], 3);
		assert_int_equal(posix_spawn(&pid, self, &fa, NULL, argv, environ), 0);
		posix_spawn_file_actions_destroy(&fa);
		close(p[1]);
		/* Killed anywhere: opening, writing an SST, committing, checkpointing, collecting. */
		usleep(20000 + (unsigned)rand() % 180000);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("round %u: the child exited by itself (status %d)", round, status);
		while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)n;
		close(p[0]);
		/* A line cut by the kill is not an acknowledgement: keep whole lines only. */
		while (len && buf[len - 1] != '\n')
			len--;
		buf[len] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned long long v, s;

			assert_int_equal(sscanf(line, "%llu %llu", &v, &s), 2);
			acked_version = v;
			acked_seq = s;
			commits++;
		}

		e = engine_new();
		if (lsm_region_open(e, dir, LSM_ROLE_LEADER, &r))
			fail_msg("round %u: reopen after SIGKILL: %s", round, lsm_engine_errmsg());
		assert_int_equal(lsm_region_manifest(r, &m), 0);
		assert_true(m.version >= acked_version);
		assert_true(m.flushed_sequence >= acked_seq);
		/* Rows beyond the acknowledgement are only there if a commit landed after it. */
		assert_true(m.flushed_sequence == acked_seq || m.version > acked_version);
		check_files(dir, &m);
		if (lsm_region_scan(r, NULL, &rows))
			fail_msg("round %u: scan: %s", round, lsm_engine_errmsg());
		check_rows(&rows, m.flushed_sequence);
		acked_version = m.version;
		acked_seq = m.flushed_sequence;
		lsm_row_set_free(&rows);
		lsm_region_manifest_clear(&m);
		lsm_region_close(r);
		lsm_engine_free(e);
	}
	fprintf(stderr, "engine_crash: %" PRIu64 " acknowledged commits, %" PRIu64 " rows written, version %" PRIu64 "\n",
		commits, acked_seq, acked_version);
	/* The kills must not all have come before the first commit. */
	assert_true(commits > 0);
	tc_rmtree(root);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_reopen),
	};

	self = argv[0];
	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child(argv[2]);
	if (argc == 2)
		rounds = (unsigned)atoi(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
