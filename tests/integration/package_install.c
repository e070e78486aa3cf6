/*
 * package_install.c - `cmake --install` into a temporary prefix puts the library,
 * its LTTng provider, the headers, the tools and their man pages, the
 * pkg-config file, the CMake package and the babeltrace2 plugin in place;
 * an outside project then builds against the installed tree (pkg-config
 * and find_package) and runs, and babeltrace2 reads a recorder trace
 * with the installed plugin.
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

static char prefix[PATH_MAX + 16], work[PATH_MAX];

static void run_ok(char *const argv[], char *const env[])
{
	char *out, *err;
	int st = rt_run(argv, env, &out, &err);

	if (st)
		fail_msg("%s %s: exit %d\n%s%s", argv[0], argv[1] ? argv[1] : "", st, out, err);
	free(out);
	free(err);
}

/* @rel under the prefix; a leading "lib/" means the install libdir. */
static void expect_installed(const char *rel)
{
	const char *libdir = getenv("RHOOK_INSTALL_LIBDIR");
	char path[PATH_MAX * 2];

	if (!strncmp(rel, "lib/", 4) && libdir)
		snprintf(path, sizeof(path), "%s/%s/%s", prefix, libdir, rel + 4);
	else
		snprintf(path, sizeof(path), "%s/%s", prefix, rel);
	if (access(path, F_OK))
		fail_msg("not installed: %s", path);
}

/* The consumer must load librhook from the prefix, not from the build tree. */
static void expect_links_to_prefix(const char *exe)
{
	char *argv[] = { "ldd", (char *)exe, NULL };
	char *out, want[PATH_MAX * 2];

	snprintf(want, sizeof(want), "librhook.so.0 => %s/%s/librhook.so.0", prefix, getenv("RHOOK_INSTALL_LIBDIR"));
	assert_int_equal(rt_run(argv, NULL, &out, NULL), 0);
	if (!strstr(out, want))
		fail_msg("%s does not use the installed library:\n%s", exe, out);
	free(out);
}

/* The lines of @text that start with '[': babeltrace2's and rhook-read's events. */
static size_t event_lines(const char *text)
{
	size_t n = text[0] == '[';

	for (const char *p = strstr(text, "\n["); p; p = strstr(p + 1, "\n["))
		n++;
	return n;
}

/*
 * The installed babeltrace2 plugin: under this prefix, plain babeltrace2
 * reads a recorder trace once BABELTRACE_PLUGIN_PATH names the prefix's
 * plugin directory (as the README and the man page say); under
 * babeltrace2's own prefix, it lands in babeltrace2's system plugin
 * directory, where it needs nothing.
 */
static void test_babeltrace2_plugin(const char *build)
{
	char trace[PATH_MAX + 16], env_dir[PATH_MAX + 32], env_path[PATH_MAX * 2], reader[PATH_MAX * 2];
	char destdir[PATH_MAX + 16], env_destdir[PATH_MAX + 32], sysdir[PATH_MAX], so[PATH_MAX * 3];
	char *out, *err, *p, *text;
	size_t events;

	snprintf(trace, sizeof(trace), "%s/trace", work);
	snprintf(env_dir, sizeof(env_dir), "RHOOK_TRACE_DIR=%s", trace);
	run_ok((char *[]){ (char *)rt_bin("rhook-tracegen"), "--threads", "2", "--rounds", "5", NULL },
	       (char *[]){ env_dir, NULL });
	snprintf(reader, sizeof(reader), "%s/bin/rhook-read", prefix);
	assert_int_equal(rt_run((char *[]){ reader, "print", trace, NULL }, NULL, &text, NULL), 0);
	events = event_lines(text);
	assert_true(events > 50);
	free(text);
	snprintf(env_path, sizeof(env_path), "BABELTRACE_PLUGIN_PATH=%s/%s/babeltrace2/plugins", prefix,
		 getenv("RHOOK_INSTALL_LIBDIR"));
	assert_int_equal(rt_run((char *[]){ "babeltrace2", trace, NULL }, (char *[]){ env_path, NULL }, &out, &err), 0);
	assert_int_equal(event_lines(out), events);
	assert_non_null(strstr(out, "rhook:manifest_updated"));
	free(out);
	free(err);

	/* babeltrace2's system plugin directory: where its own ctf plugin is. */
	assert_int_equal(rt_run((char *[]){ "babeltrace2", "--omit-home-plugin-path", "list-plugins", NULL }, NULL, &out,
				NULL),
			 0);
	p = strstr(out, "/babeltrace-plugin-ctf.so");
	assert_non_null(p);
	*p = '\0';
	p = strrchr(out, ' ');
	assert_non_null(p);
	snprintf(sysdir, sizeof(sysdir), "%s", p + 1);
	free(out);
	snprintf(destdir, sizeof(destdir), "%s/destdir", work);
	snprintf(env_destdir, sizeof(env_destdir), "DESTDIR=%s", destdir);
	run_ok((char *[]){ "cmake", "--install", (char *)build, "--prefix", "/usr", NULL }, (char *[]){ env_destdir, NULL });
	snprintf(so, sizeof(so), "%s%s/babeltrace-plugin-rhook.so", destdir, sysdir);
	if (access(so, F_OK))
		fail_msg("a /usr install does not put the plugin into babeltrace2's system plugin directory %s", sysdir);
}

