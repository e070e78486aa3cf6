/*
 * core_must_use.c - results that must not be ignored are warn_unused_result
 * (contract §3): a caller that drops the error of a fire, an update or an
 * update_locked does not compile with -Werror.  Each case is compiled with
 * the build's C compiler against the public headers.
 *
 * usage: core_must_use CC INCLUDE-DIR
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt.h"

static const char *cc, *include_dir;

/* Compiles @body (after #include <rhook/manifest.h>); its exit status, stderr in *err. */
static int compile(const char *body, char **err)
{
	char dir[PATH_MAX], src[PATH_MAX + 8], inc[PATH_MAX + 3];
	FILE *f;
	int st;

	rt_tmpdir(dir, "mustuse");
	snprintf(src, sizeof(src), "%s/case.c", dir);
	snprintf(inc, sizeof(inc), "-I%s", include_dir);
	f = fopen(src, "w");
	assert_non_null(f);
	fprintf(f, "#include <rhook/manifest.h>\n%s\n", body);
	assert_int_equal(fclose(f), 0);
	{
		char *argv[] = { (char *)cc, "-std=c11", "-c", "-o", "/dev/null", "-Wall", "-Werror", inc, src, NULL };

		st = rt_run(argv, NULL, NULL, err);
	}
	assert_int_equal(tc_rmtree(dir), 0);
	return st;
}

static void expect_refused(const char *body, const char *function)
{
	char *err = NULL;
	int st = compile(body, &err);

	if (st == 0 || !strstr(err, function) || !strstr(err, "unused-result"))
		fail_msg("ignoring the result of %s compiled (status %d):\n%s\n%s", function, st, body, err);
	free(err);
}

static void test_ignored_results_refused(void **state)
{
	char *err = NULL;

	(void)state;
	/* The same calls, results used: compiles (the harness itself works). */
	if (compile("int f(struct rhook_receipt *r) { return rhook_receipt_fire(r); }\n"
		    "int g(struct rhook_manifest_ctx *c, const struct rhook_action_list *a, struct rhook_receipt *r)\n"
		    "{ return rhook_manifest_update_locked(c, a, RHOOK_CAUSE_EDIT, r)\n"
		    "       ? rhook_manifest_update(c, a, RHOOK_CAUSE_EDIT, 0) : 0; }",
		    &err))
		fail_msg("the reference case does not compile:\n%s", err);
	free(err);
	expect_refused("void f(struct rhook_receipt *r) { rhook_receipt_fire(r); }", "rhook_receipt_fire");
	expect_refused("void f(struct rhook_manifest_ctx *c, const struct rhook_action_list *a)\n"
		       "{ rhook_manifest_update(c, a, RHOOK_CAUSE_EDIT, 0); }",
		       "rhook_manifest_update");
	expect_refused("void f(struct rhook_manifest_ctx *c, const struct rhook_action_list *a, struct rhook_receipt *r)\n"
		       "{ rhook_manifest_update_locked(c, a, RHOOK_CAUSE_EDIT, r); }",
		       "rhook__manifest_update_locked");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ignored_results_refused),
	};

	if (argc != 3) {
		fprintf(stderr, "usage: %s CC INCLUDE-DIR\n", argv[0]);
		return 2;
	}
	cc = argv[1];
	include_dir = argv[2];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
