/*
 * recorder_nswriter.c - a writer for the live-read tests of
 * recorder_pidns: records flush_begin events nonstop (the values of
 * recorder_payload.h) from THREADS threads into small overwrite rings in
 * DIR, in bursts of 64 events, so that sub-buffers are rewritten every
 * few milliseconds, until DIR/stop exists (or 120 s pass).
 *
 *   recorder-nswriter DIR THREADS [PID]
 *
 * With PID, run as the first process of a new PID namespace (unshare
 * --pid --fork): it makes PID the next pid of the namespace, forks the
 * writer (which then has that pid in the namespace and another one
 * outside it), waits for it and exits with its status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "recorder_payload.h"

static atomic_int stop;

static void *writer(void *arg)
{
	uint64_t t = (uint64_t)(uintptr_t)arg;
	struct timespec nap = { 0, 50000 };

	for (uint64_t seq = 0; !atomic_load_explicit(&stop, memory_order_relaxed); seq++) {
		rhook_trace_flush_begin(t + 1, seq, recorder_mix(t, seq));
		/* Bursts: rings still turn over every few ms, and the reader gets a CPU. */
		if (!(seq & 63))
			nanosleep(&nap, NULL);
	}
	return NULL;
}

static int record(const char *dir, unsigned threads)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .dir = dir, .buffer_size = 64 * 1024,
					     .num_buffers = threads, .num_subbuffers = 16,
					     .mode = RHOOK_RECORDER_OVERWRITE };
	pthread_t th[16];
	char stopfile[4096];
	struct stat st;
	int ret = rhook_recorder_start(&cfg);

	if (ret) {
		fprintf(stderr, "recorder-nswriter: rhook_recorder_start: %s\n", strerror(-ret));
		return 1;
	}
	for (unsigned t = 0; t < threads; t++)
		if (pthread_create(&th[t], NULL, writer, (void *)(uintptr_t)t))
			return 1;
	snprintf(stopfile, sizeof(stopfile), "%s/stop", dir);
	for (int i = 0; i < 12000 && stat(stopfile, &st); i++)
		usleep(10000);
	atomic_store(&stop, 1);
	for (unsigned t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	return rhook_recorder_stop() ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned threads = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	long pid = argc > 3 ? atol(argv[3]) : 0;
	int status, fd;
	char buf[32];
	pid_t child;

	if (argc < 3 || argc > 4 || threads < 1 || threads > 16) {
		fprintf(stderr, "usage: recorder-nswriter DIR THREADS [PID]\n");
		return 2;
	}
	if (!pid)
		return record(argv[1], threads);
	if (getpid() != 1) {
		fprintf(stderr, "recorder-nswriter: PID given, but not the first process of a PID namespace\n");
		return 2;
	}
	/* The namespace's next pid (this task's namespace, whatever /proc shows). */
	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	snprintf(buf, sizeof(buf), "%ld", pid - 1);
	if (fd < 0 || write(fd, buf, strlen(buf)) < 0) {
		fprintf(stderr, "recorder-nswriter: ns_last_pid: %s\n", strerror(errno));
		return 2;
	}
	close(fd);
	child = fork();
	if (child < 0)
		return 2;
	if (child == 0) {
		if (getpid() != pid) {
			fprintf(stderr, "recorder-nswriter: got pid %ld, not %ld\n", (long)getpid(), pid);
			_exit(2);
		}
		_exit(record(argv[1], threads));
	}
	if (waitpid(child, &status, 0) != child)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}
