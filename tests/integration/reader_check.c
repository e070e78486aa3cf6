/*
 * reader_check.c - rhook-read check passes on real traces and fails on
 * damaged ones, one damaged trace per rule, each failing that rule only.
 *
 * A damaged trace is a real recording patched in place: the records are
 * found with the reader's own decoder, in time order, and one field is
 * rewritten, so that the file stays well-formed and only the contract
 * is broken.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <rhook/manifest.h>

#include "reader/merge.h"
#include "reader/recfile.h"
#include "reader/schema.h"
#include "reader_common.h"

#define MAX_RECS 20000

/* A record of the trace: where it is and what it holds. */
struct rec {
	size_t off; /* of the record header in the file */
	unsigned id;
	union {
		struct rhw_ev_manifest_commit commit;
		struct rhw_ev_manifest_updated updated;
		struct rhw_ev_sst_file_written sst;
		uint8_t raw[128];
	} p;
	uint16_t num_added;
};

static struct rec recs[MAX_RECS];
static size_t num_recs;
static char trace_dir[PATH_MAX], trace_file[PATH_MAX + 300];

/* The one recorder file of @dir. */
static void find_file(const char *dir, char *out, size_t size)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), found = 0;

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		if (strstr(names[i]->d_name, ".rhr")) {
			snprintf(out, size, "%s/%s", dir, names[i]->d_name);
			found++;
		}
		free(names[i]);
	}
	free(names);
	assert_int_equal(found, 1);
}

