/*
 * report.c - rhook-bench-report: gathers the JSON lines every benchmark
 * printed (one object per figure: name, value, unit, baseline,
 * baseline_value, ratio) into one JSON report and one Markdown table,
 * with the machine they ran on, and checks the floors of the issues.
 *
 * usage: rhook-bench-report FIGURES.jsonl REPORT.json REPORT.md
 * Exit 1 when a required figure is missing or a floor is missed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

/* What a figure must meet; @field is "value", "ratio" or "delta". */
struct floor {
	const char *name;
	const char *field;
	char op; /* '<' at most, '>' at least */
	double limit;
	const char *says;
};

static const struct floor floors[] = {
	{ "dispatch_0_hooks", "delta", '<', 1.0, "<= 1 ns above an empty loop" },
	{ "dispatch_1_hook", "delta", '<', 3.0, "<= 3 ns above the callback itself" },
	{ "dispatch_4_hooks", NULL, 0, 0, "" },
	{ "dispatch_16_hooks", NULL, 0, 0, "" },
	{ "receipt_fire_no_hook", "delta", '<', 1.5, "<= 1.5 ns above the same timed batches without fires" },
	{ "tracepoint_no_session", "value", '<', 1.0, "<= 1 ns" },
	{ "lttng_event", NULL, 0, 0, "" },
	{ "recorder_event", "ratio", '<', 1.0 / 8, ">= 8x faster than LTTng-UST" },
	{ "recorder_event_2_threads", "ratio", '<', 1.0 / 3, ">= 3x faster than LTTng-UST" },
	{ "recorder_event_monotonic", "ratio", '<', 1.0 / 3, ">= 3x faster than LTTng-UST (CLOCK_MONOTONIC clock)" },
	{ "recorder_event_ordered", "ratio", '<', 1.0 / 8, ">= 8x faster than LTTng-UST (same event, ordered TSC)" },
	{ "registry_churn_dispatch", "ratio", '<', 1.3, "<= 1.3x dispatch_1_hook while another thread churns" },
	{ "recorder_event_vs_rdtsc", "ratio", '<', 1.3, "<= 1.3x one RDTSC (same run)" },
	{ "recorder_event_largest", NULL, 0, 0, "(manifest_updated, 64 ids, vs the smallest event)" },
	{ "reader_stats_vs_babeltrace2", "ratio", '>', 25.0, ">= 25x babeltrace2 (dummy sink)" },
	{ "reader_print_vs_babeltrace2", "ratio", '>', 12.0, ">= 12x babeltrace2 (text)" },
	{ "e2e_hook_overhead", "ratio", '<', 1.01, "<= 1 % slowdown (paired)" },
	{ "e2e_recorder_overhead", NULL, 0, 0, "(paired)" },
	{ "e2e_lttng_overhead", "ratio", '<', 1.03, "<= 3 % slowdown (paired)" },
	/* Issue 15: CPU per committed operation on tmpfs without fsync, A/A beside each. */
	{ "e2e_cpu_aa_noise", "noise", '<', 0.005, "A/A noise <= 0.5 % (95 % CI within 1 +- 0.005)" },
	{ "e2e_cpu_hook", "ratio", '<', 1.005, "<= 0.5 % CPU per op" },
	{ "e2e_cpu_recorder", "ratio", '<', 1.01, "<= 1 % CPU per op" },
	{ "e2e_cpu_lttng", "ratio", '<', 1.03, "<= 3 % CPU per op" },
	{ "e2e_cpu_all", NULL, 0, 0, "(recorder + LTTng + hook)" },
	{ "commit_hold_p50_recorder", NULL, 0, 0, "(engine timing, tmpfs, no fsync)" },
	{ "commit_hold_p99_recorder", NULL, 0, 0, "(engine timing, tmpfs, no fsync)" },
	{ "commit_latency_p50_recorder", NULL, 0, 0, "(engine timing, tmpfs, no fsync)" },
	{ "commit_latency_p99_recorder", NULL, 0, 0, "(engine timing, tmpfs, no fsync)" },
	{ "e2e_cpu_rocksdb_aa_noise", "noise", '<', 0.005, "A/A noise <= 0.5 %" },
	{ "e2e_cpu_rocksdb_recorder", "ratio", '<', 1.01, "<= 1 % CPU per put (as the engine's)" },
	{ "e2e_cpu_rocksdb_lttng", "ratio", '<', 1.03, "<= 3 % CPU per put (as the engine's)" },
	/* Issue 15 §3: the reader (rhook-bench-reader). */
	{ "reader_print_json", "value", '>', 5.0, ">= 5 M events/s to a file" },
	{ "reader_stats_1gib", "linear_ratio", '<', 1.5, "linear: s/GiB at 1 GiB <= 1.5x at 128 MiB" },
	{ "reader_stats_1gib", "heap_ratio", '<', 1.5, "heap flat: 1 GiB <= 1.5x 128 MiB" },
	{ "reader_print_1gib", "linear_ratio", '<', 1.5, "linear: s/GiB at 1 GiB <= 1.5x at 128 MiB" },
	{ "reader_print_1gib", "heap_ratio", '<', 1.5, "heap flat: 1 GiB <= 1.5x 128 MiB" },
	{ "reader_print_json_1gib", "linear_ratio", '<', 1.5, "linear: s/GiB at 1 GiB <= 1.5x at 128 MiB" },
	{ "reader_print_json_1gib", "heap_ratio", '<', 1.5, "heap flat: 1 GiB <= 1.5x 128 MiB" },
	{ "reader_files_1gib", "linear_ratio", '<', 1.5, "linear: s/GiB at 1 GiB <= 1.5x at 128 MiB" },
	{ "reader_amp_1gib", "linear_ratio", '<', 1.5, "linear: s/GiB at 1 GiB <= 1.5x at 128 MiB" },
	{ "reader_report_1gib", "linear_ratio", '<', 1.5, "linear: s/GiB at 1 GiB <= 1.5x at 128 MiB" },
	{ "reader_export_perfetto_1gib", "linear_ratio", '<', 1.5, "linear: s/GiB at 1 GiB <= 1.5x at 128 MiB" },
	{ "reader_diff_1gib", "linear_ratio", '<', 1.5, "linear: s/GiB at 1 GiB <= 1.5x at 128 MiB" },
	{ "reader_diff_1gib", "heap_ratio", '<', 1.5, "heap flat: 1 GiB <= 1.5x 128 MiB" },
};
#define NUM_FLOORS (sizeof(floors) / sizeof(floors[0]))

