/*
 * ctl_server.c - the control channel and its thread (see ctl_server.h).
 *
 * @ctl_lock serializes the thread's start (the state below) between
 * the constructor, rhook_recorder_snapshot_on() and fork(); held
 * briefly, never while a request is served: a hook callback may call
 * rhook_recorder_snapshot_on() while the thread's stop waits for that
 * callback's grace period.  Lock order at fork: ctl_lock, then the
 * triggers' setter lock, then the snapshot lock (each innermost in its
 * own file); the prepare handler takes them all.
 */
#define _GNU_SOURCE
#include "ctl_server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "base/internal.h"
#include "ctl_proto.h"
#include "recorder/recorder_impl.h"
#include "recorder/status.h"
#include "safedir/safedir.h"
#include "snap.h"
#include "trigger.h"

static pthread_mutex_t ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static bool thread_started;     /* [ctl_lock] */
/*
 * Posted by the thread once it runs its own code: the start waits for it,
 * so that a host forking right after start-up never forks while this
 * thread is still being set up by its runtime (a sanitizer's allocator
 * has no fork handler: a child would inherit its lock held).
 */
static sem_t thread_running;
static int listen_fd = -1;      /* the socket, -1: channel off [ctl_lock] */
static int wake_fd = -1;        /* the triggers' eventfd [ctl_lock] */
static int dir_fd = -1;         /* the runtime directory */
static char dir_path[PATH_MAX]; /* its path */
static char sock_name[32];      /* "<pid>.sock" */
static pid_t owner_pid;         /* the process that bound it */

