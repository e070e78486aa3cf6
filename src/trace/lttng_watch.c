/*
 * lttng_watch.c - notices an LTTng session daemon that appears after
 * start-up, so that a process started with none becomes traceable when
 * one runs (RHOOK_LTTNG=auto).
 *
 * LTTng-UST applications find a session daemon by its application socket:
 * the root daemon's in /var/run/lttng, a user's in $LTTNG_HOME/.lttng (or
 * $HOME/.lttng), the same two places liblttng-ust's listener threads use.
 * While neither socket exists, the thread "rhook-lttng" sleeps in read()
 * on an inotify instance watching those directories and their parents
 * (for a directory that does not exist yet).  It has no timer and wakes
 * only when an entry is created or moved into one of them; the host's
 * paths never look at it.  When a socket appears, the thread waits until
 * that daemon is ready to register applications (the word of its wait
 * shm, on which liblttng-ust's listeners wait too, turns non-zero; at
 * most 2 s), so that liblttng-ust's first connection succeeds, then loads
 * the provider under the process's name (liblttng-ust registers the
 * process, and names its threads, after the loading thread) and exits.
 * From then on liblttng-ust's listener threads follow the daemon: when it
 * exits they wait for the next one, as in any LTTng-UST application.
 *
 * Loading runs liblttng-ust's constructor on this thread, which waits for
 * the registration to complete, at most LTTNG_UST_REGISTER_TIMEOUT (3 s
 * by default; milliseconds normally).  Meanwhile the dynamic loader's lock
 * is held: another thread's dlopen() or dlclose() waits for it.  That
 * constructor also reads the environment: a host that calls setenv()
 * while other threads run races with it, as with any getenv().
 *
 * Concurrency: one watcher thread at a time.  @watch_lock serializes the
 * watcher's hand-off of its inotify descriptor with fork(): the prepare
 * handler takes it, so a child sees @state and @watch_fd consistent.  A
 * child forked while the watcher waits (WATCH_WAITING or WATCH_READYING)
 * closes the inherited descriptor and starts a watcher of its own; one
 * forked while the provider loads (WATCH_LOADING) or after gets none.
 */
#define _GNU_SOURCE /* dladdr, pthread_setname_np, RTLD_NODELETE */
#include "lttng_watch.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <lttng/ust-ctl.h> /* LTTNG_UST_SOCK_FILENAME, LTTNG_UST_WAIT_FILENAME */

#include "base/internal.h"
#include "lttng.h"

/* liblttng-ust's system run directory (LTTNG_SYSTEM_RUNDIR of its build) and per-user one. */
#define SYSTEM_RUNDIR "/var/run/lttng"
#define HOME_RUNDIR ".lttng"
/* How long a daemon whose socket appeared may take to become ready. */
#define READY_TIMEOUT_NS 2000000000LL

/* Where one kind of session daemon (system, per-user) puts its socket. */
struct target {
	char dir[PATH_MAX];    /* its run directory */
	char parent[PATH_MAX]; /* where that directory appears */
	const char *dir_name;  /* last component of @dir */
	char sock[PATH_MAX];   /* the application socket in @dir */
	char shm[64];          /* its wait shm (shm_open name) */
	int dir_wd, parent_wd; /* inotify watches, -1: none */
};

static struct target targets[2];
static unsigned num_targets;

enum watch_state {
	WATCH_OFF,      /* no watcher */
	WATCH_WAITING,  /* the watcher waits for a socket */
	WATCH_READYING, /* a socket appeared; the watcher waits for its daemon */
	WATCH_LOADING,  /* the watcher closed its descriptor and loads the provider */
	WATCH_DONE,     /* the watcher is gone (loaded, failed, or could not watch) */
};

/*
 * [watch_lock] Written by the watcher and its starter, read by the fork
 * child handler; innermost lock, never held across a blocking call.
 */
static enum watch_state state = WATCH_OFF;
/* The watcher's inotify instance while state is WAITING or READYING [watch_lock]. */
static int watch_fd = -1;
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * Posted by the starter once it named the watcher: a detached thread's
 * handle is valid only while it runs, so the watcher waits for it first.
 */
static sem_t named;

static void set_state(enum watch_state s)
{
	pthread_mutex_lock(&watch_lock);
	state = s;
	pthread_mutex_unlock(&watch_lock);
}

