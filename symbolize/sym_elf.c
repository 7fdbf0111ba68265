// SPDX-License-Identifier: MIT
/* sym_elf: an ELF binary behind a single-module libdwfl session. The module
 * is reported with dwfl_report_elf at base 0 (add_p_vaddr), so module
 * addresses are ELF vaddrs plus the bias libdwfl reports. Debug info is found
 * lazily, on the first lookup that needs it, by sym_debug_file__find (libdwfl's
 * standard search: build-id under the absolute debuginfo_path entries, then
 * .gnu_debuglink; every candidate opened through safe_file and checked).
 * Depends on sym_debug_file, sym_debuginfod, sym_elf_syms, sym_fstarts, sym_gopclntab, sym_strtab,
 * sym_untrusted_elf, base/vec, libelf and libdw only; never prints.
 */
#define _GNU_SOURCE
#include "symbolize/sym_elf.h"
#include "symbolize/sym_elf_syms.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fs.h"
#include "base/hex.h"
#include "base/resident.h"
#include "base/vec.h"
#include "symbolize/sym_debug_file.h"
#include "symbolize/sym_strtab.h"
#include "symbolize/sym_debuginfod.h"
#include "symbolize/sym_fstarts.h"
#include "symbolize/sym_gopclntab.h"
#include "symbolize/sym_untrusted_elf.h"

#define MAX_CHAIN 32 /* inline depth we walk; deeper chains are truncated */

struct sym_elf {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwfl_Callbacks cb;     /* libdwfl keeps a pointer: lives as long as dwfl */
	char *debuginfo_path;  /* pointed to by cb.debuginfo_path */
	GElf_Addr bias;
	GElf_Phdr *loads;
	size_t nloads;
	char build_id[2 * 64 + 1];
	struct sym_strtab *paths; /* comp_dir-joined file names */
	/* CU address ranges, built on first need when libdw finds no CU for an
	 * address: clang emits no .debug_aranges and libdw 0.188 then finds none. */
	struct cu_range *cu_ranges;
	size_t n_cu_ranges;
	bool cu_ranges_built;
	/* function symbols by address, built on first lookup */
	struct sym_elf_syms *syms;
	bool syms_built;
	/* where no symbol names an address: Go's pclntab, function starts */
	struct sym_gopclntab *go;
	struct sym_fstarts *fstarts;
	bool go_built, fstarts_built;
	/* DWARF_UNCHECKED until dwarf_safe() looked; DWARF_REFUSED keeps libdw
	 * away from this file's DWARF (symbols still work) */
	enum { DWARF_UNCHECKED, DWARF_SAFE, DWARF_REFUSED } dwarf_state;
	/* debug info fetched by build-id (sym_debuginfod.h), opened once it arrived */
	struct sym_elf *fetched;
	uint64_t fetch_gen;	/* sym_debuginfod__generation() at the last lookup */
	enum { FETCH_NONE, FETCH_PENDING, FETCH_DONE } fetch;
	uint64_t serial;	/* sym_elf__serial() */
	/* sym_elf__shed(): the file again (a mapped file only), and since when
	 * nothing was asked of what it lets go */
	int fd;
	char *file_name;
	uint64_t used_ns;
	uint64_t paged_ns;	/* last sym_elf__page_out() that advised */
	bool heavy;		/* symbols, DWARF or tables built since opened or shed */
	bool dwarf_opened;	/* dwfl_module_getdwarf() called since */
};


struct cu_range {
	Dwarf_Addr lo, hi;	/* [lo, hi) in DWARF addresses */
	Dwarf_Off die;		/* offset of the CU DIE */
};

void sym_elf__free(struct sym_elf *e)
{
	if (!e)
		return;
	if (e->dwfl)
		dwfl_end(e->dwfl);
	if (e->fd >= 0)
		close(e->fd);
	free(e->file_name);
	free(e->debuginfo_path);
	free(e->loads);
	free(e->cu_ranges);
	sym_elf_syms__free(e->syms);
	sym_gopclntab__free(e->go);
	sym_fstarts__free(e->fstarts);
	sym_elf__free(e->fetched);
	sym_strtab__free(e->paths);
	free(e);
}

