/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Off-CPU time (--off-cpu), part of sample.bpf.c: the same targets, slots,
 * stack maps, count maps and stack records as CPU samples. Tracepoints only
 * (no kprobe), so it runs on kernels built without kprobes or ftrace.
 *
 * A block goes through three points:
 * 1. sched_switch, prev: a target thread leaves the CPU. Noted in its entry
 *    of offcpu_starts, written in place: when, and in which state (sleeping,
 *    uninterruptible, preempted). Nothing else: this is the common case, and
 *    most blocks are too short to record.
 * 2. sched_switch, next: the thread is back. A block of at least
 *    --off-cpu-min becomes pending: its time, its state and its kernel stack,
 *    read from the thread's saved context (bpf_get_task_stack: the blocking
 *    path, schedule() and its callers), in this CPU's offcpu_pending: the
 *    thread runs on this CPU until it next leaves it, so 3 comes here.
 * 3. In the thread itself, at its first system call exit (sys_exit) or, for
 *    a block outside a system call (a page fault), at its next switch-out:
 *    the user stack is taken there, through the same unwinding as CPU
 *    samples (frame pointers in the kernel, or a stack copy unwound in
 *    userspace), and the time is added to {thread, stacks, state} in the
 *    current slot's count map. A thread blocked in a system call has not
 *    moved its user stack when that call returns: the stack is where it
 *    blocked. One that faulted has run on in user mode by its next
 *    switch-out: its user registers (saved at kernel entry, noted at 2)
 *    differ then, and its user stack is not taken rather than taken wrong.
 *
 * A preempted thread (runnable, waiting for a CPU) is recorded at 2, with
 * its kernel stack: it may return to user mode without a system call exit,
 * so there is no later point in the thread where its user stack is still
 * the one it was preempted in. Its user stack is taken at 1 instead, where
 * the thread is current and its user registers are those it was preempted
 * with, into both slots' stack maps (a drain between 1 and 2 leaves it in
 * the slot 2 writes to): by frame pointers (--unwind fp), or walked with the
 * unwind tables in the kernel (auto, for a process whose tables are in). A
 * stack copy (--unwind copy/dwarf, and auto's fallback) cannot wait there for
 * the block's time: its record carries the time, known only at 2, when the
 * thread is no longer current and its stack cannot be copied. There the time
 * is under a frame that says why the user stack is not there, as it is for a
 * preemption longer than two drains (its stack gone from both maps).
 *
 * Everything lands in the slot current at 3, with its stacks: a block longer
 * than a drain is never split from its stacks. A block is counted when it
 * ends: one still going when cprof stops is not in the profile, nor one that
 * began before cprof started. Blocks are sampled with probability
 * off_cpu_ppm / 1e6 at 1 and their time scaled by the inverse, so totals
 * stay unbiased. */

#define CPROF_TASK_INTERRUPTIBLE	0x1
#define CPROF_TASK_UNINTERRUPTIBLE	0x2
#define CPROF_TASK_DEAD			0x80
#define CPROF_PPM			1000000

const volatile __u64 off_cpu_min_ns = 1000000;
const volatile __u32 off_cpu_ppm = CPROF_PPM;	/* sampling probability, parts per million */

struct offcpu_start {
	__u64 ns;	/* bpf_ktime_get_ns() at the switch-out; 0: on a CPU, or not sampled */
	__u32 state;	/* enum cprof_offcpu_state */
	__u32 ulost;	/* preempted, frame-pointer mode: enum cprof_stack_lost of ustack */
	__u64 ustack;	/* its user stack's key in both slots' stack maps */
};

/* Target threads by thread id, from their first switch-out to their last
 * (a dying thread's entry goes then). Written in place: a switch costs
 * lookups, not an update and a delete. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct offcpu_start);
	__uint(max_entries, 65536);
} offcpu_starts SEC(".maps");

struct offcpu_pending {
	__u64 ns;		/* off-CPU time, scaled */
	__u64 uip, usp;		/* user registers saved at the kernel entry it blocked in */
	__u32 tid;		/* 0: none */
	__u32 state;
	__u32 kern_len;		/* bytes of kern, 0: none */
	__u32 pad;
	struct cprof_stack kern;
};

