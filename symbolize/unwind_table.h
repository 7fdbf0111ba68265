/* SPDX-License-Identifier: MIT */
/* uw_table: one x86_64 binary's call frame information compiled into a
 * compact, sorted table, built once per binary (by build-id) and shared by
 * every process that maps it. The source is .eh_frame, and .debug_frame (of
 * the file itself or of its separate debug file) for code .eh_frame does not
 * cover, read through libdw's CFI interface. Each row holds what an unwinder
 * needs to step from a frame to its caller with only rsp, rbp and rip known:
 * the CFA rule, where rbp was saved, and whether this is the outermost frame
 * or a signal trampoline; the return address is always at CFA - 8.
 *
 * The table is two parallel arrays, sorted by pc: pc offsets (u32, relative
 * to uw_table__base()) and 8-byte rules. A row covers [its pc, the next pc).
 * That layout also suits BPF array maps, for unwinding in the kernel later.
 * libdw and libelf only; never prints.
 */
#ifndef CPROF_SYM_UNWIND_TABLE_H
#define CPROF_SYM_UNWIND_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

enum uw_cfa_rule {
	UW_CFA_NONE = 0,	/* no FDE covers this pc: no unwind information */
	UW_CFA_RSP,		/* CFA = rsp + cfa_off */
	UW_CFA_RBP,		/* CFA = rbp + cfa_off */
	UW_CFA_PLT,		/* lazy-binding PLT stub: CFA = rsp + cfa_off, plus 8 when
				 * (rip & 15) >= rbp_off (the expression binutils emits) */
	UW_CFA_RBP_DEREF,	/* CFA = *(rbp + cfa_off): after a stack realignment */
	UW_CFA_SIGNAL,		/* signal trampoline (__restore_rt): the interrupted rsp,
				 * rbp and rip are in the ucontext at rsp (x86_64 layout) */
	UW_CFA_OUTERMOST,	/* return address undefined: the first frame of a thread */
	UW_CFA_UNSUPPORTED,	/* a rule this form cannot express (counted at build) */
};

enum uw_rbp_rule {
	UW_RBP_SAME = 0,	/* rbp unchanged in this frame */
	UW_RBP_AT_CFA,		/* the caller's rbp is saved at CFA + rbp_off */
	UW_RBP_UNDEFINED,	/* not recoverable */
	UW_RBP_AT_RBP,		/* saved at this frame's rbp + rbp_off (stack realignment) */
};

struct uw_rule {		/* 8 bytes, no padding */
	int32_t cfa_off;
	int16_t rbp_off;	/* UW_RBP_AT_CFA / _AT_RBP: offset from the CFA / rbp;
				 * UW_CFA_PLT: the (rip & 15) threshold */
	uint8_t cfa;		/* enum uw_cfa_rule */
	uint8_t rbp;		/* enum uw_rbp_rule */
};

struct uw_table_stats {
	uint64_t fdes;		/* FDEs compiled */
	uint64_t fdes_failed;	/* FDEs libdw could not evaluate (their range is UNSUPPORTED) */
	uint64_t rows;		/* rows in the table, after merging equal neighbours */
	uint64_t unsupported;	/* CFI rows this form cannot express, before merging */
	uint64_t bytes;		/* memory held by the table */
	bool eh_frame;		/* rows came from .eh_frame */
	bool debug_frame;	/* rows came from .debug_frame */
};

struct uw_table;

/* Finds the separate debug file of the binary being compiled, or NULL. */
typedef Elf *(*uw_debug_elf_fn)(void *ctx);

/* Compile the CFI of elf (an ELF file or image as libelf opened it). The
 * separate debug file (debug_elf(ctx), when debug_elf is not NULL) is looked
 * for only when .eh_frame and the file's own .debug_frame cover less than half
 * of the executable code; its .debug_frame then fills the gaps. No Elf is kept.
 * Returns a new table (free it with uw_table__free) or NULL and errno: ENOENT
 * when there is no usable CFI at all, ERANGE when the code spans more than
 * 4 GiB, ENOMEM. */
struct uw_table *uw_table__build(Elf *elf, uw_debug_elf_fn debug_elf, void *ctx);
/* NULL is a no-op. */
void uw_table__free(struct uw_table *t);

/* The rule for an ELF virtual address: 0 and *ret, or -ENOENT when pc lies
 * outside the table (also when it falls in a gap between FDEs, where *ret is
 * not written either). */
int uw_table__lookup(const struct uw_table *t, uint64_t pc, struct uw_rule *ret);

/* Build statistics, valid for the table's lifetime. */
const struct uw_table_stats *uw_table__stats(const struct uw_table *t);

/* The raw rows, for loading elsewhere (BPF maps): n rows, pcs[i] + base is the
 * first ELF vaddr of row i. Borrowed; valid until uw_table__free(). */
size_t uw_table__rows(const struct uw_table *t, uint64_t *ret_base, const uint32_t **ret_pcs,
		      const struct uw_rule **ret_rules);

#endif
