/*
 * ctl_proto.c - the control channel's request parser (see ctl_proto.h).
 * Fuzzed by tests/fuzz/ctl_fuzz.c.
 */
#include "ctl_proto.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const key_names[] = {
#define KEY_NAME(NAME, str) str,
	RHOOK__CTL_KEYS(KEY_NAME)
#undef KEY_NAME
};

static const struct {
	const char *name;
	enum rhook__ctl_cmd cmd;
	unsigned keys; /* bit per key it accepts */
	unsigned required;
} commands[] = {
	{ "status", RHOOK__CTL_STATUS, 0, 0 },
	{ "start", RHOOK__CTL_START, (1u << RHOOK__CTL_K_TO) - 1, 0 },
	{ "stop", RHOOK__CTL_STOP, 0, 0 },
	{ "snapshot", RHOOK__CTL_SNAPSHOT, 1u << RHOOK__CTL_K_TO, 0 },
	{ "trigger", RHOOK__CTL_TRIGGER, 1u << RHOOK__CTL_K_SNAPSHOT_ON, 1u << RHOOK__CTL_K_SNAPSHOT_ON },
};

const char *rhook__ctl_key_name(enum rhook__ctl_key k)
{
	return (unsigned)k < RHOOK__CTL_K_COUNT ? key_names[k] : "?";
}

/* @s[0..n) for a message: at most 64 bytes, anything unprintable as '?'. */
static void shown(char *out, const char *s, size_t n)
{
	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	out[n] = '\0';
}

int rhook__ctl_parse(const void *data, size_t len, struct rhook__ctl_req *req, char *err, size_t err_size)
{
	const size_t hello = sizeof(RHOOK__CTL_HELLO) - 1;
	char *p, *end, show[65];
	unsigned seen = 0, c;
	size_t n;

	memset(req->val, 0, sizeof(req->val));
	if (len > RHOOK__CTL_MAX_REQUEST) {
		snprintf(err, err_size, "request of %zu bytes; at most %u", len, RHOOK__CTL_MAX_REQUEST);
		return -EMSGSIZE;
	}
	memcpy(req->buf, data, len);
	req->buf[len] = '\0';
	p = req->buf;
	end = req->buf + len;
	if (len < hello || memcmp(p, RHOOK__CTL_HELLO, hello)) {
		snprintf(err, err_size, "not a request of protocol 1 (expected \"%sCOMMAND\")", RHOOK__CTL_HELLO);
		return -EPROTO;
	}
	p += hello;
	n = strcspn(p, "\n");
	if (p + n == end || p[n] != '\n') {
		snprintf(err, err_size, "the command line does not end with a newline (or holds a NUL byte)");
		return -EINVAL;
	}
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (n == strlen(commands[c].name) && !memcmp(p, commands[c].name, n))
			break;
	if (c == sizeof(commands) / sizeof(commands[0])) {
		shown(show, p, n);
		snprintf(err, err_size, "unknown command \"%s\"; expected status, start, stop, snapshot or trigger", show);
		return -EINVAL;
	}
	req->cmd = commands[c].cmd;
	p += n + 1;
	while (p < end) {
		char *eq, *nl = memchr(p, '\n', (size_t)(end - p));
		unsigned k;

		if (!nl) {
			snprintf(err, err_size, "the last line does not end with a newline");
			return -EINVAL;
		}
		*nl = '\0';
		eq = strchr(p, '=');
		n = eq ? (size_t)(eq - p) : strlen(p);
		for (k = 0; k < RHOOK__CTL_K_COUNT; k++)
			if (n == strlen(key_names[k]) && !memcmp(p, key_names[k], n))
				break;
		shown(show, p, n);
		if (!eq || k == RHOOK__CTL_K_COUNT || !(commands[c].keys & (1u << k))) {
			snprintf(err, err_size, "%s: \"%s\" is not a setting of %s", eq ? "unknown setting" : "not KEY=VALUE",
				 show, commands[c].name);
			return -EINVAL;
		}
		if (seen & (1u << k)) {
			snprintf(err, err_size, "%s given twice", key_names[k]);
			return -EINVAL;
		}
		seen |= 1u << k;
		n = strlen(eq + 1);
		if (!n || n >= PATH_MAX || eq + 1 + n != nl) {
			snprintf(err, err_size, "%s: %s", key_names[k],
				 !n ? "empty value" : n >= PATH_MAX ? "value too long" : "value holds a NUL byte");
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)eq[1 + i] < 0x20 || (unsigned char)eq[1 + i] == 0x7f) {
				snprintf(err, err_size, "%s: control character 0x%02x in the value", key_names[k],
					 (unsigned)(unsigned char)eq[1 + i]);
				return -EINVAL;
			}
		req->val[k] = eq + 1;
		p = nl + 1;
	}
	if ((seen & commands[c].required) != commands[c].required) {
		snprintf(err, err_size, "%s needs %s", commands[c].name, key_names[RHOOK__CTL_K_SNAPSHOT_ON]);
		return -EINVAL;
	}
	return 0;
}
