/*
 * ctl_control.c - tracing a running engine from the outside (issue 13,
 * sections 2 and 3), through the real control channel and real files:
 *
 *  - rhook-ctl PID status / start / snapshot / stop on a running
 *    ctl_workload; the snapshot is private, passes rhook-read check and
 *    is read by rhook-read print and by babeltrace2 with the plugin;
 *  - refusals: bad settings, an existing snapshot directory, hostile
 *    requests on the socket, a peer of another uid; the host keeps
 *    serving;
 *  - RHOOK_CTL=off: no socket and no thread rhook-ctl;
 *  - a snapshot trigger: the engine's failpoint delays one persist past
 *    persist>1s; exactly one snapshot appears, holding the commits
 *    before the slow one, the slow one and the trigger record, and
 *    rhook-read check passes on it; retention and rate limit; lost>0;
 *  - a snapshot cut in the middle of a flush passes rhook-read check;
 *  - the demo's printed rhook-ctl commands work as printed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt.h"

struct workload {
	pid_t pid;
	int in;   /* its stdin: closing it ends the workload */
	FILE *out; /* its stdout */
};

/* Starts ctl_workload DIR ARGS... with the extra environment @env; its first line of output in @line. */
static void spawn_first(struct workload *w, char *const env[], const char *dir, const char *args, char *line,
			size_t size)
{
	int in[2], out[2];
	char cmd[PATH_MAX * 2];

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	w->pid = fork();
	assert_true(w->pid >= 0);
	if (!w->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		for (char *const *e = env; e && *e; e++)
			putenv(*e);
		snprintf(cmd, sizeof(cmd), "exec '%s' '%s' %s", rt_bin("ctl_workload"), dir, args ? args : "");
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	w->in = in[1];
	w->out = fdopen(out[0], "r");
	assert_non_null(w->out);
	assert_non_null(fgets(line, (int)size, w->out));
}

/* spawn_first(), which must print "ready". */
static void spawn(struct workload *w, char *const env[], const char *dir, const char *args)
{
	char line[128];

	spawn_first(w, env, dir, args, line, sizeof(line));
	assert_string_equal(line, "ready\n");
}

/* Closes the workload's stdin and waits for it: exit 0. */
static void finish(struct workload *w)
{
	int status;

	close(w->in);
	assert_int_equal(waitpid(w->pid, &status, 0), w->pid);
	fclose(w->out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* rhook-ctl ARGS... against @pid; its exit status, output in *out and *err. */
static int ctl(pid_t pid, char **out, char **err, ...)
{
	char *argv[16], spid[16];
	va_list ap;
	int n = 0;

	snprintf(spid, sizeof(spid), "%d", (int)pid);
	argv[n++] = (char *)rt_bin("rhook-ctl");
	argv[n++] = spid;
	va_start(ap, err);
	for (char *a; (a = va_arg(ap, char *)) && n < 15;)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return rt_run(argv, NULL, out, err);
}

static bool has_thread(pid_t pid, const char *name)
{
	char path[320], comm[32];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) && !found) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, de->d_name);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f))
			found = !strncmp(comm, name, strlen(name)) && comm[strlen(name)] == '\n';
		if (f)
			fclose(f);
	}
	closedir(d);
	return found;
}

static void assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

/* The one recorder file of directory @dir, into @out. */
static void only_file(const char *dir, char out[PATH_MAX])
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(out, PATH_MAX, "%.3800s/%s", dir, de->d_name);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
}

/* rhook-read SUBCOMMAND @dir: exit status and stdout. */
static int rhook_read(const char *sub, const char *dir, char **out)
{
	char *argv[] = { (char *)rt_bin("rhook-read"), (char *)sub, (char *)dir, NULL };
	char *argvj[] = { (char *)rt_bin("rhook-read"), (char *)sub, "--json", (char *)dir, NULL };

	return rt_run(!strcmp(sub, "json") ? (argvj[1] = "print", argvj) : argv, NULL, out, NULL);
}

