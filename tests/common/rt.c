/*
 * rt.c - test helpers (see rt.h).
 */
#define _GNU_SOURCE
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("rt: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void rt_tmpdir(char out[PATH_MAX], const char *tag)
{
	const char *base = getenv("TMPDIR");

	snprintf(out, PATH_MAX, "%s/rhook-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	if (!mkdtemp(out))
		die("mkdtemp(%s): %s", out, strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void rt_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *rt_bin(const char *name)
{
	static __thread char buf[PATH_MAX];
	const char *dir = getenv("RHOOK_BIN_DIR");

	if (!dir)
		die("RHOOK_BIN_DIR is not set (run the tests through ctest)");
	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* Appends what is readable on @fd to the growing buffer *buf; returns false at EOF. */
static bool drain(int fd, char **buf, size_t *len, size_t *cap)
{
	char tmp[65536];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0)
		return n < 0 && errno == EINTR;
	if (*len + (size_t)n + 1 > *cap) {
		*cap = (*len + (size_t)n + 1) * 2;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			die("out of memory");
	}
	memcpy(*buf + *len, tmp, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
	return true;
}

int rt_run(char *const argv[], char *const env[], char **out, char **err)
{
	posix_spawn_file_actions_t fa;
	char **envp;
	size_t nenv = 0, nextra = 0;
	int po[2], pe[2], status;
	pid_t pid;
	char *bufs[2] = { NULL, NULL };
	size_t lens[2] = { 0, 0 }, caps[2] = { 0, 0 };
	struct pollfd pfd[2];

	while (environ[nenv])
		nenv++;
	while (env && env[nextra])
		nextra++;
	envp = calloc(nenv + nextra + 1, sizeof(*envp));
	if (!envp)
		die("out of memory");
	if (nextra)
		memcpy(envp, env, nextra * sizeof(*envp));
	memcpy(envp + nextra, environ, nenv * sizeof(*envp)); /* first match wins in getenv */
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp)) {
		posix_spawn_file_actions_destroy(&fa);
		free(envp);
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	close(po[1]);
	close(pe[1]);
	pfd[0] = (struct pollfd){ .fd = po[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = pe[0], .events = POLLIN };
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    !drain(pfd[i].fd, &bufs[i], &lens[i], &caps[i])) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	for (int i = 0; i < 2; i++)
		if (!bufs[i])
			bufs[i] = strdup("");
	if (out)
		*out = bufs[0];
	else
		free(bufs[0]);
	if (err)
		*err = bufs[1];
	else {
		if (*bufs[1])
			fputs(bufs[1], stderr);
		free(bufs[1]);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Runs "lttng <args...>"; prints its output when it fails. */
static int lttng(char *const argv[])
{
	char *out, *err;
	int st = rt_run(argv, NULL, &out, &err);

	if (st) {
		fprintf(stderr, "rt:");
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, ": exit %d\n%s%s", st, out, err);
	}
	free(out);
	free(err);
	return st;
}

static bool sessiond_alive(void)
{
	char *argv[] = { "lttng", "list", NULL };
	char *out, *err;
	int st = rt_run(argv, NULL, &out, &err);

	free(out);
	free(err);
	return st == 0;
}

static int read_pidfile(void)
{
	char path[PATH_MAX], buf[32] = "";
	const char *home = getenv("HOME");
	FILE *f;

	if (geteuid() == 0)
		snprintf(path, sizeof(path), "/var/run/lttng/lttng-sessiond.pid");
	else
		snprintf(path, sizeof(path), "%s/.lttng/lttng-sessiond.pid", home ? home : "");
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return atoi(buf) > 0 ? atoi(buf) : -1;
}

int rt_lttng_begin(struct rt_lttng *s, const char *out_dir)
{
	static int counter;
	char out_opt[PATH_MAX + 16];

	memset(s, 0, sizeof(*s));
	snprintf(s->out_dir, sizeof(s->out_dir), "%s", out_dir);
	snprintf(s->name, sizeof(s->name), "rhook-test-%d-%d", (int)getpid(), counter++);
	if (!sessiond_alive()) {
		char *argv[] = { "lttng-sessiond", "--daemonize", NULL };

		if (rt_run(argv, NULL, NULL, NULL)) {
			fprintf(stderr, "rt: cannot start lttng-sessiond\n");
			return -1;
		}
		s->sessiond_pid = read_pidfile();
		for (int i = 0; i < 100 && !sessiond_alive(); i++)
			usleep(50000);
	}
	snprintf(out_opt, sizeof(out_opt), "--output=%s", out_dir);
	if (lttng((char *[]){ "lttng", "create", s->name, out_opt, NULL }) ||
	    lttng((char *[]){ "lttng", "enable-event", "-u", "-s", s->name, "rhook:*", NULL }) ||
	    lttng((char *[]){ "lttng", "start", s->name, NULL }))
		return -1;
	return 0;
}

int rt_lttng_end(struct rt_lttng *s)
{
	int err = lttng((char *[]){ "lttng", "stop", s->name, NULL });

	err |= lttng((char *[]){ "lttng", "destroy", s->name, NULL });
	if (s->sessiond_pid > 0) {
		kill(s->sessiond_pid, SIGTERM);
		for (int i = 0; i < 200 && !kill(s->sessiond_pid, 0); i++)
			usleep(50000);
		s->sessiond_pid = 0;
	}
	return err ? -1 : 0;
}

/* Parses one "key = value" list between braces; *p is past the '{'. */
static int parse_fields(const char **p, struct rt_event *ev)
{
	const char *s = *p;

	for (;;) {
		const char *k, *v;
		size_t klen;
		char *val;

		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '}') {
			*p = s + 1;
			return 0;
		}
		k = s;
		while (*s && *s != ' ' && *s != '=')
			s++;
		klen = (size_t)(s - k);
		if (strncmp(s, " = ", 3))
			return -1;
		s += 3;
		v = s;
		if (*s == '"') {
			/* A string: unescape \" and \\. */
			size_t n = 0;

			val = malloc(strlen(s) + 1);
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				val[n++] = *s;
			}
			if (*s != '"')
				return free(val), -1;
			s++;
			val[n] = '\0';
		} else if (*s == '(') {
			/* An enumeration: ( "label" : container = N ) -> label. */
			const char *q = strchr(s, '"'), *e;

			if (!q || !(e = strchr(q + 1, '"')))
				return -1;
			val = strndup(q + 1, (size_t)(e - q - 1));
			s = strchr(e, ')');
			if (!s)
				return free(val), -1;
			s++;
		} else if (*s == '[' || *s == '{') {
			int depth = 0;

			do {
				if (*s == '[' || *s == '{')
					depth++;
				else if (*s == ']' || *s == '}')
					depth--;
				s++;
			} while (*s && depth);
			val = strndup(v, (size_t)(s - v));
		} else {
			while (*s && *s != ',' && *s != ' ' && *s != '}')
				s++;
			val = strndup(v, (size_t)(s - v));
		}
		if (ev->num_fields == sizeof(ev->keys) / sizeof(ev->keys[0]))
			return free(val), -1;
		ev->keys[ev->num_fields] = strndup(k, klen);
		ev->values[ev->num_fields++] = val;
	}
}

int rt_parse_babeltrace(const char *text, struct rt_trace *out)
{
	const char *line = text;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	while (line && *line) {
		const char *end = strchr(line, '\n'), *p = line, *name;
		struct rt_event ev;
		unsigned long long sec, nsec;
		int n;

		memset(&ev, 0, sizeof(ev));
		if (sscanf(p, "[%llu.%llu]%n", &sec, &nsec, &n) != 2)
			return -1;
		ev.ts_ns = sec * 1000000000ull + nsec;
		p += n;
		/* "host provider:event: { ctx }, { payload }" */
		name = strstr(p, " rhook:");
		if (!name || (end && name > end))
			return -1;
		name++;
		n = (int)(strchr(name, ':') - name);
		{
			const char *colon2 = strchr(name + n + 1, ':');

			snprintf(ev.name, sizeof(ev.name), "%.*s", (int)(colon2 - name), name);
			p = colon2 + 1;
		}
		/* Context groups, then the payload: every "{ k = v, ... }" group of the line. */
		for (;;) {
			while (*p == ' ' || *p == ',')
				p++;
			if (*p != '{' || (end && p >= end))
				break;
			p++;
			if (parse_fields(&p, &ev))
				return -1;
		}
		if (!ev.num_fields)
			return -1;
		if (out->num_events == cap) {
			cap = cap ? cap * 2 : 256;
			out->events = realloc(out->events, cap * sizeof(*out->events));
		}
		out->events[out->num_events++] = ev;
		line = end ? end + 1 : NULL;
	}
	return 0;
}

int rt_babeltrace(const char *dir, struct rt_trace *out)
{
	char *argv[] = { "babeltrace2", "--clock-seconds", "--no-delta", (char *)dir, NULL };
	char *text, *err;
	int st = rt_run(argv, NULL, &text, &err), ret = -1;

	if (st == 0)
		ret = rt_parse_babeltrace(text, out);
	else
		fprintf(stderr, "rt: babeltrace2 %s: exit %d\n%s", dir, st, err);
	if (st == 0 && ret)
		fprintf(stderr, "rt: cannot parse babeltrace2 output:\n%.2000s\n", text);
	free(text);
	free(err);
	return ret;
}

void rt_trace_free(struct rt_trace *t)
{
	for (size_t i = 0; i < t->num_events; i++) {
		for (size_t j = 0; j < t->events[i].num_fields; j++) {
			free(t->events[i].keys[j]);
			free(t->events[i].values[j]);
		}
	}
	free(t->events);
	memset(t, 0, sizeof(*t));
}

const char *rt_field(const struct rt_event *ev, const char *key)
{
	for (size_t i = 0; i < ev->num_fields; i++)
		if (!strcmp(ev->keys[i], key))
			return ev->values[i];
	return NULL;
}

uint64_t rt_field_u64(const struct rt_event *ev, const char *key)
{
	const char *v = rt_field(ev, key);
	char *end;
	unsigned long long x;

	if (!v)
		die("event %s has no field %s", ev->name, key);
	errno = 0;
	x = strtoull(v, &end, 0);
	if (*end || errno)
		die("event %s field %s = %s is not a number", ev->name, key, v);
	return x;
}

size_t rt_count(const struct rt_trace *t, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < t->num_events; i++)
		n += !strcmp(t->events[i].name, name);
	return n;
}
