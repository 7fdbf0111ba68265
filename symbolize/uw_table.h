/* SPDX-License-Identifier: MIT */
/* uw_table: one x86_64 binary's call frame information compiled into a
 * compact, sorted table, built once per binary (by build-id) and shared by
 * every process that maps it. The source is .eh_frame, and .debug_frame (of
 * the file itself or of its separate debug file) for code .eh_frame does not
 * cover. Each row holds what an unwinder needs to step from a frame to its
 * caller with only rsp, rbp, rbx and rip known: the CFA rule, where rbp and
 * rbx were saved, and whether this is the outermost frame or a signal
 * trampoline; the return address is always at CFA - 8. (rbx: ld.so's
 * lazy-binding trampolines realign the stack and keep their CFA in it.)
 *
 * The CFI is read by cfi.c, a bounded reader of our own (not libdw):
 * the build is linear in the bytes of CFI and bounded by struct uw_limits,
 * so a hostile binary costs at most its own frames.
 *
 * The table is two parallel arrays, sorted by pc: pc offsets (u32, relative
 * to uw_table__base()) and 8-byte rules. A row covers [its pc, the next pc).
 * That layout also suits BPF array maps, for unwinding in the kernel later.
 * libelf only; never prints.
 * Depends on cfi, sym_elf_section and libelf only; never prints.
 */
#ifndef CPROF_SYM_UW_TABLE_H
#define CPROF_SYM_UW_TABLE_H

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
	UW_CFA_RBX,		/* CFA = rbx + cfa_off (ld.so's _dl_runtime_resolve_*) */
	UW_CFA_UNSUPPORTED,	/* a rule this form cannot express (counted at build) */
};

enum uw_rbp_rule {
	UW_RBP_SAME = 0,	/* rbp unchanged in this frame */
	UW_RBP_AT_CFA,		/* the caller's rbp is saved at CFA + rbp_off */
	UW_RBP_UNDEFINED,	/* not recoverable */
	UW_RBP_AT_RBP,		/* saved at this frame's rbp + rbp_off (stack realignment) */
};

enum uw_rbx_rule {
	UW_RBX_SAME = 0,	/* rbx unchanged in this frame */
	UW_RBX_AT_CFA,		/* the caller's rbx is saved at CFA + 8 * rbx_off */
	UW_RBX_UNDEFINED,	/* not recoverable (or saved where this form cannot say) */
};

/* 8 bytes, no padding: libLLVM's table has a million rows. The three rules
 * share a byte; rbx's save slot is in words (push and mov leave it aligned:
 * within 1 KiB of the CFA, anything else is UW_RBX_UNDEFINED, counted). */
struct uw_rule {
	int32_t cfa_off;
	int16_t rbp_off;	/* UW_RBP_AT_CFA / _AT_RBP: offset from the CFA / rbp;
				 * UW_CFA_PLT: the (rip & 15) threshold */
	int8_t rbx_off;		/* UW_RBX_AT_CFA: offset from the CFA, in 8-byte words */
	uint8_t cfa : 4;	/* enum uw_cfa_rule */
	uint8_t rbp : 2;	/* enum uw_rbp_rule */
	uint8_t rbx : 2;	/* enum uw_rbx_rule */
};

/* The limits of one build. On a limit the rows of the FDEs already compiled
 * are kept, the rest is left out (no rows: no unwind information there), and
 * the reason is counted in uw_table_stats.limited[]. */
enum uw_limit {
	UW_LIMIT_BYTES,		/* CFI sections over max_cfi_bytes (counted per section) */
	UW_LIMIT_ENTRIES,	/* CIEs and FDEs past max_cies / max_fdes */
	UW_LIMIT_ROWS,		/* FDEs left out once the table held max_rows */
	UW_LIMIT_INSNS,		/* FDEs whose program ran over max_insns (range UNSUPPORTED) */
	UW_LIMIT_DEPTH,		/* FDEs nesting remember_state over max_depth (UNSUPPORTED) */
	UW_NR_LIMITS
};

