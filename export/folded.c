// SPDX-License-Identifier: MIT
/* folded: one string per sample (root first), sorted so identical stacks sit
 * together and merge, then printed. Sorting keeps the output deterministic,
 * which makes it diffable and testable. Must not depend on profiler/ or
 * symbolize/. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "export/folded.h"
#include "export/pprof.h"

struct sbuf {
	char *s;
	size_t len, cap;
};

static int sbuf__reserve(struct sbuf *b, size_t more)
{
	return VEC_RESERVE(b->s, b->len, b->cap, more + 1);
}

/* Appends one frame, escaped, preceded by ';' unless it is the first. */
static int sbuf__add_frame(struct sbuf *b, const char *name)
{
	size_t n = strlen(name);
	int err;

	err = sbuf__reserve(b, n + 1);
	if (err)
		return err;
	if (b->len)
		b->s[b->len++] = ';';
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (c == ';')
			c = ':';
		else if (c == '\n' || c == '\r')
			c = ' ';
		b->s[b->len++] = c;
	}
	b->s[b->len] = '\0';
	return 0;
}

/* Name of an unsymbolized location, written into buf (size len). */
static void unnamed_frame(const Perftools__Profiles__Profile *p, const struct pprof_index *idx,
			  const Perftools__Profiles__Location *loc, char *buf, size_t len)
{
	const Perftools__Profiles__Mapping *m = pprof_index__mapping(idx, loc->mapping_id);

	if (m)
		pprof__unnamed_name(buf, len, pprof__str(p, m->filename), m->memory_start,
				    m->file_offset, loc->address);
	else
		pprof__unnamed_name(buf, len, NULL, 0, 0, loc->address);
}

static const char *group_value(const Perftools__Profiles__Profile *p,
			       const Perftools__Profiles__Sample *s, const char *key)
{
	if (!key)
		return NULL;
	for (size_t i = 0; i < s->n_label; i++) {
		const Perftools__Profiles__Label *l = s->label[i];

		if (l->str && strcmp(pprof__str(p, l->key), key) == 0 && *pprof__str(p, l->str))
			return pprof__str(p, l->str);
	}
	return NULL;
}

/* Builds the folded stack of s into b (reset first). */
static int fold_sample(const Perftools__Profiles__Profile *p, const struct pprof_index *idx,
		       const Perftools__Profiles__Sample *s, const char *group_label,
		       struct sbuf *b)
{
	const char *group = group_value(p, s, group_label);
	char name[256];	/* basename (truncated) + offset */
	int err;

	b->len = 0;
	if (group) {
		err = sbuf__add_frame(b, group);
		if (err)
			return err;
	}
	/* location_id is leaf first and Lines innermost first: walk both backwards. */
	for (size_t i = s->n_location_id; i-- > 0;) {
		const Perftools__Profiles__Location *loc = pprof_index__location(idx, s->location_id[i]);

		if (!loc)
			return -EBADMSG;
		if (!loc->n_line) {
			unnamed_frame(p, idx, loc, name, sizeof(name));
			err = sbuf__add_frame(b, name);
			if (err)
				return err;
		}
		for (size_t j = loc->n_line; j-- > 0;) {
			const Perftools__Profiles__Function *f =
				pprof_index__function(idx, loc->line[j]->function_id);
			const char *fn = f ? pprof__str(p, f->name) : "";

			if (!*fn) {
				unnamed_frame(p, idx, loc, name, sizeof(name));
				fn = name;
			}
			err = sbuf__add_frame(b, fn);
			if (err)
				return err;
		}
	}
	if (!s->n_location_id && !group)
		return sbuf__add_frame(b, "[unknown]");
	return 0;
}

struct stack {
	char *frames;
	int64_t value;
};

static int stack_cmp(const void *a, const void *b)
{
	return strcmp(((const struct stack *)a)->frames, ((const struct stack *)b)->frames);
}

int folded__write(const Perftools__Profiles__Profile *p, int sample_index,
		  const char *group_label, FILE *out)
{
	struct pprof_index *idx;
	struct stack *stacks;
	struct sbuf b = { 0 };
	size_t n = 0;
	int err = 0;

	if (!p || !out || sample_index < 0 || (size_t)sample_index >= p->n_sample_type)
		return -EINVAL;
	idx = pprof_index__new(p);
	if (!idx)
		return -errno;
	stacks = calloc(p->n_sample ? p->n_sample : 1, sizeof(*stacks));
	if (!stacks) {
		err = -ENOMEM;
		goto out_free_idx;
	}
	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];

		if ((size_t)sample_index >= s->n_value) {
			err = -EBADMSG;
			goto out_free_stacks;
		}
		if (!s->value[sample_index])
			continue;
		err = fold_sample(p, idx, s, group_label, &b);
		if (err)
			goto out_free_stacks;
		stacks[n].frames = strdup(b.s);
		if (!stacks[n].frames) {
			err = -ENOMEM;
			goto out_free_stacks;
		}
		stacks[n++].value = s->value[sample_index];
	}
	qsort(stacks, n, sizeof(*stacks), stack_cmp);
	for (size_t i = 0; i < n;) {
		uint64_t sum = 0;	/* unsigned: wrapping, never undefined */
		size_t j = i;

		for (; j < n && strcmp(stacks[j].frames, stacks[i].frames) == 0; j++)
			sum += (uint64_t)stacks[j].value;
		if (sum)
			fprintf(out, "%s %" PRId64 "\n", stacks[i].frames, (int64_t)sum);
		i = j;
	}
	if (fflush(out) == EOF || ferror(out))
		err = -EIO;
out_free_stacks:
	for (size_t i = 0; i < n; i++)
		free(stacks[i].frames);
	free(stacks);
	free(b.s);
out_free_idx:
	pprof_index__free(idx);
	return err;
}
