/* SPDX-License-Identifier: MIT */
/* sym_perf_map: JIT symbol maps in the perf convention, /tmp/perf-PID.map,
 * one "START SIZE name" line per symbol (hex, no 0x needed). Later lines win
 * where code was regenerated at the same address. Bounded: at most
 * SYM_PERF_MAP_MAX_BYTES read, SYM_PERF_MAP_MAX_ENTRIES symbols kept, lines
 * over SYM_PERF_MAP_MAX_LINE bytes skipped. Opening the file (whose, which
 * kind) is the caller's: see safe_file.h. libc only.
 */
#ifndef CPROF_SYM_PERF_MAP_H
#define CPROF_SYM_PERF_MAP_H

#include <stddef.h>
#include <stdint.h>

#define SYM_PERF_MAP_MAX_ENTRIES (1u << 20)
#define SYM_PERF_MAP_MAX_BYTES (64u << 20)
#define SYM_PERF_MAP_MAX_LINE 16384

struct sym_perf_map;

/* An empty map to fill with sym_perf_map__add() (jitdump files); NULL and
 * errno (ENOMEM). */
struct sym_perf_map *sym_perf_map__new(void) __attribute__((warn_unused_result));
/* Add [start, start + size) named by the len bytes of name (copied); later
 * adds win at the same start. Ignored (0) when size or len is 0, len is over
 * SYM_PERF_MAP_MAX_LINE or the map is full; -ENOMEM. Lookups see it after
 * the next sym_perf_map__sort(). */
int sym_perf_map__add(struct sym_perf_map *m, uint64_t start, uint64_t size, const char *name,
		      size_t len) __attribute__((warn_unused_result));
/* Make what was added since the last sort visible to lookups. */
void sym_perf_map__sort(struct sym_perf_map *m);

/* Parse len bytes of buf (need not be NUL-terminated; NULs inside end a
 * line's name). Bad and overlong lines are skipped. New map (the caller
 * frees it), or NULL and errno (ENOMEM). The fuzz entry point. */
struct sym_perf_map *sym_perf_map__parse_buf(const char *buf, size_t len)
	__attribute__((warn_unused_result));
struct sym_perf_map *sym_perf_map__parse_string(const char *text)
	__attribute__((warn_unused_result));
/* Read fd from its offset to EOF and parse it: NULL and errno EFBIG when
 * there is more than SYM_PERF_MAP_MAX_BYTES, or the read's errno. The fd
 * stays the caller's. */
struct sym_perf_map *sym_perf_map__read_fd(int fd)
	__attribute__((warn_unused_result));
void sym_perf_map__free(struct sym_perf_map *m);
size_t sym_perf_map__count(const struct sym_perf_map *m);
/* Lines skipped for being longer than SYM_PERF_MAP_MAX_LINE. */
size_t sym_perf_map__skipped_long(const struct sym_perf_map *m);

/* One symbol: [start, start + size) is name; name valid until free. */
struct sym_perf_map_sym {
	uint64_t start, size;
	const char *name;
};

/* The symbol covering addr: 0 and *ret, or -ENOENT. */
int sym_perf_map__find(const struct sym_perf_map *m, uint64_t addr, struct sym_perf_map_sym *ret)
	__attribute__((warn_unused_result));
/* Name of the symbol covering addr ([start, start+size)): 0 and *ret_name
 * (valid until free), or -ENOENT. */
int sym_perf_map__lookup(const struct sym_perf_map *m, uint64_t addr, const char **ret_name)
	__attribute__((warn_unused_result));

#endif
