// SPDX-License-Identifier: MIT
/* sym_strtab: string interning over base/strmap. Strings live in 64 KiB chunks
 * (larger strings get a chunk of their own), so interning costs one copy and
 * no per-string malloc; the hash maps each string to its arena copy.
 * Depends on base/strmap only; never prints.
 */
#include "symbolize/sym_strtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"

#define CHUNK_SIZE (64 * 1024)

struct strtab_chunk {
	struct strtab_chunk *next;
	size_t used, size;
	char data[];
};

struct sym_strtab {
	struct strmap *index;
	struct strtab_chunk *chunks; /* head is the one being filled */
	size_t bytes;
};

struct sym_strtab *sym_strtab__new(void)
{
	struct sym_strtab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->index = strmap__new();
	if (!t->index) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void sym_strtab__reset(struct sym_strtab *t)
{
	struct strtab_chunk *c = t->chunks;

	while (c) {
		struct strtab_chunk *next = c->next;

		free(c);
		c = next;
	}
	t->chunks = NULL;
	t->bytes = 0;
	strmap__clear(t->index);
}

void sym_strtab__free(struct sym_strtab *t)
{
	if (!t)
		return;
	sym_strtab__reset(t);
	strmap__free(t->index);
	free(t);
}

static char *arena_alloc(struct sym_strtab *t, size_t len)
{
	struct strtab_chunk *c = t->chunks;
	char *p;

	if (!c || c->size - c->used < len) {
		size_t size = len > CHUNK_SIZE ? len : CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->used = 0;
		c->size = size;
		if (len > CHUNK_SIZE && t->chunks) {
			/* keep filling the current chunk after a big string */
			c->next = t->chunks->next;
			t->chunks->next = c;
		} else {
			c->next = t->chunks;
			t->chunks = c;
		}
		t->bytes += sizeof(*c) + size;
	}
	p = c->data + c->used;
	c->used += len;
	return p;
}

const char *sym_strtab__intern(struct sym_strtab *t, const char *s)
{
	char *copy = strmap__get(t->index, s);
	size_t len;

	if (copy)
		return copy;
	len = strlen(s) + 1;
	copy = arena_alloc(t, len);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(copy, s, len);
	if (strmap__put(t->index, copy, copy) < 0) {
		errno = ENOMEM;
		return NULL; /* the arena bytes stay until reset: harmless */
	}
	return copy;
}

size_t sym_strtab__bytes(const struct sym_strtab *t)
{
	return t->bytes;
}
