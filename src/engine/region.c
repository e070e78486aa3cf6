/*
 * region.c - creating, opening and closing regions; roles; version
 * references; the pending-file set; the manifest snapshot for hooks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "region.h"
#include "sst.h"
#include "util.h"

#define REGION_FILE  "REGION"
#define DROPPED_FILE "DROPPED"
#define REGION_FORMAT 1

const char *lsm_region_role_name(enum lsm_region_role role)
{
	static const char *const names[] = {
		[LSM_ROLE_LEADER] = "leader",
		[LSM_ROLE_LEADER_DOWNGRADING] = "leader_downgrading",
		[LSM_ROLE_ENTERING_STAGING] = "entering_staging",
		[LSM_ROLE_STAGING] = "staging",
		[LSM_ROLE_EXITING_STAGING] = "exiting_staging",
		[LSM_ROLE_FOLLOWER] = "follower",
		[LSM_ROLE_COMPACTOR] = "compactor",
		[LSM_ROLE_DROPPING] = "dropping",
		[LSM_ROLE_DROPPED] = "dropped",
	};

	return (unsigned)role < sizeof(names) / sizeof(names[0]) ? names[role] : "unknown";
}

rhook_region_id lsm_region_get_id(const struct lsm_region *region)
{
	return region->id;
}

enum lsm_region_role lsm_region_get_role(const struct lsm_region *region)
{
	return (enum lsm_region_role)atomic_load_explicit(&region->role, memory_order_relaxed);
}

size_t lsm_region_orphans(const struct lsm_region *region)
{
	return region->orphans;
}

int lsm__region_check_role(struct lsm_region *region, unsigned roles, const char *op)
{
	enum lsm_region_role role = lsm_region_get_role(region);
	char id[RHOOK_REGION_ID_STRLEN];

	if (LSM__ROLE(role) & roles)
		return 0;
	rhook_region_id_format(region->id, id);
	return lsm__fail(role == LSM_ROLE_FOLLOWER || role == LSM_ROLE_COMPACTOR ||
					   role == LSM_ROLE_LEADER_DOWNGRADING
				   ? -EROFS
				   : -EBUSY,
			   "region %s: %s is not allowed while the region is %s", id, op, lsm_region_role_name(role));
}

void lsm__region_set_role(struct lsm_region *region, enum lsm_region_role role)
{
	pthread_mutex_lock(&region->mem_lock);
	atomic_store_explicit(&region->role, (int)role, memory_order_relaxed);
	pthread_mutex_unlock(&region->mem_lock);
}

struct lsm__version *lsm__region_acquire(struct lsm_region *region)
{
	struct lsm__version *v;

	pthread_mutex_lock(&region->state_lock);
	v = region->current;
	v->refs++;
	pthread_mutex_unlock(&region->state_lock);
	return v;
}

/* state_lock held. */
static void unref_locked(struct lsm__version *v)
{
	if (--v->refs)
		return;
	v->prev->next = v->next;
	v->next->prev = v->prev;
	lsm__version_free(v);
}

void lsm__region_release(struct lsm_region *region, struct lsm__version *v)
{
	pthread_mutex_lock(&region->state_lock);
	unref_locked(v);
	pthread_mutex_unlock(&region->state_lock);
}

void lsm__region_install(struct lsm_region *region, struct lsm__version *v)
{
	struct lsm__version *head = &region->versions;

	pthread_mutex_lock(&region->state_lock);
	v->refs = 1; /* the region's own */
	v->next = head->next;
	v->prev = head;
	head->next->prev = v;
	head->next = v;
	if (region->current)
		unref_locked(region->current);
	region->current = v;
	pthread_mutex_unlock(&region->state_lock);

	pthread_mutex_lock(&region->mem_lock);
	if (v->m.committed_sequence > region->last_seq)
		region->last_seq = v->m.committed_sequence;
	if (v->m.flushed_entry_id > region->last_entry_id)
		region->last_entry_id = v->m.flushed_entry_id;
	pthread_mutex_unlock(&region->mem_lock);
}