static void test_start_snapshot_stop(void **state)
{
	char tmp[PATH_MAX], ctldir[PATH_MAX + 8], trace[PATH_MAX + 8], snap[PATH_MAX + 8], file[PATH_MAX];
	char envc[PATH_MAX + 32], *out, *err;
	char *env[] = { envc, NULL };
	struct workload w;

	(void)state;
	rt_tmpdir(tmp, "ctl");
	snprintf(ctldir, sizeof(ctldir), "%s/ctl", tmp);
	snprintf(trace, sizeof(trace), "%s/trace", tmp);
	snprintf(snap, sizeof(snap), "%s/snap", tmp);
	snprintf(envc, sizeof(envc), "RHOOK_CTL_DIR=%s", ctldir);
	spawn(&w, env, tmp, NULL);
	assert_mode(ctldir, 0700);
	assert_true(has_thread(w.pid, "rhook-ctl"));

	assert_int_equal(ctl(w.pid, &out, NULL, "status", NULL), 0);
	assert_non_null(strstr(out, "recording: no\n"));
	free(out);
	/* Settings are the recorder's, refused by name. */
	assert_int_equal(ctl(w.pid, NULL, &err, "start", "--dir", trace, "--buffer-size", "3k", NULL), 1);
	assert_non_null(strstr(err, "RHOOK_TRACE_BUFFER_SIZE=3k"));
	free(err);
	assert_int_equal(ctl(w.pid, &out, NULL, "start", "--dir", trace, "--buffer-size", "256k", "--mode", "discard",
			     NULL), 0);
	assert_non_null(strstr(out, "recording: yes\n"));
	assert_non_null(strstr(out, "mode: discard\n"));
	free(out);
	assert_int_equal(ctl(w.pid, NULL, &err, "start", "--dir", trace, NULL), 1);
	assert_non_null(strstr(err, "already recording"));
	free(err);
	usleep(300000);
	assert_int_equal(ctl(w.pid, &out, NULL, "snapshot", "--dir", snap, NULL), 0);
	assert_non_null(strstr(out, "snapshot: "));
	free(out);
	/* A snapshot goes into a new directory, never an existing one. */
	assert_int_equal(ctl(w.pid, NULL, &err, "snapshot", "--dir", snap, NULL), 1);
	assert_non_null(strstr(err, "exists"));
	free(err);
	assert_int_equal(ctl(w.pid, &out, NULL, "status", NULL), 0);
	assert_non_null(strstr(out, "recording: yes\n"));
	assert_non_null(strstr(out, "lost_discard: "));
	free(out);
	assert_int_equal(ctl(w.pid, &out, NULL, "stop", NULL), 0);
	free(out);
	assert_int_equal(ctl(w.pid, NULL, &err, "stop", NULL), 1);
	assert_non_null(strstr(err, "not recording"));
	free(err);
	finish(&w);

	assert_mode(snap, 0700);
	only_file(snap, file);
	assert_mode(file, 0600);
	assert_int_equal(rhook_read("check", snap, &out), 0);
	assert_non_null(strstr(out, "check: OK"));
	free(out);
	assert_int_equal(rhook_read("print", snap, &out), 0);
	assert_non_null(strstr(out, "rhook:manifest_commit"));
	assert_non_null(strstr(out, "rhook:flush_end"));
	free(out);
	{
		char ctf[PATH_MAX + 8];

		snprintf(ctf, sizeof(ctf), "%s/ctf", tmp);
		assert_int_equal(rt_run((char *[]){ (char *)rt_bin("rhook-read"), "export", "--ctf", ctf, snap, NULL }, NULL,
					NULL, NULL),
				 0);
		assert_int_equal(rhook_read("check", ctf, &out), 0);
		free(out);
	}
	/* The process's name, not the control thread's, names the trace. */
	assert_int_equal(rt_run((char *[]){ (char *)rt_bin("rhook-read"), "stats", snap, NULL }, NULL, &out, NULL), 0);
	assert_non_null(strstr(out, "(ctl_workload)"));
	free(out);
	{
		char plugin[PATH_MAX + 32], pre[PATH_MAX + 16];
		const char *dir = getenv("RHOOK_BT2_PLUGIN_DIR"), *preload = getenv("RHOOK_BT2_PRELOAD");
		char *argv[] = { "babeltrace2", plugin, snap, NULL };
		char *benv[] = { pre, NULL };

		snprintf(plugin, sizeof(plugin), "--plugin-path=%s", dir);
		snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", preload ? preload : "");
		assert_int_equal(rt_run(argv, preload ? benv : NULL, &out, NULL), 0);
		assert_non_null(strstr(out, "rhook:manifest_commit"));
		free(out);
	}
	tc_rmtree(tmp);
}

