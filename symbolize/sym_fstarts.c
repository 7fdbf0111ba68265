// SPDX-License-Identifier: MIT
/* sym_fstarts: a sorted array of FDE ranges. Built from cfi's FDE
 * headers only, so indexing costs one pass over the CFI bytes and 16 bytes per
 * function; lookups are a binary search. Where two FDEs overlap (a hostile
 * file, or .eh_frame and .debug_frame describing the same code) the first by
 * start address is kept.
 * Depends on cfi, uw_table, sym_elf_section and libelf only; never prints.
 */
#include "symbolize/sym_fstarts.h"

#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_elf_section.h"
#include "symbolize/cfi.h"

struct range {
	uint64_t start, end;
};

struct sym_fstarts {
	struct range *r;
	size_t n;
};

void sym_fstarts__free(struct sym_fstarts *f)
{
	if (!f)
		return;
	free(f->r);
	free(f);
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? 1 : x->end > y->end ? -1 : 0; /* longest first */
}

static struct sym_fstarts *from_cfi(struct cfi *c)
{
	struct sym_fstarts *f = calloc(1, sizeof(*f));
	struct cfi_fde *v;
	size_t *n, kept = 0;
	uint64_t end = 0;

	if (!f)
		return NULL;
	v = cfi__fdes(c, &n);
	if (*n) {
		f->r = malloc(*n * sizeof(*f->r));
		if (!f->r) {
			free(f);
			errno = ENOMEM;
			return NULL;
		}
	}
	for (size_t i = 0; i < *n; i++)
		if (v[i].end > v[i].start)
			f->r[f->n++] = (struct range){ v[i].start, v[i].end };
	if (f->n > 1)
		qsort(f->r, f->n, sizeof(*f->r), range_cmp);
	for (size_t i = 0; i < f->n; i++) {
		if (kept && f->r[i].start < end)
			continue;
		f->r[kept++] = f->r[i];
		end = f->r[i].end;
	}
	f->n = kept;
	return f;
}

struct sym_fstarts *sym_fstarts__from_sections(const struct uw_cfi_section *secs, size_t n)
{
	struct uw_table_stats st = { 0 };
	struct cfi *c = cfi__new(NULL);
	struct sym_fstarts *f = NULL;
	int err = 0;

	if (!c)
		return NULL;
	for (size_t i = 0; i < n && !err; i++)
		err = cfi__add_section(c, &secs[i], &st);
	if (err == -ENOMEM)
		goto out;
	f = from_cfi(c);
out:
	cfi__free(c);
	if (!f)
		errno = ENOMEM;
	return f;
}

/* One CFI section of elf as the reader takes it; false when absent, empty or
 * compressed (a compressed .debug_frame in the binary itself is rare). */
static bool cfi_section(Elf *elf, const char *name, bool eh, struct uw_cfi_section *ret)
{
	GElf_Shdr sh, base;
	Elf_Data *data;
	Elf_Scn *scn = sym_elf_section__find(elf, name, false, &sh);

	if (!scn || (sh.sh_flags & SHF_COMPRESSED))
		return false;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || !data->d_size)
		return false;
	*ret = (struct uw_cfi_section){
		.data = data->d_buf, .size = data->d_size, .addr = sh.sh_addr, .eh = eh,
	};
	if (sym_elf_section__find(elf, ".text", false, &base))
		ret->text_base = base.sh_addr;
	if (sym_elf_section__find(elf, ".got", false, &base))
		ret->data_base = base.sh_addr;
	return true;
}

struct sym_fstarts *sym_fstarts__from_elf(Elf *elf)
{
	struct uw_cfi_section secs[2];
	const unsigned char *ident = elf ? (const unsigned char *)elf_getident(elf, NULL) : NULL;
	size_t n = 0;

	if (ident && ident[EI_CLASS] == ELFCLASS64) {	/* x86_64: 8-byte addresses */
		if (cfi_section(elf, ".eh_frame", true, &secs[n]))
			n++;
		if (cfi_section(elf, ".debug_frame", false, &secs[n]))
			n++;
	}
	return sym_fstarts__from_sections(secs, n);
}

int sym_fstarts__lookup(const struct sym_fstarts *f, uint64_t vaddr, uint64_t *ret_start)
{
	size_t lo = 0, hi = f ? f->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->r[mid].start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || vaddr >= f->r[lo - 1].end)
		return -ENOENT;
	*ret_start = f->r[lo - 1].start;
	return 0;
}

size_t sym_fstarts__count(const struct sym_fstarts *f)
{
	return f ? f->n : 0;
}
