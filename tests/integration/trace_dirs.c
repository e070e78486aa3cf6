/*
 * trace_dirs.c - hostile trace directories: the recorder and rhook-read
 * write only where nobody else can change what they write.
 *
 * The recorder (through rhook_recorder_start() and through
 * RHOOK_TRACE_DIR) and rhook-read export refuse, with a message naming
 * the directory and the reason: a symbolic link as the directory (with
 * or without a trailing slash), a directory writable by its group or by
 * others (sticky or not), one owned by another uid, one below a parent
 * that others can write without the sticky bit or that another uid owns;
 * nothing is created there.  A private directory, also below a sticky
 * world-writable one like /tmp, is used.  The cases that need another
 * uid run as root only, and say so when skipped.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "reader_common.h"

#define NOBODY 65534

static char root[PATH_MAX], trace[PATH_MAX + 16];

static int setup(void **state)
{
	(void)state;
	rt_tmpdir(root, "dirs");
	snprintf(trace, sizeof(trace), "%s/trace", root);
	rr_tracegen(trace, (const char *const[]){ "--threads", "1", "--rounds", "3", NULL },
		    (const char *const[]){ "RHOOK_TRACE_BUFFER_SIZE=64k", "RHOOK_TRACE_BUFFERS=2", NULL });
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tc_rmtree(root);
	return 0;
}

/* A new directory @name under @parent with @mode (chmod: the umask does not apply). */
static const char *make_dir(const char *parent, const char *name, mode_t mode)
{
	static char path[8][PATH_MAX + 64];
	static unsigned next;
	char *p = path[next++ % 8];
	char buf[PATH_MAX + 64];

	/* @parent may be an earlier result: format apart. */
	snprintf(buf, sizeof(buf), "%s/%s", parent, name);
	memcpy(p, buf, sizeof(buf));
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(chmod(p, mode), 0);
	return p;
}

static unsigned entries(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	unsigned count = 0;

	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
			count++;
		free(names[i]);
	}
	free(names);
	return count;
}

/* The recorder refuses @dir with @err through the API, and with @message through RHOOK_TRACE_DIR. */
static void refused(const char *dir, int err, const char *message)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .dir = dir, .buffer_size = 64 * 1024, .num_buffers = 1 };
	char envdir[PATH_MAX + 32], *out, *errs;
	char *argv[] = { strdup(rt_bin("rhook-tracegen")), "--threads", "1", "--rounds", "1", "--no-hook", NULL };
	char *env[] = { envdir, "RHOOK_TRACE_BUFFER_SIZE=64k", "RHOOK_TRACE_BUFFERS=1", NULL };
	int ret = rhook_recorder_start(&cfg);

	if (!ret)
		rhook_recorder_stop();
	if (ret != err)
		fail_msg("rhook_recorder_start(%s): %d (%s), want %d", dir, ret, strerror(-ret), err);
	snprintf(envdir, sizeof(envdir), "RHOOK_TRACE_DIR=%s", dir);
	assert_int_equal(rt_run(argv, env, &out, &errs), 0);
	if (!strstr(errs, "rhook: recorder not started: RHOOK_TRACE_DIR=") || !strstr(errs, dir) ||
	    !strstr(errs, message))
		fail_msg("RHOOK_TRACE_DIR=%s: want a refusal naming it and saying '%s'; stderr:\n%s", dir, message, errs);
	free(argv[0]);
	free(out);
	free(errs);
}