static const struct floor *floor_of(const char *name)
{
	for (size_t i = 0; i < NUM_FLOORS; i++)
		if (!strcmp(floors[i].name, name))
			return &floors[i];
	return NULL;
}

/* The first line of @path starting with @key, after its ':', into @buf (else @dflt). */
static void proc_field(const char *path, const char *key, char *buf, size_t size, const char *dflt)
{
	char line[512];
	FILE *f = fopen(path, "r");

	snprintf(buf, size, "%s", dflt);
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, key, strlen(key)) && colon) {
			snprintf(buf, size, "%s", colon + 1 + strspn(colon + 1, " \t"));
			buf[strcspn(buf, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
}

/* What tools/run bench recorded when the run started (RHOOK_BENCH_*), else "unknown". */
static const char *env_or(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : "unknown";
}

/*
 * The machine and the run: host name, CPU model, vCPUs, kernel, the
 * load average when the run started (tools/run bench records it, with
 * the start time and the git commit, in RHOOK_BENCH_LOAD_START,
 * RHOOK_BENCH_STARTED, RHOOK_BENCH_COMMIT) and now, at its end.
 */
static json_t *machine(void)
{
	char model[256], host[256] = "unknown", end[64];
	struct utsname u;
	double load[3];

	proc_field("/proc/cpuinfo", "model name", model, sizeof(model), "unknown CPU");
	gethostname(host, sizeof(host) - 1);
	uname(&u);
	if (getloadavg(load, 3) < 3)
		load[0] = load[1] = load[2] = -1;
	snprintf(end, sizeof(end), "%.2f %.2f %.2f", load[0], load[1], load[2]);
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}", "hostname", host, "cpu", model, "vcpus",
			 (int)sysconf(_SC_NPROCESSORS_ONLN), "kernel", u.release, "started", env_or("RHOOK_BENCH_STARTED"),
			 "commit", env_or("RHOOK_BENCH_COMMIT"), "load_start", env_or("RHOOK_BENCH_LOAD_START"),
			 "load_end", end);
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

/*
 * What a figure is, where its name alone would mislead: on a machine of
 * @vcpus vCPUs, a 2-thread figure is each thread's cost while both
 * vCPUs are busy, and an N-thread one (N > vCPUs) shares them.
 */
static void label(FILE *md, const char *name, int vcpus)
{
	size_t len = strlen(name), d = len;
	unsigned n;

	if (len > 10 && !strcmp(name + len - 10, "_2_threads")) {
		if (vcpus == 2)
			fprintf(md, "<br>per-thread cost with both vCPUs busy (2-vCPU machine), not scaling");
		else
			fprintf(md, "<br>per-thread cost, 2 threads on %d vCPUs, not scaling", vcpus);
		return;
	}
	/* "..._<N>t": N threads at once. */
	if (len < 3 || name[len - 1] != 't')
		return;
	while (d > 1 && name[d - 2] >= '0' && name[d - 2] <= '9')
		d--;
	if (d < len && name[d - 2] == '_' && sscanf(name + d - 1, "%u", &n) == 1)
		fprintf(md, "<br>wall time per event of all %u threads sharing %d vCPUs, not scaling", n, vcpus);
}

/*
 * One figure's cells: value (the median over rounds), min - max of the
 * value, its 95 % interval, baseline, ratio with its spread; a figure
 * without rounds says so, a timed-out one says that instead of a number.
 */
static void row(FILE *md, const json_t *o, int vcpus)
{
	const char *name = str(o, "name");

	fprintf(md, "| `%s`", name);
	label(md, name, vcpus);
	if (json_is_true(json_object_get(o, "timed_out"))) {
		fprintf(md, " | **timed out** (> %.0f s) | |", num(o, "timeout_s"));
	} else {
		fprintf(md, " | %.4g %s", num(o, "value"), str(o, "unit"));
		if (json_object_get(o, "value_min"))
			fprintf(md, " | %.4g / %.4g / %.4g over %d", num(o, "value_min"), num(o, "value"),
				num(o, "value_max"), (int)num(o, "rounds"));
		else if (json_object_get(o, "min"))
			fprintf(md, " | the ratio's, over %d %s (ratio column)", (int)num(o, "rounds"),
				strncmp(name, "commit_", 7) ? "rounds" : "rounds' commits");
		else
			fprintf(md, " | median only (its bench reports no rounds)");
		if (json_object_get(o, "value_ci_low"))
			fprintf(md, " | [%.4g, %.4g]", num(o, "value_ci_low"), num(o, "value_ci_high"));
		else
			fprintf(md, " |");
	}
	/* No baseline, or no number (timed out): empty cells, not zeros. */
	if (*str(o, "baseline") && json_is_number(json_object_get(o, "baseline_value")))
		fprintf(md, " | %s %.4g", str(o, "baseline"), num(o, "baseline_value"));
	else
		fprintf(md, " | %s", str(o, "baseline"));
	if (json_is_number(json_object_get(o, "ratio")) && *str(o, "baseline"))
		fprintf(md, " | %.4g", num(o, "ratio"));
	else
		fprintf(md, " |");
	if (json_object_get(o, "ci_low"))
		fprintf(md, " [%.4f, %.4f], min %.4f max %.4f", num(o, "ci_low"), num(o, "ci_high"), num(o, "min"),
			num(o, "max"));
	if (json_object_get(o, "noise_low"))
		fprintf(md, ", A/A [%.4f, %.4f]%s", num(o, "noise_low"), num(o, "noise_high"),
			json_is_true(json_object_get(o, "resolved")) ? "" : "; **not resolved from the noise**");
	if (json_is_number(json_object_get(o, "linear_ratio")))
		fprintf(md, "; linear %.3g", num(o, "linear_ratio"));
	if (json_is_number(json_object_get(o, "heap_ratio")))
		fprintf(md, ", heap %.1f MiB (x%.3g)", num(o, "peak_heap_bytes") / (1 << 20), num(o, "heap_ratio"));
}

/*
 * Checks @fl on @o, records the verdict in @o's "floors" array and
 * "meets_floor" (every floor of the figure), returns it.  A ratio with
 * an interval meets its floor only when the interval's far end does (the
 * upper one for an at-most floor, the lower one for an at-least floor): a
 * median inside the noise shows nothing.  A timed-out or missing value
 * misses.
 */
static bool check(json_t *o, const struct floor *fl)
{
	bool interval = !strcmp(fl->field, "ratio") && json_object_get(o, "ci_high");
	const char *on = interval ? (fl->op == '<' ? "ci_high" : "ci_low") : fl->field;
	const json_t *v = json_object_get(o, on);
	double x = json_number_value(v);
	bool ok = json_is_number(v) && !json_is_true(json_object_get(o, "timed_out")) &&
		  (fl->op == '<' ? x <= fl->limit : x >= fl->limit);
	json_t *all = json_object_get(o, "floors");
	const json_t *prev = json_object_get(o, "meets_floor");

	if (!all) {
		all = json_array();
		json_object_set_new(o, "floors", all);
	}
	json_array_append_new(all, json_pack("{s:s, s:s, s:b}", "floor", fl->says, "checked_on", on, "ok", ok));
	json_object_set_new(o, "floor", json_string(fl->says));
	json_object_set_new(o, "floor_checked_on", json_string(on));
	json_object_set_new(o, "meets_floor", json_boolean(ok && (!prev || json_is_true(prev))));
	return ok;
}

static const char table_head[] = "| figure | value (median) | min / median / max over rounds | 95 % CI of the median "
				 "| baseline | ratio |";

int main(int argc, char **argv)
{
	json_t *figures = json_array(), *root, *mach;
	char date[64], line[4096];
	time_t now = time(NULL);
	FILE *in, *md;
	int failed = 0, vcpus;

	if (argc != 4) {
		fprintf(stderr, "usage: rhook-bench-report FIGURES.jsonl REPORT.json REPORT.md\n");
		return 2;
	}
	umask(077); /* the reports are private, like every file rhook's tools create */
	in = fopen(argv[1], "r");
	if (!in) {
		fprintf(stderr, "rhook-bench-report: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), in)) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);

		if (!o || !json_is_string(json_object_get(o, "name"))) {
			fprintf(stderr, "rhook-bench-report: %s: not a figure: %s", argv[1], line);
			json_decref(o);
			fclose(in);
			return 2;
		}
		json_array_append_new(figures, o);
	}
	fclose(in);

	mach = machine();
	vcpus = (int)json_integer_value(json_object_get(mach, "vcpus"));
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	md = fopen(argv[3], "w");
	if (!md) {
		fprintf(stderr, "rhook-bench-report: %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	fprintf(md, "Run of commit %s, started %s, ended %s, on %s: %s, %d vCPUs, Linux %s; load average %s at the "
		    "start, %s at the end.\n\n",
		str(mach, "commit"), str(mach, "started"), date, str(mach, "hostname"), str(mach, "cpu"), vcpus,
		str(mach, "kernel"), str(mach, "load_start"), str(mach, "load_end"));
	fprintf(md, "Value: the median over rounds, with its min and max and a bootstrap 95 %% interval of the median "
		    "(\"median only\": that bench reports one number). Ratios with an interval: median of per-round "
		    "ratios, bootstrap 95 %% interval, the A/A (no hook vs no hook) interval beside it where there is "
		    "one; a figure whose interval does not lie outside the A/A one is marked as not resolved from the "
		    "noise; a ratio with an interval meets its floor only when the interval's far end does.\n\n");
	fprintf(md, "%s floor | |\n|---|---:|---|---|---|---:|---|---|\n", table_head);
	for (size_t i = 0; i < NUM_FLOORS; i++) {
		const struct floor *fl = &floors[i];
		json_t *o = NULL, *v;
		size_t k;
		const char *verdict = "";

		json_array_foreach(figures, k, v)
			if (!strcmp(str(v, "name"), fl->name))
				o = v;
		if (!o) {
			fprintf(stderr, "rhook-bench-report: no figure %s\n", fl->name);
			fprintf(md, "| `%s` | missing | | | | | %s | **missing** |\n", fl->name, fl->says);
			failed = 1;
			continue;
		}
		if (fl->field) {
			bool ok = check(o, fl);

			verdict = ok ? "ok" : "**missed**";
			failed |= !ok;
		}
		row(md, o, vcpus);
		fprintf(md, " | %s | %s |\n", fl->says, verdict);
	}
	fprintf(md, "\nOther figures of the same run:\n\n%s\n|---|---:|---|---|---|---:|\n", table_head);
	{
		size_t k;
		json_t *v;

		json_array_foreach(figures, k, v) {
			if (!floor_of(str(v, "name"))) {
				row(md, v, vcpus);
				fprintf(md, " |\n");
			}
		}
	}
	fclose(md);
	snprintf(line, sizeof(line), "%s, %d cores, Linux %s, load average %s", str(mach, "cpu"), vcpus,
		 str(mach, "kernel"), str(mach, "load_end"));
	root = json_pack("{s:s, s:s, s:O, s:o}", "date", date, "machine", line, "run", mach, "figures", figures);
	json_decref(mach);
	if (!root || json_dump_file(root, argv[2], JSON_INDENT(2))) {
		fprintf(stderr, "rhook-bench-report: cannot write %s\n", argv[2]);
		return 2;
	}
	json_decref(root);
	return failed;
}
