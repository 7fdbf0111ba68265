// SPDX-License-Identifier: MIT
/* strmap: entries in a dense array indexed by base/hashmap; removal moves
 * the last entry into the hole (and renumbers it), so the array stays dense
 * and iteration-free code never sees a gap.
 */
#include "base/strmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"

struct strmap_entry {
	char *key;
	void *value;
	uint32_t hash;
};

struct strmap {
	struct strmap_entry *e;
	size_t n, cap;
	struct hashmap index;
};

static bool key_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct strmap *m = ctx;

	return strcmp(m->e[idx].key, key) == 0;
}

struct strmap *strmap__new(void)
{
	struct strmap *m = calloc(1, sizeof(*m));

	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	hashmap__init(&m->index, key_eq, m);
	return m;
}

void strmap__clear(struct strmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].key);
	m->n = 0;
	hashmap__clear(&m->index);
}

void strmap__free(struct strmap *m)
{
	if (!m)
		return;
	strmap__clear(m);
	hashmap__release(&m->index);
	free(m->e);
	free(m);
}

void *strmap__get(const struct strmap *m, const char *key)
{
	uint32_t idx;

	if (!hashmap__find(&m->index, hash__fold(hash__fnv1a_str(key)), key, &idx))
		return NULL;
	return m->e[idx].value;
}

int strmap__put(struct strmap *m, const char *key, void *value)
{
	uint32_t h = hash__fold(hash__fnv1a_str(key)), idx;
	char *copy;

	if (hashmap__find(&m->index, h, key, &idx)) {
		m->e[idx].value = value;
		return 0;
	}
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 64;
		struct strmap_entry *ne;

		if (ncap > SIZE_MAX / sizeof(*ne))
			return -ENOMEM;
		ne = realloc(m->e, ncap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		m->e = ne;
		m->cap = ncap;
	}
	if (hashmap__reserve(&m->index, 1))
		return -ENOMEM;
	copy = strdup(key);
	if (!copy)
		return -ENOMEM;
	m->e[m->n] = (struct strmap_entry){ .key = copy, .value = value, .hash = h };
	hashmap__add(&m->index, h, (uint32_t)m->n);
	m->n++;
	return 0;
}

int strmap__remove(struct strmap *m, const char *key)
{
	uint32_t h = hash__fold(hash__fnv1a_str(key)), idx, last;

	if (!hashmap__find(&m->index, h, key, &idx))
		return -ENOENT;
	hashmap__remove(&m->index, h, idx);
	free(m->e[idx].key);
	last = (uint32_t)(m->n - 1);
	if (idx != last) {
		m->e[idx] = m->e[last];
		hashmap__renumber(&m->index, m->e[idx].hash, last, idx);
	}
	m->n--;
	return 0;
}

size_t strmap__count(const struct strmap *m)
{
	return m->n;
}
