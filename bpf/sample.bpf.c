// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cprof's sampler: runs on every cpu-clock (or cycles) perf event, filters to the
 * target processes, and aggregates {process, thread, user stack, kernel stack}
 * counts in per-CPU hashes. Stack and count maps are double-buffered: userspace
 * flips `slot`, waits for running programs to finish, then drains the idle slot.
 * Process lifecycle events (first sample, exec, exit, fork) go to a ring buffer
 * so userspace can capture mappings while the process is still alive.
 * In stack-copy mode (--unwind dwarf|auto), a sample of a user task instead
 * streams the user registers and a window of the user stack to the `ustacks`
 * ring buffer, for userspace to unwind; its kernel stack still goes through
 * the slot's stack map. A bench knob (time_samples) times each target
 * sample into a histogram in the counters. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpf/sample.h"

#define EEXIST	17
#define ENOMEM	12
#define EFAULT	14
#define ENOSPC	28
#define PAGE	4096
#define USER_TOP 0x800000000000ULL	/* x86_64: user addresses are below */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by userspace before load. */
const volatile __u8 filter_targets = 1;	/* 0: every process (-a) */
const volatile __u8 include_idle = 0;
const volatile __u8 follow_forks = 0;	/* add children of targets to targets */
const volatile __u32 exclude_tgid = 0;	/* never sampled: cprof itself; 0: none */
const volatile __u8 copy_stacks = 0;	/* enum cprof_unwind */
const volatile __u32 stack_window = CPROF_STACK_COPY_DEFAULT;	/* bytes, <= CPROF_STACK_COPY_MAX */
/* The bench's latency histogram (counters CPROF_LAT_*): each target sample
 * timed from the program's entry to its exit, three clock reads more. */
const volatile __u8 time_samples = 0;

/* Written by userspace between windows; read once per sample. */
volatile __u32 slot = 0;

/* Stacks by the hash of their frames. Not BPF_MAP_TYPE_STACK_TRACE: its id
 * is the hash masked to the bucket count, so two stacks in one bucket lose
 * the second (-EEXIST), a few a second at 99 Hz on two CPUs; a hash map
 * chains them, and only a full map loses one. */
struct stack_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, struct cprof_stack);
	__uint(max_entries, 16384);	/* sized by userspace */
};

struct count_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct cprof_key);
	__type(value, __u64);
	__uint(max_entries, 16384);
};

struct stack_map stacks0 SEC(".maps"), stacks1 SEC(".maps");
struct count_map counts0 SEC(".maps"), counts1 SEC(".maps");

/* The maps of each slot, by slot (userspace drains them by their own fds).
 * The programs take the current slot's from here rather than naming it:
 * code that names a map is verified once per map it may name, and the
 * stack walks made up most of the verification time, twice over. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, CPROF_NR_SLOTS);
	__type(key, __u32);
	__array(values, struct stack_map);
} stack_slots SEC(".maps") = { .values = { &stacks0, &stacks1 } };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, CPROF_NR_SLOTS);
	__type(key, __u32);
	__array(values, struct count_map);
} count_slots SEC(".maps") = { .values = { &counts0, &counts1 } };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);	/* tgid */
	__type(value, __u8);
	__uint(max_entries, 8192);
} targets SEC(".maps");

/* A stack is taken here (too big for the BPF stack), hashed, then copied
 * into the slot's stack map. One buffer per kind of program that may
 * interrupt another on a CPU: perf_event programs do not nest, but one may
 * interrupt an off-CPU program (bpf/offcpu.bpf.h) running in a system call's
 * exit; off-CPU programs run with preemption off and do not nest either. */
enum scratch_user { SCRATCH_SAMPLE = 0, SCRATCH_OFFCPU = 1, NR_SCRATCH };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct cprof_stack);
	__uint(max_entries, NR_SCRATCH);
} stack_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);	/* tgid */
	__type(value, __u64);	/* start_ticks */
	__uint(max_entries, 32768);
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, CPROF_NR_COUNTERS);
} counters SEC(".maps");

/* Stack-copy mode: a record is assembled here, then copied into the ring at
 * its real length. A plain array indexed by CPU and scratch_user (per-CPU
 * values are limited to 32 KiB), as stack_scratch. */
