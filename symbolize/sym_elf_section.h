/* SPDX-License-Identifier: MIT */
/* sym_elf_section: finding an ELF section by name, for the readers that take
 * one section from a binary (.eh_frame, .debug_frame, .gopclntab, .text...).
 * Never prints. libelf only.
 * Depends on libelf only; never prints.
 */
#ifndef CPROF_SYM_ELF_SECTION_H
#define CPROF_SYM_ELF_SECTION_H

#include <stdbool.h>
#include <gelf.h>

/* The first section of elf named name, and its header in *ret_shdr (written
 * only when found); NULL when there is none or the section names cannot be
 * read. A SHT_NOBITS section (no bytes in this file: .bss, or the sections a
 * separate debug file keeps only as headers) counts only with nobits: its
 * address and size are real, its data is not there. The Elf_Scn lives as
 * long as elf. */
Elf_Scn *sym_elf_section__find(Elf *elf, const char *name, bool nobits, GElf_Shdr *ret_shdr);

#endif /* CPROF_SYM_ELF_SECTION_H */
