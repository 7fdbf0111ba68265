/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The in-kernel unwinder of cprof_sample (--unwind auto), included by
 * sample.bpf.c (it uses that file's stack maps and counters). It walks the
 * user stack with the rows of the compiled unwind tables userspace pushed
 * (bpf/unwind.h), one frame per bpf_loop turn, as symbolize/unwinder.c walks
 * a stack copy: CFA from rsp, rbp or rbx, the return address at CFA - 8, rbp
 * and rbx from their save slots, signal frames from the ucontext, and frame
 * pointers where no row covers the pc (JIT code, binaries without CFI). rbx
 * is restored lazily: a frame's row notes where the caller's was saved, read
 * only when a CFA needs it (ld.so's lazy-binding trampolines). It never
 * guesses: a walk ends at the outermost frame or says why it stopped, with
 * the marker frame the userspace unwinder would put there. Every read of
 * user memory is bpf_probe_read_user, and may fail. */
#ifndef CPROF_BPF_UNWIND_BPF_H
#define CPROF_BPF_UNWIND_BPF_H

#include "bpf/unwind.h"

/* The rows of every binary pushed, shared by build-id; sized and written
 * (mmapped) by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct cprof_uw_row);
	__uint(max_entries, 1);
} uw_rows SEC(".maps");

/* tgid -> its executable mappings. Written by userspace only (whole values:
 * a sample sees the old or the new one); no process here: stack copy. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct cprof_uw_proc);
	__uint(max_entries, 8192);
} uw_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, CPROF_UWC_NR);
} uw_counts SEC(".maps");

/* A walked stack, laid out as the chunks it is stored in. One per walker
 * that may interrupt another on a CPU: perf_event programs (which do not nest
 * on one CPU) and sched_switch (a preempted thread's stack, bpf/offcpu.bpf.h),
 * which a hardware event's NMI may interrupt. */
struct uw_buf {
	struct cprof_stack c[CPROF_UW_CHUNKS];
};

enum uw_buf_user { UW_BUF_SAMPLE = 0, UW_BUF_OFFCPU = 1, UW_NR_BUFS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct uw_buf);
	__uint(max_entries, UW_NR_BUFS);
} uw_bufs SEC(".maps");

/* The rows found lately, by the pc range they cover and push
 * (cprof_uw_proc.gen): a recursion or a hot loop looks up pcs of the same
 * rows sample after sample (a leaf's pc moves, but seldom out of its row),
 * and a hit saves the two binary searches. Direct-mapped by the pc's 16-byte
 * block, per CPU (perf_event programs do not nest); only rows of binaries
 * with tables, whose code does not change. row.pad: UW_ROW_TABLE, or
 * UW_ROW_FP (no row covers the pc), UW_ROW_ENTRY (the binary's _start). */
#define UW_CACHE	512
enum { UW_ROW_TABLE = 0, UW_ROW_FP, UW_ROW_ENTRY };

struct uw_cache_ent {
	__u64 pc, gen;		/* the range [pc, pc + len) of this push */
	__u64 len;
	struct cprof_uw_row row;
};

/* The stack is read a page at a time (to the end of the page it is read
 * from: a read fails whole), two once a walk goes past its first window,
 * and later reads in the window served from here: a probe read costs about
 * as much for 8 bytes as for a page (about 200 ns in a VM, most of a
 * sample's cost), so a shallow stack takes one read, and 80 KiB of deep
 * recursion ten. */
#define UW_PAGE		4096
#define UW_WIN		(2 * UW_PAGE)

struct uw_cache {
	struct uw_cache_ent e[UW_CACHE];
	__u64 win_base, win_len;	/* the stack bytes in win (here, not in the walk's
					 * state: the verifier need not tell them apart) */
	__u64 bx, bx_state;		/* the walk's rbx and enum uw_rd, here for the same
					 * reason (in the walk, cprof_sample went past 1M
					 * verified instructions) */
	__u8 win[UW_WIN];
};

/* One per walker, as uw_bufs: an entry half written when an NMI walks
 * would give the other walker a wrong row. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct uw_cache);
	__uint(max_entries, UW_NR_BUFS);
} uw_caches SEC(".maps");

/* offsets in the x86_64 ucontext_t at a signal frame's rsp (as unwinder.c) */
#define UW_UC_RBP	(40 + 10 * 8)
#define UW_UC_RBX	(40 + 11 * 8)
#define UW_UC_RSP	(40 + 15 * 8)
#define UW_UC_RIP	(40 + 16 * 8)
#define UW_ENTRY_SPAN	64	/* SYM_ENTRY_SPAN: a frame there is _start's */

/* UW_RD_SAVED: for rbx only, its value is in the stack at bx (not read
 * yet: only ld.so's trampolines need rbx, and most frames save it) */
enum uw_rd { UW_RD_OK = 0, UW_RD_BELOW, UW_RD_FAULT, UW_RD_SAVED };

/* bpf_loop's context: on the stack (the helper wants it there). */
struct uw_walk {
	const struct cprof_uw_proc *p;
	struct uw_buf *out;
	struct uw_cache *cache;
	__u64 pc, sp, bp;
	__u64 base;		/* the sampled sp: a save slot below it was popped */
	__u64 h;		/* hash of the frames stored */
	__u64 h_prev;		/* h before the last frame */
	__u32 nr;		/* frames stored */
	__u32 ci, si;		/* where the next frame goes: chunk, index */
	__u8 exact;		/* pc is the leaf's or an interrupted one, not a return address */
	__u8 bp_state;		/* enum uw_rd: bp is known, or why not (bx: uw_cache) */
	__u8 stop;		/* enum cprof_uw_counter, once stopped */
	__u8 stopped;
	__u8 fp_guess;		/* the last frame came from rbp, a frame pointer or not */
};

static __always_inline void uw_count(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&uw_counts, &what);

	if (v)
		(*v)++;
}