struct stack_buf {
	struct cprof_stack_record r;
	__u8 data[CPROF_STACK_COPY_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct stack_buf);
	__uint(max_entries, 1);		/* possible CPUs x NR_SCRATCH, set by userspace */
} stack_bufs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);	/* sized by userspace in stack-copy mode */
} ustacks SEC(".maps");

static __always_inline void count_add(__u32 what, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &what);

	if (v)
		*v += n;
}

static __always_inline void count(__u32 what)
{
	count_add(what, 1);
}

#include "bpf/python.bpf.h"

/* /proc/PID/stat reports start_boottime in USER_HZ (100) ticks. task: a
 * BTF pointer (bpf_get_current_task_btf(), a tp_btf argument), read by
 * direct loads: a bpf_probe_read_kernel() call each costs far more. */
static __always_inline __u64 start_ticks_of(struct task_struct *task)
{
	return task->group_leader->start_boottime / 10000000ULL;
}

/* What an exec made of a process, read as it execs; held in exec_wait. */
struct exec_wait {
	__u64 start;
	__u64 exec_ns;		/* when it exec'd (bpf_ktime_get_ns) */
	__u64 known;		/* userspace knew the process before (NEW, FORK) */
	__u64 code_lo, code_hi;	/* its executable's text */
	__u64 cgroups;
	char comm[CPROF_COMM_LEN];
	char exe[CPROF_EXE_LEN];
};

/* An event; x (an exec's) fills in what the process became. */
static __always_inline void emit_for(__u32 type, __u32 tgid, __u64 start, __u32 ppid,
				     const struct exec_wait *x, __u32 flags, bool wake)
{
	struct cprof_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(CPROF_DROP_EVENTS_FULL);
		return;
	}
	e->type = type;
	e->tgid = tgid;
	e->start_ticks = start;
	e->ppid = ppid;
	e->pad = flags;
	e->time_ns = bpf_ktime_get_ns();
	if (x) {
		e->cgroups = x->cgroups;
		__builtin_memcpy(e->comm, x->comm, sizeof(e->comm));
		__builtin_memcpy(e->exe, x->exe, sizeof(e->exe));
	} else {
		e->cgroups = 0;
		__builtin_memset(e->comm, 0, sizeof(e->comm));
		__builtin_memset(e->exe, 0, sizeof(e->exe));
	}
	bpf_ringbuf_submit(e, wake ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* What a process is must be read while it lives: a new process or an exec
 * wakes userspace. Its exit can wait for the next wake-up or poll
 * (SESSION_POLL_MS): a whole machine's churn then costs the agent one
 * wake-up a process, not two. The others force theirs: by default the ring
 * wakes only for a record the reader is caught up to, and an exit left
 * unread would silence the exec after it. */
static __always_inline void emit(__u32 type, __u32 tgid, __u64 start, __u32 ppid)
{
	emit_for(type, tgid, start, ppid, NULL, 0, type != CPROF_EV_EXIT);
}

/* --unwind auto: an exec waits here until the process is first sampled,
 * or has lived exec_hold_ns and fetches code of its executable it has not
 * run yet (cprof_uw_fault), by when ld.so has long mapped its libraries;
 * not code of a library: a short-lived process's exit runs libc's. Userspace,
 * woken then, pushes the image whole, where an exec sent at once cost a
 * push without the libraries, a second wake-up when the first of them ran,
 * and a second update of the entry. Most processes of a busy machine are
 * short-lived ones never sampled (a shell's date, sed, ...): their exec
 * never leaves the kernel, and userspace spends nothing on them; their
 * exit is not sent either when userspace never heard of them. A sample
 * before the send comes as a stack copy (its process has no entry): the
 * hold is half a sampling period, so a process that lives it out has one
 * such copy on average, at most, and one that does not was as likely as
 * not never to be sampled. */
const volatile __u64 exec_hold_ns = 1000000;	/* half a sampling period */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);	/* tgid */
	__type(value, struct exec_wait);
	__uint(max_entries, 8192);
} exec_wait SEC(".maps");

/* The exec held for tgid in w goes now (if it is this process's: start);
 * flags: CPROF_EXEC_*. */
