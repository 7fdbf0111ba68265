// SPDX-License-Identifier: MIT
/* report_traces: go tool pprof -traces. Each sample that passes the filters,
 * in the profile's order: its labels (strings, then numbers with the unit
 * the profile gives their key, each group sorted as Go sorts its lines), its
 * value in its own unit, and its frames leaf first, inlined ones marked.
 * Samples with the same locations and labels are merged first, in the
 * place of the first, as Go's profile merge does (locations with different
 * ids but the same content are not: no producer writes them). */
#define _GNU_SOURCE	/* open_memstream */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/strmap.h"
#include "base/vec.h"
#include "export/flamegraph_limits.h"
#include "export/pprof.h"
#include "export/report_graph.h"
#include "export/report_units.h"

#define SEPARATOR "-----------+-------------------------------------------------------\n"

struct traces {
	struct report_graph *g;
	struct strmap *units;		/* numeric label key -> its first unit */
	size_t *ix;			/* one sample's labels of one kind */
	size_t ix_cap;
	char **lines;
	size_t nlines, lines_cap;
	const Perftools__Profiles__Sample *s;	/* the one being sorted */
	/* merging: per kept sample its labels sorted by key (Go compares
	 * label maps), and the groups of equal samples */
	size_t *sorted, *sorted_at;	/* sorted_at[i]: start in sorted of sample i */
	size_t *first;			/* per group: its first sample */
	int64_t *sums;			/* per group: n_sample_type value sums */
	size_t ngroups;
	struct hashmap groups;
};

static bool is_str(const Perftools__Profiles__Label *l)
{
	return l->str != 0;
}

/* Go keeps a numeric label only when it has a value or a unit. */
static bool is_num(const Perftools__Profiles__Label *l)
{
	return !l->str && (l->num || l->num_unit);
}

static bool all_zero(const Perftools__Profiles__Sample *s)
{
	for (size_t i = 0; i < s->n_value; i++)
		if (s->value[i])
			return false;
	return true;
}

/* Profile.NumLabelUnits: the first non-empty unit of each numeric key over
 * the non-zero samples. */
static int collect_units(struct traces *t)
{
	const Perftools__Profiles__Profile *p = t->g->p;
	int err;

	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];

		if (all_zero(s))
			continue;
		for (size_t j = 0; j < s->n_label; j++) {
			const Perftools__Profiles__Label *l = s->label[j];
			const char *key = pprof__str(p, l->key), *unit = pprof__str(p, l->num_unit);

			if (!is_num(l) || !*unit || strmap__get(t->units, key))
				continue;
			err = strmap__put(t->units, key, (void *)unit);
			if (err)
				return err;
		}
	}
	return 0;
}

/* A key with no unit anywhere is its own unit, except two of heap profiles. */
static const char *unit_of(const struct traces *t, const char *key)
{
	const char *u = strmap__get(t->units, key);

	if (u)
		return u;
	return !strcmp(key, "alignment") || !strcmp(key, "request") ? "bytes" : key;
}

