/*
 * report.h - rhook-read report: one self-contained HTML page of a trace,
 * for a person who has never seen rhook.
 *
 * The page (report/page_head.html, report/page.js) inlines Debian's
 * libjs-dygraphs (MIT), embedded into rhook-read when it is built, and
 * the figures as one JSON document: it opens offline and makes no
 * network request (its Content-Security-Policy forbids any).  It shows
 * what was traced and a banner when events were lost (which counters,
 * how many, from when each process is complete); latency percentile
 * plots (HdrHistogram style) and histograms per phase (lock wait, lock
 * hold, persist, hook dispatch, flush, compaction) with one line per
 * cause; a zoomable timeline per process and region (jobs as spans, one
 * lane per job running at once; commits and SST births as ticks); rows
 * and bytes flushed, files per level, the L0 backlog and write
 * amplification over time; the verdict of every rule of check; and the
 * slowest commits and jobs.
 *
 * Scale: percentiles come from the histograms of stats (hist.h: within
 * 1/128 of the exact value, count and max exact), in constant memory per
 * series.  The timeline keeps at most RDR_REPORT_TIMELINE_BUDGET
 * spans and ticks: items closer than its resolution merge, and the
 * resolution doubles whenever the budget is exceeded, so the page holds
 * what a screen can show whatever the length of the trace.  Time series
 * have at most RDR_REPORT_BUCKETS buckets, whose width doubles as
 * needed.  Collection holds what the engine holds at a moment, not the
 * trace's history: the running jobs, the SSTs live or not yet committed
 * (an SST leaves once out of the manifest or deleted), check's state
 * (check.h: live files, pending SSTs, versions as runs); test
 * reader_scale bounds the peak RSS by the trace's size plus 32 MiB.
 * Single-threaded.
 */
#ifndef RDR_REPORT_H
#define RDR_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "reader/event.h"

#define RDR_REPORT_TIMELINE_BUDGET 100000
#define RDR_REPORT_BUCKETS 1024

struct rdr_report;

/*
 * Whether this rhook-read can write reports: false when it was built
 * without the chart library (@why says what to install).
 */
bool rdr_report_available(const char **why);

/* 0, or -ENOMEM. */
int rdr_report_new(struct rdr_report **out);
/* Adds the next event of the merged timeline (an allocation failure is kept for rdr_report_write()). */
void rdr_report_add(struct rdr_report *r, const struct rdr_event *ev);
/*
 * Writes the page to @path (outfile.h: private, renamed into place when
 * complete), with the processes of the trace (@procs, @num_procs) for
 * its header and loss banner.  0, or a negative errno with a message in
 * @err (-ENOMEM: some figure could not be kept; no page is written).
 */
int rdr_report_write(struct rdr_report *r, const char *path, struct rdr_proc *const *procs,
			size_t num_procs, char *err, size_t err_size);
void rdr_report_free(struct rdr_report *r);

#endif /* RDR_REPORT_H */
