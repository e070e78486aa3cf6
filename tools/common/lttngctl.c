/*
 * lttngctl.c - an LTTng session of rhook's events through the lttng CLI
 * (see lttngctl.h).
 */
#define _GNU_SOURCE
#include "lttngctl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

static bool sessiond_alive(void)
{
	return tc_proc_run((char *[]){ "lttng", "list", NULL }, NULL, NULL, NULL) == 0;
}

/* The pid in the session daemon's pid file (root's or the user's), or -1. */
static int sessiond_pid(void)
{
	char path[4096], buf[32] = "";
	const char *home = getenv("LTTNG_HOME") ? getenv("LTTNG_HOME") : getenv("HOME");
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

/*
 * Destroys sessions this helper created in processes that died before
 * their end(): left running, they would keep recording every later
 * program's rhook events.
 */
static void destroy_orphans(void)
{
	char *out = NULL, *line, *save;

	if (tc_proc_run((char *[]){ "lttng", "list", NULL }, NULL, &out, NULL)) {
		free(out);
		return;
	}
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		int pid;
		unsigned n;

		/* "  1) rhook-1234-0 [active]" */
		if (sscanf(line, " %*u) %63s", name) == 1 && sscanf(name, "rhook-%d-%u", &pid, &n) == 2 && pid > 0 &&
		    kill(pid, 0) && errno == ESRCH)
			tc_proc_run_quiet((char *[]){ "lttng", "destroy", name, NULL });
	}
	free(out);
}

int tc_lttngctl_begin(struct tc_lttngctl *s, const struct tc_lttngctl_opts *o)
{
	static unsigned counter;
	char out_opt[4200], ctrl_opt[512], data_opt[512];
	char *create[8] = { "lttng", "create", s->name }, *chan[24] = { "lttng", "enable-channel", "-u", "-s", s->name };
	char *events = (char *)(o->events ? o->events : "rhook:*");
	int n = 3;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "rhook-%d-%u", (int)getpid(), counter++);
	snprintf(s->env, sizeof(s->env), "%s=%s", TC_LTTNGCTL_SESSION_ENV, s->name);
	if (!sessiond_alive()) {
		if (tc_proc_run_quiet((char *[]){ "lttng-sessiond", "--daemonize", NULL }))
			return -1;
		s->sessiond_pid = sessiond_pid();
		for (int i = 0; i < 100 && !sessiond_alive(); i++)
			usleep(50000);
	} else {
		destroy_orphans();
	}
	if (o->output_dir) {
		snprintf(out_opt, sizeof(out_opt), "--output=%s", o->output_dir);
		create[n++] = out_opt;
	} else {
		snprintf(ctrl_opt, sizeof(ctrl_opt), "--ctrl-url=%s", o->ctrl_url);
		snprintf(data_opt, sizeof(data_opt), "--data-url=%s", o->data_url);
		create[n++] = ctrl_opt;
		create[n++] = data_opt;
	}
	if (tc_proc_run_quiet(create))
		goto fail;
	/* Empty the vpid inclusion set (it starts with every process): only tracked pids record. */
	if (!o->all_processes &&
	    tc_proc_run_quiet((char *[]){ "lttng", "untrack", "-u", "-s", s->name, "--all", "--vpid", NULL }))
		goto fail;
	if (o->channel) {
		int c = 5;

		for (int i = 0; o->channel[i] && c < 22; i++)
			chan[c++] = (char *)o->channel[i];
		chan[c++] = "rhook";
		if (tc_proc_run_quiet(chan) ||
		    tc_proc_run_quiet((char *[]){ "lttng", "enable-event", "-u", "-s", s->name, "-c", "rhook", events,
						     NULL }))
			goto fail;
	} else if (tc_proc_run_quiet((char *[]){ "lttng", "enable-event", "-u", "-s", s->name, events, NULL })) {
		goto fail;
	}
	if (o->process_context &&
	    tc_proc_run_quiet((char *[]){ "lttng", "add-context", "-u", "-s", s->name, "-t", "vpid", "-t", "vtid", "-t",
					     "procname", NULL }))
		goto fail;
	if (o->start && tc_lttngctl_start(s))
		goto fail;
	return 0;
fail:
	tc_lttngctl_end(s);
	return -1;
}

int tc_lttngctl_start(struct tc_lttngctl *s)
{
	return tc_proc_run_quiet((char *[]){ "lttng", "start", s->name, NULL }) ? -1 : 0;
}

int tc_lttngctl_stop(struct tc_lttngctl *s)
{
	return tc_proc_run_quiet((char *[]){ "lttng", "stop", s->name, NULL }) ? -1 : 0;
}

int tc_lttngctl_end(struct tc_lttngctl *s)
{
	/* destroy stops a running session and waits for its data first. */
	int err = s->name[0] && tc_proc_run_quiet((char *[]){ "lttng", "destroy", s->name, NULL }) ? -1 : 0;

	if (s->sessiond_pid > 0) {
		kill(s->sessiond_pid, SIGTERM);
		for (int i = 0; i < 200 && !kill(s->sessiond_pid, 0); i++)
			usleep(50000);
		s->sessiond_pid = 0;
	}
	s->name[0] = '\0';
	return err;
}

int tc_lttngctl_track(const char *session, pid_t pid)
{
	char opt[32];

	snprintf(opt, sizeof(opt), "--vpid=%d", (int)pid);
	return tc_proc_run_quiet((char *[]){ "lttng", "track", "-u", "-s", (char *)session, opt, NULL }) ? -1 : 0;
}

int tc_lttngctl_track_hook(pid_t pid, void *session)
{
	return tc_lttngctl_track(session, pid);
}

int tc_lttngctl_track_inherited(pid_t pid, void *unused)
{
	const char *session = getenv(TC_LTTNGCTL_SESSION_ENV);

	(void)unused;
	return session && *session ? tc_lttngctl_track(session, pid) : 0;
}
