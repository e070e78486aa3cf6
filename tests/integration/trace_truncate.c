/*
 * trace_truncate.c - trace files that are empty, short, or cut while
 * they are in use: nobody dies, and the loss is reported.
 *
 *  - A directory holding a good trace file and unusable ones (0 bytes,
 *    a header only, half a file, a file whose process died before it
 *    wrote the header): check, stats and print read the good file, warn
 *    about each unusable one by name and reason, and exit 1.  A file
 *    whose process is still writing its header (it holds the file's
 *    lock) is left out with a note, and is no loss: exit 0.
 *  - A file truncated while it is read: rhook-read's decoder (opened,
 *    then the file cut to 0 or to half) ends its streams early and
 *    counts what it lost as damaged; rhook-read itself, cut at random
 *    moments, never dies of a signal.
 *  - A file truncated under its live writer (`: > file`, as logrotate's
 *    copytruncate does, or cut to half): the process goes on, recording
 *    stops with a message, rhook_recorder_stop() says -EIO.
 *  - The recorder's SIGBUS handler takes only its own faults: a host's
 *    handler installed before it still gets the host's faults, and a
 *    host without a handler still dies of its own SIGBUS (and of a
 *    SIGBUS sent to it).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rhook/trace.h>

#include "reader/recfile.h"
#include "reader_common.h"

extern char **environ;

static char root[PATH_MAX], good[PATH_MAX + 300];
static size_t good_size;

/* One recorder file of a real workload, big enough to take a while to print. */
static int setup(void **state)
{
	struct dirent **names;
	char trace[PATH_MAX + 16];
	struct stat st;
	int n;

	(void)state;
	rt_tmpdir(root, "truncate");
	snprintf(trace, sizeof(trace), "%s/trace", root);
	rr_tracegen(trace, (const char *const[]){ "--threads", "2", "--rounds", "1500", "--no-hook", NULL },
		    (const char *const[]){ "RHOOK_TRACE_MODE=discard", "RHOOK_TRACE_BUFFER_SIZE=4m", "RHOOK_TRACE_BUFFERS=2",
					   NULL });
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
	tc_rmtree(root);
	return 0;
}

/* Copies the first @n bytes of the good file to @path. */
static void copy_good(const char *path, size_t n)
{
	int in = open(good, O_RDONLY), out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char buf[65536];

	assert_true(in >= 0 && out >= 0);
	while (n) {
		ssize_t r = read(in, buf, n < sizeof(buf) ? n : sizeof(buf));

		assert_true(r > 0);
		assert_int_equal(write(out, buf, (size_t)r), r);
		n -= (size_t)r;
	}
	close(in);
	close(out);
}

/* A file of the good file's size, all zero: fallocated, its header never written. */
static void zero_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)good_size), 0);
	close(fd);
}

/* `: > path` */
static void truncate_to(const char *path, off_t size)
{
	int fd = open(path, O_WRONLY | (size ? 0 : O_TRUNC));

	assert_true(fd >= 0);
	if (size)
		assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static void test_unusable_files_skipped(void **state)
{
	static const char *const cmds[] = { "check", "stats", "print" };
	char dir[PATH_MAX + 16], path[PATH_MAX + 64];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/mixed", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/a-good.rhr", dir);
	copy_good(path, good_size);
	snprintf(path, sizeof(path), "%s/b-empty.rhr", dir);
	copy_good(path, 0);
	snprintf(path, sizeof(path), "%s/c-header.rhr", dir);
	copy_good(path, 100);
	snprintf(path, sizeof(path), "%s/d-half.rhr", dir);
	copy_good(path, good_size / 2);
	snprintf(path, sizeof(path), "%s/e-noheader.rhr", dir);
	zero_file(path);
	for (unsigned i = 0; i < 3; i++) {
		char *out, *err;
		int st = rr_read(&out, &err, (const char *const[]){ cmds[i], dir, NULL });

		if (st != 1)
			fail_msg("%s of a directory with unusable files: exit %d (want 1)\n%s", cmds[i], st, err);
		if (!strstr(err, "b-empty.rhr: skipped: truncated: 0 bytes") ||
		    !strstr(err, "c-header.rhr: skipped: truncated: 100 bytes") ||
		    !strstr(err, "d-half.rhr: skipped: truncated") ||
		    !strstr(err, "e-noheader.rhr: skipped: header never completed") ||
		    !strstr(err, "4 unusable inputs were skipped"))
			fail_msg("%s: each skipped file must be named with its reason; stderr:\n%s", cmds[i], err);
		/* The good file was read all the same. */
		if (!strcmp(cmds[i], "print"))
			assert_non_null(strstr(out, "rhook:manifest_commit"));
		else if (!strcmp(cmds[i], "stats"))
			assert_non_null(strstr(out, "manifest_commit"));
		else
			assert_null(strstr(out, "VIOLATION"));
		free(out);
		free(err);
	}
}