/* The block of the thread running on this CPU, waiting for 3. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct offcpu_pending);
	__uint(max_entries, 1);
} offcpu_pending SEC(".maps");

static __always_inline __u32 offcpu_state(int preempt, __u32 st)
{
	if (preempt || !st)
		return CPROF_OFFCPU_PREEMPTED;	/* preempted or yielded: runnable */
	if (st & CPROF_TASK_UNINTERRUPTIBLE)
		return CPROF_OFFCPU_DISK;
	if (st & CPROF_TASK_INTERRUPTIBLE)
		return CPROF_OFFCPU_SLEEPING;
	return CPROF_OFFCPU_STOPPED;
}

/* 3, in slot cur_slot's maps m. */
static __always_inline void offcpu_add(void *ctx, struct cprof_key *key,
				       struct offcpu_pending *p, const struct slot_maps *m,
				       __u32 cur_slot, bool with_py)
{
	void *stacks = m->stacks;

	key->kern_lost = CPROF_STACK_NONE;
	if (p->kern_len)
		key->kern_lost = store_stack(stacks, &p->kern, p->kern_len, &key->kern_stack);
	/* The Python frames it blocked under, as for its user stack: the
	 * thread has run no Python since (else it ran on, below). Only at a
	 * system call's exit, where nearly every block ends: sched_switch
	 * with the walk in it is past what the verifier takes. */
	if (with_py && key->user_lost != CPROF_STACK_RAN_ON)
		key->py_lost = take_py_stack_in(key, m->pystacks, &key->py_stack, PY_SCRATCH_OFFCPU);
	if (key->user_lost == CPROF_STACK_RAN_ON) {
		key->user_stack = 0;
	} else if (copy_stacks) {
		if (!copy_stack(NULL, key, cur_slot, p->ns, SCRATCH_OFFCPU))
			return;
		key->user_lost = CPROF_STACK_RING_FULL;
	} else {
		key->user_lost = take_stack(ctx, stacks, BPF_F_USER_STACK, &key->user_stack,
					    SCRATCH_OFFCPU);
	}
	add_count(m->counts, key, p->ns);
}

/* 3: in the thread (current), its pending block is recorded: with its user
 * stack when its user registers are still the ones of the kernel entry it
 * blocked in (a system call's exit, or a switch-out before it returned to
 * user mode); else the thread ran on (a fault, then another system call or
 * switch-out), and the stack there is not the block's. */
static __always_inline void offcpu_charge(void *ctx, __u32 tid, bool with_py)
{
	struct pt_regs *r;
	__u32 zero = 0;
	struct offcpu_pending *p = bpf_map_lookup_elem(&offcpu_pending, &zero);
	struct cprof_key key = {};
	struct task_struct *task;
	struct slot_maps m;
	__u32 cur_slot;

	if (!p || p->tid != tid || !tid)
		return;
	p->tid = 0;
	r = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (BPF_CORE_READ(r, ip) != p->uip || BPF_CORE_READ(r, sp) != p->usp)
		key.user_lost = CPROF_STACK_RAN_ON;
	task = bpf_get_current_task_btf();
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.tid = tid;
	key.state = p->state;
	key.start_ticks = start_ticks_of(task);
	bpf_get_current_comm(key.comm, sizeof(key.comm));
	exec_release(key.tgid, key.start_ticks, true);	/* a block is as a sample */
	note_process(key.tgid, key.start_ticks);
	count(CPROF_OFFCPU_RECORDED);
	cur_slot = slot;
	if (!slot_maps(cur_slot, &m))
		offcpu_add(ctx, &key, p, &m, cur_slot, with_py);
}

/* The stack stored in `from` under h (its chunks, for a walked one) into
 * `to` too, the last chunk first: a stored head always finds its tail. */
static __always_inline void offcpu_copy_stack(void *from, void *to, __u64 h)
{
	struct cprof_stack *c[CPROF_UW_CHUNKS];
	__u64 k[CPROF_UW_CHUNKS];
	int n = 0;

	for (int i = 0; i < CPROF_UW_CHUNKS; i++) {
		k[i] = uw_chunk_key(h, i);
		c[i] = bpf_map_lookup_elem(from, &k[i]);
		if (!c[i])
			return;		/* drained meanwhile: 2 finds no head */
		n = i + 1;
		if (c[i]->ips[CPROF_UW_CHUNK] != CPROF_STACK_CONT)
			break;
	}
	for (int i = CPROF_UW_CHUNKS - 1; i >= 0; i--) {
		long err;

		if (i >= n)
			continue;
		err = bpf_map_update_elem(to, &k[i], c[i], BPF_NOEXIST);
		if (err && err != -EEXIST)
			return;		/* full: no head without its tail */
	}
}

