/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The CPython walk of cprof_sample, included by sample.bpf.c (it uses that
 * file's stack maps and scratch buffer). For a process in `py_procs`, it
 * finds the sampled thread's PyThreadState from _PyRuntime, walks its frames
 * leaf first, and stores (code object, instruction offset, entry) triples
 * (bpf/python.h) in the slot's pystacks map under their hash, as native
 * stacks go to its stack map. Userspace names the code objects; nothing is dereferenced here but
 * the frame chain. Every read may fault: a failure ends the walk, counted. */
#ifndef CPROF_BPF_PYTHON_BPF_H
#define CPROF_BPF_PYTHON_BPF_H

#include "bpf/python.h"

/* Set by userspace before load: 0 turns the walk off (--no-python). */
const volatile __u8 python_on = 1;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);	/* tgid */
	__type(value, struct cprof_py_proc);
	__uint(max_entries, 4096);
} py_procs SEC(".maps");

/* tid -> its PyThreadState, checked on every use (thread states are freed
 * and reused): saves the walk of the thread list. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16384);
} py_tstates SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, CPROF_PYC_NR * CPROF_PY_NR_MINORS);
} py_counts SEC(".maps");

/* Python stacks by the hash of their frames, double-buffered as the native
 * stack maps (sized by userspace), and taken by slot as they are. */
struct py_stack_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, struct cprof_py_stack);
	__uint(max_entries, 4096);
};

struct py_stack_map pystacks0 SEC(".maps"), pystacks1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, CPROF_NR_SLOTS);
	__type(key, __u32);
	__array(values, struct py_stack_map);
} pystack_slots SEC(".maps") = { .values = { &pystacks0, &pystacks1 } };

/* A Python stack is assembled here (too big for the BPF stack), behind
 * the header of the event that hands it to userspace on its first sight in
 * its process. Two per-CPU entries: the perf_event program's, and the
 * off-CPU programs', which a perf_event program can interrupt on the same
 * CPU. */
#define PY_SCRATCH_SAMPLE 0
#define PY_SCRATCH_OFFCPU 1
struct py_scratch_buf {
	struct cprof_event ev;
	struct cprof_py_stack st;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct py_scratch_buf);
	__uint(max_entries, 2);
} py_scratch SEC(".maps");

/* The Python stacks each process has been seen in (the hash of the frames,
 * keyed by the process): a stack's first sight sends its frames to
 * userspace at once (CPROF_EV_PYSTACK), so that their code objects are read
 * while the process lives, not at the drain after it has exited. */
struct py_seen_key {
	__u32 tgid;
	__u32 pad;
	__u64 hash;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct py_seen_key);
	__type(value, __u8);
	__uint(max_entries, 16384);
} py_seen SEC(".maps");

static __always_inline void py_count(__u32 what, __u8 minor)
{
	__u32 i = what * CPROF_PY_NR_MINORS + (minor & (CPROF_PY_NR_MINORS - 1));
	__u64 *v = bpf_map_lookup_elem(&py_counts, &i);

	if (v)
		(*v)++;
}

static __always_inline int py_read_u64(__u64 *dst, __u64 addr)
{
	return bpf_probe_read_user(dst, sizeof(*dst), (const void *)addr);
}

/* The id CPython keeps for the current thread: the kernel tid from 3.11,
 * pthread_self() (the thread pointer, the fs base on x86-64) before. */
static __always_inline __u64 py_thread_id(const struct cprof_py_proc *p, __u32 tid)
{
	if (p->l.tid_is_native)
		return tid;
	return bpf_get_current_task_btf()->thread.fsbase;
}

struct py_find {
	const struct cprof_py_proc *p;
	__u64 want, cur, found;
	int err;
};

static long py_find_step(__u32 i, void *arg)
{
	struct py_find *f = arg;
	__u64 id;

	if (!f->cur)
		return 1;
	if (py_read_u64(&id, f->cur + f->p->l.tstate_tid)) {
		f->err = 1;
		return 1;
	}
	if (id == f->want) {
		f->found = f->cur;
		return 1;
	}
	if (py_read_u64(&f->cur, f->cur + f->p->l.tstate_next)) {
		f->err = 1;
		return 1;
	}
	return 0;
}

