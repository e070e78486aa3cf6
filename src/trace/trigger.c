/*
 * trigger.c - snapshot triggers (see trigger.h).
 *
 * Shared state and who touches it:
 *   thresholds[]     written by rhook__trig_set() under set_lock,
 *                    read by producing threads; relaxed: each is one
 *                    word, read alone (a threshold changing under an
 *                    event may apply to it or not)
 *   rhook__trig_events  the same; stored after the thresholds (release)
 *                    and loaded relaxed: a stale bit only costs one
 *                    slow-path check against the thresholds
 *   last_fire_ns     claimed by CAS (relaxed: it orders nothing) by the
 *                    thread whose condition holds: the rate limit
 *   wanted           the newest snapshot number asked for, raised by
 *                    producers (relaxed RMW), exchanged by rhook-ctl's
 *                    thread; the eventfd write/read pair is the wake-up
 *   kept[]           rhook-ctl's thread only
 */
#define _GNU_SOURCE
#include "trigger.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/internal.h"
#include "emit.h"
#include "recorder/lost_note.h"
#include "recorder/recorder.h"
#include "recorder/status.h"
#include "snap.h"

#define DISARMED UINT64_MAX
#define MAX_KEEP 1024u

unsigned rhook__trig_events;
static _Atomic uint64_t thresholds[RHW_COND_COUNT] = {
	DISARMED, DISARMED, DISARMED, DISARMED, DISARMED, DISARMED,
};
_Static_assert(RHW_COND_COUNT == 6, "one initializer per condition");
static _Atomic uint64_t last_fire_ns;
static atomic_uint next_snapshot;
static atomic_uint wanted;
static atomic_int wake_fd = -1;

static uint64_t interval_ns = 10000000000ull;
static unsigned keep = 4;
/* The triggered snapshots kept, oldest first (rhook-ctl's thread). */
static char (*kept)[PATH_MAX];
static unsigned num_kept;
static uint32_t taken;
static char last_path[PATH_MAX];

static const char *const cond_names[] = {
#define COND_NAME(NAME, value, label) label,
	RHW_ENUM_condition(COND_NAME)
#undef COND_NAME
};
/* Whether a condition takes a duration (the others: commit_failed none, lost a count). */
static bool takes_duration(unsigned c)
{
	return c != RHW_COND_COMMIT_FAILED && c != RHW_COND_LOST;
}

static void wake(void)
{
	uint64_t one = 1;
	int fd = atomic_load_explicit(&wake_fd, memory_order_relaxed);

	/* Non-blocking; a full counter already means "wake up". */
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0)
		return;
}

/*
 * Condition @c held on event @event_id: the rate limit, the record, the
 * wake-up.  Any thread, signal handlers included (atomics and write(2)).
 */
static void fire(unsigned c, unsigned event_id, uint64_t region, uint64_t version, uint8_t cause, uint64_t value)
{
	struct rhw_ev_snapshot_trigger ev = {
		.region_id = region,
		.version = version,
		.value = value,
		.threshold = atomic_load_explicit(&thresholds[c], memory_order_relaxed),
		.event_id = event_id,
		.condition = (uint8_t)c,
		.cause = cause,
	};
	uint64_t now = rhook__now_ns(), last = atomic_load_explicit(&last_fire_ns, memory_order_relaxed);

	if (!rhook__rec_on())
		return; /* no rings to snapshot */
	if ((!last || now - last >= interval_ns) &&
	    atomic_compare_exchange_strong_explicit(&last_fire_ns, &last, now ? now : 1, memory_order_relaxed,
						    memory_order_relaxed))
		ev.snapshot = atomic_fetch_add_explicit(&next_snapshot, 1, memory_order_relaxed) + 1;
	rhook__emit_snapshot_trigger(&ev);
	if (ev.snapshot) {
		unsigned cur = atomic_load_explicit(&wanted, memory_order_relaxed);

		while (cur < ev.snapshot && !atomic_compare_exchange_weak_explicit(&wanted, &cur, ev.snapshot,
										   memory_order_relaxed,
										   memory_order_relaxed))
			;
		wake();
	}
}

static bool above(unsigned c, uint64_t v)
{
	uint64_t t = atomic_load_explicit(&thresholds[c], memory_order_relaxed);

	return t != DISARMED && v > t;
}

void rhook__trig_commit(const struct rhw_ev_manifest_commit *ev)
{
	static const unsigned conds[] = { RHW_COND_HOLD, RHW_COND_PERSIST, RHW_COND_WAIT };
	const uint64_t vals[] = { ev->lock_hold_ns, ev->persist_ns, ev->lock_wait_ns };

	/* One record per event: the first condition that holds, in this order. */
	if (ev->result && atomic_load_explicit(&thresholds[RHW_COND_COMMIT_FAILED], memory_order_relaxed) != DISARMED) {
		fire(RHW_COND_COMMIT_FAILED, RHW_EV_manifest_commit, ev->region_id, ev->version, ev->cause,
		     (uint64_t)(int64_t)ev->result);
		return;
	}
	for (unsigned i = 0; i < 3; i++)
		if (above(conds[i], vals[i])) {
			fire(conds[i], RHW_EV_manifest_commit, ev->region_id, ev->version, ev->cause, vals[i]);
			return;
		}
}