/* 1 for a preempted thread (current): its user stack into the current
 * slot's stack map and the other's; v->ulost says how it went, or
 * CPROF_STACK_PREEMPTED where it is not taken (stack copies, a process whose
 * unwind tables are not in the kernel). */
static __always_inline void offcpu_preempt_stack(void *ctx, struct task_struct *prev,
						 struct offcpu_start *v)
{
	__u32 scratch = SCRATCH_OFFCPU, tgid = prev->tgid, cur_slot = slot;
	struct cprof_uw_proc *up;
	struct cprof_stack *b;
	void *stacks, *other;
	__u32 other_slot = cur_slot ^ 1;
	__u64 ip, sp, bp, bx;
	long len;

	v->ustack = 0;
	v->ulost = CPROF_STACK_PREEMPTED;
	stacks = bpf_map_lookup_elem(&stack_slots, &cur_slot);
	other = bpf_map_lookup_elem(&stack_slots, &other_slot);
	if (!stacks || !other)
		return;
	if (copy_stacks == CPROF_UNWIND_KERNEL) {
		up = bpf_map_lookup_elem(&uw_procs, &tgid);
		if (!up || up->start_ticks != start_ticks_of(prev))
			return;
		user_regs(NULL, &ip, &sp, &bp, &bx);
		v->ulost = uw_take_stack(up, tgid, stacks, ip, sp, bp, bx, &v->ustack, UW_BUF_OFFCPU);
		if (v->ulost == UW_TAKE_COPY)
			v->ulost = CPROF_STACK_PREEMPTED;
	} else if (copy_stacks == CPROF_UNWIND_FP) {
		b = bpf_map_lookup_elem(&stack_scratch, &scratch);
		if (!b)
			return;
		/* the tail past the stack is zeroed by the helper */
		len = bpf_get_stack(ctx, b->ips, sizeof(b->ips), BPF_F_USER_STACK);
		if (len <= 0) {
			count(CPROF_DROP_USTACK_MISSING);
			v->ulost = CPROF_STACK_MISSING;
			return;
		}
		v->ulost = store_stack(stacks, b, len, &v->ustack);
	}
	if (v->ulost == CPROF_STACK_OK)
		offcpu_copy_stack(stacks, other, v->ustack);
}

/* 2 for a preempted thread, in one slot's maps; s: its entry, as noted at 1. */
static __always_inline void offcpu_preempted(struct task_struct *next, struct cprof_key *key,
					     struct cprof_stack *b, __u64 ns,
					     const struct offcpu_start *s, void *stacks,
					     void *counts)
{
	/* the tail past the stack is zeroed by the helper */
	long len = bpf_get_task_stack(next, b->ips, sizeof(b->ips), 0);

	key->kern_lost = CPROF_STACK_NONE;
	if (len > 0)
		key->kern_lost = store_stack(stacks, b, len, &key->kern_stack);
	key->user_lost = s->ulost;	/* as 1 took it (losses counted there) */
	if (s->ulost == CPROF_STACK_OK && bpf_map_lookup_elem(stacks, &s->ustack))
		key->user_stack = s->ustack;
	else if (s->ulost == CPROF_STACK_OK)
		key->user_lost = CPROF_STACK_PREEMPTED;	/* longer than two drains */
	add_count(counts, key, ns);
}

