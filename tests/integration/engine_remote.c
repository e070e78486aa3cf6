/*
 * engine_remote.c - remote compaction in rhook-compactor: both callbacks
 * fire there (counted by the rhook-count-hook plugin), none in the
 * leader, which catches up; cross-process exclusion on the manifest;
 * clear errors and exit codes for bad arguments and damaged regions.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_rt.h"
#include "rt.h"

extern char **environ;

static const char *plugin_path(void)
{
	static char path[ERT_PATH];
	const char *dir = getenv("RHOOK_LIB_DIR");

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/rhook-count-hook.so", dir);
	return path;
}

/* One line of the plugin's log, split into words. */
struct hook_line {
	char kind[16];
	unsigned long long region, version;
	rhook_file_id added[64], removed[64], announced[64];
	size_t num_added, num_removed, num_announced;
};

/* Parses the plugin's log; returns the number of lines. */
static size_t read_log(const char *path, struct hook_line *lines, size_t max)
{
	char buf[65536];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	while (f && n < max && fgets(buf, sizeof(buf), f)) {
		struct hook_line *l = &lines[n++];
		char *save, *w = strtok_r(buf, " \n", &save);
		int field = 0;

		memset(l, 0, sizeof(*l));
		snprintf(l->kind, sizeof(l->kind), "%s", w);
		while ((w = strtok_r(NULL, " \n", &save))) {
			field++;
			if (field == 1)
				l->region = strtoull(w, NULL, 10);
			else if (field == 2 && !strcmp(l->kind, "manifest"))
				l->version = strtoull(w, NULL, 10);
			else if (*w == '+' && l->num_added < 64)
				assert_int_equal(rhook_file_id_parse(w + 1, &l->added[l->num_added++]), 0);
			else if (*w == '-' && l->num_removed < 64)
				assert_int_equal(rhook_file_id_parse(w + 1, &l->removed[l->num_removed++]), 0);
			else if (*w == '=' && l->num_announced < 64)
				assert_int_equal(rhook_file_id_parse(w + 1, &l->announced[l->num_announced++]), 0);
		}
	}
	if (f)
		fclose(f);
	return n;
}

