// SPDX-License-Identifier: MIT
/* sym_jitdump: a byte-order aware reader of jitdump records over bounded
 * buffers. Every field is read through rd32/rd64 after a length check, so
 * no record can make it read outside what was fed. Loaded code is kept by
 * code_index (base/hashmap) so a JIT_CODE_MOVE, which carries no name, can
 * be named. Depends on sym_perf_map and base/ only; never prints.
 */
#include "symbolize/sym_jitdump.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"

#define JD_MAGIC 0x4A695444u	/* "JiTD" in the writer's byte order */
#define JD_HEADER_MIN 40
#define JD_HEADER_MAX 4096	/* header total_size beyond this is not a header */
#define JD_REC_HEADER 16	/* id, total_size, timestamp */
#define JD_LOAD_FIXED 40	/* pid, tid, vma, code_addr, code_size, code_index */
#define JD_MOVE_FIXED 48	/* pid, tid, vma, old_addr, new_addr, code_size, code_index */
/* names of moved code kept at most this many bytes in all */
#define JD_MAX_NAME_BYTES SYM_PERF_MAP_MAX_BYTES

enum { JIT_CODE_LOAD = 0, JIT_CODE_MOVE = 1 };

struct jd_code {
	uint64_t index;
	char *name;
};

struct sym_jitdump {
	struct sym_perf_map *map;
	bool header_done, swap;
	int broken;		/* -EINVAL once the file stopped making sense */
	uint64_t pos;
	struct jd_code *codes;
	size_t ncodes, cap, name_bytes;
	struct hashmap by_index;	/* code_index -> codes[] */
};

static bool code_eq(const void *ctx, uint32_t idx, const void *key)
{
	const struct sym_jitdump *d = ctx;

	return d->codes[idx].index == *(const uint64_t *)key;
}

static uint32_t index_hash(uint64_t index)
{
	return hash__fold(hash__fnv1a(HASH_FNV1A_SEED, &index, sizeof(index)));
}

struct sym_jitdump *sym_jitdump__new(void)
{
	struct sym_jitdump *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->map = sym_perf_map__new();
	if (!d->map) {
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	hashmap__init(&d->by_index, code_eq, d);
	return d;
}

void sym_jitdump__free(struct sym_jitdump *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->ncodes; i++)
		free(d->codes[i].name);
	free(d->codes);
	hashmap__release(&d->by_index);
	sym_perf_map__free(d->map);
	free(d);
}

static uint32_t rd32(const struct sym_jitdump *d, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return d->swap ? __builtin_bswap32(v) : v;
}

static uint64_t rd64(const struct sym_jitdump *d, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return d->swap ? __builtin_bswap64(v) : v;
}

/* Remember code_index's name for a later move; the newest load of an index wins. */
static int remember(struct sym_jitdump *d, uint64_t index, const char *name, size_t len)
{
	uint32_t h = index_hash(index), idx;
	char *copy;

	if (d->name_bytes + len > JD_MAX_NAME_BYTES)
		return 0;
	copy = strndup(name, len);
	if (!copy)
		return -ENOMEM;
	d->name_bytes += len;
	if (hashmap__find(&d->by_index, h, &index, &idx)) {
		free(d->codes[idx].name);
		d->codes[idx].name = copy;
		return 0;
	}
	if (d->ncodes >= SYM_PERF_MAP_MAX_ENTRIES || VEC_RESERVE(d->codes, d->ncodes, d->cap, 1) ||
	    hashmap__insert(&d->by_index, h, (uint32_t)d->ncodes)) {
		free(copy);
		return d->ncodes >= SYM_PERF_MAP_MAX_ENTRIES ? 0 : -ENOMEM;
	}
	d->codes[d->ncodes++] = (struct jd_code){ .index = index, .name = copy };
	return 0;
}

/* JIT_CODE_LOAD at rec (avail bytes of it fed, size in all): the fixed part
 * and the NUL-terminated name must be there; the code bytes need not be. 1
 * when done, 0 when more bytes are needed, -EINVAL, -ENOMEM. */
