/*
 * init.c - library constructor: fork safety for liburcu, the LTTng
 * provider, the recorder when RHOOK_TRACE_DIR asks for it, and the
 * control channel (rhook-ctl) and snapshot triggers.
 */
#include <stdio.h>

#include <rhook/trace.h>

#include "core/fork.h"
#include "recorder/recorder.h"
#include "trace/ctl_server.h"
#include "trace/lttng.h"

__attribute__((constructor)) static void rhook_init(void)
{
	/* Fork handlers in the order atfork.c explains: the recorder's between the two halves. */
	rhook__atfork_register_inner();
	rhook__lttng_init();
	rhook__rec_init_from_env(); /* registers the recorder's fork handlers */
	rhook__atfork_register_outer();
	/* Last: its fork prepare handler (waits for a snapshot in progress) runs first. */
	rhook__ctl_init();
}
