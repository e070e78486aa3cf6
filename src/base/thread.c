/*
 * thread.c - the per-thread state every part reads (internal.h): the
 * thread token, the dispatch depth (written by the registry, core) and the
 * manifest mutexes held (written by manifest.c, core), read by the
 * recorder before it waits for a grace period.  Each is the calling
 * thread's own: no other thread reads or writes it.
 */
#include "internal.h"

__thread char rhook__thread_token __attribute__((tls_model("initial-exec")));
__thread unsigned rhook__dispatch_depth __attribute__((tls_model("initial-exec")));
__thread unsigned rhook__manifest_holds __attribute__((tls_model("initial-exec")));