static __always_inline enum uw_rd uw_rd(const struct uw_walk *w, __u64 addr, __u64 *ret)
{
	if (addr < w->base)
		return UW_RD_BELOW;
	return bpf_probe_read_user(ret, sizeof(*ret), (const void *)addr) ? UW_RD_FAULT : UW_RD_OK;
}

/* uw_rd() through the window: for the return address and rbp's save slot,
 * read in most frames (the rare reads, of signal frames and rbp-relative
 * CFAs, go direct: each inlined copy adds to the verifier's paths). */
static __always_inline enum uw_rd uw_rd_win(struct uw_walk *w, __u64 addr, __u64 *ret)
{
	struct uw_cache *c = w->cache;
	__u64 off = addr - c->win_base, n;
	int big;

	if (addr < w->base)
		return UW_RD_BELOW;
	if (addr < c->win_base || off >= c->win_len || c->win_len - off < 8) {
		n = UW_PAGE - (addr & (UW_PAGE - 1));
		if (n > UW_PAGE)
			n = UW_PAGE;
		if (n < 8)	/* across a page end */
			return bpf_probe_read_user(ret, sizeof(*ret), (const void *)addr) ?
			       UW_RD_FAULT : UW_RD_OK;
		/* a walk past its first window is a deep one: the next page
		 * too, in the same read (falling back to one page where the
		 * next is not there) */
		big = c->win_len != 0;
		c->win_len = 0;
		if (big && !bpf_probe_read_user(c->win, n + UW_PAGE, (const void *)addr))
			n += UW_PAGE;
		else if (bpf_probe_read_user(c->win, n, (const void *)addr))
			return UW_RD_FAULT;
		c->win_base = addr;
		c->win_len = n;
		off = 0;
	}
	if (off > UW_WIN - 8)	/* for the verifier */
		return UW_RD_FAULT;
	__builtin_memcpy(ret, c->win + off, sizeof(*ret));
	return UW_RD_OK;
}

static __always_inline long uw_stop(struct uw_walk *w, __u8 why)
{
	w->stop = why;
	w->stopped = 1;
	return 1;
}

static __always_inline long uw_rd_stop(struct uw_walk *w, enum uw_rd r)
{
	return uw_stop(w, r == UW_RD_FAULT ? CPROF_UWC_UNREADABLE : CPROF_UWC_BAD_FRAME);
}

static __always_inline void uw_push(struct uw_walk *w, __u64 ip)
{
	__u32 ci = w->ci, si = w->si;

	if (ci >= CPROF_UW_CHUNKS || si >= CPROF_UW_CHUNK)
		return;
	w->out->c[ci].ips[si] = ip;
	w->h_prev = w->h;
	w->h = (w->h ^ ip) * 0x100000001b3ULL;
	w->h ^= w->h >> 29;
	w->nr++;
	if (++si == CPROF_UW_CHUNK) {
		si = 0;
		ci++;
	}
	w->ci = ci;
	w->si = si;
}

