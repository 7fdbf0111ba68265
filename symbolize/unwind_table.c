// SPDX-License-Identifier: MIT
/* uw_table builder. FDEs are enumerated with dwarf_next_cfi() (decoding the
 * initial location by hand: libdw does not export that), sorted, and each
 * FDE's range is walked row by row with dwarf_cfi_addrframe(), which reports
 * the [start, end) of the row it evaluated. Rows are translated into the
 * compact rule form; equal neighbours merge; gaps between FDEs get a NONE row
 * so a pc there is never unwound with its neighbour's rule.
 */
#include "symbolize/unwind_table.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#define REG_RBP 6
#define REG_RSP 7
#define REG_RA  16

struct uw_table {
	uint64_t base;
	size_t n;
	uint32_t *pcs;
	struct uw_rule *rules;
	struct uw_table_stats stats;
};

struct fde {
	uint64_t start, end;
	Dwarf_CFI *cfi;
	bool debug;		/* from .debug_frame */
};

struct fde_list {
	struct fde *v;
	size_t n, cap;
};

struct cie {
	uint64_t offset;
	uint8_t fde_enc;	/* DW_EH_PE_* of FDE addresses */
	bool ok;		/* augmentation understood */
};

struct cie_list {
	struct cie *v;
	size_t n, cap;
};

/* Rows under construction: absolute pcs. */
struct rows {
	uint64_t *pcs;
	struct uw_rule *rules;
	size_t n, cap;
};

/* --- pointer encodings (DW_EH_PE_*) ---------------------------------------- */

static int read_uleb(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	while (*p < end) {
		uint8_t b = *(*p)++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -EINVAL;
}

static int read_sleb(const uint8_t **p, const uint8_t *end, int64_t *ret)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	while (*p < end) {
		uint8_t b = *(*p)++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~0ULL << shift;
			*ret = (int64_t)v;
			return 0;
		}
	}
	return -EINVAL;
}

static int read_fixed(const uint8_t **p, const uint8_t *end, size_t size, bool is_signed,
		      uint64_t *ret)
{
	uint64_t v = 0;

	if ((size_t)(end - *p) < size)
		return -EINVAL;
	memcpy(&v, *p, size);	/* x86_64: little endian, like the file */
	if (is_signed && size < 8 && (v >> (size * 8 - 1)) & 1)
		v |= ~0ULL << (size * 8);
	*p += size;
	*ret = v;
	return 0;
}

/* Decode one encoded pointer at *p; vaddr is the address of *p when loaded
 * (for pc-relative values). Indirect and text/data-relative encodings are not
 * used for FDE addresses on x86_64 and are rejected. */
static int read_encoded(const uint8_t **p, const uint8_t *end, uint8_t enc, uint64_t vaddr,
			bool apply, uint64_t *ret)
{
	uint64_t v;
	int64_t s;
	int err;

	if (enc == DW_EH_PE_omit)
		return -EINVAL;
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
		err = read_fixed(p, end, 8, false, &v);
		break;
	case DW_EH_PE_sdata8:
		err = read_fixed(p, end, 8, true, &v);
		break;
	case DW_EH_PE_udata2:
		err = read_fixed(p, end, 2, false, &v);
		break;
	case DW_EH_PE_sdata2:
		err = read_fixed(p, end, 2, true, &v);
		break;
	case DW_EH_PE_udata4:
		err = read_fixed(p, end, 4, false, &v);
		break;
	case DW_EH_PE_sdata4:
		err = read_fixed(p, end, 4, true, &v);
		break;
	case DW_EH_PE_uleb128:
		err = read_uleb(p, end, &v);
		break;
	case DW_EH_PE_sleb128:
		err = read_sleb(p, end, &s);
		v = (uint64_t)s;
		break;
	default:
		return -EINVAL;
	}
	if (err)
		return err;
	if (apply) {
		switch (enc & 0x70) {
		case DW_EH_PE_absptr:
			break;
		case DW_EH_PE_pcrel:
			v += vaddr;
			break;
		default:
			return -EINVAL;
		}
		if (enc & DW_EH_PE_indirect)
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* Skip one encoded value whose content we do not need (a personality pointer). */
static int skip_encoded(const uint8_t **p, const uint8_t *end, uint8_t enc)
{
	uint64_t v;

	return read_encoded(p, end, enc & 0x0f, 0, false, &v);
}

/* --- section enumeration -------------------------------------------------- */

static Elf_Scn *find_section(Elf *elf, const char *name, GElf_Shdr *ret_shdr)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name) && sh.sh_type != SHT_NOBITS) {
			*ret_shdr = sh;
			return scn;
		}
	}
	return NULL;
}

