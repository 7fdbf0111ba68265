/* SPDX-License-Identifier: MIT */
/* A fake BPF hash map behind `struct map_ops`, for the drain suites: fixed
 * capacity, entries in insertion order, an open-addressing index by key
 * bytes. get_next_key behaves as the kernel's hash maps do (a key not in
 * the map restarts from the first). Counts every operation, so a test can
 * say what a drain did; an optional batch op imitates
 * bpf_map_lookup_and_delete_batch with an index as the cursor. Test-only;
 * header-only because each suite is one translation unit. */
#ifndef CPROF_TESTS_FAKE_MAP_H
#define CPROF_TESTS_FAKE_MAP_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/core/map_drain.h"

struct fake_map {
	size_t ks, vs, cap, n, live;
	char *keys, *values;
	unsigned char *present;
	size_t *index;		/* 2 * cap slots: entry + 1, 0 = empty */
	size_t first;		/* no present entry below this */
	uint64_t nexts, lookups, deletes, batches;
	int batch_ok;		/* offer lookup_and_delete_batch */
	int batch_enospc_after;	/* > 0: the n-th batch call fails with ENOSPC */
};

static inline uint64_t fake_map__hash(const void *k, size_t len)
{
	const unsigned char *p = k;
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static inline struct fake_map *fake_map__new(size_t ks, size_t vs, size_t cap)
{
	struct fake_map *m = calloc(1, sizeof(*m));

	m->ks = ks;
	m->vs = vs;
	m->cap = cap;
	m->keys = calloc(cap, ks);
	m->values = calloc(cap, vs ? vs : 1);
	m->present = calloc(cap, 1);
	m->index = calloc(2 * cap, sizeof(size_t));
	return m;
}

static inline void fake_map__free(struct fake_map *m)
{
	free(m->keys);
	free(m->values);
	free(m->present);
	free(m->index);
	free(m);
}

/* Entry number of key, or -1. */
static inline long fake_map__find(const struct fake_map *m, const void *key)
{
	size_t slots = 2 * m->cap;

	for (size_t s = fake_map__hash(key, m->ks) % slots;; s = (s + 1) % slots) {
		size_t e = m->index[s];

		if (!e)
			return -1;
		if (!memcmp(m->keys + (e - 1) * m->ks, key, m->ks))
			return m->present[e - 1] ? (long)(e - 1) : -1;
	}
}

/* Adds a new key (never re-adds a deleted one). 0 or -ENOSPC. */
static inline int fake_map__add(struct fake_map *m, const void *key, const void *value)
{
	size_t slots = 2 * m->cap, s;

	if (m->n == m->cap)
		return -ENOSPC;
	memcpy(m->keys + m->n * m->ks, key, m->ks);
	if (m->vs)
		memcpy(m->values + m->n * m->vs, value, m->vs);
	m->present[m->n] = 1;
	for (s = fake_map__hash(key, m->ks) % slots; m->index[s]; s = (s + 1) % slots)
		;
	m->index[s] = ++m->n;
	m->live++;
	return 0;
}

static inline long fake_map__next_present(struct fake_map *m, size_t from)
{
	while (m->first < m->n && !m->present[m->first])
		m->first++;
	if (from < m->first)
		from = m->first;
	for (size_t i = from; i < m->n; i++)
		if (m->present[i])
			return (long)i;
	return -1;
}

static int fake_map__get_next_key(void *map, const void *key, void *ret_next)
{
	struct fake_map *m = map;
	long i = key ? fake_map__find(m, key) : -1;
	long next = fake_map__next_present(m, i < 0 ? 0 : (size_t)i + 1);

	m->nexts++;
	if (next < 0)
		return -ENOENT;
	memcpy(ret_next, m->keys + next * m->ks, m->ks);
	return 0;
}

static int fake_map__lookup(void *map, const void *key, void *ret_value)
{
	struct fake_map *m = map;
	long i = fake_map__find(m, key);

	m->lookups++;
	if (i < 0)
		return -ENOENT;
	memcpy(ret_value, m->values + i * m->vs, m->vs);
	return 0;
}

static int fake_map__delete(void *map, const void *key)
{
	struct fake_map *m = map;
	long i = fake_map__find(m, key);

	m->deletes++;
	if (i < 0)
		return -ENOENT;
	m->present[i] = 0;
	m->live--;
	return 0;
}

static int fake_map__batch(void *map, void *in_batch, void *out_batch, void *keys, void *values,
			   uint32_t *count)
{
	struct fake_map *m = map;
	uint32_t from = in_batch ? *(uint32_t *)in_batch : 0, n = 0;
	long i;

	m->batches++;
	if (!m->batch_ok)
		return -EINVAL;
	if (m->batch_enospc_after && m->batches >= (uint64_t)m->batch_enospc_after) {
		*count = 0;
		return -ENOSPC;
	}
	for (i = fake_map__next_present(m, from); i >= 0 && n < *count;
	     i = fake_map__next_present(m, (size_t)i + 1)) {
		memcpy((char *)keys + (size_t)n * m->ks, m->keys + i * m->ks, m->ks);
		if (m->vs)
			memcpy((char *)values + (size_t)n * m->vs, m->values + i * m->vs, m->vs);
		m->present[i] = 0;
		m->live--;
		n++;
	}
	*count = n;
	*(uint32_t *)out_batch = i < 0 ? (uint32_t)m->n : (uint32_t)i;
	return i < 0 ? -ENOENT : 0;
}

static const struct map_ops fake_map_ops = {
	.get_next_key = fake_map__get_next_key,
	.lookup = fake_map__lookup,
	.delete = fake_map__delete,
	.lookup_and_delete_batch = fake_map__batch,
};

#endif
