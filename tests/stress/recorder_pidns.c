/*
 * recorder_pidns.c - reading a live trace whose writer's pid means
 * nothing here: no torn record is ever decoded.
 *
 *   recorder_pidns [ROUNDS]      (default 40 reads per case; CTest runs 20)
 *
 * A writer process (recorder-nswriter) rewrites the sub-buffers of small
 * overwrite rings nonstop while rhook-read prints the file, ROUNDS
 * times.  Every printed event must carry the values its thread wrote
 * (recorder_payload.h), each thread's in increasing order, with no
 * damaged record and exit status 0.  The reader must know the writer
 * lives without believing the pid in the header:
 *   - dead_pid: the header's pid is overwritten with one that no
 *     process has (what a reader in another PID namespace sees);
 *   - pid_namespace: the writer runs in its own PID namespace (unshare
 *     --pid --fork, as root) with a pid no process has outside it.
 *     Skipped, with the reason, where namespaces cannot be made.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"
#include "recorder_payload.h"
#include "rt.h"
#include "wire/recorder_format.h"

#define THREADS 2

extern char **environ;

static unsigned rounds = 40;

/* The writer still running, which a failed check must not leave behind (kill_writer). */
static pid_t live_writer;

/* Starts @argv in the background; its pid. */
static pid_t spawn(char *const argv[])
{
	pid_t pid;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ))
		fail_msg("cannot run %s", argv[0]);
	live_writer = pid;
	return pid;
}

/*
 * Teardown: a check that failed left the writer running, and it would
 * keep the test alive until CTest's timeout.  unshare --kill-child
 * takes the namespace's writer with it.
 */
static int kill_writer(void **state)
{
	(void)state;
	if (live_writer > 0) {
		kill(live_writer, SIGKILL);
		waitpid(live_writer, NULL, 0);
		live_writer = 0;
	}
	return 0;
}

/* The writer's file in @dir into @path, waiting for its header to be complete; false if it exited. */
static bool wait_file(const char *dir, pid_t writer, char *path, size_t size)
{
	for (int i = 0; i < 3000; i++) {
		struct dirent **names;
		int n = scandir(dir, &names, NULL, alphasort), status;
		bool found = false;

		for (int k = 0; k < n; k++) {
			if (strstr(names[k]->d_name, ".rhr")) {
				snprintf(path, size, "%s/%s", dir, names[k]->d_name);
				found = true;
			}
			free(names[k]);
		}
		free(names);
		if (found) {
			uint32_t version = 0;
			int fd = open(path, O_RDONLY);

			if (fd >= 0 && pread(fd, &version, 4, offsetof(struct rhr_header, version)) == 4 && version) {
				close(fd);
				return true;
			}
			if (fd >= 0)
				close(fd);
		}
		if (waitpid(writer, &status, WNOHANG) == writer) {
			live_writer = 0;
			return false;
		}
		usleep(10000);
	}
	return false;
}

/*
 * Checks one "print" output (its newlines are overwritten): consistent
 * values, increasing rows per thread.  Returns the number of events.
 */
static size_t check_print(char *text, unsigned round)
{
	uint64_t last[THREADS] = { 0 };
	bool seen[THREADS] = { false };
	char *text_end = text + strlen(text);
	size_t n = 0;

	/*
	 * Line by line, with memchr(): strstr() or strchr() over the rest of
	 * a large output for each event would be quadratic (ASan's
	 * strict_string_checks measures the whole string at each call).
	 */
	for (char *line = text, *end; line < text_end; line = end ? end + 1 : text_end) {
		unsigned long long region, rows, bytes;
		const char *p;
		uint64_t t;

		/* The line alone for strstr() and sscanf() (which measures its input). */
		end = memchr(line, '\n', (size_t)(text_end - line));
		if (end)
			*end = '\0';
		p = strstr(line, "{ region_id = ");
		if (!p)
			continue;

		assert_int_equal(sscanf(p, "{ region_id = %llu, job_id = 0, rows = %llu, bytes = %llu", &region, &rows, &bytes), 3);
		t = region - 1;
		if (t >= THREADS || bytes != recorder_mix(t, rows))
			fail_msg("read %u: a torn record was decoded: region %llu, rows %llu, bytes %llu", round, region,
				 rows, bytes);
		if (seen[t] && rows <= last[t])
			fail_msg("read %u: thread %llu: rows %llu after %llu (a record of another round)", round,
				 (unsigned long long)t, rows, (unsigned long long)last[t]);
		seen[t] = true;
		last[t] = rows;
		n++;
	}
	return n;
}