/* Takes the last frame back off (one frame at most: h_prev). */
static __always_inline void uw_pop(struct uw_walk *w)
{
	if (!w->nr)
		return;
	w->nr--;
	w->h = w->h_prev;
	if (w->si) {
		w->si--;
	} else if (w->ci) {
		w->ci--;
		w->si = CPROF_UW_CHUNK - 1;
	}
}

/* Binary searches, one probe per bpf_loop turn: unrolled, their branches
 * would multiply the verifier's paths. Both find the last entry at or below
 * the key: lo ends one past it. */
struct uw_search {
	const struct cprof_uw_proc *p;	/* the mappings searched, or NULL: rows */
	__u64 key;
	__u32 lo, hi, first;
};

static long uw_search_step(__u32 i, void *arg)
{
	struct uw_search *s = arg;
	const struct cprof_uw_row *r;
	__u32 mid, idx;
	__u64 at;

	/* one probe a turn: two, unrolled, took a third more of the whole
	 * program's verification, for a call saved per probe */
	if (s->lo >= s->hi)
		return 1;
	mid = s->lo + (s->hi - s->lo) / 2;
	if (s->p) {
		if (mid >= CPROF_UW_MAX_MAPS)
			goto out_fail;
		at = s->p->maps[mid].start;
	} else {
		idx = s->first + mid;
		r = bpf_map_lookup_elem(&uw_rows, &idx);
		if (!r)
			goto out_fail;
		at = r->pc;
	}
	if (at <= s->key)
		s->lo = mid + 1;
	else
		s->hi = mid;
	return 0;
out_fail:
	s->lo = 0;
	s->hi = 0;
	return 1;
}

/* The mapping holding addr. */
static __always_inline const struct cprof_uw_map *uw_find_map(const struct cprof_uw_proc *p,
							      __u64 addr)
{
	struct uw_search s = { .p = p, .key = addr, .hi = p->nr };
	const struct cprof_uw_map *m;
	__u32 lo;

	if (s.hi > CPROF_UW_MAX_MAPS)
		s.hi = CPROF_UW_MAX_MAPS;
	bpf_loop(8, uw_search_step, &s, 0);	/* 8 probes: 2^8 > CPROF_UW_MAX_MAPS */
	lo = s.lo;
	if (lo == 0 || lo > CPROF_UW_MAX_MAPS || s.lo < s.hi)
		return NULL;
	m = &p->maps[lo - 1];
	return addr < m->end ? m : NULL;
}

/* Entry j of m's page index (bpf/unwind.h); ~0 when it cannot be read. */
static __always_inline __u32 uw_page_row(const struct cprof_uw_map *m, __u64 j)
{
	__u32 idx = m->first - CPROF_UW_PAGE_ROWS(m->pages) + (__u32)(j >> 2);
	const __u32 *e = bpf_map_lookup_elem(&uw_rows, &idx);

	return e ? e[j & 3] : ~0U;
}

/* The row of table offset off, and in *end the offset where the next row
 * starts (~0: the table's last). 0, or -1 when none covers off (a gap
 * between FDEs, or past the table). */
static __always_inline int uw_find_row(const struct cprof_uw_map *m, __u64 off,
				       struct cprof_uw_row *ret, __u64 *end)
{
	struct uw_search s = { .key = off, .hi = m->count, .first = m->first };
	const struct cprof_uw_row *r;
	__u32 idx, lo, hi;
	__u64 j;

	if (off > 0xffffffffULL)
		return -1;
	/* the rows of off's page: from the last at or below its start to the
	 * first past the next page's start (past the last page: to the end) */
	if (m->pages) {
		j = off >> CPROF_UW_PAGE_SHIFT;
		if (j >= m->pages)
			j = m->pages - 1;
		lo = uw_page_row(m, j);
		hi = j + 1 < m->pages ? uw_page_row(m, j + 1) + 1 : m->count;
		if (lo < hi && hi <= m->count) {
			s.lo = lo;
			s.hi = hi;
		}
	}
	bpf_loop(26, uw_search_step, &s, 0);	/* 26 probes: tables of up to 2^25 rows */
	if (s.lo == 0 || s.lo < s.hi)
		return -1;
	idx = m->first + s.lo - 1;
	r = bpf_map_lookup_elem(&uw_rows, &idx);
	if (!r || r->cfa == CPROF_UW_CFA_NONE)
		return -1;
	*ret = *r;
	*end = ~0ULL;
	if (s.lo < m->count) {
		idx++;
		r = bpf_map_lookup_elem(&uw_rows, &idx);
		if (r)
			*end = r->pc;
	}
	return 0;
}

