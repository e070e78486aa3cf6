/*
 * bt2_plugin.c - the babeltrace2 plugin (source.rhook.recorder) through
 * the real babeltrace2 program, on a real demo trace (rhook-demo and its
 * compactor: two processes) and on deliberately lossy traces.
 *
 * Automatic discovery prints the recorder trace as rhook-read print does,
 * event for event; losses come as babeltrace2's discarded-events
 * warnings with the recorder's counts; flt.utils.trimmer, sink.ctf.fs and
 * sink.text.details work on it (flt.utils.muxer with an LTTng trace of
 * the same run: bt2_lttng.c); damaged input is an error babeltrace2
 * reports (or, for damaged records, a warning and a discard), never a
 * crash.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bt2_common.h"
#include "reader/recfile.h"
#include "reader/scan.h"
#include "wire/events.h"

static char base[PATH_MAX], demo[PATH_MAX + 16];

static int setup(void **state)
{
	char work[PATH_MAX + 8];

	(void)state;
	rt_tmpdir(base, "bt2");
	snprintf(work, sizeof(work), "%s/demo", base);
	snprintf(demo, sizeof(demo), "%s/trace", work);
	return rt_demo(work, (const char *const[]){ "--seconds", "2", NULL }) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	tc_rmtree(base);
	return 0;
}

/* Number of distinct values of @key over @t's events. */
static size_t distinct(const struct rt_trace *t, const char *key)
{
	char seen[8][32];
	size_t n = 0;

	for (size_t i = 0; i < t->num_events; i++) {
		const char *v = rt_field(&t->events[i], key);
		size_t k = 0;

		assert_non_null(v);
		while (k < n && strcmp(seen[k], v))
			k++;
		if (k == n && n < 8)
			snprintf(seen[n++], sizeof(seen[0]), "%s", v);
	}
	return n;
}

/* `babeltrace2 --plugin-path=DIR TRACE`: found with no other step, printed as rhook-read prints it. */
static void test_discovered_like_print(void **state)
{
	struct rt_trace printed, bt;
	char *err;

	(void)state;
	rb_read_print(demo, &printed);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", demo, NULL }, &bt, &err);
	assert_true(printed.num_events > 50);
	/* Same times, names, fields and values; vpid/vtid are print's pid/tid. */
	rr_same_events(&printed, &bt, false);
	/* Both processes, each with its LTTng contexts. */
	assert_int_equal(distinct(&bt, "vpid"), 2);
	assert_int_equal(distinct(&bt, "procname"), 2);
	assert_non_null(rt_field(&bt.events[0], "cpu_id"));
	assert_null(strstr(err, "ERROR"));
	free(err);
	rt_trace_free(&printed);
	rt_trace_free(&bt);
}

/* A recorder file given alone, and two inputs at once, are found too. */
static void test_discovered_files(void **state)
{
	char sub[PATH_MAX + 16], *out, *err;
	struct rt_trace all, one;
	size_t n;

	(void)state;
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", demo, NULL }, &all, NULL);
	/* The trace directory's parent: babeltrace2 searches it and finds the recorder directory. */
	snprintf(sub, sizeof(sub), "%s/demo", base);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", sub, NULL }, &one, NULL);
	assert_int_equal(one.num_events, all.num_events);
	rt_trace_free(&one);
	/* Each file on its own: together they hold every event. */
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "stats", demo, NULL }), 0);
	free(err);
	n = 0;
	for (char *p = strstr(out, ".rhr: "); p; p = strstr(p + 1, ".rhr: ")) {
		char *start = p, path[PATH_MAX + 64];
		struct rt_trace t;

		while (start > out && start[-1] != ' ')
			start--;
		snprintf(path, sizeof(path), "%.*s.rhr", (int)(p - start), start);
		rb_print((const char *const[]){ "--clock-seconds", "--no-delta", path, NULL }, &t, NULL);
		n += t.num_events;
		rt_trace_free(&t);
	}
	free(out);
	assert_int_equal(n, all.num_events);
	rt_trace_free(&all);
}

/*
 * A lossy run: babeltrace2 warns about discarded events with exactly the
 * recorder's count, and keeps warning after a round trip through
 * sink.ctf.fs, which writes them as CTF packet contexts.
 */
