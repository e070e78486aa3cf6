/*
 * ctl_fuzz.c - libFuzzer target of the control channel's request parser
 * (src/trace/ctl_proto.c), which reads what any process of the same uid
 * sends to a running host.  Beyond not crashing: an accepted request's
 * values lie inside its copy, hold no control character, and the request
 * written back from them parses to the same command and values.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

static const char *const names[] = { "status", "start", "stop", "snapshot", "trigger" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rhook__ctl_req req, again;
	static char text[RHOOK__CTL_MAX_REQUEST * 2];
	char err[512];
	size_t len;

	if (rhook__ctl_parse(data, size, &req, err, sizeof(err))) {
		if (!memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}
	len = (size_t)snprintf(text, sizeof(text), "%s%s\n", RHOOK__CTL_HELLO, names[req.cmd]);
	for (unsigned k = 0; k < RHOOK__CTL_K_COUNT; k++) {
		const char *v = req.val[k];

		if (!v)
			continue;
		if (v < req.buf || v >= req.buf + sizeof(req.buf) || !*v)
			abort();
		for (const char *p = v; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s=%s\n", rhook__ctl_key_name(k), v);
	}
	if (len > size || rhook__ctl_parse(text, len, &again, err, sizeof(err)) || again.cmd != req.cmd)
		abort();
	for (unsigned k = 0; k < RHOOK__CTL_K_COUNT; k++)
		if (!req.val[k] != !again.val[k] || (req.val[k] && strcmp(req.val[k], again.val[k])))
			abort();
	return 0;
}
