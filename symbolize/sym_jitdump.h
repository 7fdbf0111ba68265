/* SPDX-License-Identifier: MIT */
/* sym_jitdump: JIT code named by a jitdump file (jit-PID.dump, the binary
 * format of linux tools/perf/Documentation/jitdump-specification.txt that
 * V8's --perf-prof, Java agents and .NET write). The file only grows, so it
 * is fed in pieces from where the last piece ended; JIT_CODE_LOAD names
 * code, JIT_CODE_MOVE names it again at its new address, every other record
 * is skipped by its size. Bounded: names over SYM_PERF_MAP_MAX_LINE and
 * records past SYM_PERF_MAP_MAX_ENTRIES are left out, a malformed header or
 * record ends the file. Depends on sym_perf_map and base/ only; never
 * prints; opening the file is the caller's (sym_proc_file).
 */
#ifndef CPROF_SYM_JITDUMP_H
#define CPROF_SYM_JITDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "symbolize/sym_perf_map.h"

/* Files over this are refused; what is read of them is bounded per feed by
 * the caller. */
#define SYM_JITDUMP_MAX_BYTES (1ull << 30)

struct sym_jitdump;

/* Empty state, expecting the file header first. NULL and errno (ENOMEM). */
struct sym_jitdump *sym_jitdump__new(void) __attribute__((warn_unused_result));
void sym_jitdump__free(struct sym_jitdump *d);

/* Feed the file's bytes from sym_jitdump__pos() on (len of them, possibly
 * a prefix of what follows). Returns how far the file is understood now, in
 * bytes from its start (the next feed starts there; it may lie beyond what
 * was fed when a record's code bytes were not needed), or -ENOMEM. A file
 * that is not a jitdump or a malformed record stops the parse for good:
 * sym_jitdump__broken() says so and later feeds consume nothing. */
int64_t sym_jitdump__feed(struct sym_jitdump *d, const uint8_t *buf, size_t len)
	__attribute__((warn_unused_result));
uint64_t sym_jitdump__pos(const struct sym_jitdump *d);
int sym_jitdump__broken(const struct sym_jitdump *d);

/* The names so far; borrowed, valid until the next feed or free. */
const struct sym_perf_map *sym_jitdump__map(const struct sym_jitdump *d);

#endif /* CPROF_SYM_JITDUMP_H */