/* A process creating its file (it holds the file's lock, no header yet) is no loss. */
static void test_file_being_created(void **state)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = RHR_LOCK_LEN };
	char dir[PATH_MAX + 16], path[PATH_MAX + 64], *out, *err;
	int fd, st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/creating", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/a-good.rhr", dir);
	copy_good(path, good_size);
	snprintf(path, sizeof(path), "%s/b-starting.rhr", dir);
	zero_file(path);
	/* What the writer holds from the file's creation (src/wire/recorder_format.h). */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &lk), 0);
	st = rr_read(&out, &err, (const char *const[]){ "stats", dir, NULL });
	if (st != 0 || !strstr(err, "note: ") || !strstr(err, "b-starting.rhr: skipped: header not complete yet"))
		fail_msg("a file being created: exit %d (want 0), stderr:\n%s", st, err);
	free(out);
	free(err);
	/* Its writer gone, the same file is a loss. */
	close(fd);
	st = rr_read(&out, &err, (const char *const[]){ "stats", dir, NULL });
	if (st != 1 || !strstr(err, "b-starting.rhr: skipped: header never completed"))
		fail_msg("a file whose writer died while creating it: exit %d (want 1), stderr:\n%s", st, err);
	free(out);
	free(err);
}

/* Opens a copy of the good file, cuts it to @size, then reads every stream. */
static void read_after_cut(off_t size)
{
	char path[PATH_MAX + 16], err[256];
	struct rdr_proc proc;
	struct rdr_recfile f;
	uint64_t before = 0, after = 0;

	snprintf(path, sizeof(path), "%s/cut.rhr", root);
	copy_good(path, good_size);
	memset(&proc, 0, sizeof(proc));
	assert_int_equal(rdr_recfile_open(&f, path, &proc, err, sizeof(err)), 0);
	/* The whole file's worth of events, counted on a second decoder of an intact copy. */
	{
		struct rdr_proc p2;
		struct rdr_recfile g;

		memset(&p2, 0, sizeof(p2));
		assert_int_equal(rdr_recfile_open(&g, good, &p2, err, sizeof(err)), 0);
		for (uint32_t i = 0; i < g.num_streams; i++) {
			struct rdr_stream *s = rdr_recfile_stream(&g, i);

			while (s->next(s))
				before++;
		}
		rdr_recfile_close(&g);
	}
	truncate_to(path, size);
	for (uint32_t i = 0; i < f.num_streams; i++) {
		struct rdr_stream *s = rdr_recfile_stream(&f, i);

		while (s->next(s))
			after++;
	}
	assert_true(f.truncated);
	assert_true(proc.lost.damaged > 0);
	assert_true(after < before);
	/* Nothing is lost without being counted (a sub-buffer counts at least one). */
	assert_true(after + proc.lost.damaged >= before);
	rdr_recfile_close(&f);
	unlink(path);
}

static void test_cut_while_decoding(void **state)
{
	(void)state;
	read_after_cut(0);
	read_after_cut((off_t)good_size / 2);
}

