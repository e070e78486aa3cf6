/*
 * rhook-demo - demonstrations of rhook on the reference region engine.
 * Subcommands live in their own files and are listed here.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run", rhook_demo_run, "a mixed LSM workload traced by the flight recorder (the default)" },
	{ "coverage", rhook_demo_coverage, "run every scenario of the coverage table and print what the hooks saw" },
};

static void usage(FILE *f)
{
	fputs("usage: rhook-demo [COMMAND] [OPTIONS]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

const char *rhook_demo_exe_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n;
	char *d;

	if (!dir[0]) {
		n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
		dir[n > 0 ? n : 0] = '\0';
		d = dirname(dir);
		memmove(dir, d, strlen(d) + 1);
	}
	return dir;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].main(argc - 1, argv + 1);
	/* No command, or options only: the workload. */
	if (argc < 2 || argv[1][0] == '-')
		return rhook_demo_run(argc, argv);
	fprintf(stderr, "rhook-demo: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
