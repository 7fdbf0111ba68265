// SPDX-License-Identifier: MIT
/* sym_gopclntab: a bounded reader of Go's pclntab, written from the layouts
 * described in Go's runtime/symtab.go and runtime2.go (no code taken). The
 * table is a header (pcHeader) followed by sub-tables at offsets the header
 * gives: function names, the per-compilation-unit file index (cutab), file
 * names, the pc-value tables, and the function table sorted by entry pc.
 * All reads go through rd_*() which check bounds; a field that does not fit
 * ends the lookup with what was found so far. Inline trees live outside the
 * table (go:func.* in 1.18+, located through the moduledata record; an
 * absolute pointer in 1.16), read through the file's PT_LOAD segments.
 * Depends on sym_elf_section, sym_elf's frame type and libelf only; never prints.
 */
#include "symbolize/sym_gopclntab.h"

#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_elf_section.h"

#define MAGIC_116 0xfffffffau
#define MAGIC_118 0xfffffff0u
#define MAGIC_120 0xfffffff1u
#define MAX_FUNCS (1u << 24)
#define MAX_NAME 4096		/* a longer string is refused */
#define MAX_STEPS (1u << 20)	/* pc-value pairs walked per lookup */
#define MAX_SEGS 16
#define PCDATA_INLTREE 2
#define FUNCDATA_INLTREE 3
/* offsets of fields in runtime.moduledata (64-bit) */
#define MD_FUNCNAMETAB 8
#define MD_TEXT 176
#define MD_GOFUNC_118 304
#define MD_GOFUNC_120 320	/* 1.20 added covctrs, ecovctrs */

struct seg {
	uint64_t vaddr, size;
	const uint8_t *data;
};

struct sym_gopclntab {
	const uint8_t *tab;	/* the pclntab */
	size_t len;
	uint64_t tab_vaddr;
	int version;		/* 116, 118, 120 */
	uint32_t quantum;
	uint64_t nfunc;
	uint64_t text;		/* 1.18+: entry offsets are relative to it */
	uint64_t funcname, cu, filetab, pctab, pcln; /* offsets in tab */
	uint64_t gofunc;	/* 1.18+: base of funcdata offsets; 0 unknown */
	struct seg segs[MAX_SEGS];
	size_t nsegs;
	Elf *own_elf;		/* from_image only */
};

/* --- bounded reads -------------------------------------------------------- */

