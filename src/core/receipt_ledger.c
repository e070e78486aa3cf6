/*
 * receipt_ledger.c - debug builds: every pending receipt is entered in a
 * ledger with the place of its update, and reported if it is still there
 * when its context is freed or the process exits.  Release builds keep
 * no ledger.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "manifest_ctx.h"

#ifdef RHOOK_DEBUG

struct entry {
	struct entry *next;
	uint64_t serial;
	const struct rhook_manifest_ctx *ctx;
	rhook_region_id region_id;
	uint64_t version;
	const char *file;
	int line;
};

/* Innermost lock: taken under the manifest mutex, takes nothing. */
static pthread_mutex_t ledger_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *ledger;
static uint64_t next_serial = 1;

static void report(const struct entry *e)
{
	char id[RHOOK_REGION_ID_STRLEN];

	fprintf(stderr, "rhook: receipt of region %s version %llu (updated at %s:%d) was neither fired nor discarded\n",
		rhook_region_id_format(e->region_id, id), (unsigned long long)e->version, e->file, e->line);
}

uint64_t rhook__ledger_add(const struct rhook_manifest_ctx *ctx, uint64_t version, const char *file, int line)
{
	struct entry *e = malloc(sizeof(*e));

	if (!e)
		return 0; /* bookkeeping only: the receipt works, it is just not tracked */
	pthread_mutex_lock(&ledger_lock);
	*e = (struct entry){ ledger, next_serial++, ctx, ctx->region_id, version, file, line };
	ledger = e;
	pthread_mutex_unlock(&ledger_lock);
	return e->serial;
}

void rhook__ledger_remove(uint64_t serial)
{
	struct entry **p, *e = NULL;

	if (!serial)
		return;
	pthread_mutex_lock(&ledger_lock);
	for (p = &ledger; *p; p = &(*p)->next) {
		if ((*p)->serial == serial) {
			e = *p;
			*p = e->next;
			break;
		}
	}
	pthread_mutex_unlock(&ledger_lock);
	free(e);
}

void rhook__ledger_forget_ctx(const struct rhook_manifest_ctx *ctx)
{
	struct entry **p = &ledger, *e;

	pthread_mutex_lock(&ledger_lock);
	while ((e = *p)) {
		if (e->ctx == ctx) {
			report(e);
			*p = e->next;
			free(e);
		} else {
			p = &e->next;
		}
	}
	pthread_mutex_unlock(&ledger_lock);
}

void rhook__ledger_before_fork(void)
{
	pthread_mutex_lock(&ledger_lock);
}

void rhook__ledger_after_fork(void)
{
	pthread_mutex_unlock(&ledger_lock);
}

long rhook_debug_unfired_receipts(bool do_report)
{
	long n = 0;

	pthread_mutex_lock(&ledger_lock);
	for (const struct entry *e = ledger; e; e = e->next) {
		if (do_report)
			report(e);
		n++;
	}
	pthread_mutex_unlock(&ledger_lock);
	return n;
}

__attribute__((destructor)) static void report_at_exit(void)
{
	rhook_debug_unfired_receipts(true);
}

#else /* !RHOOK_DEBUG */

long rhook_debug_unfired_receipts(bool do_report)
{
	(void)do_report;
	return -ENOTSUP;
}

#endif /* RHOOK_DEBUG */
