// SPDX-License-Identifier: MIT
/* kunwind: see kunwind.h. Row ranges are handed out first-fit from the
 * mmapped array; a binary's range is written once, before any process
 * entry names it, and freed only when no pushed process maps the binary.
 * A process entry is written whole (one map update), so a sample sees the
 * old mappings or the new ones, never a mix: a mapping event's addition is
 * the entry read back from the kernel with the mapping in, written only if
 * the entry is still there (an exec deletes it in the kernel). */
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

#include "base/strmap.h"
#include "base/vec.h"
#include "profiler/core/kunwind.h"
#include "profiler/core/raw_profile.h"
#include "symbolize/unwinder.h"
#include "symbolize/uw_table.h"

/* The BPF side mirrors these (bpf/unwind.h). */
_Static_assert(CPROF_UW_CFA_RSP == UW_CFA_RSP && CPROF_UW_CFA_RBP == UW_CFA_RBP &&
	       CPROF_UW_CFA_PLT == UW_CFA_PLT && CPROF_UW_CFA_RBP_DEREF == UW_CFA_RBP_DEREF &&
	       CPROF_UW_CFA_SIGNAL == UW_CFA_SIGNAL && CPROF_UW_CFA_OUTERMOST == UW_CFA_OUTERMOST &&
	       CPROF_UW_RBP_SAME == UW_RBP_SAME && CPROF_UW_RBP_AT_CFA == UW_RBP_AT_CFA &&
	       CPROF_UW_RBP_AT_RBP == UW_RBP_AT_RBP, "bpf/unwind.h rules");
_Static_assert((int)CPROF_UWC_COMPLETE == (int)UW_STOP_OUTERMOST &&
	       (int)CPROF_UWC_UNREADABLE == (int)UW_STOP_COPY_SHORT &&
	       (int)CPROF_UWC_NO_MAPPING == (int)UW_STOP_NO_MAPPING &&
	       (int)CPROF_UWC_BAD_RULE == (int)UW_STOP_UNSUPPORTED &&
	       (int)CPROF_UWC_BAD_FRAME == (int)UW_STOP_BAD_FRAME &&
	       (int)CPROF_UWC_DEPTH == (int)UW_STOP_DEPTH && (int)CPROF_UWC_NR_STOPS == (int)UW_NR_STOPS,
	       "bpf/unwind.h stops");
_Static_assert(CPROF_UW_STOP_MARKER == RAW_IP_MARKER_BASE, "bpf/unwind.h marker");
_Static_assert(sizeof(struct cprof_uw_row) == 16, "bpf/unwind.h row");

struct kuw_bin {
	char *key;
	uint32_t first, count;	/* its rows, page index first */
	uint32_t pages;		/* entries of the page index */
	uint64_t base;		/* ELF vaddr of pc 0 */
	uint32_t users;		/* mappings of pushed processes naming it */
	/* as a push saw it mapped, for a mapping event's: the file offset
	 * mapped, and what the vaddr at a mapping's start is past it */
	bool seg_known;
	uint64_t seg_pgoff;
	uint64_t seg_vaddr_off;	/* vaddr at start - file offset of start */
	uint64_t entry_vaddr;	/* its entry point; 0: none */
};

/* A mapping event waiting for kunwind__flush(). */
struct kuw_mapped {
	int pid;
	uint64_t start_ticks;	/* of the process it was taken for */
	uint64_t start, end, pgoff;
	char key[2 + 2 * 20 + 1];	/* "b:" and the build-id; "": none (or anon) */
	bool anon;
	size_t seq;		/* order of arrival, kept among a process's */
};

#define KUNWIND_MAX_MAPPED 4096	/* events held between flushes; more ask for pushes */

struct kuw_proc {
	int pid;
	uint64_t start_ticks;
	struct kuw_bin **bins;	/* one per mapping with a table (a binary may repeat) */
	size_t nbins;
	int64_t pushed_ns;	/* last push (or attempt) */
	int64_t gap_ns;		/* before the next push asked for: 0 after exec, then
				 * doubled while pushes find nothing new */
	uint32_t nr_pushed;	/* mappings in the last push */
	bool pushed;		/* its entry is in the kernel */
	bool execd;		/* exec seen in the mapping events, not pushed since */
	bool want;		/* kunwind__copied() asked for a push */
	bool stuck;		/* fell back for a reason a push cannot fix before exec */
	bool wait_room;		/* fell back for table memory: pushed again (backing
				 * off) once a process holding tables is gone */
	uint64_t room_seen;	/* k->gone when it fell back for memory */
	bool fell_back[KUNWIND_NR_FALLBACKS];	/* counted once each */
	struct kuw_proc *prev, *next;	/* every process, to free them */
};

