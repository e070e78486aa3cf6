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
#define LATEST          "_latest"
#define DIGITS          20

void lsm__log_name(uint64_t version, bool checkpoint, char buf[LSM__LOG_NAME_MAX])
{
	snprintf(buf, LSM__LOG_NAME_MAX, "%020" PRIu64 "%s", version, checkpoint ? ".checkpoint.json" : ".json");
}

int lsm__log_write(int dirfd, uint64_t version, uint64_t prev, bool checkpoint, const char *json, size_t len,
		     uint64_t *size, uint64_t *hash)
{
	char name[LSM__LOG_NAME_MAX], head[128], *buf;
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
	lsm__log_name(version, checkpoint, name);
	err = lsm__fs_write_atomic(dirfd, name, buf, total, !checkpoint);
	if (size)
		*size = total;
	if (hash)
		*hash = XXH64(buf, total, 0);
	free(buf);
	return err;
}

int lsm__log_decode(const char *buf, size_t len, const char *where, const char *name, uint64_t version,
		      uint64_t *prev, struct rhook_action_list **out)
{
	unsigned long long v, p;
	char hex[17] = "", head[128], msg[512];
	const char *body;
	size_t body_len;
	int n = 0, err;

	/* sscanf finds the numbers; the canonical rendering then has to match byte for byte. */
	if (sscanf(buf, "{\"version\":%llu,\"prev\":%llu,\"xxh64\":\"%16[0-9a-f]\",\"body\":%n", &v, &p, hex, &n) != 3 ||
	    n == 0 || strlen(hex) != 16 || len < (size_t)n + 2 || memcmp(buf + len - 2, "}\n", 2) ||
	    snprintf(head, sizeof(head), "{\"version\":%llu,\"prev\":%llu,\"xxh64\":\"%s\",\"body\":", v, p, hex) != n ||
	    memcmp(buf, head, (size_t)n))
		return lsm__fail(-EBADMSG, "%s/%s: torn or damaged manifest file (envelope unreadable)", where, name);
	if (v != version)
		return lsm__fail(-EBADMSG, "%s/%s: holds version %llu, not %llu", where, name, v,
				   (unsigned long long)version);
	body = buf + n;
	body_len = len - (size_t)n - 2;
	if (XXH64(body, body_len, 0) != strtoull(hex, NULL, 16))
		return lsm__fail(-EBADMSG, "%s/%s: checksum mismatch (torn or corrupt manifest file)", where, name);
	err = rhook_action_list_from_json(body, body_len, out, msg, sizeof(msg));
	if (err == -EINVAL)
		return lsm__fail(-EBADMSG, "%s/%s: undecodable action list: %s", where, name, msg);
	if (err)
		return lsm__fail(err, "%s/%s: %s", where, name, strerror(-err));
	*prev = p;
	return 0;
}

int lsm__log_read(int dirfd, const char *where, const char *name, uint64_t version, uint64_t *prev,
		    struct rhook_action_list **out, uint64_t *size, uint64_t *hash)
{
	size_t len;
	char *buf;
	int err = lsm__fs_read_all(dirfd, name, &buf, &len);

