/*
 * cdp.c - headless Chromium through the DevTools protocol (see cdp.h).
 */
#define _GNU_SOURCE
#include "cdp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"
#include "fsutil.h"

const char *cdp_browser(void)
{
	static char found[4096];
	const char *env = getenv("RHOOK_CHROMIUM"), *path = getenv("PATH");

	if (env && *env)
		return env;
	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(found, sizeof(found), "%.*s/chromium", (int)n, path);
		if (n && !access(found, X_OK))
			return found;
		path += n + (path[n] == ':');
	}
	return NULL;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next message, waiting until @deadline (ms); NULL on timeout or when the browser closed the pipe. */
static json_t *receive(struct cdp *c, long long deadline)
{
	for (;;) {
		char *nul = c->len ? memchr(c->buf, '\0', c->len) : NULL;
		struct pollfd p = { .fd = c->from, .events = POLLIN };
		long long left;
		ssize_t n;

		if (nul) {
			size_t used = (size_t)(nul - c->buf) + 1;
			json_t *msg = json_loads(c->buf, 0, NULL);

			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			if (msg)
				return msg;
			continue;
		}
		left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return NULL;
		if (c->cap - c->len < 65536) {
			char *b = realloc(c->buf, c->cap + (1u << 20));

			if (!b)
				return NULL;
			c->buf = b;
			c->cap += 1u << 20;
		}
		n = read(c->from, c->buf + c->len, c->cap - c->len);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

/* Keeps an event; replies to other commands are dropped. */
static void keep(struct cdp *c, json_t *msg)
{
	if (json_object_get(msg, "method"))
		json_array_append(c->events, msg);
	json_decref(msg);
}

json_t *cdp_call(struct cdp *c, bool browser_level, const char *method, json_t *params, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int id = ++c->next_id;
	json_t *cmd = json_pack("{s:i, s:s, s:o}", "id", id, "method", method, "params", params ? params : json_object());
	char *text;
	size_t len, off = 0;

	if (!browser_level && c->session)
		json_object_set_new(cmd, "sessionId", json_string(c->session));
	text = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	len = strlen(text) + 1; /* with its NUL terminator */
	while (off < len) {
		ssize_t n = write(c->to, text + off, len - off);

		if (n <= 0) {
			fprintf(stderr, "cdp: %s: write: %s\n", method, strerror(errno));
			free(text);
			return NULL;
		}
		off += (size_t)n;
	}
	free(text);
	for (;;) {
		json_t *msg = receive(c, deadline), *v;

		if (!msg) {
			fprintf(stderr, "cdp: %s: no reply within %d ms\n", method, timeout_ms);
			return NULL;
		}
		v = json_object_get(msg, "id");
		if (!v || json_integer_value(v) != id) {
			keep(c, msg);
			continue;
		}
		if (json_object_get(msg, "error")) {
			char *e = json_dumps(json_object_get(msg, "error"), JSON_COMPACT);

			fprintf(stderr, "cdp: %s: %s\n", method, e);
			free(e);
			json_decref(msg);
			return NULL;
		}
		v = json_incref(json_object_get(msg, "result"));
		json_decref(msg);
		return v;
	}
}

bool cdp_wait_event(struct cdp *c, const char *method, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	size_t seen = json_array_size(c->events);

	for (;;) {
		json_t *msg;

		for (; seen < json_array_size(c->events); seen++)
			if (!strcmp(json_string_value(json_object_get(json_array_get(c->events, seen), "method")), method))
				return true;
		msg = receive(c, deadline);
		if (!msg)
			return false;
		keep(c, msg);
	}
}

json_t *cdp_eval(struct cdp *c, const char *expr)
{
	json_t *r = cdp_call(c, false, "Runtime.evaluate",
			     json_pack("{s:s, s:b, s:b}", "expression", expr, "returnByValue", 1, "awaitPromise", 1), 10000);
	json_t *v;

	if (!r)
		return NULL;
	if (json_object_get(r, "exceptionDetails")) {
		char *e = json_dumps(json_object_get(r, "exceptionDetails"), JSON_COMPACT);

		fprintf(stderr, "cdp: %s: %s\n", expr, e);
		free(e);
		json_decref(r);
		return NULL;
	}
	v = json_incref(json_object_get(json_object_get(r, "result"), "value"));
	json_decref(r);
	return v;
}

int cdp_open(struct cdp *c, const char *browser, int width, int height)
{
	int to[2], from[2];
	json_t *r, *target;
	char size[64];

	memset(c, 0, sizeof(*c));
	c->to = c->from = -1;
	c->events = json_array();
	rt_tmpdir(c->profile, "chromium");
	snprintf(size, sizeof(size), "--window-size=%d,%d", width, height);
	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC)) {
		fprintf(stderr, "cdp: pipe: %s\n", strerror(errno));
		return -1;
	}
	c->pid = fork();
	if (c->pid == 0) {
		char dir[4200], log[4200];
		int devnull = open("/dev/null", O_RDWR), errs;

		int in = fcntl(to[0], F_DUPFD, 10), out = fcntl(from[1], F_DUPFD, 10);

		snprintf(dir, sizeof(dir), "--user-data-dir=%s", c->profile);
		/* Its messages go to its profile, shown if it does not answer (cdp_open()). */
		snprintf(log, sizeof(log), "%s.log", c->profile);
		errs = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		/* Chromium reads commands from fd 3 and writes to fd 4 (moved up first: no clash with 3 and 4). */
		if (in < 0 || out < 0 || dup2(in, 3) < 0 || dup2(out, 4) < 0)
			_exit(127);
		if (devnull >= 0)
			dup2(devnull, 1);
		if (errs >= 0 || devnull >= 0)
			dup2(errs >= 0 ? errs : devnull, 2);
		execlp(browser, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		       "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
		       "--disable-component-update", "--disable-sync", "--mute-audio", "--hide-scrollbars",
		       "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>", "--remote-debugging-pipe",
		       dir, size, "about:blank", (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	c->to = to[1];
	c->from = from[0];
	if (c->pid < 0) {
		fprintf(stderr, "cdp: fork: %s\n", strerror(errno));
		return -1;
	}
	target = cdp_call(c, true, "Target.createTarget", json_pack("{s:s}", "url", "about:blank"), 30000);
	if (!target) {
		char cmd[4300];

		snprintf(cmd, sizeof(cmd), "tail -n 20 '%s.log' >&2", c->profile);
		if (system(cmd))
			fprintf(stderr, "cdp: no log of %s\n", browser);
		return -1;
	}
	r = cdp_call(c, true, "Target.attachToTarget",
		     json_pack("{s:O, s:b}", "targetId", json_object_get(target, "targetId"), "flatten", 1), 10000);
	json_decref(target);
	if (!r || !json_string_value(json_object_get(r, "sessionId"))) {
		json_decref(r);
		return -1;
	}
	c->session = strdup(json_string_value(json_object_get(r, "sessionId")));
	json_decref(r);
	for (const char *const *m = (const char *const[]){ "Runtime.enable", "Log.enable", "Network.enable",
							   "Page.enable", NULL };
	     *m; m++) {
		r = cdp_call(c, false, *m, NULL, 10000);
		if (!r)
			return -1;
		json_decref(r);
	}
	r = cdp_call(c, false, "Emulation.setDeviceMetricsOverride",
		     json_pack("{s:i, s:i, s:f, s:b}", "width", width, "height", height, "deviceScaleFactor", 1.0,
			       "mobile", 0),
		     10000);
	json_decref(r);
	return r ? 0 : -1;
}

void cdp_close(struct cdp *c)
{
	if (c->to >= 0) {
		json_decref(cdp_call(c, true, "Browser.close", NULL, 5000));
		close(c->to);
	}
	if (c->from >= 0)
		close(c->from);
	if (c->pid > 0) {
		int st;

		for (int i = 0; i < 100 && waitpid(c->pid, &st, WNOHANG) == 0; i++)
			usleep(50000);
		if (waitpid(c->pid, &st, WNOHANG) == 0) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &st, 0);
		}
	}
	if (c->profile[0]) {
		char log[4200];

		tc_rmtree(c->profile);
		snprintf(log, sizeof(log), "%s.log", c->profile);
		unlink(log);
	}
	json_decref(c->events);
	free(c->session);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

unsigned char *cdp_base64(const char *in, size_t *len)
{
	size_t n = strlen(in), k = 0;
	unsigned char *out = malloc(n / 4 * 3 + 3);
	uint32_t acc = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n && in[i] != '='; i++) {
		const char *abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		const char *p = strchr(abc, in[i]);

		if (!p || !in[i]) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)(p - abc);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (unsigned char)(acc >> bits);
		}
	}
	*len = k;
	return out;
}
