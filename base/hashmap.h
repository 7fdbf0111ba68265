/* SPDX-License-Identifier: MIT */
/* hashmap: the one hash table of the tree. It is an index: open addressing
 * with linear probing over (32-bit hash, entry index) pairs, where the
 * entries live in the caller's own array (interned stacks, strings,
 * functions...) and equality is the caller's callback. The table never sees
 * a key, so one implementation serves interners (lookup, then append) and
 * maps (base/strmap is the string-keyed map built on it). Load stays under
 * 1/2; growth rehashes from the stored hashes, so entries are never touched.
 * Bounds and eviction belong to the caller. libc only; never prints.
 */
#ifndef CPROF_BASE_HASHMAP_H
#define CPROF_BASE_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is entry idx of ctx equal to key? Called only for entries whose stored
 * hash equals the hash looked up. */
typedef bool (*hashmap_eq_fn)(const void *ctx, uint32_t idx, const void *key);

struct hashmap_slot {
	uint32_t idx1;	/* entry index + 1; 0 = empty */
	uint32_t hash;
};

/* Embedded by its user; all-zero (or HASHMAP_INIT) is an empty table.
 * Fields are private to hashmap.c. */
struct hashmap {
	struct hashmap_slot *slots;
	size_t mask;	/* capacity - 1; capacity a power of two */
	size_t n;
	hashmap_eq_fn eq;
	const void *ctx;
};

#define HASHMAP_MIN_CAP 64
#define HASHMAP_MAX_ENTRIES (UINT32_MAX - 1)

/* Empty table comparing with eq(ctx, ...). Allocates nothing. */
void hashmap__init(struct hashmap *m, hashmap_eq_fn eq, const void *ctx);
/* Frees the index (not the caller's entries); m is empty and usable after. */
void hashmap__release(struct hashmap *m);
/* Forgets every entry, keeping the capacity. */
void hashmap__clear(struct hashmap *m);
size_t hashmap__count(const struct hashmap *m);

/* Makes room for `more` insertions without growing (so they cannot fail):
 * 0, or -ENOMEM (the table is unchanged). */
int hashmap__reserve(struct hashmap *m, size_t more) __attribute__((warn_unused_result));

/* The index of the entry equal to key (whose hash is hash): true and
 * *ret_idx, or false when there is none. */
bool hashmap__find(const struct hashmap *m, uint32_t hash, const void *key, uint32_t *ret_idx)
	__attribute__((warn_unused_result));

/* Adds entry idx under hash. The caller has made room with
 * hashmap__reserve() and checked that no equal entry exists (duplicates are
 * not detected). Never fails. */
void hashmap__add(struct hashmap *m, uint32_t hash, uint32_t idx);

/* Grows when needed, then adds: 0, or -ENOMEM (nothing added). */
int hashmap__insert(struct hashmap *m, uint32_t hash, uint32_t idx)
	__attribute__((warn_unused_result));

/* Removes entry idx stored under hash (backward-shift deletion: no
 * tombstones, lookups stay short). 0, or -ENOENT when it is not there. */
int hashmap__remove(struct hashmap *m, uint32_t hash, uint32_t idx);

/* Entry idx under hash now lives at new_idx (the caller moved it in its
 * array, e.g. swap-remove). 0, or -ENOENT. */
int hashmap__renumber(struct hashmap *m, uint32_t hash, uint32_t idx, uint32_t new_idx);

#endif /* CPROF_BASE_HASHMAP_H */
