/* SPDX-License-Identifier: MIT */
/* sym_frames: the strings of the frames the symbolizer hands out. Names are
 * interned (strtab) with their demangled form cached, so a function named a
 * million times costs its strings once; sym_frames__flush() drops them all
 * when they outgrow a bound. Also turns what an ELF binary says about an
 * address into result frames. Depends on sym_elf, strtab, demangle and base/
 * only; uses only the value types of sym_session.h; never prints.
 */
#ifndef CPROF_SYM_FRAMES_H
#define CPROF_SYM_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "symbolize/sym_elf.h"
#include "symbolize/sym_session.h"

/* The entry code (_start) of a program or ld.so, from e_entry: ld.so's has no
 * sized symbol; glibc's _start is under 64 bytes. */
#define SYM_ENTRY_SPAN 64

struct sym_frames;

/* New empty string store. NULL and errno on failure. */
struct sym_frames *sym_frames__new(void)
	__attribute__((warn_unused_result));
/* NULL is a no-op. */
void sym_frames__free(struct sym_frames *fr);

/* Fill *f from a raw (mangled) name, its source file (NULL when unknown) and
 * lines. Strings stay valid until the next sym_frames__flush() that drops
 * them. 0 or -ENOMEM. */
int sym_frames__set(struct sym_frames *fr, struct sym_frame *f, const char *raw,
		    const char *file, uint32_t line, uint32_t start_line)
	__attribute__((warn_unused_result));

/* Frames of addr, in mapping m of the binary elf, into ret->frames and
 * ret->nframes (0 when nothing names it). 0 or -ENOMEM. */
int sym_frames__from_elf(struct sym_frames *fr, struct sym_elf *elf, const struct sym_mapping *m,
			 uint64_t addr, struct sym_result *ret)
	__attribute__((warn_unused_result));

/* Drop every string when they hold more than max_bytes. */
void sym_frames__flush(struct sym_frames *fr, size_t max_bytes);

#endif /* CPROF_SYM_FRAMES_H */
