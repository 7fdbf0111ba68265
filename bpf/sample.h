/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ABI between bpf/sample.bpf.c and the profiler: plain fixed-width types,
 * no pointers, no bool, explicit padding. Both clang (BPF) and gcc compile it,
 * so nothing here may depend on either side's headers beyond __u32/__u64. */
#ifndef CPROF_BPF_SAMPLE_H
#define CPROF_BPF_SAMPLE_H

#include "bpf/lat_hist.h"

#define CPROF_COMM_LEN		16
#define CPROF_MAX_STACK_DEPTH	127	/* PERF_MAX_STACK_DEPTH */
#define CPROF_NR_SLOTS		2	/* double-buffered stack and count maps */
#define CPROF_STACK_COPY_MAX	(64 * 1024)	/* largest user stack window (--stack-size) */
#define CPROF_STACK_COPY_DEFAULT (16 * 1024)

/* Why a sample has no stack id: its own values, never an errno mixed with
 * ids (a stack map out of entries once read as userspace out of memory). */
enum cprof_stack_lost {
	CPROF_STACK_OK = 0,		/* the id names a stack in the slot's stack map */
	CPROF_STACK_NONE,		/* no such stack: kernel stack of a user-mode sample,
					 * user stack of a kernel thread (not a loss) */
	CPROF_STACK_COLLISION,		/* stack id hash collision (stack trace maps; kept for the ABI) */
	CPROF_STACK_MAP_FULL,		/* stack map out of entries */
	CPROF_STACK_MISSING,		/* user task, but no user stack (-EFAULT and others) */
	CPROF_STACK_RING_FULL,		/* stack-copy mode: the record did not fit the ring */
	CPROF_STACK_PREEMPTED,		/* off-CPU while runnable: no user stack is taken (not a loss) */
	CPROF_STACK_RAN_ON,		/* off-CPU outside a system call, recorded after the thread
					 * ran on in user mode: no user stack (not a loss) */
};

/* Key of the per-CPU count maps. A stack is named by the 64-bit hash of its
 * frames, the key of the slot's stack map (a plain hash map: distinct stacks
 * never collide in it, as ids in a stack trace map do). It is meaningful
 * (and nonzero only) when its *_lost is CPROF_STACK_OK; a lost stack still
 * counts its sample. */
struct cprof_key {
	__u32 tgid;
	__u32 tid;
	__u64 start_ticks;	/* process start, clock ticks since boot (/proc/PID/stat 22) */
	__u64 user_stack;	/* key in stacks<slot> */
	__u64 kern_stack;
	__u64 py_stack;		/* key in pystacks<slot> of the Python frames (bpf/python.h) */
	__u8 user_lost;		/* enum cprof_stack_lost */
	__u8 kern_lost;
	__u8 state;		/* 0: CPU samples; else enum cprof_offcpu_state, value in ns */
	__u8 py_lost;		/* enum cprof_py_lost */
	__u8 pad[4];
	char comm[CPROF_COMM_LEN];	/* thread name */
};

/* Why an off-CPU thread was off the CPU (--off-cpu): the letters of
 * /proc/PID/stat, so a key's state reads as what ps shows. */
enum cprof_offcpu_state {
	CPROF_OFFCPU_SLEEPING = 'S',	/* TASK_INTERRUPTIBLE: waited for an event */
	CPROF_OFFCPU_DISK = 'D',	/* TASK_UNINTERRUPTIBLE: I/O, page faults, some locks */
	CPROF_OFFCPU_PREEMPTED = 'R',	/* still runnable: waited for a CPU */
	CPROF_OFFCPU_STOPPED = 'T',	/* stopped or traced */
};

/* Value of the stack maps: frames leaf first, zero after the last. */
struct cprof_stack {
	__u64 ips[CPROF_MAX_STACK_DEPTH];
};