static int cie_add(struct cie_list *l, uint64_t offset, const Dwarf_CIE *c, unsigned int addr_size)
{
	struct cie cie = { .offset = offset, .fde_enc = DW_EH_PE_absptr, .ok = true };
	const char *aug = c->augmentation ? c->augmentation : "";

	if (addr_size != 8)
		cie.ok = false;
	if (aug[0] == 'z') {
		const uint8_t *d = c->augmentation_data;
		const uint8_t *end = d ? d + c->augmentation_data_size : NULL;

		for (const char *a = aug + 1; *a && cie.ok; a++) {
			switch (*a) {
			case 'R':
				if (!d || d >= end)
					cie.ok = false;
				else
					cie.fde_enc = *d++;
				break;
			case 'L':
				if (!d || d >= end)
					cie.ok = false;
				else
					d++;
				break;
			case 'P': {
				uint8_t penc;

				if (!d || d >= end) {
					cie.ok = false;
					break;
				}
				penc = *d++;
				if (skip_encoded(&d, end, penc))
					cie.ok = false;
				break;
			}
			case 'S':
			case 'B':
			case 'G':
				break;
			default:
				cie.ok = false;	/* unknown: cannot find the FDE fields */
			}
		}
	} else if (aug[0] && strcmp(aug, "S")) {
		cie.ok = false;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct cie *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = cie;
	return 0;
}

static const struct cie *cie_find(const struct cie_list *l, uint64_t offset)
{
	/* CIEs usually come before their FDEs and are few: search from the end */
	for (size_t i = l->n; i-- > 0;)
		if (l->v[i].offset == offset)
			return &l->v[i];
	return NULL;
}

static int fde_add(struct fde_list *l, uint64_t start, uint64_t end, Dwarf_CFI *cfi, bool debug)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct fde *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct fde){ .start = start, .end = end, .cfi = cfi, .debug = debug };
	return 0;
}

/* Every FDE of one CFI section. Entries that cannot be decoded are skipped
 * (their code is left without rows, i.e. without unwind information). */
static int collect_fdes(Elf *elf, const char *name, bool eh, Dwarf_CFI *cfi, struct fde_list *out)
{
	struct cie_list cies = { 0 };
	Dwarf_Off off = 0, next;
	Dwarf_CFI_Entry entry;
	const unsigned char *ident;
	unsigned int addr_size;
	GElf_Shdr sh;
	Elf_Scn *scn;
	Elf_Data *data;
	int err = 0;

	scn = find_section(elf, name, &sh);
	if (!scn)
		return 0;
	if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return 0;
	data = elf_getdata(scn, NULL);
	ident = (const unsigned char *)elf_getident(elf, NULL);
	if (!data || !data->d_buf || !ident)
		return 0;
	addr_size = ident[EI_CLASS] == ELFCLASS64 ? 8 : 4;
	while (dwarf_next_cfi(ident, data, eh, off, &next, &entry) == 0) {
		if (dwarf_cfi_cie_p(&entry)) {
			err = cie_add(&cies, off, &entry.cie, addr_size);
			if (err)
				goto out_free;
		} else {
			const struct cie *c = cie_find(&cies, entry.fde.CIE_pointer);
			const uint8_t *p = entry.fde.start, *end = entry.fde.end;
			uint64_t vaddr = sh.sh_addr + (uint64_t)(p - (const uint8_t *)data->d_buf);
			uint64_t start, len;

			if (c && c->ok &&
			    read_encoded(&p, end, c->fde_enc, vaddr, true, &start) == 0 &&
			    read_encoded(&p, end, c->fde_enc & 0x0f, 0, false, &len) == 0 && len &&
			    start + len > start) {
				err = fde_add(out, start, start + len, cfi, !eh);
				if (err)
					goto out_free;
			}
		}
		if (next == (Dwarf_Off)-1 || next <= off)
			break;
		off = next;
	}
out_free:
	free(cies.v);
	return err;
}

