/*
 * proc.c - run a program, collect its output (see proc.h).
 */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct sink {
	int fd;
	char *buf;
	size_t len, cap;
};

/* Appends what is readable on the sink's fd; false at end of file or on error. */
static bool drain(struct sink *s)
{
	char tmp[65536];
	ssize_t n = read(s->fd, tmp, sizeof(tmp));

	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0)
		return false;
	if (s->len + (size_t)n + 1 > s->cap) {
		size_t cap = (s->len + (size_t)n + 1) * 2;
		char *b = realloc(s->buf, cap);

		if (!b)
			return false;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, tmp, (size_t)n);
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
	return true;
}

/* @env first: getenv() returns the first match. */
static char **merge_env(char *const env[])
{
	size_t nenv = 0, nextra = 0;
	char **envp;

	while (environ[nenv])
		nenv++;
	while (env && env[nextra])
		nextra++;
	envp = calloc(nenv + nextra + 1, sizeof(*envp));
	if (!envp)
		return NULL;
	if (nextra)
		memcpy(envp, env, nextra * sizeof(*envp));
	memcpy(envp + nextra, environ, nenv * sizeof(*envp));
	return envp;
}

/* Runs in the forked child: only async-signal-safe calls until exec. */
static void child_exec(char *const argv[], char **envp, const int fds[3], int gate)
{
	char c = 0;

	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && dup2(fds[i], i) < 0)
			_exit(127);
	/* One byte: released; end of file: the parent refused the pid. */
	while (read(gate, &c, 1) < 0 && errno == EINTR)
		;
	if (c != 'x')
		_exit(127);
	execvpe(argv[0], argv, envp);
	_exit(127);
}

int tc_proc_spawn(char *const argv[], char *const env[], const int fds[3], tc_proc_before_exec fn, void *arg,
		  pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	char **envp = merge_env(env);
	int gate[2], ret = -1;

	if (!envp)
		return -1;
	if (!fn) {
		posix_spawn_file_actions_init(&fa);
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				posix_spawn_file_actions_adddup2(&fa, fds[i], i);
		ret = posix_spawnp(pid, argv[0], &fa, NULL, argv, envp) ? -1 : 0;
		posix_spawn_file_actions_destroy(&fa);
		free(envp);
		return ret;
	}
	if (pipe2(gate, O_CLOEXEC)) {
		free(envp);
		return -1;
	}
	*pid = fork();
	if (*pid == 0) {
		close(gate[1]);
		child_exec(argv, envp, fds, gate[0]);
	}
	close(gate[0]);
	free(envp);
	if (*pid > 0) {
		if (fn(*pid, arg) == 0 && write(gate[1], "x", 1) == 1) {
			ret = 0;
		} else {
			kill(*pid, SIGKILL);
			while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
	}
	close(gate[1]);
	return ret;
}

int tc_proc_run(char *const argv[], char *const env[], char **out, char **err)
{
	return tc_proc_run_gated(argv, env, out, err, NULL, NULL);
}

int tc_proc_run_gated(char *const argv[], char *const env[], char **out, char **err, tc_proc_before_exec fn,
		      void *arg)
{
	struct sink sinks[2] = { { .fd = -1 }, { .fd = -1 } };
	int po[2], pe[2], status, ret;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC))
		return -1;
	if (pipe2(pe, O_CLOEXEC)) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	ret = tc_proc_spawn(argv, env, (const int[3]){ -1, po[1], pe[1] }, fn, arg, &pid);
	close(po[1]);
	close(pe[1]);
	sinks[0].fd = po[0];
	sinks[1].fd = pe[0];
	while (!ret && (sinks[0].fd >= 0 || sinks[1].fd >= 0)) {
		struct pollfd pfd[2] = { { .fd = sinks[0].fd, .events = POLLIN }, { .fd = sinks[1].fd, .events = POLLIN } };

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (sinks[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) && !drain(&sinks[i])) {
				close(sinks[i].fd);
				sinks[i].fd = -1;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (sinks[i].fd >= 0)
			close(sinks[i].fd);
	if (!ret) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	for (int i = 0; i < 2; i++) {
		char **dst = i ? err : out;

		if (!sinks[i].buf)
			sinks[i].buf = strdup("");
		if (dst)
			*dst = sinks[i].buf;
		else
			free(sinks[i].buf);
	}
	return ret;
}

int tc_proc_run_quiet(char *const argv[])
{
	char *out, *err;
	int st = tc_proc_run(argv, NULL, &out, &err);

	if (st) {
		fprintf(stderr, "%s:", argv[0]);
		for (int i = 1; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, ": exit %d\n%s%s", st, out ? out : "", err ? err : "");
	}
	free(out);
	free(err);
	return st;
}

int tc_proc_run_fd(char *const argv[], char *const env[], int out_fd, tc_proc_before_exec fn, void *arg)
{
	int status, null = open("/dev/null", O_WRONLY | O_CLOEXEC), ret;
	pid_t pid;

	if (null < 0)
		return -1;
	ret = tc_proc_spawn(argv, env, (const int[3]){ -1, out_fd >= 0 ? out_fd : null, -1 }, fn, arg, &pid);
	close(null);
	if (ret)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
