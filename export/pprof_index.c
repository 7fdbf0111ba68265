// SPDX-License-Identifier: MIT
/* pprof_index: O(1) lookups from ids to Location, Function and Mapping
 * messages: direct arrays when ids are dense (as every producer writes
 * them), a hash otherwise. Refuses a zero or repeated id. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "export/pprof_index.h"

struct id_slot {
	uint64_t id;	/* 0 = empty */
	const void *msg;
};

/* Direct array when ids are index+1 (everything cprof and Go write), else an
 * open-addressing table. */
struct id_map {
	const void **dense;
	size_t n;
	struct id_slot *slots;
	size_t mask;
};

struct pprof_index {
	struct id_map locs, funcs, maps;
};

static uint64_t id_hash(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return id;
}

static void id_map__release(struct id_map *m)
{
	free(m->slots);
	m->slots = NULL;
}

/* msgs[i] has its id at ids[i]. -EBADMSG on a zero or repeated id. */
static int id_map__init(struct id_map *m, const void **msgs, const uint64_t *ids, size_t n)
{
	bool dense = true;
	size_t cap = 16;

	m->dense = msgs;
	m->n = n;
	m->slots = NULL;
	for (size_t i = 0; i < n && dense; i++)
		dense = ids[i] == i + 1;
	if (dense)
		return 0;
	while (cap < n * 2)
		cap *= 2;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots)
		return -ENOMEM;
	m->mask = cap - 1;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (!ids[i])
			goto out_bad;
		j = id_hash(ids[i]) & m->mask;
		while (m->slots[j].id) {
			if (m->slots[j].id == ids[i])
				goto out_bad;
			j = (j + 1) & m->mask;
		}
		m->slots[j].id = ids[i];
		m->slots[j].msg = msgs[i];
	}
	return 0;

out_bad:
	id_map__release(m);
	return -EBADMSG;
}

static const void *id_map__get(const struct id_map *m, uint64_t id)
{
	size_t j;

	if (!id)
		return NULL;
	if (!m->slots)
		return id <= m->n ? m->dense[id - 1] : NULL;
	j = id_hash(id) & m->mask;
	while (m->slots[j].id) {
		if (m->slots[j].id == id)
			return m->slots[j].msg;
		j = (j + 1) & m->mask;
	}
	return NULL;
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

