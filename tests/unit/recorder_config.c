/*
 * recorder_config.c - every recorder setting that cannot be honoured is
 * refused, by name, with what would be accepted.
 *
 *  - rhook_recorder_config_from_env(): each variable's malformed and
 *    out-of-range values, including settings that are only wrong
 *    together (RHOOK_TRACE_BUFFER_SIZE=1k with the default 8 sub-buffers
 *    makes sub-buffers too small), name the variable and the range;
 *  - a program started with such a setting says so on stderr, naming the
 *    variable, and records nothing;
 *  - rhook_recorder_start() refuses what is out of range (-EINVAL), and
 *    a struct rhook_recorder_config from a newer rhook (size larger than
 *    this one's) whose extra bytes are not zero (-EINVAL); zero extra
 *    bytes are accepted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rhook/trace.h>

#include "rt.h"

static const char *const vars[] = { "RHOOK_TRACE_DIR",        "RHOOK_TRACE_BUFFER_SIZE", "RHOOK_TRACE_BUFFERS",
				    "RHOOK_TRACE_SUBBUFFERS", "RHOOK_TRACE_MODE",        "RHOOK_TRACE_CLOCK" };

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

/* With RHOOK_TRACE_DIR and @var=@value set, from_env() refuses with every string of @says in its message. */
static void env_refused(const char *var, const char *value, const char *const *says)
{
	struct rhook_recorder_config cfg;
	char err[512] = "";
	int ret;

	clear_env();
	setenv("RHOOK_TRACE_DIR", "/nonexistent/rhook-config-test", 1);
	setenv(var, value, 1);
	ret = rhook_recorder_config_from_env(&cfg, err, sizeof(err));
	if (ret != -EINVAL)
		fail_msg("%s=%s: from_env returned %d, want -EINVAL (message '%s')", var, value, ret, err);
	for (; *says; says++)
		if (!strstr(err, *says))
			fail_msg("%s=%s: the message '%s' does not say '%s'", var, value, err, *says);
	clear_env();
}

static void test_env_values(void **state)
{
	(void)state;
	env_refused("RHOOK_TRACE_BUFFER_SIZE", "1k",
		    (const char *const[]){ "RHOOK_TRACE_BUFFER_SIZE=1k", "RHOOK_TRACE_SUBBUFFERS=8", "4096",
					   "RHOOK_TRACE_BUFFER_SIZE >= 32k", NULL });
	env_refused("RHOOK_TRACE_BUFFER_SIZE", "3k",
		    (const char *const[]){ "RHOOK_TRACE_BUFFER_SIZE=3k", "power of two", "1g", NULL });
	env_refused("RHOOK_TRACE_BUFFER_SIZE", "2g", (const char *const[]){ "RHOOK_TRACE_BUFFER_SIZE=2g", "1g", NULL });
	env_refused("RHOOK_TRACE_BUFFER_SIZE", "lots", (const char *const[]){ "RHOOK_TRACE_BUFFER_SIZE=lots", NULL });
	env_refused("RHOOK_TRACE_BUFFER_SIZE", "99999999999999999999g",
		    (const char *const[]){ "RHOOK_TRACE_BUFFER_SIZE=", "power of two", NULL });
	env_refused("RHOOK_TRACE_BUFFERS", "0", (const char *const[]){ "RHOOK_TRACE_BUFFERS=0", "1 to 4096", NULL });
	env_refused("RHOOK_TRACE_BUFFERS", "5000", (const char *const[]){ "RHOOK_TRACE_BUFFERS=5000", "1 to 4096", NULL });
	env_refused("RHOOK_TRACE_SUBBUFFERS", "3",
		    (const char *const[]){ "RHOOK_TRACE_SUBBUFFERS=3", "power of two from 2 to 65536", NULL });
	env_refused("RHOOK_TRACE_SUBBUFFERS", "1024",
		    (const char *const[]){ "RHOOK_TRACE_SUBBUFFERS=1024", "RHOOK_TRACE_BUFFER_SIZE=1m", "1024 bytes",
					   "RHOOK_TRACE_BUFFER_SIZE >= 4m", NULL });
	env_refused("RHOOK_TRACE_MODE", "ring", (const char *const[]){ "RHOOK_TRACE_MODE=ring", "overwrite or discard", NULL });
	env_refused("RHOOK_TRACE_CLOCK", "hpet",
		    (const char *const[]){ "RHOOK_TRACE_CLOCK=hpet", "auto, tsc or monotonic", NULL });
	/* What is right is accepted. */
	{
		struct rhook_recorder_config cfg;
		char err[512] = "";

		setenv("RHOOK_TRACE_DIR", "/nonexistent/rhook-config-test", 1);
		setenv("RHOOK_TRACE_BUFFER_SIZE", "32k", 1);
		setenv("RHOOK_TRACE_SUBBUFFERS", "8", 1);
		assert_int_equal(rhook_recorder_config_from_env(&cfg, err, sizeof(err)), 1);
		assert_int_equal(cfg.buffer_size, 32768);
		clear_env();
	}
}