static int fde_cmp(const void *a, const void *b)
{
	const struct fde *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->debug != y->debug)
		return x->debug ? 1 : -1;	/* .eh_frame first */
	return 0;
}

/* Sort and drop FDEs that overlap one kept before them (.eh_frame wins). */
static void fdes_normalize(struct fde_list *l)
{
	size_t kept = 0;
	uint64_t end = 0;

	qsort(l->v, l->n, sizeof(*l->v), fde_cmp);
	for (size_t i = 0; i < l->n; i++) {
		if (kept && l->v[i].start < end) {
			/* a later .eh_frame FDE overriding a .debug_frame one it overlaps */
			if (l->v[kept - 1].debug && !l->v[i].debug &&
			    l->v[kept - 1].start == l->v[i].start) {
				l->v[kept - 1] = l->v[i];
				end = l->v[i].end;
			}
			continue;
		}
		l->v[kept++] = l->v[i];
		end = l->v[i].end;
	}
	l->n = kept;
}

static uint64_t fdes_coverage(const struct fde_list *l)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < l->n; i++)
		sum += l->v[i].end - l->v[i].start;
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

/* --- rule translation ------------------------------------------------------ */

static bool is_breg(const Dwarf_Op *op, unsigned int reg, int64_t *ret_off)
{
	if (op->atom == DW_OP_bregx && op->number == reg) {
		*ret_off = (int64_t)op->number2;
		return true;
	}
	if (op->atom == DW_OP_breg0 + reg) {
		*ret_off = (int64_t)op->number;
		return true;
	}
	return false;
}

/* binutils' lazy PLT: rsp+8 + (((rip & 15) >= 11) << 3) */
static bool is_plt_expr(const Dwarf_Op *ops, size_t n, int64_t *ret_off, int *ret_threshold)
{
	int64_t rip_off;

	if (n != 9 || !is_breg(&ops[0], REG_RSP, ret_off) || !is_breg(&ops[1], REG_RA, &rip_off) ||
	    rip_off != 0 || ops[2].atom != DW_OP_lit15 || ops[3].atom != DW_OP_and ||
	    ops[4].atom < DW_OP_lit0 || ops[4].atom > DW_OP_lit15 || ops[5].atom != DW_OP_ge ||
	    ops[6].atom != DW_OP_lit3 || ops[7].atom != DW_OP_shl || ops[8].atom != DW_OP_plus)
		return false;
	*ret_threshold = ops[4].atom - DW_OP_lit0;
	return true;
}

/* Register saved at CFA + off (DW_CFA_offset), as libdw expresses it. */
static bool is_at_cfa(const Dwarf_Op *ops, size_t n, int64_t *ret_off)
{
	if (n < 1 || n > 2 || ops[0].atom != DW_OP_call_frame_cfa)
		return false;
	if (n == 1) {
		*ret_off = 0;
		return true;
	}
	if (ops[1].atom != DW_OP_plus_uconst)
		return false;
	*ret_off = (int64_t)ops[1].number;
	return true;
}

static struct uw_rule translate(Dwarf_Frame *fr, bool signalp, uint64_t *unsupported)
{
	struct uw_rule r = { .cfa = UW_CFA_UNSUPPORTED };
	Dwarf_Op mem[3], *ops;
	size_t nops;
	int64_t off;
	int thr;

	/* the caller's rip: undefined marks the outermost frame */
	if (dwarf_frame_register(fr, REG_RA, mem, &ops, &nops) != 0)
		goto out_unsupported;
	if (nops == 0 && ops == mem) {
		r.cfa = UW_CFA_OUTERMOST;
		return r;
	}
	if (dwarf_frame_cfa(fr, &ops, &nops) != 0 || nops == 0)
		goto out_unsupported;
	if (signalp) {
		/* glibc's __restore_rt: CFA = *(rsp + offsetof(ucontext, rsp)) */
		if (nops == 2 && is_breg(&ops[0], REG_RSP, &off) && ops[1].atom == DW_OP_deref) {
			r.cfa = UW_CFA_SIGNAL;
			return r;
		}
		goto out_unsupported;
	}
	if (nops == 1 && is_breg(&ops[0], REG_RSP, &off)) {
		r.cfa = UW_CFA_RSP;
	} else if (nops == 1 && is_breg(&ops[0], REG_RBP, &off)) {
		r.cfa = UW_CFA_RBP;
	} else if (nops == 2 && is_breg(&ops[0], REG_RBP, &off) && ops[1].atom == DW_OP_deref) {
		r.cfa = UW_CFA_RBP_DEREF;
	} else if (is_plt_expr(ops, nops, &off, &thr)) {
		r.cfa = UW_CFA_PLT;
		r.rbp_off = (int16_t)thr;
	} else {
		goto out_unsupported;
	}
	if (off < INT32_MIN || off > INT32_MAX)
		goto out_unsupported;
	r.cfa_off = (int32_t)off;

