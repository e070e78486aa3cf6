/*
 * reader_export.c - rhook-read print, its JSON form and its CTF export
 * against babeltrace2, on real recorder traces of one and of two
 * processes; the export's safety rules.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/scan.h"
#include "reader_common.h"

/* rhook-read @cmd @path... parsed as babeltrace2 text. */
static void read_print(const char *path, const char *path2, struct rt_trace *t, char **text)
{
	char *out, *err;
	int st = rr_read(&out, &err, (const char *const[]){ "print", path, path2, NULL });

	if (st)
		fail_msg("rhook-read print: exit %d\n%s", st, err);
	if (rt_parse_babeltrace(out, t))
		fail_msg("cannot parse rhook-read print output:\n%.2000s", out);
	free(err);
	if (text)
		*text = out;
	else
		free(out);
}

static void export(const char *dir, const char *to)
{
	char *out, *err;
	int st = rr_read(&out, &err, (const char *const[]){ "export", "--ctf", to, dir, NULL });

	if (st)
		fail_msg("rhook-read export: exit %d\n%s", st, err);
	free(out);
	free(err);
}

/* The value of @key in @ev as rhook-read's text prints it, from the JSON object @o. */
static void json_matches(json_t *o, const struct rt_event *ev)
{
	assert_string_equal(json_string_value(json_object_get(o, "event")), ev->name);
	for (size_t i = 0; i < ev->num_fields; i++) {
		json_t *v = json_object_get(o, ev->keys[i]);
		char buf[8192];

		assert_non_null(v);
		if (json_is_integer(v)) {
			snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
			/* Unsigned 64-bit values above INT64_MAX would not fit: none here. */
			assert_string_equal(buf, ev->values[i]);
		} else if (json_is_string(v)) {
			assert_string_equal(json_string_value(v), ev->values[i]);
		} else {
			size_t len = 0;

			assert_true(json_is_array(v));
			buf[0] = '\0';
			for (size_t k = 0; k < json_array_size(v); k++)
				len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", k ? "," : "",
							json_string_value(json_array_get(v, k)));
			assert_string_equal(json_array_size(v) ? buf : "-", ev->values[i]);
		}
	}
}

/* print, print --json and babeltrace2 on the export: the same events, field for field. */
static void test_single_process(void **state)
{
	char dir[PATH_MAX], ctf[PATH_MAX], *text, *out, *err;
	struct rt_trace printed, bt;
	const char *line;
	size_t n = 0;

	(void)state;
	rt_tmpdir(dir, "export");
	rr_tracegen(dir, (const char *const[]){ "--threads", "3", "--rounds", "30", "--fail-every", "7", NULL }, NULL);
	read_print(dir, NULL, &printed, &text);
	assert_true(printed.num_events > 500);
	for (size_t i = 1; i < printed.num_events; i++)
		assert_true(printed.events[i].ts_ns >= printed.events[i - 1].ts_ns);

	rt_tmpdir(ctf, "ctf");
	export(dir, ctf);
	assert_int_equal(rt_babeltrace(ctf, &bt), 0);
	rr_same_events(&printed, &bt, false);

	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "print", "--json", dir, NULL }), 0);
	line = out;
	while (*line) {
		json_error_t jerr;
		const char *end = strchr(line, '\n');
		json_t *o = json_loadb(line, (size_t)(end - line), 0, &jerr);

		if (!o)
			fail_msg("bad JSON line %zu: %s", n, jerr.text);
		assert_true(n < printed.num_events);
		assert_int_equal(json_integer_value(json_object_get(o, "ts")), (json_int_t)printed.events[n].ts_ns);
		json_matches(o, &printed.events[n]);
		json_decref(o);
		n++;
		line = end + 1;
	}
	assert_int_equal(n, printed.num_events);
	free(out);
	free(err);
	free(text);
	rt_trace_free(&printed);
	rt_trace_free(&bt);
	tc_rmtree(ctf);
	tc_rmtree(dir);
}

/* The pids of print's lines, in order. */
static size_t pids_of(const char *text, long *pids, size_t max)
{
	size_t n = 0;

	for (const char *p = strstr(text, "{ pid = "); p && n < max; p = strstr(p + 1, "{ pid = "))
		pids[n++] = strtol(p + 8, NULL, 10);
	return n;
}

static int metadata_files;

static int count_metadata(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	metadata_files += flag == FTW_F && !strcmp(path + strlen(path) - 9, "/metadata");
	return 0;
}

