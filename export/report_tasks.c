// SPDX-License-Identifier: MIT
/* report_tasks: totals per process or per thread from the sample labels
 * cprof writes (pid and tid as numbers; comm, the thread's name, and
 * process, the process's name, as strings), laid out like the -top table
 * and in the same units. Samples without a pid label (Go's own profiles)
 * make one "[no pid label]" row. A pid reused under another name is
 * another row. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "export/flamegraph_limits.h"
#include "export/pprof.h"
#include "export/report_graph.h"
#include "export/report_units.h"

struct task {
	bool has_pid, has_tid;
	int64_t pid, tid;
	const char *name;		/* process (or thread) name, borrowed */
	const char *process;		/* threads: the process name, borrowed */
	int64_t value;
};

struct tasks {
	const struct report_graph *g;
	bool threads;
	struct task *rows;
	size_t n, cap;
	struct hashmap index;
};

static bool task_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct task *a = &((const struct tasks *)ctx)->rows[idx], *b = key;

	return a->has_pid == b->has_pid && a->pid == b->pid && a->has_tid == b->has_tid &&
	       a->tid == b->tid && !strcmp(a->name, b->name) && !strcmp(a->process, b->process);
}

/* The row of sample s (pid, tid and names from its labels). */
static void task_of(const struct tasks *ts, const Perftools__Profiles__Sample *s, struct task *k)
{
	const Perftools__Profiles__Profile *p = ts->g->p;
	const char *comm = "", *process = "";

	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < s->n_label; i++) {
		const Perftools__Profiles__Label *l = s->label[i];
		const char *key = pprof__str(p, l->key);

		if (!l->str && !strcmp(key, "pid") && !k->has_pid) {
			k->has_pid = true;
			k->pid = l->num;
		} else if (!l->str && !strcmp(key, "tid") && !k->has_tid) {
			k->has_tid = ts->threads;
			k->tid = ts->threads ? l->num : 0;
		} else if (l->str && !strcmp(key, "comm") && !*comm) {
			comm = pprof__str(p, l->str);
		} else if (l->str && !strcmp(key, "process") && !*process) {
			process = pprof__str(p, l->str);
		}
	}
	if (ts->threads) {
		k->name = *comm ? comm : process;
		k->process = process;
	} else {
		k->name = *process ? process : comm;
		k->process = "";
	}
}

static int add(struct tasks *ts, const Perftools__Profiles__Sample *s)
{
	struct task k;
	uint64_t h;
	uint32_t idx;
	int err;

	task_of(ts, s, &k);
	h = hash__fnv1a(HASH_FNV1A_SEED, &k.pid, sizeof(k.pid));
	h = hash__fnv1a(h, &k.tid, sizeof(k.tid));
	h = hash__fnv1a(h ^ k.has_pid ^ (uint64_t)k.has_tid << 1, k.name, strlen(k.name));
	h = hash__fnv1a(h, k.process, strlen(k.process));
	if (!hashmap__find(&ts->index, hash__fold(h), &k, &idx)) {
		err = hashmap__reserve(&ts->index, 1);
		if (!err)
			err = VEC_RESERVE(ts->rows, ts->n, ts->cap, 1);
		if (err)
			return err;
		ts->rows[ts->n] = k;
		hashmap__add(&ts->index, hash__fold(h), (uint32_t)ts->n);
		idx = (uint32_t)ts->n++;
	}
	return flamegraph_limits__add(&ts->rows[idx].value, s->value[ts->g->si]) ? 0 : -EOVERFLOW;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* By |value|, then pid, tid and name: rows without a pid last among equals. */
static int task_cmp(const void *pa, const void *pb)
{
	const struct task *a = pa, *b = pb;
	int64_t va = abs64(a->value), vb = abs64(b->value);

	if (va != vb)
		return va > vb ? -1 : 1;
	if (a->has_pid != b->has_pid)
		return a->has_pid ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->tid != b->tid)
		return a->tid < b->tid ? -1 : 1;
	return strcmp(a->name, b->name) ? strcmp(a->name, b->name) :
	       strcmp(a->process, b->process);
}

static void put_id(FILE *out, bool has, int64_t id)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, id);
	fprintf(out, " %10s", has ? buf : "-");
}

static void put_row(const struct tasks *ts, const struct task *r, FILE *out)
{
	fputs("  ", out);
	if (!r->has_pid) {
		fputs("[no pid label]", out);
		return;
	}
	report_graph__put(out, *r->name ? r->name : "[unknown]");
	if (ts->threads && *r->process && strcmp(r->process, r->name)) {
		fputs(" (", out);
		report_graph__put(out, r->process);
		fputc(')', out);
	}
}

static int write_table(struct tasks *ts, FILE *out)
{
	const struct report_graph *g = ts->g;
	char v[2][REPORT_UNITS_BUF], pct[2][REPORT_UNITS_BUF];
	int64_t min = 0, sum = 0, all = 0;
	const char *unit, *what = ts->threads ? "thread" : "process";
	int err;

	for (size_t i = 0; i < ts->n; i++) {
		int64_t m = abs64(ts->rows[i].value);

		if (m && (!min || m < min))
			min = m;
		all += ts->rows[i].value;	/* parts of the checked total */
	}
	unit = report_units__output(ts->n, min, g->total, g->unit);
	err = report__header(g, unit, out);
	if (err)
		return err;
	report__filters(g, out);
	report_units__percent(pct[0], sizeof(pct[0]), all, g->total);
	fprintf(out, "Showing %zu %s%s accounting for %s, %s of %s total\n", ts->n, what,
		ts->n == 1 ? "" : ts->threads ? "s" : "es",
		report_units__label(v[0], sizeof(v[0]), all, g->unit, unit),
		pct[0] + strspn(pct[0], " "),
		report_units__label(v[1], sizeof(v[1]), g->total, g->unit, unit));
	fprintf(out, "%10s %5s%% %5s%% %10s", "total", "total", "sum", "pid");
	if (ts->threads)
		fprintf(out, " %10s  thread (process)\n", "tid");
	else
		fputs("  process\n", out);
	for (size_t i = 0; i < ts->n; i++) {
		const struct task *r = &ts->rows[i];

		sum += r->value;
		fprintf(out, "%10s %s %s",
			report_units__label(v[0], sizeof(v[0]), r->value, g->unit, unit),
			report_units__percent(pct[0], sizeof(pct[0]), r->value, g->total),
			report_units__percent(pct[1], sizeof(pct[1]), sum, g->total));
		put_id(out, r->has_pid, r->pid);
		if (ts->threads)
			put_id(out, r->has_tid, r->tid);
		put_row(ts, r, out);
		fputc('\n', out);
	}
	return 0;
}

int report_tasks__write(struct report_graph *g, FILE *out)
{
	struct tasks ts = { .g = g, .threads = g->opts->kind == REPORT_THREADS };
	int err = 0;

	hashmap__init(&ts.index, task_eq, &ts);
	for (size_t i = 0; !err && i < g->p->n_sample; i++)
		if (g->keep[i] && g->p->sample[i]->value[g->si])
			err = add(&ts, g->p->sample[i]);
	if (!err) {
		if (ts.n)	/* qsort takes no NULL, even for nothing */
			qsort(ts.rows, ts.n, sizeof(*ts.rows), task_cmp);
		err = write_table(&ts, out);
	}
	hashmap__release(&ts.index);
	free(ts.rows);
	return err;
}
