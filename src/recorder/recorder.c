/*
 * recorder.c - life cycle of the flight recorder: start (create and map
 * a trace file), stop, process exit, fork, and a forked child's first
 * event.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/internal.h"
#include "base/urcu.h"
#include "clock.h"
#include "fault.h"
#include "recorder.h"
#include "recorder_impl.h"
#include "safedir/safedir.h"
#include "wire/events.h"

int rhook__rec_active;
struct rhook__recorder *_Atomic rhook__rec_current;
pthread_mutex_t rhook__rec_lock = PTHREAD_MUTEX_INITIALIZER;
char rhook__rec_gp_token __attribute__((unused));
static uint64_t next_gen = 1; /* [rhook__rec_lock] */

/*
 * A forked child's recorder before its first event (see recorder_impl.h).
 * Stored under rhook__rec_lock; loaded without it (relaxed) by the write
 * path as a hint, which then takes the lock to use it.
 */
static struct rhook__recorder *_Atomic pending;
/*
 * Events dropped while no recorder was published in a child that has a
 * pending one; added to the file's no_buffer count when it is created.
 * Both sides are read-modify-writes (acq_rel), see count_pending_lost().
 */
static _Atomic uint64_t pending_lost;
/* A recorder whose start failed in the write path, freed by the next start or stop. */
static struct rhook__recorder *spare; /* [rhook__rec_lock] */

static void free_spare_locked(void)
{
	free(spare);
	spare = NULL;
}

/* Decimal digits of @v into @buf (which has room), NUL-terminated; its length. */
static size_t put_u64(char *buf, uint64_t v)
{
	char tmp[24];
	size_t n = 0, len;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (len = 0; len < n; len++)
		buf[len] = tmp[n - 1 - len];
	buf[len] = '\0';
	return len;
}

/*
 * Creates a new private trace file in r->dfd (O_EXCL|O_NOFOLLOW: never a
 * file or symlink someone planted) and sets r->path; its fd or -errno.
 */
static int create_file(struct rhook__recorder *r)
{
	int fd = -EEXIST;

	for (unsigned n = 0; n < 1000 && fd == -EEXIST; n++) {
		char name[64] = "rhook-";
		size_t len = 6;

		len += put_u64(name + len, (uint64_t)r->pid);
		name[len++] = '-';
		len += put_u64(name + len, n);
		memcpy(name + len, RHR_FILE_SUFFIX, sizeof(RHR_FILE_SUFFIX));
		fd = openat(r->dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			fd = -errno;
		} else {
			size_t dlen = strnlen(r->dir, sizeof(r->path) - sizeof(name) - 2);

			memcpy(r->path, r->dir, dlen);
			r->path[dlen] = '/';
			memcpy(r->path + dlen + 1, name, strlen(name) + 1);
		}
	}
	return fd;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* /proc/sys/kernel/random/boot_id as 16 bytes (zero if unreadable); system calls only. */
static void read_boot_id(uint8_t out[16])
{
	char buf[64];
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	uint8_t id[16];
	unsigned k = 0;

	memset(out, 0, 16);
	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i < n && k < 32; i++) {
		int d = hex_digit(buf[i]);

		if (d < 0 && buf[i] != '-')
			break;
		if (d >= 0) {
			id[k / 2] = (uint8_t)(k % 2 ? id[k / 2] | d : d << 4);
			k++;
		}
	}
	if (k == 32)
		memcpy(out, id, 16);
}

/*
 * Fills the header of the fresh (zero) mapping.  @calibrate: take the two
 * calibration samples ~1 ms apart; else reuse r->calib_* (a forked
 * child: same machine, same TSC).  The version is stored last (recorder_format.h, H1).
 */
