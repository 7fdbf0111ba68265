/* SPDX-License-Identifier: MIT */
/* sym_fstarts: function starts of a binary from its unwind tables, for code
 * no symbol table covers. Every function the compiler emitted CFI for has an
 * FDE whose range [start, end) is the function; stripped binaries keep
 * .eh_frame. The FDE headers are parsed by cfi (bounded, hostile input
 * welcome; the programs are not run), sorted, and overlaps dropped. Immutable
 * once built. Never prints.
 * Depends on cfi, uw_table, sym_elf_section and libelf only; never prints.
 */
#ifndef CPROF_SYM_FSTARTS_H
#define CPROF_SYM_FSTARTS_H

#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

#include "symbolize/uw_table.h"

struct sym_fstarts;

/* From the .eh_frame and .debug_frame of elf (borrowed for the call). An ELF
 * without CFI gives an empty index. NULL and errno on failure (ENOMEM). */
struct sym_fstarts *sym_fstarts__from_elf(Elf *elf)
	__attribute__((warn_unused_result));
/* Buffer-level entry point (fuzzing): from raw CFI sections, at most
 * CFI_MAX_SECTIONS (4), borrowed for the call. */
struct sym_fstarts *sym_fstarts__from_sections(const struct uw_cfi_section *secs, size_t n)
	__attribute__((warn_unused_result));
/* NULL is a no-op. */
void sym_fstarts__free(struct sym_fstarts *f);

/* The function containing vaddr: 0 and *ret_start (its first address), or
 * -ENOENT when no FDE covers vaddr. */
int sym_fstarts__lookup(const struct sym_fstarts *f, uint64_t vaddr, uint64_t *ret_start)
	__attribute__((warn_unused_result));
/* Number of functions indexed. */
size_t sym_fstarts__count(const struct sym_fstarts *f);

#endif
