/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ABI between the in-kernel unwinder (bpf/unwind.bpf.h, --unwind auto)
 * and the profiler (profiler/core/kunwind.c): the rows of the compiled unwind
 * tables (symbolize/uw_table.h) in one big array shared by every process, and
 * per process its executable mappings, each naming its binary's row range.
 * A walked stack is stored in the slot's stack map as chained chunks of
 * struct cprof_stack (bpf/sample.h), so frame-pointer and kernel stacks keep
 * their one map and drain. Plain fixed-width types only (clang and gcc). */
#ifndef CPROF_BPF_UNWIND_H
#define CPROF_BPF_UNWIND_H

/* One row: struct uw_rule unpacked and its pc offset, 16 bytes (array
 * elements are 8-byte aligned anyway). pc is relative to the mapping's base. */
struct cprof_uw_row {
	__u32 pc;
	__s32 cfa_off;
	__s16 rbp_off;
	__u8 cfa;		/* enum uw_cfa_rule */
	__u8 rbp;		/* enum uw_rbp_rule */
	__s16 rbx_off;		/* CPROF_UW_RBX_AT_CFA: offset from the CFA, in bytes */
	__u8 rbx;		/* enum uw_rbx_rule */
	__u8 pad;
};

/* enum uw_cfa_rule, uw_rbp_rule and uw_rbx_rule (symbolize/uw_table.h),
 * for the BPF side; profiler/core/kunwind.c asserts they match. */
#define CPROF_UW_CFA_NONE	0
#define CPROF_UW_CFA_RSP	1
#define CPROF_UW_CFA_RBP	2
#define CPROF_UW_CFA_PLT	3
#define CPROF_UW_CFA_RBP_DEREF	4
#define CPROF_UW_CFA_SIGNAL	5
#define CPROF_UW_CFA_OUTERMOST	6
#define CPROF_UW_CFA_RBX	7
#define CPROF_UW_RBP_SAME	0
#define CPROF_UW_RBP_AT_CFA	1
#define CPROF_UW_RBP_AT_RBP	3
#define CPROF_UW_RBX_SAME	0
#define CPROF_UW_RBX_AT_CFA	1

#define CPROF_UW_MAX_MAPS	128	/* executable mappings per process */

/* A binary's rows are preceded in uw_rows by its page index: for each 4 KiB
 * page of row pcs (pc >> CPROF_UW_PAGE_SHIFT), the index of the last row at
 * or below the page's start, four to a row's 16 bytes. A lookup then
 * searches the rows of one page, a few cache lines, not the whole table
 * (20-odd probes, each a cache miss, in libLLVM's million rows). */
#define CPROF_UW_PAGE_SHIFT	12
#define CPROF_UW_MAX_PAGES	(1u << 20)	/* row pcs are 32-bit: 2^32 >> 12 */
#define CPROF_UW_PAGE_ROWS(pages)	(((pages) + 3) / 4)	/* rows the index takes */

/* One executable mapping of a process. */
struct cprof_uw_map {
	__u64 start, end;	/* [start, end) addresses */
	__u64 base;		/* row pc = address - base */
	__u64 entry;		/* the binary's entry point (_start) as an address; 0: none */
	__u32 first, count;	/* its binary's rows in uw_rows; count 0: no unwind
				 * information (JIT, a binary without CFI): frame pointers */
	__u32 pages;		/* entries of its page index (ending at first); 0: none */
	__u32 pad;
};

/* The value of `uw_procs`, keyed by tgid: the mappings sorted by start. */
struct cprof_uw_proc {
	__u64 start_ticks;	/* the process it was made for (pid reuse) */
	__u64 remap_ns;		/* written by BPF: last CPROF_EV_REMAP sent */
	__u64 gen;		/* unique to this push: keys the per-CPU row cache */
	__u32 nr;
	__u32 pad;
	struct cprof_uw_map maps[CPROF_UW_MAX_MAPS];
};

/* A walked stack of more than CPROF_UW_CHUNK frames continues in another
 * entry of the same stack map: ips[CPROF_UW_CHUNK] is CPROF_STACK_CONT and
 * ips[CPROF_UW_CHUNK + 1] the key of the next chunk. */
#define CPROF_UW_CHUNK		125
#define CPROF_UW_CHUNKS		8
#define CPROF_UW_MAX_FRAMES	(CPROF_UW_CHUNK * CPROF_UW_CHUNKS)	/* 1000 */
#define CPROF_STACK_CONT	0xfffffffffffffe00ULL	/* never a code address */
/* A walk that did not reach the outermost frame ends with this plus its
 * stop (RAW_IP_MARKER of raw_profile.h, asserted there to match). */
#define CPROF_UW_STOP_MARKER	0xffffffffffffff00ULL

/* How walks ended, indices of the per-CPU `uw_counts` array: the values of
 * enum uw_stop (symbolize/unwinder.h) first, then the samples sent to the
 * stack copy instead (no tables pushed for the process yet, or it fell back). */
enum cprof_uw_counter {
	CPROF_UWC_COMPLETE = 0,		/* UW_STOP_OUTERMOST */
	CPROF_UWC_TRUNCATED,		/* unused in the kernel: there is no window */
	CPROF_UWC_UNREADABLE,		/* UW_STOP_COPY_SHORT: user memory that could not be read */
	CPROF_UWC_NO_INFO,
	CPROF_UWC_NO_MAPPING,		/* unused: such a sample goes to the stack copy */
	CPROF_UWC_BAD_RULE,		/* UW_STOP_UNSUPPORTED */
	CPROF_UWC_BAD_FRAME,
	CPROF_UWC_DEPTH,		/* CPROF_UW_MAX_FRAMES reached */
	CPROF_UWC_NR_STOPS,
	CPROF_UWC_COPIED = CPROF_UWC_NR_STOPS,	/* sample unwound from a stack copy instead */
	CPROF_UWC_NR,
};

#endif