static void add_target(const char *dir, const char *shm)
{
	struct target *t = &targets[num_targets];
	char *slash;

	if (snprintf(t->dir, sizeof(t->dir), "%s", dir) >= (int)sizeof(t->dir) ||
	    snprintf(t->sock, sizeof(t->sock), "%s/%s", dir, LTTNG_UST_SOCK_FILENAME) >= (int)sizeof(t->sock))
		return;
	snprintf(t->parent, sizeof(t->parent), "%s", dir);
	slash = strrchr(t->parent, '/');
	if (!slash || slash == t->parent)
		return;
	*slash = '\0';
	t->dir_name = t->dir + (slash - t->parent) + 1;
	snprintf(t->shm, sizeof(t->shm), "%s", shm);
	t->dir_wd = t->parent_wd = -1;
	num_targets++;
}

void rhook__lttng_watch_init(void)
{
	const char *home = getenv("LTTNG_HOME");
	char dir[PATH_MAX], shm[64];

	if (!home)
		home = getenv("HOME");
	add_target(SYSTEM_RUNDIR, "/" LTTNG_UST_WAIT_FILENAME);
	/* As liblttng-ust: no per-user daemon for a set-user-ID program. */
	if (home && getuid() == geteuid() &&
	    snprintf(dir, sizeof(dir), "%s/%s", home, HOME_RUNDIR) < (int)sizeof(dir)) {
		snprintf(shm, sizeof(shm), "/%s-%u", LTTNG_UST_WAIT_FILENAME, (unsigned)getuid());
		add_target(dir, shm);
	}
}

bool rhook__lttng_sessiond_present(void)
{
	for (unsigned i = 0; i < num_targets; i++)
		if (!access(targets[i].sock, F_OK))
			return true;
	return false;
}

/* Whether watch @wd serves a target other than @self (two paths may share an inode). */
static bool wd_shared(int wd, const struct target *self)
{
	for (unsigned i = 0; i < num_targets; i++)
		if (&targets[i] != self && (targets[i].dir_wd == wd || targets[i].parent_wd == wd))
			return true;
	return false;
}

/*
 * (Re)arms the watches of every target and returns one whose socket
 * exists, or NULL.  The parent is watched before the directory, and the
 * directory before the socket is looked for, so that nothing created in
 * between goes unseen; once the directory is watched, the parent's watch
 * goes (no wakeup for the rest of /var/run or $HOME).  A failed watch
 * (permissions, no parent) leaves that target unwatched.  Watcher thread
 * only.
 */
static struct target *arm(int fd)
{
	for (unsigned i = 0; i < num_targets; i++) {
		struct target *t = &targets[i];

		t->parent_wd = inotify_add_watch(fd, t->parent, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
		t->dir_wd = inotify_add_watch(fd, t->dir, IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
							 IN_ONLYDIR);
		if (!access(t->sock, F_OK))
			return t;
	}
	for (unsigned i = 0; i < num_targets; i++) {
		struct target *t = &targets[i];

		if (t->dir_wd >= 0 && t->parent_wd >= 0 && t->parent_wd != t->dir_wd && !wd_shared(t->parent_wd, t))
			inotify_rm_watch(fd, t->parent_wd);
		if (t->dir_wd >= 0)
			t->parent_wd = -1;
	}
	return NULL;
}

/*
 * Whether @ev can concern a socket: its directory or the socket itself
 * appeared, a watched directory went away, or events were lost.  IN_IGNORED
 * alone is not: arm() removing a parent's watch causes one.
 */
static bool relevant(const struct inotify_event *ev)
{
	if (ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF))
		return true;
	for (unsigned i = 0; i < num_targets; i++) {
		const struct target *t = &targets[i];

		if (ev->len && ev->wd == t->parent_wd && !strcmp(ev->name, t->dir_name))
			return true;
		if (ev->len && ev->wd == t->dir_wd && !strcmp(ev->name, LTTNG_UST_SOCK_FILENAME))
			return true;
	}
	return false;
}

/*
 * Sleeps until a relevant event arrives; false when reading fails, with
 * errno (EBADF: a host closed descriptors it did not open).
 */
