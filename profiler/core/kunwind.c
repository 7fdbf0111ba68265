// SPDX-License-Identifier: MIT
/* kunwind: see kunwind.h. Row ranges are handed out first-fit from the
 * mmapped array; a binary's range is written once, before any process
 * entry names it, and freed only when no pushed process maps the binary.
 * A process entry is written whole (one map update), so a sample sees the
 * old mappings or the new ones, never a mix: a mapping event's addition is
 * the entry read back from the kernel with the mapping in, written only if
 * the entry is still there (an exec deletes it in the kernel), done in
 * kunwind_mapped.c; the state both files share is in kunwind_priv.h. */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "base/fmt.h"
#include "base/strmap.h"
#include "base/vec.h"
#include "profiler/core/kunwind.h"
#include "profiler/core/kunwind_priv.h"
#include "profiler/core/raw_profile.h"
#include "symbolize/unwinder.h"
#include "symbolize/uw_table.h"

/* The BPF side mirrors these (bpf/unwind.h). */
_Static_assert(CPROF_UW_CFA_RSP == UW_CFA_RSP && CPROF_UW_CFA_RBP == UW_CFA_RBP &&
	       CPROF_UW_CFA_PLT == UW_CFA_PLT && CPROF_UW_CFA_RBP_DEREF == UW_CFA_RBP_DEREF &&
	       CPROF_UW_CFA_SIGNAL == UW_CFA_SIGNAL && CPROF_UW_CFA_OUTERMOST == UW_CFA_OUTERMOST &&
	       CPROF_UW_CFA_RBX == UW_CFA_RBX &&
	       CPROF_UW_RBP_SAME == UW_RBP_SAME && CPROF_UW_RBP_AT_CFA == UW_RBP_AT_CFA &&
	       CPROF_UW_RBP_AT_RBP == UW_RBP_AT_RBP && CPROF_UW_RBX_SAME == UW_RBX_SAME &&
	       CPROF_UW_RBX_AT_CFA == UW_RBX_AT_CFA, "bpf/unwind.h rules");
_Static_assert((int)CPROF_UWC_COMPLETE == (int)UW_STOP_OUTERMOST &&
	       (int)CPROF_UWC_UNREADABLE == (int)UW_STOP_COPY_SHORT &&
	       (int)CPROF_UWC_NO_MAPPING == (int)UW_STOP_NO_MAPPING &&
	       (int)CPROF_UWC_BAD_RULE == (int)UW_STOP_UNSUPPORTED &&
	       (int)CPROF_UWC_BAD_FRAME == (int)UW_STOP_BAD_FRAME &&
	       (int)CPROF_UWC_DEPTH == (int)UW_STOP_DEPTH && (int)CPROF_UWC_NR_STOPS == (int)UW_NR_STOPS,
	       "bpf/unwind.h stops");
_Static_assert(CPROF_UW_STOP_MARKER == RAW_IP_MARKER_BASE, "bpf/unwind.h marker");
_Static_assert(sizeof(struct cprof_uw_row) == 16, "bpf/unwind.h row");
_Static_assert(sizeof(struct uw_rule) == 8, "a table row's rule");

static const char *const fallback_names[KUNWIND_NR_FALLBACKS] = {
	[KUNWIND_FB_MEMORY] = "unwind tables over --unwind-memory",
	[KUNWIND_FB_MAPPINGS] = "more executable mappings than the kernel walk holds",
	[KUNWIND_FB_UNKNOWN] = "mappings unknown",
};

const char *kunwind_fallback__name(enum kunwind_fallback f)
{
	return (unsigned int)f < KUNWIND_NR_FALLBACKS ? fallback_names[f] : "?";
}

struct kunwind *kunwind__new(struct sym_session *sym, const struct kunwind_maps *m)
{
	struct kunwind *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->sym = sym;
	k->m = *m;
	k->bins_by_key = strmap__new();
	k->procs = strmap__new();
	if (!k->bins_by_key || !k->procs) {
		kunwind__free(k);
		errno = ENOMEM;
		return NULL;
	}
	k->st.max_rows = m->max_rows;
	return k;
}

