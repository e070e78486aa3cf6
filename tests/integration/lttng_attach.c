/*
 * lttng_attach.c - LTTng on a running process (issue 13, section 1).
 *
 * engine_lttng_workload --rounds runs with RHOOK_LTTNG=auto (the default)
 * while no session daemon runs: it has its watcher thread "rhook-lttng"
 * and neither the provider nor liblttng-ust is loaded, and a scenario
 * round runs untraced.  Then a session daemon, a session and
 * `enable-event -u 'rhook:*'` start: the workload registers, and every
 * event of a round run after tracing took effect is in the trace, read
 * back with babeltrace2 and checked against what its hooks saw, cause by
 * cause (engine_lttng_check.h).  That daemon then exits, a round runs
 * with none, and a second daemon starts: the same again.  Alongside: a
 * child the workload forked before any daemon ran registers on its own
 * (its watcher restarted after fork()); a workload with RHOOK_LTTNG=off
 * has no watcher and never loads the provider; one that exits while its
 * watcher waits exits cleanly.
 *
 * "Tracing took effect" is observed, not timed: the workload emits a
 * marker event (a flush_begin of a region of its own) on command; the
 * session is stopped and the trace read until a marker is in it.  Events
 * emitted after the marker are the "after that point" of the issue.
 *
 * Isolation: lttng-sessiond is machine-wide (root's listens in
 * /var/run/lttng) and other tests may use it at the same time, while this
 * test needs none at its start and starts and stops its own.  As root it
 * enters a private mount namespace (unshare(CLONE_NEWNS), mounts made
 * private) and mounts fresh tmpfs on /var/run (with it /var/run/lttng,
 * where root's daemon and every application look) and on /dev/shm (the
 * daemons' wait shm and buffers); LTTNG_HOME is a private directory
 * (per-user daemon sockets, the lttng client's state).  The daemons, the
 * workloads and babeltrace2 are children, so they all see only these.
 * Where that is impossible (not root, no CAP_SYS_ADMIN, seccomp) the test
 * says so and exits 77, which CTest reports as skipped.  The environment
 * alone cannot isolate root: lttng-tools 2.13 and liblttng-ust have no
 * setting for root's run directory (LTTNG_HOME moves only the per-user
 * one, and every application also looks in /var/run/lttng).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_lttng_check.h"
#include "lttngctl.h"
#include "proc.h"

#define SOCKET "/var/run/lttng/lttng-ust-sock-8"
#define ROUND_TABLE 1000  /* regions of round N: table 1000 + N (engine_lttng_workload) */
#define MARKER_TABLE 2000 /* the marker of attempt N: a flush_begin of table 2000 + N */

