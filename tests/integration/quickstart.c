/*
 * quickstart.c - the README's quick start stays true: its two commands are
 * the demo and the test command, .ci/run runs exactly that test command,
 * and the demo command works in a clean clone of the repository (it
 * installs what is missing, builds, runs, and its trace passes the check).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot read %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	fclose(f);
	return buf;
}

/* The commands of the first code block after "## Quick start", comments dropped. */
static int quickstart_commands(const char *readme, char cmds[4][256])
{
	const char *p = strstr(readme, "## Quick start"), *end;
	int n = 0;

	if (!p || !(p = strstr(p, "```sh\n")) || !(end = strstr(p + 6, "```")))
		fail_msg("README.md has no Quick start code block");
	for (p += 6; p < end && n < 4;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *stop = eol ? eol : end;
		char *hash;
		size_t len;

		snprintf(cmds[n], sizeof(cmds[n]), "%.*s", (int)(stop - p), p);
		if ((hash = strchr(cmds[n], '#')))
			*hash = '\0';
		for (len = strlen(cmds[n]); len && cmds[n][len - 1] == ' '; len--)
			cmds[n][len - 1] = '\0';
		if (cmds[n][0])
			n++;
		p = eol ? eol + 1 : end;
	}
	return n;
}

static void test_readme_quick_start(void **state)
{
	const char *src = getenv("RHOOK_SOURCE_DIR");
	char path[PATH_MAX + 32], cmds[4][256], base[PATH_MAX], clone[PATH_MAX + 8], shell[PATH_MAX + 512];
	char *readme, *ci, *out, *err;
	int n, st;

	(void)state;
	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/README.md", src);
	readme = slurp(path);
	n = quickstart_commands(readme, cmds);
	free(readme);
	if (n != 2 || strcmp(cmds[0], "tools/run demo") || strcmp(cmds[1], "tools/run test"))
		fail_msg("the quick start should be 'tools/run demo' then 'tools/run test', found %d command(s): %s / %s",
			 n, n > 0 ? cmds[0] : "", n > 1 ? cmds[1] : "");
	snprintf(path, sizeof(path), "%s/.ci/run", src);
	ci = slurp(path);
	if (!strstr(ci, "exec tools/run test\n"))
		fail_msg(".ci/run does not run the README's test command:\n%s", ci);
	free(ci);

	/* The demo command, in a clean clone (only what is committed). */
	snprintf(path, sizeof(path), "%s/.git", src);
	if (access(path, F_OK)) {
		fprintf(stderr, "%s is not a git checkout: no clean clone to make\n", src);
		skip();
		return;
	}
	rt_tmpdir(base, "quickstart");
	snprintf(clone, sizeof(clone), "%s/rhook", base);
	assert_int_equal(rt_run((char *[]){ "git", "clone", "-q", (char *)src, clone, NULL }, NULL, NULL, NULL), 0);
	snprintf(shell, sizeof(shell), "cd '%s' && %s --seconds 2 --quiet", clone, cmds[0]);
	st = rt_run((char *[]){ "sh", "-c", shell, NULL }, NULL, &out, &err);
	if (st || !strstr(out, "check: OK"))
		fail_msg("'%s' in a clean clone: exit %d\n%s%s", cmds[0], st, out, err);
	free(out);
	free(err);
	tc_rmtree(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_quick_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
