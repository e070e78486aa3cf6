/*
 * rhook-ctl - controls the flight recorder of a running process through
 * its control channel (src/trace/ctl_server.h), like jcmd:
 *
 *   rhook-ctl PID status
 *   rhook-ctl PID start [--dir D] [--buffer-size N] [--buffers N] [--subbuffers N]
 *                       [--mode overwrite|discard] [--clock auto|tsc|monotonic] [--snapshot-on SPEC]
 *   rhook-ctl PID stop
 *   rhook-ctl PID snapshot [--dir D]
 *   rhook-ctl PID trigger SPEC|off
 *
 * The socket is "<pid>.sock" in the target's runtime directory: --ctl-dir,
 * else the target's RHOOK_CTL_DIR (read from /proc/PID/environ when this
 * user may), else ours, else /tmp/rhook-<the target's euid>.  Relative
 * directories are made absolute here (the target's working directory is
 * not ours).  Exit status: 0 done, 1 the target refused (its message is
 * printed), 2 usage error or no control channel.
 *
 * It does not link librhook: running it never starts a recorder or a
 * control channel of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_proto.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: rhook-ctl [--ctl-dir DIR] PID status\n"
		"       rhook-ctl PID start [--dir D] [--buffer-size N] [--buffers N] [--subbuffers N]\n"
		"                           [--mode overwrite|discard] [--clock auto|tsc|monotonic] [--snapshot-on SPEC]\n"
		"       rhook-ctl PID stop\n"
		"       rhook-ctl PID snapshot [--dir D]\n"
		"       rhook-ctl PID trigger SPEC|off\n"
		"see rhook-ctl(1)\n");
	exit(2);
}

/* Options of start and snapshot, and the request key each sets. */
static const struct {
	const char *opt;
	enum rhook__ctl_key key;
} options[] = {
	{ "--dir", RHOOK__CTL_K_DIR },
	{ "--buffer-size", RHOOK__CTL_K_BUFFER_SIZE },
	{ "--buffers", RHOOK__CTL_K_BUFFERS },
	{ "--subbuffers", RHOOK__CTL_K_SUBBUFFERS },
	{ "--mode", RHOOK__CTL_K_MODE },
	{ "--clock", RHOOK__CTL_K_CLOCK },
	{ "--snapshot-on", RHOOK__CTL_K_SNAPSHOT_ON },
};

/* @dir made absolute against our working directory (the parent must exist or be creatable there). */
static int absolute(const char *dir, char *out, size_t size)
{
	char cwd[PATH_MAX];

	if (dir[0] == '/')
		return snprintf(out, size, "%s", dir) < (int)size ? 0 : -ENAMETOOLONG;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	return snprintf(out, size, "%s/%s", cwd, dir) < (int)size ? 0 : -ENAMETOOLONG;
}

/* The value of @name in /proc/@pid/environ into @out; false if absent or unreadable. */
static bool target_env(long pid, const char *name, char *out, size_t size)
{
	char path[64], buf[65536];
	size_t nlen = strlen(name);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (!strncmp(p, name, nlen) && p[nlen] == '=') {
			snprintf(out, size, "%s", p + nlen + 1);
			return out[0] != '\0';
		}
	return false;
}

/* The target's effective uid, from /proc/@pid/status; -1 if unknown. */
static long target_euid(long pid)
{
	char path[64], line[256];
	long uid = -1, ruid, euid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld %ld", &ruid, &euid) == 2)
			uid = euid;
	fclose(f);
	return uid;
}

