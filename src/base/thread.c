/*
 * thread.c - the per-thread state every part reads (internal.h): the
 * thread token, the dispatch depth (written by the registry, core) and the
 * manifest mutexes held (written by manifest.c, core), read by the
 * recorder before it waits for a grace period.  Each is the calling
 * thread's own: no other thread reads or writes it.  And the thread names
 * of the threads rhook starts (rhook__thread_set_name()).
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include "internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

__thread char rhook__thread_token __attribute__((tls_model("initial-exec")));
__thread unsigned rhook__dispatch_depth __attribute__((tls_model("initial-exec")));
__thread unsigned rhook__manifest_holds __attribute__((tls_model("initial-exec")));

void rhook__thread_set_name(const char *name)
{
	char buf[32] = "";
	int fd = name ? -1 : open("/proc/self/comm", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		close(fd);
	}
	if (name)
		snprintf(buf, sizeof(buf), "%s", name);
	if (buf[0])
		pthread_setname_np(pthread_self(), buf);
}
