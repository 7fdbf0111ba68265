/* SPDX-License-Identifier: MIT */
/* agent_groups: the agent's window split into services. Each sample of a
 * window goes to exactly one place: filtered out (its process is not
 * selected by --cgroup/--comm), into the chunk of its group (service,
 * container, pod) -- a new chunk every max_samples samples, so no profile
 * grows past the bound --, or counted lost (no attribution, out of memory).
 * Pure data work on raw_profiles: no BPF, no clock, no I/O. */
#ifndef CPROF_AGENT_GROUPS_H
#define CPROF_AGENT_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "profiler/agent/agent_attr.h"
#include "profiler/core/raw_profile.h"

struct agent_group {
	char service[ATTR_NAME_LEN];
	char container_id[65], pod_uid[37];
	struct raw_profile **chunks;	/* owned; each at most max_samples samples */
	size_t nr_chunks;
};

struct agent_groups {
	struct agent_group *g;
	size_t n, cap;
};

/* How a sample's process is attributed; NULL: unknown (its samples are lost). */
typedef const struct attr_info *(*agent_groups_lookup_fn)(void *ctx, const struct raw_sample *s);

/* What a split left out, added to by each split: CPU samples, and off-CPU
 * entries (a stack's blocks, summed in the kernel) with their time. */
struct agent_groups_tally {
	uint64_t filtered, lost;			/* CPU samples */
	uint64_t off_filtered, off_filtered_ns;	/* off-CPU entries, ns */
	uint64_t off_lost, off_lost_ns;
};

/* Adds every sample of raw to gs (zeroed, or holding earlier splits), adding
 * what is left out (--cgroup/--comm) and what could not be stored or
 * attributed to t. 0, or -ENOMEM when some were lost for want of memory. */
int agent_groups__split(struct agent_groups *gs, const struct raw_profile *raw,
			agent_groups_lookup_fn lookup, void *ctx, size_t max_samples,
			struct agent_groups_tally *t);
void agent_groups__release(struct agent_groups *gs);

/* Copies sample s of src (and its stacks: indices are per raw_profile) into dst. */
int agent_groups__copy_sample(struct raw_profile *dst, const struct raw_profile *src,
			      const struct raw_sample *s) __attribute__((warn_unused_result));
/* A new raw profile of src's samples [from, to); NULL when out of memory. */
struct raw_profile *agent_groups__sub_profile(const struct raw_profile *src, size_t from,
					      size_t to);

#endif /* CPROF_AGENT_GROUPS_H */