/* Sends @len bytes as one request on the socket of @pid in @dir; the reply in @buf. */
static void raw(const char *dir, pid_t pid, const void *req, size_t len, char *buf, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%d.sock", dir, (int)pid);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, req, len, 0), (ssize_t)len);
	n = recv(fd, buf, size - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	close(fd);
}

static void test_hostile_requests(void **state)
{
	static const char *const bad[] = {
		"",
		"hello\n",
		"rhook-ctl 1 status",
		"rhook-ctl 1 reboot\n",
		"rhook-ctl 1 start\nRHOOK_TRACE_DIR\n",
		"rhook-ctl 1 start\nLD_PRELOAD=/x\n",
		"rhook-ctl 1 status\nRHOOK_TRACE_DIR=/x\n",
		"rhook-ctl 1 start\nRHOOK_TRACE_DIR=relative\n",
		"rhook-ctl 1 start\nRHOOK_TRACE_MODE=a\nRHOOK_TRACE_MODE=b\n",
		"rhook-ctl 1 snapshot\ndir=\x01\n",
		"rhook-ctl 1 trigger\n",
		"rhook-ctl 1 trigger\nRHOOK_TRACE_SNAPSHOT_ON=hold>5parsecs\n",
	};
	char tmp[PATH_MAX], ctldir[PATH_MAX + 8], envc[PATH_MAX + 32], buf[9000], big[5000];
	char *env[] = { envc, NULL };
	struct workload w;
	pid_t child;
	int status;

	(void)state;
	rt_tmpdir(tmp, "ctlbad");
	snprintf(ctldir, sizeof(ctldir), "%s/ctl", tmp);
	snprintf(envc, sizeof(envc), "RHOOK_CTL_DIR=%s", ctldir);
	spawn(&w, env, tmp, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw(ctldir, w.pid, bad[i], strlen(bad[i]) ? strlen(bad[i]) : 1, buf, sizeof(buf));
		if (strncmp(buf, "error ", 6))
			fail_msg("request %zu got \"%s\"", i, buf);
	}
	raw(ctldir, w.pid, "rhook-ctl 1 status\0\n", 20, buf, sizeof(buf));
	assert_memory_equal(buf, "error ", 6);
	memset(big, 'a', sizeof(big));
	memcpy(big, "rhook-ctl 1 status\n", 19);
	raw(ctldir, w.pid, big, sizeof(big), buf, sizeof(buf));
	assert_non_null(strstr(buf, "EMSGSIZE"));
	/* A peer of another uid reaching the socket is refused by its credentials. */
	if (geteuid() == 0) {
		char sock[PATH_MAX + 32];

		snprintf(sock, sizeof(sock), "%s/%d.sock", ctldir, (int)w.pid);
		assert_int_equal(chmod(tmp, 0711), 0);
		assert_int_equal(chmod(ctldir, 0711), 0);
		assert_int_equal(chmod(sock, 0777), 0);
		child = fork();
		assert_true(child >= 0);
		if (!child) {
			struct sockaddr_un sa = { .sun_family = AF_UNIX };
			int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
			ssize_t n;

			/* No cmocka in the child: exit statuses say what failed. */
			snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", sock);
			if (setgid(65534) || setuid(65534))
				_exit(3);
			if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
				_exit(4);
			if (send(fd, "rhook-ctl 1 status\n", 19, 0) != 19 || (n = recv(fd, buf, sizeof(buf) - 1, 0)) <= 0)
				_exit(5);
			buf[n] = '\0';
			_exit(strncmp(buf, "error 13 EACCES", 15) ? 6 : 0);
		}
		assert_int_equal(waitpid(child, &status, 0), child);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	/* The host is unharmed and serves. */
	raw(ctldir, w.pid, "rhook-ctl 1 status\n", 19, buf, sizeof(buf));
	assert_memory_equal(buf, "ok\n", 3);
	finish(&w);
	tc_rmtree(tmp);
}

static void test_off(void **state)
{
	char tmp[PATH_MAX], ctldir[PATH_MAX + 8], envc[PATH_MAX + 32], sock[PATH_MAX + 32], *err;
	char *env[] = { envc, "RHOOK_CTL=off", NULL };
	struct workload w;

	(void)state;
	rt_tmpdir(tmp, "ctloff");
	snprintf(ctldir, sizeof(ctldir), "%s/ctl", tmp);
	snprintf(envc, sizeof(envc), "RHOOK_CTL_DIR=%s", ctldir);
	spawn(&w, env, tmp, NULL);
	snprintf(sock, sizeof(sock), "%s/%d.sock", ctldir, (int)w.pid);
	assert_int_equal(access(sock, F_OK), -1);
	assert_false(has_thread(w.pid, "rhook-ctl"));
	assert_int_equal(ctl(w.pid, NULL, &err, "status", NULL), 2);
	assert_non_null(strstr(err, "cannot reach"));
	free(err);
	finish(&w);
	tc_rmtree(tmp);
}

static void test_trigger(void **state)
{
	char tmp[PATH_MAX], snaps[PATH_MAX + 8], e1[PATH_MAX + 32], e2[PATH_MAX + 48], e3[PATH_MAX + 32];
	char path[PATH_MAX * 2], line[128], *out;
	/* A small trace: each snapshot copies all of it, and a loaded sanitizer build must keep up. */
	char *env[] = { e1, e2, e3, "RHOOK_TRACE_SNAPSHOT_ON=persist>1s", "RHOOK_TRACE_SIZE=4m", NULL };
	struct workload w;
	struct dirent *de;
	unsigned found = 0, commits_before = 0, triggers = 0;
	uint64_t slow_version = 0;
	DIR *d;

	(void)state;
	rt_tmpdir(tmp, "ctltrig");
	snprintf(snaps, sizeof(snaps), "%s/snaps", tmp);
	snprintf(e1, sizeof(e1), "RHOOK_TRACE_DIR=%s/trace", tmp);
	snprintf(e2, sizeof(e2), "RHOOK_TRACE_SNAPSHOT_DIR=%s", snaps);
	snprintf(e3, sizeof(e3), "RHOOK_CTL_DIR=%s/ctl", tmp);
	/* Round 5's persist sleeps 1.5 s; the others take milliseconds. */
	spawn(&w, env, tmp, "--rounds 12 --slow-persist 5 --delay-ms 1500 --wait 1");
	assert_non_null(fgets(line, sizeof(line), w.out));
	assert_string_equal(line, "rounds 12\n");
	/* The snapshot is taken on the thread rhook-ctl: wait for it (bounded), then end the workload. */
	for (int i = 0; i < 600 && !found; i++) {
		d = opendir(snaps);
		while (d && (de = readdir(d)))
			found += !strncmp(de->d_name, "trigger-", 8);
		if (d)
			closedir(d);
		if (!found)
			usleep(50000);
	}
	finish(&w);
	d = opendir(snaps);
	assert_non_null(d);
	found = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			assert_int_equal(strncmp(de->d_name, "trigger-", 8), 0);
			snprintf(path, sizeof(path), "%s/%s", snaps, de->d_name);
			found++;
		}
	closedir(d);
	assert_int_equal(found, 1);
	assert_mode(path, 0700);
	if (rhook_read("check", path, &out)) {
		char keep[PATH_MAX * 2 + 16];

		snprintf(keep, sizeof(keep), "%s.failed", tmp);
		rename(tmp, keep);
		fail_msg("rhook-read check %s failed (kept in %s):\n%s", path, keep, out);
	}
	free(out);
	assert_int_equal(rhook_read("json", path, &out), 0);
	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
		json_t *j = json_loads(l, 0, NULL);
		const char *ev;

		assert_non_null(j);
		ev = json_string_value(json_object_get(j, "event"));
		if (!strcmp(ev, "rhook:manifest_commit") && json_integer_value(json_object_get(j, "persist_ns")) > 1000000000)
			slow_version = (uint64_t)json_integer_value(json_object_get(j, "version"));
		else if (!strcmp(ev, "rhook:manifest_commit") && !slow_version)
			commits_before++;
		if (!strcmp(ev, "rhook:snapshot_trigger")) {
			triggers++;
			assert_string_equal(json_string_value(json_object_get(j, "condition")), "persist");
			assert_true(slow_version != 0); /* after the event it fired on */
			assert_int_equal(json_integer_value(json_object_get(j, "version")), (json_int_t)slow_version);
			assert_int_equal(json_integer_value(json_object_get(j, "event_id")), 2);
			assert_int_equal(json_integer_value(json_object_get(j, "threshold")), 1000000000);
			assert_true(json_integer_value(json_object_get(j, "value")) > 1000000000);
			assert_int_equal(json_integer_value(json_object_get(j, "snapshot")), 1);
		}
		json_decref(j);
	}
	free(out);
	assert_int_equal(triggers, 1);
	/* Rounds 0..4 came before the slow one. */
	assert_true(commits_before >= 5);
	tc_rmtree(tmp);
}