static void proc_key(int pid, char buf[16])
{
	fmt__u64(buf, (uint32_t)pid);
}

struct kuw_proc *kunwind__proc_get(struct kunwind *k, int pid)
{
	char key[16];

	proc_key(pid, key);
	return strmap__get(k->procs, key);
}

static void release_bins(struct kuw_bin **bins, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bins[i]->users--;
}

static void bin_free(struct kunwind *k, size_t i)
{
	struct kuw_bin *b = k->bins[i];

	strmap__remove(k->bins_by_key, b->key);
	k->st.rows -= b->count;
	memmove(&k->bins[i], &k->bins[i + 1], (k->nbins - i - 1) * sizeof(*k->bins));
	k->nbins--;
	free(b->key);
	free(b);
}

void kunwind__free(struct kunwind *k)
{
	if (!k)
		return;
	while (k->nbins)
		bin_free(k, k->nbins - 1);
	free(k->bins);
	while (k->all) {
		struct kuw_proc *p = k->all;

		k->all = p->next;
		free(p->bins);
		free(p);
	}
	strmap__free(k->bins_by_key);
	strmap__free(k->procs);
	free(k->want);
	free(k->mapped);
	free(k);
}

/* First fit in the array; the index of the bin it goes before in *ret_pos. */
static int find_room(const struct kunwind *k, uint32_t n, uint32_t *ret_first, size_t *ret_pos)
{
	uint32_t at = 0;
	size_t i;

	for (i = 0; i < k->nbins; i++) {
		if (k->bins[i]->first - at >= n)
			break;
		at = k->bins[i]->first + k->bins[i]->count;
	}
	if (i == k->nbins && k->m.max_rows - at < n)
		return -ENOSPC;
	*ret_first = at;
	*ret_pos = i;
	return 0;
}

/* Frees the rows of binaries no pushed process maps. */
static void evict_unused(struct kunwind *k)
{
	for (size_t i = k->nbins; i-- > 0;)
		if (!k->bins[i]->users) {
			bin_free(k, i);
			k->st.evicted++;
		}
}

/* Entries of the page index of rows whose pcs are pcs[0..n) (sorted): 0
 * for none (no rows, or pcs past what it covers). */
static uint32_t page_count(const uint32_t *pcs, size_t n)
{
	uint64_t pages = n ? ((uint64_t)pcs[n - 1] >> CPROF_UW_PAGE_SHIFT) + 1 : 0;

	return pages <= CPROF_UW_MAX_PAGES ? (uint32_t)pages : 0;
}

/* Writes the page index (bpf/unwind.h) of n rows and the rows at first
 * through a mapping of just their pages: mapped whole, the array would
 * count in cprof's RSS all the time. 0 or -1 and errno. */
static int write_rows(struct kunwind *k, uint32_t first, size_t n, uint32_t pages,
		      const uint32_t *pcs, const struct uw_rule *rules)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), ipr = CPROF_UW_PAGE_ROWS(pages);
	size_t from = (size_t)first * sizeof(struct cprof_uw_row);
	size_t off = from & ~(page - 1);
	size_t len = from + (ipr + n) * sizeof(struct cprof_uw_row) - off;
	struct cprof_uw_row *rows;
	uint32_t *index;
	size_t r = 0;
	void *p;

	if (!n)
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, k->m.rows_fd, (off_t)off);
	if (p == MAP_FAILED)
		return -1;
	index = (uint32_t *)((char *)p + (from - off));
	memset(index, 0, ipr * sizeof(struct cprof_uw_row));
	for (uint32_t j = 0; j < pages; j++) {
		uint64_t at = (uint64_t)j << CPROF_UW_PAGE_SHIFT;

		while (r + 1 < n && pcs[r + 1] <= at)
			r++;
		index[j] = (uint32_t)r;	/* row 0 when even it is past at: found as none */
	}
	rows = (struct cprof_uw_row *)(index + 4 * ipr);
	for (size_t i = 0; i < n; i++) {
		rows[i] = (struct cprof_uw_row){ .pc = pcs[i], .cfa_off = rules[i].cfa_off,
						 .rbp_off = rules[i].rbp_off, .cfa = rules[i].cfa,
						 .rbp = rules[i].rbp, .rbx = rules[i].rbx,
						 .rbx_off = (__s16)(rules[i].rbx_off * 8) };
	}
	munmap(p, len);
	return 0;
}