int main(int argc, char **argv)
{
	const char *vals[RHOOK__CTL_K_COUNT] = { 0 }, *cmd, *ctl_dir = NULL;
	static char abs_dir[PATH_MAX], req[RHOOK__CTL_MAX_REQUEST + 1], reply[RHOOK__CTL_MAX_REPLY + 1];
	char dir[PATH_MAX], *end;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	ssize_t n;
	long pid;
	int i = 1, fd;

	if (argc > 2 && !strcmp(argv[1], "--ctl-dir")) {
		ctl_dir = argv[2];
		i = 3;
	}
	if (argc - i < 2)
		usage();
	errno = 0;
	pid = strtol(argv[i], &end, 10);
	if (errno || *end || pid <= 0 || pid > 0x3fffffff) {
		fprintf(stderr, "rhook-ctl: %s: not a process id\n", argv[i]);
		return 2;
	}
	cmd = argv[i + 1];
	i += 2;
	if (!strcmp(cmd, "trigger")) {
		if (argc - i != 1)
			usage();
		vals[RHOOK__CTL_K_SNAPSHOT_ON] = argv[i++];
	} else if (!strcmp(cmd, "start") || !strcmp(cmd, "snapshot")) {
		bool start = !strcmp(cmd, "start");

		for (; i < argc; i++) {
			const char *opt = argv[i], *val = NULL, *eq = strchr(opt, '=');
			size_t olen = eq ? (size_t)(eq - opt) : strlen(opt);
			unsigned o;

			for (o = 0; o < sizeof(options) / sizeof(options[0]); o++)
				if (olen == strlen(options[o].opt) && !strncmp(opt, options[o].opt, olen))
					break;
			if (o == sizeof(options) / sizeof(options[0]) || (!start && o != 0)) {
				fprintf(stderr, "rhook-ctl: %s: not an option of %s\n", opt, cmd);
				usage();
			}
			val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
			if (!val || !*val) {
				fprintf(stderr, "rhook-ctl: %s needs a value\n", options[o].opt);
				return 2;
			}
			if (o == 0) {
				int err = absolute(val, abs_dir, sizeof(abs_dir));

				if (err) {
					fprintf(stderr, "rhook-ctl: %s: %s\n", val, strerror(-err));
					return 2;
				}
				val = abs_dir;
			}
			vals[start ? options[o].key : RHOOK__CTL_K_TO] = val;
		}
	} else if (strcmp(cmd, "status") && strcmp(cmd, "stop")) {
		fprintf(stderr, "rhook-ctl: %s: unknown command\n", cmd);
		usage();
	}
	if (i != argc)
		usage();

	len = (size_t)snprintf(req, sizeof(req), "%s%s\n", RHOOK__CTL_HELLO, cmd);
	for (unsigned k = 0; k < RHOOK__CTL_K_COUNT && len < sizeof(req); k++)
		if (vals[k])
			len += (size_t)snprintf(req + len, sizeof(req) - len, "%s=%s\n", rhook__ctl_key_name(k), vals[k]);
	if (len >= sizeof(req)) {
		fprintf(stderr, "rhook-ctl: request too long (at most %u bytes)\n", RHOOK__CTL_MAX_REQUEST);
		return 2;
	}

	if (ctl_dir)
		snprintf(dir, sizeof(dir), "%s", ctl_dir);
	else if (!target_env(pid, "RHOOK_CTL_DIR", dir, sizeof(dir))) {
		const char *mine = getenv("RHOOK_CTL_DIR");
		long uid = target_euid(pid);

		if (mine && *mine)
			snprintf(dir, sizeof(dir), "%s", mine);
		else
			snprintf(dir, sizeof(dir), "/tmp/rhook-%ld", uid >= 0 ? uid : (long)geteuid());
	}
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%ld.sock", dir, pid) >= (int)sizeof(sa.sun_path)) {
		fprintf(stderr, "rhook-ctl: %s/%ld.sock: path too long for a Unix socket\n", dir, pid);
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		fprintf(stderr, "rhook-ctl: cannot reach process %ld at %s: %s%s\n", pid, sa.sun_path, strerror(e),
			e == ENOENT || e == ECONNREFUSED
				? " (not running, no librhook, RHOOK_CTL=off, another RHOOK_CTL_DIR, or another PID namespace)"
				: "");
		return 2;
	}
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		fprintf(stderr, "rhook-ctl: %s: cannot send: %s\n", sa.sun_path, strerror(errno));
		return 2;
	}
	n = recv(fd, reply, sizeof(reply) - 1, 0);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "rhook-ctl: process %ld closed the connection without a reply\n", pid);
		return 2;
	}
	reply[n] = '\0';
	if (!strncmp(reply, "ok\n", 3)) {
		fputs(reply + 3, stdout);
		return 0;
	}
	fprintf(stderr, "rhook-ctl: process %ld: %s", pid, !strncmp(reply, "error ", 6) ? reply + 6 : reply);
	return 1;
}
