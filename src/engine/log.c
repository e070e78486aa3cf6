/*
 * log.c - manifest delta and checkpoint files (format in log.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <xxhash.h>

#include "log.h"
#include "util.h"

#define LAST_CHECKPOINT "_last_checkpoint"
#define DIGITS          20

void rhook__log_name(uint64_t version, bool checkpoint, char buf[RHOOK__LOG_NAME_MAX])
{
	snprintf(buf, RHOOK__LOG_NAME_MAX, "%020" PRIu64 "%s", version, checkpoint ? ".checkpoint.json" : ".json");
}

int rhook__log_write(int dirfd, uint64_t version, uint64_t prev, bool checkpoint, const char *json, size_t len,
		     uint64_t *size, uint64_t *hash)
{
	char name[RHOOK__LOG_NAME_MAX], head[128], *buf;
	int n = snprintf(head, sizeof(head), "{\"version\":%" PRIu64 ",\"prev\":%" PRIu64 ",\"xxh64\":\"%016" PRIx64
			 "\",\"body\":", version, prev, (uint64_t)XXH64(json, len, 0));
	size_t total = (size_t)n + len + 2;
	int err;

	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, head, (size_t)n);
	memcpy(buf + n, json, len);
	memcpy(buf + n + len, "}\n", 2);
	rhook__log_name(version, checkpoint, name);
	err = rhook__fs_write_atomic(dirfd, name, buf, total, !checkpoint);
	if (size)
		*size = total;
	if (hash)
		*hash = XXH64(buf, total, 0);
	free(buf);
	return err;
}

int rhook__log_read(int dirfd, const char *where, const char *name, uint64_t version, uint64_t *prev,
		    struct rhook_action_list **out)
{
	unsigned long long v, p, sum;
	char hex[17] = "", msg[512], *buf, *body;
	size_t len, body_len;
	int n = 0, err;

	err = rhook__fs_read_all(dirfd, name, &buf, &len);
	if (err)
		return rhook__fail(err, "%s/%s: %s", where, name, strerror(-err));
	if (sscanf(buf, "{\"version\":%llu,\"prev\":%llu,\"xxh64\":\"%16[0-9a-f]\",\"body\":%n", &v, &p, hex, &n) != 3 ||
	    n == 0 || strlen(hex) != 16 || len < (size_t)n + 2 || memcmp(buf + len - 2, "}\n", 2)) {
		err = rhook__fail(-EBADMSG, "%s/%s: torn or damaged manifest file (envelope unreadable)", where, name);
		goto out;
	}
	if (v != version) {
		err = rhook__fail(-EBADMSG, "%s/%s: holds version %llu, not %llu", where, name, v,
				  (unsigned long long)version);
		goto out;
	}
	body = buf + n;
	body_len = len - (size_t)n - 2;
	sum = strtoull(hex, NULL, 16);
	if (XXH64(body, body_len, 0) != sum) {
		err = rhook__fail(-EBADMSG, "%s/%s: checksum mismatch (torn or corrupt manifest file)", where, name);
		goto out;
	}
	err = rhook_action_list_from_json(body, body_len, out, msg, sizeof(msg));
	if (err == -EINVAL)
		err = rhook__fail(-EBADMSG, "%s/%s: undecodable action list: %s", where, name, msg);
	else if (err)
		err = rhook__fail(err, "%s/%s: %s", where, name, strerror(-err));
	else
		*prev = p;
out:
	free(buf);
	return err;
}

/* Parses "<20 digits><suffix>" exactly. */
static bool parse_name(const char *name, const char *suffix, uint64_t *version)
{
	char *end;

	if (strlen(name) != DIGITS + strlen(suffix) || strcmp(name + DIGITS, suffix))
		return false;
	for (int i = 0; i < DIGITS; i++)
		if (name[i] < '0' || name[i] > '9')
			return false;
	*version = strtoull(name, &end, 10);
	return end == name + DIGITS;
}

