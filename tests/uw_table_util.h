/* SPDX-License-Identifier: MIT */
/* Shared by the unwind table suites (check_unwind_table, check_cfi_reader):
 * an ELF file opened with libelf, a symbol's address, and the assertion that
 * a table holds a given rule at a pc. Test-only; header-only because each
 * suite is one translation unit. */
#ifndef CPROF_TESTS_UW_TABLE_UTIL_H
#define CPROF_TESTS_UW_TABLE_UTIL_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/uw_table.h"

struct elf_file {
	int fd;
	Elf *elf;
};

static inline struct elf_file open_elf(const char *path)
{
	struct elf_file f;

	elf_version(EV_CURRENT);
	f.fd = open(path, O_RDONLY);
	ck_assert_msg(f.fd >= 0, "%s: %s", path, strerror(errno));
	f.elf = elf_begin(f.fd, ELF_C_READ_MMAP, NULL);
	ck_assert_ptr_nonnull(f.elf);
	return f;
}

static inline void close_elf(struct elf_file *f)
{
	elf_end(f->elf);
	close(f->fd);
}

static inline uint64_t sym(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;

			if (gelf_getsym(d, (int)i, &s) &&
			    !strcmp(elf_strptr(elf, sh.sh_link, s.st_name), name))
				return s.st_value;
		}
	}
	ck_abort_msg("no symbol %s", name);
	return 0;
}

static inline void expect_rule(const struct uw_table *t, uint64_t pc, enum uw_cfa_rule cfa, int cfa_off,
			enum uw_rbp_rule rbp, int rbp_off)
{
	struct uw_rule r;

	ck_assert_msg(uw_table__lookup(t, pc, &r) == 0, "no row at %#lx", (unsigned long)pc);
	ck_assert_msg(r.cfa == cfa && r.cfa_off == cfa_off && r.rbp == rbp && r.rbp_off == rbp_off,
		      "%#lx: cfa %u%+d rbp %u%+d, want cfa %u%+d rbp %u%+d", (unsigned long)pc, r.cfa,
		      r.cfa_off, r.rbp, r.rbp_off, cfa, cfa_off, rbp, rbp_off);
}

#endif