/* The reply being built: "ok\n" or "error ...", then lines. */
struct reply {
	char buf[RHOOK__CTL_MAX_REPLY];
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void put(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len >= sizeof(r->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
	r->len = n < 0 ? r->len : r->len + (size_t)n >= sizeof(r->buf) ? sizeof(r->buf) - 1 : r->len + (size_t)n;
}

static void error_reply(struct reply *r, int code, const char *msg)
{
	r->len = 0;
	put(r, "error %d %s: %s\n", -code, strerrorname_np(-code) ? strerrorname_np(-code) : "E?", msg);
}

static const char *mode_name(uint32_t m)
{
	return m == RHOOK_RECORDER_DISCARD ? "discard" : "overwrite";
}

static void do_status(struct reply *r)
{
	struct rhook__rec_status st;
	char spec[256], last[PATH_MAX];
	uint32_t taken;

	put(r, "ok\n");
	if (rhook__rec_status(&st)) {
		put(r, "recording: no\n");
	} else {
		put(r, "recording: yes\ndir: %s\nfile: %s\n", st.dir, st.file);
		put(r, "mode: %s\nclock: %s\n", mode_name(st.mode), st.clock == RHR_CLOCK_TSC ? "tsc" : "monotonic");
		put(r, "buffers: %u\nbuffers_used: %u\nbuffer_size: %llu\nsubbuffers: %u\n", st.num_buffers,
		    st.buffers_used, (unsigned long long)st.buffer_size, st.num_subbuffers);
		put(r, "lost_discard: %llu\nlost_overwrite: %llu\nlost_no_buffer: %llu\nlost_nested: %llu\n",
		    (unsigned long long)st.lost_discard, (unsigned long long)st.lost_overwrite,
		    (unsigned long long)st.lost_no_buffer, (unsigned long long)st.lost_nested);
	}
	rhook__trig_describe(spec, sizeof(spec));
	put(r, "snapshot_on: %s\n", spec[0] ? spec : "off");
	taken = rhook__trig_taken(last, sizeof(last));
	put(r, "triggered_snapshots: %u\n", taken);
	if (taken)
		put(r, "last_triggered_snapshot: %s\n", last);
}

/* The lookup of rhook__rec_config_lookup(): the request's values, a default directory. */
struct start_args {
	const struct rhook__ctl_req *req;
	char default_dir[PATH_MAX];
};

static const char *req_lookup(const char *name, void *arg)
{
	struct start_args *a = arg;

	for (unsigned k = 0; k < RHOOK__CTL_K_SNAPSHOT_ON; k++)
		if (!strcmp(name, rhook__ctl_key_name(k)))
			return a->req->val[k] ? a->req->val[k] : k == RHOOK__CTL_K_DIR ? a->default_dir : NULL;
	return NULL;
}

static void do_start(struct reply *r, const struct rhook__ctl_req *req)
{
	struct rhook_recorder_config cfg;
	struct start_args a = { .req = req };
	char err[768], old[256];
	int ret;

	if (req->val[RHOOK__CTL_K_DIR] && req->val[RHOOK__CTL_K_DIR][0] != '/') {
		error_reply(r, -EINVAL, "RHOOK_TRACE_DIR must be an absolute path");
		return;
	}
	if (snprintf(a.default_dir, sizeof(a.default_dir), "%.*s/trace-%d", PATH_MAX - 32, dir_path, (int)getpid()) < 0)
		a.default_dir[0] = '\0';
	ret = rhook__rec_config_lookup(&cfg, req_lookup, &a, err, sizeof(err));
	if (ret < 0) {
		error_reply(r, ret, err);
		return;
	}
	rhook__trig_describe(old, sizeof(old));
	if (req->val[RHOOK__CTL_K_SNAPSHOT_ON] &&
	    (ret = rhook__trig_set(req->val[RHOOK__CTL_K_SNAPSHOT_ON], err, sizeof(err)))) {
		error_reply(r, ret, err);
		return;
	}
	/* The file's header names the process after the starting thread (prctl): the process's name. */
	rhook__thread_set_name(NULL);
	ret = rhook__rec_start(&cfg, true, err, sizeof(err));
	rhook__thread_set_name("rhook-ctl");
	if (ret) {
		if (req->val[RHOOK__CTL_K_SNAPSHOT_ON])
			rhook__trig_set(old, err + 512, 256); /* what was armed before: parses */
		error_reply(r, ret, err);
		return;
	}
	do_status(r);
}

static void do_stop(struct reply *r)
{
	int ret = rhook_recorder_stop();

	if (ret == -ENOENT)
		error_reply(r, ret, "not recording");
	else if (ret == -EIO)
		error_reply(r, ret, "stopped; the trace file had been truncated or was unreadable");
	else if (ret)
		error_reply(r, ret, strerror(-ret));
	else
		put(r, "ok\nrecording: no\n");
}

static void do_snapshot(struct reply *r, const struct rhook__ctl_req *req)
{
	const char *to = req->val[RHOOK__CTL_K_TO];
	struct rhook__snap_result res;
	char err[768];
	int ret;

	if (to && to[0] != '/') {
		error_reply(r, -EINVAL, "dir must be an absolute path");
		return;
	}
	ret = rhook__snap_take(to, "snapshot", &res, err, sizeof(err));
	if (ret) {
		error_reply(r, ret, err);
		return;
	}
	put(r, "ok\nsnapshot: %s\nfiles: %u\nrecords: %llu\ndropped: %llu\n", res.path, res.files,
	    (unsigned long long)res.records, (unsigned long long)res.dropped);
}

static void do_trigger(struct reply *r, const struct rhook__ctl_req *req)
{
	char err[512];
	int ret = rhook__trig_set(req->val[RHOOK__CTL_K_SNAPSHOT_ON], err, sizeof(err));

	if (ret)
		error_reply(r, ret, err);
	else
		do_status(r);
}

/* Serves one connection: credentials, one request, one reply. */
static void serve(int fd)
{
	struct timeval tv = { 1, 0 };
	static struct rhook__ctl_req req; /* the thread's only: 4 KiB off its stack */
	static struct reply r;
	char buf[RHOOK__CTL_MAX_REQUEST + 1], err[512];
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	ssize_t n;
	int ret;

	r.len = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The request first, so that a refused peer still reads its reply. */
	n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
	if (n <= 0)
		return; /* nothing sent in time, or gone (a sweep's probe, sweep()): no reply */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || (cred.uid != geteuid() && cred.uid != 0)) {
		snprintf(err, sizeof(err), "permission denied: only uid %u or root may control process %d",
			 (unsigned)geteuid(), (int)getpid());
		error_reply(&r, -EACCES, err);
		goto send;
	}
	ret = rhook__ctl_parse(buf, (size_t)n, &req, err, sizeof(err));
	if (ret) {
		error_reply(&r, ret, err);
		goto send;
	}
	switch (req.cmd) {
	case RHOOK__CTL_STATUS:
		do_status(&r);
		break;
	case RHOOK__CTL_START:
		do_start(&r, &req);
		break;
	case RHOOK__CTL_STOP:
		do_stop(&r);
		break;
	case RHOOK__CTL_SNAPSHOT:
		do_snapshot(&r, &req);
		break;
	case RHOOK__CTL_TRIGGER:
		do_trigger(&r, &req);
		break;
	}
send:
	if (send(fd, r.buf, r.len, MSG_NOSIGNAL) < 0)
		return; /* the peer went away: nothing to tell it */
}

static void *ctl_thread(void *arg)
{
	(void)arg;
	sem_post(&thread_running);
	for (;;) {
		struct pollfd p[2] = { { .fd = wake_fd, .events = POLLIN }, { .fd = listen_fd, .events = POLLIN } };
		int n = poll(p, listen_fd >= 0 ? 2 : 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (p[0].revents & POLLNVAL) || (p[1].revents & POLLNVAL))
			return NULL; /* a host closed descriptors it did not open: the channel ends */
		if (p[0].revents & POLLIN) {
			uint64_t v;

			if (read(wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				return NULL;
			rhook__trig_service();
		}
		if (listen_fd >= 0 && (p[1].revents & POLLIN)) {
			int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd >= 0) {
				serve(fd);
				close(fd);
			}
		}
	}
}

/*
 * The thread's stack: its own mapping, with a guard page below.  Not
 * glibc's cached stacks: a child forked while the thread runs would hand
 * that stack, and with it the thread's pthread_t, to its next new
 * thread, which ThreadSanitizer (still counting the thread as running
 * there) refuses ("dup thread").  A user stack is never reused.  Its
 * size is the default threads get (glibc puts the static TLS in it),
 * committed only as it is touched.
 */
#define GUARD_SIZE (64u * 1024u)

static size_t stack_size(void)
{
	pthread_attr_t a;
	size_t n = 0;

	if (!pthread_getattr_default_np(&a)) {
		pthread_attr_getstacksize(&a, &n);
		pthread_attr_destroy(&a);
	}
	return n < (1u << 20) ? 8u << 20 : n;
}

/* Starts the thread; ctl_lock held.  0 or -errno. */
static int start_thread_locked(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	size_t size = stack_size();
	uint8_t *stack;
	int err;

	if (thread_started)
		return 0;
	stack = mmap(NULL, GUARD_SIZE + size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1,
		     0);
	if (stack == MAP_FAILED)
		return -errno;
	if (mprotect(stack, GUARD_SIZE, PROT_NONE)) {
		err = -errno;
		munmap(stack, GUARD_SIZE + size);
		return err;
	}
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_fd < 0) {
		err = -errno;
		munmap(stack, GUARD_SIZE + size);
		return err;
	}
	/* The host's signals go to its own threads, never to this one. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstack(&attr, stack + GUARD_SIZE, size);
	err = pthread_create(&tid, &attr, ctl_thread, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		close(wake_fd);
		wake_fd = -1;
		munmap(stack, GUARD_SIZE + size);
		return -err;
	}
	pthread_setname_np(tid, "rhook-ctl");
	while (sem_wait(&thread_running) && errno == EINTR)
		;
	thread_started = true;
	rhook__trig_set_wake_fd(wake_fd);
	return 0;
}

/*
 * Removes the sockets of dead processes from the runtime directory (a
 * process killed, or ended by _exit(), leaves its socket): those nobody
 * listens on (ECONNREFUSED; a live one sees a connection closed at once,
 * which ends its recv() immediately).  At most SWEEP_MAX entries.
 */
#define SWEEP_MAX 256
static void sweep(void)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d;
	int fd = dup(dir_fd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) && n++ < SWEEP_MAX) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		size_t len = strlen(de->d_name);
		int s;