static __always_inline void exec_send(__u32 tgid, const struct exec_wait *w, __u64 start,
				      __u32 flags, bool wake)
{
	if (w->start == start)
		emit_for(CPROF_EV_EXEC, tgid, start, 0, w, flags, wake);
	bpf_map_delete_elem(&exec_wait, &tgid);
}

/* The exec held for tgid, if any, goes now. */
static __always_inline void exec_release(__u32 tgid, __u64 start, bool wake)
{
	struct exec_wait *w;

	if (copy_stacks != CPROF_UNWIND_KERNEL)
		return;
	w = bpf_map_lookup_elem(&exec_wait, &tgid);
	if (w)
		exec_send(tgid, w, start, 0, wake);
}

/* The process exits with its exec still held: never sampled, it is
 * nothing to userspace. True when userspace never heard of it at all, and
 * its exit need not be sent either. */
static __always_inline bool exec_forget(__u32 tgid, __u64 start)
{
	struct exec_wait *w;
	bool unknown;

	if (copy_stacks != CPROF_UNWIND_KERNEL)
		return false;
	w = bpf_map_lookup_elem(&exec_wait, &tgid);
	if (!w)
		return false;
	unknown = w->start == start && !w->known;
	if (w->start == start)
		count(CPROF_EXECS_UNSAMPLED);
	bpf_map_delete_elem(&exec_wait, &tgid);
	return unknown;
}

/* The maps of slot i: stacks, counts, Python stacks. 0, or -1 if one is
 * missing (never: libbpf fills the slots at load). */
struct slot_maps {
	void *stacks, *counts, *pystacks;
};

static __always_inline int slot_maps(__u32 i, struct slot_maps *ret)
{
	ret->stacks = bpf_map_lookup_elem(&stack_slots, &i);
	ret->counts = bpf_map_lookup_elem(&count_slots, &i);
	ret->pystacks = bpf_map_lookup_elem(&pystack_slots, &i);
	return ret->stacks && ret->counts && ret->pystacks ? 0 : -1;
}

#include "bpf/unwind.bpf.h"

/* Stores the len bytes of frames at b (zero after them) into the slot's
 * stack map under the hash of the frames. CPROF_STACK_OK and the key in *ret,
 * or CPROF_STACK_MAP_FULL (counted). */
