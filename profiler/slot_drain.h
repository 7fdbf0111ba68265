/* SPDX-License-Identifier: MIT */
/* slot_drain: one slot of the sampler's maps (a per-CPU count hash keyed by
 * struct cprof_key, and the stack map its ids point into) moved into a
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

#include "bpf/cprof.h"
#include "profiler/map_drain.h"
#include "profiler/raw_profile.h"

struct slot_drain {
	const struct map_ops *ops;	/* for both maps */
	void *counts;			/* key struct cprof_key, value nr_values x __u64 */
	void *stacks;			/* key __u32 id, value CPROF_MAX_STACK_DEPTH x __u64 */
	int nr_values;			/* per-CPU values per count key */
	uint32_t max_stacks;		/* stack map entries: ids are below */
	int no_batch;			/* counts map: walk, don't batch */
};

/* Fills *cache (max_stacks entries: stack id -> index in a raw_profile) with
 * "not looked up yet". A cache belongs to one raw_profile and one slot's
 * stack map contents. */
void slot_drain__reset_cache(const struct slot_drain *d, int32_t *cache);

/* A stack reference of the BPF side (id, and why it may be lost) as a raw
 * stack: *ret is an index interned into rp, or an enum raw_stack_lost (an id
 * out of range or not in the map reads as RAW_STACK_MISSING). Returns 0, or
 * -ENOMEM with *ret untouched. */
int slot_drain__stack(const struct slot_drain *d, int32_t *cache, struct raw_profile *rp,
		      uint32_t id, uint8_t lost, int32_t *ret) MAP_DRAIN_WUR;

/* Moves every count of the slot into rp (through cache, reset first) and
 * empties both maps. Returns the samples moved; or -ENOMEM when some could
 * not be stored: those are added to *ret_lost, the rest are in rp and the
 * slot is empty all the same; or -errno of a map operation, what was handed
 * out already in rp and deleted (nothing is counted twice). */
int64_t slot_drain__run(const struct slot_drain *d, int32_t *cache, struct raw_profile *rp,
			uint64_t *ret_lost) MAP_DRAIN_WUR;

#endif
