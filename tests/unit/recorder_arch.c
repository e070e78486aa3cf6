/*
 * recorder_arch.c - the recorder's file format and shared-memory
 * protocol are those of x86-64: built for anything else, the build stops
 * with a message saying so (src/wire/recorder_format.h), for the writer and
 * the reader alike.
 *
 * Compiles a file that includes recorder_format.h with the build's compiler, as
 * if for another architecture (__x86_64__ undefined) and for a
 * big-endian one, and as itself (the control).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"
#include "rt.h"

static char dir[PATH_MAX], source[PATH_MAX + 16];

static int setup(void **state)
{
	FILE *f;

	(void)state;
	rt_tmpdir(dir, "arch");
	snprintf(source, sizeof(source), "%s/t.c", dir);
	f = fopen(source, "w");
	if (!f)
		return -1;
	fputs("#include \"wire/recorder_format.h\"\nint rhook_arch_probe;\n", f);
	return fclose(f);
}

static int teardown(void **state)
{
	(void)state;
	tc_rmtree(dir);
	return 0;
}

/* Compiles the probe with @flags (up to 3); exit status, stderr in *err. */
static int compile(const char *f1, const char *f2, const char *f3, char **err)
{
	char inc[PATH_MAX + 8];
	char *argv[] = { RHOOK_TEST_CC, "-std=c11", "-fsyntax-only", inc, source, (char *)f1, (char *)f2, (char *)f3, NULL };
	char *out;
	int st;

	snprintf(inc, sizeof(inc), "-I%s/src", getenv("RHOOK_SOURCE_DIR"));
	st = tc_proc_run(argv, NULL, &out, err);
	free(out);
	return st;
}

static void test_other_architectures(void **state)
{
	char *err;

	(void)state;
	assert_int_equal(compile(NULL, NULL, NULL, &err), 0);
	free(err);
	assert_int_not_equal(compile("-U__x86_64__", NULL, NULL, &err), 0);
	if (!strstr(err, "#error") || !strstr(err, "supports x86-64 only"))
		fail_msg("not x86-64: no clear message:\n%s", err);
	free(err);
	assert_int_not_equal(compile("-U__BYTE_ORDER__", "-D__BYTE_ORDER__=__ORDER_BIG_ENDIAN__", NULL, &err), 0);
	if (!strstr(err, "supports x86-64 only") || !strstr(err, "little-endian"))
		fail_msg("big-endian: no clear message:\n%s", err);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_architectures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
