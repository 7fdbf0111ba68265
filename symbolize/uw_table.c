// SPDX-License-Identifier: MIT
/* uw_table builder. The CFI sections are found with libelf and read by
 * cfi (bounded, linear); their FDEs are sorted, overlaps dropped
 * (.eh_frame wins), and each FDE's program is run once into rows of the
 * compact rule form. Equal neighbours merge; gaps between FDEs get a NONE row
 * so a pc there is never unwound with its neighbour's rule. Rows are kept as
 * u32 offsets from the first FDE from the start, so the build holds 12 bytes
 * per row and the table is the build's arrays, trimmed.
 * Depends on cfi, sym_elf_section and libelf only; never prints.
 */
#include "symbolize/uw_table.h"

#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_elf_section.h"
#include "symbolize/cfi.h"

struct uw_table {
	uint64_t base;
	size_t n;
	uint32_t *pcs;
	struct uw_rule *rules;
	struct uw_table_stats stats;
};

/* Rows under construction, pcs relative to base. */
struct rows {
	uint64_t base;
	uint32_t *pcs;
	struct uw_rule *rules;
	size_t n, cap, max;
};

/* --- sections -------------------------------------------------------------- */

static uint64_t section_addr(Elf *elf, const char *name)
{
	GElf_Shdr sh;

	return sym_elf_section__find(elf, name, false, &sh) ? sh.sh_addr : 0;
}

/* Hand one CFI section of elf to the reader. A compressed section is
 * inflated only when its announced size fits the byte limit left. */
static int add_section(struct cfi *c, Elf *elf, const char *name, bool eh, uint64_t *bytes_left,
		       struct uw_table_stats *st)
{
	struct uw_cfi_section sec = { .eh = eh };
	const unsigned char *ident = (const unsigned char *)elf_getident(elf, NULL);
	Elf_Data *data;
	GElf_Shdr sh;
	Elf_Scn *scn;
	int err;

	if (!ident || ident[EI_CLASS] != ELFCLASS64)
		return 0;	/* x86_64 only: 8-byte addresses */
	scn = sym_elf_section__find(elf, name, false, &sh);
	if (!scn)
		return 0;
	if (sh.sh_flags & SHF_COMPRESSED) {
		GElf_Chdr ch;

		if (!gelf_getchdr(scn, &ch))
			return 0;
		if (ch.ch_size > *bytes_left) {
			st->limited[UW_LIMIT_BYTES]++;
			return 0;
		}
		if (elf_compress(scn, 0, 0) < 0)
			return 0;
	}
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || !data->d_size)
		return 0;
	sec.data = data->d_buf;
	sec.size = data->d_size;
	sec.addr = sh.sh_addr;
	sec.text_base = section_addr(elf, ".text");
	sec.data_base = section_addr(elf, ".got");
	err = cfi__add_section(c, &sec, st);
	if (err)
		return err;
	*bytes_left -= sec.size <= *bytes_left ? sec.size : *bytes_left;
	return 0;
}

static int fde_cmp(const void *a, const void *b)
{
	const struct cfi_fde *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->debug != y->debug)
		return x->debug ? 1 : -1;	/* .eh_frame first */
	return 0;
}

/* Sort and drop FDEs that overlap one kept before them (.eh_frame wins). */
static void fdes_normalize(struct cfi *c)
{
	size_t *n, kept = 0;
	struct cfi_fde *v = cfi__fdes(c, &n);
	uint64_t end = 0;

	if (*n > 1)
		qsort(v, *n, sizeof(*v), fde_cmp);
	for (size_t i = 0; i < *n; i++) {
		if (kept && v[i].start < end) {
			/* a later .eh_frame FDE overriding a .debug_frame one it overlaps */
			if (v[kept - 1].debug && !v[i].debug && v[kept - 1].start == v[i].start) {
				v[kept - 1] = v[i];
				end = v[i].end;
			}
			continue;
		}
		v[kept++] = v[i];
		end = v[i].end;
	}
	*n = kept;
}

static uint64_t fdes_coverage(struct cfi *c)
{
	size_t *n;
	const struct cfi_fde *v = cfi__fdes(c, &n);
	uint64_t sum = 0;

	for (size_t i = 0; i < *n; i++)
		sum += v[i].end - v[i].start;
	return sum;
}

/* Bytes of executable code: SHF_EXECINSTR sections, or PF_X segments. */
static uint64_t code_bytes(Elf *elf)
{
	Elf_Scn *scn = NULL;
	uint64_t sum = 0;
	size_t phnum;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR) && sh.sh_type != SHT_NOBITS)
			sum += sh.sh_size;
	}
	if (sum || elf_getphdrnum(elf, &phnum) != 0)
		return sum;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X))
			sum += ph.p_filesz;
	}
	return sum;
}

/* --- rows -------------------------------------------------------------------- */

static bool rule_eq(const struct uw_rule *a, const struct uw_rule *b)
{
	return a->cfa == b->cfa && a->rbp == b->rbp && a->rbx == b->rbx &&
	       a->cfa_off == b->cfa_off && a->rbp_off == b->rbp_off && a->rbx_off == b->rbx_off;
}