void rhook__trig_dispatch(const struct rhw_ev_hook_dispatch *ev)
{
	if (above(RHW_COND_DISPATCH, ev->duration_ns))
		fire(RHW_COND_DISPATCH, RHW_EV_hook_dispatch, ev->region_id, 0, 0, ev->duration_ns);
}

/* Parses "50ms" into ns; 0 or -EINVAL. */
static int parse_duration(const char *s, size_t len, uint64_t *out)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
	};
	uint64_t v = 0;
	size_t i = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (!i)
		return -EINVAL;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		if (len - i == strlen(units[u].unit) && !memcmp(s + i, units[u].unit, len - i)) {
			if (v > (UINT64_MAX - 1) / units[u].ns)
				return -EINVAL;
			*out = v * units[u].ns;
			return 0;
		}
	return -EINVAL;
}

static int parse_count(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (!len || len > 18)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* The event each condition is evaluated on. */
static unsigned cond_event(unsigned c)
{
	return c == RHW_COND_DISPATCH ? RHW_EV_hook_dispatch : c == RHW_COND_LOST ? 0 : RHW_EV_manifest_commit;
}

static pthread_mutex_t set_lock = PTHREAD_MUTEX_INITIALIZER;

void rhook__trig_before_fork(void)
{
	pthread_mutex_lock(&set_lock);
}

void rhook__trig_after_fork(void)
{
	pthread_mutex_unlock(&set_lock);
}

static int set_locked(const char *spec, char *err, size_t err_size);

int rhook__trig_set(const char *spec, char *err, size_t err_size)
{
	int ret;

	pthread_mutex_lock(&set_lock);
	ret = set_locked(spec, err, err_size);
	pthread_mutex_unlock(&set_lock);
	return ret;
}

/* Parses @spec, then stores it; set_lock held. */
static int set_locked(const char *spec, char *err, size_t err_size)
{
	uint64_t next[RHW_COND_COUNT];
	unsigned events = 0;
	const char *p = spec ? spec : "";

	for (unsigned c = 0; c < RHW_COND_COUNT; c++)
		next[c] = DISARMED;
	if (strcmp(p, "off"))
		while (*p) {
			size_t len = strcspn(p, ","), nlen = strcspn(p, "><,");
			unsigned c;

			for (c = 0; c < RHW_COND_COUNT; c++)
				if (nlen == strlen(cond_names[c]) && !memcmp(p, cond_names[c], nlen))
					break;
			if (c == RHW_COND_COUNT) {
				snprintf(err, err_size,
					 "RHOOK_TRACE_SNAPSHOT_ON: \"%.*s\": unknown condition; expected hold>D, persist>D, "
					 "wait>D, dispatch>D (D with ns, us, ms or s), commit_failed or lost>N",
					 (int)(len > 64 ? 64 : len), p);
				return -EINVAL;
			}
			if (c == RHW_COND_COMMIT_FAILED ? nlen != len
			    : nlen == len || p[nlen] != '>' ||
				      (takes_duration(c) ? parse_duration(p + nlen + 1, len - nlen - 1, &next[c])
							 : parse_count(p + nlen + 1, len - nlen - 1, &next[c]))) {
				snprintf(err, err_size, "RHOOK_TRACE_SNAPSHOT_ON: \"%.*s\": expected %s", (int)(len > 64 ? 64 : len),
					 p,
					 c == RHW_COND_COMMIT_FAILED ? "commit_failed alone"
					 : takes_duration(c)            ? "NAME>D with D a number and ns, us, ms or s, e.g. hold>50ms"
									: "lost>N with N a number of events, e.g. lost>0");
				return -EINVAL;
			}
			if (c == RHW_COND_COMMIT_FAILED)
				next[c] = 0;
			if (next[c] == DISARMED) {
				snprintf(err, err_size, "RHOOK_TRACE_SNAPSHOT_ON: \"%.*s\": out of range", (int)len, p);
				return -EINVAL;
			}
			events |= 1u << cond_event(c);
			p += len;
			if (*p == ',' && !*++p) {
				snprintf(err, err_size, "RHOOK_TRACE_SNAPSHOT_ON: ends with a comma");
				return -EINVAL;
			}
		}
	for (unsigned c = 0; c < RHW_COND_COUNT; c++)
		atomic_store_explicit(&thresholds[c], next[c], memory_order_relaxed);
	/* Bit 0 stands for lost>N, whose "event" is a drop: the recorder's flag. */
	rhook__rec_lost_watch(events & 1u);
	__atomic_store_n(&rhook__trig_events, events & ~1u, __ATOMIC_RELEASE);
	return 0;
}

void rhook__trig_describe(char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned c = 0; c < RHW_COND_COUNT && n < size; c++) {
		uint64_t t = atomic_load_explicit(&thresholds[c], memory_order_relaxed);
		const char *sep = n ? "," : "";

		if (t == DISARMED)
			continue;
		if (c == RHW_COND_COMMIT_FAILED)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", sep, cond_names[c]);
		else if (!takes_duration(c))
			n += (size_t)snprintf(buf + n, size - n, "%s%s>%llu", sep, cond_names[c], (unsigned long long)t);
		else if (t % 1000000000 == 0)
			n += (size_t)snprintf(buf + n, size - n, "%s%s>%llus", sep, cond_names[c], (unsigned long long)(t / 1000000000));
		else if (t % 1000000 == 0)
			n += (size_t)snprintf(buf + n, size - n, "%s%s>%llums", sep, cond_names[c], (unsigned long long)(t / 1000000));
		else if (t % 1000 == 0)
			n += (size_t)snprintf(buf + n, size - n, "%s%s>%lluus", sep, cond_names[c], (unsigned long long)(t / 1000));
		else
			n += (size_t)snprintf(buf + n, size - n, "%s%s>%lluns", sep, cond_names[c], (unsigned long long)t);
	}
}

