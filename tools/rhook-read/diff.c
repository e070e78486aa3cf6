/*
 * diff.c - BASE against NEW, per phase and cause (see diff.h).
 */
#include "diff.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reader/schema.h"

static const char *const stat_names[RDR_DS_COUNT] = { "p50", "p90", "p99", "p99.9", "max" };
static const double stat_q[RDR_DS_COUNT] = { 0.5, 0.9, 0.99, 0.999, 1.0 };
static const char *const verdict_names[] = { "same", "slower", "faster", "-" };

const char *rdr_diff_stat_name(enum rdr_diff_stat stat)
{
	return stat_names[stat];
}

const char *rdr_verdict_name(enum rdr_verdict v)
{
	return verdict_names[v];
}

/* The 95 % confidence interval of quantile @q of @h (diff.h): values of the bounding ranks. */
static void interval(const struct rdr_hist *h, double q, uint64_t *lo, uint64_t *hi)
{
	double n = (double)h->count, mid = n * q, half = 1.96 * sqrt(n * q * (1.0 - q));
	double l = floor(mid - half), u = ceil(mid + half) + 1.0;

	*lo = l < 1.0 ? 0 : rdr_hist_at_rank(h, (uint64_t)l);
	*hi = u > n ? UINT64_MAX : rdr_hist_at_rank(h, (uint64_t)u);
}

void rdr_diff_compare(const struct rdr_hist *base, const struct rdr_hist *new, enum rdr_diff_stat stat,
			 struct rdr_diff_cell *cell)
{
	double q = stat_q[stat];

	memset(cell, 0, sizeof(*cell));
	if (stat == RDR_DS_MAX) {
		cell->base = base->max;
		cell->new = new->max;
		cell->verdict = RDR_V_NONE;
	} else {
		/* Nearest rank, as stats reports it. */
		cell->base = rdr_hist_at_rank(base, (uint64_t)ceil(q * (double)base->count));
		cell->new = rdr_hist_at_rank(new, (uint64_t)ceil(q * (double)new->count));
		interval(base, q, &cell->base_lo, &cell->base_hi);
		interval(new, q, &cell->new_lo, &cell->new_hi);
		if (cell->base_hi != UINT64_MAX && cell->new_lo > cell->base_hi)
			cell->verdict = RDR_V_SLOWER;
		else if (cell->new_hi != UINT64_MAX && cell->new_hi < cell->base_lo)
			cell->verdict = RDR_V_FASTER;
	}
	cell->ratio = cell->base ? (double)cell->new / (double)cell->base : 0.0;
}

static const struct rdr_labels *causes(void)
{
	return rdr_schema_field(rdr_schema_event(RHW_EV_manifest_commit), "cause")->labels;
}

int rdr_diff_parse_rule(const char *text, struct rdr_diff_rule *rule, char *err, size_t err_size)
{
	const char *colon = strchr(text, ':'), *stat = colon ? colon + 1 : text, *gt = strchr(stat, '>');
	char *end;
	double pct;

	memset(rule, 0, sizeof(*rule));
	rule->metric = rule->cause = -1;
	rule->text = text;
	if (colon) {
		const char *dot = memchr(text, '.', (size_t)(colon - text));
		size_t mlen = (size_t)((dot ? dot : colon) - text);

		for (int m = 0; m < RDR_M_COUNT; m++)
			if (strlen(rdr_metric_name((enum rdr_metric)m)) == mlen &&
			    !strncmp(text, rdr_metric_name((enum rdr_metric)m), mlen))
				rule->metric = m;
		if (rule->metric < 0)
			return rdr_fail(err, err_size, -EINVAL,
					   "--fail-on '%s': unknown phase '%.*s' (flush, compaction, lock_wait, lock_hold, "
					   "persist, hook_dispatch)",
					   text, (int)mlen, text);
		if (dot) {
			size_t clen = (size_t)(colon - dot - 1);

			for (uint32_t c = 0; c < causes()->count; c++)
				if (strlen(causes()->labels[c]) == clen && !strncmp(dot + 1, causes()->labels[c], clen))
					rule->cause = (int)c;
			if (rule->cause < 0)
				return rdr_fail(err, err_size, -EINVAL, "--fail-on '%s': unknown cause '%.*s'", text,
						   (int)clen, dot + 1);
		}
	}
	if (!gt)
		return rdr_fail(err, err_size, -EINVAL, "--fail-on '%s': expected [PHASE[.CAUSE]:]STAT>+N%%", text);
	for (rule->stat = RDR_DS_P50; rule->stat < RDR_DS_COUNT; rule->stat++)
		if (strlen(stat_names[rule->stat]) == (size_t)(gt - stat) &&
		    !strncmp(stat, stat_names[rule->stat], (size_t)(gt - stat)))
			break;
	if (rule->stat == RDR_DS_COUNT)
		return rdr_fail(err, err_size, -EINVAL, "--fail-on '%s': unknown statistic '%.*s' (p50, p90, p99, p99.9, max)",
				   text, (int)(gt - stat), stat);
	errno = 0;
	pct = strtod(gt + 1, &end);
	if (errno || end == gt + 1 || strcmp(end, "%") || !isfinite(pct) || pct <= -100.0)
		return rdr_fail(err, err_size, -EINVAL, "--fail-on '%s': expected a change in percent after '>' (+10%%)",
				   text);
	rule->limit = 1.0 + pct / 100.0;
	return 0;
}