static bool wait_events(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		bool any = false;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n)
				errno = EIO;
			return false;
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			any |= relevant(ev);
			p += sizeof(*ev) + ev->len;
		}
		if (any)
			return true;
	}
}

/*
 * Waits until the daemon of @t says it accepts applications: the first
 * word of its wait shm is non-zero (the daemon sets it, then wakes the
 * futex, once it listens; it clears it when it exits).  The shm is
 * LTTng's: opened read-only, never created.  At most READY_TIMEOUT_NS;
 * liblttng-ust copes with a daemon that is not ready, only later.
 */
static void wait_ready(const struct target *t)
{
	struct timespec start, now, step = { 0, 50000000 };
	int32_t *word = MAP_FAILED;
	long page = sysconf(_SC_PAGESIZE);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (word == MAP_FAILED) {
			int fd = shm_open(t->shm, O_RDONLY | O_CLOEXEC, 0);

			if (fd >= 0) {
				word = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
				close(fd);
			}
		}
		/* The word is read alone (no data of the daemon's depends on it): relaxed. */
		if (word != MAP_FAILED && __atomic_load_n(word, __ATOMIC_RELAXED))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec) > READY_TIMEOUT_NS)
			break;
		if (word != MAP_FAILED)
			syscall(SYS_futex, word, FUTEX_WAIT, 0, &step, NULL, 0);
		else
			nanosleep(&step, NULL);
	}
	if (word != MAP_FAILED)
		munmap(word, (size_t)page);
}

/* Closes the watcher's descriptor @fd (-1: leave it) and enters @s, under the lock: fork() never sees it half done. */
static void give_up(int fd, enum watch_state s)
{
	pthread_mutex_lock(&watch_lock);
	if (fd >= 0)
		close(fd);
	watch_fd = -1;
	state = s;
	pthread_mutex_unlock(&watch_lock);
}

static void *watcher(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct target *t;

	while (sem_wait(&named) && errno == EINTR)
		;
	while (!(t = arm(fd)))
		if (!wait_events(fd)) {
			/* Not the descriptor's owner any more after EBADF: it may already be someone else's. */
			give_up(errno == EBADF ? -1 : fd, WATCH_DONE);
			return NULL;
		}
	set_state(WATCH_READYING);
	wait_ready(t);
	give_up(fd, WATCH_LOADING);
	/* liblttng-ust registers the process, and names its threads, after the loading thread. */
	rhook__thread_set_name(NULL);
	rhook__lttng_load();
	set_state(WATCH_DONE);
	return NULL;
}

/*
 * Starts a watcher thread; @watch_lock held (the constructor, or the fork
 * child handler).  On failure the state is WATCH_DONE.
 */
static int start_locked(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	int fd, err;

	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0) {
		state = WATCH_DONE;
		return -errno;
	}
	for (unsigned i = 0; i < num_targets; i++)
		targets[i].dir_wd = targets[i].parent_wd = -1;
	watch_fd = fd;
	state = WATCH_WAITING;
	sem_init(&named, 0, 0);
	/* The host's signals go to its own threads, never to this one. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&tid, &attr, watcher, (void *)(intptr_t)fd);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		close(fd);
		watch_fd = -1;
		state = WATCH_DONE;
		return -err;
	}
	/* Named here, not by the thread: the name is there when the constructor returns. */
	pthread_setname_np(tid, "rhook-lttng");
	sem_post(&named);
	return 0;
}

static void before_fork(void)
{
	pthread_mutex_lock(&watch_lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&watch_lock);
}

/* Only the forking thread exists: a waiting watcher did not survive, so it starts again. */
static void after_fork_child(void)
{
	if (state == WATCH_WAITING || state == WATCH_READYING) {
		close(watch_fd);
		watch_fd = -1;
		start_locked(); /* on failure: WATCH_DONE, no late attach in this child */
	}
	pthread_mutex_unlock(&watch_lock);
}

int rhook__lttng_watch_start(void)
{
	Dl_info info;
	int err;

	/* The watcher runs librhook's code: a host's dlclose() must not unmap it. */
	if (dladdr((void *)rhook__lttng_watch_start, &info) && info.dli_fname)
		dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
	err = pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	if (err)
		return -err;
	pthread_mutex_lock(&watch_lock);
	err = start_locked();
	pthread_mutex_unlock(&watch_lock);
	return err;
}