/* CPython's perf trampoline (Python/asm_trampoline.S, 3.12+ -X perf),
 * copied per function into anonymous memory without CFI or frame pointer:
 * sub $8,%rsp; call *%rcx; add $8,%rsp; ret. A return address into one
 * (after the call) has its caller's return address 16 bytes up, as
 * sym_jit.c's rule says; it is known by its bytes here. */
static __always_inline int uw_py_trampoline(__u64 ra)
{
	__u64 b[2];

	if (bpf_probe_read_user(b, sizeof(b), (const void *)(ra - 6)))
		return 0;
	return b[0] == 0x8348d1ff08ec8348ULL && (b[1] & 0xffffff) == 0xc308c4;
}

/* The row for the current pc, into *row (pad: enum UW_ROW_*). 0, or -1
 * when the pc is in no mapping. */
static __always_inline int uw_resolve(struct uw_walk *w, __u64 lookup, struct cprof_uw_row *row)
{
	struct uw_cache_ent *c = &w->cache->e[((lookup >> 4) ^ (lookup >> 13)) & (UW_CACHE - 1)];
	const struct cprof_uw_map *m;
	__u64 start = lookup, end = lookup + 1;

	if (lookup - c->pc < c->len && c->gen == w->p->gen) {
		*row = c->row;
		return 0;
	}
	m = uw_find_map(w->p, lookup);
	if (!m)
		return -1;
	if (m->entry && lookup >= m->entry && lookup < m->entry + UW_ENTRY_SPAN) {
		*row = (struct cprof_uw_row){ .pad = UW_ROW_ENTRY };
		start = m->entry;
		end = m->entry + UW_ENTRY_SPAN;
	} else if (m->count && lookup >= m->base && !uw_find_row(m, lookup - m->base, row, &end)) {
		row->pad = UW_ROW_TABLE;
		/* the row's range within the mapping (and past the entry span) */
		start = m->base + row->pc;
		end = end == ~0ULL ? m->end : m->base + end;
		if (start < m->start)
			start = m->start;
		if (end > m->end)
			end = m->end;
		if (m->entry && start < m->entry + UW_ENTRY_SPAN && end > m->entry)
			start = lookup, end = lookup + 1;
	} else if (!m->count && !w->exact && uw_py_trampoline(w->pc)) {
		*row = (struct cprof_uw_row){ .cfa = CPROF_UW_CFA_RSP, .cfa_off = 16,
					      .rbp = CPROF_UW_RBP_SAME, .pad = UW_ROW_TABLE };
		return 0;	/* anonymous code may change: not cached */
	} else {
		/* frame pointers: CFA = rbp + 16, rbp saved at CFA - 16 */
		*row = (struct cprof_uw_row){ .cfa = CPROF_UW_CFA_RBP, .cfa_off = 16,
					      .rbp = CPROF_UW_RBP_AT_CFA, .rbp_off = -16,
					      .pad = UW_ROW_FP };
	}
	if (m->count && start <= lookup && lookup < end) {
		c->pc = start;
		c->len = end - start;
		c->gen = w->p->gen;
		c->row = *row;
	}
	return 0;
}

