/* SPDX-License-Identifier: MIT */
/* sym_rcache: what sym_elf__resolve() answered for an address, kept per
 * binary, so that an address met again (the same library in many
 * processes, the same leaf in many stacks) costs a hash lookup instead of a
 * walk of the DWARF. The frames' strings are borrowed from the binary's own
 * tables: the cache lives and dies with its sym_elf. Bounded: past
 * SYM_RCACHE_MAX_ADDRS addresses it starts over. Depends on base/ only.
 */
#ifndef CPROF_SYM_RCACHE_H
#define CPROF_SYM_RCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "symbolize/sym_elf.h"

#define SYM_RCACHE_MAX_ADDRS 4096

struct sym_rcache;

/* NULL on ENOMEM: the caller resolves without a cache. */
struct sym_rcache *sym_rcache__new(void);
void sym_rcache__free(struct sym_rcache *c);
/* The n frames remembered for vaddr, or -1; past max, the innermost max - 1
 * and the physical function. */
int sym_rcache__find(const struct sym_rcache *c, uint64_t vaddr, struct sym_elf_frame *frames,
		     size_t max);
/* Remember n (>= 0) frames for vaddr; a failure only forgets. */
void sym_rcache__put(struct sym_rcache *c, uint64_t vaddr, const struct sym_elf_frame *frames,
		     size_t n);
size_t sym_rcache__count(const struct sym_rcache *c);

#endif