/* Reads @path with rhook-read ROUNDS times while its writer rewrites it. */
static void read_live(const char *path)
{
	size_t printed = 0;

	for (unsigned r = 0; r < rounds; r++) {
		char *argv[] = { strdup(rt_bin("rhook-read")), "print", (char *)path, NULL };
		char *out, *err;
		int st = rt_run(argv, NULL, &out, &err);

		if (st)
			fail_msg("read %u: rhook-read print on a live trace: exit %d\n%s", r, st, err);
		printed += check_print(out, r);
		free(argv[0]);
		free(out);
		free(err);
	}
	/* Rings of 16 sub-buffers: over all the reads the reader gets to some of them. */
	assert_true(printed > 0);
}

/* Tells the writer in @dir to stop and waits for it. */
static void stop_writer(const char *dir, pid_t writer)
{
	char stopfile[PATH_MAX + 8];
	int status, fd;

	snprintf(stopfile, sizeof(stopfile), "%s/stop", dir);
	fd = open(stopfile, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(waitpid(writer, &status, 0), writer);
	live_writer = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("the writer failed (status %#x)", status);
}

/* A pid that no process has here, high enough that none is likely to soon. */
static long free_pid(void)
{
	long max = 32768;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");

	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 32768;
		fclose(f);
	}
	for (long p = max - 1 - getpid() % 1000; p > max / 2; p--)
		if (kill((pid_t)p, 0) && errno == ESRCH && kill((pid_t)p - 1, 0) && errno == ESRCH)
			return p;
	fail_msg("no free pid below %ld", max);
	return -1;
}

static void test_dead_pid(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], threads[8], bin[PATH_MAX];
	uint64_t pid = (uint64_t)free_pid();
	pid_t writer;
	int fd;

	(void)state;
	rt_tmpdir(dir, "deadpid");
	snprintf(threads, sizeof(threads), "%d", THREADS);
	snprintf(bin, sizeof(bin), "%s", rt_bin("recorder-nswriter"));
	writer = spawn((char *[]){ bin, dir, threads, NULL });
	if (!wait_file(dir, writer, path, sizeof(path)))
		fail_msg("the writer made no trace file");
	/* What a reader in another PID namespace would see: a pid nobody has. */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &pid, sizeof(pid), offsetof(struct rhr_header, pid)), sizeof(pid));
	close(fd);
	read_live(path);
	stop_writer(dir, writer);
	tc_rmtree(dir);
}

static void test_pid_namespace(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], threads[8], pid[16], bin[PATH_MAX];
	char *probe_out = NULL, *probe_err = NULL;
	char *probe[] = { "unshare", "--pid", "--fork", "--kill-child", "true", NULL };
	pid_t writer;
	int st;

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "recorder_pidns: pid_namespace skipped: needs root (unshare --pid)\n");
		skip();
	}
	st = tc_proc_run(probe, NULL, &probe_out, &probe_err);
	if (st) {
		fprintf(stderr, "recorder_pidns: pid_namespace skipped: unshare --pid --fork fails here (exit %d): %s\n",
			st, probe_err ? probe_err : "");
		free(probe_out);
		free(probe_err);
		skip();
	}
	free(probe_out);
	free(probe_err);
	rt_tmpdir(dir, "pidns");
	snprintf(threads, sizeof(threads), "%d", THREADS);
	snprintf(pid, sizeof(pid), "%ld", free_pid());
	snprintf(bin, sizeof(bin), "%s", rt_bin("recorder-nswriter"));
	writer = spawn((char *[]){ "/usr/bin/unshare", "--pid", "--fork", "--kill-child", bin, dir, threads, pid, NULL });
	if (!wait_file(dir, writer, path, sizeof(path)))
		fail_msg("the writer in its PID namespace made no trace file");
	/* The header says the namespace's pid, which no process has here. */
	{
		uint64_t hpid = 0;
		int fd = open(path, O_RDONLY);

		assert_int_equal(pread(fd, &hpid, sizeof(hpid), offsetof(struct rhr_header, pid)), sizeof(hpid));
		close(fd);
		assert_int_equal(hpid, (uint64_t)atol(pid));
	}
	read_live(path);
	stop_writer(dir, writer);
	tc_rmtree(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_dead_pid, kill_writer),
		cmocka_unit_test_teardown(test_pid_namespace, kill_writer),
	};

	if (argc > 1)
		rounds = (unsigned)atoi(argv[1]);
	if (rounds < 1) {
		fprintf(stderr, "usage: recorder_pidns [ROUNDS]\n");
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
