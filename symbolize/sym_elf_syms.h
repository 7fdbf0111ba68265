/* SPDX-License-Identifier: MIT */
/* sym_elf_syms: a binary's function symbols (.symtab or .dynsym, as libdwfl
 * gives them) sorted by address, for one lookup per address:
 * dwfl_module_addrinfo() scans the whole table on every call (about 1 ms per
 * address in libLLVM). Among aliases of one address the name users expect
 * wins. Names point into libdwfl's tables: valid as long as the module.
 * Depends on libdwfl and libelf only; never prints.
 */
#ifndef CPROF_SYM_ELF_SYMS_H
#define CPROF_SYM_ELF_SYMS_H

#include <elfutils/libdwfl.h>
#include <gelf.h>

struct sym_elf_syms;

/* The index of mod's function symbols; NULL when it has none (or ENOMEM). */
struct sym_elf_syms *sym_elf_syms__build(Dwfl_Module *mod);
/* The function symbol containing addr (a dwfl address), or NULL. A sized
 * symbol must cover addr; a size-0 one is taken when it is the nearest
 * below. t may be NULL. */
const char *sym_elf_syms__lookup(const struct sym_elf_syms *t, GElf_Addr addr);
/* NULL is a no-op. */
void sym_elf_syms__free(struct sym_elf_syms *t);

#endif