static __always_inline __u8 store_stack(void *stacks, struct cprof_stack *b, long len, __u64 *ret)
{
	__u64 h = 0xcbf29ce484222325ULL;
	long err;

	for (int i = 0; i < CPROF_MAX_STACK_DEPTH; i++) {
		if (i >= len / 8)
			break;
		h = (h ^ b->ips[i]) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h ^= (__u64)len << 48;
	h = h ? h : 1;
	err = bpf_map_update_elem(stacks, &h, b, BPF_NOEXIST);
	if (err && err != -EEXIST) {	/* -EEXIST: the same stack, already there */
		count(CPROF_DROP_STACK_MAP_FULL);
		return CPROF_STACK_MAP_FULL;
	}
	*ret = h;
	return CPROF_STACK_OK;
}

/* Takes the kernel (or, with BPF_F_USER_STACK, the user) stack into the
 * slot's stack map under the hash of its frames. Returns CPROF_STACK_OK and
 * the key in *ret, or why the stack is lost (counted). A kernel stack is
 * empty when sampled in user mode: no loss; a user task's user stack that
 * cannot be read is one. */
static __always_inline __u8 take_stack(void *ctx, void *stacks, __u64 flags, __u64 *ret,
				       __u32 scratch)
{
	int user = !!(flags & BPF_F_USER_STACK);
	struct cprof_stack *b = bpf_map_lookup_elem(&stack_scratch, &scratch);
	long len;

	*ret = 0;
	if (!b)
		goto out_missing;
	/* the buffer's tail past the stack is zeroed by the helper */
	len = bpf_get_stack(ctx, b->ips, sizeof(b->ips), flags);
	if (len <= 0) {
		if (!user)
			return CPROF_STACK_NONE;
		goto out_missing;
	}
	return store_stack(stacks, b, len, ret);

out_missing:
	if (user)
		count(CPROF_DROP_USTACK_MISSING);
	return CPROF_STACK_MISSING;
}

/* A sample's kernel stack into the slot's stack map, as take_stack(). None
 * when the sample interrupted user mode: the helper would find none, at the
 * cost of a call and the clearing of a kilobyte. */
static __always_inline __u8 take_kstack(struct bpf_perf_event_data *ctx, void *stacks, __u64 *ret)
{
	if (ctx->regs.ip < USER_TOP) {
		*ret = 0;
		return CPROF_STACK_NONE;
	}
	return take_stack(ctx, stacks, 0, ret, SCRATCH_SAMPLE);
}

/* Expanded once per slot so each helper call sees one constant map.
 * ustack_lost != CPROF_STACK_OK: the user stack is known lost for that reason
 * (stack-copy mode), and the kernel stack is in key already: taken again, a
 * lost one would be counted twice. */
/* Adds value (a sample, or off-CPU ns) to key's count in the slot's map. */
static __always_inline void add_count(void *counts, struct cprof_key *key, __u64 value)
{
	__u64 *v = bpf_map_lookup_elem(counts, key);

	if (v) {
		*v += value;
		return;
	}
	if (bpf_map_update_elem(counts, key, &value, BPF_NOEXIST) == 0)
		return;
	/* Another CPU may have created the key meanwhile. */
	v = bpf_map_lookup_elem(counts, key);
	if (v) {
		*v += value;
	} else if (key->state) {	/* an off-CPU block: its time is known, count it too */
		count(CPROF_DROP_OFFCPU_COUNTS_FULL);
		count_add(CPROF_OFFCPU_COUNTS_FULL_NS, value);
	} else {
		count(CPROF_DROP_COUNTS_FULL);
	}
}

static __always_inline void record(struct bpf_perf_event_data *ctx, struct cprof_key *key, int user_task,
				   __u8 ustack_lost, void *stacks, void *counts)
{
	if (ustack_lost) {
		key->user_lost = ustack_lost;
	} else if (user_task) {
		key->user_lost = take_stack(ctx, stacks, BPF_F_USER_STACK, &key->user_stack,
					    SCRATCH_SAMPLE);
	} else {
		key->user_lost = CPROF_STACK_NONE;
	}
	if (!ustack_lost)
		key->kern_lost = take_kstack(ctx, stacks, &key->kern_stack);
	add_count(counts, key, 1);
}

/* The user registers of the current task. regs: the interrupted registers
 * of a perf event, or NULL in the kernel (off-CPU). */
static __always_inline void user_regs(const struct pt_regs *regs, __u64 *ip, __u64 *sp, __u64 *bp,
				      __u64 *bx)
{
	/* sampled in user mode: the interrupted registers are the user's */
	*ip = regs ? regs->ip : ~0ULL;
	if (*ip < USER_TOP) {
		*sp = regs->sp;
		*bp = regs->bp;
		*bx = regs->bx;
	} else {
		/* in the kernel: the user registers saved at kernel entry */
		struct pt_regs *r = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

		*ip = BPF_CORE_READ(r, ip);
		*sp = BPF_CORE_READ(r, sp);
		*bp = BPF_CORE_READ(r, bp);
		*bx = BPF_CORE_READ(r, bx);
	}
}

/* Stack-copy mode: user registers and up to stack_window bytes of the user
 * stack from sp, read page by page (a read fails as a whole, and the stack
 * ends at a page boundary). regs: the interrupted registers of a perf event,
 * or NULL in the kernel (off-CPU). The record carries key's kernel stack
 * (already taken), and value (1 for a CPU sample, ns for off-CPU time). 0,
 * or -ENOSPC when the record could not be written. */
static __always_inline int copy_stack(const struct pt_regs *regs, struct cprof_key *key,
				      __u32 cur_slot, __u64 value, __u32 scratch)
{
	__u32 idx = bpf_get_smp_processor_id() * NR_SCRATCH + scratch;
	__u64 len = 0, n;
	struct stack_buf *b = bpf_map_lookup_elem(&stack_bufs, &idx);
	__u64 ip, sp, bp, bx, flags;

	if (!b)
		return -ENOSPC;
	user_regs(regs, &ip, &sp, &bp, &bx);

	n = PAGE - (sp & (PAGE - 1));
	if (n > stack_window)
		n = stack_window;
	if (bpf_probe_read_user(b->data, n, (void *)sp) == 0) {
		len = n;
		for (int i = 0; i < CPROF_STACK_COPY_MAX / PAGE; i++) {
			if (len >= stack_window || len > CPROF_STACK_COPY_MAX - PAGE)
				break;
			n = (__u64)stack_window - len;
			if (n > PAGE)
				n = PAGE;
			barrier_var(n);
			if (n > PAGE)	/* for the verifier */
				break;
			if (bpf_probe_read_user(b->data + len, n, (void *)(sp + len)))
				break;
			len += n;
		}
	}
	if (len > CPROF_STACK_COPY_MAX)
		len = CPROF_STACK_COPY_MAX;
	if (!len)
		count(CPROF_DROP_USTACK_UNREADABLE);
	else if (len < stack_window && len <= CPROF_STACK_COPY_MAX - PAGE)
		count(CPROF_USTACK_SHORT);	/* past that, the loop's bound ended it */

	b->r.tgid = key->tgid;
	b->r.tid = key->tid;
	b->r.start_ticks = key->start_ticks;
	b->r.kern_lost = key->kern_lost;
	b->r.kern_stack = key->kern_stack;
	b->r.py_lost = key->py_lost;
	b->r.py_stack = key->py_stack;
	b->r.state = key->state;
	b->r.value = value;
	b->r.slot = cur_slot;
	b->r.ip = ip;
	b->r.sp = sp;
	b->r.bp = bp;
	b->r.bx = bx;
	b->r.stack_len = len;
	/* how much a window would need, for the --stack-size hint */
	b->r.stack_top = key->tid == key->tgid ?
		BPF_CORE_READ(bpf_get_current_task_btf(), mm, start_stack) : 0;
	__builtin_memset(b->r.pad, 0, sizeof(b->r.pad));
	__builtin_memcpy(b->r.comm, key->comm, sizeof(b->r.comm));

	/* wake the reader only once the ring is an eighth full: it polls anyway */
	flags = bpf_ringbuf_query(&ustacks, BPF_RB_AVAIL_DATA) >
		bpf_ringbuf_query(&ustacks, BPF_RB_RING_SIZE) / 8 ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&ustacks, b, sizeof(b->r) + len, flags)) {
		count(CPROF_DROP_RECORDS_FULL);
		return -ENOSPC;
	}
	count(CPROF_USTACK_COPIES);
	{
		__u32 what = CPROF_USTACK_BYTES;
		__u64 *v = bpf_map_lookup_elem(&counters, &what);

		if (v)
			*v += len;
	}
	return 0;
}

