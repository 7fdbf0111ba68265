// SPDX-License-Identifier: MIT
/* pprof_index: O(1) lookups from ids to Location, Function and Mapping
 * messages: direct arrays when ids are dense (as every producer writes
 * them), a hash otherwise. Refuses a zero or repeated id. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "export/pprof_index.h"

/* Direct array when ids are index+1 (everything cprof and Go write), else a
 * base/hashmap on a copy of the ids. */
struct id_map {
	const void **msgs;	/* borrowed from the profile */
	size_t n;
	uint64_t *ids;		/* NULL: dense */
	struct hashmap index;	/* on ids, when not dense */
};

struct pprof_index {
	struct id_map locs, funcs, maps;
};

static uint32_t id_hash(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return hash__fold(id);
}

static bool id_eq(const void *ctx, uint32_t idx, const void *key)
{
	return ((const struct id_map *)ctx)->ids[idx] == *(const uint64_t *)key;
}

static void id_map__release(struct id_map *m)
{
	free(m->ids);
	m->ids = NULL;
	hashmap__release(&m->index);
}

/* msgs[i] has its id at ids[i]. -EBADMSG on a zero or repeated id. m must
 * not move afterwards. */
static int id_map__init(struct id_map *m, const void **msgs, const uint64_t *ids, size_t n)
{
	bool dense = true;
	uint32_t found;

	m->msgs = msgs;
	m->n = n;
	m->ids = NULL;
	hashmap__init(&m->index, id_eq, m);
	for (size_t i = 0; i < n && dense; i++)
		dense = ids[i] == i + 1;
	if (dense)
		return 0;
	m->ids = malloc(n * sizeof(*m->ids));
	if (!m->ids || hashmap__reserve(&m->index, n)) {
		id_map__release(m);
		return -ENOMEM;
	}
	memcpy(m->ids, ids, n * sizeof(*m->ids));
	for (size_t i = 0; i < n; i++) {
		if (!ids[i] || hashmap__find(&m->index, id_hash(ids[i]), &ids[i], &found))
			goto out_bad;
		hashmap__add(&m->index, id_hash(ids[i]), (uint32_t)i);
	}
	return 0;

out_bad:
	id_map__release(m);
	return -EBADMSG;
}

static const void *id_map__get(const struct id_map *m, uint64_t id)
{
	uint32_t i;

	if (!id)
		return NULL;
	if (!m->ids)
		return id <= m->n ? m->msgs[id - 1] : NULL;
	return hashmap__find(&m->index, id_hash(id), &id, &i) ? m->msgs[i] : NULL;
}

void pprof_index__free(struct pprof_index *idx)
{
	if (!idx)
		return;
	id_map__release(&idx->locs);
	id_map__release(&idx->funcs);
	id_map__release(&idx->maps);
	free(idx);
}

struct pprof_index *pprof_index__new(const Perftools__Profiles__Profile *p)
{
	struct pprof_index *idx;
	uint64_t *ids;
	size_t most;
	int err = 0;

	if (!p) {
		errno = EINVAL;
		return NULL;
	}
	idx = calloc(1, sizeof(*idx));
	if (!idx) {
		errno = ENOMEM;
		return NULL;
	}
	most = p->n_location;
	if (p->n_function > most)
		most = p->n_function;
	if (p->n_mapping > most)
		most = p->n_mapping;
	ids = malloc((most ? most : 1) * sizeof(*ids));
	if (!ids) {
		err = -ENOMEM;
		goto out_free_idx;
	}
	for (size_t i = 0; i < p->n_location; i++)
		ids[i] = p->location[i]->id;
	err = id_map__init(&idx->locs, (const void **)p->location, ids, p->n_location);
	if (err)
		goto out_free_ids;
	for (size_t i = 0; i < p->n_function; i++)
		ids[i] = p->function[i]->id;
	err = id_map__init(&idx->funcs, (const void **)p->function, ids, p->n_function);
	if (err)
		goto out_free_ids;
	for (size_t i = 0; i < p->n_mapping; i++)
		ids[i] = p->mapping[i]->id;
	err = id_map__init(&idx->maps, (const void **)p->mapping, ids, p->n_mapping);
out_free_ids:
	free(ids);
	if (!err)
		return idx;
out_free_idx:
	pprof_index__free(idx);
	errno = -err;
	return NULL;
}

const Perftools__Profiles__Location *pprof_index__location(const struct pprof_index *idx, uint64_t id)
{
	return idx ? id_map__get(&idx->locs, id) : NULL;
}

const Perftools__Profiles__Function *pprof_index__function(const struct pprof_index *idx, uint64_t id)
{
	return idx ? id_map__get(&idx->funcs, id) : NULL;
}

const Perftools__Profiles__Mapping *pprof_index__mapping(const struct pprof_index *idx, uint64_t id)
{
	return idx ? id_map__get(&idx->maps, id) : NULL;
}