static int push_u64(uint64_t **a, size_t *n, uint64_t v)
{
	uint64_t *b = realloc(*a, (*n + 1) * sizeof(**a));

	if (!b)
		return -ENOMEM;
	b[(*n)++] = v;
	*a = b;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int rhook__log_list(int dirfd, const char *where, struct rhook__log_listing *out)
{
	struct dirent *de;
	DIR *d;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	memset(out, 0, sizeof(*out));
	if (fd < 0 || !(d = fdopendir(fd))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return rhook__fail(err, "%s: cannot list: %s", where, strerror(-err));
	}
	while (!err && (de = readdir(d))) {
		uint64_t v;

		if (parse_name(de->d_name, ".json", &v))
			err = push_u64(&out->deltas, &out->num_deltas, v);
		else if (parse_name(de->d_name, ".checkpoint.json", &v))
			err = push_u64(&out->checkpoints, &out->num_checkpoints, v);
		else if (rhook__fs_is_temp(de->d_name)) {
			char **t = realloc(out->temps, (out->num_temps + 1) * sizeof(*t));

			if (!t || !(t[out->num_temps] = strdup(de->d_name))) {
				if (t)
					out->temps = t;
				err = -ENOMEM;
			} else {
				out->temps = t;
				out->num_temps++;
			}
		}
	}
	closedir(d);
	if (err) {
		rhook__log_listing_free(out);
		return rhook__fail(err, "%s: cannot list: %s", where, strerror(-err));
	}
	if (out->num_deltas)
		qsort(out->deltas, out->num_deltas, sizeof(uint64_t), cmp_u64);
	if (out->num_checkpoints)
		qsort(out->checkpoints, out->num_checkpoints, sizeof(uint64_t), cmp_u64);
	return 0;
}

void rhook__log_listing_free(struct rhook__log_listing *l)
{
	for (size_t i = 0; i < l->num_temps; i++)
		free(l->temps[i]);
	free(l->temps);
	free(l->deltas);
	free(l->checkpoints);
	memset(l, 0, sizeof(*l));
}

int rhook__log_write_last_checkpoint(int dirfd, uint64_t version, uint64_t size, uint64_t hash)
{
	char name[RHOOK__LOG_NAME_MAX], hex[17], *s;
	json_t *j;
	int err;

	rhook__log_name(version, true, name);
	snprintf(hex, sizeof(hex), "%016" PRIx64, hash);
	j = json_pack("{s:I, s:s, s:I, s:s}", "version", (json_int_t)version, "file", name, "size",
		      (json_int_t)size, "xxh64", hex);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s)
		return -ENOMEM;
	err = rhook__fs_write_atomic(dirfd, LAST_CHECKPOINT, s, strlen(s), false);
	free(s);
	return err;
}

int rhook__log_read_last_checkpoint(int dirfd, const char *where, uint64_t *version)
{
	char expect[RHOOK__LOG_NAME_MAX], *buf, *cp = NULL;
	const char *file = NULL, *hex = NULL;
	json_int_t v = -1, size = -1;
	size_t len, cp_len;
	json_t *j;
	int err = rhook__fs_read_all(dirfd, LAST_CHECKPOINT, &buf, &len);

	if (err == -ENOENT)
		return err;
	if (err)
		return rhook__fail(err, "%s/" LAST_CHECKPOINT ": %s", where, strerror(-err));
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	if (!j || json_unpack(j, "{s:I, s:s, s:I, s:s}", "version", &v, "file", &file, "size", &size, "xxh64", &hex) ||
	    v < 0 || size < 0 || strlen(hex) != 16) {
		err = rhook__fail(-EBADMSG, "%s/" LAST_CHECKPOINT ": damaged pointer file", where);
		goto out;
	}
	rhook__log_name((uint64_t)v, true, expect);
	if (strcmp(file, expect)) {
		err = rhook__fail(-EBADMSG, "%s/" LAST_CHECKPOINT ": names %s for version %lld", where, file,
				  (long long)v);
		goto out;
	}
	err = rhook__fs_read_all(dirfd, file, &cp, &cp_len);
	if (err) {
		err = rhook__fail(err == -ENOENT ? -EBADMSG : err, "%s/%s: checkpoint named by " LAST_CHECKPOINT ": %s",
				  where, file, strerror(-err));
		goto out;
	}
	if (cp_len != (size_t)size || XXH64(cp, cp_len, 0) != strtoull(hex, NULL, 16)) {
		err = rhook__fail(-EBADMSG, "%s/%s: checkpoint size or checksum disagrees with " LAST_CHECKPOINT, where,
				  file);
		goto out;
	}
	*version = (uint64_t)v;
out:
	free(cp);
	json_decref(j);
	return err;
}