static char dir[PATH_MAX];

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* A private /var/run, /dev/shm and LTTNG_HOME; false (with why in @why) where impossible. */
static bool isolate(char *why, size_t len)
{
	char run[PATH_MAX], home[PATH_MAX + 16];

	if (!realpath("/var/run", run))
		return snprintf(why, len, "realpath(/var/run): %s", strerror(errno)), false;
	if (unshare(CLONE_NEWNS))
		return snprintf(why, len, "unshare(CLONE_NEWNS): %s", strerror(errno)), false;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return snprintf(why, len, "making mounts private: %s", strerror(errno)), false;
	if (mount("tmpfs", run, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"))
		return snprintf(why, len, "tmpfs on %s: %s", run, strerror(errno)), false;
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"))
		return snprintf(why, len, "tmpfs on /dev/shm: %s", strerror(errno)), false;
	rt_tmpdir(dir, "attach");
	snprintf(home, sizeof(home), "%s/home", dir);
	if (mkdir(home, 0700) || setenv("LTTNG_HOME", home, 1))
		return snprintf(why, len, "LTTNG_HOME %s: %s", home, strerror(errno)), false;
	/*
	 * Each round starts rhook-compactor processes, which register at
	 * start-up; on a loaded machine liblttng-ust's default 3 s wait for
	 * that can expire, and their first events would go before the session
	 * knows them.  Late attach is not about that: let them wait longer.
	 */
	setenv("LTTNG_UST_REGISTER_TIMEOUT", "30000", 1);
	return true;
}

/* A child with its stdin and stdout on pipes. */
struct child {
	pid_t pid;
	int in, out;
	char buf[1 << 16];
	size_t len;
};

static void spawn(struct child *c, char *const argv[], const char *rhook_lttng)
{
	int in[2], out[2];
	pid_t parent = getpid();

	memset(c, 0, sizeof(*c));
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	c->pid = fork();
	if (c->pid < 0)
		die("fork: %s", strerror(errno));
	if (!c->pid) {
		/* Never outlive the test, whatever way it ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(in[0], 0);
		dup2(out[1], 1);
		setenv("RHOOK_LTTNG", rhook_lttng, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->in = in[1];
	c->out = out[0];
}

/*
 * Reads @c's output up to and including the line @line; returns what came
 * before it (malloc'ed).  Fails the test after @timeout_s or at EOF.
 */
static char *until_line(struct child *c, const char *line, int timeout_s)
{
	double deadline = now_s() + timeout_s;
	size_t n = strlen(line);

	for (;;) {
		for (size_t i = 0; i + n < c->len + 1; i++) {
			if ((i == 0 || c->buf[i - 1] == '\n') && !strncmp(c->buf + i, line, n) && c->buf[i + n] == '\n') {
				char *before = strndup(c->buf, i);

				memmove(c->buf, c->buf + i + n + 1, c->len - i - n - 1);
				c->len -= i + n + 1;
				c->buf[c->len] = '\0';
				return before;
			}
		}
		{
			struct pollfd p = { .fd = c->out, .events = POLLIN };
			int left = (int)((deadline - now_s()) * 1000);
			ssize_t got;

			if (left <= 0 || poll(&p, 1, left) <= 0)
				fail_msg("no \"%s\" from pid %d within %d s", line, (int)c->pid, timeout_s);
			if (c->len + 1 >= sizeof(c->buf))
				fail_msg("pid %d printed more than %zu bytes before \"%s\"", (int)c->pid, sizeof(c->buf), line);
			got = read(c->out, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
			if (got <= 0)
				fail_msg("pid %d ended before \"%s\"", (int)c->pid, line);
			c->len += (size_t)got;
			c->buf[c->len] = '\0';
		}
	}
}

static void command(struct child *c, const char *fmt, ...)
{
	char line[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	assert_int_equal(write(c->in, line, (size_t)n), n);
}

/* Prints each thread of @pid: name, state and where it waits in the kernel. */
static void describe(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *tasks;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	tasks = opendir(path);
	if (!tasks)
		return;
	while ((d = readdir(tasks))) {
		char p[PATH_MAX], buf[512];
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/stat", path, d->d_name);
		f = fopen(p, "r");
		if (f && fgets(buf, sizeof(buf), f))
			fprintf(stderr, "  thread %s", buf);
		if (f)
			fclose(f);
		snprintf(p, sizeof(p), "%s/%s/wchan", path, d->d_name);
		f = fopen(p, "r");
		if (f && fgets(buf, sizeof(buf), f))
			fprintf(stderr, "    waits in %s\n", buf);
		if (f)
			fclose(f);
	}
	closedir(tasks);
}

/* Waits for @pid to exit (at most @timeout_s, then SIGKILL); its exit status. */
static int reap(pid_t pid, int timeout_s)
{
	double deadline = now_s() + timeout_s;
	int st;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_s() > deadline) {
			fprintf(stderr, "pid %d still runs after %d s:\n", (int)pid, timeout_s);
			describe(pid);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		pause_ms(20);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Ends a workload with "quit"; its exit status. */
static int quit(struct child *c)
{
	command(c, "quit");
	close(c->in);
	close(c->out);
	return reap(c->pid, 30);
}

/* Whether a thread of @pid is named @name. */
static bool has_thread(pid_t pid, const char *name)
{
	char path[64], comm[32];
	struct dirent *d;
	bool found = false;
	DIR *tasks;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	tasks = opendir(path);
	if (!tasks)
		return false;
	while (!found && (d = readdir(tasks))) {
		char p[PATH_MAX];
		FILE *f;

		snprintf(p, sizeof(p), "%s/%s/comm", path, d->d_name);
		f = fopen(p, "r");
		if (f && fgets(comm, sizeof(comm), f))
			found = !strncmp(comm, name, strlen(name)) && comm[strlen(name)] == '\n';
		if (f)
			fclose(f);
	}
	closedir(tasks);
	return found;
}

/* Whether a thread of @pid is named @name within 10 s (a fork child starts its own after fork() returned). */
static bool gets_thread(pid_t pid, const char *name)
{
	for (int i = 0; i < 500; i++) {
		if (has_thread(pid, name))
			return true;
		pause_ms(20);
	}
	return false;
}

/* Whether @pid maps a file whose name contains @name. */
static bool maps(pid_t pid, const char *name)
{
	char path[64], line[PATH_MAX + 128];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, name) != NULL;
	fclose(f);
	return found;
}

/* Whether `lttng list -u` shows @pid with rhook's events. */
static bool registered(pid_t pid)
{
	char *out = NULL, want[32];
	const char *p, *end;
	bool yes = false;

	if (tc_proc_run((char *[]){ "lttng", "list", "-u", NULL }, NULL, &out, NULL) == 0 && out) {
		snprintf(want, sizeof(want), "PID: %d ", (int)pid);
		p = strstr(out, want);
		end = p ? strstr(p + 1, "PID: ") : NULL;
		if (p && (p = strstr(p, "rhook:manifest_commit")))
			yes = !end || p < end;
	}
	free(out);
	return yes;
}

static void wait_registered(pid_t pid, double since, const char *what)
{
	double deadline = now_s() + 30;

	while (!registered(pid)) {
		if (now_s() > deadline)
			fail_msg("%s (pid %d) did not register with the session daemon within 30 s", what, (int)pid);
		pause_ms(50);
	}
	printf("  %s registered %.2f s after the session daemon started\n", what, now_s() - since);
}

/* A session daemon, our child. */
static pid_t sessiond_start(const char *log)
{
	double deadline = now_s() + 20;
	pid_t parent = getpid(), pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		/* A daemon of the test's namespace must not outlive the test, even a failed one. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("lttng-sessiond", "lttng-sessiond", "--no-kernel", (char *)NULL);
		_exit(127);
	}
	while (tc_proc_run((char *[]){ "lttng", "list", NULL }, NULL, NULL, NULL) != 0) {
		if (now_s() > deadline || waitpid(pid, NULL, WNOHANG) == pid)
			fail_msg("lttng-sessiond did not start (see %s)", log);
		pause_ms(50);
	}
	return pid;
}

static void sessiond_stop(pid_t pid)
{
	int st;

	kill(pid, SIGTERM);
	st = reap(pid, 60);
	if (st)
		fail_msg("lttng-sessiond did not exit cleanly on SIGTERM within 60 s (status %d)", st);
}

/* The events of @t whose region is of table @table, in @sub (sharing @t's strings). */
static void select_table(const struct rt_trace *t, uint32_t table, struct rt_trace *sub)
{
	sub->events = malloc((t->num_events + 1) * sizeof(*sub->events));
	sub->num_events = 0;
	assert_non_null(sub->events);
	for (size_t i = 0; i < t->num_events; i++) {
		const char *r = rt_field(&t->events[i], "region_id");

		if (r && strtoull(r, NULL, 10) >> 32 == table)
			sub->events[sub->num_events++] = t->events[i];
	}
}

static size_t events_of_table(const char *trace, uint32_t table)
{
	struct rt_trace t, sub;
	size_t n;

	if (access(trace, F_OK))
		return 0; /* nothing recorded yet */
	assert_int_equal(rt_babeltrace(trace, &t), 0);
	select_table(&t, table, &sub);
	n = sub.num_events;
	free(sub.events);
	rt_trace_free(&t);
	return n;
}

/*
 * Under session @s, writing to @trace: waits until a marker of the
 * workload reaches the trace (tracing took effect), then runs round @round
 * and checks that every event of it is in the trace.  The session is
 * started on entry and stopped on return.
 */
static void traced_round(struct child *w, struct tc_lttngctl *s, const char *trace, unsigned round)
{
	static unsigned marker;
	struct rt_trace t, sub;
	char *out;
	bool seen = false;

	for (int attempt = 0; attempt < 60 && !seen; attempt++) {
		command(w, "mark %u", ++marker);
		free(until_line(w, "marked", 10));
		assert_int_equal(tc_lttngctl_stop(s), 0);
		seen = events_of_table(trace, MARKER_TABLE + marker) > 0;
		assert_int_equal(tc_lttngctl_start(s), 0);
	}
	if (!seen)
		fail_msg("no marker event reached the trace in 60 attempts");
	command(w, "round %u", round);
	{
		char done[32];

		snprintf(done, sizeof(done), "done %u", round);
		out = until_line(w, done, 120);
	}
	assert_int_equal(tc_lttngctl_stop(s), 0);
	assert_int_equal(rt_babeltrace(trace, &t), 0);
	select_table(&t, ROUND_TABLE + round, &sub);
	printf("  round %u: %zu events traced\n", round, sub.num_events);
	elc_check(&sub, out);
	free(sub.events);
	rt_trace_free(&t);
	free(out);
}

static void test_attach_to_running_process(void **state)
{
	char *argv[] = { (char *)rt_bin("engine_lttng_workload"), "--rounds", "--fork-child", NULL };
	char *argv_plain[] = { (char *)rt_bin("engine_lttng_workload"), "--rounds", NULL };
	char log[PATH_MAX + 16], trace[PATH_MAX + 16], *out;
	struct child w, off, early;
	struct tc_lttngctl s;
	/* Its own session daemon, no other program on it: every process (the forked child too). */
	struct tc_lttngctl_opts o = { .start = true, .all_processes = true };
	pid_t child, sessiond;
	double t0;

	(void)state;
	snprintf(log, sizeof(log), "%s/sessiond.log", dir);
	assert_int_not_equal(access(SOCKET, F_OK), 0);

	/* No session daemon: a watcher waits, nothing of LTTng-UST is loaded. */
	spawn(&w, argv, "auto");
	out = until_line(&w, "ready", 30);
	assert_int_equal(sscanf(out, "child %d", &child), 1);
	free(out);
	spawn(&off, argv_plain, "off");
	free(until_line(&off, "ready", 30));
	spawn(&early, argv_plain, "auto");
	free(until_line(&early, "ready", 30));
	assert_true(has_thread(w.pid, "rhook-lttng"));
	assert_true(gets_thread(child, "rhook-lttng"));
	assert_true(has_thread(early.pid, "rhook-lttng"));
	assert_false(has_thread(off.pid, "rhook-lttng"));
	assert_false(maps(w.pid, "librhook-lttng.so"));
	assert_false(maps(w.pid, "/liblttng-ust.so"));
	assert_false(maps(child, "librhook-lttng.so"));
	/* A process exits while its watcher waits. */
	assert_int_equal(quit(&early), 0);
	/* A round with nobody listening. */
	command(&w, "round 0");
	free(until_line(&w, "done 0", 120));

	/* A session daemon appears: the workload and its child register, the one with RHOOK_LTTNG=off does not. */
	printf("first session daemon\n");
	t0 = now_s();
	sessiond = sessiond_start(log);
	snprintf(trace, sizeof(trace), "%s/trace1", dir);
	o.output_dir = trace;
	assert_int_equal(tc_lttngctl_begin(&s, &o), 0);
	wait_registered(w.pid, t0, "the workload");
	wait_registered(child, t0, "its forked child");
	assert_true(maps(w.pid, "librhook-lttng.so"));
	assert_true(maps(child, "librhook-lttng.so"));
	traced_round(&w, &s, trace, 1);
	assert_false(registered(off.pid));
	assert_false(maps(off.pid, "librhook-lttng.so"));
	assert_false(has_thread(w.pid, "rhook-lttng"));
	assert_int_equal(tc_lttngctl_end(&s), 0);

	/* It goes away; a round runs with none; another one appears. */
	sessiond_stop(sessiond);
	command(&w, "round 2");
	free(until_line(&w, "done 2", 120));
	printf("second session daemon\n");
	t0 = now_s();
	sessiond = sessiond_start(log);
	snprintf(trace, sizeof(trace), "%s/trace2", dir);
	o.output_dir = trace;
	assert_int_equal(tc_lttngctl_begin(&s, &o), 0);
	wait_registered(w.pid, t0, "the workload");
	wait_registered(child, t0, "its forked child");
	traced_round(&w, &s, trace, 3);
	assert_int_equal(tc_lttngctl_end(&s), 0);
	assert_false(maps(off.pid, "librhook-lttng.so"));

	assert_int_equal(quit(&w), 0);
	assert_int_equal(quit(&off), 0);
	sessiond_stop(sessiond);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_to_running_process),
	};
	char why[2 * PATH_MAX + 256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A workload that died is reported by the next read or exit status, not by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (!isolate(why, sizeof(why))) {
		printf("lttng_attach: skipped: needs a private mount namespace for its own session daemons (%s)\n",
		       why);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