/* rhook-read print on a file cut at a random moment: an exit status, never a signal. */
static void test_cut_under_rhook_read(void **state)
{
	char path[PATH_MAX + 16];
	unsigned cut_while_running = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/race.rhr", root);
	srand((unsigned)getpid());
	for (unsigned round = 0; round < 8; round++) {
		char *argv[] = { strdup(rt_bin("rhook-read")), "print", path, NULL };
		posix_spawn_file_actions_t fa;
		struct timespec delay = { 0, (rand() % 40) * 1000000L };
		int status;
		pid_t pid;

		copy_good(path, good_size);
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
		assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
		posix_spawn_file_actions_destroy(&fa);
		nanosleep(&delay, NULL);
		truncate_to(path, round % 2 ? 0 : (off_t)good_size / 3);
		/* Still running after the cut, or done before it came (then nothing to see this round). */
		if (waitpid(pid, &status, WNOHANG) == 0) {
			cut_while_running++;
			assert_int_equal(waitpid(pid, &status, 0), pid);
		}
		if (WIFSIGNALED(status))
			fail_msg("round %u: rhook-read killed by signal %d when its input was truncated", round,
				 WTERMSIG(status));
		free(argv[0]);
	}
	fprintf(stderr, "trace_truncate: %u of 8 cuts came while rhook-read was running\n", cut_while_running);
}

/* Starts a child with its stderr in @errfile; the child runs @fn and exits with its result. */
static pid_t fork_child(const char *errfile, int (*fn)(const char *), const char *arg)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		/* A host of its own: not cmocka's handler, nor the decoder's guard of the tests before. */
		signal(SIGBUS, SIG_DFL);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(100);
		_exit(fn(arg));
	}
	return pid;
}

static char *slurp(const char *path)
{
	char *buf = calloc(1, 65536);
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_true(read(fd, buf, 65535) >= 0);
	close(fd);
	return buf;
}

/* The child's side of test_cut_under_writer: @arg is "DIR" or "DIR/half". */
static int writer_child(const char *arg)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .buffer_size = 1 << 20, .num_buffers = 1,
					     .mode = RHOOK_RECORDER_OVERWRITE };
	char cut[PATH_MAX + 32], path[PATH_MAX];
	struct stat st;
	int ret;

	cfg.dir = arg;
	if (rhook_recorder_start(&cfg) || rhook_recorder_path(path, sizeof(path)))
		return 10;
	snprintf(cut, sizeof(cut), "%s/cut", arg);
	/* Record until the parent has cut the file and said so, then some more. */
	for (uint64_t i = 0; stat(cut, &st); i++) {
		rhook_trace_flush_begin(1, i, i);
		if (!(i % 1024))
			usleep(100);
	}
	for (uint64_t i = 0; i < 1000000; i++)
		rhook_trace_flush_begin(1, i, i);
	ret = rhook_recorder_stop();
	/* Recording is off: events are no-ops now, and a new recorder starts. */
	rhook_trace_flush_begin(1, 0, 0);
	if (ret != -EIO)
		return 11;
	if (rhook_recorder_start(&cfg) || rhook_recorder_stop())
		return 12;
	return 0;
}

