/* SPDX-License-Identifier: MIT */
/* sym_hash: a string-keyed hash map (separate chaining, doubling) for the
 * symbolizer's caches. Keys are copied; values are borrowed pointers the map
 * never frees. Size bounds and eviction belong to the caller: the map itself
 * grows with what is put in it. Depends on libc only.
 */
#ifndef CPROF_SYM_HASH_H
#define CPROF_SYM_HASH_H

#include <stddef.h>

struct sym_hash;

/* New empty map; NULL and errno (ENOMEM) on failure. */
struct sym_hash *sym_hash__new(void);
/* Frees the map and its key copies, not the values. NULL is a no-op. */
void sym_hash__free(struct sym_hash *h);
/* Value stored under key, NULL when absent. */
void *sym_hash__get(const struct sym_hash *h, const char *key);
/* Store value under key (replacing an existing value): 0 or -ENOMEM. */
int sym_hash__put(struct sym_hash *h, const char *key, void *value);
/* Remove key: 0, or -ENOENT when it was not there. */
int sym_hash__remove(struct sym_hash *h, const char *key);
/* Remove every key (values untouched). */
void sym_hash__clear(struct sym_hash *h);
size_t sym_hash__count(const struct sym_hash *h);

#endif