/* One frame: from the current one to its caller. 0 to go on, 1 to stop. */
static long uw_step(__u32 i, void *arg)
{
	struct uw_walk *w = arg;
	__u64 lookup = w->exact ? w->pc : w->pc - 1, cfa, ra = 0, v;
	struct cprof_uw_row row;
	int by_fp = 0;
	enum uw_rd r;

	if (!w->p || !w->out || !w->cache)
		return uw_stop(w, CPROF_UWC_BAD_FRAME);
	if (uw_resolve(w, lookup, &row)) {
		/* rbp was no frame pointer (code without CFI that keeps none,
		 * e.g. glibc's clone3 past its FDE's end) when what it led to
		 * is in no mapping: no caller, and the walk ends where it
		 * really stopped (as unwinder.c) */
		if (w->fp_guess) {
			uw_pop(w);
			return uw_stop(w, CPROF_UWC_NO_INFO);
		}
		return uw_stop(w, CPROF_UWC_NO_MAPPING);
	}
	w->fp_guess = 0;
	if (w->nr >= CPROF_UW_MAX_FRAMES - 1)	/* room for the stop marker */
		return uw_stop(w, CPROF_UWC_DEPTH);
	if (row.pad == UW_ROW_ENTRY)
		return uw_stop(w, CPROF_UWC_COMPLETE);	/* _start: nothing called it */
	if (row.pad == UW_ROW_FP) {
		if (w->bp_state != UW_RD_OK)
			return uw_rd_stop(w, w->bp_state);
		if (!w->bp)
			return uw_stop(w, CPROF_UWC_COMPLETE);
		by_fp = 1;
	}

	switch (row.cfa) {
	case CPROF_UW_CFA_OUTERMOST:
		return uw_stop(w, CPROF_UWC_COMPLETE);
	case CPROF_UW_CFA_SIGNAL:
		/* the handler returned into __restore_rt: rsp is at the ucontext */
		if ((r = uw_rd(w, w->sp + UW_UC_RIP, &ra)) || (r = uw_rd(w, w->sp + UW_UC_RSP, &cfa)))
			return uw_rd_stop(w, r);
		w->bp_state = uw_rd(w, w->sp + UW_UC_RBP, &v);
		if (w->bp_state == UW_RD_OK)
			w->bp = v;
		w->cache->bx = w->sp + UW_UC_RBX;
		w->cache->bx_state = UW_RD_SAVED;
		if (!ra)
			return uw_stop(w, CPROF_UWC_COMPLETE);
		uw_push(w, ra);
		w->pc = ra;
		w->sp = cfa;
		w->exact = 1;	/* interrupted, not called */
		return 0;
	case CPROF_UW_CFA_RSP:
		cfa = w->sp + (__s64)row.cfa_off;
		break;
	case CPROF_UW_CFA_PLT:
		cfa = w->sp + (__s64)row.cfa_off + ((w->pc & 15) >= (__u64)(__s64)row.rbp_off ? 8 : 0);
		break;
	case CPROF_UW_CFA_RBP:
	case CPROF_UW_CFA_RBP_DEREF:
		if (w->bp_state != UW_RD_OK)
			return uw_rd_stop(w, w->bp_state);
		cfa = w->bp + (__s64)row.cfa_off;
		if (row.cfa == CPROF_UW_CFA_RBP_DEREF && (r = uw_rd(w, cfa, &cfa)))
			return uw_rd_stop(w, r);
		break;
	case CPROF_UW_CFA_RBX:
		if (w->cache->bx_state == UW_RD_SAVED) {
			if ((r = uw_rd(w, w->cache->bx, &v)))
				return uw_rd_stop(w, r);
			w->cache->bx = v;
			w->cache->bx_state = UW_RD_OK;
		}
		if (w->cache->bx_state != UW_RD_OK)	/* below or fault */
			return uw_rd_stop(w, w->cache->bx_state);
		cfa = w->cache->bx + (__s64)row.cfa_off;
		break;
	default:
		return uw_stop(w, CPROF_UWC_BAD_RULE);
	}
	/* a caller's frame is above its callee's */
	if (cfa <= w->sp)
		return uw_stop(w, CPROF_UWC_BAD_FRAME);
	if (row.rbx == CPROF_UW_RBX_AT_CFA) {
		/* a slot below the sampled sp was popped: rbx holds the
		 * caller's value already */
		if (cfa + (__s64)row.rbx_off >= w->base) {
			w->cache->bx = cfa + (__s64)row.rbx_off;
			w->cache->bx_state = UW_RD_SAVED;
		}
	} else if (row.rbx != CPROF_UW_RBX_SAME) {
		w->cache->bx_state = UW_RD_BELOW;	/* undefined */
	}
	if ((r = uw_rd_win(w, cfa - 8, &ra)))
		return uw_rd_stop(w, r);
	if (row.cfa != CPROF_UW_CFA_PLT) {
		if (row.rbp == CPROF_UW_RBP_AT_CFA ||
		    (row.rbp == CPROF_UW_RBP_AT_RBP && w->bp_state == UW_RD_OK)) {
			r = uw_rd_win(w, (row.rbp == CPROF_UW_RBP_AT_CFA ? cfa : w->bp) +
					 (__s64)row.rbp_off, &v);
			if (r == UW_RD_OK) {
				w->bp = v;
				w->bp_state = UW_RD_OK;
			} else if (r == UW_RD_FAULT) {
				w->bp_state = r;	/* only fatal if a caller needs rbp */
			}	/* below sp: popped already, rbp holds the caller's value */
		} else if (row.rbp != CPROF_UW_RBP_SAME && row.rbp != CPROF_UW_RBP_AT_RBP) {
			w->bp_state = UW_RD_BELOW;	/* undefined */
		}
	}
	if (!ra)
		return uw_stop(w, CPROF_UWC_COMPLETE);
	/* a caller found by rbp is checked at the next turn: it must be in
	 * a mapping */
	w->fp_guess = by_fp;
	uw_push(w, ra);
	w->pc = ra;
	w->sp = cfa;
	w->exact = 0;
	return 0;
}