static int read_headers(struct sym_elf *e)
{
	Elf *elf = dwfl_module_getelf(e->mod, &e->bias);
	const unsigned char *bits;
	GElf_Addr id_vaddr;
	size_t phnum;
	int len;

	if (!elf || elf_getphdrnum(elf, &phnum) != 0)
		return -ENOEXEC;
	e->loads = calloc(phnum ? phnum : 1, sizeof(*e->loads));
	if (!e->loads)
		return -ENOMEM;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			e->loads[e->nloads++] = ph;
	}
	len = dwfl_module_build_id(e->mod, &bits, &id_vaddr);
	if (len > 0 && (size_t)len * 2 < sizeof(e->build_id))
		hex__encode(e->build_id, bits, (size_t)len);
	return 0;
}

static uint64_t next_serial;	/* sym_elf__serial(): never 0, never reused */

/* A libdwfl session with the one module of the file behind fd (consumed,
 * even on failure): 0, -ENOMEM, -EFBIG (an untrusted file over its bound)
 * or -ENOEXEC. An untrusted file's Elf is taken by the first
 * dwfl_module_getelf(): sym_untrusted_elf__forget() after that. */
static int report(struct sym_elf *e, const char *file_name, int fd, bool trusted)
{
	void **ud;

	e->dwfl = dwfl_begin(&e->cb);
	if (!e->dwfl) {
		close(fd);
		return -ENOMEM;
	}
	dwfl_report_begin(e->dwfl);
	/* consumed by libdwfl, even on failure */
	e->mod = trusted ? dwfl_report_elf(e->dwfl, file_name, file_name, fd, 0, true)
			 : sym_untrusted_elf__report(e->dwfl, file_name, fd);
	if (!e->mod) {
		if (trusted)
			close(fd);
		return !trusted && errno == EFBIG ? -EFBIG : -ENOEXEC;
	}
	/* where sym_debug_file__find() reads the search path */
	if (dwfl_module_info(e->mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL))
		*ud = e->debuginfo_path;
	return dwfl_report_end(e->dwfl, NULL, NULL) != 0 ? -ENOEXEC : 0;
}

struct sym_elf *sym_elf__open(const char *file_name, int fd, const char *debuginfo_path)
{
	struct sym_elf *e = calloc(1, sizeof(*e));
	bool trusted = fd >= 0 && sym_untrusted_elf__trusted(fd);
	int err;

	if (!e) {
		if (fd >= 0)
			close(fd);
		errno = ENOMEM;
		return NULL;
	}
	e->fd = -1;
	e->debuginfo_path = debuginfo_path ? strdup(debuginfo_path) : NULL;
	e->paths = sym_strtab__new();
	e->serial = __atomic_add_fetch(&next_serial, 1, __ATOMIC_RELAXED);
	/* a file its owner may truncate under us is read, not mapped; a
	 * mapped one can be reported again after sym_elf__shed() */
	if (trusted) {
		e->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		e->file_name = strdup(file_name);
	}
	if ((debuginfo_path && !e->debuginfo_path) || !e->paths ||
	    (trusted && (e->fd < 0 || !e->file_name))) {
		if (fd >= 0)
			close(fd);
		err = -ENOMEM;
		goto out_free;
	}
	e->cb.find_elf = trusted ? dwfl_build_id_find_elf : sym_untrusted_elf__find_elf;
	e->cb.find_debuginfo = sym_debug_file__find; /* guarded: see sym_debug_file.h */
	e->cb.section_address = dwfl_offline_section_address;
	e->cb.debuginfo_path = e->debuginfo_path ? &e->debuginfo_path : NULL;
	err = report(e, file_name, fd, trusted);
	if (!err)
		err = read_headers(e);
	sym_untrusted_elf__forget(); /* libdwfl took it, or never will */
	if (err < 0)
		goto out_free;
	e->used_ns = clock__mono_ns();
	return e;

out_free:
	sym_elf__free(e);
	errno = -err;
	return NULL;
}

