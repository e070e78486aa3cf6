/*
 * source.c - the component class source.rhook.recorder: its parameters,
 * opening the recorder files, and the babeltrace.support-info query that
 * makes babeltrace2's automatic source discovery pick it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader/recfile.h"
#include "reader/scan.h"
#include "rhbt.h"

/* Every input of one babeltrace2 run goes to one component: one timeline, clocks placed as rhook-read places them. */
#define GROUP "rhook-recorder"

void rhbt_log(const struct rhbt_source *src, bt_logging_level level, const char *fmt, ...)
{
	va_list ap;

	if (src->log_level > level)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%s: [source.rhook.recorder] ", level >= BT_LOGGING_LEVEL_WARNING ? "WARNING" : "INFO");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void free_source(struct rhbt_source *src)
{
	for (size_t i = 0; i < src->num_streams; i++)
		bt_stream_put_ref(src->streams[i].stream);
	for (size_t i = 0; i < src->num_traces; i++)
		rhbt_trace_fini(&src->traces[i]);
	for (size_t i = 0; i < src->num_paths; i++)
		free(src->paths[i]);
	free(src->paths);
	free(src->streams);
	free(src->traces);
	rdr_reader_close(&src->reader);
	free(src);
}

/* The inputs parameter: a non-empty array of paths; any other parameter is an error. */
static const bt_value *inputs_param(bt_self_component *self, const bt_value *params)
{
	const bt_value *inputs = bt_value_map_borrow_entry_value_const(params, "inputs");
	uint64_t n;

	if (bt_value_map_get_size(params) != (inputs ? 1 : 0)) {
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(self, "unknown parameter: the only one is `inputs`");
		return NULL;
	}
	if (!inputs || !bt_value_is_array(inputs) || !(n = bt_value_array_get_length(inputs))) {
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(
			self, "missing or empty `inputs` parameter (an array of recorder files and directories)");
		return NULL;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (!bt_value_is_string(bt_value_array_borrow_element_by_index_const(inputs, i))) {
			BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(self, "`inputs`[%llu] is not a string",
									    (unsigned long long)i);
			return NULL;
		}
	}
	return inputs;
}

/*
 * Opens every recorder file under @inputs by rhook-read's rule (scan.h,
 * rdr_reader_add_recorder()).  A file rhook-read skips with a warning
 * (unusable: empty, truncated, garbage, unknown version, never
 * completed) is skipped with a warning; a file its process is creating
 * right now holds nothing yet, and is left out with an info message (as
 * rhook-read's note).  Each is said once: so when other files are read,
 * else as an error cause of the component's failure ("no readable
 * recorder file"), which babeltrace2 prints.  Inputs that are no trace,
 * and running out of memory, fail the component.
 */
static int open_inputs(struct rhbt_source *src, const bt_value *inputs)
{
	struct rdr_found found = { 0 };
	struct left_out {
		char *msg;
		bt_logging_level level;
	} *left = NULL;
	size_t num_left = 0;
	char err[4200];
	int ret = 0;

	for (uint64_t i = 0; !ret && i < bt_value_array_get_length(inputs); i++) {
		const char *path = bt_value_string_get(bt_value_array_borrow_element_by_index_const(inputs, i));

		ret = rdr_scan_path(&found, path, err, sizeof(err));
		if (ret)
			BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(src->self, "%s", err);
	}
	for (size_t i = 0; !ret && i < found.num_ctf; i++)
		rhbt_log(src, BT_LOGGING_LEVEL_WARNING, "%s: a CTF trace, not read here (babeltrace2 reads it with source.ctf.fs)",
			 found.ctf[i]);
	if (!ret && !found.num_rec) {
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(src->self, "no recorder file (*%s) in the inputs",
								    RHR_FILE_SUFFIX);
		ret = -ENOENT;
	}
	src->paths = calloc(found.num_rec ? found.num_rec : 1, sizeof(*src->paths));
	left = calloc(found.num_rec ? found.num_rec : 1, sizeof(*left));
	if (!ret && (!src->paths || !left)) {
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(src->self, "out of memory");
		ret = -ENOMEM;
	}
	for (size_t i = 0; !ret && i < found.num_rec; i++) {
		enum rdr_added added;

		ret = rdr_reader_add_recorder(&src->reader, found.rec[i], &added, err, sizeof(err));
		if (ret) {
			BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(src->self, "%s: %s", found.rec[i], err);
			break;
		}
		if (added != RDR_OPENED) {
			left[num_left].level = added == RDR_STARTING ? BT_LOGGING_LEVEL_INFO : BT_LOGGING_LEVEL_WARNING;
			if (asprintf(&left[num_left].msg, "%s: skipped: %s", found.rec[i], err) < 0)
				ret = -ENOMEM;
			else
				num_left++;
		} else if ((src->paths[src->num_paths] = strdup(found.rec[i]))) {
			src->num_paths++;
		} else {
			ret = -ENOMEM;
		}
		if (ret)
			BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(src->self, "out of memory");
	}
	for (size_t i = 0; i < num_left; i++) {
		if (!ret && !src->reader.num_files)
			BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(src->self, "%s", left[i].msg);
		else if (!ret)
			rhbt_log(src, left[i].level, "%s", left[i].msg);
		free(left[i].msg);
	}
	free(left);
	if (!ret && !src->reader.num_files) {
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(src->self, "no readable recorder file");
		ret = -ENODATA;
	}
	rdr_found_free(&found);
	return ret;
}

/* What @t's process lost outside its streams, which its first stream announces at its end. */
static void set_extra(struct rhbt_source *src, const struct rhbt_trace *t)
{
	uint64_t rest = rdr_lost_total(&t->proc->lost);
	struct rhbt_stream *first = NULL;

	for (size_t k = 0; k < src->num_streams; k++) {
		struct rhbt_stream *s = &src->streams[k];

		if (s->t != t)
			continue;
		first = first ? first : s;
		if (s->rd)
			rest = rdr_sat_sub(rest, rdr_lost_total(&s->rd->lost));
	}
	if (first)
		first->extra = rest;
}

int rhbt_source_rewind(struct rhbt_source *src)
{
	struct rdr_reader r;
	struct rdr_stream **rd = calloc(src->num_streams ? src->num_streams : 1, sizeof(*rd));
	size_t next = 0;
	char err[512];
	int ret = rd ? 0 : -ENOMEM;

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; !ret && i < src->num_paths; i++) {
		enum rdr_added added;

		ret = rdr_reader_add_recorder(&r, src->paths[i], &added, err, sizeof(err));
		/* A file read before must open again: anything left out would change the streams. */
		if (!ret && added != RDR_OPENED)
			ret = -EIO;
		if (ret)
			BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(src->self, "%s: cannot reopen: %s",
									    src->paths[i], err);
	}
	/* Same processes, same buffers, same order (build()'s). */
	ret = ret ? ret : r.num_procs == src->num_traces ? 0 : -ESTALE;
	for (size_t k = 0; !ret && k < src->num_streams; k++) {
		const struct rhbt_stream *s = &src->streams[k];

		if (!s->rd)
			continue;
		if (next == r.num_streams || r.streams[next]->ev.proc != r.procs[s->t - src->traces] ||
		    r.streams[next]->buffer != s->rd->buffer)
			ret = -ESTALE;
		else
			rd[k] = r.streams[next++];
	}
	if (!ret && next != r.num_streams)
		ret = -ESTALE;
	if (ret == -ESTALE)
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(
			src->self, "cannot read the trace again: a process recording it has changed its buffers");
	if (ret == -ENOMEM)
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(src->self, "out of memory");
	if (ret) {
		rdr_reader_close(&r);
		free(rd);
		return ret;
	}
	for (size_t i = 0; i < src->num_traces; i++)
		src->traces[i].proc = r.procs[i];
	for (size_t k = 0; k < src->num_streams; k++)
		src->streams[k].rd = rd[k];
	for (size_t i = 0; i < src->num_traces; i++)
		set_extra(src, &src->traces[i]);
	rdr_reader_close(&src->reader);
	src->reader = r;
	src->consumed = false;
	free(rd);
	return 0;
}