static void header_init(struct rhook__recorder *r, bool calibrate)
{
	struct rhr_header *h = r->hdr;
	struct timespec rt;
	uint64_t mono;

	h->header_size = RHR_HEADER_SIZE;
	h->bufhdr_size = RHR_BUFHDR_SIZE;
	h->sbhdr_size = RHR_SBHDR_SIZE;
	h->buffer_size = r->buffer_size;
	h->num_buffers = r->num_buffers;
	h->num_subbuffers = r->num_subbuffers;
	h->mode = r->mode;
	h->clock = r->clock;
	h->pid = (uint64_t)r->pid;
	h->num_events = RHW_EV_MAX_ID;
	h->state = RHR_STATE_RECORDING;
	h->flags = r->locked ? RHR_FLAG_WRITER_LOCK : 0;
	gethostname(h->hostname, sizeof(h->hostname) - 1);
	prctl(PR_GET_NAME, h->comm);
	read_boot_id(h->boot_id);
	clock_gettime(CLOCK_REALTIME, &rt);
	mono = rhook__now_ns();
	h->realtime_offset_ns = (int64_t)((uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec - mono);
	if (calibrate) {
		r->calib_start = rhook__anchor_now(r->clock);
		if (r->clock == RHR_CLOCK_TSC) {
			/* A 1 ms baseline so that even a short trace converts ticks well. */
			while (rhook__now_ns() - r->calib_start.mono_ns < 1000000)
				;
		}
		r->calib_end = rhook__anchor_now(r->clock);
	}
	h->start = r->calib_start;
	h->calib = r->calib_end;
	memcpy(h->magic, RHR_MAGIC, sizeof(h->magic));
	__atomic_store_n(&h->version, RHR_VERSION, __ATOMIC_RELEASE);
}

/*
 * Creates, locks, reserves and maps r's file and writes its header; the
 * recorder is complete but unpublished.  rhook__rec_lock held.  0 or
 * -errno (r->fd closed and the file removed).  System calls only, so
 * that a forked child's first event may do it (see header_init() for
 * @calibrate).
 */
static int map_file(struct rhook__recorder *r, bool calibrate)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = RHR_LOCK_LEN };
	int err;

	r->fd = create_file(r);
	if (r->fd < 0)
		return r->fd;
	/*
	 * The liveness lock (recorder_format.h), held by this open file description
	 * until it is closed: by stop, or by the kernel when the process
	 * dies.  Readers only test it, so it is never contended; a file
	 * system without OFD locks leaves the flag clear (readers then
	 * treat the file as live while it says it is recording).
	 */
	r->locked = fcntl(r->fd, F_OFD_SETLK, &lk) == 0;
	/* Reserve the blocks now: a store to a hole of a full disk would fault. */
	err = posix_fallocate(r->fd, 0, (off_t)r->map_size);
	if (err) {
		err = -err;
		goto fail;
	}
	r->map = mmap(NULL, r->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	r->hdr = (struct rhr_header *)r->map;
	rhook__rec_fault_arm(r->map, r->map_size, r->path);
	header_init(r, calibrate);
	r->gen = next_gen++;
	return 0;

fail:
	unlinkat(r->dfd, strrchr(r->path, '/') + 1, 0);
	close(r->fd);
	r->fd = -1;
	return err;
}

/* Makes @r current; rhook__rec_lock held. */
static void publish(struct rhook__recorder *r)
{
	/* The recorder is complete before writers can see it; pairs with their acquire load. */
	atomic_store_explicit(&rhook__rec_current, r, memory_order_release);
	__atomic_store_n(&rhook__rec_active, 1, __ATOMIC_RELAXED);
}

static const char *dir_var(bool env)
{
	return env ? "RHOOK_TRACE_DIR=" : "";
}

/* Creates and publishes a recorder for @cfg (checked); rhook__rec_lock held. */
static int start_locked(const struct rhook_recorder_config *cfg, bool env, char *err, size_t err_size)
{
	struct rhook__recorder *r;
	char msg[512];
	int ret;

	if (atomic_load_explicit(&rhook__rec_current, memory_order_relaxed) ||
	    atomic_load_explicit(&pending, memory_order_relaxed)) {
		snprintf(err, err_size, "already recording");
		return -EALREADY;
	}
	free_spare_locked();
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	if (strlen(cfg->dir) >= sizeof(r->dir) - 64) {
		free(r);
		snprintf(err, err_size, "%s%.64s...: path too long", dir_var(env), cfg->dir);
		return -ENAMETOOLONG;
	}
	strcpy(r->dir, cfg->dir);
	r->clock = (cfg->clock == RHOOK_RECORDER_CLOCK_MONOTONIC ||
		    (cfg->clock == RHOOK_RECORDER_CLOCK_AUTO && !rhook__tsc_usable()))
			   ? RHR_CLOCK_MONOTONIC
			   : RHR_CLOCK_TSC;
	r->mode = cfg->mode;
	r->num_buffers = cfg->num_buffers;
	r->num_subbuffers = cfg->num_subbuffers;
	r->buffer_size = cfg->buffer_size;
	r->subbuf_size = (uint32_t)(cfg->buffer_size / cfg->num_subbuffers);
	r->subbuf_payload = r->subbuf_size - RHR_SBHDR_SIZE;
	r->map_size = RHR_HEADER_SIZE + (size_t)r->num_buffers * (RHR_BUFHDR_SIZE + r->buffer_size);
	r->page_size = (size_t)sysconf(_SC_PAGESIZE);
	r->pid = getpid();

	r->dfd = rhook__safedir_open(r->dir, msg, sizeof(msg));
	if (r->dfd < 0) {
		ret = r->dfd;
		snprintf(err, err_size, "%s%s", dir_var(env), msg);
		free(r);
		return ret;
	}
	ret = map_file(r, true);
	if (ret) {
		snprintf(err, err_size, "%s%s: cannot create a trace file: %s", dir_var(env), r->dir, strerror(-ret));
		close(r->dfd);
		free(r);
		return ret;
	}
	publish(r);
	return 0;
}