/* Per-CPU counters, indices of the `drops` array map. Cumulative. */
enum cprof_drop {
	CPROF_SAMPLES = 0,		/* samples taken for a target (not a drop) */
	CPROF_DROP_USTACK_COLLISION,	/* user stack id hash collision (-EEXIST) */
	CPROF_DROP_KSTACK_COLLISION,
	CPROF_DROP_STACK_MAP_FULL,	/* stack map out of entries (-ENOMEM) */
	CPROF_DROP_USTACK_MISSING,	/* user task, but no user stack (-EFAULT) */
	CPROF_DROP_COUNTS_FULL,		/* counts map full: the sample is lost */
	CPROF_DROP_EVENTS_FULL,		/* ring buffer full: a process event lost */
	/* stack-copy mode (--unwind dwarf|auto) */
	CPROF_DROP_RECORDS_FULL,	/* stack ring buffer full: the sample counts, its user stack is lost */
	CPROF_DROP_USTACK_UNREADABLE,	/* not one byte at the user sp could be read */
	CPROF_USTACK_COPIES,		/* stack records written (not a drop) */
	CPROF_USTACK_BYTES,		/* stack bytes copied into them (not a drop) */
	CPROF_USTACK_SHORT,		/* copies that ended before the window: the stack ended (not a drop) */
	/* off-CPU (--off-cpu) */
	CPROF_OFFCPU_SWITCHES,		/* target threads switched out (not a drop) */
	CPROF_OFFCPU_UNSAMPLED,		/* of those, left out by the sampling probability (not a drop) */
	CPROF_OFFCPU_SHORT,		/* blocks shorter than --off-cpu-min, not recorded (not a drop) */
	CPROF_OFFCPU_RECORDED,		/* blocks recorded with their stacks (not a drop) */
	CPROF_DROP_OFFCPU_THREADS_FULL,	/* thread table full: that block's time is lost */
	CPROF_DROP_OFFCPU_COUNTS_FULL,	/* counts map full: a block's time is lost */
	CPROF_DROP_OFFCPU_OVERWRITTEN,	/* a block waiting for its user stack was replaced
					 * before it was recorded: its time is lost */
	CPROF_OFFCPU_COUNTS_FULL_NS,	/* the time of those lost blocks, ns (the loss is */
	CPROF_OFFCPU_OVERWRITTEN_NS,	/* counted by the counter above; not a loss itself) */
	/* --unwind auto: processes that exited with their exec held, never
	 * sampled, whose exec userspace never had to read (not a drop) */
	CPROF_EXECS_UNSAMPLED,
	/* userspace: never written by BPF; sampler__counters() adds them */
	CPROF_DROP_DRAIN_NOMEM,		/* samples a drain could not store: out of memory */
	CPROF_DROP_OFFCPU_NOMEM,	/* off-CPU entries (a stack's blocks summed in the
					 * kernel) a drain could not store: out of memory */
	CPROF_OFFCPU_NOMEM_NS,		/* their time, ns */
	/* the agent's: off-CPU entries drained but in no delta (no attribution,
	 * or the profile could not be built); added by the agent, not the sampler */
	CPROF_DROP_OFFCPU_UNSHIPPED,
	CPROF_OFFCPU_UNSHIPPED_NS,	/* their time, ns */
	/* the bench's latency histogram (CPROF_BPF_LATENCY=1; zeros without
	 * it): target samples timed from the program's entry to its exit,
	 * their ns summed, and counted by bucket (bpf/lat_hist.h); and the ns
	 * between two clock reads back to back at each exit, summed: what one
	 * read costs there. Not drops. */
	CPROF_LAT_NS,
	CPROF_LAT_CLOCK_NS,
	CPROF_LAT_BUCKET0,
	CPROF_LAT_BUCKET_LAST = CPROF_LAT_BUCKET0 + CPROF_LAT_NR_BUCKETS - 1,
	CPROF_NR_COUNTERS,
};

/* How user stacks are taken (the rodata `copy_stacks`). */
enum cprof_unwind {
	CPROF_UNWIND_FP = 0,	/* bpf_get_stackid(): frame pointers, aggregated in the kernel */
	CPROF_UNWIND_COPY = 1,	/* registers and a copy of the stack, unwound in userspace */
	CPROF_UNWIND_KERNEL = 2,	/* walked in the kernel with the unwind tables (bpf/unwind.h);
					 * a stack copy for processes without them */
};

/* Stack-copy mode: one record per sample of a user task in the `ustacks` ring
 * buffer, followed by stack_len bytes of the user stack from sp upwards. The
 * kernel stack still goes through the stack map of `slot`. */
struct cprof_stack_record {
	__u32 tgid;
	__u32 tid;
	__u64 start_ticks;
	__u64 kern_stack;	/* key in stacks<slot> when kern_lost is CPROF_STACK_OK */
	__u64 ip, sp, bp, bx;	/* user registers (at kernel entry when sampled in the kernel) */
	__u64 py_stack;		/* key in pystacks<slot> when py_lost is CPROF_PY_OK */
	__u32 slot;
	__u32 stack_len;	/* bytes that follow */
	__u8 kern_lost;		/* enum cprof_stack_lost */
	__u8 state;		/* as in struct cprof_key */
	__u8 py_lost;		/* enum cprof_py_lost (bpf/python.h) */
	__u8 pad[5];
	char comm[CPROF_COMM_LEN];
	__u64 value;		/* 1 (a CPU sample), or off-CPU ns when state is set */
	__u64 stack_top;	/* main thread: where its stack began (mm->start_stack), so
				 * top - sp is how deep it is; 0 for other threads */
};

enum cprof_event_type {
	CPROF_EV_NEW = 1,	/* first sample of a process: capture its mappings now */
	CPROF_EV_EXEC = 2,	/* exec: mappings replaced */
	CPROF_EV_EXIT = 3,	/* the whole process exited */
	CPROF_EV_FORK = 4,	/* a followed target forked a new process */
	CPROF_EV_REMAP = 5,	/* --unwind auto: a walk met code mapped since its
				 * mappings were pushed (bpf/unwind.bpf.h) */
	CPROF_EV_PYSTACK = 6,	/* a Python stack first seen in its process: its
				 * frames (bpf/python.h) follow, pad of them */
};

#define CPROF_EXE_LEN		64
/* CPROF_EV_EXEC sent once the program ran code of its own executable
 * (--unwind auto holds execs, bpf/sample.bpf.c): ld.so is done, the
 * libraries it loads at start are all mapped. */
#define CPROF_EXEC_STARTED	1u

struct cprof_event {
	__u32 type;
	__u32 tgid;
	__u64 start_ticks;
	__u32 ppid;		/* CPROF_EV_FORK: the parent tgid */
	__u32 pad;		/* CPROF_EV_PYSTACK: how many frames follow;
				 * CPROF_EV_EXEC: CPROF_EXEC_* flags */
	__u64 time_ns;		/* CLOCK_MONOTONIC as it was sent (0 for a PYSTACK) */
	/* CPROF_EV_EXEC: what the process became, read as it execs, so that
	 * userspace need not read /proc for it (zeros in the other events) */
	__u64 cgroups;		/* which cgroups it is in, all hierarchies (v1 and
				 * v2) hashed together: equal for two processes
				 * exactly when they share every cgroup; 0: unknown */
	char comm[CPROF_COMM_LEN];
	char exe[CPROF_EXE_LEN];	/* its executable file's own name, cut */
};

#endif
