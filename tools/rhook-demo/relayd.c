/*
 * relayd.c - rhook-demo run --lttng-relayd: the workload and its remote
 * compactor stream their LTTng events to an lttng-relayd on 127.0.0.1,
 * which writes one trace holding both processes' events in one timeline.
 * The session tracks those two processes only (LTTng's vpid tracker), so
 * that no other rhook-instrumented program of the host gets into it.
 *
 * This process is only the conductor: it starts a relay daemon on free
 * loopback ports (and a session daemon if none runs), creates a session
 * streaming there with the vpid, vtid and procname contexts, runs the
 * workload as a child (this program again, RHOOK_LTTNG=on so that
 * librhook loads its LTTng provider), then destroys the session, stops
 * the daemons it started, and checks the collected trace.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "lttngctl.h"
#include "proc.h"

/* A TCP port on 127.0.0.1 that nothing listens on right now, or -1. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) && !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool listening(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && !connect(fd, (struct sockaddr *)&a, sizeof(a));

	if (fd >= 0)
		close(fd);
	return ok;
}

/* Starts lttng-relayd in the foreground of a child; its pid, or -1. */
static pid_t start_relayd(const char *out_dir, const int ports[3])
{
	char o[PATH_MAX + 32], c[64], d[64], l[64];
	pid_t pid;

	snprintf(o, sizeof(o), "--output=%s", out_dir);
	snprintf(c, sizeof(c), "--control-port=tcp://127.0.0.1:%d", ports[0]);
	snprintf(d, sizeof(d), "--data-port=tcp://127.0.0.1:%d", ports[1]);
	snprintf(l, sizeof(l), "--live-port=tcp://127.0.0.1:%d", ports[2]);
	pid = fork();
	if (pid == 0) {
		execlp("lttng-relayd", "lttng-relayd", o, c, d, l, (char *)NULL);
		fprintf(stderr, "rhook-demo: cannot run lttng-relayd: %s\n", strerror(errno));
		_exit(127);
	}
	for (int i = 0; pid > 0 && i < 200 && !(listening(ports[0]) && listening(ports[1])); i++)
		usleep(25000);
	if (pid > 0 && !listening(ports[0])) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		fprintf(stderr, "rhook-demo: lttng-relayd did not start listening on 127.0.0.1\n");
		return -1;
	}
	return pid;
}

static void stop_relayd(pid_t pid)
{
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * The workload, on this terminal, with librhook's LTTng provider loaded;
 * its exit status.  Its pid joins the session's tracker before it execs;
 * it learns the session's name from its environment, for its compactors.
 */
static int run_workload_child(struct tc_lttngctl *s, char **argv)
{
	char *env[] = { "RHOOK_LTTNG=on", s->env, NULL };
	pid_t pid;
	int st;

	fflush(stdout);
	if (tc_proc_spawn(argv, env, (const int[3]){ -1, -1, -1 }, tc_lttngctl_track_hook, s->name, &pid)) {
		fprintf(stderr, "rhook-demo: cannot run %s under session %s\n", argv[0], s->name);
		return -1;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int rhook_demo_relayd(const char *dir, char **child_argv, int *status)
{
	char relay_out[PATH_MAX + 16], ctrl[64], data[64];
	struct tc_lttngctl s;
	struct tc_lttngctl_opts o = { .ctrl_url = ctrl, .data_url = data, .process_context = true, .start = true };
	int ports[3] = { free_port(), free_port(), free_port() };
	pid_t relayd;
	int st;

	if (ports[0] < 0 || ports[1] < 0 || ports[2] < 0 || ports[0] == ports[1] || ports[1] == ports[2]) {
		fprintf(stderr, "rhook-demo: no free loopback ports for lttng-relayd\n");
		return -1;
	}
	snprintf(relay_out, sizeof(relay_out), "%s/relayd", dir);
	snprintf(ctrl, sizeof(ctrl), "tcp://127.0.0.1:%d", ports[0]);
	snprintf(data, sizeof(data), "tcp://127.0.0.1:%d", ports[1]);
	relayd = start_relayd(relay_out, ports);
	if (relayd < 0)
		return -1;
	if (tc_lttngctl_begin(&s, &o)) {
		stop_relayd(relayd);
		return -1;
	}
	printf("streaming to lttng-relayd on 127.0.0.1:%d (session %s)\n", ports[0], s.name);
	st = run_workload_child(&s, child_argv);
	if (tc_lttngctl_end(&s))
		st = st ? st : 1;
	stop_relayd(relayd);
	if (st) {
		fprintf(stderr, "rhook-demo: the workload failed (exit %d)\n", st);
		*status = 1;
	}
	printf("\nLTTng trace collected by lttng-relayd: %s\n", relay_out);
	return rhook_demo_report(relay_out, dir, status);
}
