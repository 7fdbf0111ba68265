// SPDX-License-Identifier: MIT
/* sym_hash: string-keyed map with separate chaining. The bucket array doubles
 * when the load factor passes 1, so lookups stay O(1) on average. FNV-1a is
 * plenty for keys we build ourselves (build-ids, pids, paths).
 */
#include "symbolize/hash.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sym_hash_node {
	struct sym_hash_node *next;
	uint64_t hash;
	void *value;
	char key[];
};

struct sym_hash {
	struct sym_hash_node **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct sym_hash *sym_hash__new(void)
{
	struct sym_hash *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->nbuckets = 64;
	h->buckets = calloc(h->nbuckets, sizeof(*h->buckets));
	if (!h->buckets) {
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

void sym_hash__clear(struct sym_hash *h)
{
	for (size_t i = 0; i < h->nbuckets; i++) {
		struct sym_hash_node *n = h->buckets[i];

		while (n) {
			struct sym_hash_node *next = n->next;

			free(n);
			n = next;
		}
		h->buckets[i] = NULL;
	}
	h->count = 0;
}

void sym_hash__free(struct sym_hash *h)
{
	if (!h)
		return;
	sym_hash__clear(h);
	free(h->buckets);
	free(h);
}

static struct sym_hash_node **find_slot(const struct sym_hash *h, const char *key, uint64_t hv)
{
	struct sym_hash_node **pn = &h->buckets[hv & (h->nbuckets - 1)];

	for (; *pn; pn = &(*pn)->next)
		if ((*pn)->hash == hv && strcmp((*pn)->key, key) == 0)
			break;
	return pn;
}

void *sym_hash__get(const struct sym_hash *h, const char *key)
{
	struct sym_hash_node **pn = find_slot(h, key, hash_str(key));

	return *pn ? (*pn)->value : NULL;
}

static void grow(struct sym_hash *h)
{
	size_t nb = h->nbuckets * 2;
	struct sym_hash_node **b = calloc(nb, sizeof(*b));

	if (!b)
		return; /* keep working with longer chains */
	for (size_t i = 0; i < h->nbuckets; i++) {
		struct sym_hash_node *n = h->buckets[i];

		while (n) {
			struct sym_hash_node *next = n->next;

			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(h->buckets);
	h->buckets = b;
	h->nbuckets = nb;
}

int sym_hash__put(struct sym_hash *h, const char *key, void *value)
{
	uint64_t hv = hash_str(key);
	struct sym_hash_node **pn = find_slot(h, key, hv);
	size_t klen;

	if (*pn) {
		(*pn)->value = value;
		return 0;
	}
	klen = strlen(key);
	struct sym_hash_node *n = malloc(sizeof(*n) + klen + 1);

	if (!n)
		return -ENOMEM;
	n->hash = hv;
	n->value = value;
	memcpy(n->key, key, klen + 1);
	n->next = h->buckets[hv & (h->nbuckets - 1)];
	h->buckets[hv & (h->nbuckets - 1)] = n;
	h->count++;
	if (h->count > h->nbuckets)
		grow(h);
	return 0;
}

int sym_hash__remove(struct sym_hash *h, const char *key)
{
	struct sym_hash_node **pn = find_slot(h, key, hash_str(key));
	struct sym_hash_node *n = *pn;

	if (!n)
		return -ENOENT;
	*pn = n->next;
	free(n);
	h->count--;
	return 0;
}

size_t sym_hash__count(const struct sym_hash *h)
{
	return h->count;
}