int rhook__rec_start(const struct rhook_recorder_config *cfg, bool env, char *err, size_t err_size)
{
	struct rhook_recorder_config norm;
	char buf[8];
	int ret;

	if (!err) {
		err = buf;
		err_size = sizeof(buf);
	}
	ret = rhook__rec_config_check(cfg, &norm, env, true, err, err_size);
	if (ret)
		return ret;
	pthread_mutex_lock(&rhook__rec_lock);
	ret = start_locked(&norm, env, err, err_size);
	pthread_mutex_unlock(&rhook__rec_lock);
	return ret;
}

int rhook_recorder_start(const struct rhook_recorder_config *cfg)
{
	return rhook__rec_start(cfg, false, NULL, 0);
}

/* Final clock anchor and state (recorder_format.h, H2); the mapping stays. */
static void finish_header(struct rhook__recorder *r, uint32_t state)
{
	struct rhr_anchor a = rhook__anchor_now(r->clock);

	r->hdr->stop = a;
	__atomic_store_n(&r->hdr->state, state, __ATOMIC_RELEASE);
}

static void unmap_free(struct rhook__recorder *r)
{
	munmap(r->map, r->map_size);
	rhook__rec_fault_disarm();
	close(r->fd); /* drops the liveness lock, after the last store */
	close(r->dfd);
	free(r);
}

/*
 * Starts the pending child recorder, if any, and returns the current
 * one; rhook__rec_lock held.  Async-signal-safe but for the failure
 * message (see rhook__rec_start_pending()).
 */
static struct rhook__recorder *start_pending_locked(void)
{
	struct rhook__recorder *r = atomic_load_explicit(&pending, memory_order_relaxed);
	int ret;

	if (!r)
		return atomic_load_explicit(&rhook__rec_current, memory_order_relaxed);
	r->pid = getpid();
	ret = map_file(r, false);
	if (ret) {
		rhook__rec_say("rhook: recorder: cannot create the trace file of forked process in ", r->dir, ": ",
			       strerror(-ret), "; not recording\n", NULL);
		atomic_store_explicit(&pending, NULL, memory_order_relaxed);
		__atomic_store_n(&rhook__rec_active, 0, __ATOMIC_RELAXED);
		close(r->dfd);
		spare = r; /* the only pending recorder there is: spare was free */
		return NULL;
	}
	publish(r);
	/*
	 * Cleared after publish (release): a writer that failed its trylock
	 * and loads NULL here (acquire) sees the recorder published.
	 */
	atomic_store_explicit(&pending, NULL, memory_order_release);
	/* Events dropped while it was being created: counted, never lost silently. */
	__atomic_fetch_add(&r->hdr->lost_no_buffer, atomic_exchange(&pending_lost, 0), __ATOMIC_RELAXED);
	return r;
}

struct rhook__recorder *rhook__rec_start_pending(void)
{
	struct rhook__recorder *r;

	if (!atomic_load_explicit(&pending, memory_order_relaxed))
		return NULL;
	/* Never wait: this may be a signal handler that interrupted the holder. */
	if (pthread_mutex_trylock(&rhook__rec_lock)) {
		rhook__rec_count_pending_lost();
		return NULL;
	}
	r = start_pending_locked();
	pthread_mutex_unlock(&rhook__rec_lock);
	return r;
}

void rhook__rec_count_pending_lost(void)
{
	struct rhook__recorder *r;

	if (!atomic_load_explicit(&pending, memory_order_acquire) &&
	    !atomic_load_explicit(&rhook__rec_current, memory_order_relaxed))
		return; /* not recording at all (or stopped meanwhile) */
	/*
	 * Either start_pending_locked() exchanges the count after this add,
	 * or this add comes after its exchange in the count's modification
	 * order; then the add reads from the exchange, so the recorder it
	 * published before is seen below, and the count is moved here.
	 */
	atomic_fetch_add(&pending_lost, 1);
	r = atomic_load_explicit(&rhook__rec_current, memory_order_acquire);
	if (r) /* the caller is inside a read-side section: @r stays mapped */
		__atomic_fetch_add(&r->hdr->lost_no_buffer, atomic_exchange(&pending_lost, 0), __ATOMIC_RELAXED);
}

