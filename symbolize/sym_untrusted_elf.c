// SPDX-License-Identifier: MIT
/* sym_untrusted_elf: dwfl_report_module() with the address range
 * dwfl_report_elf() would compute (first PT_LOAD's page-aligned vaddr to the
 * end of the last), and the Elf handed over through find_elf when libdwfl
 * first asks for it. The hand-over is a per-thread slot: libdwfl asks from
 * within the first dwfl_module_getelf() after reporting.
 * Depends on libelf and libdw only; never prints.
 */
#define _GNU_SOURCE
#include "symbolize/sym_untrusted_elf.h"

#include <errno.h>
#include <gelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static __thread struct {
	Elf *elf;
	int fd;
	char *name;
} pending = { .fd = -1 };

bool sym_untrusted_elf__trusted(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

void sym_untrusted_elf__forget(void)
{
	if (pending.elf)
		elf_end(pending.elf);
	if (pending.fd >= 0)
		close(pending.fd);
	free(pending.name);
	pending.elf = NULL;
	pending.fd = -1;
	pending.name = NULL;
}

static bool load_range(Elf *elf, GElf_Addr *ret_start, GElf_Addr *ret_end)
{
	size_t phnum;
	bool found = false;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &phnum) != 0)
		return false;
	for (size_t i = 0; i < phnum && !found; i++) {
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
			*ret_start = ph.p_vaddr & -ph.p_align;
			found = true;
		}
	}
	for (size_t i = phnum; found && i-- > 0;) {
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_memsz > 0) {
			*ret_end = ph.p_vaddr + ph.p_memsz;
			return *ret_end > *ret_start;
		}
	}
	return false;
}

Dwfl_Module *sym_untrusted_elf__report(Dwfl *dwfl, const char *name, int fd)
{
	GElf_Addr start = 0, end = 0;
	Dwfl_Module *mod;
	struct stat st;
	GElf_Ehdr eh;
	Elf *elf = NULL;

	sym_untrusted_elf__forget();
	if (fstat(fd, &st) != 0)
		goto out_fail;
	/* compressed filesystems keep binaries at a third or so: holes are far more */
	if ((uint64_t)st.st_size > SYM_UNTRUSTED_ELF_MAX_BYTES ||
	    (st.st_size > (1 << 20) && (uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size / 8)) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || !load_range(elf, &start, &end))
		goto out_fail;
	pending.name = strdup(name);
	if (!pending.name)
		goto out_fail;
	mod = dwfl_report_module(dwfl, name, start, end);
	if (!mod)
		goto out_fail;
	pending.elf = elf;
	pending.fd = fd;
	return mod;

out_fail:
	if (elf)
		elf_end(elf);
	close(fd);
	free(pending.name);
	pending.name = NULL;
	errno = ENOEXEC;
	return NULL;
}

int sym_untrusted_elf__find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
				Dwarf_Addr base, char **file_name, Elf **elfp)
{
	int fd = pending.fd;

	(void)mod;
	(void)userdata;
	(void)modname;
	(void)base;
	if (!pending.elf) {
		errno = ENOENT;
		return -1;
	}
	*elfp = pending.elf;
	/* the path .gnu_debuglink is searched next to; libdwfl frees it */
	*file_name = pending.name;
	pending.elf = NULL;
	pending.fd = -1;
	pending.name = NULL;
	return fd;
}
