// SPDX-License-Identifier: MIT
/* Counts first, stacks after: a count key names its stacks by id, so the
 * stack map is read while the counts drain and only cleared once they have.
 * A sample that cannot be stored is counted lost right there, and the drain
 * goes on: a slot left full to retry would count its samples twice. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/slot_drain.h"

void slot_drain__reset_cache(const struct slot_drain *d, int32_t *cache)
{
	for (uint32_t i = 0; i < d->max_stacks; i++)
		cache[i] = INT32_MIN;
}

static int32_t raw_lost(uint8_t lost)
{
	switch (lost) {
	case CPROF_STACK_NONE:
		return RAW_STACK_NONE;
	case CPROF_STACK_COLLISION:
		return RAW_STACK_COLLISION;
	case CPROF_STACK_MAP_FULL:
		return RAW_STACK_MAP_FULL;
	case CPROF_STACK_RING_FULL:
		return RAW_STACK_RING_FULL;
	default:
		return RAW_STACK_MISSING;
	}
}

int slot_drain__stack(const struct slot_drain *d, int32_t *cache, struct raw_profile *rp,
		      uint32_t id, uint8_t lost, int32_t *ret)
{
	uint64_t ips[CPROF_MAX_STACK_DEPTH];
	uint32_t nr = 0;
	int idx;

	if (lost != CPROF_STACK_OK) {
		*ret = raw_lost(lost);
		return 0;
	}
	if (id < d->max_stacks && cache[id] != INT32_MIN) {
		*ret = cache[id];
		return 0;
	}
	if (id >= d->max_stacks || d->ops->lookup(d->stacks, &id, ips)) {
		*ret = RAW_STACK_MISSING;
		return 0;
	}
	while (nr < CPROF_MAX_STACK_DEPTH && ips[nr])
		nr++;
	idx = raw_profile__intern_stack(rp, ips, nr);
	if (idx < 0)
		return idx;
	*ret = cache[id] = idx;
	return 0;
}

struct run {
	const struct slot_drain *d;
	int32_t *cache;
	struct raw_profile *rp;
	uint64_t *lost;
	int64_t moved;
	int failed;		/* a sample could not be stored */
};

static int on_count(void *arg, const void *key, const void *value)
{
	struct run *r = arg;
	const struct cprof_key *k = key;
	const uint64_t *v = value;
	struct raw_sample rs = {0};
	uint64_t sum = 0;
	int err;

	for (int c = 0; c < r->d->nr_values; c++)
		sum += v[c];
	if (!sum)
		return 0;
	rs.pid = k->tgid;
	rs.tid = k->tid;
	rs.start_ticks = k->start_ticks;
	memcpy(rs.comm, k->comm, sizeof(rs.comm));
	rs.comm[sizeof(rs.comm) - 1] = '\0';
	rs.count = sum;
	err = slot_drain__stack(r->d, r->cache, r->rp, k->user_stack_id, k->user_lost, &rs.ustack);
	if (!err)
		err = slot_drain__stack(r->d, r->cache, r->rp, k->kern_stack_id, k->kern_lost,
					&rs.kstack);
	if (!err)
		err = raw_profile__add(r->rp, &rs);
	if (err) {
		*r->lost += sum;
		r->failed = 1;
		return err;
	}
	r->moved += sum;
	return 0;
}

int64_t slot_drain__run(const struct slot_drain *d, int32_t *cache, struct raw_profile *rp,
			uint64_t *ret_lost)
{
	struct map_drain_opts co = {
		.key_size = sizeof(struct cprof_key),
		.value_size = (size_t)d->nr_values * sizeof(uint64_t),
		.no_batch = d->no_batch,
	};
	/* Stack trace maps have no batch operations; their ids are only deleted. */
	struct map_drain_opts so = { .key_size = sizeof(__u32), .no_batch = 1 };
	struct run r = { .d = d, .cache = cache, .rp = rp, .lost = ret_lost };
	int64_t err, err2;

	slot_drain__reset_cache(d, cache);
	err = map_drain__run(d->ops, d->counts, &co, on_count, &r);
	if (err < 0 && err != -ENOMEM)
		return err;	/* a map error: the remaining counts still name their stacks */
	if (err == -ENOMEM && !r.failed)
		return err;	/* the drain's own buffer: nothing consumed, all still there */
	err2 = map_drain__run(d->ops, d->stacks, &so, NULL, NULL);
	slot_drain__reset_cache(d, cache);	/* ids are reused from now on */
	if (err < 0)
		return err;
	return err2 < 0 ? err2 : r.moved;
}
