// SPDX-License-Identifier: MIT
/* sym_elf_section: a walk over the section headers, names read through the
 * section-name string table; unreadable headers are skipped, not fatal.
 * Depends on libelf only; never prints.
 */
#include "symbolize/sym_elf_section.h"

#include <string.h>

Elf_Scn *sym_elf_section__find(Elf *elf, const char *name, bool nobits, GElf_Shdr *ret_shdr)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh) || (!nobits && sh.sh_type == SHT_NOBITS))
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			*ret_shdr = sh;
			return scn;
		}
	}
	return NULL;
}
