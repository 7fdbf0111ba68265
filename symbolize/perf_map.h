/* SPDX-License-Identifier: MIT */
/* sym_perf_map: JIT symbol maps in the perf convention, /tmp/perf-PID.map,
 * one "START SIZE name" line per symbol (hex, no 0x needed). Later lines win
 * where code was regenerated at the same address. Bounded to
 * SYM_PERF_MAP_MAX_ENTRIES symbols per map. libc only.
 */
#ifndef CPROF_SYM_PERF_MAP_H
#define CPROF_SYM_PERF_MAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SYM_PERF_MAP_MAX_ENTRIES (1u << 20)

struct sym_perf_map;

/* Parse f until EOF (bad lines skipped). New map, or NULL and errno. */
struct sym_perf_map *sym_perf_map__parse(FILE *f);
struct sym_perf_map *sym_perf_map__parse_string(const char *text);
/* Open and parse path. NULL and errno (ENOENT when there is no such file). */
struct sym_perf_map *sym_perf_map__read(const char *path);
void sym_perf_map__free(struct sym_perf_map *m);
size_t sym_perf_map__count(const struct sym_perf_map *m);

/* Name of the symbol covering addr ([start, start+size)): 0 and *ret_name
 * (valid until free), or -ENOENT. */
int sym_perf_map__lookup(const struct sym_perf_map *m, uint64_t addr, const char **ret_name);

#endif
