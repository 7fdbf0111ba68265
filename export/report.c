// SPDX-License-Identifier: MIT
/* report: the entry point, the header every report shares (go tool pprof's
 * ProfileLabels and active filters) and the -top table: the graph is built,
 * trimmed of nodes under nodefraction of the total, cut to nodecount, and
 * its rows printed in one output unit, as report.TextItems does. Traces are
 * in report_traces.c, process and thread totals in report_tasks.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strmap.h"
#include "export/pprof.h"
#include "export/report.h"
#include "export/report_graph.h"
#include "export/report_units.h"

/* go tool pprof's default -edgefraction: in-edges lighter than this share
 * of the total do not count for the "(inline)" marks. */
#define REPORT_EDGE_FRACTION 0.001

void report_opts__init(struct report_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->kind = REPORT_TOP;
	opts->nodefraction = 0.005;
}

int report__sample_index(const Perftools__Profiles__Profile *p, const char *index)
{
	char *end;
	long i;

	if (!index || !*index)
		return pprof__sample_index(p, NULL);
	errno = 0;
	i = strtol(index, &end, 10);
	if (!errno && !*end && end != index)
		return i >= 0 && (size_t)i < p->n_sample_type ? (int)i : -ENOENT;
	i = pprof__sample_index(p, index);
	/* "inuse_space" names "space", as in pprof's legacy heap options. */
	if (i < 0 && !strncmp(index, "inuse_", 6))
		i = pprof__sample_index(p, index + 6);
	return (int)i;
}

/* ---- the header ------------------------------------------------------------ */

static void put_line(FILE *out, const char *s)
{
	report_graph__put(out, s);
	fputc('\n', out);
}

/* Time: as Go's "Jan 2, 2006 at 3:04pm (MST)" in the local zone. */
static void put_time(FILE *out, int64_t nanos)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(nanos / 1000000000 - (nanos % 1000000000 < 0));
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return;
	fprintf(out, "Time: %s %d, %d at %d:%02d%s (%s)\n", months[tm.tm_mon], tm.tm_mday,
		tm.tm_year + 1900, tm.tm_hour % 12 ? tm.tm_hour % 12 : 12, tm.tm_min,
		tm.tm_hour < 12 ? "am" : "pm", tm.tm_zone ? tm.tm_zone : "");
}

/* Comments, each once and not those starting with '#' (Go's merge keeps
 * the first of equal comments). */
static int put_comments(const struct report_graph *g, FILE *out)
{
	const Perftools__Profiles__Profile *p = g->p;
	struct strmap *seen;
	int err = 0;

	if (!p->n_comment)
		return 0;
	seen = strmap__new();
	if (!seen)
		return -ENOMEM;
	for (size_t i = 0; !err && i < p->n_comment; i++) {
		const char *c = pprof__str(p, p->comment[i]);

		if (strmap__get(seen, c))
			continue;
		err = strmap__put(seen, c, (void *)c);
		if (!err && c[0] != '#')
			put_line(out, c);
	}
	strmap__free(seen);
	return err;
}

int report__header(const struct report_graph *g, const char *out_unit, FILE *out)
{
	const Perftools__Profiles__Profile *p = g->p;
	const Perftools__Profiles__Mapping *m = p->n_mapping ? p->mapping[0] : NULL;
	char total[REPORT_UNITS_BUF], dur[REPORT_UNITS_BUF], pct[REPORT_UNITS_BUF];
	const char *unit, *base;
	double nanos;
	int err, len;

	if (m && *pprof__str(p, m->filename)) {
		base = report_graph__base(pprof__str(p, m->filename), &len);
		fprintf(out, "File: %.*s\n", len, base);
	}
	if (m && *pprof__str(p, m->build_id)) {
		fputs("Build ID: ", out);
		put_line(out, pprof__str(p, m->build_id));
	}
	err = put_comments(g, out);
	if (err)
		return err;
	fputs("Type: ", out);
	put_line(out, g->type);
	if (p->time_nanos)
		put_time(out, p->time_nanos);
	if (p->duration_nanos) {
		report_units__label(dur, sizeof(dur), p->duration_nanos, "nanoseconds", "auto");
		report_units__label(total, sizeof(total), g->total, g->unit, out_unit);
		nanos = report_units__scale(g->total, g->unit, "nanoseconds", &unit);
		/* The share of wall time, for time-valued samples only. */
		if (!strcmp(unit, "ns") && nanos != 0)
			fprintf(out, "Duration: %s, Total samples = %s (%s)\n", dur, total,
				report_units__percent(pct, sizeof(pct), (int64_t)nanos,
						      p->duration_nanos));
		else
			fprintf(out, "Duration: %s, Total samples = %s \n", dur, total);
	}
	return 0;
}

void report__filters(const struct report_graph *g, FILE *out)
{
	const char *names[] = { "focus", "ignore" };
	const char *values[] = { g->opts->focus, g->opts->ignore };
	bool any = false;

	for (size_t i = 0; i < 2; i++) {
		const char *v = values[i];

		if (!v || !*v)
			continue;
		if (!any)
			fputs("Active filters:\n", out);
		any = true;
		fprintf(out, "   %s=", names[i]);
		/* Go cuts the "key=value" text at 80 bytes. */
		if (strlen(names[i]) + 1 + strlen(v) > 80) {
			char cut[81];

			snprintf(cut, sizeof(cut), "%s=%s", names[i], v);
			report_graph__put(out, cut + strlen(names[i]) + 1);
			fputs("\xe2\x80\xa6\n", out);
		} else {
			put_line(out, v);
		}
	}
}