/* Two processes (a fork), two files: one timeline with both pids; two CTF traces. */
static void test_two_processes(void **state)
{
	char dir[PATH_MAX], ctf[PATH_MAX], *text;
	struct rt_trace printed, bt;
	long *pids;
	size_t n, switches = 0;
	int traces = 0;

	(void)state;
	rt_tmpdir(dir, "export2");
	rr_tracegen(dir, (const char *const[]){ "--fork", "--rounds", "25", NULL }, NULL);
	read_print(dir, NULL, &printed, &text);
	pids = calloc(printed.num_events, sizeof(*pids));
	n = pids_of(text, pids, printed.num_events);
	assert_int_equal(n, printed.num_events);
	for (size_t i = 1; i < n; i++) {
		assert_true(printed.events[i].ts_ns >= printed.events[i - 1].ts_ns);
		switches += pids[i] != pids[i - 1];
	}
	/* Both processes are in one timeline. */
	assert_true(switches > 0);

	rt_tmpdir(ctf, "ctf");
	export(dir, ctf);
	metadata_files = 0;
	assert_int_equal(nftw(ctf, count_metadata, 8, FTW_PHYS), 0);
	traces = metadata_files;
	assert_int_equal(traces, 2);
	assert_int_equal(rt_babeltrace(ctf, &bt), 0);
	rr_same_events(&printed, &bt, false);
	free(pids);
	free(text);
	rt_trace_free(&printed);
	rt_trace_free(&bt);
	tc_rmtree(ctf);
	tc_rmtree(dir);
}

/*
 * @report with its "lost: N (...)" line cut to "lost: N": an export keeps
 * the count of lost events, as LTTng's events_discarded, not the reasons.
 */
static char *lost_total_only(char *report)
{
	char *p = strstr(report, "\nlost: "), *open = p ? strchr(p, '(') : NULL, *eol = p ? strchr(p + 1, '\n') : NULL;

	if (!open || !eol || open > eol)
		fail_msg("no lost line in:\n%s", report);
	memmove(open - 1, eol, strlen(eol) + 1);
	return report;
}

/* stats and check read the same from the recorder files and from their export. */
static void test_export_reads_back(void **state)
{
	char dir[PATH_MAX], ctf[PATH_MAX], *a, *b, *err;

	(void)state;
	rt_tmpdir(dir, "export3");
	rr_tracegen(dir, (const char *const[]){ "--threads", "2", "--rounds", "20", "--fail-every", "6", NULL },
		    (const char *const[]){ "RHOOK_TRACE_MODE=overwrite", "RHOOK_TRACE_BUFFER_SIZE=16k",
					   "RHOOK_TRACE_SUBBUFFERS=2", NULL });
	rt_tmpdir(ctf, "ctf");
	export(dir, ctf);
	assert_int_equal(rr_read(&a, &err, (const char *const[]){ "stats", dir, NULL }), 0);
	free(err);
	assert_int_equal(rr_read(&b, &err, (const char *const[]){ "stats", ctf, NULL }), 0);
	free(err);
	/* The small overwrite ring lost events: the count travels with the export. */
	assert_null(strstr(rr_stats_body(a), "lost: 0 "));
	assert_non_null(strstr(rr_stats_body(b), "(discard "));
	assert_string_equal(rr_stats_body(lost_total_only(a)), rr_stats_body(lost_total_only(b)));
	free(a);
	free(b);
	assert_int_equal(rr_read(&a, &err, (const char *const[]){ "check", dir, NULL }), 0);
	free(err);
	assert_int_equal(rr_read(&b, &err, (const char *const[]){ "check", ctf, NULL }), 0);
	free(err);
	assert_string_equal(a, b);
	free(a);
	free(b);
	tc_rmtree(ctf);
	tc_rmtree(dir);
}

/*
 * The events_discarded of the last packet of every stream file of the
 * exported trace in @dir, summed.  The packet layout is the one the
 * metadata declares, LTTng-UST's (bt2_lttng.c compares them): header
 * magic, uuid, stream_id, stream_instance_id; context timestamp_begin,
 * timestamp_end, content_size, packet_size, packet_seq_num,
 * events_discarded, cpu_id.  Packets are numbered from 0 without a gap.
 */
static uint64_t events_discarded(const char *dir)
{
	struct dirent **names;
	uint64_t sum = 0;
	int n = scandir(dir, &names, NULL, alphasort);

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + 300];
		uint8_t *buf;
		struct stat st;
		uint64_t last = 0, seq = 0;
		int fd;

		if (strncmp(names[i]->d_name, "rhook_", 6)) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		fd = open(path, O_RDONLY);
		assert_int_equal(fstat(fd, &st), 0);
		buf = malloc((size_t)st.st_size);
		assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
		close(fd);
		for (size_t off = 0; off < (size_t)st.st_size; seq++) {
			uint32_t magic;
			uint64_t size, num;

			memcpy(&magic, buf + off, 4);
			memcpy(&size, buf + off + 56, 8);
			memcpy(&num, buf + off + 64, 8);
			memcpy(&last, buf + off + 72, 8);
			assert_int_equal(magic, 0xC1FC1FC1u);
			assert_int_equal(num, seq);
			assert_true(size >= 84 * 8 && size % 8 == 0);
			off += size / 8;
		}
		sum += last;
		free(buf);
		free(names[i]);
	}
	free(names);
	return sum;
}