/* A program started with RHOOK_TRACE_BUFFER_SIZE=1k says why it does not record, by name. */
static void test_env_program(void **state)
{
	char dir[PATH_MAX], envdir[PATH_MAX + 32], *out, *err;
	char *argv[] = { strdup(rt_bin("rhook-tracegen")), "--threads", "1", "--rounds", "1", "--no-hook", NULL };
	char *env[] = { envdir, "RHOOK_TRACE_BUFFER_SIZE=1k", NULL };

	(void)state;
	rt_tmpdir(dir, "config");
	snprintf(envdir, sizeof(envdir), "RHOOK_TRACE_DIR=%s/trace", dir);
	assert_int_equal(rt_run(argv, env, &out, &err), 0);
	if (!strstr(err, "rhook: recorder not started: RHOOK_TRACE_BUFFER_SIZE=1k") || !strstr(err, "4096") ||
	    strstr(err, "Invalid argument"))
		fail_msg("stderr does not name the setting and its range:\n%s", err);
	free(argv[0]);
	free(out);
	free(err);
	tc_rmtree(dir);
}

/* A configuration of a newer rhook: this one's fields, then more. */
struct newer_config {
	struct rhook_recorder_config known;
	uint64_t future_field;
};

static void test_api(void **state)
{
	struct newer_config n;
	struct rhook_recorder_config cfg;
	char dir[PATH_MAX];

	(void)state;
	rt_tmpdir(dir, "config-api");
	memset(&cfg, 0, sizeof(cfg));
	cfg.size = sizeof(cfg);
	cfg.dir = dir;
	cfg.buffer_size = 1024;
	assert_int_equal(rhook_recorder_start(&cfg), -EINVAL);
	cfg.buffer_size = 1u << 31;
	assert_int_equal(rhook_recorder_start(&cfg), -EINVAL);
	cfg.buffer_size = 0;
	cfg.num_subbuffers = 3;
	assert_int_equal(rhook_recorder_start(&cfg), -EINVAL);
	cfg.num_subbuffers = 0;
	cfg.mode = (enum rhook_recorder_mode)7;
	assert_int_equal(rhook_recorder_start(&cfg), -EINVAL);
	cfg.mode = RHOOK_RECORDER_OVERWRITE;
	cfg.size = sizeof(cfg) - 1;
	assert_int_equal(rhook_recorder_start(&cfg), -EINVAL);

	/* Unknown trailing fields: refused unless zero. */
	memset(&n, 0, sizeof(n));
	n.known.size = sizeof(n);
	n.known.dir = dir;
	n.known.buffer_size = 64 * 1024;
	n.future_field = 1;
	assert_int_equal(rhook_recorder_start(&n.known), -EINVAL);
	n.future_field = 0;
	assert_int_equal(rhook_recorder_start(&n.known), 0);
	assert_int_equal(rhook_recorder_stop(), 0);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_values),
		cmocka_unit_test(test_env_program),
		cmocka_unit_test(test_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
