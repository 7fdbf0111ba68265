// SPDX-License-Identifier: MIT
/* sym_knames: kallsyms names in compressed blocks, decoded one name at a
 * time into an arena that only grows (handed-out pointers never move). The
 * decoder checks every length against the block, though it only ever reads
 * what the encoder wrote. Depends on base/ only; never prints.
 */
#include "symbolize/sym_kallsyms_names.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/compress.h"
#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"

/* A name's code: one byte, its tail, a NUL. The byte's low 7 bits count the
 * characters taken from the previous name's stem (the name without PFX;
 * none for a block's first name), its top bit puts PFX in front. Half of a
 * 6.x kernel's text symbols are "__pfx_foo" padding just before "foo". */
#define PFX		"__pfx_"
#define PFX_LEN		6
#define CODE_PFX	0x80u
#define CODE_SHARED_MAX	0x7fu
/* level 1: the blocks are small and mostly front-coded already; higher
 * levels gain ~2% for more parse time */
#define ZSTD_LEVEL	1
#define CHUNK_MIN	1024
#define CHUNK_MAX	(64 * 1024)

struct kname {
	uint32_t idx;
	const char *name;
};

/* Decoded names live here, never moved or freed before the table. */
struct kname_chunk {
	struct kname_chunk *next;
	size_t used, cap;
	char data[];
};

struct sym_knames {
	size_t n;
	/* block b is zblocks[zoff[b] .. zoff[b + 1]) */
	uint8_t *zblocks;
	size_t zlen, zcap;
	uint32_t *zoff;
	size_t nzoff, zoff_cap;
	size_t max_block_raw;	/* the longest block's code: a bound for decoding */
	bool sealed;
	/* builder: the current block's code and the previous name's stem */
	char *raw;
	size_t raw_len, raw_cap;
	char *stem;
	size_t stem_len, stem_cap;
	/* decoded names, found by number through index */
	struct kname *cached;
	size_t ncached, cached_cap;
	struct hashmap index;
	struct kname_chunk *chunks;
	size_t chunk_bytes;
};

static bool kname_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct sym_knames *t = ctx;

	return t->cached[i].idx == *(const uint32_t *)key;
}

static uint32_t kname_hash(uint32_t idx)
{
	return hash__fold(hash__fnv1a(HASH_FNV1A_SEED, &idx, sizeof(idx)));
}

struct sym_knames *sym_knames__new(void)
{
	struct sym_knames *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	hashmap__init(&t->index, kname_eq, t);
	return t;
}