/* Names of the entries of @dir but "." and "..", sorted, into @names (at most @max); their count. */
static unsigned list_dir(const char *dir, char names[][NAME_MAX + 1], unsigned max)
{
	struct dirent **de;
	int n = scandir(dir, &de, NULL, alphasort);
	unsigned k = 0;

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(de[i]->d_name, ".") && strcmp(de[i]->d_name, "..") && k < max)
			snprintf(names[k++], NAME_MAX + 1, "%s", de[i]->d_name);
		free(de[i]);
	}
	free(de);
	return k;
}

/* Waits (bounded) until rhook-ctl status of @pid says @want triggered snapshots. */
static void wait_triggered(pid_t pid, unsigned want)
{
	char expect[64], *out;
	bool seen = false;

	snprintf(expect, sizeof(expect), "triggered_snapshots: %u\n", want);
	for (int i = 0; i < 600 && !seen; i++) {
		assert_int_equal(ctl(pid, &out, NULL, "status", NULL), 0);
		seen = strstr(out, expect) != NULL;
		free(out);
		if (!seen)
			usleep(50000);
	}
	assert_true(seen);
}

/*
 * Retention and rate limit: three slow commits, no rate limit, two kept:
 * the two newest snapshots remain.  Then two slow commits within the
 * interval: one snapshot, two trigger records, the second numbered 0.
 */