struct sym_elf *sym_elf__open_image(const char *name, const void *image, size_t size,
				    const char *debuginfo_path)
{
	int fd, err;

	/* a memfd lets the image take the same path as any file */
	fd = memfd_create("cprof-elf-image", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	err = fs__write_all(fd, image, size, 0);
	if (err) {
		close(fd);
		errno = -err;
		return NULL;
	}
	return sym_elf__open(name, fd, debuginfo_path);
}

const char *sym_elf__build_id(const struct sym_elf *e)
{
	return e->build_id;
}

bool sym_elf__same_file(const struct sym_elf *e, const struct stat *st)
{
	struct stat now;

	return e->fd >= 0 && fstat(e->fd, &now) == 0 && now.st_dev == st->st_dev &&
	       now.st_ino == st->st_ino && now.st_size == st->st_size &&
	       now.st_mtim.tv_sec == st->st_mtim.tv_sec && now.st_mtim.tv_nsec == st->st_mtim.tv_nsec;
}

Elf *sym_elf__elf(const struct sym_elf *e)
{
	GElf_Addr bias;

	return e->mod ? dwfl_module_getelf(e->mod, &bias) : NULL;
}

Elf *sym_elf__debug_elf(struct sym_elf *e)
{
	Dwarf_Addr bias;
	Dwarf *dw;

	if (!e->mod)
		return NULL;
	e->heavy = e->dwarf_opened = true;
	e->used_ns = clock__mono_ns();
	dw = dwfl_module_getdwarf(e->mod, &bias);

	return dw ? dwarf_getelf(dw) : NULL;
}

int sym_elf__offset_to_vaddr(const struct sym_elf *e, uint64_t offset, uint64_t *ret_vaddr)
{
	/* text and data may share a file page: prefer the executable segment */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < e->nloads; i++) {
			const GElf_Phdr *ph = &e->loads[i];

			if (pass == 0 && !(ph->p_flags & PF_X))
				continue;
			if (offset >= ph->p_offset && offset - ph->p_offset < ph->p_filesz) {
				*ret_vaddr = offset - ph->p_offset + ph->p_vaddr;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* Absolute path for a DWARF file name: join with the CU's DW_AT_comp_dir. */
static const char *abs_file(struct sym_elf *e, Dwarf_Die *cu, const char *file)
{
	Dwarf_Attribute attr;
	const char *dir;
	char *joined;
	const char *out;

	if (!file || file[0] == '/' || !cu)
		return file;
	dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
	if (!dir || asprintf(&joined, "%s/%s", dir, file) < 0)
		return file;
	out = sym_strtab__intern(e->paths, joined);
	free(joined);
	return out ? out : file;
}

static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
	return name;
}

static uint32_t die_decl_line(Dwarf_Die *die)
{
	int line = 0;

	if (dwarf_decl_line(die, &line) != 0 || line < 0)
		return 0;
	return (uint32_t)line;
}

/* The call site of an inlined_subroutine DIE: the caller's file and line. */
static void call_site(struct sym_elf *e, Dwarf_Die *die, const char **ret_file, uint32_t *ret_line)
{
	Dwarf_Attribute attr;
	Dwarf_Word val;
	Dwarf_Die cu;
	Dwarf_Files *files;
	size_t nfiles;
	const char *file = NULL;
	uint32_t line = 0;

	if (dwarf_diecu(die, &cu, NULL, NULL) &&
	    dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &val) == 0 &&
	    dwarf_getsrcfiles(&cu, &files, &nfiles) == 0 && val < nfiles)
		file = abs_file(e, &cu, dwarf_filesrc(files, val, NULL, NULL));
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &val) == 0)
		line = (uint32_t)val;
	*ret_file = file;
	*ret_line = line;
}

/* Walk the scopes containing pc, innermost first, emitting one frame per
 * inlined_subroutine and a last one for the enclosing subprogram. The line of
 * each outer frame is the call site recorded on the inlined DIE inside it. */
static size_t dwarf_frames(struct sym_elf *e, Dwarf_Die *cu, Dwarf_Addr pc, const char *file,
			   uint32_t line, struct sym_elf_frame *out, size_t max)
{
	Dwarf_Die *scopes = NULL, *chain = NULL;
	Dwarf_Die inner;
	int ns, nc;
	size_t n = 0;

	ns = dwarf_getscopes(cu, pc, &scopes);
	if (ns <= 0) {
		free(scopes);
		return 0;
	}
	inner = scopes[0];
	free(scopes);
	/* the DIE's own parents: its concrete, physical nesting */
	nc = dwarf_getscopes_die(&inner, &chain);
	for (int i = 0; i < nc && n < max; i++) {
		Dwarf_Die *die = &chain[i];
		int tag = dwarf_tag(die);

		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram &&
		    tag != DW_TAG_entry_point)
			continue;
		out[n++] = (struct sym_elf_frame){
			.name = die_name(die),
			.file = file,
			.line = line,
			.start_line = die_decl_line(die),
		};
		if (tag != DW_TAG_inlined_subroutine)
			break;
		call_site(e, die, &file, &line);
	}
	free(chain);
	return n;
}