/* One compared row: a phase and a cause (hook dispatch: every callback). */
struct row {
	enum rdr_metric metric;
	int cause; /* -1: hook dispatch, from the whole trace */
	const struct rdr_hist *base, *new;
};

static size_t rows_of(const struct rdr_stats *base, const struct rdr_stats *new, struct row *rows)
{
	size_t n = 0;

	for (int m = 0; m < RDR_M_COUNT; m++) {
		if (m == RDR_M_HOOK_DISPATCH) {
			rows[n++] = (struct row){ m, -1, &base->all.lat[m], &new->all.lat[m] };
			continue;
		}
		for (int c = 0; c < RDR_STATS_CAUSES; c++)
			rows[n++] = (struct row){ m, c, &base->cause[c].lat[m], &new->cause[c].lat[m] };
	}
	return n;
}

static const char *cause_label(int c)
{
	const char *l;

	if (c < 0)
		return "all";
	l = rdr_label(causes(), (uint64_t)c);
	return l ? l : "unknown";
}

static bool triggers(const struct rdr_diff_rule *rule, const struct row *r, enum rdr_diff_stat stat,
		     const struct rdr_diff_cell *cell)
{
	if (rule->stat != stat || (rule->metric >= 0 && rule->metric != (int)r->metric) || (rule->cause >= 0 && rule->cause != r->cause))
		return false;
	if (!cell->base || cell->ratio <= rule->limit)
		return false;
	return cell->verdict == RDR_V_SLOWER || cell->verdict == RDR_V_NONE;
}

static void json_bound(struct rdr_out *o, uint64_t v, uint64_t unbounded)
{
	if (v == unbounded)
		rdr_out_str(o, "null");
	else
		rdr_out_printf(o, "%" PRIu64, v);
}

static void side_json(struct rdr_out *o, const char *key, const struct rdr_diff_side *s)
{
	rdr_out_printf(o, "\"%s\":{\"path\":", key);
	rdr_out_json_str(o, s->path);
	rdr_out_printf(o, ",\"events\":%" PRIu64 ",\"lost\":%" PRIu64 "}", s->stats->events, s->lost);
}