static bool rd32(const uint8_t *b, size_t len, uint64_t off, uint32_t *ret)
{
	if (off > len || len - off < 4)
		return false;
	*ret = (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
	       (uint32_t)b[off + 3] << 24;
	return true;
}

static bool rd64(const uint8_t *b, size_t len, uint64_t off, uint64_t *ret)
{
	uint32_t lo, hi;

	if (!rd32(b, len, off, &lo) || !rd32(b, len, off + 4, &hi))
		return false;
	*ret = (uint64_t)hi << 32 | lo;
	return true;
}

/* A NUL-terminated string at off, or NULL. */
static const char *rdstr(const uint8_t *b, size_t len, uint64_t off)
{
	size_t max;

	if (off >= len)
		return NULL;
	max = len - off < MAX_NAME ? len - off : MAX_NAME;
	return memchr(b + off, 0, max) ? (const char *)b + off : NULL;
}

/* The segment bytes at vaddr, with *ret_len bytes available there. */
static const uint8_t *at_vaddr(const struct sym_gopclntab *g, uint64_t vaddr, size_t *ret_len)
{
	for (size_t i = 0; i < g->nsegs; i++) {
		const struct seg *s = &g->segs[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->size) {
			*ret_len = s->size - (vaddr - s->vaddr);
			return s->data + (vaddr - s->vaddr);
		}
	}
	return NULL;
}

/* --- pc-value tables ------------------------------------------------------ */

static bool uvarint(const uint8_t *b, size_t len, uint64_t *off, uint32_t *ret)
{
	uint32_t v = 0;

	for (int shift = 0; shift < 35; shift += 7) {
		uint8_t c;

		if (*off >= len)
			return false;
		c = b[(*off)++];
		v |= (uint32_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

/* The value the table at pctab offset off gives for pc in the function
 * starting at entry; false when the table is absent or pc is past its end. */
static bool pcvalue(const struct sym_gopclntab *g, uint32_t off, uint64_t entry, uint64_t pc,
		    int32_t *ret)
{
	uint64_t p, cur = entry;
	int32_t val = -1;

	if (!off || g->pctab + off >= g->len)
		return false;
	p = g->pctab + off;
	for (uint32_t step = 0; step < MAX_STEPS; step++) {
		uint32_t uv, dpc;

		if (!uvarint(g->tab, g->len, &p, &uv) || (uv == 0 && step))
			return false;
		/* wraps as Go's int32 does; a hostile table may overflow it */
		val = (int32_t)((uint32_t)val + ((uv & 1) ? ~(uv >> 1) : (uv >> 1)));
		if (!uvarint(g->tab, g->len, &p, &dpc))
			return false;
		cur += (uint64_t)dpc * g->quantum;
		if (pc < cur) {
			*ret = val;
			return true;
		}
	}
	return false;
}

/* --- functions ------------------------------------------------------------ */

struct func {
	uint64_t off;		/* of the _func record in tab */
	uint64_t entry;		/* vaddr */
	uint32_t nameoff, pcfile, pcln, npcdata, cuoff;
	uint8_t nfuncdata;
	uint64_t pcdata;	/* offset of the pcdata array in tab */
	size_t fixed;		/* size of the fixed part */
};

static bool functab_entry(const struct sym_gopclntab *g, uint64_t i, uint64_t *ret_entry,
			  uint64_t *ret_funcoff)
{
	if (g->version == 116) {
		uint64_t off = g->pcln + i * 16;

		return rd64(g->tab, g->len, off, ret_entry) &&
		       rd64(g->tab, g->len, off + 8, ret_funcoff);
	}
	uint32_t e, f;
	uint64_t off = g->pcln + i * 8;

	if (!rd32(g->tab, g->len, off, &e) || !rd32(g->tab, g->len, off + 4, &f))
		return false;
	*ret_entry = g->text + e;
	*ret_funcoff = f;
	return true;
}

static bool find_func(const struct sym_gopclntab *g, uint64_t pc, struct func *ret)
{
	uint64_t lo = 0, hi = g->nfunc, entry, funcoff, end;
	uint64_t f;
	int d = g->version == 116 ? 4 : 0; /* 1.16's entry is 8 bytes, later 4 */

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (!functab_entry(g, mid, &entry, &funcoff))
			return false;
		if (entry <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || !functab_entry(g, lo - 1, &entry, &funcoff) ||
	    !functab_entry(g, lo, &end, &f) || pc >= end)
		return false;
	memset(ret, 0, sizeof(*ret));
	ret->entry = entry;
	ret->off = f = g->pcln + funcoff;
	ret->fixed = (g->version == 120 ? 44 : 40) + d;
	if (f >= g->len || g->len - f < ret->fixed ||
	    !rd32(g->tab, g->len, f + 4 + d, &ret->nameoff) ||
	    !rd32(g->tab, g->len, f + 20 + d, &ret->pcfile) ||
	    !rd32(g->tab, g->len, f + 24 + d, &ret->pcln) ||
	    !rd32(g->tab, g->len, f + 28 + d, &ret->npcdata) ||
	    !rd32(g->tab, g->len, f + 32 + d, &ret->cuoff))
		return false;
	ret->nfuncdata = g->tab[f + ret->fixed - 1];
	ret->pcdata = f + ret->fixed;
	if (ret->npcdata > 1024 || ret->pcdata + (uint64_t)ret->npcdata * 4 > g->len)
		return false;
	return true;
}

static const char *func_name(const struct sym_gopclntab *g, uint32_t nameoff)
{
	return rdstr(g->tab, g->len, g->funcname + nameoff);
}

/* file:line at pc for the function f (whose tables describe inlined code too). */
static void file_line(const struct sym_gopclntab *g, const struct func *f, uint64_t pc,
		      const char **ret_file, uint32_t *ret_line)
{
	int32_t fileno, line;
	uint32_t foff;

	*ret_file = NULL;
	*ret_line = 0;
	if (pcvalue(g, f->pcln, f->entry, pc, &line) && line > 0)
		*ret_line = (uint32_t)line;
	if (pcvalue(g, f->pcfile, f->entry, pc, &fileno) && fileno >= 0 &&
	    rd32(g->tab, g->len, g->cu + 4 * ((uint64_t)f->cuoff + (uint32_t)fileno), &foff) &&
	    foff != UINT32_MAX)
		*ret_file = rdstr(g->tab, g->len, g->filetab + foff);
}

/* vaddr of the function's inline tree, 0 when it has none or it cannot be found. */
static uint64_t inltree(const struct sym_gopclntab *g, const struct func *f)
{
	uint64_t fd = f->pcdata + (uint64_t)f->npcdata * 4;

	if (f->nfuncdata <= FUNCDATA_INLTREE || f->npcdata <= PCDATA_INLTREE)
		return 0;
	if (g->version == 116) {
		uint64_t v;

		/* pointer-aligned in memory */
		if ((g->tab_vaddr + fd) & 4)
			fd += 4;
		return rd64(g->tab, g->len, fd + 8 * FUNCDATA_INLTREE, &v) ? v : 0;
	}
	uint32_t o;

	if (!g->gofunc || !rd32(g->tab, g->len, fd + 4 * FUNCDATA_INLTREE, &o) || o == UINT32_MAX)
		return 0;
	return g->gofunc + o;
}

int sym_gopclntab__resolve(const struct sym_gopclntab *g, uint64_t vaddr,
			   struct sym_elf_frame *frames, size_t max)
{
	struct func f;
	uint32_t inl_off;
	uint64_t tree, pc = vaddr;
	size_t n = 0, esz = g->version == 120 ? 16 : 20;
	int32_t ix;

	if (!g || !max || !find_func(g, vaddr, &f))
		return 0;
	tree = inltree(g, &f);
	/* innermost first: each inlined call, then the physical function */
	while (tree && n + 1 < max && rd32(g->tab, g->len, f.pcdata + 4 * PCDATA_INLTREE, &inl_off) &&
	       pcvalue(g, inl_off, f.entry, pc, &ix) && ix >= 0) {
		const uint8_t *rec;
		size_t avail;
		uint32_t nameoff, parent_pc;

		rec = at_vaddr(g, tree + (uint64_t)ix * esz, &avail);
		if (!rec || avail < esz)
			break;
		rd32(rec, avail, g->version == 120 ? 4 : 12, &nameoff);
		rd32(rec, avail, g->version == 120 ? 8 : 16, &parent_pc);
		frames[n] = (struct sym_elf_frame){ .name = func_name(g, nameoff) };
		file_line(g, &f, pc, &frames[n].file, &frames[n].line);
		if (!frames[n].name)
			break;
		n++;
		pc = f.entry + parent_pc; /* the call site, in the caller's code */
	}
	frames[n] = (struct sym_elf_frame){ .name = func_name(g, f.nameoff) };
	if (!frames[n].name)
		return 0;
	file_line(g, &f, pc, &frames[n].file, &frames[n].line);
	return (int)n + 1;
}

/* --- finding the table ---------------------------------------------------- */

static bool parse_header(struct sym_gopclntab *g)
{
	uint32_t magic;
	uint64_t v[8];
	int nf;

	if (!rd32(g->tab, g->len, 0, &magic) || g->len < 72)
		return false;
	switch (magic) {
	case MAGIC_116: g->version = 116; nf = 7; break;
	case MAGIC_118: g->version = 118; nf = 8; break;
	case MAGIC_120: g->version = 120; nf = 8; break;
	default: return false;
	}
	if (g->tab[4] || g->tab[5] || !g->tab[6] || g->tab[6] > 4 || g->tab[7] != 8)
		return false;
	g->quantum = g->tab[6];
	for (int i = 0; i < nf; i++)
		if (!rd64(g->tab, g->len, 8 + 8 * (uint64_t)i, &v[i]))
			return false;
	g->nfunc = v[0];
	if (g->version == 116) {
		g->funcname = v[2], g->cu = v[3], g->filetab = v[4], g->pctab = v[5], g->pcln = v[6];
	} else {
		g->text = v[2];
		g->funcname = v[3], g->cu = v[4], g->filetab = v[5], g->pctab = v[6], g->pcln = v[7];
	}
	if (!g->nfunc || g->nfunc > MAX_FUNCS || g->funcname >= g->len || g->cu >= g->len ||
	    g->filetab >= g->len || g->pctab >= g->len || g->pcln >= g->len)
		return false;
	/* the function table, its end entry included */
	return (g->len - g->pcln) / (g->version == 116 ? 16 : 8) > g->nfunc;
}

static bool is_go(Elf *elf)
{
	GElf_Shdr sh;
	size_t phnum;

	if (sym_elf_section__find(elf, ".go.buildinfo", true, &sh) ||
	    sym_elf_section__find(elf, ".gopclntab", true, &sh) ||
	    sym_elf_section__find(elf, ".note.go.buildid", true, &sh))
		return true;
	/* no section headers: a note owned by "Go" */
	if (elf_getphdrnum(elf, &phnum) != 0)
		return false;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		d = elf_getdata_rawchunk(elf, ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0)
			if (nh.n_namesz == 3 && memcmp((char *)d->d_buf + name_off, "Go", 3) == 0)
				return true;
	}
	return false;
}

/* The moduledata record pointing at the table: its text and gofunc fields. */
static void find_moduledata(struct sym_gopclntab *g)
{
	uint64_t want_tab = g->tab_vaddr, want_names = g->tab_vaddr + g->funcname;
	size_t gofunc_at = g->version == 120 ? MD_GOFUNC_120 : MD_GOFUNC_118;

	for (size_t i = 0; i < g->nsegs; i++) {
		const struct seg *s = &g->segs[i];

		for (uint64_t o = (8 - (s->vaddr & 7)) & 7; o + gofunc_at + 8 <= s->size; o += 8) {
			uint64_t v, names, text, gofunc;
			size_t avail;

			if (!rd64(s->data, s->size, o, &v) || v != want_tab ||
			    !rd64(s->data, s->size, o + MD_FUNCNAMETAB, &names) || names != want_names)
				continue;
			rd64(s->data, s->size, o + MD_TEXT, &text);
			rd64(s->data, s->size, o + gofunc_at, &gofunc);
			if (!g->text)
				g->text = text;
			if (gofunc && at_vaddr(g, gofunc, &avail))
				g->gofunc = gofunc;
			return;
		}
	}
}

struct sym_gopclntab *sym_gopclntab__from_elf(Elf *elf)
{
	struct sym_gopclntab *g;
	const uint8_t *raw;
	size_t rawsize, phnum;
	GElf_Ehdr eh;
	GElf_Shdr sh;
	Elf_Scn *scn;

	if (!elf || !gelf_getehdr(elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || !is_go(elf) ||
	    !(raw = (const uint8_t *)elf_rawfile(elf, &rawsize)) || elf_getphdrnum(elf, &phnum) != 0) {
		errno = ENOENT;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < phnum && g->nsegs < MAX_SEGS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    ph.p_offset > rawsize || rawsize - ph.p_offset < ph.p_filesz)
			continue;
		g->segs[g->nsegs++] = (struct seg){ ph.p_vaddr, ph.p_filesz, raw + ph.p_offset };
		if ((ph.p_flags & PF_X) && !g->text)
			g->text = ph.p_vaddr; /* provisional: replaced below */
	}
	uint64_t seg_text = g->text;

	g->text = 0;
	scn = sym_elf_section__find(elf, ".gopclntab", true, &sh);
	if (!scn)
		scn = sym_elf_section__find(elf, ".data.rel.ro.gopclntab", true, &sh); /* PIE */
	if (scn && sh.sh_type != SHT_NOBITS && sh.sh_offset <= rawsize &&
	    rawsize - sh.sh_offset >= sh.sh_size) {
		g->tab = raw + sh.sh_offset;
		g->len = sh.sh_size;
		g->tab_vaddr = sh.sh_addr;
		if (!parse_header(g))
			g->tab = NULL;
	}
	/* no section: the magic, 8-aligned, in a read-only segment */
	for (size_t i = 0; i < g->nsegs && !g->tab; i++) {
		const struct seg *s = &g->segs[i];

		for (uint64_t o = (8 - (s->vaddr & 7)) & 7; o + 72 <= s->size; o += 8) {
			uint32_t m;

			if (!rd32(s->data, s->size, o, &m) ||
			    (m != MAGIC_116 && m != MAGIC_118 && m != MAGIC_120))
				continue;
			g->tab = s->data + o;
			g->len = s->size - o;
			g->tab_vaddr = s->vaddr + o;
			if (parse_header(g))
				break;
			g->tab = NULL;
		}
	}
	if (!g->tab) {
		free(g);
		errno = ENOENT;
		return NULL;
	}
	if (g->version != 116) {
		uint64_t hdr_text = g->text;

		find_moduledata(g);
		if (hdr_text)
			g->text = hdr_text;
		/* PIE: the pointers are relocated at load, 0 in the file */
		if (!g->text && sym_elf_section__find(elf, ".text", true, &sh))
			g->text = sh.sh_addr;
		if (!g->text)
			g->text = seg_text;
	}
	return g;
}

struct sym_gopclntab *sym_gopclntab__from_image(const void *image, size_t size)
{
	struct sym_gopclntab *g;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)image, size);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		errno = EINVAL;
		return NULL;
	}
	g = sym_gopclntab__from_elf(elf);
	if (!g) {
		int err = errno;

		elf_end(elf);
		errno = err;
		return NULL;
	}
	g->own_elf = elf;
	return g;
}

void sym_gopclntab__free(struct sym_gopclntab *g)
{
	if (!g)
		return;
	if (g->own_elf)
		elf_end(g->own_elf);
	free(g);
}

int sym_gopclntab__version(const struct sym_gopclntab *g)
{
	return g ? g->version : 0;
}