static void lossy(const char *mode)
{
	char dir[PATH_MAX], ctf[PATH_MAX + 8], env_mode[32];
	struct rt_trace direct, again, printed;
	char *err, *err2;
	uint64_t lost;

	/* Under base: the group's teardown removes it whatever happens. */
	if (snprintf(dir, sizeof(dir), "%s/lossy-%s", base, mode) >= (int)sizeof(dir))
		fail_msg("path too long");
	snprintf(ctf, sizeof(ctf), "%s/ctf", dir);
	snprintf(env_mode, sizeof(env_mode), "RHOOK_TRACE_MODE=%s", mode);
	rr_tracegen(dir, (const char *const[]){ "--threads", "2", "--rounds", "20", NULL },
		    (const char *const[]){ env_mode, "RHOOK_TRACE_BUFFER_SIZE=16k", "RHOOK_TRACE_SUBBUFFERS=2", NULL });
	lost = rb_lost(dir);
	assert_true(lost > 0);

	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", dir, NULL }, &direct, &err);
	assert_int_equal(rb_discarded(err), lost);
	rb_read_print(dir, &printed);
	rr_same_events(&printed, &direct, false);

	assert_int_equal(rb_run((const char *const[]){ dir, "-o", "ctf", "-w", ctf, NULL }, NULL, NULL, NULL), 0);
	/* The written trace needs no plugin: plain babeltrace2 reads it, losses included. */
	assert_int_equal(rt_run((char *[]){ "babeltrace2", "--clock-seconds", "--no-delta", ctf, NULL }, NULL, NULL,
				&err2),
			 0);
	assert_int_equal(rb_discarded(err2), lost);
	assert_int_equal(rb_discard_warnings(err2), rb_discard_warnings(err));
	assert_int_equal(rt_babeltrace(ctf, &again), 0);
	rr_same_events(&direct, &again, false);
	assert_int_equal(rb_lost(ctf), lost);
	free(err);
	free(err2);
	rt_trace_free(&direct);
	rt_trace_free(&again);
	rt_trace_free(&printed);
}

static void test_lossy_discard(void **state)
{
	(void)state;
	lossy("discard");
}

static void test_lossy_overwrite(void **state)
{
	(void)state;
	lossy("overwrite");
}

/* "sec.nnnnnnnnn" of @ns, as babeltrace2's --begin and --end take it. */
static void ts_text(char *out, size_t size, const char *opt, uint64_t ns)
{
	snprintf(out, size, "%s=%" PRIu64 ".%09" PRIu64, opt, ns / 1000000000, ns % 1000000000);
}

/* "--begin=HH:MM:SS.nnnnnnnnn" of @ns (UTC, no date). */
static void time_text(char *out, size_t size, const char *opt, uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, size, "%s=%02d:%02d:%02d.%09" PRIu64, opt, tm.tm_hour, tm.tm_min, tm.tm_sec, ns % 1000000000);
}

/*
 * flt.utils.trimmer (--begin/--end): exactly the events of the range,
 * whether the times are seconds from the epoch, or times of day whose
 * date the trimmer takes from the first message (it then seeks the
 * source back to the beginning, which reads the files again).
 */
static void test_trimmer(void **state)
{
	struct rt_trace printed, trimmed, want;
	char begin[64], end[64];
	uint64_t t1, t2;

	(void)state;
	rb_read_print(demo, &printed);
	t1 = printed.events[printed.num_events / 4].ts_ns;
	t2 = printed.events[printed.num_events * 3 / 4].ts_ns;
	ts_text(begin, sizeof(begin), "--begin", t1);
	ts_text(end, sizeof(end), "--end", t2);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", begin, end, demo, NULL }, &trimmed, NULL);
	want = printed;
	want.num_events = 0;
	want.events = calloc(printed.num_events, sizeof(*want.events));
	for (size_t i = 0; i < printed.num_events; i++)
		if (printed.events[i].ts_ns >= t1 && printed.events[i].ts_ns <= t2)
			want.events[want.num_events++] = printed.events[i];
	assert_true(want.num_events >= printed.num_events / 4 && want.num_events < printed.num_events);
	rr_same_events(&want, &trimmed, false);
	rt_trace_free(&trimmed);
	time_text(begin, sizeof(begin), "--begin", t1);
	time_text(end, sizeof(end), "--end", t2);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", "--clock-gmt", begin, end, demo, NULL },
		 &trimmed, NULL);
	/* (Unless the trace straddles midnight UTC: times of day would then name two dates.) */
	if (printed.events[0].ts_ns / 86400000000000 == printed.events[printed.num_events - 1].ts_ns / 86400000000000)
		rr_same_events(&want, &trimmed, false);
	free(want.events);
	rt_trace_free(&printed);
	rt_trace_free(&trimmed);
}