/* A deliberately lossy run: the export's events_discarded are the recorder's counts, read by babeltrace2. */
static void export_lossy(const char *mode)
{
	char dir[PATH_MAX], ctf[PATH_MAX + 8], env_mode[32], msg[256], *out, *err, *p;
	struct rdr_found f = { 0 };
	uint64_t lost, warned = 0;

	rt_tmpdir(dir, "export-lossy");
	snprintf(ctf, sizeof(ctf), "%s/ctf", dir);
	snprintf(env_mode, sizeof(env_mode), "RHOOK_TRACE_MODE=%s", mode);
	rr_tracegen(dir, (const char *const[]){ "--threads", "2", "--rounds", "20", NULL },
		    (const char *const[]){ env_mode, "RHOOK_TRACE_BUFFER_SIZE=16k", "RHOOK_TRACE_SUBBUFFERS=2", NULL });
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "stats", dir, NULL }), 0);
	p = strstr(out, "\nlost: ");
	assert_non_null(p);
	lost = strtoull(p + 7, NULL, 10);
	assert_true(lost > 0);
	free(out);
	free(err);
	export(dir, ctf);
	assert_int_equal(rdr_scan_path(&f, ctf, msg, sizeof(msg)), 0);
	assert_int_equal(f.num_ctf, 1);
	assert_int_equal(events_discarded(f.ctf[0]), lost);
	rdr_found_free(&f);
	/* babeltrace2 reports each increase: the same count in all. */
	assert_int_equal(rt_run((char *[]){ "babeltrace2", ctf, NULL }, NULL, &out, &err), 0);
	for (p = strstr(err, "Tracer discarded "); p; p = strstr(p + 1, "Tracer discarded "))
		warned += strtoull(p + 17, NULL, 10);
	assert_int_equal(warned, lost);
	free(out);
	free(err);
	tc_rmtree(dir);
}

static void test_export_discard_mode(void **state)
{
	(void)state;
	export_lossy("discard");
}

static void test_export_overwrite_mode(void **state)
{
	(void)state;
	export_lossy("overwrite");
}

/* Fails the test unless @path is private: 0700 for a directory, 0600 for a file. */
static int check_private(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	assert_int_equal(st->st_mode & 07777, flag == FTW_D ? 0700 : 0600);
	return 0;
}

/* Private files, no overwriting without --force, no writing through a symlink. */
static void test_export_safety(void **state)
{
	char dir[PATH_MAX], base[PATH_MAX], ctf[PATH_MAX + 8], link[PATH_MAX + 8], victim[PATH_MAX + 8];
	char *out, *err;

	(void)state;
	rt_tmpdir(dir, "export4");
	rr_tracegen(dir, (const char *const[]){ "--threads", "1", "--rounds", "3", NULL }, NULL);
	/* A directory the export creates itself. */
	rt_tmpdir(base, "ctf");
	snprintf(ctf, sizeof(ctf), "%s/out", base);
	export(dir, ctf);
	assert_int_equal(nftw(ctf, check_private, 8, FTW_PHYS), 0);

	/* Not empty: refused without --force, accepted with it. */
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "export", "--ctf", ctf, dir, NULL }), 2);
	assert_non_null(strstr(err, "not empty"));
	free(out);
	free(err);
	assert_int_equal(
		rr_read(&out, &err, (const char *const[]){ "export", "--ctf", ctf, "--force", dir, NULL }), 0);
	free(out);
	free(err);

	/* A symlink planted where the export goes: refused, its target untouched. */
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(mkdir(victim, 0700), 0);
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "export", "--ctf", link, "--force", dir, NULL }),
			 2);
	assert_non_null(strstr(err, "symbolic link"));
	free(out);
	free(err);
	assert_int_equal(rmdir(victim), 0); /* still empty */
	tc_rmtree(base);
	tc_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_process),
		cmocka_unit_test(test_two_processes),
		cmocka_unit_test(test_export_reads_back),
		cmocka_unit_test(test_export_discard_mode),
		cmocka_unit_test(test_export_overwrite_mode),
		cmocka_unit_test(test_export_safety),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