/* The recorder accepts @dir (through the API) and its file there is private. */
static void accepted(const char *dir)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .dir = dir, .buffer_size = 64 * 1024, .num_buffers = 1 };
	char path[PATH_MAX];
	struct stat st;

	assert_int_equal(rhook_recorder_start(&cfg), 0);
	rhook_trace_flush_begin(1, 2, 3);
	assert_int_equal(rhook_recorder_path(path, sizeof(path)), 0);
	assert_int_equal(rhook_recorder_stop(), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_symlink(void **state)
{
	const char *target = make_dir(root, "real", 0700);
	char link[PATH_MAX + 16], slash[PATH_MAX + 32];

	(void)state;
	snprintf(link, sizeof(link), "%s/link", root);
	assert_int_equal(symlink(target, link), 0);
	refused(link, -ELOOP, "is a symbolic link; refusing to follow it");
	snprintf(slash, sizeof(slash), "%s/", link);
	refused(slash, -ELOOP, "is a symbolic link");
	assert_int_equal(entries(target), 0);
	accepted(target);
}

static void test_writable(void **state)
{
	const char *world = make_dir(root, "world", 0777), *group = make_dir(root, "group", 0770);
	const char *sticky = make_dir(root, "sticky", 01777);

	refused(world, -EPERM, "writable by others (mode 0777)");
	refused(group, -EPERM, "writable by its group (mode 0770)");
	refused(sticky, -EPERM, "writable by others (mode 1777)");
	(void)state;
	assert_int_equal(entries(world) + entries(group) + entries(sticky), 0);
	accepted(make_dir(root, "private", 0700));
	accepted(make_dir(root, "readable", 0755));
}

static void test_parents(void **state)
{
	const char *open_parent = make_dir(root, "open", 0777);
	const char *sticky_parent = make_dir(root, "sticky-parent", 01777);
	const char *inner = make_dir(open_parent, "inner", 0700);

	(void)state;
	refused(inner, -EPERM, "is writable by others and not sticky (mode 0777)");
	assert_int_equal(entries(inner), 0);
	/* Below a sticky directory (like /tmp): others cannot rename a directory they do not own. */
	accepted(make_dir(sticky_parent, "inner", 0700));
	/* A directory the recorder creates itself under an unsafe parent is refused as well. */
	{
		char fresh[PATH_MAX + 16];

		snprintf(fresh, sizeof(fresh), "%s/fresh", open_parent);
		refused(fresh, -EPERM, "writable by others and not sticky");
	}
}

static void test_other_owner(void **state)
{
	const char *theirs, *parent, *below;

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "trace_dirs: other_owner skipped: needs root to chown a directory to another uid\n");
		skip();
	}
	theirs = make_dir(root, "theirs", 0700);
	assert_int_equal(chown(theirs, NOBODY, NOBODY), 0);
	refused(theirs, -EPERM, "owned by uid 65534, not by this process's uid 0");
	parent = make_dir(root, "their-parent", 0755);
	below = make_dir(parent, "mine", 0700);
	assert_int_equal(chown(parent, NOBODY, NOBODY), 0);
	refused(below, -EPERM, "is owned by uid 65534 (neither root nor this process's uid 0)");
}

/* rhook-read export --ctf @to of the trace: exit 2, @message on stderr, nothing written. */
static void export_refused(const char *to, const char *message)
{
	char *out, *err;
	int st = rr_read(&out, &err, (const char *const[]){ "export", "--ctf", to, trace, NULL });

	if (st != 2 || !strstr(err, to) || !strstr(err, message))
		fail_msg("export --ctf %s: exit %d (want 2), stderr:\n%s(want '%s')", to, st, err, message);
	free(out);
	free(err);
}

static void test_export(void **state)
{
	const char *world = make_dir(root, "x-world", 0777);
	const char *group = make_dir(root, "x-group", 0775);
	const char *open_parent = make_dir(root, "x-open", 0777);
	char link[PATH_MAX + 16], below[PATH_MAX + 16], fresh[PATH_MAX + 16];
	char *out, *err;

	(void)state;
	snprintf(link, sizeof(link), "%s/x-link", root);
	assert_int_equal(symlink(make_dir(root, "x-real", 0700), link), 0);
	export_refused(link, "is a symbolic link");
	export_refused(world, "writable by others");
	export_refused(group, "writable by its group");
	snprintf(below, sizeof(below), "%s/ctf", open_parent);
	export_refused(below, "writable by others and not sticky");
	assert_int_equal(entries(world) + entries(group) + entries(open_parent), 0);
	if (geteuid() == 0) {
		const char *theirs = make_dir(root, "x-theirs", 0700);

		assert_int_equal(chown(theirs, NOBODY, NOBODY), 0);
		export_refused(theirs, "owned by uid 65534");
	}
	/* A fresh private directory is fine, and --force reuses only a private trace directory. */
	snprintf(fresh, sizeof(fresh), "%s/x-fresh", root);
	if (rr_read(&out, &err, (const char *const[]){ "export", "--ctf", fresh, trace, NULL }))
		fail_msg("export --ctf %s: %s", fresh, err);
	free(out);
	free(err);
	{
		struct dirent **names;
		int n = scandir(fresh, &names, NULL, alphasort);
		char sub[PATH_MAX + 300] = "";

		for (int i = 0; i < n; i++) {
			if (names[i]->d_name[0] != '.')
				snprintf(sub, sizeof(sub), "%s/%s", fresh, names[i]->d_name);
			free(names[i]);
		}
		free(names);
		assert_true(sub[0]);
		assert_int_equal(chmod(sub, 0777), 0);
		assert_int_equal(rr_read(&out, &err, (const char *const[]){ "export", "--ctf", fresh, "--force", trace, NULL }),
				 2);
		if (!strstr(err, "writable by others"))
			fail_msg("export --force into a world-writable trace directory: stderr:\n%s", err);
		free(out);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlink),     cmocka_unit_test(test_writable), cmocka_unit_test(test_parents),
		cmocka_unit_test(test_other_owner), cmocka_unit_test(test_export),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
