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
	{ "registry_churn_dispatch", "ratio", '<', 1.3, "<= 1.3x dispatch_1_hook while another thread churns" },
	{ "recorder_event_vs_rdtsc", "ratio", '<', 1.3, "<= 1.3x one RDTSC (same run)" },
	{ "recorder_event_largest", NULL, 0, 0, "(manifest_updated, 64 ids, vs the smallest event)" },
	{ "reader_stats_vs_babeltrace2", "ratio", '>', 10.0, ">= 10x babeltrace2 (dummy sink)" },
	{ "reader_print_vs_babeltrace2", "ratio", '>', 3.0, ">= 3x babeltrace2 (text)" },
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
};
#define NUM_FLOORS (sizeof(floors) / sizeof(floors[0]))

static const struct floor *floor_of(const char *name)
{
	for (size_t i = 0; i < NUM_FLOORS; i++)
		if (!strcmp(floors[i].name, name))
			return &floors[i];
	return NULL;
}

/* "CPU model, N cores, kernel, load average" of this machine. */
static void machine(char *buf, size_t size)
{
	char model[256] = "unknown CPU", line[512];
	struct utsname u;
	double load[3];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			snprintf(model, sizeof(model), "%s", colon + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	uname(&u);
	/* The machine may be shared: the load at the end of the run says how busy it was. */
	if (getloadavg(load, 3) < 3)
		load[0] = load[1] = load[2] = -1;
	snprintf(buf, size, "%s, %ld cores, Linux %s, load average %.2f %.2f %.2f", model,
		 sysconf(_SC_NPROCESSORS_ONLN), u.release, load[0], load[1], load[2]);
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/*
 * The interval of a figure that has one (bench_report_spread), and a
 * note when it does not lie outside the A/A noise: such a ratio is not
 * a measured cost, whatever its median says.
 */
static void spread(FILE *md, const json_t *o)
{
	const json_t *res = json_object_get(o, "resolved");

	if (!json_object_get(o, "ci_low"))
		return;
	fprintf(md, " [%.4f, %.4f], A/A [%.4f, %.4f], min %.4f max %.4f over %d rounds%s", num(o, "ci_low"),
		num(o, "ci_high"), num(o, "noise_low"), num(o, "noise_high"), num(o, "min"), num(o, "max"),
		(int)num(o, "rounds"), json_is_true(res) ? "" : "; **not resolved from the noise**");
}

int main(int argc, char **argv)
{
	json_t *figures = json_array(), *root;
	char host[512], date[64], line[4096];
	time_t now = time(NULL);
	FILE *in, *md;
	int failed = 0;

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

	machine(host, sizeof(host));
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	md = fopen(argv[3], "w");
	if (!md) {
		fprintf(stderr, "rhook-bench-report: %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	fprintf(md, "Measured %s on %s.\n\n", date, host);
	fprintf(md, "Ratios with an interval: median over rounds, bootstrap 95 %% interval, the A/A (no hook vs no hook) "
		    "interval beside it; a figure whose interval does not lie outside the A/A one is marked as not "
		    "resolved from the noise; such a ratio meets its floor only when the interval's upper end "
		    "does.\n\n");
	fprintf(md, "| figure | value | baseline | ratio | floor | |\n|---|---:|---|---:|---|---|\n");
	for (size_t i = 0; i < NUM_FLOORS; i++) {
		const struct floor *fl = &floors[i];
		json_t *o = NULL, *v;
		size_t k;
		const char *verdict = "";

		json_array_foreach(figures, k, v)
			if (!strcmp(json_string_value(json_object_get(v, "name")), fl->name))
				o = v;
		if (!o) {
			fprintf(stderr, "rhook-bench-report: no figure %s\n", fl->name);
			fprintf(md, "| %s | missing | | | %s | **missing** |\n", fl->name, fl->says);
			failed = 1;
			continue;
		}
		if (fl->field) {
			/*
			 * A ratio with an interval meets its floor only when the
			 * interval's upper end does: a median inside the noise
			 * shows nothing.
			 */
			bool upper = !strcmp(fl->field, "ratio") && json_object_get(o, "ci_high");
			double x = num(o, upper ? "ci_high" : fl->field);
			int ok = fl->op == '<' ? x <= fl->limit : x >= fl->limit;

			json_object_set_new(o, "floor", json_string(fl->says));
			json_object_set_new(o, "meets_floor", json_boolean(ok));
			json_object_set_new(o, "floor_checked_on", json_string(upper ? "ci_high" : fl->field));
			verdict = ok ? "ok" : "**missed**";
			failed |= !ok;
		}
		fprintf(md, "| `%s` | %.3f %s | %s %.3f | %.4f", fl->name, num(o, "value"),
			json_string_value(json_object_get(o, "unit")),
			json_string_value(json_object_get(o, "baseline")), num(o, "baseline_value"), num(o, "ratio"));
		spread(md, o);
		fprintf(md, " | %s | %s |\n", fl->says, verdict);
	}
	fprintf(md, "\nOther figures of the same run:\n\n| figure | value | baseline | ratio |\n|---|---:|---|---:|\n");
	{
		size_t k;
		json_t *v;

		json_array_foreach(figures, k, v) {
			const char *name = json_string_value(json_object_get(v, "name"));

			if (!floor_of(name)) {
				fprintf(md, "| `%s` | %.3f %s | %s %.3f | %.4f", name, num(v, "value"),
					json_string_value(json_object_get(v, "unit")),
					json_string_value(json_object_get(v, "baseline")), num(v, "baseline_value"),
					num(v, "ratio"));
				spread(md, v);
				fprintf(md, " |\n");
			}
		}
	}
	fclose(md);
	root = json_pack("{s:s, s:s, s:o}", "date", date, "machine", host, "figures", figures);
	if (!root || json_dump_file(root, argv[2], JSON_INDENT(2))) {
		fprintf(stderr, "rhook-bench-report: cannot write %s\n", argv[2]);
		return 2;
	}
	json_decref(root);
	return failed;
}
