/*
 * json_util.c - typed field access with error paths, for the decoders.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void rhook__jpath(char buf[RHOOK__JPATH_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, RHOOK__JPATH_MAX, fmt, ap);
	va_end(ap);
}

int rhook__jfail(struct rhook__jerr *e, const char *path, const char *field, const char *reason)
{
	if (e && e->buf && e->size) {
		if (field)
			snprintf(e->buf, e->size, "%s%s%s: %s", path, *path ? "." : "", field, reason);
		else
			snprintf(e->buf, e->size, "%s: %s", *path ? path : "(root)", reason);
	}
	return -EINVAL;
}

int rhook__jfailf(struct rhook__jerr *e, const char *path, const char *field, const char *fmt, ...)
{
	char reason[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return rhook__jfail(e, path, field, reason);
}

json_t *rhook__json_u64(uint64_t v)
{
	char buf[24];

	if (v <= INT64_MAX)
		return json_integer((json_int_t)v);
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_string(buf);
}

static const json_t *field(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
			   bool required, int *err)
{
	const json_t *v = json_object_get(obj, key);

	*err = 0;
	if (v && !json_is_null(v))
		return v;
	if (required)
		*err = rhook__jfail(e, path, key, "missing");
	return NULL;
}

int rhook__jget_u64(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
		    bool required, bool *present, uint64_t *out)
{
	int err;
	const json_t *v = field(e, obj, path, key, required, &err);

	if (present)
		*present = v != NULL;
	if (!v)
		return err;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		errno = 0;
		if (*s >= '0' && *s <= '9') {
			unsigned long long x = strtoull(s, &end, 10);

			if (!*end && !errno) {
				*out = x;
				return 0;
			}
		}
	}
	return rhook__jfail(e, path, key, "expected an unsigned 64-bit integer");
}

int rhook__jget_i64(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
		    bool required, bool *present, int64_t *out)
{
	int err;
	const json_t *v = field(e, obj, path, key, required, &err);

	if (present)
		*present = v != NULL;
	if (!v)
		return err;
	if (!json_is_integer(v))
		return rhook__jfail(e, path, key, "expected an integer");
	*out = json_integer_value(v);
	return 0;
}

int rhook__jget_bool(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key, bool *out)
{
	int err;
	const json_t *v = field(e, obj, path, key, true, &err);

	if (!v)
		return err;
	if (!json_is_boolean(v))
		return rhook__jfail(e, path, key, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

int rhook__jget_str(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
		    bool required, char **out)
{
	int err;
	const json_t *v = field(e, obj, path, key, required, &err);

	*out = NULL;
	if (!v)
		return err;
	if (!json_is_string(v))
		return rhook__jfail(e, path, key, "expected a string");
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

int rhook__jget_enum(struct rhook__jerr *e, const json_t *obj, const char *path, const char *key,
		     const char *(*name_of)(int), int n, int *out)
{
	int err;
	const json_t *v = field(e, obj, path, key, true, &err);

	if (!v)
		return err;
	if (json_is_string(v)) {
		for (int i = 0; i < n; i++) {
			if (!strcmp(name_of(i), json_string_value(v))) {
				*out = i;
				return 0;
			}
		}
	}
	return rhook__jfail(e, path, key, "unknown value");
}

int rhook__jcheck_keys(struct rhook__jerr *e, const json_t *obj, const char *path, const char *const *known)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return rhook__jfail(e, path, NULL, "expected an object");
	json_object_foreach((json_t *)obj, key, v) {
		const char *const *k;

		for (k = known; *k; k++)
			if (!strcmp(*k, key))
				break;
		if (!*k)
			return rhook__jfail(e, path, key, "unknown field");
	}
	return 0;
}

int rhook__json_dump(json_t *root, char **out, size_t *len)
{
	char *s;

	if (!root)
		return -ENOMEM;
	s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!s)
		return -ENOMEM;
	*out = s;
	if (len)
		*len = strlen(s);
	return 0;
}

int rhook__json_load(struct rhook__jerr *e, const char *buf, size_t len, json_t **out)
{
	json_error_t jerr;

	*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*out)
		return 0;
	if (e && e->buf && e->size)
		snprintf(e->buf, e->size, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
			 jerr.text);
	return -EINVAL;
}