static bool same_id_sets(const rhook_file_id *a, size_t n, const rhook_file_id *b, size_t m)
{
	struct rhook_file_meta fa[64];

	if (n != m || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		fa[i].file_id = a[i];
	return ert_same_ids(fa, n, b, m);
}

static void test_remote_compaction(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], log[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_remote_compaction req = { .size = sizeof(req), .program = rt_bin("rhook-compactor"),
					       .hook_path = plugin_path(), .hook_arg = log };
	struct lsm_region_manifest before, after;
	struct lsm_region_op_result res;
	struct lsm_row_set a, b;
	struct hook_line lines[8];
	rhook_file_id inputs[64];
	struct rhook_action_list *disk;

	snprintf(log, sizeof(log), "%s/hook.log", e->dir);
	ert_put_flush(r, 300, 0, 1);
	ert_put_flush(r, 300, 100, 2);
	assert_int_equal(lsm_region_manifest(r, &before), 0);
	for (size_t i = 0; i < before.num_files; i++)
		inputs[i] = before.files[i].file_id;
	ert_scan(r, &a);
	ert_recorder_reset(&e->rec);

	assert_int_equal(lsm_region_compact_remote(r, &req, &res), 0);
	/* Nothing fires in the leader: it caught up as a follower would. */
	assert_int_equal(e->rec.num_calls, 0);
	assert_int_equal(res.version, before.version + 1);
	assert_int_equal(res.files_in, before.num_files);
	assert_int_equal(lsm_region_manifest(r, &after), 0);
	assert_int_equal(after.version, res.version);

	/* Both callbacks fired once in the compactor, about the same files. */
	assert_int_equal(read_log(log, lines, 8), 2);
	assert_string_equal(lines[0].kind, "sst");
	assert_string_equal(lines[1].kind, "manifest");
	assert_int_equal(lines[0].region, lsm_region_get_id(r));
	assert_int_equal(lines[1].version, res.version);
	assert_true(same_id_sets(lines[0].announced, lines[0].num_announced, lines[1].added, lines[1].num_added));
	assert_true(same_id_sets(lines[1].removed, lines[1].num_removed, inputs, before.num_files));
	assert_true(ert_same_ids(after.files, after.num_files, lines[1].added, lines[1].num_added));
	disk = ert_disk_delta(dir, res.version, false);
	assert_non_null(disk);
	assert_true(ert_same_ids(disk->actions[0].u.edit.files_to_add, disk->actions[0].u.edit.num_files_to_add,
				 lines[1].added, lines[1].num_added));
	rhook_action_list_free(disk);

	ert_scan(r, &b);
	assert_true(ert_same_rows(&a, &b));
	lsm_row_set_free(&a);
	lsm_row_set_free(&b);
	/* The leader's next write follows the compactor's version. */
	ert_put_flush(r, 10, 5000, 3);
	assert_int_equal(e->rec.calls[1].version, res.version + 1);
	/*
	 * The inputs are purged by the leader's GC, which notifies them
	 * (reason compaction, with the compactor's version); the compactor,
	 * which deleted nothing, notified nothing.
	 */
	assert_int_equal(ert_removed(&e->rec, RHOOK_REMOVE_COMPACTION), 0);
	assert_int_equal(lsm_region_gc(r, NULL), 0);
	assert_int_equal(ert_removed(&e->rec, RHOOK_REMOVE_COMPACTION), before.num_files);
	assert_int_equal(e->rec.num_removals, 1);
	assert_int_equal(e->rec.removals[0].region_id, lsm_region_get_id(r));
	for (size_t i = 0; i < before.num_files; i++) {
		assert_true(ert_removed_id(&e->rec, RHOOK_REMOVE_COMPACTION, &inputs[i]));
		assert_int_equal(e->rec.removals[0].files[i].removed_version, res.version);
	}
	assert_int_equal(read_log(log, lines, 8), 2);
	lsm_region_manifest_clear(&before);
	lsm_region_manifest_clear(&after);
	lsm_region_close(r);
}

static void test_nothing_to_compact(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], log[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_remote_compaction req = { .size = sizeof(req), .program = rt_bin("rhook-compactor"),
					       .hook_path = plugin_path(), .hook_arg = log };
	struct lsm_region_op_result res;
	struct hook_line lines[2];

	snprintf(log, sizeof(log), "%s/hook.log", e->dir);
	ert_put_flush(r, 10, 0, 1);
	assert_int_equal(lsm_region_compact_remote(r, &req, &res), 0);
	assert_int_equal(res.version, 0);
	assert_int_equal(read_log(log, lines, 2), 0);
	lsm_region_close(r);
}

struct gate_seen {
	pid_t pid;
	bool before_exec; /* the pid still ran this test's program: not exec'ed yet */
	int verdict;
};

/* A before_exec hook: notes the pid and whether the child had exec'ed yet; returns the set verdict. */
static int gate_hook(pid_t pid, void *arg)
{
	struct gate_seen *g = arg;
	char path[64], exe[PATH_MAX] = "", self[PATH_MAX] = "";
	ssize_t n;

	g->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	g->before_exec = *exe && !strcmp(exe, self);
	return g->verdict;
}

/* before_exec sees the compactor's pid before it execs; a refusal kills it unrun: -ECHILD, nothing committed. */
static void test_before_exec(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], log[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct gate_seen g = { .verdict = -1 };
	struct lsm_remote_compaction req = { .size = sizeof(req), .program = rt_bin("rhook-compactor"),
					       .hook_path = plugin_path(), .hook_arg = log, .before_exec = gate_hook,
					       .before_exec_arg = &g };
	struct lsm_region_manifest before, m;
	struct lsm_region_op_result res;
	struct hook_line lines[8];

	snprintf(log, sizeof(log), "%s/hook.log", e->dir);
	ert_put_flush(r, 300, 0, 1);
	ert_put_flush(r, 300, 100, 2);
	assert_int_equal(lsm_region_manifest(r, &before), 0);
	assert_int_equal(lsm_region_compact_remote(r, &req, &res), -ECHILD);
	assert_true(g.pid > 0);
	assert_true(g.before_exec);
	/* Reaped, never ran: no such process, no hook call, the manifest unchanged. */
	assert_int_equal(kill(g.pid, 0), -1);
	assert_int_equal(read_log(log, lines, 8), 0);
	assert_int_equal(lsm_region_manifest(r, &m), 0);
	assert_int_equal(m.version, before.version);
	lsm_region_manifest_clear(&m);

	g = (struct gate_seen){ .verdict = 0 };
	assert_int_equal(lsm_region_compact_remote(r, &req, &res), 0);
	assert_true(g.pid > 0);
	assert_true(g.before_exec);
	assert_int_equal(res.version, before.version + 1);
	assert_int_equal(read_log(log, lines, 8), 2);
	lsm_region_manifest_clear(&before);
	lsm_region_close(r);
}

/* Runs rhook-compactor with @args; its exit status, stderr in *err. */
static int compactor(char **err, const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *argv[] = { (char *)rt_bin("rhook-compactor"), (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };

	return rt_run(argv, NULL, NULL, err);
}

static void expect_cli(int status, const char *needle, const char *a1, const char *a2, const char *a3,
		       const char *a4)
{
	char *err = NULL;
	int st = compactor(&err, a1, a2, a3, a4);

	if (st != status || !strstr(err, needle))
		fail_msg("rhook-compactor %s %s: exit %d (want %d), stderr: %s", a1 ? a1 : "", a2 ? a2 : "", st,
			 status, err);
	free(err);
}

static void test_cli_errors(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], missing[ERT_PATH], ident[ERT_PATH + 16], lib[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	FILE *f;

	ert_put_flush(r, 10, 0, 1);
	lsm_region_close(r);
	snprintf(missing, sizeof(missing), "%s/no-such-region", e->dir);
	snprintf(lib, sizeof(lib), "%s/librhook.so", getenv("RHOOK_LIB_DIR"));
	expect_cli(2, "usage", NULL, NULL, NULL, NULL);
	expect_cli(2, "usage", "--bogus", dir, NULL, NULL);
	expect_cli(2, "--hook-arg needs --hook", "--hook-arg", "x", dir, NULL);
	expect_cli(2, "exactly one region", dir, dir, NULL, NULL);
	expect_cli(2, "bad --job-id '0'", "--job-id", "0", dir, NULL);
	expect_cli(2, "bad --job-id '-3'", "--job-id", "-3", dir, NULL);
	expect_cli(2, "bad --job-id '12x'", "--job-id", "12x", dir, NULL);
	expect_cli(1, "No such file", missing, NULL, NULL, NULL);
	expect_cli(1, "cannot load plugin", "--hook", missing, dir, NULL);
	expect_cli(1, "no rhook_plugin_init", "--hook", lib, dir, NULL);
	expect_cli(1, "rhook_plugin_init() failed", "--hook", plugin_path(), dir, NULL);
	/* A damaged region: a clear message, exit 1, and the region as it was. */
	snprintf(ident, sizeof(ident), "%s/REGION", dir);
	f = fopen(ident, "w");
	assert_non_null(f);
	fputs("{\"format\":1,\"region_id\":\"oops\"}\n", f);
	fclose(f);
	expect_cli(1, "bad region id", dir, NULL, NULL, NULL);
}

/* The flight recorder reaches the compactor by configuration alone (librhook's constructor). */
static void test_compactor_recorder(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], trace[ERT_PATH], env[ERT_PATH + 32];
	char *argv[] = { (char *)rt_bin("rhook-compactor"), dir, NULL }, *envp[] = { env, NULL };
	struct lsm_region *r = ert_region(e, dir);
	struct dirent *de;
	size_t files = 0;
	DIR *d;

	ert_put_flush(r, 100, 0, 1);
	ert_put_flush(r, 100, 1000, 2);
	lsm_region_close(r);
	snprintf(trace, sizeof(trace), "%s/trace", e->dir);
	snprintf(env, sizeof(env), "RHOOK_TRACE_DIR=%s", trace);
	assert_int_equal(rt_run(argv, envp, NULL, NULL), 0);
	d = opendir(trace);
	assert_non_null(d);
	while ((de = readdir(d)))
		files += !strncmp(de->d_name, "rhook-", 6);
	closedir(d);
	assert_int_equal(files, 1);
}

static pid_t spawn_compactor(const char *dir, const char *log)
{
	char *argv[] = { (char *)rt_bin("rhook-compactor"), "--hook", (char *)plugin_path(), "--hook-arg",
			 (char *)log, (char *)dir, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_manifest_exclusion(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], log[ERT_PATH], lock[ERT_PATH + 8];
	struct lsm_region *r = ert_region(e, dir);
	struct hook_line lines[4];
	uint64_t v;
	pid_t pid;
	int fd, st;

	snprintf(log, sizeof(log), "%s/hook.log", e->dir);
	snprintf(lock, sizeof(lock), "%s/LOCK", dir);
	ert_put_flush(r, 100, 0, 1);
	ert_put_flush(r, 100, 1000, 2);
	lsm_region_close(r);
	/* Hold the manifest exclusively, as a writer in another process would. */
	fd = open(lock, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	pid = spawn_compactor(dir, log);
	/* It cannot even open the region while the lock is held: no hook, no version. */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(waitpid(pid, &st, WNOHANG), 0);
		assert_int_equal(read_log(log, lines, 4), 0);
		usleep(25000);
	}
	assert_int_equal(flock(fd, LOCK_UN), 0);
	close(fd);
	assert_int_equal(wait_status(pid), 0);
	assert_int_equal(read_log(log, lines, 4), 2);
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	v = lines[1].version;
	assert_int_equal(lsm_region_get_id(r), lines[1].region);
	lsm_region_close(r);
	assert_int_equal(v, 4);
}

static void test_leader_writes_during_remote(void **state)
{
	struct ert_env *e = *state;
	char dir[ERT_PATH], log[ERT_PATH];
	struct lsm_region *r = ert_region(e, dir);
	struct lsm_row_set rows;
	struct hook_line lines[4];
	uint64_t last = 0;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/hook.log", e->dir);
	for (unsigned g = 0; g < 4; g++)
		ert_put_flush(r, 200, g * 1000, g);
	ert_recorder_reset(&e->rec);
	pid = spawn_compactor(dir, log);
	/* The leader keeps flushing while the compactor works: the manifest takes both in turn. */
	for (unsigned g = 4; g < 12; g++)
		ert_put_flush(r, 200, g * 1000, g);
	assert_int_equal(wait_status(pid), 0);
	ert_put_flush(r, 200, 12000, 12);
	assert_int_equal(read_log(log, lines, 4), 2);
	for (size_t i = 0; i < e->rec.num_calls; i++) {
		if (e->rec.calls[i].kind != ERT_MANIFEST)
			continue;
		assert_true(e->rec.calls[i].version > last);
		assert_true(e->rec.calls[i].version != lines[1].version);
		last = e->rec.calls[i].version;
	}
	assert_true(last > lines[1].version);
	lsm_region_close(r);
	/* The log replays through both writers' versions and loses no row. */
	assert_int_equal(lsm_region_open(e->engine, dir, LSM_ROLE_LEADER, &r), 0);
	ert_scan(r, &rows);
	assert_int_equal(rows.num_rows, 13 * 200);
	lsm_row_set_free(&rows);
	lsm_region_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_remote_compaction, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_to_compact, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_before_exec, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_cli_errors, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_compactor_recorder, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_manifest_exclusion, ert_fixture_setup, ert_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_leader_writes_during_remote, ert_fixture_setup, ert_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
