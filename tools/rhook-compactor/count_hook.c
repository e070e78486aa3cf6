/*
 * count_hook.c - an example plugin (rhook/plugin.h): appends one line
 * per callback to the file named by its argument, so another process can
 * count the callbacks and check their arguments:
 *
 *   sst <region id> <number of files> <file id>...
 *   manifest <region id> <version> <actions> +<added file id>... -<removed file id>...
 *   removed <region id> <reason> <number of files> ~<file id>...
 *
 * rhook-demo uses it to measure remote compaction in rhook-compactor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rhook/plugin.h>

#define LINE_MAX_BYTES 16384

/* A line of at most LINE_MAX_BYTES under construction. */
struct line {
	char buf[LINE_MAX_BYTES];
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len = l->len + (size_t)n < sizeof(l->buf) - 1 ? l->len + (size_t)n : sizeof(l->buf) - 2;
}

static void put_id(struct line *l, char sign, const rhook_file_id *id)
{
	char s[RHOOK_FILE_ID_STRLEN];

	rhook_file_id_format(id, s);
	put(l, " %c%s", sign, s);
}

/* One write() per line: O_APPEND keeps lines of concurrent callbacks whole. */
static void emit(int fd, struct line *l)
{
	l->buf[l->len++] = '\n';
	if (write(fd, l->buf, l->len) < 0)
		perror("rhook-count-hook: write");
}

static void on_sst(void *priv, rhook_region_id region_id, const struct rhook_region_meta *meta,
		   const struct rhook_sst_file *files, size_t num_files)
{
	struct line l = { .len = 0 };

	(void)meta;
	put(&l, "sst %" PRIu64 " %zu", region_id, num_files);
	for (size_t i = 0; i < num_files; i++)
		put_id(&l, '=', &files[i].file_meta->file_id);
	emit(*(int *)priv, &l);
}

static void on_manifest(void *priv, rhook_region_id region_id, const struct rhook_action_list *actions,
			uint64_t version)
{
	struct line l = { .len = 0 };

	put(&l, "manifest %" PRIu64 " %" PRIu64 " %zu", region_id, version, actions->num_actions);
	for (size_t i = 0; i < actions->num_actions; i++) {
		const struct rhook_action *a = &actions->actions[i];

		if (a->kind != RHOOK_ACTION_EDIT)
			continue;
		for (size_t j = 0; j < a->u.edit.num_files_to_add; j++)
			put_id(&l, '+', &a->u.edit.files_to_add[j].file_id);
		for (size_t j = 0; j < a->u.edit.num_files_to_remove; j++)
			put_id(&l, '-', &a->u.edit.files_to_remove[j].file_id);
	}
	emit(*(int *)priv, &l);
}

static void on_removed(void *priv, rhook_region_id region_id, const struct rhook_removed_file *files,
		       size_t num_files, enum rhook_remove_reason reason)
{
	struct line l = { .len = 0 };
	const char *name = rhook_remove_reason_name(reason);

	put(&l, "removed %" PRIu64 " %s %zu", region_id, name ? name : "unknown", num_files);
	for (size_t i = 0; i < num_files; i++)
		put_id(&l, '~', &files[i].file_id);
	emit(*(int *)priv, &l);
}

static void release(void *priv)
{
	close(*(int *)priv);
	free(priv);
}

int rhook_plugin_init(struct rhook_registry *registry, const char *arg);

/* The plugin's entry point: @arg is the file to append to. */
__attribute__((visibility("default"))) int rhook_plugin_init(struct rhook_registry *registry, const char *arg)
{
	static const struct rhook_hook_ops ops = { .size = sizeof(ops), .on_sst_files_written = on_sst,
						   .on_manifest_updated = on_manifest, .release = release,
						   .on_files_removed = on_removed };
	int *fd, err;

	if (!arg)
		return -EINVAL;
	fd = malloc(sizeof(*fd));
	if (!fd)
		return -ENOMEM;
	*fd = open(arg, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0) {
		err = -errno;
		free(fd);
		return err;
	}
	err = rhook_registry_add(registry, &ops, fd, NULL);
	if (err)
		release(fd);
	return err;
}