/* sink.ctf.fs (-o ctf -w DIR): a CTF trace that plain babeltrace2 and rhook-read read alike. */
static void test_sink_ctf_fs(void **state)
{
	char out_dir[PATH_MAX + 16];
	struct rt_trace direct, plain, printed, again;

	(void)state;
	snprintf(out_dir, sizeof(out_dir), "%s/sink-ctf", base);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", demo, NULL }, &direct, NULL);
	assert_int_equal(rb_run((const char *const[]){ demo, "-o", "ctf", "-w", out_dir, NULL }, NULL, NULL, NULL), 0);
	assert_int_equal(rt_babeltrace(out_dir, &plain), 0);
	rr_same_events(&direct, &plain, false);
	rb_read_print(demo, &printed);
	rb_read_print(out_dir, &again);
	rr_same_events(&printed, &again, false);
	rt_trace_free(&direct);
	rt_trace_free(&plain);
	rt_trace_free(&printed);
	rt_trace_free(&again);
	tc_rmtree(out_dir);
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* sink.text.details: the classes once per trace, every event, stream and packet. */
static void test_details(void **state)
{
	struct rt_trace printed;
	char *out, *err;

	(void)state;
	rb_read_print(demo, &printed);
	assert_int_equal(rb_run((const char *const[]){ demo, "-c", "sink.text.details", NULL }, NULL, &out, &err), 0);
	assert_int_equal(count(out, "Event class `rhook:"), 2 * (size_t)RHW_EV_MAX_ID);
	assert_int_equal(count(out, "Event `rhook:"), printed.num_events);
	assert_int_equal(count(out, "Stream beginning:"), count(out, "Stream end"));
	assert_int_equal(count(out, "Packet beginning:"), count(out, "Packet end"));
	assert_non_null(strstr(out, "tracer_name: lttng-ust"));
	assert_non_null(strstr(out, "rhook_source: flight-recorder"));
	free(out);
	free(err);
	rt_trace_free(&printed);
}

/* The weight the support-info query gives @input of @type. */
static double weight(const char *input, const char *type)
{
	char params[PATH_MAX + 64], *out, *err, *w;
	double v;

	snprintf(params, sizeof(params), "input=\"%s\",type=\"%s\"", input, type);
	assert_int_equal(rb_run((const char *const[]){ "query", "source.rhook.recorder", "babeltrace.support-info",
						       "--params", params, NULL },
				NULL, &out, &err),
			 0);
	w = strstr(out, "weight: ");
	assert_non_null(w);
	v = strtod(w + 8, NULL);
	free(out);
	free(err);
	return v;
}

/* What the plugin claims: recorder files and directories, never a CTF trace or another file. */
static void test_support_info(void **state)
{
	char ctf[PATH_MAX + 16], e[256], *out, *err;
	struct rdr_found f = { 0 };

	(void)state;
	snprintf(ctf, sizeof(ctf), "%s/ctf", base);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "export", "--ctf", ctf, demo, NULL }), 0);
	free(out);
	free(err);
	assert_true(weight(demo, "directory") > 0.5);
	assert_true(weight(base, "directory") == 0.0);
	assert_true(weight(demo, "string") == 0.0);
	/* The export is source.ctf.fs's: neither its directories nor its files are claimed. */
	assert_int_equal(rdr_scan_path(&f, ctf, e, sizeof(e)), 0);
	assert_int_equal(f.num_ctf, 2);
	assert_true(weight(f.ctf[0], "directory") == 0.0);
	snprintf(e, sizeof(e), "%s/metadata", f.ctf[0]);
	assert_true(weight(e, "file") == 0.0);
	rdr_found_free(&f);
	assert_int_equal(rdr_scan_path(&f, demo, e, sizeof(e)), 0);
	assert_true(f.num_rec >= 2);
	assert_true(weight(f.rec[0], "file") == 1.0);
	rdr_found_free(&f);
	tc_rmtree(ctf);
}

