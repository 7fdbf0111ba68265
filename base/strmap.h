/* SPDX-License-Identifier: MIT */
/* strmap: a string-keyed map (key -> borrowed pointer) on base/hashmap, for
 * the symbolizer's caches. Keys are copied; values are borrowed pointers the
 * map never frees. Size bounds and eviction belong to the caller: the map
 * grows with what is put in it. libc only; never prints.
 */
#ifndef CPROF_BASE_STRMAP_H
#define CPROF_BASE_STRMAP_H

#include <stddef.h>

struct strmap;

/* New empty map; NULL and errno (ENOMEM) on failure. */
struct strmap *strmap__new(void);
/* Frees the map and its key copies, not the values. NULL is a no-op. */
void strmap__free(struct strmap *m);
/* Value stored under key, NULL when absent. Valid until the next put or
 * remove of that key. */
void *strmap__get(const struct strmap *m, const char *key);
/* Store value under key (replacing an existing value): 0 or -ENOMEM (the
 * map is unchanged). */
int strmap__put(struct strmap *m, const char *key, void *value)
	__attribute__((warn_unused_result));
/* Remove key: 0, or -ENOENT when it was not there. */
int strmap__remove(struct strmap *m, const char *key);
/* Remove every key (values untouched). */
void strmap__clear(struct strmap *m);
size_t strmap__count(const struct strmap *m);

#endif /* CPROF_BASE_STRMAP_H */
