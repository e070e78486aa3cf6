/*
 * recorder_signal.c - a first event from a signal handler: recorded,
 * with nothing called that a signal handler must not call.
 *
 * The program interposes the allocator (malloc and friends) and
 * sysconf(), neither async-signal-safe, and counts their calls made
 * while a signal handler runs.  The handler emits an event:
 *  - as the first event of a fresh thread (the buffer claim);
 *  - as the first event of a forked child (which creates the child's
 *    file then);
 * and nothing may be counted, and the event must be in the trace.
 * (What else the first event calls is listed in src/recorder/writer.c:
 * system calls, and two thread registrations that glibc makes with
 * plain stores for the low keys of a library loaded at start-up.)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "reader/recfile.h"
#include "rt.h"
#include "wire/events.h"

/* Default visibility: the build hides symbols, and these must interpose for librhook. */
#define INTERPOSE __attribute__((visibility("default"), no_sanitize("thread")))

INTERPOSE void *malloc(size_t n);
INTERPOSE void *calloc(size_t n, size_t size);
INTERPOSE void *realloc(void *p, size_t n);
INTERPOSE void free(void *p);
INTERPOSE long sysconf(int name);

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static long (*next_sysconf)(int);

/* dlsym() may allocate before the real functions are known: served from here, never freed. */
static _Alignas(16) char boot[16384];
static atomic_size_t boot_used;

/* Per thread: inside the test's signal handler.  Calls counted there go to *sh (shared with children). */
static _Thread_local volatile int in_handler;
static struct {
	atomic_uint calls;
	char what[64];
} *sh;

__attribute__((no_sanitize("thread"))) static void *boot_alloc(size_t n)
{
	size_t at = atomic_fetch_add(&boot_used, (n + 15) & ~(size_t)15);

	return at + n <= sizeof(boot) ? boot + at : NULL;
}

__attribute__((no_sanitize("thread"))) static void resolve(void)
{
	static _Thread_local int resolving;

	if (resolving)
		return;
	resolving = 1;
	next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	next_sysconf = (long (*)(int))dlsym(RTLD_NEXT, "sysconf");
	resolving = 0;
}

__attribute__((no_sanitize("thread"))) static void count(const char *what)
{
	if (in_handler && sh) {
		atomic_fetch_add(&sh->calls, 1);
		memcpy(sh->what, what, strlen(what) + 1);
	}
}

void *malloc(size_t n)
{
	count("malloc");
	if (!next_malloc)
		resolve();
	return next_malloc ? next_malloc(n) : boot_alloc(n);
}

void *calloc(size_t n, size_t size)
{
	count("calloc");
	if (!next_calloc)
		resolve();
	return next_calloc ? next_calloc(n, size) : boot_alloc(n * size);
}

void *realloc(void *p, size_t n)
{
	count("realloc");
	if (!next_realloc)
		resolve();
	return next_realloc(p, n);
}

void free(void *p)
{
	if (!p || ((char *)p >= boot && (char *)p < boot + sizeof(boot)))
		return;
	count("free");
	if (!next_free)
		resolve();
	next_free(p);
}

long sysconf(int name)
{
	count("sysconf");
	if (!next_sysconf)
		resolve();
	return next_sysconf(name);
}

/*
 * LeakSanitizer hook, used by sanitizer builds: glibc leaks the old
 * global scope array of the dynamic linker on purpose (dl-open.c, it may
 * still be read concurrently); with this interposer that allocation goes
 * through malloc, where LeakSanitizer sees it.
 */
INTERPOSE const char *__lsan_default_suppressions(void);

INTERPOSE const char *__lsan_default_suppressions(void)
{
	return "leak:add_to_global_resize\n";
}

/* The handler emits flush_begin(region, 1, 1). */
static volatile uint64_t handler_region;

static void on_signal(int sig)
{
	(void)sig;
	in_handler = 1;
	rhook_trace_flush_begin(handler_region, 1, 1);
	in_handler = 0;
}

/* Rows of the flush_begin events of @region in the one file of @dir written by @pid. */
static unsigned events_of(const char *dir, pid_t pid, uint64_t region, uint64_t *rows, unsigned max)
{
	struct rdr_proc proc;
	struct rdr_recfile f;
	char path[PATH_MAX + 64], err[256];
	unsigned n = 0;

	snprintf(path, sizeof(path), "%s/rhook-%ld-0.rhr", dir, (long)pid);
	memset(&proc, 0, sizeof(proc));
	if (rdr_recfile_open(&f, path, &proc, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	for (uint32_t s = 0; s < f.num_streams; s++) {
		struct rdr_stream *st = rdr_recfile_stream(&f, s);

		while (st->next(st)) {
			const struct rhw_ev_flush_begin *e = st->ev.payload;

			if (st->ev.id == RHW_EV_flush_begin && e->region_id == region && n < max)
				rows[n++] = e->rows;
		}
	}
	assert_int_equal(proc.lost.damaged + proc.lost.no_buffer + proc.lost.nested, 0);
	rdr_recfile_close(&f);
	return n;
}

static void start(const char *dir)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .dir = dir, .buffer_size = 64 * 1024, .num_buffers = 4,
					     .mode = RHOOK_RECORDER_DISCARD };

	assert_int_equal(rhook_recorder_start(&cfg), 0);
}

static void *fresh_thread(void *arg)
{
	(void)arg;
	/* No event yet on this thread: the handler's is its first. */
	pthread_kill(pthread_self(), SIGUSR1);
	rhook_trace_flush_begin(handler_region, 2, 2);
	return NULL;
}

static void test_thread_first_event(void **state)
{
	char dir[PATH_MAX];
	uint64_t rows[8];
	pthread_t t;

	(void)state;
	rt_tmpdir(dir, "signal");
	start(dir);
	atomic_store(&sh->calls, 0);
	handler_region = 70;
	assert_int_equal(pthread_create(&t, NULL, fresh_thread, NULL), 0);
	pthread_join(t, NULL);
	assert_int_equal(rhook_recorder_stop(), 0);
	if (atomic_load(&sh->calls))
		fail_msg("a thread's first event, in a signal handler, called %s (%u unsafe calls)", sh->what,
			 atomic_load(&sh->calls));
	assert_int_equal(events_of(dir, getpid(), 70, rows, 8), 2);
	assert_int_equal(rows[0], 1);
	assert_int_equal(rows[1], 2);
	tc_rmtree(dir);
}

static void test_child_first_event(void **state)
{
	char dir[PATH_MAX];
	uint64_t rows[8];
	int status;
	pid_t pid;

	(void)state;
	rt_tmpdir(dir, "signal-child");
	start(dir);
	rhook_trace_flush_begin(80, 0, 0); /* the parent records: its thread has a buffer */
	atomic_store(&sh->calls, 0);
	handler_region = 81;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child's first event, in a handler: it creates the child's file. */
		raise(SIGUSR1);
		rhook_trace_flush_begin(81, 2, 2);
		_exit(rhook_recorder_stop() ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(rhook_recorder_stop(), 0);
	if (atomic_load(&sh->calls))
		fail_msg("a forked child's first event, in a signal handler, called %s (%u unsafe calls)", sh->what,
			 atomic_load(&sh->calls));
	assert_int_equal(events_of(dir, pid, 81, rows, 8), 2);
	assert_int_equal(rows[0], 1);
	assert_int_equal(rows[1], 2);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thread_first_event),
		cmocka_unit_test(test_child_first_event),
	};
	struct sigaction sa;

	/* Shared with forked children. */
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
