// SPDX-License-Identifier: MIT
/* hashmap: linear probing over (hash, index) slots. Growth doubles at half
 * load and reinserts from the stored hashes; removal shifts the following
 * run back (Knuth's algorithm R), so there are no tombstones to sweep.
 */
#include "base/hashmap.h"

#include <errno.h>
#include <stdlib.h>

void hashmap__init(struct hashmap *m, hashmap_eq_fn eq, const void *ctx)
{
	*m = (struct hashmap){ .eq = eq, .ctx = ctx };
}

void hashmap__release(struct hashmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = 0;
	m->n = 0;
}

void hashmap__clear(struct hashmap *m)
{
	if (m->slots)
		for (size_t i = 0; i <= m->mask; i++)
			m->slots[i].idx1 = 0;
	m->n = 0;
}

size_t hashmap__count(const struct hashmap *m)
{
	return m->n;
}

int hashmap__reserve(struct hashmap *m, size_t more)
{
	size_t cap = m->slots ? m->mask + 1 : 0, ncap;
	struct hashmap_slot *ns;

	if (more > HASHMAP_MAX_ENTRIES - m->n)
		return -ENOMEM;
	if (m->slots && (m->n + more) <= cap / 2)
		return 0;
	ncap = cap ? cap : HASHMAP_MIN_CAP;
	while ((m->n + more) > ncap / 2) {
		if (ncap > SIZE_MAX / 2 / sizeof(*ns))
			return -ENOMEM;
		ncap *= 2;
	}
	ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++) {
		size_t j;

		if (!m->slots[i].idx1)
			continue;
		j = m->slots[i].hash & (ncap - 1);
		while (ns[j].idx1)
			j = (j + 1) & (ncap - 1);
		ns[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = ns;
	m->mask = ncap - 1;
	return 0;
}

bool hashmap__find(const struct hashmap *m, uint32_t hash, const void *key, uint32_t *ret_idx)
{
	if (!m->slots)
		return false;
	for (size_t i = hash & m->mask; m->slots[i].idx1; i = (i + 1) & m->mask) {
		const struct hashmap_slot *s = &m->slots[i];

		if (s->hash == hash && m->eq(m->ctx, s->idx1 - 1, key)) {
			*ret_idx = s->idx1 - 1;
			return true;
		}
	}
	return false;
}

void hashmap__add(struct hashmap *m, uint32_t hash, uint32_t idx)
{
	size_t i = hash & m->mask;

	while (m->slots[i].idx1)
		i = (i + 1) & m->mask;
	m->slots[i].idx1 = idx + 1;
	m->slots[i].hash = hash;
	m->n++;
}

int hashmap__insert(struct hashmap *m, uint32_t hash, uint32_t idx)
{
	int err = hashmap__reserve(m, 1);

	if (err)
		return err;
	hashmap__add(m, hash, idx);
	return 0;
}

static struct hashmap_slot *slot_of(const struct hashmap *m, uint32_t hash, uint32_t idx)
{
	if (!m->slots)
		return NULL;
	for (size_t i = hash & m->mask; m->slots[i].idx1; i = (i + 1) & m->mask)
		if (m->slots[i].idx1 == idx + 1)
			return &m->slots[i];
	return NULL;
}

int hashmap__remove(struct hashmap *m, uint32_t hash, uint32_t idx)
{
	struct hashmap_slot *s = slot_of(m, hash, idx);
	size_t i, j;

	if (!s)
		return -ENOENT;
	i = (size_t)(s - m->slots);
	/* Move back every later slot of the run whose home is not in (i, j]. */
	for (j = (i + 1) & m->mask; m->slots[j].idx1; j = (j + 1) & m->mask) {
		size_t home = m->slots[j].hash & m->mask;

		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].idx1 = 0;
	m->n--;
	return 0;
}

int hashmap__renumber(struct hashmap *m, uint32_t hash, uint32_t idx, uint32_t new_idx)
{
	struct hashmap_slot *s = slot_of(m, hash, idx);

	if (!s)
		return -ENOENT;
	s->idx1 = new_idx + 1;
	return 0;
}