static void test_trigger_retention(void **state)
{
	char tmp[PATH_MAX], snaps[PATH_MAX + 8], e1[PATH_MAX + 32], e2[PATH_MAX + 48], e3[PATH_MAX + 32];
	char names[8][NAME_MAX + 1], line[64], path[PATH_MAX * 2], *out;
	char *env[] = { e1, e2, e3, "RHOOK_TRACE_SNAPSHOT_ON=persist>300ms", "RHOOK_TRACE_SNAPSHOT_KEEP=2",
			"RHOOK_TRACE_SNAPSHOT_INTERVAL=1ms", "RHOOK_TRACE_SIZE=4m", NULL };
	char e4[PATH_MAX + 32], w2[PATH_MAX + 8];
	char *env_limited[] = { e4, e2, e3, "RHOOK_TRACE_SNAPSHOT_ON=persist>300ms", "RHOOK_TRACE_SIZE=4m", NULL };
	struct workload w;
	unsigned n;

	(void)state;
	rt_tmpdir(tmp, "ctlkeep");
	snprintf(snaps, sizeof(snaps), "%s/snaps", tmp);
	snprintf(e1, sizeof(e1), "RHOOK_TRACE_DIR=%s/trace", tmp);
	snprintf(e2, sizeof(e2), "RHOOK_TRACE_SNAPSHOT_DIR=%s", snaps);
	snprintf(e3, sizeof(e3), "RHOOK_CTL_DIR=%s/ctl", tmp);
	spawn(&w, env, tmp, "--rounds 8 --slow-persist 2 --slow-rounds 3 --delay-ms 500 --wait 1");
	assert_non_null(fgets(line, sizeof(line), w.out));
	wait_triggered(w.pid, 3);
	finish(&w);
	n = list_dir(snaps, names, 8);
	assert_int_equal(n, 2);
	/* trigger-<pid>-<n>-...: the second and the third remain. */
	for (unsigned i = 0; i < n; i++) {
		char want[32];

		snprintf(want, sizeof(want), "trigger-%d-%u-", (int)w.pid, i + 2);
		assert_int_equal(strncmp(names[i], want, strlen(want)), 0);
	}

	tc_rmtree(snaps);
	snprintf(e4, sizeof(e4), "RHOOK_TRACE_DIR=%s/trace2", tmp);
	snprintf(w2, sizeof(w2), "%s/w2", tmp);
	assert_int_equal(mkdir(w2, 0700), 0);
	spawn(&w, env_limited, w2, "--rounds 8 --slow-persist 2 --slow-rounds 2 --delay-ms 500 --wait 1");
	assert_non_null(fgets(line, sizeof(line), w.out));
	wait_triggered(w.pid, 1);
	finish(&w);
	assert_int_equal(list_dir(snaps, names, 8), 1);
	/* The live trace holds both records: the first numbered 1, the second suppressed. */
	snprintf(path, sizeof(path), "%s/trace2", tmp);
	assert_int_equal(rhook_read("json", path, &out), 0);
	{
		const char *first = strstr(out, "\"event\":\"rhook:snapshot_trigger\"");
		const char *second = first ? strstr(first + 1, "\"event\":\"rhook:snapshot_trigger\"") : NULL;

		assert_non_null(first);
		assert_non_null(second);
		assert_null(strstr(second + 1, "\"event\":\"rhook:snapshot_trigger\""));
		assert_non_null(strstr(first, "\"snapshot\":1,"));
		assert_non_null(strstr(second, "\"snapshot\":0,"));
	}
	free(out);
	tc_rmtree(tmp);
}

