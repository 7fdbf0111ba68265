// SPDX-License-Identifier: MIT
/* kunwind_mapped: the mapping events' side of kunwind (see kunwind.h): a
 * mapping whose binary's rows are in the kernel goes into its process's
 * entry, read back and written whole; any other asks for a push. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "base/hex.h"
#include "base/strmap.h"
#include "base/vec.h"
#include "profiler/core/kunwind.h"
#include "profiler/core/kunwind_priv.h"

/* A push at the next kunwind__pump, with no back-off: a mapping event says
 * there is code to add. */
static void ask(struct kunwind *k, struct kuw_proc *p)
{
	if (p->want || p->stuck || VEC_RESERVE(k->want, k->nwant, k->want_cap, 1))
		return;
	p->want = true;
	k->want[k->nwant++] = p->pid;
	k->st.asked++;
}

void kunwind__mapped(struct kunwind *k, int pid, const struct kunwind_map *m)
{
	struct kuw_proc *p;
	struct kuw_mapped *q;

	if (!k)
		return;
	p = kunwind__proc_get(k, pid);
	if (!p || p->execd || !m->len)
		return;	/* not a target; or its push to come takes it */
	if (k->nmapped >= KUNWIND_MAX_MAPPED ||
	    VEC_RESERVE(k->mapped, k->nmapped, k->mapped_cap, 1)) {
		ask(k, p);
		return;
	}
	q = &k->mapped[k->nmapped];
	memset(q, 0, sizeof(*q));
	q->pid = pid;
	q->start_ticks = p->start_ticks;
	q->start = m->start;
	q->end = m->start + m->len;
	q->pgoff = m->pgoff;
	q->anon = m->anon;
	q->seq = k->nmapped++;
	if (m->build_id && m->build_id_size && !m->anon) {
		size_t n = m->build_id_size < 20 ? m->build_id_size : 20;

		memcpy(q->key, "b:", 2);	/* sym_bins' key of a binary with a build-id */
		hex__encode(q->key + 2, m->build_id, n);
	}
}

void kunwind__exec_seen(struct kunwind *k, int pid)
{
	struct kuw_proc *p = k ? kunwind__proc_get(k, pid) : NULL;

	if (p)
		p->execd = true;
}

static int cmp_mapped(const void *a, const void *b)
{
	const struct kuw_mapped *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The binary whose rows hold row index first. */
static struct kuw_bin *bin_at(const struct kunwind *k, uint32_t first)
{
	size_t lo = 0, hi = k->nbins;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->bins[mid]->first <= first)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || first - k->bins[lo - 1]->first >= k->bins[lo - 1]->count)
		return NULL;
	return k->bins[lo - 1];
}

/* The entry's mapping for q, in *ret: 0, or -ENOENT when a push must make
 * it (rows not in the kernel, or a part of the binary no push saw mapped). */
static int event_map(struct kunwind *k, const struct kuw_mapped *q, struct cprof_uw_map *ret,
		     struct kuw_bin **ret_bin)
{
	struct kuw_bin *b;
	uint64_t bias;

	memset(ret, 0, sizeof(*ret));
	ret->start = q->start;
	ret->end = q->end;
	*ret_bin = NULL;
	if (q->anon)
		return 0;	/* frame pointers there, as a push has it */
	b = q->key[0] ? strmap__get(k->bins_by_key, q->key) : NULL;
	if (!b || !b->seg_known || b->seg_pgoff != q->pgoff)
		return -ENOENT;
	bias = q->start - q->pgoff - b->seg_vaddr_off;
	ret->base = bias + b->base;
	ret->first = b->first + CPROF_UW_PAGE_ROWS(b->pages);
	ret->count = b->count - CPROF_UW_PAGE_ROWS(b->pages);
	ret->pages = b->pages;
	ret->entry = b->entry_vaddr ? b->entry_vaddr + bias : 0;
	*ret_bin = b;
	return 0;
}

static bool is_fp(const struct cprof_uw_map *m)
{
	return !m->count && !m->entry;
}

/* Puts m into the entry e in address order, taking out the mappings it
 * overlaps (their binaries into gone[]: at most CPROF_UW_MAX_MAPS). Code
 * without tables (JIT) joins what it touches of the same kind: a JIT maps
 * and mprotects its code piece by piece. 1 when e changed, 0 when it held
 * m already, -E2BIG when it is full. */
static int entry_put(struct kunwind *k, struct cprof_uw_proc *e, const struct cprof_uw_map *nm,
		     struct kuw_bin **gone, size_t *ngone)
{
	struct cprof_uw_map m = *nm;
	uint32_t i, j, at = 0;