		if (de->d_type != DT_SOCK || len < 6 || strcmp(de->d_name + len - 5, ".sock") ||
		    snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dir_fd, de->d_name) >=
			    (int)sizeof(sa.sun_path))
			continue;
		s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) && errno == ECONNREFUSED)
			unlinkat(dir_fd, de->d_name, 0);
		if (s >= 0)
			close(s);
	}
	closedir(d);
}

/* Opens the runtime directory and binds the socket; 0 or -errno with a message. */
static int open_channel(const char *dir, char *err, size_t err_size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	snprintf(dir_path, sizeof(dir_path), "%s", dir);
	dir_fd = rhook__safedir_open(dir, err, err_size);
	if (dir_fd < 0)
		return dir_fd;
	owner_pid = getpid();
	snprintf(sock_name, sizeof(sock_name), "%d.sock", (int)owner_pid);
	/* A socket left by a dead process of the same pid (no one else can write here). */
	if (!fstatat(dir_fd, sock_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISSOCK(st.st_mode))
		unlinkat(dir_fd, sock_name, 0);
	sweep();
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dir_fd, sock_name);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8)) {
		int e = errno;

		snprintf(err, err_size, "%s/%s: %s", dir, sock_name, strerror(e));
		if (fd >= 0)
			close(fd);
		close(dir_fd);
		dir_fd = -1;
		return -e;
	}
	listen_fd = fd;
	return 0;
}