int rhook_recorder_stop(void)
{
	struct rhook__recorder *r;
	bool faulted;

	/* The grace period below could wait for the caller (see rhook__may_wait_grace_period()). */
	if (!rhook__may_wait_grace_period())
		return -EDEADLK;
	pthread_mutex_lock(&rhook__rec_lock);
	free_spare_locked();
	r = atomic_load_explicit(&rhook__rec_current, memory_order_relaxed);
	if (!r) {
		r = atomic_load_explicit(&pending, memory_order_relaxed);
		if (r) {
			/* A forked child that never recorded: no file to finish. */
			atomic_store_explicit(&pending, NULL, memory_order_relaxed);
			__atomic_store_n(&rhook__rec_active, 0, __ATOMIC_RELAXED);
			close(r->dfd);
			free(r);
		}
		pthread_mutex_unlock(&rhook__rec_lock);
		return r ? 0 : -ENOENT;
	}
	__atomic_store_n(&rhook__rec_active, 0, __ATOMIC_RELAXED);
	atomic_store_explicit(&rhook__rec_current, NULL, memory_order_release);
	/* Wait for every writer that could still hold @r. */
	urcu_bp_synchronize_rcu();
	RHOOK__TSAN_ACQUIRE(&rhook__rec_gp_token);
	faulted = rhook__rec_faulted();
	finish_header(r, RHR_STATE_STOPPED);
	rhook__rec_thread_forget();
	unmap_free(r);
	pthread_mutex_unlock(&rhook__rec_lock);
	return faulted ? -EIO : 0;
}

int rhook_recorder_path(char *buf, size_t size)
{
	struct rhook__recorder *r;
	int err = -ENOENT;

	pthread_mutex_lock(&rhook__rec_lock);
	/* A forked child asking for its file gets it now rather than at its first event. */
	r = start_pending_locked();
	if (r)
		err = snprintf(buf, size, "%s", r->path) < (int)size ? 0 : -ERANGE;
	pthread_mutex_unlock(&rhook__rec_lock);
	return err;
}

static void before_fork(void)
{
	pthread_mutex_lock(&rhook__rec_lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&rhook__rec_lock);
}

/*
 * The child inherits the parent's shared mapping: it must not write
 * there.  It records into a file of its own, with the same
 * configuration, created at its first event (a child that only execs
 * or exits leaves no file).  Only the forking thread exists here, so
 * nothing can be reading @r.  System calls only.
 */
static void after_fork_child(void)
{
	struct rhook__recorder *r = atomic_load_explicit(&rhook__rec_current, memory_order_relaxed);

	atomic_store_explicit(&rhook__rec_current, NULL, memory_order_relaxed);
	rhook__rec_thread_forget();
	if (r) {
		munmap(r->map, r->map_size);
		rhook__rec_fault_disarm();
		close(r->fd); /* the parent's descriptor keeps the parent's lock */
		r->map = NULL;
		r->hdr = NULL;
		r->fd = -1;
		if (__atomic_load_n(&rhook__rec_active, __ATOMIC_RELAXED)) {
			/* rhook__rec_active stays set: the first event comes to rhook__rec_emit(). */
			atomic_store_explicit(&pending, r, memory_order_relaxed);
		} else {
			/* The parent's recorder had lost its file: the child does not record. */
			close(r->dfd);
			spare = r;
		}
	}
	atomic_store_explicit(&pending_lost, 0, memory_order_relaxed);
	pthread_mutex_unlock(&rhook__rec_lock);
}

__attribute__((destructor)) static void rhook_rec_exit(void)
{
	struct rhook__recorder *r;

	pthread_mutex_lock(&rhook__rec_lock);
	r = atomic_load_explicit(&rhook__rec_current, memory_order_relaxed);
	if (r && !rhook__rec_faulted())
		finish_header(r, RHR_STATE_EXITED);
	pthread_mutex_unlock(&rhook__rec_lock);
}

void rhook__rec_init_from_env(void)
{
	struct rhook_recorder_config cfg;
	char err[768];
	int ret;

	rhook__rec_writer_init();
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	ret = rhook_recorder_config_from_env(&cfg, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "rhook: recorder not started: %s\n", err);
		return;
	}
	if (ret == 0)
		return;
	ret = rhook__rec_start(&cfg, true, err, sizeof(err));
	if (ret)
		fprintf(stderr, "rhook: recorder not started: %s\n", err);
}