int lsm__region_pending_add(struct lsm_region *region, const rhook_file_id *id)
{
	int err = 0;

	pthread_mutex_lock(&region->state_lock);
	if (region->num_pending == region->cap_pending) {
		size_t cap = region->cap_pending ? 2 * region->cap_pending : 16;
		rhook_file_id *p = realloc(region->pending, cap * sizeof(*p));

		if (p) {
			region->pending = p;
			region->cap_pending = cap;
		} else {
			err = -ENOMEM;
		}
	}
	if (!err)
		region->pending[region->num_pending++] = *id;
	pthread_mutex_unlock(&region->state_lock);
	return err;
}

void lsm__region_pending_remove(struct lsm_region *region, const rhook_file_id *id)
{
	pthread_mutex_lock(&region->state_lock);
	for (size_t i = 0; i < region->num_pending; i++) {
		if (rhook_file_id_equal(&region->pending[i], id)) {
			region->pending[i] = region->pending[--region->num_pending];
			break;
		}
	}
	pthread_mutex_unlock(&region->state_lock);
}

int lsm_region_manifest(struct lsm_region *region, struct lsm_region_manifest *out)
{
	int err;

	rhook_manifest_lock(region->ctx);
	pthread_mutex_lock(&region->state_lock);
	err = lsm__manifest_copy(out, &region->current->m);
	pthread_mutex_unlock(&region->state_lock);
	rhook_manifest_unlock(region->ctx);
	return err;
}

static struct lsm__memtable *memtable_new(void)
{
	return calloc(1, sizeof(struct lsm__memtable));
}

static void memtable_free(struct lsm__memtable *m)
{
	if (m) {
		lsm_row_set_free(&m->rows);
		free(m);
	}
}

static void region_free(struct lsm_region *r)
{
	struct lsm__version *v, *next;

	if (r->ctx)
		rhook_manifest_ctx_free(r->ctx);
	for (v = r->versions.next; v && v != &r->versions; v = next) {
		next = v->next;
		lsm__version_free(v);
	}
	lsm__region_staging_clear(r);
	memtable_free(r->active);
	memtable_free(r->frozen);
	free(r->pending);
	for (size_t i = 0; i < 5; i++) {
		int fd = (int[]){ r->dir_fd, r->data_fd, r->manifest_fd, r->lock_fd, r->files_lock_fd }[i];

		if (fd >= 0)
			close(fd);
	}
	pthread_mutex_destroy(&r->flush_lock);
	pthread_mutex_destroy(&r->compact_lock);
	pthread_mutex_destroy(&r->mem_lock);
	pthread_mutex_destroy(&r->state_lock);
	free(r->dir);
	free(r->mdir);
	free(r);
}

static struct lsm_region *region_alloc(struct lsm_engine *engine, const char *dir)
{
	struct lsm_region *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->engine = engine;
	r->dir_fd = r->data_fd = r->manifest_fd = r->lock_fd = r->files_lock_fd = -1;
	r->staging_fd = -1;
	r->versions.next = r->versions.prev = &r->versions;
	pthread_mutex_init(&r->flush_lock, NULL);
	pthread_mutex_init(&r->compact_lock, NULL);
	pthread_mutex_init(&r->mem_lock, NULL);
	pthread_mutex_init(&r->state_lock, NULL);
	r->dir = strdup(dir);
	if (asprintf(&r->mdir, "%s/manifest", dir) < 0)
		r->mdir = NULL;
	r->active = memtable_new();
	if (!r->dir || !r->mdir || !r->active) {
		region_free(r);
		return NULL;
	}
	return r;
}

static int read_identity(struct lsm_region *r)
{
	json_int_t format = 0;
	const char *id = NULL;
	char *buf, *end;
	size_t len;
	json_t *j;
	int err = lsm__fs_read_all(r->dir_fd, REGION_FILE, &buf, &len);

	if (err)
		return lsm__fail(err == -ENOENT ? -EBADMSG : err, "%s/" REGION_FILE ": %s (not a region directory?)",
				   r->dir, strerror(-err));
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	if (!j || json_unpack(j, "{s:I, s:s}", "format", &format, "region_id", &id) || format != REGION_FORMAT) {
		json_decref(j);
		return lsm__fail(-EBADMSG, "%s/" REGION_FILE ": damaged or of an unknown format", r->dir);
	}
	errno = 0;
	r->id = strtoull(id, &end, 10);
	err = errno || *end || !*id ? lsm__fail(-EBADMSG, "%s/" REGION_FILE ": bad region id", r->dir) : 0;
	json_decref(j);
	return err;
}