/*
 * lost>0: a discard-mode recorder with 8 KiB per thread fills up and
 * drops events; the drop wakes rhook-ctl, which finds the drops over the
 * threshold, records the trigger (condition lost) and takes a snapshot.
 */
static void test_trigger_lost(void **state)
{
	char tmp[PATH_MAX], snaps[PATH_MAX + 8], e1[PATH_MAX + 32], e2[PATH_MAX + 48], e3[PATH_MAX + 32];
	char names[8][NAME_MAX + 1], line[64], path[PATH_MAX * 2], *out;
	char *env[] = { e1, e2, e3, "RHOOK_TRACE_SNAPSHOT_ON=lost>0", "RHOOK_TRACE_MODE=discard",
			"RHOOK_TRACE_BUFFER_SIZE=8k", "RHOOK_TRACE_SUBBUFFERS=2", NULL };
	struct workload w;

	(void)state;
	rt_tmpdir(tmp, "ctllost");
	snprintf(snaps, sizeof(snaps), "%s/snaps", tmp);
	snprintf(e1, sizeof(e1), "RHOOK_TRACE_DIR=%s/trace", tmp);
	snprintf(e2, sizeof(e2), "RHOOK_TRACE_SNAPSHOT_DIR=%s", snaps);
	snprintf(e3, sizeof(e3), "RHOOK_CTL_DIR=%s/ctl", tmp);
	spawn(&w, env, tmp, "--rounds 60 --wait 1");
	assert_non_null(fgets(line, sizeof(line), w.out));
	wait_triggered(w.pid, 1);
	finish(&w);
	assert_int_equal(list_dir(snaps, names, 8), 1);
	snprintf(path, sizeof(path), "%s/%s", snaps, names[0]);
	assert_int_equal(rhook_read("check", path, &out), 0);
	free(out);
	assert_int_equal(rhook_read("json", path, &out), 0);
	assert_non_null(strstr(out, "\"event\":\"rhook:snapshot_trigger\""));
	assert_non_null(strstr(out, "\"condition\":\"lost\""));
	free(out);
	tc_rmtree(tmp);
}

