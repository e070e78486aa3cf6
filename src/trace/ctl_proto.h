/*
 * ctl_proto.h - the requests of rhook's control channel (rhook-ctl).
 *
 * One request per message on a SOCK_SEQPACKET Unix socket, at most
 * RHOOK__CTL_MAX_REQUEST bytes of text:
 *
 *   rhook-ctl 1 COMMAND\n        COMMAND: status, start, stop, snapshot, trigger
 *   KEY=VALUE\n ...              the command's settings, each at most once
 *
 * Keys: start takes the recorder's variables (RHOOK_TRACE_DIR,
 * RHOOK_TRACE_BUFFER_SIZE, RHOOK_TRACE_BUFFERS, RHOOK_TRACE_SUBBUFFERS,
 * RHOOK_TRACE_MODE, RHOOK_TRACE_CLOCK) and RHOOK_TRACE_SNAPSHOT_ON;
 * trigger takes RHOOK_TRACE_SNAPSHOT_ON (required); snapshot takes dir
 * (the new directory); status and stop take none.  Values are 1 to
 * PATH_MAX - 1 bytes, none below 0x20 nor 0x7f.  The values themselves
 * are checked by whoever uses them (the recorder's configuration, the
 * trigger parser, the snapshot's directory rules).
 *
 * The reply is one message of text: "ok\n" then "key: value\n" lines,
 * or "error N NAME: message\n" (N the positive errno).
 */
#ifndef RHOOK_TRACE_CTL_PROTO_H
#define RHOOK_TRACE_CTL_PROTO_H

#include <limits.h>
#include <stddef.h>

#define RHOOK__CTL_HELLO "rhook-ctl 1 "
#define RHOOK__CTL_MAX_REQUEST 4096
#define RHOOK__CTL_MAX_REPLY 8192

enum rhook__ctl_cmd { RHOOK__CTL_STATUS, RHOOK__CTL_START, RHOOK__CTL_STOP, RHOOK__CTL_SNAPSHOT, RHOOK__CTL_TRIGGER };

#define RHOOK__CTL_KEYS(X)                                                                        \
	X(DIR, "RHOOK_TRACE_DIR") X(BUFFER_SIZE, "RHOOK_TRACE_BUFFER_SIZE")                         \
	X(BUFFERS, "RHOOK_TRACE_BUFFERS") X(SUBBUFFERS, "RHOOK_TRACE_SUBBUFFERS")                   \
	X(MODE, "RHOOK_TRACE_MODE") X(CLOCK, "RHOOK_TRACE_CLOCK")                                   \
	X(SNAPSHOT_ON, "RHOOK_TRACE_SNAPSHOT_ON") X(TO, "dir")

#define RHOOK__CTL_KEY_ENUM(NAME, str) RHOOK__CTL_K_##NAME,
enum rhook__ctl_key { RHOOK__CTL_KEYS(RHOOK__CTL_KEY_ENUM) RHOOK__CTL_K_COUNT };
#undef RHOOK__CTL_KEY_ENUM

struct rhook__ctl_req {
	enum rhook__ctl_cmd cmd;
	const char *val[RHOOK__CTL_K_COUNT]; /* into @buf; NULL: not given */
	char buf[RHOOK__CTL_MAX_REQUEST + 1];
};

/*
 * Parses the request of @len bytes at @data into @req (which keeps its
 * own copy).  0, or -EINVAL / -EMSGSIZE / -EPROTO with a message in
 * @err naming what is wrong.  Pure: no allocation, no global state.
 */
int rhook__ctl_parse(const void *data, size_t len, struct rhook__ctl_req *req, char *err, size_t err_size);

/* The text of key @k ("RHOOK_TRACE_DIR", ...). */
const char *rhook__ctl_key_name(enum rhook__ctl_key k);

#endif /* RHOOK_TRACE_CTL_PROTO_H */