	for (i = 0; i < e->nr && i < CPROF_UW_MAX_MAPS; i++) {
		const struct cprof_uw_map *o = &e->maps[i];

		if (!memcmp(o, &m, sizeof(m)) ||
		    (is_fp(o) && is_fp(&m) && o->start <= m.start && m.end <= o->end))
			return 0;
	}
	for (i = j = 0; i < e->nr && i < CPROF_UW_MAX_MAPS; i++) {
		struct cprof_uw_map *o = &e->maps[i];

		if (is_fp(o) && is_fp(&m) && o->start <= m.end && m.start <= o->end) {
			m.start = o->start < m.start ? o->start : m.start;
			m.end = o->end > m.end ? o->end : m.end;
			continue;	/* joined */
		}
		if (o->start < m.end && m.start < o->end) {
			struct kuw_bin *b = o->count ? bin_at(k, o->first) : NULL;

			if (b)
				gone[(*ngone)++] = b;
			continue;	/* replaced: mapped over */
		}
		e->maps[j++] = *o;
	}
	e->nr = j;
	if (e->nr >= CPROF_UW_MAX_MAPS)
		return -E2BIG;
	while (at < e->nr && e->maps[at].end <= m.start)
		at++;
	memmove(&e->maps[at + 1], &e->maps[at], (e->nr - at) * sizeof(m));
	e->maps[at] = m;
	e->nr++;
	return 1;
}

/* Drops one of p's references to b. */
static void proc_drop_bin(struct kuw_proc *p, struct kuw_bin *b)
{
	for (size_t i = 0; i < p->nbins; i++)
		if (p->bins[i] == b) {
			b->users--;
			p->bins[i] = p->bins[--p->nbins];
			return;
		}
}

/* Adds the mappings q[0..n) of one process to its kernel entry: one read
 * and one write of the entry. */
static void flush_proc(struct kunwind *k, const struct kuw_mapped *q, size_t n, int64_t now_ns)
{
	struct kuw_proc *p = kunwind__proc_get(k, q->pid);
	struct kuw_bin *add[CPROF_UW_MAX_MAPS], *gone[CPROF_UW_MAX_MAPS];
	struct cprof_uw_proc *e = &k->fast;
	size_t nadd = 0, ngone = 0, changed = 0;
	__u32 tgid = (__u32)q->pid;
	struct kuw_bin **bins;

	if (!p || p->start_ticks != q->start_ticks || p->execd)
		return;
	if (!p->pushed) {	/* fell back, or its push failed: try again (backing off) */
		kunwind__copied(k, p->pid, p->start_ticks, now_ns);
		return;
	}
	/* the kernel's: its remap_ns, and no entry when exec deleted it */
	if (bpf_map_lookup_elem(k->m.procs_fd, &tgid, e) || e->start_ticks != p->start_ticks)
		return;
	for (size_t i = 0; i < n; i++) {
		struct cprof_uw_map m;
		struct kuw_bin *b;
		size_t was = ngone;
		int r;

		if (q[i].start_ticks != p->start_ticks)
			continue;	/* of a process gone with this pid */
		if (event_map(k, &q[i], &m, &b)) {
			ask(k, p);	/* its rows loaded, and all mapped, by a push */
			continue;
		}
		/* room for what one more mapping can take out */
		if (nadd == CPROF_UW_MAX_MAPS || ngone + e->nr > CPROF_UW_MAX_MAPS) {
			ask(k, p);
			break;
		}
		r = entry_put(k, e, &m, gone, &ngone);
		if (r < 0) {
			ngone = was;
			ask(k, p);	/* falls back for its mappings' number */
			break;
		}
		if (r > 0) {
			changed++;
			if (b)
				add[nadd++] = b;
		}
	}
	if (!changed)
		return;
	e->gen = ++k->gen;	/* the per-CPU row cache knew the old entry */
	e->remap_ns = 0;	/* a walk that meets code still missing says so at once */
	bins = realloc(p->bins, (p->nbins + nadd) * sizeof(*bins) + 1);
	if (!bins) {
		ask(k, p);
		return;
	}
	p->bins = bins;
	if (bpf_map_update_elem(k->m.procs_fd, &tgid, e, BPF_EXIST))
		return;	/* gone meanwhile (exec, exit): its next push has it all */
	for (size_t i = 0; i < nadd; i++) {
		add[i]->users++;
		p->bins[p->nbins++] = add[i];
	}
	for (size_t i = 0; i < ngone; i++)
		proc_drop_bin(p, gone[i]);
	/* as a push that found new code: copies taken before it ask for no
	 * push for a while */
	p->pushed_ns = now_ns;
	p->gap_ns = KUNWIND_REPUSH_NS;
	p->nr_pushed = e->nr;
	k->st.added += changed;
}

void kunwind__flush(struct kunwind *k)
{
	int64_t now_ns;
	size_t i, j;

	if (!k || !k->nmapped || k->pushing)
		return;
	now_ns = kunwind__now();
	qsort(k->mapped, k->nmapped, sizeof(*k->mapped), cmp_mapped);
	for (i = 0; i < k->nmapped; i = j) {
		for (j = i + 1; j < k->nmapped && k->mapped[j].pid == k->mapped[i].pid; j++)
			;
		flush_proc(k, &k->mapped[i], j - i, now_ns);
	}
	k->nmapped = 0;
}