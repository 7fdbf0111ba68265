/* SPDX-License-Identifier: MIT */
/* slot_drain: one slot of the sampler's maps (a per-CPU count hash keyed by
 * struct cprof_key, and the stack map its stack hashes point into) moved into a
 * raw_profile, then emptied. Every sample is counted once: stored, or (out
 * of memory) added to a loss counter; the slot is empty afterwards either
 * way. Lost stacks arrive as enum cprof_stack_lost and leave as enum
 * raw_stack_lost; allocation failures are return values, never stack
 * values. Reaches the maps through map_ops only, so tests drain fakes; knows
 * nothing of slot flipping (the sampler's job). */
#ifndef CPROF_SLOT_DRAIN_H
#define CPROF_SLOT_DRAIN_H

#include <stdint.h>
#include <linux/types.h>

#include "base/hashmap.h"
#include "bpf/python.h"
#include "bpf/sample.h"
#include "bpf/unwind.h"
#include "profiler/core/map_drain.h"
#include "profiler/core/raw_profile.h"

struct slot_drain {
	const struct map_ops *ops;	/* for both maps */
	void *counts;			/* key struct cprof_key, value nr_values x __u64 */
	void *stacks;			/* key __u64 hash, value struct cprof_stack */
	void *pystacks;			/* key __u64 hash, value struct cprof_py_stack;
					 * NULL: no Python stacks */
	int nr_values;			/* per-CPU values per count key */
	int no_batch;			/* walk, don't batch */
};

/* Stack key -> index in one raw_profile, for the stacks of one slot's map
 * contents: saves a lookup per count key naming a stack seen before. Bounded
 * (set at init); when full, stacks are looked up every time. */
struct slot_cache {
	uint64_t *keys;		/* in the order cached; never 0 */
	int32_t *idx;
	uint32_t n, max;
	struct hashmap index;	/* key -> keys[]/idx[]; ctx is this struct: do not copy it */
};

/* 0 or -ENOMEM; room for max_stacks stacks. */
int slot_cache__init(struct slot_cache *c, uint32_t max_stacks) MAP_DRAIN_WUR;
void slot_cache__release(struct slot_cache *c);
/* Forgets everything: the stack map was cleared, or the raw_profile changed. */
void slot_cache__reset(struct slot_cache *c);

/* A stack reference of the BPF side (key, and why it may be lost) as a raw
 * stack: *ret is an index interned into rp, or an enum raw_stack_lost (a key
 * not in the map reads as RAW_STACK_MISSING). Returns 0, or -ENOMEM with
 * *ret untouched. */
int slot_drain__stack(const struct slot_drain *d, struct slot_cache *cache,
		      struct raw_profile *rp, uint64_t key, uint8_t lost, int32_t *ret) MAP_DRAIN_WUR;
/* The same for a sample's Python stack (lost is an enum cprof_py_lost):
 * sets rs->pystack. 0, or -ENOMEM. */
int slot_drain__py_stack(const struct slot_drain *d, struct slot_cache *cache,
			 struct raw_profile *rp, uint64_t key, uint8_t lost,
			 struct raw_sample *rs) MAP_DRAIN_WUR;

/* Moves every count of the slot into rp (through cache, reset first) and
 * empties both maps. Returns the samples moved; or -ENOMEM when some could
 * not be stored: those are counted into lost (losses__unstored(): CPU
 * samples, or off-CPU entries and their time), the rest are in rp and the
 * slot is empty all the same; or -errno of a map operation, what was handed
 * out already in rp and deleted (nothing is counted twice). */
int64_t slot_drain__run(const struct slot_drain *d, struct slot_cache *cache,
			struct raw_profile *rp, uint64_t lost[CPROF_NR_COUNTERS]) MAP_DRAIN_WUR;

#endif
