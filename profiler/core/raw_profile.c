// SPDX-License-Identifier: MIT
/* Interning tables for drained samples on base/hashmap. Keys are compared by
 * content, never by kernel stack id. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "profiler/core/raw_profile.h"

struct raw_profile {
	struct raw_stack **stacks;
	size_t nr_stacks, cap_stacks;
	struct hashmap stack_tab;
	struct raw_sample *samples;
	size_t nr_samples, cap_samples;
	struct hashmap sample_tab;
	uint64_t total, off_ns;
};

struct stack_key {
	const uint64_t *ips;
	uint32_t nr;
};

static uint32_t stack_hash(const uint64_t *ips, uint32_t nr)
{
	return hash__fold(hash__fnv1a(HASH_FNV1A_SEED ^ nr, ips, nr * sizeof(*ips)));
}

/* The key of a sample is everything but its count. */
static uint32_t sample_hash(const struct raw_sample *s)
{
	return hash__fold(hash__fnv1a(HASH_FNV1A_SEED, s, offsetof(struct raw_sample, count)));
}

static bool stack_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct raw_stack *st = ((const struct raw_profile *)ctx)->stacks[i];
	const struct stack_key *k = key;

	return st->nr == k->nr && !memcmp(st->ips, k->ips, k->nr * sizeof(*k->ips));
}

static bool sample_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct raw_sample *a = &((const struct raw_profile *)ctx)->samples[i], *b = key;

	return a->pid == b->pid && a->tid == b->tid &&
	       a->start_ticks == b->start_ticks && a->ustack == b->ustack &&
	       a->kstack == b->kstack && a->state == b->state && a->pystack == b->pystack &&
	       !strncmp(a->comm, b->comm, RAW_COMM_LEN);
}

struct raw_profile *raw_profile__new(void)
{
	struct raw_profile *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return NULL;
	hashmap__init(&rp->stack_tab, stack_eq, rp);
	hashmap__init(&rp->sample_tab, sample_eq, rp);
	if (hashmap__reserve(&rp->stack_tab, 512) || hashmap__reserve(&rp->sample_tab, 512)) {
		raw_profile__free(rp);
		errno = ENOMEM;
		return NULL;
	}
	return rp;
}

void raw_profile__free(struct raw_profile *rp)
{
	if (!rp)
		return;
	for (size_t i = 0; i < rp->nr_stacks; i++)
		free(rp->stacks[i]);
	free(rp->stacks);
	hashmap__release(&rp->stack_tab);
	free(rp->samples);
	hashmap__release(&rp->sample_tab);
	free(rp);
}

int raw_profile__intern_stack(struct raw_profile *rp, const uint64_t *ips, uint32_t nr)
{
	struct stack_key key = { .ips = ips, .nr = nr };
	uint32_t h = stack_hash(ips, nr), idx;
	struct raw_stack *st;

	if (hashmap__find(&rp->stack_tab, h, &key, &idx))
		return (int)idx;
	/* Room first, so a failure stores nothing: stored and -ENOMEM would
	 * be counted both kept and lost. */
	if (rp->nr_stacks >= INT32_MAX || hashmap__reserve(&rp->stack_tab, 1) ||
	    VEC_RESERVE(rp->stacks, rp->nr_stacks, rp->cap_stacks, 1))
		return -ENOMEM;
	st = malloc(sizeof(*st) + nr * sizeof(*ips));
	if (!st)
		return -ENOMEM;
	st->nr = nr;
	memcpy(st->ips, ips, nr * sizeof(*ips));
	rp->stacks[rp->nr_stacks] = st;
	hashmap__add(&rp->stack_tab, h, (uint32_t)rp->nr_stacks);
	return (int)rp->nr_stacks++;
}

