/*
 * failpoint.h - named points between the stores of the recorder's write
 * protocol, for the test that kills a writer at each one in turn
 * (tests/stress/recorder_killsteps.c).
 *
 * Compiled in only when RHOOK_FAILPOINTS is defined, which only the
 * test library librhook-failpoints is built with; elsewhere
 * RHOOK__FAILPOINT() is nothing at all.  The test learns the points by
 * name from a census run, so a new point needs no list to be kept.
 */
#ifndef RHOOK_RECORDER_FAILPOINT_H
#define RHOOK_RECORDER_FAILPOINT_H

#ifdef RHOOK_FAILPOINTS
/* Set by the test; called with the point's name (a string literal) at each point. */
extern __attribute__((visibility("default"))) void (*rhook__failpoint_hook)(const char *name);
#define RHOOK__FAILPOINT(name)                          \
	do {                                            \
		if (rhook__failpoint_hook)              \
			rhook__failpoint_hook(name);    \
	} while (0)
#else
#define RHOOK__FAILPOINT(name) ((void)0)
#endif

#endif /* RHOOK_RECORDER_FAILPOINT_H */