/*
 * One trace per process, one stream per buffer that holds data; a
 * process that lost events outside its streams announces them at the end
 * of its first stream, or of a stream of its own if it has none.
 */
static int build(struct rhbt_source *src)
{
	struct rdr_reader *r = &src->reader;
	size_t max_streams = r->num_streams + r->num_procs;

	src->traces = calloc(r->num_procs, sizeof(*src->traces));
	src->streams = calloc(max_streams, sizeof(*src->streams));
	if (!src->traces || !src->streams)
		return -ENOMEM;
	for (size_t i = 0; i < r->num_procs; i++) {
		struct rhbt_trace *t = &src->traces[src->num_traces++];
		size_t streams = src->num_streams;
		int ret = rhbt_trace_init(src->self, t, r->procs[i]);

		for (size_t k = 0; !ret && k < r->num_streams; k++) {
			struct rhbt_stream *s;

			if (r->streams[k]->ev.proc != r->procs[i])
				continue;
			s = &src->streams[src->num_streams++];
			s->rd = r->streams[k];
			ret = rhbt_stream_init(s, t, s->rd->buffer);
		}
		if (!ret && rdr_lost_total(&r->procs[i]->lost) && src->num_streams == streams)
			ret = rhbt_stream_init(&src->streams[src->num_streams++], t, 0);
		if (ret)
			return ret;
		set_extra(src, t);
	}
	return 0;
}