static int write_identity(int dir_fd, rhook_region_id id)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "{\"format\":%d,\"region_id\":\"%" PRIu64 "\"}\n", REGION_FORMAT, id);

	return lsm__fs_write_atomic(dir_fd, REGION_FILE, buf, (size_t)n, true);
}

static int open_lock_file(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	return fd < 0 ? -errno : fd;
}

/* Counts data files no version references (left by a crash between write and commit). */
static int count_orphan(const char *name, void *arg)
{
	struct lsm_region *r = arg;
	char s[RHOOK_FILE_ID_STRLEN];
	rhook_file_id id;

	snprintf(s, sizeof(s), "%.36s", name);
	if (name[0] != '.' && (rhook_file_id_parse(s, &id) || !lsm__version_find(r->current, &id)))
		r->orphans++;
	return 0;
}

/* Leader open: leftovers of a crash that the next writes must not trip over. */
static int clean_leftovers(struct lsm_region *r)
{
	struct lsm__log_listing l;
	int err = lsm__log_list(r->manifest_fd, r->dir, &l);

	if (err)
		return err;
	for (size_t i = 0; i < l.num_temps; i++)
		unlinkat(r->manifest_fd, l.temps[i], 0);
	lsm__log_listing_free(&l);
	/* Staging does not survive a restart: the staged writes never reached the live log. */
	err = lsm__fs_remove_tree(r->dir_fd, "staging");
	if (err)
		return lsm__fail(err, "%s/staging: cannot remove abandoned staging manifest: %s", r->dir,
				   strerror(-err));
	return lsm__fs_sync_dir(r->dir_fd);
}

int lsm_region_open(struct lsm_engine *engine, const char *dir, enum lsm_region_role role,
		      struct lsm_region **out)
{
	static const struct rhook_manifest_store_ops store_ops = { .size = sizeof(store_ops),
								   .persist = lsm__region_persist };
	struct rhook_manifest_ctx_config cfg = { .size = sizeof(cfg) };
	struct lsm__log_pointer behind;
	struct lsm__version *v = NULL;
	struct lsm_region *r;
	int err;

	if (role != LSM_ROLE_LEADER && role != LSM_ROLE_FOLLOWER && role != LSM_ROLE_COMPACTOR)
		return lsm__fail(-EINVAL, "%s: a region opens as leader, follower or compactor", dir);
	r = region_alloc(engine, dir);
	if (!r)
		return lsm__fail(-ENOMEM, "out of memory");
	atomic_init(&r->role, (int)role);
	r->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->dir_fd < 0) {
		err = lsm__fail(-errno, "%s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!faccessat(r->dir_fd, DROPPED_FILE, F_OK, AT_SYMLINK_NOFOLLOW)) {
		err = lsm__fail(-ENOENT, "%s: the region was dropped", dir);
		goto fail;
	}
	if ((err = read_identity(r)))
		goto fail;
	if ((r->manifest_fd = lsm__fs_open_dir(r->dir_fd, "manifest", false)) < 0 ||
	    (r->data_fd = lsm__fs_open_dir(r->dir_fd, "data", false)) < 0) {
		err = lsm__fail(r->manifest_fd < 0 ? r->manifest_fd : r->data_fd, "%s: manifest/ or data/: %s", dir,
				  strerror(-(r->manifest_fd < 0 ? r->manifest_fd : r->data_fd)));
		goto fail;
	}
	if ((r->lock_fd = open_lock_file(r->dir_fd, "LOCK")) < 0 ||
	    (r->files_lock_fd = open_lock_file(r->dir_fd, "FILES.lock")) < 0) {
		err = r->lock_fd < 0 ? r->lock_fd : r->files_lock_fd;
		err = lsm__fail(err, "%s: lock files: %s", dir, strerror(-err));
		goto fail;
	}
	/* No ctx exists yet: nobody else in this process can use the flock. */
	flock(r->lock_fd, role == LSM_ROLE_LEADER ? LOCK_EX : LOCK_SH);
	err = lsm__log_load(r->manifest_fd, r->mdir, NULL, &v, &r->checkpoint_version, &behind);
	if (!err && !v)
		err = lsm__fail(-EBADMSG, "%s/manifest: empty (no version to open)", dir);
	if (!err && v->m.meta.region_id != r->id)
		err = lsm__fail(-EBADMSG, "%s: manifest of region %llu in the directory of region %llu", dir,
				  (unsigned long long)v->m.meta.region_id, (unsigned long long)r->id);
	if (!err && role == LSM_ROLE_LEADER)
		err = clean_leftovers(r);
	/* The leader holds LOCK_EX: a delta a crash left unrecorded is recorded now. */
	if (!err && role == LSM_ROLE_LEADER && behind.version &&
	    (err = lsm__log_write_latest(r->manifest_fd, behind.version, behind.size, behind.hash)))
		err = lsm__fail(err, "%s/_latest: cannot record version %llu: %s", r->mdir,
				  (unsigned long long)behind.version, strerror(-err));
	flock(r->lock_fd, LOCK_UN);
	if (err) {
		lsm__version_free(v);
		goto fail;
	}
	r->live_tail = v->m.version;
	lsm__region_install(r, v);
	lsm__fs_for_each(r->data_fd, count_orphan, r);

	cfg.region_id = r->id;
	cfg.registry = engine->registry;
	cfg.store_ops = &store_ops;
	cfg.store = r;
	cfg.last_version = r->live_tail;
	err = rhook_manifest_ctx_new(&cfg, &r->ctx);
	if (err) {
		err = lsm__fail(err, "%s: cannot create the manifest context: %s", dir, strerror(-err));
		goto fail;
	}
	*out = r;
	return 0;
fail:
	region_free(r);
	return err;
}