/* A truncated file: babeltrace2 fails with the decoder's reason from the component. */
static void test_bad_file(void **state)
{
	char path[PATH_MAX + 32], *out, *err;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/trunc.rhr", base);
	{
		struct rdr_found f = { 0 };
		char e[256], buf[8192];
		int in;

		assert_int_equal(rdr_scan_path(&f, demo, e, sizeof(e)), 0);
		in = open(f.rec[0], O_RDONLY);
		assert_int_equal(read(in, buf, sizeof(buf)), (ssize_t)sizeof(buf));
		close(in);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
		close(fd);
		rdr_found_free(&f);
	}
	assert_int_not_equal(rb_run((const char *const[]){ path, NULL }, NULL, &out, &err), 0);
	assert_non_null(strstr(err, "source.rhook.recorder"));
	assert_non_null(strstr(err, "truncated: 8192 bytes"));
	free(out);
	free(err);
	unlink(path);
}

/* @dst: the first @size bytes of @src, or (@zero) @size zero bytes, as a file never written. */
static void make_file(const char *dst, const char *src, size_t size, bool zero)
{
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char *buf = malloc(size ? size : 1);
	int in;

	assert_true(out >= 0);
	assert_non_null(buf);
	if (zero) {
		assert_int_equal(ftruncate(out, (off_t)size), 0);
	} else {
		in = open(src, O_RDONLY);
		assert_int_equal(read(in, buf, size), (ssize_t)size);
		close(in);
		assert_int_equal(write(out, buf, size), (ssize_t)size);
	}
	free(buf);
	close(out);
}

/*
 * Unusable files among a good one: the plugin skips exactly what
 * rhook-read skips with a warning (rdr_reader_add_recorder(), one
 * rule), names each with the same reason, and reads the good file; a
 * file its process is still creating is left out without a warning
 * (with --log-level=INFO, a note).  Alone, unusable files are the
 * component's error, every reason among its causes.
 */
