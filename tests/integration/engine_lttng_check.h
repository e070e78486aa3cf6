/*
 * engine_lttng_check.h - checks an LTTng trace of engine_lttng_workload
 * against what the workload's hooks saw (its output), for engine_lttng
 * and lttng_attach.
 */
#ifndef RHOOK_TESTS_ENGINE_LTTNG_CHECK_H
#define RHOOK_TESTS_ENGINE_LTTNG_CHECK_H

#include "rt.h"

/*
 * Every notification a hook saw (in the workload and in rhook-compactor)
 * has its rhook:manifest_updated event with the same region, version and
 * the cause of the operation, and its successful manifest_commit; every
 * announced file its rhook:sst_file_written with the origin; the failed
 * update its failed commit and no manifest_updated; every deleted file
 * its rhook:sst_file_removed with the reason; every SST and every flush
 * or compaction commit names the job id of a flush or compaction that
 * began; flush and compaction spans and hook dispatches are counted; every cause appears; there are no
 * other such events.  @out (the workload's lines, modified) describes one
 * run of the scenario, @t holds the events of that run only.  Fails the
 * cmocka test on the first difference.
 */
void elc_check(const struct rt_trace *t, char *out);

#endif /* RHOOK_TESTS_ENGINE_LTTNG_CHECK_H */
