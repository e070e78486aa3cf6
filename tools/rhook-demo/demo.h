/*
 * demo.h - rhook-demo's subcommands: each is a main() of its own,
 * dispatched by main.c.
 */
#ifndef RHOOK_DEMO_H
#define RHOOK_DEMO_H

/* rhook-demo [run] [options]: the mixed workload on the flight recorder (run.c). */
int rhook_demo_run(int argc, char **argv);

/* rhook-demo coverage [--json]: contract §2 as measured by a counting hook. */
int rhook_demo_coverage(int argc, char **argv);

/*
 * rhook-demo run --lttng-relayd: runs @child_argv (the workload) while a
 * session streams to an lttng-relayd on 127.0.0.1, then reports on the
 * collected trace in @dir/relayd.  0, or -1 if the daemons could not be
 * set up; *status becomes 1 if the workload or the check failed.
 */
int rhook_demo_relayd(const char *dir, char **child_argv, int *status);

/*
 * Checks @trace against the contract, prints a summary, and writes
 * @out_dir/report.html and @out_dir/trace.perfetto (rhook-read report and
 * export --perfetto), printing their paths; *status becomes 1 on a
 * violation or when either could not be written.
 */
int rhook_demo_report(const char *trace, const char *out_dir, int *status);

/* Directory of the running executable (for the programs and plugins built beside it). */
const char *rhook_demo_exe_dir(void);

#endif /* RHOOK_DEMO_H */