/* ---- top ------------------------------------------------------------------- */

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* newTrimmedGraph: drop nodes under the cutoff, sort, keep nodecount;
 * returns the count before nodecount in *ret_orig, the dropped ones in
 * *ret_dropped. */
static int trim(struct report_graph *g, size_t *ret_orig, size_t *ret_dropped)
{
	const struct report_opts *o = g->opts;
	int64_t flat = 0, node_cut, edge_cut;
	size_t kept = 0;
	int err;

	err = report_graph__build(g, false);
	if (err)
		return err;
	for (size_t i = 0; i < g->nshown; i++)
		flat += g->nodes[g->shown[i]].flat;	/* no overflow: parts of the checked total */
	node_cut = abs64((int64_t)((double)flat * o->nodefraction));
	edge_cut = abs64((int64_t)((double)flat * REPORT_EDGE_FRACTION));
	*ret_dropped = 0;
	if (node_cut > 0) {
		for (size_t i = 0; i < g->nnodes; i++)
			g->nodes[i].kept = false;
		for (size_t i = 0; i < g->nshown; i++) {
			struct report_node *n = &g->nodes[g->shown[i]];

			n->kept = abs64(n->cum) >= node_cut;
			kept += n->kept;
		}
		if (kept != g->nshown) {
			*ret_dropped = g->nshown - kept;
			err = report_graph__build(g, true);
			if (err)
				return err;
		}
	}
	*ret_orig = g->nshown;
	report_graph__sort(g);
	if (o->nodecount && o->nodecount < g->nshown) {
		for (size_t i = 0; i < g->nnodes; i++)
			g->nodes[i].kept = false;
		for (size_t i = 0; i < o->nodecount; i++)
			g->nodes[g->shown[i]].kept = true;
		err = report_graph__build(g, true);
		if (err)
			return err;
		report_graph__sort(g);
	}
	report_graph__mark_inline(g, edge_cut);
	return 0;
}

static int write_top(struct report_graph *g, FILE *out)
{
	char v[4][REPORT_UNITS_BUF], pct[3][REPORT_UNITS_BUF];
	int64_t min = 0, flat = 0, sum = 0;
	size_t orig, dropped;
	const char *unit;
	int err;

	err = trim(g, &orig, &dropped);
	if (err)
		return err;
	for (size_t i = 0; i < g->nshown; i++) {
		const struct report_node *n = &g->nodes[g->shown[i]];
		int64_t m = n->flat ? abs64(n->flat) : abs64(n->cum);

		if (m > 0 && (!min || m < min))
			min = m;
		flat += n->flat;
	}
	unit = report_units__output(g->nshown, min, g->total, g->unit);
	err = report__header(g, unit, out);
	if (err)
		return err;
	report__filters(g, out);
	report_units__percent(pct[0], sizeof(pct[0]), flat, g->total);
	fprintf(out, "Showing nodes accounting for %s, %s of %s total\n",
		report_units__label(v[0], sizeof(v[0]), flat, g->unit, unit),
		pct[0] + strspn(pct[0], " "),
		report_units__label(v[1], sizeof(v[1]), g->total, g->unit, unit));
	if (g->total && dropped)
		fprintf(out, "Dropped %zu node%s (cum <= %s)\n", dropped, dropped > 1 ? "s" : "",
			report_units__label(v[0], sizeof(v[0]),
					    abs64((int64_t)((double)g->total * g->opts->nodefraction)),
					    g->unit, unit));
	if (g->total && g->nshown && g->nshown < orig)
		fprintf(out, "Showing top %zu nodes out of %zu\n", g->nshown, orig);
	fprintf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
	for (size_t i = 0; i < g->nshown; i++) {
		const struct report_node *n = &g->nodes[g->shown[i]];

		sum += n->flat;
		fprintf(out, "%10s %s %s %10s %s  ",
			report_units__label(v[2], sizeof(v[2]), n->flat, g->unit, unit),
			report_units__percent(pct[0], sizeof(pct[0]), n->flat, g->total),
			report_units__percent(pct[1], sizeof(pct[1]), sum, g->total),
			report_units__label(v[3], sizeof(v[3]), n->cum, g->unit, unit),
			report_units__percent(pct[2], sizeof(pct[2]), n->cum, g->total));
		report_graph__put(out, n->label);
		if (n->in_inline)
			fputs(n->in_call ? " (partial-inline)" : " (inline)", out);
		fputc('\n', out);
	}
	return 0;
}

int report__write(const Perftools__Profiles__Profile *p, const struct report_opts *opts,
		  FILE *out)
{
	struct report_graph g;
	int err;

	if (!p || !opts || !out || opts->kind > REPORT_THREADS ||
	    !(opts->nodefraction >= 0 && opts->nodefraction <= 1))
		return -EINVAL;
	err = report_graph__init(&g, p, opts);
	if (err)
		goto out;
	switch (opts->kind) {
	case REPORT_TOP:
		err = write_top(&g, out);
		break;
	case REPORT_TRACES:
		err = report_traces__write(&g, out);
		break;
	default:
		err = report_tasks__write(&g, out);
		break;
	}
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
out:
	report_graph__release(&g);
	return err;
}