int rhook_recorder_snapshot_on(const char *spec, char *err, size_t err_size)
{
	char buf[8];
	int ret;

	if (!err || !err_size) {
		err = buf;
		err_size = sizeof(buf);
	}
	pthread_mutex_lock(&ctl_lock);
	ret = start_thread_locked();
	if (ret)
		snprintf(err, err_size, "cannot start the thread rhook-ctl: %s", strerror(-ret));
	else
		ret = rhook__trig_set(spec, err, err_size);
	pthread_mutex_unlock(&ctl_lock);
	return ret;
}

/* Waits for a trigger setting or a snapshot in progress: the child may need their locks. */
static void before_fork(void)
{
	pthread_mutex_lock(&ctl_lock);
	rhook__trig_before_fork();
	rhook__rec_snapshot_before_fork();
}

static void after_fork_parent(void)
{
	rhook__rec_snapshot_after_fork();
	rhook__trig_after_fork();
	pthread_mutex_unlock(&ctl_lock);
}

/* The thread did not survive: the child has no channel and no trigger (ctl_server.h). */
static void after_fork_child(void)
{
	rhook__rec_snapshot_after_fork();
	rhook__trig_after_fork();
	rhook__trig_after_fork_child();
	if (listen_fd >= 0)
		close(listen_fd);
	if (wake_fd >= 0)
		close(wake_fd);
	if (dir_fd >= 0)
		close(dir_fd);
	listen_fd = wake_fd = dir_fd = -1;
	thread_started = false;
	pthread_mutex_unlock(&ctl_lock);
}

__attribute__((destructor)) static void ctl_exit(void)
{
	if (dir_fd >= 0 && owner_pid == getpid())
		unlinkat(dir_fd, sock_name, 0);
}

void rhook__ctl_init(void)
{
	const char *mode = getenv("RHOOK_CTL"), *dir = getenv("RHOOK_CTL_DIR"), *spec = getenv("RHOOK_TRACE_SNAPSHOT_ON");
	bool on = !mode || !strcasecmp(mode, "on") || !strcmp(mode, "1");
	char err[768], def[64];
	int ret;

	if (mode && on == false && strcasecmp(mode, "off") && strcmp(mode, "0")) {
		fprintf(stderr, "rhook: RHOOK_CTL=%s not understood (on, off); using on\n", mode);
		on = true;
	}
	rhook__snap_init_from_env();
	sem_init(&thread_running, 0, 0);
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	if (rhook__trig_config_from_env(err, sizeof(err))) {
		fprintf(stderr, "rhook: snapshot triggers off: %s\n", err);
		spec = NULL;
	}
	pthread_mutex_lock(&ctl_lock);
	if (on) {
		if (!dir || !*dir) {
			snprintf(def, sizeof(def), "/tmp/rhook-%u", (unsigned)geteuid());
			dir = def;
		}
		if (open_channel(dir, err, sizeof(err)))
			fprintf(stderr, "rhook: control channel off (RHOOK_CTL_DIR): %s\n", err);
	}
	if (listen_fd >= 0 || (spec && *spec)) {
		ret = start_thread_locked();
		if (ret) {
			fprintf(stderr, "rhook: cannot start the thread rhook-ctl: %s; control channel and snapshot "
					"triggers off\n", strerror(-ret));
			if (listen_fd >= 0)
				close(listen_fd);
			listen_fd = -1;
		} else if (spec && *spec && rhook__trig_set(spec, err, sizeof(err))) {
			fprintf(stderr, "rhook: snapshot triggers off: %s\n", err);
		}
	}
	pthread_mutex_unlock(&ctl_lock);
}
