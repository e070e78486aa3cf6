/*
 * recorder.c - life cycle of the flight recorder: start (create and map
 * a trace file), stop, process exit, fork.
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

#include "../core/internal.h"
#include "../core/urcu.h"
#include "../trace/events.h"
#include "clock.h"
#include "recorder.h"
#include "recorder_impl.h"

#define DEFAULT_BUFFER_SIZE (1u << 20)
#define DEFAULT_NUM_BUFFERS 16u
#define DEFAULT_NUM_SUBBUFFERS 8u
#define MAX_BUFFER_SIZE (1u << 30)
#define MAX_NUM_BUFFERS 4096u
#define MAX_NUM_SUBBUFFERS 65536u

int rhook__rec_active;
struct rhook__recorder *_Atomic rhook__rec_current;
pthread_mutex_t rhook__rec_lock = PTHREAD_MUTEX_INITIALIZER;
char rhook__rec_gp_token __attribute__((unused));
static uint64_t next_gen = 1; /* [rhook__rec_lock] */

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* Fills defaults and checks sizes; 0 or -EINVAL. */
static int normalize(const struct rhook_recorder_config *in, struct rhook_recorder_config *out)
{
	if (!in || in->size < sizeof(*in) || !in->dir || !*in->dir)
		return -EINVAL;
	*out = *in;
	out->size = sizeof(*out);
	if (!out->buffer_size)
		out->buffer_size = DEFAULT_BUFFER_SIZE;
	if (!out->num_buffers)
		out->num_buffers = DEFAULT_NUM_BUFFERS;
	if (!out->num_subbuffers)
		out->num_subbuffers = DEFAULT_NUM_SUBBUFFERS;
	if (!is_pow2(out->buffer_size) || out->buffer_size > MAX_BUFFER_SIZE ||
	    out->num_buffers > MAX_NUM_BUFFERS || !is_pow2(out->num_subbuffers) || out->num_subbuffers < 2 ||
	    out->num_subbuffers > MAX_NUM_SUBBUFFERS ||
	    out->buffer_size / out->num_subbuffers < RHR_MIN_SUBBUF_SIZE)
		return -EINVAL;
	if (out->mode != RHOOK_RECORDER_OVERWRITE && out->mode != RHOOK_RECORDER_DISCARD)
		return -EINVAL;
	if (out->clock > RHOOK_RECORDER_CLOCK_MONOTONIC)
		return -EINVAL;
	if (out->clock == RHOOK_RECORDER_CLOCK_TSC && !rhook__tsc_invariant())
		return -ENOTSUP;
	return 0;
}

/* Creates a new private trace file in @dir; returns its fd or -errno. */
static int create_file(const char *dir, char *path, size_t path_size)
{
	int dfd, fd = -EEXIST;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	for (unsigned n = 0; n < 1000 && fd == -EEXIST; n++) {
		char name[64];

		snprintf(name, sizeof(name), "rhook-%ld-%u%s", (long)getpid(), n, RHR_FILE_SUFFIX);
		/* O_EXCL|O_NOFOLLOW: never open a file or symlink someone planted. */
		fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			fd = -errno;
		else
			snprintf(path, path_size, "%s/%s", dir, name);
	}
	close(dfd);
	return fd;
}

static void read_boot_id(uint8_t out[16])
{
	char buf[64];
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	rhook_file_id id;

	memset(out, 0, 16);
	if (fd >= 0)
		close(fd);
	if (n >= 36) {
		buf[36] = '\0';
		if (!rhook_file_id_parse(buf, &id))
			memcpy(out, id.bytes, 16);
	}
}

static void header_init(struct rhook__recorder *r)
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
	h->num_events = RHOOK__EV_MAX_ID;
	h->state = RHR_STATE_RECORDING;
	gethostname(h->hostname, sizeof(h->hostname) - 1);
	prctl(PR_GET_NAME, h->comm);
	read_boot_id(h->boot_id);
	clock_gettime(CLOCK_REALTIME, &rt);
	mono = rhook__now_ns();
	h->realtime_offset_ns = (int64_t)((uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec - mono);
	h->start = rhook__anchor_now(r->clock);
	if (r->clock == RHR_CLOCK_TSC) {
		/* A 1 ms baseline so that even a short trace converts ticks well. */
		while (rhook__now_ns() - h->start.mono_ns < 1000000)
			;
	}
	h->calib = rhook__anchor_now(r->clock);
	memcpy(h->magic, RHR_MAGIC, sizeof(h->magic));
	/* The version last: a header with version 0 was never completed. */
	__atomic_store_n(&h->version, RHR_VERSION, __ATOMIC_RELEASE);
}