/* 2: next is back on a CPU after a block of ns; s: its entry. */
static __always_inline void offcpu_end(struct task_struct *next, __u32 tid, __u64 ns,
				       const struct offcpu_start *s)
{
	__u32 state = s->state;
	__u32 zero = 0, scratch = SCRATCH_OFFCPU;
	struct offcpu_pending *p;
	struct slot_maps m;
	struct cprof_stack *b;
	struct pt_regs *r;
	long len;

	if (ns < off_cpu_min_ns) {
		count(CPROF_OFFCPU_SHORT);
		return;
	}
	if (off_cpu_ppm < CPROF_PPM)
		ns = ns * CPROF_PPM / off_cpu_ppm;
	/* sched_switch runs with interrupts off: the off-CPU scratch is its */
	b = bpf_map_lookup_elem(&stack_scratch, &scratch);
	if (b && state == CPROF_OFFCPU_PREEMPTED) {
		struct cprof_key key = {};

		key.tgid = next->tgid;
		key.tid = tid;
		key.state = state;
		key.start_ticks = start_ticks_of(next);
		bpf_probe_read_kernel_str(key.comm, sizeof(key.comm), next->comm);
		note_process(key.tgid, key.start_ticks);
		count(CPROF_OFFCPU_RECORDED);
		if (!slot_maps(slot, &m))
			offcpu_preempted(next, &key, b, ns, s, m.stacks, m.counts);
		return;
	}
	/* this CPU's previous thread was charged as it left (3 runs first) */
	p = bpf_map_lookup_elem(&offcpu_pending, &zero);
	if (!p)
		return;
	/* Empty in the order above: the previous thread's 3 ran as it left.
	 * Should that order ever break (a program run the kernel skipped), the
	 * block left here is counted as lost, not silently replaced. */
	if (p->tid) {
		count(CPROF_DROP_OFFCPU_OVERWRITTEN);
		count_add(CPROF_OFFCPU_OVERWRITTEN_NS, p->ns);
	}
	p->ns = ns;
	p->state = state;
	r = (struct pt_regs *)bpf_task_pt_regs(next);
	p->uip = BPF_CORE_READ(r, ip);
	p->usp = BPF_CORE_READ(r, sp);
	/* the tail past the stack is zeroed by the helper */
	len = bpf_get_task_stack(next, p->kern.ips, sizeof(p->kern.ips), 0);
	p->kern_len = len > 0 ? len : 0;
	p->tid = tid;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(cprof_offcpu_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	struct offcpu_start *s;
	__u32 tid = prev->pid, st, state;
	__u64 now = 0;

	/* 3 for prev, when no system call exit came first */
	offcpu_charge(ctx, tid, false);

	/* 2 for next */
	tid = next->pid;
	s = tid ? bpf_map_lookup_elem(&offcpu_starts, &tid) : NULL;
	if (s && s->ns) {
		now = bpf_ktime_get_ns();
		offcpu_end(next, tid, now - s->ns, s);
		s->ns = 0;
	}

	/* 1 for prev */
	tid = prev->pid;
	if (!tid || !prev->mm)		/* idle, kernel threads */
		return 0;
	s = bpf_map_lookup_elem(&offcpu_starts, &tid);
	/* the state now, not the one __schedule() read: a pending signal
	 * has made a sleeper runnable again */
	st = BPF_CORE_READ(prev, __state);
	if (st & CPROF_TASK_DEAD) {
		if (s)
			bpf_map_delete_elem(&offcpu_starts, &tid);
		return 0;
	}
	/* an entry is a target's: the target set is looked up for new ones */
	if (!s && (!is_interesting(prev->tgid) ||
		   (exclude_tgid && prev->tgid == exclude_tgid)))
		return 0;
	count(CPROF_OFFCPU_SWITCHES);
	if (off_cpu_ppm < CPROF_PPM && bpf_get_prandom_u32() % CPROF_PPM >= off_cpu_ppm) {
		count(CPROF_OFFCPU_UNSAMPLED);
		return 0;	/* s->ns is 0 since its last switch-in */
	}
	now = now ? now : bpf_ktime_get_ns();
	state = offcpu_state(preempt, st);
	/* one call site of the stack walk: each is verified on its own */
	{
		struct offcpu_start v = { .ns = now, .state = state };

		if (state == CPROF_OFFCPU_PREEMPTED)
			offcpu_preempt_stack(ctx, prev, &v);
		if (s) {
			s->state = v.state;
			s->ulost = v.ulost;
			s->ustack = v.ustack;
			s->ns = now;	/* last: 2 reads the entry once ns is set */
		} else if (bpf_map_update_elem(&offcpu_starts, &tid, &v, BPF_NOEXIST)) {
			count(CPROF_DROP_OFFCPU_THREADS_FULL);
		}
	}
	return 0;
}

/* 3 for a thread whose block was in a system call. Runs for every system
 * call exit on the machine while --off-cpu is on: one per-CPU lookup. */
SEC("tp_btf/sys_exit")
int BPF_PROG(cprof_offcpu_sys_exit, struct pt_regs *regs, long ret)
{
	offcpu_charge(ctx, (__u32)bpf_get_current_pid_tgid(), true);
	return 0;
}
