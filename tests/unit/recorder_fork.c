/*
 * recorder_fork.c - the recorder across fork() and thread exits.
 *
 * A forked child records into a file of its own (never into the
 * parent's mapping, which it inherits), created at its first event: a
 * child that only execs or exits leaves no file, a grandchild that
 * records gets its own.  Threads that exited leave their events
 * readable, and their buffers are taken over by later threads without
 * losing what they hold.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "reader/recfile.h"
#include "rt.h"
#include "wire/events.h"

struct file_events {
	uint64_t pid;
	uint32_t state;
	unsigned n;
	uint64_t region[64];
	uint64_t rows[64];
	uint32_t tid[64];
};

/* Decodes the recorder file @name of @dir (every stream, in stream order). */
static void read_file(const char *dir, const char *name, struct file_events *out)
{
	struct rdr_proc proc;
	struct rdr_recfile f;
	char path[PATH_MAX], err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	memset(&proc, 0, sizeof(proc));
	memset(out, 0, sizeof(*out));
	if (rdr_recfile_open(&f, path, &proc, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	out->pid = proc.pid;
	out->state = f.hdr.state;
	for (uint32_t s = 0; s < f.num_streams; s++) {
		struct rdr_stream *st = rdr_recfile_stream(&f, s);

		while (st->next(st)) {
			const struct rhw_ev_flush_begin *e = st->ev.payload;

			assert_true(out->n < 64);
			assert_int_equal(st->ev.id, RHW_EV_flush_begin);
			out->region[out->n] = e->region_id;
			out->rows[out->n] = e->rows;
			out->tid[out->n++] = st->ev.tid;
		}
	}
	rdr_recfile_close(&f);
}

static void test_fork(void **state)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 64 * 1024, .num_buffers = 2,
					     .mode = RHOOK_RECORDER_DISCARD };
	char dir[PATH_MAX], parent_name[64], child_name[64];
	struct file_events parent, child;
	int status;
	pid_t pid;

	(void)state;
	rt_tmpdir(dir, "fork");
	cfg.dir = dir;
	assert_int_equal(rhook_recorder_start(&cfg), 0);
	for (unsigned i = 0; i < 10; i++)
		rhook_trace_flush_begin(1, i, 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child: 20 events of region 2, then a clean stop; no cmocka here. */
		for (unsigned i = 0; i < 20; i++)
			rhook_trace_flush_begin(2, i, 0);
		_exit(rhook_recorder_stop() == 0 ? 0 : 1);
	}
	for (unsigned i = 10; i < 20; i++)
		rhook_trace_flush_begin(1, i, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(rhook_recorder_stop(), 0);

	snprintf(parent_name, sizeof(parent_name), "rhook-%ld-0.rhr", (long)getpid());
	snprintf(child_name, sizeof(child_name), "rhook-%ld-0.rhr", (long)pid);
	read_file(dir, parent_name, &parent);
	read_file(dir, child_name, &child);
	assert_int_equal(parent.pid, (uint64_t)getpid());
	assert_int_equal(child.pid, (uint64_t)pid);
	assert_int_equal(parent.state, RHR_STATE_STOPPED);
	assert_int_equal(child.state, RHR_STATE_STOPPED);
	/* Each process's events in its own file, all of them, in order. */
	assert_int_equal(parent.n, 20);
	for (unsigned i = 0; i < 20; i++) {
		assert_int_equal(parent.region[i], 1);
		assert_int_equal(parent.rows[i], i);
	}
	assert_int_equal(child.n, 20);
	for (unsigned i = 0; i < 20; i++) {
		assert_int_equal(child.region[i], 2);
		assert_int_equal(child.rows[i], i);
		assert_int_equal(child.tid[i], (uint32_t)pid);
	}
	tc_rmtree(dir);
}

/* The names of the recorder files in @dir into @names; their count. */
static unsigned list_files(const char *dir, char names[8][256])
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	unsigned count = 0;

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (strstr(ents[i]->d_name, ".rhr")) {
			assert_true(count < 8);
			snprintf(names[count++], 256, "%s", ents[i]->d_name);
		}
		free(ents[i]);
	}
	free(ents);
	return count;
}

static pid_t wait_ok(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("child %ld: status %#x", (long)pid, status);
	return pid;
}

/*
 * Children that never record leave no file (fork+exec of /bin/true, a
 * child that exits, one that only stops the recorder); one that asks for
 * its file's path has it; a grandchild that records has its own file,
 * its parent (which did not) none.
 */