int rhook__trig_config_from_env(char *err, size_t err_size)
{
	const char *v = getenv("RHOOK_TRACE_SNAPSHOT_INTERVAL");
	uint64_t n;

	if (v && parse_duration(v, strlen(v), &interval_ns)) {
		snprintf(err, err_size, "RHOOK_TRACE_SNAPSHOT_INTERVAL=%s: expected a duration with ns, us, ms or s", v);
		return -EINVAL;
	}
	v = getenv("RHOOK_TRACE_SNAPSHOT_KEEP");
	if (v && (parse_count(v, strlen(v), &n) || n < 1 || n > MAX_KEEP)) {
		snprintf(err, err_size, "RHOOK_TRACE_SNAPSHOT_KEEP=%s: expected 1 to %u", v, MAX_KEEP);
		return -EINVAL;
	}
	if (v)
		keep = (unsigned)n;
	return 0;
}

void rhook__trig_set_wake_fd(int fd)
{
	atomic_store_explicit(&wake_fd, fd, memory_order_relaxed);
	rhook__rec_lost_set_fd(fd);
}

/* lost>N: compare the drops so far with N (rhook-ctl's thread, woken by a drop). */
static void check_lost(void)
{
	struct rhook__rec_status st;
	uint64_t lost;

	if (!rhook__rec_lost_take() || rhook__rec_status(&st))
		return;
	lost = st.lost_discard + st.lost_no_buffer + st.lost_nested;
	if (above(RHW_COND_LOST, lost))
		fire(RHW_COND_LOST, 0, 0, 0, 0, lost);
}

/* Keeps @path as the newest triggered snapshot, removing the oldest beyond the retention. */
static void retain(const char *path)
{
	if (!kept && !(kept = calloc(keep, sizeof(*kept))))
		return;
	if (num_kept == keep) {
		int ret = rhook__snap_remove(kept[0]);

		if (ret && ret != -ENOENT)
			fprintf(stderr, "rhook: cannot remove the old snapshot %s: %s\n", kept[0], strerror(-ret));
		memmove(kept, kept + 1, (size_t)(keep - 1) * sizeof(*kept));
		num_kept--;
	}
	snprintf(kept[num_kept++], sizeof(kept[0]), "%s", path);
}

void rhook__trig_service(void)
{
	struct rhook__snap_result res;
	char err[768];
	unsigned n;
	int ret;

	check_lost();
	n = atomic_exchange_explicit(&wanted, 0, memory_order_relaxed);
	if (!n)
		return;
	ret = rhook__snap_take(NULL, "trigger", &res, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "rhook: triggered snapshot %u not taken: %s\n", n, err);
		return;
	}
	taken++;
	snprintf(last_path, sizeof(last_path), "%s", res.path);
	retain(res.path);
}

uint32_t rhook__trig_taken(char *last, size_t size)
{
	snprintf(last, size, "%s", last_path);
	return taken;
}

void rhook__trig_after_fork_child(void)
{
	atomic_store_explicit(&wake_fd, -1, memory_order_relaxed);
	rhook__rec_lost_set_fd(-1);
	rhook__rec_lost_watch(false);
	__atomic_store_n(&rhook__trig_events, 0, __ATOMIC_RELAXED);
	for (unsigned c = 0; c < RHW_COND_COUNT; c++)
		atomic_store_explicit(&thresholds[c], DISARMED, memory_order_relaxed);
}