/* The binary's rows in the kernel, loaded now if they are not. NULL and
 * -ENOSPC (no room even after eviction) or -ENOMEM in *err. */
static struct kuw_bin *bin_get(struct kunwind *k, const struct sym_unwind_object *o, int *err)
{
	struct kuw_bin *b = strmap__get(k->bins_by_key, o->key);
	const struct uw_rule *rules;
	const uint32_t *pcs;
	uint64_t base;
	uint32_t first, pages;
	size_t n, all, pos;

	if (b)
		return b;
	n = uw_table__rows(o->table, &base, &pcs, &rules);
	pages = page_count(pcs, n);
	all = n + CPROF_UW_PAGE_ROWS(pages);
	*err = -ENOSPC;
	if (all > k->m.max_rows)
		return NULL;
	if (find_room(k, (uint32_t)all, &first, &pos)) {
		evict_unused(k);
		if (find_room(k, (uint32_t)all, &first, &pos))
			return NULL;
	}
	if (write_rows(k, first, n, pages, pcs, rules)) {
		*err = -errno;
		return NULL;
	}
	*err = -ENOMEM;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->key = strdup(o->key)) || VEC_RESERVE(k->bins, k->nbins, k->bins_cap, 1) ||
	    strmap__put(k->bins_by_key, o->key, b) < 0) {
		if (b)
			free(b->key);
		free(b);
		return NULL;
	}
	b->first = first;
	b->count = (uint32_t)all;
	b->pages = pages;
	b->base = base;
	memmove(&k->bins[pos + 1], &k->bins[pos], (k->nbins - pos) * sizeof(*k->bins));
	k->bins[pos] = b;
	k->nbins++;
	k->st.rows += all;
	k->st.loaded++;
	return b;
}

static int on_object(void *ctx, const struct sym_unwind_object *o)
{
	struct kunwind *k = ctx;
	struct cprof_uw_map *m;
	struct kuw_bin *b;
	int err;

	/* a table released in userspace whose rows the kernel no longer
	 * holds: compiled again, then this object comes once more */
	if (o->key && !o->table && !strmap__get(k->bins_by_key, o->key))
		return -ENODATA;
	if (k->up.nr >= CPROF_UW_MAX_MAPS) {
		k->fail = KUNWIND_FB_MAPPINGS;
		return -E2BIG;
	}
	m = &k->up.maps[k->up.nr++];
	memset(m, 0, sizeof(*m));
	m->start = o->start;
	m->end = o->limit;
	if (!o->key)
		return 0;	/* frame pointers there */
	b = bin_get(k, o, &err);
	if (!b) {
		k->fail = KUNWIND_FB_MEMORY;
		return err;
	}
	b->users++;
	k->pbins[k->npbins++] = b;
	/* what a mapping event of this binary at the same offset needs */
	b->seg_known = true;
	b->seg_pgoff = o->offset;
	b->seg_vaddr_off = o->start - o->bias - o->offset;
	b->entry_vaddr = o->entry ? o->entry - o->bias : 0;
	m->base = o->bias + b->base;
	m->first = b->first + CPROF_UW_PAGE_ROWS(b->pages);
	m->count = b->count - CPROF_UW_PAGE_ROWS(b->pages);
	m->pages = b->pages;
	m->entry = o->entry;
	return 0;
}

static void fall_back(struct kunwind *k, struct kuw_proc *p, enum kunwind_fallback why)
{
	if (!p->fell_back[why])
		k->st.fallback[why]++;
	p->fell_back[why] = true;
}

