/*
 * proc.h - running a program and collecting its output, for rhook's tools,
 * tests and benchmarks.
 */
#ifndef TC_PROC_H
#define TC_PROC_H

#include <sys/types.h>

/*
 * Called in the parent with the pid of a child that is forked but has not
 * exec'ed yet (it waits on a pipe): what must know the pid before the
 * program's constructors run (an LTTng process tracker, see
 * tc_lttngctl_track()).  0 releases the child to exec; anything else kills
 * it unrun (reaped) and fails the spawn.  Runs on the spawning thread.
 */
typedef int (*tc_proc_before_exec)(pid_t pid, void *arg);

/*
 * Starts @argv (argv[0] searched in PATH) with the extra environment @env
 * (as tc_proc_run()); fd i of the child is @fds[i] for i < 3 when >= 0,
 * else inherited.  With @fn, the child execs only once @fn(pid, @arg)
 * returned 0.  0 with the child's pid in *pid (the caller reaps it), or
 * -1 if it could not be started or @fn refused it.
 */
int tc_proc_spawn(char *const argv[], char *const env[], const int fds[3], tc_proc_before_exec fn, void *arg,
		  pid_t *pid);

/*
 * Runs @argv (argv[0] searched in PATH) with the extra environment @env
 * ("K=V", NULL-terminated, may be NULL; it wins over the inherited one),
 * collecting stdout into *out and stderr into *err (malloc'ed strings;
 * either pointer may be NULL to discard that stream).  Returns the exit
 * status (0..255), 128 + signal if it was killed, or -1 if it could not
 * be started.
 */
int tc_proc_run(char *const argv[], char *const env[], char **out, char **err);

/* tc_proc_run() whose child execs only once @fn accepted its pid (see tc_proc_before_exec). */
int tc_proc_run_gated(char *const argv[], char *const env[], char **out, char **err, tc_proc_before_exec fn,
		      void *arg);

/* Like tc_proc_run(), output discarded unless it fails; then it goes to stderr. */
int tc_proc_run_quiet(char *const argv[]);

/*
 * Runs @argv with the extra environment @env, its stdout on @out_fd (-1:
 * /dev/null) and its stderr inherited: for output too large to collect;
 * with @fn, it execs only once @fn accepted its pid (tc_proc_before_exec).
 * Same return values as tc_proc_run().
 */
int tc_proc_run_fd(char *const argv[], char *const env[], int out_fd, tc_proc_before_exec fn, void *arg);

#endif /* TC_PROC_H */
