/*
 * bt2_badinput.c - the babeltrace2 plugin on bad input, in process (so
 * that the sanitizers of an ASan or TSan build watch the plugin): the
 * fuzzing corpus, the damaged files reader_badinput.c makes, and a few
 * hundred seeded random corruptions of a real trace.  Each input either
 * fails the component's initialization with a cause babeltrace2 reports
 * from source.rhook.recorder, or reads to its end; never a crash.  What
 * it reads is what rhook-read's decoder reads from the same file (one
 * decoder): the same events, and every lost or damaged record announced.
 */
#define _GNU_SOURCE
#include <babeltrace2/babeltrace.h>
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/recfile.h"
#include "reader_common.h"

static const bt_plugin *plugin;
static const bt_component_class_source *recorder;
static char dir[PATH_MAX], good[PATH_MAX + 300];
static uint8_t *good_data;
static size_t good_size;

#ifdef RHOOK_SANITIZER_BUILD
const char *__lsan_default_suppressions(void);

/*
 * libbabeltrace2 2.0.4 leaks the component name when a source fails to
 * initialize (the same leak rhook-read's sanitizer hooks suppress); the
 * plugin's own allocations are not covered by this.
 */
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void)
{
	return "leak:bt_graph_add_source_component_with_initialize_method_data\n";
}
#endif

struct counts {
	uint64_t events, discarded;
	bt_message_iterator *it;
};

static bt_graph_simple_sink_component_initialize_func_status sink_init(bt_message_iterator *it, void *data)
{
	((struct counts *)data)->it = it;
	return BT_GRAPH_SIMPLE_SINK_COMPONENT_INITIALIZE_FUNC_STATUS_OK;
}

