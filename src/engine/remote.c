/*
 * remote.c - the remote compaction client: runs rhook-compactor on the
 * region's directory, then catches up on the update it committed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include <rhook/trace.h>

#include "region.h"
#include "util.h"

extern char **environ;

/*
 * Starts @argv with stdout and stderr on @fd, after @req's before_exec
 * accepted its pid: the child is forked, waits on a pipe (only
 * async-signal-safe calls until exec), and execs once released.
 */
static int spawn_gated(char *const argv[], int fd, const struct lsm_remote_compaction *req, pid_t *pid)
{
	int gate[2], err = 0;
	char c = 0;

	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		err = -errno;
	} else if (*pid == 0) {
		close(gate[1]);
		if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		while (read(gate[0], &c, 1) < 0 && errno == EINTR)
			;
		if (c == 'x')
			execve(argv[0], argv, environ);
		_exit(127);
	} else if (req->before_exec(*pid, req->before_exec_arg) || write(gate[1], "x", 1) != 1) {
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
		*pid = -1;
		err = -ECHILD;
	}
	close(gate[0]);
	close(gate[1]);
	return err;
}

/*
 * Runs @argv (through @req's before_exec, if any) with stdout and stderr
 * into one pipe; its output in *out, its status in *status.
 */
static int run(char *const argv[], const struct lsm_remote_compaction *req, char **out, int *status)
{
	posix_spawn_file_actions_t fa;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int p[2], err;
	pid_t pid = -1;

	if (!buf)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC)) {
		free(buf);
		return -errno;
	}
	if (req->before_exec) {
		err = spawn_gated(argv, p[1], req, &pid);
	} else {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, p[1], 1);
		posix_spawn_file_actions_adddup2(&fa, p[1], 2);
		err = -posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(p[1]);
	while (!err) {
		ssize_t n;

		if (len + 1 == cap) {
			char *b = realloc(buf, cap * 2);

			if (!b) {
				err = -ENOMEM;
				break;
			}
			buf = b;
			cap *= 2;
		}
		n = read(p[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	if (pid > 0)
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
	buf[len] = '\0';
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

/* The last line of the compactor's output: its JSON result. */
static int parse_result(const char *out, struct lsm_region_op_result *res)
{
	const char *line = out, *p;
	json_int_t v[6] = { 0 };
	json_t *j;
	int bad;

	for (p = out; *p; p++)
		if (*p == '\n' && p[1])
			line = p + 1;
	j = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
	bad = !j || json_unpack(j, "{s:I, s:I, s:I, s:I, s:I, s:I}", "version", &v[0], "input_files", &v[1],
				"output_files", &v[2], "rows", &v[3], "bytes_in", &v[4], "bytes_out", &v[5]);
	json_decref(j);
	if (bad)
		return -EPROTO;
	*res = (struct lsm_region_op_result){ (uint64_t)v[0], (uint32_t)v[1], (uint32_t)v[2],
						(uint64_t)v[3], (uint64_t)v[4], (uint64_t)v[5] };
	return 0;
}

/* Any thread; one compaction per region at a time (compact_lock held throughout). */
int lsm_region_compact_remote(struct lsm_region *r, const struct lsm_remote_compaction *req,
				struct lsm_region_op_result *res)
{
	struct lsm_region_op_result local = { 0 };
	char *argv[10], *out = NULL, job[24];
	int argc = 0, status = 0, err;

	if (!req || req->size < sizeof(*req) || !req->program)
		return lsm__fail(-EINVAL, "remote compaction: no compactor program given");
	/* The job is this process's: the compactor's events carry its id. */
	snprintf(job, sizeof(job), "%llu", (unsigned long long)rhook_job_new());
	argv[argc++] = (char *)req->program;
	argv[argc++] = "--job-id";
	argv[argc++] = job;
	if (req->hook_path) {
		argv[argc++] = "--hook";
		argv[argc++] = (char *)req->hook_path;
	}
	if (req->hook_arg) {
		argv[argc++] = "--hook-arg";
		argv[argc++] = (char *)req->hook_arg;
	}
	argv[argc++] = r->dir;
	argv[argc] = NULL;

	pthread_mutex_lock(&r->compact_lock);
	err = lsm__region_check_role(r, LSM__LEADER_ONLY, "remote compaction");
	if (err)
		goto out;
	err = run(argv, req, &out, &status);
	if (err) {
		lsm__fail(err, "remote compaction: cannot run %s: %s", req->program, strerror(-err));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		err = lsm__fail(-EIO, "remote compaction: %s %s %d: %s", req->program,
				  WIFEXITED(status) ? "exited with" : "killed by signal",
				  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), out);
		goto out;
	}
	if (parse_result(out, &local)) {
		err = lsm__fail(-EPROTO, "remote compaction: unexpected output of %s: %s", req->program, out);
		goto out;
	}
	/* Catch up as a follower would: the compactor's update fires nothing here. */
	rhook_manifest_lock(r->ctx);
	flock(r->lock_fd, LOCK_SH);
	err = lsm__region_catch_up_locked(r, false);
	flock(r->lock_fd, LOCK_UN);
	rhook_manifest_unlock(r->ctx);
out:
	pthread_mutex_unlock(&r->compact_lock);
	free(out);
	if (res)
		*res = err ? (struct lsm_region_op_result){ 0 } : local;
	return err;
}