/* Every record of @path in time order, into recs[]. */
static void collect(const char *path)
{
	struct rdr_proc proc;
	struct rdr_recfile f;
	struct rdr_merge m;
	const struct rdr_event *ev;
	char err[256];

	memset(&proc, 0, sizeof(proc));
	if (rdr_recfile_open(&f, path, &proc, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	{
		struct rdr_stream *streams[64];

		assert_true(f.num_streams <= 64);
		for (uint32_t i = 0; i < f.num_streams; i++)
			streams[i] = rdr_recfile_stream(&f, i);
		assert_int_equal(rdr_merge_init(&m, streams, f.num_streams), 0);
		num_recs = 0;
		while ((ev = rdr_merge_next(&m))) {
			struct rec *r = &recs[num_recs++];
			const struct rdr_event_desc *d = rdr_schema_event(ev->id);

			assert_true(num_recs < MAX_RECS);
			r->off = rdr_recstream_pos(m.streams[m.heap[0].stream]).offset;
			r->id = ev->id;
			memcpy(r->p.raw, ev->payload, d->payload_size);
			r->num_added = ev->list_len[0]; /* files_added, list 0 of manifest_updated */
		}
		rdr_merge_free(&m);
	}
	rdr_recfile_close(&f);
}

static void patch(size_t off, const void *bytes, size_t n)
{
	int fd = open(trace_file, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
	close(fd);
}

/* Offset in the file of field @field of record @r's payload. */
#define FIELD_AT(r, type, field) ((r)->off + sizeof(struct rhr_record) + offsetof(type, field))

/* Runs check on the trace; returns its exit status, its report in *out. */
static int check(char **out)
{
	char *err;
	int st = rr_read(out, &err, (const char *const[]){ "check", trace_dir, NULL });

	free(err);
	return st;
}

/* A fresh real trace: 3 threads, failed writes included, into trace_dir. */
static int setup(void **state)
{
	(void)state;
	rt_tmpdir(trace_dir, "check");
	rr_tracegen(trace_dir, (const char *const[]){ "--threads", "3", "--rounds", "30", "--fail-every", "7", NULL },
		    NULL);
	find_file(trace_dir, trace_file, sizeof(trace_file));
	collect(trace_file);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tc_rmtree(trace_dir);
	return 0;
}

/* The report fails @rule and passes the three others. */
static void fails_only(const char *report, const char *rule)
{
	static const char *const rules[] = { "receipt-after-commit", "version-order", "notified-once", "sst-added" };

	for (size_t i = 0; i < 4; i++) {
		char want[64];

		snprintf(want, sizeof(want), "\n%-22s %s", rules[i], strcmp(rules[i], rule) ? "ok" : "FAILED");
		if (!strstr(report, want))
			fail_msg("expected '%s' in:\n%s", want + 1, report);
	}
	assert_non_null(strstr(report, "check: FAILED"));
}

static void test_real_trace_passes(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(check(&out), 0);
	assert_non_null(strstr(out, "check: OK"));
	/* Failed flushes left SSTs that were never committed: reported, not violations. */
	assert_non_null(strstr(out, "SSTs of failed flushes or compactions never added (expected)"));
	free(out);
}

static void test_two_processes_pass(void **state)
{
	char dir[PATH_MAX], *out, *err;

	(void)state;
	rt_tmpdir(dir, "check2");
	rr_tracegen(dir, (const char *const[]){ "--fork", "--rounds", "20", "--fail-every", "5", NULL }, NULL);
	assert_int_equal(rr_read(&out, &err, (const char *const[]){ "check", dir, NULL }), 0);
	assert_non_null(strstr(out, "check: OK"));
	free(out);
	free(err);
	tc_rmtree(dir);
}

/* A notification of a version never committed. */
static void test_receipt_after_commit(void **state)
{
	uint64_t version = 999999;
	char *out;

	(void)state;
	for (size_t i = 0; i < num_recs; i++) {
		if (recs[i].id == RHW_EV_manifest_updated) {
			patch(FIELD_AT(&recs[i], struct rhw_ev_manifest_updated, version), &version, sizeof(version));
			break;
		}
	}
	assert_int_equal(check(&out), 1);
	fails_only(out, "receipt-after-commit");
	free(out);
}

/* A failed commit turned into a success: its version is then committed twice. */
static void test_version_order(void **state)
{
	int32_t ok = 0;
	char *out;
	bool done = false;

	(void)state;
	for (size_t i = 0; i < num_recs && !done; i++) {
		const struct rhw_ev_manifest_commit *a = &recs[i].p.commit;

		if (recs[i].id != RHW_EV_manifest_commit || !a->result)
			continue;
		for (size_t j = i + 1; j < num_recs && !done; j++) {
			const struct rhw_ev_manifest_commit *b = &recs[j].p.commit;

			if (recs[j].id == RHW_EV_manifest_commit && !b->result && b->region_id == a->region_id &&
			    b->version == a->version) {
				patch(FIELD_AT(&recs[i], struct rhw_ev_manifest_commit, result), &ok, sizeof(ok));
				done = true;
			}
		}
	}
	assert_true(done);
	assert_int_equal(check(&out), 1);
	fails_only(out, "version-order");
	assert_non_null(strstr(out, "committed a second time"));
	free(out);
}

/* A second notification of an already notified version, not by staging_exit. */
static void test_notified_once(void **state)
{
	char *out;
	bool done = false;

	(void)state;
	for (size_t i = 0; i < num_recs && !done; i++) {
		const struct rhw_ev_manifest_updated *a = &recs[i].p.updated;

		if (recs[i].id != RHW_EV_manifest_updated)
			continue;
		for (size_t j = i + 1; j < num_recs && !done; j++) {
			const struct rhw_ev_manifest_updated *b = &recs[j].p.updated;

			if (recs[j].id == RHW_EV_manifest_updated && b->region_id == a->region_id) {
				if (b->cause != RHOOK_CAUSE_STAGING_EXIT) {
					patch(FIELD_AT(&recs[j], struct rhw_ev_manifest_updated, version),
					      &a->version, sizeof(a->version));
					done = true;
				}
				break;
			}
		}
	}
	assert_true(done);
	assert_int_equal(check(&out), 1);
	fails_only(out, "notified-once");
	free(out);
}

/* A committed list that names another file: the SST announced is never added. */
static void test_sst_added(void **state)
{
	char *out;
	bool done = false;

	(void)state;
	for (size_t i = 0; i < num_recs && !done; i++) {
		if (recs[i].id == RHW_EV_manifest_updated && recs[i].num_added) {
			size_t id_off = recs[i].off + sizeof(struct rhr_record) + sizeof(struct rhw_ev_manifest_updated);
			uint8_t byte;
			int fd = open(trace_file, O_RDONLY);

			assert_int_equal(pread(fd, &byte, 1, (off_t)id_off), 1);
			close(fd);
			byte ^= 0xff;
			patch(id_off, &byte, 1);
			done = true;
		}
	}
	assert_true(done);
	assert_int_equal(check(&out), 1);
	fails_only(out, "sst-added");
	assert_non_null(strstr(out, "orphaned"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_real_trace_passes, setup, teardown),
		cmocka_unit_test(test_two_processes_pass),
		cmocka_unit_test_setup_teardown(test_receipt_after_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notified_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sst_added, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