static void cut_under_writer(bool half)
{
	char dir[PATH_MAX + 16], errfile[PATH_MAX + 16], cut[PATH_MAX + 32], *err;
	struct dirent **names;
	char path[PATH_MAX + 300] = "";
	int status, n, fd;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/writer%d", root, half);
	snprintf(errfile, sizeof(errfile), "%s/writer%d.err", root, half);
	snprintf(cut, sizeof(cut), "%s/cut", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	pid = fork_child(errfile, writer_child, dir);
	for (int i = 0; i < 1000 && !path[0]; i++) {
		usleep(10000);
		n = scandir(dir, &names, NULL, alphasort);
		for (int k = 0; k < n; k++) {
			if (strstr(names[k]->d_name, ".rhr"))
				snprintf(path, sizeof(path), "%s/%s", dir, names[k]->d_name);
			free(names[k]);
		}
		free(names);
	}
	assert_true(path[0]);
	usleep(50000); /* well into recording */
	truncate_to(path, half ? (off_t)(RHR_HEADER_SIZE + 4096) : 0);
	fd = open(cut, O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	err = slurp(errfile);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("the writer of a file cut to %s did not survive (status %#x):\n%s", half ? "half" : "0 bytes",
			 status, err);
	if (!strstr(err, "rhook: recorder: lost its trace file") || !strstr(err, path))
		fail_msg("the writer did not say it lost %s:\n%s", path, err);
	free(err);
}

static void test_cut_under_writer(void **state)
{
	(void)state;
	cut_under_writer(false);
	cut_under_writer(true);
}

static sigjmp_buf host_jb;

static void host_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	siglongjmp(host_jb, 1);
}

/* Maps a one-page file of the host's own under @dir, then cuts it: touching it faults. */
static volatile char *host_mapping(const char *dir)
{
	char path[PATH_MAX + 16];
	volatile char *p;
	int fd;

	snprintf(path, sizeof(path), "%s/host-own", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4096))
		_exit(20);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || ftruncate(fd, 0))
		_exit(21);
	close(fd);
	return p;
}

static int start_recording(const char *dir)
{
	struct rhook_recorder_config cfg = { .size = sizeof(cfg), .dir = dir, .buffer_size = 64 * 1024, .num_buffers = 1 };

	return rhook_recorder_start(&cfg);
}

/* A host with its own SIGBUS handler, installed before the recorder's. */
static int host_with_handler(const char *dir)
{
	struct sigaction sa;
	volatile char *p = host_mapping(dir);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = host_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	if (start_recording(dir))
		return 22;
	rhook_trace_flush_begin(1, 1, 1);
	if (sigsetjmp(host_jb, 1) == 0) {
		p[0] = 1; /* the host's own fault */
		return 23; /* not reached: the handler jumps */
	}
	/* The host's handler got its fault; recording goes on. */
	rhook_trace_flush_begin(1, 2, 2);
	return rhook_recorder_stop() ? 24 : 42;
}

/* A host with the default SIGBUS action faults on its own mapping. */
static int host_default(const char *dir)
{
	volatile char *p = host_mapping(dir);

	if (start_recording(dir))
		return 30;
	rhook_trace_flush_begin(1, 1, 1);
	p[0] = 1;
	return 31; /* not reached: killed */
}

/* A host with the default SIGBUS action is sent SIGBUS. */
static int host_sent_sigbus(const char *dir)
{
	if (start_recording(dir))
		return 40;
	rhook_trace_flush_begin(1, 1, 1);
	kill(getpid(), SIGBUS);
	return 41; /* not reached: killed */
}

static void test_host_sigbus_kept(void **state)
{
	char dir[PATH_MAX + 16], errfile[PATH_MAX + 16];
	int status;
	pid_t pid;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/host", root);
	snprintf(errfile, sizeof(errfile), "%s/host.err", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	pid = fork_child(errfile, host_with_handler, dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 42)
		fail_msg("a host's own SIGBUS handler did not get its fault (status %#x)", status);
	pid = fork_child(errfile, host_default, dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGBUS)
		fail_msg("a host faulting on its own truncated mapping was not killed by SIGBUS (status %#x)", status);
	pid = fork_child(errfile, host_sent_sigbus, dir);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGBUS)
		fail_msg("a host sent SIGBUS was not killed by it (status %#x)", status);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unusable_files_skipped),
		cmocka_unit_test(test_file_being_created),
		cmocka_unit_test(test_cut_while_decoding),
		cmocka_unit_test(test_cut_under_rhook_read),
		cmocka_unit_test(test_cut_under_writer),
		cmocka_unit_test(test_host_sigbus_kept),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
