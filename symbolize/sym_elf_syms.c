// SPDX-License-Identifier: MIT
/* sym_elf_syms: see sym_elf_syms.h. */
#include "symbolize/sym_elf_syms.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct elf_sym {
	GElf_Addr addr;		/* bias-adjusted, as dwfl addresses */
	GElf_Xword size;
	const char *name;
	int rank;		/* among aliases the highest wins (sym_rank()) */
};

struct sym_elf_syms {
	struct elf_sym *syms;
	size_t n;
};

/* Which of several names for one address a user should see, as perf
 * report does for libc (free, not cfree@GLIBC_2.2.5 or __libc_free):
 * global over weak over local, then a default version ("name" or
 * "name@@V") over a hidden one ("name@V", kept only for old binaries),
 * then fewer leading underscores (the others are internal aliases). */
static int sym_rank(const char *name, int bind)
{
	const char *at = strchr(name, '@');
	int underscores = 0;

	while (name[underscores] == '_' && underscores < 3)
		underscores++;
	return (bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0) * 8 +
	       (!at || at[1] == '@') * 4 + (3 - underscores);
}

/* By address; among aliases the best last, so lookups take the last one.
 * Ties go to the shorter name, then the byte order, so the choice does not
 * depend on the order of the symbol table. */
static int elf_sym_cmp(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;
	size_t xl, yl;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	xl = strcspn(x->name, "@");
	yl = strcspn(y->name, "@");
	if (xl != yl)
		return xl < yl ? 1 : -1;
	return -strcmp(x->name, y->name);
}

/* The string tables names are checked against (name_ends_in_strtab()). */
struct strtab_span {
	Elf *elf;
	const char *lo, *hi;
};

/* libdwfl checks that a symbol's name starts inside its string table, not
 * that it ends there: in a hostile binary the last name can run off the end
 * of the buffer (the fuzzer found it). A name is kept only when a NUL ends
 * it inside a string table of the ELF its symbol came from. ELF files
 * without section headers (symbols only through PT_DYNAMIC) cannot be
 * checked and give no names; function starts still name their code. */
static bool name_ends_in_strtab(struct strtab_span *last, Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;

	if (!elf)
		return false;
	if (last->elf != elf || name < last->lo || name >= last->hi) {
		last->elf = NULL;
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			Elf_Data *d;

			if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_STRTAB ||
			    !(d = elf_getdata(scn, NULL)) || !d->d_buf)
				continue;
			if (name >= (const char *)d->d_buf &&
			    name < (const char *)d->d_buf + d->d_size) {
				*last = (struct strtab_span){ elf, d->d_buf,
							      (const char *)d->d_buf + d->d_size };
				break;
			}
		}
		if (!last->elf)
			return false;
	}
	return memchr(name, '\0', (size_t)(last->hi - name)) != NULL;
}

struct sym_elf_syms *sym_elf_syms__build(Dwfl_Module *mod)
{
	int n = dwfl_module_getsymtab(mod);
	size_t cap = n > 0 ? (size_t)n : 0;
	struct strtab_span last = { 0 };
	struct sym_elf_syms *t;

	if (!cap || !(t = calloc(1, sizeof(*t))))
		return NULL;
	if (!(t->syms = malloc(cap * sizeof(*t->syms)))) {
		free(t);
		return NULL;
	}
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		Elf *elf = NULL;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, &elf, NULL);
		int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);

		if (!name || !name_ends_in_strtab(&last, elf, name) || !*name ||
		    sym.st_shndx == SHN_UNDEF ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		t->syms[t->n++] = (struct elf_sym){
			.addr = addr, .size = sym.st_size, .name = name,
			.rank = sym_rank(name, bind),
		};
	}
	qsort(t->syms, t->n, sizeof(*t->syms), elf_sym_cmp);
	return t;
}

const char *sym_elf_syms__lookup(const struct sym_elf_syms *t, GElf_Addr addr)
{
	size_t lo = 0, hi;

	if (!t)
		return NULL;
	hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	if (!t->syms[lo - 1].size)
		return t->syms[lo - 1].name;
	/* nested or overlapping symbols: look back a little for one covering addr */
	for (size_t i = lo; i > 0 && lo - i < 16; i--) {
		const struct elf_sym *c = &t->syms[i - 1];

		if (addr < c->addr + c->size)
			return c->name;
	}
	return NULL;
}


void sym_elf_syms__free(struct sym_elf_syms *t)
{
	if (!t)
		return;
	free(t->syms);
	free(t);
}
