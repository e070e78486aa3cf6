/*
 * reader_badinput.c - rhook-read on bad input: wrong arguments, paths
 * that are no trace, truncated files, garbage, a format version of
 * another rhook (older or newer),
 * a header never completed, damaged records, broken CTF metadata.  Each
 * gets a clear message and a non-zero exit, never a crash.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/recfile.h"
#include "reader_common.h"

static char dir[PATH_MAX], good[PATH_MAX + 300];
static size_t good_size;

/* A real recorder file to damage: good (its path), good_size. */
static int setup(void **state)
{
	struct dirent **names;
	struct stat st;
	char trace[PATH_MAX + 8];
	int n;

	(void)state;
	rt_tmpdir(dir, "badinput");
	snprintf(trace, sizeof(trace), "%s/trace", dir);
	rr_tracegen(trace, (const char *const[]){ "--threads", "1", "--rounds", "5", NULL },
		    (const char *const[]){ "RHOOK_TRACE_BUFFER_SIZE=64k", "RHOOK_TRACE_BUFFERS=2", NULL });
	n = scandir(trace, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (strstr(names[i]->d_name, ".rhr"))
			snprintf(good, sizeof(good), "%s/%s", trace, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	if (stat(good, &st))
		return -1;
	good_size = (size_t)st.st_size;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tc_rmtree(dir);
	return 0;
}

/* rhook-read @args exits @want with @message on stderr. */
static void expect(int want, const char *message, const char *const *args)
{
	char *out, *err;
	int st = rr_read(&out, &err, args);

	if (st != want || !strstr(err, message))
		fail_msg("rhook-read %s: exit %d (want %d), stderr:\n%s(want '%s')", args[0] ? args[0] : "", st, want,
			 err, message);
	free(out);
	free(err);
}

/* Writes @n bytes of the good file, patched by @patch at @at if not NULL, as @name. */
static const char *variant(const char *name, size_t n, size_t at, const void *patch, size_t patch_len)
{
	static char path[PATH_MAX + 64];
	char *buf = malloc(good_size);
	int fd = open(good, O_RDONLY);

	assert_non_null(buf);
	assert_int_equal(read(fd, buf, good_size), (ssize_t)good_size);
	close(fd);
	if (patch)
		memcpy(buf + at, patch, patch_len);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
	free(buf);
	return path;
}

static void test_usage(void **state)
{
	(void)state;
	expect(2, "missing command", (const char *const[]){ NULL });
	expect(2, "unknown command 'show'", (const char *const[]){ "show", dir, NULL });
	expect(2, "no trace given", (const char *const[]){ "print", NULL });
	expect(2, "export needs one of --ctf DIR and --perfetto FILE", (const char *const[]){ "export", good, NULL });
	expect(2, "export needs one of --ctf DIR and --perfetto FILE",
	       (const char *const[]){ "export", "--ctf", dir, "--perfetto", dir, good, NULL });
	expect(2, "--force is an option of --ctf", (const char *const[]){ "export", "--perfetto", dir, "--force", good, NULL });
	expect(2, "--json is an option of print, stats, diff, files and amp", (const char *const[]){ "check", "--json", good, NULL });
	expect(2, "--ctf, --force and --perfetto are options of export", (const char *const[]){ "print", "--force", good, NULL });
	expect(2, "-o is an option of report", (const char *const[]){ "print", "-o", dir, good, NULL });
	expect(2, "--fail-on is an option of diff", (const char *const[]){ "stats", "--fail-on", "p99>+1%", good, NULL });
	expect(2, "bad --reorder-window", (const char *const[]){ "check", "--reorder-window", "soon", good, NULL });
	expect(2, "bad option", (const char *const[]){ "print", "--colour", good, NULL });
}

static void test_not_a_trace(void **state)
{
	char empty[PATH_MAX + 8], text[PATH_MAX + 64], links[PATH_MAX + 8], target[PATH_MAX + 16];
	int fd;

	(void)state;
	expect(2, "No such file or directory", (const char *const[]){ "print", "/nonexistent/trace", NULL });
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	assert_int_equal(mkdir(empty, 0700), 0);
	expect(2, "not a trace", (const char *const[]){ "stats", empty, NULL });
	/* A symlink to a real trace is not followed inside a directory. */
	snprintf(links, sizeof(links), "%s/links", dir);
	snprintf(target, sizeof(target), "%s/trace", dir);
	assert_int_equal(mkdir(links, 0700), 0);
	snprintf(text, sizeof(text), "%s/t", links);
	assert_int_equal(symlink(target, text), 0);
	expect(2, "not a trace", (const char *const[]){ "print", links, NULL });
	/* A text file. */
	snprintf(text, sizeof(text), "%s/notes.txt", dir);
	fd = open(text, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(write(fd, "hello world\n", 12), 12);
	close(fd);
	expect(2, "not a recorder file", (const char *const[]){ "print", text, NULL });
	expect(2, "/dev/null: not a trace", (const char *const[]){ "print", "/dev/null", NULL });
}

static void test_truncated(void **state)
{
	(void)state;
	expect(2, "truncated", (const char *const[]){ "print", variant("empty.rhr", 0, 0, NULL, 0), NULL });
	expect(2, "truncated", (const char *const[]){ "print", variant("header.rhr", 100, 0, NULL, 0), NULL });
	expect(2, "truncated", (const char *const[]){ "stats", variant("half.rhr", good_size / 2, 0, NULL, 0), NULL });
}

static void test_garbage(void **state)
{
	uint32_t v99 = 99, v0 = 0, three = 3;
	uint8_t junk[64];

	(void)state;
	expect(2, "unsupported recorder format version 99",
	       (const char *const[]){ "print", variant("v99.rhr", good_size, offsetof(struct rhr_header, version), &v99, 4),
				      NULL });
	expect(2, "bad geometry",
	       (const char *const[]){ "check",
				      variant("geometry.rhr", good_size, offsetof(struct rhr_header, num_subbuffers),
					      &three, 4),
				      NULL });
	memset(junk, 0x5a, sizeof(junk));
	expect(2, "bad magic", (const char *const[]){ "print", variant("magic.rhr", good_size, 0, junk, 8), NULL });
	expect(2, "junk.rhr: ", (const char *const[]){ "print", variant("junk.rhr", good_size, 8, junk, sizeof(junk)), NULL });
	/* A header never completed (the process died while starting): skipped, nothing else to read. */
	expect(2, "no readable trace",
	       (const char *const[]){ "print", variant("v0.rhr", good_size, offsetof(struct rhr_header, version), &v0, 4),
				      NULL });
	expect(2, "header never completed",
	       (const char *const[]){ "stats", variant("v0b.rhr", good_size, offsetof(struct rhr_header, version), &v0, 4),
				      NULL });
}

/*
 * Format versions: a file of format version 1 (the seed corpus keeps one
 * file of the version 1 writer, whose payloads differ) and a version
 * newer than this reader's are refused, naming the version and the one
 * this reader reads, never misread.
 */
static void test_versions(void **state)
{
	const char *src = getenv("RHOOK_SOURCE_DIR");
	uint32_t newer = RHR_VERSION + 1;
	char old[PATH_MAX], msg[128];

	(void)state;
	assert_non_null(src);
	snprintf(old, sizeof(old), "%s/tests/fuzz/corpus/v1-overwrite-2buffers.rhr", src);
	expect(2, "unsupported recorder format version 1 (this rhook-read reads version 2)",
	       (const char *const[]){ "print", old, NULL });
	snprintf(msg, sizeof(msg), "unsupported recorder format version %u (this rhook-read reads version %u)", newer,
		 RHR_VERSION);
	expect(2, msg,
	       (const char *const[]){ "print",
				      variant("newer.rhr", good_size, offsetof(struct rhr_header, version), &newer, 4),
				      NULL });
}

/* A damaged record inside committed data: skipped, reported, exit 1; the rest is read. */
static void test_damaged_record(void **state)
{
	struct rdr_proc proc;
	struct rdr_recfile f;
	struct rdr_recpos pos = { 0 };
	char err[256], *out, *errs;
	uint16_t bad_magic = 0xdead;
	const char *path;
	unsigned n = 0;

	(void)state;
	memset(&proc, 0, sizeof(proc));
	assert_int_equal(rdr_recfile_open(&f, good, &proc, err, sizeof(err)), 0);
	{
		struct rdr_stream *s = rdr_recfile_stream(&f, 0);

		while (s->next(s) && ++n < 10)
			pos = rdr_recstream_pos(s);
	}
	rdr_recfile_close(&f);
	assert_true(pos.offset > 0);
	path = variant("damaged.rhr", good_size, pos.offset, &bad_magic, 2);
	assert_int_equal(rr_read(&out, &errs, (const char *const[]){ "print", path, NULL }), 1);
	assert_non_null(strstr(errs, "damaged records were skipped"));
	/* The records before the damage are printed. */
	assert_non_null(strstr(out, "rhook:"));
	free(out);
	free(errs);
}

static void test_bad_ctf(void **state)
{
	char ctf[PATH_MAX + 8], meta[PATH_MAX + 32], file[PATH_MAX + 16];
	int fd;

	(void)state;
	snprintf(ctf, sizeof(ctf), "%s/ctf", dir);
	assert_int_equal(mkdir(ctf, 0700), 0);
	snprintf(meta, sizeof(meta), "%s/metadata", ctf);
	fd = open(meta, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, "/* CTF 1.8 */\ntrace { garbage", 29), 29);
	close(fd);
	expect(2, ctf, (const char *const[]){ "print", ctf, NULL });
	expect(2, ctf, (const char *const[]){ "stats", meta, NULL });
	/* Export onto a file. */
	snprintf(file, sizeof(file), "%s/plain", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	close(fd);
	expect(2, "not a directory", (const char *const[]){ "export", "--ctf", file, good, NULL });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),     cmocka_unit_test(test_not_a_trace),    cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage),   cmocka_unit_test(test_damaged_record), cmocka_unit_test(test_bad_ctf),
		cmocka_unit_test(test_versions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