static void unpush(struct kunwind *k, struct kuw_proc *p)
{
	__u32 tgid = (__u32)p->pid;

	if (p->pushed) {
		bpf_map_delete_elem(k->m.procs_fd, &tgid);
		k->st.procs--;
	}
	p->pushed = p->execd = false;
	release_bins(p->bins, p->nbins);
	free(p->bins);
	p->bins = NULL;
	p->nbins = 0;
}

static struct kuw_proc *proc_new(struct kunwind *k, int pid, uint64_t start_ticks)
{
	struct kuw_proc *p = kunwind__proc_get(k, pid);
	char key[16];

	if (p && p->start_ticks == start_ticks)
		return p;
	if (p) {	/* a reused pid: the old process is gone */
		if (p->nbins)
			k->gone++;
		unpush(k, p);
		p->want = p->stuck = p->wait_room = false;
		memset(p->fell_back, 0, sizeof(p->fell_back));
	} else {
		p = calloc(1, sizeof(*p));
		proc_key(pid, key);
		if (!p || strmap__put(k->procs, key, p) < 0) {
			free(p);
			return NULL;
		}
		p->next = k->all;
		if (k->all)
			k->all->prev = p;
		k->all = p;
	}
	p->pid = pid;
	p->start_ticks = start_ticks;
	return p;
}

int64_t kunwind__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The next push the process may ask for comes later: KUNWIND_REPUSH_NS,
 * doubling up to KUNWIND_REPUSH_MAX_NS. */
static void back_off(struct kuw_proc *p)
{
	p->gap_ns = p->gap_ns ? 2 * p->gap_ns : KUNWIND_REPUSH_NS;
	if (p->gap_ns > KUNWIND_REPUSH_MAX_NS)
		p->gap_ns = KUNWIND_REPUSH_MAX_NS;
}

static int push(struct kunwind *k, struct kuw_proc *p, int64_t now_ns)
{
	__u32 tgid = (__u32)p->pid;
	struct kuw_bin **bins;
	bool none_yet = false;
	int err;

	p->pushed_ns = now_ns;
	p->want = p->wait_room = p->execd = false;
	memset(&k->up, 0, offsetof(struct cprof_uw_proc, maps));
	k->up.start_ticks = p->start_ticks;
	k->up.gen = ++k->gen;
	k->npbins = 0;
	k->fail = KUNWIND_FB_UNKNOWN;
	k->pushing = true;
	err = sym_session__unwind_objects(k->sym, p->pid, p->start_ticks, on_object, k);
	k->pushing = false;
	if (!err && !k->up.nr) {
		err = -ENOENT;	/* no executable mapping known */
		none_yet = true;
	}
	bins = err ? NULL : malloc(k->npbins * sizeof(*bins) + 1);
	if (!err && !bins)
		err = -ENOMEM;
	if (!err && bpf_map_update_elem(k->m.procs_fd, &tgid, &k->up, BPF_ANY))
		err = -errno;
	if (err) {
		release_bins(k->pbins, k->npbins);
		free(bins);
		unpush(k, p);
		if (err == -ENOMEM)
			return err;
		/* none known yet (a fork child caught mid-exec, its new image's
		 * mappings not in): not a fallback; its copies ask again, less
		 * and less often while none come */
		if (none_yet) {
			back_off(p);
			return 0;
		}
		fall_back(k, p, k->fail);
		p->stuck = k->fail == KUNWIND_FB_MAPPINGS;
		if (k->fail == KUNWIND_FB_MEMORY) {
			p->wait_room = true;
			p->room_seen = k->gone;
			back_off(p);
		}
		return 0;
	}
	/* code that stays in no mapping (a stray pc, a vsyscall page) keeps
	 * asking: back off while the pushes find nothing new */
	if (k->up.nr > p->nr_pushed)
		p->gap_ns = KUNWIND_REPUSH_NS;
	else
		back_off(p);
	p->nr_pushed = k->up.nr;
	memcpy(bins, k->pbins, k->npbins * sizeof(*bins));
	release_bins(p->bins, p->nbins);
	free(p->bins);
	p->bins = bins;
	p->nbins = k->npbins;
	if (!p->pushed)
		k->st.procs++;
	p->pushed = true;
	p->pushed_done_ns = kunwind__now();	/* after the update: see kunwind__exited() */
	k->st.pushes++;
	return 0;
}

