/* SPDX-License-Identifier: MIT */
/* sym_lru: the intrusive recency list behind the symbolizer's bounded caches
 * (processes, binaries, unwind tables). A node is embedded in the cached
 * object; the head's next is the most recently used, its prev the oldest.
 * An unlinked node points at itself, so unlinking twice is harmless.
 * Header only; depends on nothing but libc.
 */
#ifndef CPROF_SYM_LRU_H
#define CPROF_SYM_LRU_H

#include <stdbool.h>
#include <stddef.h>

struct sym_lru {
	struct sym_lru *prev, *next;
};

/* The object a node is embedded in. */
#define sym_lru__entry(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* An empty list head, or a node in no list. */
static inline void sym_lru__init(struct sym_lru *n)
{
	n->prev = n->next = n;
}

static inline bool sym_lru__empty(const struct sym_lru *head)
{
	return head->next == head;
}

static inline void sym_lru__unlink(struct sym_lru *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

/* Insert n as the most recently used. n must be in no list. */
static inline void sym_lru__push_front(struct sym_lru *head, struct sym_lru *n)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

/* Mark n (in head's list) the most recently used. */
static inline void sym_lru__touch(struct sym_lru *head, struct sym_lru *n)
{
	sym_lru__unlink(n);
	sym_lru__push_front(head, n);
}

/* The least recently used node, NULL when the list is empty. */
static inline struct sym_lru *sym_lru__oldest(const struct sym_lru *head)
{
	return head->prev != head ? head->prev : NULL;
}

/* The most recently used node, NULL when the list is empty. */
static inline struct sym_lru *sym_lru__newest(const struct sym_lru *head)
{
	return head->next != head ? head->next : NULL;
}

#endif /* CPROF_SYM_LRU_H */