	if (err)
		return lsm__fail(err, "%s/%s: %s", where, name, err == -ENOENT ? "missing" : strerror(-err));
	err = lsm__log_decode(buf, len, where, name, version, prev, out);
	if (size)
		*size = len;
	if (hash)
		*hash = XXH64(buf, len, 0);
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

int lsm__log_list(int dirfd, const char *where, struct lsm__log_listing *out)
{
	struct dirent *de;
	DIR *d;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	memset(out, 0, sizeof(*out));
	if (fd < 0 || !(d = fdopendir(fd))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		return lsm__fail(err, "%s: cannot list: %s", where, strerror(-err));
	}
	while (!err && (de = readdir(d))) {
		uint64_t v;

		if (parse_name(de->d_name, ".json", &v))
			err = push_u64(&out->deltas, &out->num_deltas, v);
		else if (parse_name(de->d_name, ".checkpoint.json", &v))
			err = push_u64(&out->checkpoints, &out->num_checkpoints, v);
		else if (lsm__fs_is_temp(de->d_name)) {
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
		lsm__log_listing_free(out);
		return lsm__fail(err, "%s: cannot list: %s", where, strerror(-err));
	}
	if (out->num_deltas)
		qsort(out->deltas, out->num_deltas, sizeof(uint64_t), cmp_u64);
	if (out->num_checkpoints)
		qsort(out->checkpoints, out->num_checkpoints, sizeof(uint64_t), cmp_u64);
	return 0;
}

void lsm__log_listing_free(struct lsm__log_listing *l)
{
	for (size_t i = 0; i < l->num_temps; i++)
		free(l->temps[i]);
	free(l->temps);
	free(l->deltas);
	free(l->checkpoints);
	memset(l, 0, sizeof(*l));
}

int lsm__log_write_last_checkpoint(int dirfd, uint64_t version, uint64_t size, uint64_t hash)
{
	char name[LSM__LOG_NAME_MAX], hex[17], *s;
	json_t *j;
	int err;

	lsm__log_name(version, true, name);
	snprintf(hex, sizeof(hex), "%016" PRIx64, hash);
	j = json_pack("{s:I, s:s, s:I, s:s}", "version", (json_int_t)version, "file", name, "size",
		      (json_int_t)size, "xxh64", hex);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s)
		return -ENOMEM;
	err = lsm__fs_write_atomic(dirfd, LAST_CHECKPOINT, s, strlen(s), false);
	free(s);
	return err;
}

int lsm__log_parse_last_checkpoint(const char *buf, size_t len, const char *where, struct lsm__log_pointer *out)
{
	char expect[LSM__LOG_NAME_MAX];
	const char *file = NULL, *hex = NULL;
	json_int_t v = -1, size = -1;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	int err = 0;

	if (!j || json_unpack(j, "{s:I, s:s, s:I, s:s}", "version", &v, "file", &file, "size", &size, "xxh64", &hex) ||
	    v < 0 || size < 0 || strlen(hex) != 16 || strspn(hex, "0123456789abcdef") != 16) {
		err = lsm__fail(-EBADMSG, "%s/" LAST_CHECKPOINT ": damaged pointer file", where);
		goto out;
	}
	lsm__log_name((uint64_t)v, true, expect);
	if (strcmp(file, expect)) {
		err = lsm__fail(-EBADMSG, "%s/" LAST_CHECKPOINT ": names %s for version %lld", where, file,
				  (long long)v);
		goto out;
	}
	out->version = (uint64_t)v;
	out->size = (uint64_t)size;
	out->hash = strtoull(hex, NULL, 16);
out:
	json_decref(j);
	return err;
}

int lsm__log_check_pointed(const struct lsm__log_pointer *ptr, const char *buf, size_t len, const char *where)
{
	char name[LSM__LOG_NAME_MAX];

	if (len == ptr->size && XXH64(buf, len, 0) == ptr->hash)
		return 0;
	lsm__log_name(ptr->version, true, name);
	return lsm__fail(-EBADMSG, "%s/%s: checkpoint size or checksum disagrees with " LAST_CHECKPOINT, where, name);
}

int lsm__log_read_last_checkpoint(int dirfd, const char *where, uint64_t *version)
{
	struct lsm__log_pointer ptr;
	char name[LSM__LOG_NAME_MAX], *buf, *cp = NULL;
	size_t len, cp_len;
	int err = lsm__fs_read_all(dirfd, LAST_CHECKPOINT, &buf, &len);

	if (err == -ENOENT)
		return err;
	if (err)
		return lsm__fail(err, "%s/" LAST_CHECKPOINT ": %s", where, strerror(-err));
	err = lsm__log_parse_last_checkpoint(buf, len, where, &ptr);
	free(buf);
	if (err)
		return err;
	lsm__log_name(ptr.version, true, name);
	err = lsm__fs_read_all(dirfd, name, &cp, &cp_len);
	if (err)
		return lsm__fail(err == -ENOENT ? -EBADMSG : err, "%s/%s: checkpoint named by " LAST_CHECKPOINT ": %s",
				   where, name, err == -ENOENT ? "missing" : strerror(-err));
	err = lsm__log_check_pointed(&ptr, cp, cp_len, where);
	free(cp);
	if (!err)
		*version = ptr.version;
	return err;
}

/* The canonical text of a latest record; returns its length. */
static int latest_format(const struct lsm__log_pointer *p, char buf[LSM__LOG_LATEST_MAX])
{
	char name[LSM__LOG_NAME_MAX];
	int n;

	lsm__log_name(p->version, false, name);
	n = snprintf(buf, LSM__LOG_LATEST_MAX, "{\"version\":%" PRIu64 ",\"file\":\"%s\",\"size\":%" PRIu64
		     ",\"xxh64\":\"%016" PRIx64 "\"", p->version, name, p->size, p->hash);
	/* The seal covers everything before it. */
	return n + snprintf(buf + n, LSM__LOG_LATEST_MAX - (size_t)n, ",\"seal\":\"%016" PRIx64 "\"}\n",
			    (uint64_t)XXH64(buf, (size_t)n, 0));
}

int lsm__log_write_latest(int dirfd, uint64_t version, uint64_t size, uint64_t hash)
{
	struct lsm__log_pointer p = { version, size, hash };
	char buf[LSM__LOG_LATEST_MAX];
	int n = latest_format(&p, buf);

	/*
	 * No directory sync: the delta's own sync already made the previous
	 * record durable, so after a power loss the record names this version
	 * or the one before, both consistent with the log (log.h).
	 */
	return lsm__fs_replace_nodirsync(dirfd, LATEST, buf, (size_t)n);
}

int lsm__log_parse_latest(const char *buf, size_t len, const char *where, struct lsm__log_pointer *out)
{
	char canon[LSM__LOG_LATEST_MAX];
	unsigned long long v, size, hash;
	struct lsm__log_pointer p;

	/* The numbers, then the whole text must be the canonical one (which carries the seal). */
	if (sscanf(buf, "{\"version\":%llu,\"file\":\"%*20[0-9].json\",\"size\":%llu,\"xxh64\":\"%16llx\"", &v, &size,
		   &hash) != 3)
		goto damaged;
	p = (struct lsm__log_pointer){ v, size, hash };
	if ((size_t)latest_format(&p, canon) != len || memcmp(canon, buf, len))
		goto damaged;
	*out = p;
	return 0;
damaged:
	return lsm__fail(-EBADMSG, "%s/" LATEST ": damaged record of the newest version (torn, truncated or corrupt)",
			   where);
}

int lsm__log_read_latest(int dirfd, const char *where, struct lsm__log_pointer *out)
{
	char *buf;
	size_t len;
	int err = lsm__fs_read_all(dirfd, LATEST, &buf, &len);

	if (err == -ENOENT)
		return lsm__fail(-EBADMSG,
				   "%s/" LATEST ": missing: without the record of the newest version, a deleted "
				   "newest delta cannot be told from a complete log", where);
	if (err)
		return lsm__fail(err, "%s/" LATEST ": %s", where, strerror(-err));
	err = lsm__log_parse_latest(buf, len, where, out);
	free(buf);
	return err;
}