struct uw_limits {
	uint64_t max_cfi_bytes;	/* bytes of CFI sections read per binary */
	uint32_t max_rows;	/* rows per table (12 bytes each) */
	uint32_t max_fdes;	/* FDEs per binary */
	uint32_t max_cies;	/* CIEs per binary */
	uint32_t max_insns;	/* CFA instructions executed per FDE, its CIE's included */
	uint32_t max_depth;	/* DW_CFA_remember_state nesting */
};

/* The limits uw_table__build() applies: 128 MiB of CFI, 4 Mi rows (48 MiB),
 * 1 Mi FDEs, 64 Ki CIEs, 1 Mi instructions per FDE, depth 64. libLLVM-14
 * (4.8 MiB of .eh_frame) needs 95 k FDEs and 0.95 M rows. The worst input
 * within them costs about 0.5 s of CPU and 50 MiB besides the mapped file. */
struct uw_limits uw_limits__default(void);

struct uw_table_stats {
	uint64_t fdes;		/* FDEs compiled */
	uint64_t fdes_failed;	/* FDEs whose program is malformed: UNSUPPORTED from
				 * where it went wrong */
	uint64_t entries_bad;	/* CIEs and FDEs refused: lengths past their section,
				 * CIE pointers to no CIE, unknown encodings */
	uint64_t limited[UW_NR_LIMITS];	/* what each limit left out (enum uw_limit) */
	uint64_t rows;		/* rows in the table, after merging equal neighbours */
	uint64_t unsupported;	/* CFI rows this form cannot express (wholly, or the
				 * save slot of rbp or rbx), before merging */
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
struct uw_table *uw_table__build(Elf *elf, uw_debug_elf_fn debug_elf, void *ctx)
	__attribute__((warn_unused_result));
/* The same with explicit limits (lim NULL: the defaults). */
struct uw_table *uw_table__build_limits(Elf *elf, uw_debug_elf_fn debug_elf, void *ctx,
					const struct uw_limits *lim)
	__attribute__((warn_unused_result));
/* The same from an ELF image in memory (len bytes at image, borrowed for the
 * call), without a separate debug file: for fuzzing the whole path from bytes.
 * EINVAL when image is not an ELF file. */
struct uw_table *uw_table__build_image(const void *image, size_t len,
				       const struct uw_limits *lim)
	__attribute__((warn_unused_result));

/* From raw CFI sections (.eh_frame and/or .debug_frame contents with their
 * addresses), without any ELF: n sections, at most 4. Code size is unknown
 * here, so no section is looked for. */
struct uw_cfi_section {
	const void *data;
	size_t size;
	uint64_t addr;		/* the section's address (DW_EH_PE_pcrel base) */
	uint64_t text_base;	/* DW_EH_PE_textrel base (0: refused) */
	uint64_t data_base;	/* DW_EH_PE_datarel base (0: refused) */
	bool eh;		/* .eh_frame; false: .debug_frame */
};
struct uw_table *uw_table__build_sections(const struct uw_cfi_section *secs, size_t n,
					  const struct uw_limits *lim)
	__attribute__((warn_unused_result));
/* NULL is a no-op. */
void uw_table__free(struct uw_table *t);

/* The rule for an ELF virtual address: 0 and *ret, or -ENOENT when pc lies
 * outside the table (also when it falls in a gap between FDEs, where *ret is
 * not written either). */
int uw_table__lookup(const struct uw_table *t, uint64_t pc, struct uw_rule *ret)
	__attribute__((warn_unused_result));

/* Build statistics, valid for the table's lifetime. */
const struct uw_table_stats *uw_table__stats(const struct uw_table *t);
/* What the build left out: CFI entries refused as malformed plus everything
 * counted in limited[] (FDEs, and sections for UW_LIMIT_BYTES). */
uint64_t uw_table__dropped(const struct uw_table *t);

/* The raw rows, for loading elsewhere (BPF maps): n rows, pcs[i] + base is the
 * first ELF vaddr of row i. Borrowed; valid until uw_table__free(). */
size_t uw_table__rows(const struct uw_table *t, uint64_t *ret_base, const uint32_t **ret_pcs,
		      const struct uw_rule **ret_rules);

#endif