void sym_knames__free(struct sym_knames *t)
{
	struct kname_chunk *c, *next;

	if (!t)
		return;
	for (c = t->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	hashmap__release(&t->index);
	free(t->cached);
	free(t->raw);
	free(t->stem);
	free(t->zoff);
	free(t->zblocks);
	free(t);
}

/* Compresses the current block onto zblocks. */
static int flush_block(struct sym_knames *t)
{
	uint8_t *z;
	size_t zl;
	int err;

	if (VEC_RESERVE(t->zoff, t->nzoff, t->zoff_cap, 2))
		return -ENOMEM;
	if (!t->nzoff)
		t->zoff[t->nzoff++] = 0;
	err = compress__zstd(t->raw, t->raw_len, ZSTD_LEVEL, &z, &zl);
	if (err < 0)
		return err;
	if (zl > UINT32_MAX - t->zlen) {
		err = -E2BIG;
		goto out_free;
	}
	if (VEC_RESERVE(t->zblocks, t->zlen, t->zcap, zl)) {
		err = -ENOMEM;
		goto out_free;
	}
	memcpy(t->zblocks + t->zlen, z, zl);
	t->zlen += zl;
	t->zoff[t->nzoff++] = (uint32_t)t->zlen;
	if (t->raw_len > t->max_block_raw)
		t->max_block_raw = t->raw_len;
	t->raw_len = 0;
	t->stem_len = 0;
out_free:
	free(z);
	return err;
}

int sym_knames__add(struct sym_knames *t, const char *name)
{
	size_t len = strlen(name), slen, k = 0;
	bool pfx = len >= PFX_LEN && memcmp(name, PFX, PFX_LEN) == 0;
	const char *s = pfx ? name + PFX_LEN : name;

	if (t->sealed)
		return -EINVAL;
	if (t->n >= UINT32_MAX)
		return -E2BIG;
	slen = len - (pfx ? PFX_LEN : 0);
	while (k < slen && k < t->stem_len && k < CODE_SHARED_MAX && s[k] == t->stem[k])
		k++;
	if (VEC_RESERVE(t->raw, t->raw_len, t->raw_cap, slen - k + 2) ||
	    VEC_RESERVE(t->stem, k, t->stem_cap, slen - k))
		return -ENOMEM;
	t->raw[t->raw_len++] = (char)((pfx ? CODE_PFX : 0) | k);
	/* a name all stem ("__pfx_" alone, or equal to the one before) adds
	 * nothing, and the stem may not be allocated yet */
	if (slen > k) {
		memcpy(t->raw + t->raw_len, s + k, slen - k);
		memcpy(t->stem + k, s + k, slen - k);
	}
	t->raw_len += slen - k;
	t->raw[t->raw_len++] = '\0';
	t->stem_len = slen;
	if (++t->n % SYM_KNAMES_BLOCK == 0)
		return flush_block(t);
	return 0;
}

int sym_knames__seal(struct sym_knames *t)
{
	void *p;
	int err;

	if (t->sealed)
		return 0;
	if (t->raw_len) {
		err = flush_block(t);
		if (err < 0)
			return err;
	}
	free(t->raw);
	free(t->stem);
	t->raw = t->stem = NULL;
	t->raw_cap = t->stem_cap = 0;
	/* the builder doubled them as it went: give back the slack */
	if (t->zlen && (p = realloc(t->zblocks, t->zlen)))
		t->zblocks = p, t->zcap = t->zlen;
	if (t->nzoff && (p = realloc(t->zoff, t->nzoff * sizeof(*t->zoff))))
		t->zoff = p, t->zoff_cap = t->nzoff;
	t->sealed = true;
	return 0;
}

size_t sym_knames__count(const struct sym_knames *t)
{
	return t->n;
}

/* size bytes in the arena. NULL when out of memory. */
static char *arena_alloc(struct sym_knames *t, size_t size)
{
	struct kname_chunk *c = t->chunks;

	if (!c || c->cap - c->used < size) {
		size_t cap = c ? c->cap * 2 : CHUNK_MIN;

		if (cap > CHUNK_MAX)
			cap = CHUNK_MAX;
		if (cap < size)
			cap = size;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = t->chunks;
		c->used = 0;
		c->cap = cap;
		t->chunks = c;
		t->chunk_bytes += sizeof(*c) + cap;
	}
	c->used += size;
	return c->data + c->used - size;
}

/* Decodes name idx into the arena. */
static int decode(struct sym_knames *t, uint32_t idx, const char **ret_name)
{
	size_t b = idx / SYM_KNAMES_BLOCK, pos = idx % SYM_KNAMES_BLOCK;
	uint8_t *raw = NULL;
	char *stem = NULL, *name;
	size_t rlen, slen = 0, i = 0;
	const char *p, *end;
	bool pfx = false;
	int err;

	if (b + 1 >= t->nzoff)
		return -EBADMSG;
	err = compress__unzstd(t->zblocks + t->zoff[b], t->zoff[b + 1] - t->zoff[b], t->max_block_raw,
			       &raw, &rlen);
	if (err < 0)
		return err;
	/* a stem grows at most by its tail, so never past the block's length */
	stem = malloc(rlen + 1);
	if (!stem) {
		err = -ENOMEM;
		goto out_free;
	}
	for (p = (const char *)raw, end = p + rlen;; i++) {
		size_t k, tl;

		if (p >= end) {
			err = -EBADMSG;
			goto out_free;
		}
		k = (unsigned char)*p & CODE_SHARED_MAX;
		pfx = (unsigned char)*p & CODE_PFX;
		p++;
		tl = strnlen(p, (size_t)(end - p));
		if (tl == (size_t)(end - p) || k > slen) {
			err = -EBADMSG;
			goto out_free;
		}
		memcpy(stem + k, p, tl);
		slen = k + tl;
		p += tl + 1;
		if (i == pos)
			break;
	}
	name = arena_alloc(t, (pfx ? PFX_LEN : 0) + slen + 1);
	if (!name) {
		err = -ENOMEM;
		goto out_free;
	}
	*ret_name = name;
	if (pfx)
		name = (char *)memcpy(name, PFX, PFX_LEN) + PFX_LEN;
	memcpy(name, stem, slen);
	name[slen] = '\0';
out_free:
	free(stem);
	free(raw);
	return err;
}

int sym_knames__get(struct sym_knames *t, uint32_t idx, const char **ret_name)
{
	uint32_t hash = kname_hash(idx), slot;
	const char *name;
	int err;

	if (!t->sealed || idx >= t->n)
		return -ENOENT;
	if (hashmap__find(&t->index, hash, &idx, &slot)) {
		*ret_name = t->cached[slot].name;
		return 0;
	}
	/* room first, so a decoded name is never left unindexed */
	if (VEC_RESERVE(t->cached, t->ncached, t->cached_cap, 1) || hashmap__reserve(&t->index, 1))
		return -ENOMEM;
	err = decode(t, idx, &name);
	if (err < 0)
		return err;
	t->cached[t->ncached] = (struct kname){ .idx = idx, .name = name };
	hashmap__add(&t->index, hash, (uint32_t)t->ncached++);
	*ret_name = name;
	return 0;
}

size_t sym_knames__bytes(const struct sym_knames *t)
{
	size_t index_cap = 0;

	/* hashmap.h: a power of two, at least HASHMAP_MIN_CAP, load under 1/2 */
	if (t->ncached)
		for (index_cap = HASHMAP_MIN_CAP; t->ncached > index_cap / 2;)
			index_cap *= 2;
	return sizeof(*t) + t->zcap + t->zoff_cap * sizeof(*t->zoff) + t->raw_cap + t->stem_cap +
	       t->cached_cap * sizeof(*t->cached) + index_cap * sizeof(struct hashmap_slot) +
	       t->chunk_bytes;
}