struct kunwind {
	struct sym_session *sym;
	struct kunwind_maps m;
	struct strmap *bins_by_key;
	struct kuw_bin **bins;		/* sorted by first */
	size_t nbins, bins_cap;
	struct strmap *procs;		/* "pid" -> struct kuw_proc */
	struct kuw_proc *all;
	int *want;			/* pids kunwind__copied() marked */
	size_t nwant, want_cap;
	struct kunwind_stats st;
	/* the push being built */
	struct cprof_uw_proc up;
	struct kuw_bin *pbins[CPROF_UW_MAX_MAPS];
	size_t npbins;
	int fail;			/* enum kunwind_fallback of the failed push */
	uint64_t gen;			/* pushes so far: each one's cprof_uw_proc.gen */
	uint64_t gone;			/* exits of processes that held tables */
	int64_t released_ns;		/* last sym_session__release_unwind_tables() */
	bool pushing;			/* in push(): k->up is taken */
	/* mapping events (kunwind__mapped) */
	struct kuw_mapped *mapped;
	size_t nmapped, mapped_cap;
	struct cprof_uw_proc fast;	/* an entry read back, the event's mappings added */
};

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
	snprintf(buf, 16, "%d", pid);
}

static struct kuw_proc *proc_get(struct kunwind *k, int pid)
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
						 .rbp = rules[i].rbp };
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
	struct kuw_proc *p = proc_get(k, pid);
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

static int64_t kunwind_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int push(struct kunwind *k, struct kuw_proc *p, int64_t now_ns)
{
	__u32 tgid = (__u32)p->pid;
	struct kuw_bin **bins;
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
	if (!err && !k->up.nr)
		err = -ENOENT;	/* no executable mapping known */
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
		fall_back(k, p, k->fail);
		p->stuck = k->fail == KUNWIND_FB_MAPPINGS;
		if (k->fail == KUNWIND_FB_MEMORY) {
			p->wait_room = true;
			p->room_seen = k->gone;
			p->gap_ns = p->gap_ns ? 2 * p->gap_ns : KUNWIND_REPUSH_NS;
			if (p->gap_ns > KUNWIND_REPUSH_MAX_NS)
				p->gap_ns = KUNWIND_REPUSH_MAX_NS;
		}
		return 0;
	}
	/* code that stays in no mapping (a stray pc, a vsyscall page) keeps
	 * asking: back off while the pushes find nothing new */
	if (k->up.nr > p->nr_pushed)
		p->gap_ns = KUNWIND_REPUSH_NS;
	else if (p->gap_ns < KUNWIND_REPUSH_MAX_NS)
		p->gap_ns = p->gap_ns ? 2 * p->gap_ns : KUNWIND_REPUSH_NS;
	p->nr_pushed = k->up.nr;
	memcpy(bins, k->pbins, k->npbins * sizeof(*bins));
	release_bins(p->bins, p->nbins);
	free(p->bins);
	p->bins = bins;
	p->nbins = k->npbins;
	if (!p->pushed)
		k->st.procs++;
	p->pushed = true;
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
	return push(k, p, kunwind_now());
}

void kunwind__copied(struct kunwind *k, int pid, uint64_t start_ticks, int64_t now_ns)
{
	struct kuw_proc *p;

	if (!k)
		return;
	p = proc_get(k, pid);
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
		struct kuw_proc *p = proc_get(k, k->want[i]);

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
		if (sym_session__release_unwind_tables(k->sym, KUNWIND_TABLE_IDLE_NS, held, k))
			malloc_trim(0);
	}
}

/* --- mapping events ------------------------------------------------------ */

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
	p = proc_get(k, pid);
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
		for (size_t i = 0; i < n; i++)
			snprintf(q->key + 2 + 2 * i, 3, "%02x", m->build_id[i]);
	}
}

void kunwind__exec_seen(struct kunwind *k, int pid)
{
	struct kuw_proc *p = k ? proc_get(k, pid) : NULL;

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
	struct kuw_proc *p = proc_get(k, q->pid);
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
	now_ns = kunwind_now();
	qsort(k->mapped, k->nmapped, sizeof(*k->mapped), cmp_mapped);
	for (i = 0; i < k->nmapped; i = j) {
		for (j = i + 1; j < k->nmapped && k->mapped[j].pid == k->mapped[i].pid; j++)
			;
		flush_proc(k, &k->mapped[i], j - i, now_ns);
	}
	k->nmapped = 0;
}

void kunwind__exited(struct kunwind *k, int pid, uint64_t start_ticks)
{
	struct kuw_proc *p;
	char key[16];

	if (!k)
		return;
	p = proc_get(k, pid);
	if (!p || p->start_ticks != start_ticks)
		return;
	if (p->nbins)
		k->gone++;	/* its binaries may go: room for those waiting */
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