static int cu_range_cmp(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void build_cu_ranges(struct sym_elf *e, Dwarf *dw)
{
	Dwarf_CU *cu = NULL, *next;
	Dwarf_Die cudie;
	uint8_t unit_type;
	Dwarf_Half version;
	size_t cap = 0;

	e->cu_ranges_built = true;
	while (dwarf_get_units(dw, cu, &next, &version, &unit_type, &cudie, NULL) == 0) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;

		cu = next;
		if (dwarf_tag(&cudie) != DW_TAG_compile_unit && dwarf_tag(&cudie) != DW_TAG_partial_unit)
			continue;
		while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0) {
			if (lo >= hi)
				continue;
			if (VEC_RESERVE(e->cu_ranges, e->n_cu_ranges, cap, 1))
				return;	/* keep what we have */
			e->cu_ranges[e->n_cu_ranges++] =
				(struct cu_range){ lo, hi, dwarf_dieoffset(&cudie) };
		}
	}
	if (e->n_cu_ranges)
		qsort(e->cu_ranges, e->n_cu_ranges, sizeof(*e->cu_ranges), cu_range_cmp);
}

/* The CU containing a DWARF address through our own index; NULL if none. */
static Dwarf_Die *find_cu(struct sym_elf *e, Dwarf_Addr pc, Dwarf_Addr *ret_bias,
			  Dwarf_Die *storage)
{
	Dwarf *dw = dwfl_module_getdwarf(e->mod, ret_bias);
	size_t lo = 0, hi;

	if (!dw)
		return NULL;
	if (!e->cu_ranges_built)
		build_cu_ranges(e, dw);
	pc -= *ret_bias;
	hi = e->n_cu_ranges;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->cu_ranges[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ranges may nest or overlap across CUs: look back a little */
	for (size_t i = lo; i > 0 && lo - i < 8; i--)
		if (pc >= e->cu_ranges[i - 1].lo && pc < e->cu_ranges[i - 1].hi)
			return dwarf_offdie(dw, e->cu_ranges[i - 1].die, storage);
	return NULL;
}

/* The debug file a debuginfod server has for this build-id, for a binary
 * without DWARF: asked for on first need, never waited for. */
static struct sym_elf *fetched_debug(struct sym_elf *e)
{
	char path[4096];
	struct stat st;
	uint64_t gen;
	int fd, err;

	if (e->fetch == FETCH_DONE)
		return e->fetched;
	if (!*e->build_id || !sym_debuginfod__enabled() || sym_elf__debug_elf(e)) {
		e->fetch = FETCH_DONE;	/* nothing to fetch, or nothing missing */
		return NULL;
	}
	gen = sym_debuginfod__generation();
	if (e->fetch == FETCH_PENDING && gen == e->fetch_gen)
		return NULL;
	e->fetch_gen = gen;
	err = sym_debuginfod__lookup(e->build_id, path, sizeof(path));
	if (err == -EINPROGRESS) {
		e->fetch = FETCH_PENDING;
		return NULL;
	}
	e->fetch = FETCH_DONE;
	if (err)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	e->fetched = sym_elf__open(path, fd, "");
	if (e->fetched) {
		e->fetched->fetch = FETCH_DONE;	/* never fetched for in turn */
		if (strcmp(e->fetched->build_id, e->build_id) != 0) {
			sym_elf__free(e->fetched);
			e->fetched = NULL;
		}
	}
	return e->fetched;
}

/* Go's own table, for a Go binary without DWARF (built on first need). */
static int resolve_go(struct sym_elf *e, uint64_t vaddr, struct sym_elf_frame *frames, size_t max)
{
	if (!e->go_built) {
		e->go_built = true;
		e->go = sym_gopclntab__from_elf(sym_elf__elf(e));
	}
	return e->go ? sym_gopclntab__resolve(e->go, vaddr, frames, max) : 0;
}

/* The function start containing vaddr, from the unwind tables. */
static int resolve_fstart(struct sym_elf *e, uint64_t vaddr, struct sym_elf_frame *frames)
{
	uint64_t start;

	if (!e->fstarts_built) {
		e->fstarts_built = true;
		e->fstarts = sym_fstarts__from_elf(sym_elf__elf(e));
	}
	if (sym_fstarts__lookup(e->fstarts, vaddr, &start) < 0)
		return 0;
	frames[0] = (struct sym_elf_frame){ .func_start = true, .start = start };
	return 1;
}

/* libdw 0.188 reads names out of .debug_str and .debug_line_str with strlen()
 * and trusts the section to end in a NUL: a file whose last string runs to the
 * section's end makes it read past its buffer (found by fuzz_sym_elf). Files
 * cprof reads belong to other users, so their DWARF is used only when every
 * such section is terminated; otherwise the file keeps its symbol table. */
static bool dwarf_safe(struct sym_elf *e)
{
	static const char *const strsecs[] = { ".debug_str", ".debug_line_str", ".debug_str.dwo",
					       ".debug_line_str.dwo" };
	Dwarf_Addr bias;
	Dwarf *dw;
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (e->dwarf_state != DWARF_UNCHECKED)
		return e->dwarf_state == DWARF_SAFE;
	e->dwarf_state = DWARF_REFUSED;
	e->dwarf_opened = true;
	dw = dwfl_module_getdwarf(e->mod, &bias);
	if (!dw)
		return false;
	elf = dwarf_getelf(dw);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) < 0)
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name;
		bool is_str = false;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		for (size_t i = 0; i < sizeof(strsecs) / sizeof(strsecs[0]); i++)
			is_str |= !strcmp(name, strsecs[i]);
		if (!is_str || sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size == 0 || ((const char *)d->d_buf)[d->d_size - 1] != '\0')
			return false;
	}
	e->dwarf_state = DWARF_SAFE;
	return true;
}