bt_component_class_initialize_method_status rhbt_source_init(bt_self_component_source *self_source,
							     bt_self_component_source_configuration *config,
							     const bt_value *params, void *init_data)
{
	bt_self_component *self = bt_self_component_source_as_self_component(self_source);
	struct rhbt_source *src = calloc(1, sizeof(*src));
	const bt_value *inputs;
	int ret;

	(void)config;
	(void)init_data;
	if (!src) {
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(self, "out of memory");
		return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_MEMORY_ERROR;
	}
	src->self = self;
	src->log_level = bt_component_get_logging_level(bt_self_component_as_component(self));
	inputs = inputs_param(self, params);
	ret = inputs ? open_inputs(src, inputs) : -EINVAL;
	if (!ret) {
		ret = build(src);
		if (ret)
			BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(self, "out of memory");
	}
	if (!ret && bt_self_component_source_add_output_port(self_source, "out", NULL, NULL) !=
			    BT_SELF_COMPONENT_ADD_PORT_STATUS_OK) {
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT(self, "cannot add the output port");
		ret = -ENOMEM;
	}
	if (ret) {
		free_source(src);
		return ret == -ENOMEM ? BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_MEMORY_ERROR
				      : BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_ERROR;
	}
	bt_self_component_set_data(self, src);
	return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_OK;
}

void rhbt_source_finalize(bt_self_component_source *self)
{
	free_source(bt_self_component_get_data(bt_self_component_source_as_self_component(self)));
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* 1 for a file that starts as a recorder file, 0.5 for one only named so (its error will say why), else 0. */
static double file_weight(const char *path)
{
	char magic[sizeof(RHR_MAGIC) - 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	bool match = fd >= 0 && read(fd, magic, sizeof(magic)) == (ssize_t)sizeof(magic) &&
		     !memcmp(magic, RHR_MAGIC, sizeof(magic));

	if (fd >= 0)
		close(fd);
	return match ? 1.0 : has_suffix(path, RHR_FILE_SUFFIX) ? 0.5 : 0.0;
}

/*
 * 0.75 (source.ctf.fs's weight for a trace directory) for a directory
 * that holds a regular *.rhr file itself (symbolic links not followed):
 * a trace directory of the recorder.  Its subdirectories are searched by
 * babeltrace2 itself otherwise.
 */
static double dir_weight(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	double w = 0.0;

	if (!d)
		return 0.0;
	while (!w && (e = readdir(d))) {
		struct stat st;

		if (has_suffix(e->d_name, RHR_FILE_SUFFIX) && !fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode))
			w = 0.75;
	}
	closedir(d);
	return w;
}

static bt_component_class_query_method_status support_info(bt_self_component_class *cls, const bt_value *params,
							    const bt_value **result)
{
	const bt_value *type = bt_value_is_map(params) ? bt_value_map_borrow_entry_value_const(params, "type") : NULL;
	const bt_value *input = bt_value_is_map(params) ? bt_value_map_borrow_entry_value_const(params, "input") : NULL;
	const char *t;
	bt_value *map;
	double w = 0.0;

	if (!type || !input || !bt_value_is_string(type) || !bt_value_is_string(input)) {
		BT_CURRENT_THREAD_ERROR_APPEND_CAUSE_FROM_COMPONENT_CLASS(
			cls, "babeltrace.support-info needs the string parameters `type` and `input`");
		return BT_COMPONENT_CLASS_QUERY_METHOD_STATUS_ERROR;
	}
	t = bt_value_string_get(type);
	if (!strcmp(t, "file"))
		w = file_weight(bt_value_string_get(input));
	else if (!strcmp(t, "directory"))
		w = dir_weight(bt_value_string_get(input));
	map = bt_value_map_create();
	if (!map || bt_value_map_insert_real_entry(map, "weight", w) != BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK ||
	    bt_value_map_insert_string_entry(map, "group", GROUP) != BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK) {
		bt_value_put_ref(map);
		return BT_COMPONENT_CLASS_QUERY_METHOD_STATUS_MEMORY_ERROR;
	}
	*result = map;
	return BT_COMPONENT_CLASS_QUERY_METHOD_STATUS_OK;
}

bt_component_class_query_method_status rhbt_source_query(bt_self_component_class_source *cls,
							 bt_private_query_executor *exec, const char *object,
							 const bt_value *params, void *data, const bt_value **result)
{
	(void)exec;
	(void)data;
	if (!strcmp(object, "babeltrace.support-info"))
		return support_info(bt_self_component_class_source_as_self_component_class(cls), params, result);
	return BT_COMPONENT_CLASS_QUERY_METHOD_STATUS_UNKNOWN_OBJECT;
}
