/* SPDX-License-Identifier: MIT */
/* sym_gopclntab: names for Go binaries without a symbol table, from the
 * runtime's own pclntab (the table Go keeps for tracebacks, which
 * `-ldflags='-s -w'` does not strip): function names, file:line, and the
 * inlined frames where FUNCDATA_InlTree / PCDATA_InlTreeIndex record them.
 * Formats of Go 1.16-1.17 (magic 0xfffffffa), 1.18-1.19 (0xfffffff0) and 1.20
 * onwards (0xfffffff1), little-endian 64-bit only. The table is found by its
 * section (.gopclntab) or, where it has none (PIE builds put it in
 * .data.rel.ro), by its magic in the file's read-only segments. Every offset
 * read from the file is checked against the bytes that hold it; lookups cost
 * a binary search plus one pass over the function's own pc tables. No Go
 * toolchain at run time. Never prints.
 * Depends on sym_elf_section, sym_elf's frame type and libelf only; never prints.
 */
#ifndef CPROF_SYM_GOPCLNTAB_H
#define CPROF_SYM_GOPCLNTAB_H

#include <stddef.h>
#include <stdint.h>
#include <libelf.h>

#include "symbolize/sym_elf.h"

struct sym_gopclntab;

/* The table of elf, which must stay open (its bytes are borrowed) until
 * sym_gopclntab__free(). NULL with errno ENOENT when elf is no Go binary or
 * holds no table this reader understands, ENOMEM. */
struct sym_gopclntab *sym_gopclntab__from_elf(Elf *elf)
	__attribute__((warn_unused_result));
/* Buffer-level entry point (fuzzing): a whole ELF file image, borrowed until
 * sym_gopclntab__free(). Same errors, EINVAL when it is not ELF. */
struct sym_gopclntab *sym_gopclntab__from_image(const void *image, size_t size)
	__attribute__((warn_unused_result));
/* NULL is a no-op. */
void sym_gopclntab__free(struct sym_gopclntab *g);

/* Go version family of the table: 116, 118 or 120. */
int sym_gopclntab__version(const struct sym_gopclntab *g)
	__attribute__((warn_unused_result));

/* Frames for an ELF virtual address, innermost inlined call first and the
 * physical function last (as sym_elf__resolve); at most max written, the
 * physical function always kept. Returns the count, 0 when no function
 * covers vaddr. Strings point into the file's bytes, valid until free. */
int sym_gopclntab__resolve(const struct sym_gopclntab *g, uint64_t vaddr,
			   struct sym_elf_frame *frames, size_t max)
	__attribute__((warn_unused_result));

#endif