size_t rdr_diff_report(const struct rdr_diff_side *base, const struct rdr_diff_side *new,
			  const struct rdr_diff_rule *rules, size_t num_rules, bool json, struct rdr_out *o)
{
	struct row rows[RDR_M_COUNT * RDR_STATS_CAUSES];
	size_t n = rows_of(base->stats, new->stats, rows), triggered = 0, shown = 0;
	bool hit[RDR_DIFF_MAX_RULES] = { false };

	if (json) {
		rdr_out_str(o, "{");
		side_json(o, "base", base);
		rdr_out_char(o, ',');
		side_json(o, "new", new);
		rdr_out_str(o, ",\"method\":\"95% order-statistic confidence intervals; beyond noise when they do not "
				  "overlap\",\"rows\":[");
	} else {
		rdr_out_printf(o, "rhook-read diff: BASE %s (%" PRIu64 " events, %" PRIu64 " lost)\n", base->path,
				  base->stats->events, base->lost);
		rdr_out_printf(o, "                 NEW  %s (%" PRIu64 " events, %" PRIu64 " lost)\n", new->path,
				  new->stats->events, new->lost);
		rdr_out_str(o, "verdict: beyond noise when the 95% confidence intervals of the percentiles do not overlap\n\n");
		rdr_out_printf(o, "%-14s %-18s %-6s %10s %10s %14s %14s %8s  %s\n", "phase", "cause", "stat",
				  "base_n", "new_n", "base_ns", "new_ns", "ratio", "verdict");
	}
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];

		if (!r->base->count && !r->new->count)
			continue;
		if (json) {
			rdr_out_printf(o, "%s{\"phase\":\"%s\",\"cause\":\"%s\",\"base_count\":%" PRIu64
					     ",\"new_count\":%" PRIu64 ",\"stats\":{",
					  shown ? "," : "", rdr_metric_name(r->metric), cause_label(r->cause),
					  r->base->count, r->new->count);
		}
		shown++;
		for (int s = 0; s < RDR_DS_COUNT; s++) {
			struct rdr_diff_cell cell;

			if (!r->base->count || !r->new->count) {
				/* Measured on one side only: nothing to compare. */
				if (!json && !s)
					rdr_out_printf(o, "%-14s %-18s %-6s %10" PRIu64 " %10" PRIu64 "  (in one trace only)\n",
							  rdr_metric_name(r->metric), cause_label(r->cause), "-",
							  r->base->count, r->new->count);
				continue;
			}
			rdr_diff_compare(r->base, r->new, (enum rdr_diff_stat)s, &cell);
			for (size_t k = 0; k < num_rules; k++) {
				if (triggers(&rules[k], r, (enum rdr_diff_stat)s, &cell)) {
					triggered += !hit[k];
					hit[k] = true;
				}
			}
			if (json) {
				rdr_out_printf(o, "%s\"%s\":{\"base\":%" PRIu64 ",\"new\":%" PRIu64 ",\"ratio\":%.4f,",
						  s ? "," : "", stat_names[s], cell.base, cell.new, cell.ratio);
				if (cell.verdict != RDR_V_NONE) {
					rdr_out_str(o, "\"base_ci\":[");
					json_bound(o, cell.base_lo, 0);
					rdr_out_char(o, ',');
					json_bound(o, cell.base_hi, UINT64_MAX);
					rdr_out_str(o, "],\"new_ci\":[");
					json_bound(o, cell.new_lo, 0);
					rdr_out_char(o, ',');
					json_bound(o, cell.new_hi, UINT64_MAX);
					rdr_out_str(o, "],");
				}
				rdr_out_printf(o, "\"verdict\":\"%s\"}", verdict_names[cell.verdict]);
			} else {
				rdr_out_printf(o, "%-14s %-18s %-6s %10" PRIu64 " %10" PRIu64 " %14" PRIu64 " %14" PRIu64
						     " %7.2fx  %s\n",
						  s ? "" : rdr_metric_name(r->metric), s ? "" : cause_label(r->cause),
						  stat_names[s], r->base->count, r->new->count, cell.base, cell.new,
						  cell.ratio, verdict_names[cell.verdict]);
			}
		}
		if (json)
			rdr_out_str(o, "}}");
	}
	if (json) {
		rdr_out_str(o, "],\"rules\":[");
		for (size_t k = 0; k < num_rules; k++) {
			rdr_out_str(o, k ? ",{\"rule\":" : "{\"rule\":");
			rdr_out_json_str(o, rules[k].text);
			rdr_out_printf(o, ",\"triggered\":%s}", hit[k] ? "true" : "false");
		}
		rdr_out_printf(o, "],\"regression\":%s}\n", triggered ? "true" : "false");
	} else {
		for (size_t k = 0; k < num_rules; k++)
			rdr_out_printf(o, "%s--fail-on '%s': %s\n", k ? "" : "\n", rules[k].text,
					  hit[k] ? "REGRESSION" : "ok");
	}
	return triggered;
}
