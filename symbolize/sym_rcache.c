// SPDX-License-Identifier: MIT
/* sym_rcache: see sym_rcache.h. Entries and their frames live in two
 * growing arrays indexed by base/hashmap, the frames' strings in a
 * sym_strtab; starting over clears all four. */
#include "symbolize/sym_rcache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "symbolize/sym_strtab.h"

struct rc_key {
	uint64_t serial, vaddr;
};

struct rc_entry {
	struct rc_key key;
	uint32_t first;		/* into frames */
	uint32_t n;
};

struct sym_rcache {
	struct rc_entry *e;
	size_t n, cap;
	struct sym_elf_frame *frames;
	size_t nframes, cap_frames;
	struct hashmap index;
	struct sym_strtab *strings;	/* the frames' names and files */
};

static bool rc_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct sym_rcache *c = ctx;

	const struct rc_key *k = key;

	return c->e[idx].key.vaddr == k->vaddr && c->e[idx].key.serial == k->serial;
}

static uint32_t rc_hash(const struct rc_key *k)
{
	return hash__fold(hash__fnv1a(HASH_FNV1A_SEED, k, sizeof(*k)));
}

struct sym_rcache *sym_rcache__new(void)
{
	struct sym_rcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	hashmap__init(&c->index, rc_eq, c);
	c->strings = sym_strtab__new();
	if (!c->strings) {
		free(c);
		return NULL;
	}
	return c;
}

void sym_rcache__free(struct sym_rcache *c)
{
	if (!c)
		return;
	hashmap__release(&c->index);
	sym_strtab__free(c->strings);
	free(c->e);
	free(c->frames);
	free(c);
}

int sym_rcache__find(const struct sym_rcache *c, uint64_t serial, uint64_t vaddr,
		     struct sym_elf_frame *frames, size_t max)
{
	struct rc_key k = { serial, vaddr };
	uint32_t i;
	size_t n;

	if (!c || !hashmap__find(&c->index, rc_hash(&k), &k, &i))
		return -1;
	n = c->e[i].n < max ? c->e[i].n : max;
	memcpy(frames, c->frames + c->e[i].first, n * sizeof(*frames));
	/* cut as sym_elf__resolve() cuts: the physical function stays last */
	if (n && n < c->e[i].n)
		frames[n - 1] = c->frames[c->e[i].first + c->e[i].n - 1];
	return (int)n;
}

void sym_rcache__put(struct sym_rcache *c, uint64_t serial, uint64_t vaddr,
		     const struct sym_elf_frame *frames, size_t n)
{
	struct rc_key k = { serial, vaddr };
	uint32_t h = rc_hash(&k), i;

	if (!c || hashmap__find(&c->index, h, &k, &i))
		return;
	if (c->n >= SYM_RCACHE_MAX_ADDRS || sym_strtab__bytes(c->strings) >= SYM_RCACHE_MAX_STRINGS) {
		hashmap__clear(&c->index);
		sym_strtab__reset(c->strings);
		c->n = c->nframes = 0;
	}
	if (VEC_RESERVE(c->e, c->n, c->cap, 1) ||
	    VEC_RESERVE(c->frames, c->nframes, c->cap_frames, n ? n : 1) ||
	    hashmap__reserve(&c->index, 1))
		return;
	for (size_t j = 0; j < n; j++) {
		struct sym_elf_frame *f = &c->frames[c->nframes + j];

		*f = frames[j];
		if ((frames[j].name && !(f->name = sym_strtab__intern(c->strings, frames[j].name))) ||
		    (frames[j].file && !(f->file = sym_strtab__intern(c->strings, frames[j].file))))
			return;	/* not added: the copies interned so far stay until a reset */
	}
	c->e[c->n] = (struct rc_entry){ .key = k, .first = (uint32_t)c->nframes, .n = (uint32_t)n };
	c->nframes += n;
	hashmap__add(&c->index, h, (uint32_t)c->n++);
}

size_t sym_rcache__count(const struct sym_rcache *c)
{
	return c ? c->n : 0;
}