static int ix_cmp(const void *a, const void *b, void *ctx)
{
	const struct traces *t = ctx;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c = strcmp(pprof__str(t->g->p, t->s->label[ia]->key),
		       pprof__str(t->g->p, t->s->label[ib]->key));

	return c ? c : (ia > ib) - (ia < ib);
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per key of the labels of sample si of one kind: "%10s:  v1
 * v2\n"; then the lines sorted and written. */
static int put_labels(struct traces *t, size_t si, bool numeric, FILE *out)
{
	const Perftools__Profiles__Profile *p = t->g->p;
	const Perftools__Profiles__Sample *s = p->sample[si];
	char num[REPORT_UNITS_BUF];
	size_t n = 0, len;
	int err;

	err = VEC_RESERVE(t->ix, 0, t->ix_cap, s->n_label);
	if (err)
		return err;
	for (size_t i = t->sorted_at[si]; i < t->sorted_at[si + 1]; i++)
		if (numeric ? is_num(s->label[t->sorted[i]]) : is_str(s->label[t->sorted[i]]))
			t->ix[n++] = t->sorted[i];
	t->nlines = 0;
	for (size_t i = 0; i < n;) {
		const char *key = pprof__str(p, s->label[t->ix[i]]->key);
		const char *unit = numeric ? unit_of(t, key) : NULL;
		char *buf = NULL;
		FILE *m;

		err = VEC_RESERVE(t->lines, t->nlines, t->lines_cap, 1);
		if (err)
			goto out;
		m = open_memstream(&buf, &len);
		if (!m) {
			err = -ENOMEM;
			goto out;
		}
		report_graph__pad(m, key, 10);
		fputs(":  ", m);
		for (size_t j = i; i < n && !strcmp(pprof__str(p, s->label[t->ix[i]]->key), key); i++) {
			const Perftools__Profiles__Label *l = s->label[t->ix[i]];

			if (i > j)
				fputc(' ', m);
			if (numeric)
				fputs(report_units__label(num, sizeof(num), l->num, unit, "auto"), m);
			else
				report_graph__put(m, pprof__str(p, l->str));
		}
		fputc('\n', m);
		if (fclose(m) || !buf) {
			free(buf);
			err = -ENOMEM;
			goto out;
		}
		t->lines[t->nlines++] = buf;
	}
	if (t->nlines)	/* qsort takes no NULL, even for nothing */
		qsort(t->lines, t->nlines, sizeof(*t->lines), line_cmp);
	for (size_t i = 0; i < t->nlines; i++)
		fputs(t->lines[i], out);
out:
	for (size_t i = 0; i < t->nlines; i++)
		free(t->lines[i]);
	t->nlines = 0;
	return err;
}

static int put_sample(struct traces *t, size_t si, int64_t value, FILE *out)
{
	const struct report_graph *g = t->g;
	const Perftools__Profiles__Sample *s = g->p->sample[si];
	char v[REPORT_UNITS_BUF];
	bool first = true;
	int err;

	fputs(SEPARATOR, out);
	err = put_labels(t, si, false, out);
	if (!err)
		err = put_labels(t, si, true, out);
	if (err)
		return err;
	for (size_t i = g->skip[si]; i < s->n_location_id; i++) {
		const struct report_loc *rl = report_graph__loc(g, s->location_id[i]);

		for (uint32_t j = 0; j < rl->count; j++) {
			fprintf(out, "%10s   ", first ? report_units__label(v, sizeof(v),
				value, g->unit, "minimum") : "");
			report_graph__put(out, g->nodes[g->frames[rl->start + j]].label);
			fputs(j + 1 < rl->count ? " (inline)\n" : "\n", out);
			first = false;
		}
	}
	return 0;
}

/* ---- merging equal samples ------------------------------------------------- */

/* The labels Go keeps of sample i, sorted by key (values of one key in
 * their order). */
static int sort_labels(struct traces *t)
{
	const Perftools__Profiles__Profile *p = t->g->p;
	size_t total = 0, n = 0;

	for (size_t i = 0; i < p->n_sample; i++)
		total += p->sample[i]->n_label;
	t->sorted = malloc((total ? total : 1) * sizeof(*t->sorted));
	t->sorted_at = malloc((p->n_sample + 1) * sizeof(*t->sorted_at));
	if (!t->sorted || !t->sorted_at)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];

		t->sorted_at[i] = n;
		for (size_t j = 0; j < s->n_label; j++)
			if (is_str(s->label[j]) || is_num(s->label[j]))
				t->sorted[n++] = j;
		t->s = s;
		qsort_r(t->sorted + t->sorted_at[i], n - t->sorted_at[i], sizeof(*t->sorted),
			ix_cmp, t);
	}
	t->sorted_at[p->n_sample] = n;
	return 0;
}

static bool label_eq(const Perftools__Profiles__Profile *p, const Perftools__Profiles__Label *a,
		     const Perftools__Profiles__Label *b)
{
	return !strcmp(pprof__str(p, a->key), pprof__str(p, b->key)) &&
	       is_str(a) == is_str(b) &&
	       (is_str(a) ? !strcmp(pprof__str(p, a->str), pprof__str(p, b->str)) :
			    a->num == b->num &&
			    !strcmp(pprof__str(p, a->num_unit), pprof__str(p, b->num_unit)));
}

