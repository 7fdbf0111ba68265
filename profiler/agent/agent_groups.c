// SPDX-License-Identifier: MIT
/* agent_groups: see agent_groups.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/agent/agent_groups.h"

void agent_groups__release(struct agent_groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		for (size_t j = 0; j < gs->g[i].nr_chunks; j++)
			raw_profile__free(gs->g[i].chunks[j]);
		free(gs->g[i].chunks);
	}
	free(gs->g);
	*gs = (struct agent_groups){0};
}

static struct agent_group *find(struct agent_groups *gs, const struct attr_info *in)
{
	struct agent_group *g;

	/* A window holds tens of services, rarely hundreds: a scan is enough. */
	for (size_t i = 0; i < gs->n; i++) {
		g = &gs->g[i];
		if (!strcmp(g->service, in->service) &&
		    !strcmp(g->container_id, in->facts.container_id) &&
		    !strcmp(g->pod_uid, in->facts.pod_uid))
			return g;
	}
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? gs->cap * 2 : 16;
		struct agent_group *n = realloc(gs->g, cap * sizeof(*n));

		if (!n)
			return NULL;
		gs->g = n;
		gs->cap = cap;
	}
	g = &gs->g[gs->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->service, sizeof(g->service), "%s", in->service);
	snprintf(g->container_id, sizeof(g->container_id), "%s", in->facts.container_id);
	snprintf(g->pod_uid, sizeof(g->pod_uid), "%s", in->facts.pod_uid);
	return g;
}

/* The chunk the next sample of g goes to: a new one past max samples. */
static struct raw_profile *chunk_of(struct agent_group *g, size_t max_samples)
{
	struct raw_profile **c, *last = g->nr_chunks ? g->chunks[g->nr_chunks - 1] : NULL;

	if (last && raw_profile__nr_samples(last) < max_samples)
		return last;
	c = realloc(g->chunks, (g->nr_chunks + 1) * sizeof(*c));
	if (!c)
		return NULL;
	g->chunks = c;
	c[g->nr_chunks] = raw_profile__new();
	if (!c[g->nr_chunks])
		return NULL;
	return c[g->nr_chunks++];
}

/* Copies one sample (and its stacks: indices are per raw_profile). */
int agent_groups__copy_sample(struct raw_profile *dst, const struct raw_profile *src,
		       const struct raw_sample *s)
{
	struct raw_sample c = *s;
	const struct raw_stack *st;
	int idx;

	if (s->ustack >= 0 && (st = raw_profile__stack(src, s->ustack))) {
		if ((idx = raw_profile__intern_stack(dst, st->ips, st->nr)) < 0)
			return idx;
		c.ustack = idx;
	}
	if (s->kstack >= 0 && (st = raw_profile__stack(src, s->kstack))) {
		if ((idx = raw_profile__intern_stack(dst, st->ips, st->nr)) < 0)
			return idx;
		c.kstack = idx;
	}
	if ((st = raw_profile__stack(src, raw_sample__pystack(s)))) {
		if ((idx = raw_profile__intern_stack(dst, st->ips, st->nr)) < 0)
			return idx;
		c.pystack = idx + 1;
	}
	return raw_profile__add(dst, &c);
}

struct raw_profile *agent_groups__sub_profile(const struct raw_profile *rp, size_t from, size_t to)
{
	struct raw_profile *sub = raw_profile__new();

	for (size_t i = from; sub && i < to; i++)
		if (agent_groups__copy_sample(sub, rp, raw_profile__sample(rp, i))) {
			raw_profile__free(sub);
			return NULL;
		}
	return sub;
}


/* Counts s into the tally's filtered or lost figures. */
static void tally(const struct raw_sample *s, uint64_t *samples, uint64_t *entries,
		  uint64_t *ns)
{
	*samples += s->count;
	if (s->state) {
		*entries += 1;
		*ns += s->off_ns;
	}
}

int agent_groups__split(struct agent_groups *gs, const struct raw_profile *raw,
			agent_groups_lookup_fn lookup, void *ctx, size_t max_samples,
			struct agent_groups_tally *t)
{
	size_t n = raw_profile__nr_samples(raw);
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		const struct raw_sample *s = raw_profile__sample(raw, i);
		const struct attr_info *in = lookup(ctx, s);
		struct agent_group *g;
		struct raw_profile *chunk;

		if (in && !in->selected) {
			tally(s, &t->filtered, &t->off_filtered, &t->off_filtered_ns);
			continue;
		}
		if (!in) {	/* no attribution (out of memory in the cache) */
			tally(s, &t->lost, &t->off_lost, &t->off_lost_ns);
			continue;
		}
		g = find(gs, in);
		chunk = g ? chunk_of(g, max_samples) : NULL;
		if (!chunk || agent_groups__copy_sample(chunk, raw, s)) {
			tally(s, &t->lost, &t->off_lost, &t->off_lost_ns);
			err = -ENOMEM;
		}
	}
	return err;
}