static int code_load(struct sym_jitdump *d, const uint8_t *rec, size_t avail, uint32_t size)
{
	const uint8_t *f = rec + JD_REC_HEADER;
	uint64_t addr, code_size, index;
	const char *name;
	const uint8_t *nul;
	size_t room;
	bool whole;
	int err;

	if (size < JD_REC_HEADER + JD_LOAD_FIXED + 1)
		return -EINVAL;
	if (avail < JD_REC_HEADER + JD_LOAD_FIXED)
		return 0;
	addr = rd64(d, f + 16);
	code_size = rd64(d, f + 24);
	index = rd64(d, f + 32);
	if (code_size > size - (JD_REC_HEADER + JD_LOAD_FIXED + 1))
		return -EINVAL;
	/* the name lies between the fixed part and the code */
	room = size - code_size - (JD_REC_HEADER + JD_LOAD_FIXED);
	name = (const char *)f + JD_LOAD_FIXED;
	whole = avail - (JD_REC_HEADER + JD_LOAD_FIXED) >= room;
	if (!whole) {
		if (room <= SYM_PERF_MAP_MAX_LINE + 1)
			return 0;	/* a short name not fed whole yet */
		room = avail - (JD_REC_HEADER + JD_LOAD_FIXED);
	}
	nul = memchr(name, '\0', room);
	if (!nul) {
		if (room > SYM_PERF_MAP_MAX_LINE)
			return 1;	/* overlong: left out */
		return whole ? -EINVAL : 0;
	}
	err = sym_perf_map__add(d->map, addr, code_size, name, (size_t)((const char *)nul - name));
	if (!err)
		err = remember(d, index, name, (size_t)((const char *)nul - name));
	return err < 0 ? err : 1;
}

static int code_move(struct sym_jitdump *d, const uint8_t *rec, size_t avail, uint32_t size)
{
	const uint8_t *f = rec + JD_REC_HEADER;
	uint64_t index;
	uint32_t idx;
	const char *name;

	if (size < JD_REC_HEADER + JD_MOVE_FIXED)
		return -EINVAL;
	if (avail < JD_REC_HEADER + JD_MOVE_FIXED)
		return 0;
	index = rd64(d, f + 40);
	if (!hashmap__find(&d->by_index, index_hash(index), &index, &idx))
		return 1;	/* moved code we never saw loaded */
	name = d->codes[idx].name;
	return sym_perf_map__add(d->map, rd64(d, f + 24), rd64(d, f + 32), name, strlen(name)) ?: 1;
}

static int header(struct sym_jitdump *d, const uint8_t *buf, size_t len)
{
	uint32_t magic, size;

	if (len < JD_HEADER_MIN)
		return 0;
	memcpy(&magic, buf, 4);
	if (magic == __builtin_bswap32(JD_MAGIC))
		d->swap = true;
	else if (magic != JD_MAGIC)
		return -EINVAL;
	size = rd32(d, buf + 8);
	if (size < JD_HEADER_MIN || size > JD_HEADER_MAX)
		return -EINVAL;
	d->header_done = true;
	d->pos = size;
	return 1;
}

int64_t sym_jitdump__feed(struct sym_jitdump *d, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	bool added = false;
	int err = 0;

	if (d->broken)
		return (int64_t)d->pos;
	if (!d->header_done) {
		err = header(d, buf, len);
		if (err <= 0)
			goto out;
		off = d->pos;
	}
	while (off < len && len - off >= JD_REC_HEADER) {
		const uint8_t *rec = buf + off;
		uint32_t id = rd32(d, rec), size = rd32(d, rec + 4);

		if (size < JD_REC_HEADER) {
			err = -EINVAL;
			break;
		}
		if (id == JIT_CODE_LOAD)
			err = code_load(d, rec, len - off, size);
		else if (id == JIT_CODE_MOVE)
			err = code_move(d, rec, len - off, size);
		else
			err = 1;	/* debug info, unwinding info, close, unknown: skipped */
		if (err <= 0)
			break;
		added |= id <= JIT_CODE_MOVE;
		d->pos += size;
		off += size;
		err = 0;
	}
out:
	if (added)
		sym_perf_map__sort(d->map);
	if (err == -ENOMEM)
		return err;
	if (err == -EINVAL)
		d->broken = err;
	return (int64_t)d->pos;
}

uint64_t sym_jitdump__pos(const struct sym_jitdump *d)
{
	return d->pos;
}

int sym_jitdump__broken(const struct sym_jitdump *d)
{
	return d->broken;
}

const struct sym_perf_map *sym_jitdump__map(const struct sym_jitdump *d)
{
	return d->map;
}