static void test_fork_without_events(void **state)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 1 << 20, .num_buffers = 16 };
	char dir[PATH_MAX], names[8][256], want[64];
	struct file_events ev;
	pid_t pid, grandchild, asked;
	int pipefd[2];

	(void)state;
	rt_tmpdir(dir, "fork-lazy");
	cfg.dir = dir;
	assert_int_equal(rhook_recorder_start(&cfg), 0);
	rhook_trace_flush_begin(1, 0, 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	wait_ok(pid);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	wait_ok(pid);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(rhook_recorder_stop() == 0 ? 0 : 1); /* recording, logically: stop says so */
	wait_ok(pid);
	/* A child asking for its file's path gets it created then. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char path[PATH_MAX];

		if (rhook_recorder_path(path, sizeof(path)) || access(path, F_OK))
			_exit(1);
		_exit(rhook_recorder_stop() == 0 ? 0 : 2);
	}
	asked = wait_ok(pid);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pid_t g = fork();

		if (g < 0)
			_exit(1);
		if (g == 0) {
			for (unsigned i = 0; i < 5; i++)
				rhook_trace_flush_begin(3, i, 0);
			_exit(rhook_recorder_stop() == 0 ? 0 : 1);
		}
		if (write(pipefd[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		_exit(waitpid(g, NULL, 0) == g ? 0 : 1);
	}
	wait_ok(pid);
	assert_int_equal(read(pipefd[0], &grandchild, sizeof(grandchild)), sizeof(grandchild));
	close(pipefd[0]);
	close(pipefd[1]);
	assert_int_equal(rhook_recorder_stop(), 0);

	/* The parent's, the one that asked for its path and the grandchild's: nothing of the others. */
	assert_int_equal(list_files(dir, names), 3);
	snprintf(want, sizeof(want), "rhook-%ld-0.rhr", (long)asked);
	assert_true(!strcmp(names[0], want) || !strcmp(names[1], want) || !strcmp(names[2], want));
	snprintf(want, sizeof(want), "rhook-%ld-0.rhr", (long)grandchild);
	assert_true(!strcmp(names[0], want) || !strcmp(names[1], want) || !strcmp(names[2], want));
	read_file(dir, want, &ev);
	assert_int_equal(ev.n, 5);
	assert_int_equal(ev.pid, (uint64_t)grandchild);
	assert_int_equal(ev.state, RHR_STATE_STOPPED);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(ev.rows[i], i);
	tc_rmtree(dir);
}

struct exiting {
	unsigned index;
	uint32_t tid;
};

static void *exiting_thread(void *arg)
{
	struct exiting *x = arg;

	x->tid = (uint32_t)gettid();
	for (unsigned i = 0; i < 5; i++)
		rhook_trace_flush_begin(100 + x->index, i, 0);
	return NULL;
}

/* Six threads in turn on two buffers: every event of every exited thread stays readable. */
static void test_exited_threads(void **state)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 64 * 1024, .num_buffers = 2,
					     .mode = RHOOK_RECORDER_DISCARD };
	struct exiting x[6];
	struct file_events ev;
	char dir[PATH_MAX], name[64];
	unsigned per_thread[6] = { 0 };

	(void)state;
	rt_tmpdir(dir, "exited");
	cfg.dir = dir;
	assert_int_equal(rhook_recorder_start(&cfg), 0);
	for (unsigned t = 0; t < 6; t++) {
		pthread_t th;

		x[t].index = t;
		assert_int_equal(pthread_create(&th, NULL, exiting_thread, &x[t]), 0);
		pthread_join(th, NULL);
	}
	assert_int_equal(rhook_recorder_stop(), 0);

	snprintf(name, sizeof(name), "rhook-%ld-0.rhr", (long)getpid());
	read_file(dir, name, &ev);
	assert_int_equal(ev.n, 30);
	for (unsigned i = 0; i < ev.n; i++) {
		unsigned t = (unsigned)(ev.region[i] - 100);

		assert_true(t < 6);
		/* Each event carries the thread that wrote its sub-buffer. */
		assert_int_equal(ev.tid[i], x[t].tid);
		assert_int_equal(ev.rows[i], per_thread[t]++);
	}
	for (unsigned t = 0; t < 6; t++)
		assert_int_equal(per_thread[t], 5);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_fork_without_events),
		cmocka_unit_test(test_exited_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
