/* SPDX-License-Identifier: MIT */
/* sym_rcache: what sym_elf__resolve() answered for an address of a binary,
 * so that an address met again (the same library in many processes, the
 * same leaf in many stacks, every window of the agent) costs a hash lookup
 * instead of a walk of the DWARF. Keyed by the binary's serial
 * (sym_elf__serial(), never reused), so the answers of a binary closed
 * since are never found again. The frames' strings are copied: an answer
 * outlives what the binary held to find it (sym_elf__shed()). One bound for
 * all binaries: past SYM_RCACHE_MAX_ADDRS addresses or
 * SYM_RCACHE_MAX_STRINGS bytes of strings it starts over. Depends on
 * sym_strtab and base/ only.
 */
#ifndef CPROF_SYM_RCACHE_H
#define CPROF_SYM_RCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "symbolize/sym_elf.h"

#define SYM_RCACHE_MAX_ADDRS 32768	/* about 3 MB at most */
#define SYM_RCACHE_MAX_STRINGS (4u << 20)

struct sym_rcache;

/* NULL on ENOMEM: the caller resolves without a cache. */
struct sym_rcache *sym_rcache__new(void);
void sym_rcache__free(struct sym_rcache *c);
/* The n frames remembered for vaddr of binary serial, or -1; past max, the
 * innermost max - 1 and the physical function. */
int sym_rcache__find(const struct sym_rcache *c, uint64_t serial, uint64_t vaddr,
		     struct sym_elf_frame *frames, size_t max);
/* Remember n (>= 0) frames for vaddr of binary serial; a failure only forgets. */
void sym_rcache__put(struct sym_rcache *c, uint64_t serial, uint64_t vaddr,
		     const struct sym_elf_frame *frames, size_t n);
size_t sym_rcache__count(const struct sym_rcache *c);

#endif