/* Creates and publishes a recorder for @cfg (normalized); rhook__rec_lock held. */
static int start_locked(const struct rhook_recorder_config *cfg)
{
	struct rhook__recorder *r;
	int err;

	if (atomic_load_explicit(&rhook__rec_current, memory_order_relaxed))
		return -EALREADY;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (strlen(cfg->dir) >= sizeof(r->dir)) {
		free(r);
		return -ENAMETOOLONG;
	}
	strcpy(r->dir, cfg->dir);
	r->cfg = *cfg;
	r->cfg.dir = r->dir;
	r->clock = (cfg->clock == RHOOK_RECORDER_CLOCK_MONOTONIC ||
		    (cfg->clock == RHOOK_RECORDER_CLOCK_AUTO && !rhook__tsc_invariant()))
			   ? RHR_CLOCK_MONOTONIC
			   : RHR_CLOCK_TSC;
	r->mode = cfg->mode;
	r->num_buffers = cfg->num_buffers;
	r->num_subbuffers = cfg->num_subbuffers;
	r->buffer_size = cfg->buffer_size;
	r->subbuf_size = (uint32_t)(cfg->buffer_size / cfg->num_subbuffers);
	r->subbuf_payload = r->subbuf_size - RHR_SBHDR_SIZE;
	r->map_size = RHR_HEADER_SIZE + (size_t)r->num_buffers * (RHR_BUFHDR_SIZE + r->buffer_size);
	r->pid = getpid();

	r->fd = create_file(r->dir, r->path, sizeof(r->path));
	if (r->fd < 0) {
		err = r->fd;
		goto fail_free;
	}
	/* Reserve the blocks now: a write to a hole of a full disk would be SIGBUS. */
	err = posix_fallocate(r->fd, 0, (off_t)r->map_size);
	if (err) {
		err = -err;
		goto fail_file;
	}
	r->map = mmap(NULL, r->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		err = -errno;
		goto fail_file;
	}
	r->hdr = (struct rhr_header *)r->map;
	header_init(r);
	r->gen = next_gen++;
	/* The recorder is complete before writers can see it. */
	atomic_store_explicit(&rhook__rec_current, r, memory_order_release);
	__atomic_store_n(&rhook__rec_active, 1, __ATOMIC_RELAXED);
	return 0;

fail_file:
	close(r->fd);
	unlink(r->path);
fail_free:
	free(r);
	return err;
}

int rhook_recorder_start(const struct rhook_recorder_config *cfg)
{
	struct rhook_recorder_config norm;
	int err = normalize(cfg, &norm);

	if (err)
		return err;
	pthread_mutex_lock(&rhook__rec_lock);
	err = start_locked(&norm);
	pthread_mutex_unlock(&rhook__rec_lock);
	return err;
}

/* Final clock anchor and state; the mapping stays. */
static void finish_header(struct rhook__recorder *r, uint32_t state)
{
	r->hdr->stop = rhook__anchor_now(r->clock);
	__atomic_store_n(&r->hdr->state, state, __ATOMIC_RELEASE);
}

static void unmap_free(struct rhook__recorder *r)
{
	munmap(r->map, r->map_size);
	close(r->fd);
	free(r);
}

int rhook_recorder_stop(void)
{
	struct rhook__recorder *r;

	/* The grace period below could wait for the caller (see rhook__may_wait_grace_period()). */
	if (!rhook__may_wait_grace_period())
		return -EDEADLK;
	pthread_mutex_lock(&rhook__rec_lock);
	r = atomic_load_explicit(&rhook__rec_current, memory_order_relaxed);
	if (!r) {
		pthread_mutex_unlock(&rhook__rec_lock);
		return -ENOENT;
	}
	__atomic_store_n(&rhook__rec_active, 0, __ATOMIC_RELAXED);
	atomic_store_explicit(&rhook__rec_current, NULL, memory_order_release);
	/* Wait for every writer that could still hold @r. */
	urcu_bp_synchronize_rcu();
	RHOOK__TSAN_ACQUIRE(&rhook__rec_gp_token);
	finish_header(r, RHR_STATE_STOPPED);
	rhook__rec_thread_forget();
	unmap_free(r);
	pthread_mutex_unlock(&rhook__rec_lock);
	return 0;
}

int rhook_recorder_path(char *buf, size_t size)
{
	struct rhook__recorder *r;
	int err = -ENOENT;

	pthread_mutex_lock(&rhook__rec_lock);
	r = atomic_load_explicit(&rhook__rec_current, memory_order_relaxed);
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
 * The child inherits the parent's shared mapping: it must not write there.
 * It records into a file of its own, with the same configuration.  Only
 * the forking thread exists here, so nothing can be reading @r.
 */
static void after_fork_child(void)
{
	struct rhook__recorder *r = atomic_load_explicit(&rhook__rec_current, memory_order_relaxed);

	pthread_mutex_unlock(&rhook__rec_lock);
	if (!r)
		return;
	__atomic_store_n(&rhook__rec_active, 0, __ATOMIC_RELAXED);
	atomic_store_explicit(&rhook__rec_current, NULL, memory_order_relaxed);
	rhook__rec_thread_forget();
	pthread_mutex_lock(&rhook__rec_lock);
	{
		int err = start_locked(&r->cfg);

		if (err)
			fprintf(stderr, "rhook: recorder: cannot start in the forked child: %s\n", strerror(-err));
	}
	pthread_mutex_unlock(&rhook__rec_lock);
	unmap_free(r);
}

__attribute__((destructor)) static void rhook_rec_exit(void)
{
	struct rhook__recorder *r;

	pthread_mutex_lock(&rhook__rec_lock);
	r = atomic_load_explicit(&rhook__rec_current, memory_order_relaxed);
	if (r)
		finish_header(r, RHR_STATE_EXITED);
	pthread_mutex_unlock(&rhook__rec_lock);
}

void rhook__rec_init_from_env(void)
{
	struct rhook_recorder_config cfg;
	char err[256];
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
	ret = rhook_recorder_start(&cfg);
	if (ret)
		fprintf(stderr, "rhook: recorder not started in %s: %s\n", cfg.dir, strerror(-ret));
}