/*
 * A snapshot taken in the middle of a flush (from its on_sst_files_written
 * hook, rhook_recorder_snapshot()) holds the SST written and not its
 * commit: rhook-read check passes, the SST unverifiable, not orphaned.
 */
static void test_snapshot_mid_flush(void **state)
{
	char tmp[PATH_MAX], e1[PATH_MAX + 32], args[PATH_MAX + 64], snap[PATH_MAX + 8], line[PATH_MAX + 32], *out;
	char *env[] = { e1, NULL };
	struct workload w;

	(void)state;
	rt_tmpdir(tmp, "ctlmid");
	snprintf(e1, sizeof(e1), "RHOOK_TRACE_DIR=%s/trace", tmp);
	snprintf(snap, sizeof(snap), "%s/mid", tmp);
	snprintf(args, sizeof(args), "--rounds 3 --snapshot-in-hook '%s'", snap);
	spawn_first(&w, env, tmp, args, line, sizeof(line));
	assert_int_equal(strncmp(line, "snapshot ", 9), 0);
	finish(&w);
	assert_int_equal(rhook_read("check", snap, &out), 0);
	assert_non_null(strstr(out, "check: OK"));
	assert_non_null(strstr(out, "unverifiable"));
	free(out);
	assert_int_equal(rhook_read("print", snap, &out), 0);
	assert_non_null(strstr(out, "rhook:sst_file_written"));
	assert_null(strstr(out, "rhook:manifest_commit"));
	free(out);
	tc_rmtree(tmp);
}

/*
 * The newcomer's path: rhook-demo prints the rhook-ctl commands that
 * trace it; run as printed while it runs, they start, snapshot and stop
 * its recorder, and the snapshot passes rhook-read check.
 */
static void test_demo_prints_usage(void **state)
{
	char tmp[PATH_MAX], work[PATH_MAX + 8], envc[PATH_MAX + 32], cmd[PATH_MAX * 2], line[PATH_MAX * 2];
	char snap[PATH_MAX + 32], *argv[] = { (char *)rt_bin("rhook-demo"), "--seconds", "6", "--no-recorder", "--dir",
					     work, NULL };
	unsigned ran = 0;
	int out[2], status;
	pid_t pid;
	FILE *f;

	(void)state;
	rt_tmpdir(tmp, "ctldemo");
	snprintf(work, sizeof(work), "%s/w", tmp);
	snprintf(envc, sizeof(envc), "RHOOK_CTL_DIR=%s/ctl", tmp);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(out[1], 1);
		close(out[0]);
		putenv(envc);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) && strcmp(line, "\n")) {
		char *at = strstr(line, "/rhook-ctl ");

		if (!at || strstr(line, " trigger "))
			continue;
		/* Each printed command, as printed, through the shell (rhook-ctl finds the demo's RHOOK_CTL_DIR itself). */
		snprintf(cmd, sizeof(cmd), "%.*s", (int)strcspn(line, "\n"), line);
		assert_int_equal(rt_run((char *[]){ "/bin/sh", "-c", cmd, NULL }, NULL, NULL, NULL), 0);
		if (strstr(line, " start "))
			usleep(500000);
		ran++;
	}
	assert_int_equal(ran, 4); /* status, start, snapshot, stop */
	while (fgets(line, sizeof(line), f))
		;
	fclose(f);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	snprintf(snap, sizeof(snap), "%s/snapshot-1", work);
	assert_int_equal(rt_run((char *[]){ (char *)rt_bin("rhook-read"), "check", snap, NULL }, NULL, NULL, NULL), 0);
	tc_rmtree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_snapshot_stop),
		cmocka_unit_test(test_hostile_requests),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_trigger),
		cmocka_unit_test(test_trigger_retention),
		cmocka_unit_test(test_trigger_lost),
		cmocka_unit_test(test_snapshot_mid_flush),
		cmocka_unit_test(test_demo_prints_usage),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