/* fsync of the directory that holds @path, so a new entry in it is durable. */
static int sync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd, err;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -errno;
	err = lsm__fs_sync_dir(fd);
	close(fd);
	return err;
}

int lsm_region_create(struct lsm_engine *engine, const char *dir, const struct rhook_region_meta *meta,
			struct lsm_region **out)
{
	struct rhook_action_change change = { .metadata = *meta, .sst_format = meta->sst_format,
					       .append_mode = meta->append_mode };
	struct rhook_action_list *list = rhook_action_list_new();
	int dir_fd = -1, mfd = -1, dfd = -1, err;
	uint64_t size, hash;
	char *json = NULL;
	size_t len;

	if (!list)
		return lsm__fail(-ENOMEM, "out of memory");
	if (mkdir(dir, 0700)) {
		err = lsm__fail(-errno, "%s: cannot create the region directory: %s", dir, strerror(errno));
		goto out;
	}
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir_fd < 0 || (mfd = lsm__fs_open_dir(dir_fd, "manifest", true)) < 0 ||
	    (dfd = lsm__fs_open_dir(dir_fd, "data", true)) < 0) {
		err = lsm__fail(-errno, "%s: %s", dir, strerror(errno));
		goto undo;
	}
	/* Version 1 is written directly: creating a region is not a hooked write. */
	err = rhook_action_list_add_change(list, &change);
	if (!err)
		err = rhook_action_list_to_json(list, &json, &len);
	if (!err)
		err = lsm__log_write(mfd, 1, 0, false, json, len, &size, &hash);
	/* Before the identity: a crash before it leaves no region, not one without a record. */
	if (!err)
		err = lsm__log_write_latest(mfd, 1, size, hash);
	if (!err)
		err = lsm__fs_sync_dir(mfd);
	if (!err)
		err = write_identity(dir_fd, meta->region_id);
	if (!err)
		err = sync_parent(dir);
	if (err) {
		err = lsm__fail(err, "%s: cannot create the region: %s", dir, strerror(-err));
		goto undo;
	}
	err = lsm_region_open(engine, dir, LSM_ROLE_LEADER, out);
	goto out;
undo:
	/* Not a region yet: nothing half-created stays behind. */
	lsm__fs_remove_tree(AT_FDCWD, dir);
out:
	free(json);
	rhook_action_list_free(list);
	if (dir_fd >= 0)
		close(dir_fd);
	if (mfd >= 0)
		close(mfd);
	if (dfd >= 0)
		close(dfd);
	return err;
}

void lsm_region_close(struct lsm_region *region)
{
	struct lsm_engine *e;

	if (!region)
		return;
	e = region->engine;
	pthread_mutex_lock(&e->pool_lock);
	while (region->jobs)
		pthread_cond_wait(&e->idle_cond, &e->pool_lock);
	pthread_mutex_unlock(&e->pool_lock);
	region_free(region);
}