/* The first sample (or off-CPU block) of a process: its mappings are
 * captured now, while it is alive. */
static __always_inline void note_process(__u32 tgid, __u64 start)
{
	__u64 *seen_start = bpf_map_lookup_elem(&seen, &tgid);

	if (!seen_start || *seen_start != start) {
		bpf_map_update_elem(&seen, &tgid, &start, BPF_ANY);
		emit(CPROF_EV_NEW, tgid, start, 0);
	}
}

/* A target's sample: its stacks into the slot's maps, or a stack copy
 * into the ring. */
static __always_inline void sample(struct bpf_perf_event_data *ctx, __u64 pid_tgid)
{
	struct cprof_key key = {};
	struct task_struct *task;
	__u32 tgid = pid_tgid >> 32;
	__u32 cur_slot = slot;
	struct cprof_uw_proc *up;
	struct slot_maps m;
	int user_task, ustack_err = 0;
	__u8 ustack_lost = CPROF_STACK_OK;

	task = bpf_get_current_task_btf();
	user_task = task->mm != NULL;
	key.tgid = tgid;
	key.tid = (__u32)pid_tgid;
	key.start_ticks = start_ticks_of(task);
	__builtin_memcpy(key.comm, task->comm, sizeof(key.comm));
	count(CPROF_SAMPLES);

	if (slot_maps(cur_slot, &m))
		return;
	up = copy_stacks == CPROF_UNWIND_KERNEL && user_task ? uw_proc_of(&key) : NULL;
	/* userspace pushed this very process's mappings: it knows it */
	if (user_task && !up) {
		exec_release(tgid, key.start_ticks, true);
		note_process(tgid, key.start_ticks);
	}
	if (user_task)
		key.py_lost = take_py_stack(&key, m.pystacks, &key.py_stack);

	if (up) {
		__u64 ip, sp, bp, bx;

		user_regs((struct pt_regs *)&ctx->regs, &ip, &sp, &bp, &bx);
		key.user_lost = uw_take_stack(up, tgid, m.stacks, ip, sp, bp, bx, &key.user_stack,
					      UW_BUF_SAMPLE);
		/* else code mapped after the push: this one goes as a copy */
		if (key.user_lost != UW_TAKE_COPY) {
			key.kern_lost = take_kstack(ctx, m.stacks, &key.kern_stack);
			add_count(m.counts, &key, 1);
			return;
		}
		key.user_lost = 0;
		key.user_stack = 0;
	}
	if (copy_stacks && user_task) {
		/* into the key too: record() keeps it if the copy fails */
		key.kern_lost = take_kstack(ctx, m.stacks, &key.kern_stack);
		ustack_err = copy_stack((struct pt_regs *)&ctx->regs, &key, cur_slot, 1,
					SCRATCH_SAMPLE);
		if (!ustack_err)
			return;
		ustack_lost = CPROF_STACK_RING_FULL;
	}
	record(ctx, &key, user_task, ustack_lost, m.stacks, m.counts);
}