	/* the return address must be at CFA - 8, as every x86_64 call leaves it */
	if (dwarf_frame_register(fr, REG_RA, mem, &ops, &nops) != 0 || !is_at_cfa(ops, nops, &off) ||
	    off != -8)
		goto out_unsupported;

	if (r.cfa == UW_CFA_PLT)
		return r;	/* rbp_off holds the threshold; PLT stubs leave rbp alone */
	if (dwarf_frame_register(fr, REG_RBP, mem, &ops, &nops) != 0) {
		r.rbp = UW_RBP_UNDEFINED;
		(*unsupported)++;
	} else if (nops == 0) {
		r.rbp = ops ? UW_RBP_UNDEFINED : UW_RBP_SAME;
	} else if (is_at_cfa(ops, nops, &off) && off >= INT16_MIN && off <= INT16_MAX) {
		r.rbp = UW_RBP_AT_CFA;
		r.rbp_off = (int16_t)off;
	} else if (nops == 2 && ops[0].atom == DW_OP_call_frame_cfa &&
		   is_breg(&ops[1], REG_RBP, &off) && off >= INT16_MIN && off <= INT16_MAX) {
		/* DW_CFA_expression rbp: DW_OP_breg6 off, as GCC emits after realigning
		 * (libdw puts the CFA first, as DWARF says the expression starts) */
		r.rbp = UW_RBP_AT_RBP;
		r.rbp_off = (int16_t)off;
	} else {
		/* saved in another register, or by an expression */
		r.rbp = UW_RBP_UNDEFINED;
		(*unsupported)++;
	}
	return r;

out_unsupported:
	(*unsupported)++;
	r = (struct uw_rule){ .cfa = UW_CFA_UNSUPPORTED };
	return r;
}

/* --- rows -------------------------------------------------------------------- */

static bool rule_eq(const struct uw_rule *a, const struct uw_rule *b)
{
	return a->cfa == b->cfa && a->rbp == b->rbp && a->cfa_off == b->cfa_off &&
	       a->rbp_off == b->rbp_off;
}

