/*
 * proc.h - running a program and collecting its output, for rhook's tools,
 * tests and benchmarks.
 */
#ifndef TC_PROC_H
#define TC_PROC_H

/*
 * Runs @argv (argv[0] searched in PATH) with the extra environment @env
 * ("K=V", NULL-terminated, may be NULL; it wins over the inherited one),
 * collecting stdout into *out and stderr into *err (malloc'ed strings;
 * either pointer may be NULL to discard that stream).  Returns the exit
 * status (0..255), 128 + signal if it was killed, or -1 if it could not
 * be started.
 */
int tc_proc_run(char *const argv[], char *const env[], char **out, char **err);

/* Like tc_proc_run(), output discarded unless it fails; then it goes to stderr. */
int tc_proc_run_quiet(char *const argv[]);

/*
 * Runs @argv with the extra environment @env, its stdout on @out_fd (-1:
 * /dev/null) and its stderr inherited: for output too large to collect.
 * Same return values as tc_proc_run().
 */
int tc_proc_run_fd(char *const argv[], char *const env[], int out_fd);

#endif /* TC_PROC_H */