/* The bench's latency histogram. The start time waits in a map, not in a
 * register kept across the sample: that would cost every path of it a
 * spill whether timing is on or off (perf_event programs do not nest on a
 * CPU). Off, the verifier drops both: time_samples is read-only. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} lat_start SEC(".maps");

static __always_inline void time_sample_start(void)
{
	__u32 zero = 0;
	__u64 *t0;

	if (!time_samples)
		return;
	t0 = bpf_map_lookup_elem(&lat_start, &zero);
	if (t0)
		*t0 = bpf_ktime_get_ns();
}

static __always_inline void time_sample_end(void)
{
	__u32 zero = 0;
	__u64 *t0, ns, t;

	if (!time_samples)
		return;
	ns = bpf_ktime_get_ns();
	/* a third read, outside the interval: what the other two cost */
	t = bpf_ktime_get_ns();
	t0 = bpf_map_lookup_elem(&lat_start, &zero);
	if (!t0 || !*t0)
		return;
	count_add(CPROF_LAT_CLOCK_NS, t - ns);
	ns -= *t0;
	count(CPROF_LAT_BUCKET0 + cprof_lat_bucket(ns));
	count_add(CPROF_LAT_NS, ns);
}

SEC("perf_event")
int cprof_sample(struct bpf_perf_event_data *ctx)
{
	__u64 pid_tgid;
	__u32 tgid;

	/* the filter's cost is the target's too; other processes' runs are
	 * not timed (bpf_stats has them) */
	time_sample_start();
	pid_tgid = bpf_get_current_pid_tgid();
	tgid = pid_tgid >> 32;
	if (tgid == 0 && !include_idle)
		return 0;
	/* A profiler that samples itself shows its own cost as the workload's
	 * (-a, the agent): left out unless asked for (--profile-self). */
	if (exclude_tgid && tgid == exclude_tgid)
		return 0;
	if (filter_targets && !bpf_map_lookup_elem(&targets, &tgid))
		return 0;
	sample(ctx, pid_tgid);
	time_sample_end();
	return 0;
}

static __always_inline int is_interesting(__u32 tgid)
{
	if (!filter_targets)
		return 1;
	return bpf_map_lookup_elem(&targets, &tgid) != NULL;
}

/* The cgroups a process is in, in every hierarchy (v1 and v2) at once: a
 * sum of one mix per (hierarchy, cgroup) over its css_set's links. Equal for
 * two processes that share every cgroup (one css_set), unequal otherwise but
 * for a 64-bit collision: kernfs ids are not reused within a boot. 0: more
 * hierarchies than walked, or none. The set's list (cgrp_links) chains its
 * links by their cgrp_link member: the names read the other way round. */
#define CGROUP_LINKS_MAX 20