int raw_profile__add(struct raw_profile *rp, const struct raw_sample *s)
{
	struct raw_sample key = {0};	/* zeroed so padding and comm tail hash alike */
	uint32_t h, idx;

	key.pid = s->pid;
	key.tid = s->tid;
	key.start_ticks = s->start_ticks;
	memcpy(key.comm, s->comm, strnlen(s->comm, RAW_COMM_LEN - 1));
	key.ustack = s->ustack;
	key.kstack = s->kstack;
	key.state = s->state;
	key.pystack = s->pystack;
	h = sample_hash(&key);

	if (hashmap__find(&rp->sample_tab, h, &key, &idx)) {
		rp->samples[idx].count += s->count;
		rp->samples[idx].off_ns += s->off_ns;
		rp->total += s->count;
		rp->off_ns += s->off_ns;
		return 0;
	}
	/* Room first: the sample is added whole or not at all. */
	if (hashmap__reserve(&rp->sample_tab, 1) ||
	    VEC_RESERVE(rp->samples, rp->nr_samples, rp->cap_samples, 1))
		return -ENOMEM;
	key.count = s->count;
	key.off_ns = s->off_ns;
	rp->samples[rp->nr_samples] = key;
	hashmap__add(&rp->sample_tab, h, (uint32_t)rp->nr_samples++);
	rp->total += s->count;
	rp->off_ns += s->off_ns;
	return 0;
}

const struct raw_stack *raw_profile__stack(const struct raw_profile *rp, int32_t idx)
{
	if (idx < 0 || (size_t)idx >= rp->nr_stacks)
		return NULL;
	return rp->stacks[idx];
}

size_t raw_profile__nr_samples(const struct raw_profile *rp)
{
	return rp->nr_samples;
}

const struct raw_sample *raw_profile__sample(const struct raw_profile *rp, size_t i)
{
	return i < rp->nr_samples ? &rp->samples[i] : NULL;
}

uint64_t raw_profile__total(const struct raw_profile *rp)
{
	return rp->total;
}

uint64_t raw_profile__off_ns(const struct raw_profile *rp)
{
	return rp->off_ns;
}

/* A process being summed: whether its comm is its main thread's yet. */
struct proc_sum {
	struct raw_process p;
	bool main_comm;
};

static int cmp_proc_key(const void *a, const void *b)
{
	const struct raw_process *x = a, *y = b;	/* p is first in proc_sum */

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start_ticks < y->start_ticks ? -1 : x->start_ticks > y->start_ticks;
}

static int cmp_proc_count(const void *a, const void *b)
{
	const struct raw_process *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_proc_key(a, b);
}

long raw_profile__processes(const struct raw_profile *rp, struct raw_process *ret, size_t max)
{
	struct proc_sum *p = malloc((rp->nr_samples ? rp->nr_samples : 1) * sizeof(*p));
	size_t n = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < rp->nr_samples; i++) {
		const struct raw_sample *s = &rp->samples[i];

		p[i] = (struct proc_sum){ .p = { .pid = s->pid, .start_ticks = s->start_ticks,
						 .count = s->count },
					  .main_comm = s->tid == s->pid };
		memcpy(p[i].p.comm, s->comm, RAW_COMM_LEN);
	}
	qsort(p, rp->nr_samples, sizeof(*p), cmp_proc_key);
	for (size_t i = 0; i < rp->nr_samples; i++) {
		if (n && !cmp_proc_key(&p[n - 1], &p[i])) {
			p[n - 1].p.count += p[i].p.count;
			/* the main thread's comm names the process, as ps does */
			if (!p[n - 1].main_comm && p[i].main_comm) {
				memcpy(p[n - 1].p.comm, p[i].p.comm, RAW_COMM_LEN);
				p[n - 1].main_comm = true;
			}
			continue;
		}
		p[n++] = p[i];
	}
	qsort(p, n, sizeof(*p), cmp_proc_count);
	for (size_t i = 0; i < n && i < max; i++)
		ret[i] = p[i].p;
	free(p);
	return (long)n;
}
