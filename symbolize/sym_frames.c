// SPDX-License-Identifier: MIT
/* sym_frames: interned frame strings (strtab) and a system_name -> name map
 * for demangling once; ELF answers become frames here, with the two names
 * for code no symbol covers: "_start" for entry code, FILE+0xSTART for a
 * function start. What a binary said for an address is kept (sym_rcache).
 * Depends on sym_elf, sym_rcache, strtab, demangle and base/ only.
 */
#include "symbolize/sym_frames.h"

#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"
#include "symbolize/sym_demangle.h"
#include "symbolize/sym_rcache.h"
#include "symbolize/sym_strtab.h"

struct sym_frames {
	struct sym_strtab *strings;
	struct strmap *demangled; /* interned system_name -> interned name */
	struct sym_rcache *answers; /* what each binary said for an address */
};

static const char *intern(struct sym_frames *fr, const char *str)
{
	return str ? sym_strtab__intern(fr->strings, str) : NULL;
}

struct sym_frames *sym_frames__new(void)
{
	struct sym_frames *fr = calloc(1, sizeof(*fr));

	if (!fr)
		return NULL;
	fr->strings = sym_strtab__new();
	fr->demangled = strmap__new();
	fr->answers = sym_rcache__new();
	if (!fr->strings || !fr->demangled || !fr->answers) {
		sym_frames__free(fr);
		errno = ENOMEM;
		return NULL;
	}
	return fr;
}

void sym_frames__free(struct sym_frames *fr)
{
	if (!fr)
		return;
	strmap__free(fr->demangled);
	sym_strtab__free(fr->strings);
	sym_rcache__free(fr->answers);
	free(fr);
}

/* The name users read for a system name: demangled, and for an ELF symbol
 * without its version ("free" for "free@@GLIBC_2.2.5": the version says
 * which ABI a caller linked against, not which function ran). Interned;
 * NULL on allocation failure. */
static const char *display_name(struct sym_frames *fr, const char *sys, bool elf_symbol)
{
	size_t len = elf_symbol ? strcspn(sys, "@") : strlen(sys);
	char *base = len && sys[len] ? strndup(sys, len) : NULL;
	const char *plain = base ? base : sys;
	const char *name;
	char *d;

	if (len && sys[len] && !base)
		return NULL;
	d = sym_demangle(plain);
	if (!d && errno == ENOMEM) {
		free(base);
		return NULL;
	}
	name = intern(fr, d ? d : plain);
	free(d);
	free(base);
	return name;
}

static int set_frame(struct sym_frames *fr, struct sym_frame *f, const char *raw, bool elf_symbol,
		     const char *file, uint32_t line, uint32_t start_line)
{
	const char *sys = intern(fr, raw);
	const char *name;

	if (!sys)
		return -ENOMEM;
	/* keyed by the system name alone: a JIT or kernel name that looks
	 * exactly like a versioned ELF symbol would share its display name */
	name = strmap__get(fr->demangled, sys);
	if (!name) {
		name = display_name(fr, sys, elf_symbol);
		if (!name || strmap__put(fr->demangled, sys, (void *)name) < 0)
			return -ENOMEM;
	}
	f->system_name = sys;
	f->name = name;
	f->file = NULL;
	if (file) {
		f->file = intern(fr, file);
		if (!f->file)
			return -ENOMEM;
	}
	f->line = line;
	f->start_line = start_line;
	return 0;
}

int sym_frames__set(struct sym_frames *fr, struct sym_frame *f, const char *raw,
		    const char *file, uint32_t line, uint32_t start_line)
{
	return set_frame(fr, f, raw, false, file, line, start_line);
}

/* vaddr lies in the entry code of a binary whose symbols do not cover it
 * (ld.so's _start is a symbol of size 0). */
static bool in_entry(struct sym_elf *elf, uint64_t vaddr)
{
	Elf *raw = sym_elf__elf(elf);
	GElf_Ehdr eh;

	return raw && gelf_getehdr(raw, &eh) && eh.e_entry && vaddr >= eh.e_entry &&
	       vaddr - eh.e_entry < SYM_ENTRY_SPAN;
}

/* A function no symbol names, after its file and start: "liblzma.so.5+0x1a2b0"
 * (the ELF vaddr nm, objdump and addr2line take, in this file and its debug
 * file), with an empty system_name and func_start set. */
static int func_start_frame(struct sym_frames *fr, const struct sym_mapping *m, uint64_t start,
			    struct sym_result *ret)
{
	const char *base = strrchr(m->path, '/');
	char buf[300];

	snprintf(buf, sizeof(buf), "%.255s+0x%" PRIx64, base ? base + 1 : m->path, start);
	ret->frames[0] = (struct sym_frame){ .name = intern(fr, buf), .system_name = "",
					     .func_start = true };
	if (!ret->frames[0].name)
		return -ENOMEM;
	ret->nframes = 1;
	return 0;
}

int sym_frames__from_elf(struct sym_frames *fr, struct sym_elf *elf, const struct sym_mapping *m,
			 uint64_t addr, struct sym_result *ret)
{
	struct sym_elf_frame ef[SYM_MAX_INLINE];
	uint64_t vaddr;
	int n, err;

	if (sym_elf__offset_to_vaddr(elf, addr - m->start + m->offset, &vaddr) < 0)
		return 0;
	n = sym_rcache__find(fr->answers, sym_elf__serial(elf), vaddr, ef, SYM_MAX_INLINE);
	if (n < 0) {
		n = sym_elf__resolve(elf, vaddr, ef, SYM_MAX_INLINE);
		/* an answer a pending debuginfod fetch could better is not kept */
		if (n >= 0 && !sym_elf__answers_may_change(elf))
			sym_rcache__put(fr->answers, sym_elf__serial(elf), vaddr, ef, (size_t)n);
	}
	if ((n <= 0 || ef[0].func_start) && in_entry(elf, vaddr)) {
		err = sym_frames__set(fr, &ret->frames[0], "_start", NULL, 0, 0);
		ret->nframes = err ? 0 : 1;
		return err;
	}
	if (n == 1 && ef[0].func_start)
		return func_start_frame(fr, m, ef[0].start, ret);
	for (int i = 0; i < n; i++) {
		err = set_frame(fr, &ret->frames[i], ef[i].name, true, ef[i].file, ef[i].line,
				ef[i].start_line);
		if (err < 0)
			return err;
	}
	ret->nframes = n > 0 ? (uint32_t)n : 0;
	return 0;
}

void sym_frames__flush(struct sym_frames *fr, size_t max_bytes)
{
	if (sym_strtab__bytes(fr->strings) > max_bytes) {
		strmap__clear(fr->demangled);
		sym_strtab__reset(fr->strings);
	}
}