static __always_inline __u64 cgroups_of(struct task_struct *p)
{
	struct css_set *cset = BPF_CORE_READ(p, cgroups);
	struct list_head *head = __builtin_preserve_access_index(&cset->cgrp_links);
	struct list_head *pos = BPF_CORE_READ(cset, cgrp_links.next);
	__u64 sum = 0;

	for (int i = 0; i < CGROUP_LINKS_MAX; i++) {
		struct cgrp_cset_link *l;
		struct cgroup *cg;
		__u64 x;

		if (!pos || pos == head)
			return sum;
		l = (void *)pos - bpf_core_field_offset(struct cgrp_cset_link, cgrp_link);
		cg = BPF_CORE_READ(l, cgrp);
		x = BPF_CORE_READ(cg, kn, id) ^ ((__u64)BPF_CORE_READ(cg, root, hierarchy_id) << 48);
		x = (x ^ (x >> 33)) * 0xff51afd7ed558ccdULL;
		x = (x ^ (x >> 33)) * 0xc4ceb9fe1a85ec53ULL;
		sum += x ^ (x >> 33);
		pos = BPF_CORE_READ(pos, next);
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(cprof_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	__u64 start = start_ticks_of(p);
	struct exec_wait w = { .start = start }, *held;
	const unsigned char *name;
	__u64 *seen_start;

	if (!is_interesting(tgid))
		return 0;
	/* userspace knows it if it was sampled (NEW), forked from a target
	 * (FORK), or exec'd before with that exec sent */
	held = bpf_map_lookup_elem(&exec_wait, &tgid);
	seen_start = bpf_map_lookup_elem(&seen, &tgid);
	if (held && held->start == start)
		w.known = held->known;
	else
		w.known = filter_targets || (seen_start && *seen_start == start);
	w.exec_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&seen, &tgid, &start, BPF_ANY);
	/* its mappings are gone: stack copies until userspace pushes the new ones */
	bpf_map_delete_elem(&uw_procs, &tgid);
	/* the file exec'd, after any #! (the interpreter): what /proc/PID/exe
	 * links to, by its own name, not a link's */
	name = BPF_CORE_READ(bprm, file, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(w.exe, sizeof(w.exe), name) < 0)
		w.exe[0] = '\0';
	w.cgroups = cgroups_of(p);
	bpf_get_current_comm(w.comm, sizeof(w.comm));
	w.code_lo = BPF_CORE_READ(p, mm, start_code);
	w.code_hi = BPF_CORE_READ(p, mm, end_code);
	if (copy_stacks == CPROF_UNWIND_KERNEL && w.code_lo < w.code_hi &&
	    bpf_map_update_elem(&exec_wait, &tgid, &w, BPF_ANY) == 0)
		return 0;
	emit_for(CPROF_EV_EXEC, tgid, start, 0, &w, 0, true);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(cprof_exit, struct task_struct *p)
{
	struct cprof_uw_proc *up;
	__u32 tgid = p->tgid;
	__u64 start;

	/* The process ends with its last thread, which need not be its
	 * leader (main may pthread_exit() while other threads run on):
	 * signal->live counts the threads not yet exiting, and is 0 here
	 * for the last. Two threads exiting at once may both see 0: the
	 * event then comes twice, and userspace takes the second as a no-op. */
	if (p->signal->live.counter)
		return 0;
	if (!bpf_map_lookup_elem(&seen, &tgid) && !is_interesting(tgid))
		return 0;
	start = start_ticks_of(p);
	if (exec_forget(tgid, start)) {
		bpf_map_delete_elem(&seen, &tgid);
		return 0;
	}
	emit(CPROF_EV_EXIT, tgid, start, 0);
	/* Its kernel walk entry goes now, after the event's time: an entry
	 * userspace pushed before that time is gone, and it need not delete
	 * it (kunwind__exited()); one pushed later it deletes itself. */
	up = bpf_map_lookup_elem(&uw_procs, &tgid);
	if (up && up->start_ticks == start)
		bpf_map_delete_elem(&uw_procs, &tgid);
	bpf_map_delete_elem(&seen, &tgid);
	/* A reused pid must not inherit the target mark. */
	if (filter_targets)
		bpf_map_delete_elem(&targets, &tgid);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(cprof_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (!follow_forks || ctgid == ptgid)	/* a new thread, not a process */
		return 0;
	if (!bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	bpf_map_update_elem(&targets, &ctgid, &one, BPF_ANY);
	emit(CPROF_EV_FORK, ctgid, start_ticks_of(child), ptgid);
	return 0;
}

#include "bpf/offcpu.bpf.h"