/* Append a row at absolute pc (within 4 GiB above base). force: past max
 * (the closing NONE row). */
static int rows_push(struct rows *r, uint64_t abs_pc, const struct uw_rule *rule, bool force)
{
	uint32_t pc = (uint32_t)(abs_pc - r->base);

	if (r->n) {
		/* a row at the same pc replaces the previous one (a gap marker
		 * followed by an FDE starting right there) */
		if (r->pcs[r->n - 1] == pc) {
			r->n--;
			if (r->n && rule_eq(&r->rules[r->n - 1], rule))
				return 0;
		} else if (rule_eq(&r->rules[r->n - 1], rule)) {
			return 0;
		}
	}
	if (r->n >= r->max && !force)
		return CFI_LIMIT_ROWS;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		uint32_t *pcs;
		struct uw_rule *rules;

		if (cap > r->max + 1)
			cap = r->max + 1 > r->n ? r->max + 1 : r->n + 1;
		pcs = realloc(r->pcs, cap * sizeof(*pcs));
		if (!pcs)
			return -ENOMEM;
		r->pcs = pcs;
		rules = realloc(r->rules, cap * sizeof(*rules));
		if (!rules)
			return -ENOMEM;
		r->rules = rules;
		r->cap = cap;
	}
	r->pcs[r->n] = pc;
	r->rules[r->n++] = *rule;
	return 0;
}

static int row_cb(void *ctx, uint64_t pc, const struct uw_rule *rule)
{
	return rows_push(ctx, pc, rule, false);
}

/* Where a rollback returns to: the count and the last row (which a push at
 * its pc may have replaced). */
struct mark {
	size_t n;
	uint32_t pc;
	struct uw_rule rule;
};

static struct mark rows_mark(const struct rows *r)
{
	struct mark m = { .n = r->n };

	if (r->n) {
		m.pc = r->pcs[r->n - 1];
		m.rule = r->rules[r->n - 1];
	}
	return m;
}

static void rows_rollback(struct rows *r, const struct mark *m)
{
	r->n = m->n;
	if (m->n) {
		r->pcs[m->n - 1] = m->pc;
		r->rules[m->n - 1] = m->rule;
	}
}

static int compile(struct cfi *c, struct rows *rows, struct uw_table_stats *st)
{
	const struct uw_rule none = { .cfa = UW_CFA_NONE };
	const struct uw_rule unsup = { .cfa = UW_CFA_UNSUPPORTED };
	size_t *n;
	const struct cfi_fde *v = cfi__fdes(c, &n);
	uint64_t end = 0;
	size_t done = 0;
	int err;

	for (size_t i = 0; i < *n; i++) {
		const struct cfi_fde *f = &v[i];
		struct mark m = rows_mark(rows);

		err = done && f->start > end ? rows_push(rows, end, &none, false) : 0;
		if (!err)
			err = cfi__run_fde(c, f, row_cb, rows, &st->unsupported);
		switch (err) {
		case CFI_OK:
			break;
		case CFI_MALFORMED:
			st->fdes_failed++;
			break;
		case CFI_LIMIT_INSNS:
		case CFI_LIMIT_DEPTH:
			/* none of its rows: the whole range is UNSUPPORTED */
			rows_rollback(rows, &m);
			st->limited[err == CFI_LIMIT_INSNS ? UW_LIMIT_INSNS : UW_LIMIT_DEPTH]++;
			err = done && f->start > end ? rows_push(rows, end, &none, false) : 0;
			if (!err)
				err = rows_push(rows, f->start, &unsup, false);
			if (err == CFI_LIMIT_ROWS) {
				rows_rollback(rows, &m);
				goto out_rows;
			}
			if (err)
				return err;
			break;
		case CFI_LIMIT_ROWS:
			rows_rollback(rows, &m);
			goto out_rows;
		default:
			return err;	/* -ENOMEM */
		}
		st->fdes++;
		if (f->debug)
			st->debug_frame = true;
		else
			st->eh_frame = true;
		end = f->end;
		done++;
		continue;
out_rows:
		/* the table is full: this FDE and every one after it are left out */
		st->limited[UW_LIMIT_ROWS] += *n - i;
		break;
	}
	return done ? rows_push(rows, end, &none, true) : 0;
}

