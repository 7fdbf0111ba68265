// SPDX-License-Identifier: MIT
/* pb_profile_intern: the builder's string table. Every string is checked
 * for UTF-8 once, when interned (proto3 strings must be UTF-8), and stored
 * once; the index in the table is its id in the message. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/utf8.h"
#include "base/vec.h"
#include "export/pb_profile_intern.h"

/* Backends decode strings as proto3 strings, which must be UTF-8: a malloc'd
 * copy of s with invalid bytes replaced by '?', or NULL with *ret_valid set
 * when s is valid already. */
static char *utf8_fixed(const char *s, bool *ret_valid, int *ret_err)
{
	char *copy;

	if (utf8__valid(s)) {
		*ret_valid = true;
		return NULL;
	}
	copy = strdup(s);
	if (!copy) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	utf8__repair(copy, '?');
	*ret_valid = false;
	return copy;
}

static bool str_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct pb_profile *p = ctx;

	return strcmp(p->strs[idx], key) == 0;
}

/* Interns s (NULL = "") and writes its string-table index to *ret_idx. */
int pb_profile_intern__str(struct pb_profile *p, const char *s, uint32_t *ret_idx)
{
	char *fixed = NULL, *copy = NULL;
	bool valid = true;
	uint32_t h, idx;
	int err = 0;

	if (!s || !*s) {
		*ret_idx = 0;
		return 0;
	}
	fixed = utf8_fixed(s, &valid, &err);
	if (err)
		return err;
	if (!valid)
		s = fixed;
	err = hashmap__reserve(&p->str_tab, 1);
	if (err)
		goto out_free_fixed;
	h = hash__fold(hash__fnv1a(HASH_FNV1A_SEED, s, strlen(s)));
	if (hashmap__find(&p->str_tab, h, s, &idx)) {
		*ret_idx = idx;
		goto out_free_fixed;
	}
	err = VEC_RESERVE(p->strs, p->n_strs, p->cap_strs, 1);
	if (err)
		goto out_free_fixed;
	copy = fixed ? fixed : strdup(s);
	if (!copy) {
		err = -ENOMEM;
		goto out_free_fixed;
	}
	fixed = NULL;
	p->strs[p->n_strs] = copy;
	hashmap__add(&p->str_tab, h, (uint32_t)p->n_strs);
	*ret_idx = (uint32_t)p->n_strs++;
out_free_fixed:
	free(fixed);
	return err;
}

void pb_profile_intern__init(struct pb_profile *p)
{
	hashmap__init(&p->str_tab, str_eq, p);
}

void pb_profile_intern__free_message(struct pb_message *m)
{
	if (!m)
		return;
	free(m->vts);
	free(m->vt_ptrs);
	free(m->maps);
	free(m->map_ptrs);
	free(m->funcs);
	free(m->func_ptrs);
	free(m->locs);
	free(m->loc_ptrs);
	free(m->lines);
	free(m->line_ptrs);
	free(m->samples);
	free(m->sample_ptrs);
	free(m->labels);
	free(m->label_ptrs);
	free(m);
}