/* The thread state of this thread: 0 with *err 0 when it has none. */
static __always_inline __u64 py_tstate(const struct cprof_py_proc *p, __u32 tid, int *err)
{
	struct py_find f = { .p = p, .want = py_thread_id(p, tid) };
	__u64 *cached = bpf_map_lookup_elem(&py_tstates, &tid), interp, id;

	*err = 0;
	if (cached && *cached && !py_read_u64(&id, *cached + p->l.tstate_tid) && id == f.want)
		return *cached;
	if (py_read_u64(&interp, p->runtime + p->l.runtime_interp_head) || !interp ||
	    py_read_u64(&f.cur, interp + p->l.interp_threads_head)) {
		*err = 1;
		return 0;
	}
	bpf_loop(CPROF_PY_MAX_THREADS, py_find_step, &f, 0);
	if (f.err) {
		*err = 1;
		return 0;
	}
	if (f.found)
		bpf_map_update_elem(&py_tstates, &tid, &f.found, BPF_ANY);
	return f.found;
}

/* The frame being read: too big for the BPF stack beside the sample's. */
struct py_frame_buf {
	__u8 b[CPROF_PY_FRAME_READ];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct py_frame_buf);
	__uint(max_entries, 2);		/* as py_scratch */
} py_frame_bufs SEC(".maps");

/* bpf_loop's context: on the stack (the helper wants it there). */
struct py_walk {
	const struct cprof_py_proc *p;
	struct cprof_py_stack *out;
	struct py_frame_buf *buf;
	__u64 frame;		/* the next frame to read */
	__u64 pending;		/* the last frame read, not stored yet */
	__u64 h;		/* hash of the frames stored */
	__u32 n;		/* frames stored */
	int err;		/* a frame could not be read */
};

static __always_inline __u64 py_field(const struct py_walk *w, __u16 off)
{
	if (off > CPROF_PY_FRAME_READ - 8)
		return 0;
	return *(const __u64 *)(w->buf->b + off);
}

/* Stores the frame held back (whether a C call starts at it is known only
 * from the frame after it in 3.12+) and hashes it. -1: the stack is full. */
static __always_inline int py_flush(struct py_walk *w, __u64 entry)
{
	__u32 n = w->n;

	if (!w->pending)
		return 0;
	if (n >= CPROF_PY_MAX_DEPTH)
		return -1;
	w->out->frames[n] = w->pending | entry;
	w->h = (w->h ^ (w->pending | entry)) * 0x100000001b3ULL;
	w->h ^= w->h >> 29;
	w->n = n + 1;
	w->pending = 0;
	return 0;
}

static long py_walk_step(__u32 i, void *arg)
{
	struct py_walk *w = arg;
	const struct cprof_py_layout *l = &w->p->l;
	__u64 code, instr, off = 0;
	int entry = 0;

	if (!w->frame)
		return 1;
	if (bpf_probe_read_user(w->buf->b, sizeof(w->buf->b), (const void *)w->frame)) {
		w->err = 1;
		return 1;
	}
	code = py_field(w, l->frame_code);
	instr = py_field(w, l->frame_instr);
	w->frame = py_field(w, l->frame_previous);
	if (l->kind == CPROF_PY_FRAMEOBJ) {
		/* f_lasti: an int, -1 before the first instruction */
		__s32 lasti = (__s32)instr;

		off = lasti > 0 ? (__u64)lasti : 0;
		entry = 1;
	} else {
		__u16 o = l->frame_owner;
		__u8 owner = o < CPROF_PY_FRAME_READ ? w->buf->b[o] : 0;

		if (l->kind == CPROF_PY_IFRAME_SHIM && owner == CPROF_PY_OWNED_BY_CSTACK)
			/* the shim of a C call: the frame before it was that call's first */
			return py_flush(w, CPROF_PY_ENTRY) ? 1 : 0;
		entry = l->kind == CPROF_PY_IFRAME_ENTRY && owner;
		if (instr > code + l->code_adaptive)
			off = (instr - code - l->code_adaptive) / 2;
	}
	if (!code)
		return 0;
	if (py_flush(w, 0))
		return 1;
	if (off > CPROF_PY_OFF_MASK)
		off = CPROF_PY_OFF_MASK;
	w->pending = CPROF_PY_FRAME(code, off, entry);
	return 0;
}

/* A stack new to its process goes to userspace now, woken (what a frame
 * names must be read while the process lives: a short-lived one is gone by
 * the next poll); one seen before waits for the drain. A lost event leaves
 * the stack to the drain too, counted. */
static __always_inline void py_first_sight(const struct cprof_key *key, __u64 h,
					   struct py_scratch_buf *sb, __u32 n)
{
	struct py_seen_key k = { .tgid = key->tgid, .hash = h ^ key->start_ticks };
	__u8 one = 1;

