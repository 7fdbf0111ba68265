/* SPDX-License-Identifier: MIT */
/* sym_strtab: interned, immutable strings. Each distinct string is stored once
 * in chunked arenas; the pointers handed out stay valid until
 * sym_strtab__reset() or sym_strtab__free(). Used for frame names and files so
 * that results outlive the binaries they came from. Depends on base/strmap.
 */
#ifndef CPROF_SYM_STRTAB_H
#define CPROF_SYM_STRTAB_H

#include <stddef.h>

struct sym_strtab;

/* New empty table; NULL and errno on failure. */
struct sym_strtab *sym_strtab__new(void)
	__attribute__((warn_unused_result));
/* Frees every string; NULL is a no-op. */
void sym_strtab__free(struct sym_strtab *t);
/* The interned copy of s (same bytes, stable address); NULL and errno=ENOMEM. */
const char *sym_strtab__intern(struct sym_strtab *t, const char *s);
/* Forget every string: every pointer handed out before becomes invalid. */
void sym_strtab__reset(struct sym_strtab *t);
/* Bytes held in arenas (the figure a size bound is checked against). */
size_t sym_strtab__bytes(const struct sym_strtab *t);

#endif