static void test_unusable_skipped(void **state)
{
	static const char *const reasons[] = { "b-empty.rhr: skipped: truncated: 0 bytes",
						"c-header.rhr: skipped: truncated: 100 bytes",
						"d-half.rhr: skipped: truncated", "e-noheader.rhr: skipped: header never completed" };
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = RHR_LOCK_LEN };
	char dir[PATH_MAX + 16], good[PATH_MAX + 64], path[PATH_MAX + 64], e[256], *out, *err, *rerr;
	struct rdr_found f = { 0 };
	struct rt_trace alone, mixed;
	struct stat st;
	int fd;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/mixed", base);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(rdr_scan_path(&f, demo, e, sizeof(e)), 0);
	assert_int_equal(stat(f.rec[0], &st), 0);
	snprintf(good, sizeof(good), "%s/a-good.rhr", dir);
	make_file(good, f.rec[0], (size_t)st.st_size, false);
	rb_read_print(good, &alone);
	snprintf(path, sizeof(path), "%s/b-empty.rhr", dir);
	make_file(path, good, 0, false);
	snprintf(path, sizeof(path), "%s/c-header.rhr", dir);
	make_file(path, good, 100, false);
	snprintf(path, sizeof(path), "%s/d-half.rhr", dir);
	make_file(path, good, (size_t)st.st_size / 2, false);
	snprintf(path, sizeof(path), "%s/e-noheader.rhr", dir);
	make_file(path, NULL, (size_t)st.st_size, true);
	rdr_found_free(&f);

	/* rhook-read: the good file read, each other one a warning, exit 1. */
	assert_int_equal(rr_read(&out, &rerr, (const char *const[]){ "stats", dir, NULL }), 1);
	free(out);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", dir, NULL }, &mixed, &err);
	rr_same_events(&alone, &mixed, false);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (!strstr(rerr, reasons[i]) || !strstr(err, reasons[i]))
			fail_msg("`%s` missing; rhook-read's stderr:\n%s\nbabeltrace2's stderr:\n%s", reasons[i], rerr, err);
	}
	assert_null(strstr(err, "ERROR"));
	free(err);
	free(rerr);
	rt_trace_free(&mixed);

	/* A file being created (its writer holds the lock, no header yet): no loss, no warning. */
	snprintf(path, sizeof(path), "%s/f-starting.rhr", dir);
	make_file(path, NULL, (size_t)st.st_size, true);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &lk), 0);
	rb_print((const char *const[]){ "--clock-seconds", "--no-delta", dir, NULL }, &mixed, &err);
	rr_same_events(&alone, &mixed, false);
	assert_null(strstr(err, "f-starting.rhr"));
	free(err);
	rt_trace_free(&mixed);
	assert_int_equal(rb_run((const char *const[]){ dir, "--log-level=INFO", NULL }, NULL, &out, &err), 0);
	if (!strstr(err, "INFO: [source.rhook.recorder]") || !strstr(err, "f-starting.rhr: skipped: header not complete yet"))
		fail_msg("no note about the file being created:\n%s", err);
	free(out);
	free(err);
	close(fd);

	/* Without the good file nothing is readable: an error whose causes give every reason. */
	assert_int_equal(unlink(good), 0);
	assert_int_not_equal(rb_run((const char *const[]){ dir, NULL }, NULL, &out, &err), 0);
	assert_non_null(strstr(err, "no readable recorder file"));
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (!strstr(err, reasons[i]))
			fail_msg("`%s` missing from the error:\n%s", reasons[i], err);
	}
	free(out);
	free(err);
	rt_trace_free(&alone);
}

/* A damaged record: the rest is printed, the loss announced, a warning given. */
static void test_damaged_record(void **state)
{
	char dir[PATH_MAX], e[256], *out, *err;
	struct rdr_proc proc;
	struct rdr_recfile f;
	struct rdr_recpos pos = { 0 };
	struct rdr_found found = { 0 };
	uint16_t bad_magic = 0xdead;
	unsigned n = 0;
	int fd;

	(void)state;
	if (snprintf(dir, sizeof(dir), "%s/damaged", base) >= (int)sizeof(dir))
		fail_msg("path too long");
	rr_tracegen(dir, (const char *const[]){ "--threads", "1", "--rounds", "5", NULL },
		    (const char *const[]){ "RHOOK_TRACE_BUFFER_SIZE=64k", "RHOOK_TRACE_BUFFERS=2", NULL });
	assert_int_equal(rdr_scan_path(&found, dir, e, sizeof(e)), 0);
	memset(&proc, 0, sizeof(proc));
	assert_int_equal(rdr_recfile_open(&f, found.rec[0], &proc, e, sizeof(e)), 0);
	{
		struct rdr_stream *s = rdr_recfile_stream(&f, 0);

		while (s->next(s) && ++n < 10)
			pos = rdr_recstream_pos(s);
	}
	rdr_recfile_close(&f);
	fd = open(found.rec[0], O_WRONLY);
	assert_int_equal(pwrite(fd, &bad_magic, 2, (off_t)pos.offset), 2);
	close(fd);
	rdr_found_free(&found);
	assert_int_equal(rb_run((const char *const[]){ dir, NULL }, NULL, &out, &err), 0);
	assert_non_null(strstr(err, "damaged records were skipped"));
	assert_true(rb_discarded(err) >= 1);
	assert_non_null(strstr(out, "rhook:"));
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovered_like_print),
		cmocka_unit_test(test_discovered_files),
		cmocka_unit_test(test_lossy_discard),
		cmocka_unit_test(test_lossy_overwrite),
		cmocka_unit_test(test_trimmer),
		cmocka_unit_test(test_sink_ctf_fs),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_support_info),
		cmocka_unit_test(test_bad_file),
		cmocka_unit_test(test_unusable_skipped),
		cmocka_unit_test(test_damaged_record),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
