// SPDX-License-Identifier: MIT
/* flamegraph_names: the frame names of a flame graph, sanitized to valid
 * UTF-8 once, when interned, so every writer can trust them; one table per
 * tree, on base/hashmap and the one FNV-1a. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/utf8.h"
#include "base/vec.h"
#include "export/flamegraph_tree.h"

void flamegraph_names__release(struct flamegraph_names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->str[i]);
	free(t->str);
	free(t->hash);
	hashmap__release(&t->index);
	free(t->scratch);
}

static bool name_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct flamegraph_names *t = ctx;

	return strcmp(t->str[idx], key) == 0;
}

void flamegraph_names__init(struct flamegraph_names *t)
{
	memset(t, 0, sizeof(*t));
	hashmap__init(&t->index, name_eq, t);
}

/* Interns the sanitized form of raw; returns its index or -errno. */
int64_t flamegraph_names__intern(struct flamegraph_names *t, const char *raw)
{
	size_t rawlen = strlen(raw ? raw : ""), need = rawlen * 3 + 1, len, hcap;
	uint32_t idx;
	uint64_t h;
	char *copy;
	int err;

	err = VEC_RESERVE(t->scratch, 0, t->scratch_cap, need);
	if (err)
		return err;
	len = utf8__sanitize(raw, t->scratch, need, UTF8_XML);
	h = hash__fnv1a(HASH_FNV1A_SEED, t->scratch, len);
	if (hashmap__find(&t->index, hash__fold(h), t->scratch, &idx))
		return idx;
	if (t->n >= UINT32_MAX - 1)
		return -ENOMEM;
	err = hashmap__reserve(&t->index, 1);
	if (err)
		return err;
	hcap = t->cap;
	err = VEC_RESERVE(t->str, t->n, t->cap, 1);
	if (err)
		return err;
	if (hcap != t->cap) {
		uint64_t *nh = realloc(t->hash, t->cap * sizeof(*nh));

		if (!nh) {
			t->cap = hcap;	/* str grew, hash did not: keep them in step */
			return -ENOMEM;
		}
		t->hash = nh;
	}
	copy = strdup(t->scratch);
	if (!copy)
		return -ENOMEM;
	t->str[t->n] = copy;
	t->hash[t->n] = h;
	hashmap__add(&t->index, hash__fold(h), (uint32_t)t->n);
	return t->n++;
}
