// SPDX-License-Identifier: MIT
/* Interning tables for drained samples: open addressing, linear probing,
 * grown at half load. Keys are compared by content, never by kernel stack id. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/raw_profile.h"

struct table {
	uint32_t *slots;	/* index+1 into the owner's array, 0 = empty */
	size_t cap;		/* power of two */
};

struct raw_profile {
	struct raw_stack **stacks;
	size_t nr_stacks, cap_stacks;
	struct table stack_tab;
	struct raw_sample *samples;
	size_t nr_samples, cap_samples;
	struct table sample_tab;
	uint64_t total;
};

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define HASH_SEED 0xcbf29ce484222325ULL

static uint64_t stack_hash(const uint64_t *ips, uint32_t nr)
{
	return hash_bytes(ips, nr * sizeof(*ips), HASH_SEED ^ nr);
}

/* The key of a sample is everything but its count. */
static uint64_t sample_hash(const struct raw_sample *s)
{
	return hash_bytes(s, offsetof(struct raw_sample, count), HASH_SEED);
}

static int sample_eq(const struct raw_sample *a, const struct raw_sample *b)
{
	return a->pid == b->pid && a->tid == b->tid &&
	       a->start_ticks == b->start_ticks && a->ustack == b->ustack &&
	       a->kstack == b->kstack && !strncmp(a->comm, b->comm, RAW_COMM_LEN);
}

static int table_grow(struct table *t, size_t n, uint64_t (*hash)(const void *, size_t),
		      const void *owner)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		uint32_t v = t->slots[i];
		size_t j;

		if (!v)
			continue;
		j = hash(owner, v - 1) & (cap - 1);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = v;
	}
	(void)n;
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

static uint64_t rehash_stack(const void *owner, size_t i)
{
	const struct raw_profile *rp = owner;

	return stack_hash(rp->stacks[i]->ips, rp->stacks[i]->nr);
}

static uint64_t rehash_sample(const void *owner, size_t i)
{
	const struct raw_profile *rp = owner;

	return sample_hash(&rp->samples[i]);
}

struct raw_profile *raw_profile__new(void)
{
	struct raw_profile *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return NULL;
	if (table_grow(&rp->stack_tab, 0, rehash_stack, rp) ||
	    table_grow(&rp->sample_tab, 0, rehash_sample, rp)) {
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
	free(rp->stack_tab.slots);
	free(rp->samples);
	free(rp->sample_tab.slots);
	free(rp);
}

int raw_profile__intern_stack(struct raw_profile *rp, const uint64_t *ips, uint32_t nr)
{
	uint64_t h = stack_hash(ips, nr);
	struct raw_stack *st;
	size_t j;

	/* Grown first, so a failure stores nothing: stored and -ENOMEM would
	 * be counted both kept and lost. */
	if ((rp->nr_stacks + 1) * 2 > rp->stack_tab.cap &&
	    table_grow(&rp->stack_tab, rp->nr_stacks, rehash_stack, rp))
		return -ENOMEM;
	for (j = h & (rp->stack_tab.cap - 1); rp->stack_tab.slots[j];
	     j = (j + 1) & (rp->stack_tab.cap - 1)) {
		st = rp->stacks[rp->stack_tab.slots[j] - 1];
		if (st->nr == nr && !memcmp(st->ips, ips, nr * sizeof(*ips)))
			return rp->stack_tab.slots[j] - 1;
	}
	if (rp->nr_stacks >= INT32_MAX)
		return -ENOMEM;
	if (rp->nr_stacks == rp->cap_stacks) {
		size_t cap = rp->cap_stacks ? rp->cap_stacks * 2 : 1024;
		struct raw_stack **s = realloc(rp->stacks, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		rp->stacks = s;
		rp->cap_stacks = cap;
	}
	st = malloc(sizeof(*st) + nr * sizeof(*ips));
	if (!st)
		return -ENOMEM;
	st->nr = nr;
	memcpy(st->ips, ips, nr * sizeof(*ips));
	rp->stacks[rp->nr_stacks++] = st;
	rp->stack_tab.slots[j] = rp->nr_stacks;
	return rp->nr_stacks - 1;
}

int raw_profile__add(struct raw_profile *rp, const struct raw_sample *s)
{
	struct raw_sample key = {0};	/* zeroed so padding and comm tail hash alike */
	size_t j;

	key.pid = s->pid;
	key.tid = s->tid;
	key.start_ticks = s->start_ticks;
	memcpy(key.comm, s->comm, strnlen(s->comm, RAW_COMM_LEN - 1));
	key.ustack = s->ustack;
	key.kstack = s->kstack;

	/* Grown first: the sample is added whole or not at all. */
	if ((rp->nr_samples + 1) * 2 > rp->sample_tab.cap &&
	    table_grow(&rp->sample_tab, rp->nr_samples, rehash_sample, rp))
		return -ENOMEM;
	for (j = sample_hash(&key) & (rp->sample_tab.cap - 1); rp->sample_tab.slots[j];
	     j = (j + 1) & (rp->sample_tab.cap - 1)) {
		struct raw_sample *old = &rp->samples[rp->sample_tab.slots[j] - 1];

		if (sample_eq(old, &key)) {
			old->count += s->count;
			rp->total += s->count;
			return 0;
		}
	}
	if (rp->nr_samples == rp->cap_samples) {
		size_t cap = rp->cap_samples ? rp->cap_samples * 2 : 1024;
		struct raw_sample *n = realloc(rp->samples, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rp->samples = n;
		rp->cap_samples = cap;
	}
	key.count = s->count;
	rp->samples[rp->nr_samples++] = key;
	rp->sample_tab.slots[j] = rp->nr_samples;
	rp->total += s->count;
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