static bool sample_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct traces *t = ctx;
	const Perftools__Profiles__Profile *p = t->g->p;
	size_t ia = t->first[idx], ib = *(const size_t *)key;
	const Perftools__Profiles__Sample *a = p->sample[ia], *b = p->sample[ib];
	size_t na = t->sorted_at[ia + 1] - t->sorted_at[ia];

	if (a->n_location_id != b->n_location_id ||
	    na != t->sorted_at[ib + 1] - t->sorted_at[ib] ||
	    (a->n_location_id &&
	     memcmp(a->location_id, b->location_id, a->n_location_id * sizeof(*a->location_id))))
		return false;
	for (size_t i = 0; i < na; i++)
		if (!label_eq(p, a->label[t->sorted[t->sorted_at[ia] + i]],
			      b->label[t->sorted[t->sorted_at[ib] + i]]))
			return false;
	return true;
}

static uint32_t sample_hash(const struct traces *t, size_t si)
{
	const Perftools__Profiles__Profile *p = t->g->p;
	const Perftools__Profiles__Sample *s = p->sample[si];
	uint64_t h = hash__fnv1a(HASH_FNV1A_SEED, s->location_id,
				 s->n_location_id * sizeof(*s->location_id));

	for (size_t i = t->sorted_at[si]; i < t->sorted_at[si + 1]; i++) {
		const Perftools__Profiles__Label *l = s->label[t->sorted[i]];
		const char *key = pprof__str(p, l->key);

		h = hash__fnv1a(h, key, strlen(key) + 1);
		h = hash__fnv1a(h, &l->num, sizeof(l->num));
	}
	return hash__fold(h);
}

/* Groups the kept samples: each group sums the values of equal samples. */
static int merge(struct traces *t)
{
	const Perftools__Profiles__Profile *p = t->g->p;
	size_t nv = p->n_sample_type;
	uint32_t idx;
	int err;

	hashmap__init(&t->groups, sample_eq, t);
	t->first = malloc((p->n_sample ? p->n_sample : 1) * sizeof(*t->first));
	t->sums = calloc((p->n_sample ? p->n_sample : 1) * nv, sizeof(*t->sums));
	if (!t->first || !t->sums)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_sample; i++) {
		uint32_t h;

		if (!t->g->keep[i])
			continue;
		h = sample_hash(t, i);
		if (!hashmap__find(&t->groups, h, &i, &idx)) {
			err = hashmap__insert(&t->groups, h, (uint32_t)t->ngroups);
			if (err)
				return err;
			t->first[t->ngroups] = i;
			idx = (uint32_t)t->ngroups++;
		}
		for (size_t v = 0; v < nv; v++)
			if (!flamegraph_limits__add(&t->sums[idx * nv + v], p->sample[i]->value[v]))
				return -EOVERFLOW;
	}
	return 0;
}

int report_traces__write(struct report_graph *g, FILE *out)
{
	size_t nv = g->p->n_sample_type;
	struct traces t = { .g = g };
	int err = -ENOMEM;

	t.units = strmap__new();
	if (t.units)
		err = collect_units(&t);
	if (!err)
		err = sort_labels(&t);
	if (!err)
		err = merge(&t);
	if (!err)
		err = report__header(g, "minimum", out);
	for (size_t i = 0; !err && i < t.ngroups; i++) {
		bool zero = true;

		for (size_t v = 0; v < nv; v++)
			zero &= t.sums[i * nv + v] == 0;
		if (!zero)	/* Go drops what sums to nothing */
			err = put_sample(&t, t.first[i], t.sums[i * nv + g->si], out);
	}
	if (!err)
		fputs(SEPARATOR, out);
	strmap__free(t.units);
	hashmap__release(&t.groups);
	free(t.sorted);
	free(t.sorted_at);
	free(t.first);
	free(t.sums);
	free(t.ix);
	free(t.lines);
	return err;
}