static bt_graph_simple_sink_component_consume_func_status sink_consume(bt_message_iterator *it, void *data)
{
	struct counts *c = data;
	bt_message_array_const msgs;
	uint64_t n, k;

	switch (bt_message_iterator_next(it, &msgs, &n)) {
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
		break;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
	case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
	default:
		return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (bt_message_get_type(msgs[i]) == BT_MESSAGE_TYPE_EVENT)
			c->events++;
		else if (bt_message_get_type(msgs[i]) == BT_MESSAGE_TYPE_DISCARDED_EVENTS &&
			 bt_message_discarded_events_get_count(msgs[i], &k) == BT_PROPERTY_AVAILABILITY_AVAILABLE)
			c->discarded += k;
		bt_message_put_ref(msgs[i]);
	}
	return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

/* Takes the thread's error; asserts it has a non-empty cause from source.rhook.recorder. */
static void expect_component_error(const char *path)
{
	const bt_error *e = bt_current_thread_take_error();
	bool found = false;

	if (!e)
		fail_msg("%s: failed without an error", path);
	for (uint64_t i = 0; i < bt_error_get_cause_count(e); i++) {
		const bt_error_cause *c = bt_error_borrow_cause_by_index(e, i);

		if (bt_error_cause_get_actor_type(c) == BT_ERROR_CAUSE_ACTOR_TYPE_COMPONENT &&
		    !strcmp(bt_error_cause_component_actor_get_plugin_name(c), "rhook") &&
		    !strcmp(bt_error_cause_component_actor_get_component_class_name(c), "recorder") &&
		    strlen(bt_error_cause_get_message(c)) > 5)
			found = true;
	}
	bt_error_release(e);
	if (!found)
		fail_msg("%s: no error cause from source.rhook.recorder", path);
}

/*
 * Runs source.rhook.recorder on @path into a counting sink, at logging
 * level @level; @between (may be NULL) runs once the component is
 * initialized, before the graph runs.  Returns false if its
 * initialization failed (with a proper error cause), else fills @c
 * after reading to the end.
 */
static bool run_plugin_at(const char *path, struct counts *c, bt_logging_level level, void (*between)(const char *))
{
	bt_value *params = bt_value_map_create(), *inputs = NULL;
	const bt_component_source *src;
	const bt_component_sink *sink;
	bt_graph *g = bt_graph_create(0);
	bt_graph_run_status st;
	bool ok;

	memset(c, 0, sizeof(*c));
	assert_non_null(g);
	assert_non_null(params);
	assert_int_equal(bt_value_map_insert_empty_array_entry(params, "inputs", &inputs), 0);
	assert_int_equal(bt_value_array_append_string_element(inputs, path), 0);
	ok = bt_graph_add_source_component(g, recorder, "src", params, level, &src) == BT_GRAPH_ADD_COMPONENT_STATUS_OK;
	bt_value_put_ref(params);
	if (!ok) {
		expect_component_error(path);
		bt_graph_put_ref(g);
		return false;
	}
	assert_int_equal(bt_graph_add_simple_sink_component(g, "sink", sink_init, sink_consume, NULL, c, &sink), 0);
	assert_int_equal(bt_graph_connect_ports(g, bt_component_source_borrow_output_port_by_index_const(src, 0),
						bt_component_sink_borrow_input_port_by_index_const(sink, 0), NULL),
			 0);
	if (between)
		between(path);
	do
		st = bt_graph_run(g);
	while (st == BT_GRAPH_RUN_STATUS_AGAIN);
	if (st != BT_GRAPH_RUN_STATUS_OK) {
		const bt_error *e = bt_current_thread_take_error();

		fail_msg("%s: the graph failed (%d) on a file that opened: %s", path, (int)st,
			 e && bt_error_get_cause_count(e) ? bt_error_cause_get_message(bt_error_borrow_cause_by_index(e, 0))
							  : "no cause");
	}
	bt_graph_put_ref(g);
	return true;
}

static bool run_plugin(const char *path, struct counts *c)
{
	return run_plugin_at(path, c, BT_LOGGING_LEVEL_NONE, NULL);
}

/* Runs @path through the plugin and through the decoder directly: they must agree.  Whether it opened. */
static bool check_file(const char *path)
{
	struct rdr_proc proc;
	struct rdr_recfile f;
	struct counts c;
	char err[512];
	uint64_t events = 0;
	bool opened;
	int ret;

	memset(&proc, 0, sizeof(proc));
	ret = rdr_recfile_open(&f, path, &proc, err, sizeof(err));
	if (!ret) {
		for (uint32_t i = 0; i < f.num_streams; i++) {
			struct rdr_stream *s = rdr_recfile_stream(&f, i);

			while (s->next(s))
				events++;
		}
	}
	opened = run_plugin(path, &c);
	if (ret) {
		/* A file the decoder refuses is a component error (or, never completed, "no readable file"). */
		assert_false(opened);
		return false;
	}
	assert_true(opened);
	assert_int_equal(c.events, events);
	/* Every loss the decoder counted is announced: none hidden. */
	assert_int_equal(c.discarded, rdr_lost_total(&proc.lost));
	rdr_recfile_close(&f);
	return true;
}

/* Writes @n bytes of @data as @name under dir; returns the path. */
static const char *write_file(const char *name, const void *data, size_t n)
{
	static char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

/* The good file patched with @len bytes of @patch at @at, truncated to @n bytes. */
static const char *variant(const char *name, size_t n, size_t at, const void *patch, size_t len)
{
	uint8_t *buf = malloc(good_size);
	const char *path;

	memcpy(buf, good_data, good_size);
	if (patch)
		memcpy(buf + at, patch, len);
	path = write_file(name, buf, n);
	free(buf);
	return path;
}

static int setup(void **state)
{
	const bt_plugin_set *set;
	struct dirent **names;
	char trace[PATH_MAX + 8], so[PATH_MAX + 64];
	struct stat st;
	int n, fd;

	(void)state;
	snprintf(so, sizeof(so), "%s/babeltrace-plugin-rhook.so", getenv("RHOOK_BT2_PLUGIN_DIR"));
	if (bt_plugin_find_all_from_file(so, BT_TRUE, &set) != BT_PLUGIN_FIND_ALL_FROM_FILE_STATUS_OK) {
		fprintf(stderr, "cannot load %s\n", so);
		return -1;
	}
	plugin = bt_plugin_set_borrow_plugin_by_index_const(set, 0);
	bt_plugin_get_ref(plugin);
	bt_plugin_set_put_ref(set);
	recorder = bt_plugin_borrow_source_component_class_by_name_const(plugin, "recorder");
	if (!recorder)
		return -1;
	rt_tmpdir(dir, "bt2-badinput");
	snprintf(trace, sizeof(trace), "%s/trace", dir);
	rr_tracegen(trace, (const char *const[]){ "--threads", "2", "--rounds", "8", NULL },
		    (const char *const[]){ "RHOOK_TRACE_BUFFER_SIZE=16k", "RHOOK_TRACE_BUFFERS=2",
					   "RHOOK_TRACE_SUBBUFFERS=4", NULL });
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
	good_data = malloc(good_size);
	fd = open(good, O_RDONLY);
	if (!good_data || read(fd, good_data, good_size) != (ssize_t)good_size)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(good_data);
	bt_plugin_put_ref(plugin);
	tc_rmtree(dir);
	return 0;
}

/* The real trace itself, and the seed corpus of the decoder's fuzzer. */
static void test_corpus(void **state)
{
	char corpus[PATH_MAX], path[PATH_MAX + 300];
	struct dirent **names;
	int n, files = 0;

	(void)state;
	check_file(good);
	snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus", getenv("RHOOK_SOURCE_DIR"));
	n = scandir(corpus, &names, NULL, alphasort);
	assert_true(n > 2);
	for (int i = 0; i < n; i++) {
		if (strstr(names[i]->d_name, ".rhr")) {
			snprintf(path, sizeof(path), "%s/%s", corpus, names[i]->d_name);
			check_file(path);
			files++;
		}
		free(names[i]);
	}
	free(names);
	assert_true(files >= 5);
}

/* reader_badinput.c's damaged files: each a clean component error. */
static void test_damaged_files(void **state)
{
	uint32_t v99 = 99, v0 = 0, three = 3;
	uint8_t junk[64];
	struct counts c;

	(void)state;
	memset(junk, 0x5a, sizeof(junk));
	assert_false(run_plugin(variant("empty.rhr", 0, 0, NULL, 0), &c));
	assert_false(run_plugin(variant("header.rhr", 100, 0, NULL, 0), &c));
	assert_false(run_plugin(variant("half.rhr", good_size / 2, 0, NULL, 0), &c));
	assert_false(run_plugin(variant("v99.rhr", good_size, offsetof(struct rhr_header, version), &v99, 4), &c));
	assert_false(run_plugin(
		variant("geometry.rhr", good_size, offsetof(struct rhr_header, num_subbuffers), &three, 4), &c));
	assert_false(run_plugin(variant("magic.rhr", good_size, 0, junk, 8), &c));
	assert_false(run_plugin(variant("junk.rhr", good_size, 8, junk, sizeof(junk)), &c));
	/* A header never completed is skipped: with nothing else to read, that is an error too. */
	assert_false(run_plugin(variant("v0.rhr", good_size, offsetof(struct rhr_header, version), &v0, 4), &c));
}

/* Cuts @path to one page: what a rotation does to a file being read. */
static void cut(const char *path)
{
	assert_int_equal(truncate(path, 4096), 0);
}

/*
 * A file truncated after the component opened it (between its
 * initialization and the reading): the plugin does not die of the
 * SIGBUS, announces every record it could not read as discarded, as
 * rhook-read counts them damaged, and says the file was truncated.
 */
static void test_truncated_while_read(void **state)
{
	char log[PATH_MAX + 16], text[4096];
	struct rdr_proc proc;
	struct rdr_recfile f;
	struct counts c;
	uint64_t events = 0;
	const char *path;
	int saved, fd;
	ssize_t n;

	(void)state;
	memset(&proc, 0, sizeof(proc));
	assert_int_equal(rdr_recfile_open(&f, good, &proc, text, sizeof(text)), 0);
	for (uint32_t i = 0; i < f.num_streams; i++) {
		struct rdr_stream *s = rdr_recfile_stream(&f, i);

		while (s->next(s))
			events++;
	}
	rdr_recfile_close(&f);
	assert_true(good_size > 2 * 4096 && events > 10);
	path = variant("cut.rhr", good_size, 0, NULL, 0);
	/* The component's warnings go to stderr: into a file for the time of the run. */
	snprintf(log, sizeof(log), "%s/cut.log", dir);
	fd = open(log, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	assert_true(run_plugin_at(path, &c, BT_LOGGING_LEVEL_WARNING, cut));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, text, sizeof(text) - 1, 0);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	assert_true(c.events < events);
	assert_true(c.discarded > 0);
	/* Nothing lost without being announced (a sub-buffer cut before its first record counts one). */
	assert_true(c.events + c.discarded >= events);
	if (!strstr(text, "cut.rhr: buffer ") || !strstr(text, "(the file was truncated while being read)"))
		fail_msg("no warning of the truncation:\n%s", text);
}

/* Seeded random damage anywhere in the file: the plugin and the decoder agree, nothing crashes. */
static void test_random_damage(void **state)
{
	uint8_t *buf = malloc(good_size);
	unsigned seed = 12345, opened = 0, lossy = 0;

	(void)state;
	for (int round = 0; round < 300; round++) {
		const char *path;
		struct counts c;
		int flips = 1 + (int)(rand_r(&seed) % 8);

		memcpy(buf, good_data, good_size);
		for (int k = 0; k < flips; k++) {
			/* Half of the damage in the headers, where it matters most. */
			size_t at = rand_r(&seed) % 2 ? (size_t)rand_r(&seed) % (RHR_HEADER_SIZE + RHR_BUFHDR_SIZE + 256)
						      : (size_t)rand_r(&seed) % good_size;

			buf[at] ^= (uint8_t)(1 + rand_r(&seed) % 255);
		}
		path = write_file("random.rhr", buf, round % 10 ? good_size : (size_t)rand_r(&seed) % good_size);
		if (check_file(path)) {
			opened++;
			lossy += run_plugin(path, &c) && c.discarded;
		}
	}
	free(buf);
	/* Both paths were taken: refused files, and files read with damage announced. */
	printf("random damage: %u of 300 files opened, %u of them with losses announced\n", opened, lossy);
	assert_true(opened > 30 && opened < 290);
	assert_true(lossy > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/*
		 * First: the decoder installs its SIGBUS handler at its first
		 * read in the process, and cmocka puts its own in place for the
		 * time of each test, restoring the one before after it.  The
		 * decoder's handler must be installed over this test's.
		 */
		cmocka_unit_test(test_truncated_while_read),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_damaged_files),
		cmocka_unit_test(test_random_damage),
	};

	/* Keep the plugin mapped until exit, so that leak reports can name its functions. */
	setenv("LIBBABELTRACE2_NO_DLCLOSE", "1", 1);
	return cmocka_run_group_tests(tests, setup, teardown);
}
