/*
 * fork.h - the hook core's fork() handlers (not installed), registered by
 * the library constructor (src/startup/init.c).
 */
#ifndef RHOOK_CORE_FORK_H
#define RHOOK_CORE_FORK_H

/*
 * fork() handlers of the hook core and of liburcu, in two halves that the
 * library constructor registers around the recorder's (see init.c for the
 * order and why).
 */
void rhook__atfork_register_inner(void);
void rhook__atfork_register_outer(void);

/* The registry writer lock across fork() (registry.c): prepare, then parent or child. */
void rhook__registry_before_fork(void);
void rhook__registry_after_fork(void);

#endif /* RHOOK_CORE_FORK_H */
