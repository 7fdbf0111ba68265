/* SPDX-License-Identifier: MIT */
/* sym_untrusted_elf: reports to libdwfl an ELF file that someone other than
 * root owns, read with pread (ELF_C_READ) instead of mapped. libdwfl maps
 * the files it opens; a user who truncates their own library while cprof has
 * it mapped would kill cprof with SIGBUS. Read this way, a truncated file
 * only makes reads fail. Costs heap for the sections read (symbol tables,
 * DWARF) where a mapping would cost page cache. libdwfl and libelf only.
 * Depends on libelf and libdw only; never prints.
 */
#ifndef CPROF_SYM_UNTRUSTED_ELF_H
#define CPROF_SYM_UNTRUSTED_ELF_H

#include <stdbool.h>
#include <elfutils/libdwfl.h>

/* Read, not mapped, such a file costs heap for what is read: files over this
 * bound, or mostly holes (sparse: its owner pays no disk for the size), are
 * refused with EFBIG. */
#define SYM_UNTRUSTED_ELF_MAX_BYTES (1ull << 30)

/* Whether fd is a file only root can change: owned by root and writable by
 * no group or other. (A memfd has mode 0777: the vDSO image is read too.) */
bool sym_untrusted_elf__trusted(int fd);

/* Between dwfl_report_begin() and dwfl_report_end(): report fd (consumed,
 * even on failure) as module name at base 0, its addresses the ELF vaddrs,
 * as dwfl_report_elf(..., 0, true) does. The Dwfl's callbacks must have
 * find_elf = sym_untrusted_elf__find_elf, and the first
 * dwfl_module_getelf() must come before the next call on this thread.
 * Returns the module, or NULL and errno (EFBIG: over the bound above). */
Dwfl_Module *sym_untrusted_elf__report(Dwfl *dwfl, const char *name, int fd);

/* The Dwfl_Callbacks.find_elf handing libdwfl the Elf reported above. */
int sym_untrusted_elf__find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
				Dwarf_Addr base, char **file_name, Elf **elfp)
	__attribute__((warn_unused_result));

/* Drop a reported Elf that libdwfl never asked for (on error paths). */
void sym_untrusted_elf__forget(void);

#endif