static int rows_push(struct rows *r, uint64_t pc, struct uw_rule rule)
{
	if (r->n) {
		/* a row at the same pc replaces the previous one (a gap marker
		 * followed by an FDE starting right there) */
		if (r->pcs[r->n - 1] == pc) {
			r->n--;
			if (r->n && rule_eq(&r->rules[r->n - 1], &rule))
				return 0;
		} else if (rule_eq(&r->rules[r->n - 1], &rule)) {
			return 0;
		}
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		uint64_t *pcs = realloc(r->pcs, cap * sizeof(*pcs));
		struct uw_rule *rules;

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
	r->rules[r->n++] = rule;
	return 0;
}

static int compile_fde(const struct fde *f, struct rows *rows, struct uw_table_stats *st)
{
	uint64_t pc = f->start;
	int err;

	st->fdes++;
	while (pc < f->end) {
		Dwarf_Frame *fr;
		Dwarf_Addr s, e;
		bool signalp = false;
		struct uw_rule rule;

		if (dwarf_cfi_addrframe(f->cfi, pc, &fr) != 0) {
			st->fdes_failed++;
			return rows_push(rows, pc, (struct uw_rule){ .cfa = UW_CFA_UNSUPPORTED });
		}
		if (dwarf_frame_info(fr, &s, &e, &signalp) < 0) {
			free(fr);
			st->fdes_failed++;
			return rows_push(rows, pc, (struct uw_rule){ .cfa = UW_CFA_UNSUPPORTED });
		}
		rule = translate(fr, signalp, &st->unsupported);
		free(fr);
		err = rows_push(rows, pc, rule);
		if (err)
			return err;
		if (e <= pc)
			break;
		pc = e;
	}
	return 0;
}

static int compile(const struct fde_list *l, struct rows *rows, struct uw_table_stats *st)
{
	const struct uw_rule none = { .cfa = UW_CFA_NONE };
	uint64_t end = 0;
	int err;

	for (size_t i = 0; i < l->n; i++) {
		const struct fde *f = &l->v[i];

		if (i && f->start > end && (err = rows_push(rows, end, none)))
			return err;
		err = compile_fde(f, rows, st);
		if (err)
			return err;
		if (f->debug)
			st->debug_frame = true;
		else
			st->eh_frame = true;
		end = f->end;
	}
	return l->n ? rows_push(rows, end, none) : 0;
}

struct uw_table *uw_table__build(Elf *elf, uw_debug_elf_fn get_debug_elf, void *ctx)
{
	Elf *debug_elf = NULL;
	struct fde_list fdes = { 0 };
	struct rows rows = { 0 };
	struct uw_table *t = NULL;
	Dwarf_CFI *eh = NULL;
	Dwarf *dw_own = NULL, *dw_sep = NULL;
	uint64_t code;
	int err;

	t = calloc(1, sizeof(*t));
	if (!t) {
		err = -ENOMEM;
		goto out_free;
	}
	eh = dwarf_getcfi_elf(elf);
	if (eh && (err = collect_fdes(elf, ".eh_frame", true, eh, &fdes)))
		goto out_free;
	/* the file's own .debug_frame: rare, cheap to look at */
	if (find_section(elf, ".debug_frame", &(GElf_Shdr){ 0 }) &&
	    (dw_own = dwarf_begin_elf(elf, DWARF_C_READ, NULL))) {
		Dwarf_CFI *cfi = dwarf_getcfi(dw_own);

		if (cfi && (err = collect_fdes(elf, ".debug_frame", false, cfi, &fdes)))
			goto out_free;
	}
	fdes_normalize(&fdes);
	code = code_bytes(elf);
	if (get_debug_elf && fdes_coverage(&fdes) * 2 < code)
		debug_elf = get_debug_elf(ctx);
	if (debug_elf && debug_elf != elf &&
	    find_section(debug_elf, ".debug_frame", &(GElf_Shdr){ 0 }) &&
	    (dw_sep = dwarf_begin_elf(debug_elf, DWARF_C_READ, NULL))) {
		Dwarf_CFI *cfi = dwarf_getcfi(dw_sep);

		if (cfi && (err = collect_fdes(debug_elf, ".debug_frame", false, cfi, &fdes)))
			goto out_free;
		fdes_normalize(&fdes);
	}
	if (!fdes.n) {
		err = -ENOENT;
		goto out_free;
	}
	if (fdes.v[fdes.n - 1].end - fdes.v[0].start > UINT32_MAX) {
		err = -ERANGE;
		goto out_free;
	}
	err = compile(&fdes, &rows, &t->stats);
	if (err)
		goto out_free;

	t->base = fdes.v[0].start;
	t->n = rows.n;
	t->pcs = malloc(rows.n * sizeof(*t->pcs));
	t->rules = malloc(rows.n * sizeof(*t->rules));
	if (!t->pcs || !t->rules) {
		err = -ENOMEM;
		goto out_free;
	}
	for (size_t i = 0; i < rows.n; i++)
		t->pcs[i] = (uint32_t)(rows.pcs[i] - t->base);
	memcpy(t->rules, rows.rules, rows.n * sizeof(*t->rules));
	t->stats.rows = rows.n;
	t->stats.bytes = sizeof(*t) + rows.n * (sizeof(*t->pcs) + sizeof(*t->rules));
	err = 0;

out_free:
	free(rows.pcs);
	free(rows.rules);
	free(fdes.v);
	if (eh)
		dwarf_cfi_end(eh);
	if (dw_own)
		dwarf_end(dw_own);
	if (dw_sep)
		dwarf_end(dw_sep);
	if (err) {
		uw_table__free(t);
		errno = -err;
		return NULL;
	}
	return t;
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

size_t uw_table__rows(const struct uw_table *t, uint64_t *ret_base, const uint32_t **ret_pcs,
		      const struct uw_rule **ret_rules)
{
	*ret_base = t->base;
	*ret_pcs = t->pcs;
	*ret_rules = t->rules;
	return t->n;
}