int kunwind__push(struct kunwind *k, int pid, uint64_t start_ticks)
{
	struct kuw_proc *p;

	if (!k)
		return 0;
	p = proc_new(k, pid, start_ticks);
	if (!p)
		return -ENOMEM;
	p->stuck = p->wait_room = false;	/* first seen, or exec: a new image may fit */
	p->gap_ns = 0;		/* its libraries are mapped next: ask at once */
	p->nr_pushed = 0;
	return push(k, p, kunwind__now());
}

void kunwind__copied(struct kunwind *k, int pid, uint64_t start_ticks, int64_t now_ns)
{
	struct kuw_proc *p;

	if (!k)
		return;
	p = kunwind__proc_get(k, pid);
	/* left to the stack copy for good (until exec), or until room may
	 * have come, or asked already */
	if (!p || p->start_ticks != start_ticks || p->want || p->stuck ||
	    (p->wait_room && p->room_seen == k->gone) || now_ns - p->pushed_ns < p->gap_ns)
		return;
	if (VEC_RESERVE(k->want, k->nwant, k->want_cap, 1))
		return;
	p->want = true;
	k->want[k->nwant++] = pid;
}

static bool held(void *ctx, const char *key)
{
	struct kunwind *k = ctx;

	return strmap__get(k->bins_by_key, key) != NULL;
}

void kunwind__pump(struct kunwind *k, int64_t now_ns)
{
	if (!k)
		return;
	kunwind__flush(k);	/* taken in a pump inside the symbolizer */
	for (size_t i = 0; i < k->nwant; i++) {
		struct kuw_proc *p = kunwind__proc_get(k, k->want[i]);

		if (!p || !p->want)
			continue;
		/* code mapped since the capture (dlopen): read the maps again */
		if (sym_session__exec(k->sym, p->pid, p->start_ticks) == 0)
			(void)!push(k, p, now_ns);
		else
			p->want = false;
	}
	k->nwant = 0;
	/* the tables the kernel walk holds, once idle in userspace: only the
	 * stack copies (a process's first samples, fallbacks) read them here */
	if (now_ns - k->released_ns >= KUNWIND_TABLE_IDLE_NS / 10) {
		k->released_ns = now_ns;
		/* and the heap pages they held back to the system: freed
		 * chunks amid the heap count in RSS until trimmed */
		if (sym_session__release_unwind_tables(k->sym, KUNWIND_TABLE_IDLE_NS,
						       KUNWIND_TABLE_KEEP_BYTES, held, k))
			malloc_trim(0);
	}
}

void kunwind__exited(struct kunwind *k, int pid, uint64_t start_ticks, int64_t exit_ns)
{
	struct kuw_proc *p;
	char key[16];

	if (!k)
		return;
	p = kunwind__proc_get(k, pid);
	if (!p || p->start_ticks != start_ticks)
		return;
	if (p->nbins)
		k->gone++;	/* its binaries may go: room for those waiting */
	/* the kernel took out what was pushed before the exit (bpf/sample.bpf.c) */
	if (p->pushed && p->pushed_done_ns < exit_ns) {
		p->pushed = false;
		k->st.procs--;
	}
	unpush(k, p);
	proc_key(pid, key);
	strmap__remove(k->procs, key);
	if (p->prev)
		p->prev->next = p->next;
	else
		k->all = p->next;
	if (p->next)
		p->next->prev = p->prev;
	free(p);
}

void kunwind__stats(const struct kunwind *k, struct kunwind_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!k)
		return;
	*ret = k->st;
	ret->binaries = k->nbins;
}
