// SPDX-License-Identifier: MIT
/* Counts first, stacks after: a count key names its stacks by id, so the
 * stack map is read while the counts drain and only cleared once they have.
 * A sample that cannot be stored is counted lost right there, and the drain
 * goes on: a slot left full to retry would count its samples twice. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "profiler/core/losses.h"
#include "profiler/core/slot_drain.h"

static bool key_eq(const void *ctx, uint32_t i, const void *key)
{
	return ((const struct slot_cache *)ctx)->keys[i] == *(const uint64_t *)key;
}

int slot_cache__init(struct slot_cache *c, uint32_t max_stacks)
{
	uint32_t cap = 1024;

	/* room for max_stacks, at least 512, at most 2^29 */
	while (cap < 2 * (uint64_t)max_stacks && cap < (1u << 30))
		cap *= 2;
	c->max = cap / 2;
	c->n = 0;
	c->keys = calloc(c->max, sizeof(*c->keys));
	c->idx = calloc(c->max, sizeof(*c->idx));
	hashmap__init(&c->index, key_eq, c);
	if (!c->keys || !c->idx || hashmap__reserve(&c->index, c->max)) {
		slot_cache__release(c);
		return -ENOMEM;
	}
	return 0;
}

void slot_cache__release(struct slot_cache *c)
{
	free(c->keys);
	free(c->idx);
	hashmap__release(&c->index);
	c->keys = NULL;
	c->idx = NULL;
	c->max = c->n = 0;
}

void slot_cache__reset(struct slot_cache *c)
{
	if (c->n)
		hashmap__clear(&c->index);
	c->n = 0;
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
	case CPROF_STACK_PREEMPTED:
		return RAW_STACK_PREEMPTED;
	case CPROF_STACK_RAN_ON:
		return RAW_STACK_RAN_ON;
	default:
		return RAW_STACK_MISSING;
	}
}

/* The frames of a stack whose first chunk is st into ips: a stack walked in
 * the kernel continues in the chunks its CPROF_STACK_CONT links name
 * (bpf/unwind.h). A link to no chunk ends the stack there (the map filled
 * between two chunks' updates: the head is stored last, so never in practice). */
static uint32_t chained_stack(const struct slot_drain *d, struct cprof_stack *st, uint64_t *ips)
{
	uint32_t nr = 0;

	for (int c = 0; c < CPROF_UW_CHUNKS; c++) {
		uint32_t i = 0;
		__u64 next;

		while (i < CPROF_MAX_STACK_DEPTH && st->ips[i] && st->ips[i] != CPROF_STACK_CONT)
			ips[nr++] = st->ips[i++];
		if (i != CPROF_UW_CHUNK || st->ips[i] != CPROF_STACK_CONT)
			break;
		next = st->ips[CPROF_UW_CHUNK + 1];
		if (d->ops->lookup(d->stacks, &next, st))
			break;
	}
	return nr;
}

int slot_drain__stack(const struct slot_drain *d, struct slot_cache *cache,
		      struct raw_profile *rp, uint64_t key, uint8_t lost, int32_t *ret)
{
	uint64_t ips[CPROF_UW_MAX_FRAMES + CPROF_MAX_STACK_DEPTH];
	struct cprof_stack st;
	uint32_t nr = 0, slot = 0;
	bool cached = cache && cache->keys && key;
	int idx;

	if (lost != CPROF_STACK_OK) {
		*ret = raw_lost(lost);
		return 0;
	}
	/* the key is the BPF side's hash of the frames already */
	if (cached && hashmap__find(&cache->index, hash__fold(key), &key, &slot)) {
		*ret = cache->idx[slot];
		return 0;
	}
	if (d->ops->lookup(d->stacks, &key, &st)) {
		*ret = RAW_STACK_MISSING;
		return 0;
	}
	nr = chained_stack(d, &st, ips);
	idx = raw_profile__intern_stack(rp, ips, nr);
	if (idx < 0)
		return idx;
	*ret = idx;
	/* reserved at init for max entries: adding cannot fail */
	if (cached && cache->n < cache->max) {
		cache->keys[cache->n] = key;
		cache->idx[cache->n] = idx;
		hashmap__add(&cache->index, hash__fold(key), cache->n++);
	}
	return 0;
}

