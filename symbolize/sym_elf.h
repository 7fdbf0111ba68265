/* SPDX-License-Identifier: MIT */
/* sym_elf: one opened ELF binary (executable, shared library or vDSO image),
 * symbolized through libdwfl: .symtab/.dynsym names, build-id, PT_LOAD file
 * offset -> vaddr translation, and through libdw (when DWARF is found, also in
 * separate debug files via build-id or .gnu_debuglink) file:line and inline
 * frames. Opened once, shared by every process mapping it. Never prints.
 * Depends on sym_debug_file, sym_debuginfod, sym_elf_syms, sym_fstarts, sym_gopclntab, sym_strtab,
 * sym_untrusted_elf, base/vec, libelf and libdw only; never prints.
 */
#ifndef CPROF_SYM_ELF_H
#define CPROF_SYM_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libelf.h>
#include <sys/stat.h>

struct sym_elf;

struct sym_elf_frame {
	const char *name;   /* as in the binary (mangled); DWARF name when no symbol */
	const char *file;   /* source file, NULL when unknown */
	uint32_t line;      /* 0 when unknown */
	uint32_t start_line; /* DW_AT_decl_line of the function, 0 when unknown */
	bool func_start;    /* no symbol: name is NULL and start is the vaddr of the
			       function containing the address, from the unwind
			       tables' FDE ranges (sym_fstarts.h) */
	uint64_t start;
};

/* Open the ELF file behind fd. file_name is where it lives as seen by us
 * (e.g. /proc/PID/root/usr/bin/x): .gnu_debuglink is searched next to it.
 * debuginfo_path is libdwfl's search string (NULL: ":.debug:/usr/lib/debug");
 * copied. fd is always consumed (closed on failure). NULL and errno on
 * failure (ENOEXEC when the file is not ELF; EFBIG when a file not owned by
 * root, which is read rather than mapped, is over its bound: see
 * sym_untrusted_elf.h). */
struct sym_elf *sym_elf__open(const char *file_name, int fd, const char *debuginfo_path)
	__attribute__((warn_unused_result));
/* Same for an ELF image in memory (the vDSO): the image is copied. */
struct sym_elf *sym_elf__open_image(const char *name, const void *image, size_t size,
				    const char *debuginfo_path)
	__attribute__((warn_unused_result));
void sym_elf__free(struct sym_elf *e);

/* Lowercase hex of the GNU build-id note, "" when there is none; valid until free. */
const char *sym_elf__build_id(const struct sym_elf *e);

/* Translate a file offset into an ELF virtual address via the PT_LOAD header
 * that maps it: 0 and *ret_vaddr, or -ENOENT when no segment covers it. */
int sym_elf__offset_to_vaddr(const struct sym_elf *e, uint64_t offset, uint64_t *ret_vaddr)
	__attribute__((warn_unused_result));

/* Whether e was opened from a file (mapped, not read into memory) that
 * still has st's identity, size and modification time. */
bool sym_elf__same_file(const struct sym_elf *e, const struct stat *st);

/* The file's own libelf handle, for readers of other sections (unwind
 * tables); NULL when unavailable. Owned by e, valid until sym_elf__free(). */
Elf *sym_elf__elf(const struct sym_elf *e);
/* The ELF that holds the DWARF: the separate debug file when one is found (the
 * search happens on the first call), else the file itself; NULL when there is
 * no DWARF. Owned by e, valid until sym_elf__free(). */
Elf *sym_elf__debug_elf(struct sym_elf *e);

/* A number no other sym_elf of this process had or will have: keys what
 * is remembered about this binary (sym_rcache). */
uint64_t sym_elf__serial(const struct sym_elf *e);
/* Whether sym_elf__resolve() may answer better later (debug info from a
 * debuginfod server still on its way). */
bool sym_elf__answers_may_change(const struct sym_elf *e);

/* Frames for one ELF virtual address, innermost inlined function first and
 * the physical function last; at most max are written (when there are more,
 * the outermost ones before the physical function are dropped). Returns the
 * number of frames (0: nothing names this address). Strings are valid until
 * sym_elf__free(). Without a symbol or DWARF for vaddr, a Go binary's pclntab
 * (sym_gopclntab.h) names it, else the unwind tables' function starts do (one
 * frame with func_start set). */
int sym_elf__resolve(struct sym_elf *e, uint64_t vaddr, struct sym_elf_frame *frames, size_t max)
	__attribute__((warn_unused_result));

/* Let go of what resolving built when nothing was asked of it for idle_ns:
 * the symbol index, the DWARF (its decompressed sections are most of a
 * binary's memory), the Go table and function starts. The binary stays open
 * for its headers, build-id and serial; the next sym_elf__resolve() builds
 * them again. Only a file cprof maps (root's) is reported again: 1 when shed,
 * 0 when idle for less or holding nothing, -EPERM when it is kept whole (a
 * file read into memory, or a debug file found next to it rather than under
 * a debug root: it may be gone), another -errno when the file could not be reported again (the
 * binary then names nothing). Strings it returned before are invalid. */
int sym_elf__shed(struct sym_elf *e, uint64_t idle_ns);
/* Ask the kernel to take back the pages of the file (and of its debug file,
 * when opened) read so far: what libdw reads once (compressed sections) or
 * seldom need not count in cprof's memory. Read again from the file when
 * touched; nothing else is lost. A no-op (no system call) when nothing was
 * asked of e since its last. */
void sym_elf__page_out(struct sym_elf *e);

#endif