/* Compile the FDEs c holds into t. */
static int finish(struct uw_table *t, struct cfi *c, const struct uw_limits *lim)
{
	struct rows rows = { 0 };
	size_t *n;
	const struct cfi_fde *v = cfi__fdes(c, &n);
	int err;

	if (!*n)
		return -ENOENT;
	if (v[*n - 1].end - v[0].start > UINT32_MAX)
		return -ERANGE;
	rows.base = v[0].start;
	rows.max = lim ? lim->max_rows : uw_limits__default().max_rows;
	err = compile(c, &rows, &t->stats);
	if (err) {
		free(rows.pcs);
		free(rows.rules);
		return err;
	}
	if (!rows.n) {
		free(rows.pcs);
		free(rows.rules);
		return -ENOENT;
	}
	/* trim the doubling slack */
	t->pcs = realloc(rows.pcs, rows.n * sizeof(*t->pcs));
	if (!t->pcs)
		t->pcs = rows.pcs;
	t->rules = realloc(rows.rules, rows.n * sizeof(*t->rules));
	if (!t->rules)
		t->rules = rows.rules;
	t->base = rows.base;
	t->n = rows.n;
	t->stats.rows = rows.n;
	t->stats.bytes = sizeof(*t) + rows.n * (sizeof(*t->pcs) + sizeof(*t->rules));
	return 0;
}

static struct uw_table *build_out(struct uw_table *t, struct cfi *c, int err)
{
	cfi__free(c);
	if (err) {
		uw_table__free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

struct uw_table *uw_table__build_limits(Elf *elf, uw_debug_elf_fn get_debug_elf, void *ctx,
					const struct uw_limits *lim)
{
	struct uw_limits l = lim ? *lim : uw_limits__default();
	uint64_t left = l.max_cfi_bytes;
	struct uw_table *t = calloc(1, sizeof(*t));
	struct cfi *c = cfi__new(&l);
	Elf *debug_elf;
	int err;

	if (!t || !c)
		return build_out(t, c, -ENOMEM);
	err = add_section(c, elf, ".eh_frame", true, &left, &t->stats);
	/* the file's own .debug_frame: rare, cheap to look at */
	if (!err)
		err = add_section(c, elf, ".debug_frame", false, &left, &t->stats);
	if (err)
		return build_out(t, c, err);
	fdes_normalize(c);
	if (get_debug_elf && fdes_coverage(c) * 2 < code_bytes(elf)) {
		debug_elf = get_debug_elf(ctx);
		if (debug_elf && debug_elf != elf) {
			err = add_section(c, debug_elf, ".debug_frame", false, &left, &t->stats);
			if (err)
				return build_out(t, c, err);
			fdes_normalize(c);
		}
	}
	return build_out(t, c, finish(t, c, &l));
}

struct uw_table *uw_table__build(Elf *elf, uw_debug_elf_fn get_debug_elf, void *ctx)
{
	return uw_table__build_limits(elf, get_debug_elf, ctx, NULL);
}

struct uw_table *uw_table__build_image(const void *image, size_t len, const struct uw_limits *lim)
{
	struct uw_table *t;
	Elf *elf;

	elf_version(EV_CURRENT);
	/* libelf reads a native-endian image in place and never writes to it */
	elf = elf_memory((char *)image, len);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		errno = EINVAL;
		return NULL;
	}
	t = uw_table__build_limits(elf, NULL, NULL, lim);
	if (t) {
		elf_end(elf);
	} else {
		int e = errno;

		elf_end(elf);
		errno = e;
	}
	return t;
}

struct uw_table *uw_table__build_sections(const struct uw_cfi_section *secs, size_t n,
					  const struct uw_limits *lim)
{
	struct uw_limits l = lim ? *lim : uw_limits__default();
	struct uw_table *t = calloc(1, sizeof(*t));
	struct cfi *c = cfi__new(&l);
	int err = 0;

	if (!t || !c)
		return build_out(t, c, -ENOMEM);
	if (n > CFI_MAX_SECTIONS)
		return build_out(t, c, -E2BIG);
	for (size_t i = 0; i < n && !err; i++)
		err = cfi__add_section(c, &secs[i], &t->stats);
	if (err)
		return build_out(t, c, err);
	fdes_normalize(c);
	return build_out(t, c, finish(t, c, &l));
}

void uw_table__free(struct uw_table *t)
{
	if (!t)
		return;
	free(t->pcs);
	free(t->rules);
	free(t);
}

int uw_table__lookup(const struct uw_table *t, uint64_t pc, struct uw_rule *ret)
{
	size_t lo = 0, hi = t->n;
	uint64_t off;

	if (pc < t->base || pc - t->base > UINT32_MAX)
		return -ENOENT;
	off = pc - t->base;
	/* the last row whose pc <= off */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->pcs[mid] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || t->rules[lo - 1].cfa == UW_CFA_NONE)
		return -ENOENT;
	*ret = t->rules[lo - 1];
	return 0;
}

const struct uw_table_stats *uw_table__stats(const struct uw_table *t)
{
	return &t->stats;
}

uint64_t uw_table__dropped(const struct uw_table *t)
{
	uint64_t n = t->stats.entries_bad;

	for (int i = 0; i < UW_NR_LIMITS; i++)
		n += t->stats.limited[i];
	return n;
}

size_t uw_table__rows(const struct uw_table *t, uint64_t *ret_base, const uint32_t **ret_pcs,
		      const struct uw_rule **ret_rules)
{
	*ret_base = t->base;
	*ret_pcs = t->pcs;
	*ret_rules = t->rules;
	return t->n;
}