int slot_drain__py_stack(const struct slot_drain *d, struct slot_cache *cache,
			 struct raw_profile *rp, uint64_t key, uint8_t lost, struct raw_sample *rs)
{
	struct cprof_py_stack st;
	uint32_t nr = 0, slot = 0;
	bool cached = cache && cache->keys && key;
	int idx;

	rs->pystack = 0;
	/* a sample without Python frames is no loss here: the BPF side
	 * counted why, per version (py_counts) */
	if (lost != CPROF_PY_OK || !d->pystacks)
		return 0;
	/* one cache for both maps: their keys are hashes of different seeds */
	if (cached && hashmap__find(&cache->index, hash__fold(key), &key, &slot)) {
		rs->pystack = cache->idx[slot] + 1;
		return 0;
	}
	if (d->ops->lookup(d->pystacks, &key, &st))
		return 0;
	while (nr < CPROF_PY_MAX_DEPTH && st.frames[nr])
		nr++;
	idx = raw_profile__intern_stack(rp, (const uint64_t *)st.frames, nr);
	if (idx < 0)
		return idx;
	rs->pystack = idx + 1;
	if (cached && cache->n < cache->max) {
		cache->keys[cache->n] = key;
		cache->idx[cache->n] = idx;
		hashmap__add(&cache->index, hash__fold(key), cache->n++);
	}
	return 0;
}

struct run {
	const struct slot_drain *d;
	struct slot_cache *cache;
	struct raw_profile *rp;
	uint64_t *lost;		/* [CPROF_NR_COUNTERS] */
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
	rs.state = k->state;
	if (k->state)
		rs.off_ns = sum;	/* off-CPU time: the value is nanoseconds */
	else
		rs.count = sum;
	err = slot_drain__stack(r->d, r->cache, r->rp, k->user_stack, k->user_lost, &rs.ustack);
	if (!err)
		err = slot_drain__stack(r->d, r->cache, r->rp, k->kern_stack, k->kern_lost,
					&rs.kstack);
	if (!err)
		err = slot_drain__py_stack(r->d, r->cache, r->rp, k->py_stack, k->py_lost, &rs);
	if (!err)
		err = raw_profile__add(r->rp, &rs);
	if (err) {
		losses__unstored(r->lost, rs.count, rs.state, rs.off_ns);
		r->failed = 1;
		return err;
	}
	r->moved += rs.count;
	return 0;
}

int64_t slot_drain__run(const struct slot_drain *d, struct slot_cache *cache,
			struct raw_profile *rp, uint64_t lost[CPROF_NR_COUNTERS])
{
	struct map_drain_opts co = {
		.key_size = sizeof(struct cprof_key),
		.value_size = (size_t)d->nr_values * sizeof(uint64_t),
		.no_batch = d->no_batch,
	};
	/* Stacks are only deleted: their values were read through the counts. */
	struct map_drain_opts so = { .key_size = sizeof(__u64), .no_batch = d->no_batch };
	struct run r = { .d = d, .cache = cache, .rp = rp, .lost = lost };
	int64_t err, err2;

	slot_cache__reset(cache);
	err = map_drain__run(d->ops, d->counts, &co, on_count, &r);
	if (err < 0 && err != -ENOMEM)
		return err;	/* a map error: the remaining counts still name their stacks */
	if (err == -ENOMEM && !r.failed)
		return err;	/* the drain's own buffer: nothing consumed, all still there */
	err2 = map_drain__run(d->ops, d->stacks, &so, NULL, NULL);
	if (d->pystacks && err2 >= 0)
		err2 = map_drain__run(d->ops, d->pystacks, &so, NULL, NULL);
	slot_cache__reset(cache);	/* the stack map is empty now */
	if (err < 0)
		return err;
	return err2 < 0 ? err2 : r.moved;
}