/* The key of chunk c of the stack whose whole hash is h (chunk 0: h). */
static __always_inline __u64 uw_chunk_key(__u64 h, __u32 c)
{
	__u64 k = c ? (h ^ ((__u64)c * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL : h;

	return k ? k : 1;
}

/* Not a loss: the walk met a pc in no mapping pushed (a library dlopen'ed
 * or exec'd since): the sample is taken as a stack copy instead, unwound in
 * userspace, which then pushes the process's mappings again. */
#define UW_TAKE_COPY	0xff
#define UW_REMAP_NS	5000000ULL	/* at most one CPROF_EV_REMAP a process this often */

/* Walks the current thread's user stack (registers ip, sp, bp, bx) with the
 * mappings of p (process tgid) into `stacks`, in the walker's own buffer
 * (enum uw_buf_user): CPROF_STACK_OK and the key of its first chunk in *ret,
 * UW_TAKE_COPY, or why it is lost (enum cprof_stack_lost, counted). */
static __always_inline __u8 uw_take_stack(struct cprof_uw_proc *p, __u32 tgid, void *stacks,
					  __u64 ip, __u64 sp, __u64 bp, __u64 bx, __u64 *ret,
					  __u32 buf)
{
	struct uw_walk walk = {}, *w = &walk;
	__u32 nch, ci, si;
	__u64 h;
	long err;

	*ret = 0;
	w->out = bpf_map_lookup_elem(&uw_bufs, &buf);
	w->cache = bpf_map_lookup_elem(&uw_caches, &buf);
	if (w->cache) {
		w->cache->win_len = 0;	/* another thread's stack, maybe */
		w->cache->bx = bx;
		w->cache->bx_state = UW_RD_OK;
	}
	if (!w->out || !w->cache || !ip) {
		count(CPROF_DROP_USTACK_MISSING);
		return CPROF_STACK_MISSING;
	}
	w->p = p;
	w->pc = ip;
	w->sp = sp;
	w->bp = bp;
	w->base = sp;
	w->h = 0xcbf29ce484222325ULL;
	uw_push(w, ip);
	w->exact = 1;
	bpf_loop(CPROF_UW_MAX_FRAMES, uw_step, w, 0);
	if (!w->stopped)
		w->stop = CPROF_UWC_DEPTH;
	if (w->stop == CPROF_UWC_NO_MAPPING) {
		__u64 now = bpf_ktime_get_ns();

		/* wake userspace to push the new mappings now (ld.so maps the
		 * libraries after exec, dlopen later), at most every 5 ms
		 * (cprof_uw_fault below mostly wakes it before) */
		if (now - p->remap_ns > UW_REMAP_NS) {
			p->remap_ns = now;
			emit(CPROF_EV_REMAP, tgid, p->start_ticks, 0);
		}
		uw_count(CPROF_UWC_COPIED);
		return UW_TAKE_COPY;
	}
	if (w->stop != CPROF_UWC_COMPLETE)
		uw_push(w, CPROF_UW_STOP_MARKER + w->stop);
	uw_count(w->stop);

	/* readers stop at the first zero: what an earlier walk left after it
	 * is never read (and is not in the hash) */
	ci = w->ci;
	si = w->si;
	if (ci < CPROF_UW_CHUNKS && si < CPROF_UW_CHUNK)
		w->out->c[ci].ips[si] = 0;
	nch = si ? ci + 1 : ci;
	if (!si && ci && ci <= CPROF_UW_CHUNKS)	/* the last chunk is full: no link */
		w->out->c[ci - 1].ips[CPROF_UW_CHUNK] = 0;
	h = w->h ^ ((__u64)w->nr * 8 << 48);
	h = h ? h : 1;
	/* the same stack stored already this slot: its chunks are there too */
	if (bpf_map_lookup_elem(stacks, &h)) {
		*ret = h;
		return CPROF_STACK_OK;
	}
	/* the last chunk first: a stored head always finds its tail */
	for (int i = CPROF_UW_CHUNKS - 1; i >= 0; i--) {
		__u32 c = i;
		__u64 k;

		if (c >= nch || c >= CPROF_UW_CHUNKS)
			continue;
		if (c + 1 < nch) {
			w->out->c[c].ips[CPROF_UW_CHUNK] = CPROF_STACK_CONT;
			w->out->c[c].ips[CPROF_UW_CHUNK + 1] = uw_chunk_key(h, c + 1);
		}
		k = uw_chunk_key(h, c);
		err = bpf_map_update_elem(stacks, &k, &w->out->c[c], BPF_NOEXIST);
		if (err && err != -EEXIST) {
			count(CPROF_DROP_STACK_MAP_FULL);
			return CPROF_STACK_MAP_FULL;
		}
	}
	*ret = h;
	return CPROF_STACK_OK;
}

/* The process's mappings when userspace pushed them for this very process;
 * NULL: the sample goes to the stack copy (counted). */
static __always_inline struct cprof_uw_proc *uw_proc_of(const struct cprof_key *key)
{
	struct cprof_uw_proc *p = bpf_map_lookup_elem(&uw_procs, &key->tgid);

	if (p && p->start_ticks == key->start_ticks)
		return p;
	uw_count(CPROF_UWC_COPIED);
	return NULL;
}

#define UW_PF_INSTR	0x10		/* X86_PF_INSTR: the fault fetched an instruction */
#define UW_VSYSCALL	0xffffffffff600000ULL	/* emulated by a fault, in no mapping */

/* Code runs for the first time where no mapping pushed for its process
 * lies: a library ld.so maps after exec, dlopen. Its first instruction
 * fetch faults (a new mapping has no page table entries yet), before any
 * sample there: wake userspace now, which adds the mapping from its perf
 * mapping record (written at mmap, so before this), and the walks of the
 * samples that follow find it. It shares the throttle of the walks'
 * event; userspace zeroes remap_ns at each update of the entry, so code
 * mapped after it wakes userspace again at once. A tracepoint, not a hook
 * on mmap: it needs no ftrace. Every user page fault comes here; all but
 * the instruction fetches of processes pushed leave at once. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(cprof_uw_fault, unsigned long address, struct pt_regs *regs,
	     unsigned long error_code)
{
	struct cprof_uw_proc *p;
	struct exec_wait *w;
	__u32 tgid;
	__u64 now;

	if (copy_stacks != CPROF_UNWIND_KERNEL || !(error_code & UW_PF_INSTR) ||
	    (address & ~0xfffULL) == UW_VSYSCALL)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	w = bpf_map_lookup_elem(&exec_wait, &tgid);
	if (w) {
		/* it lives on, and runs more of its own code: its exec goes
		 * (exec_wait) */
		if (address >= w->code_lo && address < w->code_hi &&
		    bpf_ktime_get_ns() - w->exec_ns >= exec_hold_ns)
			exec_send(tgid, w, start_ticks_of(bpf_get_current_task_btf()),
				  CPROF_EXEC_STARTED, true);
		return 0;
	}
	p = bpf_map_lookup_elem(&uw_procs, &tgid);
	if (!p || uw_find_map(p, address))
		return 0;
	if (p->start_ticks != start_ticks_of(bpf_get_current_task_btf()))
		return 0;
	now = bpf_ktime_get_ns();
	if (now - p->remap_ns > UW_REMAP_NS) {
		p->remap_ns = now;
		emit(CPROF_EV_REMAP, tgid, p->start_ticks, 0);
	}
	return 0;
}

#endif
