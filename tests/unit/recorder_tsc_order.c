/*
 * recorder_tsc_order.c - the recorder reads the TSC in an ordered way
 * where order across threads and processes matters.
 *
 * A bare RDTSC may execute before the instructions that precede it, so a
 * timestamp could predate what caused its event (src/recorder/clock.h).
 * The events whose order the trace's readers rely on (manifest_commit,
 * manifest_updated, sst_file_written: src/trace/emit.c) and the clock
 * anchors must read it with RDTSCP, or RDTSC right after LFENCE or
 * MFENCE.  The recorder's fast path is inlined into each emitter (always,
 * even at -O0), so the disassembly of librhook (objdump) shows each
 * emitter's own reads: at least one, every one ordered.
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

static const char *const ordered_fns[] = {
	"rhook__emit_manifest_commit",
	"rhook__emit_manifest_updated",
	"rhook__emit_sst_file_written",
	"rhook__anchor_now",
};
#define NUM_FNS (sizeof(ordered_fns) / sizeof(ordered_fns[0]))

/* The mnemonic of an objdump -d line ("  4011b6:\tlfence"), or NULL. */
static const char *mnemonic(const char *line, char *buf, size_t size)
{
	const char *tab = strchr(line, '\t');
	size_t n = 0;

	if (!tab || !strchr(line, ':') || strchr(line, ':') > tab)
		return NULL;
	for (tab++; *tab == ' '; tab++)
		;
	while (tab[n] && tab[n] != ' ' && n + 1 < size) {
		buf[n] = tab[n];
		n++;
	}
	buf[n] = '\0';
	return n ? buf : NULL;
}

/* The index in ordered_fns of the function a "0000... <name>:" line starts, -1 for another one. */
static int function_of(const char *line)
{
	const char *lt = strchr(line, '<'), *gt = lt ? strstr(lt, ">:") : NULL;

	if (!gt)
		return -2; /* not a function start */
	for (size_t i = 0; i < NUM_FNS; i++)
		if ((size_t)(gt - lt - 1) == strlen(ordered_fns[i]) && !strncmp(lt + 1, ordered_fns[i], gt - lt - 1))
			return (int)i;
	return -1;
}

static void test_ordered_tsc_reads(void **state)
{
	char lib[PATH_MAX], *out, *err, prev[32] = "", cur[32];
	char *argv[] = { "objdump", "-d", "--no-show-raw-insn", lib, NULL };
	unsigned reads[NUM_FNS] = { 0 };
	char *line, *save = NULL;
	int fn = -1;

	(void)state;
	snprintf(lib, sizeof(lib), "%s/librhook.so", getenv("RHOOK_LIB_DIR"));
	if (tc_proc_run(argv, NULL, &out, &err))
		fail_msg("objdump -d %s failed:\n%s", lib, err);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int f = function_of(line);

		if (f != -2) {
			fn = f;
			prev[0] = '\0';
			continue;
		}
		if (fn < 0 || !mnemonic(line, cur, sizeof(cur)))
			continue;
		if (!strcmp(cur, "rdtscp") ||
		    (!strcmp(cur, "rdtsc") && (!strcmp(prev, "lfence") || !strcmp(prev, "mfence"))))
			reads[fn]++;
		else if (!strcmp(cur, "rdtsc"))
			fail_msg("%s: a bare rdtsc in %s (after '%s'):\n%s", lib, ordered_fns[fn], prev, line);
		snprintf(prev, sizeof(prev), "%s", cur);
	}
	for (size_t i = 0; i < NUM_FNS; i++)
		if (!reads[i])
			fail_msg("%s: %s reads the TSC nowhere in its own code", lib, ordered_fns[i]);
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