int sym_elf__resolve(struct sym_elf *e, uint64_t vaddr, struct sym_elf_frame *frames, size_t max)
{
	Dwarf_Die cu_storage;
	struct sym_elf_frame chain[MAX_CHAIN];
	Dwarf_Addr addr = vaddr + e->bias, dbias = 0;
	const char *symname, *file = NULL;
	Dwarf_Die *cu;
	int line = 0;
	size_t n = 0;

	if (!max || !e->mod)
		return 0;
	e->heavy = true;
	e->used_ns = clock__mono_ns();
	if (!e->syms_built) {
		e->syms_built = true;
		e->syms = sym_elf_syms__build(e->mod);
	}
	symname = sym_elf_syms__lookup(e->syms, addr);
	if (symname && !*symname)
		symname = NULL;
	cu = dwarf_safe(e) ? dwfl_module_addrdie(e->mod, addr, &dbias) : NULL;
	if (cu) {
		Dwfl_Line *l = dwfl_module_getsrc(e->mod, addr);

		if (l)
			file = abs_file(e, cu, dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL));
	} else if (e->dwarf_state == DWARF_SAFE && (cu = find_cu(e, addr, &dbias, &cu_storage))) {
		Dwarf_Line *l = dwarf_getsrc_die(cu, addr - dbias);

		if (l) {
			file = abs_file(e, cu, dwarf_linesrc(l, NULL, NULL));
			dwarf_lineno(l, &line);
		}
	}
	if (cu) {
		if (line < 0)
			line = 0;
		n = dwarf_frames(e, cu, addr - dbias, file, (uint32_t)line, chain, MAX_CHAIN);
	} else {
		struct sym_elf *dbg = fetched_debug(e);
		int ng = dbg ? sym_elf__resolve(dbg, vaddr, frames, max) : 0;

		if (ng <= 0)
			ng = resolve_go(e, vaddr, frames, max);
		if (ng > 0)
			return ng;
	}
	if (n == 0) {
		if (!symname)
			return resolve_fstart(e, vaddr, frames);
		chain[n++] = (struct sym_elf_frame){ .name = symname, .file = file, .line = (uint32_t)line };
	} else if (symname) {
		/* the physical function: the symbol table's name (mangled, with
		 * clone suffixes) is what perf and pprof users expect */
		chain[n - 1].name = symname;
	}
	/* drop frames nobody could name, keeping the order */
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (chain[i].name)
			chain[k++] = chain[i];
	n = k;
	if (n > max) {
		chain[max - 1] = chain[n - 1];
		n = max;
	}
	memcpy(frames, chain, n * sizeof(*frames));
	return (int)n;
}