	if (bpf_map_lookup_elem(&py_seen, &k) ||
	    bpf_map_update_elem(&py_seen, &k, &one, BPF_NOEXIST))
		return;
	if (n > CPROF_PY_MAX_DEPTH)
		n = CPROF_PY_MAX_DEPTH;
	sb->ev.type = CPROF_EV_PYSTACK;
	sb->ev.tgid = key->tgid;
	sb->ev.start_ticks = key->start_ticks;
	sb->ev.ppid = 0;
	sb->ev.pad = n;
	if (bpf_ringbuf_output(&events, sb, sizeof(sb->ev) + n * sizeof(sb->st.frames[0]),
			       BPF_RB_FORCE_WAKEUP)) {
		bpf_map_delete_elem(&py_seen, &k);
		count(CPROF_DROP_EVENTS_FULL);
	}
}

/* Takes the Python stack of the current thread into `stacks`: CPROF_PY_OK and
 * its key in *ret, or why there is none (enum cprof_py_lost). */
static __always_inline __u8 take_py_stack_in(struct cprof_key *key, void *stacks, __u64 *ret,
					     __u32 scratch)
{
	const struct cprof_py_proc *p;
	struct py_scratch_buf *sb;
	struct cprof_py_stack *b;
	struct py_walk walk = {}, *w = &walk;
	__u64 h, tstate, frame;
	int err;

	*ret = 0;
	if (!python_on)
		return CPROF_PY_NONE;
	p = bpf_map_lookup_elem(&py_procs, &key->tgid);
	if (!p || p->start_ticks != key->start_ticks)
		return CPROF_PY_NONE;
	sb = bpf_map_lookup_elem(&py_scratch, &scratch);
	w->buf = bpf_map_lookup_elem(&py_frame_bufs, &scratch);
	if (!sb || !w->buf)
		return CPROF_PY_NONE;
	b = &sb->st;
	tstate = py_tstate(p, key->tid, &err);
	if (err) {
		py_count(CPROF_PYC_TSTATE_UNREADABLE, p->l.minor);
		return CPROF_PY_TSTATE_UNREADABLE;
	}
	if (!tstate) {
		py_count(CPROF_PYC_NO_THREAD, p->l.minor);
		return CPROF_PY_NONE;
	}
	if (py_read_u64(&frame, tstate + p->l.tstate_frame) ||
	    (p->l.cframe_frame != CPROF_PY_NO_OFFSET && frame &&
	     py_read_u64(&frame, frame + p->l.cframe_frame))) {
		py_count(CPROF_PYC_TSTATE_UNREADABLE, p->l.minor);
		return CPROF_PY_TSTATE_UNREADABLE;
	}
	if (!frame) {	/* a thread state between two Python calls */
		py_count(CPROF_PYC_NO_THREAD, p->l.minor);
		return CPROF_PY_NONE;
	}
	w->p = p;
	w->out = b;
	w->frame = frame;
	w->h = 0x84222325cbf29ce4ULL;
	/* shim frames (3.12+) take a turn too: room for one per frame */
	bpf_loop(2 * CPROF_PY_MAX_DEPTH + 2, py_walk_step, w, 0);
	py_flush(w, 0);
	/* readers stop at the first zero: what an earlier walk left after it
	 * is never read (and is not in the hash) */
	{
		__u32 n = w->n;

		if (n < CPROF_PY_MAX_DEPTH)
			b->frames[n] = 0;
	}
	if (w->err && !w->n) {
		py_count(CPROF_PYC_FRAME_UNREADABLE, p->l.minor);
		return CPROF_PY_FRAME_UNREADABLE;
	}
	if (!w->n) {
		py_count(CPROF_PYC_NO_THREAD, p->l.minor);
		return CPROF_PY_NONE;
	}
	if (w->err)
		py_count(CPROF_PYC_FRAMES_CUT, p->l.minor);
	else if (w->frame || w->pending)
		py_count(CPROF_PYC_TRUNCATED, p->l.minor);
	h = w->h ^ ((__u64)w->n << 48);
	h = h ? h : 1;
	err = bpf_map_update_elem(stacks, &h, b, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count(CPROF_DROP_STACK_MAP_FULL);
		return CPROF_PY_MAP_FULL;
	}
	if (!err)	/* new in this slot: maybe new to its process */
		py_first_sight(key, h, sb, w->n);
	py_count(CPROF_PYC_STACKS, p->l.minor);
	*ret = h;
	return CPROF_PY_OK;
}

/* The perf_event program's walk, in its own scratch. */
static __always_inline __u8 take_py_stack(struct cprof_key *key, void *stacks, __u64 *ret)
{
	return take_py_stack_in(key, stacks, ret, PY_SCRATCH_SAMPLE);
}

#endif
