/* SPDX-License-Identifier: MIT */
/* raw_profile: samples as drained from the kernel, before symbolization.
 * Stacks are interned by content (the kernel's stack ids are per window and
 * reused after a drain), samples aggregate on {process, thread, comm, user
 * stack, kernel stack}. Owns everything it stores; nothing is freed before
 * raw_profile__free(). */
#ifndef CPROF_RAW_PROFILE_H
#define CPROF_RAW_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define RAW_COMM_LEN 16

/* Pseudo addresses that end a user stack unwound from a stack copy when the
 * walk stopped before the thread's first frame: RAW_IP_MARKER(enum uw_stop).
 * pprof_build names them; they are never code addresses. */
#define RAW_IP_MARKER_BASE	0xffffffffffffff00ULL
#define RAW_IP_MARKER(reason)	(RAW_IP_MARKER_BASE + (uint64_t)(reason))
#define RAW_IP_IS_MARKER(ip)	((ip) >= RAW_IP_MARKER_BASE)

/* A sample's stack that is not an index: why it is absent. Their own values,
 * never -errno (a function that fails returns its error separately). */
enum raw_stack_lost {
	RAW_STACK_NONE = -1,		/* no such stack (user-mode sample, kernel thread): not a loss */
	RAW_STACK_COLLISION = -2,	/* stack id hash collision */
	RAW_STACK_MAP_FULL = -3,	/* stack map out of entries */
	RAW_STACK_MISSING = -4,		/* could not be read */
	RAW_STACK_RING_FULL = -5,	/* stack-copy mode: the record did not fit the ring */
	RAW_STACK_PREEMPTED = -6,	/* off-CPU while runnable: not taken (not a loss) */
	RAW_STACK_RAN_ON = -7,		/* off-CPU, the thread ran on before it was recorded */
};

struct raw_stack {
	uint32_t nr;
	uint64_t ips[];		/* leaf first */
};

struct raw_sample {
	uint32_t pid, tid;
	uint64_t start_ticks;
	char comm[RAW_COMM_LEN];
	int32_t ustack;		/* stack index (>= 0), or an enum raw_stack_lost */
	int32_t kstack;
	uint8_t state;		/* 0: CPU samples; else off-CPU time (enum cprof_offcpu_state) */
	/* The Python frames (bpf/python.h packing) as a stack index + 1; 0 when
	 * there are none, so a zero-initialized sample has none. */
	int32_t pystack;
	uint64_t count;		/* CPU samples: the key ends here */
	uint64_t off_ns;	/* off-CPU nanoseconds (state set) */
};

/* The stack index of s's Python frames, or RAW_STACK_NONE. */
static inline int32_t raw_sample__pystack(const struct raw_sample *s)
{
	return s->pystack > 0 ? s->pystack - 1 : RAW_STACK_NONE;
}

struct raw_profile;

struct raw_profile *raw_profile__new(void);
void raw_profile__free(struct raw_profile *rp);

/* Intern a stack; returns its index (>= 0) or -ENOMEM, nothing stored. */
int raw_profile__intern_stack(struct raw_profile *rp, const uint64_t *ips, uint32_t nr);

/* Add s->count and s->off_ns to the sample with s's key (everything before
 * count). 0, or -ENOMEM with nothing added. */
int raw_profile__add(struct raw_profile *rp, const struct raw_sample *s);

/* Borrowed views, valid until the next add/intern or free. */
const struct raw_stack *raw_profile__stack(const struct raw_profile *rp, int32_t idx);
size_t raw_profile__nr_samples(const struct raw_profile *rp);
const struct raw_sample *raw_profile__sample(const struct raw_profile *rp, size_t i);
uint64_t raw_profile__total(const struct raw_profile *rp);
/* Off-CPU nanoseconds over all samples. */
uint64_t raw_profile__off_ns(const struct raw_profile *rp);

/* One process, (pid, start time), and its samples summed over its threads. */
struct raw_process {
	uint32_t pid;
	uint64_t start_ticks;
	uint64_t count;
	char comm[RAW_COMM_LEN];	/* of its main thread when sampled, else of a thread */
};

/* The processes among the samples, most samples first (ties: lower pid
 * first): at most max into ret (NULL when max is 0). Returns how many
 * distinct processes there are (may exceed max), or -ENOMEM. */
long raw_profile__processes(const struct raw_profile *rp, struct raw_process *ret, size_t max);

#endif