static void test_install_and_consume(void **state)
{
	const char *build = getenv("RHOOK_BUILD_DIR"), *src = getenv("RHOOK_SOURCE_DIR");
	char consumer_src[PATH_MAX], consumer_build[PATH_MAX * 2], exe[PATH_MAX * 3], pc_path[PATH_MAX * 2];
	char shell[PATH_MAX * 8];

	(void)state;
	assert_non_null(build);
	assert_non_null(src);
	assert_non_null(getenv("RHOOK_INSTALL_LIBDIR"));
	rt_tmpdir(work, "install");
	snprintf(prefix, sizeof(prefix), "%s/prefix", work);
	run_ok((char *[]){ "cmake", "--install", (char *)build, "--prefix", prefix, NULL }, NULL);

	expect_installed("lib/librhook.so.0");
	expect_installed("lib/librhook.so");
	expect_installed("lib/librhook-lttng.so.0");
	expect_installed("include/rhook/hook.h");
	expect_installed("include/rhook/static/dispatch.h");
	expect_installed("lib/pkgconfig/rhook.pc");
	expect_installed("lib/cmake/rhook/rhookConfig.cmake");
	expect_installed("lib/cmake/rhook/rhookTargets.cmake");
	expect_installed("lib/rhook-count-hook.so");
	expect_installed("bin/rhook-read");
	expect_installed("bin/rhook-demo");
	expect_installed("bin/rhook-compactor");
	expect_installed("share/man/man1/rhook-read.1");
	expect_installed("share/man/man1/rhook-demo.1");
	expect_installed("share/man/man1/rhook-compactor.1");
	expect_installed("lib/babeltrace2/plugins/babeltrace-plugin-rhook.so");
	expect_installed("share/man/man7/babeltrace2-plugin-rhook.7");

	/* The installed programs run from the prefix: the coverage demo uses all three and the plugin. */
	{
		char demo[PATH_MAX * 2];

		snprintf(demo, sizeof(demo), "%s/bin/rhook-demo", prefix);
		run_ok((char *[]){ demo, "coverage", NULL }, NULL);
	}

	test_babeltrace2_plugin(build);

	/* pkg-config. */
	snprintf(consumer_src, sizeof(consumer_src), "%s/tests/install/consumer", src);
	snprintf(pc_path, sizeof(pc_path), "PKG_CONFIG_PATH=%s/%s/pkgconfig", prefix, getenv("RHOOK_INSTALL_LIBDIR"));
	snprintf(exe, sizeof(exe), "%s/consumer-pc", work);
	snprintf(shell, sizeof(shell), "cc -std=c11 -Wall -Werror %s/consumer.c -o %s $(pkg-config --cflags --libs rhook) "
		 "-Wl,-rpath,%s/%s", consumer_src, exe, prefix, getenv("RHOOK_INSTALL_LIBDIR"));
	run_ok((char *[]){ "sh", "-c", shell, NULL }, (char *[]){ pc_path, NULL });
	expect_links_to_prefix(exe);
	run_ok((char *[]){ exe, NULL }, NULL);

	/* find_package(rhook). */
	snprintf(consumer_build, sizeof(consumer_build), "%s/consumer-cmake", work);
	{
		char prefix_opt[PATH_MAX * 2];

		snprintf(prefix_opt, sizeof(prefix_opt), "-DCMAKE_PREFIX_PATH=%s", prefix);
		run_ok((char *[]){ "cmake", "-S", consumer_src, "-B", consumer_build, prefix_opt, NULL }, NULL);
	}
	run_ok((char *[]){ "cmake", "--build", consumer_build, NULL }, NULL);
	snprintf(exe, sizeof(exe), "%s/consumer", consumer_build);
	expect_links_to_prefix(exe);
	run_ok((char *[]){ exe, NULL }, NULL);
	tc_rmtree(work);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_and_consume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