uint64_t sym_elf__serial(const struct sym_elf *e)
{
	return e->serial;
}

bool sym_elf__answers_may_change(const struct sym_elf *e)
{
	return e->fetch == FETCH_PENDING;
}

/* path lies under an absolute entry of the search path (/usr/lib/debug),
 * where it is looked for by build-id or by the binary's own path */
static bool under_debug_root(const struct sym_elf *e, const char *path)
{
	const char *p = e->debuginfo_path ? e->debuginfo_path : ":.debug:/usr/lib/debug";

	while (*p) {
		size_t len = strcspn(p, ":");

		if (p[0] == '/' && len > 1 && !strncmp(path, p, len) && path[len] == '/' &&
		    strncmp(path, "/proc/", 6))
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

int sym_elf__shed(struct sym_elf *e, uint64_t idle_ns)
{
	const char *debug_file = NULL;
	char build_id[sizeof(e->build_id)];
	GElf_Addr bias = e->bias;
	int err;

	if (!e->heavy || clock__mono_ns() - e->used_ns < idle_ns)
		return 0;
	if (e->fd < 0)
		return -EPERM;	/* read from its owner's file: kept whole */
	/* found next to the binary (.gnu_debuglink), maybe through a process's
	 * root: it may not be found again */
	dwfl_module_info(e->mod, NULL, NULL, NULL, NULL, NULL, NULL, &debug_file);
	if (debug_file && strcmp(debug_file, e->file_name) && !under_debug_root(e, debug_file))
		return -EPERM;
	if (e->fetched)
		(void)!sym_elf__shed(e->fetched, 0);
	dwfl_end(e->dwfl);
	e->dwfl = NULL;
	e->mod = NULL;
	sym_elf_syms__free(e->syms);
	e->syms = NULL;
	free(e->cu_ranges);
	e->cu_ranges = NULL;
	e->n_cu_ranges = 0;
	sym_gopclntab__free(e->go);
	e->go = NULL;
	sym_fstarts__free(e->fstarts);
	e->fstarts = NULL;
	e->syms_built = e->cu_ranges_built = e->go_built = e->fstarts_built = false;
	sym_strtab__reset(e->paths);
	e->heavy = e->dwarf_opened = false;
	memcpy(build_id, e->build_id, sizeof(build_id));
	free(e->loads);
	e->loads = NULL;
	e->nloads = 0;
	err = report(e, e->file_name, fcntl(e->fd, F_DUPFD_CLOEXEC, 0), true);
	if (!err)
		err = read_headers(e);
	/* the same file, or nothing: its mappings were checked against it */
	if (!err && (strcmp(build_id, e->build_id) || bias != e->bias))
		err = -ESTALE;
	if (err) {
		if (e->dwfl)
			dwfl_end(e->dwfl);
		e->dwfl = NULL;
		e->mod = NULL;
		return err;
	}
	return 1;
}

/* The file's pages leave this process's RSS and stay in the page cache (a
 * minor fault when next read, no read of the file: MADV_PAGEOUT would
 * evict them, and each later lookup would read them again); what libelf
 * wrote into the mapping keeps its data (resident__drop_file()). */
static void page_out(Elf *elf)
{
	size_t size = 0;
	char *base = elf ? elf_rawfile(elf, &size) : NULL;

	if (base && size)
		resident__drop_file(base, size);
}

void sym_elf__page_out(struct sym_elf *e)
{
	Dwarf_Addr bias;

	if (!e->mod)
		return;
	/* nothing asked of it since its last: its pages went then (a page
	 * read in since by another process's use is shared, and stays) */
	if (e->paged_ns > e->used_ns)
		return;
	e->paged_ns = clock__mono_ns();
	if (e->fd >= 0)	/* mapped, not read into memory */
		page_out(dwfl_module_getelf(e->mod, &bias));
	/* only a debug file already opened: never opened for this */
	if (e->dwarf_opened) {
		Dwarf *dw = dwfl_module_getdwarf(e->mod, &bias);

		page_out(dw ? dwarf_getelf(dw) : NULL);
	}
	if (e->fetched)
		sym_elf__page_out(e->fetched);
}
