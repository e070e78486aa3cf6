/*
 * recorder_tsc_order.c - librhook reads the TSC only in an ordered way.
 *
 * A bare RDTSC may execute before the instructions that precede it, so a
 * timestamp could predate what caused its event (src/recorder/clock.h).
 * Every TSC read in librhook's machine code must be RDTSCP, or RDTSC
 * right after LFENCE or MFENCE: the disassembly (objdump) says so.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proc.h"
#include "rt.h"

/* The mnemonic of an objdump -d line ("  4011b6:\tlfence"), or NULL. */
static const char *mnemonic(char *line, char *buf, size_t size)
{
	char *tab = strchr(line, '\t');
	size_t n = 0;

	if (!tab || !strchr(line, ':') || strchr(line, ':') > tab)
		return NULL;
	for (tab++; *tab == ' '; tab++)
		;
	while (tab[n] && tab[n] != ' ' && tab[n] != '\n' && n + 1 < size) {
		buf[n] = tab[n];
		n++;
	}
	buf[n] = '\0';
	return n ? buf : NULL;
}

static void test_ordered_tsc_reads(void **state)
{
	char lib[PATH_MAX], *out, *err, prev[32] = "", cur[32];
	char *argv[] = { "objdump", "-d", "--no-show-raw-insn", lib, NULL };
	unsigned rdtscp = 0, fenced = 0;
	char *line, *save = NULL;

	(void)state;
	snprintf(lib, sizeof(lib), "%s/librhook.so", getenv("RHOOK_LIB_DIR"));
	if (rhook_proc_run(argv, NULL, &out, &err))
		fail_msg("objdump -d %s failed:\n%s", lib, err);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!mnemonic(line, cur, sizeof(cur)))
			continue;
		if (!strcmp(cur, "rdtscp"))
			rdtscp++;
		else if (!strcmp(cur, "rdtsc") && (!strcmp(prev, "lfence") || !strcmp(prev, "mfence")))
			fenced++;
		else if (!strcmp(cur, "rdtsc"))
			fail_msg("%s: a bare rdtsc (after '%s'):\n%s", lib, prev, line);
		snprintf(prev, sizeof(prev), "%s", cur);
	}
	/* The recorder reads the TSC: if nothing was found, the check checked nothing. */
	assert_true(rdtscp + fenced > 0);
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordered_tsc_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
