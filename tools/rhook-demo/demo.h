/*
 * demo.h - rhook-demo's subcommands: each is a main() of its own,
 * dispatched by main.c.
 */
#ifndef RHOOK_DEMO_H
#define RHOOK_DEMO_H

/* rhook-demo coverage [--json]: contract §2 as measured by a counting hook. */
int rhook_demo_coverage(int argc, char **argv);

/* Directory of the running executable (for the programs and plugins built beside it). */
const char *rhook_demo_exe_dir(void);

#endif /* RHOOK_DEMO_H */
